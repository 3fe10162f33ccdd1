//! `/v1/tenants` and `/v1/tenants/{tenant_id}`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::tenants::{
        self, CreateTenant, TenantListQuery, TenantPage, TenantView, UpdateTenant,
    },
};

use crate::{
    extract::{Auth, Body, IdempotencyHeader, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenants visible to the caller: all (staff), a partner's subtree, or one's own.
#[utoipa::path(
    operation_id = "list_tenants",
    tag = "tenants",
    params(TenantListQuery),
    responses((status = 200, description = "A page of tenants", body = TenantPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants")]
pub async fn list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<TenantListQuery>,
) -> ApiResult<HttpResponse> {
    let page = tenants::list(&core, &actor, &query).await?;
    Ok(respond::ok(&page, None))
}

/// Create a tenant, optionally under a partner and with its first SIP domain.
///
/// Honours `Idempotency-Key`: a retry with the same key and body returns the first answer
/// (with `Idempotent-Replayed: true`); the same key with another body is 422.
#[utoipa::path(
    operation_id = "create_tenant",
    tag = "tenants",
    request_body = CreateTenant,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe; kept at least 24 h")),
    responses(
        (status = 201, description = "Created", body = TenantView,
            headers(("Location" = String), ("ETag" = String))),
        CommonErrors, WriteErrors,
    ),
    security(("bearer" = []))
)]
#[post("/v1/tenants")]
pub async fn create(
    req: HttpRequest,
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<CreateTenant>,
    idem: IdempotencyHeader,
) -> ApiResult<HttpResponse> {
    // The role first: a role that can create no tenant anywhere is a 403 whatever the body.
    tenants::check_may_create(&actor)?;
    let key = idem.key(actor.principal.owner_key(), &req, &body.canonical())?;
    let input = body.parse()?;
    let (core, actor) = (&core, &actor);
    respond::idempotent(core, key, "/v1/tenants", |key| async move {
        let view = tenants::create(core, actor, input, key.as_ref()).await?;
        Ok(respond::created(
            format!("/v1/tenants/{}", view.id),
            &view,
            Some(view.version),
        ))
    })
    .await
}

/// Read a tenant.
#[utoipa::path(
    operation_id = "get_tenant",
    tag = "tenants",
    params(("tenant_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The tenant", body = TenantView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}")]
pub async fn get(Scope(scope): Scope) -> ApiResult<HttpResponse> {
    let view = tenants::get(&scope).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Rename, suspend or reactivate a tenant (JSON merge patch; `If-Match` honoured).
///
/// Suspending a tenant refuses its users and API keys, and those of every tenant below it.
#[utoipa::path(
    operation_id = "update_tenant",
    tag = "tenants",
    params(("tenant_id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateTenant,
    responses((status = 200, description = "Updated", body = TenantView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<UpdateTenant>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = tenants::update(
        &scope,
        &core,
        body.parse_for(&scope, Permission::TenantUpdate)?,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a tenant and everything it owns. Refused (409) while it has child tenants.
#[utoipa::path(
    operation_id = "delete_tenant",
    tag = "tenants",
    params(("tenant_id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    tenants::delete(&scope, &core, if_match.0).await?;
    Ok(respond::no_content())
}
