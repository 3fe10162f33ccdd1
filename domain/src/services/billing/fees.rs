//! DID fees. A number's **setup fee** is posted when a tenant claims it, in the claim's
//! transaction. Its **monthly fee** is posted per billing period of the tenant's account
//! (from its `billing_day`), after the period ends, by [`DidFees`] (hourly): a number
//! held for part of a period pays for the days it was held —
//!
//! > fee × days held ÷ days in the period, in micro-units, rounded half up once,
//!
//! where a day counts when the number was held at any moment of it (UTC). Claimed on the
//! 6th of a 31-day period and kept: 26 of 31 days, so 30.00 a month costs 25.161290.
//! Each fee is recorded per assignment and period (`did_fee_charges`), so the job posts a
//! period once however often it runs. Both fees are in the DID's currency, which must be
//! the account's (a claim of a number priced in another currency is refused).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ensure,
    ledger::{Posting, TransactionKind, post, system_account},
    period_containing,
};
use crate::{
    core::Core,
    entities::{billing_account, did, did_assignment, did_fee_charge, tenant},
    error::{DomainError, DomainResult},
    money::format_amount,
    services::jobs::{self, Job, JobContext},
};

/// How often the monthly fees are looked at.
pub const EVERY: Duration = Duration::hours(1);

/// Periods looked back at: a job down for a year still catches up.
const LOOKBACK_DAYS: i64 = 400;

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
}

/// `fee × days ÷ period_days`, half up, once.
pub fn prorate(fee: i64, days: i64, period_days: i64) -> i64 {
    if period_days <= 0 {
        return 0;
    }
    let n = i128::from(fee) * i128::from(days);
    let d = i128::from(period_days);
    i64::try_from((2 * n + d) / (2 * d)).unwrap_or(i64::MAX)
}

/// Posts a fee of `amount` to `account` (nothing for zero), answering the transaction.
async fn post_fee<C: ConnectionTrait>(
    db: &C,
    account: &billing_account::Model,
    kind: TransactionKind,
    amount: i64,
    description: &str,
) -> DomainResult<Option<Uuid>> {
    if amount == 0 {
        return Ok(None);
    }
    let revenue = system_account(db, "revenue", &account.currency).await?;
    let tx = post(
        db,
        account,
        Posting {
            kind,
            delta: -amount,
            counter: (revenue, "revenue"),
            description: Some(description),
            actor: None,
            floor: None,
        },
    )
    .await?;
    Ok(Some(tx.id))
}

/// The claim's part: refuses a number priced in another currency than the account's, and
/// posts its setup fee. Inside the claim's transaction.
pub(crate) async fn on_claim<C: ConnectionTrait>(
    db: &C,
    t: &tenant::Model,
    number: &did::Model,
    assignment_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    if number.setup_fee_micros == 0 && number.monthly_fee_micros == 0 {
        return Ok(());
    }
    let account = ensure(db, t).await?;
    if account.currency != number.currency {
        return Err(DomainError::field(
            "did_id",
            "currency_mismatch",
            format!(
                "the number's fees are in {}, the tenant's account in {}",
                number.currency, account.currency
            ),
        ));
    }
    if number.setup_fee_micros == 0 {
        return Ok(());
    }
    let tx = post_fee(
        db,
        &account,
        TransactionKind::DidSetupFee,
        number.setup_fee_micros,
        &format!("Setup of {}", number.number),
    )
    .await?;
    did_fee_charge::Entity::insert(did_fee_charge::ActiveModel {
        assignment_id: Set(assignment_id),
        kind: Set("setup".into()),
        period_start: Set(now),
        period_end: Set(now),
        tenant_id: Set(t.id),
        did_id: Set(number.id),
        days: Set(0),
        period_days: Set(0),
        amount_micros: Set(number.setup_fee_micros),
        currency: Set(number.currency.clone()),
        transaction_id: Set(tx),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Posts the monthly fees of every period that ended by `until` (now, when absent).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DidFees {
    /// Bill the periods ended by then; absent: now, and the job runs again in an hour.
    pub until: Option<DateTime<Utc>>,
}

impl Job for DidFees {
    const KIND: &'static str = "billing.did_fees";

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let core = ctx.core;
        let now = self.until.unwrap_or_else(Utc::now);
        let posted = run_fees(core, now).await?;
        if posted > 0 {
            tracing::info!(fees = posted, "posted DID monthly fees");
        }
        if self.until.is_none() {
            let _next = jobs::enqueue(&core.db, self, Some(Utc::now() + EVERY)).await?;
        }
        Ok(())
    }
}

/// Queues a run now unless one is pending (each worker calls this at start).
pub async fn schedule(core: &Core) -> DomainResult<()> {
    if !jobs::pending_exists::<DidFees, _>(&core.db).await? {
        jobs::enqueue(&core.db, &DidFees::default(), None)
            .await?
            .wake(core)
            .await;
    }
    Ok(())
}

async fn run_fees(core: &Core, now: DateTime<Utc>) -> DomainResult<u64> {
    let oldest = now - Duration::days(LOOKBACK_DAYS);
    let mut after: Option<Uuid> = None;
    let mut posted = 0;
    loop {
        let mut q = did_assignment::Entity::find()
            .filter(
                Condition::any()
                    .add(did_assignment::Column::ReleasedAt.is_null())
                    .add(did_assignment::Column::ReleasedAt.gt(oldest)),
            )
            .order_by_asc(did_assignment::Column::Id)
            .limit(500);
        if let Some(a) = after {
            q = q.filter(did_assignment::Column::Id.gt(a));
        }
        let page = q.all(&core.db).await?;
        let Some(last) = page.last().map(|a| a.id) else {
            break;
        };
        after = Some(last);
        for a in page {
            let txn = core.db.begin().await?;
            posted += monthly(&txn, &a, now, oldest).await?;
            txn.commit().await?;
        }
    }
    Ok(posted)
}

/// Posts the monthly fees one assignment owes for periods ended by `now`.
async fn monthly<C: ConnectionTrait>(
    db: &C,
    a: &did_assignment::Model,
    now: DateTime<Utc>,
    oldest: DateTime<Utc>,
) -> DomainResult<u64> {
    let Some(number) = did::Entity::find_by_id(a.did_id).one(db).await? else {
        return Ok(0);
    };
    if number.monthly_fee_micros == 0 {
        return Ok(0);
    }
    let Some(t) = tenant::Entity::find_by_id(a.tenant_id).one(db).await? else {
        return Ok(0);
    };
    let account = ensure(db, &t).await?;
    if account.currency != number.currency {
        tracing::error!(did = %number.number, "a DID's currency differs from its tenant's account: fee not posted");
        return Ok(0);
    }
    let day = u32::try_from(account.billing_day).unwrap_or(1);
    let held_from = a.assigned_at.date_naive();
    // A day counts when the number was held at any moment of it.
    let held_until = a.released_at.map(|r| r.date_naive() + Duration::days(1));
    let mut posted = 0;
    let (mut start, mut end) = period_containing(day, held_from);
    while midnight(end) <= now {
        if held_until.is_some_and(|u| u <= start) {
            break;
        }
        if midnight(end) > oldest {
            let lo = start.max(held_from);
            let hi = held_until.map_or(end, |u| end.min(u));
            let days = (hi - lo).num_days().max(0);
            let period_days = (end - start).num_days();
            let amount = prorate(number.monthly_fee_micros, days, period_days);
            let inserted = did_fee_charge::Entity::insert(did_fee_charge::ActiveModel {
                assignment_id: Set(a.id),
                kind: Set("monthly".into()),
                period_start: Set(midnight(start)),
                period_end: Set(midnight(end)),
                tenant_id: Set(t.id),
                did_id: Set(number.id),
                days: Set(i32::try_from(days).unwrap_or(0)),
                period_days: Set(i32::try_from(period_days).unwrap_or(0)),
                amount_micros: Set(amount),
                currency: Set(number.currency.clone()),
                transaction_id: Set(None),
                created_at: Set(Utc::now()),
            })
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    did_fee_charge::Column::AssignmentId,
                    did_fee_charge::Column::Kind,
                    did_fee_charge::Column::PeriodStart,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
            if inserted == 1 {
                let description = format!(
                    "{} monthly fee {start} – {end} ({days}/{period_days} days of {})",
                    number.number,
                    format_amount(number.monthly_fee_micros)
                );
                let tx = post_fee(
                    db,
                    &account,
                    TransactionKind::DidMonthlyFee,
                    amount,
                    &description,
                )
                .await?;
                did_fee_charge::Entity::update_many()
                    .col_expr(did_fee_charge::Column::TransactionId, tx.into())
                    .filter(did_fee_charge::Column::AssignmentId.eq(a.id))
                    .filter(did_fee_charge::Column::Kind.eq("monthly"))
                    .filter(did_fee_charge::Column::PeriodStart.eq(midnight(start)))
                    .exec(db)
                    .await?;
                posted += 1;
            }
        }
        (start, end) = (end, period_containing(day, end).1);
    }
    Ok(posted)
}

#[cfg(test)]
mod tests {
    use super::prorate;

    #[test]
    fn proration_is_by_day_half_up_once() {
        assert_eq!(prorate(30_000_000, 26, 31), 25_161_290);
        assert_eq!(prorate(30_000_000, 31, 31), 30_000_000);
        assert_eq!(prorate(1, 1, 2), 1, "0.5 rounds up");
        assert_eq!(prorate(1, 1, 3), 0);
        assert_eq!(prorate(5, 0, 30), 0);
    }
}
