//! The platform's inventory of numbers: what platform admins manage, support reads, and
//! partners see of the numbers their customers hold.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, Select,
};
use uuid::Uuid;

use super::{CreateDid, DidListQuery, DidPage, DidStatus, DidView, UpdateDid};
use crate::{
    authz::{Actor, Grant, PlatformPermission, grant_platform},
    core::Core,
    entities::{did, tenant},
    error::{DomainError, DomainResult, FieldError},
    money::{parse_amount, parse_currency},
    numbering::E164,
    pagination::PageRequest,
    services::{audit, check_version, trunks, versioned},
    validate::Errors,
};

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
