//! Invoices: one per account per billing period, made by [`Invoices`] (hourly) once the
//! period has ended, for every period with something to bill.
//!
//! Lines: the period's **calls grouped by destination** (each call's level-0 charge, the
//! rate it was charged at), **DID fees** (setup and monthly, one line each), and
//! **adjustments and refunds** posted by people (a credit is a negative line). Charges were
//! posted to the ledger as they happened; the invoice sums them, adds **tax** at the
//! account's rate (subtotal × rate ÷ 100, half up once at micro-units) and totals.
//!
//! Lifecycle: `draft` (as made: its lines may be read) → `issued` (`POST …/issue`: it takes
//! the next number of its issuer's gap-free sequence — the tenant's parent, or the platform
//! — and its tax is posted as an `invoice` transaction) → `paid` once payments
//! (`POST …/payments`, with an `Idempotency-Key`, each a `payment` transaction) cover the
//! total; or `void` (`POST …/void`): an issued invoice keeps its number, its tax is
//! reversed. The number is taken in the issuing transaction, from a counter row updated in
//! it, so a rolled-back issue gives its number back and numbers never skip.

use std::collections::BTreeMap;

use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    ledger::{Posting, TransactionKind, post, system_account},
    period_containing,
};
use crate::{
    authz::Permission,
    core::Core,
    entities::{
        billing_account, call_charge, did_fee_charge, invoice, invoice_line, invoice_sequence,
        ledger_transaction, rate, tenant,
    },
    error::{DomainError, DomainResult},
    money::{format_amount, parse_amount},
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, from_stored,
        idempotency::IdempotencyKey,
        jobs::{self, Job, JobContext},
    },
    validate::Errors,
};

/// How often ended periods are looked for.
pub const EVERY: Duration = Duration::hours(1);

/// Days after issue an invoice is due.
pub const DUE_DAYS: i64 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Issued,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceLineView {
    /// `calls`, `did_fees` or `adjustments`.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Given at issue, from the issuer's gap-free sequence.
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub period_start: NaiveDate,
    /// Exclusive.
    pub period_end: NaiveDate,
    pub currency: String,
    pub subtotal: String,
    /// Percent.
    pub tax_rate: String,
    pub tax: String,
    pub total: String,
    pub paid: String,
    /// Total less payments.
    pub due: String,
    pub issued_at: Option<DateTime<Utc>>,
    pub due_on: Option<NaiveDate>,
    pub voided_at: Option<DateTime<Utc>>,
    pub lines: Vec<InvoiceLineView>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoicePage {
    /// Without lines: read an invoice for them.
    pub items: Vec<InvoiceView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvoiceListQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    pub status: Option<InvoiceStatus>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    /// A positive decimal string, at most what is due.
    #[schema(max_length = 20)]
    pub amount: String,
    /// 1-500 characters (a bank reference).
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
}

fn view(m: &invoice::Model, lines: &[invoice_line::Model]) -> DomainResult<InvoiceView> {
    Ok(InvoiceView {
        id: m.id,
        tenant_id: m.tenant_id,
        number: m.number.clone(),
        status: from_stored("invoices.status", &m.status)?,
        period_start: m.period_start,
        period_end: m.period_end,
        currency: m.currency.clone(),
        subtotal: format_amount(m.subtotal_micros),
        tax_rate: format_amount(m.tax_rate_micros),
        tax: format_amount(m.tax_micros),
        total: format_amount(m.total_micros),
        paid: format_amount(m.paid_micros),
        due: format_amount(m.total_micros - m.paid_micros),
        issued_at: m.issued_at,
        due_on: m.due_on,
        voided_at: m.voided_at,
        lines: lines
            .iter()
            .map(|l| InvoiceLineView {
                kind: l.kind.clone(),
                description: l.description.clone(),
                quantity: l.quantity,
                amount: format_amount(l.amount_micros),
            })
            .collect(),
        created_at: m.created_at,
        version: m.version,
    })
}

/// `subtotal × rate ÷ 100`, the rate in micro-percent, half up once.
pub fn tax_of(subtotal: i64, rate_micros: i64) -> i64 {
    let n = i128::from(subtotal) * i128::from(rate_micros);
    let d: i128 = 100_000_000;
    let t = if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    };
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
}

/// The lines of `t`'s period `[start, end)`.
async fn lines_of<C: ConnectionTrait>(
    db: &C,
    t: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> DomainResult<Vec<(String, String, i64, i64)>> {
    let mut out = Vec::new();
    // Calls, by the prefix (and deck version) they were charged at.
    let charges = call_charge::Entity::find()
        .filter(call_charge::Column::TenantId.eq(t))
        .filter(call_charge::Column::Level.eq(0))
        .filter(call_charge::Column::CreatedAt.gte(start))
        .filter(call_charge::Column::CreatedAt.lt(end))
        .all(db)
        .await?;
    let mut groups: BTreeMap<(String, Option<Uuid>), (i64, i64, i64)> = BTreeMap::new();
    for c in &charges {
        let g = groups
            .entry((c.prefix.clone().unwrap_or_default(), c.deck_version_id))
            .or_insert((0, 0, 0));
        g.0 += 1;
        g.1 += c.charge_micros;
        g.2 += i64::from(c.billed_seconds);
    }
    for ((prefix, version), (count, amount, seconds)) in groups {
        let name: Option<String> = match version {
            Some(v) => {
                rate::Entity::find()
                    .select_only()
                    .column(rate::Column::Destination)
                    .filter(rate::Column::VersionId.eq(v))
                    .filter(rate::Column::Prefix.eq(prefix.as_str()))
                    .into_tuple()
                    .one(db)
                    .await?
            }
            None => None,
        };
        out.push((
            "calls".into(),
            format!(
                "Calls to {} ({prefix}), {} min",
                name.unwrap_or_else(|| "other".into()),
                (seconds + 59) / 60
            ),
            count,
            amount,
        ));
    }
    // DID fees, one line each.
    for f in did_fee_charge::Entity::find()
        .filter(did_fee_charge::Column::TenantId.eq(t))
        .filter(did_fee_charge::Column::CreatedAt.gte(start))
        .filter(did_fee_charge::Column::CreatedAt.lt(end))
        .order_by_asc(did_fee_charge::Column::CreatedAt)
        .all(db)
        .await?
    {
        let description = match f.transaction_id {
            Some(tx) => ledger_transaction::Entity::find_by_id(tx)
                .one(db)
                .await?
                .and_then(|t| t.description),
            None => None,
        }
        .unwrap_or_else(|| format!("DID {} fee", f.kind));
        out.push(("did_fees".into(), description, 1, f.amount_micros));
    }
    // Adjustments and refunds people posted: a credit to the account is a negative line.
    for tx in ledger_transaction::Entity::find()
        .filter(ledger_transaction::Column::TenantId.eq(t))
        .filter(ledger_transaction::Column::Kind.is_in([
            TransactionKind::Adjustment.as_str(),
            TransactionKind::Refund.as_str(),
        ]))
        .filter(ledger_transaction::Column::CreatedAt.gte(start))
        .filter(ledger_transaction::Column::CreatedAt.lt(end))
        .order_by_asc(ledger_transaction::Column::Id)
        .all(db)
        .await?
    {
        out.push((
            "adjustments".into(),
            tx.description.unwrap_or_else(|| tx.kind.clone()),
            1,
            -tx.amount_micros,
        ));
    }
    Ok(out)
}

/// Makes the invoices of every period ended by `until` (now, when absent).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Invoices {
    pub until: Option<DateTime<Utc>>,
}

impl Job for Invoices {
    const KIND: &'static str = "billing.invoices";

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let core = ctx.core;
        let now = self.until.unwrap_or_else(Utc::now);
        let mut made = 0;
        let accounts = billing_account::Entity::find()
            .filter(billing_account::Column::TenantId.is_not_null())
            .all(&core.db)
            .await?;
        for a in accounts {
            let txn = core.db.begin().await?;
            if make(&txn, &a, now).await? {
                made += 1;
            }
            txn.commit().await?;
        }
        if made > 0 {
            tracing::info!(invoices = made, "made invoices");
        }
        if self.until.is_none() {
            let _next = jobs::enqueue(&core.db, self, Some(Utc::now() + EVERY)).await?;
        }
        Ok(())
    }
}

/// Queues a run now unless one is pending (each worker calls this at start).
pub async fn schedule(core: &Core) -> DomainResult<()> {
    if !jobs::pending_exists::<Invoices, _>(&core.db).await? {
        jobs::enqueue(&core.db, &Invoices::default(), None)
            .await?
            .wake(core)
            .await;
    }
    Ok(())
}

/// Makes the draft of `a`'s last ended period, if it has lines and none exists; `true`
/// when it made one.
async fn make<C: ConnectionTrait>(
    db: &C,
    a: &billing_account::Model,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let Some(t) = a.tenant_id else {
        return Ok(false);
    };
    let day = u32::try_from(a.billing_day).unwrap_or(1);
    let (current, _) = period_containing(day, now.date_naive());
    let (start, end) = period_containing(day, current - Duration::days(1));
    if midnight(end) > now {
        return Ok(false);
    }
    let lines = lines_of(db, t, midnight(start), midnight(end)).await?;
    if lines.is_empty() {
        return Ok(false);
    }
    let subtotal: i64 = lines.iter().map(|l| l.3).sum();
    let tax = tax_of(subtotal, a.tax_rate_micros);
    let stamp = Utc::now();
    let id = Uuid::now_v7();
    let parent = tenant::Entity::find_by_id(t)
        .one(db)
        .await?
        .and_then(|m| m.parent_id);
    let inserted = invoice::Entity::insert(invoice::ActiveModel {
        id: Set(id),
        tenant_id: Set(t),
        account_id: Set(a.id),
        issuer_key: Set(parent.map_or_else(|| "platform".into(), |p| format!("tenant:{p}"))),
        number: Set(None),
        status: Set(InvoiceStatus::Draft.as_str().into()),
        period_start: Set(start),
        period_end: Set(end),
        currency: Set(a.currency.clone()),
        subtotal_micros: Set(subtotal),
        tax_rate_micros: Set(a.tax_rate_micros),
        tax_micros: Set(tax),
        total_micros: Set(subtotal + tax),
        paid_micros: Set(0),
        issued_at: Set(None),
        due_on: Set(None),
        voided_at: Set(None),
        created_at: Set(stamp),
        updated_at: Set(stamp),
        version: Set(1),
    })
    .on_conflict(
        OnConflict::columns([invoice::Column::AccountId, invoice::Column::PeriodStart])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let rows: Vec<invoice_line::ActiveModel> = lines
        .into_iter()
        .enumerate()
        .map(
            |(i, (kind, description, quantity, amount))| invoice_line::ActiveModel {
                invoice_id: Set(id),
                position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                kind: Set(kind),
                description: Set(description),
                quantity: Set(quantity),
                amount_micros: Set(amount),
            },
        )
        .collect();
    crate::bulk::insert_all(db, rows).await?;
    Ok(true)
}

async fn find(
    scope: &TenantScope,
    db: &impl ConnectionTrait,
    id: Uuid,
) -> DomainResult<invoice::Model> {
    invoice::Entity::find_by_id(id)
        .filter(invoice::Column::TenantId.eq(scope.tenant().id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("invoice"))
}

async fn lines(db: &impl ConnectionTrait, id: Uuid) -> DomainResult<Vec<invoice_line::Model>> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

/// `GET /v1/tenants/{t}/invoices`.
pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &InvoiceListQuery,
) -> DomainResult<InvoicePage> {
    scope.authorize(Permission::BillingRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select =
        invoice::Entity::find().filter(invoice::Column::TenantId.eq(scope.tenant().id));
    if let Some(s) = query.status {
        select = select.filter(invoice::Column::Status.eq(s.as_str()));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, invoice::Column::Id, |m| m.id)
        .await?;
    Ok(InvoicePage {
        items: rows
            .iter()
            .map(|m| view(m, &[]))
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

/// `GET /v1/tenants/{t}/invoices/{id}`.
pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<InvoiceView> {
    scope.authorize(Permission::BillingRead)?;
    let m = find(scope, &core.db, id).await?;
    view(&m, &lines(&core.db, id).await?)
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct Printable<'a> {
    inv: &'a InvoiceView,
    tenant: &'a str,
}

/// The printable page of an invoice (`Accept: text/html`).
pub async fn html(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<String> {
    let inv = get(scope, core, id).await?;
    Printable {
        inv: &inv,
        tenant: &scope.tenant().name,
    }
    .render()
    .map_err(DomainError::internal)
}

/// Takes the next number of `issuer`'s sequence, inside the caller's transaction.
async fn next_number<C: ConnectionTrait>(db: &C, issuer: &str) -> DomainResult<i64> {
    invoice_sequence::Entity::insert(invoice_sequence::ActiveModel {
        issuer_key: Set(issuer.to_owned()),
        last_number: Set(0),
    })
    .on_conflict(
        OnConflict::column(invoice_sequence::Column::IssuerKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    // The update holds the counter's row until the issuing transaction ends.
    invoice_sequence::Entity::update_many()
        .col_expr(
            invoice_sequence::Column::LastNumber,
            Expr::col(invoice_sequence::Column::LastNumber).add(1),
        )
        .filter(invoice_sequence::Column::IssuerKey.eq(issuer))
        .exec(db)
        .await?;
    invoice_sequence::Entity::find_by_id(issuer.to_owned())
        .one(db)
        .await?
        .map(|s| s.last_number)
        .ok_or_else(|| DomainError::internal("invoice sequence missing"))
}

/// Moves an invoice from `from` to `to` (guarded by version and status).
async fn transition<C: ConnectionTrait>(
    db: &C,
    m: &invoice::Model,
    updated: invoice::Model,
) -> DomainResult<invoice::Model> {
    let res = invoice::Entity::update_many()
        .set(invoice::ActiveModel::from(updated.clone()).reset_all())
        .filter(invoice::Column::Id.eq(m.id))
        .filter(invoice::Column::Version.eq(m.version))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::stale());
    }
    Ok(updated)
}

/// Posts `delta` (the tax) as an `invoice` transaction on the invoice's account.
async fn post_tax<C: ConnectionTrait>(
    db: &C,
    m: &invoice::Model,
    delta: i64,
    description: &str,
) -> DomainResult<()> {
    if delta == 0 {
        return Ok(());
    }
    let account = billing_account::Entity::find_by_id(m.account_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::internal("billing account vanished"))?;
    let tax = system_account(db, "tax", &account.currency).await?;
    post(
        db,
        &account,
        Posting {
            kind: TransactionKind::Invoice,
            delta,
            counter: (tax, "tax"),
            description: Some(description),
            actor: None,
            floor: None,
        },
    )
    .await?;
    Ok(())
}

/// `POST …/invoices/{id}/issue`: numbers a draft and posts its tax.
pub async fn issue(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<InvoiceView> {
    scope.authorize(Permission::BillingWrite)?;
    let txn = core.begin().await?;
    let m = find(scope, &txn, id).await?;
    crate::services::check_version(m.version, if_match)?;
    if from_stored::<InvoiceStatus>("invoices.status", &m.status)? != InvoiceStatus::Draft {
        return Err(DomainError::conflict("Only a draft invoice can be issued"));
    }
    let n = next_number(&txn, &m.issuer_key).await?;
    let now = Utc::now();
    let number = format!("INV-{n:06}");
    let updated = transition(
        &txn,
        &m,
        invoice::Model {
            number: Some(number.clone()),
            status: InvoiceStatus::Issued.as_str().into(),
            issued_at: Some(now),
            due_on: Some(now.date_naive() + Duration::days(DUE_DAYS)),
            updated_at: now,
            version: m.version + 1,
            ..m.clone()
        },
    )
    .await?;
    post_tax(&txn, &m, -m.tax_micros, &format!("Tax of invoice {number}")).await?;
    let v = view(&updated, &lines(&txn, id).await?)?;
    audit::record_change(&txn, scope, "invoice.issue", "invoice", id, None, Some(&v)).await?;
    txn.commit().await?;
    Ok(v)
}

/// `POST …/invoices/{id}/void`: an issued (unpaid) invoice keeps its number, its tax is
/// reversed; a draft is simply void.
pub async fn void(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<InvoiceView> {
    scope.authorize(Permission::BillingWrite)?;
    let txn = core.begin().await?;
    let m = find(scope, &txn, id).await?;
    crate::services::check_version(m.version, if_match)?;
    let status: InvoiceStatus = from_stored("invoices.status", &m.status)?;
    match status {
        InvoiceStatus::Draft | InvoiceStatus::Issued if m.paid_micros == 0 => {}
        InvoiceStatus::Draft | InvoiceStatus::Issued | InvoiceStatus::Paid => {
            return Err(DomainError::conflict(
                "An invoice with payments cannot be void: refund or adjust instead",
            ));
        }
        InvoiceStatus::Void => return Err(DomainError::conflict("The invoice is void already")),
    }
    let now = Utc::now();
    let updated = transition(
        &txn,
        &m,
        invoice::Model {
            status: InvoiceStatus::Void.as_str().into(),
            voided_at: Some(now),
            updated_at: now,
            version: m.version + 1,
            ..m.clone()
        },
    )
    .await?;
    if status == InvoiceStatus::Issued {
        post_tax(
            &txn,
            &m,
            m.tax_micros,
            &format!(
                "Tax of void invoice {}",
                m.number.as_deref().unwrap_or_default()
            ),
        )
        .await?;
    }
    let v = view(&updated, &lines(&txn, id).await?)?;
    audit::record_change(&txn, scope, "invoice.void", "invoice", id, None, Some(&v)).await?;
    txn.commit().await?;
    Ok(v)
}

/// `POST …/invoices/{id}/payments`: records a payment (a `payment` transaction from the
/// platform's `cash`); the invoice is `paid` once payments cover its total.
pub async fn pay(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: RecordPayment,
    key: Option<&IdempotencyKey>,
) -> DomainResult<InvoiceView> {
    scope.authorize(Permission::BillingWrite)?;
    // Another tenant's invoice is not there, whatever the request says.
    find(scope, &core.db, id).await?;
    let Some(key) = key else {
        return Err(DomainError::field(
            "Idempotency-Key",
            "required",
            "payments are recorded only with an Idempotency-Key header, so a retry cannot record twice",
        ));
    };
    let mut errors = Errors::default();
    let amount = errors.check(parse_amount("amount", &input.amount));
    if amount == Some(0) {
        errors.push(crate::error::FieldError::new(
            "amount",
            "zero",
            "must not be zero",
        ));
    }
    let description = input
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > 500) {
        errors.push(crate::error::FieldError::new(
            "description",
            "too_long",
            "at most 500 characters",
        ));
    }
    errors.finish()?;
    let amount = amount.ok_or_else(|| DomainError::internal("validated amount missing"))?;
    let txn = core.begin().await?;
    let m = find(scope, &txn, id).await?;
    if from_stored::<InvoiceStatus>("invoices.status", &m.status)? != InvoiceStatus::Issued {
        return Err(DomainError::conflict(
            "Payments are recorded against issued, unpaid invoices",
        ));
    }
    if amount > m.total_micros - m.paid_micros {
        return Err(DomainError::field(
            "amount",
            "above_due",
            format!(
                "at most what is due: {}",
                format_amount(m.total_micros - m.paid_micros)
            ),
        ));
    }
    let account = billing_account::Entity::find_by_id(m.account_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::internal("billing account vanished"))?;
    let cash = system_account(&txn, "cash", &account.currency).await?;
    let label = format!(
        "Payment of invoice {}{}",
        m.number.as_deref().unwrap_or_default(),
        description.map(|d| format!(": {d}")).unwrap_or_default()
    );
    post(
        &txn,
        &account,
        Posting {
            kind: TransactionKind::Payment,
            delta: amount,
            counter: (cash, "cash"),
            description: Some(&label),
            actor: Some(scope.actor().principal.id),
            floor: None,
        },
    )
    .await?;
    let paid = m.paid_micros + amount;
    let now = Utc::now();
    let updated = transition(
        &txn,
        &m,
        invoice::Model {
            paid_micros: paid,
            status: if paid >= m.total_micros {
                InvoiceStatus::Paid
            } else {
                InvoiceStatus::Issued
            }
            .as_str()
            .into(),
            updated_at: now,
            version: m.version + 1,
            ..m.clone()
        },
    )
    .await?;
    let v = view(&updated, &lines(&txn, id).await?)?;
    audit::record_change(
        &txn,
        scope,
        "invoice.payment",
        "invoice",
        id,
        None,
        Some(&v),
    )
    .await?;
    let body = serde_json::to_string(&v).map_err(DomainError::internal)?;
    key.store(&txn, 200, &body).await?;
    txn.commit().await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::tax_of;

    #[test]
    fn tax_is_rounded_half_up_once() {
        assert_eq!(tax_of(10_000_000, 21_000_000), 2_100_000, "21 % of 10");
        assert_eq!(tax_of(1, 50_000_000), 1, "0.5 µ rounds up");
        assert_eq!(tax_of(1, 49_000_000), 0);
        assert_eq!(tax_of(-10_000_000, 21_000_000), -2_100_000);
    }
}
