//! The `centralita` binary's library half: start-up and shutdown of the API server and the
//! worker, shared by `main.rs` (the CLI) and the black-box tests in `tests/`.

pub mod watch;

use std::net::TcpListener;

use actix_web::HttpServer;
use centralita_api::{AppState, build_app};
use centralita_domain::{Core, config::Config, core as dcore};
use tokio_util::sync::CancellationToken;

/// Applies every pending migration, once, even when several processes start at once. Lives
/// here, not in the domain crate: the schema is owned by `centralita-migrations`, and only
/// the binary decides when to apply it.
///
/// On PostgreSQL the migrations run in one transaction that first takes an advisory lock
/// keyed by the schema: a second `centralita migrate` (another host booting, a Kubernetes
/// Job retried) waits for the first to commit, then finds nothing pending. Without the lock
/// both would see the same migrations pending and the loser would fail on a table the
/// winner had just created. One transaction also makes an upgrade all or nothing: a failed
/// migration leaves the schema as it was. (SQLite is one process's embedded database.)
pub async fn migrate(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    use centralita_migrations::MigratorTrait;
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    if db.get_database_backend() != DbBackend::Postgres {
        centralita_migrations::Migrator::up(db, None).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(
        "SELECT pg_advisory_xact_lock(hashtextextended('centralita.migrate.' || current_schema(), 0))",
    )
    .await?;
    centralita_migrations::Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// The newest migration this binary carries: what readiness waits for.
pub fn newest_migration() -> String {
    use centralita_migrations::MigratorTrait;
    centralita_migrations::Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default()
}

/// What a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// API + in-process worker; applies migrations and creates the first admin.
    Serve,
    /// API only (production: migrations run separately).
    Api,
}

/// Options for tests and special deployments.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// PostgreSQL schema to use (tests give each run its own).
    pub search_path: Option<String>,
    /// Apply migrations even in `Api` mode.
    pub migrate: bool,
}

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    core: Core,
    worker: bool,
}

impl Application {
    pub async fn build(config: Config, mode: Mode, opts: BuildOptions) -> anyhow::Result<Self> {
        let db = dcore::connect(&config, opts.search_path.as_deref()).await?;
        if mode == Mode::Serve || opts.migrate {
            migrate(&db).await?;
        }
        let worker = mode == Mode::Serve && config.embedded_worker;
        let listener = TcpListener::bind(config.listen)?;
        let port = listener.local_addr()?.port();
        let core = Core::build(config, db).await?;
        core.expect_migration(&newest_migration());
        if mode == Mode::Serve
            && let Some((email, generated)) =
                centralita_domain::services::auth::bootstrap_admin(&core).await?
        {
            match generated {
                // Printed, not logged: log lines are shipped and kept, this is shown once.
                Some(password) => println!(
                    "Created the first platform admin: {email}\nIts password (shown only this once): {password}"
                ),
                None => println!("Created the first platform admin: {email}"),
            }
        }
        let state = AppState::new(core.clone())?;
        let workers = core.config.http_workers;
        let mut server = HttpServer::new(move || build_app(state.clone()));
        if let Some(n) = workers {
            server = server.workers(n.max(1));
        }
        let server = server.listen(listener)?.shutdown_timeout(10).run();
        Ok(Self {
            port,
            server,
            core,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// Serves until SIGTERM/SIGINT (actix handles the signals and drains connections), then
    /// stops the worker after its current job.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let worker = self
            .worker
            .then(|| tokio::spawn(centralita_worker::run(self.core.clone(), stop.clone(), 1)));
        let warm = tokio::spawn(centralita_worker::keep_rates_warm(
            self.core.clone(),
            stop.clone(),
        ));
        let result = self.server.await;
        stop.cancel();
        if let Some(w) = worker {
            let _ = w.await;
        }
        let _ = warm.await;
        result.map_err(Into::into)
    }
}

/// Runs the worker alone, `concurrency` jobs at a time, until SIGTERM/SIGINT; running jobs
/// then get `centralita_worker::SHUTDOWN_GRACE` to finish before they are given back.
pub async fn run_worker(config: Config, concurrency: usize) -> anyhow::Result<()> {
    let db = dcore::connect(&config, None).await?;
    let core = Core::build(config, db).await?;
    core.expect_migration(&newest_migration());
    let probes = match core.config.worker_probe_listen {
        Some(addr) => {
            let probe_core = core.clone();
            let server =
                HttpServer::new(move || centralita_api::build_probe_app(probe_core.clone()))
                    .workers(1)
                    .disable_signals()
                    .bind(addr)?
                    .run();
            tracing::info!(%addr, "worker probes listening");
            Some((server.handle(), tokio::spawn(server)))
        }
        None => None,
    };
    let stop = CancellationToken::new();
    let warm = tokio::spawn(centralita_worker::keep_rates_warm(
        core.clone(),
        stop.clone(),
    ));
    let handle = tokio::spawn(centralita_worker::run(core, stop.clone(), concurrency));
    shutdown_signal().await;
    stop.cancel();
    handle.await?;
    warm.await?;
    if let Some((server, task)) = probes {
        server.stop(true).await;
        task.await??;
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
