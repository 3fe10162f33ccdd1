use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extensions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: String,
    pub display_name: String,
    pub user_id: Option<Uuid>,
    pub enabled: bool,
    pub sip_username: String,
    pub caller_id_name: Option<String>,
    pub caller_id_number: Option<String>,
    pub external_caller_id: Option<String>,
    pub dnd: bool,
    /// `{always, busy, no_answer, unreachable}`, each `{enabled, destination}` or null.
    pub forwarding: Json,
    /// Ordered `[{destination, ring_seconds}]`.
    pub follow_me: Json,
    pub max_concurrent_calls: i32,
    pub record_calls: bool,
    pub voicemail_box_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
