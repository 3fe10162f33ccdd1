use sea_orm::entity::prelude::*;

/// A DID fee charged for one assignment: its setup fee, or its monthly fee for one
/// billing period (prorated by day).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "did_fee_charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assignment_id: Uuid,
    /// `setup` or `monthly`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub tenant_id: Uuid,
    pub did_id: Uuid,
    pub days: i32,
    pub period_days: i32,
    pub amount_micros: i64,
    pub currency: String,
    pub transaction_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
