//! Managed installs: a Kamailio node installed on a customer's host over SSH.
//!
//! `installs`: one row per install (or upgrade run) of a node, with its target, the sealed
//! per-install SSH key and node database password, the host key pinned on first contact,
//! and its state. `active_host` holds the target address while the install is queued or
//! running and is NULL otherwise; its unique index is what allows one install per host at a
//! time (NULLs are distinct in both SQLite and PostgreSQL).
//!
//! `install_steps`: the ordered steps of an install (primary key install + position), each
//! with its state, times, exit code and bounded, redacted output.
//!
//! `install_events`: the append-only step log, read by id (`GET /v1/installs/{id}/events`
//! streams rows after the last id a client has seen).
//!
//! `switch_nodes.tenant_ids`: the tenants a node serves (JSON array; NULL = every tenant),
//! so a node a partner installs on its own host never carries another tenant's credentials.

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, integer, integer_null, json, json_null, pk_auto, pk_uuid, string, string_null,
        text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Installs {
    Table,
    Id,
    Operation,
    Name,
    NodeKey,
    Host,
    Address,
    SshPort,
    SshUser,
    Profile,
    SipPort,
    RpcPort,
    TenantIds,
    OwnerTenantId,
    PublicKey,
    PrivateKeySealed,
    KeyFingerprint,
    HostKeyExpected,
    HostKeyPinned,
    DbPasswordSealed,
    Status,
    CurrentStep,
    Error,
    JobId,
    SwitchNodeId,
    ActiveHost,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
    Version,
}

#[derive(DeriveIden)]
enum InstallSteps {
    Table,
    InstallId,
    Position,
    Name,
    Status,
    Attempts,
    StartedAt,
    FinishedAt,
    ExitCode,
    Output,
    Result,
}

#[derive(DeriveIden)]
enum InstallEvents {
    Table,
    Id,
    InstallId,
    At,
    Step,
    Level,
    Message,
}

#[derive(DeriveIden)]
enum SwitchNodes {
    Table,
    TenantIds,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Installs::Table)
                    .col(pk_uuid(Installs::Id))
                    .col(string(Installs::Operation))
                    .col(string(Installs::Name))
                    .col(string(Installs::NodeKey))
                    .col(string(Installs::Host))
                    .col(string(Installs::Address))
                    .col(integer(Installs::SshPort))
                    .col(string(Installs::SshUser))
                    .col(string(Installs::Profile))
                    .col(integer(Installs::SipPort))
                    .col(integer(Installs::RpcPort))
                    .col(json(Installs::TenantIds))
                    .col(uuid_null(Installs::OwnerTenantId))
                    .col(text(Installs::PublicKey))
                    .col(text(Installs::PrivateKeySealed))
                    .col(string(Installs::KeyFingerprint))
                    .col(string_null(Installs::HostKeyExpected))
                    .col(string_null(Installs::HostKeyPinned))
                    .col(text(Installs::DbPasswordSealed))
                    .col(string(Installs::Status))
                    .col(string_null(Installs::CurrentStep))
                    .col(text_null(Installs::Error))
                    .col(uuid_null(Installs::JobId))
                    .col(uuid_null(Installs::SwitchNodeId))
                    .col(string_null(Installs::ActiveHost))
                    .col(uuid_null(Installs::CreatedBy))
                    .col(timestamp_with_time_zone(Installs::CreatedAt))
                    .col(timestamp_with_time_zone(Installs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Installs::StartedAt))
                    .col(timestamp_with_time_zone_null(Installs::FinishedAt))
                    .col(big_integer(Installs::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_installs_active_host")
                    .table(Installs::Table)
                    .col(Installs::ActiveHost)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_installs_node_key")
                    .table(Installs::Table)
                    .col(Installs::NodeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InstallSteps::Table)
                    .col(uuid(InstallSteps::InstallId))
                    .col(integer(InstallSteps::Position))
                    .col(string(InstallSteps::Name))
                    .col(string(InstallSteps::Status))
                    .col(integer(InstallSteps::Attempts))
                    .col(timestamp_with_time_zone_null(InstallSteps::StartedAt))
                    .col(timestamp_with_time_zone_null(InstallSteps::FinishedAt))
                    .col(integer_null(InstallSteps::ExitCode))
                    .col(text(InstallSteps::Output))
                    .col(json_null(InstallSteps::Result))
                    .primary_key(
                        Index::create()
                            .col(InstallSteps::InstallId)
                            .col(InstallSteps::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InstallSteps::Table, InstallSteps::InstallId)
                            .to(Installs::Table, Installs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InstallEvents::Table)
                    .col(pk_auto(InstallEvents::Id))
                    .col(uuid(InstallEvents::InstallId))
                    .col(timestamp_with_time_zone(InstallEvents::At))
                    .col(string_null(InstallEvents::Step))
                    .col(string(InstallEvents::Level))
                    .col(text(InstallEvents::Message))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InstallEvents::Table, InstallEvents::InstallId)
                            .to(Installs::Table, Installs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_install_events_install")
                    .table(InstallEvents::Table)
                    .col(InstallEvents::InstallId)
                    .col(InstallEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SwitchNodes::Table)
                    .add_column(json_null(SwitchNodes::TenantIds))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SwitchNodes::Table)
                    .drop_column(SwitchNodes::TenantIds)
                    .to_owned(),
            )
            .await?;
        for table in [
            InstallEvents::Table.into_iden(),
            InstallSteps::Table.into_iden(),
            Installs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
