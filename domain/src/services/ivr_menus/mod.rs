//! IVR menus: "for sales press 1, for support press 2". A greeting plays, the caller presses
//! one key, and the option for that key says where the call goes; no key or a key without
//! an option replays the menu, then ends at the timeout or invalid-input destination.
//!
//! The greeting is either text the switch speaks (TTS, in a prompt language) or a recording
//! uploaded with `PUT …/greeting`. Recordings are files in the data directory under
//! `ivr-greetings/`, named by a generated key (never by anything from a request), checked
//! to really be WAV, MP3 or Ogg audio, and removed when replaced or when the menu goes.
//!
//! Two files: this one holds the menu itself (types, checks, CRUD), [`greeting`] the
//! recorded audio (upload, the two ways it is read back, and its files).

mod greeting;

pub(crate) use greeting::recordings_of;
use greeting::remove_recording;
pub use greeting::{GreetingUpload, greeting_audio, greeting_audio_for_switch, put_greeting};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::ivr_menu,
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    pagination::PageRequest,
    scope::{TenantRows, TenantScope},
    services::{
        audit, check_version,
        destinations::{self, Destination},
        dial_numbers, versioned,
        voicemail_boxes::check_language,
    },
    storage,
    validate::{DialNumber, Errors, display_text},
};
use crate::{services::from_json, services::to_json, validate::check_range};

/// Where recordings are kept.
pub const AREA: storage::Area = storage::Area::Greetings;

/// Largest greeting recording accepted: about nine minutes of 8 kHz 16-bit WAV, far more
/// than any menu greeting, small enough to hold in memory while it is checked.
pub const MAX_GREETING_BYTES: usize = 8 * 1024 * 1024;

/// Longest text greeting, in characters.
const MAX_GREETING_TEXT: usize = 1000;

/// The keys a caller can press.
const DIGITS: [&str; 12] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"];

/// What the caller hears first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Greeting {
    /// Spoken by the switch's text-to-speech in `language`.
    Text {
        /// 1-1000 characters.
        #[schema(min_length = 1, max_length = 1000)]
        text: String,
        /// Prompt language (default `en`).
        #[serde(default = "default_language")]
        language: String,
    },
    /// An uploaded recording (`PUT …/greeting`); read-only here, set by the upload.
    Recording {
        /// `audio/wav`, `audio/mpeg` or `audio/ogg`.
        content_type: String,
        size_bytes: i64,
        /// Hex SHA-256 of the audio: switches cache the file by it.
        sha256: String,
        uploaded_at: DateTime<Utc>,
    },
}

fn default_language() -> String {
    "en".to_owned()
}

/// A greeting as clients write it: text. A recording is set by uploading its audio to
/// `PUT …/greeting`, never written as JSON.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GreetingInput {
    /// Spoken by the switch's text-to-speech in `language`.
    Text {
        /// 1-1000 characters.
        #[schema(min_length = 1, max_length = 1000)]
        text: String,
        /// Prompt language (default `en`).
        #[serde(default = "default_language")]
        language: String,
    },
}

/// One key of the menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrOption {
    /// `0`-`9`, `*` or `#`; each at most once per menu.
    pub digit: String,
    pub destination: Destination,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IvrMenuView {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub greeting: Greeting,
    pub options: Vec<IvrOption>,
    /// Seconds to wait for a key after the greeting.
    pub timeout_seconds: i32,
    /// How many times the menu replays after no key or a key without an option, before the
    /// timeout or invalid destination takes the call.
    pub invalid_retries: i32,
    /// Whether the caller may dial an internal number (an extension …) instead of an option.
    pub direct_dial: bool,
    pub timeout_destination: Destination,
    pub invalid_destination: Destination,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl IvrMenuView {
    pub(crate) fn new(m: &ivr_menu::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            number: m.number.clone(),
            name: m.name.clone(),
            greeting: from_json(&m.greeting)?,
            options: from_json(&m.options)?,
            timeout_seconds: m.timeout_seconds,
            invalid_retries: m.invalid_retries,
            direct_dial: m.direct_dial,
            timeout_destination: from_json(&m.timeout_destination)?,
            invalid_destination: from_json(&m.invalid_destination)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(IvrMenuPage, IvrMenuView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIvrMenu {
    /// 2-15 digits, in the tenant's shared number space (409 `number_taken` on collision).
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// A `text` greeting; upload a recording afterwards with `PUT …/greeting`.
    pub greeting: GreetingInput,
    /// 0-12 options, one per key. A menu needs at least one option or `direct_dial`.
    #[serde(default)]
    #[schema(max_items = 12)]
    pub options: Vec<IvrOption>,
    /// 1-60 (default 5).
    #[schema(minimum = 1, maximum = 60)]
    pub timeout_seconds: Option<i32>,
    /// 0-9 (default 2).
    #[schema(minimum = 0, maximum = 9)]
    pub invalid_retries: Option<i32>,
    /// Default false.
    pub direct_dial: Option<bool>,
    /// Default `{"type": "hangup"}`.
    pub timeout_destination: Option<Destination>,
    /// Default `{"type": "hangup"}`.
    pub invalid_destination: Option<Destination>,
}

/// JSON merge patch of an IVR menu; `options`, when present, replaces the whole list. A
/// `text` greeting replaces a recording (and deletes it).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIvrMenu {
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub greeting: Option<GreetingInput>,
    #[schema(max_items = 12)]
    pub options: Option<Vec<IvrOption>>,
    #[schema(minimum = 1, maximum = 60)]
    pub timeout_seconds: Option<i32>,
    #[schema(minimum = 0, maximum = 9)]
    pub invalid_retries: Option<i32>,
    pub direct_dial: Option<bool>,
    pub timeout_destination: Option<Destination>,
    pub invalid_destination: Option<Destination>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IvrMenuListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact number.
    pub number: Option<String>,
}

/// Checks a written greeting: text of a sensible length in a language the switches speak.
fn check_greeting(errors: &mut Errors, input: GreetingInput) -> Greeting {
    let GreetingInput::Text { text, language } = input;
    let text = text.trim().to_owned();
    let len = text.chars().count();
    if len == 0 || len > MAX_GREETING_TEXT {
        errors.push(FieldError::new(
            "greeting.text",
            "invalid_length",
            format!("must be 1-{MAX_GREETING_TEXT} characters"),
        ));
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new(
            "greeting.text",
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    let language = check_language(errors, "greeting.language", &language);
    Greeting::Text { text, language }
}

/// Checks the options (keys valid and distinct, destinations in the tenant), normalising
/// external numbers in place and recording the references.
async fn check_options<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    refs: &mut destinations::Refs,
    options: &mut [IvrOption],
    direct_dial: bool,
) {
    if options.len() > DIGITS.len() {
        errors.push(FieldError::new(
            "options",
            "invalid_length",
            format!("must have at most {} options", DIGITS.len()),
        ));
    }
    if options.is_empty() && !direct_dial {
        errors.push(FieldError::new(
            "options",
            "invalid_length",
            "a menu needs at least one option, or direct_dial",
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, o) in options.iter_mut().enumerate() {
        let field = format!("options[{i}]");
        let digit = o.digit.trim().to_owned();
        if !DIGITS.contains(&digit.as_str()) {
            errors.push(FieldError::new(
                format!("{field}.digit"),
                "invalid_digit",
                "must be one key: 0-9, * or #",
            ));
        } else if seen.contains(&digit) {
            errors.push(FieldError::new(
                format!("{field}.digit"),
                "duplicate_digit",
                "another option already uses this key",
            ));
        } else {
            seen.push(digit.clone());
        }
        o.digit = digit;
        destinations::check_into(
            scope,
            db,
            errors,
            refs,
            &format!("{field}.destination"),
            &mut o.destination,
        )
        .await;
    }
}

/// The menu's settings after defaults, checked together.
struct Checked {
    timeout_seconds: i32,
    invalid_retries: i32,
    timeout_destination: Destination,
    invalid_destination: Destination,
}

async fn check_common<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    refs: &mut destinations::Refs,
    mut c: Checked,
) -> Checked {
    check_range(errors, "timeout_seconds", c.timeout_seconds, 1, 60);
    check_range(errors, "invalid_retries", c.invalid_retries, 0, 9);
    destinations::check_into(
        scope,
        db,
        errors,
        refs,
        "timeout_destination",
        &mut c.timeout_destination,
    )
    .await;
    destinations::check_into(
        scope,
        db,
        errors,
        refs,
        "invalid_destination",
        &mut c.invalid_destination,
    )
    .await;
    c
}

/// Longest chain of menus followed through their timeouts.
const MAX_TIMEOUT_CHAIN: usize = 32;

/// Whether a caller who presses nothing at menu `from`, and at every menu its timeout
/// leads to, reaches menu `target` or goes round any circle of menus: a call that would
/// replay menus forever without anybody listening.
pub(crate) async fn timeout_returns<C: ConnectionTrait>(
    db: &C,
    rows: &impl TenantRows,
    from: Uuid,
    target: Uuid,
) -> DomainResult<bool> {
    let mut seen = Vec::new();
    let mut next = from;
    while seen.len() < MAX_TIMEOUT_CHAIN {
        if next == target || seen.contains(&next) {
            return Ok(true);
        }
        seen.push(next);
        let Some(m) = rows.select_by_id::<ivr_menu::Entity>(next).one(db).await? else {
            return Ok(false);
        };
        match from_json::<Destination>(&m.timeout_destination)? {
            Destination::IvrMenu { id } => next = id,
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Refuses a timeout destination that brings a silent caller back to menu `id` (or round
/// another circle of menus): the call would never end.
async fn check_silent_loop<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    id: Uuid,
    timeout: &Destination,
) -> DomainResult<()> {
    if let Destination::IvrMenu { id: next } = timeout
        && timeout_returns(db, scope, *next, id).await?
    {
        errors.push(FieldError::new(
            "timeout_destination",
            "timeout_loop",
            "with no key pressed the call would come back to this menu forever; end the \
             chain at a person, a voicemail box or a hangup (invalid_retries already replays \
             the menu)",
        ));
    }
    Ok(())
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &IvrMenuListQuery,
) -> DomainResult<IvrMenuPage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<ivr_menu::Entity>();
    if let Some(n) = &query.number {
        select = select.filter(ivr_menu::Column::Number.eq(n.clone()));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, ivr_menu::Column::Id, |m| m.id)
        .await?;
    Ok(IvrMenuPage {
        items: rows
            .iter()
            .map(IvrMenuView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    mut input: CreateIvrMenu,
) -> DomainResult<IvrMenuView> {
    scope.authorize(Permission::PbxWrite)?;
    let mut errors = Errors::default();
    let mut refs = destinations::Refs::new();
    let number = errors.check(DialNumber::parse("number", &input.number));
    let name = errors.check(display_text("name", &input.name));
    let greeting = check_greeting(&mut errors, input.greeting);
    let direct_dial = input.direct_dial.unwrap_or(false);
    check_options(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        &mut input.options,
        direct_dial,
    )
    .await;
    let c = check_common(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        Checked {
            timeout_seconds: input.timeout_seconds.unwrap_or(5),
            invalid_retries: input.invalid_retries.unwrap_or(2),
            timeout_destination: input.timeout_destination.unwrap_or(Destination::Hangup),
            invalid_destination: input.invalid_destination.unwrap_or(Destination::Hangup),
        },
    )
    .await;
    let id = Uuid::now_v7();
    check_silent_loop(scope, &core.db, &mut errors, id, &c.timeout_destination).await?;
    errors.finish()?;
    let (Some(number), Some(name)) = (number, name) else {
        return Err(DomainError::internal("validated IVR menu missing"));
    };

    let tenant_id = scope.tenant().id;
    let txn = core.begin().await?;
    dial_numbers::reserve(&txn, scope.tenant_id(), &number, ObjectKind::IvrMenu, id).await?;
    let now = Utc::now();
    let model = ivr_menu::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        number: Set(number.into_inner()),
        name: Set(name),
        greeting: Set(to_json(&greeting)?),
        greeting_storage_key: Set(None),
        options: Set(to_json(&input.options)?),
        timeout_seconds: Set(c.timeout_seconds),
        invalid_retries: Set(c.invalid_retries),
        direct_dial: Set(direct_dial),
        timeout_destination: Set(to_json(&c.timeout_destination)?),
        invalid_destination: Set(to_json(&c.invalid_destination)?),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::IvrMenu, id, &refs).await?;
    let view = IvrMenuView::new(&model)?;
    audit::record_change(
        &txn,
        scope,
        "ivr_menu.create",
        "ivr_menu",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<IvrMenuView> {
    scope.authorize(Permission::PbxRead)?;
    IvrMenuView::new(&find(scope, &core.db, id).await?)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateIvrMenu,
    if_match: Option<i64>,
) -> DomainResult<IvrMenuView> {
    scope.authorize(Permission::PbxWrite)?;
    let before = IvrMenuView::new(&find(scope, &core.db, id).await?)?;
    let mut errors = Errors::default();
    let mut refs = destinations::Refs::new();
    let number = input
        .number
        .as_deref()
        .and_then(|n| errors.check(DialNumber::parse("number", n)));
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    let greeting = input.greeting.map(|g| check_greeting(&mut errors, g));
    let direct_dial = input.direct_dial.unwrap_or(before.direct_dial);
    let mut options = input.options.unwrap_or_else(|| before.options.clone());
    check_options(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        &mut options,
        direct_dial,
    )
    .await;
    let c = check_common(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        Checked {
            timeout_seconds: input.timeout_seconds.unwrap_or(before.timeout_seconds),
            invalid_retries: input.invalid_retries.unwrap_or(before.invalid_retries),
            timeout_destination: input
                .timeout_destination
                .unwrap_or_else(|| before.timeout_destination.clone()),
            invalid_destination: input
                .invalid_destination
                .unwrap_or_else(|| before.invalid_destination.clone()),
        },
    )
    .await;
    check_silent_loop(scope, &core.db, &mut errors, id, &c.timeout_destination).await?;
    errors.finish()?;

    let txn = core.begin().await?;
    let current = find(scope, &txn, id).await?;
    check_version(current.version, if_match)?;
    let mut am: ivr_menu::ActiveModel = current.clone().into();
    if let Some(n) = dial_numbers::renumber(
        &txn,
        scope.tenant_id(),
        ObjectKind::IvrMenu,
        id,
        &current.number,
        number,
    )
    .await?
    {
        am.number = Set(n);
    }
    if let Some(n) = name {
        am.name.set_if_not_equals(n);
    }
    // A text greeting replaces a recording: the file goes once the change is committed.
    let mut dropped_recording = None;
    if let Some(g) = greeting {
        let json = to_json(&g)?;
        if json != current.greeting {
            am.greeting = Set(json);
            dropped_recording = current.greeting_storage_key.clone();
            am.greeting_storage_key = Set(None);
        }
    }
    am.options.set_if_not_equals(to_json(&options)?);
    am.timeout_seconds.set_if_not_equals(c.timeout_seconds);
    am.invalid_retries.set_if_not_equals(c.invalid_retries);
    am.direct_dial.set_if_not_equals(direct_dial);
    am.timeout_destination
        .set_if_not_equals(to_json(&c.timeout_destination)?);
    am.invalid_destination
        .set_if_not_equals(to_json(&c.invalid_destination)?);
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "IVR menu").await?
    else {
        return Ok(before);
    };
    let view = IvrMenuView::new(&updated)?;
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::IvrMenu, id, &refs).await?;
    audit::record_change(
        &txn,
        scope,
        "ivr_menu.update",
        "ivr_menu",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    if let Some(key) = dropped_recording {
        remove_recording(core, &key).await;
    }
    Ok(view)
}

/// Deletes an IVR menu, its recording, and frees its number; 409 listing the referrers
/// while anything still points at it (an option of itself does not count).
pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let current =
        versioned::delete_call_flow::<ivr_menu::Entity, _>(&txn, scope, id, "IVR menu", if_match)
            .await?;
    let before = IvrMenuView::new(&current)?;
    audit::record_change(
        &txn,
        scope,
        "ivr_menu.delete",
        "ivr_menu",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    if let Some(key) = current.greeting_storage_key {
        remove_recording(core, &key).await;
    }
    Ok(())
}

pub(super) async fn find<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    id: Uuid,
) -> DomainResult<ivr_menu::Model> {
    scope.find::<ivr_menu::Entity, _>(db, id, "IVR menu").await
}
