use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "destination_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub from_type: crate::kinds::ObjectKind,
    pub from_id: Uuid,
    /// Which field of the referrer holds the destination (e.g. `forwarding.busy`).
    pub field: String,
    pub to_type: crate::kinds::ObjectKind,
    pub to_id: Uuid,
}

impl ActiveModelBehavior for ActiveModel {}
