//! Voicemail-to-email delivery, readable per message: a status (`not_requested`, `queued`,
//! `retrying`, `sent`, `failed`), the attempts made, when the SMTP server accepted it and
//! what it answered, and the last error. Existing messages predate e-mail: `not_requested`.
//! SQLite alters one column per statement, so each is its own step.

use sea_orm_migration::{
    prelude::*,
    schema::{integer, string, text_null, timestamp_with_time_zone_null},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VoicemailMessages {
    Table,
    EmailStatus,
    EmailAttempts,
    EmailSentAt,
    EmailServerReply,
    EmailLastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            string(VoicemailMessages::EmailStatus)
                .default("not_requested")
                .to_owned(),
            integer(VoicemailMessages::EmailAttempts)
                .default(0)
                .to_owned(),
            timestamp_with_time_zone_null(VoicemailMessages::EmailSentAt),
            text_null(VoicemailMessages::EmailServerReply),
            text_null(VoicemailMessages::EmailLastError),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(VoicemailMessages::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            VoicemailMessages::EmailLastError,
            VoicemailMessages::EmailServerReply,
            VoicemailMessages::EmailSentAt,
            VoicemailMessages::EmailAttempts,
            VoicemailMessages::EmailStatus,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(VoicemailMessages::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
