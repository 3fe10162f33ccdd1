//! Conference rooms: a number callers dial to talk together, optionally behind a PIN, with
//! a separate moderator PIN. PINs are argon2id-hashed and never readable back (rule 5 of
//! `docs/ARCHITECTURE.md`).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::validate::check_range;
use crate::{
    authz::Permission,
    core::Core,
    entities::conference,
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    pagination::PageRequest,
    scope::TenantScope,
    services::{audit, check_version, dial_numbers, versioned},
    validate::double_option,
    validate::{DialNumber, Errors, display_text},
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConferenceView {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    /// Whether participants must enter a PIN (the PIN itself is never shown).
    pub has_pin: bool,
    /// Whether a moderator PIN is set.
    pub has_moderator_pin: bool,
    pub max_members: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&conference::Model> for ConferenceView {
    fn from(m: &conference::Model) -> Self {
        Self {
            id: m.id,
            number: m.number.clone(),
            name: m.name.clone(),
            has_pin: m.pin_hash.is_some(),
            has_moderator_pin: m.moderator_pin_hash.is_some(),
            max_members: m.max_members,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

crate::page_type!(ConferencePage, ConferenceView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConference {
    /// 2-15 digits, in the tenant's shared number space (409 `number_taken` on collision).
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// 4-12 digits; absent for an open room. Stored only as an argon2id hash.
    #[schema(pattern = "^[0-9]{4,12}$")]
    pub pin: Option<String>,
    /// 4-12 digits, different from `pin`. Stored only as an argon2id hash.
    #[schema(pattern = "^[0-9]{4,12}$")]
    pub moderator_pin: Option<String>,
    /// 2-500 (default 50).
    #[schema(minimum = 2, maximum = 500)]
    pub max_members: Option<i32>,
}

/// JSON merge patch of a conference; `null` for a PIN removes it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConference {
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{4,12}$")]
    pub pin: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{4,12}$")]
    pub moderator_pin: Option<Option<String>>,
    #[schema(minimum = 2, maximum = 500)]
    pub max_members: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConferenceListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact number.
    pub number: Option<String>,
    /// Only rooms with (true) or without (false) a participant PIN.
    pub has_pin: Option<bool>,
}

/// A conference PIN: 4-12 ASCII digits.
fn check_pin(errors: &mut Errors, field: &str, pin: &str) -> Option<String> {
    let ok = (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Some(pin.to_owned())
    } else {
        errors.push(FieldError::new(field, "invalid_pin", "must be 4-12 digits"));
        None
    }
}

/// Both PINs given and equal: a participant could not be told from a moderator.
fn check_distinct(errors: &mut Errors, pin: Option<&str>, moderator: Option<&str>) {
    if let (Some(p), Some(m)) = (pin, moderator)
        && p == m
    {
        errors.push(FieldError::new(
            "moderator_pin",
            "same_as_pin",
            "must differ from the participant PIN",
        ));
    }
}

async fn hash(core: &Core, pin: Option<String>) -> DomainResult<Option<String>> {
    match pin {
        Some(p) => Ok(Some(core.hasher.hash(p).await?)),
        None => Ok(None),
    }
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &ConferenceListQuery,
) -> DomainResult<ConferencePage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<conference::Entity>();
    if let Some(n) = &query.number {
        select = select.filter(conference::Column::Number.eq(n.clone()));
    }
    match query.has_pin {
        Some(true) => select = select.filter(conference::Column::PinHash.is_not_null()),
        Some(false) => select = select.filter(conference::Column::PinHash.is_null()),
        None => {}
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, conference::Column::Id, |m| m.id)
        .await?;
    Ok(ConferencePage {
        items: rows.iter().map(ConferenceView::from).collect(),
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateConference,
) -> DomainResult<ConferenceView> {
    scope.authorize(Permission::PbxWrite)?;
    let mut errors = Errors::default();
    let number = errors.check(DialNumber::parse("number", &input.number));
    let name = errors.check(display_text("name", &input.name));
    let pin = input
        .pin
        .as_deref()
        .and_then(|p| check_pin(&mut errors, "pin", p));
    let moderator_pin = input
        .moderator_pin
        .as_deref()
        .and_then(|p| check_pin(&mut errors, "moderator_pin", p));
    check_distinct(&mut errors, pin.as_deref(), moderator_pin.as_deref());
    let max_members = input.max_members.unwrap_or(50);
    check_range(&mut errors, "max_members", max_members, 2, 500);
    errors.finish()?;
    let (Some(number), Some(name)) = (number, name) else {
        return Err(DomainError::internal("validated conference missing"));
    };
    let pin_hash = hash(core, pin).await?;
    let moderator_pin_hash = hash(core, moderator_pin).await?;

    let tenant_id = scope.tenant().id;
    let id = Uuid::now_v7();
    let txn = core.begin().await?;
    dial_numbers::reserve(&txn, scope.tenant_id(), &number, ObjectKind::Conference, id).await?;
    let now = Utc::now();
    let model = conference::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        number: Set(number.into_inner()),
        name: Set(name),
        pin_hash: Set(pin_hash),
        moderator_pin_hash: Set(moderator_pin_hash),
        max_members: Set(max_members),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let view = ConferenceView::from(&model);
    audit::record_change(
        &txn,
        scope,
        "conference.create",
        "conference",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<ConferenceView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<conference::Entity, _>(&core.db, id, "conference")
        .await?;
    Ok(ConferenceView::from(&m))
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateConference,
    if_match: Option<i64>,
) -> DomainResult<ConferenceView> {
    scope.authorize(Permission::PbxWrite)?;
    let current = scope
        .find::<conference::Entity, _>(&core.db, id, "conference")
        .await?;
    let before = ConferenceView::from(&current);
    let mut errors = Errors::default();
    let number = input
        .number
        .as_deref()
        .and_then(|n| errors.check(DialNumber::parse("number", n)));
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    let pin = match &input.pin {
        Some(Some(p)) => check_pin(&mut errors, "pin", p).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    let moderator_pin = match &input.moderator_pin {
        Some(Some(p)) => check_pin(&mut errors, "moderator_pin", p).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    check_distinct(
        &mut errors,
        pin.clone().flatten().as_deref(),
        moderator_pin.clone().flatten().as_deref(),
    );
    if let Some(m) = input.max_members {
        check_range(&mut errors, "max_members", m, 2, 500);
    }
    errors.finish()?;
    let pin_hash = match pin {
        Some(p) => Some(hash(core, p).await?),
        None => None,
    };
    let moderator_pin_hash = match moderator_pin {
        Some(p) => Some(hash(core, p).await?),
        None => None,
    };

    let txn = core.begin().await?;
    let current = scope
        .find::<conference::Entity, _>(&txn, id, "conference")
        .await?;
    check_version(current.version, if_match)?;
    let mut am: conference::ActiveModel = current.clone().into();
    if let Some(n) = dial_numbers::renumber(
        &txn,
        scope.tenant_id(),
        ObjectKind::Conference,
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
    // A new PIN is always a change (a fresh salt); removing an absent one is not.
    if let Some(h) = pin_hash {
        am.pin_hash.set_if_not_equals(h);
    }
    if let Some(h) = moderator_pin_hash {
        am.moderator_pin_hash.set_if_not_equals(h);
    }
    if let Some(m) = input.max_members {
        am.max_members.set_if_not_equals(m);
    }
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "conference").await?
    else {
        return Ok(before);
    };
    let view = ConferenceView::from(&updated);
    audit::record_change(
        &txn,
        scope,
        "conference.update",
        "conference",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a conference and frees its number; 409 listing the referrers while any
/// destination still points at it.
pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let gone = versioned::delete_call_flow::<conference::Entity, _>(
        &txn,
        scope,
        id,
        "conference",
        if_match,
    )
    .await?;
    audit::record_change(
        &txn,
        scope,
        "conference.delete",
        "conference",
        id,
        Some(&ConferenceView::from(&gone)),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
