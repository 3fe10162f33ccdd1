//! `centralita-worker`: runs the jobs of the outbox (`centralita_domain::services::jobs`).
//!
//! Each of `--concurrency` loops claims one due job at a time under its own lease-owner
//! name, hands it to its kind in the [`registry`] while renewing the lease, and marks it
//! succeeded or failed (retried with backoff, then dead). A job cancelled by an operator, or
//! whose lease was lost, is dropped at the next renewal. On shutdown a running job gets
//! [`SHUTDOWN_GRACE`] to finish; past that it is given back (queued again) for another
//! worker. When nothing is
//! due it waits one poll interval, or less when Redis is configured: idle workers wait on
//! `BLPOP <prefix>jobs:wake`, which `jobs::Queued::wake` pushes to after an enqueuing
//! transaction commits. The database stays the truth, so a lost wake-up only delays a job by
//! one poll interval.

use std::time::Duration;

use centralita_domain::{
    Core, DomainResult,
    installs::job::InstallRun,
    services::{
        billing::{
            calls::{self, ExpireHolds},
            cdrs::RerateCdrs,
            fees::{self, DidFees},
            invoices::{self, Invoices},
        },
        housekeeping::{self, Housekeeping},
        jobs::{self, JobContext, Registry},
        rate_decks::imports::RateImport,
        voicemail_messages::email::VoicemailEmail,
    },
    switch::provisioning::job::KamailioReconcile,
};
use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How long the loop waits for work before polling again.
pub const POLL: Duration = Duration::from_secs(1);

/// Every job kind this worker runs: register a new kind here.
pub fn registry() -> Registry {
    Registry::new()
        .register::<Housekeeping>()
        .register::<VoicemailEmail>()
        .register::<KamailioReconcile>()
        .register::<InstallRun>()
        .register::<RateImport>()
        .register::<ExpireHolds>()
        .register::<RerateCdrs>()
        .register::<DidFees>()
        .register::<Invoices>()
}

/// How often [`keep_rates_warm`] looks for deck versions to build.
pub const WARM_EVERY: Duration = Duration::from_secs(1);

/// Keeps the rate book's indexes built ahead of the calls that need them (see
/// `centralita_domain::services::rate_decks::book`), until `stop` is cancelled. Every
/// process that rates calls runs it: `serve` and `worker`.
pub async fn keep_rates_warm(core: Core, stop: CancellationToken) {
    loop {
        if let Err(e) = core.rate_book.warm(&core.db).await {
            tracing::warn!(error = %e, "could not build rate indexes ahead of use");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(WARM_EVERY) => {}
        }
    }
}

/// How long a running job may take to finish once the worker is asked to stop.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Runs `concurrency` job loops until `stop` is cancelled.
pub async fn run(core: Core, stop: CancellationToken, concurrency: usize) {
    if let Err(e) = housekeeping::schedule(&core).await {
        tracing::warn!(error = %e, "could not schedule housekeeping");
    }
    if let Err(e) = calls::schedule(&core).await {
        tracing::warn!(error = %e, "could not schedule the credit-hold sweep");
    }
    if let Err(e) = fees::schedule(&core).await {
        tracing::warn!(error = %e, "could not schedule the DID fees");
    }
    if let Err(e) = invoices::schedule(&core).await {
        tracing::warn!(error = %e, "could not schedule the invoices");
    }
    let registry = std::sync::Arc::new(registry());
    let loops: Vec<_> = (0..concurrency.max(1))
        .map(|_| tokio::spawn(run_with(core.clone(), registry.clone(), POLL, stop.clone())))
        .collect();
    for l in loops {
        if let Err(e) = l.await {
            tracing::error!(error = %e, "a worker loop ended abnormally");
        }
    }
}

/// A name for one worker loop, unique across processes and restarts: what `lease_owner`
/// shows operators.
pub fn owner_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &id[id.len() - 8..])
}

/// One loop of [`run`] with a given registry and poll interval (tests use their own).
pub async fn run_with(
    core: Core,
    registry: std::sync::Arc<Registry>,
    poll: Duration,
    stop: CancellationToken,
) {
    let owner = owner_name();
    tracing::info!(%owner, kinds = ?registry.kinds().collect::<Vec<_>>(), "worker started");
    let mut wake = Wake::new(&core, poll);
    while !stop.is_cancelled() {
        match run_one_until(&core, &registry, &owner, &stop, SHUTDOWN_GRACE).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "worker could not claim a job"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = wake.wait() => {}
        }
    }
    tracing::info!(%owner, "worker stopped");
}

/// Claims and runs one job to its end; `Ok(false)` when none was due.
pub async fn run_one(core: &Core, registry: &Registry) -> DomainResult<bool> {
    let never = CancellationToken::new();
    run_one_until(core, registry, &owner_name(), &never, SHUTDOWN_GRACE).await
}

/// How a claimed job's run ended.
enum Outcome {
    Finished(DomainResult<()>),
    /// The lease is no longer ours (cancelled, or expired and taken): drop the work.
    Lost,
    /// The worker is stopping and the job did not finish in time.
    Released,
}

/// Claims and runs one job as `owner`, renewing its lease; when `stop` is cancelled the job
/// gets `grace` to finish, then is released.
pub async fn run_one_until(
    core: &Core,
    registry: &Registry,
    owner: &str,
    stop: &CancellationToken,
    grace: Duration,
) -> DomainResult<bool> {
    let lease_secs = core.config.job_lease_secs;
    let Some(job) = jobs::claim(&core.db, owner, lease_secs).await? else {
        return Ok(false);
    };
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    async {
        let ctx = JobContext::new(core, &job, owner);
        let work = registry.run(&ctx, &job);
        tokio::pin!(work);
        let mut renew = tokio::time::interval(jobs::renew_every(lease_secs));
        renew.tick().await;
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        let mut stopping = false;
        let outcome = loop {
            tokio::select! {
                r = &mut work => break Outcome::Finished(r),
                _ = renew.tick() => {
                    if !jobs::renew(&core.db, job.id, owner, lease_secs).await? {
                        break Outcome::Lost;
                    }
                }
                () = stop.cancelled(), if !stopping => {
                    stopping = true;
                    deadline.as_mut().reset(tokio::time::Instant::now() + grace);
                }
                () = &mut deadline, if stopping => break Outcome::Released,
            }
        };
        let held = match outcome {
            Outcome::Finished(Ok(())) => jobs::complete(&core.db, job.id, owner).await?,
            Outcome::Finished(Err(e)) => {
                tracing::warn!(error = %e, "job failed");
                jobs::fail(&core.db, &job, owner, &e.to_string()).await?
            }
            Outcome::Lost => false,
            Outcome::Released => {
                tracing::info!("shutting down: job released unfinished");
                jobs::release(&core.db, &job, owner).await?
            }
        };
        if !held {
            tracing::info!("the job was cancelled or taken over; its outcome is not recorded");
        }
        DomainResult::Ok(())
    }
    .instrument(span)
    .await?;
    Ok(true)
}

/// The idle wait: `BLPOP` on the wake-up list over one dedicated connection (a blocking
/// command would stall a shared one), or a plain sleep without Redis.
struct Wake {
    local: std::sync::Arc<tokio::sync::Notify>,
    client: Option<redis::Client>,
    conn: Option<MultiplexedConnection>,
    key: String,
    poll: Duration,
}

impl Wake {
    fn new(core: &Core, poll: Duration) -> Self {
        let client = core.config.redis_url.as_deref().and_then(|url| {
            redis::Client::open(url)
                .inspect_err(|e| tracing::warn!(error = %e, "no Redis wake-ups"))
                .ok()
        });
        Self {
            local: core.local_wake.clone(),
            client,
            conn: None,
            key: jobs::wake_key(&core.config.redis_prefix),
            poll,
        }
    }

    /// Until a job may be due: a wake-up of this process, one through Redis, or `poll`.
    async fn wait(&mut self) {
        let local = self.local.clone();
        tokio::select! {
            () = local.notified() => {}
            () = self.wait_remote() => {}
        }
    }

    async fn wait_remote(&mut self) {
        let Some(client) = &self.client else {
            return tokio::time::sleep(self.poll).await;
        };
        if self.conn.is_none() {
            // The blocking pop answers after `poll` at most; give the reply time to arrive.
            let config = redis::AsyncConnectionConfig::new()
                .set_response_timeout(Some(self.poll + Duration::from_secs(5)));
            match client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(conn) => self.conn = Some(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "Redis unreachable; polling");
                    return tokio::time::sleep(self.poll).await;
                }
            }
        }
        let Some(conn) = &mut self.conn else { return };
        let popped: redis::RedisResult<Option<(String, String)>> = redis::cmd("BLPOP")
            .arg(&self.key)
            .arg(self.poll.as_secs_f64())
            .query_async(conn)
            .await;
        if let Err(e) = popped {
            tracing::warn!(error = %e, "Redis wake-up failed; reconnecting");
            self.conn = None;
            tokio::time::sleep(self.poll).await;
        }
    }
}
