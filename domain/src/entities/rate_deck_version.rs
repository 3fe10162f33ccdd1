use sea_orm::entity::prelude::*;

/// A numbered version of a deck; its rates never change once it is `ready`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_deck_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deck_id: Uuid,
    pub number: i32,
    /// `importing` or `ready`.
    pub status: String,
    pub rate_count: i64,
    pub import_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub ready_at: Option<DateTimeUtc>,
    /// When it was last made the active version.
    pub activated_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
