//! The switch-node registry and node authentication.
//!
//! A node token looks like `sn_<12 hex>_<64 hex>`: recognisable, looked up by its prefix,
//! stored only as a SHA-256 digest, shown once at registration and at rotation. Node
//! tokens open the `/v1/switch/*` surface and nothing else; user tokens and API keys never
//! open it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, PlatformPermission, grant_platform},
    core::Core,
    entities::switch_node,
    error::{DomainError, DomainResult, ErrorCode, FieldError},
    pagination::PageRequest,
    secretbox::SecretBox,
    services::{audit, check_version, from_json, from_stored, versioned},
    switch::cache::CacheKey,
    switch::provisioning::{self, node::KamailioSettings},
    tokens::{digests_equal, random_hex, sha256_hex},
    validate::{Errors, display_text},
};

pub const NODE_TOKEN_PREFIX: &str = "sn_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SwitchKind {
    Kamailio,
}

impl SwitchKind {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Kamailio => "kamailio",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    Active,
    /// Its token is refused.
    Disabled,
}

impl NodeStatus {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SwitchNodeView {
    pub id: Uuid,
    pub name: String,
    pub kind: SwitchKind,
    pub addresses: Vec<String>,
    pub status: NodeStatus,
    /// Public start of the node's token (`sn_<prefix>_…`).
    pub token_prefix: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The media server the node relays voicemail, IVR, queue and conference calls to.
    pub media_server_uri: Option<String>,
    /// Whether Centralita provisions the node, and how that goes.
    pub provisioning: ProvisioningView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A node's provisioning: configured or not, and what the last reconciles did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvisioningView {
    /// Whether the node's Kamailio settings (database and JSON-RPC URLs) are set; they are
    /// never shown.
    pub configured: bool,
    /// When a reconcile last applied Centralita's state to the node.
    pub last_applied_at: Option<DateTime<Utc>>,
    /// Why the last reconcile failed; cleared by the next success.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Rows found changed on the node behind Centralita's back, and repaired, so far.
    pub drift_repaired_total: i64,
}

impl SwitchNodeView {
    /// The view of a stored row. A kind, status or address list that does not parse is a
    /// logged internal error: a node whose status cannot be read is not shown as active.
    pub fn new(m: &switch_node::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            name: m.name.clone(),
            kind: from_stored("switch_nodes.kind", &m.kind)?,
            addresses: from_json(&m.addresses)?,
            status: from_stored("switch_nodes.status", &m.status)?,
            token_prefix: m.token_prefix.clone(),
            last_seen_at: m.last_seen_at,
            media_server_uri: m.media_server_uri.clone(),
            provisioning: ProvisioningView {
                configured: m.kamailio_settings_sealed.is_some(),
                last_applied_at: m.provisioned_at,
                last_error: m.provision_error.clone(),
                last_error_at: m.provision_error_at,
                drift_repaired_total: m.drift_repaired_total,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// What a node is told about itself (`GET /v1/switch/node`): the settings it runs calls
/// with, managed here rather than on each host.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeSelf {
    pub id: Uuid,
    pub name: String,
    /// Where to relay voicemail, IVR, queue and conference calls; `null`: the node's own
    /// setting (`start.sh --media-uri`).
    pub media_server_uri: Option<String>,
    /// The carriers' addresses: every enabled platform trunk whose host is an IP address.
    /// An INVITE from one of them is a carrier delivering a call to a DID (no digest). Only
    /// platform staff manage these trunks: a tenant's own trunk never makes an address a
    /// carrier. Trunks named by host name are left out (the edge does no DNS on its hot
    /// path); list such carriers with `start.sh --carrier-nets`.
    pub carrier_addresses: Vec<String>,
}

/// The asking node's settings, with the carriers' addresses as they are now.
pub async fn node_self(core: &Core, node: &switch_node::Model) -> DomainResult<NodeSelf> {
    let hosts: Vec<String> = crate::entities::trunk::Entity::find()
        .filter(crate::entities::trunk::Column::TenantId.is_null())
        .filter(crate::entities::trunk::Column::Enabled.eq(true))
        .select_only()
        .column(crate::entities::trunk::Column::Host)
        .into_tuple()
        .all(&core.db)
        .await?;
    let mut carrier_addresses: Vec<String> = hosts
        .iter()
        .filter_map(|h| h.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_string())
        .collect();
    carrier_addresses.sort();
    carrier_addresses.dedup();
    Ok(NodeSelf {
        id: node.id,
        name: node.name.clone(),
        media_server_uri: node.media_server_uri.clone(),
        carrier_addresses,
    })
}

/// Registration and rotation answer: the only time the token is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SwitchNodeCreated {
    #[serde(flatten)]
    pub node: SwitchNodeView,
    /// The node token. Configure the node with it now: it cannot be shown again.
    pub token: String,
}

crate::page_type!(SwitchNodePage, SwitchNodeView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSwitchNode {
    /// Unique name, 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: SwitchKind,
    /// IP addresses or host names of the node (1-16).
    #[schema(min_items = 1, max_items = 16)]
    pub addresses: Vec<String>,
    /// Where Centralita provisions the node (its Kamailio database and JSON-RPC). Stored
    /// encrypted (needs `trunk_secret_key`), never returned.
    pub kamailio: Option<KamailioSettings>,
    /// The media server the node relays voicemail, IVR, queue and conference calls to:
    /// `sip:host[:port]` (host an IP address or a name; `;transport=udp|tcp|tls` allowed).
    /// The node reads it from `GET /v1/switch/node`.
    pub media_server_uri: Option<String>,
}

/// JSON merge patch of a switch node.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSwitchNode {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(min_items = 1, max_items = 16)]
    pub addresses: Option<Vec<String>>,
    pub status: Option<NodeStatus>,
    /// Replaces the provisioning settings; `null` stops provisioning the node.
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    pub kamailio: Option<Option<KamailioSettings>>,
    /// `sip:host[:port]`; `null` leaves media calls to the node's own setting.
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    pub media_server_uri: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SwitchNodeListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// Platform staff only (the permission table says which role may do what).
pub(crate) fn require(actor: &Actor, perm: PlatformPermission) -> DomainResult<()> {
    if grant_platform(actor.principal.role, perm) == Grant::Allow {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "Only platform staff manage switch nodes",
        ))
    }
}

fn check_addresses(errors: &mut Errors, raw: &[String]) -> Vec<String> {
    if raw.is_empty() || raw.len() > 16 {
        errors.push(FieldError::new(
            "addresses",
            "out_of_range",
            "give 1-16 addresses",
        ));
    }
    let mut out = Vec::new();
    for (i, a) in raw.iter().enumerate() {
        let a = a.trim();
        if a.parse::<std::net::IpAddr>().is_ok() {
            out.push(a.to_owned());
        } else if let Some(h) = errors.check(crate::validate::Hostname::parse(
            &format!("addresses[{i}]"),
            a,
        )) {
            out.push(h.into_inner());
        }
    }
    out
}

/// A media server's SIP URI: `sip:` or `sips:`, a host (IP address or name), an optional
/// port and an optional transport. Nothing else: the node puts it in a Request-URI.
fn check_media_uri(errors: &mut Errors, raw: &str) -> Option<String> {
    let bad = |errors: &mut Errors| {
        errors.push(FieldError::new(
            "media_server_uri",
            "invalid_uri",
            "must be sip:host[:port][;transport=udp|tcp|tls]",
        ));
        None
    };
    let raw = raw.trim();
    let Some((scheme, rest)) = raw.split_once(':') else {
        return bad(errors);
    };
    if !matches!(scheme, "sip" | "sips") || raw.len() > 300 {
        return bad(errors);
    }
    let (hostport, params) = match rest.split_once(';') {
        Some((hp, p)) => (hp, Some(p)),
        None => (rest, None),
    };
    if !matches!(
        params,
        None | Some("transport=udp" | "transport=tcp" | "transport=tls")
    ) {
        return bad(errors);
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    };
    let host_ok = host.parse::<std::net::Ipv4Addr>().is_ok()
        || crate::validate::Hostname::parse("media_server_uri", host).is_ok();
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if !host_ok || !port_ok {
        return bad(errors);
    }
    Some(raw.to_owned())
}

fn check_settings(errors: &mut Errors, settings: Option<&KamailioSettings>) {
    if let Some(Err(found)) = settings.map(KamailioSettings::validate) {
        for e in found {
            errors.push(e);
        }
    }
}

/// The settings sealed for storage (`None` stays `None`).
fn seal_settings(core: &Core, settings: Option<&KamailioSettings>) -> DomainResult<Option<String>> {
    let Some(settings) = settings else {
        return Ok(None);
    };
    let sbox = SecretBox::configured(
        core,
        "kamailio",
        "Switch-node settings",
        "register the node without them meanwhile",
    )?;
    let plain = serde_json::to_string(settings).map_err(DomainError::internal)?;
    Ok(Some(sbox.seal(&plain)?))
}

/// The node's Kamailio settings, opened; `None` when it is not provisioned. A sealed value
/// that does not open (key changed or lost) is an error, never "not provisioned".
pub(crate) fn settings(
    core: &Core,
    node: &switch_node::Model,
) -> DomainResult<Option<KamailioSettings>> {
    let Some(sealed) = &node.kamailio_settings_sealed else {
        return Ok(None);
    };
    let sbox = SecretBox::configured(
        core,
        "kamailio",
        "Switch-node settings",
        "until then the node cannot be provisioned",
    )?;
    let plain = sbox.open(sealed).map_err(|e| {
        DomainError::new(
            ErrorCode::Internal,
            format!(
                "the settings of switch node {} do not open with trunk_secret_key: {e}",
                node.id
            ),
        )
    })?;
    serde_json::from_str(&plain)
        .map_err(DomainError::internal)
        .map(Some)
}

fn new_token() -> (String, String) {
    let prefix = random_hex(6);
    let token = format!("{NODE_TOKEN_PREFIX}{prefix}_{}", random_hex(32));
    (prefix, token)
}

pub async fn list(
    core: &Core,
    actor: &Actor,
    query: &SwitchNodeListQuery,
) -> DomainResult<SwitchNodePage> {
    require(actor, PlatformPermission::ReadSwitchNodes)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = page
        .fetch(
            &core.db,
            switch_node::Entity::find(),
            switch_node::Column::Id,
            |m| m.id,
        )
        .await?;
    Ok(SwitchNodePage {
        items: rows
            .iter()
            .map(SwitchNodeView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    core: &Core,
    actor: &Actor,
    input: CreateSwitchNode,
) -> DomainResult<SwitchNodeCreated> {
    require(actor, PlatformPermission::ManageSwitchNodes)?;
    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    let addresses = check_addresses(&mut errors, &input.addresses);
    check_settings(&mut errors, input.kamailio.as_ref());
    let media = input
        .media_server_uri
        .as_deref()
        .and_then(|m| check_media_uri(&mut errors, m));
    errors.finish()?;
    let sealed = seal_settings(core, input.kamailio.as_ref())?;
    let Some(name) = name else {
        return Err(DomainError::internal("validated name missing"));
    };
    let txn = core.begin().await?;
    let taken = switch_node::Entity::find()
        .filter(switch_node::Column::Name.eq(name.clone()))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(DomainError::taken("name", "is already a switch node"));
    }
    let (mut row, token) = new_row(name, &addresses, sealed, None);
    row.media_server_uri = Set(media);
    let model = row.insert(&txn).await?;
    let queued = provisioning::job::enqueue_for_node(&txn, &model).await?;
    let view = SwitchNodeView::new(&model)?;
    audit::record_change(
        &txn,
        &audit::Platform(actor),
        "switch_node.create",
        "switch_node",
        model.id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    if let Some(q) = queued {
        q.wake(core).await;
    }
    Ok(SwitchNodeCreated { node: view, token })
}

async fn find(core: &Core, id: Uuid) -> DomainResult<switch_node::Model> {
    switch_node::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("switch node"))
}

pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<SwitchNodeView> {
    require(actor, PlatformPermission::ReadSwitchNodes)?;
    SwitchNodeView::new(&find(core, id).await?)
}

pub async fn update(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: UpdateSwitchNode,
    if_match: Option<i64>,
) -> DomainResult<SwitchNodeView> {
    require(actor, PlatformPermission::ManageSwitchNodes)?;
    let mut errors = Errors::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    let addresses = input
        .addresses
        .as_deref()
        .map(|a| check_addresses(&mut errors, a));
    if let Some(settings) = &input.kamailio {
        check_settings(&mut errors, settings.as_ref());
    }
    let media = input
        .media_server_uri
        .as_ref()
        .map(|m| m.as_deref().and_then(|m| check_media_uri(&mut errors, m)));
    errors.finish()?;
    let sealed = match &input.kamailio {
        Some(settings) => Some(seal_settings(core, settings.as_ref())?),
        None => None,
    };
    let txn = core.begin().await?;
    let current = switch_node::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("switch node"))?;
    check_version(current.version, if_match)?;
    let before = SwitchNodeView::new(&current)?;
    if let Some(n) = &name
        && *n != current.name
        && switch_node::Entity::find()
            .filter(switch_node::Column::Name.eq(n.clone()))
            .count(&txn)
            .await?
            > 0
    {
        return Err(DomainError::taken("name", "is already a switch node"));
    }
    let mut am: switch_node::ActiveModel = current.clone().into();
    if let Some(n) = name {
        am.name.set_if_not_equals(n);
    }
    if let Some(a) = addresses {
        am.addresses.set_if_not_equals(serde_json::json!(a));
    }
    if let Some(s) = input.status {
        am.status.set_if_not_equals(s.as_str().into());
    }
    if let Some(m) = media {
        am.media_server_uri.set_if_not_equals(m);
    }
    if let Some(sealed) = sealed {
        // Sealed afresh each time (a new nonce): a write of the settings is always a change.
        am.kamailio_settings_sealed = Set(sealed);
    }
    let Some(updated) =
        versioned::write_next_version_unscoped(&txn, &current, am, "switch node").await?
    else {
        return Ok(before);
    };
    let view = SwitchNodeView::new(&updated)?;
    audit::record_change(
        &txn,
        &audit::Platform(actor),
        "switch_node.update",
        "switch_node",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    // New settings, or a node enabled again: bring it up to date.
    let queued = provisioning::job::enqueue_for_node(&txn, &updated).await?;
    txn.commit().await?;
    if let Some(q) = queued {
        q.wake(core).await;
    }
    Ok(view)
}

/// Issues a new token; the old one stops working at once.
pub async fn rotate_token(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<SwitchNodeCreated> {
    require(actor, PlatformPermission::ManageSwitchNodes)?;
    let current = find(core, id).await?;
    if current.tenant_ids.is_some() {
        return Err(DomainError::conflict(
            "The node serves only some tenants; such nodes are refused on the switch surface, \
             so it has no use for a token",
        ));
    }
    let (prefix, token) = new_token();
    let txn = core.begin().await?;
    switch_node::Entity::update_many()
        .col_expr(switch_node::Column::TokenPrefix, prefix.clone().into())
        .col_expr(switch_node::Column::TokenHash, sha256_hex(&token).into())
        .col_expr(switch_node::Column::UpdatedAt, Utc::now().into())
        .filter(switch_node::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        audit::Change {
            tenant_id: None,
            action: "switch_node.rotate_token",
            resource_type: "switch_node",
            resource_id: id,
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    let node = SwitchNodeView::new(&switch_node::Model {
        token_prefix: prefix,
        ..current
    })?;
    Ok(SwitchNodeCreated { node, token })
}

pub async fn delete(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    require(actor, PlatformPermission::ManageSwitchNodes)?;
    let txn = core.begin().await?;
    let current = switch_node::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("switch node"))?;
    check_version(current.version, if_match)?;
    switch_node::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record_change(
        &txn,
        &audit::Platform(actor),
        "switch_node.delete",
        "switch_node",
        id,
        Some(&SwitchNodeView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The node a bearer token belongs to, or 401. Disabled nodes are refused. Successful
/// checks are cached per token digest (switches call on every call setup), until the
/// registry changes: every registry change is a platform change ([`CacheKey::Platform`],
/// recorded with its audit event), which ends cached authentications at once (in every
/// process, with Redis).
pub async fn authenticate(core: &Core, bearer: &str) -> DomainResult<Arc<switch_node::Model>> {
    let digest = sha256_hex(bearer);
    if let Some(node) = core.switch_cache.node(&digest) {
        return Ok(node);
    }
    let stamp = core.switch_cache.stamp(CacheKey::Platform);
    let node = Arc::new(authenticate_uncached(core, bearer, &digest).await?);
    core.switch_cache.put_node(digest, stamp, node.clone());
    Ok(node)
}

async fn authenticate_uncached(
    core: &Core,
    bearer: &str,
    digest: &str,
) -> DomainResult<switch_node::Model> {
    let invalid = || {
        DomainError::new(
            ErrorCode::Unauthenticated,
            "A valid switch-node token is required",
        )
    };
    let rest = bearer.strip_prefix(NODE_TOKEN_PREFIX).ok_or_else(invalid)?;
    let (prefix, _) = rest.split_once('_').ok_or_else(invalid)?;
    let node = switch_node::Entity::find()
        .filter(switch_node::Column::TokenPrefix.eq(prefix))
        .one(&core.db)
        .await?
        .ok_or_else(invalid)?;
    if !digests_equal(&node.token_hash, digest) {
        return Err(invalid());
    }
    match from_stored::<NodeStatus>("switch_nodes.status", &node.status)? {
        NodeStatus::Active => {}
        NodeStatus::Disabled => return Err(invalid()),
    }
    // The switch surface answers for every tenant (directory digests, route plans, calls):
    // a node serving only some tenants (a partner's, on the partner's host) is refused on
    // it, fail closed, until the surface limits its answers to the node's tenants.
    if node.tenant_ids.is_some() {
        return Err(invalid());
    }
    let now = Utc::now();
    if node
        .last_seen_at
        .is_none_or(|t| now - t > chrono::Duration::seconds(60))
    {
        switch_node::Entity::update_many()
            .col_expr(switch_node::Column::LastSeenAt, Some(now).into())
            .filter(switch_node::Column::Id.eq(node.id))
            .exec(&core.db)
            .await?;
    }
    Ok(node)
}

/// Registers (or, run again, updates) the switch node a managed install enrolls: its
/// address, Kamailio settings and the tenants it serves. The node's token is issued but
/// shown to nobody: staff rotate it when the node must call the switch surface. No audit
/// event (no actor: the install's own events and its `install.create` audit record it).
pub(crate) async fn enroll<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    existing: Option<Uuid>,
    name: &str,
    address: &str,
    settings: &KamailioSettings,
    tenant_ids: &[Uuid],
) -> DomainResult<switch_node::Model> {
    let sealed = seal_settings(core, Some(settings))?;
    let now = Utc::now();
    if let Some(id) = existing
        && let Some(current) = switch_node::Entity::find_by_id(id).one(db).await?
    {
        let mut am: switch_node::ActiveModel = current.clone().into();
        am.addresses.set_if_not_equals(serde_json::json!([address]));
        am.kamailio_settings_sealed = Set(sealed);
        am.tenant_ids = Set(Some(serde_json::json!(tenant_ids)));
        am.updated_at = Set(now);
        am.version = Set(current.version + 1);
        return Ok(am.update(db).await?);
    }
    if switch_node::Entity::find()
        .filter(switch_node::Column::Name.eq(name))
        .count(db)
        .await?
        > 0
    {
        return Err(DomainError::taken("name", "is already a switch node"));
    }
    let (row, _token) = new_row(
        name.to_owned(),
        &[address.to_owned()],
        sealed,
        Some(tenant_ids),
    );
    Ok(row.insert(db).await?)
}

/// A new active Kamailio node's row, and its token (shown once, or to nobody).
fn new_row(
    name: String,
    addresses: &[String],
    sealed: Option<String>,
    tenant_ids: Option<&[Uuid]>,
) -> (switch_node::ActiveModel, String) {
    let (prefix, token) = new_token();
    let now = Utc::now();
    let row = switch_node::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        kind: Set(SwitchKind::Kamailio.as_str().into()),
        addresses: Set(serde_json::json!(addresses)),
        status: Set(NodeStatus::Active.as_str().into()),
        token_prefix: Set(prefix),
        token_hash: Set(sha256_hex(&token)),
        last_seen_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        kamailio_settings_sealed: Set(sealed),
        provisioned_at: Set(None),
        provision_error: Set(None),
        provision_error_at: Set(None),
        drift_repaired_total: Set(0),
        tenant_ids: Set(tenant_ids.map(|t| serde_json::json!(t))),
        media_server_uri: Set(None),
    };
    (row, token)
}
