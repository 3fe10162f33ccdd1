//! [`Core`]: everything a domain operation needs (database, configuration, keys, limiter,
//! the switch cache), built once at start-up and shared by the API and the worker. Writes
//! start at [`Core::begin`] (see [`crate::tx`]).

use std::{sync::Arc, time::Duration};

use redis::aio::ConnectionManager;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, TransactionTrait};

use crate::{
    config::Config,
    error::{DomainError, DomainResult},
    mail::Mailer,
    password::PasswordHasher,
    ratelimit::Limiter,
    switch::cache::SwitchCache,
    tokens::TokenKeys,
    tx::Tx,
};

pub struct CoreInner {
    pub db: DatabaseConnection,
    pub config: Config,
    pub keys: TokenKeys,
    pub hasher: PasswordHasher,
    pub limiter: Limiter,
    pub redis: Option<ConnectionManager>,
    /// The switch surface's answers and their invalidation (see [`crate::switch::cache`]);
    /// this core's own, so cores in one process (tests) share nothing.
    pub switch_cache: Arc<SwitchCache>,
    /// Where e-mail goes (SMTP, or `.eml` files in the outbox): see [`crate::mail`].
    pub mailer: Mailer,
    /// Wakes this process's own idle workers when a job is queued (Redis wakes the others).
    pub local_wake: Arc<tokio::sync::Notify>,
    /// Rate-deck indexes by version (see [`crate::services::rate_decks::book`]).
    pub rate_book: Arc<crate::services::rate_decks::book::RateBook>,
    /// Credit holds on one account, placed together (see
    /// [`crate::services::billing::holds`]).
    pub holds: crate::services::billing::holds::HoldCombiner,
    /// The schema this binary needs, for readiness (see [`Core::expect_migration`]).
    schema: SchemaGate,
    /// Stored files: the data directory or an object store (see [`crate::storage`]).
    pub files: crate::storage::Files,
}

/// The newest migration this binary knows, and whether the database has been seen to have
/// it. Once seen it stays so: migrations only move forward while a process runs.
#[derive(Default)]
struct SchemaGate {
    newest: std::sync::OnceLock<String>,
    applied: std::sync::atomic::AtomicBool,
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct Core(Arc<CoreInner>);

impl std::ops::Deref for Core {
    type Target = CoreInner;
    fn deref(&self) -> &CoreInner {
        &self.0
    }
}

/// Opens the database named by the configuration. SQLite gets WAL and one writer; PostgreSQL
/// a pool. `search_path` (PostgreSQL only) lets tests give each run its own schema.
pub async fn connect(
    config: &Config,
    search_path: Option<&str>,
) -> DomainResult<DatabaseConnection> {
    let url = config.effective_database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(DomainError::internal)?;
    }
    let mut opts = ConnectOptions::new(url.clone());
    // A request that cannot get a connection within the acquire timeout is answered 503
    // with Retry-After (see `error::is_busy`), so a saturated pool sheds load quickly
    // instead of stacking requests up for a 500.
    let acquire = Duration::from_secs(config.database_acquire_timeout_secs.max(1));
    // A connection is pinged before use only after it sat idle for a while (when a server,
    // proxy or firewall may have dropped it), not on every acquire: one statement of a
    // request costs a round trip instead of two. (sqlx still pings on release, after the
    // request has its answer.)
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(acquire)
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if url.starts_with("postgres") {
        opts.max_connections(config.database_max_connections)
            .min_connections(1);
        if let Some(schema) = search_path {
            opts.set_schema_search_path(schema.to_owned());
        }
    }
    let db = Database::connect(opts)
        .await
        .map_err(DomainError::internal)?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        )
        .await
        .map_err(DomainError::internal)?;
    }
    Ok(db)
}

impl Core {
    /// Builds the core around an open database (see [`connect`]; the caller migrates it):
    /// loads or creates the signing key, connects Redis when configured and starts the
    /// cache-invalidation bridge.
    pub async fn build(config: Config, db: DatabaseConnection) -> DomainResult<Self> {
        let keys = match &config.jwt_secret {
            Some(secret) => TokenKeys::from_secret(secret.as_bytes())?,
            None => TokenKeys::load_or_create(&config.data_dir).map_err(DomainError::internal)?,
        };
        let (redis, switch_cache) = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).map_err(DomainError::internal)?;
                let conn = ConnectionManager::new(client.clone())
                    .await
                    .map_err(DomainError::internal)?;
                let cache = SwitchCache::with_redis(client, conn.clone(), &config.redis_prefix);
                (Some(conn), cache)
            }
            None => (None, SwitchCache::local()),
        };
        let limiter = match &redis {
            Some(conn) => Limiter::redis(conn.clone(), config.redis_prefix.clone()),
            None => Limiter::memory(),
        };
        let mailer = Mailer::from_config(&config)?;
        let files = crate::storage::Files::from_config(&config)?;
        Ok(Self(Arc::new(CoreInner {
            db,
            mailer,
            local_wake: Arc::new(tokio::sync::Notify::new()),
            rate_book: Arc::default(),
            holds: Default::default(),
            schema: SchemaGate::default(),
            files,
            hasher: PasswordHasher::new(config.password_hash_concurrency),
            config,
            keys,
            limiter,
            redis,
            switch_cache: Arc::new(switch_cache),
        })))
    }

    /// Opens the transaction of a write: see [`Tx`].
    pub async fn begin(&self) -> Result<Tx, DbErr> {
        Ok(Tx::new(self.db.begin().await?, self.clone()))
    }

    /// Makes readiness wait for the migration named `newest` (the binary's last one; the
    /// domain crate does not know the migrations, the binary does). Set once; later calls
    /// change nothing.
    pub fn expect_migration(&self, newest: &str) {
        let _ = self.schema.newest.set(newest.to_owned());
    }

    /// Readiness: the database answers and its schema has the migration set by
    /// [`Core::expect_migration`] (a process of a new version is not ready before its
    /// migrations ran); `Err` says which is missing. Redis, when configured, does not decide
    /// it: Redis only accelerates (rate limits and cache invalidation fall back, workers
    /// poll), so an outage of it must not take every replica out of its load balancer; it
    /// is reported as [`Readiness::Degraded`].
    pub async fn ready(&self) -> Result<Readiness, String> {
        use std::sync::atomic::Ordering;
        self.db.ping().await.map_err(|e| format!("database: {e}"))?;
        if let Some(newest) = self.schema.newest.get()
            && !self.schema.applied.load(Ordering::Relaxed)
        {
            use sea_orm::{ConnectionTrait, Statement};
            let backend = self.db.get_database_backend();
            let sql = match backend {
                sea_orm::DbBackend::Postgres => "SELECT 1 FROM seaql_migrations WHERE version = $1",
                _ => "SELECT 1 FROM seaql_migrations WHERE version = ?",
            };
            let found = self
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    sql,
                    [newest.as_str().into()],
                ))
                .await
                // No migrations table yet: nothing applied.
                .is_ok_and(|row| row.is_some());
            if !found {
                return Err(format!(
                    "database schema: migration {newest} not applied yet"
                ));
            }
            self.schema.applied.store(true, Ordering::Relaxed);
        }
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            // Bounded: a Redis that is down can keep a command waiting on reconnects, and a
            // readiness answer slower than the load balancer's check timeout would take the
            // replica out after all.
            let ping = tokio::time::timeout(
                READY_REDIS_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await;
            match ping {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Ok(Readiness::Degraded(format!("redis: {e}"))),
                Err(_) => return Ok(Readiness::Degraded("redis: no answer in time".into())),
            }
        }
        Ok(Readiness::Ready)
    }
}

/// How long readiness waits for Redis's PING before calling the process degraded.
const READY_REDIS_TIMEOUT: Duration = Duration::from_millis(300);

/// What [`Core::ready`] found when the process can take traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Everything configured answers.
    Ready,
    /// Serving, without an accelerator (Redis): the reason.
    Degraded(String),
}
