//! The ledger: balances come only from append-only, double-entry postings in integer
//! micro-units.
//!
//! Every transaction has postings that sum to zero: one on the tenant's account, the other on
//! one of the platform's own accounts in that currency (`cash` for money received or paid
//! back, `adjustments` for corrections, `revenue` for charges). A tenant's balance is the sum
//! of its account's postings: positive is money it has with the platform. Nothing ever
//! updates or deletes a posting; a correction is a new transaction.
//!
//! People post three kinds (`POST /v1/tenants/{t}/transactions`, the parent partner or
//! platform staff, with a required `Idempotency-Key`): a **top-up** (money received), an
//! **adjustment** (a signed correction, with its reason) and a **refund** (money paid back,
//! never more than the balance). The other kinds (payments, call charges, DID fees, invoices)
//! are posted by the billing jobs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ensure;
use crate::{
    authz::Permission,
    core::Core,
    entities::{billing_account, ledger_posting, ledger_transaction},
    error::{DomainError, DomainResult, FieldError},
    money::{format_amount, parse_amount},
    pagination::PageRequest,
    scope::TenantScope,
    services::{audit, from_stored, idempotency::IdempotencyKey},
    validate::Errors,
};

/// What a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    TopUp,
    Payment,
    CallCharge,
    DidSetupFee,
    DidMonthlyFee,
    Adjustment,
    Refund,
    Invoice,
}

impl TransactionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TopUp => "top_up",
            Self::Payment => "payment",
            Self::CallCharge => "call_charge",
            Self::DidSetupFee => "did_setup_fee",
            Self::DidMonthlyFee => "did_monthly_fee",
            Self::Adjustment => "adjustment",
            Self::Refund => "refund",
            Self::Invoice => "invoice",
        }
    }
}

/// The kinds a person posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManualKind {
    TopUp,
    Adjustment,
    Refund,
}

/// A transaction to post.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTransaction {
    pub kind: ManualKind,
    /// A decimal string in the account's currency, above zero; an adjustment may be
    /// negative (`"-5.00"` takes money off the balance).
    #[schema(min_length = 1, max_length = 21)]
    pub amount: String,
    /// Why (required for adjustments and refunds; at most 500 characters).
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// One side of a transaction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostingView {
    /// `tenant` (this tenant's account) or `platform:<name>` (one of the platform's own).
    pub account: String,
    pub amount: String,
}

/// A posted transaction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransactionView {
    pub id: Uuid,
    pub kind: TransactionKind,
    /// What it did to the tenant's balance (signed).
    pub amount: String,
    pub currency: String,
    pub description: Option<String>,
    /// Its postings; they sum to zero.
    pub postings: Vec<PostingView>,
    pub created_at: DateTime<Utc>,
}

crate::page_type!(TransactionPage, TransactionView);

/// Filters of `GET /v1/tenants/{t}/transactions`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransactionListQuery {
    pub kind: Option<TransactionKind>,
    /// Posted at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Posted before this time.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A tenant's money now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceView {
    /// The sum of the account's postings.
    pub balance: String,
    /// Reserved by calls in progress.
    pub held: String,
    /// What may still be spent: balance + credit limit − held.
    pub available: String,
    pub currency: String,
}

/// The platform's own account `name` in `currency`, created on first use.
pub(crate) async fn system_account<C: ConnectionTrait>(
    db: &C,
    name: &str,
    currency: &str,
) -> DomainResult<Uuid> {
    let find = || {
        billing_account::Entity::find()
            .filter(billing_account::Column::SystemName.eq(name))
            .filter(billing_account::Column::Currency.eq(currency))
    };
    if let Some(a) = find().one(db).await? {
        return Ok(a.id);
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    // ON CONFLICT DO NOTHING: two first uses at once keep one account.
    let insert = billing_account::Entity::insert(billing_account::ActiveModel {
        id: sea_orm::ActiveValue::Set(id),
        tenant_id: sea_orm::ActiveValue::Set(None),
        system_name: sea_orm::ActiveValue::Set(Some(name.to_owned())),
        kind: sea_orm::ActiveValue::Set("system".into()),
        currency: sea_orm::ActiveValue::Set(currency.to_owned()),
        credit_limit_micros: sea_orm::ActiveValue::Set(0),
        tax_rate_micros: sea_orm::ActiveValue::Set(0),
        billing_day: sea_orm::ActiveValue::Set(1),
        created_at: sea_orm::ActiveValue::Set(now),
        updated_at: sea_orm::ActiveValue::Set(now),
        version: sea_orm::ActiveValue::Set(1),
        sell_deck_id: sea_orm::ActiveValue::Set(None),
        balance_micros: sea_orm::ActiveValue::Set(0),
        held_micros: sea_orm::ActiveValue::Set(0),
        active_calls: sea_orm::ActiveValue::Set(0),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            billing_account::Column::SystemName,
            billing_account::Column::Currency,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let _ = insert;
    find()
        .one(db)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| DomainError::internal("system account missing after insert"))
}

/// Parses the amount of a manual transaction: positive, or (adjustments) negative.
fn signed_amount(errors: &mut Errors, kind: ManualKind, raw: &str) -> Option<i64> {
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) if kind == ManualKind::Adjustment => (true, rest),
        _ => (false, raw),
    };
    let micros = errors.check(parse_amount("amount", digits))?;
    if micros == 0 {
        errors.push(FieldError::new("amount", "zero", "must not be zero"));
        return None;
    }
    Some(if negative { -micros } else { micros })
}

/// Posts a top-up, adjustment or refund. `key` is required: money must never be posted
/// twice because a client retried.
pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateTransaction,
    key: Option<&IdempotencyKey>,
) -> DomainResult<TransactionView> {
    scope.authorize(Permission::BillingWrite)?;
    let Some(key) = key else {
        return Err(DomainError::field(
            "Idempotency-Key",
            "required",
            "money is posted only with an Idempotency-Key header, so a retry cannot post twice",
        ));
    };
    let mut errors = Errors::default();
    let amount = signed_amount(&mut errors, input.kind, &input.amount);
    let description = input
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    match description {
        None if input.kind != ManualKind::TopUp => errors.push(FieldError::new(
            "description",
            "required",
            "say why: adjustments and refunds keep their reason",
        )),
        Some(d) if d.chars().count() > 500 => errors.push(FieldError::new(
            "description",
            "too_long",
            "at most 500 characters",
        )),
        _ => {}
    }
    errors.finish()?;
    let Some(amount) = amount else {
        return Err(DomainError::internal("validated amount missing"));
    };

    let txn = core.begin().await?;
    let account = ensure(&txn, scope.tenant()).await?;
    let (kind, counter_name, delta) = match input.kind {
        ManualKind::TopUp => (TransactionKind::TopUp, "cash", amount),
        ManualKind::Adjustment => (TransactionKind::Adjustment, "adjustments", amount),
        ManualKind::Refund => (TransactionKind::Refund, "cash", -amount),
    };
    // A refund may not take the balance below zero: checked by the balance update itself.
    let floor =
        (kind == TransactionKind::Refund).then_some((0, "A refund cannot exceed the balance"));
    let counter = system_account(&txn, counter_name, &account.currency).await?;
    let view = post(
        &txn,
        &account,
        Posting {
            kind,
            delta,
            counter: (counter, counter_name),
            description,
            actor: Some(scope.actor().principal.id),
            floor,
        },
    )
    .await?;
    audit::record_change(
        &txn,
        scope,
        "transaction.create",
        "transaction",
        view.id,
        None,
        Some(&view),
    )
    .await?;
    let body = serde_json::to_string(&view).map_err(DomainError::internal)?;
    key.store(&txn, 201, &body).await?;
    txn.commit().await?;
    Ok(view)
}

/// One transaction to post: see [`post`].
pub(crate) struct Posting<'a> {
    pub kind: TransactionKind,
    /// On the tenant's account; the platform's `counter` account gets `-delta`.
    pub delta: i64,
    /// The platform account (id, name).
    pub counter: (Uuid, &'a str),
    pub description: Option<&'a str>,
    pub actor: Option<Uuid>,
    /// The lowest balance allowed after it, and the refusal's message.
    pub floor: Option<(i64, &'a str)>,
}

/// Adds `delta` to the balance kept on a tenant's account row; with a floor, only if the
/// balance stays at or above it, in the same statement (atomic on both databases, whatever
/// runs concurrently). `false` when the floor refused it.
async fn apply_balance<C: ConnectionTrait>(
    db: &C,
    account: Uuid,
    delta: i64,
    floor: Option<i64>,
) -> DomainResult<bool> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let balance = || Expr::col(billing_account::Column::BalanceMicros);
    let mut q = billing_account::Entity::update_many()
        .col_expr(billing_account::Column::BalanceMicros, balance().add(delta))
        .filter(billing_account::Column::Id.eq(account));
    if let Some(floor) = floor {
        q = q.filter(balance().add(delta).gte(floor));
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Writes one transaction: `delta` on the tenant's account (and its kept balance), `-delta`
/// on the platform's account `counter` (id, name). With `floor` (the lowest balance allowed,
/// and the refusal's message), a posting that would take the balance below it is refused
/// with 409 and nothing is written. The platform's accounts keep no balance on their row
/// (every call's charge would queue on it): theirs is the sum of their postings.
pub(crate) async fn post<C: ConnectionTrait>(
    db: &C,
    account: &billing_account::Model,
    p: Posting<'_>,
) -> DomainResult<TransactionView> {
    let Posting {
        kind,
        delta,
        counter,
        description,
        actor,
        floor,
    } = p;
    let tenant_id = account
        .tenant_id
        .ok_or_else(|| DomainError::internal("posting to a platform account as a tenant's"))?;
    if !apply_balance(db, account.id, delta, floor.map(|f| f.0)).await? {
        return Err(DomainError::conflict(
            floor.map_or("The balance does not allow it", |f| f.1),
        ));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    ledger_transaction::Entity::insert(ledger_transaction::ActiveModel {
        id: sea_orm::ActiveValue::Set(id),
        tenant_id: sea_orm::ActiveValue::Set(tenant_id),
        kind: sea_orm::ActiveValue::Set(kind.as_str().into()),
        amount_micros: sea_orm::ActiveValue::Set(delta),
        currency: sea_orm::ActiveValue::Set(account.currency.clone()),
        description: sea_orm::ActiveValue::Set(description.map(str::to_owned)),
        actor_id: sea_orm::ActiveValue::Set(actor),
        created_at: sea_orm::ActiveValue::Set(now),
    })
    .exec_without_returning(db)
    .await?;
    let postings = [(account.id, delta), (counter.0, -delta)];
    let rows: Vec<ledger_posting::ActiveModel> = postings
        .iter()
        .map(|(acc, amount)| ledger_posting::ActiveModel {
            id: sea_orm::ActiveValue::Set(Uuid::now_v7()),
            transaction_id: sea_orm::ActiveValue::Set(id),
            account_id: sea_orm::ActiveValue::Set(*acc),
            amount_micros: sea_orm::ActiveValue::Set(*amount),
            created_at: sea_orm::ActiveValue::Set(now),
        })
        .collect();
    crate::bulk::insert_all(db, rows).await?;
    Ok(TransactionView {
        id,
        kind,
        amount: format_amount(delta),
        currency: account.currency.clone(),
        description: description.map(str::to_owned),
        postings: vec![
            PostingView {
                account: "tenant".into(),
                amount: format_amount(delta),
            },
            PostingView {
                account: format!("platform:{}", counter.1),
                amount: format_amount(-delta),
            },
        ],
        created_at: now,
    })
}

/// One charge of [`post_charges`]: a `call_charge` transaction of `delta` (negative) on a
/// tenant's account against the platform's `revenue`, under an id chosen beforehand (the
/// call's charge row names it).
pub(crate) struct ChargePosting {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub currency: String,
    pub delta: i64,
    pub description: String,
}

/// Writes many charges as [`post`] writes one (no floor: a call already made is charged
/// whatever the balance), with multi-row inserts and one balance update per account: what
/// CDR ingest posts for a batch of records.
pub(crate) async fn post_charges<C: ConnectionTrait>(
    db: &C,
    charges: Vec<ChargePosting>,
) -> DomainResult<()> {
    let now = Utc::now();
    let mut revenue: HashMap<String, Uuid> = HashMap::new();
    let mut per_account: HashMap<Uuid, i64> = HashMap::new();
    let mut transactions = Vec::with_capacity(charges.len());
    let mut postings = Vec::with_capacity(charges.len() * 2);
    for c in charges {
        let counter = match revenue.get(&c.currency) {
            Some(id) => *id,
            None => {
                let id = system_account(db, "revenue", &c.currency).await?;
                revenue.insert(c.currency.clone(), id);
                id
            }
        };
        let total = per_account.entry(c.account_id).or_insert(0);
        *total = total
            .checked_add(c.delta)
            .ok_or_else(|| DomainError::internal("a batch of charges overflows"))?;
        for (account, amount) in [(c.account_id, c.delta), (counter, -c.delta)] {
            postings.push(ledger_posting::ActiveModel {
                id: sea_orm::ActiveValue::Set(Uuid::now_v7()),
                transaction_id: sea_orm::ActiveValue::Set(c.id),
                account_id: sea_orm::ActiveValue::Set(account),
                amount_micros: sea_orm::ActiveValue::Set(amount),
                created_at: sea_orm::ActiveValue::Set(now),
            });
        }
        transactions.push(ledger_transaction::ActiveModel {
            id: sea_orm::ActiveValue::Set(c.id),
            tenant_id: sea_orm::ActiveValue::Set(c.tenant_id),
            kind: sea_orm::ActiveValue::Set(TransactionKind::CallCharge.as_str().into()),
            amount_micros: sea_orm::ActiveValue::Set(c.delta),
            currency: sea_orm::ActiveValue::Set(c.currency),
            description: sea_orm::ActiveValue::Set(Some(c.description)),
            actor_id: sea_orm::ActiveValue::Set(None),
            created_at: sea_orm::ActiveValue::Set(now),
        });
    }
    crate::bulk::insert_all(db, transactions).await?;
    crate::bulk::insert_all(db, postings).await?;
    // In id order, like the holds of call authorization: two batches never wait on each
    // other's accounts in opposite orders.
    let mut accounts: Vec<(Uuid, i64)> = per_account.into_iter().collect();
    accounts.sort_unstable();
    for (account, delta) in accounts {
        if !apply_balance(db, account, delta, None).await? {
            return Err(DomainError::internal("billing account vanished"));
        }
    }
    Ok(())
}

/// `platform:<name>` of the platform accounts among `ids`.
async fn account_names<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, String>> {
    Ok(billing_account::Entity::find()
        .filter(billing_account::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let name = a
                .system_name
                .map_or_else(|| "tenant".to_owned(), |n| format!("platform:{n}"));
            (a.id, name)
        })
        .collect())
}

fn view(
    tx: &ledger_transaction::Model,
    own: Uuid,
    postings: &[ledger_posting::Model],
    names: &HashMap<Uuid, String>,
) -> DomainResult<TransactionView> {
    Ok(TransactionView {
        id: tx.id,
        kind: from_stored("ledger_transactions.kind", &tx.kind)?,
        amount: format_amount(tx.amount_micros),
        currency: tx.currency.clone(),
        description: tx.description.clone(),
        postings: postings
            .iter()
            .map(|p| PostingView {
                account: if p.account_id == own {
                    "tenant".to_owned()
                } else {
                    names
                        .get(&p.account_id)
                        .cloned()
                        .unwrap_or_else(|| "other".into())
                },
                amount: format_amount(p.amount_micros),
            })
            .collect(),
        created_at: tx.created_at,
    })
}

/// `GET /v1/tenants/{t}/transactions`: newest last, cursor pages.
pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &TransactionListQuery,
) -> DomainResult<TransactionPage> {
    scope.authorize(Permission::BillingRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = ledger_transaction::Entity::find()
        .filter(ledger_transaction::Column::TenantId.eq(scope.tenant().id));
    if let Some(kind) = query.kind {
        select = select.filter(ledger_transaction::Column::Kind.eq(kind.as_str()));
    }
    if let Some(from) = query.from {
        select = select.filter(ledger_transaction::Column::CreatedAt.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(ledger_transaction::Column::CreatedAt.lt(to));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, ledger_transaction::Column::Id, |m| m.id)
        .await?;
    let postings = ledger_posting::Entity::find()
        .filter(ledger_posting::Column::TransactionId.is_in(rows.iter().map(|r| r.id)))
        .all(&core.db)
        .await?;
    let accounts: Vec<Uuid> = postings.iter().map(|p| p.account_id).collect();
    let names = account_names(&core.db, &accounts).await?;
    let own = names
        .iter()
        .find(|(_, n)| *n == "tenant")
        .map(|(id, _)| *id)
        .unwrap_or_default();
    let items = rows
        .iter()
        .map(|tx| {
            let mine: Vec<ledger_posting::Model> = postings
                .iter()
                .filter(|p| p.transaction_id == tx.id)
                .cloned()
                .collect();
            view(tx, own, &mine, &names)
        })
        .collect::<DomainResult<_>>()?;
    Ok(TransactionPage { items, next_cursor })
}

/// `GET /v1/tenants/{t}/balance`.
pub async fn balance(scope: &TenantScope, core: &Core) -> DomainResult<BalanceView> {
    scope.authorize(Permission::BillingRead)?;
    let account = super::current(&core.db, scope.tenant()).await?;
    // Both kept on the account row, in step with the ledger and the calls in progress.
    let (balance, held) = (account.balance_micros, account.held_micros);
    Ok(BalanceView {
        balance: format_amount(balance),
        held: format_amount(held),
        available: format_amount(balance + account.credit_limit_micros - held),
        currency: account.currency,
    })
}
