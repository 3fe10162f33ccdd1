//! Call-flow objects: ring groups, conference rooms and call queues.
//!
//! Member lists are JSON columns rather than child tables: they are small and bounded (at
//! most 50 entries), always read and replaced as a whole with their parent, and ordered.
//! What must be queryable across objects (which extension is a member of what) is recorded
//! in `destination_refs`, the same index every other destination uses for "409: still used
//! by". Numbers live in the shared `dial_numbers` space, which holds the uniqueness; the
//! per-table unique index on (tenant_id, number) is a second line of defence.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RingGroups {
    Table,
    Id,
    TenantId,
    Number,
    Name,
    Strategy,
    Members,
    RingSeconds,
    Fallback,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Conferences {
    Table,
    Id,
    TenantId,
    Number,
    Name,
    PinHash,
    ModeratorPinHash,
    MaxMembers,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Queues {
    Table,
    Id,
    TenantId,
    Number,
    Name,
    Strategy,
    Agents,
    MaxWaitSeconds,
    WrapUpSeconds,
    MusicOnHold,
    TimeoutDestination,
    CreatedAt,
    UpdatedAt,
    Version,
}

fn tenant_fk(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RingGroups::Table)
                    .col(pk_uuid(RingGroups::Id))
                    .col(uuid(RingGroups::TenantId))
                    .col(string(RingGroups::Number))
                    .col(string(RingGroups::Name))
                    .col(string(RingGroups::Strategy))
                    .col(json(RingGroups::Members))
                    .col(integer(RingGroups::RingSeconds))
                    .col(json(RingGroups::Fallback))
                    .col(timestamp_with_time_zone(RingGroups::CreatedAt))
                    .col(timestamp_with_time_zone(RingGroups::UpdatedAt))
                    .col(big_integer(RingGroups::Version))
                    .foreign_key(&mut tenant_fk(RingGroups::Table, RingGroups::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ring_groups_tenant_number")
                    .table(RingGroups::Table)
                    .col(RingGroups::TenantId)
                    .col(RingGroups::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Conferences::Table)
                    .col(pk_uuid(Conferences::Id))
                    .col(uuid(Conferences::TenantId))
                    .col(string(Conferences::Number))
                    .col(string(Conferences::Name))
                    .col(string_null(Conferences::PinHash))
                    .col(string_null(Conferences::ModeratorPinHash))
                    .col(integer(Conferences::MaxMembers))
                    .col(timestamp_with_time_zone(Conferences::CreatedAt))
                    .col(timestamp_with_time_zone(Conferences::UpdatedAt))
                    .col(big_integer(Conferences::Version))
                    .foreign_key(&mut tenant_fk(Conferences::Table, Conferences::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_conferences_tenant_number")
                    .table(Conferences::Table)
                    .col(Conferences::TenantId)
                    .col(Conferences::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Queues::Table)
                    .col(pk_uuid(Queues::Id))
                    .col(uuid(Queues::TenantId))
                    .col(string(Queues::Number))
                    .col(string(Queues::Name))
                    .col(string(Queues::Strategy))
                    .col(json(Queues::Agents))
                    .col(integer(Queues::MaxWaitSeconds))
                    .col(integer(Queues::WrapUpSeconds))
                    .col(string(Queues::MusicOnHold))
                    .col(json(Queues::TimeoutDestination))
                    .col(timestamp_with_time_zone(Queues::CreatedAt))
                    .col(timestamp_with_time_zone(Queues::UpdatedAt))
                    .col(big_integer(Queues::Version))
                    .foreign_key(&mut tenant_fk(Queues::Table, Queues::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_queues_tenant_number")
                    .table(Queues::Table)
                    .col(Queues::TenantId)
                    .col(Queues::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Queues::Table.into_iden(),
            Conferences::Table.into_iden(),
            RingGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
