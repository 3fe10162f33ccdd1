//! Spend policy: what a tenant's calls may cost and where they may go, checked by every
//! authorization (`POST /v1/switch/calls`) before any credit is held.
//!
//! Set by the level above (`PUT /v1/tenants/{t}/spend-policy`: the parent partner or
//! platform staff), read by the tenant's admins. Every limit is optional:
//!
//! - `max_rate` / `max_connection_fee`: a destination dearer than this is refused
//!   (`rate_too_high`);
//! - `daily_cap`: what the tenant's calls may cost per UTC day — charges posted today plus
//!   the holds of calls in progress; a call is granted only the duration the rest of the
//!   cap pays for (`daily_cap_reached` when nothing is left);
//! - `max_concurrent_calls`: outbound calls in progress at once (`too_many_calls`),
//!   counted on the account row by the same atomic update that places the hold;
//! - `allow_prefixes` / `deny_prefixes` and `allow_countries` / `deny_countries` (ISO 3166
//!   codes from the number's numbering plan): a denied prefix or country is refused
//!   (`destination_denied`) unless a longer allowed prefix covers the number; with an allow
//!   list of countries, only those are reached.
//!
//! **Toll fraud** is refused whatever the policy says unless explicitly allowed: numbers
//! the numbering plan classifies as premium rate, shared cost, personal numbers or UAN
//! ([`RISKY_TYPES`], allowed one by one through `allow_number_types`), and the platform's
//! deny list (`fraud_deny_prefixes` of the configuration: satellite networks, international
//! premium and shared-cost services by default), allowed only by a matching entry of
//! `allow_prefixes`. Denials say `fraud_risk`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::{call_charge, spend_policy},
    error::{DomainError, DomainResult, FieldError},
    money::{format_amount, parse_amount},
    numbering::{NumberType, classify_digits},
    rating::Tariff,
    scope::TenantScope,
    services::{audit, check_version, from_json},
    validate::Errors,
};

/// Number types denied unless a policy allows them by name.
pub const RISKY_TYPES: [NumberType; 4] = [
    NumberType::PremiumRate,
    NumberType::SharedCost,
    NumberType::PersonalNumber,
    NumberType::Uan,
];

/// The platform's deny list when the configuration sets none: Inmarsat (870), the global
/// satellite and international networks (881, 882, 883), international premium rate (979)
/// and international shared cost (808).
pub const DEFAULT_FRAUD_PREFIXES: [&str; 6] = ["870", "881", "882", "883", "979", "808"];

/// A tenant's spend policy; absent limits are `null`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SpendPolicy {
    /// Highest price per minute a call may have, a decimal string.
    #[schema(max_length = 20)]
    pub max_rate: Option<String>,
    #[schema(max_length = 20)]
    pub max_connection_fee: Option<String>,
    /// Most the tenant's calls may cost per UTC day.
    #[schema(max_length = 20)]
    pub daily_cap: Option<String>,
    /// 1-100000 outbound calls at once.
    #[schema(minimum = 1, maximum = 100000)]
    pub max_concurrent_calls: Option<i32>,
    /// Digit prefixes always allowed (also past the platform's toll-fraud list), at most 100.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub allow_prefixes: Vec<String>,
    /// Digit prefixes refused, at most 100.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub deny_prefixes: Vec<String>,
    /// ISO 3166 countries: when not empty, only these are reached. At most 300.
    #[serde(default)]
    #[schema(max_items = 300)]
    pub allow_countries: Vec<String>,
    /// ISO 3166 countries refused. At most 300.
    #[serde(default)]
    #[schema(max_items = 300)]
    pub deny_countries: Vec<String>,
    /// Toll-fraud number types allowed anyway (`premium_rate`, `shared_cost`,
    /// `personal_number`, `uan`).
    #[serde(default)]
    #[schema(max_items = 4)]
    pub allow_number_types: Vec<NumberType>,
}

/// A tenant's spend policy as read: [`SpendPolicy`]'s fields, its version and when it was
/// set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpendPolicyView {
    pub max_rate: Option<String>,
    pub max_connection_fee: Option<String>,
    pub daily_cap: Option<String>,
    pub max_concurrent_calls: Option<i32>,
    pub allow_prefixes: Vec<String>,
    pub deny_prefixes: Vec<String>,
    pub allow_countries: Vec<String>,
    pub deny_countries: Vec<String>,
    pub allow_number_types: Vec<NumberType>,
    /// 0 while never set (the defaults shown).
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl SpendPolicyView {
    fn new(p: SpendPolicy, version: i64, updated_at: Option<DateTime<Utc>>) -> Self {
        Self {
            max_rate: p.max_rate,
            max_connection_fee: p.max_connection_fee,
            daily_cap: p.daily_cap,
            max_concurrent_calls: p.max_concurrent_calls,
            allow_prefixes: p.allow_prefixes,
            deny_prefixes: p.deny_prefixes,
            allow_countries: p.allow_countries,
            deny_countries: p.deny_countries,
            allow_number_types: p.allow_number_types,
            version,
            updated_at,
        }
    }
}

/// A policy as enforcement uses it.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub max_rate: Option<i64>,
    pub max_connection_fee: Option<i64>,
    pub daily_cap: Option<i64>,
    pub max_concurrent_calls: Option<i32>,
    pub allow_prefixes: Vec<String>,
    pub deny_prefixes: Vec<String>,
    pub allow_countries: Vec<String>,
    pub deny_countries: Vec<String>,
    pub allow_number_types: Vec<NumberType>,
}

fn limits_of(m: &spend_policy::Model) -> DomainResult<Limits> {
    Ok(Limits {
        max_rate: m.max_rate_micros,
        max_connection_fee: m.max_connection_fee_micros,
        daily_cap: m.daily_cap_micros,
        max_concurrent_calls: m.max_concurrent_calls,
        allow_prefixes: from_json(&m.allow_prefixes)?,
        deny_prefixes: from_json(&m.deny_prefixes)?,
        allow_countries: from_json(&m.allow_countries)?,
        deny_countries: from_json(&m.deny_countries)?,
        allow_number_types: from_json(&m.allow_number_types)?,
    })
}

fn policy_of(l: &Limits) -> SpendPolicy {
    SpendPolicy {
        max_rate: l.max_rate.map(format_amount),
        max_connection_fee: l.max_connection_fee.map(format_amount),
        daily_cap: l.daily_cap.map(format_amount),
        max_concurrent_calls: l.max_concurrent_calls,
        allow_prefixes: l.allow_prefixes.clone(),
        deny_prefixes: l.deny_prefixes.clone(),
        allow_countries: l.allow_countries.clone(),
        deny_countries: l.deny_countries.clone(),
        allow_number_types: l.allow_number_types.clone(),
    }
}

/// The tenant's limits (the defaults when never set).
pub async fn limits<C: ConnectionTrait>(db: &C, tenant: Uuid) -> DomainResult<Limits> {
    match spend_policy::Entity::find_by_id(tenant).one(db).await? {
        Some(m) => limits_of(&m),
        None => Ok(Limits::default()),
    }
}

/// Why a destination is refused, if it is.
pub fn destination_refusal(
    l: &Limits,
    fraud_prefixes: &[String],
    digits: &str,
) -> Option<&'static str> {
    let longest = |list: &[String]| {
        list.iter()
            .filter(|p| digits.starts_with(p.as_str()))
            .map(String::len)
            .max()
    };
    let allowed = longest(&l.allow_prefixes);
    let beats = |denied: Option<usize>| match (denied, allowed) {
        (None, _) => false,
        (Some(d), Some(a)) => d > a,
        (Some(_), None) => true,
    };
    if beats(longest(fraud_prefixes)) {
        return Some("fraud_risk");
    }
    if let Some((country, number_type)) = classify_digits(digits) {
        if RISKY_TYPES.contains(&number_type)
            && !l.allow_number_types.contains(&number_type)
            && allowed.is_none()
        {
            return Some("fraud_risk");
        }
        if let Some(country) = country {
            let listed = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(country));
            if allowed.is_none()
                && (listed(&l.deny_countries)
                    || (!l.allow_countries.is_empty() && !listed(&l.allow_countries)))
            {
                return Some("destination_denied");
            }
        }
    }
    if beats(longest(&l.deny_prefixes)) {
        return Some("destination_denied");
    }
    None
}

/// Why a rate is refused, if it is.
pub fn rate_refusal(l: &Limits, t: &Tariff) -> Option<&'static str> {
    let over = |limit: Option<i64>, v: i64| limit.is_some_and(|m| v > m);
    (over(l.max_rate, t.per_minute) || over(l.max_connection_fee, t.connection_fee))
        .then_some("rate_too_high")
}

/// What the tenant's calls have been charged since the start of the UTC day.
pub async fn spent_today<C: ConnectionTrait>(db: &C, tenant: Uuid) -> DomainResult<i64> {
    let midnight = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(|| DomainError::internal("no midnight today"))?;
    let sum: Option<Option<i64>> = call_charge::Entity::find()
        .select_only()
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(charge_micros) AS BIGINT)"),
            "sum",
        )
        .filter(call_charge::Column::TenantId.eq(tenant))
        .filter(call_charge::Column::Level.eq(0))
        .filter(call_charge::Column::CreatedAt.gte(midnight))
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// `GET /v1/tenants/{t}/spend-policy`.
pub async fn get(scope: &TenantScope, core: &Core) -> DomainResult<SpendPolicyView> {
    scope.authorize(Permission::BillingRead)?;
    let stored = spend_policy::Entity::find_by_id(scope.tenant().id)
        .one(&core.db)
        .await?;
    Ok(match stored {
        Some(m) => SpendPolicyView::new(policy_of(&limits_of(&m)?), m.version, Some(m.updated_at)),
        None => SpendPolicyView::new(policy_of(&Limits::default()), 0, None),
    })
}

fn prefixes(errors: &mut Errors, field: &str, list: &[String]) -> Vec<String> {
    if list.len() > 100 {
        errors.push(FieldError::new(field, "too_many", "at most 100 prefixes"));
    }
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let digits = p.trim().trim_start_matches('+');
        if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "invalid_prefix",
                "must be 1-15 digits",
            ));
        } else {
            out.push(digits.to_owned());
        }
    }
    out
}

fn countries(errors: &mut Errors, field: &str, list: &[String]) -> Vec<String> {
    if list.len() > 300 {
        errors.push(FieldError::new(field, "too_many", "at most 300 countries"));
    }
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let code = c.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            out.push(code);
        } else {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "invalid_country",
                "must be an ISO 3166 alpha-2 code such as ES",
            ));
        }
    }
    out
}

/// `PUT /v1/tenants/{t}/spend-policy`: replaces the whole policy (the level above).
pub async fn put(
    scope: &TenantScope,
    core: &Core,
    input: SpendPolicy,
    if_match: Option<i64>,
) -> DomainResult<SpendPolicyView> {
    scope.authorize(Permission::BillingWrite)?;
    let mut errors = Errors::default();
    let mut amount = |field: &str, raw: &Option<String>| {
        raw.as_deref()
            .and_then(|r| errors.check(parse_amount(field, r)))
    };
    let max_rate = amount("max_rate", &input.max_rate);
    let max_fee = amount("max_connection_fee", &input.max_connection_fee);
    let cap = amount("daily_cap", &input.daily_cap);
    if let Some(n) = input.max_concurrent_calls {
        crate::validate::check_range(&mut errors, "max_concurrent_calls", n, 1, 100_000);
    }
    let limits = Limits {
        max_rate,
        max_connection_fee: max_fee,
        daily_cap: cap,
        max_concurrent_calls: input.max_concurrent_calls,
        allow_prefixes: prefixes(&mut errors, "allow_prefixes", &input.allow_prefixes),
        deny_prefixes: prefixes(&mut errors, "deny_prefixes", &input.deny_prefixes),
        allow_countries: countries(&mut errors, "allow_countries", &input.allow_countries),
        deny_countries: countries(&mut errors, "deny_countries", &input.deny_countries),
        allow_number_types: input.allow_number_types.clone(),
    };
    for (i, t) in input.allow_number_types.iter().enumerate() {
        if !RISKY_TYPES.contains(t) {
            errors.push(FieldError::new(
                format!("allow_number_types[{i}]"),
                "not_restricted",
                "only premium_rate, shared_cost, personal_number and uan are restricted",
            ));
        }
    }
    errors.finish()?;
    let json = |v: &[String]| serde_json::to_value(v).map_err(DomainError::internal);
    let txn = core.begin().await?;
    let current = spend_policy::Entity::find_by_id(scope.tenant().id)
        .one(&txn)
        .await?;
    let version = current.as_ref().map_or(0, |c| c.version);
    check_version(version, if_match)?;
    let before = current
        .as_ref()
        .map(limits_of)
        .transpose()?
        .map(|l| policy_of(&l));
    let now = Utc::now();
    let model = spend_policy::ActiveModel {
        tenant_id: Set(scope.tenant().id),
        max_rate_micros: Set(limits.max_rate),
        max_connection_fee_micros: Set(limits.max_connection_fee),
        daily_cap_micros: Set(limits.daily_cap),
        max_concurrent_calls: Set(limits.max_concurrent_calls),
        allow_prefixes: Set(json(&limits.allow_prefixes)?),
        deny_prefixes: Set(json(&limits.deny_prefixes)?),
        allow_countries: Set(json(&limits.allow_countries)?),
        deny_countries: Set(json(&limits.deny_countries)?),
        allow_number_types: Set(
            serde_json::to_value(&limits.allow_number_types).map_err(DomainError::internal)?
        ),
        updated_at: Set(now),
        version: Set(version + 1),
    };
    if current.is_some() {
        let res = spend_policy::Entity::update_many()
            .set(model)
            .filter(spend_policy::Column::TenantId.eq(scope.tenant().id))
            .filter(spend_policy::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(DomainError::stale());
        }
    } else {
        spend_policy::Entity::insert(model)
            .exec_without_returning(&txn)
            .await?;
    }
    let policy = policy_of(&limits);
    let view = SpendPolicyView::new(policy.clone(), version + 1, Some(now));
    audit::record_change(
        &txn,
        scope,
        "spend_policy.update",
        "spend_policy",
        scope.tenant().id,
        before.as_ref(),
        Some(&policy),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fraud() -> Vec<String> {
        DEFAULT_FRAUD_PREFIXES
            .iter()
            .map(|p| (*p).to_owned())
            .collect()
    }

    #[test]
    fn toll_fraud_is_refused_unless_allowed() {
        let none = Limits::default();
        // Inmarsat, and a UK premium-rate number (09…).
        assert_eq!(
            destination_refusal(&none, &fraud(), "870772001799"),
            Some("fraud_risk")
        );
        assert_eq!(
            destination_refusal(&none, &fraud(), "449098790999"),
            Some("fraud_risk")
        );
        // An ordinary Spanish mobile.
        assert_eq!(destination_refusal(&none, &fraud(), "34612345678"), None);
        let allowed = Limits {
            allow_prefixes: vec!["870".into()],
            allow_number_types: vec![NumberType::PremiumRate],
            ..Limits::default()
        };
        assert_eq!(
            destination_refusal(&allowed, &fraud(), "870772001799"),
            None
        );
        assert_eq!(
            destination_refusal(&allowed, &fraud(), "449098790999"),
            None
        );
    }

    #[test]
    fn countries_and_prefixes() {
        let l = Limits {
            deny_countries: vec!["GB".into()],
            deny_prefixes: vec!["346".into()],
            allow_prefixes: vec!["34612".into()],
            ..Limits::default()
        };
        assert_eq!(
            destination_refusal(&l, &[], "442079460958"),
            Some("destination_denied")
        );
        assert_eq!(
            destination_refusal(&l, &[], "34655555555"),
            Some("destination_denied")
        );
        assert_eq!(
            destination_refusal(&l, &[], "34612345678"),
            None,
            "a longer allow wins"
        );
        let only_spain = Limits {
            allow_countries: vec!["ES".into()],
            ..Limits::default()
        };
        assert_eq!(destination_refusal(&only_spain, &[], "34911234567"), None);
        assert_eq!(
            destination_refusal(&only_spain, &[], "12125550100"),
            Some("destination_denied")
        );
    }
}
