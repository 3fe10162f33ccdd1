use sea_orm::entity::prelude::*;

/// One ordered step of an install.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "install_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub install_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub name: String,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub exit_code: Option<i32>,
    /// Bounded, redacted stdout and stderr of the step's last run.
    pub output: String,
    /// The `result.<name>=<value>` facts the step printed, as a JSON object.
    pub result: Option<Json>,
}

impl ActiveModelBehavior for ActiveModel {}
