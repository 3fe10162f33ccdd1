use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "time_conditions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// `{time_zone, rules, exceptions}` as `dialplan::timecond::TimeCondition` writes it.
    pub schedule: Json,
    /// A `Destination`, taken when the schedule matches.
    pub matched_destination: Json,
    /// A `Destination`, taken otherwise.
    pub unmatched_destination: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
