//! Time conditions: a schedule (IANA zone, rules, exceptions) and the two branches it
//! chooses between. The schedule is one JSON document, parsed and validated by
//! `centralita_domain::dialplan::timecond` whenever it is written or read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TimeConditions {
    Table,
    Id,
    TenantId,
    Name,
    Schedule,
    MatchedDestination,
    UnmatchedDestination,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TimeConditions::Table)
                    .col(pk_uuid(TimeConditions::Id))
                    .col(uuid(TimeConditions::TenantId))
                    .col(string(TimeConditions::Name))
                    .col(json(TimeConditions::Schedule))
                    .col(json(TimeConditions::MatchedDestination))
                    .col(json(TimeConditions::UnmatchedDestination))
                    .col(timestamp_with_time_zone(TimeConditions::CreatedAt))
                    .col(timestamp_with_time_zone(TimeConditions::UpdatedAt))
                    .col(big_integer(TimeConditions::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TimeConditions::Table, TimeConditions::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_time_conditions_tenant")
                    .table(TimeConditions::Table)
                    .col(TimeConditions::TenantId)
                    .col(TimeConditions::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TimeConditions::Table).to_owned())
            .await
    }
}
