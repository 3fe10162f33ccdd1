//! Prices at call time: a tenant's sell rate for a number, and least-cost routing — the
//! trunks of the matching outbound route ordered by what each carrier charges for it.
//!
//! # Least-cost routing
//!
//! Each candidate trunk's **buy rate** is the rate its buy deck's active version has for the
//! number's longest matching prefix at the call's start. Then:
//!
//! 1. a disabled trunk, or a carrier trunk whose buy deck has no rate for the number (the
//!    carrier does not serve that destination), is left out;
//! 2. a trunk whose buy rate per minute exceeds the tenant's sell rate per minute is left
//!    out unless the platform allows negative margin (`allow_negative_margin`); rates in
//!    different currencies are not compared;
//! 3. priced trunks come first, cheapest first; trunks without a buy deck (a tenant's own
//!    trunks, carriers not priced yet) follow; ties keep the route's order (a stable sort).
//!
//! Connection fees are not part of the order: they are charged per call, the order is about
//! the price per minute.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::{billing_account, rate_deck, rate_deck_version, trunk},
    error::{DomainError, DomainResult},
    money::format_amount,
    rating::Tariff,
    scope::TenantScope,
    services::outbound_routes,
};

/// The rate a number is sold at.
#[derive(Debug, Clone)]
pub struct SellRate {
    pub account: billing_account::Model,
    pub deck: rate_deck::Model,
    pub version_id: Uuid,
    pub version_number: i32,
    pub prefix: String,
    pub destination: String,
    pub tariff: Tariff,
}

/// Why a number has no sell rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRate {
    /// The tenant has no billing account or no sell deck.
    NoSellDeck,
    /// Its deck has no active version, or no rate for the number now.
    NoRate,
}

impl NoRate {
    pub const fn reason(self) -> &'static str {
        match self {
            Self::NoSellDeck => "no_sell_deck",
            Self::NoRate => "no_rate",
        }
    }
}

/// The deck's active version: (id, number).
async fn active_version<C: ConnectionTrait>(
    db: &C,
    deck: &rate_deck::Model,
) -> DomainResult<Option<(Uuid, i32)>> {
    let Some(id) = deck.active_version_id else {
        return Ok(None);
    };
    Ok(rate_deck_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|v| (v.id, v.number)))
}

/// What a tenant's calls are sold at: its account, its sell deck and the deck's active
/// version. Read from the database; the rate of a number is then an index lookup
/// ([`SellDeck::rate`]), so call authorization can keep these between calls.
#[derive(Debug, Clone)]
pub struct SellDeck {
    /// The account as read: its ids, currency and settings. Balances move with every call,
    /// so whoever decides on money reads them again.
    pub account: billing_account::Model,
    pub deck: rate_deck::Model,
    /// The active version: (id, number); `None` while the deck has none.
    pub version: Option<(Uuid, i32)>,
}

impl SellDeck {
    /// The tenant's sell deck, or why it has none.
    pub async fn of<C: ConnectionTrait>(
        db: &C,
        tenant: Uuid,
    ) -> DomainResult<Result<Self, NoRate>> {
        let Some(account) = billing_account::Entity::find()
            .filter(billing_account::Column::TenantId.eq(tenant))
            .one(db)
            .await?
        else {
            return Ok(Err(NoRate::NoSellDeck));
        };
        let Some(deck_id) = account.sell_deck_id else {
            return Ok(Err(NoRate::NoSellDeck));
        };
        let Some(deck) = rate_deck::Entity::find_by_id(deck_id).one(db).await? else {
            return Ok(Err(NoRate::NoSellDeck));
        };
        let version = active_version(db, &deck).await?;
        Ok(Ok(Self {
            account,
            deck,
            version,
        }))
    }

    /// The rate of `number` at `at` in the active version (`db` only builds the version's
    /// index if no one has yet).
    pub async fn rate<C: ConnectionTrait>(
        &self,
        core: &Core,
        db: &C,
        number: &str,
        at: DateTime<Utc>,
    ) -> DomainResult<Result<SellRate, NoRate>> {
        let Some((version_id, version_number)) = self.version else {
            return Ok(Err(NoRate::NoRate));
        };
        let loaded = core.rate_book.index(db, version_id).await?;
        let Some(m) = loaded.index.lookup(number, at) else {
            return Ok(Err(NoRate::NoRate));
        };
        Ok(Ok(SellRate {
            prefix: m.prefix.as_str().to_owned(),
            destination: m.destination.to_owned(),
            tariff: m.tariff,
            account: self.account.clone(),
            deck: self.deck.clone(),
            version_id,
            version_number,
        }))
    }
}

/// The sell rate of `number` for `tenant` at `at`, with the account it was read from.
pub async fn sell_rate<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    tenant: Uuid,
    number: &str,
    at: DateTime<Utc>,
) -> DomainResult<Result<SellRate, NoRate>> {
    match SellDeck::of(db, tenant).await? {
        Ok(deck) => deck.rate(core, db, number, at).await,
        Err(no) => Ok(Err(no)),
    }
}

/// The tenant and the tenants above it, nearest first: `/root/partner/me/` → [me, partner,
/// root]. Each level of the reseller chain pays the level above for the call.
pub fn chain_of(path: &str) -> DomainResult<Vec<Uuid>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .rev()
        .map(|s| {
            s.parse()
                .map_err(|_| DomainError::internal(format!("tenants.path holds {path:?}")))
        })
        .collect()
}

/// One level of the reseller chain for a call: who pays, and at what rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelRate {
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub currency: String,
    pub version_id: Uuid,
    pub prefix: String,
    pub tariff: Tariff,
    /// Credit held on the account while the call lasts (authorization only).
    #[serde(default)]
    pub hold: i64,
}

/// The sell deck of every level of the chain of the tenant at `path` (the tenant first);
/// `Err((why, level))` names the first level without one.
pub async fn chain_decks<C: ConnectionTrait>(
    db: &C,
    path: &str,
) -> DomainResult<Result<Vec<SellDeck>, (NoRate, usize)>> {
    let mut out = Vec::new();
    for (level, tenant) in chain_of(path)?.into_iter().enumerate() {
        match SellDeck::of(db, tenant).await? {
            Ok(d) => out.push(d),
            Err(no) => return Ok(Err((no, level))),
        }
    }
    Ok(Ok(out))
}

/// The sell rate of `number` at every level of the chain of the tenant at `path` (the
/// tenant first); `Err((why, level))` names the first level without one.
pub async fn chain_rates<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    path: &str,
    number: &str,
    at: DateTime<Utc>,
) -> DomainResult<Result<Vec<(SellRate, LevelRate)>, (NoRate, usize)>> {
    match chain_decks(db, path).await? {
        Ok(decks) => rates_of_chain(core, db, &decks, number, at).await,
        Err(no) => Ok(Err(no)),
    }
}

/// [`chain_rates`] over decks already read ([`chain_decks`]).
pub async fn rates_of_chain<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    decks: &[SellDeck],
    number: &str,
    at: DateTime<Utc>,
) -> DomainResult<Result<Vec<(SellRate, LevelRate)>, (NoRate, usize)>> {
    let mut out = Vec::with_capacity(decks.len());
    for (level, d) in decks.iter().enumerate() {
        match d.rate(core, db, number, at).await? {
            Ok(s) => {
                let l = LevelRate {
                    tenant_id: d.account.tenant_id.ok_or_else(|| {
                        DomainError::internal("a tenant's billing account without its tenant")
                    })?,
                    account_id: s.account.id,
                    currency: s.deck.currency.clone(),
                    version_id: s.version_id,
                    prefix: s.prefix.clone(),
                    tariff: s.tariff,
                    hold: 0,
                };
                out.push((s, l));
            }
            Err(no) => return Ok(Err((no, level))),
        }
    }
    Ok(Ok(out))
}

/// What the carrier of `trunk` charges for `number` at `at` for `duration` seconds:
/// (currency, cost); `None` without a buy deck or a rate.
pub async fn buy_cost<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    trunk: Uuid,
    number: &str,
    at: DateTime<Utc>,
    duration: u32,
) -> DomainResult<Option<(String, i64)>> {
    let Some(deck_id) = trunk::Entity::find_by_id(trunk)
        .one(db)
        .await?
        .and_then(|t| t.buy_deck_id)
    else {
        return Ok(None);
    };
    let Some(deck) = rate_deck::Entity::find_by_id(deck_id).one(db).await? else {
        return Ok(None);
    };
    // The index is keyed by version id: no need to read the version row on the call path.
    let Some(version) = deck.active_version_id else {
        return Ok(None);
    };
    let loaded = core.rate_book.index(db, version).await?;
    Ok(loaded
        .index
        .lookup(number, at)
        .and_then(|m| m.tariff.cost(duration))
        .map(|c| (deck.currency.clone(), c)))
}

/// A trunk's place in the least-cost order, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LcrEntry {
    pub trunk_id: Uuid,
    pub name: String,
    /// The buy rate per minute for the number, when the trunk has a buy deck with one.
    pub buy_rate: Option<String>,
    pub buy_currency: Option<String>,
    /// The matched prefix of the buy deck.
    pub buy_prefix: Option<String>,
    /// Whether calls use it (in the order of this list).
    pub used: bool,
    /// `cheapest_first`, `unpriced`, `disabled`, `not_served` or `negative_margin`.
    pub reason: String,
}

/// Orders `trunks` (in the route's order) for `number`: see the module documentation.
/// Answers every trunk with its verdict, the used ones first in calling order.
pub async fn order_trunks<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    trunks: Vec<BuyTrunk>,
    number: &str,
    sell: Option<&SellRate>,
    at: DateTime<Utc>,
) -> DomainResult<Vec<(trunk::Model, LcrEntry)>> {
    let mut priced = Vec::new();
    let mut unpriced = Vec::new();
    let mut unused = Vec::new();
    for BuyTrunk { trunk: t, deck } in trunks {
        let mut entry = LcrEntry {
            trunk_id: t.id,
            name: t.name.clone(),
            buy_rate: None,
            buy_currency: None,
            buy_prefix: None,
            used: false,
            reason: String::new(),
        };
        if !t.enabled {
            entry.reason = "disabled".into();
            unused.push((t, entry));
            continue;
        }
        let Some(deck) = deck else {
            entry.used = true;
            entry.reason = "unpriced".into();
            unpriced.push((t, entry));
            continue;
        };
        let found = match deck.active_version_id {
            Some(version) => {
                let loaded = core.rate_book.index(db, version).await?;
                loaded
                    .index
                    .lookup(number, at)
                    .map(|m| (m.prefix.as_str().to_owned(), m.tariff.per_minute))
            }
            None => None,
        };
        let Some((prefix, per_minute)) = found else {
            entry.reason = "not_served".into();
            unused.push((t, entry));
            continue;
        };
        entry.buy_rate = Some(format_amount(per_minute));
        entry.buy_currency = Some(deck.currency.clone());
        entry.buy_prefix = Some(prefix);
        let loses = sell
            .is_some_and(|s| s.deck.currency == deck.currency && per_minute > s.tariff.per_minute);
        if loses && !core.config.allow_negative_margin {
            entry.reason = "negative_margin".into();
            unused.push((t, entry));
            continue;
        }
        entry.used = true;
        entry.reason = "cheapest_first".into();
        priced.push((per_minute, t, entry));
    }
    // Stable: equal rates keep the route's order.
    priced.sort_by_key(|(rate, _, _)| *rate);
    Ok(priced
        .into_iter()
        .map(|(_, t, e)| (t, e))
        .chain(unpriced)
        .chain(unused)
        .collect())
}

/// A trunk a route may use, with the deck its carrier sells at (when it has one).
#[derive(Debug, Clone)]
pub struct BuyTrunk {
    pub trunk: trunk::Model,
    pub deck: Option<rate_deck::Model>,
}

/// The trunks a tenant's route may use, in the route's order (its own and carriers'), with
/// their buy decks.
pub(crate) async fn route_trunks<C: ConnectionTrait>(
    db: &C,
    tenant: Uuid,
    ids: &[Uuid],
) -> DomainResult<Vec<BuyTrunk>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(trunk) = trunk::Entity::find_by_id(*id)
            .one(db)
            .await?
            .filter(|t| t.tenant_id.is_none_or(|owner| owner == tenant))
        else {
            continue;
        };
        let deck = match trunk.buy_deck_id {
            Some(id) => rate_deck::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        out.push(BuyTrunk { trunk, deck });
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// The dialled number (digits, an optional leading `+`).
    #[param(min_length = 1, max_length = 64)]
    pub number: String,
}

/// How a number is rated for a tenant, step by step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateExplanation {
    pub number: String,
    pub deck_id: Uuid,
    pub deck_name: String,
    /// The deck version that matched (the active one).
    pub version: i32,
    /// The longest prefix of the number with a rate in effect now.
    pub prefix: String,
    pub destination: String,
    pub currency: String,
    /// Per minute.
    pub rate: String,
    pub connection_fee: String,
    pub minimum_seconds: u32,
    pub first_increment: u32,
    pub next_increment: u32,
    /// What a 60-second call costs.
    pub cost_60s: String,
    /// The arithmetic of `cost_60s`.
    pub formula: String,
    /// The outbound route the number takes, if one matches.
    pub route_name: Option<String>,
    /// The route's trunks in least-cost order, with each one's verdict.
    pub lcr: Vec<LcrEntry>,
}

/// `GET /v1/tenants/{t}/rates/explain?number=`.
pub async fn explain(
    scope: &TenantScope,
    core: &Core,
    query: &ExplainQuery,
) -> DomainResult<RateExplanation> {
    scope.authorize(Permission::BillingRead)?;
    let number = query.number.trim();
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::field(
            "number",
            "invalid_number",
            "must be digits, with an optional leading +",
        ));
    }
    let now = Utc::now();
    let tenant = scope.tenant().id;
    let sell = match sell_rate(core, &core.db, tenant, digits, now).await? {
        Ok(s) => s,
        Err(NoRate::NoSellDeck) => {
            return Err(DomainError::conflict(
                "The tenant has no sell deck: its parent assigns one on its billing account",
            ));
        }
        Err(NoRate::NoRate) => {
            return Err(DomainError::not_found("rate for this number"));
        }
    };
    let (choice, _) = outbound_routes::choose_for_switch(scope, &core.db, digits, "").await?;
    let (route_name, lcr) = match choice {
        Some(c) => {
            let trunks = route_trunks(&core.db, tenant, &c.trunk_ids).await?;
            let rated = c.number.as_deref().unwrap_or(digits);
            let ordered = order_trunks(core, &core.db, trunks, rated, Some(&sell), now).await?;
            (c.route_name, ordered.into_iter().map(|(_, e)| e).collect())
        }
        None => (None, Vec::new()),
    };
    let t = sell.tariff;
    let cost = t
        .cost(60)
        .ok_or_else(|| DomainError::internal("a stored rate overflows"))?;
    let billed = t.billed_seconds(60);
    Ok(RateExplanation {
        number: digits.to_owned(),
        deck_id: sell.deck.id,
        deck_name: sell.deck.name.clone(),
        version: sell.version_number,
        prefix: sell.prefix.clone(),
        destination: sell.destination.clone(),
        currency: sell.deck.currency.clone(),
        rate: format_amount(t.per_minute),
        connection_fee: format_amount(t.connection_fee),
        minimum_seconds: t.minimum_seconds,
        first_increment: t.first_increment,
        next_increment: t.next_increment,
        cost_60s: format_amount(cost),
        formula: format!(
            "billed = max({min} s, {first} s first increment, 60 s rounded up to {first}/{next}) = {billed} s; \
             cost = {fee} + {billed} × {rate} / 60 = {total} (rounded half up to 0.000001, once)",
            min = t.minimum_seconds,
            first = t.first_increment,
            next = t.next_increment,
            fee = format_amount(t.connection_fee),
            rate = format_amount(t.per_minute),
            total = format_amount(cost),
        ),
        route_name,
        lcr,
    })
}
