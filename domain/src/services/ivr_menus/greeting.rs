//! A menu's recorded greeting: the upload (checked to really be WAV, MP3 or Ogg audio), the
//! two ways it is read back (by the tenant, and by a switch node holding a plan that names
//! it), and the files under `ivr-greetings/`.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{AREA, Greeting, IvrMenuView, MAX_GREETING_BYTES, find};
use crate::{
    audio::{self, AudioFormat},
    authz::Permission,
    core::Core,
    entities::ivr_menu,
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
    scope::{SystemScope, TenantScope},
    services::{audit, check_version, versioned},
    storage,
};
use crate::{services::from_json, services::to_json};

/// An uploaded greeting: the media type the client declared, and the bytes.
pub struct GreetingUpload<'a> {
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Sets the greeting to an uploaded recording (WAV, MP3 or Ogg; 415 for anything else,
/// 422 when the bytes are not the audio they claim to be).
pub async fn put_greeting(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    upload: GreetingUpload<'_>,
    if_match: Option<i64>,
) -> DomainResult<IvrMenuView> {
    scope.authorize(Permission::PbxWrite)?;
    find(scope, &core.db, id).await?;
    let Some(AudioFormat {
        content_type,
        ext,
        looks_right,
    }) = audio::sniff(upload.content_type, upload.bytes)
    else {
        return Err(DomainError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the greeting as audio/wav, audio/mpeg or audio/ogg",
        ));
    };
    if upload.bytes.len() > MAX_GREETING_BYTES {
        return Err(DomainError::new(
            ErrorCode::PayloadTooLarge,
            format!("A greeting must be at most {MAX_GREETING_BYTES} bytes"),
        ));
    }
    if !looks_right {
        return Err(DomainError::field(
            "body",
            "invalid_audio",
            format!("the body is not {content_type} audio"),
        ));
    }

    let key = storage::new_key(ext);
    core.files.write(AREA, &key, upload.bytes).await?;
    let greeting = Greeting::Recording {
        content_type: content_type.to_owned(),
        size_bytes: i64::try_from(upload.bytes.len()).map_err(DomainError::internal)?,
        sha256: hex::encode(Sha256::digest(upload.bytes)),
        uploaded_at: Utc::now(),
    };
    match store_recording(scope, core, id, &key, &greeting, if_match).await {
        Ok((view, old)) => {
            if let Some(old) = old {
                remove_recording(core, &old).await;
            }
            Ok(view)
        }
        Err(e) => {
            remove_recording(core, &key).await;
            Err(e)
        }
    }
}

/// Points the menu at a stored recording; gives the previous recording's key to remove.
async fn store_recording(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    key: &str,
    greeting: &Greeting,
    if_match: Option<i64>,
) -> DomainResult<(IvrMenuView, Option<String>)> {
    let txn = core.begin().await?;
    let current = find(scope, &txn, id).await?;
    check_version(current.version, if_match)?;
    let before = IvrMenuView::new(&current)?;
    let mut am: ivr_menu::ActiveModel = current.clone().into();
    am.greeting = Set(to_json(greeting)?);
    // A new key every upload: the row always changes, so there is always a new version.
    am.greeting_storage_key = Set(Some(key.to_owned()));
    let updated = versioned::write_next_version(&txn, scope, &current, am, "IVR menu")
        .await?
        .ok_or_else(|| DomainError::internal("greeting upload changed nothing"))?;
    let view = IvrMenuView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "ivr_menu.greeting_upload",
        "ivr_menu",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok((view, current.greeting_storage_key))
}

/// The recorded greeting of a menu: media type and bytes; 404 when the greeting is text.
pub async fn greeting_audio(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
) -> DomainResult<(String, Vec<u8>)> {
    scope.authorize(Permission::PbxRead)?;
    read_recording(core, find(scope, &core.db, id).await?).await
}

/// The recorded greeting for a switch node, which plays it (nodes are not tenant members;
/// the menu id and digest come from a route plan the node was given). The digest must be
/// the current recording's: a node holding an older plan gets a 404, never new audio to
/// cache under an old digest. Suspended tenants' greetings are not served, like the rest of
/// their switch surface.
pub async fn greeting_audio_for_switch(
    core: &Core,
    id: Uuid,
    sha256: &str,
) -> DomainResult<(String, Vec<u8>)> {
    let not_found = || DomainError::not_found("greeting recording");
    let m = ivr_menu::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(not_found)?;
    let active = SystemScope::active_by_id(&core.db, TenantId(m.tenant_id))
        .await?
        .is_some();
    match from_json::<Greeting>(&m.greeting)? {
        Greeting::Recording {
            sha256: current, ..
        } if active && current == sha256 => read_recording(core, m).await,
        _ => Err(not_found()),
    }
}

async fn read_recording(core: &Core, m: ivr_menu::Model) -> DomainResult<(String, Vec<u8>)> {
    let (Some(key), Greeting::Recording { content_type, .. }) =
        (m.greeting_storage_key, from_json::<Greeting>(&m.greeting)?)
    else {
        return Err(DomainError::not_found("greeting recording"));
    };
    let bytes = core.files.read(AREA, &key, "greeting recording").await?;
    Ok((content_type, bytes))
}

/// Removes a recording no row points at any more (logged, not returned, on failure).
pub(super) async fn remove_recording(core: &Core, key: &str) {
    core.files.remove(AREA, [key]).await;
}

/// The recordings of a tenant's menus, to remove once the tenant is gone.
pub(crate) async fn recordings_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> DomainResult<Vec<String>> {
    Ok(ivr_menu::Entity::find()
        .filter(ivr_menu::Column::TenantId.eq(tenant_id))
        .filter(ivr_menu::Column::GreetingStorageKey.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.greeting_storage_key)
        .collect())
}
