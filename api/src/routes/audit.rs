//! The audit log, per tenant and for the whole platform.

use actix_web::{HttpResponse, get, web};
use centralita_domain::{
    Core,
    services::audit::{self, AuditEventPage, AuditFilter, PlatformAuditFilter},
};

use crate::{
    extract::{Auth, Scope},
    problem::{ApiResult, CommonErrors},
    respond,
};

/// The audit log of the whole platform (platform staff).
#[utoipa::path(
    operation_id = "list_platform_audit_events",
    tag = "audit",
    params(PlatformAuditFilter),
    responses((status = 200, description = "A page of events, oldest first", body = AuditEventPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/audit-events")]
pub async fn list_platform(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<PlatformAuditFilter>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &audit::list_platform(&actor, &core.db, &query).await?,
        None,
    ))
}

/// The audit log of one tenant.
#[utoipa::path(
    operation_id = "list_tenant_audit_events",
    tag = "audit",
    params(("tenant_id" = uuid::Uuid, Path), AuditFilter),
    responses((status = 200, description = "A page of events, oldest first", body = AuditEventPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/audit-events")]
pub async fn list_tenant(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<AuditFilter>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &audit::list_for_tenant(&scope, &core.db, &query).await?,
        None,
    ))
}
