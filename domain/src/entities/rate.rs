use sea_orm::entity::prelude::*;

/// One rate of a deck version; `line` is its line in the imported CSV (export order).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line: i32,
    pub prefix: String,
    pub destination: String,
    pub per_minute_micros: i64,
    pub connection_fee_micros: i64,
    pub minimum_seconds: i32,
    pub first_increment: i32,
    pub next_increment: i32,
    pub effective_from: Option<DateTimeUtc>,
    /// Exclusive.
    pub effective_until: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
