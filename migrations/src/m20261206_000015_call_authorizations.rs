//! Real-time call authorization with credit holds.
//!
//! `call_authorizations`: one row per call a switch asked about (`call_id` unique, so a
//! retried request gets the same answer), with the rate it was granted at, the credit it
//! holds while it lasts, and — once ended — what it was charged and the ledger transaction
//! that charged it.
//!
//! `billing_accounts.balance_micros` keeps the sum of the account's postings, written in the
//! transaction of every posting (the ledger stays the truth: the billing tests check the
//! two agree), and `held_micros` the sum of the holds of its calls in progress. With both on
//! the account row, a hold is one conditional update —
//! `held += h WHERE balance + credit_limit - held >= h` — which the database applies
//! atomically, so concurrent calls can never hold more than the account has.
//! `active_calls` counts the account's outbound calls in progress the same way, for the
//! spend policy's concurrent-call limit.

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, big_integer_null, integer, pk_uuid, string, string_null, text,
        timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CallAuthorizations {
    Table,
    Id,
    CallId,
    NodeId,
    TenantId,
    AccountId,
    Kind,
    Caller,
    Destination,
    Number,
    Prefix,
    DestinationName,
    DeckVersionId,
    Currency,
    PerMinuteMicros,
    ConnectionFeeMicros,
    MinimumSeconds,
    FirstIncrement,
    NextIncrement,
    MaxDurationSeconds,
    HoldMicros,
    Status,
    CreatedAt,
    ExpiresAt,
    AnsweredAt,
    EndedAt,
    DurationSeconds,
    BilledSeconds,
    HangupCause,
    ChargeMicros,
    TransactionId,
    Answer,
    Levels,
}

#[derive(DeriveIden)]
enum BillingAccounts {
    Table,
    BalanceMicros,
    HeldMicros,
    ActiveCalls,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CallAuthorizations::Table)
                    .col(pk_uuid(CallAuthorizations::Id))
                    .col(string(CallAuthorizations::CallId).unique_key())
                    .col(uuid(CallAuthorizations::NodeId))
                    .col(uuid(CallAuthorizations::TenantId))
                    .col(uuid_null(CallAuthorizations::AccountId))
                    .col(string(CallAuthorizations::Kind))
                    .col(string(CallAuthorizations::Caller))
                    .col(string(CallAuthorizations::Destination))
                    .col(string_null(CallAuthorizations::Number))
                    .col(string_null(CallAuthorizations::Prefix))
                    .col(string_null(CallAuthorizations::DestinationName))
                    .col(uuid_null(CallAuthorizations::DeckVersionId))
                    .col(string_null(CallAuthorizations::Currency))
                    .col(big_integer(CallAuthorizations::PerMinuteMicros))
                    .col(big_integer(CallAuthorizations::ConnectionFeeMicros))
                    .col(integer(CallAuthorizations::MinimumSeconds))
                    .col(integer(CallAuthorizations::FirstIncrement))
                    .col(integer(CallAuthorizations::NextIncrement))
                    .col(integer(CallAuthorizations::MaxDurationSeconds))
                    .col(big_integer(CallAuthorizations::HoldMicros))
                    .col(string(CallAuthorizations::Status))
                    .col(timestamp_with_time_zone(CallAuthorizations::CreatedAt))
                    .col(timestamp_with_time_zone(CallAuthorizations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        CallAuthorizations::AnsweredAt,
                    ))
                    .col(timestamp_with_time_zone_null(CallAuthorizations::EndedAt))
                    .col(integer(CallAuthorizations::DurationSeconds).default(0))
                    .col(integer(CallAuthorizations::BilledSeconds).default(0))
                    .col(string_null(CallAuthorizations::HangupCause))
                    .col(big_integer_null(CallAuthorizations::ChargeMicros))
                    .col(uuid_null(CallAuthorizations::TransactionId))
                    .col(text(CallAuthorizations::Answer))
                    .col(text(CallAuthorizations::Levels))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_call_authorizations_expiry")
                    .table(CallAuthorizations::Table)
                    .col(CallAuthorizations::Status)
                    .col(CallAuthorizations::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_call_authorizations_tenant")
                    .table(CallAuthorizations::Table)
                    .col(CallAuthorizations::TenantId)
                    .col(CallAuthorizations::Id)
                    .to_owned(),
            )
            .await?;
        for col in [
            BillingAccounts::BalanceMicros,
            BillingAccounts::HeldMicros,
            BillingAccounts::ActiveCalls,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BillingAccounts::Table)
                        .add_column(big_integer(col).default(0))
                        .to_owned(),
                )
                .await?;
        }
        // Accounts with postings already: their balance is the sum of them.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE billing_accounts SET balance_micros = COALESCE((SELECT SUM(p.amount_micros) \
                 FROM ledger_postings p WHERE p.account_id = billing_accounts.id), 0)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            BillingAccounts::BalanceMicros,
            BillingAccounts::HeldMicros,
            BillingAccounts::ActiveCalls,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BillingAccounts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(CallAuthorizations::Table).to_owned())
            .await
    }
}
