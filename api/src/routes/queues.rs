//! `/v1/tenants/{tenant_id}/queues`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::queues::{self, CreateQueue, QueueListQuery, QueuePage, QueueView, UpdateQueue},
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's queues.
#[utoipa::path(
    operation_id = "list_queues",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), QueueListQuery),
    responses((status = 200, description = "A page of queues", body = QueuePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/queues")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<QueueListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &queues::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a queue. Its number joins the tenant's dialable space (409 `number_taken`).
#[utoipa::path(
    operation_id = "create_queue",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateQueue,
    responses((status = 201, description = "Created", body = QueueView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/queues")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateQueue>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = queues::create(&scope, &core, input).await?;
    let location = format!("/v1/tenants/{}/queues/{}", scope.tenant_id(), view.id);
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read a queue.
#[utoipa::path(
    operation_id = "get_queue",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("queue_id" = Uuid, Path)),
    responses((status = 200, description = "The queue", body = QueueView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/queues/{queue_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = queues::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a queue (JSON merge patch; `agents` replaces the list; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_queue",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("queue_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateQueue,
    responses((status = 200, description = "Updated", body = QueueView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/queues/{queue_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateQueue>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = queues::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a queue and free its number; 409 listing the referrers while any
/// destination still points at it.
#[utoipa::path(
    operation_id = "delete_queue",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("queue_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/queues/{queue_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    queues::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
