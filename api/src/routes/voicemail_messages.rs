//! `/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages`.

use actix_web::{HttpResponse, delete, get, patch, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::voicemail_messages::{
        self, UpdateVoicemailMessage, VoicemailMessageListQuery, VoicemailMessagePage,
        VoicemailMessageView,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, Scope},
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
