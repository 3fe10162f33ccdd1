//! Voicemail boxes: a mailbox number, a PIN (argon2id, trivial PINs refused), where the
//! messages are e-mailed, and how.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::from_json;
use crate::{
    authz::Permission,
    core::Core,
    entities::voicemail_box,
    error::{DomainError, DomainResult, FieldError},
    pagination::PageRequest,
    scope::TenantScope,
    services::{audit, check_version, destinations, versioned},
    sip::VoicemailPin,
    tx::Tx,
    validate::{DialNumber, Email, Errors},
};

/// Languages the prompts exist in (IETF tags as media servers name their sound sets).
const LANGUAGES: [&str; 8] = ["en", "en-us", "en-gb", "es", "es-mx", "fr", "de", "pt-br"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoicemailBoxView {
    pub id: Uuid,
    pub mailbox: String,
    /// Where new messages are e-mailed.
    pub emails: Vec<String>,
    pub attach_audio: bool,
    pub delete_after_email: bool,
    pub language: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl VoicemailBoxView {
    /// The view of a stored row; a value that does not parse is a logged internal error,
    /// never a default.
    pub fn new(m: &voicemail_box::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            mailbox: m.mailbox.clone(),
            emails: from_json(&m.emails)?,
            attach_audio: m.attach_audio,
            delete_after_email: m.delete_after_email,
            language: m.language.clone(),
            enabled: m.enabled,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(VoicemailBoxPage, VoicemailBoxView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVoicemailBox {
    /// 2-15 digits; unique among the tenant's boxes (usually the extension's number).
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub mailbox: String,
    /// 4-12 digits; trivial PINs (0000, 1234, 1212, the mailbox number…) are refused.
    /// Stored only as an argon2id hash.
    #[schema(pattern = "^[0-9]{4,12}$")]
    pub pin: String,
    /// Addresses new messages are sent to (0-10).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub emails: Vec<String>,
    /// Attach the recording to the e-mail (default true).
    pub attach_audio: Option<bool>,
    /// Delete the message once e-mailed (default false; needs an address and attach_audio).
    pub delete_after_email: Option<bool>,
    /// Prompt language (default `en`).
    pub language: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// JSON merge patch of a voicemail box.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVoicemailBox {
    #[schema(pattern = "^[0-9]{4,12}$")]
    pub pin: Option<String>,
    #[schema(max_items = 10)]
    pub emails: Option<Vec<String>>,
    pub attach_audio: Option<bool>,
    pub delete_after_email: Option<bool>,
    pub language: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VoicemailBoxListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact mailbox number.
    pub mailbox: Option<String>,
}

fn check_emails(errors: &mut Errors, raw: &[String]) -> Vec<String> {
    if raw.len() > 10 {
        errors.push(FieldError::new(
            "emails",
            "too_many",
            "at most 10 addresses",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        if let Some(e) = errors.check(Email::parse(&format!("emails[{i}]"), e)) {
            let e = e.into_inner();
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

/// A prompt language the switches have sounds for; shared with IVR greetings.
pub(crate) fn check_language(errors: &mut Errors, field: &str, raw: &str) -> String {
    let lang = raw.trim().to_lowercase();
    if !LANGUAGES.contains(&lang.as_str()) {
        errors.push(FieldError::new(
            field,
            "unsupported_language",
            format!("must be one of {}", LANGUAGES.join(", ")),
        ));
    }
    lang
}

fn check_delete_after(errors: &mut Errors, delete: bool, attach: bool, emails: &[String]) {
    if delete && (!attach || emails.is_empty()) {
        errors.push(FieldError::new(
            "delete_after_email",
            "would_lose_messages",
            "needs at least one e-mail address and attach_audio, or messages would be lost",
        ));
    }
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &VoicemailBoxListQuery,
) -> DomainResult<VoicemailBoxPage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<voicemail_box::Entity>();
    if let Some(m) = &query.mailbox {
        select = select.filter(voicemail_box::Column::Mailbox.eq(m.clone()));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, voicemail_box::Column::Id, |m| m.id)
        .await?;
    Ok(VoicemailBoxPage {
        items: rows
            .iter()
            .map(VoicemailBoxView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

/// Validated box input, ready to insert (the PIN already hashed).
pub(crate) struct NewBox {
    pub(crate) id: Uuid,
    mailbox: String,
    pin_hash: String,
    emails: Vec<String>,
    attach_audio: bool,
    delete_after_email: bool,
    language: String,
    enabled: bool,
}

/// Validates a create request (`prefix` names the fields when nested, e.g. `voicemail.`)
/// and hashes the PIN. Collects every field error.
pub(crate) async fn prepare(
    core: &Core,
    input: CreateVoicemailBox,
    prefix: &str,
    errors: &mut Errors,
) -> DomainResult<Option<NewBox>> {
    let mailbox = errors.check(DialNumber::parse(
        &format!("{prefix}mailbox"),
        &input.mailbox,
    ));
    let pin = errors.check(VoicemailPin::parse(
        &format!("{prefix}pin"),
        &input.pin,
        &input.mailbox,
    ));
    let emails = check_emails(errors, &input.emails);
    let language = check_language(
        errors,
        "language",
        input.language.as_deref().unwrap_or("en"),
    );
    let attach_audio = input.attach_audio.unwrap_or(true);
    let delete_after_email = input.delete_after_email.unwrap_or(false);
    check_delete_after(errors, delete_after_email, attach_audio, &emails);
    let (Some(mailbox), Some(pin)) = (mailbox, pin) else {
        return Ok(None);
    };
    let pin_hash = core.hasher.hash(pin.expose().to_owned()).await?;
    Ok(Some(NewBox {
        id: Uuid::now_v7(),
        mailbox: mailbox.into_inner(),
        pin_hash,
        emails,
        attach_audio,
        delete_after_email,
        language,
        enabled: input.enabled.unwrap_or(true),
    }))
}

/// Inserts a prepared box with its audit event, inside the caller's transaction.
pub(crate) async fn insert(
    scope: &TenantScope,
    db: &Tx,
    b: NewBox,
) -> DomainResult<VoicemailBoxView> {
    let taken = scope
        .select::<voicemail_box::Entity>()
        .filter(voicemail_box::Column::Mailbox.eq(b.mailbox.clone()))
        .count(db)
        .await?;
    if taken > 0 {
        return Err(DomainError::taken(
            "mailbox",
            "is already a voicemail box of this tenant",
        ));
    }
    let now = Utc::now();
    let model = voicemail_box::ActiveModel {
        id: Set(b.id),
        tenant_id: Set(scope.tenant().id),
        mailbox: Set(b.mailbox),
        pin_hash: Set(b.pin_hash),
        emails: Set(serde_json::json!(b.emails)),
        attach_audio: Set(b.attach_audio),
        delete_after_email: Set(b.delete_after_email),
        language: Set(b.language),
        enabled: Set(b.enabled),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await?;
    let view = VoicemailBoxView::new(&model)?;
    audit::record_change(
        db,
        scope,
        "voicemail_box.create",
        "voicemail_box",
        model.id,
        None,
        Some(&view),
    )
    .await?;
    Ok(view)
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateVoicemailBox,
) -> DomainResult<VoicemailBoxView> {
    scope.authorize(Permission::PbxWrite)?;
    let mut errors = Errors::default();
    let prepared = prepare(core, input, "", &mut errors).await?;
    errors.finish()?;
    let Some(b) = prepared else {
        return Err(DomainError::internal("validated box missing"));
    };
    let txn = core.begin().await?;
    let view = insert(scope, &txn, b).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<VoicemailBoxView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<voicemail_box::Entity, _>(&core.db, id, "voicemail box")
        .await?;
    VoicemailBoxView::new(&m)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateVoicemailBox,
    if_match: Option<i64>,
) -> DomainResult<VoicemailBoxView> {
    scope.authorize(Permission::PbxWrite)?;
    let current = scope
        .find::<voicemail_box::Entity, _>(&core.db, id, "voicemail box")
        .await?;
    let before = VoicemailBoxView::new(&current)?;
    let mut errors = Errors::default();
    let pin = input
        .pin
        .as_deref()
        .and_then(|p| errors.check(VoicemailPin::parse("pin", p, &current.mailbox)));
    let emails = input
        .emails
        .as_deref()
        .map(|e| check_emails(&mut errors, e));
    let language = input
        .language
        .as_deref()
        .map(|l| check_language(&mut errors, "language", l));
    let attach = input.attach_audio.unwrap_or(current.attach_audio);
    let delete = input
        .delete_after_email
        .unwrap_or(current.delete_after_email);
    check_delete_after(
        &mut errors,
        delete,
        attach,
        emails.as_deref().unwrap_or(&before.emails),
    );
    errors.finish()?;
    let pin_hash = match pin {
        Some(p) => Some(core.hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };

    let txn = core.begin().await?;
    let current = scope
        .find::<voicemail_box::Entity, _>(&txn, id, "voicemail box")
        .await?;
    check_version(current.version, if_match)?;
    let mut am: voicemail_box::ActiveModel = current.clone().into();
    if let Some(e) = emails {
        am.emails.set_if_not_equals(serde_json::json!(e));
    }
    if let Some(l) = language {
        am.language.set_if_not_equals(l);
    }
    am.attach_audio.set_if_not_equals(attach);
    am.delete_after_email.set_if_not_equals(delete);
    if let Some(e) = input.enabled {
        am.enabled.set_if_not_equals(e);
    }
    if let Some(h) = pin_hash {
        am.pin_hash = Set(h);
    }
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "voicemail box").await?
    else {
        return Ok(before);
    };
    let view = VoicemailBoxView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "voicemail_box.update",
        "voicemail_box",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a box and its messages; 409 listing the referrers while anything points at it.
pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let current = scope
        .find::<voicemail_box::Entity, _>(&txn, id, "voicemail box")
        .await?;
    check_version(current.version, if_match)?;
    destinations::ensure_unreferenced(&txn, scope.tenant_id(), "voicemail box", id).await?;
    versioned::delete::<voicemail_box::Entity, _>(&txn, scope, id).await?;
    audit::record_change(
        &txn,
        scope,
        "voicemail_box.delete",
        "voicemail_box",
        id,
        Some(&VoicemailBoxView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
