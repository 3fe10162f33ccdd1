use sea_orm::entity::prelude::*;

/// One outbound route of a tenant; its trunks are in `outbound_route_trunks`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_routes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub position: i32,
    /// Array of canonical dial-pattern texts.
    pub patterns: Json,
    pub strip: i32,
    pub prepend: String,
    /// Array of trunk ids in failover order (mirrored in `outbound_route_trunks`).
    pub trunk_ids: Json,
    pub caller_id_override: Option<String>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
