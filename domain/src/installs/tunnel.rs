//! Reaching an installed node's own services over SSH.
//!
//! A node a managed install put on a customer's host keeps its database and its JSON-RPC on
//! the host's loopback: neither is ever opened to the Internet (JSON-RPC has no
//! authentication). So the Kamailio settings an install enrolls name them as the host sees
//! them (`127.0.0.1:5432`, `127.0.0.1:RPC_PORT`), and every reconcile of such a node opens
//! an SSH connection with the install's key, checks the host key pinned at install time,
//! and forwards a local port to each (`ssh -L`). The reconcile itself is unchanged: it is
//! handed the same settings with the forwarded local ports in place.

use reqwest::Url;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    core::Core,
    entities::install,
    error::{DomainError, DomainResult},
    ssh::{Deadlines, Forward, HostKeyCheck, Session, Target},
    switch::provisioning::node::KamailioSettings,
};

/// An open tunnel: the connection and its forwards, closed when dropped.
pub(crate) struct Tunnel {
    _forwards: Vec<Forward>,
    _session: Session,
}

/// `settings` as the reconcile of `node` should use them: unchanged for a node nobody
/// installed through Centralita; for an installed one, rewritten to local ports forwarded
/// over SSH to the node's host, with the tunnel to keep while they are used.
pub(crate) async fn reach(
    core: &Core,
    node: Uuid,
    settings: KamailioSettings,
) -> DomainResult<(KamailioSettings, Option<Tunnel>)> {
    let Some(m) = install::Entity::find()
        .filter(install::Column::SwitchNodeId.eq(node))
        .order_by_desc(install::Column::CreatedAt)
        .one(&core.db)
        .await?
    else {
        return Ok((settings, None));
    };
    let unreachable = |why: String| {
        DomainError::unavailable(format!(
            "switch node {node} cannot be reached over SSH ({}:{}): {why}",
            m.address, m.ssh_port
        ))
    };
    let address: std::net::IpAddr = m
        .address
        .parse()
        .map_err(|_| DomainError::internal(format!("installs.address: {}", m.address)))?;
    crate::ssh::target::still_allowed(address, &core.config.install_allowed_targets)
        .map_err(&unreachable)?;
    // Pinned at install time, or set since by someone who checked the host's new key.
    let Some(pinned) = m
        .host_key_pinned
        .clone()
        .or_else(|| m.host_key_expected.clone())
    else {
        return Err(unreachable("no host key was pinned".into()));
    };
    let secrets = super::job::open(core, &m)?;
    let port = super::stored_port("ssh_port", m.ssh_port)?;
    let session = Session::connect(
        Target {
            host: &m.address,
            port,
            user: &m.ssh_user,
        },
        &secrets.private_key,
        &HostKeyCheck::Expect(pinned),
        Deadlines::default(),
    )
    .await
    .map_err(|e| unreachable(e.to_string()))?;
    let mut forwards = Vec::new();
    let through = |raw: &str, default_port: u16, what: &str| {
        let url = Url::parse(raw)
            .map_err(|_| DomainError::internal(format!("the node's {what} URL does not parse")))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| DomainError::internal(format!("the node's {what} URL has no host")))?
            .to_owned();
        let port = url.port().unwrap_or(default_port);
        Ok::<_, DomainError>((url, host, port))
    };
    let (mut db_url, db_host, db_port) = through(&settings.db_url, 5432, "database")?;
    let (mut rpc_url, rpc_host, rpc_port) = through(&settings.rpc_url, 80, "JSON-RPC")?;
    for (url, host, port) in [
        (&mut db_url, db_host, db_port),
        (&mut rpc_url, rpc_host, rpc_port),
    ] {
        let forward = session
            .forward(&host, port)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let rewritten = url.set_host(Some("127.0.0.1")).is_ok()
            && url.set_port(Some(forward.local_port)).is_ok();
        if !rewritten {
            return Err(DomainError::internal(
                "a node URL cannot take a forwarded port",
            ));
        }
        forwards.push(forward);
    }
    Ok((
        KamailioSettings {
            db_url: db_url.to_string(),
            rpc_url: rpc_url.to_string(),
        },
        Some(Tunnel {
            _forwards: forwards,
            _session: session,
        }),
    ))
}
