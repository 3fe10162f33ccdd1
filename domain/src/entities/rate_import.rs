use sea_orm::entity::prelude::*;

/// A CSV import into a deck: a dry run, or a new version.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deck_id: Uuid,
    /// The deck's owner (NULL: the platform).
    pub tenant_id: Option<Uuid>,
    /// The job that checks and applies it (progress is the job's).
    pub job_id: Option<Uuid>,
    pub dry_run: bool,
    /// Whether the new version is activated when the import succeeds.
    pub activate: bool,
    /// `queued`, `running`, `succeeded` (valid; applied unless a dry run), `rejected` (bad
    /// rows: nothing applied) or `failed`.
    pub status: String,
    pub size_bytes: i64,
    pub rows: i64,
    pub bad_rows: i64,
    pub version_id: Option<Uuid>,
    pub failure: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
