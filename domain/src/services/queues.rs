//! Call queues: callers wait (with music) until an agent is free; agents are extensions of
//! the tenant in tiers (tier 1 is offered calls first), and callers who wait too long go to
//! the timeout destination.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::queue,
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

/// Most agents of one queue.
const MAX_AGENTS: usize = 200;

/// How waiting callers are offered to agents (within a tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueStrategy {
    /// Every free agent rings at once.
    RingAll,
    /// The agent idle the longest rings.
    LongestIdle,
    /// Agents in turn.
    RoundRobin,
    /// The agent who took the fewest calls rings.
    FewestCalls,
}

impl QueueStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueStrategy::RingAll => "ring_all",
            QueueStrategy::LongestIdle => "longest_idle",
            QueueStrategy::RoundRobin => "round_robin",
            QueueStrategy::FewestCalls => "fewest_calls",
        }
    }

    /// The stored strategy; an unknown one is a logged internal error.
    fn parse(s: &str) -> DomainResult<Self> {
        from_stored("queues.strategy", s)
    }
}

/// One agent of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueAgent {
    /// An extension of the tenant.
    pub extension_id: Uuid,
    /// 1-9 (default 1); lower tiers are offered calls first.
    #[serde(default = "default_tier")]
    #[schema(minimum = 1, maximum = 9)]
    pub tier: i32,
}

fn default_tier() -> i32 {
    1
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    pub id: Uuid,
    pub number: String,
    pub name: String,
    pub strategy: QueueStrategy,
    pub agents: Vec<QueueAgent>,
    pub max_wait_seconds: i32,
    pub wrap_up_seconds: i32,
    /// Name of the music-on-hold class.
    pub music_on_hold: String,
    /// Where callers go after `max_wait_seconds`.
    pub timeout_destination: Destination,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl QueueView {
    fn new(m: &queue::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            number: m.number.clone(),
            name: m.name.clone(),
            strategy: QueueStrategy::parse(&m.strategy)?,
            agents: from_json(&m.agents)?,
            max_wait_seconds: m.max_wait_seconds,
            wrap_up_seconds: m.wrap_up_seconds,
            music_on_hold: m.music_on_hold.clone(),
            timeout_destination: from_json(&m.timeout_destination)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(QueuePage, QueueView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQueue {
    /// 2-15 digits, in the tenant's shared number space (409 `number_taken` on collision).
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default `ring_all`.
    pub strategy: Option<QueueStrategy>,
    /// 0-200 agents, each extension once.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub agents: Vec<QueueAgent>,
    /// 10-7200 (default 300).
    #[schema(minimum = 10, maximum = 7200)]
    pub max_wait_seconds: Option<i32>,
    /// 0-600 (default 10): rest after a call before the next is offered.
    #[schema(minimum = 0, maximum = 600)]
    pub wrap_up_seconds: Option<i32>,
    /// Music-on-hold class (default `default`).
    pub music_on_hold: Option<String>,
    /// Default `{"type": "hangup"}`.
    pub timeout_destination: Option<Destination>,
}

/// JSON merge patch of a queue; `agents`, when present, replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQueue {
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub strategy: Option<QueueStrategy>,
    #[schema(max_items = 200)]
    pub agents: Option<Vec<QueueAgent>>,
    #[schema(minimum = 10, maximum = 7200)]
    pub max_wait_seconds: Option<i32>,
    #[schema(minimum = 0, maximum = 600)]
    pub wrap_up_seconds: Option<i32>,
    pub music_on_hold: Option<String>,
    pub timeout_destination: Option<Destination>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact number.
    pub number: Option<String>,
    pub strategy: Option<QueueStrategy>,
}

/// Validates agents (extensions of the tenant, each once, tier 1-9); records them as
/// references.
async fn check_agents<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    refs: &mut destinations::Refs,
    agents: &[QueueAgent],
) {
    if agents.len() > MAX_AGENTS {
        errors.push(FieldError::new(
            "agents",
            "invalid_length",
            format!("at most {MAX_AGENTS} agents"),
        ));
    }
    let mut seen: Vec<Uuid> = Vec::new();
    for (i, a) in agents.iter().enumerate() {
        let field = format!("agents[{i}]");
        check_range(errors, &format!("{field}.tier"), a.tier, 1, 9);
        let mut dest = Destination::Extension { id: a.extension_id };
        let ext_field = format!("{field}.extension_id");
        if errors
            .check(destinations::check(scope, db, &ext_field, &mut dest).await)
            .is_some()
        {
            if seen.contains(&a.extension_id) {
                errors.push(FieldError::new(
                    ext_field,
                    "duplicate_agent",
                    "is already an agent of this queue",
                ));
            } else {
                seen.push(a.extension_id);
                refs.push((field, ObjectKind::Extension, a.extension_id));
            }
        }
    }
}

/// A music-on-hold class name: 1-64 of `a-z`, `0-9`, `_`, `-` (media servers name their
/// sound directories so).
fn check_moh(errors: &mut Errors, raw: &str) -> String {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        errors.push(FieldError::new(
            "music_on_hold",
            "invalid_name",
            "must be 1-64 characters of a-z, 0-9, _ and -",
        ));
    }
    raw.to_owned()
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &QueueListQuery,
) -> DomainResult<QueuePage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<queue::Entity>();
    if let Some(n) = &query.number {
        select = select.filter(queue::Column::Number.eq(n.clone()));
    }
    if let Some(s) = query.strategy {
        select = select.filter(queue::Column::Strategy.eq(s.as_str()));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, queue::Column::Id, |m| m.id)
        .await?;
    Ok(QueuePage {
        items: rows
            .iter()
            .map(QueueView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateQueue,
) -> DomainResult<QueueView> {
    scope.authorize(Permission::PbxWrite)?;
    let mut errors = Errors::default();
    let mut refs = destinations::Refs::new();
    let number = errors.check(DialNumber::parse("number", &input.number));
    let name = errors.check(display_text("name", &input.name));
    let max_wait = input.max_wait_seconds.unwrap_or(300);
    check_range(&mut errors, "max_wait_seconds", max_wait, 10, 7200);
    let wrap_up = input.wrap_up_seconds.unwrap_or(10);
    check_range(&mut errors, "wrap_up_seconds", wrap_up, 0, 600);
    let moh = check_moh(
        &mut errors,
        input.music_on_hold.as_deref().unwrap_or("default"),
    );
    check_agents(scope, &core.db, &mut errors, &mut refs, &input.agents).await;
    let mut timeout = input.timeout_destination.unwrap_or(Destination::Hangup);
    destinations::check_into(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        "timeout_destination",
        &mut timeout,
    )
    .await;
    errors.finish()?;
    let (Some(number), Some(name)) = (number, name) else {
        return Err(DomainError::internal("validated queue missing"));
    };

    let tenant_id = scope.tenant().id;
    let id = Uuid::now_v7();
    let txn = core.begin().await?;
    dial_numbers::reserve(&txn, scope.tenant_id(), &number, ObjectKind::Queue, id).await?;
    let now = Utc::now();
    let model = queue::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        number: Set(number.into_inner()),
        name: Set(name),
        strategy: Set(input
            .strategy
            .unwrap_or(QueueStrategy::RingAll)
            .as_str()
            .to_owned()),
        agents: Set(to_json(&input.agents)?),
        max_wait_seconds: Set(max_wait),
        wrap_up_seconds: Set(wrap_up),
        music_on_hold: Set(moh),
        timeout_destination: Set(to_json(&timeout)?),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::Queue, id, &refs).await?;
    let view = QueueView::new(&model)?;
    audit::record_change(&txn, scope, "queue.create", "queue", id, None, Some(&view)).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<QueueView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<queue::Entity, _>(&core.db, id, "queue")
        .await?;
    QueueView::new(&m)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateQueue,
    if_match: Option<i64>,
) -> DomainResult<QueueView> {
    scope.authorize(Permission::PbxWrite)?;
    let current = scope
        .find::<queue::Entity, _>(&core.db, id, "queue")
        .await?;
    let before = QueueView::new(&current)?;
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
    let max_wait = input.max_wait_seconds.unwrap_or(before.max_wait_seconds);
    check_range(&mut errors, "max_wait_seconds", max_wait, 10, 7200);
    let wrap_up = input.wrap_up_seconds.unwrap_or(before.wrap_up_seconds);
    check_range(&mut errors, "wrap_up_seconds", wrap_up, 0, 600);
    let moh = input
        .music_on_hold
        .as_deref()
        .map(|m| check_moh(&mut errors, m));
    let agents = input.agents.unwrap_or_else(|| before.agents.clone());
    check_agents(scope, &core.db, &mut errors, &mut refs, &agents).await;
    let mut timeout = input
        .timeout_destination
        .unwrap_or_else(|| before.timeout_destination.clone());
    destinations::check_into(
        scope,
        &core.db,
        &mut errors,
        &mut refs,
        "timeout_destination",
        &mut timeout,
    )
    .await;
    errors.finish()?;

    let txn = core.begin().await?;
    let current = scope.find::<queue::Entity, _>(&txn, id, "queue").await?;
    check_version(current.version, if_match)?;
    let mut am: queue::ActiveModel = current.clone().into();
    if let Some(n) = dial_numbers::renumber(
        &txn,
        scope.tenant_id(),
        ObjectKind::Queue,
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
    if let Some(m) = moh {
        am.music_on_hold.set_if_not_equals(m);
    }
    am.agents.set_if_not_equals(to_json(&agents)?);
    am.max_wait_seconds.set_if_not_equals(max_wait);
    am.wrap_up_seconds.set_if_not_equals(wrap_up);
    am.timeout_destination.set_if_not_equals(to_json(&timeout)?);
    let Some(updated) = versioned::write_next_version(&txn, scope, &current, am, "queue").await?
    else {
        return Ok(before);
    };
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::Queue, id, &refs).await?;
    let view = QueueView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "queue.update",
        "queue",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes a queue and frees its number; 409 listing the referrers while any destination
/// still points at it.
pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let gone =
        versioned::delete_call_flow::<queue::Entity, _>(&txn, scope, id, "queue", if_match).await?;
    let before = QueueView::new(&gone)?;
    audit::record_change(
        &txn,
        scope,
        "queue.delete",
        "queue",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
