//! DID fees and invoices.
//!
//! `did_fee_charges`: one row per DID assignment per fee — its setup fee, and its monthly
//! fee per billing period — with the ledger transaction that charged it. The primary key
//! (`assignment_id`, `kind`, `period_start`) is what makes the fee job idempotent.
//!
//! `invoices` and `invoice_lines`: one invoice per account per period (unique), numbered
//! when issued from `invoice_sequences`, one gap-free counter per issuer (the tenant's
//! parent, or the platform).

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, date, date_null, integer, pk_uuid, string, string_null, text,
        timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DidFeeCharges {
    Table,
    AssignmentId,
    Kind,
    PeriodStart,
    PeriodEnd,
    TenantId,
    DidId,
    Days,
    PeriodDays,
    AmountMicros,
    Currency,
    TransactionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    TenantId,
    AccountId,
    IssuerKey,
    Number,
    Status,
    PeriodStart,
    PeriodEnd,
    Currency,
    SubtotalMicros,
    TaxRateMicros,
    TaxMicros,
    TotalMicros,
    PaidMicros,
    IssuedAt,
    DueOn,
    VoidedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    InvoiceId,
    Position,
    Kind,
    Description,
    Quantity,
    AmountMicros,
}

#[derive(DeriveIden)]
enum InvoiceSequences {
    Table,
    IssuerKey,
    LastNumber,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DidFeeCharges::Table)
                    .col(uuid(DidFeeCharges::AssignmentId))
                    .col(string(DidFeeCharges::Kind))
                    .col(timestamp_with_time_zone(DidFeeCharges::PeriodStart))
                    .col(timestamp_with_time_zone(DidFeeCharges::PeriodEnd))
                    .col(uuid(DidFeeCharges::TenantId))
                    .col(uuid(DidFeeCharges::DidId))
                    .col(integer(DidFeeCharges::Days))
                    .col(integer(DidFeeCharges::PeriodDays))
                    .col(big_integer(DidFeeCharges::AmountMicros))
                    .col(string(DidFeeCharges::Currency))
                    .col(uuid_null(DidFeeCharges::TransactionId))
                    .col(timestamp_with_time_zone(DidFeeCharges::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(DidFeeCharges::AssignmentId)
                            .col(DidFeeCharges::Kind)
                            .col(DidFeeCharges::PeriodStart),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(pk_uuid(Invoices::Id))
                    .col(uuid(Invoices::TenantId))
                    .col(uuid(Invoices::AccountId))
                    .col(string(Invoices::IssuerKey))
                    .col(string_null(Invoices::Number))
                    .col(string(Invoices::Status))
                    .col(date(Invoices::PeriodStart))
                    .col(date(Invoices::PeriodEnd))
                    .col(string(Invoices::Currency))
                    .col(big_integer(Invoices::SubtotalMicros))
                    .col(big_integer(Invoices::TaxRateMicros))
                    .col(big_integer(Invoices::TaxMicros))
                    .col(big_integer(Invoices::TotalMicros))
                    .col(big_integer(Invoices::PaidMicros))
                    .col(timestamp_with_time_zone_null(Invoices::IssuedAt))
                    .col(date_null(Invoices::DueOn))
                    .col(timestamp_with_time_zone_null(Invoices::VoidedAt))
                    .col(timestamp_with_time_zone(Invoices::CreatedAt))
                    .col(timestamp_with_time_zone(Invoices::UpdatedAt))
                    .col(big_integer(Invoices::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_invoices_account_period")
                    .table(Invoices::Table)
                    .col(Invoices::AccountId)
                    .col(Invoices::PeriodStart)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_invoices_issuer_number")
                    .table(Invoices::Table)
                    .col(Invoices::IssuerKey)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(uuid(InvoiceLines::InvoiceId))
                    .col(integer(InvoiceLines::Position))
                    .col(string(InvoiceLines::Kind))
                    .col(text(InvoiceLines::Description))
                    .col(big_integer(InvoiceLines::Quantity))
                    .col(big_integer(InvoiceLines::AmountMicros))
                    .primary_key(
                        Index::create()
                            .col(InvoiceLines::InvoiceId)
                            .col(InvoiceLines::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InvoiceLines::Table, InvoiceLines::InvoiceId)
                            .to(Invoices::Table, Invoices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceSequences::Table)
                    .col(string(InvoiceSequences::IssuerKey).primary_key())
                    .col(big_integer(InvoiceSequences::LastNumber))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InvoiceSequences::Table.into_iden(),
            InvoiceLines::Table.into_iden(),
            Invoices::Table.into_iden(),
            DidFeeCharges::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
