//! Rate decks: what calls cost, per destination prefix. The platform's decks
//! (`/v1/rate-decks`: sell decks for its direct customers, buy decks for its carrier trunks)
//! and partners' own (`/v1/tenants/{t}/rate-decks`, to sell to their customers) share one
//! table, told apart by `tenant_id` (NULL for the platform's), the way trunks are.
//!
//! A deck has a currency and numbered **versions**. A version is made by an import
//! ([`imports`]) and never changes once `ready`; the deck's active version is the one that
//! rates calls. Activating a version (a newer one, or rolling back to an older one) is one
//! guarded update of the deck row, so every reader sees either the old or the new version,
//! never a mix: rating reads the deck's active version id with the rest of a call's data and
//! asks the process's [`book::RateBook`] for that version's index.
//!
//! Who sells at what: a tenant's **sell deck** is on its billing account, set by the level
//! above (a deck owned by the tenant's parent, or a platform deck for a tenant with no
//! parent); a carrier trunk's **buy deck** is a platform deck, on the trunk.

pub mod book;
pub mod imports;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    core::Core,
    entities::{billing_account, rate, rate_deck, rate_deck_version, tenant, trunk},
    error::{DomainError, DomainResult, FieldError},
    money::parse_currency,
    pagination::PageRequest,
    rating::{Rate, Tariff},
    scope::TenantScope,
    services::{audit, check_version, from_stored},
    validate::{Errors, display_text},
};

/// Whose decks an operation is about.
pub enum DeckOwner<'a> {
    /// The platform's decks (`/v1/rate-decks`).
    Platform(&'a Actor),
    /// A tenant's own decks (`/v1/tenants/{t}/rate-decks`).
    Tenant(&'a TenantScope),
}

impl DeckOwner<'_> {
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            DeckOwner::Platform(_) => None,
            DeckOwner::Tenant(s) => Some(s.tenant().id),
        }
    }

    fn actor(&self) -> &Actor {
        match self {
            DeckOwner::Platform(a) => a,
            DeckOwner::Tenant(s) => s.actor(),
        }
    }

    /// May the caller read (or, `write`, change) this owner's decks?
    pub fn authorize(&self, write: bool) -> DomainResult<()> {
        match self {
            DeckOwner::Tenant(s) => s.authorize(if write {
                Permission::RateDeckWrite
            } else {
                Permission::RateDeckRead
            }),
            DeckOwner::Platform(a) => {
                let perm = if write {
                    PlatformPermission::ManageRateDecks
                } else {
                    PlatformPermission::ReadRateDecks
                };
                match grant_platform(a.principal.role, perm) {
                    Grant::Allow => Ok(()),
                    Grant::AllowWithReason | Grant::Deny => Err(DomainError::forbidden(if write {
                        "Only platform admins manage the platform's rate decks"
                    } else {
                        "Only platform staff see the platform's rate decks"
                    })),
                }
            }
        }
    }

    /// The owner's decks and nothing else.
    fn select(&self) -> Select<rate_deck::Entity> {
        let q = rate_deck::Entity::find();
        match self.tenant_id() {
            None => q.filter(rate_deck::Column::TenantId.is_null()),
            Some(t) => q.filter(rate_deck::Column::TenantId.eq(t)),
        }
    }

    /// One of the owner's decks, or 404 (another owner's deck is not there).
    pub(crate) async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        id: Uuid,
    ) -> DomainResult<rate_deck::Model> {
        self.select()
            .filter(rate_deck::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("rate deck"))
    }
}

/// A tenant's deck changes go to its log; the platform's to the platform's.
impl audit::Author for DeckOwner<'_> {
    fn actor(&self) -> &Actor {
        DeckOwner::actor(self)
    }

    fn audit_tenant(&self) -> Option<Uuid> {
        self.tenant_id()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateDeckView {
    pub id: Uuid,
    /// The owning partner; `null` for a platform deck.
    pub tenant_id: Option<Uuid>,
    pub name: String,
    /// ISO 4217: every rate of the deck is in it.
    pub currency: String,
    pub description: Option<String>,
    /// The number of the version that rates calls; `null` until one is activated.
    pub active_version: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateDeckPage {
    pub items: Vec<RateDeckView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRateDeck {
    /// 1-200 characters, unique among the owner's decks.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// ISO 4217.
    #[schema(min_length = 3, max_length = 3)]
    pub currency: String,
    /// 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub description: Option<String>,
}

/// JSON merge patch of a deck (its currency is fixed: rates are written in it).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRateDeck {
    /// 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// 1-200 characters; `null` removes it.
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(min_length = 1, max_length = 200, value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RateDeckListQuery {
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Its import is writing it; nothing rates with it.
    Importing,
    /// Complete and unchangeable; may be activated.
    Ready,
}

impl VersionStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Importing => "importing",
            Self::Ready => "ready",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeckVersionView {
    pub number: i32,
    pub status: VersionStatus,
    /// Whether this is the deck's active version.
    pub active: bool,
    pub rate_count: i64,
    /// The import that made it.
    pub import_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    /// When it was last activated.
    pub activated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeckVersionList {
    /// Newest first.
    pub items: Vec<DeckVersionView>,
}

impl DeckVersionView {
    fn new(m: &rate_deck_version::Model, deck: &rate_deck::Model) -> DomainResult<Self> {
        Ok(Self {
            number: m.number,
            status: from_stored("rate_deck_versions.status", &m.status)?,
            active: deck.active_version_id == Some(m.id),
            rate_count: m.rate_count,
            import_id: m.import_id,
            created_at: m.created_at,
            ready_at: m.ready_at,
            activated_at: m.activated_at,
        })
    }
}

/// The number of `deck`'s active version.
async fn active_number<C: ConnectionTrait>(
    db: &C,
    deck: &rate_deck::Model,
) -> DomainResult<Option<i32>> {
    let Some(v) = deck.active_version_id else {
        return Ok(None);
    };
    Ok(rate_deck_version::Entity::find_by_id(v)
        .select_only()
        .column(rate_deck_version::Column::Number)
        .into_tuple()
        .one(db)
        .await?)
}

async fn view<C: ConnectionTrait>(db: &C, m: &rate_deck::Model) -> DomainResult<RateDeckView> {
    Ok(RateDeckView {
        id: m.id,
        tenant_id: m.tenant_id,
        name: m.name.clone(),
        currency: m.currency.clone(),
        description: m.description.clone(),
        active_version: active_number(db, m).await?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

async fn ensure_name_free<C: ConnectionTrait>(
    owner: &DeckOwner<'_>,
    db: &C,
    name: &str,
    except: Option<Uuid>,
) -> DomainResult<()> {
    let mut q = owner.select().filter(rate_deck::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(rate_deck::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(DomainError::conflict(format!(
            "A rate deck named \"{name}\" already exists"
        )));
    }
    Ok(())
}

pub async fn list(
    owner: DeckOwner<'_>,
    core: &Core,
    query: &RateDeckListQuery,
) -> DomainResult<RateDeckPage> {
    owner.authorize(false)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = page
        .fetch(&core.db, owner.select(), rate_deck::Column::Id, |m| m.id)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for m in &rows {
        items.push(view(&core.db, m).await?);
    }
    Ok(RateDeckPage { items, next_cursor })
}

pub async fn create(
    owner: DeckOwner<'_>,
    core: &Core,
    input: CreateRateDeck,
) -> DomainResult<RateDeckView> {
    owner.authorize(true)?;
    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    let currency = errors.check(parse_currency("currency", &input.currency));
    let description = input
        .description
        .as_deref()
        .and_then(|d| errors.check(display_text("description", d)));
    errors.finish()?;
    let (Some(name), Some(currency)) = (name, currency) else {
        return Err(DomainError::internal("validated deck fields missing"));
    };
    let txn = core.begin().await?;
    ensure_name_free(&owner, &txn, &name, None).await?;
    // Microseconds, as both databases store it: the answer equals what a read returns.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let model = rate_deck::Model {
        id: Uuid::now_v7(),
        tenant_id: owner.tenant_id(),
        name,
        currency,
        description,
        active_version_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    rate_deck::Entity::insert(rate_deck::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    let v = view(&txn, &model).await?;
    audit::record_change(
        &txn,
        &owner,
        "rate_deck.create",
        "rate_deck",
        model.id,
        None,
        Some(&v),
    )
    .await?;
    txn.commit().await?;
    Ok(v)
}

pub async fn get(owner: DeckOwner<'_>, core: &Core, id: Uuid) -> DomainResult<RateDeckView> {
    owner.authorize(false)?;
    view(&core.db, &owner.find(&core.db, id).await?).await
}

pub async fn update(
    owner: DeckOwner<'_>,
    core: &Core,
    id: Uuid,
    input: UpdateRateDeck,
    if_match: Option<i64>,
) -> DomainResult<RateDeckView> {
    owner.authorize(true)?;
    let mut errors = Errors::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    let description = match &input.description {
        None => None,
        Some(None) => Some(None),
        Some(Some(d)) => errors.check(display_text("description", d)).map(Some),
    };
    errors.finish()?;
    let txn = core.begin().await?;
    let current = owner.find(&txn, id).await?;
    check_version(current.version, if_match)?;
    if let Some(n) = &name {
        ensure_name_free(&owner, &txn, n, Some(id)).await?;
    }
    let before = view(&txn, &current).await?;
    let updated = rate_deck::Model {
        name: name.unwrap_or_else(|| current.name.clone()),
        description: description.unwrap_or_else(|| current.description.clone()),
        updated_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        version: current.version + 1,
        ..current.clone()
    };
    save(&txn, &current, &updated).await?;
    let after = view(&txn, &updated).await?;
    audit::record_change(
        &txn,
        &owner,
        "rate_deck.update",
        "rate_deck",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Writes `updated` over `current`, guarded by the version read (409 `stale` otherwise).
async fn save<C: ConnectionTrait>(
    db: &C,
    current: &rate_deck::Model,
    updated: &rate_deck::Model,
) -> DomainResult<()> {
    let res = rate_deck::Entity::update_many()
        .set(rate_deck::ActiveModel::from(updated.clone()).reset_all())
        .filter(rate_deck::Column::Id.eq(current.id))
        .filter(rate_deck::Column::Version.eq(current.version))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::stale());
    }
    Ok(())
}

/// Deletes a deck and its versions; 409 while a billing account sells at it or a trunk
/// buys at it.
pub async fn delete(
    owner: DeckOwner<'_>,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    owner.authorize(true)?;
    let txn = core.begin().await?;
    let current = owner.find(&txn, id).await?;
    check_version(current.version, if_match)?;
    let mut users = Vec::new();
    let sellers: Vec<Option<Uuid>> = billing_account::Entity::find()
        .select_only()
        .column(billing_account::Column::TenantId)
        .filter(billing_account::Column::SellDeckId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    for t in sellers.into_iter().flatten() {
        users.push(FieldError::new(
            format!("tenants[{t}]"),
            "in_use",
            "the tenant's calls are sold at this deck",
        ));
    }
    let buyers: Vec<Uuid> = trunk::Entity::find()
        .select_only()
        .column(trunk::Column::Id)
        .filter(trunk::Column::BuyDeckId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    for t in buyers {
        users.push(FieldError::new(
            format!("trunks[{t}]"),
            "in_use",
            "the trunk's calls are bought at this deck",
        ));
    }
    if !users.is_empty() {
        let mut err = DomainError::conflict("The rate deck is in use");
        err.errors = users;
        return Err(err);
    }
    let before = view(&txn, &current).await?;
    // Versions, their rates and the deck's imports go with it (ON DELETE CASCADE).
    rate_deck::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record_change(
        &txn,
        &owner,
        "rate_deck.delete",
        "rate_deck",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Most versions listed (newest first).
const MAX_VERSIONS_LISTED: u64 = 200;

pub async fn versions(
    owner: DeckOwner<'_>,
    core: &Core,
    deck_id: Uuid,
) -> DomainResult<DeckVersionList> {
    owner.authorize(false)?;
    let deck = owner.find(&core.db, deck_id).await?;
    let rows = rate_deck_version::Entity::find()
        .filter(rate_deck_version::Column::DeckId.eq(deck_id))
        .order_by_desc(rate_deck_version::Column::Number)
        .limit(MAX_VERSIONS_LISTED)
        .all(&core.db)
        .await?;
    Ok(DeckVersionList {
        items: rows
            .iter()
            .map(|v| DeckVersionView::new(v, &deck))
            .collect::<DomainResult<_>>()?,
    })
}

async fn find_version<C: ConnectionTrait>(
    db: &C,
    deck_id: Uuid,
    number: i32,
) -> DomainResult<rate_deck_version::Model> {
    rate_deck_version::Entity::find()
        .filter(rate_deck_version::Column::DeckId.eq(deck_id))
        .filter(rate_deck_version::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("rate deck version"))
}

/// Makes version `number` the deck's active one: a newer version going live, or a rollback
/// to an older one. One guarded update of the deck row; calls rated from then on use it.
pub async fn activate(
    owner: DeckOwner<'_>,
    core: &Core,
    deck_id: Uuid,
    number: i32,
    if_match: Option<i64>,
) -> DomainResult<RateDeckView> {
    owner.authorize(true)?;
    let txn = core.begin().await?;
    let current = owner.find(&txn, deck_id).await?;
    check_version(current.version, if_match)?;
    let version = find_version(&txn, deck_id, number).await?;
    if from_stored::<VersionStatus>("rate_deck_versions.status", &version.status)?
        != VersionStatus::Ready
    {
        return Err(DomainError::conflict(
            "That version is still being imported; activate it once it is ready",
        ));
    }
    let before = view(&txn, &current).await?;
    let now = Utc::now();
    let updated = switch_to(&txn, &current, &version, now).await?;
    let after = view(&txn, &updated).await?;
    audit::record_change(
        &txn,
        &owner,
        "rate_deck.activate",
        "rate_deck",
        deck_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Points `deck` at `version` (guarded by the deck's version) and stamps the version.
pub(crate) async fn switch_to<C: ConnectionTrait>(
    db: &C,
    deck: &rate_deck::Model,
    version: &rate_deck_version::Model,
    now: DateTime<Utc>,
) -> DomainResult<rate_deck::Model> {
    let updated = rate_deck::Model {
        active_version_id: Some(version.id),
        updated_at: now,
        version: deck.version + 1,
        ..deck.clone()
    };
    save(db, deck, &updated).await?;
    rate_deck_version::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(version.id),
        activated_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(updated)
}

/// Rates read per query by the export and the rate book.
pub(crate) const READ_PAGE: u64 = 10_000;

/// One page of a version's rates, in line order, after `after_line`.
pub(crate) async fn rates_page<C: ConnectionTrait>(
    db: &C,
    version_id: Uuid,
    after_line: i32,
) -> DomainResult<Vec<rate::Model>> {
    Ok(rate::Entity::find()
        .filter(rate::Column::VersionId.eq(version_id))
        .filter(rate::Column::Line.gt(after_line))
        .order_by_asc(rate::Column::Line)
        .limit(READ_PAGE)
        .all(db)
        .await?)
}

/// A stored rate as the rating engine takes it; a stored value out of range is a logged
/// internal error.
pub(crate) fn to_rate(m: rate::Model) -> DomainResult<Rate> {
    let secs = |column: &str, v: i32| {
        u32::try_from(v).map_err(|_| DomainError::internal(format!("rates.{column} holds {v}")))
    };
    Ok(Rate {
        tariff: Tariff {
            per_minute: m.per_minute_micros,
            connection_fee: m.connection_fee_micros,
            minimum_seconds: secs("minimum_seconds", m.minimum_seconds)?,
            first_increment: secs("first_increment", m.first_increment)?,
            next_increment: secs("next_increment", m.next_increment)?,
        },
        prefix: m.prefix,
        destination: m.destination,
        effective_from: m.effective_from,
        effective_until: m.effective_until,
    })
}

/// What an export streams: the CSV of one version, a page of rates at a time (no version is
/// ever whole in memory), with the header first.
pub struct Export {
    pub filename: String,
    pub body: crate::csv_cells::CsvStream,
}

/// `GET …/rate-decks/{deck_id}/versions/{version}/export`: the version's rates as the
/// import's CSV, streamed.
pub async fn export(
    owner: DeckOwner<'_>,
    core: &Core,
    deck_id: Uuid,
    number: i32,
) -> DomainResult<Export> {
    owner.authorize(false)?;
    let deck = owner.find(&core.db, deck_id).await?;
    let version = find_version(&core.db, deck_id, number).await?;
    if from_stored::<VersionStatus>("rate_deck_versions.status", &version.status)?
        != VersionStatus::Ready
    {
        return Err(DomainError::conflict(
            "That version is still being imported; export it once it is ready",
        ));
    }
    let db = core.db.clone();
    let header = Bytes::from(format!("{}\n", crate::rate_csv::COLUMNS.join(",")));
    // State: the last line sent; `None` once the last page went out.
    let pages = futures_util::stream::try_unfold(Some(0), move |after| {
        let db = db.clone();
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let rows = rates_page(&db, version.id, after).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let last = rows.last().map_or(after, |r| r.line);
            let more = rows.len() as u64 == READ_PAGE;
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(rows.len() * 64));
            for m in rows {
                w.write_record(crate::rate_csv::cells(&to_rate(m)?))
                    .map_err(DomainError::internal)?;
            }
            let bytes = w.into_inner().map_err(DomainError::internal)?;
            Ok(Some((Bytes::from(bytes), more.then_some(last))))
        }
    });
    let body = futures_util::StreamExt::boxed(futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(header) }),
        pages,
    ));
    Ok(Export {
        filename: format!("rate-deck-{}-v{number}.csv", deck.id),
        body,
    })
}

/// The deck `deck_id` if `tenant`'s parent may sell to it at that deck: a deck of the
/// parent (or, for a tenant with no parent, a platform deck) in the account's currency.
pub(crate) async fn sellable_to<C: ConnectionTrait>(
    db: &C,
    tenant: &tenant::Model,
    currency: &str,
    deck_id: Uuid,
) -> DomainResult<Result<rate_deck::Model, FieldError>> {
    let deck = rate_deck::Entity::find_by_id(deck_id)
        .one(db)
        .await?
        .filter(|d| d.tenant_id == tenant.parent_id);
    let Some(deck) = deck else {
        return Ok(Err(FieldError::new(
            "sell_deck_id",
            "unknown_deck",
            "no such rate deck of the tenant's parent (or, for a tenant with no parent, of the platform)",
        )));
    };
    if deck.currency != currency {
        return Ok(Err(FieldError::new(
            "sell_deck_id",
            "currency_mismatch",
            format!(
                "the deck is in {}, the account in {currency}",
                deck.currency
            ),
        )));
    }
    Ok(Ok(deck))
}

/// A platform deck a carrier trunk may buy at.
pub(crate) async fn buyable<C: ConnectionTrait>(
    db: &C,
    deck_id: Uuid,
) -> DomainResult<Option<rate_deck::Model>> {
    Ok(rate_deck::Entity::find_by_id(deck_id)
        .filter(rate_deck::Column::TenantId.is_null())
        .one(db)
        .await?)
}
