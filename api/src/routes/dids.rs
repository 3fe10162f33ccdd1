//! `/v1/dids` (the platform's DID inventory) and `/v1/tenants/{tenant_id}/dids` (the numbers
//! a tenant holds: claim, point at a destination, release).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::{Permission, PlatformPermission},
    services::dids::{
        self, ClaimDid, CreateDid, DidListQuery, DidPage, DidView, TenantDidListQuery, UpdateDid,
        UpdateTenantDid,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, IdempotencyHeader, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the DID inventory: everything for platform staff, the numbers held by their
/// subtree's tenants for partner admins.
#[utoipa::path(
    operation_id = "list_inventory_dids",
    tag = "dids",
    params(DidListQuery),
    responses((status = 200, description = "A page of DIDs", body = DidPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/dids")]
pub async fn platform_list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<DidListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &dids::platform_list(&core, &actor, &query).await?,
        None,
    ))
}

/// Add a number to the inventory (platform admins). The number is validated against its
/// country's numbering plan; fees are decimal strings in `currency`.
#[utoipa::path(
    operation_id = "create_inventory_did",
    tag = "dids",
    request_body = CreateDid,
    responses((status = 201, description = "Created", body = DidView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/dids")]
pub async fn platform_create(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<CreateDid>,
) -> ApiResult<HttpResponse> {
    dids::authorize_platform_write(&actor)?;
    let view = dids::platform_create(
        &core,
        &actor,
        body.parse_for_platform(&actor, PlatformPermission::ManageCarriers)?,
    )
    .await?;
    Ok(respond::created(
        format!("/v1/dids/{}", view.id),
        &view,
        Some(view.version),
    ))
}

/// Read an inventory number.
#[utoipa::path(
    operation_id = "get_inventory_did",
    tag = "dids",
    params(("did_id" = Uuid, Path)),
    responses((status = 200, description = "The DID", body = DidView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/dids/{did_id}")]
pub async fn platform_get(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = dids::platform_get(&core, &actor, *path).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change an inventory number's carrier trunk, fees or availability (platform admins; JSON
/// merge patch; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_inventory_did",
    tag = "dids",
    params(("did_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateDid,
    responses((status = 200, description = "Updated", body = DidView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/dids/{did_id}")]
pub async fn platform_update(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<UpdateDid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    dids::authorize_platform_write(&actor)?;
    let view = dids::platform_update(
        &core,
        &actor,
        *path,
        body.parse_for_platform(&actor, PlatformPermission::ManageCarriers)?,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Remove a number from the inventory; 409 while a tenant holds it. Its assignment history
/// is kept for billing.
#[utoipa::path(
    operation_id = "delete_inventory_did",
    tag = "dids",
    params(("did_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/dids/{did_id}")]
pub async fn platform_delete(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    dids::platform_delete(&core, &actor, *path, if_match.0).await?;
    Ok(respond::no_content())
}

/// List the numbers the tenant holds.
#[utoipa::path(
    operation_id = "list_tenant_dids",
    tag = "dids",
    params(("tenant_id" = Uuid, Path), TenantDidListQuery),
    responses((status = 200, description = "A page of DIDs", body = DidPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/dids")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<TenantDidListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(&dids::list(&scope, &core, &query).await?, None))
}

/// Claim an available number from the inventory, by `did_id` or `number` (409 when it is
/// reserved or held). Its setup and monthly fees are charged from the assignment time.
///
/// Honours `Idempotency-Key`: a retry with the same key and body returns the first answer
/// (with `Idempotent-Replayed: true`); the same key with another body is 422.
#[utoipa::path(
    operation_id = "claim_did",
    tag = "dids",
    params(("tenant_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe; kept at least 24 h")),
    request_body = ClaimDid,
    responses((status = 201, description = "Claimed", body = DidView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/dids")]
pub async fn claim(
    req: HttpRequest,
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<ClaimDid>,
    idem: IdempotencyHeader,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let collection = format!("/v1/tenants/{}/dids", scope.tenant_id());
    let key = idem.key(scope.actor().principal.owner_key(), &req, &body.canonical())?;
    let (core, scope, collection) = (&core, &scope, collection.as_str());
    respond::idempotent(core, key, collection, |key| async move {
        let view = dids::claim(scope, core, input, key.as_ref()).await?;
        Ok(respond::created(
            format!("{collection}/{}", view.id),
            &view,
            Some(view.version),
        ))
    })
    .await
}

/// Read one of the tenant's numbers.
#[utoipa::path(
    operation_id = "get_tenant_did",
    tag = "dids",
    params(("tenant_id" = Uuid, Path), ("did_id" = Uuid, Path)),
    responses((status = 200, description = "The DID", body = DidView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/dids/{did_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = dids::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Set or clear where inbound calls to the number go (`destination`, JSON merge patch;
/// `If-Match` honoured). The destination must exist in the tenant (422), and then cannot be
/// deleted while the number points at it (409).
#[utoipa::path(
    operation_id = "update_tenant_did",
    tag = "dids",
    params(("tenant_id" = Uuid, Path), ("did_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateTenantDid,
    responses((status = 200, description = "Updated", body = DidView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/dids/{did_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateTenantDid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = dids::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Release the number back to the inventory (available again; the release time is recorded
/// for billing).
#[utoipa::path(
    operation_id = "release_did",
    tag = "dids",
    params(("tenant_id" = Uuid, Path), ("did_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Released"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/dids/{did_id}")]
pub async fn release(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    dids::release(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
