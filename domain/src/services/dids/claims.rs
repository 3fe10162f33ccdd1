//! A tenant's numbers: claiming an available DID, pointing it at a destination, releasing
//! it, and the checks other services make against what a tenant holds.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{ClaimDid, DidPage, DidStatus, DidView, TenantDidListQuery, UpdateTenantDid};
use crate::{
    authz::Permission,
    core::Core,
    entities::{did, did_assignment},
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    numbering::E164,
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, check_version,
        destinations::{self},
        idempotency::IdempotencyKey,
        versioned,
    },
    validate::Errors,
};

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
    let assignment = Uuid::now_v7();
    did_assignment::Entity::insert(did_assignment::ActiveModel {
        id: Set(assignment),
        did_id: Set(current.id),
        tenant_id: Set(tenant_id),
        assigned_at: Set(now),
        released_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    // Its setup fee, in the same transaction: a claim that is not charged does not happen.
    crate::services::billing::fees::on_claim(&txn, scope.tenant(), &current, assignment, now)
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
