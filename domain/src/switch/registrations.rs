//! Registered phones, as the switches report them (`GET /v1/tenants/{t}/registrations`).
//!
//! Centralita does not see REGISTERs: Kamailio answers them from the subscribers Centralita
//! provisioned, and keeps the contacts in usrloc. usrloc writes them back to the node's
//! database (`db_mode` 2, every `timer_interval`, 30 s), so the `location` table of each
//! node is where the switch reports them, up to half a minute late. One query per node,
//! narrowed to the tenant's SIP domains, answers a tenant's phones without asking each
//! phone's registration over JSON-RPC one by one.
//!
//! A node that does not answer does not fail the list: it is named in
//! [`Registrations::unavailable_nodes`], so a dashboard shows what it knows and says what
//! it could not ask. The nodes are asked at once, each within a bound.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    nodes::{NodeStatus, settings},
    provisioning::node::{LocationRow, NodeDb},
};
use crate::{
    authz::Permission,
    core::Core,
    entities::{domain, extension, switch_node},
    error::DomainResult,
    scope::TenantScope,
};

/// Contacts read per node at most; past it the list says it is cut.
const PER_NODE: u64 = 2_000;
/// How long one node may take to answer before it is counted unavailable.
const NODE_TIMEOUT: Duration = Duration::from_secs(8);

/// One registered contact of one of the tenant's extensions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registration {
    /// The extension's number (or the SIP user, for one no longer an extension).
    pub extension: String,
    /// The extension's id, when the SIP user is still one of the tenant's extensions.
    pub extension_id: Option<Uuid>,
    pub domain: String,
    /// The phone's Contact URI.
    pub contact: String,
    /// Where the REGISTER came from, when a NAT made it differ from the contact.
    pub received: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The switch node holding the registration.
    pub node_id: Uuid,
}

/// A node that could not be asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnavailableNode {
    pub node_id: Uuid,
    pub name: String,
}

/// The tenant's registered phones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registrations {
    /// Every contact, by extension.
    pub items: Vec<Registration>,
    /// How many distinct extensions have at least one contact.
    pub registered_extensions: usize,
    /// Nodes asked that answered.
    pub nodes_asked: usize,
    pub unavailable_nodes: Vec<UnavailableNode>,
    /// A node held more contacts than are listed.
    pub truncated: bool,
    /// When the nodes were asked; what they report may be up to 30 s older.
    pub read_at: DateTime<Utc>,
}

async fn read_node(
    core: &Core,
    node: &switch_node::Model,
    domains: &[String],
) -> DomainResult<Vec<LocationRow>> {
    let Some(s) = settings(core, node)? else {
        return Ok(Vec::new());
    };
    let (s, _tunnel) = crate::installs::tunnel::reach(core, node.id, s).await?;
    let db = NodeDb::connect(&s).await?;
    let rows = db.registrations(domains, PER_NODE + 1).await;
    db.close().await;
    rows
}

/// `GET /v1/tenants/{t}/registrations`.
pub async fn list(scope: &TenantScope, core: &Core) -> DomainResult<Registrations> {
    scope.authorize(Permission::PbxRead)?;
    let read_at = Utc::now();
    let domains: Vec<String> = scope
        .select::<domain::Entity>()
        .all(&core.db)
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();
    let nodes = if domains.is_empty() {
        Vec::new()
    } else {
        switch_node::Entity::find()
            .filter(switch_node::Column::Status.eq(NodeStatus::Active.as_str()))
            .filter(switch_node::Column::KamailioSettingsSealed.is_not_null())
            .order_by_asc(switch_node::Column::Name)
            .all(&core.db)
            .await?
    };
    let domains = &domains;
    let answers = futures_util::future::join_all(nodes.iter().map(|node| async move {
        let read = tokio::time::timeout(NODE_TIMEOUT, read_node(core, node, domains)).await;
        (node, read)
    }))
    .await;

    // The SIP user a phone registers as, back to the extension it is.
    let extensions: std::collections::HashMap<String, (Uuid, String)> = scope
        .select::<extension::Entity>()
        .all(&core.db)
        .await?
        .into_iter()
        .map(|e| (e.sip_username, (e.id, e.number)))
        .collect();
    let mut items = Vec::new();
    let mut unavailable_nodes = Vec::new();
    let mut truncated = false;
    for (node, read) in answers {
        let rows = match read {
            Ok(Ok(rows)) => rows,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.detail,
                    _ => format!("no answer within {NODE_TIMEOUT:?}"),
                };
                tracing::warn!(node = %node.id, error = %why, "registrations not read");
                unavailable_nodes.push(UnavailableNode {
                    node_id: node.id,
                    name: node.name.clone(),
                });
                continue;
            }
        };
        truncated |= rows.len() as u64 > PER_NODE;
        items.extend(rows.into_iter().take(PER_NODE as usize).map(|r| {
            let known = extensions.get(&r.username);
            Registration {
                extension_id: known.map(|(id, _)| *id),
                extension: known.map_or(r.username, |(_, number)| number.clone()),
                domain: r.domain,
                contact: r.contact,
                received: Some(r.received).filter(|s| !s.is_empty()),
                user_agent: Some(r.user_agent).filter(|s| !s.is_empty()),
                expires_at: r.expires,
                node_id: node.id,
            }
        }));
    }
    items.sort_by(|a, b| (&a.extension, &a.contact).cmp(&(&b.extension, &b.contact)));
    let mut registered: Vec<&str> = items.iter().map(|r| r.extension.as_str()).collect();
    registered.dedup();
    let registered_extensions = registered.len();
    Ok(Registrations {
        registered_extensions,
        nodes_asked: nodes.len() - unavailable_nodes.len(),
        items,
        unavailable_nodes,
        truncated,
        read_at,
    })
}
