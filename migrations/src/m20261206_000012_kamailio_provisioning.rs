//! Kamailio provisioning: a node's sealed settings (its database URL and JSON-RPC URL), what
//! the last reconcile did (when it applied, the last error, drift repaired so far), the
//! entries Centralita last applied to each node (to tell drift — rows changed on the node
//! behind Centralita's back — from changes Centralita has yet to apply), and a coalescing
//! key on jobs (a burst of changes queues one reconcile per node, not one per change).
//! SQLite alters one column per statement, so each is its own step.

use sea_orm_migration::{
    prelude::*,
    schema::{big_integer, string, string_null, text_null, timestamp_with_time_zone_null, uuid},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SwitchNodes {
    Table,
    Id,
    KamailioSettingsSealed,
    ProvisionedAt,
    ProvisionError,
    ProvisionErrorAt,
    DriftRepairedTotal,
}

#[derive(DeriveIden)]
enum SwitchNodeApplied {
    Table,
    NodeId,
    Entry,
    Digest,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    CoalesceKey,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            text_null(SwitchNodes::KamailioSettingsSealed),
            timestamp_with_time_zone_null(SwitchNodes::ProvisionedAt),
            text_null(SwitchNodes::ProvisionError),
            timestamp_with_time_zone_null(SwitchNodes::ProvisionErrorAt),
            big_integer(SwitchNodes::DriftRepairedTotal)
                .default(0)
                .to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(SwitchNodes::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SwitchNodeApplied::Table)
                    .col(uuid(SwitchNodeApplied::NodeId))
                    .col(string(SwitchNodeApplied::Entry))
                    .col(string(SwitchNodeApplied::Digest))
                    .primary_key(
                        Index::create()
                            .col(SwitchNodeApplied::NodeId)
                            .col(SwitchNodeApplied::Entry),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SwitchNodeApplied::Table, SwitchNodeApplied::NodeId)
                            .to(SwitchNodes::Table, SwitchNodes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(string_null(Jobs::CoalesceKey))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_coalesce_key")
                    .table(Jobs::Table)
                    .col(Jobs::CoalesceKey)
                    .col(Jobs::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_jobs_coalesce_key")
                    .table(Jobs::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::CoalesceKey)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SwitchNodeApplied::Table).to_owned())
            .await?;
        for column in [
            SwitchNodes::DriftRepairedTotal,
            SwitchNodes::ProvisionErrorAt,
            SwitchNodes::ProvisionError,
            SwitchNodes::ProvisionedAt,
            SwitchNodes::KamailioSettingsSealed,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SwitchNodes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
