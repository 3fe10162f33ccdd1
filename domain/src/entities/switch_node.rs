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
}

impl ActiveModelBehavior for ActiveModel {}
