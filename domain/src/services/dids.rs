//! DIDs: the platform's inventory of inbound numbers (`/v1/dids`), which tenants claim,
//! point at a destination and release (`/v1/tenants/{t}/dids`).
//!
//! - Platform admins manage the inventory; support staff read it; partner admins read the
//!   numbers held by tenants of their subtree (without the carrier trunk, a platform detail);
//!   everyone else is refused (403).
//! - A tenant claims an `available` number (409 for a reserved or assigned one), with
//!   `Idempotency-Key` making retries safe. The claim and the release each write a row of
//!   `did_assignments`, the history the billing issue charges setup and monthly fees from.
//! - Fees are exact: decimal strings in JSON, micro-units in the database ([`crate::money`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    core::Core,
    entities::{did, did_assignment, tenant},
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    money::{format_amount, parse_amount, parse_currency},
    numbering::{E164, NumberType},
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, check_version,
        destinations::{self, Destination},
        from_json_opt, from_stored,
        idempotency::IdempotencyKey,
        trunks, versioned,
    },
    validate::Errors,
    validate::double_option,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DidStatus {
    /// In inventory, free for any tenant to claim.
    Available,
    /// Held back by the platform: not claimable.
    Reserved,
    /// Held by a tenant.
    Assigned,
}

impl DidStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Reserved => "reserved",
            Self::Assigned => "assigned",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DidView {
    pub id: Uuid,
    /// E.164.
    pub number: String,
    /// ISO 3166-1 region of the number, when its numbering plan names one.
    pub country: Option<String>,
    pub number_type: NumberType,
    /// The platform carrier trunk the number arrives on (shown to platform staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_trunk_id: Option<Uuid>,
    /// One-off fee charged when a tenant claims the number, as a decimal string.
    pub setup_fee: String,
    /// Monthly fee while a tenant holds the number, as a decimal string.
    pub monthly_fee: String,
    /// ISO 4217 code of both fees.
    pub currency: String,
    pub status: DidStatus,
    /// The tenant holding the number (status `assigned`).
    pub tenant_id: Option<Uuid>,
    /// Where inbound calls to the number go; set by the holding tenant.
    pub destination: Option<Destination>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// When the number was last released by a tenant.
    pub released_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl DidView {
    /// The view of a stored row; a row whose status, number type or destination does not
    /// parse is a logged internal error (an unreadable status must never read as
    /// `available`, which would make the number claimable).
    fn new(m: &did::Model, show_carrier: bool) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            number: m.number.clone(),
            country: m.country.clone(),
            number_type: NumberType::from_name(&m.number_type).ok_or_else(|| {
                DomainError::internal(format_args!("dids.number_type holds {:?}", m.number_type))
            })?,
            carrier_trunk_id: show_carrier.then_some(m.carrier_trunk_id),
            setup_fee: format_amount(m.setup_fee_micros),
            monthly_fee: format_amount(m.monthly_fee_micros),
            currency: m.currency.clone(),
            status: from_stored("dids.status", &m.status)?,
            tenant_id: m.tenant_id,
            destination: from_json_opt(m.destination.as_ref())?,
            assigned_at: m.assigned_at,
            released_at: m.released_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(DidPage, DidView);

/// A number to add to the inventory.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDid {
    /// E.164, e.g. `+34 911 234 567`; unique in the inventory.
    pub number: String,
    /// A platform carrier trunk.
    pub carrier_trunk_id: Uuid,
    /// Non-negative decimal string, at most 6 decimal places (default "0").
    pub setup_fee: Option<String>,
    /// Non-negative decimal string, at most 6 decimal places (default "0").
    pub monthly_fee: Option<String>,
    /// ISO 4217 code of both fees.
    pub currency: String,
    /// `available` (default) or `reserved`.
    pub status: Option<DidStatus>,
}

/// JSON merge patch of an inventory number. `status` moves a number not held by a tenant
/// between `available` and `reserved`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDid {
    pub carrier_trunk_id: Option<Uuid>,
    pub setup_fee: Option<String>,
    pub monthly_fee: Option<String>,
    pub currency: Option<String>,
    pub status: Option<DidStatus>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DidListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub status: Option<DidStatus>,
    pub tenant_id: Option<Uuid>,
    /// ISO 3166-1 region, e.g. `ES`.
    pub country: Option<String>,
    /// Exact E.164 number.
    pub number: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantDidListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact E.164 number.
    pub number: Option<String>,
}

/// Which inventory number to claim: exactly one of `did_id` and `number`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDid {
    pub did_id: Option<Uuid>,
    /// E.164.
    pub number: Option<String>,
}

/// JSON merge patch of a tenant's DID: `destination: null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantDid {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Destination>)]
    pub destination: Option<Option<Destination>>,
}

/// What a platform-level caller may do with the inventory.
enum Access {
    /// Everything (platform admins).
    Manage,
    /// Read everything (support).
    ReadAll,
    /// Read the numbers held by tenants under this path (partner admins).
    Subtree(String),
}

fn access(actor: &Actor, write: bool) -> DomainResult<Access> {
    let role = actor.principal.role;
    if grant_platform(role, PlatformPermission::ManageCarriers) == Grant::Allow {
        return Ok(Access::Manage);
    }
    if !write && grant_platform(role, PlatformPermission::ReadCarriers) == Grant::Allow {
        return Ok(Access::ReadAll);
    }
    if !write
        && grant_platform(role, PlatformPermission::ReadHeldDids) == Grant::Allow
        && let Some(path) = &actor.principal.tenant_path
    {
        return Ok(Access::Subtree(path.clone()));
    }
    Err(DomainError::forbidden(if write {
        "Only platform admins manage the DID inventory"
    } else {
        "Only platform staff and partners see the DID inventory"
    }))
}

/// Checks the inventory write permission before the body is parsed.
pub fn authorize_platform_write(actor: &Actor) -> DomainResult<()> {
    access(actor, true).map(|_| ())
}

/// The inventory as `access` may see it.
async fn visible<C: ConnectionTrait>(db: &C, access: &Access) -> DomainResult<Select<did::Entity>> {
    let select = did::Entity::find();
    Ok(match access {
        Access::Manage | Access::ReadAll => select,
        Access::Subtree(path) => {
            let ids: Vec<Uuid> = tenant::Entity::find()
                .filter(tenant::Column::Path.starts_with(path.as_str()))
                .all(db)
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect();
            select.filter(did::Column::TenantId.is_in(ids))
        }
    })
}

fn show_carrier(access: &Access) -> bool {
    matches!(access, Access::Manage | Access::ReadAll)
}

fn fee(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<i64> {
    raw.and_then(|v| errors.check(parse_amount(field, v)))
}

async fn check_carrier<C: ConnectionTrait>(
    db: &C,
    errors: &mut Errors,
    id: Uuid,
) -> DomainResult<()> {
    if trunks::carrier(db, id).await?.is_none() {
        errors.push(FieldError::new(
            "carrier_trunk_id",
            "unknown_trunk",
            "no platform carrier trunk with this id",
        ));
    }
    Ok(())
}

fn check_settable_status(errors: &mut Errors, status: Option<DidStatus>) {
    if status == Some(DidStatus::Assigned) {
        errors.push(FieldError::new(
            "status",
            "invalid_status",
            "a number becomes assigned when a tenant claims it; set available or reserved",
        ));
    }
}

// The platform inventory.

pub async fn platform_list(
    core: &Core,
    actor: &Actor,
    query: &DidListQuery,
) -> DomainResult<DidPage> {
    let access = access(actor, false)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = visible(&core.db, &access).await?;
    if let Some(s) = query.status {
        select = select.filter(did::Column::Status.eq(s.as_str()));
    }
    if let Some(t) = query.tenant_id {
        select = select.filter(did::Column::TenantId.eq(t));
    }
    if let Some(c) = &query.country {
        select = select.filter(did::Column::Country.eq(c.to_ascii_uppercase()));
    }
    if let Some(n) = &query.number {
        // An unparseable number matches nothing rather than failing the whole list.
        let n = E164::parse("number", n).map_or_else(|_| n.clone(), E164::into_inner);
        select = select.filter(did::Column::Number.eq(n));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, did::Column::Id, |m| m.id)
        .await?;
    let show = show_carrier(&access);
    Ok(DidPage {
        items: rows
            .iter()
            .map(|m| DidView::new(m, show))
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn platform_create(
    core: &Core,
    actor: &Actor,
    input: CreateDid,
) -> DomainResult<DidView> {
    access(actor, true)?;
    let txn = core.begin().await?;
    let mut errors = Errors::default();
    let number = errors.check(E164::parse("number", &input.number));
    check_carrier(&txn, &mut errors, input.carrier_trunk_id).await?;
    let setup = fee(
        &mut errors,
        "setup_fee",
        Some(input.setup_fee.as_deref().unwrap_or("0")),
    );
    let monthly = fee(
        &mut errors,
        "monthly_fee",
        Some(input.monthly_fee.as_deref().unwrap_or("0")),
    );
    let currency = errors.check(parse_currency("currency", &input.currency));
    check_settable_status(&mut errors, input.status);
    errors.finish()?;
    let (Some(number), Some(setup), Some(monthly), Some(currency)) =
        (number, setup, monthly, currency)
    else {
        return Err(DomainError::internal("validated DID fields missing"));
    };
    let taken = did::Entity::find()
        .filter(did::Column::Number.eq(number.as_str()))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(DomainError::taken("number", "is already in the inventory"));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let model = did::ActiveModel {
        id: Set(id),
        number: Set(number.as_str().to_owned()),
        country: Set(number.country().map(str::to_owned)),
        number_type: Set(number.number_type().as_str().to_owned()),
        carrier_trunk_id: Set(input.carrier_trunk_id),
        setup_fee_micros: Set(setup),
        monthly_fee_micros: Set(monthly),
        currency: Set(currency),
        status: Set(input.status.unwrap_or(DidStatus::Available).as_str().into()),
        tenant_id: Set(None),
        destination: Set(None),
        assigned_at: Set(None),
        released_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let view = DidView::new(&model, true)?;
    let by = audit::Platform(actor);
    audit::record_change(&txn, &by, "did.create", "did", id, None, Some(&view)).await?;
    txn.commit().await?;
    Ok(view)
}

async fn platform_find<C: ConnectionTrait>(
    db: &C,
    access: &Access,
    id: Uuid,
) -> DomainResult<did::Model> {
    visible(db, access)
        .await?
        .filter(did::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("DID"))
}

pub async fn platform_get(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<DidView> {
    let access = access(actor, false)?;
    let m = platform_find(&core.db, &access, id).await?;
    DidView::new(&m, show_carrier(&access))
}

pub async fn platform_update(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: UpdateDid,
    if_match: Option<i64>,
) -> DomainResult<DidView> {
    let access = access(actor, true)?;
    let txn = core.begin().await?;
    let current = platform_find(&txn, &access, id).await?;
    check_version(current.version, if_match)?;
    let before = DidView::new(&current, true)?;
    let mut errors = Errors::default();
    if let Some(t) = input.carrier_trunk_id {
        check_carrier(&txn, &mut errors, t).await?;
    }
    let setup = fee(&mut errors, "setup_fee", input.setup_fee.as_deref());
    let monthly = fee(&mut errors, "monthly_fee", input.monthly_fee.as_deref());
    let currency = input
        .currency
        .as_deref()
        .and_then(|c| errors.check(parse_currency("currency", c)));
    check_settable_status(&mut errors, input.status);
    errors.finish()?;

    let mut am: did::ActiveModel = current.clone().into();
    if let Some(s) = input.status
        && s.as_str() != current.status
    {
        if current.tenant_id.is_some() {
            return Err(DomainError::conflict(
                "The number is held by a tenant; it becomes available when the tenant releases it",
            ));
        }
        am.status = Set(s.as_str().into());
    }
    if let Some(t) = input.carrier_trunk_id {
        am.carrier_trunk_id.set_if_not_equals(t);
    }
    if let Some(v) = setup {
        am.setup_fee_micros.set_if_not_equals(v);
    }
    if let Some(v) = monthly {
        am.monthly_fee_micros.set_if_not_equals(v);
    }
    if let Some(c) = currency {
        am.currency.set_if_not_equals(c);
    }
    let Some(updated) = versioned::write_next_version_unscoped(&txn, &current, am, "DID").await?
    else {
        return Ok(before);
    };
    let view = DidView::new(&updated, true)?;
    // A platform edit of a number a tenant holds also belongs in that tenant's log.
    let change = audit::Change::new(
        current.tenant_id,
        "did.update",
        "did",
        id,
        Some(&before),
        Some(&view),
    )?;
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn platform_delete(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    let access = access(actor, true)?;
    let txn = core.begin().await?;
    let current = platform_find(&txn, &access, id).await?;
    check_version(current.version, if_match)?;
    if let Some(t) = current.tenant_id {
        let mut err = DomainError::conflict(
            "The number is held by a tenant; it must be released before it leaves the inventory",
        );
        err.errors.push(FieldError::new(
            format!("tenant/{t}"),
            "still_referenced",
            format!("tenant {t} holds this number"),
        ));
        return Err(err);
    }
    did::Entity::delete_many()
        .filter(did::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let before = DidView::new(&current, true)?;
    let by = audit::Platform(actor);
    audit::record_change(&txn, &by, "did.delete", "did", id, Some(&before), None).await?;
    txn.commit().await?;
    Ok(())
}

/// Users of a carrier trunk among the DIDs, for the trunk's 409.
pub(crate) async fn using_trunk<C: ConnectionTrait>(
    db: &C,
    trunk_id: Uuid,
) -> DomainResult<Vec<FieldError>> {
    Ok(did::Entity::find()
        .filter(did::Column::CarrierTrunkId.eq(trunk_id))
        .all(db)
        .await?
        .iter()
        .map(|d| {
            FieldError::new(
                format!("did/{}", d.id),
                "still_referenced",
                format!("DID {} arrives on this trunk", d.number),
            )
        })
        .collect())
}

// A tenant's numbers.

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &TenantDidListQuery,
) -> DomainResult<DidPage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<did::Entity>();
    if let Some(n) = &query.number {
        let n = E164::parse("number", n).map_or_else(|_| n.clone(), E164::into_inner);
        select = select.filter(did::Column::Number.eq(n));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, did::Column::Id, |m| m.id)
        .await?;
    Ok(DidPage {
        items: rows
            .iter()
            .map(|m| DidView::new(m, false))
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<DidView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope.find::<did::Entity, _>(&core.db, id, "DID").await?;
    DidView::new(&m, false)
}

/// Claims an available number for the tenant (409 when it is reserved or held), recording
/// the assignment, its audit event and the idempotency answer in one transaction.
pub async fn claim(
    scope: &TenantScope,
    core: &Core,
    input: ClaimDid,
    idem: Option<&IdempotencyKey>,
) -> DomainResult<DidView> {
    scope.authorize(Permission::PbxWrite)?;
    let tenant_id = scope.tenant().id;
    let mut errors = Errors::default();
    let number = input
        .number
        .as_deref()
        .and_then(|n| errors.check(E164::parse("number", n)));
    if input.did_id.is_some() == input.number.is_some() {
        errors.push(FieldError::new(
            "did_id",
            "one_of_required",
            "give exactly one of did_id and number",
        ));
    }
    errors.finish()?;

    let txn = core.begin().await?;
    let found = match (input.did_id, &number) {
        (Some(id), _) => did::Entity::find_by_id(id).one(&txn).await?,
        (None, Some(n)) => {
            did::Entity::find()
                .filter(did::Column::Number.eq(n.as_str()))
                .one(&txn)
                .await?
        }
        (None, None) => None,
    };
    let Some(current) = found else {
        let field = if input.did_id.is_some() {
            "did_id"
        } else {
            "number"
        };
        return Err(DomainError::field(
            field,
            "unknown_did",
            "no such number in the inventory",
        ));
    };
    if current.status != DidStatus::Available.as_str() {
        let mut err = DomainError::conflict(format!(
            "The number is not available (it is {})",
            current.status
        ));
        err.errors.push(FieldError::new(
            if input.did_id.is_some() {
                "did_id"
            } else {
                "number"
            },
            "not_available",
            "only available numbers can be claimed",
        ));
        return Err(err);
    }
    let now = Utc::now();
    let mut am: did::ActiveModel = current.clone().into();
    am.status = Set(DidStatus::Assigned.as_str().into());
    am.tenant_id = Set(Some(tenant_id));
    am.assigned_at = Set(Some(now));
    am.destination = Set(None);
    // Guarded by status as well as version: two tenants racing for one number, one wins.
    am.updated_at = Set(now);
    am.version = Set(current.version + 1);
    let res = did::Entity::update_many()
        .set(am)
        .filter(did::Column::Id.eq(current.id))
        .filter(did::Column::Version.eq(current.version))
        .filter(did::Column::Status.eq(DidStatus::Available.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::conflict(
            "The number was claimed by someone else meanwhile",
        ));
    }
    did_assignment::Entity::insert(did_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        did_id: Set(current.id),
        tenant_id: Set(tenant_id),
        assigned_at: Set(now),
        released_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let updated = scope
        .find::<did::Entity, _>(&txn, current.id, "DID")
        .await?;
    let view = DidView::new(&updated, false)?;
    audit::record_change(
        &txn,
        scope,
        "did.assign",
        "did",
        current.id,
        None,
        Some(&view),
    )
    .await?;
    if let Some(key) = idem {
        let body = serde_json::to_string(&view).map_err(DomainError::internal)?;
        key.store(&txn, 201, &body).await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// Sets or clears the inbound destination of one of the tenant's numbers.
pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateTenantDid,
    if_match: Option<i64>,
) -> DomainResult<DidView> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let current = scope.find::<did::Entity, _>(&txn, id, "DID").await?;
    check_version(current.version, if_match)?;
    let before = DidView::new(&current, false)?;
    let mut errors = Errors::default();
    let mut refs = Vec::new();
    let destination = match input.destination {
        None => before.destination.clone(),
        Some(None) => None,
        Some(Some(mut d)) => {
            if errors
                .check(destinations::check(scope, &txn, "destination", &mut d).await)
                .is_some()
                && let Some((t, target)) = d.target()
            {
                refs.push(("destination".to_owned(), t, target));
            }
            Some(d)
        }
    };
    errors.finish()?;
    if destination == before.destination {
        return Ok(before);
    }
    let mut am: did::ActiveModel = current.clone().into();
    am.destination = Set(destination
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(DomainError::internal)?);
    // DIDs move between the inventory and tenants, so every DID write goes by id and version
    // alone; the row was found in the scope above.
    let Some(updated) = versioned::write_next_version_unscoped(&txn, &current, am, "DID").await?
    else {
        return Ok(before);
    };
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::Did, id, &refs).await?;
    let view = DidView::new(&updated, false)?;
    audit::record_change(
        &txn,
        scope,
        "did.update",
        "did",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Gives the number back to the inventory: available again, destination cleared, the
/// release time recorded on the number and in its assignment history.
pub async fn release(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let tenant_id = scope.tenant().id;
    let txn = core.begin().await?;
    // The row lock orders this release with a concurrent write that checks the DID as a
    // caller ID (`held` locks it too): whichever comes second sees the other's result.
    let current = scope
        .select::<did::Entity>()
        .filter(did::Column::Id.eq(id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("DID"))?;
    check_version(current.version, if_match)?;
    // Extensions and routes presenting the number as their caller ID keep it until they
    // change.
    destinations::ensure_unreferenced(&txn, scope.tenant_id(), "DID", id).await?;
    let before = DidView::new(&current, false)?;
    let now = Utc::now();
    let mut am: did::ActiveModel = current.clone().into();
    am.status = Set(DidStatus::Available.as_str().into());
    am.tenant_id = Set(None);
    am.destination = Set(None);
    am.released_at = Set(Some(now));
    versioned::write_next_version_unscoped(&txn, &current, am, "DID").await?;
    destinations::drop_refs_from(&txn, scope.tenant_id(), id).await?;
    did_assignment::Entity::update_many()
        .col_expr(
            did_assignment::Column::ReleasedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(did_assignment::Column::DidId.eq(id))
        .filter(did_assignment::Column::TenantId.eq(tenant_id))
        .filter(did_assignment::Column::ReleasedAt.is_null())
        .exec(&txn)
        .await?;
    audit::record_change(&txn, scope, "did.release", "did", id, Some(&before), None).await?;
    txn.commit().await?;
    Ok(())
}

/// Returns every DID a tenant holds to the inventory (the tenant is being deleted): the
/// numbers become available again and their assignment records are closed, so billing sees
/// where each holding ended.
pub(crate) async fn release_all_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> DomainResult<()> {
    let now = Utc::now();
    did_assignment::Entity::update_many()
        .col_expr(did_assignment::Column::ReleasedAt, Some(now).into())
        .filter(did_assignment::Column::TenantId.eq(tenant_id))
        .filter(did_assignment::Column::ReleasedAt.is_null())
        .exec(db)
        .await?;
    did::Entity::update_many()
        .col_expr(did::Column::Status, "available".into())
        .col_expr(did::Column::TenantId, Option::<Uuid>::None.into())
        .col_expr(
            did::Column::Destination,
            Option::<serde_json::Value>::None.into(),
        )
        .col_expr(did::Column::ReleasedAt, Some(now).into())
        .col_expr(did::Column::UpdatedAt, now.into())
        .filter(did::Column::TenantId.eq(tenant_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A caller ID to present on outside calls (an extension's external caller ID, an
/// outbound route's override): E.164, and a DID this tenant holds. Carriers reject, and
/// regulators forbid, presenting a number one does not own. Gives the normalised number
/// and the DID, which the caller records as a reference so the tenant cannot release a
/// number it still presents.
pub(crate) async fn check_caller_id<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    field: &str,
    raw: &str,
) -> DomainResult<Option<(String, Uuid)>> {
    let Some(number) = errors.check(E164::parse(field, raw)) else {
        return Ok(None);
    };
    match held(scope, db, number.as_str()).await? {
        Some(did_id) => Ok(Some((number.into_inner(), did_id))),
        None => {
            errors.push(FieldError::new(
                field,
                "not_a_tenant_did",
                "must be a DID this tenant holds (claim it first)",
            ));
            Ok(None)
        }
    }
}

/// The id of the DID `number` (E.164) while this tenant holds it. The row is locked for
/// the rest of the caller's transaction (PostgreSQL; SQLite has one writer anyway), so a
/// concurrent release waits for the reference being written, or this sees it released.
pub(crate) async fn held<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    number: &str,
) -> DomainResult<Option<Uuid>> {
    Ok(did::Entity::find()
        .filter(did::Column::Number.eq(number))
        .filter(did::Column::TenantId.eq(scope.tenant().id))
        .lock_exclusive()
        .one(db)
        .await?
        .map(|d| d.id))
}
