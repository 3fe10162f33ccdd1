use sea_orm::entity::prelude::*;

/// Which trunks an outbound route uses: the index that lets a trunk delete answer 409 naming
/// the routes (of any tenant, for a carrier trunk) that still use it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_route_trunks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub route_id: Uuid,
    pub trunk_id: Uuid,
    pub position: i32,
}

impl ActiveModelBehavior for ActiveModel {}
