//! Billing accounts and the double-entry ledger.
//!
//! `billing_accounts`: one per tenant (its terms: prepaid or postpaid, currency, credit
//! limit, tax rate, billing day), plus the platform's own accounts (`system_name`, one per
//! currency) that stand on the other side of every posting. `ledger_transactions` and
//! `ledger_postings` are append-only: each transaction's postings sum to zero, a balance is
//! the sum of an account's postings, and a correction is a new transaction. Amounts are
//! integer micro-units (rule 4). No foreign key ties an account to its tenant: financial
//! records outlive a deleted tenant.

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, integer, pk_uuid, string, string_null, text_null, timestamp_with_time_zone,
        uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BillingAccounts {
    Table,
    Id,
    TenantId,
    SystemName,
    Kind,
    Currency,
    CreditLimitMicros,
    TaxRateMicros,
    BillingDay,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum LedgerTransactions {
    Table,
    Id,
    TenantId,
    Kind,
    AmountMicros,
    Currency,
    Description,
    ActorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerPostings {
    Table,
    Id,
    TransactionId,
    AccountId,
    AmountMicros,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BillingAccounts::Table)
                    .col(pk_uuid(BillingAccounts::Id))
                    .col(uuid_null(BillingAccounts::TenantId).unique_key())
                    .col(string_null(BillingAccounts::SystemName))
                    .col(string(BillingAccounts::Kind))
                    .col(string(BillingAccounts::Currency))
                    .col(big_integer(BillingAccounts::CreditLimitMicros))
                    .col(big_integer(BillingAccounts::TaxRateMicros))
                    .col(integer(BillingAccounts::BillingDay))
                    .col(timestamp_with_time_zone(BillingAccounts::CreatedAt))
                    .col(timestamp_with_time_zone(BillingAccounts::UpdatedAt))
                    .col(big_integer(BillingAccounts::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_billing_accounts_system")
                    .table(BillingAccounts::Table)
                    .col(BillingAccounts::SystemName)
                    .col(BillingAccounts::Currency)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerTransactions::Table)
                    .col(pk_uuid(LedgerTransactions::Id))
                    .col(uuid(LedgerTransactions::TenantId))
                    .col(string(LedgerTransactions::Kind))
                    .col(big_integer(LedgerTransactions::AmountMicros))
                    .col(string(LedgerTransactions::Currency))
                    .col(text_null(LedgerTransactions::Description))
                    .col(uuid_null(LedgerTransactions::ActorId))
                    .col(timestamp_with_time_zone(LedgerTransactions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_transactions_tenant")
                    .table(LedgerTransactions::Table)
                    .col(LedgerTransactions::TenantId)
                    .col(LedgerTransactions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerPostings::Table)
                    .col(pk_uuid(LedgerPostings::Id))
                    .col(uuid(LedgerPostings::TransactionId))
                    .col(uuid(LedgerPostings::AccountId))
                    .col(big_integer(LedgerPostings::AmountMicros))
                    .col(timestamp_with_time_zone(LedgerPostings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerPostings::Table, LedgerPostings::TransactionId)
                            .to(LedgerTransactions::Table, LedgerTransactions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerPostings::Table, LedgerPostings::AccountId)
                            .to(BillingAccounts::Table, BillingAccounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_postings_account")
                    .table(LedgerPostings::Table)
                    .col(LedgerPostings::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LedgerPostings::Table.into_iden(),
            LedgerTransactions::Table.into_iden(),
            BillingAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
