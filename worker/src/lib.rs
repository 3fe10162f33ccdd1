//! `centralita-worker`: runs the jobs of the outbox (`centralita_domain::services::jobs`).
//!
//! The loop claims one due job at a time (with a lease), hands it to its kind in the
//! [`registry`], and marks it done or failed (retried with backoff, then dead). When nothing is
//! due it waits one poll interval, or less when Redis is configured: idle workers wait on
//! `BLPOP <prefix>jobs:wake`, which `jobs::Queued::wake` pushes to after an enqueuing
//! transaction commits. The database stays the truth, so a lost wake-up only delays a job by
//! one poll interval.

use std::time::Duration;

use centralita_domain::{
    Core, DomainResult,
    services::{
        housekeeping::{self, Housekeeping},
        jobs::{self, Registry},
    },
};
use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How long the loop waits for work before polling again.
pub const POLL: Duration = Duration::from_secs(1);

/// Every job kind this worker runs: register a new kind here.
pub fn registry() -> Registry {
    Registry::new().register::<Housekeeping>()
}

/// Runs until `stop` is cancelled; the job in hand is finished first.
pub async fn run(core: Core, stop: CancellationToken) {
    if let Err(e) = housekeeping::schedule(&core).await {
        tracing::warn!(error = %e, "could not schedule housekeeping");
    }
    run_with(core, registry(), POLL, stop).await;
}

/// The loop of [`run`] with a given registry and poll interval (tests use their own).
pub async fn run_with(core: Core, registry: Registry, poll: Duration, stop: CancellationToken) {
    tracing::info!(kinds = ?registry.kinds().collect::<Vec<_>>(), "worker started");
    let mut wake = Wake::new(&core, poll);
    while !stop.is_cancelled() {
        match run_one(&core, &registry).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "worker could not claim a job"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = wake.wait() => {}
        }
    }
    tracing::info!("worker stopped");
}

/// Claims and runs one job; `Ok(false)` when none was due.
pub async fn run_one(core: &Core, registry: &Registry) -> DomainResult<bool> {
    let Some(job) = jobs::claim(&core.db).await? else {
        return Ok(false);
    };
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    async {
        match registry.run(core, &job).await {
            Ok(()) => jobs::complete(&core.db, job.id).await,
            Err(e) => {
                tracing::warn!(error = %e, "job failed");
                jobs::fail(&core.db, &job, &e.to_string()).await
            }
        }
    }
    .instrument(span)
    .await?;
    Ok(true)
}

/// The idle wait: `BLPOP` on the wake-up list over one dedicated connection (a blocking
/// command would stall a shared one), or a plain sleep without Redis.
struct Wake {
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
            client,
            conn: None,
            key: jobs::wake_key(&core.config.redis_prefix),
            poll,
        }
    }

    async fn wait(&mut self) {
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
