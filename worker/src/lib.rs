//! `centralita-worker`: runs the jobs of the outbox (`centralita_domain::services::jobs`).
//!
//! The loop claims one due job at a time (with a lease), hands it to the handler of its
//! kind, and marks it done or failed (retried with backoff). It sleeps between polls, and is
//! woken early through Redis (`BLPOP <prefix>jobs:wake`) when Redis is configured; the
//! database stays the truth, so a lost wake-up only delays a job by one poll interval.
//!
//! Handlers live here, one function per job kind; each must be idempotent.

use std::time::Duration;

use centralita_domain::{
    Core, DomainError, DomainResult,
    entities::job,
    services::{auth, idempotency, jobs},
    storage,
};
use tokio_util::sync::CancellationToken;

/// Periodic clean-up of expired records; requeues itself.
pub const HOUSEKEEPING: &str = "housekeeping";

/// How long the loop waits for work before polling again.
const POLL: Duration = Duration::from_secs(1);

/// Runs until `stop` is cancelled; the job in hand is finished first.
pub async fn run(core: Core, stop: CancellationToken) {
    tracing::info!("worker started");
    if let Err(e) = schedule_housekeeping(&core).await {
        tracing::warn!(error = %e, "could not schedule housekeeping");
    }
    let mut wake = match &core.config.redis_url {
        Some(url) => redis::Client::open(url.as_str()).ok(),
        None => None,
    };
    while !stop.is_cancelled() {
        match run_one(&core).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "worker could not claim a job"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = wait_for_wake(&core, &mut wake) => {}
        }
    }
    tracing::info!("worker stopped");
}

async fn wait_for_wake(core: &Core, client: &mut Option<redis::Client>) {
    if let Some(c) = client
        && let Ok(mut conn) = c.get_multiplexed_async_connection().await
    {
        let key = format!("{}jobs:wake", core.config.redis_prefix);
        let _: Result<Option<(String, String)>, _> = redis::cmd("BLPOP")
            .arg(&key)
            .arg(POLL.as_secs_f64())
            .query_async(&mut conn)
            .await;
        return;
    }
    tokio::time::sleep(POLL).await;
}

/// Claims and runs one job; `Ok(false)` when none was due.
pub async fn run_one(core: &Core) -> DomainResult<bool> {
    let Some(job) = jobs::claim(&core.db).await? else {
        return Ok(false);
    };
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    let _enter = span.enter();
    match handle(core, &job).await {
        Ok(()) => jobs::complete(&core.db, job.id).await?,
        Err(e) => {
            tracing::warn!(error = %e, "job failed");
            jobs::fail(&core.db, &job, &e.to_string()).await?;
        }
    }
    Ok(true)
}

async fn handle(core: &Core, job: &job::Model) -> DomainResult<()> {
    match job.kind.as_str() {
        HOUSEKEEPING => housekeeping(core).await,
        other => Err(DomainError::internal(format!(
            "no handler for job kind {other}"
        ))),
    }
}

/// Purges idempotency records past retention, finished jobs, expired refresh tokens and
/// stored files no row names, then queues the next run in an hour. Running it twice just finds less to delete.
async fn housekeeping(core: &Core) -> DomainResult<()> {
    let keys = idempotency::purge(&core.db).await?;
    let done = jobs::purge_done(&core.db).await?;
    let tokens = auth::purge_expired_refresh_tokens(&core.db).await?;
    let files = storage::sweep_orphans(&core.db, &core.config.data_dir).await?;
    tracing::info!(
        idempotency_keys = keys,
        jobs = done,
        refresh_tokens = tokens,
        orphan_files = files,
        "housekeeping"
    );
    jobs::enqueue(
        &core.db,
        HOUSEKEEPING,
        serde_json::json!({}),
        Some(chrono::Utc::now() + chrono::Duration::hours(1)),
    )
    .await?;
    Ok(())
}

async fn schedule_housekeeping(core: &Core) -> DomainResult<()> {
    if !jobs::pending_exists(&core.db, HOUSEKEEPING).await? {
        jobs::enqueue(&core.db, HOUSEKEEPING, serde_json::json!({}), None).await?;
    }
    Ok(())
}
