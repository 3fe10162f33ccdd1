//! Tenants: the partner → customer tree, its status, and its first SIP domain.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::from_stored;
use crate::{
    authz::{
        Actor, Grant, Permission, PlatformPermission, Relation, Visibility, grant, grant_platform,
    },
    core::Core,
    entities::{did, domain, extension, tenant},
    error::{DomainError, DomainResult, FieldError},
    ids::TenantId,
    pagination::PageRequest,
    scope::TenantScope,
    services::{audit, check_version, domains, idempotency::IdempotencyKey, versioned},
    storage,
    switch::cache::CacheKey,
    validate::{Errors, Slug, display_text},
};

/// How deep the partner → customer tree may grow.
pub const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Users and API keys of the tenant may sign in and act.
    Active,
    /// Users and API keys of the tenant (and of its descendants) are refused.
    Suspended,
}

impl TenantStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub status: TenantStatus,
    /// The partner tenant this one belongs to; `null` for a top-level tenant.
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in `If-Match` to update safely.
    pub version: i64,
}

impl TenantView {
    /// The view of a stored row; a value that does not parse is a logged internal error,
    /// never a default.
    pub fn new(m: &tenant::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            name: m.name.clone(),
            slug: m.slug.clone(),
            status: from_stored("tenants.status", &m.status)?,
            parent_id: m.parent_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(TenantPage, TenantView);

/// A tenant to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Display name, 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// URL-safe unique name; derived from `name` when absent.
    pub slug: Option<String>,
    /// Partner tenant to create it under. Partners default to their own tenant; platform
    /// admins create a top-level tenant when absent.
    pub parent_id: Option<Uuid>,
    /// Optional first SIP domain of the tenant.
    pub domain: Option<String>,
}

/// JSON merge patch of a tenant: absent fields are left alone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub status: Option<TenantStatus>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only the direct children of this tenant.
    pub parent_id: Option<Uuid>,
    pub status: Option<TenantStatus>,
    /// Find tenants (among those the caller sees) by part of their name or slug, part of a
    /// SIP domain, part of a DID's number, or an extension's exact number; 2-100
    /// characters, case-insensitive. How support staff find a customer who calls in.
    #[param(min_length = 2, max_length = 100)]
    pub q: Option<String>,
}

/// The `q` filter of [`list`]: a tenant matches when its name or slug, one of its SIP
/// domains or DIDs contains the text, or one of its extensions has exactly that number.
/// The text is matched literally (`%` and `_` are escaped), never as a pattern.
fn search_condition(raw: &str) -> DomainResult<Condition> {
    let q = raw.trim().to_lowercase();
    let len = q.chars().count();
    if !(2..=100).contains(&len) {
        return Err(DomainError::field(
            "q",
            "invalid_length",
            "Search for 2 to 100 characters",
        ));
    }
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let contains = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
    let lower = |col: Expr| Expr::expr(Func::lower(col));
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let mut any = Condition::any()
        .add(lower(Expr::col(tenant::Column::Name)).like(contains()))
        .add(lower(Expr::col(tenant::Column::Slug)).like(contains()))
        .add(
            tenant::Column::Id.in_subquery(
                Query::select()
                    .column(domain::Column::TenantId)
                    .from(domain::Entity)
                    .and_where(lower(Expr::col(domain::Column::Name)).like(contains()))
                    .to_owned(),
            ),
        )
        .add(
            tenant::Column::Id.in_subquery(
                Query::select()
                    .column(extension::Column::TenantId)
                    .from(extension::Entity)
                    .and_where(extension::Column::Number.eq(q.clone()))
                    .to_owned(),
            ),
        );
    // A phone number as people type it (`+34 910 00 00 01`, `910-000-001`): its digits.
    if digits.len() >= 3 {
        any = any.add(
            tenant::Column::Id.in_subquery(
                Query::select()
                    .column(did::Column::TenantId)
                    .from(did::Entity)
                    .and_where(did::Column::TenantId.is_not_null())
                    .and_where(did::Column::Number.like(LikeExpr::new(format!("%{digits}%"))))
                    .to_owned(),
            ),
        );
    }
    Ok(any)
}

/// Whether the actor's role may create a tenant anywhere at all (platform admins, and
/// partner admins below their own tenant): the check a create makes before it reads its body,
/// so that a role that never may is a 403 whatever it sends. Where exactly it may is decided
/// by [`create`], once the parent is known.
pub fn check_may_create(actor: &Actor) -> DomainResult<()> {
    let role = actor.principal.role;
    let relation = if role.is_staff() {
        Relation::Platform
    } else {
        Relation::Own
    };
    let root = grant_platform(role, PlatformPermission::CreateRootTenant);
    match (root, grant(role, relation, Permission::TenantCreate)) {
        (Grant::Allow, _) | (_, Grant::Allow) => Ok(()),
        _ => Err(DomainError::forbidden("Your role cannot create tenants")),
    }
}

/// Creates a tenant (and its first domain), audited, with its idempotency record.
pub async fn create(
    core: &Core,
    actor: &Actor,
    input: CreateTenant,
    idem: Option<&IdempotencyKey>,
) -> DomainResult<TenantView> {
    // Where may it go? Resolve the parent first: an invisible parent is a 404.
    let parent = match input.parent_id {
        Some(pid) => Some(TenantScope::resolve(&core.db, actor.clone(), pid).await?),
        // Without a parent: staff create a root tenant, everybody else a tenant below
        // their own (which the table then allows for partners only).
        None => match actor.principal.visibility() {
            Visibility::Subtree { own, .. } | Visibility::Own(own) => {
                Some(TenantScope::resolve(&core.db, actor.clone(), own.0).await?)
            }
            Visibility::All | Visibility::Nothing => None,
        },
    };
    match &parent {
        Some(scope) => scope.authorize(Permission::TenantCreate)?,
        None => {
            if grant_platform(actor.principal.role, PlatformPermission::CreateRootTenant)
                != Grant::Allow
            {
                return Err(DomainError::forbidden(
                    "Your role cannot create top-level tenants",
                ));
            }
        }
    }

    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    let slug = match &input.slug {
        Some(s) => errors.check(Slug::parse("slug", s)),
        None => Some(Slug::from_name(&input.name)),
    };
    let domain_name = input
        .domain
        .as_deref()
        .and_then(|d| errors.check(crate::validate::Hostname::parse("domain", d)));
    if let Some(p) = &parent
        && p.tenant().path.matches('/').count() > MAX_DEPTH
    {
        errors.push(FieldError::new(
            "parent_id",
            "too_deep",
            format!("the tenant tree may be at most {MAX_DEPTH} levels deep"),
        ));
    }
    errors.finish()?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(DomainError::internal("validated fields missing"));
    };

    let txn = core.begin().await?;
    if tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .count(&txn)
        .await?
        > 0
    {
        return Err(DomainError::taken("slug", "is already taken"));
    }
    if let Some(d) = &domain_name {
        domains::ensure_free(&txn, "domain", d.as_str()).await?;
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let path = match &parent {
        Some(p) => format!("{}{id}/", p.tenant().path),
        None => format!("/{id}/"),
    };
    let model = tenant::ActiveModel {
        id: Set(id),
        parent_id: Set(parent.as_ref().map(|p| p.tenant().id)),
        path: Set(path),
        name: Set(name),
        slug: Set(slug.into_inner()),
        status: Set(TenantStatus::Active.as_str().into()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let view = TenantView::new(&model)?;
    let change = audit::Change::new(Some(id), "tenant.create", "tenant", id, None, Some(&view))?;
    audit::record(&txn, actor, change).await?;
    if let Some(d) = domain_name {
        domains::insert(&txn, actor, id, d).await?;
    }
    if let Some(key) = idem {
        let body = serde_json::to_string(&view).map_err(DomainError::internal)?;
        key.store(&txn, 201, &body).await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// Tenants the actor can see: all for staff, its subtree for a partner, its own otherwise.
pub async fn list(core: &Core, actor: &Actor, query: &TenantListQuery) -> DomainResult<TenantPage> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = tenant::Entity::find();
    match actor.principal.visibility() {
        Visibility::All => {}
        Visibility::Subtree { path, .. } => {
            select = select.filter(tenant::Column::Path.starts_with(path));
        }
        Visibility::Own(own) => select = select.filter(tenant::Column::Id.eq(own.0)),
        Visibility::Nothing => return Err(DomainError::forbidden("No tenant is visible to you")),
    }
    if let Some(parent) = query.parent_id {
        select = select.filter(tenant::Column::ParentId.eq(parent));
    }
    if let Some(status) = query.status {
        select = select.filter(tenant::Column::Status.eq(status.as_str()));
    }
    if let Some(q) = &query.q {
        select = select.filter(search_condition(q)?);
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, tenant::Column::Id, |m| m.id)
        .await?;
    Ok(TenantPage {
        items: rows
            .iter()
            .map(TenantView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn get(scope: &TenantScope) -> DomainResult<TenantView> {
    scope.authorize(Permission::TenantRead)?;
    TenantView::new(scope.tenant())
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    input: UpdateTenant,
    if_match: Option<i64>,
) -> DomainResult<TenantView> {
    // Status changes are a separate permission from renames only in spirit: both need
    // TenantUpdate, which partners hold for their customers but not for themselves.
    scope.authorize(Permission::TenantUpdate)?;
    let mut errors = Errors::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    errors.finish()?;

    let txn = core.begin().await?;
    let current = tenant::Entity::find_by_id(scope.tenant().id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("tenant"))?;
    check_version(current.version, if_match)?;
    let before = TenantView::new(&current)?;
    let mut am: tenant::ActiveModel = current.clone().into();
    if let Some(n) = name {
        am.name.set_if_not_equals(n);
    }
    if let Some(s) = input.status {
        am.status.set_if_not_equals(s.as_str().into());
    }
    // A tenant is not a row *of* its scope: the tenants table has no tenant column.
    let Some(updated) =
        versioned::write_next_version_unscoped(&txn, &current, am, "tenant").await?
    else {
        return Ok(before);
    };
    let view = TenantView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "tenant.update",
        "tenant",
        current.id,
        Some(&before),
        Some(&view),
    )
    .await?;
    if updated.status != current.status {
        // Tenants below route and register only while every tenant above them is active:
        // their cached switch answers go too.
        let below: Vec<Uuid> = tenant::Entity::find()
            .select_only()
            .column(tenant::Column::Id)
            .filter(tenant::Column::Path.starts_with(current.path.as_str()))
            .filter(tenant::Column::Id.ne(current.id))
            .into_tuple()
            .all(&txn)
            .await?;
        for id in below {
            txn.invalidates(CacheKey::Tenant(TenantId(id)));
        }
    }
    txn.commit().await?;
    Ok(view)
}

/// Deletes a tenant with everything it owns. A tenant with child tenants is refused (409):
/// a partner's customers are never deleted as a side effect.
pub async fn delete(scope: &TenantScope, core: &Core, if_match: Option<i64>) -> DomainResult<()> {
    scope.authorize(Permission::TenantDelete)?;
    let txn = core.begin().await?;
    let current = tenant::Entity::find_by_id(scope.tenant().id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("tenant"))?;
    check_version(current.version, if_match)?;
    let children = tenant::Entity::find()
        .filter(tenant::Column::ParentId.eq(current.id))
        .count(&txn)
        .await?;
    if children > 0 {
        return Err(DomainError::conflict(format!(
            "The tenant has {children} child tenant(s); delete or move them first"
        )));
    }
    crate::services::dids::release_all_of(&txn, current.id).await?;
    // The rows go with the tenant (foreign keys cascade); the files they name go after.
    let voicemail = crate::services::voicemail_messages::audio_of(&txn, current.id).await?;
    let greetings = crate::services::ivr_menus::recordings_of(&txn, current.id).await?;
    domain::Entity::delete_many()
        .filter(domain::Column::TenantId.eq(current.id))
        .exec(&txn)
        .await?;
    tenant::Entity::delete_by_id(current.id).exec(&txn).await?;
    audit::record_change(
        &txn,
        scope,
        "tenant.delete",
        "tenant",
        current.id,
        Some(&TenantView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    core.files
        .remove(
            storage::Area::Voicemail,
            voicemail.iter().map(String::as_str),
        )
        .await;
    core.files
        .remove(
            storage::Area::Greetings,
            greetings.iter().map(String::as_str),
        )
        .await;
    Ok(())
}
