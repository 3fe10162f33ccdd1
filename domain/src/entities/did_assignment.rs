use sea_orm::entity::prelude::*;

/// One period during which a tenant held a DID: what billing charges setup and monthly fees
/// from. `released_at` is `NULL` while the tenant still holds it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "did_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub did_id: Uuid,
    pub tenant_id: Uuid,
    pub assigned_at: DateTimeUtc,
    pub released_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
