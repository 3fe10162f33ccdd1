//! Margin reports: revenue, cost and margin of calls by period (day or month), tenant,
//! destination and carrier.
//!
//! - **Platform** (`GET /v1/reports/margin`, platform staff): revenue is what the top of
//!   each call's reseller chain paid the platform, cost what the carrier charges (the CDR's
//!   buy price; a call without one counts no cost), margin the difference.
//! - **A partner** (`GET /v1/tenants/{t}/reports/margin`, over its own subtree): revenue is
//!   what the level just below it paid for each call of its subtree, cost what it paid
//!   itself; the levels above it (and carriers) are never shown.
//!
//! Calls count in the period their charge was made; amounts stay per currency.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    bulk::read_chunked,
    core::Core,
    entities::{call_authorization, call_charge, cdr, tenant, trunk},
    error::{DomainError, DomainResult},
    money::format_amount,
    scope::TenantScope,
};

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Month,
    Tenant,
    Destination,
    /// Platform only.
    Carrier,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MarginQuery {
    /// Calls charged at or after.
    pub from: DateTime<Utc>,
    /// Calls charged before.
    pub to: DateTime<Utc>,
    pub group_by: GroupBy,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarginRow {
    /// The group: a date, a month (`2026-12`), a tenant id, a prefix or a trunk id.
    pub key: String,
    /// A readable name: the tenant's, the destination's, the carrier's.
    pub label: Option<String>,
    pub currency: String,
    pub calls: i64,
    pub revenue: String,
    pub cost: String,
    pub margin: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarginReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: GroupBy,
    pub rows: Vec<MarginRow>,
    /// One row per currency, key `total`.
    pub totals: Vec<MarginRow>,
}

/// One call as a report sees it.
struct Call {
    at: DateTime<Utc>,
    tenant: Uuid,
    prefix: String,
    currency: String,
    revenue: i64,
    cost: i64,
}

/// Most a report reads: beyond it, ask for a shorter period.
const MAX_CALLS: usize = 1_000_000;

async fn charges_between<C: ConnectionTrait>(
    db: &C,
    q: &MarginQuery,
    tenant: Option<Uuid>,
) -> DomainResult<Vec<call_charge::Model>> {
    let mut s = call_charge::Entity::find()
        .filter(call_charge::Column::CreatedAt.gte(q.from))
        .filter(call_charge::Column::CreatedAt.lt(q.to));
    if let Some(t) = tenant {
        s = s.filter(call_charge::Column::TenantId.eq(t));
    }
    let rows = s.all(db).await?;
    if rows.len() > MAX_CALLS {
        return Err(DomainError::field(
            "to",
            "too_many_calls",
            "more than a million charges in the period: ask for a shorter one",
        ));
    }
    Ok(rows)
}

fn check(q: &MarginQuery) -> DomainResult<()> {
    if q.to <= q.from {
        return Err(DomainError::field(
            "to",
            "before_from",
            "must be after from",
        ));
    }
    Ok(())
}

/// `GET /v1/reports/margin`.
pub async fn platform(core: &Core, actor: &Actor, q: &MarginQuery) -> DomainResult<MarginReport> {
    match grant_platform(actor.principal.role, PlatformPermission::ReadRateDecks) {
        Grant::Allow => {}
        Grant::AllowWithReason | Grant::Deny => {
            return Err(DomainError::forbidden(
                "Only platform staff read platform margins",
            ));
        }
    }
    check(q)?;
    let charges = charges_between(&core.db, q, None).await?;
    let mut by_call: HashMap<String, Vec<call_charge::Model>> = HashMap::new();
    for c in charges {
        by_call.entry(c.call_id.clone()).or_default().push(c);
    }
    let ids: Vec<String> = by_call.keys().cloned().collect();
    let cdrs = read_chunked(&ids, |chunk| async {
        Ok(cdr::Entity::find()
            .filter(cdr::Column::CallId.is_in(chunk))
            .filter(cdr::Column::BuyMicros.is_not_null())
            .all(&core.db)
            .await?)
    })
    .await?;
    let mut buy: HashMap<String, (i64, Option<String>, Option<Uuid>)> = HashMap::new();
    for c in cdrs {
        buy.entry(c.call_id.clone()).or_insert((
            c.buy_micros.unwrap_or(0),
            c.buy_currency.clone(),
            c.trunk_id,
        ));
    }
    let mut calls = Vec::new();
    let mut carriers: HashMap<String, Option<Uuid>> = HashMap::new();
    for (id, mut levels) in by_call {
        levels.sort_by_key(|l| l.level);
        let (Some(own), Some(top)) = (levels.first(), levels.last()) else {
            continue;
        };
        let (cost, trunk) = match buy.get(&id) {
            Some((b, cur, t)) if cur.as_deref() == Some(top.currency.as_str()) => (*b, *t),
            Some((_, _, t)) => (0, *t),
            None => (0, None),
        };
        carriers.insert(id.clone(), trunk);
        calls.push((
            id,
            Call {
                at: own.created_at,
                tenant: own.tenant_id,
                prefix: own.prefix.clone().unwrap_or_default(),
                currency: top.currency.clone(),
                revenue: top.charge_micros,
                cost,
            },
        ));
    }
    group(core, q, calls, |id| carriers.get(id).copied().flatten()).await
}

/// `GET /v1/tenants/{t}/reports/margin`: a partner's margins over its subtree.
pub async fn partner(
    scope: &TenantScope,
    core: &Core,
    q: &MarginQuery,
) -> DomainResult<MarginReport> {
    // Any tenant's admins may ask: a tenant without customers has no margin to show, and
    // what is shown is only ever the asker's own level.
    scope.authorize(Permission::BillingRead)?;
    check(q)?;
    if q.group_by == GroupBy::Carrier {
        return Err(DomainError::field(
            "group_by",
            "platform_only",
            "carriers are the platform's: group by day, month, tenant or destination",
        ));
    }
    let me = scope.tenant().id;
    // The calls the partner paid for (a level of their chain is its own).
    let mine = charges_between(&core.db, q, Some(me)).await?;
    let ids: Vec<String> = mine
        .iter()
        .filter(|c| c.level > 0)
        .map(|c| c.call_id.clone())
        .collect();
    let all = read_chunked(&ids, |chunk| async {
        Ok(call_charge::Entity::find()
            .filter(call_charge::Column::CallId.is_in(chunk))
            .all(&core.db)
            .await?)
    })
    .await?;
    let mut by_call: HashMap<String, Vec<call_charge::Model>> = HashMap::new();
    for c in all {
        by_call.entry(c.call_id.clone()).or_default().push(c);
    }
    let mut calls = Vec::new();
    for m in mine.into_iter().filter(|c| c.level > 0) {
        let Some(levels) = by_call.get(&m.call_id) else {
            continue;
        };
        let below = levels.iter().find(|l| l.level == m.level - 1);
        let own = levels.iter().find(|l| l.level == 0);
        let (Some(below), Some(own)) = (below, own) else {
            continue;
        };
        if below.currency != m.currency {
            continue;
        }
        calls.push((
            m.call_id.clone(),
            Call {
                at: own.created_at,
                tenant: own.tenant_id,
                prefix: own.prefix.clone().unwrap_or_default(),
                currency: m.currency.clone(),
                revenue: below.charge_micros,
                cost: m.charge_micros,
            },
        ));
    }
    group(core, q, calls, |_| None).await
}

async fn group(
    core: &Core,
    q: &MarginQuery,
    calls: Vec<(String, Call)>,
    carrier_of: impl Fn(&str) -> Option<Uuid>,
) -> DomainResult<MarginReport> {
    // (key, currency) → (calls, revenue, cost)
    let mut rows: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    let mut totals: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let mut some_call: HashMap<String, String> = HashMap::new();
    for (id, c) in &calls {
        let key = match q.group_by {
            GroupBy::Day => c.at.format("%Y-%m-%d").to_string(),
            GroupBy::Month => c.at.format("%Y-%m").to_string(),
            GroupBy::Tenant => c.tenant.to_string(),
            GroupBy::Destination => c.prefix.clone(),
            GroupBy::Carrier => carrier_of(id).map_or_else(|| "unknown".into(), |t| t.to_string()),
        };
        some_call.entry(key.clone()).or_insert_with(|| id.clone());
        let r = rows.entry((key, c.currency.clone())).or_insert((0, 0, 0));
        *r = (r.0 + 1, r.1 + c.revenue, r.2 + c.cost);
        let t = totals.entry(c.currency.clone()).or_insert((0, 0, 0));
        *t = (t.0 + 1, t.1 + c.revenue, t.2 + c.cost);
    }
    let mut out = Vec::with_capacity(rows.len());
    for ((key, currency), (n, revenue, cost)) in rows {
        let label = label(core, q.group_by, &key, some_call.get(&key)).await?;
        out.push(MarginRow {
            key,
            label,
            currency,
            calls: n,
            revenue: format_amount(revenue),
            cost: format_amount(cost),
            margin: format_amount(revenue - cost),
        });
    }
    Ok(MarginReport {
        from: q.from,
        to: q.to,
        group_by: q.group_by,
        rows: out,
        totals: totals
            .into_iter()
            .map(|(currency, (n, revenue, cost))| MarginRow {
                key: "total".into(),
                label: None,
                currency,
                calls: n,
                revenue: format_amount(revenue),
                cost: format_amount(cost),
                margin: format_amount(revenue - cost),
            })
            .collect(),
    })
}

/// The readable name of a group.
async fn label(
    core: &Core,
    by: GroupBy,
    key: &str,
    call: Option<&String>,
) -> DomainResult<Option<String>> {
    Ok(match by {
        GroupBy::Day | GroupBy::Month => None,
        GroupBy::Tenant => match key.parse::<Uuid>() {
            Ok(id) => tenant::Entity::find_by_id(id)
                .one(&core.db)
                .await?
                .map(|t| t.name),
            Err(_) => None,
        },
        GroupBy::Carrier => match key.parse::<Uuid>() {
            Ok(id) => trunk::Entity::find_by_id(id)
                .one(&core.db)
                .await?
                .map(|t| t.name),
            Err(_) => None,
        },
        GroupBy::Destination => {
            let Some(call) = call else {
                return Ok(None);
            };
            let from_cdr = cdr::Entity::find()
                .filter(cdr::Column::CallId.eq(call.as_str()))
                .filter(cdr::Column::DestinationName.is_not_null())
                .one(&core.db)
                .await?
                .and_then(|c| c.destination_name);
            match from_cdr {
                Some(n) => Some(n),
                None => call_authorization::Entity::find()
                    .filter(call_authorization::Column::CallId.eq(call.as_str()))
                    .one(&core.db)
                    .await?
                    .and_then(|c| c.destination_name),
            }
        }
    })
}
