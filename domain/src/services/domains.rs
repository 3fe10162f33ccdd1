//! SIP domains: the names a tenant's phones register to (the digest realm), unique across the
//! platform.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Permission},
    core::Core,
    entities::{domain, extension_credential},
    error::{DomainError, DomainResult},
    pagination::PageRequest,
    scope::TenantScope,
    services::{audit, check_version, versioned},
    tx::Tx,
    validate::{Errors, Hostname},
};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The SIP domain, lower-case ASCII (IDNA names are stored in their `xn--` form).
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&domain::Model> for DomainView {
    fn from(m: &domain::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: m.tenant_id,
            name: m.name.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

crate::page_type!(DomainPage, DomainView);

/// A SIP domain to add to the tenant, or its new name.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainInput {
    /// Host name such as `acme.pbx.example.com`; Unicode names are converted to IDNA ASCII.
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DomainListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact domain name.
    pub name: Option<String>,
}

/// 409 when the name is taken by any tenant (domains are unique across the platform);
/// `field` names the request field that carried the name.
pub(crate) async fn ensure_free<C: ConnectionTrait>(
    db: &C,
    field: &str,
    name: &str,
) -> DomainResult<()> {
    let taken = domain::Entity::find()
        .filter(domain::Column::Name.eq(name))
        .count(db)
        .await?;
    if taken > 0 {
        Err(DomainError::taken(field, "is already in use"))
    } else {
        Ok(())
    }
}

/// Inserts a validated domain with its audit event, inside the caller's transaction.
pub(crate) async fn insert(
    db: &Tx,
    actor: &Actor,
    tenant_id: Uuid,
    name: Hostname,
) -> DomainResult<DomainView> {
    let now = Utc::now();
    let model = domain::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        name: Set(name.into_inner()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await?;
    let view = DomainView::from(&model);
    // No scope yet when the domain comes with a new tenant: the actor and tenant go as such.
    let change = audit::Change::new(
        Some(tenant_id),
        "domain.create",
        "domain",
        model.id,
        None,
        Some(&view),
    )?;
    audit::record(db, actor, change).await?;
    Ok(view)
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &DomainListQuery,
) -> DomainResult<DomainPage> {
    scope.authorize(Permission::DomainRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<domain::Entity>();
    if let Some(name) = &query.name {
        // Normalised like stored names (IDNA, case, trailing dot); a name that could never
        // be stored simply matches nothing.
        let wanted = Hostname::parse("name", name)
            .map(Hostname::into_inner)
            .unwrap_or_else(|_| name.to_lowercase());
        select = select.filter(domain::Column::Name.eq(wanted));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, domain::Column::Id, |m| m.id)
        .await?;
    Ok(DomainPage {
        items: rows.iter().map(DomainView::from).collect(),
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: DomainInput,
) -> DomainResult<DomainView> {
    scope.authorize(Permission::DomainWrite)?;
    let mut errors = Errors::default();
    let name = errors.check(Hostname::parse("name", &input.name));
    errors.finish()?;
    let Some(name) = name else {
        return Err(DomainError::internal("validated name missing"));
    };
    let txn = core.begin().await?;
    ensure_free(&txn, "name", name.as_str()).await?;
    let view = insert(&txn, scope.actor(), scope.tenant().id, name).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<DomainView> {
    scope.authorize(Permission::DomainRead)?;
    let m = scope
        .find::<domain::Entity, _>(&core.db, id, "domain")
        .await?;
    Ok(DomainView::from(&m))
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: DomainInput,
    if_match: Option<i64>,
) -> DomainResult<DomainView> {
    scope.authorize(Permission::DomainWrite)?;
    let mut errors = Errors::default();
    let name = errors.check(Hostname::parse("name", &input.name));
    errors.finish()?;
    let Some(name) = name else {
        return Err(DomainError::internal("validated name missing"));
    };
    let txn = core.begin().await?;
    let current = scope.find::<domain::Entity, _>(&txn, id, "domain").await?;
    check_version(current.version, if_match)?;
    let before = DomainView::from(&current);
    // Renaming to the same name is not a change: no new version, no audit event.
    if current.name == name.as_str() {
        return Ok(before);
    }
    ensure_free(&txn, "name", name.as_str()).await?;
    let mut am: domain::ActiveModel = current.clone().into();
    am.name = Set(name.into_inner());
    let Some(updated) = versioned::write_next_version(&txn, scope, &current, am, "domain").await?
    else {
        return Ok(before);
    };
    // The realm is part of every SIP digest: those computed for the old name can never
    // match again, and the password needed to compute new ones is, by design, nowhere.
    // Drop them; extensions register on the new name after a password reset.
    extension_credential::Entity::delete_many()
        .filter(extension_credential::Column::TenantId.eq(scope.tenant().id))
        .filter(extension_credential::Column::DomainId.eq(id))
        .exec(&txn)
        .await?;
    let view = DomainView::from(&updated);
    audit::record_change(
        &txn,
        scope,
        "domain.update",
        "domain",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::DomainWrite)?;
    let txn = core.begin().await?;
    let current = scope.find::<domain::Entity, _>(&txn, id, "domain").await?;
    check_version(current.version, if_match)?;
    versioned::delete::<domain::Entity, _>(&txn, scope, id).await?;
    audit::record_change(
        &txn,
        scope,
        "domain.delete",
        "domain",
        id,
        Some(&DomainView::from(&current)),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
