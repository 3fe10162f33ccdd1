//! Time conditions: a schedule in an IANA time zone (rules, with exceptions such as
//! holidays) choosing between two destinations. The schedule logic, correct across DST
//! changes, lives in [`crate::dialplan::timecond`]; this module stores and serves it.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::from_json;
use crate::services::to_json;
use crate::{
    authz::Permission,
    core::Core,
    dialplan::timecond::TimeCondition,
    entities::time_condition,
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, check_version,
        destinations::{self, Destination, Refs},
        versioned,
    },
    validate::{Errors, display_text},
};

/// The kind the reference index records time conditions as.
const KIND: ObjectKind = ObjectKind::TimeCondition;

/// A schedule: weekdays (`mon-fri`), times (`09:00-17:30`, may wrap past midnight), dates
/// (`2026-12-25`, `2026-12-24..2026-12-26`), month days and months; a rule matches when all
/// its parts do, the schedule when a rule matches and no exception does.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// IANA zone name, e.g. `Europe/Madrid`.
    pub time_zone: String,
    /// 1-100 rules; the schedule matches when any rule does.
    #[schema(value_type = Vec<crate::dialplan::timecond::TimeRuleRepr>, min_items = 1, max_items = 100)]
    pub rules: Vec<serde_json::Value>,
    /// 0-100 rules (holidays…); when one matches, the schedule does not.
    #[serde(default)]
    #[schema(value_type = Vec<crate::dialplan::timecond::TimeRuleRepr>, max_items = 100)]
    pub exceptions: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeConditionView {
    pub id: Uuid,
    pub name: String,
    pub schedule: Schedule,
    pub matched_destination: Destination,
    pub unmatched_destination: Destination,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl TimeConditionView {
    /// The view of a stored row; a value that does not parse is a logged internal error,
    /// never a default.
    pub fn new(m: &time_condition::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            name: m.name.clone(),
            schedule: from_json(&m.schedule)?,
            matched_destination: from_json(&m.matched_destination)?,
            unmatched_destination: from_json(&m.unmatched_destination)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(TimeConditionPage, TimeConditionView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeCondition {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub schedule: Schedule,
    pub matched_destination: Destination,
    pub unmatched_destination: Destination,
}

/// JSON merge patch; `schedule` replaces the whole schedule.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTimeCondition {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub schedule: Option<Schedule>,
    pub matched_destination: Option<Destination>,
    pub unmatched_destination: Option<Destination>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimeConditionListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluateQuery {
    /// The instant to evaluate (RFC 3339); now when absent.
    pub at: Option<DateTime<Utc>>,
}

/// Which branch applies at an instant, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluationView {
    pub at: DateTime<Utc>,
    /// The instant on the zone's wall clock (RFC 3339 with its offset).
    pub local_time: String,
    pub matched: bool,
    /// Index of the rule that matched, if any.
    pub rule: Option<usize>,
    /// Index of the exception that matched, if any.
    pub exception: Option<usize>,
    /// The destination that applies.
    pub destination: Destination,
}

/// Parses a stored or submitted schedule into the evaluator.
pub(crate) fn parse_schedule(field: &str, s: &Schedule) -> Result<TimeCondition, FieldError> {
    let value = serde_json::to_value(s)
        .map_err(|e| FieldError::new(field, "invalid_schedule", e.to_string()))?;
    serde_json::from_value::<TimeCondition>(value)
        .map_err(|e| FieldError::new(field, "invalid_schedule", e.to_string()))
}

async fn check_destinations(
    scope: &TenantScope,
    db: &impl sea_orm::ConnectionTrait,
    errors: &mut Errors,
    matched: &mut Destination,
    unmatched: &mut Destination,
) -> Refs {
    let mut refs = Vec::new();
    for (field, dest) in [
        ("matched_destination", matched),
        ("unmatched_destination", unmatched),
    ] {
        if errors
            .check(destinations::check(scope, db, field, dest).await)
            .is_some()
            && let Some((t, id)) = dest.target()
        {
            refs.push((field.to_owned(), t, id));
        }
    }
    refs
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &TimeConditionListQuery,
) -> DomainResult<TimeConditionPage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let select = scope.select::<time_condition::Entity>();
    let (rows, next_cursor) = page
        .fetch(&core.db, select, time_condition::Column::Id, |m| m.id)
        .await?;
    Ok(TimeConditionPage {
        items: rows
            .iter()
            .map(TimeConditionView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    mut input: CreateTimeCondition,
) -> DomainResult<TimeConditionView> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    errors.check(parse_schedule("schedule", &input.schedule));
    let refs = check_destinations(
        scope,
        &txn,
        &mut errors,
        &mut input.matched_destination,
        &mut input.unmatched_destination,
    )
    .await;
    errors.finish()?;
    let Some(name) = name else {
        return Err(DomainError::internal("validated name missing"));
    };
    let now = Utc::now();
    let id = Uuid::now_v7();
    let model = time_condition::ActiveModel {
        id: Set(id),
        tenant_id: Set(scope.tenant().id),
        name: Set(name),
        schedule: Set(to_json(&input.schedule)?),
        matched_destination: Set(to_json(&input.matched_destination)?),
        unmatched_destination: Set(to_json(&input.unmatched_destination)?),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    destinations::replace_refs(&txn, scope.tenant_id(), KIND, id, &refs).await?;
    let view = TimeConditionView::new(&model)?;
    audit::record_change(
        &txn,
        scope,
        "time_condition.create",
        "time_condition",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<TimeConditionView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<time_condition::Entity, _>(&core.db, id, "time condition")
        .await?;
    TimeConditionView::new(&m)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateTimeCondition,
    if_match: Option<i64>,
) -> DomainResult<TimeConditionView> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let current = scope
        .find::<time_condition::Entity, _>(&txn, id, "time condition")
        .await?;
    check_version(current.version, if_match)?;
    let before = TimeConditionView::new(&current)?;
    let mut errors = Errors::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    if let Some(s) = &input.schedule {
        errors.check(parse_schedule("schedule", s));
    }
    let mut matched = input
        .matched_destination
        .clone()
        .unwrap_or(before.matched_destination.clone());
    let mut unmatched = input
        .unmatched_destination
        .clone()
        .unwrap_or(before.unmatched_destination.clone());
    let refs = check_destinations(scope, &txn, &mut errors, &mut matched, &mut unmatched).await;
    errors.finish()?;
    let mut am: time_condition::ActiveModel = current.clone().into();
    if let Some(n) = name {
        am.name.set_if_not_equals(n);
    }
    if let Some(s) = &input.schedule {
        am.schedule.set_if_not_equals(to_json(s)?);
    }
    am.matched_destination.set_if_not_equals(to_json(&matched)?);
    am.unmatched_destination
        .set_if_not_equals(to_json(&unmatched)?);
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "time condition").await?
    else {
        return Ok(before);
    };
    destinations::replace_refs(&txn, scope.tenant_id(), KIND, id, &refs).await?;
    let view = TimeConditionView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "time_condition.update",
        "time_condition",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let gone = versioned::delete_call_flow::<time_condition::Entity, _>(
        &txn,
        scope,
        id,
        "time condition",
        if_match,
    )
    .await?;
    audit::record_change(
        &txn,
        scope,
        "time_condition.delete",
        "time_condition",
        id,
        Some(&TimeConditionView::new(&gone)?),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Which branch applies at `at` (now when absent).
pub async fn evaluate(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> DomainResult<EvaluationView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<time_condition::Entity, _>(&core.db, id, "time condition")
        .await?;
    let view = TimeConditionView::new(&m)?;
    let cond =
        parse_schedule("schedule", &view.schedule).map_err(|e| DomainError::internal(e.message))?;
    let at = at.unwrap_or_else(Utc::now);
    let e = cond.explain(at);
    Ok(EvaluationView {
        at,
        local_time: e.local_time.to_rfc3339(),
        matched: e.matched,
        rule: e.rule,
        exception: e.exception,
        destination: if e.matched {
            view.matched_destination
        } else {
            view.unmatched_destination
        },
    })
}
