//! Billing accounts: every tenant (partners too) has one, with its terms: prepaid or
//! postpaid, an ISO 4217 currency, a credit limit, a tax rate (percent, exact) and the day of
//! the month its billing period starts. The tenant's admins read it; only the level above
//! (the parent partner) or platform staff change it (`Permission::BillingWrite`).
//!
//! An account that was never set has the defaults (prepaid, no credit, no tax, day 1, the
//! parent's currency or USD) and is stored on its first change or first transaction, so
//! reading never writes. Money is integer micro-units in the database and decimal strings
//! in JSON (rule 4, [`crate::money`]); the balance lives in [`ledger`].

pub mod calls;
pub mod cdrs;
pub mod fees;
pub mod holds;
pub mod invoices;
pub mod ledger;
pub mod policy;
pub mod pricing;
pub mod reports;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::{billing_account, ledger_transaction, tenant},
    error::{DomainError, DomainResult, FieldError},
    money::{format_amount, parse_amount, parse_currency},
    scope::TenantScope,
    services::{audit, check_version, from_stored, rate_decks::sellable_to},
    validate::Errors,
};

/// How a tenant pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Spends a balance topped up in advance (plus any credit limit).
    Prepaid,
    /// Is invoiced after the period, up to its credit limit.
    Postpaid,
}

impl AccountKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Prepaid => "prepaid",
            Self::Postpaid => "postpaid",
        }
    }
}

/// A tenant's billing terms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillingAccountView {
    pub kind: AccountKind,
    /// ISO 4217.
    pub currency: String,
    /// How far below zero the balance may go, as a decimal string.
    pub credit_limit: String,
    /// Tax rate in percent, as a decimal string (`"21.00"`).
    pub tax_rate: String,
    /// Day of the month (1-28) a billing period starts.
    #[schema(minimum = 1, maximum = 28)]
    pub billing_day: i32,
    /// The rate deck the tenant's calls are sold at (a deck of its parent, or for a
    /// tenant with no parent a platform deck); `null`: none, outbound calls are refused.
    pub sell_deck_id: Option<Uuid>,
    /// 0 while the account has never been set (the defaults shown).
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl BillingAccountView {
    fn new(m: &billing_account::Model) -> DomainResult<Self> {
        Ok(Self {
            kind: from_stored("billing_accounts.kind", &m.kind)?,
            currency: m.currency.clone(),
            credit_limit: format_amount(m.credit_limit_micros),
            tax_rate: format_amount(m.tax_rate_micros),
            billing_day: m.billing_day,
            sell_deck_id: m.sell_deck_id,
            version: m.version,
            updated_at: (m.version > 0).then_some(m.updated_at),
        })
    }
}

/// JSON merge patch of a billing account.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBillingAccount {
    pub kind: Option<AccountKind>,
    /// ISO 4217; cannot change once the account has transactions.
    #[schema(min_length = 3, max_length = 3)]
    pub currency: Option<String>,
    /// A non-negative decimal string.
    #[schema(max_length = 20)]
    pub credit_limit: Option<String>,
    /// Percent, 0-100, at most 6 decimal places.
    #[schema(max_length = 12)]
    pub tax_rate: Option<String>,
    /// Day of the month (1-28) a billing period starts.
    #[schema(minimum = 1, maximum = 28)]
    pub billing_day: Option<i32>,
    /// A rate deck of the tenant's parent (the platform's, for a tenant with no parent) in
    /// the account's currency; `null` removes it.
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub sell_deck_id: Option<Option<Uuid>>,
}

/// The stored account of `tenant_id`.
async fn stored<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> DomainResult<Option<billing_account::Model>> {
    Ok(billing_account::Entity::find()
        .filter(billing_account::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?)
}

/// The account a tenant has before anyone set it: its parent's currency (or USD).
async fn default_for<C: ConnectionTrait>(
    db: &C,
    t: &tenant::Model,
) -> DomainResult<billing_account::Model> {
    let currency = match t.parent_id {
        Some(parent) => stored(db, parent).await?.map(|a| a.currency),
        None => None,
    };
    let now = Utc::now();
    Ok(billing_account::Model {
        id: Uuid::now_v7(),
        tenant_id: Some(t.id),
        system_name: None,
        kind: AccountKind::Prepaid.as_str().into(),
        currency: currency.unwrap_or_else(|| "USD".into()),
        credit_limit_micros: 0,
        tax_rate_micros: 0,
        billing_day: 1,
        created_at: now,
        updated_at: now,
        version: 0,
        sell_deck_id: None,
        balance_micros: 0,
        held_micros: 0,
        active_calls: 0,
    })
}

/// The tenant's account, stored now if it never was (inside the caller's transaction).
pub(crate) async fn ensure<C: ConnectionTrait>(
    db: &C,
    t: &tenant::Model,
) -> DomainResult<billing_account::Model> {
    if let Some(a) = stored(db, t.id).await? {
        return Ok(a);
    }
    let account = default_for(db, t).await?;
    let am: billing_account::ActiveModel = account.clone().into();
    billing_account::Entity::insert(am)
        .exec_without_returning(db)
        .await?;
    Ok(account)
}

/// The tenant's account: stored, or (never set) its defaults, not stored.
pub(crate) async fn current<C: ConnectionTrait>(
    db: &C,
    t: &tenant::Model,
) -> DomainResult<billing_account::Model> {
    match stored(db, t.id).await? {
        Some(a) => Ok(a),
        None => default_for(db, t).await,
    }
}

/// `GET /v1/tenants/{t}/billing-account`.
pub async fn get(scope: &TenantScope, core: &Core) -> DomainResult<BillingAccountView> {
    scope.authorize(Permission::BillingRead)?;
    BillingAccountView::new(&current(&core.db, scope.tenant()).await?)
}

/// `PATCH /v1/tenants/{t}/billing-account` (the parent partner or platform staff).
pub async fn update(
    scope: &TenantScope,
    core: &Core,
    input: UpdateBillingAccount,
    if_match: Option<i64>,
) -> DomainResult<BillingAccountView> {
    scope.authorize(Permission::BillingWrite)?;
    let mut errors = Errors::default();
    let currency = input
        .currency
        .as_deref()
        .and_then(|c| errors.check(parse_currency("currency", c)));
    let credit_limit = input
        .credit_limit
        .as_deref()
        .and_then(|c| errors.check(parse_amount("credit_limit", c)));
    let tax_rate = input
        .tax_rate
        .as_deref()
        .and_then(|t| errors.check(parse_amount("tax_rate", t)));
    if tax_rate.is_some_and(|t| t > 100_000_000) {
        errors.push(FieldError::new(
            "tax_rate",
            "out_of_range",
            "must be a percentage from 0 to 100",
        ));
    }
    if let Some(day) = input.billing_day {
        crate::validate::check_range(&mut errors, "billing_day", day, 1, 28);
    }
    errors.finish()?;

    let txn = core.begin().await?;
    let current = ensure(&txn, scope.tenant()).await?;
    check_version(current.version, if_match)?;
    let before = BillingAccountView::new(&current)?;
    if let Some(c) = &currency
        && *c != current.currency
        && ledger_transaction::Entity::find()
            .filter(ledger_transaction::Column::TenantId.eq(scope.tenant().id))
            .one(&txn)
            .await?
            .is_some()
    {
        return Err(DomainError::conflict(
            "The currency of an account with transactions cannot change",
        ));
    }
    let currency_after = currency.clone().unwrap_or_else(|| current.currency.clone());
    let sell_deck_id = input.sell_deck_id.unwrap_or(current.sell_deck_id);
    if let Some(deck) = sell_deck_id
        && let Err(e) = sellable_to(&txn, scope.tenant(), &currency_after, deck).await?
    {
        return Err(DomainError::invalid(vec![e]));
    }
    let updated = billing_account::Model {
        sell_deck_id,
        kind: input
            .kind
            .map_or(current.kind.clone(), |k| k.as_str().to_owned()),
        currency: currency.unwrap_or_else(|| current.currency.clone()),
        credit_limit_micros: credit_limit.unwrap_or(current.credit_limit_micros),
        tax_rate_micros: tax_rate.unwrap_or(current.tax_rate_micros),
        billing_day: input.billing_day.unwrap_or(current.billing_day),
        updated_at: Utc::now(),
        version: current.version + 1,
        ..current.clone()
    };
    // Every term written, guarded by the version read; never the balance or the holds,
    // which postings and calls change without bumping the version.
    let mut am = billing_account::ActiveModel::from(updated.clone()).reset_all();
    am.balance_micros = sea_orm::ActiveValue::NotSet;
    am.held_micros = sea_orm::ActiveValue::NotSet;
    am.active_calls = sea_orm::ActiveValue::NotSet;
    let res = billing_account::Entity::update_many()
        .set(am)
        .filter(billing_account::Column::Id.eq(current.id))
        .filter(billing_account::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::stale());
    }
    let view = BillingAccountView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "billing_account.update",
        "billing_account",
        current.id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// The billing period that contains `day` for an account whose periods start on
/// `billing_day` (1-28): `[start, end)`, one calendar month.
pub fn period_containing(
    billing_day: u32,
    day: chrono::NaiveDate,
) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::{Datelike, Months, NaiveDate};
    let d = billing_day.clamp(1, 28);
    let this_month = NaiveDate::from_ymd_opt(day.year(), day.month(), d).unwrap_or(day);
    let start = if day.day() >= d {
        this_month
    } else {
        this_month
            .checked_sub_months(Months::new(1))
            .unwrap_or(this_month)
    };
    let end = start.checked_add_months(Months::new(1)).unwrap_or(start);
    (start, end)
}

#[cfg(test)]
mod period_tests {
    use super::period_containing;
    use chrono::NaiveDate;

    #[test]
    fn periods_start_on_the_billing_day() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            period_containing(1, d(2026, 12, 6)),
            (d(2026, 12, 1), d(2027, 1, 1))
        );
        assert_eq!(
            period_containing(15, d(2026, 12, 6)),
            (d(2026, 11, 15), d(2026, 12, 15))
        );
        assert_eq!(
            period_containing(15, d(2026, 12, 15)),
            (d(2026, 12, 15), d(2027, 1, 15))
        );
        assert_eq!(
            period_containing(28, d(2027, 3, 1)),
            (d(2027, 2, 28), d(2027, 3, 28))
        );
    }
}
