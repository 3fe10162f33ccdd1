//! `/v1/jobs` (platform staff: every job; retry and cancel) and `/v1/tenants/{t}/jobs` (a
//! tenant's own jobs, read-only).

use actix_web::{HttpResponse, get, post, web};
use centralita_domain::{
    Core,
    services::job_admin::{self, JobListQuery, JobPage, JobView, TenantJobListQuery},
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List every job of the platform, oldest first (platform staff), by kind, status or tenant.
#[utoipa::path(
    operation_id = "list_jobs",
    tag = "jobs",
    params(JobListQuery),
    responses((status = 200, description = "A page of jobs", body = JobPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/jobs")]
pub async fn list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<JobListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &job_admin::list(&core, &actor, &query).await?,
        None,
    ))
}

/// Read a job (platform staff): status, attempts, last error, progress, lease.
#[utoipa::path(
    operation_id = "get_job",
    tag = "jobs",
    params(("job_id" = Uuid, Path)),
    responses((status = 200, description = "The job", body = JobView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/jobs/{job_id}")]
pub async fn get(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &job_admin::get(&core, &actor, *path).await?,
        None,
    ))
}

/// Queue a failed, dead or cancelled job again, due now (platform admins). 409 for a job
/// that is queued, running or succeeded.
#[utoipa::path(
    operation_id = "retry_job",
    tag = "jobs",
    params(("job_id" = Uuid, Path)),
    responses((status = 200, description = "Queued again", body = JobView), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/jobs/{job_id}/retry")]
pub async fn retry(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &job_admin::retry(&core, &actor, *path).await?,
        None,
    ))
}

/// Cancel a job that has not finished (platform admins); a running job is dropped by its
/// worker at its next lease renewal. 409 for a finished job.
#[utoipa::path(
    operation_id = "cancel_job",
    tag = "jobs",
    params(("job_id" = Uuid, Path)),
    responses((status = 200, description = "Cancelled", body = JobView), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/jobs/{job_id}/cancel")]
pub async fn cancel(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &job_admin::cancel(&core, &actor, *path).await?,
        None,
    ))
}

/// A tenant's own jobs, oldest first (read-only; `last_error` is for platform staff).
#[utoipa::path(
    operation_id = "list_tenant_jobs",
    tag = "jobs",
    params(("tenant_id" = Uuid, Path), TenantJobListQuery),
    responses((status = 200, description = "A page of the tenant's jobs", body = JobPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/jobs")]
pub async fn list_tenant(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<TenantJobListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &job_admin::list_for_tenant(&scope, &core, &query).await?,
        None,
    ))
}
