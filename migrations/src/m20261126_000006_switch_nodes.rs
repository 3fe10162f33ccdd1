//! The switch-node registry: the Kamailio (and later media-server) nodes allowed to call
//! the `/v1/switch/*` surface, each with its own token (stored as a digest).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SwitchNodes {
    Table,
    Id,
    Name,
    Kind,
    Addresses,
    Status,
    TokenPrefix,
    TokenHash,
    LastSeenAt,
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
                    .table(SwitchNodes::Table)
                    .col(pk_uuid(SwitchNodes::Id))
                    .col(string_uniq(SwitchNodes::Name))
                    .col(string(SwitchNodes::Kind))
                    .col(json(SwitchNodes::Addresses))
                    .col(string(SwitchNodes::Status))
                    .col(string_uniq(SwitchNodes::TokenPrefix))
                    .col(string(SwitchNodes::TokenHash))
                    .col(timestamp_with_time_zone_null(SwitchNodes::LastSeenAt))
                    .col(timestamp_with_time_zone(SwitchNodes::CreatedAt))
                    .col(timestamp_with_time_zone(SwitchNodes::UpdatedAt))
                    .col(big_integer(SwitchNodes::Version))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SwitchNodes::Table).to_owned())
            .await
    }
}
