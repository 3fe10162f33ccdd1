//! `/v1/tenants/{tenant_id}/domains`: the tenant's SIP domains.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::domains::{self, DomainInput, DomainListQuery, DomainPage, DomainView},
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's SIP domains.
#[utoipa::path(
    operation_id = "list_domains",
    tag = "domains",
    params(("tenant_id" = Uuid, Path), DomainListQuery),
    responses((status = 200, description = "A page of domains", body = DomainPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/domains")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<DomainListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &domains::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Add a SIP domain. Names are unique across the platform (409 when taken).
#[utoipa::path(
    operation_id = "create_domain",
    tag = "domains",
    params(("tenant_id" = Uuid, Path)),
    request_body = DomainInput,
    responses((status = 201, description = "Created", body = DomainView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/domains")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<DomainInput>,
) -> ApiResult<HttpResponse> {
    let view = domains::create(
        &scope,
        &core,
        body.parse_for(&scope, Permission::DomainWrite)?,
    )
    .await?;
    let location = format!("/v1/tenants/{}/domains/{}", view.tenant_id, view.id);
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read a SIP domain.
#[utoipa::path(
    operation_id = "get_domain",
    tag = "domains",
    params(("tenant_id" = Uuid, Path), ("domain_id" = Uuid, Path)),
    responses((status = 200, description = "The domain", body = DomainView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/domains/{domain_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = domains::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Rename a SIP domain (`If-Match` honoured). Extension digests computed for the old name
/// are dropped: phones register on the new name after their password is reset.
#[utoipa::path(
    operation_id = "update_domain",
    tag = "domains",
    params(("tenant_id" = Uuid, Path), ("domain_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = DomainInput,
    responses((status = 200, description = "Updated", body = DomainView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/domains/{domain_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<DomainInput>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = domains::update(
        &scope,
        &core,
        path.1,
        body.parse_for(&scope, Permission::DomainWrite)?,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Remove a SIP domain.
#[utoipa::path(
    operation_id = "delete_domain",
    tag = "domains",
    params(("tenant_id" = Uuid, Path), ("domain_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/domains/{domain_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    domains::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
