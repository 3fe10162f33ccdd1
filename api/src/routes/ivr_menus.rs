//! `/v1/tenants/{tenant_id}/ivr-menus`, and the greeting recording under each menu.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::ivr_menus::{
        self, CreateIvrMenu, GreetingUpload, IvrMenuListQuery, IvrMenuPage, IvrMenuView,
        UpdateIvrMenu,
    },
};
use uuid::Uuid;

use crate::{
    extract::{AudioBody, Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's IVR menus.
#[utoipa::path(
    operation_id = "list_ivr_menus",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), IvrMenuListQuery),
    responses((status = 200, description = "A page of IVR menus", body = IvrMenuPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/ivr-menus")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<IvrMenuListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &ivr_menus::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create an IVR menu with a text greeting (upload a recording afterwards). Its number
/// joins the tenant's dialable space (409 `number_taken`).
#[utoipa::path(
    operation_id = "create_ivr_menu",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateIvrMenu,
    responses((status = 201, description = "Created", body = IvrMenuView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/ivr-menus")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateIvrMenu>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = ivr_menus::create(&scope, &core, input).await?;
    let location = format!("/v1/tenants/{}/ivr-menus/{}", scope.tenant_id(), view.id);
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read an IVR menu.
#[utoipa::path(
    operation_id = "get_ivr_menu",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ivr_menu_id" = Uuid, Path)),
    responses((status = 200, description = "The IVR menu", body = IvrMenuView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = ivr_menus::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change an IVR menu (JSON merge patch; `options` replaces the list; a `text` greeting
/// replaces a recording; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_ivr_menu",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ivr_menu_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateIvrMenu,
    responses((status = 200, description = "Updated", body = IvrMenuView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateIvrMenu>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = ivr_menus::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete an IVR menu and its recording, and free its number; 409 listing the referrers
/// while any destination still points at it.
#[utoipa::path(
    operation_id = "delete_ivr_menu",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ivr_menu_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    ivr_menus::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}

/// Upload the greeting recording (the raw audio as the body: `audio/wav`, `audio/mpeg` or
/// `audio/ogg`, at most 8 MiB; 415 for other media types, 422 when the bytes are not that
/// audio). Replaces a text greeting or an earlier recording; `If-Match` honoured.
#[utoipa::path(
    operation_id = "put_ivr_menu_greeting",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ivr_menu_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body(content(
        (super::Binary = "audio/wav"), (super::Binary = "audio/mpeg"), (super::Binary = "audio/ogg")
    )),
    responses((status = 200, description = "The menu with its new greeting", body = IvrMenuView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[put("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}/greeting")]
pub async fn put_greeting(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: AudioBody,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let upload = GreetingUpload {
        content_type: &body.content_type,
        bytes: &body.bytes,
    };
    let view = ivr_menus::put_greeting(&scope, &core, path.1, upload, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Download the greeting recording; 404 while the greeting is text.
#[utoipa::path(
    operation_id = "get_ivr_menu_greeting",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("ivr_menu_id" = Uuid, Path)),
    responses((status = 200, description = "The recording", content_type = "audio/*", body = super::Binary), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}/greeting")]
pub async fn get_greeting(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (content_type, bytes) = ivr_menus::greeting_audio(&scope, &core, path.1).await?;
    let name = format!("greeting-{}", path.1);
    Ok(respond::audio(content_type, bytes, Some(&name)))
}
