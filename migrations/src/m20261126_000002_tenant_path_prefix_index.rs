//! Partner subtrees are found with `path LIKE '<partner path>%'`. PostgreSQL uses a btree
//! index for a LIKE prefix only under the C collation or with `text_pattern_ops`, so the
//! plain index of the first migration does not serve it; this one does. (SQLite's LIKE is
//! case-insensitive and never uses an index; the embedded scale does not need one.)

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX idx_tenants_path_prefix ON tenants (path text_pattern_ops)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS idx_tenants_path_prefix")
                .await?;
        }
        Ok(())
    }
}
