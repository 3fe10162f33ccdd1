use sea_orm::entity::prelude::*;

/// What one level of the reseller chain was charged for a call (level 0: the tenant that
/// made it; 1: its partner; …).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub call_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i32,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub currency: String,
    pub deck_version_id: Option<Uuid>,
    pub prefix: Option<String>,
    pub per_minute_micros: i64,
    pub billed_seconds: i32,
    pub charge_micros: i64,
    /// The ledger transaction that charged it (the latest, after a re-rate).
    pub transaction_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
