//! Carriers: SIP trunks (platform carrier trunks and tenants' own), tenants' outbound
//! routes with the index of the trunks each route uses, and the platform's DID inventory
//! with the history of which tenant held which number when (for billing).
//!
//! Trunk passwords are stored only sealed (AES-256-GCM, `secretbox` v1 text), never in
//! plaintext. Platform trunks have `tenant_id` NULL: one id space for both kinds lets an
//! outbound route's failover list mix them, and the scoped query helper (`tenant_id = …`)
//! never returns a platform trunk as a tenant's own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Trunks {
    Table,
    Id,
    TenantId,
    Name,
    Host,
    Port,
    Transport,
    Username,
    PasswordSealed,
    Register,
    Realm,
    FromDomain,
    MaxChannels,
    Enabled,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum OutboundRoutes {
    Table,
    Id,
    TenantId,
    Name,
    Position,
    Patterns,
    Strip,
    Prepend,
    TrunkIds,
    CallerIdOverride,
    Enabled,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum OutboundRouteTrunks {
    Table,
    Id,
    TenantId,
    RouteId,
    TrunkId,
    Position,
}

#[derive(DeriveIden)]
enum Dids {
    Table,
    Id,
    Number,
    Country,
    NumberType,
    CarrierTrunkId,
    SetupFeeMicros,
    MonthlyFeeMicros,
    Currency,
    Status,
    TenantId,
    Destination,
    AssignedAt,
    ReleasedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum DidAssignments {
    Table,
    Id,
    DidId,
    TenantId,
    AssignedAt,
    ReleasedAt,
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
                    .table(Trunks::Table)
                    .col(pk_uuid(Trunks::Id))
                    .col(uuid_null(Trunks::TenantId))
                    .col(string(Trunks::Name))
                    .col(string(Trunks::Host))
                    .col(integer(Trunks::Port))
                    .col(string(Trunks::Transport))
                    .col(string_null(Trunks::Username))
                    .col(text_null(Trunks::PasswordSealed))
                    .col(boolean(Trunks::Register))
                    .col(string_null(Trunks::Realm))
                    .col(string_null(Trunks::FromDomain))
                    .col(integer_null(Trunks::MaxChannels))
                    .col(boolean(Trunks::Enabled))
                    .col(timestamp_with_time_zone(Trunks::CreatedAt))
                    .col(timestamp_with_time_zone(Trunks::UpdatedAt))
                    .col(big_integer(Trunks::Version))
                    .foreign_key(&mut tenant_fk(Trunks::Table, Trunks::TenantId))
                    .to_owned(),
            )
            .await?;
        // Name uniqueness per owner is checked by the service (a NULL tenant never collides
        // in a unique index); this index serves the per-tenant lists.
        manager
            .create_index(
                Index::create()
                    .name("ix_trunks_tenant_name")
                    .table(Trunks::Table)
                    .col(Trunks::TenantId)
                    .col(Trunks::Name)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboundRoutes::Table)
                    .col(pk_uuid(OutboundRoutes::Id))
                    .col(uuid(OutboundRoutes::TenantId))
                    .col(string(OutboundRoutes::Name))
                    .col(integer(OutboundRoutes::Position))
                    .col(json(OutboundRoutes::Patterns))
                    .col(integer(OutboundRoutes::Strip))
                    .col(string(OutboundRoutes::Prepend))
                    .col(json(OutboundRoutes::TrunkIds))
                    .col(string_null(OutboundRoutes::CallerIdOverride))
                    .col(boolean(OutboundRoutes::Enabled))
                    .col(timestamp_with_time_zone(OutboundRoutes::CreatedAt))
                    .col(timestamp_with_time_zone(OutboundRoutes::UpdatedAt))
                    .col(big_integer(OutboundRoutes::Version))
                    .foreign_key(&mut tenant_fk(
                        OutboundRoutes::Table,
                        OutboundRoutes::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_outbound_routes_tenant_name")
                    .table(OutboundRoutes::Table)
                    .col(OutboundRoutes::TenantId)
                    .col(OutboundRoutes::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboundRouteTrunks::Table)
                    .col(pk_uuid(OutboundRouteTrunks::Id))
                    .col(uuid(OutboundRouteTrunks::TenantId))
                    .col(uuid(OutboundRouteTrunks::RouteId))
                    .col(uuid(OutboundRouteTrunks::TrunkId))
                    .col(integer(OutboundRouteTrunks::Position))
                    .foreign_key(&mut tenant_fk(
                        OutboundRouteTrunks::Table,
                        OutboundRouteTrunks::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutboundRouteTrunks::Table, OutboundRouteTrunks::RouteId)
                            .to(OutboundRoutes::Table, OutboundRoutes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A trunk still used by a route cannot disappear under it: the service
                    // answers 409 first, the constraint is the backstop.
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutboundRouteTrunks::Table, OutboundRouteTrunks::TrunkId)
                            .to(Trunks::Table, Trunks::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbound_route_trunks_trunk")
                    .table(OutboundRouteTrunks::Table)
                    .col(OutboundRouteTrunks::TrunkId)
                    .to_owned(),
            )
            .await?;

        // Fees are integer micro-units (10^-6 of the currency): exact on both databases.
        manager
            .create_table(
                Table::create()
                    .table(Dids::Table)
                    .col(pk_uuid(Dids::Id))
                    .col(string(Dids::Number))
                    .col(string_null(Dids::Country))
                    .col(string(Dids::NumberType))
                    .col(uuid(Dids::CarrierTrunkId))
                    .col(big_integer(Dids::SetupFeeMicros))
                    .col(big_integer(Dids::MonthlyFeeMicros))
                    .col(string(Dids::Currency))
                    .col(string(Dids::Status))
                    .col(uuid_null(Dids::TenantId))
                    .col(json_null(Dids::Destination))
                    .col(timestamp_with_time_zone_null(Dids::AssignedAt))
                    .col(timestamp_with_time_zone_null(Dids::ReleasedAt))
                    .col(timestamp_with_time_zone(Dids::CreatedAt))
                    .col(timestamp_with_time_zone(Dids::UpdatedAt))
                    .col(big_integer(Dids::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Dids::Table, Dids::CarrierTrunkId)
                            .to(Trunks::Table, Trunks::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    // Deleting a tenant frees its numbers; the service releases them first
                    // when it can, this is the backstop.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Dids::Table, Dids::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_dids_number")
                    .table(Dids::Table)
                    .col(Dids::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_dids_tenant")
                    .table(Dids::Table)
                    .col(Dids::TenantId)
                    .to_owned(),
            )
            .await?;

        // Assignment history is append-only and outlives both the tenant and the DID: billing
        // needs it after either is gone, so it has no foreign keys.
        manager
            .create_table(
                Table::create()
                    .table(DidAssignments::Table)
                    .col(pk_uuid(DidAssignments::Id))
                    .col(uuid(DidAssignments::DidId))
                    .col(uuid(DidAssignments::TenantId))
                    .col(timestamp_with_time_zone(DidAssignments::AssignedAt))
                    .col(timestamp_with_time_zone_null(DidAssignments::ReleasedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_did_assignments_did")
                    .table(DidAssignments::Table)
                    .col(DidAssignments::DidId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_did_assignments_tenant")
                    .table(DidAssignments::Table)
                    .col(DidAssignments::TenantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DidAssignments::Table.into_iden(),
            Dids::Table.into_iden(),
            OutboundRouteTrunks::Table.into_iden(),
            OutboundRoutes::Table.into_iden(),
            Trunks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
