//! `/v1/tenants/{tenant_id}/outbound-routes`, and `…/outbound-routes/test` to see which
//! route a number takes.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::outbound_routes::{
        self, CreateOutboundRoute, OutboundRouteListQuery, OutboundRoutePage, OutboundRouteView,
        RouteTest, RouteTestResult, UpdateOutboundRoute,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's outbound routes.
#[utoipa::path(
    operation_id = "list_outbound_routes",
    tag = "outbound-routes",
    params(("tenant_id" = Uuid, Path), OutboundRouteListQuery),
    responses((status = 200, description = "A page of outbound routes", body = OutboundRoutePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/outbound-routes")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<OutboundRouteListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &outbound_routes::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create an outbound route. Invalid dial patterns answer 422 naming `patterns[i]` and the
/// character at fault; trunks must be the tenant's own or platform carrier trunks.
#[utoipa::path(
    operation_id = "create_outbound_route",
    tag = "outbound-routes",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateOutboundRoute,
    responses((status = 201, description = "Created", body = OutboundRouteView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/outbound-routes")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateOutboundRoute>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = outbound_routes::create(&scope, &core, input).await?;
    Ok(respond::created(
        format!(
            "/v1/tenants/{}/outbound-routes/{}",
            scope.tenant_id(),
            view.id
        ),
        &view,
        Some(view.version),
    ))
}

/// Which enabled route a dialled number takes (routes tried in position order, first match
/// wins), and the number sent to its trunks. Changes nothing.
#[utoipa::path(
    operation_id = "test_outbound_routes",
    tag = "outbound-routes",
    params(("tenant_id" = Uuid, Path)),
    request_body = RouteTest,
    responses((status = 200, description = "The matching route, or `matched: false`", body = RouteTestResult), CommonErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/outbound-routes/test")]
pub async fn test(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<RouteTest>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxRead)?;
    Ok(respond::ok(
        &outbound_routes::test(&scope, &core, input).await?,
        None,
    ))
}

/// Read an outbound route.
#[utoipa::path(
    operation_id = "get_outbound_route",
    tag = "outbound-routes",
    params(("tenant_id" = Uuid, Path), ("route_id" = Uuid, Path)),
    responses((status = 200, description = "The route", body = OutboundRouteView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/outbound-routes/{route_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = outbound_routes::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change an outbound route (JSON merge patch; `patterns` and `trunk_ids` replace the whole
/// list; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_outbound_route",
    tag = "outbound-routes",
    params(("tenant_id" = Uuid, Path), ("route_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateOutboundRoute,
    responses((status = 200, description = "Updated", body = OutboundRouteView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/outbound-routes/{route_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateOutboundRoute>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = outbound_routes::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete an outbound route.
#[utoipa::path(
    operation_id = "delete_outbound_route",
    tag = "outbound-routes",
    params(("tenant_id" = Uuid, Path), ("route_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/outbound-routes/{route_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    outbound_routes::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
