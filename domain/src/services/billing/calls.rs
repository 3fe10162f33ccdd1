//! Real-time call authorization with credit holds: `POST /v1/switch/calls` decides whether
//! a call may be placed and for how long, `POST /v1/switch/calls/{call_id}/end` charges it.
//!
//! # Holds
//!
//! An outbound call is granted the longest duration `D` (at most `max_call_seconds`) whose
//! cost at the matched sell rate fits the account's **available** credit — balance + credit
//! limit − the holds of its calls in progress — and holds `cost(D)` of it. The hold is
//! placed by one conditional update of the account row:
//!
//! ```sql
//! UPDATE billing_accounts SET held_micros = held_micros + :hold
//!  WHERE id = :account AND balance_micros + credit_limit_micros - held_micros >= :hold
//! ```
//!
//! which both databases apply atomically against the latest committed row (PostgreSQL
//! re-checks the condition after waiting for a concurrent writer's lock; SQLite has one
//! writer), so however many calls arrive at once the holds never exceed what the account
//! has. A call that loses the race reads the account again and asks for less, or is denied
//! `insufficient_credit`.
//!
//! The first try does not read the account at all: it asks for the longest call,
//! `max_call_seconds`, which most accounts (postpaid ones, funded prepaid ones) can pay
//! for, so the conditional update alone decides — one round trip. Only a refusal reads the
//! account and computes the grant above. On PostgreSQL, holds on one account arriving
//! together are placed by one statement per batch ([`super::holds`]): calls of a busy
//! account queue on its row however they are sent, and one statement for many of them
//! costs the database far less than many statements waiting on one row lock.
//!
//! # The reseller chain
//!
//! A customer of a partner is sold the call at its sell deck (the partner's), and the
//! partner at the deck its own parent assigned it, up to the root tenant (a platform deck):
//! every level of the chain is a payer. Authorization rates the number at every level,
//! grants the duration the level with the least credit can pay for, and holds each level's
//! cost of it, all in one transaction (accounts in id order). Each level is charged at its
//! own rate against the platform's `revenue`; the difference between a level's charge and
//! the level below's is that level's margin, shown to it (CDRs, reports), never to the
//! levels below.
//!
//! Ending a call releases its hold and posts the charge — the same formula, at the rate the
//! call was granted ([`crate::rating`]) — as one `call_charge` ledger transaction, in one
//! database transaction guarded by the call's status, so an end sent twice (or raced) posts
//! once and answers the same charge. A call no switch ends releases its hold, posting
//! nothing, `hold_grace_secs` after its granted duration ([`ExpireHolds`]); an end that
//! arrives after that still charges the call.
//!
//! Calls to a tenant's own numbers (extensions, ring groups…) are allowed without a hold and
//! cost nothing. Anything that keeps the decision from being made — the database cannot be
//! reached, an internal error — answers `deny` with reason `unavailable`: no call is placed
//! that could not be charged.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    ledger::{Posting, TransactionKind, post, system_account},
    policy,
    pricing::{self, LevelRate},
};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use crate::{
    core::Core,
    entities::{
        billing_account, call_authorization, call_charge, dial_number, switch_node, tenant,
    },
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
    money::format_amount,
    rating::Tariff,
    scope::TenantRows,
    services::{
        from_stored,
        jobs::{self, Job, JobContext},
        outbound_routes,
    },
    switch::{cache::CacheKey, directory::tenant_of_domain, plan::TrunkLeg},
    validate::Errors,
};

/// What a switch asks before placing a call.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeCall {
    /// The switch's id of the call (SIP Call-ID), 1-255 visible characters; asking again
    /// with the same id answers the same decision.
    #[schema(min_length = 1, max_length = 255)]
    pub call_id: String,
    /// The caller's SIP domain: whose call it is.
    #[schema(min_length = 1, max_length = 253)]
    pub domain: String,
    /// The caller (extension number or SIP user), 1-128 characters.
    #[schema(min_length = 1, max_length = 128)]
    pub caller: String,
    /// The dialled number, 1-64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub destination: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

/// The answer to a switch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallDecision {
    pub call_id: String,
    pub decision: Decision,
    /// `outbound` or `internal` when allowed; otherwise why not: `unknown_domain`,
    /// `no_route`, `no_trunk`, `no_sell_deck`, `no_rate`, `insufficient_credit`, the spend
    /// policy's `fraud_risk`, `destination_denied`, `rate_too_high`, `daily_cap_reached` and
    /// `too_many_calls`, or `unavailable` (the decision could not be made: the call must not
    /// be placed).
    pub reason: String,
    /// Hang up after this many seconds of conversation.
    pub max_duration_seconds: Option<u32>,
    /// Price per minute the call is charged at.
    pub rate: Option<String>,
    pub connection_fee: Option<String>,
    pub currency: Option<String>,
    /// Credit held while the call lasts.
    pub hold: Option<String>,
    /// The number to send to the trunks (after the route's rewriting).
    pub number: Option<String>,
    /// The matched prefix and its destination name.
    pub prefix: Option<String>,
    pub destination_name: Option<String>,
    /// Trunks to try, in least-cost order.
    pub trunks: Vec<TrunkLeg>,
}

impl CallDecision {
    fn deny(call_id: &str, reason: &str) -> Self {
        Self::new(call_id, Decision::Deny, reason)
    }

    fn new(call_id: &str, decision: Decision, reason: &str) -> Self {
        Self {
            call_id: call_id.to_owned(),
            decision,
            reason: reason.to_owned(),
            max_duration_seconds: None,
            rate: None,
            connection_fee: None,
            currency: None,
            hold: None,
            number: None,
            prefix: None,
            destination_name: None,
            trunks: Vec::new(),
        }
    }
}

/// How a call ended, as the switch saw it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndCall {
    /// When the callee answered; absent for a call never answered (charged nothing).
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// The switch's hangup cause (`NORMAL_CLEARING`, `486`…), 1-64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub hangup_cause: String,
}

/// What an ended call was charged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallCharge {
    pub call_id: String,
    /// Seconds from answer to hang-up, rounded up.
    pub duration_seconds: i32,
    /// Seconds billed after minimum and increments.
    pub billed_seconds: i32,
    pub charge: String,
    pub currency: Option<String>,
    /// The ledger transaction of the charge; absent for a call that cost nothing.
    pub transaction_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CallStatus {
    Active,
    Ended,
    Expired,
}

impl CallStatus {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Ended => "ended",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CallKind {
    Outbound,
    Internal,
}

impl CallKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Outbound => "outbound",
            Self::Internal => "internal",
        }
    }
}

fn visible(errors: &mut Errors, field: &str, raw: &str, max: usize) {
    if raw.is_empty() || raw.chars().count() > max || raw.chars().any(char::is_control) {
        errors.push(crate::error::FieldError::new(
            field,
            "invalid_length",
            format!("must be 1-{max} characters without control characters"),
        ));
    }
}

/// The longest duration (at most `cap` seconds) whose cost fits `available`, and that cost;
/// `None` when not even the shortest answered call fits.
pub fn grant(tariff: &Tariff, available: i64, cap: u32) -> Option<(u32, i64)> {
    let fits = |d: u32| tariff.cost(d).is_some_and(|c| c <= available);
    if cap == 0 || !fits(1) {
        return None;
    }
    // cost() never decreases with the duration: the largest fitting duration by bisection.
    let (mut lo, mut hi) = (1u32, cap);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    tariff.cost(lo).map(|c| (lo, c))
}

/// `POST /v1/switch/calls`: see the module documentation. Fails closed: an error of the
/// platform's answers `deny`/`unavailable` (a bad request is still a 422).
pub async fn authorize(
    core: &Core,
    node: &switch_node::Model,
    input: AuthorizeCall,
) -> DomainResult<CallDecision> {
    let mut errors = Errors::default();
    visible(&mut errors, "call_id", &input.call_id, 255);
    visible(&mut errors, "domain", &input.domain, 253);
    visible(&mut errors, "caller", &input.caller, 128);
    visible(&mut errors, "destination", input.destination.trim(), 64);
    errors.finish()?;
    match decide(core, node, &input).await {
        // A call id already allowed keeps its answer: a switch retrying the request must
        // not see the credit its own hold took as missing. (Only denials look: an allowed
        // retry finds its row when inserting.)
        Ok(d) if d.decision == Decision::Deny => match existing(&core.db, &input.call_id).await {
            Ok(Some(earlier)) => Ok(earlier),
            _ => Ok(d),
        },
        Ok(d) => Ok(d),
        Err(e) if e.code == ErrorCode::NotFound => {
            Ok(CallDecision::deny(&input.call_id, "unknown_domain"))
        }
        Err(e) if e.code.describe().1 >= 500 => {
            tracing::warn!(error = %e, call_id = %input.call_id, "call authorization failed closed");
            Ok(CallDecision::deny(&input.call_id, "unavailable"))
        }
        Err(e) => Err(e),
    }
}

/// What a tenant's calls are decided from, apart from balances, as read for one SIP domain:
/// kept per process in the switch cache ([`crate::switch::cache`]), stamped with the
/// generations of every tenant of the reseller chain and of the platform, so any change to
/// the tenant's numbers, routes, spend policy, billing accounts or sell decks of the chain,
/// trunks or buy decks makes it stale at once (and in other processes when Redis carries
/// the change). Rates are still looked up per call, at the call's time, in the decks'
/// active versions; balances and call counts are read and updated per call.
pub(crate) struct CallSetup {
    pub(crate) tenant: tenant::Model,
    /// The numbers a call to which stays inside the tenant.
    internal: HashSet<String>,
    routes: Vec<outbound_routes::Candidate>,
    limits: policy::Limits,
    /// The sell deck of every level of the chain, the tenant first, or the first level
    /// without one.
    pub(crate) chain: Result<Vec<pricing::SellDeck>, (pricing::NoRate, usize)>,
    /// Every trunk the tenant's routes name, with its buy deck.
    trunks: HashMap<Uuid, pricing::BuyTrunk>,
}

impl CallSetup {
    /// The setup of the tenant serving `domain`, from the cache or the database.
    pub(crate) async fn of(core: &Core, domain: &str) -> DomainResult<Arc<Self>> {
        let key = domain.trim().trim_end_matches('.').to_lowercase();
        if let Some(hit) = core.switch_cache.call_setup(&key) {
            return Ok(hit);
        }
        let (scope, _) = tenant_of_domain(core, domain).await?;
        let db = &core.db;
        let tenant = tenant::Entity::find_by_id(scope.tenant_id().0)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("SIP domain"))?;
        // Stamped before the rest is read, so a change committed meanwhile leaves it stale.
        let chain_ids = pricing::chain_of(&tenant.path)?;
        let stamp = core
            .switch_cache
            .stamp_all(chain_ids.iter().map(|t| CacheKey::Tenant(TenantId(*t))));
        let internal = scope
            .select::<dial_number::Entity>()
            .select_only()
            .column(dial_number::Column::Number)
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let routes = outbound_routes::enabled_routes_of(&scope, db).await?;
        let mut ids: Vec<Uuid> = routes.iter().flat_map(|r| r.trunk_ids.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let trunks = pricing::route_trunks(db, tenant.id, &ids)
            .await?
            .into_iter()
            .map(|t| (t.trunk.id, t))
            .collect();
        let setup = Arc::new(Self {
            limits: policy::limits(db, tenant.id).await?,
            chain: pricing::chain_decks(db, &tenant.path).await?,
            tenant,
            internal,
            routes,
            trunks,
        });
        core.switch_cache.put_call_setup(key, stamp, setup.clone());
        Ok(setup)
    }

    /// A trunk one of the tenant's routes names, with its buy deck.
    pub(crate) fn trunk(&self, id: Uuid) -> Option<&pricing::BuyTrunk> {
        self.trunks.get(&id)
    }

    /// The trunks of a route, in the route's order, as [`pricing::route_trunks`] reads them.
    fn route_trunks(&self, ids: &[Uuid]) -> Vec<pricing::BuyTrunk> {
        ids.iter()
            .filter_map(|id| self.trunks.get(id).cloned())
            .collect()
    }
}

async fn decide(
    core: &Core,
    node: &switch_node::Model,
    input: &AuthorizeCall,
) -> DomainResult<CallDecision> {
    let db = &core.db;
    let setup = CallSetup::of(core, &input.domain).await?;
    let tenant = &setup.tenant;
    let destination = input.destination.trim();
    let now = Utc::now();
    if setup.internal.contains(destination) {
        let mut answer = CallDecision::new(&input.call_id, Decision::Allow, "internal");
        answer.max_duration_seconds = Some(core.config.max_call_seconds);
        answer.number = Some(destination.to_owned());
        let row = record(
            core,
            node,
            input,
            tenant.id,
            CallKind::Internal,
            now,
            &answer,
            &[],
        )?;
        return insert_free(core, row, answer).await;
    }
    let (choice, _) = outbound_routes::choose_among(&setup.routes, destination, &input.caller);
    let Some(number) = choice.as_ref().and_then(|c| c.number.clone()) else {
        return Ok(CallDecision::deny(&input.call_id, "no_route"));
    };
    let digits = number.strip_prefix('+').unwrap_or(&number).to_owned();
    let decks = match &setup.chain {
        Ok(decks) => decks,
        Err((no, level)) => {
            tracing::debug!(call_id = %input.call_id, level, "no sell deck in the chain");
            return Ok(CallDecision::deny(&input.call_id, no.reason()));
        }
    };
    let chain = match pricing::rates_of_chain(core, db, decks, &digits, now).await? {
        Ok(c) => c,
        Err((no, level)) => {
            tracing::debug!(call_id = %input.call_id, level, "no sell rate in the chain");
            return Ok(CallDecision::deny(&input.call_id, no.reason()));
        }
    };
    let (Some((sell, _)), Some((top, _))) = (chain.first(), chain.last()) else {
        return Ok(CallDecision::deny(&input.call_id, "no_sell_deck"));
    };
    // The spend policy, before anything is held.
    let limits = &setup.limits;
    if let Some(why) =
        policy::destination_refusal(limits, &core.config.fraud_deny_prefixes, &digits)
            .or_else(|| policy::rate_refusal(limits, &sell.tariff))
    {
        return Ok(CallDecision::deny(&input.call_id, why));
    }
    let trunks = setup.route_trunks(choice.as_ref().map_or(&[][..], |c| &c.trunk_ids));
    // The platform's margin is what the top of the chain pays, less the carrier's price.
    let trunks: Vec<TrunkLeg> = pricing::order_trunks(core, db, trunks, &digits, Some(top), now)
        .await?
        .into_iter()
        .filter(|(_, e)| e.used)
        .map(|(t, _)| TrunkLeg {
            trunk_id: t.id,
            host: t.host,
            port: t.port,
            transport: t.transport,
            max_channels: t.max_channels,
        })
        .collect();
    if trunks.is_empty() {
        return Ok(CallDecision::deny(&input.call_id, "no_trunk"));
    }
    let tariff = sell.tariff;
    let mut answer = CallDecision {
        call_id: input.call_id.clone(),
        decision: Decision::Allow,
        reason: CallKind::Outbound.as_str().into(),
        max_duration_seconds: None,
        rate: Some(format_amount(tariff.per_minute)),
        connection_fee: Some(format_amount(tariff.connection_fee)),
        currency: Some(sell.deck.currency.clone()),
        hold: None,
        number: Some(number.clone()),
        prefix: Some(sell.prefix.clone()),
        destination_name: Some(sell.destination.clone()),
        trunks,
    };
    let mut levels: Vec<LevelRate> = chain.iter().map(|(_, l)| l.clone()).collect();
    let account_ids: Vec<Uuid> = levels.iter().map(|l| l.account_id).collect();
    let attempt = Attempt {
        core,
        node,
        input,
        tenant: tenant.id,
        now,
        max_calls: limits.max_concurrent_calls,
    };
    // First, without reading the accounts: the longest call the platform allows. Where every
    // level has the credit for it (postpaid accounts, funded prepaid ones) the conditional
    // hold alone decides, one round trip; a refusal (too little credit, too many calls)
    // falls through to reading the accounts and asking for what is left. A daily cap needs
    // today's spending read first, so it never takes this path.
    if limits.daily_cap.is_none() {
        match attempt
            .hold(&mut answer, &mut levels, core.config.max_call_seconds)
            .await?
        {
            Placed::Yes => return Ok(answer),
            Placed::Retried(earlier) => return Ok(*earlier),
            Placed::Refused => {}
        }
    }
    // A lost race for some account's credit reads them again and asks for what is left.
    for _ in 0..5 {
        let accounts = billing_account::Entity::find()
            .filter(billing_account::Column::Id.is_in(account_ids.clone()))
            .all(db)
            .await?;
        // Too many calls already says so, rather than what they hold (the count is checked
        // again, atomically, where the hold is placed).
        if let Some(max) = limits.max_concurrent_calls
            && accounts
                .iter()
                .any(|a| a.id == levels[0].account_id && a.active_calls >= i64::from(max))
        {
            return Ok(CallDecision::deny(&input.call_id, "too_many_calls"));
        }
        // The call lasts as long as the level with the least credit can pay for.
        let mut seconds = core.config.max_call_seconds;
        for l in &levels {
            let a = accounts
                .iter()
                .find(|a| a.id == l.account_id)
                .ok_or_else(|| DomainError::internal("billing account vanished"))?;
            let available = a.balance_micros + a.credit_limit_micros - a.held_micros;
            match grant(&l.tariff, available, seconds) {
                Some((s, _)) => seconds = std::cmp::min(seconds, s),
                None => return Ok(CallDecision::deny(&input.call_id, "insufficient_credit")),
            }
        }
        // The daily cap: what is left of it today pays for the call too.
        if let Some(cap) = limits.daily_cap {
            let own = accounts
                .iter()
                .find(|a| a.id == levels[0].account_id)
                .ok_or_else(|| DomainError::internal("billing account vanished"))?;
            let left = cap - policy::spent_today(db, tenant.id).await? - own.held_micros;
            match grant(&levels[0].tariff, left, seconds) {
                Some((s, _)) => seconds = std::cmp::min(seconds, s),
                None => return Ok(CallDecision::deny(&input.call_id, "daily_cap_reached")),
            }
        }
        match attempt.hold(&mut answer, &mut levels, seconds).await? {
            Placed::Yes => return Ok(answer),
            Placed::Retried(earlier) => return Ok(*earlier),
            Placed::Refused => {}
        }
    }
    Ok(CallDecision::deny(&input.call_id, "insufficient_credit"))
}

/// One try at holding an outbound call's credit at every level of its chain.
struct Attempt<'a> {
    core: &'a Core,
    node: &'a switch_node::Model,
    input: &'a AuthorizeCall,
    tenant: Uuid,
    now: DateTime<Utc>,
    max_calls: Option<i32>,
}

impl Attempt<'_> {
    /// Records the call as allowed for `seconds` and places each level's hold for that
    /// long (the answer and the levels say so afterwards, whatever the outcome).
    async fn hold(
        &self,
        answer: &mut CallDecision,
        levels: &mut [LevelRate],
        seconds: u32,
    ) -> DomainResult<Placed> {
        for l in levels.iter_mut() {
            l.hold = l
                .tariff
                .cost(seconds)
                .ok_or_else(|| DomainError::internal("a hold overflows"))?;
        }
        answer.max_duration_seconds = Some(seconds);
        answer.hold = levels.first().map(|l| format_amount(l.hold));
        let row = record(
            self.core,
            self.node,
            self.input,
            self.tenant,
            CallKind::Outbound,
            self.now,
            answer,
            levels,
        )?;
        place_holds(self.core, row, levels, self.max_calls).await
    }
}

/// The stored answer to an earlier request with this call id.
async fn existing<C: ConnectionTrait>(db: &C, call_id: &str) -> DomainResult<Option<CallDecision>> {
    let answer: Option<String> = call_authorization::Entity::find()
        .select_only()
        .column(call_authorization::Column::Answer)
        .filter(call_authorization::Column::CallId.eq(call_id))
        .into_tuple()
        .one(db)
        .await?;
    answer
        .map(|a| serde_json::from_str(&a).map_err(DomainError::internal))
        .transpose()
}

/// The row of an allowed call; `levels` is empty for an internal call.
#[expect(
    clippy::too_many_arguments,
    reason = "one row's worth of facts, each named"
)]
fn record(
    core: &Core,
    node: &switch_node::Model,
    input: &AuthorizeCall,
    tenant: Uuid,
    kind: CallKind,
    now: DateTime<Utc>,
    answer: &CallDecision,
    levels: &[LevelRate],
) -> DomainResult<call_authorization::ActiveModel> {
    let seconds = answer
        .max_duration_seconds
        .unwrap_or(core.config.max_call_seconds);
    let as_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let own = levels.first();
    let t = own.map(|l| l.tariff);
    Ok(call_authorization::ActiveModel {
        id: Set(Uuid::now_v7()),
        call_id: Set(input.call_id.clone()),
        node_id: Set(node.id),
        tenant_id: Set(tenant),
        account_id: Set(own.map(|l| l.account_id)),
        kind: Set(kind.as_str().into()),
        caller: Set(input.caller.clone()),
        destination: Set(input.destination.trim().to_owned()),
        number: Set(answer.number.clone()),
        prefix: Set(answer.prefix.clone()),
        destination_name: Set(answer.destination_name.clone()),
        deck_version_id: Set(own.map(|l| l.version_id)),
        currency: Set(own.map(|l| l.currency.clone())),
        per_minute_micros: Set(t.map_or(0, |t| t.per_minute)),
        connection_fee_micros: Set(t.map_or(0, |t| t.connection_fee)),
        minimum_seconds: Set(t.map_or(0, |t| as_i32(t.minimum_seconds))),
        first_increment: Set(t.map_or(1, |t| as_i32(t.first_increment))),
        next_increment: Set(t.map_or(1, |t| as_i32(t.next_increment))),
        max_duration_seconds: Set(as_i32(seconds)),
        hold_micros: Set(own.map_or(0, |l| l.hold)),
        status: Set(CallStatus::Active.as_str().into()),
        created_at: Set(now),
        expires_at: Set(now
            + Duration::seconds(i64::from(seconds))
            + Duration::seconds(i64::from(core.config.hold_grace_secs))),
        answered_at: Set(None),
        ended_at: Set(None),
        duration_seconds: Set(0),
        billed_seconds: Set(0),
        hangup_cause: Set(None),
        charge_micros: Set(None),
        transaction_id: Set(None),
        answer: Set(serde_json::to_string(answer).map_err(DomainError::internal)?),
        levels: Set(serde_json::to_string(levels).map_err(DomainError::internal)?),
    })
}

enum Placed {
    Yes,
    /// The same call id was authorized meanwhile: its answer.
    Retried(Box<CallDecision>),
    /// An account no longer has the credit its hold needs, or the tenant has as many calls
    /// in progress as its policy allows.
    Refused,
}

/// Whether an insert failed on the unique call id.
fn is_duplicate(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

async fn insert_free(
    core: &Core,
    row: call_authorization::ActiveModel,
    answer: CallDecision,
) -> DomainResult<CallDecision> {
    match call_authorization::Entity::insert(row)
        .exec_without_returning(&core.db)
        .await
    {
        Ok(_) => Ok(answer),
        Err(e) if is_duplicate(&e) => existing(&core.db, &answer.call_id)
            .await?
            .ok_or_else(|| DomainError::internal("a duplicate call id without its row")),
        Err(e) => Err(e.into()),
    }
}

/// Records the call and places every level's hold, all or none. Accounts are updated in
/// id order, so two calls of one chain never wait on each other in opposite orders.
///
/// On PostgreSQL a call paid by one account (no reseller above it) does both in **one
/// statement**, one round trip instead of a transaction's four:
///
/// ```sql
/// WITH held AS (UPDATE billing_accounts SET held_micros = held_micros + :hold, …
///                WHERE id = :account AND <credit and call-count conditions> RETURNING id)
/// INSERT INTO call_authorizations (…) SELECT :id, :call_id, … FROM held
/// ```
///
/// A statement is atomic: the row is inserted only if the hold was placed, and a duplicate
/// call id (a unique violation) undoes the hold with the rest. SQLite has no data-modifying
/// `WITH`, and a chain's several holds must all pass, so those take a transaction.
async fn place_holds(
    core: &Core,
    row: call_authorization::ActiveModel,
    levels: &[LevelRate],
    max_calls: Option<i32>,
) -> DomainResult<Placed> {
    let call_id = match &row.call_id {
        sea_orm::ActiveValue::Set(c) | sea_orm::ActiveValue::Unchanged(c) => c.clone(),
        sea_orm::ActiveValue::NotSet => String::new(),
    };
    let backend = core.db.get_database_backend();
    let placed = match levels {
        [only] if backend == DbBackend::Postgres => {
            core.holds
                .place(core, row, only.account_id, only.hold, max_calls)
                .await?
        }
        _ => hold_in_transaction(core, row, levels, max_calls).await?,
    };
    match placed {
        Ok(true) => Ok(Placed::Yes),
        // Which condition failed shows when the caller reads the accounts again.
        Ok(false) => Ok(Placed::Refused),
        Err(e) if is_duplicate(&e) => Ok(match existing(&core.db, &call_id).await? {
            Some(a) => Placed::Retried(Box::new(a)),
            None => Placed::Refused,
        }),
        Err(e) => Err(e.into()),
    }
}

/// The conditional update placing `hold` on `account`; counting `calls` calls on it (the
/// tenant's own account; 0 on a reseller's), refusing to pass `max_calls` in progress.
fn hold_update(
    account: Uuid,
    hold: i64,
    calls: i64,
    max_calls: Option<i32>,
) -> sea_orm::UpdateMany<billing_account::Entity> {
    let col = |c: billing_account::Column| Expr::col(c);
    let mut held = billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::HeldMicros,
            col(billing_account::Column::HeldMicros).add(hold),
        )
        .filter(billing_account::Column::Id.eq(account))
        .filter(
            col(billing_account::Column::BalanceMicros)
                .add(col(billing_account::Column::CreditLimitMicros))
                .sub(col(billing_account::Column::HeldMicros))
                .gte(hold),
        );
    if calls > 0 {
        held = held.col_expr(
            billing_account::Column::ActiveCalls,
            col(billing_account::Column::ActiveCalls).add(calls),
        );
        if let Some(max) = max_calls {
            held =
                held.filter(col(billing_account::Column::ActiveCalls).lte(i64::from(max) - calls));
        }
    }
    held
}

/// `WITH held AS (<hold_update> RETURNING id) INSERT INTO call_authorizations … SELECT
/// <row 1> FROM held UNION ALL SELECT <row 2> FROM held …` (PostgreSQL; see
/// [`place_holds`] and [`super::holds`]): `hold` in total for the calls of `rows`.
pub(super) fn hold_and_record(
    rows: Vec<call_authorization::ActiveModel>,
    account: Uuid,
    hold: i64,
    calls: i64,
    max_calls: Option<i32>,
) -> DomainResult<sea_orm::sea_query::WithQuery> {
    use sea_orm::{
        ActiveModelTrait, Iterable, QueryTrait,
        sea_query::{CommonTableExpression, Query, SelectStatement, UnionType, WithClause},
    };
    let mut columns = Vec::new();
    let mut selects: Vec<SelectStatement> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut values = Vec::new();
        for c in call_authorization::Column::iter() {
            if let sea_orm::ActiveValue::Set(v) = row.get(c) {
                if i == 0 {
                    columns.push(c);
                }
                values.push(Expr::val(v));
            }
        }
        selects.push(Query::select().exprs(values).from("held").to_owned());
    }
    let mut selects = selects.into_iter();
    let mut rows_select = selects
        .next()
        .ok_or_else(|| DomainError::internal("a hold without a call"))?;
    for more in selects {
        rows_select.union(UnionType::All, more);
    }
    let mut update = hold_update(account, hold, calls, max_calls).into_query();
    update.returning_col(billing_account::Column::Id);
    let held = CommonTableExpression::new()
        .query(update)
        .table_name("held")
        .to_owned();
    let mut insert = Query::insert();
    insert
        .into_table(call_authorization::Entity)
        .columns(columns)
        .select_from(rows_select)
        .map_err(DomainError::internal)?;
    Ok(WithClause::new().cte(held).to_owned().query(insert))
}

/// [`place_holds`] as a transaction: `Ok(Ok(false))` when some hold could not be placed.
async fn hold_in_transaction(
    core: &Core,
    row: call_authorization::ActiveModel,
    levels: &[LevelRate],
    max_calls: Option<i32>,
) -> DomainResult<Result<bool, sea_orm::DbErr>> {
    let txn = core.db.begin().await?;
    if let Err(e) = call_authorization::Entity::insert(row)
        .exec_without_returning(&txn)
        .await
    {
        txn.rollback().await?;
        return Ok(Err(e));
    }
    let mut ordered: Vec<&LevelRate> = levels.iter().collect();
    ordered.sort_by_key(|l| l.account_id);
    let own = levels.first().map(|l| l.account_id);
    for l in ordered {
        let calls = i64::from(own == Some(l.account_id));
        let held = hold_update(l.account_id, l.hold, calls, max_calls);
        if held.exec(&txn).await?.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(Ok(false));
        }
    }
    txn.commit().await?;
    Ok(Ok(true))
}

fn charge_view(m: &call_authorization::Model) -> CallCharge {
    CallCharge {
        call_id: m.call_id.clone(),
        duration_seconds: m.duration_seconds,
        billed_seconds: m.billed_seconds,
        charge: format_amount(m.charge_micros.unwrap_or(0)),
        currency: m.currency.clone(),
        transaction_id: m.transaction_id,
    }
}

/// `POST /v1/switch/calls/{call_id}/end`: see the module documentation.
pub async fn end(
    core: &Core,
    node: &switch_node::Model,
    call_id: &str,
    input: EndCall,
) -> DomainResult<CallCharge> {
    let mut errors = Errors::default();
    visible(&mut errors, "hangup_cause", &input.hangup_cause, 64);
    if input.answered_at.is_some_and(|a| a > input.ended_at) {
        errors.push(crate::error::FieldError::new(
            "answered_at",
            "after_end",
            "must not be after ended_at",
        ));
    }
    errors.finish()?;
    let find = || {
        call_authorization::Entity::find()
            .filter(call_authorization::Column::CallId.eq(call_id))
            .filter(call_authorization::Column::NodeId.eq(node.id))
    };
    let call = find()
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("call"))?;
    if from_stored::<CallStatus>("call_authorizations.status", &call.status)? != CallStatus::Ended {
        let txn = core.db.begin().await?;
        if finish(&txn, &call, &input).await? {
            txn.commit().await?;
        } else {
            // Ended meanwhile by a concurrent request (or a CDR): its answer.
            txn.rollback().await?;
        }
    }
    let done = find()
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("call"))?;
    Ok(charge_view(&done))
}

/// Seconds from answer to hang-up, rounded up; 0 for a call never answered.
pub(crate) fn duration_of(answered: Option<DateTime<Utc>>, ended: DateTime<Utc>) -> u32 {
    answered.map_or(0, |a| {
        let ms = std::cmp::max((ended - a).num_milliseconds(), 0);
        u32::try_from((ms + 999) / 1000).unwrap_or(u32::MAX)
    })
}

/// Ends an authorized call inside `txn`: marks it ended (only one end wins: `false` when
/// it was ended already), releases its holds if they were still held, and charges every
/// level of the chain at the rates it was granted.
pub(crate) async fn finish<C: ConnectionTrait>(
    txn: &C,
    call: &call_authorization::Model,
    input: &EndCall,
) -> DomainResult<bool> {
    let levels: Vec<LevelRate> = serde_json::from_str(&call.levels).map_err(|e| {
        DomainError::internal(format!("call_authorizations.levels does not decode: {e}"))
    })?;
    let duration = duration_of(input.answered_at, input.ended_at);
    let (billed, charge) = match levels.first() {
        None => (0, 0),
        Some(l) => (
            l.tariff.billed_seconds(duration),
            l.tariff
                .cost(duration)
                .ok_or_else(|| DomainError::internal("a call's charge overflows"))?,
        ),
    };
    let as_i32 = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    // Whichever of active or expired the call is in, only one end moves it to ended.
    let mut released = None;
    for from in [CallStatus::Active, CallStatus::Expired] {
        let res = call_authorization::Entity::update_many()
            .col_expr(
                call_authorization::Column::Status,
                CallStatus::Ended.as_str().into(),
            )
            .col_expr(
                call_authorization::Column::AnsweredAt,
                input.answered_at.into(),
            )
            .col_expr(
                call_authorization::Column::EndedAt,
                Some(input.ended_at).into(),
            )
            .col_expr(
                call_authorization::Column::DurationSeconds,
                as_i32(u64::from(duration)).into(),
            )
            .col_expr(
                call_authorization::Column::BilledSeconds,
                as_i32(billed).into(),
            )
            .col_expr(
                call_authorization::Column::HangupCause,
                Some(input.hangup_cause.clone()).into(),
            )
            .col_expr(
                call_authorization::Column::ChargeMicros,
                Some(charge).into(),
            )
            .filter(call_authorization::Column::Id.eq(call.id))
            .filter(call_authorization::Column::Status.eq(from.as_str()))
            .exec(txn)
            .await?;
        if res.rows_affected == 1 {
            released = Some(from == CallStatus::Active);
            break;
        }
    }
    let Some(released) = released else {
        return Ok(false);
    };
    if released {
        release_all(txn, &levels).await?;
    }
    let description = format!(
        "Call {} to {} ({})",
        call.call_id,
        call.number.as_deref().unwrap_or_default(),
        call.destination_name.as_deref().unwrap_or_default()
    );
    let charged = charge_levels(txn, &call.call_id, &levels, duration, &description).await?;
    let transaction_id = charged.first().and_then(|c| c.transaction_id);
    call_authorization::Entity::update_many()
        .col_expr(
            call_authorization::Column::TransactionId,
            transaction_id.into(),
        )
        .filter(call_authorization::Column::Id.eq(call.id))
        .exec(txn)
        .await?;
    Ok(true)
}

/// Charges a call to every level of its chain, once: a level already charged for this call
/// (by its end, or by its CDR) keeps its charge. Answers each level's charge row.
pub(crate) async fn charge_levels<C: ConnectionTrait>(
    txn: &C,
    call_id: &str,
    levels: &[LevelRate],
    duration: u32,
    description: &str,
) -> DomainResult<Vec<call_charge::Model>> {
    let mut out = Vec::with_capacity(levels.len());
    let now = Utc::now();
    for (i, l) in levels.iter().enumerate() {
        let level = i32::try_from(i).unwrap_or(i32::MAX);
        let charge = l
            .tariff
            .cost(duration)
            .ok_or_else(|| DomainError::internal("a call's charge overflows"))?;
        let billed = i32::try_from(l.tariff.billed_seconds(duration)).unwrap_or(i32::MAX);
        let row = call_charge::Model {
            call_id: call_id.to_owned(),
            level,
            tenant_id: l.tenant_id,
            account_id: l.account_id,
            currency: l.currency.clone(),
            deck_version_id: Some(l.version_id),
            prefix: Some(l.prefix.clone()),
            per_minute_micros: l.tariff.per_minute,
            billed_seconds: billed,
            charge_micros: charge,
            transaction_id: None,
            created_at: now,
            updated_at: now,
        };
        let inserted = call_charge::Entity::insert(call_charge::ActiveModel::from(row.clone()))
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    call_charge::Column::CallId,
                    call_charge::Column::Level,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if inserted == 0 {
            // Charged already: keep that charge.
            if let Some(existing) = call_charge::Entity::find_by_id((call_id.to_owned(), level))
                .one(txn)
                .await?
            {
                out.push(existing);
            }
            continue;
        }
        let transaction_id = post_charge(txn, l.account_id, -charge, description).await?;
        if let Some(tx) = transaction_id {
            call_charge::Entity::update_many()
                .col_expr(call_charge::Column::TransactionId, Some(tx).into())
                .filter(call_charge::Column::CallId.eq(call_id))
                .filter(call_charge::Column::Level.eq(level))
                .exec(txn)
                .await?;
        }
        out.push(call_charge::Model {
            transaction_id,
            ..row
        });
    }
    Ok(out)
}

/// Posts a `call_charge` transaction of `delta` on an account against the platform's
/// `revenue`; nothing for a zero amount. Each level of a chain is billed by the platform;
/// the margins between levels are shown (CDRs, reports), not posted.
pub(crate) async fn post_charge<C: ConnectionTrait>(
    txn: &C,
    account_id: Uuid,
    delta: i64,
    description: &str,
) -> DomainResult<Option<Uuid>> {
    if delta == 0 {
        return Ok(None);
    }
    let account = billing_account::Entity::find_by_id(account_id)
        .one(txn)
        .await?
        .ok_or_else(|| DomainError::internal("billing account vanished"))?;
    let revenue = system_account(txn, "revenue", &account.currency).await?;
    let posted = post(
        txn,
        &account,
        Posting {
            kind: TransactionKind::CallCharge,
            delta,
            counter: (revenue, "revenue"),
            description: Some(description),
            actor: None,
            floor: None,
        },
    )
    .await?;
    Ok(Some(posted.id))
}

/// Releases a call's holds, and its place among the tenant's calls in progress.
async fn release_all<C: ConnectionTrait>(db: &C, levels: &[LevelRate]) -> DomainResult<()> {
    if let Some(own) = levels.first() {
        billing_account::Entity::update_many()
            .col_expr(
                billing_account::Column::ActiveCalls,
                Expr::col(billing_account::Column::ActiveCalls).sub(1),
            )
            .filter(billing_account::Column::Id.eq(own.account_id))
            .exec(db)
            .await?;
    }
    for l in levels.iter().filter(|l| l.hold > 0) {
        billing_account::Entity::update_many()
            .col_expr(
                billing_account::Column::HeldMicros,
                Expr::col(billing_account::Column::HeldMicros).sub(l.hold),
            )
            .filter(billing_account::Column::Id.eq(l.account_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// How often the hold sweep runs.
pub const SWEEP_EVERY: Duration = Duration::seconds(60);

/// Calls expired per transaction of the sweep.
const SWEEP_BATCH: u64 = 200;

/// Releases the holds of calls no switch ended within their granted duration plus the
/// grace period, posting nothing; runs every [`SWEEP_EVERY`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpireHolds {}

impl Job for ExpireHolds {
    const KIND: &'static str = "billing.expire_holds";

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let core = ctx.core;
        let mut expired = 0u64;
        loop {
            let due = call_authorization::Entity::find()
                .filter(call_authorization::Column::Status.eq(CallStatus::Active.as_str()))
                .filter(call_authorization::Column::ExpiresAt.lt(Utc::now()))
                .limit(SWEEP_BATCH)
                .all(&core.db)
                .await?;
            if due.is_empty() {
                break;
            }
            let txn = core.db.begin().await?;
            for call in &due {
                let res = call_authorization::Entity::update_many()
                    .col_expr(
                        call_authorization::Column::Status,
                        CallStatus::Expired.as_str().into(),
                    )
                    .filter(call_authorization::Column::Id.eq(call.id))
                    .filter(call_authorization::Column::Status.eq(CallStatus::Active.as_str()))
                    .exec(&txn)
                    .await?;
                if res.rows_affected == 1 {
                    let levels: Vec<LevelRate> =
                        serde_json::from_str(&call.levels).map_err(|e| {
                            DomainError::internal(format!(
                                "call_authorizations.levels does not decode: {e}"
                            ))
                        })?;
                    release_all(&txn, &levels).await?;
                    expired += 1;
                }
            }
            txn.commit().await?;
        }
        if expired > 0 {
            tracing::info!(calls = expired, "released the holds of calls never ended");
        }
        let _next = jobs::enqueue(&core.db, self, Some(Utc::now() + SWEEP_EVERY)).await?;
        Ok(())
    }
}

/// Queues a sweep now unless one is pending (each worker calls this at start).
pub async fn schedule(core: &Core) -> DomainResult<()> {
    if !jobs::pending_exists::<ExpireHolds, _>(&core.db).await? {
        jobs::enqueue(&core.db, &ExpireHolds {}, None)
            .await?
            .wake(core)
            .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(per_minute: i64, fee: i64, min: u32, first: u32, next: u32) -> Tariff {
        Tariff {
            per_minute,
            connection_fee: fee,
            minimum_seconds: min,
            first_increment: first,
            next_increment: next,
        }
    }

    #[test]
    fn the_grant_is_the_longest_call_the_credit_covers() {
        // 0.06 per minute (1,000 µ per second), 1/1: 10 minutes cost 0.6.
        let tariff = t(60_000, 0, 0, 1, 1);
        assert_eq!(grant(&tariff, 600_000, 14_400), Some((600, 600_000)));
        assert_eq!(grant(&tariff, 600_999, 14_400), Some((600, 600_000)));
        assert_eq!(grant(&tariff, 999, 14_400), None, "not one second");
        assert_eq!(
            grant(&tariff, 10_000_000, 3_600),
            Some((3_600, 3_600_000)),
            "capped"
        );
        // 30/6 with a fee: the grant ends on an increment.
        let tariff = t(60_000, 50_000, 0, 30, 6);
        let (secs, hold) = grant(&tariff, 100_000, 14_400).unwrap();
        assert_eq!((secs, hold), (48, 98_000));
        assert!(tariff.cost(secs + 1).unwrap() > 100_000);
        // A free destination is granted the cap, holding only its fee.
        assert_eq!(grant(&t(0, 0, 0, 60, 60), 0, 7_200), Some((7_200, 0)));
        assert_eq!(grant(&t(1, 0, 0, 1, 1), -5, 7_200), None, "below zero");
    }
}
