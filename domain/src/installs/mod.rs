//! Managed installs: a Kamailio edge node installed on a customer's host over SSH, driven
//! by the API, observable step by step, resumable, and secure by default.
//!
//! - this module: the API's shapes and the service (create, read, cancel, retry, upgrade,
//!   the event log), and who may do what;
//! - [`steps`]: the seven ordered steps, what each uploads and runs on the host (the
//!   scripts of `deploy/kamailio/install/`, embedded in the binary), and output redaction;
//! - [`job`]: the job that runs the steps, one after another, resuming at the first step
//!   not yet succeeded;
//! - [`probe`]: the SIP OPTIONS health probe sent to the new node from outside.
//!
//! How an install goes: `POST /v1/installs` checks the target (public addresses only,
//! unless `install_allowed_targets` names it: see [`crate::ssh::target`]), generates the
//! install's own SSH key pair and the node database's password, seals both (the private key
//! is never returned), and queues the job in the same transaction. The caller puts the
//! answered public key into the host's `authorized_keys`. The job connects to the address
//! checked at creation (a hostname is never resolved again, so DNS cannot move it), pins the
//! host key on first contact (or checks the one given) and runs the steps. A step that fails
//! fails the install closed with its exit code and output; `POST …/retry` resumes there.
//!
//! One install per host at a time: `installs.active_host` holds the target address while an
//! install is queued or running, under a unique index.

pub mod job;
pub mod probe;
pub mod steps;
pub(crate) mod tunnel;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, sea_query::ExprTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    authz::{Actor, Grant, PlatformPermission, Relation, Role, grant_platform},
    core::Core,
    entities::{install, install_event, install_step, switch_node, tenant},
    error::{DomainError, DomainResult, ErrorCode, FieldError},
    ids::TenantId,
    pagination::PageRequest,
    secretbox::SecretBox,
    services::{audit, from_json, from_stored, jobs},
    ssh::{self, InstallKey},
    validate::{Errors, display_text},
};

pub use steps::StepName;

/// What gets installed. One profile for now: a Kamailio edge node (registrar/proxy) from
/// `deploy/kamailio/`, keeping its database in a PostgreSQL on the same host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    KamailioEdge,
}

impl Profile {
    const fn as_str(self) -> &'static str {
        match self {
            Self::KamailioEdge => "kamailio-edge",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstallStatus {
    Queued,
    Running,
    Succeeded,
    /// A step failed; `POST …/retry` resumes at it.
    Failed,
    Cancelled,
}

impl InstallStatus {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The stored statuses of an install that holds its host (`active_host`).
    pub(crate) const ACTIVE: [&'static str; 2] = [Self::Queued.as_str(), Self::Running.as_str()];

    /// Whether the install holds its host (`active_host`).
    const fn is_active(self) -> bool {
        match self {
            Self::Queued | Self::Running => true,
            Self::Succeeded | Self::Failed | Self::Cancelled => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl StepStatus {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// A first install, or an upgrade of an installed node (steps 2-6 again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Install,
    Upgrade,
}

impl Operation {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Upgrade => "upgrade",
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstall {
    /// The target host: a hostname (resolved once, now) or an IP address. Loopback, private,
    /// link-local and cloud-metadata addresses are refused unless `install_allowed_targets`
    /// names them.
    #[schema(min_length = 1, max_length = 253)]
    pub host: String,
    /// SSH port (default 22).
    #[schema(minimum = 1, maximum = 65535)]
    pub ssh_port: Option<u16>,
    /// The user the install logs in as: `root`, or a user with passwordless `sudo`
    /// (default `root`).
    #[schema(min_length = 1, max_length = 32)]
    pub ssh_user: Option<String>,
    pub profile: Profile,
    /// The tenants the node serves (each with the tenants below it): 1-100. A partner
    /// names only its own tenant or tenants below it.
    #[schema(min_items = 1, max_items = 100)]
    pub tenant_ids: Vec<Uuid>,
    /// SIP port of the node, UDP and TCP (default 5060).
    #[schema(minimum = 1, maximum = 65535)]
    pub sip_port: Option<u16>,
    /// JSON-RPC port of the node, on the host's loopback only (default 5080).
    #[schema(minimum = 1, maximum = 65535)]
    pub rpc_port: Option<u16>,
    /// The host key's fingerprint as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`
    /// prints it (`SHA256:…`). Without it the key the host presents first is pinned.
    #[schema(max_length = 100)]
    pub host_key_fingerprint: Option<String>,
    /// The switch node's name once enrolled (default `<host>-<sip_port>`).
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// One step of an install, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstallStepView {
    pub position: i32,
    pub name: StepName,
    pub status: StepStatus,
    /// How many times the step has been started (a resumed install runs it again).
    pub attempts: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The exit code of the step's script on the host.
    pub exit_code: Option<i32>,
    /// The step's output (stdout, then stderr), at most 64 KiB, secrets redacted.
    pub output: String,
    /// Facts the step established (`os`, `kamailio_version`, `config_sha256`, …).
    #[schema(value_type = Object)]
    pub result: BTreeMap<String, String>,
}

/// Steps done of steps to run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstallProgress {
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstallView {
    pub id: Uuid,
    pub operation: Operation,
    pub name: String,
    /// Names the node on its host: `/var/lib/centralita-node/KEY`, `/run/centralita-node-KEY`,
    /// database and role `centralita_node_KEY`, unit `centralita-node-KEY.service`.
    pub node_key: String,
    pub host: String,
    /// The address checked at creation: the only one the install connects to.
    pub address: String,
    pub ssh_port: u16,
    pub ssh_user: String,
    pub profile: Profile,
    pub tenant_ids: Vec<Uuid>,
    pub sip_port: u16,
    pub rpc_port: u16,
    /// Put this line into `~<ssh_user>/.ssh/authorized_keys` on the host. The private half
    /// never leaves Centralita.
    pub public_key: String,
    /// SHA-256 fingerprint of `public_key`.
    pub key_fingerprint: String,
    /// The host key the install expects or has pinned (`SHA256:…`); `null` before the
    /// first contact when none was given.
    pub host_key_fingerprint: Option<String>,
    pub status: InstallStatus,
    pub current_step: Option<StepName>,
    /// Why the install failed.
    pub error: Option<String>,
    pub progress: InstallProgress,
    pub steps: Vec<InstallStepView>,
    /// The switch node it enrolled.
    pub switch_node_id: Option<Uuid>,
    /// The job running it (`GET /v1/jobs/{id}` for platform staff).
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub version: i64,
}

/// A line of an install's log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstallEventView {
    /// Grows with every event: resume after the last one seen.
    pub id: i32,
    pub at: DateTime<Utc>,
    pub step: Option<StepName>,
    /// `info`, `output` or `error`.
    pub level: String,
    pub message: String,
}

crate::page_type!(InstallPage, InstallView);

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstallListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstallEventsQuery {
    /// Only events after this id (also read from the `Last-Event-ID` header).
    pub after: Option<i32>,
}

impl InstallStepView {
    fn new(m: &install_step::Model) -> DomainResult<Self> {
        Ok(Self {
            position: m.position,
            name: from_stored("install_steps.name", &m.name)?,
            status: from_stored("install_steps.status", &m.status)?,
            attempts: m.attempts,
            started_at: m.started_at,
            finished_at: m.finished_at,
            exit_code: m.exit_code,
            output: m.output.clone(),
            result: match &m.result {
                Some(v) => from_json(v)?,
                None => BTreeMap::new(),
            },
        })
    }
}

impl InstallView {
    fn new(m: &install::Model, steps: &[install_step::Model]) -> DomainResult<Self> {
        let steps = steps
            .iter()
            .map(InstallStepView::new)
            .collect::<DomainResult<Vec<_>>>()?;
        let done = steps
            .iter()
            .filter(|s| s.status == StepStatus::Succeeded)
            .count();
        Ok(Self {
            id: m.id,
            operation: from_stored("installs.operation", &m.operation)?,
            name: m.name.clone(),
            node_key: m.node_key.clone(),
            host: m.host.clone(),
            address: m.address.clone(),
            ssh_port: stored_port("ssh_port", m.ssh_port)?,
            ssh_user: m.ssh_user.clone(),
            profile: from_stored("installs.profile", &m.profile)?,
            tenant_ids: from_json(&m.tenant_ids)?,
            sip_port: stored_port("sip_port", m.sip_port)?,
            rpc_port: stored_port("rpc_port", m.rpc_port)?,
            public_key: m.public_key.clone(),
            key_fingerprint: m.key_fingerprint.clone(),
            host_key_fingerprint: m
                .host_key_pinned
                .clone()
                .or_else(|| m.host_key_expected.clone()),
            status: from_stored("installs.status", &m.status)?,
            current_step: m
                .current_step
                .as_deref()
                .map(|s| from_stored("installs.current_step", s))
                .transpose()?,
            error: m.error.clone(),
            progress: InstallProgress {
                done: u32::try_from(done).unwrap_or(u32::MAX),
                total: u32::try_from(steps.len()).unwrap_or(u32::MAX),
            },
            steps,
            switch_node_id: m.switch_node_id,
            job_id: m.job_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            version: m.version,
        })
    }
}

/// A write of one install row: it names the row, and bumps `updated_at` and `version`
/// (every change of an install is a new version, whoever makes it: a request or the job).
pub(crate) trait Changed {
    fn changed(self, id: Uuid) -> Self;
}

impl Changed for sea_orm::UpdateMany<install::Entity> {
    fn changed(self, id: Uuid) -> Self {
        self.col_expr(install::Column::UpdatedAt, Utc::now().into())
            .col_expr(
                install::Column::Version,
                sea_orm::sea_query::Expr::col(install::Column::Version).add(1),
            )
            .filter(install::Column::Id.eq(id))
    }
}

/// A stored port back into its type; out of range is a logged internal error.
pub(crate) fn stored_port(field: &str, v: i32) -> DomainResult<u16> {
    u16::try_from(v)
        .map_err(|_| DomainError::internal(format!("installs.{field} out of range: {v}")))
}

/// The permission check, in one place: platform staff, or a partner (its own installs).
fn require(actor: &Actor, perm: PlatformPermission) -> DomainResult<()> {
    if grant_platform(actor.principal.role, perm) == Grant::Allow {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "Only platform staff and partners manage installs",
        ))
    }
}

/// The partner tenant an actor's installs belong to (`None` for platform staff).
fn owner_of(actor: &Actor) -> DomainResult<Option<Uuid>> {
    match actor.principal.role {
        Role::PlatformAdmin | Role::Support => Ok(None),
        Role::PartnerAdmin => actor
            .principal
            .tenant_id
            .map(|t| Some(t.0))
            .ok_or_else(|| DomainError::forbidden("A partner without a tenant has no installs")),
        Role::TenantAdmin | Role::TenantUser => Err(DomainError::forbidden(
            "Only platform staff and partners manage installs",
        )),
    }
}

/// The install `id` if the actor may see it; another partner's install is 404.
async fn visible(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<install::Model> {
    let owner = owner_of(actor)?;
    let found = install::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .filter(|m| owner.is_none() || m.owner_tenant_id == owner)
        .ok_or_else(|| DomainError::not_found("install"))?;
    Ok(found)
}

async fn steps_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> DomainResult<Vec<install_step::Model>> {
    Ok(install_step::Entity::find()
        .filter(install_step::Column::InstallId.eq(id))
        .order_by_asc(install_step::Column::Position)
        .all(db)
        .await?)
}

async fn view(core: &Core, m: &install::Model) -> DomainResult<InstallView> {
    InstallView::new(m, &steps_of(&core.db, m.id).await?)
}

/// Checks the tenants an install serves: they exist and the actor sees them (a partner:
/// its own tenant and those below it). Invisible and unknown tenants read the same.
async fn check_tenants(
    core: &Core,
    actor: &Actor,
    errors: &mut Errors,
    ids: &[Uuid],
) -> DomainResult<Vec<Uuid>> {
    if ids.is_empty() || ids.len() > 100 {
        errors.push(FieldError::new(
            "tenant_ids",
            "out_of_range",
            "give 1-100 tenants",
        ));
        return Ok(Vec::new());
    }
    let rows: Vec<(Uuid, String)> = tenant::Entity::find()
        .select_only()
        .columns([tenant::Column::Id, tenant::Column::Path])
        .filter(tenant::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(&core.db)
        .await?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let visible = rows.iter().find(|(t, _)| t == id).is_some_and(|(t, path)| {
            matches!(
                actor.principal.relation_to(TenantId(*t), path),
                Some(Relation::Platform | Relation::Own | Relation::Descendant)
            )
        });
        if !visible {
            errors.push(FieldError::new(
                format!("tenant_ids[{i}]"),
                "not_found",
                "no such tenant",
            ));
        } else if seen.insert(*id) {
            out.push(*id);
        }
    }
    Ok(out)
}

fn check_port(errors: &mut Errors, field: &str, given: Option<u16>, default: u16) -> u16 {
    let port = given.unwrap_or(default);
    if port < 1024 && port != default {
        // Below 1024 only the well-known SIP port makes sense; anything else is a typo
        // that would clash with system services.
        errors.push(FieldError::new(
            field,
            "out_of_range",
            "must be 1024-65535 (or the default)",
        ));
    }
    port
}

fn check_user(errors: &mut Errors, raw: Option<&str>) -> String {
    let user = raw.unwrap_or("root");
    let ok = !user.is_empty()
        && user.len() <= 32
        && user.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && user
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        errors.push(FieldError::new(
            "ssh_user",
            "invalid_user",
            "must be a POSIX user name: [a-z_][a-z0-9_-]{0,31}",
        ));
    }
    user.to_owned()
}

fn check_fingerprint(errors: &mut Errors, raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    let body = raw.strip_prefix("SHA256:").unwrap_or("");
    let ok = body.len() == 43
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/');
    if ok {
        Some(raw.to_owned())
    } else {
        errors.push(FieldError::new(
            "host_key_fingerprint",
            "invalid_fingerprint",
            "must be SHA256: and 43 base64 characters, as ssh-keygen -lf prints it",
        ));
        None
    }
}

fn sealer(core: &Core) -> DomainResult<SecretBox> {
    SecretBox::configured(
        core,
        "install",
        "Managed installs",
        "installs cannot be started meanwhile",
    )
}

/// A password for the node database's role: 32 letters and digits, so it survives a
/// PostgreSQL URL and a shell `KEY=value` line without quoting.
fn db_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// The unique-index violation of `active_host`, as the 409 it means.
fn host_busy(e: sea_orm::DbErr) -> DomainError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => DomainError::new(
            ErrorCode::Conflict,
            "Another install on this host is queued or running; wait for it or cancel it",
        ),
        _ => e.into(),
    }
}

pub async fn create(core: &Core, actor: &Actor, input: CreateInstall) -> DomainResult<InstallView> {
    require(actor, PlatformPermission::ManageInstalls)?;
    let owner = owner_of(actor)?;
    let mut errors = Errors::default();
    let ssh_port = input.ssh_port.unwrap_or(22);
    let ssh_user = check_user(&mut errors, input.ssh_user.as_deref());
    let sip_port = check_port(&mut errors, "sip_port", input.sip_port, 5060);
    let rpc_port = check_port(&mut errors, "rpc_port", input.rpc_port, 5080);
    if sip_port == rpc_port {
        errors.push(FieldError::new(
            "rpc_port",
            "conflict",
            "must differ from sip_port",
        ));
    }
    let expected = check_fingerprint(&mut errors, input.host_key_fingerprint.as_deref());
    let tenants = check_tenants(core, actor, &mut errors, &input.tenant_ids).await?;
    let default_name = format!("{}-{sip_port}", input.host.trim());
    let name = errors.check(display_text(
        "name",
        input.name.as_deref().unwrap_or(&default_name),
    ));
    // The target last: only a request otherwise valid resolves a hostname.
    let target = if errors.is_empty() {
        match ssh::target::check(&input.host, ssh_port, &core.config.install_allowed_targets).await
        {
            Ok(t) => Some(t),
            Err(e) => {
                for f in e.errors {
                    errors.push(f);
                }
                None
            }
        }
    } else {
        None
    };
    if let Some(t) = &target
        && !t.address.is_ipv4()
    {
        errors.push(FieldError::new(
            "host",
            "ipv6_unsupported",
            "the edge node listens on IPv4: give a host with an IPv4 address",
        ));
    }
    errors.finish()?;
    let (Some(target), Some(name)) = (target, name) else {
        return Err(DomainError::internal("validated install target missing"));
    };
    let sbox = sealer(core)?;
    let id = Uuid::now_v7();
    let node_key = id.simple().to_string()[20..].to_owned();
    let key = InstallKey::generate(&format!("centralita-install-{node_key}"))
        .map_err(DomainError::internal)?;
    let now = Utc::now();
    let address = target.address.to_string();
    let txn = core.begin().await?;
    if switch_node::Entity::find()
        .filter(switch_node::Column::Name.eq(name.clone()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(DomainError::taken("name", "is already a switch node"));
    }
    if install::Entity::find()
        .filter(install::Column::Name.eq(name.clone()))
        .filter(install::Column::Status.is_in(InstallStatus::ACTIVE))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(DomainError::taken(
            "name",
            "is the name of another install in progress",
        ));
    }
    let queued = jobs::enqueue(&txn, &job::InstallRun { install_id: id }, None).await?;
    let model = install::ActiveModel {
        id: Set(id),
        operation: Set(Operation::Install.as_str().into()),
        name: Set(name),
        node_key: Set(node_key),
        host: Set(target.host.clone()),
        address: Set(address.clone()),
        ssh_port: Set(i32::from(target.port)),
        ssh_user: Set(ssh_user),
        profile: Set(input.profile.as_str().into()),
        sip_port: Set(i32::from(sip_port)),
        rpc_port: Set(i32::from(rpc_port)),
        tenant_ids: Set(serde_json::json!(tenants)),
        owner_tenant_id: Set(owner),
        public_key: Set(key.authorized_key.clone()),
        private_key_sealed: Set(sbox.seal(&key.private_openssh)?),
        key_fingerprint: Set(key.fingerprint.clone()),
        host_key_expected: Set(expected),
        host_key_pinned: Set(None),
        db_password_sealed: Set(sbox.seal(&db_password())?),
        status: Set(InstallStatus::Queued.as_str().into()),
        current_step: Set(None),
        error: Set(None),
        job_id: Set(Some(queued.id)),
        switch_node_id: Set(None),
        active_host: Set(Some(address)),
        created_by: Set(Some(actor.principal.id)),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .map_err(host_busy)?;
    let rows: Vec<install_step::ActiveModel> = StepName::ALL
        .iter()
        .enumerate()
        .map(|(i, step)| install_step::ActiveModel {
            install_id: Set(id),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            name: Set(step.as_str().into()),
            status: Set(StepStatus::Pending.as_str().into()),
            attempts: Set(0),
            started_at: Set(None),
            finished_at: Set(None),
            exit_code: Set(None),
            output: Set(String::new()),
            result: Set(None),
        })
        .collect();
    install_step::Entity::insert_many(rows).exec(&txn).await?;
    log_event(
        &txn,
        id,
        None,
        "info",
        &format!(
            "install queued: {} on {}:{} as {}",
            model.profile, model.address, model.ssh_port, model.ssh_user
        ),
    )
    .await?;
    let view = InstallView::new(&model, &steps_of(&txn, id).await?)?;
    audit::record_change(
        &txn,
        &audit::Platform(actor),
        "install.create",
        "install",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    queued.wake(core).await;
    Ok(view)
}

pub async fn get(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<InstallView> {
    require(actor, PlatformPermission::ReadInstalls)?;
    let m = visible(core, actor, id).await?;
    view(core, &m).await
}

pub async fn list(
    core: &Core,
    actor: &Actor,
    query: &InstallListQuery,
) -> DomainResult<InstallPage> {
    require(actor, PlatformPermission::ReadInstalls)?;
    let owner = owner_of(actor)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = install::Entity::find();
    if let Some(owner) = owner {
        select = select.filter(install::Column::OwnerTenantId.eq(owner));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, install::Column::Id, |m| m.id)
        .await?;
    // The page's steps in one query, not one per install.
    let mut steps: std::collections::HashMap<Uuid, Vec<install_step::Model>> =
        std::collections::HashMap::new();
    for step in install_step::Entity::find()
        .filter(install_step::Column::InstallId.is_in(rows.iter().map(|m| m.id)))
        .order_by_asc(install_step::Column::Position)
        .all(&core.db)
        .await?
    {
        steps.entry(step.install_id).or_default().push(step);
    }
    let items = rows
        .iter()
        .map(|m| InstallView::new(m, steps.get(&m.id).map_or(&[][..], Vec::as_slice)))
        .collect::<DomainResult<_>>()?;
    Ok(InstallPage { items, next_cursor })
}

/// The events of install `id` after `after`, at most 500, and the install's final status
/// once it has finished (an install's last event is written with its final status, so when
/// this is `Some` and the list is empty, nothing follows).
pub async fn events(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    after: i32,
) -> DomainResult<(Vec<InstallEventView>, Option<InstallStatus>)> {
    require(actor, PlatformPermission::ReadInstalls)?;
    let m = visible(core, actor, id).await?;
    events_after(core, &m, after).await
}

/// [`events`] for an install already checked.
pub async fn events_after(
    core: &Core,
    m: &install::Model,
    after: i32,
) -> DomainResult<(Vec<InstallEventView>, Option<InstallStatus>)> {
    let status: InstallStatus = from_stored("installs.status", &m.status)?;
    let finished = (!status.is_active()).then_some(status);
    let rows = install_event::Entity::find()
        .filter(install_event::Column::InstallId.eq(m.id))
        .filter(install_event::Column::Id.gt(after))
        .order_by_asc(install_event::Column::Id)
        .limit(500)
        .all(&core.db)
        .await?;
    let items = rows
        .iter()
        .map(|e| {
            Ok(InstallEventView {
                id: e.id,
                at: e.at,
                step: e
                    .step
                    .as_deref()
                    .map(|s| from_stored("install_events.step", s))
                    .transpose()?,
                level: e.level.clone(),
                message: e.message.clone(),
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    Ok((items, finished))
}

/// The install for a stream of its events: checked once, re-read by the stream.
pub async fn for_events(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<install::Model> {
    require(actor, PlatformPermission::ReadInstalls)?;
    visible(core, actor, id).await
}

/// Re-reads an install (for a stream already authorized).
pub async fn reload(core: &Core, id: Uuid) -> DomainResult<install::Model> {
    reload_in(&core.db, id).await
}

/// Stops an install that is queued or running: the job stops before its next step (a step
/// already running on the host finishes first; steps are idempotent, so a retry later is
/// safe). 409 for a finished install.
pub async fn cancel(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<InstallView> {
    require(actor, PlatformPermission::ManageInstalls)?;
    let current = visible(core, actor, id).await?;
    let before = view(core, &current).await?;
    let txn = core.begin().await?;
    let done = install::Entity::update_many()
        .col_expr(
            install::Column::Status,
            InstallStatus::Cancelled.as_str().into(),
        )
        .col_expr(install::Column::ActiveHost, Option::<String>::None.into())
        .col_expr(install::Column::FinishedAt, Some(Utc::now()).into())
        .changed(id)
        .filter(install::Column::Status.is_in(InstallStatus::ACTIVE))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::conflict(format!(
            "The install is {}; only a queued or running install can be cancelled",
            current.status
        )));
    }
    if let Some(job) = current.job_id {
        jobs::cancel_unfinished(&txn, job).await?;
    }
    log_event(&txn, id, None, "error", "install cancelled").await?;
    let after = audited(&txn, actor, "install.cancel", id, &before).await?;
    txn.commit().await?;
    Ok(after)
}

/// The install as `txn` now has it, with the audit event of `action` from `before` to it.
async fn audited(
    txn: &crate::tx::Tx,
    actor: &Actor,
    action: &str,
    id: Uuid,
    before: &InstallView,
) -> DomainResult<InstallView> {
    let after = InstallView::new(&reload_in(txn, id).await?, &steps_of(txn, id).await?)?;
    audit::record_change(
        txn,
        &audit::Platform(actor),
        action,
        "install",
        id,
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

async fn reload_in<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<install::Model> {
    install::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("install"))
}

/// `POST /v1/installs/{id}/host-key`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHostKey {
    /// The host's new key fingerprint (`SHA256:…`, as `ssh-keygen -lf` prints it).
    #[schema(max_length = 100)]
    pub host_key_fingerprint: String,
}

/// Replaces the host key an install (and the reconciles of the node it enrolled) expects:
/// after the host's keys were rotated or its system reinstalled, every connection fails
/// closed until someone who checked the new key on the host says so. Never a blind
/// re-pin: the fingerprint must be given. Not while the install runs.
pub async fn set_host_key(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: NewHostKey,
) -> DomainResult<InstallView> {
    require(actor, PlatformPermission::ManageInstalls)?;
    let mut errors = Errors::default();
    let expected = check_fingerprint(&mut errors, Some(&input.host_key_fingerprint));
    errors.finish()?;
    let current = visible(core, actor, id).await?;
    let before = view(core, &current).await?;
    let txn = core.begin().await?;
    let done = install::Entity::update_many()
        .col_expr(install::Column::HostKeyExpected, expected.into())
        .col_expr(
            install::Column::HostKeyPinned,
            Option::<String>::None.into(),
        )
        .changed(id)
        .filter(install::Column::Status.is_not_in(InstallStatus::ACTIVE))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::conflict(
            "The install is queued or running; cancel it first",
        ));
    }
    log_event(
        &txn,
        id,
        None,
        "info",
        &format!(
            "host key to expect set to {} by {}",
            input.host_key_fingerprint.trim(),
            actor.principal.role.as_str()
        ),
    )
    .await?;
    let after = audited(&txn, actor, "install.set_host_key", id, &before).await?;
    txn.commit().await?;
    Ok(after)
}

/// Resumes a failed or cancelled install at its first step not yet succeeded.
pub async fn retry(core: &Core, actor: &Actor, id: Uuid) -> DomainResult<InstallView> {
    require(actor, PlatformPermission::ManageInstalls)?;
    let current = visible(core, actor, id).await?;
    restart(core, actor, current, Operation::Install, "install.retry").await
}

/// `POST /v1/switch-nodes/{id}/upgrade`: runs steps 2-6 (packages, database, configuration,
/// service, health) again on a node a managed install enrolled, which brings it to the
/// configuration of this Centralita version. Platform staff, or the partner who installed it.
pub async fn upgrade(core: &Core, actor: &Actor, node_id: Uuid) -> DomainResult<InstallView> {
    require(actor, PlatformPermission::ManageInstalls)?;
    let owner = owner_of(actor)?;
    let current = install::Entity::find()
        .filter(install::Column::SwitchNodeId.eq(node_id))
        .order_by_desc(install::Column::CreatedAt)
        .one(&core.db)
        .await?
        .filter(|m| owner.is_none() || m.owner_tenant_id == owner);
    let Some(current) = current else {
        // A node nobody installed through Centralita reads the same as no node to a partner;
        // staff learn why.
        return Err(match owner {
            Some(_) => DomainError::not_found("switch node"),
            None if switch_node::Entity::find_by_id(node_id)
                .one(&core.db)
                .await?
                .is_some() =>
            {
                DomainError::conflict(
                    "The node was not installed by a managed install; upgrade it by hand",
                )
            }
            None => DomainError::not_found("switch node"),
        });
    };
    let steps = steps_of(&core.db, current.id).await?;
    let Some(last) = steps.last() else {
        return Err(DomainError::internal("an install without steps"));
    };
    if from_stored::<StepStatus>("install_steps.status", &last.status)? != StepStatus::Succeeded {
        return Err(DomainError::conflict(
            "The node's install has not completed; retry the install instead",
        ));
    }
    restart(core, actor, current, Operation::Upgrade, "install.upgrade").await
}

/// Queues `current` again: for a retry, from its first step not yet succeeded; for an
/// upgrade, with steps 2-6 reset.
async fn restart(
    core: &Core,
    actor: &Actor,
    current: install::Model,
    operation: Operation,
    action: &str,
) -> DomainResult<InstallView> {
    let status: InstallStatus = from_stored("installs.status", &current.status)?;
    let allowed = match operation {
        Operation::Install => matches!(status, InstallStatus::Failed | InstallStatus::Cancelled),
        Operation::Upgrade => matches!(
            status,
            InstallStatus::Succeeded | InstallStatus::Failed | InstallStatus::Cancelled
        ),
    };
    if !allowed {
        return Err(DomainError::conflict(format!(
            "The install is {}; {}",
            current.status,
            match operation {
                Operation::Install => "only a failed or cancelled install can be retried",
                Operation::Upgrade => "wait for it to finish",
            }
        )));
    }
    let before = view(core, &current).await?;
    let id = current.id;
    let txn = core.begin().await?;
    let queued = jobs::enqueue(&txn, &job::InstallRun { install_id: id }, None).await?;
    let done = install::Entity::update_many()
        .col_expr(
            install::Column::Status,
            InstallStatus::Queued.as_str().into(),
        )
        .col_expr(
            install::Column::Operation,
            // A retry resumes whatever was running (an install or an upgrade).
            match operation {
                Operation::Upgrade => operation.as_str().to_owned(),
                Operation::Install => current.operation.clone(),
            }
            .into(),
        )
        .col_expr(
            install::Column::ActiveHost,
            Some(current.address.clone()).into(),
        )
        .col_expr(install::Column::Error, Option::<String>::None.into())
        .col_expr(
            install::Column::FinishedAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(install::Column::JobId, Some(queued.id).into())
        .changed(id)
        .filter(install::Column::Status.eq(current.status.clone()))
        .exec(&txn)
        .await
        .map_err(host_busy)?;
    if done.rows_affected == 0 {
        return Err(DomainError::conflict(
            "The install changed meanwhile; read it again",
        ));
    }
    let reset: Vec<&str> = match operation {
        Operation::Install => vec![StepStatus::Failed.as_str(), StepStatus::Running.as_str()],
        Operation::Upgrade => vec![
            StepStatus::Succeeded.as_str(),
            StepStatus::Failed.as_str(),
            StepStatus::Running.as_str(),
        ],
    };
    let mut update = install_step::Entity::update_many()
        .col_expr(
            install_step::Column::Status,
            StepStatus::Pending.as_str().into(),
        )
        .filter(install_step::Column::InstallId.eq(id))
        .filter(install_step::Column::Status.is_in(reset));
    if operation == Operation::Upgrade {
        let names = StepName::UPGRADE.iter().map(|s| s.as_str());
        update = update.filter(install_step::Column::Name.is_in(names));
    }
    update.exec(&txn).await?;
    log_event(
        &txn,
        id,
        None,
        "info",
        match operation {
            Operation::Install => "install queued again: resuming at the first step not done",
            Operation::Upgrade => "upgrade queued: steps packages to health run again",
        },
    )
    .await?;
    let after = audited(&txn, actor, action, id, &before).await?;
    txn.commit().await?;
    queued.wake(core).await;
    Ok(after)
}

/// Ends installs left `queued` or `running` by a job that can no longer finish them (dead
/// after its last attempt with the database unreachable, or cancelled by an operator through
/// `/v1/jobs`): they are `failed`, their host is free, and `retry` resumes them. Run by
/// housekeeping; returns how many.
pub async fn sweep_orphans(core: &Core) -> DomainResult<u64> {
    use crate::{entities::job as job_row, services::jobs::JobStatus};
    let active = install::Entity::find()
        .filter(install::Column::Status.is_in(InstallStatus::ACTIVE))
        .all(&core.db)
        .await?;
    let mut swept = 0;
    for m in active {
        let job_status = match m.job_id {
            Some(j) => job_row::Entity::find_by_id(j)
                .one(&core.db)
                .await?
                .map(|row| row.status),
            None => None,
        };
        let over = match job_status.as_deref() {
            None => true,
            Some(s) => matches!(
                from_stored::<JobStatus>("jobs.status", s)?,
                JobStatus::Dead | JobStatus::Cancelled | JobStatus::Succeeded
            ),
        };
        if !over {
            continue;
        }
        let reason = "the install's job ended without finishing it; retry the install";
        let txn = core.begin().await?;
        let done = install::Entity::update_many()
            .col_expr(
                install::Column::Status,
                InstallStatus::Failed.as_str().into(),
            )
            .col_expr(install::Column::ActiveHost, Option::<String>::None.into())
            .col_expr(install::Column::Error, Some(reason.to_owned()).into())
            .col_expr(install::Column::FinishedAt, Some(Utc::now()).into())
            .changed(m.id)
            .filter(install::Column::Version.eq(m.version))
            .exec(&txn)
            .await?;
        if done.rows_affected > 0 {
            install_step::Entity::update_many()
                .col_expr(
                    install_step::Column::Status,
                    StepStatus::Failed.as_str().into(),
                )
                .filter(install_step::Column::InstallId.eq(m.id))
                .filter(install_step::Column::Status.eq(StepStatus::Running.as_str()))
                .exec(&txn)
                .await?;
            log_event(
                &txn,
                m.id,
                None,
                "error",
                &format!("install failed: {reason}"),
            )
            .await?;
            swept += 1;
        }
        txn.commit().await?;
    }
    Ok(swept)
}

/// Appends a line to an install's log. Messages are Centralita's own or redacted output.
pub(crate) async fn log_event<C: sea_orm::ConnectionTrait>(
    db: &C,
    install: Uuid,
    step: Option<StepName>,
    level: &str,
    message: &str,
) -> DomainResult<()> {
    install_event::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        install_id: Set(install),
        at: Set(Utc::now()),
        step: Set(step.map(|s| s.as_str().to_owned())),
        level: Set(level.to_owned()),
        message: Set(message.chars().take(4000).collect()),
    }
    .insert(db)
    .await?;
    Ok(())
}
