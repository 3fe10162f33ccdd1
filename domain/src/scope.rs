//! Tenant scoping by construction.
//!
//! A [`TenantScope`] is the only way to read or write tenant-owned rows: it exists only after
//! [`TenantScope::resolve`] has checked that the actor may see the tenant, and its query
//! helpers always add `tenant_id = <scope>`. Services take `&TenantScope` as their first
//! argument, so forgetting the tenant filter is a type error, not a data leak.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, Relation, grant},
    entities::{
        api_key, audit_event, conference, domain, extension, queue, ring_group, tenant, user,
        voicemail_box,
    },
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
};

/// Tables whose rows belong to one tenant.
pub trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;
}

impl TenantOwned for crate::entities::extension_credential::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::extension_credential::Column::TenantId
    }
}

impl TenantOwned for crate::entities::dial_number::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::dial_number::Column::TenantId
    }
}

/// Jobs about a tenant (`tenant_id` is null for platform jobs, which no scope reaches).
impl TenantOwned for crate::entities::job::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::job::Column::TenantId
    }
}

impl TenantOwned for domain::Entity {
    fn tenant_column() -> Self::Column {
        domain::Column::TenantId
    }
}

impl TenantOwned for user::Entity {
    fn tenant_column() -> Self::Column {
        user::Column::TenantId
    }
}

impl TenantOwned for api_key::Entity {
    fn tenant_column() -> Self::Column {
        api_key::Column::TenantId
    }
}

impl TenantOwned for extension::Entity {
    fn tenant_column() -> Self::Column {
        extension::Column::TenantId
    }
}

impl TenantOwned for voicemail_box::Entity {
    fn tenant_column() -> Self::Column {
        voicemail_box::Column::TenantId
    }
}

impl TenantOwned for crate::entities::voicemail_message::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::voicemail_message::Column::TenantId
    }
}

impl TenantOwned for crate::entities::time_condition::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::time_condition::Column::TenantId
    }
}

impl TenantOwned for audit_event::Entity {
    fn tenant_column() -> Self::Column {
        audit_event::Column::TenantId
    }
}

impl TenantOwned for crate::entities::ivr_menu::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::ivr_menu::Column::TenantId
    }
}

impl TenantOwned for ring_group::Entity {
    fn tenant_column() -> Self::Column {
        ring_group::Column::TenantId
    }
}

impl TenantOwned for crate::entities::trunk::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::trunk::Column::TenantId
    }
}

impl TenantOwned for crate::entities::outbound_route::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::outbound_route::Column::TenantId
    }
}

impl TenantOwned for conference::Entity {
    fn tenant_column() -> Self::Column {
        conference::Column::TenantId
    }
}

impl TenantOwned for queue::Entity {
    fn tenant_column() -> Self::Column {
        queue::Column::TenantId
    }
}

impl TenantOwned for crate::entities::did::Entity {
    fn tenant_column() -> Self::Column {
        crate::entities::did::Column::TenantId
    }
}

/// Queries that always carry one tenant's filter: the one way into tenant-owned rows.
pub trait TenantRows {
    /// The tenant whose rows these are.
    fn tenant_id(&self) -> TenantId;

    /// `SELECT … FROM <table> WHERE tenant_id = <this tenant>`.
    fn select<E: TenantOwned>(&self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.tenant_id().0))
    }

    /// One row of this tenant by primary key (none when it is another tenant's).
    fn select_by_id<E>(&self, id: Uuid) -> Select<E>
    where
        E: TenantOwned,
        E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = Uuid>,
    {
        E::find_by_id(id).filter(E::tenant_column().eq(self.tenant_id().0))
    }
}

impl TenantRows for TenantScope {
    fn tenant_id(&self) -> TenantId {
        TenantScope::tenant_id(self)
    }
}

/// The switch surface's way into one active tenant's rows.
///
/// Switches act for no principal, so there is nothing to authorize; what this proves is
/// that the tenant exists and that neither it nor any tenant above it is suspended (a
/// suspended partner's customers do not register or call either). It is built only by
/// [`SystemScope::active`], so switch code cannot reach a suspended tenant's rows by
/// forgetting a check.
#[derive(Debug, Clone, Copy)]
pub struct SystemScope {
    tenant: TenantId,
}

impl SystemScope {
    /// The scope of `tenant`, or `None` when it or a tenant above it is suspended.
    pub(crate) async fn active<C: ConnectionTrait>(
        db: &C,
        tenant: tenant::Model,
    ) -> DomainResult<Option<Self>> {
        Ok(crate::services::auth::chain_active(db, &tenant)
            .await?
            .then_some(Self {
                tenant: TenantId(tenant.id),
            }))
    }

    /// The scope of the tenant with this id, or `None` when it is gone or suspended.
    pub(crate) async fn active_by_id<C: ConnectionTrait>(
        db: &C,
        id: TenantId,
    ) -> DomainResult<Option<Self>> {
        match tenant::Entity::find_by_id(id.0).one(db).await? {
            Some(t) => Self::active(db, t).await,
            None => Ok(None),
        }
    }
}

impl TenantRows for SystemScope {
    fn tenant_id(&self) -> TenantId {
        self.tenant
    }
}

/// Proof that `actor` may see `tenant`, and the only door to its rows.
#[derive(Debug, Clone)]
pub struct TenantScope {
    tenant: tenant::Model,
    actor: Actor,
    relation: Relation,
}

impl TenantScope {
    /// Resolves the tenant named in a path for an actor. A tenant that does not exist and a
    /// tenant the actor may not see give the same 404, so ids leak nothing.
    pub async fn resolve<C: ConnectionTrait>(
        db: &C,
        actor: Actor,
        tenant_id: Uuid,
    ) -> DomainResult<Self> {
        let not_found = || DomainError::not_found("tenant");
        // Decide the cheap cases (a tenant-bound principal naming another tenant) before
        // touching the database.
        if !actor.principal.may_see(TenantId(tenant_id)) {
            return Err(not_found());
        }
        let tenant = tenant::Entity::find_by_id(tenant_id)
            .one(db)
            .await?
            .ok_or_else(not_found)?;
        let relation = actor
            .principal
            .relation_to(TenantId(tenant.id), &tenant.path)
            .ok_or_else(not_found)?;
        Ok(Self {
            tenant,
            actor,
            relation,
        })
    }

    /// Checks the permission table; a support write without a reason is refused.
    pub fn authorize(&self, perm: Permission) -> DomainResult<()> {
        match grant(self.actor.principal.role, self.relation, perm) {
            Grant::Allow => Ok(()),
            Grant::AllowWithReason if self.actor.reason.is_some() => Ok(()),
            Grant::AllowWithReason => Err(DomainError::new(
                ErrorCode::ReasonRequired,
                "Send the reason for this change in the X-Acting-Reason header",
            )),
            Grant::Deny => Err(DomainError::forbidden(
                "Your role does not allow this operation in this tenant",
            )),
        }
    }

    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.tenant.id)
    }

    pub fn tenant(&self) -> &tenant::Model {
        &self.tenant
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn relation(&self) -> Relation {
        self.relation
    }

    /// `SELECT … FROM <table> WHERE tenant_id = <this tenant>`: the only way services read
    /// tenant-owned rows (the inherent twin of [`TenantRows::select`], so services need
    /// not import the trait).
    pub fn select<E: TenantOwned>(&self) -> Select<E> {
        TenantRows::select(self)
    }

    /// One row of this tenant by primary key, or 404.
    pub async fn find<E, C>(&self, db: &C, id: Uuid, what: &str) -> DomainResult<E::Model>
    where
        E: TenantOwned,
        E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = Uuid>,
        C: ConnectionTrait,
    {
        self.select_by_id::<E>(id)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found(what))
    }
}
