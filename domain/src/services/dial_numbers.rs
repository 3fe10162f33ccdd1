//! The per-tenant dialable number space shared by extensions, ring groups, IVR menus,
//! queues and conferences: one unique index, so two objects can never answer one number.
//!
//! The functions take the tenant as a [`TenantId`], the number as a validated
//! [`DialNumber`] and the owner's kind as an [`ObjectKind`], so the one raw `Uuid` left (the
//! owner's id) cannot be swapped with any other argument.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    entities::dial_number,
    error::{DomainError, DomainResult, FieldError},
    ids::TenantId,
    kinds::ObjectKind,
    validate::DialNumber,
};

/// Reserves `number` for the `kind` object `owner_id`, or 409 naming the current holder.
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    number: &DialNumber,
    kind: ObjectKind,
    owner_id: Uuid,
) -> DomainResult<()> {
    let number = number.as_str();
    if let Some(holder) = dial_number::Entity::find()
        .filter(dial_number::Column::TenantId.eq(tenant.0))
        .filter(dial_number::Column::Number.eq(number))
        .one(db)
        .await?
    {
        let mut err = DomainError::conflict(format!(
            "The number {number} is already used by {} {}",
            holder.owner_type, holder.owner_id
        ));
        err.errors.push(FieldError::new(
            "number",
            "number_taken",
            format!("is used by {} {}", holder.owner_type, holder.owner_id),
        ));
        return Err(err);
    }
    dial_number::Entity::insert(dial_number::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        number: Set(number.to_owned()),
        owner_type: Set(kind),
        owner_id: Set(owner_id),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Frees every number held by `owner_id`.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    owner_id: Uuid,
) -> DomainResult<()> {
    dial_number::Entity::delete_many()
        .filter(dial_number::Column::TenantId.eq(tenant.0))
        .filter(dial_number::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the `kind` object `owner_id` from `current` to `new` when a change asks for another
/// number (409 if it is taken); gives the number to store, or `None` when nothing moves.
pub async fn renumber<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    kind: ObjectKind,
    owner_id: Uuid,
    current: &str,
    new: Option<DialNumber>,
) -> DomainResult<Option<String>> {
    let Some(new) = new.filter(|n| n.as_str() != current) else {
        return Ok(None);
    };
    release(db, tenant, owner_id).await?;
    reserve(db, tenant, &new, kind, owner_id).await?;
    Ok(Some(new.into_inner()))
}
