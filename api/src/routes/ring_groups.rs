//! `/v1/tenants/{tenant_id}/ring-groups`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::ring_groups::{
        self, CreateRingGroup, RingGroupListQuery, RingGroupPage, RingGroupView, UpdateRingGroup,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's ring groups.
#[utoipa::path(
    operation_id = "list_ring_groups",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), RingGroupListQuery),
    responses((status = 200, description = "A page of ring groups", body = RingGroupPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/ring-groups")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<RingGroupListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &ring_groups::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a ring group. Its number joins the tenant's dialable space (409 `number_taken`).
#[utoipa::path(
    operation_id = "create_ring_group",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateRingGroup,
    responses((status = 201, description = "Created", body = RingGroupView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/ring-groups")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateRingGroup>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = ring_groups::create(&scope, &core, input).await?;
    let location = format!("/v1/tenants/{}/ring-groups/{}", scope.tenant_id(), view.id);
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read a ring group.
#[utoipa::path(
    operation_id = "get_ring_group",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ring_group_id" = Uuid, Path)),
    responses((status = 200, description = "The ring group", body = RingGroupView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/ring-groups/{ring_group_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = ring_groups::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a ring group (JSON merge patch; `members` replaces the list; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_ring_group",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ring_group_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateRingGroup,
    responses((status = 200, description = "Updated", body = RingGroupView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/ring-groups/{ring_group_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateRingGroup>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = ring_groups::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a ring group and free its number; 409 listing the referrers while any
/// destination still points at it.
#[utoipa::path(
    operation_id = "delete_ring_group",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ring_group_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/ring-groups/{ring_group_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    ring_groups::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
