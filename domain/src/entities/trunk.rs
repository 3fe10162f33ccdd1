use sea_orm::entity::prelude::*;

/// A SIP gateway. `tenant_id` is `NULL` for the platform's carrier trunks (one id space for
/// both kinds, so an outbound route's failover list can mix them).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trunks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub host: String,
    pub port: i32,
    pub transport: String,
    pub username: Option<String>,
    /// `secretbox` v1 ciphertext of the password; never the plaintext.
    pub password_sealed: Option<String>,
    pub register: bool,
    pub realm: Option<String>,
    pub from_domain: Option<String>,
    pub max_channels: Option<i32>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    /// A carrier trunk's buy deck: what the carrier charges the platform per call.
    pub buy_deck_id: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
