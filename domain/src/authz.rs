//! Who may do what: roles, principals, and the one permission table.
//!
//! Every check in the system ends in [`grant`]. Whether a principal can *see* a tenant at all
//! is decided by [`crate::scope::TenantScope::resolve`] (invisible tenants answer 404); what it
//! may do inside a visible one is decided here (a refusal answers 403).

use serde::{Deserialize, Serialize};
use strum::VariantArray;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ids::TenantId;

/// The five roles (`docs/ARCHITECTURE.md`), from most to least powerful.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    Support,
    PartnerAdmin,
    TenantAdmin,
    TenantUser,
}

impl Role {
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
        Role::VARIANTS.iter().copied().find(|r| r.as_str() == s)
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

    /// Which tenants this principal can see at all; every other tenant answers 404.
    pub fn visibility(&self) -> Visibility<'_> {
        match (self.role, self.tenant_id, self.tenant_path.as_deref()) {
            (Role::PlatformAdmin | Role::Support, _, _) => Visibility::All,
            (Role::PartnerAdmin, Some(own), Some(path)) => Visibility::Subtree { own, path },
            (Role::TenantAdmin | Role::TenantUser, Some(own), _) => Visibility::Own(own),
            (Role::PartnerAdmin, _, _) | (Role::TenantAdmin | Role::TenantUser, None, _) => {
                Visibility::Nothing
            }
        }
    }

    /// A cheap check before the tenant is loaded: `false` when no tenant named `id` could be
    /// visible to this principal.
    pub fn may_see(&self, id: TenantId) -> bool {
        match self.visibility() {
            Visibility::All | Visibility::Subtree { .. } => true,
            Visibility::Own(own) => own == id,
            Visibility::Nothing => false,
        }
    }

    /// What this principal is to the tenant `id` whose materialised path is `path`; `None`
    /// when the tenant is invisible to it.
    pub fn relation_to(&self, id: TenantId, path: &str) -> Option<Relation> {
        match self.visibility() {
            Visibility::All => Some(Relation::Platform),
            Visibility::Subtree { own, .. } | Visibility::Own(own) if own == id => {
                Some(Relation::Own)
            }
            Visibility::Subtree { path: own_path, .. } if path.starts_with(own_path) => {
                Some(Relation::Descendant)
            }
            Visibility::Subtree { .. } | Visibility::Own(_) | Visibility::Nothing => None,
        }
    }
}

/// The tenants a principal can see ([`Principal::visibility`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility<'a> {
    /// Platform staff: every tenant.
    All,
    /// A partner admin: its own tenant and every tenant below it (paths starting with its own).
    Subtree { own: TenantId, path: &'a str },
    /// A tenant admin or user: its own tenant.
    Own(TenantId),
    /// A tenant-bound principal without its tenant: nothing (such a principal is never built).
    Nothing,
}

/// The principal plus what it said about this request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: Option<String>,
    /// Support staff's stated reason for acting inside a tenant (`X-Acting-Reason`).
    pub reason: Option<String>,
}

/// Self-service: a user may change the personal settings of a phone assigned to them (an
/// extension whose `user_id` is theirs), whatever their role; an API key has no phone. The
/// tenant's admins keep everything else about the extension (`Permission::PbxWrite`).
pub fn owns_phone(principal: &Principal, owner: Option<Uuid>) -> bool {
    principal.kind == PrincipalKind::User && owner == Some(principal.id)
}

/// What the principal is to the tenant it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
pub enum Relation {
    /// Platform staff: every tenant.
    Platform,
    /// The principal's own tenant.
    Own,
    /// A tenant below the principal's own (partner → customer).
    Descendant,
}

/// Route families, each read or written.
///
/// A new permission does not compile until [`Permission::parts`] says what it is about, and
/// the table test below fails until its row of grants is written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
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
    /// The tenant's background jobs (read-only: operators retry and cancel).
    JobRead,
    /// The tenant's billing account, balance and ledger.
    BillingRead,
    /// Its billing terms and ledger transactions (top-ups, adjustments, refunds): set by the
    /// tenant's parent or platform staff, never by the tenant itself.
    BillingWrite,
    /// The rate decks the tenant owns (a partner's, to sell to its customers).
    RateDeckRead,
    /// Create, import into, activate and delete the tenant's own rate decks.
    RateDeckWrite,
}

/// The answer of the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Allow,
    /// Allowed when the request states a reason, which the audit log records.
    AllowWithReason,
    Deny,
}

/// What a permission is about: the grants below are decided per object, and every
/// permission names its object explicitly in [`Permission::parts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    /// The tenant's own record (name, status).
    Record,
    /// Tenants below this one.
    Children,
    /// Deleting the tenant.
    Removal,
    /// The tenant's SIP domains (its users may read them: their phones register there).
    Domains,
    /// Everything else inside the tenant: users, API keys, audit log, PBX configuration.
    Contents,
    /// The tenant's billing account and ledger: its admins read them, the level above sets
    /// them.
    Billing,
    /// The rate decks the tenant owns: a partner prices its customers' calls with them.
    Pricing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Change,
}

impl Permission {
    const fn parts(self) -> (Object, Access) {
        use Access::{Change, Read};
        use Object::{Billing, Children, Contents, Domains, Pricing, Record, Removal};
        match self {
            Permission::TenantRead => (Record, Read),
            Permission::TenantUpdate => (Record, Change),
            Permission::TenantCreate => (Children, Change),
            Permission::TenantDelete => (Removal, Change),
            Permission::DomainRead => (Domains, Read),
            Permission::DomainWrite => (Domains, Change),
            Permission::UserRead | Permission::ApiKeyRead => (Contents, Read),
            Permission::AuditRead | Permission::PbxRead | Permission::JobRead => (Contents, Read),
            Permission::UserWrite | Permission::ApiKeyWrite | Permission::PbxWrite => {
                (Contents, Change)
            }
            Permission::BillingRead => (Billing, Read),
            Permission::BillingWrite => (Billing, Change),
            Permission::RateDeckRead => (Pricing, Read),
            Permission::RateDeckWrite => (Pricing, Change),
        }
    }
}

/// The permission table: may `role`, standing in `relation` to a tenant, do `perm` there?
///
/// Six (role, relation) pairs exist (see [`Principal::relation_to`]); every other pair is
/// refused, whatever the permission. Every arm names what it grants; none is a catch-all.
pub fn grant(role: Role, relation: Relation, perm: Permission) -> Grant {
    use Access::{Change, Read};
    use Grant::{Allow, AllowWithReason, Deny};
    use Object::{Billing, Children, Contents, Domains, Pricing, Record, Removal};
    let (object, access) = perm.parts();
    match (role, relation) {
        // Platform admins may do everything, and so may a partner below its own tenant.
        (Role::PlatformAdmin, Relation::Platform) | (Role::PartnerAdmin, Relation::Descendant) => {
            match object {
                Record | Children | Removal | Domains | Contents | Billing | Pricing => Allow,
            }
        }
        // Support reads everything and acts inside tenants with a stated reason; it doesn't
        // create or remove tenants.
        (Role::Support, Relation::Platform) => match (object, access) {
            (Record | Domains | Contents | Billing | Pricing, Read) => Allow,
            (Record | Domains | Contents | Billing | Pricing, Change) => AllowWithReason,
            (Children | Removal, Read | Change) => Deny,
        },
        // A partner manages everything inside its own tenant and creates customers below it,
        // but cannot rename, suspend or delete its own tenant.
        // Its own billing terms are set by the level above; its rate decks (what it sells
        // at) are its own.
        (Role::PartnerAdmin, Relation::Own) => match (object, access) {
            (Record | Domains | Contents | Billing | Pricing, Read)
            | (Children | Domains | Contents | Pricing, Change) => Allow,
            (Record | Removal | Billing, Change) | (Children | Removal, Read) => Deny,
        },
        // A tenant admin manages everything inside its tenant except the tenant record, and
        // has no customers (so no decks to sell at).
        (Role::TenantAdmin, Relation::Own) => match (object, access) {
            (Record | Domains | Contents | Billing, Read) | (Domains | Contents, Change) => Allow,
            (Record | Children | Removal | Billing | Pricing, Change)
            | (Children | Removal | Pricing, Read) => Deny,
        },
        // A tenant user sees its tenant and its domains; its own settings go through `/v1/me`.
        (Role::TenantUser, Relation::Own) => match (object, access) {
            (Record | Domains, Read) => Allow,
            (Children | Removal | Contents | Billing | Pricing, Read)
            | (Record | Children | Removal | Domains | Contents | Billing | Pricing, Change) => {
                Deny
            }
        },
        // Staff stand in no tenant; tenant-bound roles never reach other tenants (resolve()
        // answers 404 first) and only partners reach below their own.
        (Role::PlatformAdmin | Role::Support, Relation::Own | Relation::Descendant)
        | (Role::PartnerAdmin, Relation::Platform)
        | (Role::TenantAdmin | Role::TenantUser, Relation::Platform | Relation::Descendant) => Deny,
    }
}

/// Platform-level operations (outside any tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
pub enum PlatformPermission {
    /// Create a tenant with no parent.
    CreateRootTenant,
    /// Read the audit log of the whole platform.
    ReadPlatformAudit,
    /// Create, change and delete the platform's carrier trunks and DID inventory.
    ManageCarriers,
    /// Read the platform's carrier trunks and DID inventory.
    ReadCarriers,
    /// Read the inventory numbers held by the tenants the principal sees (partners: their
    /// subtree).
    ReadHeldDids,
    /// Register, change and remove switch nodes, and issue their tokens.
    ManageSwitchNodes,
    /// Read the switch-node registry.
    ReadSwitchNodes,
    /// Read every job of the platform.
    ReadJobs,
    /// Retry and cancel jobs.
    ManageJobs,
    /// Create, import into, activate and delete the platform's rate decks.
    ManageRateDecks,
    /// Read the platform's rate decks.
    ReadRateDecks,
    /// Start, cancel, retry and upgrade managed installs (partners: for their own tenants,
    /// which the installs service checks per tenant).
    ManageInstalls,
    /// Read managed installs (partners: their own).
    ReadInstalls,
}

/// What a platform permission is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlatformObject {
    RootTenants,
    Audit,
    Carriers,
    /// The inventory numbers held by the tenants a principal sees.
    HeldDids,
    SwitchNodes,
    Jobs,
    RateDecks,
    Installs,
}

impl PlatformPermission {
    const fn parts(self) -> (PlatformObject, Access) {
        use Access::{Change, Read};
        use PlatformObject::{
            Audit, Carriers, HeldDids, Installs, Jobs, RateDecks, RootTenants, SwitchNodes,
        };
        match self {
            Self::CreateRootTenant => (RootTenants, Change),
            Self::ReadPlatformAudit => (Audit, Read),
            Self::ManageCarriers => (Carriers, Change),
            Self::ReadCarriers => (Carriers, Read),
            Self::ReadHeldDids => (HeldDids, Read),
            Self::ManageSwitchNodes => (SwitchNodes, Change),
            Self::ReadSwitchNodes => (SwitchNodes, Read),
            Self::ReadJobs => (Jobs, Read),
            Self::ManageJobs => (Jobs, Change),
            Self::ManageRateDecks => (RateDecks, Change),
            Self::ReadRateDecks => (RateDecks, Read),
            Self::ManageInstalls => (Installs, Change),
            Self::ReadInstalls => (Installs, Read),
        }
    }
}

/// The platform-level table, as explicit as [`grant`].
pub fn grant_platform(role: Role, perm: PlatformPermission) -> Grant {
    use Access::{Change, Read};
    use PlatformObject::{
        Audit, Carriers, HeldDids, Installs, Jobs, RateDecks, RootTenants, SwitchNodes,
    };
    let (object, access) = perm.parts();
    match (role, access) {
        (Role::PlatformAdmin, Read | Change) => Grant::Allow,
        // Support reads the platform and changes none of it.
        (Role::Support, Read) => Grant::Allow,
        (Role::Support, Change) => Grant::Deny,
        // A partner reads the inventory numbers its subtree holds, nothing else of the platform.
        // and runs managed installs for its own tenants (the installs service checks that
        // every tenant of an install is in the partner's subtree).
        (Role::PartnerAdmin, Read) => match object {
            HeldDids | Installs => Grant::Allow,
            RootTenants | Audit | Carriers | SwitchNodes | Jobs | RateDecks => Grant::Deny,
        },
        (Role::PartnerAdmin, Change) => match object {
            Installs => Grant::Allow,
            RootTenants | Audit | Carriers | HeldDids | SwitchNodes | Jobs | RateDecks => {
                Grant::Deny
            }
        },
        (Role::TenantAdmin | Role::TenantUser, Read | Change) => Grant::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Grant::{Allow as A, AllowWithReason as R, Deny as D};

    /// The (role, relation) pairs that exist, in the column order of [`TABLE`].
    const COLUMNS: [(Role, Relation); 6] = [
        (Role::PlatformAdmin, Relation::Platform),
        (Role::Support, Relation::Platform),
        (Role::PartnerAdmin, Relation::Own),
        (Role::PartnerAdmin, Relation::Descendant),
        (Role::TenantAdmin, Relation::Own),
        (Role::TenantUser, Relation::Own),
    ];

    /// The whole tenant permission table, written out. A: allow, R: allow with a stated
    /// reason, D: deny. A permission missing here fails `every_permission_is_decided`.
    #[rustfmt::skip]
    const TABLE: [(Permission, [Grant; 6]); 18] = [
        //                          platform  support  partner  partner     tenant  tenant
        //                          admin              own      descendant  admin   user
        (Permission::TenantRead,    [A,       A,       A,       A,          A,      A]),
        (Permission::TenantCreate,  [A,       D,       A,       A,          D,      D]),
        (Permission::TenantUpdate,  [A,       R,       D,       A,          D,      D]),
        (Permission::TenantDelete,  [A,       D,       D,       A,          D,      D]),
        (Permission::DomainRead,    [A,       A,       A,       A,          A,      A]),
        (Permission::DomainWrite,   [A,       R,       A,       A,          A,      D]),
        (Permission::UserRead,      [A,       A,       A,       A,          A,      D]),
        (Permission::UserWrite,     [A,       R,       A,       A,          A,      D]),
        (Permission::ApiKeyRead,    [A,       A,       A,       A,          A,      D]),
        (Permission::ApiKeyWrite,   [A,       R,       A,       A,          A,      D]),
        (Permission::AuditRead,     [A,       A,       A,       A,          A,      D]),
        (Permission::PbxRead,       [A,       A,       A,       A,          A,      D]),
        (Permission::PbxWrite,      [A,       R,       A,       A,          A,      D]),
        (Permission::JobRead,       [A,       A,       A,       A,          A,      D]),
        (Permission::BillingRead,   [A,       A,       A,       A,          A,      D]),
        (Permission::BillingWrite,  [A,       R,       D,       A,          D,      D]),
        (Permission::RateDeckRead,  [A,       A,       A,       A,          D,      D]),
        (Permission::RateDeckWrite, [A,       R,       A,       A,          D,      D]),
    ];

    /// The platform-level table, written out; columns in `Role::VARIANTS` order.
    #[rustfmt::skip]
    const PLATFORM_TABLE: [(PlatformPermission, [Grant; 5]); 13] = [
        //                                       platform  support  partner  tenant  tenant
        //                                       admin              admin    admin   user
        (PlatformPermission::CreateRootTenant,   [A,       D,       D,       D,      D]),
        (PlatformPermission::ReadPlatformAudit,  [A,       A,       D,       D,      D]),
        (PlatformPermission::ManageCarriers,     [A,       D,       D,       D,      D]),
        (PlatformPermission::ReadCarriers,       [A,       A,       D,       D,      D]),
        (PlatformPermission::ReadHeldDids,       [A,       A,       A,       D,      D]),
        (PlatformPermission::ManageSwitchNodes,  [A,       D,       D,       D,      D]),
        (PlatformPermission::ReadSwitchNodes,    [A,       A,       D,       D,      D]),
        (PlatformPermission::ReadJobs,           [A,       A,       D,       D,      D]),
        (PlatformPermission::ManageJobs,         [A,       D,       D,       D,      D]),
        (PlatformPermission::ManageRateDecks,    [A,       D,       D,       D,      D]),
        (PlatformPermission::ReadRateDecks,      [A,       A,       D,       D,      D]),
        (PlatformPermission::ManageInstalls,     [A,       D,       A,       D,      D]),
        (PlatformPermission::ReadInstalls,       [A,       A,       A,       D,      D]),
    ];

    #[test]
    fn every_permission_is_decided() {
        for perm in Permission::VARIANTS {
            let rows = TABLE.iter().filter(|(p, _)| p == perm).count();
            assert_eq!(rows, 1, "{perm:?} needs exactly one row in TABLE");
        }
        for perm in PlatformPermission::VARIANTS {
            let rows = PLATFORM_TABLE.iter().filter(|(p, _)| p == perm).count();
            assert_eq!(rows, 1, "{perm:?} needs exactly one row in PLATFORM_TABLE");
        }
    }

    /// Every permission × every role × every relation: the pairs of [`COLUMNS`] answer as
    /// the table says, every other pair is refused.
    #[test]
    fn grant_matches_the_table_for_every_role_and_relation() {
        for (perm, row) in TABLE {
            for role in Role::VARIANTS.iter().copied() {
                for relation in Relation::VARIANTS.iter().copied() {
                    let expected = COLUMNS
                        .iter()
                        .position(|c| *c == (role, relation))
                        .map_or(D, |i| row[i]);
                    assert_eq!(
                        grant(role, relation, perm),
                        expected,
                        "{perm:?} for {role:?} on {relation:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn grant_platform_matches_the_table_for_every_role() {
        assert_eq!(Role::VARIANTS[0], Role::PlatformAdmin);
        assert_eq!(Role::VARIANTS[4], Role::TenantUser);
        for (perm, row) in PLATFORM_TABLE {
            for (role, expected) in Role::VARIANTS.iter().copied().zip(row) {
                assert_eq!(
                    grant_platform(role, perm),
                    expected,
                    "{perm:?} for {role:?}"
                );
            }
        }
    }

    fn principal(role: Role, tenant: Option<(TenantId, &str)>) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            id: Uuid::now_v7(),
            role,
            tenant_id: tenant.map(|t| t.0),
            tenant_path: tenant.map(|t| t.1.to_owned()),
        }
    }

    #[test]
    fn relation_follows_visibility() {
        let own = TenantId(Uuid::now_v7());
        let child = TenantId(Uuid::now_v7());
        let other = TenantId(Uuid::now_v7());
        let own_path = format!("/{}/", own.0);
        let child_path = format!("{own_path}{}/", child.0);
        let other_path = format!("/{}/", other.0);
        let staff = principal(Role::Support, None);
        let partner = principal(Role::PartnerAdmin, Some((own, &own_path)));
        let admin = principal(Role::TenantAdmin, Some((own, &own_path)));
        let orphan = principal(Role::TenantAdmin, None);
        let cases = [
            (&staff, own, &own_path, Some(Relation::Platform)),
            (&partner, own, &own_path, Some(Relation::Own)),
            (&partner, child, &child_path, Some(Relation::Descendant)),
            (&partner, other, &other_path, None),
            (&admin, own, &own_path, Some(Relation::Own)),
            (&admin, child, &child_path, None),
            (&orphan, own, &own_path, None),
        ];
        for (who, id, path, expected) in cases {
            assert_eq!(
                who.relation_to(id, path),
                expected,
                "{:?} on {path}",
                who.role
            );
            // The cheap pre-check never hides a tenant the full check would show.
            if expected.is_some() {
                assert!(who.may_see(id));
            }
        }
        assert!(!admin.may_see(child));
        assert!(partner.may_see(other), "partners need the path to decide");
    }

    #[test]
    fn nobody_grants_more_than_they_hold() {
        assert!(!Role::TenantAdmin.may_grant(Role::PartnerAdmin));
        assert!(!Role::PartnerAdmin.may_grant(Role::PlatformAdmin));
        assert!(Role::PartnerAdmin.may_grant(Role::TenantAdmin));
        assert!(!Role::TenantUser.may_grant(Role::TenantUser));
    }
}
