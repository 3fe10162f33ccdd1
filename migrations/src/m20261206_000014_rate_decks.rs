//! Rate decks: a deck (owned by the platform, `tenant_id` NULL, or by a partner for its
//! children) has a currency and numbered versions; a version's rates are immutable once it
//! is `ready`, and the deck's `active_version_id` says which one rates calls, so a new
//! version is swapped in (or an old one rolled back to) by one update.
//!
//! Imports stream their CSV into `rate_import_chunks` (the database is shared by every
//! process, a local file is not), the import job reads it back, validates every row
//! (`rate_import_errors`, one row per bad line) and writes the version's `rates` in batches.
//!
//! A tenant's sell deck is on its billing account; a carrier trunk's buy deck on the trunk.

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, blob, boolean, integer, pk_uuid, string, text, text_null,
        timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateDecks {
    Table,
    Id,
    TenantId,
    Name,
    Currency,
    Description,
    ActiveVersionId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RateDeckVersions {
    Table,
    Id,
    DeckId,
    Number,
    Status,
    RateCount,
    ImportId,
    CreatedAt,
    ReadyAt,
    ActivatedAt,
}

#[derive(DeriveIden)]
enum Rates {
    Table,
    VersionId,
    Line,
    Prefix,
    Destination,
    PerMinuteMicros,
    ConnectionFeeMicros,
    MinimumSeconds,
    FirstIncrement,
    NextIncrement,
    EffectiveFrom,
    EffectiveUntil,
}

#[derive(DeriveIden)]
enum RateImports {
    Table,
    Id,
    DeckId,
    TenantId,
    JobId,
    DryRun,
    Activate,
    Status,
    SizeBytes,
    Rows,
    BadRows,
    VersionId,
    Failure,
    CreatedBy,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum RateImportChunks {
    Table,
    ImportId,
    Seq,
    Data,
}

#[derive(DeriveIden)]
enum RateImportErrors {
    Table,
    ImportId,
    Line,
    Reason,
}

#[derive(DeriveIden)]
enum BillingAccounts {
    Table,
    SellDeckId,
}

#[derive(DeriveIden)]
enum Trunks {
    Table,
    BuyDeckId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateDecks::Table)
                    .col(pk_uuid(RateDecks::Id))
                    .col(uuid_null(RateDecks::TenantId))
                    .col(string(RateDecks::Name))
                    .col(string(RateDecks::Currency))
                    .col(text_null(RateDecks::Description))
                    .col(uuid_null(RateDecks::ActiveVersionId))
                    .col(timestamp_with_time_zone(RateDecks::CreatedAt))
                    .col(timestamp_with_time_zone(RateDecks::UpdatedAt))
                    .col(big_integer(RateDecks::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rate_decks_tenant")
                    .table(RateDecks::Table)
                    .col(RateDecks::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateDeckVersions::Table)
                    .col(pk_uuid(RateDeckVersions::Id))
                    .col(uuid(RateDeckVersions::DeckId))
                    .col(integer(RateDeckVersions::Number))
                    .col(string(RateDeckVersions::Status))
                    .col(big_integer(RateDeckVersions::RateCount))
                    .col(uuid_null(RateDeckVersions::ImportId))
                    .col(timestamp_with_time_zone(RateDeckVersions::CreatedAt))
                    .col(timestamp_with_time_zone_null(RateDeckVersions::ReadyAt))
                    .col(timestamp_with_time_zone_null(RateDeckVersions::ActivatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RateDeckVersions::Table, RateDeckVersions::DeckId)
                            .to(RateDecks::Table, RateDecks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_rate_deck_versions_number")
                    .table(RateDeckVersions::Table)
                    .col(RateDeckVersions::DeckId)
                    .col(RateDeckVersions::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Rates::Table)
                    .col(uuid(Rates::VersionId))
                    .col(integer(Rates::Line))
                    .col(string(Rates::Prefix))
                    .col(string(Rates::Destination))
                    .col(big_integer(Rates::PerMinuteMicros))
                    .col(big_integer(Rates::ConnectionFeeMicros))
                    .col(integer(Rates::MinimumSeconds))
                    .col(integer(Rates::FirstIncrement))
                    .col(integer(Rates::NextIncrement))
                    .col(timestamp_with_time_zone_null(Rates::EffectiveFrom))
                    .col(timestamp_with_time_zone_null(Rates::EffectiveUntil))
                    .primary_key(Index::create().col(Rates::VersionId).col(Rates::Line))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rates::Table, Rates::VersionId)
                            .to(RateDeckVersions::Table, RateDeckVersions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateImports::Table)
                    .col(pk_uuid(RateImports::Id))
                    .col(uuid(RateImports::DeckId))
                    .col(uuid_null(RateImports::TenantId))
                    .col(uuid_null(RateImports::JobId))
                    .col(boolean(RateImports::DryRun))
                    .col(boolean(RateImports::Activate))
                    .col(string(RateImports::Status))
                    .col(big_integer(RateImports::SizeBytes))
                    .col(big_integer(RateImports::Rows))
                    .col(big_integer(RateImports::BadRows))
                    .col(uuid_null(RateImports::VersionId))
                    .col(text_null(RateImports::Failure))
                    .col(uuid_null(RateImports::CreatedBy))
                    .col(timestamp_with_time_zone(RateImports::CreatedAt))
                    .col(timestamp_with_time_zone_null(RateImports::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RateImports::Table, RateImports::DeckId)
                            .to(RateDecks::Table, RateDecks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rate_imports_deck")
                    .table(RateImports::Table)
                    .col(RateImports::DeckId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateImportChunks::Table)
                    .col(uuid(RateImportChunks::ImportId))
                    .col(integer(RateImportChunks::Seq))
                    .col(blob(RateImportChunks::Data))
                    .primary_key(
                        Index::create()
                            .col(RateImportChunks::ImportId)
                            .col(RateImportChunks::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RateImportChunks::Table, RateImportChunks::ImportId)
                            .to(RateImports::Table, RateImports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateImportErrors::Table)
                    .col(uuid(RateImportErrors::ImportId))
                    .col(big_integer(RateImportErrors::Line))
                    .col(text(RateImportErrors::Reason))
                    .primary_key(
                        Index::create()
                            .col(RateImportErrors::ImportId)
                            .col(RateImportErrors::Line),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RateImportErrors::Table, RateImportErrors::ImportId)
                            .to(RateImports::Table, RateImports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingAccounts::Table)
                    .add_column(uuid_null(BillingAccounts::SellDeckId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Trunks::Table)
                    .add_column(uuid_null(Trunks::BuyDeckId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Trunks::Table)
                    .drop_column(Trunks::BuyDeckId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BillingAccounts::Table)
                    .drop_column(BillingAccounts::SellDeckId)
                    .to_owned(),
            )
            .await?;
        for table in [
            RateImportErrors::Table.into_iden(),
            RateImportChunks::Table.into_iden(),
            RateImports::Table.into_iden(),
            Rates::Table.into_iden(),
            RateDeckVersions::Table.into_iden(),
            RateDecks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
