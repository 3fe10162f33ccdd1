//! Voicemail messages of a box: list, metadata, audio download, read/unread, delete.
//!
//! Messages arrive from switch nodes ([`intake`]: `POST /v1/switch/voicemail`), each with
//! its e-mail job when the box has addresses ([`email`]: the job, the templates, and the
//! delivery status every message shows). The audio lives in the data directory under
//! `voicemail/`, named by the message's `storage_key`, and is removed with the message.

pub mod email;
pub mod intake;
pub mod own;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::{voicemail_box, voicemail_message},
    error::{DomainError, DomainResult},
    pagination::PageRequest,
    scope::TenantScope,
    services::audit,
    storage,
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoicemailMessageView {
    pub id: Uuid,
    pub box_id: Uuid,
    pub caller_id_number: Option<String>,
    pub caller_id_name: Option<String>,
    pub duration_secs: i32,
    /// Media type of the audio, e.g. `audio/wav`.
    pub content_type: String,
    pub size_bytes: i64,
    pub read: bool,
    pub received_at: DateTime<Utc>,
    /// Where the voicemail-to-email delivery of this message stands.
    pub email: email::EmailDelivery,
}

impl VoicemailMessageView {
    /// The view of a stored row; an unreadable e-mail status is a logged internal error.
    pub fn new(m: &voicemail_message::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            box_id: m.box_id,
            caller_id_number: m.caller_id_number.clone(),
            caller_id_name: m.caller_id_name.clone(),
            duration_secs: m.duration_secs,
            content_type: m.content_type.clone(),
            size_bytes: m.size_bytes,
            read: m.read,
            received_at: m.received_at,
            email: email::EmailDelivery::new(m)?,
        })
    }
}

crate::page_type!(VoicemailMessagePage, VoicemailMessageView);

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VoicemailMessageListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only read (true) or unread (false) messages.
    pub read: Option<bool>,
}

/// Mark a message read or unread.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVoicemailMessage {
    pub read: bool,
}

/// Where message audio is stored.
pub fn audio_dir(data_dir: &Path) -> PathBuf {
    storage::Area::Voicemail.dir(data_dir)
}

/// The audio files of a tenant's messages, to remove once the tenant is gone.
pub(crate) async fn audio_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> DomainResult<Vec<String>> {
    Ok(voicemail_message::Entity::find()
        .filter(voicemail_message::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.storage_key)
        .collect())
}

async fn find_box(
    scope: &TenantScope,
    core: &Core,
    box_id: Uuid,
) -> DomainResult<voicemail_box::Model> {
    scope
        .find::<voicemail_box::Entity, _>(&core.db, box_id, "voicemail box")
        .await
}

async fn find_message(
    scope: &TenantScope,
    core: &Core,
    box_id: Uuid,
    id: Uuid,
) -> DomainResult<voicemail_message::Model> {
    find_box(scope, core, box_id).await?;
    voicemail_message::Entity::find_by_id(id)
        .filter(voicemail_message::Column::TenantId.eq(scope.tenant().id))
        .filter(voicemail_message::Column::BoxId.eq(box_id))
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("voicemail message"))
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    box_id: Uuid,
    query: &VoicemailMessageListQuery,
) -> DomainResult<VoicemailMessagePage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    find_box(scope, core, box_id).await?;
    let select = voicemail_message::Entity::find()
        .filter(voicemail_message::Column::TenantId.eq(scope.tenant().id))
        .filter(voicemail_message::Column::BoxId.eq(box_id));
    page_of(core, &page, select, query.read).await
}

/// A page of the messages `select` names (already narrowed to a tenant and its boxes),
/// read or unread only when asked.
async fn page_of(
    core: &Core,
    page: &PageRequest,
    mut select: sea_orm::Select<voicemail_message::Entity>,
    read: Option<bool>,
) -> DomainResult<VoicemailMessagePage> {
    if let Some(r) = read {
        select = select.filter(voicemail_message::Column::Read.eq(r));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, voicemail_message::Column::Id, |m| m.id)
        .await?;
    Ok(VoicemailMessagePage {
        items: rows
            .iter()
            .map(VoicemailMessageView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

/// How many messages one box holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoxCounts {
    pub box_id: Uuid,
    pub mailbox: String,
    pub messages: i64,
    pub unread: i64,
}

/// The tenant's voicemail at a glance: every message and the unread ones, in all and per box
/// (boxes holding none are left out).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoicemailSummary {
    pub messages: i64,
    pub unread: i64,
    pub boxes: Vec<BoxCounts>,
}

/// `GET /v1/tenants/{t}/voicemail-summary`: two grouped counts, never the messages.
pub async fn summary(scope: &TenantScope, core: &Core) -> DomainResult<VoicemailSummary> {
    use sea_orm::{QueryOrder, QuerySelect};
    scope.authorize(Permission::PbxRead)?;
    let counts = |unread_only: bool| {
        let mut q = voicemail_message::Entity::find()
            .select_only()
            .column(voicemail_message::Column::BoxId)
            .column_as(voicemail_message::Column::Id.count(), "n")
            .filter(voicemail_message::Column::TenantId.eq(scope.tenant().id))
            .group_by(voicemail_message::Column::BoxId);
        if unread_only {
            q = q.filter(voicemail_message::Column::Read.eq(false));
        }
        q.into_tuple::<(Uuid, i64)>().all(&core.db)
    };
    let all = counts(false).await?;
    let unread: std::collections::HashMap<Uuid, i64> = counts(true).await?.into_iter().collect();
    let mailboxes: std::collections::HashMap<Uuid, String> = voicemail_box::Entity::find()
        .filter(voicemail_box::Column::TenantId.eq(scope.tenant().id))
        .filter(voicemail_box::Column::Id.is_in(all.iter().map(|(id, _)| *id)))
        .order_by_asc(voicemail_box::Column::Mailbox)
        .all(&core.db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.mailbox))
        .collect();
    let mut boxes: Vec<BoxCounts> = all
        .into_iter()
        .map(|(box_id, messages)| BoxCounts {
            box_id,
            mailbox: mailboxes.get(&box_id).cloned().unwrap_or_default(),
            messages,
            unread: unread.get(&box_id).copied().unwrap_or(0),
        })
        .collect();
    boxes.sort_by(|a, b| a.mailbox.cmp(&b.mailbox));
    Ok(VoicemailSummary {
        messages: boxes.iter().map(|b| b.messages).sum(),
        unread: boxes.iter().map(|b| b.unread).sum(),
        boxes,
    })
}

pub async fn get(
    scope: &TenantScope,
    core: &Core,
    box_id: Uuid,
    id: Uuid,
) -> DomainResult<VoicemailMessageView> {
    scope.authorize(Permission::PbxRead)?;
    VoicemailMessageView::new(&find_message(scope, core, box_id, id).await?)
}

/// The audio of a message: its media type and bytes.
pub async fn audio(
    scope: &TenantScope,
    core: &Core,
    box_id: Uuid,
    id: Uuid,
) -> DomainResult<(String, Vec<u8>)> {
    scope.authorize(Permission::PbxRead)?;
    read_audio(core, find_message(scope, core, box_id, id).await?).await
}

async fn read_audio(core: &Core, m: voicemail_message::Model) -> DomainResult<(String, Vec<u8>)> {
    let bytes = core
        .files
        .read(storage::Area::Voicemail, &m.storage_key, "voicemail audio")
        .await?;
    Ok((m.content_type, bytes))
}

pub async fn mark(
    scope: &TenantScope,
    core: &Core,
    box_id: Uuid,
    id: Uuid,
    input: UpdateVoicemailMessage,
) -> DomainResult<VoicemailMessageView> {
    scope.authorize(Permission::PbxWrite)?;
    let current = find_message(scope, core, box_id, id).await?;
    mark_message(scope, core, current, input).await
}

/// Marks a found message; whoever calls has decided the actor may.
async fn mark_message(
    scope: &TenantScope,
    core: &Core,
    current: voicemail_message::Model,
    input: UpdateVoicemailMessage,
) -> DomainResult<VoicemailMessageView> {
    let id = current.id;
    if current.read == input.read {
        return VoicemailMessageView::new(&current);
    }
    let txn = core.begin().await?;
    voicemail_message::Entity::update_many()
        .col_expr(voicemail_message::Column::Read, input.read.into())
        .filter(voicemail_message::Column::Id.eq(id))
        .filter(voicemail_message::Column::TenantId.eq(scope.tenant().id))
        .exec(&txn)
        .await?;
    let updated = voicemail_message::Model {
        read: input.read,
        ..current
    };
    let view = VoicemailMessageView::new(&updated)?;
    let action = if input.read {
        "voicemail_message.mark_read"
    } else {
        "voicemail_message.mark_unread"
    };
    audit::record_change(
        &txn,
        scope,
        action,
        "voicemail_message",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a message and its audio file. The row goes first, in a transaction with the
/// audit event; a file left behind by a crash in between is harmless and invisible.
pub async fn delete(scope: &TenantScope, core: &Core, box_id: Uuid, id: Uuid) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    delete_message(scope, core, find_message(scope, core, box_id, id).await?).await
}

/// Deletes a found message; whoever calls has decided the actor may.
async fn delete_message(
    scope: &TenantScope,
    core: &Core,
    current: voicemail_message::Model,
) -> DomainResult<()> {
    let id = current.id;
    let txn = core.begin().await?;
    voicemail_message::Entity::delete_many()
        .filter(voicemail_message::Column::Id.eq(id))
        .filter(voicemail_message::Column::TenantId.eq(scope.tenant().id))
        .exec(&txn)
        .await?;
    audit::record_change(
        &txn,
        scope,
        "voicemail_message.delete",
        "voicemail_message",
        id,
        Some(&VoicemailMessageView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    core.files
        .remove(storage::Area::Voicemail, [current.storage_key.as_str()])
        .await;
    Ok(())
}
