//! `/v1/tenants/{tenant_id}/conferences`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::conferences::{
        self, ConferenceListQuery, ConferencePage, ConferenceView, CreateConference,
        UpdateConference,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's conferences.
#[utoipa::path(
    operation_id = "list_conferences",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ConferenceListQuery),
    responses((status = 200, description = "A page of conferences", body = ConferencePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/conferences")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<ConferenceListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &conferences::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a conference room. PINs are hashed (argon2id) and never shown; its number joins the tenant's dialable space (409 `number_taken`).
#[utoipa::path(
    operation_id = "create_conference",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateConference,
    responses((status = 201, description = "Created", body = ConferenceView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/conferences")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateConference>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = conferences::create(&scope, &core, input).await?;
    let location = format!("/v1/tenants/{}/conferences/{}", scope.tenant_id(), view.id);
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read a conference.
#[utoipa::path(
    operation_id = "get_conference",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("conference_id" = Uuid, Path)),
    responses((status = 200, description = "The conference", body = ConferenceView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/conferences/{conference_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = conferences::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a conference (JSON merge patch; `null` removes a PIN; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_conference",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("conference_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateConference,
    responses((status = 200, description = "Updated", body = ConferenceView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/conferences/{conference_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateConference>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = conferences::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a conference and free its number; 409 listing the referrers while any
/// destination still points at it.
#[utoipa::path(
    operation_id = "delete_conference",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("conference_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/conferences/{conference_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    conferences::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
