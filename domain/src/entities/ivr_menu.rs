//! An IVR menu. `options` is a JSON array of `{digit, destination}` (see the service's
//! `IvrOption`), `greeting` a tagged JSON value (text or recording metadata); the audio of
//! a recorded greeting is the file named by `greeting_storage_key` in the data directory.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ivr_menus")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: String,
    pub name: String,
    /// A `Greeting`.
    pub greeting: Json,
    /// File of the recorded greeting, when the greeting is a recording.
    pub greeting_storage_key: Option<String>,
    /// Array of options.
    pub options: Json,
    pub timeout_seconds: i32,
    pub invalid_retries: i32,
    pub direct_dial: bool,
    /// A `Destination`, after the caller pressed nothing `invalid_retries + 1` times.
    pub timeout_destination: Json,
    /// A `Destination`, after `invalid_retries + 1` presses matching no option.
    pub invalid_destination: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
