use sea_orm::entity::prelude::*;

/// A call a switch asked to place: the decision, the rate and hold it was granted, and what
/// it was charged once it ended.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_authorizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The switch's call id (SIP Call-ID), unique.
    pub call_id: String,
    /// The switch node that asked.
    pub node_id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Option<Uuid>,
    /// `outbound` or `internal`.
    pub kind: String,
    pub caller: String,
    pub destination: String,
    /// The number sent out (after the route's rewriting).
    pub number: Option<String>,
    pub prefix: Option<String>,
    pub destination_name: Option<String>,
    pub deck_version_id: Option<Uuid>,
    pub currency: Option<String>,
    pub per_minute_micros: i64,
    pub connection_fee_micros: i64,
    pub minimum_seconds: i32,
    pub first_increment: i32,
    pub next_increment: i32,
    pub max_duration_seconds: i32,
    pub hold_micros: i64,
    /// `active`, `ended` or `expired`.
    pub status: String,
    pub created_at: DateTimeUtc,
    /// When an unended call's hold is released.
    pub expires_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub duration_seconds: i32,
    pub billed_seconds: i32,
    pub hangup_cause: Option<String>,
    pub charge_micros: Option<i64>,
    pub transaction_id: Option<Uuid>,
    /// The JSON answered to the switch, answered again to a retry of the same call id.
    pub answer: String,
    /// JSON: each level of the reseller chain (the tenant, its partner, …) with its account,
    /// rate and hold.
    pub levels: String,
}

impl ActiveModelBehavior for ActiveModel {}
