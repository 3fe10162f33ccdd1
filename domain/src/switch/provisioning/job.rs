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

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    NodeState, Plan, Snapshot, diff,
    node::{NodeDb, Rpc},
};
use crate::{
    authz::{Actor, PlatformPermission},
    core::Core,
    entities::{
        domain, extension, extension_credential, job as job_entity, switch_node,
        switch_node_applied, tenant,
    },
    error::{DomainError, DomainResult},
    services::{
        audit,
        jobs::{self, Job, JobContext, JobStatus, Queued},
        tenants::TenantStatus,
    },
    switch::nodes::{NodeStatus, SwitchKind, require, settings},
};

/// Brings one node to the desired state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KamailioReconcile {
    pub node_id: Uuid,
}

impl Job for KamailioReconcile {
    const KIND: &'static str = "kamailio.reconcile";
    /// A node down for a while: with the doubling backoff (capped at an hour) 20 attempts
    /// span most of a day, and any change meanwhile queues a fresh reconcile anyway.
    const MAX_ATTEMPTS: i32 = 20;

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        reconcile(ctx, self.node_id).await
    }
}

/// The coalescing key of a node's reconciles.
fn key(node: Uuid) -> String {
    format!("{}:{node}", KamailioReconcile::KIND)
}

/// Whether Centralita provisions this node now.
fn provisioned(node: &switch_node::Model) -> bool {
    node.kind == SwitchKind::Kamailio.as_str()
        && node.status == NodeStatus::Active.as_str()
        && node.kamailio_settings_sealed.is_some()
}

/// Queues a reconcile of `node` (coalesced) when it is provisioned.
pub(crate) async fn enqueue_for_node<C: ConnectionTrait>(
    db: &C,
    node: &switch_node::Model,
) -> DomainResult<Option<Queued>> {
    if !provisioned(node) {
        return Ok(None);
    }
    jobs::enqueue_coalesced(db, &KamailioReconcile { node_id: node.id }, &key(node.id)).await
}

/// Queues a reconcile of every provisioned node (coalesced): what a change of domains,
/// extensions or tenants does in its own transaction.
pub(crate) async fn enqueue_all<C: ConnectionTrait>(db: &C) -> DomainResult<Vec<Queued>> {
    let nodes = switch_node::Entity::find()
        .filter(switch_node::Column::KamailioSettingsSealed.is_not_null())
        .all(db)
        .await?;
    let mut queued = Vec::new();
    for node in &nodes {
        if let Some(q) = enqueue_for_node(db, node).await? {
            queued.push(q);
        }
    }
    Ok(queued)
}

/// Whether a change of this resource type changes what nodes serve.
pub(crate) fn changes_what_nodes_serve(resource_type: &str) -> bool {
    matches!(resource_type, "domain" | "extension" | "tenant")
}

/// What every node should serve, from Centralita's database.
pub async fn desired<C: ConnectionTrait>(db: &C) -> DomainResult<NodeState> {
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
    let mut inactive = std::collections::HashSet::new();
    for (id, _, status) in &tenants {
        let status: TenantStatus = crate::services::from_stored("tenants.status", status)?;
        if status != TenantStatus::Active {
            inactive.insert(*id);
        }
    }
    let active: std::collections::HashSet<Uuid> = tenants
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
    let domains: Vec<(String, Uuid)> = domain::Entity::find()
        .select_only()
        .columns([domain::Column::Name, domain::Column::TenantId])
        .into_tuple()
        .all(db)
        .await?;
    for (name, tenant_id) in domains {
        if active.contains(&tenant_id) {
            state.domains.insert(name, tenant_id.to_string());
        }
    }
    let enabled: std::collections::HashSet<Uuid> = extension::Entity::find()
        .select_only()
        .column(extension::Column::Id)
        .filter(extension::Column::Enabled.eq(true))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let credentials = extension_credential::Entity::find().all(db).await?;
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

/// What Centralita last applied to `node` (`None` before the first apply).
async fn snapshot<C: ConnectionTrait>(db: &C, node: &switch_node::Model) -> DomainResult<Snapshot> {
    if node.provisioned_at.is_none() {
        return Ok(None);
    }
    let rows = switch_node_applied::Entity::find()
        .filter(switch_node_applied::Column::NodeId.eq(node.id))
        .all(db)
        .await?;
    Ok(Some(
        rows.into_iter().map(|r| (r.entry, r.digest)).collect(),
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
    let db = NodeDb::connect(&settings).await?;
    let on_node = db.read().await;
    db.close().await;
    let want = desired(&core.db).await?;
    let applied = snapshot(&core.db, &node).await?;
    Ok(diff(&want, &on_node?, &applied).plan())
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
        None => job_entity::Entity::find()
            .filter(job_entity::Column::CoalesceKey.eq(key(id)))
            .filter(job_entity::Column::Status.eq(JobStatus::Queued.as_str()))
            .one(&txn)
            .await?
            .map(|j| j.id)
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

/// One reconcile of `node_id`: read, diff, apply, reload, end registrations, remember.
async fn reconcile(ctx: &JobContext<'_>, node_id: Uuid) -> DomainResult<()> {
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
    match apply(ctx, &node).await {
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

async fn apply(ctx: &JobContext<'_>, node: &switch_node::Model) -> DomainResult<()> {
    let core = ctx.core;
    let Some(settings) = settings(core, node)? else {
        return Ok(());
    };
    let db = NodeDb::connect(&settings).await?;
    let on_node = db.read().await;
    let want = desired(&core.db).await;
    let (on_node, want) = match (on_node, want) {
        (Ok(n), Ok(w)) => (n, w),
        (Err(e), _) | (_, Err(e)) => {
            db.close().await;
            return Err(e);
        }
    };
    let applied = snapshot(&core.db, node).await?;
    let d = diff(&want, &on_node, &applied);
    ctx.progress(
        0,
        Some(u64::try_from(d.row_count()).unwrap_or(u64::MAX)),
        "applying to the node database",
    )
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
    // making the calls (a failure below leaves markers, not false drift).
    let owed = d.pending();
    let txn = core.begin().await?;
    switch_node_applied::Entity::delete_many()
        .filter(switch_node_applied::Column::NodeId.eq(node.id))
        .exec(&txn)
        .await?;
    let rows: Vec<switch_node_applied::ActiveModel> = want
        .entries()
        .into_iter()
        .chain(owed.iter().map(|m| (m.clone(), String::new())))
        .map(|(entry, digest)| switch_node_applied::ActiveModel {
            node_id: sea_orm::ActiveValue::Set(node.id),
            entry: sea_orm::ActiveValue::Set(entry),
            digest: sea_orm::ActiveValue::Set(digest),
        })
        .collect();
    crate::bulk::insert_all(&txn, rows).await?;
    txn.commit().await?;

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
    ctx.progress(
        u64::try_from(d.row_count()).unwrap_or(u64::MAX),
        Some(u64::try_from(d.row_count()).unwrap_or(u64::MAX)),
        "applied",
    )
    .await?;
    tracing::info!(
        node = %node.id,
        rows = d.row_count(),
        registrations_ended = d.registrations_to_end.len(),
        drift = d.drift.len(),
        "node reconciled"
    );
    Ok(())
}
