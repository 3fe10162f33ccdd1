use sea_orm::entity::prelude::*;

/// A tenant's billing terms (`tenant_id`), or one of the platform's own accounts
/// (`system_name`, per currency).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub system_name: Option<String>,
    /// `prepaid` or `postpaid`.
    pub kind: String,
    /// ISO 4217.
    pub currency: String,
    pub credit_limit_micros: i64,
    /// Percent in micro-units: 21 % is 21_000_000.
    pub tax_rate_micros: i64,
    /// Day of the month (1-28) a billing period starts.
    pub billing_day: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    /// The rate deck its calls are sold at, assigned by the level above.
    pub sell_deck_id: Option<Uuid>,
    /// The sum of the account's postings, kept in step by every posting.
    pub balance_micros: i64,
    /// The sum of the credit holds of its calls in progress.
    pub held_micros: i64,
    /// Its outbound calls in progress (authorized, not ended).
    pub active_calls: i64,
}

impl ActiveModelBehavior for ActiveModel {}
