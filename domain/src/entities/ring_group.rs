//! A ring group. `members` is a JSON array (see the service's `RingGroupMember`): small,
//! ordered, always replaced as a whole; the extensions it names are indexed in
//! `destination_refs` so deleting a member extension answers 409.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ring_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: String,
    pub name: String,
    /// `simultaneous`, `sequential`, `random` or `round_robin`.
    pub strategy: String,
    /// Array of members.
    pub members: Json,
    pub ring_seconds: i32,
    /// A `Destination`, where unanswered calls go.
    pub fallback: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
