use sea_orm::entity::prelude::*;

/// A bad line of an import, and why.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_import_errors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub import_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line: i64,
    pub reason: String,
}

impl ActiveModelBehavior for ActiveModel {}
