//! Destinations: the one typed union every routing field uses (forwarding, follow-me, DID
//! targets, IVR options, fallbacks …), and the reference index behind "409: still used by".
//!
//! A destination that names an object must name one of the same tenant (422 otherwise).
//! Every write of an object's destinations replaces its rows in `destination_refs` in the
//! same transaction, so a delete can answer 409 listing exactly who still points at it.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    entities::{destination_ref, dial_number, extension, voicemail_box},
    error::{DomainError, DomainResult, FieldError},
    ids::TenantId,
    kinds::ObjectKind,
    numbering::E164,
    scope::TenantScope,
    validate::Errors,
};

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    /// Ring an extension of the tenant.
    Extension { id: Uuid },
    /// Send the caller to a voicemail box of the tenant.
    VoicemailBox { id: Uuid },
    /// Ring a ring group of the tenant.
    RingGroup { id: Uuid },
    /// Play an IVR menu of the tenant.
    IvrMenu { id: Uuid },
    /// Put the caller in a call queue of the tenant.
    Queue { id: Uuid },
    /// Branch on a time condition of the tenant.
    TimeCondition { id: Uuid },
    /// Join a conference room of the tenant.
    Conference { id: Uuid },
    /// Call out to a number in E.164 form (through the tenant's outbound routes).
    ExternalNumber { number: String },
    /// End the call.
    Hangup,
}

impl Destination {
    /// The object this destination names, as `(kind, id)`.
    pub fn target(&self) -> Option<(ObjectKind, Uuid)> {
        match self {
            Destination::Extension { id } => Some((ObjectKind::Extension, *id)),
            Destination::VoicemailBox { id } => Some((ObjectKind::VoicemailBox, *id)),
            Destination::RingGroup { id } => Some((ObjectKind::RingGroup, *id)),
            Destination::IvrMenu { id } => Some((ObjectKind::IvrMenu, *id)),
            Destination::Queue { id } => Some((ObjectKind::Queue, *id)),
            Destination::TimeCondition { id } => Some((ObjectKind::TimeCondition, *id)),
            Destination::Conference { id } => Some((ObjectKind::Conference, *id)),
            Destination::ExternalNumber { .. } | Destination::Hangup => None,
        }
    }

    /// The destination that reaches the `kind` object `id`, when calls can be sent to that
    /// kind (a DID or an outbound route is no destination).
    pub fn to(kind: ObjectKind, id: Uuid) -> Option<Self> {
        match kind {
            ObjectKind::Extension => Some(Destination::Extension { id }),
            ObjectKind::VoicemailBox => Some(Destination::VoicemailBox { id }),
            ObjectKind::RingGroup => Some(Destination::RingGroup { id }),
            ObjectKind::IvrMenu => Some(Destination::IvrMenu { id }),
            ObjectKind::Queue => Some(Destination::Queue { id }),
            ObjectKind::TimeCondition => Some(Destination::TimeCondition { id }),
            ObjectKind::Conference => Some(Destination::Conference { id }),
            ObjectKind::Did | ObjectKind::OutboundRoute => None,
        }
    }
}

/// Checks one destination (of request field `field`) against the tenant: the named object
/// exists in this tenant, the number is E.164. External numbers are normalised in place.
pub async fn check<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    field: &str,
    dest: &mut Destination,
) -> Result<(), FieldError> {
    let missing = |what: &str| {
        FieldError::new(
            field,
            "unknown_destination",
            format!("no {what} with this id in the tenant"),
        )
    };
    let lookup = |e: DomainError| FieldError::new(field, "lookup_failed", e.detail);
    match dest {
        Destination::Extension { id } => {
            let n = scope
                .select::<extension::Entity>()
                .filter(extension::Column::Id.eq(*id))
                .count(db)
                .await
                .map_err(|e| lookup(e.into()))?;
            if n == 0 {
                return Err(missing("extension"));
            }
        }
        Destination::VoicemailBox { id } => {
            let n = scope
                .select::<voicemail_box::Entity>()
                .filter(voicemail_box::Column::Id.eq(*id))
                .count(db)
                .await
                .map_err(|e| lookup(e.into()))?;
            if n == 0 {
                return Err(missing("voicemail box"));
            }
        }
        // Call-flow objects that have a number are found through the dialable-number space,
        // which records every owner: one lookup for every kind.
        Destination::RingGroup { .. }
        | Destination::IvrMenu { .. }
        | Destination::Queue { .. }
        | Destination::Conference { .. } => {
            let Some((kind, id)) = dest.target() else {
                return Err(missing("object"));
            };
            let n = dial_number::Entity::find()
                .filter(dial_number::Column::TenantId.eq(scope.tenant().id))
                .filter(dial_number::Column::OwnerType.eq(kind))
                .filter(dial_number::Column::OwnerId.eq(id))
                .count(db)
                .await
                .map_err(|e| lookup(e.into()))?;
            if n == 0 {
                return Err(missing(kind.label()));
            }
        }
        Destination::TimeCondition { id } => {
            let n = scope
                .select::<crate::entities::time_condition::Entity>()
                .filter(crate::entities::time_condition::Column::Id.eq(*id))
                .count(db)
                .await
                .map_err(|e| lookup(e.into()))?;
            if n == 0 {
                return Err(missing("time condition"));
            }
        }
        Destination::ExternalNumber { number } => {
            *number = E164::parse(&format!("{field}.number"), number)?.into_inner();
        }
        Destination::Hangup => {}
    }
    Ok(())
}

/// The references an object holds: `(field, target kind, target id)`.
pub(crate) type Refs = Vec<(String, ObjectKind, Uuid)>;

/// Checks one destination held in `field`, collecting its error; records its reference
/// when it names an object. Shared by every object that routes calls somewhere.
pub(crate) async fn check_into<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    refs: &mut Refs,
    field: &str,
    dest: &mut Destination,
) {
    if errors.check(check(scope, db, field, dest).await).is_some()
        && let Some((t, id)) = dest.target()
    {
        refs.push((field.to_owned(), t, id));
    }
}

/// Replaces the references held by the `from` object `from_id` with `refs`.
pub async fn replace_refs<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    from: ObjectKind,
    from_id: Uuid,
    refs: &[(String, ObjectKind, Uuid)],
) -> DomainResult<()> {
    drop_refs_from(db, tenant, from_id).await?;
    crate::bulk::insert_all(db, ref_rows(tenant, from, from_id, refs)).await
}

/// The reference rows of one object (what [`replace_refs`] writes), for bulk inserts.
pub(crate) fn ref_rows(
    tenant: TenantId,
    from: ObjectKind,
    from_id: Uuid,
    refs: &[(String, ObjectKind, Uuid)],
) -> Vec<destination_ref::ActiveModel> {
    refs.iter()
        .map(|(field, to_type, to_id)| destination_ref::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.0),
            from_type: Set(from),
            from_id: Set(from_id),
            field: Set(field.clone()),
            to_type: Set(*to_type),
            to_id: Set(*to_id),
        })
        .collect()
}

/// 409 listing the referrers when anything still points at `to_id`.
pub async fn ensure_unreferenced<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    what: &str,
    to_id: Uuid,
) -> DomainResult<()> {
    let refs = destination_ref::Entity::find()
        .filter(destination_ref::Column::TenantId.eq(tenant.0))
        .filter(destination_ref::Column::ToId.eq(to_id))
        // An object pointing at itself (forwarding to its own voicemail…) goes with it.
        .filter(destination_ref::Column::FromId.ne(to_id))
        .all(db)
        .await?;
    if refs.is_empty() {
        return Ok(());
    }
    let mut err = DomainError::conflict(format!(
        "The {what} is still used by {} other object(s); change them first",
        refs.len()
    ));
    err.errors = refs
        .iter()
        .map(|r| {
            FieldError::new(
                format!("{}/{}", r.from_type, r.from_id),
                "still_referenced",
                format!(
                    "{} {} points here through {}",
                    r.from_type, r.from_id, r.field
                ),
            )
        })
        .collect();
    Err(err)
}

/// Deletes the references an object holds (when the object itself is deleted).
pub async fn drop_refs_from<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    from_id: Uuid,
) -> DomainResult<()> {
    destination_ref::Entity::delete_many()
        .filter(destination_ref::Column::TenantId.eq(tenant.0))
        .filter(destination_ref::Column::FromId.eq(from_id))
        .exec(db)
        .await?;
    Ok(())
}
