//! Jobs as operators and tenants see them: `/v1/jobs` for platform staff (every job; retry
//! and cancel for platform admins) and `/v1/tenants/{t}/jobs` for a tenant (its own jobs,
//! read-only). The outbox itself — enqueue, claim, lease — is [`super::jobs`].

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    core::Core,
    entities::job,
    error::{DomainError, DomainResult},
    pagination::PageRequest,
    scope::TenantScope,
    services::{audit, from_stored, jobs::JobStatus},
};

/// How far a job got, as its job last reported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobProgress {
    pub done: i64,
    /// Absent while the job does not know its total.
    pub total: Option<i64>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    /// The kind of work, e.g. `housekeeping`.
    pub kind: String,
    pub status: JobStatus,
    /// The tenant the job is about, if any.
    pub tenant_id: Option<Uuid>,
    /// Attempts started so far (a job given back at shutdown does not count one).
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it is due (for a failed job: its next attempt).
    pub run_at: DateTime<Utc>,
    /// Why the last attempt failed. Shown to platform staff only.
    pub last_error: Option<String>,
    pub progress: JobProgress,
    /// The worker holding the job while it runs, and until when.
    pub lease_owner: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    /// When the current or last attempt started, and when the job finished.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl JobView {
    /// The view of a stored row; a status that does not parse is a logged internal error.
    pub fn new(m: &job::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            kind: m.kind.clone(),
            status: from_stored("jobs.status", &m.status)?,
            tenant_id: m.tenant_id,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            run_at: m.run_at,
            last_error: m.last_error.clone(),
            progress: JobProgress {
                done: m.progress_done,
                total: m.progress_total,
                message: m.progress_message.clone(),
            },
            lease_owner: m.lease_owner.clone(),
            locked_until: m.locked_until,
            started_at: m.started_at,
            finished_at: m.finished_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    /// What a tenant sees: everything but the operators' error text, which may name
    /// internals.
    fn for_tenant(m: &job::Model) -> DomainResult<Self> {
        Ok(Self {
            last_error: None,
            ..Self::new(m)?
        })
    }
}

crate::page_type!(JobPage, JobView);

/// Filters of `GET /v1/jobs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    pub kind: Option<String>,
    pub status: Option<JobStatus>,
    pub tenant_id: Option<Uuid>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// Filters of `GET /v1/tenants/{t}/jobs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantJobListQuery {
    pub kind: Option<String>,
    pub status: Option<JobStatus>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

fn require(actor: &Actor, perm: PlatformPermission) -> DomainResult<()> {
    match grant_platform(actor.principal.role, perm) {
        Grant::Allow => Ok(()),
        Grant::AllowWithReason | Grant::Deny => Err(DomainError::forbidden(match perm {
            PlatformPermission::ManageJobs => "Only platform admins retry or cancel jobs",
            _ => "Only platform staff see every job; tenants see theirs under their tenant",
        })),
    }
}

fn filtered(
    mut select: Select<job::Entity>,
    kind: Option<&String>,
    status: Option<JobStatus>,
) -> Select<job::Entity> {
    if let Some(k) = kind {
        select = select.filter(job::Column::Kind.eq(k.as_str()));
    }
    if let Some(s) = status {
        select = select.filter(job::Column::Status.eq(s.as_str()));
    }
    select
}

async fn page(
    core: &Core,
    select: Select<job::Entity>,
    limit: Option<u64>,
    cursor: Option<&str>,
    view: fn(&job::Model) -> DomainResult<JobView>,
) -> DomainResult<JobPage> {
    let page = PageRequest::parse(limit, cursor)?;
    let (rows, next_cursor) = page
        .fetch(&core.db, select, job::Column::Id, |m| m.id)
        .await?;
    Ok(JobPage {
        items: rows.iter().map(view).collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

/// Every job, oldest first (platform staff).
pub async fn list(core: &Core, actor: &Actor, query: &JobListQuery) -> DomainResult<JobPage> {
    require(actor, PlatformPermission::ReadJobs)?;
    let mut select = filtered(job::Entity::find(), query.kind.as_ref(), query.status);
    if let Some(t) = query.tenant_id {
        select = select.filter(job::Column::TenantId.eq(t));
    }
    page(
        core,
        select,
        query.limit,
        query.cursor.as_deref(),
        JobView::new,
    )
    .await
}

/// One job (platform staff).
pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<JobView> {
    require(actor, PlatformPermission::ReadJobs)?;
    JobView::new(&find(core, id).await?)
}

/// A tenant's own jobs, oldest first.
pub async fn list_for_tenant(
    scope: &TenantScope,
    core: &Core,
    query: &TenantJobListQuery,
) -> DomainResult<JobPage> {
    scope.authorize(Permission::JobRead)?;
    let select = filtered(
        scope.select::<job::Entity>(),
        query.kind.as_ref(),
        query.status,
    );
    page(
        core,
        select,
        query.limit,
        query.cursor.as_deref(),
        JobView::for_tenant,
    )
    .await
}

/// Queues a failed, dead or cancelled job again, due now, with its attempts counted from
/// zero (platform admins). 409 for a job that is queued, running or has succeeded.
pub async fn retry(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<JobView> {
    require(actor, PlatformPermission::ManageJobs)?;
    let now = Utc::now();
    transition(
        core,
        actor,
        id,
        "job.retry",
        &[JobStatus::Failed, JobStatus::Dead, JobStatus::Cancelled],
        job::Entity::update_many()
            .col_expr(job::Column::Status, JobStatus::Queued.as_str().into())
            .col_expr(job::Column::RunAt, now.into())
            .col_expr(job::Column::Attempts, 0.into())
            .col_expr(
                job::Column::FinishedAt,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(
                job::Column::LockedUntil,
                Option::<DateTime<Utc>>::None.into(),
            )
            .col_expr(job::Column::LeaseOwner, Option::<String>::None.into()),
    )
    .await
}

/// Cancels a job that has not finished (platform admins): a queued or failed job never
/// runs again; a running one is dropped by its worker at the next lease renewal, and
/// whatever it ends with is not recorded. 409 for a finished job.
pub async fn cancel(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<JobView> {
    require(actor, PlatformPermission::ManageJobs)?;
    transition(
        core,
        actor,
        id,
        "job.cancel",
        &[JobStatus::Queued, JobStatus::Failed, JobStatus::Running],
        crate::services::jobs::cancelling(),
    )
    .await
}

/// Applies `update` to the job if its status is one of `from` (a conditional update, so a
/// worker finishing the job meanwhile makes it a 409, not a lost write), with its audit
/// event.
async fn transition(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    action: &str,
    from: &[JobStatus],
    update: sea_orm::UpdateMany<job::Entity>,
) -> DomainResult<JobView> {
    let before = JobView::new(&find(core, id).await?)?;
    let txn = core.begin().await?;
    let done = update
        .col_expr(job::Column::UpdatedAt, Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::conflict(format!(
            "The job is {}; this applies to a job that is {}",
            before.status.as_str(),
            from.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let after = JobView::new(
        &job::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::not_found("job"))?,
    )?;
    audit::record(
        &txn,
        actor,
        audit::Change::new(
            before.tenant_id,
            action,
            "job",
            id,
            Some(&before),
            Some(&after),
        )?,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// What `/metrics` shows of the outbox.
#[derive(Debug, Clone, Default)]
pub struct QueueStats {
    /// (kind, status, number of jobs).
    pub counts: Vec<(String, String, i64)>,
    /// Seconds the oldest due, unclaimed job has waited past its `run_at` (0 when none).
    pub oldest_due_age_seconds: f64,
}

/// Counts jobs by kind and status, and finds the oldest due one: two aggregate queries,
/// for a metrics scrape.
pub async fn queue_stats(core: &Core) -> DomainResult<QueueStats> {
    let counts: Vec<(String, String, i64)> = job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column(job::Column::Status)
        .column_as(job::Column::Id.count(), "n")
        .group_by(job::Column::Kind)
        .group_by(job::Column::Status)
        .into_tuple()
        .all(&core.db)
        .await?;
    let now = Utc::now();
    let oldest: Option<job::Model> = job::Entity::find()
        .filter(job::Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Failed.as_str()]))
        .filter(job::Column::RunAt.lte(now))
        .order_by_asc(job::Column::RunAt)
        .one(&core.db)
        .await?;
    let age = oldest.map_or(0.0, |j| {
        (now - j.run_at).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok(QueueStats {
        counts,
        oldest_due_age_seconds: age,
    })
}

async fn find(core: &Core, id: Uuid) -> DomainResult<job::Model> {
    job::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("job"))
}
