//! `/v1/trunks` (platform carrier trunks) and `/v1/tenants/{tenant_id}/trunks` (a tenant's
//! own). Passwords are write-only: views carry `has_password`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::{Permission, PlatformPermission},
    services::trunks::{self, CreateTrunk, TrunkListQuery, TrunkPage, TrunkView, UpdateTrunk},
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the platform's carrier trunks (platform staff).
#[utoipa::path(
    operation_id = "list_carrier_trunks",
    tag = "trunks",
    params(TrunkListQuery),
    responses((status = 200, description = "A page of carrier trunks", body = TrunkPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/trunks")]
pub async fn platform_list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<TrunkListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &trunks::platform_list(&core, &actor, &query).await?,
        None,
    ))
}

/// Create a carrier trunk (platform admins). A password is stored encrypted and never
/// shown again; without a configured `trunk_secret_key` a password is refused with 503
/// `unavailable`.
#[utoipa::path(
    operation_id = "create_carrier_trunk",
    tag = "trunks",
    request_body = CreateTrunk,
    responses((status = 201, description = "Created", body = TrunkView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors,
        (status = 503, description = "A password was given but no trunk_secret_key is configured", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/trunks")]
pub async fn platform_create(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<CreateTrunk>,
) -> ApiResult<HttpResponse> {
    trunks::authorize_platform_write(&actor)?;
    let view = trunks::platform_create(
        &core,
        &actor,
        body.parse_for_platform(&actor, PlatformPermission::ManageCarriers)?,
    )
    .await?;
    Ok(respond::created(
        format!("/v1/trunks/{}", view.id),
        &view,
        Some(view.version),
    ))
}

/// Read a carrier trunk.
#[utoipa::path(
    operation_id = "get_carrier_trunk",
    tag = "trunks",
    params(("trunk_id" = Uuid, Path)),
    responses((status = 200, description = "The trunk", body = TrunkView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/trunks/{trunk_id}")]
pub async fn platform_get(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = trunks::platform_get(&core, &actor, *path).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a carrier trunk (JSON merge patch; `password: null` removes the password;
/// `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_carrier_trunk",
    tag = "trunks",
    params(("trunk_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateTrunk,
    responses((status = 200, description = "Updated", body = TrunkView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/trunks/{trunk_id}")]
pub async fn platform_update(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<UpdateTrunk>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    trunks::authorize_platform_write(&actor)?;
    let view = trunks::platform_update(
        &core,
        &actor,
        *path,
        body.parse_for_platform(&actor, PlatformPermission::ManageCarriers)?,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a carrier trunk; 409 listing the outbound routes and DIDs still using it.
#[utoipa::path(
    operation_id = "delete_carrier_trunk",
    tag = "trunks",
    params(("trunk_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/trunks/{trunk_id}")]
pub async fn platform_delete(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    trunks::platform_delete(&core, &actor, *path, if_match.0).await?;
    Ok(respond::no_content())
}

/// List the tenant's own trunks (carrier trunks are at `/v1/trunks`).
#[utoipa::path(
    operation_id = "list_trunks",
    tag = "trunks",
    params(("tenant_id" = Uuid, Path), TrunkListQuery),
    responses((status = 200, description = "A page of trunks", body = TrunkPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/trunks")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<TrunkListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &trunks::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a trunk of the tenant's own (bring your own carrier). The password is stored
/// encrypted and never shown again; 503 `unavailable` when the platform has no
/// `trunk_secret_key` configured.
#[utoipa::path(
    operation_id = "create_trunk",
    tag = "trunks",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateTrunk,
    responses((status = 201, description = "Created", body = TrunkView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors,
        (status = 503, description = "A password was given but no trunk_secret_key is configured", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/trunks")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateTrunk>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = trunks::create(&scope, &core, input).await?;
    Ok(respond::created(
        format!("/v1/tenants/{}/trunks/{}", scope.tenant_id(), view.id),
        &view,
        Some(view.version),
    ))
}

/// Read a trunk of the tenant.
#[utoipa::path(
    operation_id = "get_trunk",
    tag = "trunks",
    params(("tenant_id" = Uuid, Path), ("trunk_id" = Uuid, Path)),
    responses((status = 200, description = "The trunk", body = TrunkView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/trunks/{trunk_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = trunks::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a trunk of the tenant (JSON merge patch; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_trunk",
    tag = "trunks",
    params(("tenant_id" = Uuid, Path), ("trunk_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateTrunk,
    responses((status = 200, description = "Updated", body = TrunkView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/trunks/{trunk_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateTrunk>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = trunks::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a trunk of the tenant; 409 listing the outbound routes still using it.
#[utoipa::path(
    operation_id = "delete_trunk",
    tag = "trunks",
    params(("tenant_id" = Uuid, Path), ("trunk_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/trunks/{trunk_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    trunks::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
