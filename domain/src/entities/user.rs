use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None` for platform staff (platform admins and support).
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub status: String,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    /// Bumped when the user's access tokens must end (logout, password change, ...): a
    /// token is valid only while its `gen` claim equals this.
    pub token_generation: i64,
    /// The web app's language the user chose (`Locale`); NULL: not chosen.
    pub locale: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
