//! Call detail records: what switches report after calls (`POST /v1/switch/cdrs`), rated on
//! ingest, listed and exported per tenant (`/v1/tenants/{t}/cdrs`), and re-rated by a job.
//!
//! **Ingest** takes a batch and is idempotent on (`call_id`, `leg`): a record already stored
//! is answered `duplicate` and changes nothing, so a switch may resend a batch whole. Each
//! record is stored and rated in its own transaction:
//!
//! - inbound and internal calls cost nothing;
//! - an outbound call already charged (its end was reported through
//!   `POST /v1/switch/calls/{id}/end`, or another leg's record rated it) keeps that charge:
//!   a call is charged once, whichever report comes first;
//! - an outbound call authorized but not yet ended is ended by its record (holds released,
//!   charged at the rates it was granted);
//! - any other outbound call is rated at every level of the reseller chain at its start
//!   time ([`super::pricing::chain_rates`]) and charged; a level without a rate leaves the
//!   record `unrated` with the reason, charging nothing (a re-rate charges it once decks
//!   cover it).
//!
//! What the carrier charges (the trunk's buy deck) is stored as `buy`.
//!
//! **Visibility**: a tenant sees what it was charged. A partner looking at a customer's
//! records also sees its own cost for each call and its margin (the customer's charge less
//! its own); platform staff see the carrier's price and the platform's margin too. No level
//! ever sees the levels above it.
//!
//! **Re-rating** ([`RerateCdrs`], `POST /v1/cdrs/rerate`): recomputes the outbound records
//! of a period with the decks active now and posts only the differences, as `call_charge`
//! transactions; running it twice posts nothing the second time.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    calls::{self, CallSetup, EndCall, charge_levels, duration_of, post_charge},
    ledger,
    pricing::{self, chain_of},
};
use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, Relation, grant_platform},
    core::Core,
    entities::{call_authorization, call_charge, cdr, switch_node, tenant},
    error::{DomainError, DomainResult, FieldError},
    money::format_amount,
    pagination::{ListOrder, PageRequest},
    scope::TenantScope,
    services::jobs::{self, Job, JobContext, Queued},
    validate::Errors,
};

/// Most records per ingest request.
pub const MAX_BATCH: usize = 1_000;

/// Largest ingest body: a full batch of long records (2 KiB each).
pub const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
    Internal,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Outbound => "outbound",
            Self::Inbound => "inbound",
            Self::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
}

impl Disposition {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Failed => "failed",
        }
    }

    /// What a record says when the switch did not: answered if it was, busy for a busy
    /// cause, no answer for a cancel or a timeout, failed otherwise.
    fn infer(answered: bool, cause: &str) -> Self {
        let cause = cause.to_ascii_uppercase();
        if answered {
            Self::Answered
        } else if cause.contains("BUSY") || cause == "486" || cause == "600" {
            Self::Busy
        } else if cause.contains("NO_ANSWER")
            || cause.contains("CANCEL")
            || cause.contains("TIMEOUT")
            || cause == "487"
            || cause == "480"
        {
            Self::NoAnswer
        } else {
            Self::Failed
        }
    }
}

/// One record as a switch reports it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CdrInput {
    /// The call's id (SIP Call-ID), 1-255 characters: the one given to
    /// `POST /v1/switch/calls` for an authorized call.
    #[schema(min_length = 1, max_length = 255)]
    pub call_id: String,
    /// Which leg of the call (`a`, `b`, …), 1-32 characters.
    #[schema(min_length = 1, max_length = 32)]
    pub leg: String,
    /// The SIP domain of the tenant whose call it is.
    #[schema(min_length = 1, max_length = 253)]
    pub domain: String,
    pub direction: Direction,
    #[schema(min_length = 1, max_length = 128)]
    pub caller: String,
    /// For an outbound call, the number sent to the carrier (it is rated); 1-64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub destination: String,
    /// The tenant's extension on the call, if any (1-32 characters).
    #[schema(min_length = 1, max_length = 32)]
    pub extension: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// 1-64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub hangup_cause: String,
    /// Inferred from `answered_at` and the cause when absent.
    pub disposition: Option<Disposition>,
    /// The trunk an outbound call left through (prices the carrier's cost).
    pub trunk_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CdrBatch {
    /// 1-1000 records.
    #[schema(min_items = 1, max_items = 1000)]
    pub cdrs: Vec<CdrInput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestOutcome {
    /// Stored (and rated, or `unrated` with a reason).
    Stored,
    /// Stored before: nothing changed.
    Duplicate,
    /// Not stored: see `reason`.
    Refused,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CdrIngestResult {
    pub call_id: String,
    pub leg: String,
    pub outcome: IngestOutcome,
    pub id: Option<Uuid>,
    /// `rated` or `unrated`, for a stored record.
    pub status: Option<String>,
    /// What the tenant was charged.
    pub charge: Option<String>,
    /// Why a record was refused or left unrated.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CdrIngestReport {
    /// One per record, in the order sent.
    pub results: Vec<CdrIngestResult>,
}

fn check(errors: &mut Errors, field: &str, raw: &str, max: usize) {
    if raw.trim().is_empty() || raw.chars().count() > max || raw.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "invalid_length",
            format!("must be 1-{max} characters without control characters"),
        ));
    }
}

/// Why one record cannot be stored, if it cannot.
fn refusal(c: &CdrInput) -> Option<String> {
    let mut errors = Errors::default();
    check(&mut errors, "call_id", &c.call_id, 255);
    check(&mut errors, "leg", &c.leg, 32);
    check(&mut errors, "domain", &c.domain, 253);
    check(&mut errors, "caller", &c.caller, 128);
    check(&mut errors, "destination", &c.destination, 64);
    check(&mut errors, "hangup_cause", &c.hangup_cause, 64);
    if let Some(e) = &c.extension {
        check(&mut errors, "extension", e, 32);
    }
    if c.ended_at < c.started_at {
        errors.push(FieldError::new(
            "ended_at",
            "before_start",
            "is before started_at",
        ));
    }
    if c.answered_at
        .is_some_and(|a| a < c.started_at || a > c.ended_at)
    {
        errors.push(FieldError::new(
            "answered_at",
            "out_of_call",
            "must be between started_at and ended_at",
        ));
    }
    errors.finish().err().map(|e| {
        e.errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// `POST /v1/switch/cdrs`: the batch is stored and charged in one transaction, with a
/// handful of multi-row statements rather than a few per record (see [`ingest_batch`]).
pub async fn ingest(
    core: &Core,
    node: &switch_node::Model,
    batch: CdrBatch,
) -> DomainResult<CdrIngestReport> {
    if batch.cdrs.is_empty() || batch.cdrs.len() > MAX_BATCH {
        return Err(DomainError::field(
            "cdrs",
            "out_of_range",
            format!("send 1-{MAX_BATCH} records per request"),
        ));
    }
    let mut results: Vec<CdrIngestResult> = batch
        .cdrs
        .iter()
        .map(|c| CdrIngestResult {
            call_id: c.call_id.clone(),
            leg: c.leg.clone(),
            outcome: IngestOutcome::Refused,
            id: None,
            status: None,
            charge: None,
            reason: None,
        })
        .collect();
    // What each domain's tenant is, once per domain (from the call-setup cache).
    let mut setups: HashMap<String, Option<Arc<CallSetup>>> = HashMap::new();
    let mut seen = HashSet::new();
    let mut pending = Vec::new();
    for (index, c) in batch.cdrs.iter().enumerate() {
        if let Some(why) = refusal(c) {
            results[index].reason = Some(why);
            continue;
        }
        let key = c.domain.trim().trim_end_matches('.').to_lowercase();
        let setup = match setups.get(&key) {
            Some(known) => known.clone(),
            None => {
                let found = match CallSetup::of(core, &c.domain).await {
                    Ok(s) => Some(s),
                    Err(e) if e.code == crate::error::ErrorCode::NotFound => None,
                    Err(e) => return Err(e),
                };
                setups.insert(key, found.clone());
                found
            }
        };
        let Some(setup) = setup else {
            results[index].reason = Some("unknown_domain".into());
            continue;
        };
        let row = new_row(node, setup.tenant.id, c);
        // The same record twice in one batch is stored once.
        if !seen.insert((row.call_id.clone(), row.leg.clone())) {
            results[index].outcome = IngestOutcome::Duplicate;
            continue;
        }
        pending.push(Pending {
            index,
            input: c,
            setup,
            row,
            charges: Vec::new(),
        });
    }
    let pending = ingest_batch(core, pending).await?;
    for p in pending {
        let r = &mut results[p.index];
        match p.stored {
            true => {
                r.outcome = IngestOutcome::Stored;
                r.id = Some(p.row.id);
                r.charge = p.row.charge_micros.map(format_amount);
                r.reason = p.row.unrated_reason;
                r.status = Some(p.row.status);
            }
            false => r.outcome = IngestOutcome::Duplicate,
        }
    }
    Ok(CdrIngestReport { results })
}

/// A valid record of a batch, on its way in.
struct Pending<'a> {
    index: usize,
    input: &'a CdrInput,
    setup: Arc<CallSetup>,
    row: cdr::Model,
    /// The call's charges this record makes (one per level of the chain), when it is the
    /// batch's first record of a call nothing charged yet.
    charges: Vec<call_charge::Model>,
}

/// What [`ingest_batch`] answers per record: whether it was stored (or was a duplicate).
struct Ingested {
    index: usize,
    row: cdr::Model,
    stored: bool,
}

/// A record as stored, before rating.
fn new_row(node: &switch_node::Model, tenant: Uuid, c: &CdrInput) -> cdr::Model {
    let duration = duration_of(c.answered_at, c.ended_at);
    let as_i32 = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    cdr::Model {
        id: Uuid::now_v7(),
        call_id: c.call_id.trim().to_owned(),
        leg: c.leg.trim().to_owned(),
        tenant_id: tenant,
        node_id: node.id,
        direction: c.direction.as_str().into(),
        caller: c.caller.clone(),
        destination: c.destination.trim().to_owned(),
        extension: c.extension.clone(),
        started_at: c.started_at,
        answered_at: c.answered_at,
        ended_at: c.ended_at,
        duration_seconds: as_i32(u64::from(duration)),
        billed_seconds: 0,
        disposition: c
            .disposition
            .unwrap_or_else(|| Disposition::infer(c.answered_at.is_some(), &c.hangup_cause))
            .as_str()
            .into(),
        hangup_cause: c.hangup_cause.clone(),
        trunk_id: c.trunk_id,
        status: "rated".into(),
        unrated_reason: None,
        prefix: None,
        destination_name: None,
        currency: None,
        charge_micros: Some(0),
        buy_currency: None,
        buy_micros: None,
        created_at: Utc::now(),
    }
}

/// Stores and rates a batch in one transaction (see the module documentation for what a
/// record is charged):
///
/// 1. records stored before are duplicates, and change nothing;
/// 2. authorized calls still open are ended by their record (the only per-record writes,
///    and the exception: a switch normally ends its calls through `/calls/{id}/end`);
/// 3. calls charged already keep their charge; the others are rated in memory at every
///    level of the chain, the first record of a call making its charges;
/// 4. the records go in with one multi-row insert (a record a concurrent batch stored
///    meanwhile is skipped, and answered `duplicate`), then the charges of calls with a
///    stored record (a charge a concurrent batch made meanwhile is skipped: the call's
///    charge rows are unique per level), then their ledger transactions, with one balance
///    update per account.
async fn ingest_batch<'a>(
    core: &Core,
    mut pending: Vec<Pending<'a>>,
) -> DomainResult<Vec<Ingested>> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let txn = core.db.begin().await?;
    let call_ids: Vec<String> = {
        let mut ids: Vec<String> = pending.iter().map(|p| p.row.call_id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    // 1. Stored before.
    let mut known: HashSet<(String, String)> = HashSet::new();
    for chunk in call_ids.chunks(crate::bulk::READ_CHUNK) {
        let rows: Vec<(String, String)> = cdr::Entity::find()
            .select_only()
            .column(cdr::Column::CallId)
            .column(cdr::Column::Leg)
            .filter(cdr::Column::CallId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&txn)
            .await?;
        known.extend(rows);
    }
    let (mut fresh, old): (Vec<Pending<'a>>, Vec<Pending<'a>>) = pending
        .drain(..)
        .partition(|p| !known.contains(&(p.row.call_id.clone(), p.row.leg.clone())));
    // 2 and 3, for outbound records.
    let outbound: Vec<String> = {
        let mut ids: Vec<String> = fresh
            .iter()
            .filter(|p| p.input.direction == Direction::Outbound)
            .map(|p| p.row.call_id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut authorized: HashMap<String, call_authorization::Model> = HashMap::new();
    let mut charged: HashMap<String, call_charge::Model> = HashMap::new();
    for chunk in outbound.chunks(crate::bulk::READ_CHUNK) {
        for call in call_authorization::Entity::find()
            .filter(call_authorization::Column::CallId.is_in(chunk.iter().cloned()))
            .all(&txn)
            .await?
        {
            authorized.insert(call.call_id.clone(), call);
        }
    }
    for p in fresh
        .iter()
        .filter(|p| p.input.direction == Direction::Outbound)
    {
        if let Some(call) = authorized.get(&p.row.call_id)
            && call.tenant_id == p.row.tenant_id
            && matches!(call.status.as_str(), "active" | "expired")
        {
            let end = EndCall {
                answered_at: p.input.answered_at,
                ended_at: p.input.ended_at,
                hangup_cause: p.input.hangup_cause.clone(),
            };
            calls::finish(&txn, call, &end).await?;
        }
    }
    for chunk in outbound.chunks(crate::bulk::READ_CHUNK) {
        for c in call_charge::Entity::find()
            .filter(call_charge::Column::CallId.is_in(chunk.iter().cloned()))
            .filter(call_charge::Column::Level.eq(0))
            .all(&txn)
            .await?
        {
            charged.insert(c.call_id.clone(), c);
        }
    }
    for p in fresh
        .iter_mut()
        .filter(|p| p.input.direction == Direction::Outbound)
    {
        let call = authorized
            .get(&p.row.call_id)
            .filter(|c| c.tenant_id == p.row.tenant_id);
        rate_fresh(core, &txn, p, call, &mut charged).await?;
    }
    // 4. The records, then the charges of calls a stored record belongs to.
    let stored = insert_new(&txn, fresh.iter().map(|p| p.row.clone()).collect()).await?;
    let with_record: HashSet<&str> = fresh
        .iter()
        .filter(|p| stored.contains(&p.row.id))
        .map(|p| p.row.call_id.as_str())
        .collect();
    let charges: Vec<call_charge::Model> = fresh
        .iter()
        .filter(|p| with_record.contains(p.row.call_id.as_str()))
        .flat_map(|p| p.charges.iter().cloned())
        .collect();
    let made = insert_charges(&txn, charges.clone()).await?;
    let postings = charges
        .into_iter()
        .filter(|c| made.contains(&(c.call_id.clone(), c.level)))
        .filter_map(|c| {
            let id = c.transaction_id?;
            let dest = fresh
                .iter()
                .find(|p| p.row.call_id == c.call_id)
                .map_or("", |p| p.row.destination.as_str());
            Some(ledger::ChargePosting {
                id,
                tenant_id: c.tenant_id,
                account_id: c.account_id,
                currency: c.currency,
                delta: -c.charge_micros,
                description: format!("Call {} to {}", c.call_id, dest),
            })
        })
        .collect();
    ledger::post_charges(&txn, postings).await?;
    txn.commit().await?;
    let mut out: Vec<Ingested> = fresh
        .into_iter()
        .map(|p| Ingested {
            index: p.index,
            stored: stored.contains(&p.row.id),
            row: p.row,
        })
        .collect();
    out.extend(old.into_iter().map(|p| Ingested {
        index: p.index,
        stored: false,
        row: p.row,
    }));
    Ok(out)
}

/// Rates a fresh outbound record into its row: the carrier's price; the call's charge if it
/// has one (made by its end, an earlier record, or an earlier record of this batch);
/// otherwise the charges this record makes, at every level of the chain.
async fn rate_fresh<C: ConnectionTrait>(
    core: &Core,
    txn: &C,
    p: &mut Pending<'_>,
    call: Option<&call_authorization::Model>,
    charged: &mut HashMap<String, call_charge::Model>,
) -> DomainResult<()> {
    let c = p.input;
    let row = &mut p.row;
    let duration = duration_of(c.answered_at, c.ended_at);
    let number = row.destination.trim_start_matches('+').to_owned();
    if let Some(trunk) = c.trunk_id {
        let priced = match p.setup.trunk(trunk) {
            Some(t) => match (&t.deck, t.deck.as_ref().and_then(|d| d.active_version_id)) {
                (Some(deck), Some(version)) => core
                    .rate_book
                    .index(txn, version)
                    .await?
                    .index
                    .lookup(&number, c.started_at)
                    .and_then(|m| m.tariff.cost(duration))
                    .map(|cost| (deck.currency.clone(), cost)),
                _ => None,
            },
            None => pricing::buy_cost(core, txn, trunk, &number, c.started_at, duration).await?,
        };
        if let Some((currency, cost)) = priced {
            row.buy_currency = Some(currency);
            row.buy_micros = Some(cost);
        }
    }
    if let Some(call) = call {
        row.prefix.clone_from(&call.prefix);
        row.destination_name.clone_from(&call.destination_name);
    }
    if let Some(own) = charged.get(&row.call_id) {
        // Charged already (its end, or another leg): that charge stands.
        row.currency = Some(own.currency.clone());
        row.charge_micros = Some(own.charge_micros);
        row.billed_seconds = own.billed_seconds;
        if row.prefix.is_none() {
            row.prefix.clone_from(&own.prefix);
        }
        return Ok(());
    }
    let decks = match &p.setup.chain {
        Ok(decks) => decks,
        Err((no, level)) => {
            unrated(row, *no, *level);
            return Ok(());
        }
    };
    match pricing::rates_of_chain(core, txn, decks, &number, c.started_at).await? {
        Err((no, level)) => unrated(row, no, level),
        Ok(chain) => {
            let now = Utc::now();
            for (i, (_, l)) in chain.iter().enumerate() {
                let charge = l
                    .tariff
                    .cost(duration)
                    .ok_or_else(|| DomainError::internal("a call's charge overflows"))?;
                p.charges.push(call_charge::Model {
                    call_id: row.call_id.clone(),
                    level: i32::try_from(i).unwrap_or(i32::MAX),
                    tenant_id: l.tenant_id,
                    account_id: l.account_id,
                    currency: l.currency.clone(),
                    deck_version_id: Some(l.version_id),
                    prefix: Some(l.prefix.clone()),
                    per_minute_micros: l.tariff.per_minute,
                    billed_seconds: i32::try_from(l.tariff.billed_seconds(duration))
                        .unwrap_or(i32::MAX),
                    charge_micros: charge,
                    transaction_id: (charge != 0).then(Uuid::now_v7),
                    created_at: now,
                    updated_at: now,
                });
            }
            if let (Some((sell, _)), Some(own)) = (chain.first(), p.charges.first()) {
                row.prefix = Some(sell.prefix.clone());
                row.destination_name = Some(sell.destination.clone());
                row.currency = Some(own.currency.clone());
                row.charge_micros = Some(own.charge_micros);
                row.billed_seconds = own.billed_seconds;
                charged.insert(row.call_id.clone(), own.clone());
            }
        }
    }
    Ok(())
}

/// Marks a record `unrated`: no level `level` of the chain has a rate.
fn unrated(row: &mut cdr::Model, no: pricing::NoRate, level: usize) {
    row.status = "unrated".into();
    row.charge_micros = None;
    row.unrated_reason = Some(if level == 0 {
        no.reason().to_owned()
    } else {
        format!("{} at level {level} of the reseller chain", no.reason())
    });
}

/// Inserts records, skipping any (call id, leg) stored meanwhile; answers the ids stored.
async fn insert_new<C: ConnectionTrait>(
    db: &C,
    rows: Vec<cdr::Model>,
) -> DomainResult<HashSet<Uuid>> {
    let mut stored = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(crate::bulk::BATCH_ROWS) {
        let mut q = cdr::Entity::insert_many(chunk.iter().cloned().map(cdr::ActiveModel::from))
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([cdr::Column::CallId, cdr::Column::Leg])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        q.returning_col(cdr::Column::Id);
        let stmt = db.get_database_backend().build(&q);
        for r in db.query_all_raw(stmt).await? {
            stored.insert(r.try_get_by_index::<Uuid>(0)?);
        }
    }
    Ok(stored)
}

/// Inserts charges, skipping any (call id, level) made meanwhile; answers the ones made.
async fn insert_charges<C: ConnectionTrait>(
    db: &C,
    rows: Vec<call_charge::Model>,
) -> DomainResult<HashSet<(String, i32)>> {
    let mut made = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(crate::bulk::BATCH_ROWS) {
        let mut q = call_charge::Entity::insert_many(
            chunk.iter().cloned().map(call_charge::ActiveModel::from),
        )
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                call_charge::Column::CallId,
                call_charge::Column::Level,
            ])
            .do_nothing()
            .to_owned(),
        )
        .into_query();
        q.returning(
            sea_orm::sea_query::Query::returning()
                .columns([call_charge::Column::CallId, call_charge::Column::Level]),
        );
        let stmt = db.get_database_backend().build(&q);
        for r in db.query_all_raw(stmt).await? {
            made.insert((
                r.try_get_by_index::<String>(0)?,
                r.try_get_by_index::<i32>(1)?,
            ));
        }
    }
    Ok(made)
}

/// A record as a viewer may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CdrView {
    pub id: Uuid,
    pub call_id: String,
    pub leg: String,
    pub direction: Direction,
    pub caller: String,
    pub destination: String,
    pub extension: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub duration_seconds: i32,
    pub billed_seconds: i32,
    pub disposition: Disposition,
    pub hangup_cause: String,
    /// `rated` or `unrated`.
    pub status: String,
    pub unrated_reason: Option<String>,
    pub prefix: Option<String>,
    pub destination_name: Option<String>,
    pub currency: Option<String>,
    /// What the tenant was charged.
    pub charge: Option<String>,
    /// For a partner viewing a customer's record: what the call cost the partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub your_cost: Option<String>,
    /// For a partner viewing a customer's record: the customer's charge less its cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub your_margin: Option<String>,
    /// Platform staff only: what the carrier charges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_cost: Option<String>,
    /// Platform staff only: what the top of the chain pays, less the carrier's price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_margin: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CdrPage {
    pub items: Vec<CdrView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CdrListQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Calls started at or after.
    pub from: Option<DateTime<Utc>>,
    /// Calls started before.
    pub to: Option<DateTime<Utc>>,
    /// The extension on the call.
    pub extension: Option<String>,
    pub direction: Option<Direction>,
    pub disposition: Option<Disposition>,
    /// `newest` lists the latest records first (a dashboard's recent calls); the default
    /// is the oldest first. The CSV export follows it too.
    #[param(inline)]
    pub order: Option<ListOrder>,
}

/// Who is looking, relative to the records' tenant.
#[derive(Debug, Clone, Copy)]
enum Viewer {
    /// The tenant itself.
    Own,
    /// A partner `n` levels above the tenant.
    Above(usize),
    /// Platform staff.
    Platform,
}

fn viewer(scope: &TenantScope) -> DomainResult<Viewer> {
    Ok(match scope.relation() {
        Relation::Own => Viewer::Own,
        Relation::Platform => Viewer::Platform,
        Relation::Descendant => {
            let me = scope
                .actor()
                .principal
                .tenant_id
                .ok_or_else(|| DomainError::internal("a partner without a tenant"))?;
            let level = chain_of(&scope.tenant().path)?
                .iter()
                .position(|t| *t == me.0)
                .ok_or_else(|| DomainError::internal("a partner not above its customer"))?;
            Viewer::Above(level)
        }
    })
}

fn filtered(scope: &TenantScope, q: &CdrListQuery) -> DomainResult<Select<cdr::Entity>> {
    let mut s = cdr::Entity::find().filter(cdr::Column::TenantId.eq(scope.tenant().id));
    if let Some(f) = q.from {
        s = s.filter(cdr::Column::StartedAt.gte(f));
    }
    if let Some(t) = q.to {
        s = s.filter(cdr::Column::StartedAt.lt(t));
    }
    if let Some(e) = &q.extension {
        s = s.filter(cdr::Column::Extension.eq(e.as_str()));
    }
    if let Some(d) = q.direction {
        s = s.filter(cdr::Column::Direction.eq(d.as_str()));
    }
    if let Some(d) = q.disposition {
        s = s.filter(cdr::Column::Disposition.eq(d.as_str()));
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && t < f
    {
        return Err(DomainError::field("to", "before_from", "is before from"));
    }
    Ok(s)
}

async fn views<C: ConnectionTrait>(
    db: &C,
    who: Viewer,
    rows: Vec<cdr::Model>,
) -> DomainResult<Vec<CdrView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.call_id.clone()).collect();
    let mut charges: HashMap<String, Vec<call_charge::Model>> = HashMap::new();
    if !matches!(who, Viewer::Own) && !ids.is_empty() {
        for c in call_charge::Entity::find()
            .filter(call_charge::Column::CallId.is_in(ids))
            .order_by_asc(call_charge::Column::Level)
            .all(db)
            .await?
        {
            charges.entry(c.call_id.clone()).or_default().push(c);
        }
    }
    rows.into_iter()
        .map(|r| {
            let levels = charges.get(&r.call_id).map(Vec::as_slice).unwrap_or(&[]);
            let at = |l: usize| levels.get(l).map(|c| c.charge_micros);
            let (mut your_cost, mut your_margin, mut buy_cost, mut platform_margin) =
                (None, None, None, None);
            match who {
                Viewer::Own => {}
                Viewer::Above(l) => {
                    your_cost = at(l).map(format_amount);
                    if let (Some(below), Some(mine)) = (at(l.saturating_sub(1)), at(l)) {
                        your_margin = Some(format_amount(below - mine));
                    }
                }
                Viewer::Platform => {
                    buy_cost = r.buy_micros.map(format_amount);
                    if let (Some(top), Some(buy)) = (levels.last(), r.buy_micros)
                        && r.buy_currency.as_deref() == Some(top.currency.as_str())
                    {
                        platform_margin = Some(format_amount(top.charge_micros - buy));
                    }
                }
            }
            Ok(CdrView {
                id: r.id,
                call_id: r.call_id,
                leg: r.leg,
                direction: crate::services::from_stored("cdrs.direction", &r.direction)?,
                caller: r.caller,
                destination: r.destination,
                extension: r.extension,
                started_at: r.started_at,
                answered_at: r.answered_at,
                ended_at: r.ended_at,
                duration_seconds: r.duration_seconds,
                billed_seconds: r.billed_seconds,
                disposition: crate::services::from_stored("cdrs.disposition", &r.disposition)?,
                hangup_cause: r.hangup_cause,
                status: r.status,
                unrated_reason: r.unrated_reason,
                prefix: r.prefix,
                destination_name: r.destination_name,
                currency: r.currency,
                charge: r.charge_micros.map(format_amount),
                your_cost,
                your_margin,
                buy_cost,
                platform_margin,
            })
        })
        .collect()
}

/// One page of `select`, in the order the query asks.
async fn fetch(
    core: &Core,
    page: &PageRequest,
    query: &CdrListQuery,
    select: Select<cdr::Entity>,
) -> DomainResult<(Vec<cdr::Model>, Option<String>)> {
    page.fetch_in(
        query.order.unwrap_or_default(),
        &core.db,
        select,
        cdr::Column::Id,
        |m| m.id,
    )
    .await
}

/// `GET /v1/tenants/{t}/cdrs`.
pub async fn list(scope: &TenantScope, core: &Core, query: &CdrListQuery) -> DomainResult<CdrPage> {
    scope.authorize(Permission::BillingRead)?;
    let who = viewer(scope)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = fetch(core, &page, query, filtered(scope, query)?).await?;
    Ok(CdrPage {
        items: views(&core.db, who, rows).await?,
        next_cursor,
    })
}

/// `GET /v1/me/cdrs`: a user's own call history, the records whose caller, destination or
/// extension is one of the numbers of the phones assigned to them (whatever their role: a
/// tenant user has no `BillingRead`). What calls cost is the billing's and stays there: the
/// charge and its currency are left out. Principals without phones (API
/// keys, platform staff) have an empty history.
pub async fn list_own(core: &Core, actor: &Actor, query: &CdrListQuery) -> DomainResult<CdrPage> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let empty = CdrPage {
        items: Vec::new(),
        next_cursor: None,
    };
    let Some(own) = crate::services::extensions::own_phones(core, actor).await? else {
        return Ok(empty);
    };
    if own.numbers.is_empty() {
        return Ok(empty);
    }
    let mine = sea_orm::Condition::any()
        .add(cdr::Column::Caller.is_in(own.numbers.clone()))
        .add(cdr::Column::Destination.is_in(own.numbers.clone()))
        .add(cdr::Column::Extension.is_in(own.numbers));
    let select = filtered(&own.scope, query)?.filter(mine);
    let (rows, next_cursor) = fetch(core, &page, query, select).await?;
    let items = views(&core.db, Viewer::Own, rows)
        .await?
        .into_iter()
        .map(|v| CdrView {
            charge: None,
            currency: None,
            ..v
        })
        .collect();
    Ok(CdrPage { items, next_cursor })
}

/// The CSV columns of an export, in order.
const EXPORT_COLUMNS: [&str; 20] = [
    "id",
    "call_id",
    "leg",
    "direction",
    "caller",
    "destination",
    "extension",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_seconds",
    "billed_seconds",
    "disposition",
    "hangup_cause",
    "status",
    "prefix",
    "destination_name",
    "currency",
    "charge",
    "your_margin",
];

fn csv_row(v: &CdrView) -> Vec<String> {
    let t = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let cell = |s: &str| crate::csv_cells::neutralise(s).into_owned();
    vec![
        v.id.to_string(),
        cell(&v.call_id),
        cell(&v.leg),
        v.direction.as_str().into(),
        cell(&v.caller),
        cell(&v.destination),
        cell(v.extension.as_deref().unwrap_or_default()),
        t(Some(v.started_at)),
        t(v.answered_at),
        t(Some(v.ended_at)),
        v.duration_seconds.to_string(),
        v.billed_seconds.to_string(),
        v.disposition.as_str().into(),
        cell(&v.hangup_cause),
        v.status.clone(),
        v.prefix.clone().unwrap_or_default(),
        cell(v.destination_name.as_deref().unwrap_or_default()),
        v.currency.clone().unwrap_or_default(),
        v.charge.clone().unwrap_or_default(),
        v.your_margin.clone().unwrap_or_default(),
    ]
}

/// Records per page of an export.
const EXPORT_PAGE: u64 = 1_000;

/// `GET /v1/tenants/{t}/cdrs/export`: the filtered records as CSV, streamed a page at a
/// time. Formula-like cells are neutralised (see [`crate::csv_cells`]).
pub async fn export(
    scope: &TenantScope,
    core: &Core,
    query: &CdrListQuery,
) -> DomainResult<crate::csv_cells::CsvStream> {
    scope.authorize(Permission::BillingRead)?;
    let who = viewer(scope)?;
    let select = filtered(scope, query)?;
    let order = query.order.unwrap_or_default();
    let db = core.db.clone();
    let header = Bytes::from(format!("{}\n", EXPORT_COLUMNS.join(",")));
    let pages = futures_util::stream::try_unfold(Some(None::<Uuid>), move |after| {
        let db = db.clone();
        let select = select.clone();
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let mut q = order.sort(select, cdr::Column::Id).limit(EXPORT_PAGE);
            if let Some(a) = after {
                q = q.filter(order.past(cdr::Column::Id, a));
            }
            let rows = q.all(&db).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let more = rows.len() as u64 == EXPORT_PAGE;
            let last = rows.last().map(|r| r.id);
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            for v in views(&db, who, rows).await? {
                w.write_record(csv_row(&v)).map_err(DomainError::internal)?;
            }
            let bytes = w.into_inner().map_err(DomainError::internal)?;
            Ok(Some((Bytes::from(bytes), more.then_some(last))))
        }
    });
    Ok(futures_util::StreamExt::boxed(
        futures_util::StreamExt::chain(
            futures_util::stream::once(async move { Ok(header) }),
            pages,
        ),
    ))
}

/// A period to re-rate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RerateRequest {
    /// Calls started at or after.
    pub from: DateTime<Utc>,
    /// Calls started before.
    pub to: DateTime<Utc>,
}

/// The queued re-rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RerateQueued {
    pub job_id: Uuid,
}

/// `POST /v1/cdrs/rerate` (platform admins).
pub async fn request_rerate(
    core: &Core,
    actor: &Actor,
    input: RerateRequest,
) -> DomainResult<RerateQueued> {
    match grant_platform(actor.principal.role, PlatformPermission::ManageRateDecks) {
        Grant::Allow => {}
        Grant::AllowWithReason | Grant::Deny => {
            return Err(DomainError::forbidden("Only platform admins re-rate calls"));
        }
    }
    if input.to <= input.from {
        return Err(DomainError::field(
            "to",
            "before_from",
            "must be after from",
        ));
    }
    let txn = core.begin().await?;
    let queued: Queued = jobs::enqueue(
        &txn,
        &RerateCdrs {
            from: input.from,
            to: input.to,
        },
        None,
    )
    .await?;
    let id = queued.id;
    txn.commit().await?;
    Ok(RerateQueued { job_id: id })
}

/// Records re-rated per transaction.
const RERATE_BATCH: u64 = 200;

/// Re-rates the outbound records of a period: see the module documentation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RerateCdrs {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Job for RerateCdrs {
    const KIND: &'static str = "billing.rerate_cdrs";
    const MAX_ATTEMPTS: i32 = 5;

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let core = ctx.core;
        let mut after: Option<Uuid> = None;
        let (mut seen, mut changed) = (0u64, 0u64);
        loop {
            let mut q = cdr::Entity::find()
                .filter(cdr::Column::Direction.eq(Direction::Outbound.as_str()))
                .filter(cdr::Column::StartedAt.gte(self.from))
                .filter(cdr::Column::StartedAt.lt(self.to))
                .order_by_asc(cdr::Column::Id)
                .limit(RERATE_BATCH);
            if let Some(a) = after {
                q = q.filter(cdr::Column::Id.gt(a));
            }
            let rows = q.all(&core.db).await?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            after = Some(last);
            for row in rows {
                seen += 1;
                let txn = core.db.begin().await?;
                if rerate_one(core, &txn, row).await? {
                    changed += 1;
                }
                txn.commit().await?;
            }
            ctx.progress(seen, None, &format!("{changed} calls changed"))
                .await?;
        }
        tracing::info!(calls = seen, changed, "re-rated");
        Ok(())
    }
}

/// Re-rates one record; `true` when a charge changed.
async fn rerate_one<C: ConnectionTrait>(
    core: &Core,
    txn: &C,
    mut row: cdr::Model,
) -> DomainResult<bool> {
    let Some(tenant) = tenant::Entity::find_by_id(row.tenant_id).one(txn).await? else {
        return Ok(false);
    };
    let number = row.destination.trim_start_matches('+').to_owned();
    let duration = u32::try_from(row.duration_seconds).unwrap_or(0);
    let chain = match pricing::chain_rates(core, txn, &tenant.path, &number, row.started_at).await?
    {
        Ok(c) => c,
        // Still no rate: a rated call keeps its charge, an unrated one stays unrated.
        Err(_) => return Ok(false),
    };
    let existing = call_charge::Entity::find()
        .filter(call_charge::Column::CallId.eq(row.call_id.as_str()))
        .all(txn)
        .await?;
    let mut changed = false;
    let now = Utc::now();
    let description = format!("Re-rate of call {} to {}", row.call_id, row.destination);
    let mut fresh = Vec::new();
    for (i, (_, l)) in chain.iter().enumerate() {
        let level = i32::try_from(i).unwrap_or(i32::MAX);
        let charge = l
            .tariff
            .cost(duration)
            .ok_or_else(|| DomainError::internal("a call's charge overflows"))?;
        let billed = i32::try_from(l.tariff.billed_seconds(duration)).unwrap_or(i32::MAX);
        match existing.iter().find(|c| c.level == level) {
            Some(old) if old.charge_micros == charge => {}
            Some(old) => {
                let tx = post_charge(
                    txn,
                    old.account_id,
                    old.charge_micros - charge,
                    &description,
                )
                .await?;
                call_charge::Entity::update_many()
                    .col_expr(call_charge::Column::ChargeMicros, charge.into())
                    .col_expr(call_charge::Column::BilledSeconds, billed.into())
                    .col_expr(
                        call_charge::Column::PerMinuteMicros,
                        l.tariff.per_minute.into(),
                    )
                    .col_expr(
                        call_charge::Column::DeckVersionId,
                        Some(l.version_id).into(),
                    )
                    .col_expr(call_charge::Column::Prefix, Some(l.prefix.clone()).into())
                    .col_expr(
                        call_charge::Column::TransactionId,
                        tx.or(old.transaction_id).into(),
                    )
                    .col_expr(call_charge::Column::UpdatedAt, now.into())
                    .filter(call_charge::Column::CallId.eq(row.call_id.as_str()))
                    .filter(call_charge::Column::Level.eq(level))
                    .exec(txn)
                    .await?;
                changed = true;
            }
            None => fresh.push(l.clone()),
        }
    }
    if !fresh.is_empty() {
        let levels: Vec<_> = chain.iter().map(|(_, l)| l.clone()).collect();
        charge_levels(txn, &row.call_id, &levels, duration, &description).await?;
        changed = true;
    }
    if changed || row.status != "rated" {
        let own = call_charge::Entity::find_by_id((row.call_id.clone(), 0))
            .one(txn)
            .await?;
        if let (Some(own), Some((sell, _))) = (own, chain.first()) {
            row.status = "rated".into();
            row.unrated_reason = None;
            row.currency = Some(own.currency);
            row.charge_micros = Some(own.charge_micros);
            row.billed_seconds = own.billed_seconds;
            row.prefix = Some(sell.prefix.clone());
            row.destination_name = Some(sell.destination.clone());
            cdr::Entity::update(cdr::ActiveModel::from(row).reset_all())
                .exec(txn)
                .await?;
            changed = true;
        }
    }
    Ok(changed)
}
