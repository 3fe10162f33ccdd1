use sea_orm::entity::prelude::*;

/// A rate deck: the platform's (`tenant_id` NULL) or a partner's, for its children.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_decks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: String,
    /// ISO 4217.
    pub currency: String,
    pub description: Option<String>,
    /// The version that rates calls; `None` until one is activated.
    pub active_version_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
