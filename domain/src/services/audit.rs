//! The audit log: every mutation writes one event in its own transaction, and the log is
//! readable per tenant and for the whole platform. Recording an event also tells the
//! transaction which cached switch answers it makes stale (see [`crate::tx`]).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    entities::audit_event,
    error::{DomainError, DomainResult},
    ids::TenantId,
    pagination::PageRequest,
    scope::TenantScope,
    switch::{cache::CacheKey, provisioning::job::changes_what_nodes_serve},
    tx::Tx,
};

/// Keys whose values never enter the audit log, whatever resource they appear in.
const SECRET_KEYS: [&str; 8] = [
    "password",
    "password_hash",
    "secret",
    "secret_hash",
    "token",
    "refresh_token",
    "key",
    "pin",
];

fn redact(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        for (k, v) in map.iter_mut() {
            if SECRET_KEYS.contains(&k.as_str()) || k.ends_with("_hash") {
                *v = Value::String("[redacted]".into());
            } else {
                *v = redact(std::mem::take(v));
            }
        }
    }
    value
}

/// One mutation to record.
pub struct Change<'a> {
    pub tenant_id: Option<Uuid>,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    /// The change `action` made to one resource, with its JSON images: `before` is absent
    /// for a creation, `after` for a deletion.
    pub fn new<T: Serialize>(
        tenant_id: Option<Uuid>,
        action: &'a str,
        resource_type: &'a str,
        resource_id: Uuid,
        before: Option<&T>,
        after: Option<&T>,
    ) -> DomainResult<Self> {
        Ok(Self {
            tenant_id,
            action,
            resource_type,
            resource_id,
            before: before.map(snapshot).transpose()?,
            after: after.map(snapshot).transpose()?,
        })
    }
}

/// Who makes a change, and whose log records it.
pub trait Author {
    fn actor(&self) -> &Actor;
    /// The tenant whose log the event joins; `None` for the platform's own log.
    fn audit_tenant(&self) -> Option<Uuid>;
}

/// A scope's changes go to its tenant's log.
impl Author for TenantScope {
    fn actor(&self) -> &Actor {
        TenantScope::actor(self)
    }

    fn audit_tenant(&self) -> Option<Uuid> {
        Some(self.tenant().id)
    }
}

/// An actor changing platform resources (switch nodes, carrier trunks, the DID inventory).
/// A wrapper rather than `impl Author for Actor`, so that passing `scope.actor()` where the
/// scope was meant does not compile and quietly lose the tenant.
pub struct Platform<'a>(pub &'a Actor);

impl Author for Platform<'_> {
    fn actor(&self) -> &Actor {
        self.0
    }

    fn audit_tenant(&self) -> Option<Uuid> {
        None
    }
}

/// Records a change made by `by` to one resource, inside the caller's transaction: the
/// event nearly every mutation writes. `T` is the resource's view; `before` is absent for a
/// creation, `after` for a deletion.
pub async fn record_change<A, T>(
    db: &Tx,
    by: &A,
    action: &str,
    resource_type: &str,
    resource_id: Uuid,
    before: Option<&T>,
    after: Option<&T>,
) -> DomainResult<()>
where
    A: Author + ?Sized,
    T: Serialize,
{
    let tenant_id = by.audit_tenant();
    let change = Change::new(tenant_id, action, resource_type, resource_id, before, after)?;
    record(db, by.actor(), change).await
}

/// Writes the audit event of `change` made by `actor`, inside the caller's transaction.
/// Every mutation passes here, so this is where the transaction learns what the change
/// makes stale in the switch cache (announced when it commits): the tenant's answers, or
/// for a platform change every answer.
pub async fn record(db: &Tx, actor: &Actor, change: Change<'_>) -> DomainResult<()> {
    db.invalidates(cache_key(&change));
    if changes_what_nodes_serve(change.resource_type) {
        db.reprovisions(change.tenant_id);
    }
    audit_event::Entity::insert(event(actor, change))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes the audit events of many changes by `actor` with multi-row inserts, inside the
/// caller's transaction: what bulk writes record (one event per row, like single writes).
pub async fn record_many(db: &Tx, actor: &Actor, changes: Vec<Change<'_>>) -> DomainResult<()> {
    for c in &changes {
        db.invalidates(cache_key(c));
        if changes_what_nodes_serve(c.resource_type) {
            db.reprovisions(c.tenant_id);
        }
    }
    let events = changes.into_iter().map(|c| event(actor, c)).collect();
    crate::bulk::insert_all(db, events).await
}

fn cache_key(change: &Change<'_>) -> CacheKey {
    match change.tenant_id {
        Some(t) => CacheKey::Tenant(TenantId(t)),
        None => CacheKey::Platform,
    }
}

fn event(actor: &Actor, change: Change<'_>) -> audit_event::ActiveModel {
    let p = &actor.principal;
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(Utc::now()),
        actor_type: Set(match p.kind {
            crate::authz::PrincipalKind::User => "user".into(),
            crate::authz::PrincipalKind::ApiKey => "api_key".into(),
        }),
        actor_id: Set(Some(p.id)),
        actor_role: Set(p.role.as_str().into()),
        acting_reason: Set(actor.reason.clone()),
        tenant_id: Set(change.tenant_id),
        action: Set(change.action.into()),
        resource_type: Set(change.resource_type.into()),
        resource_id: Set(Some(change.resource_id)),
        before: Set(change.before.map(redact)),
        after: Set(change.after.map(redact)),
        request_id: Set(actor.request_id.clone()),
    }
}

/// An audit event as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `user` or `api_key`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    /// The reason support staff gave for acting inside the tenant.
    pub acting_reason: Option<String>,
    pub tenant_id: Option<Uuid>,
    /// `<resource>.<verb>`, e.g. `tenant.create`, `domain.delete`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
}

impl From<audit_event::Model> for AuditEventView {
    fn from(m: audit_event::Model) -> Self {
        Self {
            id: m.id,
            occurred_at: m.occurred_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            actor_role: m.actor_role,
            acting_reason: m.acting_reason,
            tenant_id: m.tenant_id,
            action: m.action,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            before: m.before,
            after: m.after,
            request_id: m.request_id,
        }
    }
}

crate::page_type!(AuditEventPage, AuditEventView);

/// Filters of a tenant's audit log.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact action, e.g. `domain.create`.
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// Filters of the platform audit log: those of a tenant's, plus the tenant.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlatformAuditFilter {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact action, e.g. `domain.create`.
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Only events of this tenant.
    pub tenant_id: Option<Uuid>,
}

impl PlatformAuditFilter {
    /// The filters both lists share. (serde's `flatten` cannot be combined with
    /// `deny_unknown_fields`, hence two structs.)
    fn common(&self) -> AuditFilter {
        AuditFilter {
            limit: self.limit,
            cursor: self.cursor.clone(),
            action: self.action.clone(),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id,
            actor_id: self.actor_id,
            since: self.since,
            until: self.until,
        }
    }
}

fn apply(mut q: Select<audit_event::Entity>, f: &AuditFilter) -> Select<audit_event::Entity> {
    use audit_event::Column as C;
    if let Some(a) = &f.action {
        q = q.filter(C::Action.eq(a.clone()));
    }
    if let Some(t) = &f.resource_type {
        q = q.filter(C::ResourceType.eq(t.clone()));
    }
    if let Some(id) = f.resource_id {
        q = q.filter(C::ResourceId.eq(id));
    }
    if let Some(id) = f.actor_id {
        q = q.filter(C::ActorId.eq(id));
    }
    if let Some(t) = f.since {
        q = q.filter(C::OccurredAt.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(C::OccurredAt.lt(t));
    }
    q
}

pub async fn list_for_tenant<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    filter: &AuditFilter,
) -> DomainResult<AuditEventPage> {
    scope.authorize(Permission::AuditRead)?;
    let page = PageRequest::parse(filter.limit, filter.cursor.as_deref())?;
    let q = apply(scope.select::<audit_event::Entity>(), filter);
    let (rows, next_cursor) = page.fetch(db, q, audit_event::Column::Id, |m| m.id).await?;
    Ok(AuditEventPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
}

pub async fn list_platform<C: ConnectionTrait>(
    actor: &Actor,
    db: &C,
    filter: &PlatformAuditFilter,
) -> DomainResult<AuditEventPage> {
    if grant_platform(actor.principal.role, PlatformPermission::ReadPlatformAudit) != Grant::Allow {
        return Err(DomainError::forbidden(
            "Only platform staff read the platform audit log",
        ));
    }
    let page = PageRequest::parse(filter.limit, filter.cursor.as_deref())?;
    let mut q = apply(audit_event::Entity::find(), &filter.common());
    if let Some(t) = filter.tenant_id {
        q = q.filter(audit_event::Column::TenantId.eq(t));
    }
    let (rows, next_cursor) = page.fetch(db, q, audit_event::Column::Id, |m| m.id).await?;
    Ok(AuditEventPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
}

/// The JSON image of a resource for `before`/`after`.
pub fn snapshot<T: Serialize>(view: &T) -> DomainResult<Value> {
    super::to_json(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = serde_json::json!({"name": "a", "password": "x", "nested": {"secret_hash": "y", "ok": 1}});
        let r = redact(v);
        assert_eq!(r["password"], "[redacted]");
        assert_eq!(r["nested"]["secret_hash"], "[redacted]");
        assert_eq!(r["nested"]["ok"], 1);
        assert_eq!(r["name"], "a");
    }
}
