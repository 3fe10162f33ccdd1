//! The per-tenant dialable number space shared by extensions, ring groups, IVR menus,
//! queues and conferences: one unique index, so two objects can never answer one number.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    entities::dial_number,
    error::{DomainError, DomainResult, FieldError},
    validate::DialNumber,
};

/// Reserves `number` for `(owner_type, owner_id)`, or 409 naming the current holder.
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    number: &str,
    owner_type: &str,
    owner_id: Uuid,
) -> DomainResult<()> {
    if let Some(holder) = dial_number::Entity::find()
        .filter(dial_number::Column::TenantId.eq(tenant_id))
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
        tenant_id: Set(tenant_id),
        number: Set(number.to_owned()),
        owner_type: Set(owner_type.to_owned()),
        owner_id: Set(owner_id),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Frees every number held by `owner_id`.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    owner_id: Uuid,
) -> DomainResult<()> {
    dial_number::Entity::delete_many()
        .filter(dial_number::Column::TenantId.eq(tenant_id))
        .filter(dial_number::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves `(owner_type, owner_id)` from `current` to `new` when a change asks for another
/// number (409 if it is taken); gives the number to store, or `None` when nothing moves.
pub async fn renumber<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    owner_type: &str,
    owner_id: Uuid,
    current: &str,
    new: Option<DialNumber>,
) -> DomainResult<Option<String>> {
    let Some(new) = new.map(DialNumber::into_inner).filter(|n| n != current) else {
        return Ok(None);
    };
    release(db, tenant_id, owner_id).await?;
    reserve(db, tenant_id, &new, owner_type, owner_id).await?;
    Ok(Some(new))
}
