//! Voicemail-to-email: the job that mails a new message to its box's addresses, the
//! templates it renders, and the delivery status every message shows.
//!
//! A message's `email` says where delivery stands ([`EmailStatus`]): `not_requested` (the
//! box had no address when the message arrived), `queued`, `retrying` (the last attempt
//! failed for a reason that may pass — server down, timeout, a 4xx answer — and the job
//! will try again with backoff), `sent` (with the time and what the SMTP server answered),
//! or `failed` (a 5xx answer or an unusable address, or every attempt used up), always with
//! the last error and the number of attempts. Nothing fails silently: a customer sees
//! `failed` and why, an operator sees the job `dead` at `GET /v1/jobs`.
//!
//! The e-mail is multipart: plain text and HTML rendered from the templates in
//! `domain/templates/` in the box's language (Spanish for `es*`, English otherwise), the
//! subject naming the caller and the duration, the recording attached when the box says so.
//! Its `Message-ID` is derived from the message id, so the rare duplicate that at-least-once
//! delivery allows (the worker dies after the server accepted the e-mail and before the
//! status is stored) carries the same id as the first, which mail systems de-duplicate.
//!
//! "Delete after e-mail" deletes the message and its audio only once the server accepted the
//! e-mail; before that, a failure keeps everything.

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::{
    Message,
    message::{Attachment, MultiPart, header::ContentType},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    entities::{voicemail_box, voicemail_message},
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
    mail::{self, SendError},
    services::{
        from_json, from_stored,
        jobs::{Job, JobContext},
    },
    storage,
};

/// Where a message's e-mail delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// The box had no e-mail address when the message arrived.
    NotRequested,
    /// Waiting for its first attempt.
    Queued,
    /// An attempt failed for a reason that may pass; another follows (see `last_error`).
    Retrying,
    /// The SMTP server accepted it (`sent_at`, `server_reply`).
    Sent,
    /// Given up: a permanent refusal, or every attempt failed (see `last_error`).
    Failed,
}

impl EmailStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotRequested => "not_requested",
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// A message's e-mail delivery, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmailDelivery {
    pub status: EmailStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the SMTP server accepted the e-mail.
    pub sent_at: Option<DateTime<Utc>>,
    /// What the server answered when it accepted it (e.g. `250 2.0.0 Ok: queued as …`).
    pub server_reply: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl EmailDelivery {
    pub fn new(m: &voicemail_message::Model) -> DomainResult<Self> {
        Ok(Self {
            status: from_stored("voicemail_messages.email_status", &m.email_status)?,
            attempts: m.email_attempts,
            sent_at: m.email_sent_at,
            server_reply: m.email_server_reply.clone(),
            last_error: m.email_last_error.clone(),
        })
    }
}

/// Mails one voicemail message to its box's addresses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailEmail {
    pub tenant_id: TenantId,
    pub message_id: Uuid,
}

impl Job for VoicemailEmail {
    const KIND: &'static str = "voicemail.email";
    /// With the backoff of `jobs::backoff` (doubling, capped at an hour) 15 attempts span
    /// about four hours: a mail server's maintenance window, not a lost message.
    const MAX_ATTEMPTS: i32 = 15;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant_id)
    }

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let core = ctx.core;
        let found = voicemail_message::Entity::find_by_id(self.message_id)
            .filter(voicemail_message::Column::TenantId.eq(self.tenant_id.0))
            .one(&core.db)
            .await?;
        // Deleted meanwhile (by the customer, or with its box or tenant): nothing to send.
        let Some(message) = found else { return Ok(()) };
        let status: EmailStatus =
            from_stored("voicemail_messages.email_status", &message.email_status)?;
        match status {
            // Already done: a second run of the job must not send it again.
            EmailStatus::Sent | EmailStatus::NotRequested => return Ok(()),
            EmailStatus::Queued | EmailStatus::Retrying | EmailStatus::Failed => {}
        }
        let Some(mailbox) = voicemail_box::Entity::find_by_id(message.box_id)
            .filter(voicemail_box::Column::TenantId.eq(self.tenant_id.0))
            .one(&core.db)
            .await?
        else {
            return Ok(());
        };
        let emails: Vec<String> = from_json(&mailbox.emails)?;
        if emails.is_empty() {
            // The addresses were removed since the message arrived.
            record(core, &message, EmailStatus::NotRequested, None, None).await?;
            return Ok(());
        }
        let audio = if mailbox.attach_audio {
            Some(
                core.files
                    .read(
                        storage::Area::Voicemail,
                        &message.storage_key,
                        "voicemail audio",
                    )
                    .await?,
            )
        } else {
            None
        };
        let sent = match compose(&core.config.smtp_from, &mailbox, &message, &emails, audio) {
            Ok(email) => core.mailer.send(email).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(reply) => {
                record(core, &message, EmailStatus::Sent, Some(&reply), None).await?;
                tracing::info!(message = %message.id, reply = %reply, "voicemail e-mailed");
                if mailbox.delete_after_email {
                    delete_after_email(core, &message).await?;
                }
                Ok(())
            }
            Err(SendError::Permanent(e)) => {
                tracing::warn!(message = %message.id, error = %e, "voicemail e-mail refused");
                record(core, &message, EmailStatus::Failed, None, Some(&e)).await?;
                // Retrying cannot help; the message says why, and the job is done.
                Ok(())
            }
            Err(SendError::Temporary(e)) => {
                let status = if ctx.is_last_attempt() {
                    EmailStatus::Failed
                } else {
                    EmailStatus::Retrying
                };
                record(core, &message, status, None, Some(&e)).await?;
                Err(DomainError::new(
                    ErrorCode::Unavailable,
                    format!("voicemail e-mail not sent: {e}"),
                ))
            }
        }
    }
}

/// Stores the outcome of one attempt on the message.
async fn record(
    core: &crate::core::Core,
    message: &voicemail_message::Model,
    status: EmailStatus,
    reply: Option<&str>,
    error: Option<&str>,
) -> DomainResult<()> {
    let attempted = !matches!(status, EmailStatus::NotRequested);
    let mut update = voicemail_message::Entity::update_many()
        .col_expr(
            voicemail_message::Column::EmailStatus,
            status.as_str().into(),
        )
        .col_expr(
            voicemail_message::Column::EmailAttempts,
            sea_orm::sea_query::ExprTrait::add(
                Expr::col(voicemail_message::Column::EmailAttempts),
                i32::from(attempted),
            ),
        );
    if let Some(reply) = reply {
        update = update
            .col_expr(
                voicemail_message::Column::EmailSentAt,
                Some(Utc::now()).into(),
            )
            .col_expr(
                voicemail_message::Column::EmailServerReply,
                Some(clip(reply)).into(),
            )
            .col_expr(
                voicemail_message::Column::EmailLastError,
                Option::<String>::None.into(),
            );
    }
    if let Some(error) = error {
        update = update.col_expr(
            voicemail_message::Column::EmailLastError,
            Some(clip(error)).into(),
        );
    }
    update
        .filter(voicemail_message::Column::Id.eq(message.id))
        .filter(voicemail_message::Column::TenantId.eq(message.tenant_id))
        .exec(&core.db)
        .await?;
    Ok(())
}

fn clip(text: &str) -> String {
    text.chars().take(1000).collect()
}

/// The box asked for its messages to go by e-mail only: remove the row, then the audio.
async fn delete_after_email(
    core: &crate::core::Core,
    message: &voicemail_message::Model,
) -> DomainResult<()> {
    voicemail_message::Entity::delete_many()
        .filter(voicemail_message::Column::Id.eq(message.id))
        .filter(voicemail_message::Column::TenantId.eq(message.tenant_id))
        .exec(&core.db)
        .await?;
    core.files
        .remove(storage::Area::Voicemail, [message.storage_key.as_str()])
        .await;
    Ok(())
}

/// The words of the e-mail in one language.
struct Strings {
    lang: &'static str,
    subject: &'static str,
    heading: &'static str,
    from: &'static str,
    duration: &'static str,
    received: &'static str,
    mailbox: &'static str,
    unknown_caller: &'static str,
    attached: &'static str,
    not_attached: &'static str,
}

const ENGLISH: Strings = Strings {
    lang: "en",
    subject: "New voicemail from",
    heading: "You have a new voicemail",
    from: "From",
    duration: "Duration",
    received: "Received",
    mailbox: "Mailbox",
    unknown_caller: "an unknown caller",
    attached: "The recording is attached to this message.",
    not_attached: "Listen to it from your phone or in the web portal.",
};

const SPANISH: Strings = Strings {
    lang: "es",
    subject: "Nuevo mensaje de voz de",
    heading: "Tiene un nuevo mensaje de voz",
    from: "De",
    duration: "Duración",
    received: "Recibido",
    mailbox: "Buzón",
    unknown_caller: "un número desconocido",
    attached: "La grabación va adjunta a este mensaje.",
    not_attached: "Escúchelo desde su teléfono o en el portal web.",
};

/// The strings of a box's language: Spanish for `es` and its regional variants, English
/// for everything else (the other prompt languages have no e-mail translation yet).
fn strings(language: &str) -> &'static Strings {
    if language == "es" || language.starts_with("es-") {
        &SPANISH
    } else {
        &ENGLISH
    }
}

/// What both bodies show.
struct Fields<'a> {
    t: &'a Strings,
    caller: &'a str,
    duration: &'a str,
    received: &'a str,
    mailbox: &'a str,
    attached: bool,
}

#[derive(Template)]
#[template(path = "voicemail_email.txt")]
struct TextBody<'a>(&'a Fields<'a>);

#[derive(Template)]
#[template(path = "voicemail_email.html")]
struct HtmlBody<'a>(&'a Fields<'a>);

/// `m:ss`, as phones show call lengths.
fn duration_text(secs: i32) -> String {
    let secs = secs.max(0);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// `Name (number)`, either alone, or the language's "unknown caller".
fn caller_text(t: &Strings, m: &voicemail_message::Model) -> String {
    match (m.caller_id_name.as_deref(), m.caller_id_number.as_deref()) {
        (Some(name), Some(number)) if name != number => format!("{name} ({number})"),
        (_, Some(number)) => number.to_owned(),
        (Some(name), None) => name.to_owned(),
        (None, None) => t.unknown_caller.to_owned(),
    }
}

/// The attachment's file name: when and from which number, in characters every mail client
/// keeps.
fn attachment_name(m: &voicemail_message::Model) -> String {
    let number: String = m
        .caller_id_number
        .as_deref()
        .unwrap_or("unknown")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+')
        .take(32)
        .collect();
    let ext = match m.content_type.as_str() {
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        _ => "wav",
    };
    format!(
        "voicemail-{}-{number}.{ext}",
        m.received_at.format("%Y%m%d-%H%M%S")
    )
}

/// Builds the e-mail of `message` for `emails`; a problem here cannot pass by retrying.
fn compose(
    from: &str,
    mailbox: &voicemail_box::Model,
    message: &voicemail_message::Model,
    emails: &[String],
    audio: Option<Vec<u8>>,
) -> Result<Message, SendError> {
    let permanent = |e: &dyn std::fmt::Display| SendError::Permanent(e.to_string());
    let t = strings(&mailbox.language);
    let caller = caller_text(t, message);
    let duration = duration_text(message.duration_secs);
    let received = message.received_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let fields = Fields {
        t,
        caller: &caller,
        duration: &duration,
        received: &received,
        mailbox: &mailbox.mailbox,
        attached: audio.is_some(),
    };
    let text = TextBody(&fields).render().map_err(|e| permanent(&e))?;
    let html = HtmlBody(&fields).render().map_err(|e| permanent(&e))?;

    let from = mail::mailbox(from)?;
    let message_id = format!("<voicemail-{}@{}>", message.id, from.email.domain());
    let mut builder = Message::builder()
        .from(from)
        .subject(format!("{} {caller} ({duration})", t.subject))
        .message_id(Some(message_id))
        .date_now();
    for address in emails {
        builder = builder.to(mail::mailbox(address)?);
    }
    let alternative = MultiPart::alternative_plain_html(text, html);
    let body = match audio {
        Some(bytes) => {
            let content_type =
                ContentType::parse(&message.content_type).map_err(|e| permanent(&e))?;
            MultiPart::mixed()
                .multipart(alternative)
                .singlepart(Attachment::new(attachment_name(message)).body(bytes, content_type))
        }
        None => alternative,
    };
    builder.multipart(body).map_err(|e| permanent(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(name: Option<&str>, number: Option<&str>) -> voicemail_message::Model {
        let now = Utc::now();
        voicemail_message::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            box_id: Uuid::now_v7(),
            caller_id_number: number.map(Into::into),
            caller_id_name: name.map(Into::into),
            duration_secs: 65,
            content_type: "audio/wav".into(),
            size_bytes: 4,
            storage_key: "x.wav".into(),
            read: false,
            received_at: now,
            created_at: now,
            email_status: "queued".into(),
            email_attempts: 0,
            email_sent_at: None,
            email_server_reply: None,
            email_last_error: None,
        }
    }

    fn mailbox(language: &str) -> voicemail_box::Model {
        let now = Utc::now();
        voicemail_box::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            mailbox: "1001".into(),
            pin_hash: String::new(),
            emails: serde_json::json!(["ana@example.com"]),
            attach_audio: true,
            delete_after_email: false,
            language: language.into(),
            enabled: true,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    fn formatted(language: &str, m: &voicemail_message::Model, audio: Option<Vec<u8>>) -> String {
        let email = compose(
            "Voicemail <vm@pbx.example.com>",
            &mailbox(language),
            m,
            &["ana@example.com".into()],
            audio,
        )
        .expect("compose");
        String::from_utf8(email.formatted()).expect("utf-8")
    }

    #[test]
    fn the_subject_names_the_caller_and_duration_in_the_box_language() {
        let m = message(Some("Ana"), Some("+34911234567"));
        let en = formatted("en-gb", &m, None);
        assert!(
            en.contains("Subject: New voicemail from Ana (+34911234567) (1:05)"),
            "{en}"
        );
        let es = formatted("es-mx", &m, None);
        // Non-ASCII subjects are RFC 2047 encoded; the body carries the Spanish words.
        assert!(es.contains("Subject: Nuevo mensaje de voz de Ana"), "{es}");
        assert!(es.contains("Tiene un nuevo mensaje de voz"), "{es}");
        assert!(formatted("fr", &message(None, None), None).contains("an unknown caller"));
    }

    #[test]
    fn html_is_escaped_and_the_message_id_is_stable() {
        let m = message(Some("<script>x</script>"), Some("100"));
        let a = formatted("en", &m, None);
        // askama escapes `<` as `&#60;`: the caller name is text, never markup.
        assert!(a.contains("&#60;script&#62;x&#60;/script&#62;"), "{a}");
        assert!(a.contains(&format!("Message-ID: <voicemail-{}@pbx.example.com>", m.id)));
        assert_eq!(a.matches("Content-Type: text/html").count(), 1);
        assert_eq!(a.matches("Content-Type: text/plain").count(), 1);
    }

    #[test]
    fn the_recording_is_attached_when_given() {
        let m = message(None, Some("+34 911"));
        let with = formatted("en", &m, Some(vec![1, 2, 3, 4]));
        assert!(with.contains("Content-Disposition: attachment"), "{with}");
        assert!(with.contains("voicemail-"), "{with}");
        assert!(with.contains("-+34911.wav"), "{with}");
        assert!(!formatted("en", &m, None).contains("attachment"));
    }

    #[test]
    fn an_unusable_address_is_a_permanent_failure() {
        let m = message(None, None);
        let r = compose(
            "not an address",
            &mailbox("en"),
            &m,
            &["a@b.c".into()],
            None,
        );
        assert!(matches!(r, Err(SendError::Permanent(_))));
    }
}
