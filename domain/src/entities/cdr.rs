use sea_orm::entity::prelude::*;

/// A call detail record, as a switch reported it, with its rating.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cdrs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub call_id: String,
    pub leg: String,
    pub tenant_id: Uuid,
    pub node_id: Uuid,
    /// `outbound`, `inbound` or `internal`.
    pub direction: String,
    pub caller: String,
    pub destination: String,
    pub extension: Option<String>,
    pub started_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub ended_at: DateTimeUtc,
    pub duration_seconds: i32,
    pub billed_seconds: i32,
    /// `answered`, `no_answer`, `busy` or `failed`.
    pub disposition: String,
    pub hangup_cause: String,
    pub trunk_id: Option<Uuid>,
    /// `rated` or `unrated`.
    pub status: String,
    pub unrated_reason: Option<String>,
    pub prefix: Option<String>,
    pub destination_name: Option<String>,
    pub currency: Option<String>,
    /// What the tenant was charged (level 0).
    pub charge_micros: Option<i64>,
    pub buy_currency: Option<String>,
    /// What the carrier charges the platform.
    pub buy_micros: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
