//! `/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages`, and
//! `/v1/me/voicemail-messages` (a user's own, from the boxes their phones use), and
//! `/v1/tenants/{tenant_id}/voicemail-summary` (counts).

use actix_web::{HttpResponse, delete, get, patch, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::voicemail_messages::{
        self, UpdateVoicemailMessage, VoicemailMessageListQuery, VoicemailMessagePage,
        VoicemailMessageView, VoicemailSummary, own,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List a box's messages, oldest first.
#[utoipa::path(
    operation_id = "list_voicemail_messages",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), VoicemailMessageListQuery),
    responses((status = 200, description = "A page of messages", body = VoicemailMessagePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<VoicemailMessageListQuery>,
) -> ApiResult<HttpResponse> {
    let page = voicemail_messages::list(&scope, &core, path.1, &query).await?;
    Ok(respond::ok(&page, None))
}

/// How many messages the tenant's boxes hold, and how many are unread, in all and per box
/// (a dashboard's figure; the messages themselves are listed per box).
#[utoipa::path(
    operation_id = "voicemail_summary",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "The counts", body = VoicemailSummary), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/voicemail-summary")]
pub async fn summary(Scope(scope): Scope, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &voicemail_messages::summary(&scope, &core).await?,
        None,
    ))
}

/// A message's metadata.
#[utoipa::path(
    operation_id = "get_voicemail_message",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), ("message_id" = Uuid, Path)),
    responses((status = 200, description = "The message", body = VoicemailMessageView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages/{message_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = voicemail_messages::get(&scope, &core, path.1, path.2).await?;
    Ok(respond::ok(&view, None))
}

/// Download a message's audio.
#[utoipa::path(
    operation_id = "get_voicemail_message_audio",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), ("message_id" = Uuid, Path)),
    responses((status = 200, description = "The recording", content_type = "audio/*", body = super::Binary), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages/{message_id}/audio")]
pub async fn audio(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (content_type, bytes) = voicemail_messages::audio(&scope, &core, path.1, path.2).await?;
    let name = format!("voicemail-{}", path.2);
    Ok(respond::audio(content_type, bytes, Some(&name)))
}

/// Mark a message read or unread.
#[utoipa::path(
    operation_id = "update_voicemail_message",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), ("message_id" = Uuid, Path)),
    request_body = UpdateVoicemailMessage,
    responses((status = 200, description = "Updated", body = VoicemailMessageView), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages/{message_id}")]
pub async fn mark(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    body: Body<UpdateVoicemailMessage>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = voicemail_messages::mark(&scope, &core, path.1, path.2, input).await?;
    Ok(respond::ok(&view, None))
}

/// Delete a message and its recording.
#[utoipa::path(
    operation_id = "delete_voicemail_message",
    tag = "voicemail",
    params(("tenant_id" = Uuid, Path), ("box_id" = Uuid, Path), ("message_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), CommonErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages/{message_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    voicemail_messages::delete(&scope, &core, path.1, path.2).await?;
    Ok(respond::no_content())
}

/// The caller's own voicemail: the messages of every box their phones (the extensions
/// assigned to them) use, oldest first, whatever their role. API keys and platform staff
/// have none.
#[utoipa::path(
    operation_id = "list_own_voicemail_messages",
    tag = "voicemail",
    params(VoicemailMessageListQuery),
    responses((status = 200, description = "A page of the caller's messages", body = VoicemailMessagePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/me/voicemail-messages")]
pub async fn list_own(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<VoicemailMessageListQuery>,
) -> ApiResult<HttpResponse> {
    let page = own::list(&core, &actor, &query).await?;
    Ok(respond::ok(&page, None))
}

/// Download the audio of one of the caller's messages (404 for anyone else's).
#[utoipa::path(
    operation_id = "get_own_voicemail_message_audio",
    tag = "voicemail",
    params(("message_id" = Uuid, Path)),
    responses((status = 200, description = "The recording", content_type = "audio/*", body = super::Binary), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/me/voicemail-messages/{message_id}/audio")]
pub async fn audio_own(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let (content_type, bytes) = own::audio(&core, &actor, id).await?;
    let name = format!("voicemail-{id}");
    Ok(respond::audio(content_type, bytes, Some(&name)))
}

/// Mark one of the caller's messages read or unread (404 for anyone else's).
#[utoipa::path(
    operation_id = "update_own_voicemail_message",
    tag = "voicemail",
    params(("message_id" = Uuid, Path)),
    request_body = UpdateVoicemailMessage,
    responses((status = 200, description = "Updated", body = VoicemailMessageView), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/me/voicemail-messages/{message_id}")]
pub async fn mark_own(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<UpdateVoicemailMessage>,
) -> ApiResult<HttpResponse> {
    let view = own::mark(&core, &actor, path.into_inner(), body.parse()?).await?;
    Ok(respond::ok(&view, None))
}

/// Delete one of the caller's messages and its recording (404 for anyone else's).
#[utoipa::path(
    operation_id = "delete_own_voicemail_message",
    tag = "voicemail",
    params(("message_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), CommonErrors),
    security(("bearer" = []))
)]
#[delete("/v1/me/voicemail-messages/{message_id}")]
pub async fn delete_own(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    own::delete(&core, &actor, path.into_inner()).await?;
    Ok(respond::no_content())
}
