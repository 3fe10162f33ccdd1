//! Optimistic locking, written once.
//!
//! Every resource a client may edit carries a `version` (its ETag) and an `updated_at`.
//! A change is always made the same way: the service reads the row, builds an
//! `ActiveModel` from it and marks the fields that really differ (`set_if_not_equals`);
//! then [`write_next_version`] stores them as the next version, but only if the row still
//! holds the version that was read. Whoever changed it meanwhile wins, and this request
//! answers 412 (`DomainError::stale`) instead of overwriting a change it never saw.
//!
//! A patch that changes nothing is no change at all: no write, no new version, no audit
//! event. The writers below return `None` for it, so callers cannot forget the rule.
//!
//! Deleting a call-flow object (extension, ring group, IVR menu, queue, conference, time
//! condition)
//! also follows one recipe, [`delete_call_flow`]: refuse while anything points at it, then
//! take its references, its dial number and its row with it.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    entities,
    error::{DomainError, DomainResult},
    scope::{TenantOwned, TenantScope},
    services::{check_version, destinations, dial_numbers},
};

/// Tables whose rows change under optimistic locking: a `Uuid` id, an `i64` version and
/// an `updated_at` timestamp.
pub(crate) trait Versioned:
    EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>>
{
    fn id_column() -> Self::Column;
    fn version_column() -> Self::Column;
    fn updated_at_column() -> Self::Column;
    fn id(row: &Self::Model) -> Uuid;
    fn version(row: &Self::Model) -> i64;
}

/// Every versioned table spells these columns the same way, so each needs one line.
macro_rules! versioned {
    ($($table:ident),+ $(,)?) => {$(
        impl Versioned for entities::$table::Entity {
            fn id_column() -> Self::Column {
                entities::$table::Column::Id
            }
            fn version_column() -> Self::Column {
                entities::$table::Column::Version
            }
            fn updated_at_column() -> Self::Column {
                entities::$table::Column::UpdatedAt
            }
            fn id(row: &Self::Model) -> Uuid {
                row.id
            }
            fn version(row: &Self::Model) -> i64 {
                row.version
            }
        }
    )+};
}

versioned!(
    conference,
    did,
    domain,
    extension,
    ivr_menu,
    outbound_route,
    queue,
    ring_group,
    switch_node,
    tenant,
    time_condition,
    trunk,
    user,
    voicemail_box,
);

/// The model type behind an active model, to keep the signatures below readable.
type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// Stores `am` as the version after `current` of one of the scope's rows, and reads the
/// row back; `None` when `am` changes nothing. 412 when the row moved on since `current`
/// was read. `what` names the resource in the (unexpected) 404 of the read-back.
pub(crate) async fn write_next_version<A, C>(
    db: &C,
    scope: &TenantScope,
    current: &ModelOf<A>,
    am: A,
    what: &str,
) -> DomainResult<Option<ModelOf<A>>>
where
    A: ActiveModelTrait,
    A::Entity: Versioned + TenantOwned,
    C: ConnectionTrait,
{
    let tenant = <A::Entity as TenantOwned>::tenant_column().eq(scope.tenant().id);
    if !guarded_update(db, current, am, Some(tenant)).await? {
        return Ok(None);
    }
    let id = <A::Entity as Versioned>::id(current);
    scope.find::<A::Entity, _>(db, id, what).await.map(Some)
}

/// [`write_next_version`] for rows a tenant scope does not cover, or not alone: platform
/// rows (switch nodes, the DID inventory), trunks (a tenant's and the carriers' share one
/// path), tenants themselves, and DIDs on their way between the inventory and a tenant.
/// The caller has already found the row within the actor's reach; only the id and the
/// version guard the write.
pub(crate) async fn write_next_version_unscoped<A, C>(
    db: &C,
    current: &ModelOf<A>,
    am: A,
    what: &str,
) -> DomainResult<Option<ModelOf<A>>>
where
    A: ActiveModelTrait,
    A::Entity: Versioned,
    C: ConnectionTrait,
{
    if !guarded_update(db, current, am, None).await? {
        return Ok(None);
    }
    <A::Entity as EntityTrait>::find_by_id(<A::Entity as Versioned>::id(current))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found(what))
        .map(Some)
}

/// The write itself: `UPDATE … SET <changed fields>, updated_at, version = version + 1
/// WHERE id = … [AND <guard>] AND version = <read version>`. An `UPDATE` that matches no
/// row means someone else wrote first. `false` when there was nothing to write.
async fn guarded_update<A, C>(
    db: &C,
    current: &ModelOf<A>,
    mut am: A,
    guard: Option<Expr>,
) -> DomainResult<bool>
where
    A: ActiveModelTrait,
    A::Entity: Versioned,
    C: ConnectionTrait,
{
    if !am.is_changed() {
        return Ok(false);
    }
    let version = <A::Entity as Versioned>::version(current);
    am.try_set(
        <A::Entity as Versioned>::updated_at_column(),
        Utc::now().into(),
    )?;
    am.try_set(
        <A::Entity as Versioned>::version_column(),
        (version + 1).into(),
    )?;
    let mut update = <A::Entity as EntityTrait>::update_many()
        .set(am)
        .filter(<A::Entity as Versioned>::id_column().eq(<A::Entity as Versioned>::id(current)));
    if let Some(guard) = guard {
        update = update.filter(guard);
    }
    let res = update
        .filter(<A::Entity as Versioned>::version_column().eq(version))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::stale());
    }
    Ok(true)
}

/// Deletes one of the scope's rows by id. The caller has found it (404) and checked its
/// version (412) inside the same transaction.
pub(crate) async fn delete<E, C>(db: &C, scope: &TenantScope, id: Uuid) -> DomainResult<()>
where
    E: Versioned + TenantOwned,
    C: ConnectionTrait,
{
    E::delete_many()
        .filter(E::id_column().eq(id))
        .filter(E::tenant_column().eq(scope.tenant().id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes a call-flow object of the scope with what it holds, inside the caller's
/// transaction, and answers the row as it was (for the audit's `before`): 404 when absent,
/// 412 when `if_match` names another version, 409 listing the referrers while any
/// destination still points at it. Its own references and its dial number go with it; an
/// object that holds neither (a conference has no references, a time condition no number)
/// costs a `DELETE` that matches nothing, which is cheaper than two recipes to keep in step.
pub(crate) async fn delete_call_flow<E, C>(
    db: &C,
    scope: &TenantScope,
    id: Uuid,
    what: &str,
    if_match: Option<i64>,
) -> DomainResult<E::Model>
where
    E: Versioned + TenantOwned,
    C: ConnectionTrait,
{
    let tenant = scope.tenant_id();
    let current = scope.find::<E, _>(db, id, what).await?;
    check_version(E::version(&current), if_match)?;
    destinations::ensure_unreferenced(db, tenant, what, id).await?;
    destinations::drop_refs_from(db, tenant, id).await?;
    dial_numbers::release(db, tenant, id).await?;
    delete::<E, _>(db, scope, id).await?;
    Ok(current)
}
