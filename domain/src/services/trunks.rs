//! Trunks: the SIP gateways calls leave through. The platform's carrier trunks
//! (`/v1/trunks`, platform admins write, support reads) and tenants' own trunks
//! (`/v1/tenants/{t}/trunks`, PBX permissions) share one table and one id space, told apart
//! by `tenant_id` (NULL for carriers), so an outbound route can fail over from a tenant's
//! own trunk to a carrier's.
//!
//! The password must be sent to the carrier, so it cannot be hashed (rule 5 of `docs/ARCHITECTURE.md`):
//! it is sealed with [`SecretBox`] under `trunk_secret_key` and never returned; views carry
//! `has_password` only. Storing a password while no key is configured answers **503
//! `unavailable`**: the request is fine, the platform is not set up to keep it safely; the
//! operator must configure the key (a trunk without a password can be created meanwhile).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    core::Core,
    entities::{outbound_route_trunk, trunk},
    error::{DomainError, DomainResult, FieldError},
    pagination::PageRequest,
    scope::TenantScope,
    secretbox::SecretBox,
    services::{audit, check_version, from_stored, versioned},
    validate::double_option,
    validate::{Errors, Hostname, display_text, host_or_address},
};

/// SIP transport towards the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrunkView {
    pub id: Uuid,
    /// The owning tenant; `null` for a platform carrier trunk.
    pub tenant_id: Option<Uuid>,
    pub name: String,
    /// Hostname or IP address of the gateway.
    pub host: String,
    pub port: i32,
    pub transport: Transport,
    pub username: Option<String>,
    /// Whether a password is stored (it is never shown).
    pub has_password: bool,
    /// Whether Centralita registers to the gateway (needs username and password).
    pub register: bool,
    pub realm: Option<String>,
    pub from_domain: Option<String>,
    /// Concurrent calls allowed through the trunk; `null` for no limit.
    pub max_channels: Option<i32>,
    pub enabled: bool,
    /// A carrier trunk's buy deck (a platform rate deck): what the carrier charges per
    /// call, which orders the trunks of a route cheapest first. Always `null` on a tenant's
    /// own trunk.
    pub buy_deck_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl TrunkView {
    /// The view of a stored row; a transport that does not parse is a logged internal
    /// error, never taken for UDP (which would send a TLS trunk's calls in clear).
    fn new(m: &trunk::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            tenant_id: m.tenant_id,
            name: m.name.clone(),
            host: m.host.clone(),
            port: m.port,
            transport: from_stored("trunks.transport", &m.transport)?,
            username: m.username.clone(),
            has_password: m.password_sealed.is_some(),
            register: m.register,
            realm: m.realm.clone(),
            from_domain: m.from_domain.clone(),
            max_channels: m.max_channels,
            enabled: m.enabled,
            buy_deck_id: m.buy_deck_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(TrunkPage, TrunkView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrunk {
    /// 1-200 characters, unique among the owner's trunks.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Hostname (`sip.carrier.example`) or IP address.
    pub host: String,
    /// 1-65535 (default 5060).
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<i32>,
    /// Default `udp`.
    pub transport: Option<Transport>,
    pub username: Option<String>,
    /// Stored encrypted, never returned. Needs `trunk_secret_key` configured (503 otherwise).
    pub password: Option<String>,
    /// Default false; true needs `username` and `password`.
    pub register: Option<bool>,
    pub realm: Option<String>,
    pub from_domain: Option<String>,
    /// 1-100000; absent for no limit.
    #[schema(minimum = 1, maximum = 100000)]
    pub max_channels: Option<i32>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Carrier trunks only: a platform rate deck.
    pub buy_deck_id: Option<Uuid>,
}

/// JSON merge patch of a trunk; `null` clears a nullable field (`password: null` removes the
/// stored password).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrunk {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub host: Option<String>,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<i32>,
    pub transport: Option<Transport>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    pub register: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub realm: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub from_domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 100000)]
    pub max_channels: Option<Option<i32>>,
    pub enabled: Option<bool>,
    /// Carrier trunks only: a platform rate deck; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub buy_deck_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrunkListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub transport: Option<Transport>,
}

/// Whose trunks an operation is about.
enum Owner<'a> {
    Platform(&'a Actor),
    Tenant(&'a TenantScope),
}

impl Owner<'_> {
    fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Owner::Platform(_) => None,
            Owner::Tenant(s) => Some(s.tenant().id),
        }
    }

    fn actor(&self) -> &Actor {
        match self {
            Owner::Platform(a) => a,
            Owner::Tenant(s) => s.actor(),
        }
    }

    fn authorize(&self, write: bool) -> DomainResult<()> {
        match self {
            Owner::Tenant(s) => s.authorize(if write {
                Permission::PbxWrite
            } else {
                Permission::PbxRead
            }),
            Owner::Platform(a) => {
                let perm = if write {
                    PlatformPermission::ManageCarriers
                } else {
                    PlatformPermission::ReadCarriers
                };
                match grant_platform(a.principal.role, perm) {
                    Grant::Allow => Ok(()),
                    _ => Err(DomainError::forbidden(if write {
                        "Only platform admins manage carrier trunks"
                    } else {
                        "Only platform staff see carrier trunks"
                    })),
                }
            }
        }
    }

    /// The owner's trunks and nothing else.
    fn select(&self) -> Select<trunk::Entity> {
        match self {
            Owner::Platform(_) => trunk::Entity::find().filter(trunk::Column::TenantId.is_null()),
            Owner::Tenant(s) => s.select::<trunk::Entity>(),
        }
    }

    async fn find<C: ConnectionTrait>(&self, db: &C, id: Uuid) -> DomainResult<trunk::Model> {
        self.select()
            .filter(trunk::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("trunk"))
    }
}

/// A tenant's trunk changes go to its log; carrier trunk changes to the platform's.
impl audit::Author for Owner<'_> {
    fn actor(&self) -> &Actor {
        Owner::actor(self)
    }

    fn audit_tenant(&self) -> Option<Uuid> {
        self.tenant_id()
    }
}

/// The key that seals trunk passwords, or 503 saying what the operator must configure.
fn secret_box(core: &Core) -> DomainResult<SecretBox> {
    SecretBox::configured(
        core,
        "password",
        "Trunk passwords",
        "a trunk without a password can be created meanwhile",
    )
}

fn check_port(errors: &mut Errors, port: i32) {
    if !(1..=65535).contains(&port) {
        errors.push(FieldError::new("port", "out_of_range", "must be 1-65535"));
    }
}

fn check_max_channels(errors: &mut Errors, n: Option<i32>) {
    if let Some(n) = n
        && !(1..=100_000).contains(&n)
    {
        errors.push(FieldError::new(
            "max_channels",
            "out_of_range",
            "must be 1-100000, or null for no limit",
        ));
    }
}

/// A SIP credential part: 1-128 visible characters, no whitespace or control characters.
fn credential(errors: &mut Errors, field: &str, raw: &str) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.chars().count() <= 128
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Some(raw.to_owned())
    } else {
        errors.push(FieldError::new(
            field,
            "invalid_credential",
            "must be 1-128 characters without spaces or control characters",
        ));
        None
    }
}

fn optional_host(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    raw.and_then(|v| {
        errors
            .check(Hostname::parse(field, v))
            .map(Hostname::into_inner)
    })
}

fn check_register(errors: &mut Errors, register: bool, username: bool, password: bool) {
    if register && !(username && password) {
        errors.push(FieldError::new(
            "register",
            "needs_credentials",
            "registering to the gateway needs a username and a password",
        ));
    }
}

/// A buy deck is for carrier trunks, and must be a platform deck.
async fn check_buy_deck<C: ConnectionTrait>(
    owner: &Owner<'_>,
    db: &C,
    deck: Option<Uuid>,
) -> DomainResult<()> {
    let Some(deck) = deck else {
        return Ok(());
    };
    if owner.tenant_id().is_some() {
        return Err(DomainError::field(
            "buy_deck_id",
            "carrier_only",
            "only the platform's carrier trunks have a buy deck",
        ));
    }
    if crate::services::rate_decks::buyable(db, deck)
        .await?
        .is_none()
    {
        return Err(DomainError::field(
            "buy_deck_id",
            "unknown_deck",
            "no such platform rate deck",
        ));
    }
    Ok(())
}

async fn ensure_name_free<C: ConnectionTrait>(
    owner: &Owner<'_>,
    db: &C,
    name: &str,
    except: Option<Uuid>,
) -> DomainResult<()> {
    let mut q = owner.select().filter(trunk::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(trunk::Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(DomainError::taken(
            "name",
            "is already used by another trunk",
        ));
    }
    Ok(())
}

async fn list_for(
    owner: Owner<'_>,
    core: &Core,
    query: &TrunkListQuery,
) -> DomainResult<TrunkPage> {
    owner.authorize(false)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = owner.select();
    if let Some(n) = &query.name {
        select = select.filter(trunk::Column::Name.eq(n.clone()));
    }
    if let Some(e) = query.enabled {
        select = select.filter(trunk::Column::Enabled.eq(e));
    }
    if let Some(t) = query.transport {
        select = select.filter(trunk::Column::Transport.eq(t.as_str()));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, trunk::Column::Id, |m| m.id)
        .await?;
    Ok(TrunkPage {
        items: rows
            .iter()
            .map(TrunkView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

async fn create_for(owner: Owner<'_>, core: &Core, input: CreateTrunk) -> DomainResult<TrunkView> {
    owner.authorize(true)?;
    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    let host = host_or_address(&mut errors, "host", &input.host);
    let port = input.port.unwrap_or(5060);
    check_port(&mut errors, port);
    let username = input
        .username
        .as_deref()
        .and_then(|u| credential(&mut errors, "username", u));
    let password = input
        .password
        .as_deref()
        .and_then(|p| credential(&mut errors, "password", p));
    let register = input.register.unwrap_or(false);
    check_register(
        &mut errors,
        register,
        input.username.is_some(),
        input.password.is_some(),
    );
    let realm = optional_host(&mut errors, "realm", input.realm.as_deref());
    let from_domain = optional_host(&mut errors, "from_domain", input.from_domain.as_deref());
    check_max_channels(&mut errors, input.max_channels);
    errors.finish()?;
    let (Some(name), Some(host)) = (name, host) else {
        return Err(DomainError::internal("validated trunk fields missing"));
    };
    let password_sealed = match &password {
        Some(p) => Some(secret_box(core)?.seal(p)?),
        None => None,
    };

    let txn = core.begin().await?;
    ensure_name_free(&owner, &txn, &name, None).await?;
    check_buy_deck(&owner, &txn, input.buy_deck_id).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let model = trunk::ActiveModel {
        id: Set(id),
        tenant_id: Set(owner.tenant_id()),
        name: Set(name),
        host: Set(host),
        port: Set(port),
        transport: Set(input.transport.unwrap_or(Transport::Udp).as_str().into()),
        username: Set(username),
        password_sealed: Set(password_sealed),
        register: Set(register),
        realm: Set(realm),
        from_domain: Set(from_domain),
        max_channels: Set(input.max_channels),
        enabled: Set(input.enabled.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        buy_deck_id: Set(input.buy_deck_id),
    }
    .insert(&txn)
    .await?;
    let view = TrunkView::new(&model)?;
    audit::record_change(&txn, &owner, "trunk.create", "trunk", id, None, Some(&view)).await?;
    txn.commit().await?;
    Ok(view)
}

async fn get_for(owner: Owner<'_>, core: &Core, id: Uuid) -> DomainResult<TrunkView> {
    owner.authorize(false)?;
    TrunkView::new(&owner.find(&core.db, id).await?)
}

async fn update_for(
    owner: Owner<'_>,
    core: &Core,
    id: Uuid,
    input: UpdateTrunk,
    if_match: Option<i64>,
) -> DomainResult<TrunkView> {
    owner.authorize(true)?;
    let txn = core.begin().await?;
    let current = owner.find(&txn, id).await?;
    check_version(current.version, if_match)?;
    let before = TrunkView::new(&current)?;

    let mut errors = Errors::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    let host = input
        .host
        .as_deref()
        .and_then(|h| host_or_address(&mut errors, "host", h));
    if let Some(p) = input.port {
        check_port(&mut errors, p);
    }
    let username = input.username.as_ref().map(|u| {
        u.as_deref()
            .and_then(|u| credential(&mut errors, "username", u))
    });
    let password = input.password.as_ref().map(|p| {
        p.as_deref()
            .and_then(|p| credential(&mut errors, "password", p))
    });
    let realm = input
        .realm
        .as_ref()
        .map(|r| optional_host(&mut errors, "realm", r.as_deref()));
    let from_domain = input
        .from_domain
        .as_ref()
        .map(|r| optional_host(&mut errors, "from_domain", r.as_deref()));
    if let Some(m) = input.max_channels {
        check_max_channels(&mut errors, m);
    }
    let register = input.register.unwrap_or(current.register);
    let has_username = match &input.username {
        Some(u) => u.is_some(),
        None => current.username.is_some(),
    };
    let has_password = match &input.password {
        Some(p) => p.is_some(),
        None => current.password_sealed.is_some(),
    };
    check_register(&mut errors, register, has_username, has_password);
    errors.finish()?;

    let mut am: trunk::ActiveModel = current.clone().into();
    if let Some(n) = name {
        if n != current.name {
            ensure_name_free(&owner, &txn, &n, Some(id)).await?;
        }
        am.name.set_if_not_equals(n);
    }
    if let Some(h) = host {
        am.host.set_if_not_equals(h);
    }
    if let Some(p) = input.port {
        am.port.set_if_not_equals(p);
    }
    if let Some(t) = input.transport {
        am.transport.set_if_not_equals(t.as_str().into());
    }
    if let Some(u) = username {
        am.username.set_if_not_equals(u);
    }
    match password {
        Some(Some(p)) => {
            let sbox = secret_box(core)?;
            // The same password again is no change: sealing it anew would bump the version.
            let same = current
                .password_sealed
                .as_deref()
                .is_some_and(|s| sbox.open(s).is_ok_and(|old| old == p));
            if !same {
                am.password_sealed = Set(Some(sbox.seal(&p)?));
            }
        }
        Some(None) => am.password_sealed.set_if_not_equals(None),
        None => {}
    }
    if let Some(r) = input.register {
        am.register.set_if_not_equals(r);
    }
    if let Some(r) = realm {
        am.realm.set_if_not_equals(r);
    }
    if let Some(f) = from_domain {
        am.from_domain.set_if_not_equals(f);
    }
    if let Some(m) = input.max_channels {
        am.max_channels.set_if_not_equals(m);
    }
    if let Some(e) = input.enabled {
        am.enabled.set_if_not_equals(e);
    }
    if let Some(deck) = input.buy_deck_id {
        check_buy_deck(&owner, &txn, deck).await?;
        am.buy_deck_id.set_if_not_equals(deck);
    }
    // `owner.find` has placed the row within the owner's reach; id and version suffice.
    let Some(updated) = versioned::write_next_version_unscoped(&txn, &current, am, "trunk").await?
    else {
        return Ok(before);
    };
    let view = TrunkView::new(&updated)?;
    audit::record_change(
        &txn,
        &owner,
        "trunk.update",
        "trunk",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// 409 naming every outbound route (of any tenant) and DID that still uses the trunk.
async fn ensure_unused<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<()> {
    let mut users: Vec<FieldError> = outbound_route_trunk::Entity::find()
        .filter(outbound_route_trunk::Column::TrunkId.eq(id))
        .all(db)
        .await?
        .iter()
        .map(|r| {
            FieldError::new(
                format!("outbound_route/{}", r.route_id),
                "still_referenced",
                format!(
                    "outbound route {} (tenant {}) sends calls through this trunk",
                    r.route_id, r.tenant_id
                ),
            )
        })
        .collect();
    users.extend(extra_users(db, id).await?);
    if users.is_empty() {
        return Ok(());
    }
    let mut err = DomainError::conflict(format!(
        "The trunk is still used by {} object(s); change them first",
        users.len()
    ));
    err.errors = users;
    Err(err)
}

/// Users of a trunk other than outbound routes: the DIDs arriving on it.
async fn extra_users<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<Vec<FieldError>> {
    crate::services::dids::using_trunk(db, id).await
}

async fn delete_for(
    owner: Owner<'_>,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    owner.authorize(true)?;
    let txn = core.begin().await?;
    let current = owner.find(&txn, id).await?;
    check_version(current.version, if_match)?;
    ensure_unused(&txn, id).await?;
    trunk::Entity::delete_many()
        .filter(trunk::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let before = TrunkView::new(&current)?;
    audit::record_change(
        &txn,
        &owner,
        "trunk.delete",
        "trunk",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A trunk the tenant's routes may use: its own, or a platform carrier trunk.
pub(crate) async fn usable_by<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    id: Uuid,
) -> DomainResult<Option<trunk::Model>> {
    let found = trunk::Entity::find_by_id(id).one(db).await?;
    Ok(found.filter(|t| t.tenant_id.is_none() || t.tenant_id == Some(scope.tenant().id)))
}

/// A platform carrier trunk by id, if it exists.
pub(crate) async fn carrier<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> DomainResult<Option<trunk::Model>> {
    Ok(trunk::Entity::find_by_id(id)
        .filter(trunk::Column::TenantId.is_null())
        .one(db)
        .await?)
}

// Platform carrier trunks.

pub async fn platform_list(
    core: &Core,
    actor: &Actor,
    query: &TrunkListQuery,
) -> DomainResult<TrunkPage> {
    list_for(Owner::Platform(actor), core, query).await
}

pub async fn platform_create(
    core: &Core,
    actor: &Actor,
    input: CreateTrunk,
) -> DomainResult<TrunkView> {
    create_for(Owner::Platform(actor), core, input).await
}

pub async fn platform_get(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<TrunkView> {
    get_for(Owner::Platform(actor), core, id).await
}

pub async fn platform_update(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: UpdateTrunk,
    if_match: Option<i64>,
) -> DomainResult<TrunkView> {
    update_for(Owner::Platform(actor), core, id, input, if_match).await
}

pub async fn platform_delete(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    delete_for(Owner::Platform(actor), core, id, if_match).await
}

/// Checks the platform write permission before the body is parsed, so a forbidden write is
/// a 403 whatever it sends.
pub fn authorize_platform_write(actor: &Actor) -> DomainResult<()> {
    Owner::Platform(actor).authorize(true)
}

// A tenant's own trunks.

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &TrunkListQuery,
) -> DomainResult<TrunkPage> {
    list_for(Owner::Tenant(scope), core, query).await
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateTrunk,
) -> DomainResult<TrunkView> {
    create_for(Owner::Tenant(scope), core, input).await
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<TrunkView> {
    get_for(Owner::Tenant(scope), core, id).await
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateTrunk,
    if_match: Option<i64>,
) -> DomainResult<TrunkView> {
    update_for(Owner::Tenant(scope), core, id, input, if_match).await
}

pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    delete_for(Owner::Tenant(scope), core, id, if_match).await
}
