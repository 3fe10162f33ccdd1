use sea_orm::entity::prelude::*;

/// A tenant's spend policy (see `services::billing::policy`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "spend_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub max_rate_micros: Option<i64>,
    pub max_connection_fee_micros: Option<i64>,
    pub daily_cap_micros: Option<i64>,
    pub max_concurrent_calls: Option<i32>,
    pub allow_prefixes: Json,
    pub deny_prefixes: Json,
    pub allow_countries: Json,
    pub deny_countries: Json,
    pub allow_number_types: Json,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
