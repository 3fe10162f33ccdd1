//! A conference room. PINs are stored only as argon2id hashes (rule 5 of
//! `docs/ARCHITECTURE.md`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub number: String,
    pub name: String,
    /// argon2id of the participant PIN; `None` means the room is open.
    pub pin_hash: Option<String>,
    /// argon2id of the moderator PIN.
    pub moderator_pin_hash: Option<String>,
    pub max_members: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
