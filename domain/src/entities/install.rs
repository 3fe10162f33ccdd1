use sea_orm::entity::prelude::*;

/// One managed install (or upgrade run) of a Kamailio node on a customer's host.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "installs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `install` or `upgrade`.
    pub operation: String,
    /// The switch node's name once enrolled.
    pub name: String,
    /// 12 hex digits naming the node on its host (directories, database, role, unit).
    pub node_key: String,
    /// The target as given (hostname or address).
    pub host: String,
    /// The address checked at creation; the only one the worker connects to.
    pub address: String,
    pub ssh_port: i32,
    pub ssh_user: String,
    pub profile: String,
    pub sip_port: i32,
    pub rpc_port: i32,
    /// JSON array of the tenant ids the node serves.
    pub tenant_ids: Json,
    /// The partner tenant that created it (`None`: platform staff).
    pub owner_tenant_id: Option<Uuid>,
    /// `ssh-ed25519 …` line for the target's `authorized_keys`.
    pub public_key: String,
    /// The OpenSSH private key, sealed (`secretbox`): never returned.
    pub private_key_sealed: String,
    pub key_fingerprint: String,
    /// The host-key fingerprint the caller expects (`SHA256:…`), if given.
    pub host_key_expected: Option<String>,
    /// The host key pinned at first contact.
    pub host_key_pinned: Option<String>,
    /// The node database role's password, sealed: never returned, redacted from output.
    pub db_password_sealed: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub current_step: Option<String>,
    pub error: Option<String>,
    pub job_id: Option<Uuid>,
    pub switch_node_id: Option<Uuid>,
    /// The address while queued or running (unique: one install per host at a time).
    pub active_host: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
