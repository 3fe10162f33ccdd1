//! Voicemail intake: a switch node hands over a recorded message (`POST /v1/switch/voicemail`).
//!
//! The node names the SIP domain and the mailbox; the domain says which tenant, and the box
//! is looked up among that tenant's rows only (through [`SystemScope`]), so a node cannot
//! drop a message into another tenant's box by naming its mailbox number under the wrong
//! domain. The audio must really be audio: a WAV file is walked chunk by chunk and must hold
//! PCM-family samples ([`audio::wav_info`]); MP3 and Ogg are recognised by their headers, as
//! for greetings.
//!
//! The file is written first; the message row and its e-mail job are then inserted in one
//! transaction, so either the message exists with its audio and (when the box has
//! addresses) its queued e-mail, or nothing does and the orphan file is removed (or swept by
//! housekeeping after a crash).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    VoicemailMessageView,
    email::{EmailStatus, VoicemailEmail},
};
use crate::{
    audio::{self, AudioFormat},
    core::Core,
    entities::{voicemail_box, voicemail_message},
    error::{DomainError, DomainResult, ErrorCode, FieldError},
    ids::TenantId,
    scope::TenantRows,
    services::{from_json, jobs},
    storage,
    switch::directory::tenant_of_domain,
    validate::{DialNumber, Errors},
};

/// Largest accepted recording: 20 MiB, about 10 minutes of 16-bit 16 kHz mono WAV (a box's
/// longest message on common switches is 5 minutes).
pub const MAX_VOICEMAIL_BYTES: usize = 20 * 1024 * 1024;

/// Longest message, in seconds.
const MAX_DURATION_SECS: i32 = 3600;

/// How far in the future a `received_at` may be (clock skew between node and API).
const MAX_CLOCK_SKEW_MINUTES: i64 = 5;

/// What the node says about a recorded message: the `metadata` part of the upload.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailMetadata {
    /// The SIP domain the call was for: it names the tenant.
    #[schema(min_length = 1, max_length = 253)]
    pub domain: String,
    /// The mailbox number within that tenant.
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub mailbox: String,
    /// Caller's number as the switch saw it (at most 64 characters).
    #[schema(max_length = 64)]
    pub caller_number: Option<String>,
    /// Caller's display name (at most 100 characters).
    #[schema(max_length = 100)]
    pub caller_name: Option<String>,
    /// Length of the recording, in seconds (0-3600).
    #[schema(minimum = 0, maximum = 3600)]
    pub duration_secs: i32,
    /// When the message was left (at most 5 minutes ahead of the API's clock).
    pub received_at: DateTime<Utc>,
}

/// The audio part of the upload: its declared media type and bytes.
pub struct VoicemailAudio<'a> {
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// An optional caller field: trimmed, empty as absent, bounded, no control characters.
fn caller_text(errors: &mut Errors, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
    let text = raw.map(str::trim).filter(|t| !t.is_empty())?;
    if text.chars().count() > max || text.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "invalid_text",
            format!("must be at most {max} characters, without control characters"),
        ));
        return None;
    }
    Some(text.to_owned())
}

/// Checks the audio: 415 for a media type that is not WAV, MP3 or Ogg; 413 past the limit;
/// 422 when the bytes are not that audio.
fn check_audio(upload: &VoicemailAudio<'_>) -> DomainResult<AudioFormat> {
    let Some(format) = audio::sniff(upload.content_type, upload.bytes) else {
        return Err(DomainError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the recording as audio/wav, audio/mpeg or audio/ogg",
        ));
    };
    if upload.bytes.len() > MAX_VOICEMAIL_BYTES {
        return Err(DomainError::new(
            ErrorCode::PayloadTooLarge,
            format!("A recording must be at most {MAX_VOICEMAIL_BYTES} bytes"),
        ));
    }
    let real = match format.ext {
        "wav" => audio::wav_info(upload.bytes).is_some(),
        _ => format.looks_right,
    };
    if !real {
        return Err(DomainError::field(
            "audio",
            "invalid_audio",
            format!("the recording is not {} audio", format.content_type),
        ));
    }
    Ok(format)
}

/// Stores a message the node recorded, and queues its e-mail when the box has addresses;
/// answers the tenant it went to and the message. 404 for an unknown domain or mailbox (or
/// a suspended tenant); 409 for a disabled box.
pub async fn intake(
    core: &Core,
    metadata: VoicemailMetadata,
    upload: VoicemailAudio<'_>,
) -> DomainResult<(TenantId, VoicemailMessageView)> {
    let mut errors = Errors::default();
    errors.check(DialNumber::parse("mailbox", &metadata.mailbox));
    let caller_number = caller_text(
        &mut errors,
        "caller_number",
        metadata.caller_number.as_deref(),
        64,
    );
    let caller_name = caller_text(
        &mut errors,
        "caller_name",
        metadata.caller_name.as_deref(),
        100,
    );
    crate::validate::check_range(
        &mut errors,
        "duration_secs",
        metadata.duration_secs,
        0,
        MAX_DURATION_SECS,
    );
    if metadata.received_at > Utc::now() + Duration::minutes(MAX_CLOCK_SKEW_MINUTES) {
        errors.push(FieldError::new(
            "received_at",
            "in_future",
            "must not be in the future",
        ));
    }
    errors.finish()?;
    let format = check_audio(&upload)?;

    let (scope, _domain) = tenant_of_domain(core, &metadata.domain).await?;
    let mailbox = scope
        .select::<voicemail_box::Entity>()
        .filter(voicemail_box::Column::Mailbox.eq(metadata.mailbox.as_str()))
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("voicemail box"))?;
    if !mailbox.enabled {
        return Err(DomainError::conflict("The voicemail box is disabled"));
    }
    let emails: Vec<String> = from_json(&mailbox.emails)?;
    let email_status = if emails.is_empty() {
        EmailStatus::NotRequested
    } else {
        EmailStatus::Queued
    };

    let key = storage::new_key(format.ext);
    core.files
        .write(storage::Area::Voicemail, &key, upload.bytes)
        .await?;
    let now = Utc::now();
    let row = voicemail_message::Model {
        id: Uuid::now_v7(),
        tenant_id: scope.tenant_id().0,
        box_id: mailbox.id,
        caller_id_number: caller_number,
        caller_id_name: caller_name,
        duration_secs: metadata.duration_secs,
        content_type: format.content_type.to_owned(),
        size_bytes: i64::try_from(upload.bytes.len()).map_err(DomainError::internal)?,
        storage_key: key.clone(),
        read: false,
        received_at: metadata.received_at,
        created_at: now,
        email_status: email_status.as_str().to_owned(),
        email_attempts: 0,
        email_sent_at: None,
        email_server_reply: None,
        email_last_error: None,
    };
    match store(core, &row, email_status).await {
        Ok(queued) => {
            if let Some(q) = queued {
                q.wake(core).await;
            }
            tracing::info!(
                message = %row.id,
                tenant = %row.tenant_id,
                bytes = row.size_bytes,
                "voicemail received"
            );
            Ok((TenantId(row.tenant_id), VoicemailMessageView::new(&row)?))
        }
        Err(e) => {
            core.files
                .remove(storage::Area::Voicemail, [key.as_str()])
                .await;
            Err(e)
        }
    }
}

/// Inserts the message and, when it is to be e-mailed, its job: one transaction.
async fn store(
    core: &Core,
    row: &voicemail_message::Model,
    email_status: EmailStatus,
) -> DomainResult<Option<jobs::Queued>> {
    let txn = core.begin().await?;
    let am: voicemail_message::ActiveModel = row.clone().into();
    voicemail_message::Entity::insert(am)
        .exec_without_returning(&txn)
        .await?;
    let queued = match email_status {
        EmailStatus::Queued => Some(
            jobs::enqueue(
                &txn,
                &VoicemailEmail {
                    tenant_id: TenantId(row.tenant_id),
                    message_id: row.id,
                },
                None,
            )
            .await?,
        ),
        EmailStatus::NotRequested
        | EmailStatus::Retrying
        | EmailStatus::Sent
        | EmailStatus::Failed => None,
    };
    txn.commit().await?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_checked_by_its_bytes() {
        let wav = crate::audio::tests_support::wav(800);
        let ok = |ct, b: &[u8]| {
            check_audio(&VoicemailAudio {
                content_type: ct,
                bytes: b,
            })
        };
        assert!(ok("audio/wav", &wav).is_ok());
        let code = |r: DomainResult<AudioFormat>| r.err().map(|e| e.code);
        assert_eq!(
            code(ok("text/plain", b"hello")),
            Some(ErrorCode::UnsupportedMediaType)
        );
        assert_eq!(
            code(ok("audio/wav", b"RIFF\x24\x00\x00\x00WAVEfmt ")),
            Some(ErrorCode::ValidationFailed)
        );
        assert_eq!(
            code(ok("audio/mpeg", &wav)),
            Some(ErrorCode::ValidationFailed)
        );
        let big = vec![0u8; MAX_VOICEMAIL_BYTES + 1];
        assert_eq!(
            code(ok("audio/wav", &big)),
            Some(ErrorCode::PayloadTooLarge)
        );
    }
}
