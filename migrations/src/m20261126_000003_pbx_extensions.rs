//! The first PBX objects: the per-tenant dialable number space, extensions with their SIP
//! digest credentials, voicemail boxes and their messages, and the reference index that
//! lets a delete name what still points at an object.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DialNumbers {
    Table,
    Id,
    TenantId,
    Number,
    OwnerType,
    OwnerId,
}

#[derive(DeriveIden)]
enum Extensions {
    Table,
    Id,
    TenantId,
    Number,
    DisplayName,
    UserId,
    Enabled,
    SipUsername,
    CallerIdName,
    CallerIdNumber,
    ExternalCallerId,
    Dnd,
    Forwarding,
    FollowMe,
    MaxConcurrentCalls,
    RecordCalls,
    VoicemailBoxId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ExtensionCredentials {
    Table,
    Id,
    TenantId,
    ExtensionId,
    DomainId,
    Username,
    Realm,
    Ha1,
    Ha1b,
}

#[derive(DeriveIden)]
enum VoicemailBoxes {
    Table,
    Id,
    TenantId,
    Mailbox,
    PinHash,
    Emails,
    AttachAudio,
    DeleteAfterEmail,
    Language,
    Enabled,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum VoicemailMessages {
    Table,
    Id,
    TenantId,
    BoxId,
    CallerIdNumber,
    CallerIdName,
    DurationSecs,
    ContentType,
    SizeBytes,
    StorageKey,
    Read,
    ReceivedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DestinationRefs {
    Table,
    Id,
    TenantId,
    FromType,
    FromId,
    Field,
    ToType,
    ToId,
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
        // One dialable space per tenant: extensions, ring groups, IVRs, queues and
        // conferences all reserve their number here, so a collision is one unique index.
        manager
            .create_table(
                Table::create()
                    .table(DialNumbers::Table)
                    .col(pk_uuid(DialNumbers::Id))
                    .col(uuid(DialNumbers::TenantId))
                    .col(string(DialNumbers::Number))
                    .col(string(DialNumbers::OwnerType))
                    .col(uuid(DialNumbers::OwnerId))
                    .foreign_key(&mut tenant_fk(DialNumbers::Table, DialNumbers::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_dial_numbers_tenant_number")
                    .table(DialNumbers::Table)
                    .col(DialNumbers::TenantId)
                    .col(DialNumbers::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(VoicemailBoxes::Table)
                    .col(pk_uuid(VoicemailBoxes::Id))
                    .col(uuid(VoicemailBoxes::TenantId))
                    .col(string(VoicemailBoxes::Mailbox))
                    .col(string(VoicemailBoxes::PinHash))
                    .col(json(VoicemailBoxes::Emails))
                    .col(boolean(VoicemailBoxes::AttachAudio))
                    .col(boolean(VoicemailBoxes::DeleteAfterEmail))
                    .col(string(VoicemailBoxes::Language))
                    .col(boolean(VoicemailBoxes::Enabled))
                    .col(timestamp_with_time_zone(VoicemailBoxes::CreatedAt))
                    .col(timestamp_with_time_zone(VoicemailBoxes::UpdatedAt))
                    .col(big_integer(VoicemailBoxes::Version))
                    .foreign_key(&mut tenant_fk(
                        VoicemailBoxes::Table,
                        VoicemailBoxes::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_voicemail_boxes_tenant_mailbox")
                    .table(VoicemailBoxes::Table)
                    .col(VoicemailBoxes::TenantId)
                    .col(VoicemailBoxes::Mailbox)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Extensions::Table)
                    .col(pk_uuid(Extensions::Id))
                    .col(uuid(Extensions::TenantId))
                    .col(string(Extensions::Number))
                    .col(string(Extensions::DisplayName))
                    .col(uuid_null(Extensions::UserId))
                    .col(boolean(Extensions::Enabled))
                    .col(string(Extensions::SipUsername))
                    .col(string_null(Extensions::CallerIdName))
                    .col(string_null(Extensions::CallerIdNumber))
                    .col(string_null(Extensions::ExternalCallerId))
                    .col(boolean(Extensions::Dnd))
                    .col(json(Extensions::Forwarding))
                    .col(json(Extensions::FollowMe))
                    .col(integer(Extensions::MaxConcurrentCalls))
                    .col(boolean(Extensions::RecordCalls))
                    .col(uuid_null(Extensions::VoicemailBoxId))
                    .col(timestamp_with_time_zone(Extensions::CreatedAt))
                    .col(timestamp_with_time_zone(Extensions::UpdatedAt))
                    .col(big_integer(Extensions::Version))
                    .foreign_key(&mut tenant_fk(Extensions::Table, Extensions::TenantId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Extensions::Table, Extensions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Extensions::Table, Extensions::VoicemailBoxId)
                            .to(VoicemailBoxes::Table, VoicemailBoxes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_extensions_tenant_number")
                    .table(Extensions::Table)
                    .col(Extensions::TenantId)
                    .col(Extensions::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_extensions_tenant_sip_username")
                    .table(Extensions::Table)
                    .col(Extensions::TenantId)
                    .col(Extensions::SipUsername)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // One row per (extension, SIP domain of its tenant): the digests Kamailio's auth_db
        // compares (realm = domain). Never the password itself.
        manager
            .create_table(
                Table::create()
                    .table(ExtensionCredentials::Table)
                    .col(pk_uuid(ExtensionCredentials::Id))
                    .col(uuid(ExtensionCredentials::TenantId))
                    .col(uuid(ExtensionCredentials::ExtensionId))
                    .col(uuid(ExtensionCredentials::DomainId))
                    .col(string(ExtensionCredentials::Username))
                    .col(string(ExtensionCredentials::Realm))
                    .col(string(ExtensionCredentials::Ha1))
                    .col(string(ExtensionCredentials::Ha1b))
                    .foreign_key(&mut tenant_fk(
                        ExtensionCredentials::Table,
                        ExtensionCredentials::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ExtensionCredentials::Table,
                                ExtensionCredentials::ExtensionId,
                            )
                            .to(Extensions::Table, Extensions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExtensionCredentials::Table, ExtensionCredentials::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_extension_credentials_realm_username")
                    .table(ExtensionCredentials::Table)
                    .col(ExtensionCredentials::Realm)
                    .col(ExtensionCredentials::Username)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(VoicemailMessages::Table)
                    .col(pk_uuid(VoicemailMessages::Id))
                    .col(uuid(VoicemailMessages::TenantId))
                    .col(uuid(VoicemailMessages::BoxId))
                    .col(string_null(VoicemailMessages::CallerIdNumber))
                    .col(string_null(VoicemailMessages::CallerIdName))
                    .col(integer(VoicemailMessages::DurationSecs))
                    .col(string(VoicemailMessages::ContentType))
                    .col(big_integer(VoicemailMessages::SizeBytes))
                    .col(string(VoicemailMessages::StorageKey))
                    .col(boolean(VoicemailMessages::Read))
                    .col(timestamp_with_time_zone(VoicemailMessages::ReceivedAt))
                    .col(timestamp_with_time_zone(VoicemailMessages::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        VoicemailMessages::Table,
                        VoicemailMessages::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(VoicemailMessages::Table, VoicemailMessages::BoxId)
                            .to(VoicemailBoxes::Table, VoicemailBoxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_voicemail_messages_box")
                    .table(VoicemailMessages::Table)
                    .col(VoicemailMessages::BoxId)
                    .col(VoicemailMessages::Id)
                    .to_owned(),
            )
            .await?;

        // Which object's field points at which object: written with every destination, read
        // by deletes (409 listing the referrers).
        manager
            .create_table(
                Table::create()
                    .table(DestinationRefs::Table)
                    .col(pk_uuid(DestinationRefs::Id))
                    .col(uuid(DestinationRefs::TenantId))
                    .col(string(DestinationRefs::FromType))
                    .col(uuid(DestinationRefs::FromId))
                    .col(string(DestinationRefs::Field))
                    .col(string(DestinationRefs::ToType))
                    .col(uuid(DestinationRefs::ToId))
                    .foreign_key(&mut tenant_fk(
                        DestinationRefs::Table,
                        DestinationRefs::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_destination_refs_to")
                    .table(DestinationRefs::Table)
                    .col(DestinationRefs::ToId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_destination_refs_from")
                    .table(DestinationRefs::Table)
                    .col(DestinationRefs::FromId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DestinationRefs::Table.into_iden(),
            VoicemailMessages::Table.into_iden(),
            ExtensionCredentials::Table.into_iden(),
            Extensions::Table.into_iden(),
            VoicemailBoxes::Table.into_iden(),
            DialNumbers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
