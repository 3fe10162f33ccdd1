use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "switch_nodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `kamailio` for now.
    pub kind: String,
    /// Array of the node's IP addresses / host names.
    pub addresses: Json,
    /// `active` or `disabled`.
    pub status: String,
    /// Public part of the node token (`sn_<prefix>_…`).
    pub token_prefix: String,
    /// SHA-256 of the whole token.
    pub token_hash: String,
    pub last_seen_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    /// `{db_url, rpc_url}` of a Kamailio node, sealed (`secretbox`): never returned.
    pub kamailio_settings_sealed: Option<String>,
    /// When a reconcile last applied Centralita's state to the node.
    pub provisioned_at: Option<DateTimeUtc>,
    /// Why the last reconcile failed (cleared by the next success).
    pub provision_error: Option<String>,
    pub provision_error_at: Option<DateTimeUtc>,
    /// Rows found changed on the node behind Centralita's back, and repaired, so far.
    pub drift_repaired_total: i64,
    /// JSON array of the tenants the node serves (each with its subtree); `None`: all.
    pub tenant_ids: Option<Json>,
    /// `sip:host[:port]` of the media server the node relays voicemail, IVR, queue and
    /// conference calls to; `None`: the node's own setting.
    pub media_server_uri: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
