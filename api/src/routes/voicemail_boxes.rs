//! `/v1/tenants/{tenant_id}/voicemail-boxes`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::voicemail_boxes::{
        self, CreateVoicemailBox, UpdateVoicemailBox, VoicemailBoxListQuery, VoicemailBoxPage,
        VoicemailBoxView,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's voicemail boxes (never their PINs).
#[utoipa::path(
    operation_id = "list_voicemail_boxes",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), VoicemailBoxListQuery),
    responses((status = 200, description = "A page of voicemail boxes", body = VoicemailBoxPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/voicemail-boxes")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<VoicemailBoxListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &voicemail_boxes::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a voicemail box. The PIN is hashed (argon2id) and never shown again.
#[utoipa::path(
    operation_id = "create_voicemail_box",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateVoicemailBox,
    responses((status = 201, description = "Created", body = VoicemailBoxView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/voicemail-boxes")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateVoicemailBox>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = voicemail_boxes::create(&scope, &core, input).await?;
    let location = format!(
        "/v1/tenants/{}/voicemail-boxes/{}",
        scope.tenant_id(),
        view.id
    );
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read a voicemail box.
#[utoipa::path(
    operation_id = "get_voicemail_box",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path)),
    responses((status = 200, description = "The box", body = VoicemailBoxView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = voicemail_boxes::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a voicemail box (JSON merge patch; `If-Match` honoured). A new `pin` is hashed.
#[utoipa::path(
    operation_id = "update_voicemail_box",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateVoicemailBox,
    responses((status = 200, description = "Updated", body = VoicemailBoxView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateVoicemailBox>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = voicemail_boxes::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a voicemail box and its messages; 409 listing the referrers while anything
/// (an extension, a forwarding rule…) still points at it.
#[utoipa::path(
    operation_id = "delete_voicemail_box",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    voicemail_boxes::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
