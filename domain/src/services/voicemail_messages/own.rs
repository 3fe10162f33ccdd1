//! A user's own voicemail (`/v1/me/voicemail-messages`): the messages of the boxes their
//! phones use, whatever their role.
//!
//! A tenant user has no `PbxRead`: they may not browse the tenant's boxes. What makes a
//! message theirs is [`extensions::own_phones`]: a box named by one of the extensions
//! assigned to them. Anything else, another user's message or one of another tenant, is a
//! 404 exactly like a missing one, so ids cannot be probed. Reads, marks and deletes then
//! go through the same code as the admins' routes, audited as the user.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    UpdateVoicemailMessage, VoicemailMessageListQuery, VoicemailMessagePage, VoicemailMessageView,
    delete_message, mark_message, page_of, read_audio,
};
use crate::{
    authz::Actor,
    core::Core,
    entities::voicemail_message,
    error::{DomainError, DomainResult},
    pagination::PageRequest,
    services::extensions::{self, OwnPhones},
};

/// The caller's messages in every box their phones use, oldest first like the box lists.
pub async fn list(
    core: &Core,
    actor: &Actor,
    query: &VoicemailMessageListQuery,
) -> DomainResult<VoicemailMessagePage> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let Some(own) = extensions::own_phones(core, actor).await? else {
        return Ok(VoicemailMessagePage {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let select = voicemail_message::Entity::find()
        .filter(voicemail_message::Column::TenantId.eq(own.scope.tenant().id))
        .filter(voicemail_message::Column::BoxId.is_in(own.boxes));
    page_of(core, &page, select, query.read).await
}

/// One of the caller's messages, with what it takes to act on it; 404 for anyone else's.
async fn find(
    core: &Core,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<(OwnPhones, voicemail_message::Model)> {
    let not_found = || DomainError::not_found("voicemail message");
    let own = extensions::own_phones(core, actor)
        .await?
        .ok_or_else(not_found)?;
    let message = voicemail_message::Entity::find_by_id(id)
        .filter(voicemail_message::Column::TenantId.eq(own.scope.tenant().id))
        .filter(voicemail_message::Column::BoxId.is_in(own.boxes.clone()))
        .one(&core.db)
        .await?
        .ok_or_else(not_found)?;
    Ok((own, message))
}

/// The audio of one of the caller's messages: its media type and bytes.
pub async fn audio(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<(String, Vec<u8>)> {
    let (_, message) = find(core, actor, id).await?;
    read_audio(core, message).await
}

/// Marks one of the caller's messages read or unread.
pub async fn mark(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: UpdateVoicemailMessage,
) -> DomainResult<VoicemailMessageView> {
    let (own, message) = find(core, actor, id).await?;
    mark_message(&own.scope, core, message, input).await
}

/// Deletes one of the caller's messages and its audio.
pub async fn delete(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<()> {
    let (own, message) = find(core, actor, id).await?;
    delete_message(&own.scope, core, message).await
}
