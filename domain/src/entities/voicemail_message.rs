use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voicemail_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub box_id: Uuid,
    pub caller_id_number: Option<String>,
    pub caller_id_name: Option<String>,
    pub duration_secs: i32,
    pub content_type: String,
    pub size_bytes: i64,
    /// Where the audio lives (a path under the data directory, or an object-store key).
    pub storage_key: String,
    pub read: bool,
    pub received_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// `services::voicemail_email::EmailStatus`, as stored.
    pub email_status: String,
    pub email_attempts: i32,
    pub email_sent_at: Option<DateTimeUtc>,
    /// What the SMTP server answered when it accepted the message.
    pub email_server_reply: Option<String>,
    pub email_last_error: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
