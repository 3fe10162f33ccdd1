//! Call detail records and what each call was charged, level by level.
//!
//! `call_charges`: one row per call (`call_id`) per level of the reseller chain — level 0
//! is the tenant that made the call, level 1 its partner, and so on up to the root tenant —
//! with the rate that level pays and the ledger transaction that charged it. The primary
//! key is what makes a call charged once, whichever of `POST /v1/switch/calls/{id}/end` or
//! a CDR rates it first.
//!
//! `spend_policies`: a tenant's limits on what its calls may cost and reach (absent: the
//! defaults, which still deny toll-fraud ranges).
//!
//! `cdrs`: what switches report, unique on (`call_id`, `leg`) so a batch sent again changes
//! nothing; `buy_micros` is what the carrier charges the platform (the trunk's buy deck).

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, big_integer_null, integer, integer_null, json, pk_uuid, string, string_null,
        text_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CallCharges {
    Table,
    CallId,
    Level,
    TenantId,
    AccountId,
    Currency,
    DeckVersionId,
    Prefix,
    PerMinuteMicros,
    BilledSeconds,
    ChargeMicros,
    TransactionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Cdrs {
    Table,
    Id,
    CallId,
    Leg,
    TenantId,
    NodeId,
    Direction,
    Caller,
    Destination,
    Extension,
    StartedAt,
    AnsweredAt,
    EndedAt,
    DurationSeconds,
    BilledSeconds,
    Disposition,
    HangupCause,
    TrunkId,
    Status,
    UnratedReason,
    Prefix,
    DestinationName,
    Currency,
    ChargeMicros,
    BuyCurrency,
    BuyMicros,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SpendPolicies {
    Table,
    TenantId,
    MaxRateMicros,
    MaxConnectionFeeMicros,
    DailyCapMicros,
    MaxConcurrentCalls,
    AllowPrefixes,
    DenyPrefixes,
    AllowCountries,
    DenyCountries,
    AllowNumberTypes,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CallCharges::Table)
                    .col(string(CallCharges::CallId))
                    .col(integer(CallCharges::Level))
                    .col(uuid(CallCharges::TenantId))
                    .col(uuid(CallCharges::AccountId))
                    .col(string(CallCharges::Currency))
                    .col(uuid_null(CallCharges::DeckVersionId))
                    .col(string_null(CallCharges::Prefix))
                    .col(big_integer(CallCharges::PerMinuteMicros))
                    .col(integer(CallCharges::BilledSeconds))
                    .col(big_integer(CallCharges::ChargeMicros))
                    .col(uuid_null(CallCharges::TransactionId))
                    .col(timestamp_with_time_zone(CallCharges::CreatedAt))
                    .col(timestamp_with_time_zone(CallCharges::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CallCharges::CallId)
                            .col(CallCharges::Level),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Cdrs::Table)
                    .col(pk_uuid(Cdrs::Id))
                    .col(string(Cdrs::CallId))
                    .col(string(Cdrs::Leg))
                    .col(uuid(Cdrs::TenantId))
                    .col(uuid(Cdrs::NodeId))
                    .col(string(Cdrs::Direction))
                    .col(string(Cdrs::Caller))
                    .col(string(Cdrs::Destination))
                    .col(string_null(Cdrs::Extension))
                    .col(timestamp_with_time_zone(Cdrs::StartedAt))
                    .col(timestamp_with_time_zone_null(Cdrs::AnsweredAt))
                    .col(timestamp_with_time_zone(Cdrs::EndedAt))
                    .col(integer(Cdrs::DurationSeconds))
                    .col(integer(Cdrs::BilledSeconds))
                    .col(string(Cdrs::Disposition))
                    .col(string(Cdrs::HangupCause))
                    .col(uuid_null(Cdrs::TrunkId))
                    .col(string(Cdrs::Status))
                    .col(text_null(Cdrs::UnratedReason))
                    .col(string_null(Cdrs::Prefix))
                    .col(string_null(Cdrs::DestinationName))
                    .col(string_null(Cdrs::Currency))
                    .col(big_integer_null(Cdrs::ChargeMicros))
                    .col(string_null(Cdrs::BuyCurrency))
                    .col(big_integer_null(Cdrs::BuyMicros))
                    .col(timestamp_with_time_zone(Cdrs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_cdrs_call_leg")
                    .table(Cdrs::Table)
                    .col(Cdrs::CallId)
                    .col(Cdrs::Leg)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_call_charges_tenant_created")
                    .table(CallCharges::Table)
                    .col(CallCharges::TenantId)
                    .col(CallCharges::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SpendPolicies::Table)
                    .col(uuid(SpendPolicies::TenantId).primary_key())
                    .col(big_integer_null(SpendPolicies::MaxRateMicros))
                    .col(big_integer_null(SpendPolicies::MaxConnectionFeeMicros))
                    .col(big_integer_null(SpendPolicies::DailyCapMicros))
                    .col(integer_null(SpendPolicies::MaxConcurrentCalls))
                    .col(json(SpendPolicies::AllowPrefixes))
                    .col(json(SpendPolicies::DenyPrefixes))
                    .col(json(SpendPolicies::AllowCountries))
                    .col(json(SpendPolicies::DenyCountries))
                    .col(json(SpendPolicies::AllowNumberTypes))
                    .col(timestamp_with_time_zone(SpendPolicies::UpdatedAt))
                    .col(big_integer(SpendPolicies::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cdrs_tenant_started")
                    .table(Cdrs::Table)
                    .col(Cdrs::TenantId)
                    .col(Cdrs::StartedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SpendPolicies::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Cdrs::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CallCharges::Table).to_owned())
            .await
    }
}
