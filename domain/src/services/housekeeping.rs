//! Housekeeping: the periodic clean-up job, and the first [`Job`] kind.
//!
//! It purges idempotency records past retention, finished jobs, expired refresh tokens and
//! stored files no row names, queues a reconcile of every provisioned switch node, then
//! queues its next run in an hour. Running it twice just
//! finds less to delete.

use serde::{Deserialize, Serialize};

use crate::{
    core::Core,
    error::DomainResult,
    services::{
        auth, idempotency,
        jobs::{self, Job, JobContext},
    },
};

/// How long between two runs.
const EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The payload carries nothing: every run looks at the whole database.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Housekeeping {}

impl Job for Housekeeping {
    const KIND: &'static str = "housekeeping";

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let core = ctx.core;
        let keys = idempotency::purge(&core.db).await?;
        let done = jobs::purge_done(&core.db).await?;
        let tokens = auth::purge_expired_refresh_tokens(&core.db).await?;
        let files = core.files.sweep_orphans(&core.db).await?;
        // Every provisioned node is compared with the desired state at least hourly, so
        // drift nobody asked about is found and repaired.
        let reconciles = crate::switch::provisioning::job::enqueue_all(&core.db, &[None]).await?;
        let installs = crate::installs::sweep_orphans(core).await?;
        tracing::info!(
            idempotency_keys = keys,
            jobs = done,
            refresh_tokens = tokens,
            orphan_files = files,
            node_reconciles = reconciles.len(),
            orphan_installs = installs,
            "housekeeping"
        );
        // A later run needs no wake-up: the worker polls.
        let _next = jobs::enqueue(&core.db, self, Some(chrono::Utc::now() + EVERY)).await?;
        Ok(())
    }
}

/// Queues a run now unless one is already pending (each worker calls this at start).
pub async fn schedule(core: &Core) -> DomainResult<()> {
    if !jobs::pending_exists::<Housekeeping, _>(&core.db).await? {
        jobs::enqueue(&core.db, &Housekeeping {}, None)
            .await?
            .wake(core)
            .await;
    }
    Ok(())
}
