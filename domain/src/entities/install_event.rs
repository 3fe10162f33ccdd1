use sea_orm::entity::prelude::*;

/// One line of an install's step log; ids grow, so a client resumes after the last it saw.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "install_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub install_id: Uuid,
    pub at: DateTimeUtc,
    pub step: Option<String>,
    /// `info`, `output` or `error`.
    pub level: String,
    pub message: String,
}

impl ActiveModelBehavior for ActiveModel {}
