//! Ring groups: one number that rings several phones (extensions of the tenant or external
//! numbers) at once, in turn or at random, then falls back somewhere when nobody answers.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::ring_group,
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, check_version,
        destinations::{self, Destination},
        dial_numbers, versioned,
    },
    validate::{DialNumber, Errors, display_text},
};
use crate::{
    services::{from_json, from_stored, to_json},
    validate::check_range,
};

/// Most members of one group: more would be a queue.
const MAX_MEMBERS: usize = 50;

/// In which order a group's members (and a plan's legs) ring. Stored on ring groups and
/// sent to switches in route plans: one type, so the two cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RingStrategy {
    /// All at once (each after its delay); the first to answer takes the call.
    Simultaneous,
    /// One after another in list order, each for its ring time.
    Sequential,
    /// One after another in a random order (the switch shuffles).
    Random,
    /// One after another, starting after the one that answered last (the switch keeps
    /// the position).
    RoundRobin,
}

impl RingStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            RingStrategy::Simultaneous => "simultaneous",
            RingStrategy::Sequential => "sequential",
            RingStrategy::Random => "random",
            RingStrategy::RoundRobin => "round_robin",
        }
    }

    /// The stored strategy; an unknown one is a logged internal error.
    pub(crate) fn parse(s: &str) -> DomainResult<Self> {
        from_stored("ring_groups.strategy", s)
    }
}

/// Who a member is: an extension of the tenant or an outside number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MemberTarget {
    Extension {
        id: Uuid,
    },
    /// E.164, e.g. `+34911234567` (normalised).
    ExternalNumber {
        number: String,
    },
}

impl MemberTarget {
    fn as_destination(&self) -> Destination {
        match self {
            MemberTarget::Extension { id } => Destination::Extension { id: *id },
            MemberTarget::ExternalNumber { number } => Destination::ExternalNumber {
                number: number.clone(),
            },
        }
    }
}

/// One member of a ring group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RingGroupMember {
    pub target: MemberTarget,
    /// Seconds after the group starts ringing before this member rings (0-300, default 0).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 300)]
    pub delay_seconds: i32,
    /// Seconds this member rings (5-300, default 20).
    #[serde(default = "default_member_timeout")]
    #[schema(minimum = 5, maximum = 300)]
    pub timeout_seconds: i32,
}

fn default_member_timeout() -> i32 {
    20
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RingGroupView {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub strategy: RingStrategy,
    pub members: Vec<RingGroupMember>,
    /// Total seconds the group rings before the fallback.
    pub ring_seconds: i32,
    /// Where unanswered calls go.
    pub fallback: Destination,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl RingGroupView {
    fn new(m: &ring_group::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            number: m.number.clone(),
            name: m.name.clone(),
            strategy: RingStrategy::parse(&m.strategy)?,
            members: from_json(&m.members)?,
            ring_seconds: m.ring_seconds,
            fallback: from_json(&m.fallback)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(RingGroupPage, RingGroupView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRingGroup {
    /// 2-15 digits, in the tenant's shared number space (409 `number_taken` on collision).
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default `simultaneous`.
    pub strategy: Option<RingStrategy>,
    /// 1-50 members, no duplicates.
    #[schema(min_items = 1, max_items = 50)]
    pub members: Vec<RingGroupMember>,
    /// 5-600 (default 30).
    #[schema(minimum = 5, maximum = 600)]
    pub ring_seconds: Option<i32>,
    /// Default `{"type": "hangup"}`.
    pub fallback: Option<Destination>,
}

/// JSON merge patch of a ring group; `members`, when present, replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRingGroup {
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub strategy: Option<RingStrategy>,
    #[schema(min_items = 1, max_items = 50)]
    pub members: Option<Vec<RingGroupMember>>,
    #[schema(minimum = 5, maximum = 600)]
    pub ring_seconds: Option<i32>,
    pub fallback: Option<Destination>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RingGroupListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact number.
    pub number: Option<String>,
    pub strategy: Option<RingStrategy>,
}

/// Validates members against the tenant (extensions exist, numbers are E.164, no
/// duplicates), normalising them in place; records extension members as references.
async fn check_members<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    refs: &mut destinations::Refs,
    members: &mut [RingGroupMember],
) {
    if members.is_empty() || members.len() > MAX_MEMBERS {
        errors.push(FieldError::new(
            "members",
            "invalid_length",
            format!("must have 1-{MAX_MEMBERS} members"),
        ));
    }
    let mut seen: Vec<MemberTarget> = Vec::new();
    for (i, m) in members.iter_mut().enumerate() {
        let field = format!("members[{i}]");
        check_range(
            errors,
            &format!("{field}.delay_seconds"),
            m.delay_seconds,
            0,
            300,
        );
        check_range(
            errors,
            &format!("{field}.timeout_seconds"),
            m.timeout_seconds,
            5,
            300,
        );
        let mut dest = m.target.as_destination();
        let target_field = format!("{field}.target");
        if errors
            .check(destinations::check(scope, db, &target_field, &mut dest).await)
            .is_none()
        {
            continue;
        }
        if let Destination::ExternalNumber { number } = dest {
            m.target = MemberTarget::ExternalNumber { number };
        }
        if seen.contains(&m.target) {
            errors.push(FieldError::new(
                target_field,
                "duplicate_member",
                "is already a member of this group",
            ));
        } else {
            seen.push(m.target.clone());
        }
        if let MemberTarget::Extension { id } = m.target {
            refs.push((field, ObjectKind::Extension, id));
        }
    }
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &RingGroupListQuery,
) -> DomainResult<RingGroupPage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<ring_group::Entity>();
    if let Some(n) = &query.number {
        select = select.filter(ring_group::Column::Number.eq(n.clone()));
    }
    if let Some(s) = query.strategy {
        select = select.filter(ring_group::Column::Strategy.eq(s.as_str()));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, ring_group::Column::Id, |m| m.id)
        .await?;
    Ok(RingGroupPage {
        items: rows
            .iter()
            .map(RingGroupView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    mut input: CreateRingGroup,
) -> DomainResult<RingGroupView> {
    scope.authorize(Permission::PbxWrite)?;
    let mut errors = Errors::default();
    let mut refs = destinations::Refs::new();
    let number = errors.check(DialNumber::parse("number", &input.number));
    let name = errors.check(display_text("name", &input.name));
    let ring_seconds = input.ring_seconds.unwrap_or(30);
    check_range(&mut errors, "ring_seconds", ring_seconds, 5, 600);
    check_members(scope, &core.db, &mut errors, &mut refs, &mut input.members).await;
    let mut fallback = input.fallback.unwrap_or(Destination::Hangup);
    destinations::check_into(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        "fallback",
        &mut fallback,
    )
    .await;
    errors.finish()?;
    let (Some(number), Some(name)) = (number, name) else {
        return Err(DomainError::internal("validated ring group missing"));
    };

    let tenant_id = scope.tenant().id;
    let id = Uuid::now_v7();
    let txn = core.begin().await?;
    dial_numbers::reserve(&txn, scope.tenant_id(), &number, ObjectKind::RingGroup, id).await?;
    let now = Utc::now();
    let model = ring_group::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        number: Set(number.into_inner()),
        name: Set(name),
        strategy: Set(input
            .strategy
            .unwrap_or(RingStrategy::Simultaneous)
            .as_str()
            .to_owned()),
        members: Set(to_json(&input.members)?),
        ring_seconds: Set(ring_seconds),
        fallback: Set(to_json(&fallback)?),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::RingGroup, id, &refs).await?;
    let view = RingGroupView::new(&model)?;
    audit::record_change(
        &txn,
        scope,
        "ring_group.create",
        "ring_group",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<RingGroupView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<ring_group::Entity, _>(&core.db, id, "ring group")
        .await?;
    RingGroupView::new(&m)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateRingGroup,
    if_match: Option<i64>,
) -> DomainResult<RingGroupView> {
    scope.authorize(Permission::PbxWrite)?;
    let current = scope
        .find::<ring_group::Entity, _>(&core.db, id, "ring group")
        .await?;
    let before = RingGroupView::new(&current)?;
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
    let ring_seconds = input.ring_seconds.unwrap_or(before.ring_seconds);
    check_range(&mut errors, "ring_seconds", ring_seconds, 5, 600);
    let mut members = input.members.unwrap_or_else(|| before.members.clone());
    check_members(scope, &core.db, &mut errors, &mut refs, &mut members).await;
    let mut fallback = input.fallback.unwrap_or_else(|| before.fallback.clone());
    destinations::check_into(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        "fallback",
        &mut fallback,
    )
    .await;
    errors.finish()?;

    let txn = core.begin().await?;
    let current = scope
        .find::<ring_group::Entity, _>(&txn, id, "ring group")
        .await?;
    check_version(current.version, if_match)?;
    let mut am: ring_group::ActiveModel = current.clone().into();
    if let Some(n) = dial_numbers::renumber(
        &txn,
        scope.tenant_id(),
        ObjectKind::RingGroup,
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
    if let Some(s) = input.strategy {
        am.strategy.set_if_not_equals(s.as_str().to_owned());
    }
    am.members.set_if_not_equals(to_json(&members)?);
    am.ring_seconds.set_if_not_equals(ring_seconds);
    am.fallback.set_if_not_equals(to_json(&fallback)?);
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "ring group").await?
    else {
        return Ok(before);
    };
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::RingGroup, id, &refs).await?;
    let view = RingGroupView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "ring_group.update",
        "ring_group",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a ring group and frees its number; 409 listing the referrers while anything
/// still points at it.
pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let gone = versioned::delete_call_flow::<ring_group::Entity, _>(
        &txn,
        scope,
        id,
        "ring group",
        if_match,
    )
    .await?;
    let before = RingGroupView::new(&gone)?;
    audit::record_change(
        &txn,
        scope,
        "ring_group.delete",
        "ring_group",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
