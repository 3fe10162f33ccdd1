//! The install job: runs an install's steps in order, from the first not yet succeeded.
//!
//! Everything the job knows is in the database: the steps' states say where to resume, so a
//! worker killed mid-step (its lease expires, another worker claims the job) runs that step
//! again, which the steps' idempotence makes safe. A step is marked `running` before it
//! starts and `succeeded` or `failed` after; the install's `status` and `current_step`
//! follow.
//!
//! What fails, and how:
//! - a step's script exits non-zero: the install is `failed` at that step with the exit
//!   code, the output and the script's reason; nothing is retried by itself (a port in use
//!   or a full disk needs a person), `POST …/retry` resumes there;
//! - the host key differs from the expected or pinned one: `failed` at once, before
//!   anything is sent to the host (fail closed);
//! - the host cannot be reached, refuses the install's key (the customer has not added it
//!   yet), or the connection drops: the job fails and is retried with backoff like any
//!   job; its last attempt fails the install;
//! - the install was cancelled: the job stops before the next step.

use std::{net::IpAddr, time::Duration};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::ExprTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Changed, InstallStatus, StepStatus, log_event,
    steps::{NodePaths, Ran, Remote, StepName, node_env, scripts},
    stored_port,
};
use crate::{
    core::Core,
    entities::{install, install_step},
    error::{DomainError, DomainResult},
    secretbox::SecretBox,
    services::{
        from_stored,
        jobs::{Job, JobContext},
    },
    ssh::{Deadlines, HostKeyCheck, Session, SshError, Target},
    switch::{nodes, provisioning::node::KamailioSettings},
};

/// Runs (or resumes) install `install_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallRun {
    pub install_id: Uuid,
}

impl Job for InstallRun {
    const KIND: &'static str = "install.run";
    /// Only unreachable hosts, refused keys and dropped connections are retried (a failed
    /// step is final until someone retries it). With the doubling backoff, 10 attempts span
    /// about a quarter of an hour: time for the customer to add the public key the API just
    /// answered to `authorized_keys`, or for the host to reboot.
    const MAX_ATTEMPTS: i32 = 10;

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        run(ctx, self.install_id).await
    }
}

/// How a step ended, when it did not succeed.
enum Stop {
    /// The install fails at the step, with this reason (and the step's own record).
    Failed(String),
    /// The job fails and is retried (the host was unreachable or the connection dropped).
    Retry(DomainError),
    /// The install is no longer this job's (cancelled, or retried under another job).
    Lost,
}

impl From<DomainError> for Stop {
    fn from(e: DomainError) -> Self {
        Self::Retry(e)
    }
}

impl From<sea_orm::DbErr> for Stop {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Retry(e.into())
    }
}

async fn run(ctx: &JobContext<'_>, id: Uuid) -> DomainResult<()> {
    match attempt(ctx, id).await {
        Err(e) if ctx.is_last_attempt() => {
            // Whatever went wrong (the database, say), the last attempt must not leave the
            // install `running` and holding its host; if even this fails, housekeeping's
            // sweep ([`super::sweep_orphans`]) ends it.
            let reason = e.detail.clone();
            let _ = end(ctx, id, InstallStatus::Failed, Some(&reason)).await;
            Err(e)
        }
        other => other,
    }
}

/// One attempt of the job.
async fn attempt(ctx: &JobContext<'_>, id: Uuid) -> DomainResult<()> {
    let core = ctx.core;
    let Some(m) = install::Entity::find_by_id(id).one(&core.db).await? else {
        return Ok(()); // deleted meanwhile
    };
    let started = set_owned(
        &core.db,
        ctx.id,
        id,
        install::Entity::update_many()
            .col_expr(
                install::Column::Status,
                InstallStatus::Running.as_str().into(),
            )
            .col_expr(
                install::Column::StartedAt,
                Some(m.started_at.unwrap_or_else(Utc::now)).into(),
            ),
    )
    .await?;
    if !started {
        // Cancelled, finished by an earlier attempt, or retried under another job.
        return Ok(());
    }
    if ctx.attempt > 1 {
        log_event(
            &core.db,
            id,
            None,
            "info",
            &format!("resuming (attempt {} of {})", ctx.attempt, ctx.max_attempts),
        )
        .await?;
    }
    match steps(ctx, &m).await {
        Ok(()) => end(ctx, id, InstallStatus::Succeeded, None).await,
        Err(Stop::Lost) => Ok(()),
        Err(Stop::Failed(reason)) => end(ctx, id, InstallStatus::Failed, Some(&reason)).await,
        Err(Stop::Retry(e)) if ctx.is_last_attempt() => {
            end(ctx, id, InstallStatus::Failed, Some(&e.detail)).await
        }
        Err(Stop::Retry(e)) => {
            log_event(
                &core.db,
                id,
                None,
                "error",
                &format!("{}; trying again shortly", e.detail),
            )
            .await?;
            Err(e)
        }
    }
}

/// Applies `update` to install `id` (with `updated_at` and `version`) if this job still owns
/// it: it is the install's current job and the install is queued or running. `false` when
/// not (cancelled, or retried under another job): the caller stops touching the install, so
/// an old job a cancel or a retry left behind can never overwrite the new state.
async fn set_owned<C: sea_orm::ConnectionTrait>(
    db: &C,
    job: Uuid,
    id: Uuid,
    update: sea_orm::UpdateMany<install::Entity>,
) -> DomainResult<bool> {
    let done = update
        .changed(id)
        .filter(install::Column::JobId.eq(job))
        .filter(install::Column::Status.is_in(InstallStatus::ACTIVE))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Ends the install this job owns, frees its host, fails a step left running, and writes
/// the last event, in one transaction (so an event stream that sees the install finished
/// has its last event too). Nothing when the job no longer owns the install.
async fn end(
    ctx: &JobContext<'_>,
    id: Uuid,
    status: InstallStatus,
    error: Option<&str>,
) -> DomainResult<()> {
    let txn = ctx.core.begin().await?;
    let owned = set_owned(
        &txn,
        ctx.id,
        id,
        install::Entity::update_many()
            .col_expr(install::Column::Status, status.as_str().into())
            .col_expr(install::Column::ActiveHost, Option::<String>::None.into())
            .col_expr(install::Column::Error, error.map(str::to_owned).into())
            .col_expr(install::Column::FinishedAt, Some(Utc::now()).into()),
    )
    .await?;
    if !owned {
        return Ok(());
    }
    if let Some(reason) = error {
        install_step::Entity::update_many()
            .col_expr(
                install_step::Column::Status,
                StepStatus::Failed.as_str().into(),
            )
            .col_expr(install_step::Column::FinishedAt, Some(Utc::now()).into())
            .col_expr(install_step::Column::Output, reason.to_owned().into())
            .filter(install_step::Column::InstallId.eq(id))
            .filter(install_step::Column::Status.eq(StepStatus::Running.as_str()))
            .exec(&txn)
            .await?;
    }
    let message = match error {
        None => "install succeeded".to_owned(),
        Some(reason) => format!("install failed: {reason}"),
    };
    let level = if error.is_some() { "error" } else { "info" };
    log_event(&txn, id, None, level, &message).await?;
    txn.commit().await?;
    Ok(())
}

/// The secrets of an install, opened.
pub(super) struct Secrets {
    pub(super) private_key: String,
    pub(super) db_password: String,
}

pub(super) fn open(core: &Core, m: &install::Model) -> DomainResult<Secrets> {
    let sbox = SecretBox::configured(
        core,
        "install",
        "Managed installs",
        "the install cannot run meanwhile",
    )?;
    let opened = |what: &str, sealed: &str| {
        sbox.open(sealed).map_err(|e| {
            DomainError::internal(format!(
                "the {what} of install {} does not open with trunk_secret_key: {e}",
                m.id
            ))
        })
    };
    Ok(Secrets {
        private_key: opened("SSH key", &m.private_key_sealed)?,
        db_password: opened("database password", &m.db_password_sealed)?,
    })
}

/// Connects (pinning the host key on first contact) and runs every step not yet succeeded.
async fn steps(ctx: &JobContext<'_>, m: &install::Model) -> Result<(), Stop> {
    let core = ctx.core;
    let rows = super::steps_of(&core.db, m.id).await?;
    let todo: Vec<(i32, StepName)> = rows
        .iter()
        .filter(|s| s.status != StepStatus::Succeeded.as_str())
        .map(|s| {
            Ok((
                s.position,
                from_stored::<StepName>("install_steps.name", &s.name)?,
            ))
        })
        .collect::<DomainResult<_>>()?;
    if todo.is_empty() {
        return Ok(());
    }
    let secrets = open(core, m)?;
    let address: IpAddr = m.address.parse().map_err(|_| {
        DomainError::internal(format!("installs.address unparsable: {}", m.address))
    })?;
    let first = todo.first().map(|(_, s)| *s);
    if let Err(why) =
        crate::ssh::target::still_allowed(address, &core.config.install_allowed_targets)
    {
        return Err(connect_refused(ctx, m.id, first, &todo, why).await?);
    }
    let check = match m.host_key_pinned.as_ref().or(m.host_key_expected.as_ref()) {
        Some(fp) => HostKeyCheck::Expect(fp.clone()),
        None => HostKeyCheck::FirstUse,
    };
    let ssh_port = stored_port("ssh_port", m.ssh_port)?;
    log_event(
        &core.db,
        m.id,
        first,
        "info",
        &format!("connecting to {}:{ssh_port} as {}", m.address, m.ssh_user),
    )
    .await?;
    let session = match Session::connect(
        Target {
            host: &m.address,
            port: ssh_port,
            user: &m.ssh_user,
        },
        &secrets.private_key,
        &check,
        Deadlines::default(),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return Err(connect_failed(ctx, m.id, first, &todo, e).await?),
    };
    if !pin(ctx, m.id, first, &session.host_key).await? {
        session.close().await;
        return Err(Stop::Lost);
    }
    let remote = Remote {
        session: &session,
        sudo: m.ssh_user != "root",
        secrets: vec![secrets.db_password.clone()],
        live: None,
    };
    let total = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    let mut outcome = Ok(());
    for (position, step) in todo {
        // A cancel (or a retry under another job) lands between steps: `one_step` starts
        // only while this job owns the install.
        let done = u64::try_from(position - 1).unwrap_or(0);
        ctx.progress(done, Some(total), step.as_str()).await?;
        outcome = one_step(ctx, m, &remote, address, &secrets, position, step).await;
        if outcome.is_err() {
            break;
        }
    }
    session.close().await;
    outcome
}

/// Pins `host_key` unless a key is pinned already (only a first contact pins); `false` when
/// the install is no longer this job's.
async fn pin(
    ctx: &JobContext<'_>,
    id: Uuid,
    first: Option<StepName>,
    host_key: &str,
) -> DomainResult<bool> {
    let core = ctx.core;
    let pinned = set_owned(
        &core.db,
        ctx.id,
        id,
        install::Entity::update_many()
            .col_expr(
                install::Column::HostKeyPinned,
                Some(host_key.to_owned()).into(),
            )
            .filter(install::Column::HostKeyPinned.is_null()),
    )
    .await?;
    if pinned {
        log_event(
            &core.db,
            id,
            first,
            "info",
            &format!("host key pinned: {host_key}"),
        )
        .await?;
        return Ok(true);
    }
    // Not updated: already pinned (fine), or no longer ours.
    Ok(install::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .is_some_and(|m| {
            m.job_id == Some(ctx.id) && InstallStatus::ACTIVE.contains(&m.status.as_str())
        }))
}

/// A failed connection: closed failures (wrong host key, key refused) fail the install at
/// its first pending step, touching nothing; the rest is retried.
async fn connect_failed(
    ctx: &JobContext<'_>,
    id: Uuid,
    first: Option<StepName>,
    todo: &[(i32, StepName)],
    e: SshError,
) -> DomainResult<Stop> {
    let closed = matches!(e, SshError::HostKeyMismatch { .. } | SshError::Key(_));
    let reason = match &e {
        SshError::AuthRejected { user, host_key } => {
            // The key is not in authorized_keys yet, but the host has shown its key: pin it
            // at this first contact, so the next attempts trust nothing new.
            pin(ctx, id, first, host_key).await?;
            format!("{e}: add the install's public key to ~{user}/.ssh/authorized_keys on the host")
        }
        _ => e.to_string(),
    };
    if !closed {
        // Logged by `run` with what happens next.
        return Ok(Stop::Retry(DomainError::unavailable(reason)));
    }
    connect_refused(ctx, id, first, todo, reason).await
}

/// Fails the install closed at its first pending step, before anything reached the host.
async fn connect_refused(
    ctx: &JobContext<'_>,
    id: Uuid,
    first: Option<StepName>,
    todo: &[(i32, StepName)],
    reason: String,
) -> DomainResult<Stop> {
    let core = ctx.core;
    if !set_owned(&core.db, ctx.id, id, install::Entity::update_many()).await? {
        return Ok(Stop::Lost);
    }
    log_event(&core.db, id, first, "error", &reason).await?;
    if let Some((position, _)) = todo.first() {
        install_step::Entity::update_many()
            .col_expr(
                install_step::Column::Status,
                StepStatus::Failed.as_str().into(),
            )
            .col_expr(
                install_step::Column::Attempts,
                sea_orm::sea_query::Expr::col(install_step::Column::Attempts).add(1),
            )
            .col_expr(install_step::Column::StartedAt, Some(Utc::now()).into())
            .col_expr(install_step::Column::FinishedAt, Some(Utc::now()).into())
            .col_expr(install_step::Column::Output, reason.clone().into())
            .filter(install_step::Column::InstallId.eq(id))
            .filter(install_step::Column::Position.eq(*position))
            .exec(&core.db)
            .await?;
    }
    Ok(Stop::Failed(reason))
}

/// Runs one step and records it.
async fn one_step(
    ctx: &JobContext<'_>,
    m: &install::Model,
    remote: &Remote<'_>,
    address: IpAddr,
    secrets: &Secrets,
    position: i32,
    step: StepName,
) -> Result<(), Stop> {
    let core = ctx.core;
    let started = Utc::now();
    let owned = set_owned(
        &core.db,
        ctx.id,
        m.id,
        install::Entity::update_many().col_expr(
            install::Column::CurrentStep,
            Some(step.as_str().to_owned()).into(),
        ),
    )
    .await?;
    if !owned {
        return Err(Stop::Lost);
    }
    install_step::Entity::update_many()
        .col_expr(
            install_step::Column::Status,
            StepStatus::Running.as_str().into(),
        )
        .col_expr(install_step::Column::StartedAt, Some(started).into())
        .col_expr(
            install_step::Column::FinishedAt,
            Option::<chrono::DateTime<Utc>>::None.into(),
        )
        .col_expr(
            install_step::Column::Attempts,
            sea_orm::sea_query::Expr::col(install_step::Column::Attempts).add(1),
        )
        .filter(install_step::Column::InstallId.eq(m.id))
        .filter(install_step::Column::Position.eq(position))
        .exec(&core.db)
        .await?;
    log_event(
        &core.db,
        m.id,
        Some(step),
        "info",
        &format!("{} started", step.as_str()),
    )
    .await?;
    // The step's output reaches the log line by line while it runs (a package install
    // takes minutes), redacted on the way.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let writer = {
        let core = core.clone();
        let secrets = remote.secrets.clone();
        let id = m.id;
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                let line = crate::installs::steps::redact(&secrets, &line, false);
                log_event(&core.db, id, Some(step), "output", &line).await?;
            }
            Ok::<(), DomainError>(())
        })
    };
    let live = Remote {
        session: remote.session,
        sudo: remote.sudo,
        secrets: remote.secrets.clone(),
        live: Some(tx),
    };
    let performed = perform(ctx, m, &live, address, secrets, step).await;
    drop(live);
    writer.await.map_err(DomainError::internal)??;
    let ran = match performed {
        Ok(ran) => ran,
        Err(stop @ (Stop::Retry(_) | Stop::Lost)) => return Err(stop),
        Err(Stop::Failed(reason)) => Ran {
            exit_code: None,
            output: reason.clone(),
            result: Default::default(),
            reason: Some(reason),
        },
    };
    // Record the step only while the install is still this job's.
    if !set_owned(&core.db, ctx.id, m.id, install::Entity::update_many()).await? {
        return Err(Stop::Lost);
    }
    let ok = ran.succeeded();
    let status = if ok {
        StepStatus::Succeeded
    } else {
        StepStatus::Failed
    };
    install_step::Entity::update_many()
        .col_expr(install_step::Column::Status, status.as_str().into())
        .col_expr(install_step::Column::FinishedAt, Some(Utc::now()).into())
        .col_expr(install_step::Column::ExitCode, ran.exit_code.into())
        .col_expr(install_step::Column::Output, ran.output.clone().into())
        .col_expr(
            install_step::Column::Result,
            Some(serde_json::json!(ran.result)).into(),
        )
        .filter(install_step::Column::InstallId.eq(m.id))
        .filter(install_step::Column::Position.eq(position))
        .exec(&core.db)
        .await?;
    let seconds = (Utc::now() - started).num_milliseconds() as f64 / 1000.0;
    if ok {
        log_event(
            &core.db,
            m.id,
            Some(step),
            "info",
            &format!("{} succeeded in {seconds:.1} s", step.as_str()),
        )
        .await?;
        Ok(())
    } else {
        let why = ran.reason.unwrap_or_else(|| "no reason given".into());
        let code = ran
            .exit_code
            .map_or_else(|| "no exit code".to_owned(), |c| format!("exit code {c}"));
        Err(Stop::Failed(format!(
            "step {} failed ({code}): {why}",
            step.as_str()
        )))
    }
}

/// What one step does.
async fn perform(
    ctx: &JobContext<'_>,
    m: &install::Model,
    remote: &Remote<'_>,
    address: IpAddr,
    secrets: &Secrets,
    step: StepName,
) -> Result<Ran, Stop> {
    let paths = NodePaths {
        key: m.node_key.clone(),
    };
    let key = paths.key.clone();
    let sip_port = stored_port("sip_port", m.sip_port)?;
    let rpc_port = stored_port("rpc_port", m.rpc_port)?;
    let timeout = step.timeout();
    let dropped = |e: SshError| Stop::Retry(DomainError::unavailable(e.to_string()));
    match step {
        StepName::Preflight => remote
            .script(
                scripts::PREFLIGHT,
                &[
                    key,
                    address.to_string(),
                    sip_port.to_string(),
                    rpc_port.to_string(),
                ],
                timeout,
            )
            .await
            .map_err(dropped),
        StepName::Packages => remote
            .script(scripts::PACKAGES, &["1".to_owned()], timeout)
            .await
            .map_err(dropped),
        StepName::Database => remote
            .step(
                &paths,
                &[
                    ("node-db.sh", "0700", scripts::NODE_DB_SH),
                    ("db.password", "0600", secrets.db_password.as_str()),
                ],
                scripts::DATABASE,
                &[key],
                timeout,
            )
            .await
            .map_err(dropped),
        StepName::Configuration => {
            let env = node_env(
                &paths,
                &address.to_string(),
                sip_port,
                rpc_port,
                &secrets.db_password,
            );
            remote
                .step(
                    &paths,
                    &[
                        ("kamailio.cfg", "0600", scripts::KAMAILIO_CFG),
                        ("start.sh", "0700", scripts::START_SH),
                        ("stop.sh", "0700", scripts::STOP_SH),
                        ("node.env", "0600", env.as_str()),
                    ],
                    scripts::CONFIG,
                    &[key],
                    timeout,
                )
                .await
                .map_err(dropped)
        }
        StepName::Service => remote
            .script(scripts::SERVICE, &[key], timeout)
            .await
            .map_err(dropped),
        StepName::Health => {
            let mut ran = remote
                .script(scripts::HEALTH, &[key], timeout)
                .await
                .map_err(dropped)?;
            if !ran.succeeded() {
                return Ok(ran);
            }
            match super::probe::options(address, sip_port, Duration::from_secs(10)).await {
                Ok(answer) => {
                    let said = format!(
                        "SIP OPTIONS to {address}:{sip_port}: {} {}",
                        answer.status, answer.reason
                    );
                    remote.say(&said);
                    ran.output.push_str(&format!("\n{said}"));
                    ran.result
                        .insert("sip_options".into(), answer.status.to_string());
                    if answer.status != 200 {
                        ran.exit_code = Some(1);
                        ran.reason = Some(format!(
                            "the node answered SIP OPTIONS with {} {}",
                            answer.status, answer.reason
                        ));
                    }
                }
                Err(e) => {
                    remote.say(&e);
                    ran.output.push_str(&format!("\n{e}"));
                    ran.exit_code = Some(1);
                    ran.reason = Some(e);
                }
            }
            Ok(ran)
        }
        StepName::Enroll => {
            let ran = enroll(ctx, m, rpc_port, secrets).await?;
            remote.say(&ran.output);
            Ok(ran)
        }
    }
}

/// Registers the node as a switch node (or updates the one registered before) and runs its
/// first reconcile, which writes the served tenants' domains and credentials to the node.
async fn enroll(
    ctx: &JobContext<'_>,
    m: &install::Model,
    rpc_port: u16,
    secrets: &Secrets,
) -> Result<Ran, Stop> {
    let core = ctx.core;
    let db = NodePaths {
        key: m.node_key.clone(),
    }
    .database();
    // As the node's host sees them: reconciles reach both through SSH (see `tunnel`).
    let settings = KamailioSettings {
        db_url: format!(
            "postgres://{db}:{pw}@127.0.0.1:5432/{db}",
            pw = secrets.db_password
        ),
        rpc_url: format!("http://127.0.0.1:{rpc_port}/RPC"),
    };
    let tenants: Vec<Uuid> = crate::services::from_json(&m.tenant_ids)?;
    let txn = core.begin().await?;
    let node = nodes::enroll(
        core,
        &txn,
        m.switch_node_id,
        &m.name,
        &m.address,
        &settings,
        &tenants,
    )
    .await;
    let node = match node {
        Ok(n) => n,
        Err(e) if e.errors.iter().any(|f| f.field == "name") => {
            return Err(Stop::Failed(format!(
                "a switch node named {} exists already; rename it or delete it, then retry",
                m.name
            )));
        }
        Err(e) => return Err(Stop::Retry(e)),
    };
    install::Entity::update_many()
        .col_expr(install::Column::SwitchNodeId, Some(node.id).into())
        .filter(install::Column::Id.eq(m.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let reconciled = crate::switch::provisioning::job::reconcile(ctx, node.id, None).await;
    let mut result = std::collections::BTreeMap::new();
    result.insert("switch_node_id".to_owned(), node.id.to_string());
    Ok(match reconciled {
        Ok(()) => Ran {
            exit_code: Some(0),
            output: format!(
                "switch node {} ({}) enrolled; first reconcile applied through SSH \
                 (the node's database and JSON-RPC stay on its loopback)",
                node.name, node.id
            ),
            result,
            reason: None,
        },
        Err(e) => Ran {
            exit_code: Some(1),
            output: format!("switch node {} enrolled; first reconcile failed", node.id),
            result,
            reason: Some(format!("first reconcile failed: {}", e.detail)),
        },
    })
}
