//! Who may do what: roles, principals, and the one permission table.
//!
//! Every check in the system ends in [`grant`]. Whether a principal can *see* a tenant at all
//! is decided by [`crate::scope::TenantScope::resolve`] (invisible tenants answer 404); what it
//! may do inside a visible one is decided here (a refusal answers 403).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ids::TenantId;

/// The five roles, from most to least powerful (see `docs/ARCHITECTURE.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    Support,
    PartnerAdmin,
    TenantAdmin,
    TenantUser,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::PlatformAdmin,
        Role::Support,
        Role::PartnerAdmin,
        Role::TenantAdmin,
        Role::TenantUser,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::Support => "support",
            Role::PartnerAdmin => "partner_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::TenantUser => "tenant_user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Platform staff belong to no tenant and see every tenant.
    pub const fn is_staff(self) -> bool {
        matches!(self, Role::PlatformAdmin | Role::Support)
    }

    /// Roles that a principal of this role may hand out to users and API keys of a tenant.
    /// Nobody can grant more than they hold, and staff roles are never granted through the
    /// tenant API (only `centralita admin create-user` makes staff). Support staff may act
    /// for a tenant's admins (password resets, a new key), always with a stated reason, which
    /// [`grant`] demands of every support write.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::PlatformAdmin | Role::PartnerAdmin | Role::Support => !other.is_staff(),
            Role::TenantAdmin => matches!(other, Role::TenantAdmin | Role::TenantUser),
            Role::TenantUser => false,
        }
    }
}

/// How the principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ApiKey,
}

/// An authenticated caller. Built only by `services::auth::authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub role: Role,
    pub tenant_id: Option<TenantId>,
    /// The materialised path of the principal's tenant, for descendant checks.
    pub tenant_path: Option<String>,
}

impl Principal {
    /// Stable key naming this principal, for idempotency records and rate-limit buckets.
    pub fn owner_key(&self) -> String {
        match self.kind {
            PrincipalKind::User => format!("user:{}", self.id),
            PrincipalKind::ApiKey => format!("api_key:{}", self.id),
        }
    }
}

/// The principal plus what it said about this request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: Option<String>,
    /// Support staff's stated reason for acting inside a tenant (`X-Acting-Reason`).
    pub reason: Option<String>,
}

/// What the principal is to the tenant it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Platform staff: every tenant.
    Platform,
    /// The principal's own tenant.
    Own,
    /// A tenant below the principal's own (partner → customer).
    Descendant,
}

/// Route families, each read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    TenantRead,
    /// Create a child tenant under this one (or a root tenant, at platform level).
    TenantCreate,
    TenantUpdate,
    TenantDelete,
    DomainRead,
    DomainWrite,
    UserRead,
    UserWrite,
    ApiKeyRead,
    ApiKeyWrite,
    AuditRead,
    /// PBX configuration: extensions, voicemail boxes, call-flow objects, DIDs, routes.
    PbxRead,
    PbxWrite,
}

impl Permission {
    pub const fn is_write(self) -> bool {
        !matches!(
            self,
            Permission::TenantRead
                | Permission::DomainRead
                | Permission::UserRead
                | Permission::ApiKeyRead
                | Permission::AuditRead
                | Permission::PbxRead
        )
    }
}

/// The answer of the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Allow,
    /// Allowed when the request states a reason, which the audit log records.
    AllowWithReason,
    Deny,
}

/// The permission table: may `role`, standing in `relation` to a tenant, do `perm` there?
pub fn grant(role: Role, relation: Relation, perm: Permission) -> Grant {
    use Permission as P;
    match (role, relation) {
        (Role::PlatformAdmin, _) => Grant::Allow,
        (Role::Support, _) if perm.is_write() => match perm {
            // Support acts inside tenants, it doesn't create or remove them.
            P::TenantCreate | P::TenantDelete => Grant::Deny,
            _ => Grant::AllowWithReason,
        },
        (Role::Support, _) => Grant::Allow,
        // A partner manages its customers' tenants, and everything inside its own, but
        // cannot suspend, rename or delete its own tenant.
        (Role::PartnerAdmin, Relation::Own) => match perm {
            P::TenantUpdate | P::TenantDelete => Grant::Deny,
            _ => Grant::Allow,
        },
        (Role::PartnerAdmin, Relation::Descendant) => Grant::Allow,
        (Role::TenantAdmin, Relation::Own) => match perm {
            P::TenantCreate | P::TenantUpdate | P::TenantDelete => Grant::Deny,
            _ => Grant::Allow,
        },
        (Role::TenantUser, Relation::Own) => match perm {
            P::TenantRead | P::DomainRead => Grant::Allow,
            _ => Grant::Deny,
        },
        // Tenant-bound roles never reach other tenants (resolve() answers 404 first).
        _ => Grant::Deny,
    }
}

/// Platform-level operations (outside any tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformPermission {
    /// Create a tenant with no parent.
    CreateRootTenant,
    /// Read the audit log of the whole platform.
    ReadPlatformAudit,
    /// Create, change and delete the platform's carrier trunks and DID inventory.
    ManageCarriers,
    /// Read the platform's carrier trunks and DID inventory.
    ReadCarriers,
    /// Register, change and remove switch nodes, and issue their tokens.
    ManageSwitchNodes,
    /// Read the switch-node registry.
    ReadSwitchNodes,
}

pub fn grant_platform(role: Role, perm: PlatformPermission) -> Grant {
    match (role, perm) {
        (Role::PlatformAdmin, _) => Grant::Allow,
        (Role::Support, PlatformPermission::ReadPlatformAudit) => Grant::Allow,
        (Role::Support, PlatformPermission::ReadCarriers) => Grant::Allow,
        (Role::Support, PlatformPermission::ReadSwitchNodes) => Grant::Allow,
        _ => Grant::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_user_cannot_write_anything() {
        for perm in [
            Permission::TenantCreate,
            Permission::TenantUpdate,
            Permission::DomainWrite,
            Permission::UserWrite,
            Permission::ApiKeyWrite,
        ] {
            assert_eq!(grant(Role::TenantUser, Relation::Own, perm), Grant::Deny);
        }
    }

    #[test]
    fn support_writes_need_a_reason() {
        assert_eq!(
            grant(Role::Support, Relation::Platform, Permission::DomainWrite),
            Grant::AllowWithReason
        );
        assert_eq!(
            grant(Role::Support, Relation::Platform, Permission::DomainRead),
            Grant::Allow
        );
        assert_eq!(
            grant(Role::Support, Relation::Platform, Permission::TenantDelete),
            Grant::Deny
        );
    }

    #[test]
    fn partner_cannot_touch_its_own_tenant_record() {
        assert_eq!(
            grant(Role::PartnerAdmin, Relation::Own, Permission::TenantUpdate),
            Grant::Deny
        );
        assert_eq!(
            grant(
                Role::PartnerAdmin,
                Relation::Descendant,
                Permission::TenantUpdate
            ),
            Grant::Allow
        );
    }

    #[test]
    fn nobody_grants_more_than_they_hold() {
        assert!(!Role::TenantAdmin.may_grant(Role::PartnerAdmin));
        assert!(!Role::PartnerAdmin.may_grant(Role::PlatformAdmin));
        assert!(Role::PartnerAdmin.may_grant(Role::TenantAdmin));
        assert!(!Role::TenantUser.may_grant(Role::TenantUser));
    }
}
