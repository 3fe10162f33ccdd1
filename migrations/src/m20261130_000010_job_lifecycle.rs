//! The job lifecycle an operator can read: statuses `queued`, `running`, `succeeded`,
//! `failed` (will retry), `dead` and `cancelled` (the old `pending` and `done` are renamed),
//! the tenant a job is about, its progress, the worker holding its lease, and when it
//! started and finished. SQLite alters one column per statement, so each is its own step.

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, big_integer_null, string_null, text_null, timestamp_with_time_zone_null,
        uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Status,
    TenantId,
    ProgressDone,
    ProgressTotal,
    ProgressMessage,
    LeaseOwner,
    StartedAt,
    FinishedAt,
}

/// Statuses renamed: (before, after).
const RENAMED: [(&str, &str); 2] = [("pending", "queued"), ("done", "succeeded")];

async fn rename_status(manager: &SchemaManager<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    manager
        .exec_stmt(
            Query::update()
                .table(Jobs::Table)
                .value(Jobs::Status, to)
                .and_where(Expr::col(Jobs::Status).eq(from))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            uuid_null(Jobs::TenantId),
            big_integer(Jobs::ProgressDone).default(0).to_owned(),
            big_integer_null(Jobs::ProgressTotal),
            text_null(Jobs::ProgressMessage),
            string_null(Jobs::LeaseOwner),
            timestamp_with_time_zone_null(Jobs::StartedAt),
            timestamp_with_time_zone_null(Jobs::FinishedAt),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for (old, new) in RENAMED {
            rename_status(manager, old, new).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_tenant")
                    .table(Jobs::Table)
                    .col(Jobs::TenantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_jobs_tenant")
                    .table(Jobs::Table)
                    .to_owned(),
            )
            .await?;
        for (old, new) in RENAMED {
            rename_status(manager, new, old).await?;
        }
        for column in [
            Jobs::TenantId,
            Jobs::ProgressDone,
            Jobs::ProgressTotal,
            Jobs::ProgressMessage,
            Jobs::LeaseOwner,
            Jobs::StartedAt,
            Jobs::FinishedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
