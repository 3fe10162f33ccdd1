//! The job outbox: side effects are rows written in the transaction of the change that needs
//! them, and workers claim due rows with a lease.
//!
//! A claim sets `locked_until`; a worker that dies mid-job loses its lease and another worker
//! takes the job again later, so every job handler must be idempotent (ARCHITECTURE rule 3).
//! Failures are retried with exponential backoff until `max_attempts`, then the job is `dead`
//! and stays for an operator to read.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{entities::job, error::DomainResult};

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_DONE: &str = "done";
pub const STATUS_DEAD: &str = "dead";

/// How long a claimed job is reserved for its worker.
pub const LEASE_SECS: i64 = 300;

/// Inserts a job, inside the caller's transaction; `run_at` `None` means now.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    payload: Value,
    run_at: Option<DateTime<Utc>>,
) -> DomainResult<Uuid> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    job::Entity::insert(job::ActiveModel {
        id: Set(id),
        kind: Set(kind.into()),
        payload: Set(payload),
        status: Set(STATUS_PENDING.into()),
        attempts: Set(0),
        max_attempts: Set(10),
        run_at: Set(run_at.unwrap_or(now)),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
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

/// Whether a job of `kind` is already pending (so periodic jobs are not queued twice).
pub async fn pending_exists<C: ConnectionTrait>(db: &C, kind: &str) -> DomainResult<bool> {
    Ok(job::Entity::find()
        .filter(job::Column::Kind.eq(kind))
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
