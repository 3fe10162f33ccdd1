//! A call queue. `agents` is a JSON array of `{extension_id, tier}`: bounded, always
//! replaced as a whole; the agent extensions are indexed in `destination_refs` so deleting
//! an agent's extension answers 409.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: String,
    pub name: String,
    /// `ring_all`, `longest_idle`, `round_robin` or `fewest_calls`.
    pub strategy: String,
    /// Array of agents.
    pub agents: Json,
    pub max_wait_seconds: i32,
    pub wrap_up_seconds: i32,
    pub music_on_hold: String,
    /// A `Destination`, where callers go after `max_wait_seconds`.
    pub timeout_destination: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
