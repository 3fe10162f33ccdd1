//! The job outbox: side effects are rows written in the transaction of the change that needs
//! them, and workers claim due rows with a lease.
//!
//! A kind of job is a type implementing [`Job`]: the value is the payload, [`Job::KIND`] names
//! it in the `jobs` table, and [`Job::run`] does the work. [`enqueue`] takes the typed value,
//! so a row's kind and payload cannot disagree; the worker's [`Registry`] turns a claimed row
//! back into its type. A row whose kind nobody registered, or whose payload no longer decodes,
//! fails like any other job (retried, then `dead`), with the reason in `last_error`.
//!
//! Lifecycle ([`JobStatus`]): `queued` → `running` → `succeeded`; a failure is `failed`
//! (queued again after an exponential backoff with jitter) until `max_attempts`, then `dead`,
//! which stays for an operator to read and retry. An operator may also cancel a job that has
//! not finished (`cancelled`); a running one stops at its next lease renewal.
//!
//! A claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional update on SQLite, whose
//! one writer serializes claims anyway) writes the worker's name to `lease_owner` and a lease
//! (`job_lease_secs` of the configuration, [`DEFAULT_LEASE_SECS`] by default) to `locked_until`; the worker renews the lease while the job runs, and
//! every later write of the job is conditional on still holding it. A worker that dies
//! mid-job stops renewing, its lease expires, and another worker takes the job again, so
//! every job must be idempotent (rule 3 of `docs/ARCHITECTURE.md`).
//!
//! Redis, when configured, only wakes idle workers early (rule 2): [`Queued::wake`], called
//! after the enqueuing transaction commits, pushes to `<prefix>jobs:wake`, where idle workers
//! wait with `BLPOP`. A lost wake-up delays a job by one poll interval, nothing more.

use std::{collections::HashMap, future::Future, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    core::Core,
    entities::job,
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
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

    /// The tenant the job is about, if any: that tenant sees it at
    /// `GET /v1/tenants/{t}/jobs`.
    fn tenant(&self) -> Option<TenantId> {
        None
    }

    fn run(&self, ctx: &JobContext<'_>) -> impl Future<Output = DomainResult<()>> + Send;
}

/// What a running job knows of itself: the core, its row, and the worker holding its lease.
pub struct JobContext<'a> {
    pub core: &'a Core,
    pub id: Uuid,
    /// This attempt, from 1.
    pub attempt: i32,
    /// Attempts before the job is `dead`: when `attempt` reaches it, a failure is final.
    pub max_attempts: i32,
    owner: &'a str,
}

impl<'a> JobContext<'a> {
    /// The context of a job claimed by `owner`.
    pub fn new(core: &'a Core, job: &job::Model, owner: &'a str) -> Self {
        Self {
            core,
            id: job.id,
            attempt: job.attempts,
            max_attempts: job.max_attempts,
            owner,
        }
    }

    /// Whether a failure of this attempt makes the job `dead` (no attempt follows).
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }

    /// Records progress (`done` of `total`, and what is being done), readable through the
    /// API while the job runs. Written only while this worker holds the lease.
    pub async fn progress(&self, done: u64, total: Option<u64>, message: &str) -> DomainResult<()> {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        while_held(
            &self.core.db,
            self.id,
            self.owner,
            job::Entity::update_many()
                .col_expr(job::Column::ProgressDone, as_i64(done).into())
                .col_expr(job::Column::ProgressTotal, total.map(as_i64).into())
                .col_expr(
                    job::Column::ProgressMessage,
                    Some(message.chars().take(500).collect::<String>()).into(),
                ),
        )
        .await?;
        Ok(())
    }
}

/// A type-erased [`Job::run`]: decodes the payload, then runs it.
type RunFn =
    for<'a> fn(&'a JobContext<'a>, &'a serde_json::Value) -> BoxFuture<'a, DomainResult<()>>;

fn run_erased<'a, J: Job>(
    ctx: &'a JobContext<'a>,
    payload: &'a serde_json::Value,
) -> BoxFuture<'a, DomainResult<()>> {
    Box::pin(async move {
        let job = J::deserialize(payload).map_err(|e| {
            job_error(format!(
                "the payload of a {} job does not decode: {e}",
                J::KIND
            ))
        })?;
        job.run(ctx).await
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
    pub async fn run(&self, ctx: &JobContext<'_>, job: &job::Model) -> DomainResult<()> {
        match self.kinds.get(job.kind.as_str()) {
            Some(run) => run(ctx, &job.payload).await,
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
    /// Wakes one idle worker of this process, and one of any process through Redis (when
    /// configured), if the job is due now. Only a hint: a failure is logged, and the job
    /// still runs at the next poll.
    pub async fn wake(self, core: &Core) {
        if self.run_at > Utc::now() {
            return;
        }
        // This process's idle worker (the embedded one) at once, without Redis.
        core.local_wake.notify_one();
        let Some(redis) = &core.redis else { return };
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

/// Where a job is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its `run_at`, or for a free worker.
    Queued,
    /// Held by a worker (`lease_owner`) until `locked_until`, which the worker renews.
    Running,
    Succeeded,
    /// The last attempt failed (`last_error`); queued again at `run_at`.
    Failed,
    /// Failed `max_attempts` times; stays until an operator retries it.
    Dead,
    /// Stopped by an operator before it finished.
    Cancelled,
}

impl JobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }
}

/// How long a claimed job is reserved for its worker without a renewal, unless configured
/// (`job_lease_secs`): also how long a job of a worker that died waits to be taken again.
pub const DEFAULT_LEASE_SECS: u64 = 60;

/// How often a worker renews a lease of `lease_secs`: three times per lease, so one late
/// renewal does not lose it.
pub fn renew_every(lease_secs: u64) -> StdDuration {
    StdDuration::from_millis(lease_secs.max(1) * 1000 / 3)
}

fn lease_end(now: DateTime<Utc>, lease_secs: u64) -> DateTime<Utc> {
    now + Duration::seconds(i64::try_from(lease_secs.max(1)).unwrap_or(i64::MAX / 1000))
}

/// Inserts `job`, inside the caller's transaction; `run_at` `None` means now. Wake the
/// workers with the answer once that transaction has committed.
pub async fn enqueue<J: Job, C: ConnectionTrait>(
    db: &C,
    job: &J,
    run_at: Option<DateTime<Utc>>,
) -> DomainResult<Queued> {
    insert(db, job, run_at, None).await
}

/// Inserts `job` under `key` unless a job with that key is still `queued` (not yet claimed),
/// which will do the same work when it runs: a burst of changes makes one job, not one per
/// change. A job already running does not count, since it may have read the state before
/// this change. `None` when coalesced. Two transactions racing here may both insert; jobs
/// are idempotent, so that costs a run, nothing more.
pub async fn enqueue_coalesced<J: Job, C: ConnectionTrait>(
    db: &C,
    job: &J,
    key: &str,
) -> DomainResult<Option<Queued>> {
    if queued_with_key(db, key).await?.is_some() {
        return Ok(None);
    }
    insert(db, job, None, Some(key)).await.map(Some)
}

/// The update that cancels a job: no further run, its lease dropped (a worker still
/// running it notices at its next renewal).
pub(crate) fn cancelling() -> sea_orm::UpdateMany<job::Entity> {
    job::Entity::update_many()
        .col_expr(job::Column::Status, JobStatus::Cancelled.as_str().into())
        .col_expr(job::Column::FinishedAt, Some(Utc::now()).into())
        .col_expr(
            job::Column::LockedUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(job::Column::LeaseOwner, Option::<String>::None.into())
}

/// Cancels job `id` unless it has finished, inside the caller's transaction (the service
/// whose object the job works on decides who may; `job_admin::cancel` is the operator's
/// way). A running job is dropped by its worker at the next lease renewal.
pub(crate) async fn cancel_unfinished<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<()> {
    cancelling()
        .col_expr(job::Column::UpdatedAt, Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.is_in([
            JobStatus::Queued.as_str(),
            JobStatus::Failed.as_str(),
            JobStatus::Running.as_str(),
        ]))
        .exec(db)
        .await?;
    Ok(())
}

/// The job queued (not yet claimed) under coalescing `key`, if any.
pub async fn queued_with_key<C: ConnectionTrait>(db: &C, key: &str) -> DomainResult<Option<Uuid>> {
    Ok(job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::CoalesceKey.eq(key))
        .filter(job::Column::Status.eq(JobStatus::Queued.as_str()))
        .into_tuple()
        .one(db)
        .await?)
}

async fn insert<J: Job, C: ConnectionTrait>(
    db: &C,
    job: &J,
    run_at: Option<DateTime<Utc>>,
    coalesce_key: Option<&str>,
) -> DomainResult<Queued> {
    let payload = serde_json::to_value(job).map_err(DomainError::internal)?;
    let tenant_id = job.tenant().map(|t| t.0);
    let now = Utc::now();
    let id = Uuid::now_v7();
    let run_at = run_at.unwrap_or(now);
    job::Entity::insert(job::ActiveModel {
        id: Set(id),
        kind: Set(J::KIND.into()),
        payload: Set(payload),
        status: Set(JobStatus::Queued.as_str().into()),
        attempts: Set(0),
        max_attempts: Set(J::MAX_ATTEMPTS),
        run_at: Set(run_at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        tenant_id: Set(tenant_id),
        progress_done: Set(0),
        progress_total: Set(None),
        progress_message: Set(None),
        lease_owner: Set(None),
        started_at: Set(None),
        finished_at: Set(None),
        coalesce_key: Set(coalesce_key.map(str::to_owned)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(Queued { id, run_at })
}

/// Whether a row is due: queued or failed and due, or running with an expired lease.
fn due(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(
                    job::Column::Status
                        .is_in([JobStatus::Queued.as_str(), JobStatus::Failed.as_str()]),
                )
                .add(job::Column::RunAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(job::Column::Status.eq(JobStatus::Running.as_str()))
                .add(job::Column::LockedUntil.lt(now)),
        )
}

/// Claims one due job for the worker `owner`, oldest `run_at` first.
///
/// On PostgreSQL one statement picks and takes the row, skipping rows other workers are
/// taking (`FOR UPDATE SKIP LOCKED`), so competing workers never wait on each other; its
/// `WHERE` is the condition of [`due`], in SQL. SQLite
/// has one writer: a conditional update (the row is still as it was read) is enough, and a
/// lost race only means looking again.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    lease_secs: u64,
) -> DomainResult<Option<job::Model>> {
    let now = Utc::now();
    let lease = lease_end(now, lease_secs);
    if db.get_database_backend() == DbBackend::Postgres {
        let sql = "UPDATE jobs SET status = $1, attempts = attempts + 1, lease_owner = $2, \
                   locked_until = $3, started_at = $4, finished_at = NULL, updated_at = $4 \
                   WHERE id = (SELECT id FROM jobs \
                     WHERE (status IN ($5, $6) AND run_at <= $4) OR (status = $1 AND locked_until < $4) \
                     ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
                   RETURNING *";
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                JobStatus::Running.as_str().into(),
                owner.into(),
                lease.into(),
                now.into(),
                JobStatus::Queued.as_str().into(),
                JobStatus::Failed.as_str().into(),
            ],
        );
        return Ok(job::Entity::find().from_raw_sql(stmt).one(db).await?);
    }
    for _ in 0..5 {
        let candidate = job::Entity::find()
            .filter(due(now))
            .order_by_asc(job::Column::RunAt)
            .limit(1)
            .one(db)
            .await?;
        let Some(candidate) = candidate else {
            return Ok(None);
        };
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, JobStatus::Running.as_str().into())
            .col_expr(job::Column::LockedUntil, Some(lease).into())
            .col_expr(job::Column::LeaseOwner, Some(owner).into())
            .col_expr(job::Column::Attempts, (candidate.attempts + 1).into())
            .col_expr(job::Column::StartedAt, Some(now).into())
            .col_expr(
                job::Column::FinishedAt,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(job::Column::UpdatedAt, now.into())
            .filter(job::Column::Id.eq(candidate.id))
            .filter(job::Column::Attempts.eq(candidate.attempts))
            .filter(job::Column::Status.eq(candidate.status.clone()))
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            return Ok(Some(job::Model {
                status: JobStatus::Running.as_str().into(),
                attempts: candidate.attempts + 1,
                locked_until: Some(lease),
                lease_owner: Some(owner.to_owned()),
                started_at: Some(now),
                finished_at: None,
                ..candidate
            }));
        }
        // Another worker won this one; look again.
    }
    Ok(None)
}

/// An update of the job `id` that applies only while `owner` holds its lease (it may have
/// expired and been taken, or the job been cancelled). Tells whether it applied.
async fn while_held<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    owner: &str,
    update: sea_orm::UpdateMany<job::Entity>,
) -> DomainResult<bool> {
    let res = update
        .col_expr(job::Column::UpdatedAt, Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LeaseOwner.eq(owner))
        .filter(job::Column::Status.eq(JobStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Extends the lease of a running job; `false` when the worker no longer holds it (the job
/// was cancelled, or the lease expired and another worker took it): stop working on it.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    owner: &str,
    lease_secs: u64,
) -> DomainResult<bool> {
    let lease = lease_end(Utc::now(), lease_secs);
    while_held(
        db,
        id,
        owner,
        job::Entity::update_many().col_expr(job::Column::LockedUntil, Some(lease).into()),
    )
    .await
}

/// Marks a job the worker holds as succeeded.
pub async fn complete<C: ConnectionTrait>(db: &C, id: Uuid, owner: &str) -> DomainResult<bool> {
    let now = Utc::now();
    while_held(
        db,
        id,
        owner,
        job::Entity::update_many()
            .col_expr(job::Column::Status, JobStatus::Succeeded.as_str().into())
            .col_expr(
                job::Column::LockedUntil,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(job::Column::FinishedAt, Some(now).into()),
    )
    .await
}

/// The wait before attempt `attempts + 1`: `2^attempts` seconds capped at an hour, times a
/// random factor in [0.5, 1) so that jobs failing together do not retry together.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 12)).unwrap_or(12);
    let base_ms = 2_i64.saturating_pow(exp).min(3600) * 1000;
    let permille: i64 = rand::random_range(500..1000);
    Duration::milliseconds(base_ms * permille / 1000)
}

/// Records a failure of a job the worker holds: `failed` and due again after
/// [`backoff`], or `dead` after its last attempt.
pub async fn fail<C: ConnectionTrait>(
    db: &C,
    job: &job::Model,
    owner: &str,
    error: &str,
) -> DomainResult<bool> {
    let now = Utc::now();
    let dead = job.attempts >= job.max_attempts;
    let status = if dead {
        JobStatus::Dead
    } else {
        JobStatus::Failed
    };
    while_held(
        db,
        job.id,
        owner,
        job::Entity::update_many()
            .col_expr(job::Column::Status, status.as_str().into())
            .col_expr(job::Column::RunAt, (now + backoff(job.attempts)).into())
            .col_expr(
                job::Column::LockedUntil,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(job::Column::FinishedAt, dead.then_some(now).into())
            .col_expr(
                job::Column::LastError,
                Some(error.chars().take(2000).collect::<String>()).into(),
            ),
    )
    .await
}

/// Gives a job back unfinished (the worker is shutting down): queued again at once, and the
/// attempt it was in does not count.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    job: &job::Model,
    owner: &str,
) -> DomainResult<bool> {
    while_held(
        db,
        job.id,
        owner,
        job::Entity::update_many()
            .col_expr(job::Column::Status, JobStatus::Queued.as_str().into())
            .col_expr(job::Column::RunAt, Utc::now().into())
            .col_expr(
                job::Column::LockedUntil,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(job::Column::LeaseOwner, Option::<String>::None.into())
            .col_expr(job::Column::Attempts, (job.attempts - 1).max(0).into()),
    )
    .await
}

/// Whether a job of kind `J` is waiting or running (so periodic jobs are not queued twice).
pub async fn pending_exists<J: Job, C: ConnectionTrait>(db: &C) -> DomainResult<bool> {
    Ok(job::Entity::find()
        .filter(job::Column::Kind.eq(J::KIND))
        .filter(job::Column::Status.is_in([
            JobStatus::Queued.as_str(),
            JobStatus::Running.as_str(),
            JobStatus::Failed.as_str(),
        ]))
        .one(db)
        .await?
        .is_some())
}

/// Deletes succeeded and cancelled jobs older than a week (dead ones stay for operators).
pub async fn purge_done<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    let res = job::Entity::delete_many()
        .filter(
            job::Column::Status
                .is_in([JobStatus::Succeeded.as_str(), JobStatus::Cancelled.as_str()]),
        )
        .filter(job::Column::UpdatedAt.lt(Utc::now() - Duration::days(7)))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
