use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dial_numbers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Unique per tenant across every kind of dialable object.
    pub number: String,
    /// `extension`, `ring_group`, `ivr_menu`, `queue` or `conference`.
    pub owner_type: crate::kinds::ObjectKind,
    pub owner_id: Uuid,
}

impl ActiveModelBehavior for ActiveModel {}
