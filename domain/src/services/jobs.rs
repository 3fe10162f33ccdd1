//! The job outbox: side effects are rows written in the transaction of the change that needs
//! them, and workers claim due rows with a lease.
//!
//! A kind of job is a type implementing [`Job`]: the value is the payload, [`Job::KIND`] names
//! it in the `jobs` table, and [`Job::run`] does the work. [`enqueue`] takes the typed value,
//! so a row's kind and payload cannot disagree; the worker's [`Registry`] turns a claimed row
//! back into its type. A row whose kind nobody registered, or whose payload no longer decodes,
//! fails like any other job (retried, then `dead`), with the reason in `last_error`.
//!
//! A claim sets `locked_until`; a worker that dies mid-job loses its lease and another worker
//! takes the job again later, so every job must be idempotent (rule 3 of
//! `docs/ARCHITECTURE.md`). Failures are retried with exponential backoff until
//! `max_attempts`, then the job is `dead` and stays for an operator to read.
//!
//! Redis, when configured, only wakes idle workers early (rule 2): [`Queued::wake`], called
//! after the enqueuing transaction commits, pushes to `<prefix>jobs:wake`, where idle workers
//! wait with `BLPOP`. A lost wake-up delays a job by one poll interval, nothing more.

use std::{collections::HashMap, future::Future, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::{
    core::Core,
    entities::job,
    error::{DomainError, DomainResult, ErrorCode},
};

/// A kind of background job; the implementing value is its payload.
///
/// `run` must be idempotent: a job is run again after a crash or an error, and running it twice
/// must do no more than running it once.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name stored in `jobs.kind`; never renamed once rows of it may exist.
    const KIND: &'static str;
    /// Attempts before the job is `dead`.
    const MAX_ATTEMPTS: i32 = 10;

    fn run(&self, core: &Core) -> impl Future<Output = DomainResult<()>> + Send;
}

/// A type-erased [`Job::run`]: decodes the payload, then runs it.
type RunFn = for<'a> fn(&'a Core, &'a serde_json::Value) -> BoxFuture<'a, DomainResult<()>>;

fn run_erased<'a, J: Job>(
    core: &'a Core,
    payload: &'a serde_json::Value,
) -> BoxFuture<'a, DomainResult<()>> {
    Box::pin(async move {
        let job = J::deserialize(payload).map_err(|e| {
            job_error(format!(
                "the payload of a {} job does not decode: {e}",
                J::KIND
            ))
        })?;
        job.run(core).await
    })
}

/// A failure the worker records on the job row; the message is for operators.
fn job_error(message: String) -> DomainError {
    tracing::error!(error = %message, "job cannot run");
    DomainError::new(ErrorCode::Internal, message)
}

/// Every job kind a worker runs, by name: the one place kinds are registered.
#[derive(Default)]
pub struct Registry {
    kinds: HashMap<&'static str, RunFn>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `J`; registering a kind twice is a bug (the later one would win silently).
    pub fn register<J: Job>(mut self) -> Self {
        let previous = self.kinds.insert(J::KIND, run_erased::<J>);
        debug_assert!(previous.is_none(), "job kind {} registered twice", J::KIND);
        self
    }

    /// The registered kinds, for logs and tests.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }

    /// Runs a claimed job: an unknown kind or an undecodable payload is a failure of that job.
    pub async fn run(&self, core: &Core, job: &job::Model) -> DomainResult<()> {
        match self.kinds.get(job.kind.as_str()) {
            Some(run) => run(core, &job.payload).await,
            None => Err(job_error(format!(
                "no job kind {:?} is registered",
                job.kind
            ))),
        }
    }
}

/// A job row just inserted. Call [`Queued::wake`] once the transaction that inserted it has
/// committed, so that an idle worker picks it up at once rather than at its next poll.
#[derive(Debug, Clone, Copy)]
#[must_use = "call .wake(core) after the enqueuing transaction commits"]
pub struct Queued {
    pub id: Uuid,
    run_at: DateTime<Utc>,
}

impl Queued {
    /// Wakes one idle worker through Redis (when configured and the job is due now). Only a
    /// hint: a failure is logged, and the job still runs at the next poll.
    pub async fn wake(self, core: &Core) {
        let Some(redis) = &core.redis else { return };
        if self.run_at > Utc::now() {
            return;
        }
        let key = wake_key(&core.config.redis_prefix);
        let mut conn = redis.clone();
        // Bounded: a wake-up nobody waits for must not pile up.
        let mut pipe = redis::pipe();
        pipe.rpush(&key, self.id.to_string())
            .ignore()
            .ltrim(&key, -16, -1)
            .ignore();
        let push = pipe.query_async::<()>(&mut conn);
        match tokio::time::timeout(StdDuration::from_secs(1), push).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not wake the workers"),
            Err(_) => tracing::warn!("could not wake the workers: Redis did not answer"),
        }
    }
}

/// The Redis list idle workers wait on.
pub fn wake_key(prefix: &str) -> String {
    format!("{prefix}jobs:wake")
}

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_DONE: &str = "done";
pub const STATUS_DEAD: &str = "dead";

/// How long a claimed job is reserved for its worker.
pub const LEASE_SECS: i64 = 300;

/// Inserts `job`, inside the caller's transaction; `run_at` `None` means now. Wake the
/// workers with the answer once that transaction has committed.
pub async fn enqueue<J: Job, C: ConnectionTrait>(
    db: &C,
    job: &J,
    run_at: Option<DateTime<Utc>>,
) -> DomainResult<Queued> {
    let payload = serde_json::to_value(job).map_err(DomainError::internal)?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let run_at = run_at.unwrap_or(now);
    job::Entity::insert(job::ActiveModel {
        id: Set(id),
        kind: Set(J::KIND.into()),
        payload: Set(payload),
        status: Set(STATUS_PENDING.into()),
        attempts: Set(0),
        max_attempts: Set(J::MAX_ATTEMPTS),
        run_at: Set(run_at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(Queued { id, run_at })
}

/// Claims one due job (pending and due, or running with an expired lease). The conditional
/// update makes the claim safe between competing workers on both backends.
pub async fn claim<C: ConnectionTrait>(db: &C) -> DomainResult<Option<job::Model>> {
    let now = Utc::now();
    for _ in 0..5 {
        let candidate = job::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(job::Column::Status.eq(STATUS_PENDING))
                            .add(job::Column::RunAt.lte(now)),
                    )
                    .add(
                        Condition::all()
                            .add(job::Column::Status.eq(STATUS_RUNNING))
                            .add(job::Column::LockedUntil.lt(now)),
                    ),
            )
            .order_by_asc(job::Column::RunAt)
            .limit(1)
            .one(db)
            .await?;
        let Some(candidate) = candidate else {
            return Ok(None);
        };
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, STATUS_RUNNING.into())
            .col_expr(
                job::Column::LockedUntil,
                Some(now + Duration::seconds(LEASE_SECS)).into(),
            )
            .col_expr(job::Column::Attempts, (candidate.attempts + 1).into())
            .col_expr(job::Column::UpdatedAt, now.into())
            .filter(job::Column::Id.eq(candidate.id))
            .filter(job::Column::Attempts.eq(candidate.attempts))
            .filter(job::Column::Status.eq(candidate.status.clone()))
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            return Ok(Some(job::Model {
                status: STATUS_RUNNING.into(),
                attempts: candidate.attempts + 1,
                ..candidate
            }));
        }
        // Another worker won this one; look again.
    }
    Ok(None)
}

pub async fn complete<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<()> {
    job::Entity::update_many()
        .col_expr(job::Column::Status, STATUS_DONE.into())
        .col_expr(
            job::Column::LockedUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(job::Column::UpdatedAt, Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failure: retried after `2^attempts` seconds (capped at an hour), or dead.
pub async fn fail<C: ConnectionTrait>(db: &C, job: &job::Model, error: &str) -> DomainResult<()> {
    let now = Utc::now();
    let dead = job.attempts >= job.max_attempts;
    let backoff = Duration::seconds(
        2_i64
            .saturating_pow(job.attempts.clamp(0, 12) as u32)
            .min(3600),
    );
    job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            if dead { STATUS_DEAD } else { STATUS_PENDING }.into(),
        )
        .col_expr(job::Column::RunAt, (now + backoff).into())
        .col_expr(
            job::Column::LockedUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(
            job::Column::LastError,
            Some(error.chars().take(2000).collect::<String>()).into(),
        )
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Id.eq(job.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a job of kind `J` is already pending (so periodic jobs are not queued twice).
pub async fn pending_exists<J: Job, C: ConnectionTrait>(db: &C) -> DomainResult<bool> {
    Ok(job::Entity::find()
        .filter(job::Column::Kind.eq(J::KIND))
        .filter(job::Column::Status.is_in([STATUS_PENDING, STATUS_RUNNING]))
        .one(db)
        .await?
        .is_some())
}

/// Deletes finished jobs older than a week.
pub async fn purge_done<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    let res = job::Entity::delete_many()
        .filter(job::Column::Status.eq(STATUS_DONE))
        .filter(job::Column::UpdatedAt.lt(Utc::now() - Duration::days(7)))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
