//! `/v1/switch-nodes`: the registry of switches allowed on the switch surface.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::PlatformPermission,
    switch::{
        nodes::{
            self as switch_nodes, CreateSwitchNode, SwitchNodeCreated, SwitchNodeListQuery,
            SwitchNodePage, SwitchNodeView, UpdateSwitchNode,
        },
        provisioning::{
            Plan,
            job::{self as provisioning, ReconcileQueued},
            node::NodeCalls,
        },
    },
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, IfMatch},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List switch nodes (platform staff).
#[utoipa::path(
    operation_id = "list_switch_nodes",
    tag = "switch",
    params(SwitchNodeListQuery),
    responses((status = 200, description = "A page of switch nodes", body = SwitchNodePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/switch-nodes")]
pub async fn list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<SwitchNodeListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &switch_nodes::list(&core, &actor, &query).await?,
        None,
    ))
}

/// Register a switch node (platform admin). The answer carries its token, shown once.
#[utoipa::path(
    operation_id = "create_switch_node",
    tag = "switch",
    request_body = CreateSwitchNode,
    responses((status = 201, description = "Registered; configure the node with `token` now", body = SwitchNodeCreated,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors,
        (status = 503, description = "`kamailio` settings were given but no trunk_secret_key is configured", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/switch-nodes")]
pub async fn create(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<CreateSwitchNode>,
) -> ApiResult<HttpResponse> {
    let created = switch_nodes::create(
        &core,
        &actor,
        body.parse_for_platform(&actor, PlatformPermission::ManageSwitchNodes)?,
    )
    .await?;
    let location = format!("/v1/switch-nodes/{}", created.node.id);
    Ok(respond::created(
        location,
        &created,
        Some(created.node.version),
    ))
}

/// Read a switch node.
#[utoipa::path(
    operation_id = "get_switch_node",
    tag = "switch",
    params(("node_id" = Uuid, Path)),
    responses((status = 200, description = "The node", body = SwitchNodeView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/switch-nodes/{node_id}")]
pub async fn get(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = switch_nodes::get(&core, &actor, *path).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Rename, re-address, disable or re-enable a node (JSON merge patch; `If-Match` honoured).
/// A disabled node's token is refused at once.
#[utoipa::path(
    operation_id = "update_switch_node",
    tag = "switch",
    params(("node_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateSwitchNode,
    responses((status = 200, description = "Updated", body = SwitchNodeView, headers(("ETag" = String))), CommonErrors, WriteErrors,
        (status = 503, description = "`kamailio` settings were given but no trunk_secret_key is configured", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[patch("/v1/switch-nodes/{node_id}")]
pub async fn update(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<UpdateSwitchNode>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = switch_nodes::update(
        &core,
        &actor,
        *path,
        body.parse_for_platform(&actor, PlatformPermission::ManageSwitchNodes)?,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Issue a new token for the node (shown once); the old one stops working at once.
#[utoipa::path(
    operation_id = "rotate_switch_node_token",
    tag = "switch",
    params(("node_id" = Uuid, Path)),
    responses((status = 200, description = "The new token", body = SwitchNodeCreated), CommonErrors),
    security(("bearer" = []))
)]
#[post("/v1/switch-nodes/{node_id}/rotate-token")]
pub async fn rotate_token(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let created = switch_nodes::rotate_token(&core, &actor, *path).await?;
    Ok(respond::ok(&created, None))
}

/// Remove a switch node; its token stops working.
#[utoipa::path(
    operation_id = "delete_switch_node",
    tag = "switch",
    params(("node_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Removed"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/switch-nodes/{node_id}")]
pub async fn delete(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    switch_nodes::delete(&core, &actor, *path, if_match.0).await?;
    Ok(respond::no_content())
}

/// What a reconcile of the node would do now, without doing it: domains and subscribers to
/// add, change and remove on the node, the registrations it would end, and the drift found
/// (rows changed on the node behind Centralita's back since its last apply). 409 when the
/// node has no `kamailio` settings; 503 when its database cannot be reached.
#[utoipa::path(
    operation_id = "plan_switch_node",
    tag = "switch",
    params(("node_id" = Uuid, Path)),
    responses((status = 200, description = "The plan", body = Plan), CommonErrors,
        (status = 409, description = "The node has no `kamailio` settings", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node's database cannot be reached", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/v1/switch-nodes/{node_id}/plan")]
pub async fn plan(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &provisioning::plan(&core, &actor, *path).await?,
        None,
    ))
}

/// The calls the node holds now, asked live from its dialog module over JSON-RPC: being set
/// up, in progress, all. 409 when the node has no `kamailio` settings; 503 when it cannot
/// be reached or does not route calls (an edge started without Centralita's URL).
#[utoipa::path(
    operation_id = "switch_node_calls",
    tag = "switch",
    params(("node_id" = Uuid, Path)),
    responses((status = 200, description = "The node's calls", body = NodeCalls), CommonErrors,
        (status = 409, description = "The node has no `kamailio` settings", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node cannot be reached", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/v1/switch-nodes/{node_id}/calls")]
pub async fn calls(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &provisioning::calls(&core, &actor, *path).await?,
        None,
    ))
}

/// Queue a reconcile of the node now (platform admin): 202 with the job, a new one or the
/// one already waiting. Reconciles are also queued by every change of domains, extensions
/// and tenants, and hourly.
#[utoipa::path(
    operation_id = "reconcile_switch_node",
    tag = "switch",
    params(("node_id" = Uuid, Path)),
    responses((status = 202, description = "The queued reconcile", body = ReconcileQueued), CommonErrors,
        (status = 409, description = "The node has no `kamailio` settings, or is disabled", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/switch-nodes/{node_id}/reconcile")]
pub async fn reconcile(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let queued = provisioning::request(&core, &actor, *path).await?;
    Ok(HttpResponse::Accepted().json(queued))
}
