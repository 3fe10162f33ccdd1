use sea_orm::entity::prelude::*;

/// One entry Centralita last applied to a switch node: `d:<domain>` or
/// `s:<user>@<domain>`, with a digest of its values (never the values: HA1s are
/// password-equivalent).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "switch_node_applied")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub entry: String,
    pub digest: String,
}

impl ActiveModelBehavior for ActiveModel {}
