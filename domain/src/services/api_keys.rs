//! API keys: long-lived credentials for a tenant's integrations.
//!
//! A key looks like `ck_<12 hex>_<64 hex>`: `ck_` makes leaked keys recognisable to
//! secret scanners, the hex part is the public lookup prefix, and the whole key is stored
//! only as a SHA-256 digest. The key is shown once, in the create answer.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::from_stored;
use crate::{
    authz::{Permission, Role},
    core::Core,
    entities::api_key,
    error::{DomainError, DomainResult, FieldError},
    pagination::PageRequest,
    scope::TenantScope,
    services::audit,
    tokens::{random_hex, sha256_hex},
    validate::{Errors, display_text},
};

pub const KEY_PREFIX: &str = "ck_";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub role: Role,
    /// The public start of the key (`ck_<prefix>_…`), to tell keys apart.
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ApiKeyView {
    /// The view of a stored row; a value that does not parse is a logged internal error,
    /// never a default.
    pub fn new(m: &api_key::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            tenant_id: m.tenant_id,
            name: m.name.clone(),
            role: from_stored("api_keys.role", &m.role)?,
            prefix: m.prefix.clone(),
            expires_at: m.expires_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
        })
    }
}

/// The create answer: the only time the key itself is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The secret key. Store it now: it cannot be shown again.
    pub key: String,
}

crate::page_type!(ApiKeyPage, ApiKeyView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// At most the caller's own role.
    pub role: Role,
    /// When the key stops working; must be in the future. Never, when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Include revoked keys (default false).
    pub include_revoked: Option<bool>,
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &ApiKeyListQuery,
) -> DomainResult<ApiKeyPage> {
    scope.authorize(Permission::ApiKeyRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<api_key::Entity>();
    if !query.include_revoked.unwrap_or(false) {
        select = select.filter(api_key::Column::RevokedAt.is_null());
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, api_key::Column::Id, |m| m.id)
        .await?;
    Ok(ApiKeyPage {
        items: rows
            .iter()
            .map(ApiKeyView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateApiKey,
) -> DomainResult<ApiKeyCreated> {
    scope.authorize(Permission::ApiKeyWrite)?;
    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    if !scope.actor().principal.role.may_grant(input.role) {
        errors.push(FieldError::new(
            "role",
            "role_not_grantable",
            format!("your role cannot grant {}", input.role.as_str()),
        ));
    }
    if input.expires_at.is_some_and(|t| t <= Utc::now()) {
        errors.push(FieldError::new(
            "expires_at",
            "in_the_past",
            "must be in the future",
        ));
    }
    errors.finish()?;
    let Some(name) = name else {
        return Err(DomainError::internal("validated name missing"));
    };
    let prefix = random_hex(6);
    let key = format!("{KEY_PREFIX}{prefix}_{}", random_hex(32));
    let txn = core.begin().await?;
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(scope.tenant().id),
        name: Set(name),
        role: Set(input.role.as_str().into()),
        prefix: Set(prefix),
        secret_hash: Set(sha256_hex(&key)),
        expires_at: Set(input.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_by: Set(Some(scope.actor().principal.id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let view = ApiKeyView::new(&model)?;
    audit::record_change(
        &txn,
        scope,
        "api_key.create",
        "api_key",
        model.id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(ApiKeyCreated { api_key: view, key })
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<ApiKeyView> {
    scope.authorize(Permission::ApiKeyRead)?;
    let m = scope
        .find::<api_key::Entity, _>(&core.db, id, "API key")
        .await?;
    ApiKeyView::new(&m)
}

/// Revokes a key: it stops working at once and stays listed (with `include_revoked`) for
/// the record. Revoking twice is a no-op.
pub async fn revoke(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<()> {
    scope.authorize(Permission::ApiKeyWrite)?;
    let txn = core.begin().await?;
    let current = scope
        .find::<api_key::Entity, _>(&txn, id, "API key")
        .await?;
    if current.revoked_at.is_some() {
        return Ok(());
    }
    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Some(Utc::now()).into())
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::TenantId.eq(scope.tenant().id))
        .exec(&txn)
        .await?;
    audit::record_change(
        &txn,
        scope,
        "api_key.revoke",
        "api_key",
        id,
        Some(&ApiKeyView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
