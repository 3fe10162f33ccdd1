//! `switch_nodes.media_server_uri`: where the node relays the calls a plan gives to a media
//! server (voicemail, IVR menus, queues, conferences), as `sip:host[:port]`. NULL: the node
//! uses what it was started with (`start.sh --media-uri`), or refuses such calls.

use sea_orm_migration::{prelude::*, schema::text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SwitchNodes {
    Table,
    MediaServerUri,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SwitchNodes::Table)
                    .add_column(text_null(SwitchNodes::MediaServerUri))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SwitchNodes::Table)
                    .drop_column(SwitchNodes::MediaServerUri)
                    .to_owned(),
            )
            .await
    }
}
