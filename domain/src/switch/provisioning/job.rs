//! The reconcile job of a Kamailio node, its dry run (the plan), and when it is queued.
//!
//! A reconcile is queued, in the transaction of the change, by every write that changes
//! what nodes serve: a domain, an extension (its credentials, its `enabled`), a tenant (its
//! status, or its deletion). The transaction notices this itself ([`crate::tx::Tx`] is told
//! by the audit event every write records), so no service can forget. Reconciles are
//! coalesced per node (`jobs::enqueue_coalesced`): while one is queued, further changes ride
//! on it, so a burst of 1,000 extension creates makes a handful of reconciles, each reading
//! the whole state at once. A node's settings change, or an operator's
//! `POST /v1/switch-nodes/{id}/reconcile`, queue one too, and housekeeping queues one per
//! node every hour, which repairs drift nobody asked about.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    NodeState, PENDING_END, PENDING_RELOAD, Plan, Snapshot, diff,
    node::{NodeDb, Rpc},
};
use crate::{
    authz::{Actor, PlatformPermission},
    core::Core,
    entities::{domain, extension, extension_credential, switch_node, switch_node_applied, tenant},
    error::{DomainError, DomainResult},
    services::{
        audit,
        jobs::{self, Job, JobContext, Queued},
        tenants::TenantStatus,
    },
    switch::nodes::{NodeStatus, SwitchKind, require, settings},
};

/// Brings one node to the desired state: all of it, or (the per-tenant variant, what a
/// tenant's own changes queue) the domains and subscribers of one tenant and the tenants
/// below it, which reads and compares only those.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KamailioReconcile {
    pub node_id: Uuid,
    #[serde(default)]
    pub tenant_id: Option<Uuid>,
}

impl Job for KamailioReconcile {
    const KIND: &'static str = "kamailio.reconcile";
    /// A node down for a while: with the doubling backoff (capped at an hour) 20 attempts
    /// span most of a day, and any change meanwhile queues a fresh reconcile anyway.
    const MAX_ATTEMPTS: i32 = 20;

    /// A tenant's own reconciles show at `GET /v1/tenants/{t}/jobs`: its changes reaching
    /// the switches.
    fn tenant(&self) -> Option<crate::ids::TenantId> {
        self.tenant_id.map(crate::ids::TenantId)
    }

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        reconcile(ctx, self.node_id, self.tenant_id).await
    }
}

/// The coalescing key of a node's reconciles (whole, or of one tenant).
fn key(node: Uuid, tenant: Option<Uuid>) -> String {
    match tenant {
        None => format!("{}:{node}", KamailioReconcile::KIND),
        Some(t) => format!("{}:{node}:{t}", KamailioReconcile::KIND),
    }
}

/// Whether Centralita provisions this node now.
fn provisioned(node: &switch_node::Model) -> bool {
    node.kind == SwitchKind::Kamailio.as_str()
        && node.status == NodeStatus::Active.as_str()
        && node.kamailio_settings_sealed.is_some()
}

/// Queues a whole reconcile of `node` (coalesced) when it is provisioned.
pub(crate) async fn enqueue_for_node<C: ConnectionTrait>(
    db: &C,
    node: &switch_node::Model,
) -> DomainResult<Option<Queued>> {
    enqueue_scoped(db, node, None).await
}

/// Queues a reconcile of `node` for `tenant` (or whole), unless one that covers it is
/// already queued: the same one, or a whole one.
async fn enqueue_scoped<C: ConnectionTrait>(
    db: &C,
    node: &switch_node::Model,
    tenant: Option<Uuid>,
) -> DomainResult<Option<Queued>> {
    if !provisioned(node) {
        return Ok(None);
    }
    if tenant.is_some()
        && jobs::queued_with_key(db, &key(node.id, None))
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let job = KamailioReconcile {
        node_id: node.id,
        tenant_id: tenant,
    };
    jobs::enqueue_coalesced(db, &job, &key(node.id, tenant)).await
}

/// Queues the reconciles of every provisioned node (coalesced) for `scopes` (tenants, or
/// `None` for everything): what a change of domains, extensions or tenants does in its own
/// transaction, and housekeeping hourly.
pub(crate) async fn enqueue_all<C: ConnectionTrait>(
    db: &C,
    scopes: &[Option<Uuid>],
) -> DomainResult<Vec<Queued>> {
    let nodes = switch_node::Entity::find()
        .filter(switch_node::Column::KamailioSettingsSealed.is_not_null())
        .all(db)
        .await?;
    // A whole reconcile covers every tenant's.
    let targets: &[Option<Uuid>] = if scopes.contains(&None) {
        &[None]
    } else {
        scopes
    };
    let mut queued = Vec::new();
    for node in &nodes {
        for &tenant in targets {
            if let Some(q) = enqueue_scoped(db, node, tenant).await? {
                queued.push(q);
            }
        }
    }
    Ok(queued)
}

/// Whether a change of this resource type changes what nodes serve.
pub(crate) fn changes_what_nodes_serve(resource_type: &str) -> bool {
    matches!(resource_type, "domain" | "extension" | "tenant")
}

/// What every node should serve, from Centralita's database.
pub async fn desired<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<NodeState> {
    // Active tenants: active themselves, and every tenant above them too.
    let tenants: Vec<(Uuid, String, String)> = tenant::Entity::find()
        .select_only()
        .columns([
            tenant::Column::Id,
            tenant::Column::Path,
            tenant::Column::Status,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let mut inactive = HashSet::new();
    for (id, _, status) in &tenants {
        let status: TenantStatus = crate::services::from_stored("tenants.status", status)?;
        if status != TenantStatus::Active {
            inactive.insert(*id);
        }
    }
    let active: HashSet<Uuid> = tenants
        .iter()
        .filter(|(_, path, _)| {
            !path
                .split('/')
                .filter_map(|s| s.parse::<Uuid>().ok())
                .any(|t| inactive.contains(&t))
        })
        .map(|(id, _, _)| *id)
        .filter(|id| !inactive.contains(id))
        .collect();

    let mut state = NodeState::default();
    let mut domains = domain::Entity::find()
        .select_only()
        .columns([domain::Column::Name, domain::Column::TenantId]);
    let mut credentials = extension_credential::Entity::find();
    if let Scope::Tenants(set) = scope {
        domains = domains.filter(domain::Column::TenantId.is_in(set.iter().copied()));
        credentials =
            credentials.filter(extension_credential::Column::TenantId.is_in(set.iter().copied()));
    }
    let domains: Vec<(String, Uuid)> = domains.into_tuple().all(db).await?;
    for (name, tenant_id) in domains {
        if active.contains(&tenant_id) {
            state.domains.insert(name, tenant_id.to_string());
        }
    }
    let enabled: HashSet<Uuid> = extension::Entity::find()
        .select_only()
        .column(extension::Column::Id)
        .filter(extension::Column::Enabled.eq(true))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let credentials = credentials.all(db).await?;
    for c in credentials {
        if enabled.contains(&c.extension_id)
            && active.contains(&c.tenant_id)
            && state.domains.contains_key(&c.realm)
        {
            state
                .subscribers
                .insert((c.username, c.realm), (c.ha1, c.ha1b));
        }
    }
    Ok(state)
}

/// `want` cut down to what `node` serves: a node restricted to some tenants (a partner's
/// node on its own host) gets only their domains and credentials, and those of the tenants
/// below them. Everything else on such a node is removed like any other stale row, so a
/// tenant's credentials never reach another partner's host.
async fn served_by<C: ConnectionTrait>(
    db: &C,
    node: &switch_node::Model,
    mut want: NodeState,
) -> DomainResult<NodeState> {
    let Some(ids) = &node.tenant_ids else {
        return Ok(want);
    };
    let roots: Vec<Uuid> = crate::services::from_json(ids)?;
    let mut allowed: HashSet<String> = HashSet::new();
    for root in roots {
        let Scope::Tenants(subtree) = Scope::of(db, Some(root)).await? else {
            return Err(DomainError::internal("a tenant scope came back whole"));
        };
        allowed.extend(subtree.iter().map(Uuid::to_string));
    }
    want.domains.retain(|_, did| allowed.contains(did));
    let domains = &want.domains;
    want.subscribers
        .retain(|(_, realm), _| domains.contains_key(realm));
    Ok(want)
}

/// Which part of the platform a reconcile looks at.
pub enum Scope {
    Whole,
    /// These tenants: one and every tenant below it.
    Tenants(HashSet<Uuid>),
}

impl Scope {
    /// The scope of a reconcile for `tenant` (`None`: the whole node).
    async fn of<C: ConnectionTrait>(db: &C, tenant: Option<Uuid>) -> DomainResult<Self> {
        let Some(t) = tenant else {
            return Ok(Self::Whole);
        };
        // Paths hold every ancestor's id: the subtree is the tenants whose path names `t`.
        let mut set: HashSet<Uuid> = tenant::Entity::find()
            .select_only()
            .column(tenant::Column::Id)
            .filter(tenant::Column::Path.contains(t.to_string()))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect();
        // A deleted tenant is no longer in the table; its rows on the node still are.
        set.insert(t);
        Ok(Self::Tenants(set))
    }

    /// The node's `did` values in scope (`None`: all).
    fn dids(&self) -> Option<Vec<String>> {
        match self {
            Self::Whole => None,
            Self::Tenants(set) => Some(set.iter().map(Uuid::to_string).collect()),
        }
    }
}

/// What Centralita last applied to `node`, within the domains named by `domains` or whose
/// applied `did` is in `scope` (`None` before anything was applied).
async fn snapshot<C: ConnectionTrait>(
    db: &C,
    node: &switch_node::Model,
    scope: &Scope,
    domains: &HashSet<String>,
) -> DomainResult<Snapshot> {
    let rows = switch_node_applied::Entity::find()
        .filter(switch_node_applied::Column::NodeId.eq(node.id))
        .all(db)
        .await?;
    if rows.is_empty() && node.provisioned_at.is_none() {
        return Ok(None);
    }
    let all: HashMap<String, String> = rows.into_iter().map(|r| (r.entry, r.digest)).collect();
    let Scope::Tenants(set) = scope else {
        return Ok(Some(all));
    };
    let dids: HashSet<String> = set.iter().map(Uuid::to_string).collect();
    let mut names = domains.clone();
    names.extend(
        all.iter()
            .filter(|(e, did)| e.starts_with("d:") && dids.contains(*did))
            .map(|(e, _)| e[2..].to_owned()),
    );
    let domain_of = |aor: &str| aor.rsplit_once('@').map(|(_, d)| d.to_owned());
    Ok(Some(
        all.into_iter()
            .filter(|(e, _)| {
                if let Some(name) = e.strip_prefix("d:") {
                    names.contains(name)
                } else if let Some(aor) =
                    e.strip_prefix("s:").or_else(|| e.strip_prefix(PENDING_END))
                {
                    domain_of(aor).is_some_and(|d| names.contains(&d))
                } else {
                    e == PENDING_RELOAD
                }
            })
            .collect(),
    ))
}

async fn find_provisioned(
    core: &Core,
    id: Uuid,
) -> DomainResult<(switch_node::Model, super::node::KamailioSettings)> {
    let node = switch_node::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("switch node"))?;
    let Some(settings) = settings(core, &node)? else {
        return Err(DomainError::conflict(
            "The node is not provisioned: set its kamailio settings first",
        ));
    };
    Ok((node, settings))
}

/// `GET /v1/switch-nodes/{id}/plan`: what a reconcile would do now, without doing it.
pub async fn plan(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<Plan> {
    require(actor, PlatformPermission::ReadSwitchNodes)?;
    let (node, settings) = find_provisioned(core, id).await?;
    let (settings, _tunnel) = crate::installs::tunnel::reach(core, node.id, settings).await?;
    let want = served_by(&core.db, &node, desired(&core.db, &Scope::Whole).await?).await?;
    let db = NodeDb::connect(&settings).await?;
    let on_node = db.read(None, &[]).await;
    db.close().await;
    let applied = snapshot(&core.db, &node, &Scope::Whole, &HashSet::new()).await?;
    Ok(diff(&want, &on_node?, &applied).plan())
}

/// `GET /v1/switch-nodes/{id}/calls`: the calls the node holds now, asked over JSON-RPC.
pub async fn calls(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<super::node::NodeCalls> {
    require(actor, PlatformPermission::ReadSwitchNodes)?;
    let (node, settings) = find_provisioned(core, id).await?;
    let (settings, _tunnel) = crate::installs::tunnel::reach(core, node.id, settings).await?;
    super::node::Rpc::new(&settings)?.active_calls().await
}

/// The answer of `POST /v1/switch-nodes/{id}/reconcile`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconcileQueued {
    /// The queued reconcile (`GET /v1/jobs/{id}`): a new one, or the one already waiting.
    pub job_id: Uuid,
}

/// Queues a reconcile of the node now (or names the one already queued).
pub async fn request(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<ReconcileQueued> {
    require(actor, PlatformPermission::ManageSwitchNodes)?;
    let (node, _) = find_provisioned(core, id).await?;
    if node.status != NodeStatus::Active.as_str() {
        return Err(DomainError::conflict("The node is disabled"));
    }
    let txn = core.begin().await?;
    let queued = enqueue_for_node(&txn, &node).await?;
    let job_id = match queued {
        Some(q) => q.id,
        None => jobs::queued_with_key(&txn, &key(id, None))
            .await?
            .ok_or_else(|| DomainError::internal("coalesced reconcile not found"))?,
    };
    audit::record(
        &txn,
        actor,
        audit::Change::new::<()>(None, "switch_node.reconcile", "switch_node", id, None, None)?,
    )
    .await?;
    txn.commit().await?;
    if let Some(q) = queued {
        q.wake(core).await;
    }
    Ok(ReconcileQueued { job_id })
}

/// One reconcile of `node_id` (for `tenant`, or whole): read, diff, apply, reload, end
/// registrations, remember.
pub(crate) async fn reconcile(
    ctx: &JobContext<'_>,
    node_id: Uuid,
    tenant: Option<Uuid>,
) -> DomainResult<()> {
    let core = ctx.core;
    let Some(node) = switch_node::Entity::find_by_id(node_id)
        .one(&core.db)
        .await?
    else {
        return Ok(()); // deleted meanwhile
    };
    if !provisioned(&node) {
        return Ok(()); // disabled, or its settings removed: nothing to do
    }
    match apply(ctx, &node, tenant).await {
        Ok(()) => Ok(()),
        Err(e) => {
            switch_node::Entity::update_many()
                .col_expr(
                    switch_node::Column::ProvisionError,
                    Some(e.detail.chars().take(1000).collect::<String>()).into(),
                )
                .col_expr(
                    switch_node::Column::ProvisionErrorAt,
                    Some(Utc::now()).into(),
                )
                .filter(switch_node::Column::Id.eq(node.id))
                .exec(&core.db)
                .await?;
            Err(e)
        }
    }
}

/// Replaces what is remembered of `node` within `scope` (`old`, as loaded) by `entries`.
async fn remember(
    core: &Core,
    node: Uuid,
    scope: &Scope,
    old: Option<&HashMap<String, String>>,
    entries: HashMap<String, String>,
) -> DomainResult<()> {
    let txn = core.begin().await?;
    match scope {
        Scope::Whole => {
            switch_node_applied::Entity::delete_many()
                .filter(switch_node_applied::Column::NodeId.eq(node))
                .exec(&txn)
                .await?;
        }
        Scope::Tenants(_) => {
            let old: Vec<String> = old.iter().flat_map(|a| a.keys().cloned()).collect();
            for chunk in old.chunks(crate::bulk::READ_CHUNK) {
                switch_node_applied::Entity::delete_many()
                    .filter(switch_node_applied::Column::NodeId.eq(node))
                    .filter(switch_node_applied::Column::Entry.is_in(chunk.iter().cloned()))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    let rows: Vec<switch_node_applied::ActiveModel> = entries
        .into_iter()
        .map(|(entry, digest)| switch_node_applied::ActiveModel {
            node_id: sea_orm::ActiveValue::Set(node),
            entry: sea_orm::ActiveValue::Set(entry),
            digest: sea_orm::ActiveValue::Set(digest),
        })
        .collect();
    crate::bulk::insert_all(&txn, rows).await?;
    txn.commit().await?;
    Ok(())
}

async fn apply(
    ctx: &JobContext<'_>,
    node: &switch_node::Model,
    tenant: Option<Uuid>,
) -> DomainResult<()> {
    let core = ctx.core;
    let Some(settings) = settings(core, node)? else {
        return Ok(());
    };
    // A node a managed install put on a host is reached over SSH (kept until the end).
    let (settings, _tunnel) = crate::installs::tunnel::reach(core, node.id, settings).await?;
    let scope = Scope::of(&core.db, tenant).await?;
    let want = served_by(&core.db, node, desired(&core.db, &scope).await?).await?;
    let wanted_domains: Vec<String> = want.domains.keys().cloned().collect();
    let db = NodeDb::connect(&settings).await?;
    let on_node = match db.read(scope.dids().as_deref(), &wanted_domains).await {
        Ok(n) => n,
        Err(e) => {
            db.close().await;
            return Err(e);
        }
    };
    let mut in_scope: HashSet<String> = wanted_domains.into_iter().collect();
    in_scope.extend(on_node.domains.keys().cloned());
    let applied = snapshot(&core.db, node, &scope, &in_scope).await?;
    let d = diff(&want, &on_node, &applied);
    let rows = u64::try_from(d.row_count()).unwrap_or(u64::MAX);
    ctx.progress(0, Some(rows), "applying to the node database")
        .await?;
    if !d.drift.is_empty() {
        tracing::warn!(node = %node.id, drift = ?d.drift, "rows changed on the node behind Centralita's back");
    }
    let written = if d.row_count() > 0 {
        db.apply(&d).await
    } else {
        Ok(())
    };
    db.close().await;
    written?;

    // The node holds the desired rows now: remember them, and the calls still owed, before
    // making the calls (a failure below leaves markers, not false drift). Nothing to write
    // when that is what is remembered already (most reconciles: one change, or none).
    let owed = d.pending();
    let remembered: HashMap<String, String> = want
        .entries()
        .into_iter()
        .chain(owed.iter().map(|m| (m.clone(), String::new())))
        .collect();
    if applied.as_ref() != Some(&remembered) {
        remember(core, node.id, &scope, applied.as_ref(), remembered).await?;
    }

    let rpc = Rpc::new(&settings)?;
    if d.reload_domains {
        rpc.reload_domains().await?;
    }
    for aor in &d.registrations_to_end {
        rpc.end_registrations(aor).await?;
    }

    // Everything reached the node.
    let txn = core.begin().await?;
    if !owed.is_empty() {
        switch_node_applied::Entity::delete_many()
            .filter(switch_node_applied::Column::NodeId.eq(node.id))
            .filter(switch_node_applied::Column::Entry.is_in(owed))
            .exec(&txn)
            .await?;
    }
    let drift = i64::try_from(d.drift.len()).unwrap_or(i64::MAX);
    switch_node::Entity::update_many()
        .col_expr(switch_node::Column::ProvisionedAt, Some(Utc::now()).into())
        .col_expr(
            switch_node::Column::ProvisionError,
            Option::<String>::None.into(),
        )
        .col_expr(
            switch_node::Column::DriftRepairedTotal,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(switch_node::Column::DriftRepairedTotal),
                drift,
            ),
        )
        .filter(switch_node::Column::Id.eq(node.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    ctx.progress(rows, Some(rows), "applied").await?;
    tracing::info!(
        node = %node.id,
        rows = d.row_count(),
        registrations_ended = d.registrations_to_end.len(),
        drift = d.drift.len(),
        "node reconciled"
    );
    Ok(())
}
