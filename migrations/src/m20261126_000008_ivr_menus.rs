//! IVR menus: a greeting, then one key press chooses where the call goes.
//!
//! Options are a JSON column for the same reason ring-group members are (at most twelve,
//! one per key, always read and replaced with their menu); the objects they point at are
//! indexed in `destination_refs`. The greeting is JSON too (text to speak, or metadata of
//! an uploaded recording); the recording itself is a file in the data directory named by
//! `greeting_storage_key`, so rows stay small and audio streams from disk.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum IvrMenus {
    Table,
    Id,
    TenantId,
    Number,
    Name,
    Greeting,
    GreetingStorageKey,
    Options,
    TimeoutSeconds,
    InvalidRetries,
    DirectDial,
    TimeoutDestination,
    InvalidDestination,
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
                    .table(IvrMenus::Table)
                    .col(pk_uuid(IvrMenus::Id))
                    .col(uuid(IvrMenus::TenantId))
                    .col(string(IvrMenus::Number))
                    .col(string(IvrMenus::Name))
                    .col(json(IvrMenus::Greeting))
                    .col(string_null(IvrMenus::GreetingStorageKey))
                    .col(json(IvrMenus::Options))
                    .col(integer(IvrMenus::TimeoutSeconds))
                    .col(integer(IvrMenus::InvalidRetries))
                    .col(boolean(IvrMenus::DirectDial))
                    .col(json(IvrMenus::TimeoutDestination))
                    .col(json(IvrMenus::InvalidDestination))
                    .col(timestamp_with_time_zone(IvrMenus::CreatedAt))
                    .col(timestamp_with_time_zone(IvrMenus::UpdatedAt))
                    .col(big_integer(IvrMenus::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IvrMenus::Table, IvrMenus::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ivr_menus_tenant_number")
                    .table(IvrMenus::Table)
                    .col(IvrMenus::TenantId)
                    .col(IvrMenus::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IvrMenus::Table).to_owned())
            .await
    }
}
