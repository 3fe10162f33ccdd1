//! Database schema of Centralita, one file per change.
//!
//! Every file here is append-only history: once a migration has landed on `main` it is never
//! edited, a later change adds a new file. The same migrations run on SQLite (the embedded
//! default) and PostgreSQL, so they use only sea-query's portable column types; money, when it
//! arrives, is stored as integer micro-units for the same reason.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_identity;
mod m20261126_000002_tenant_path_prefix_index;
mod m20261126_000003_pbx_extensions;
mod m20261126_000004_call_flow;
mod m20261126_000005_carriers;
mod m20261126_000006_switch_nodes;
mod m20261126_000007_time_conditions;
mod m20261126_000008_ivr_menus;
mod m20261129_000009_user_token_generation;
mod m20261130_000010_job_lifecycle;
mod m20261206_000011_voicemail_email;
mod m20261206_000012_kamailio_provisioning;
mod m20261206_000013_billing_ledger;
mod m20261206_000014_rate_decks;
mod m20261206_000015_call_authorizations;
mod m20261206_000016_cdrs;
mod m20261206_000017_fees_invoices;
mod m20261207_000018_installs;
mod m20261207_000019_media_server;
mod m20261207_000020_user_locale;

/// The ordered list of every migration; `centralita migrate` and `serve` apply what is missing.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_identity::Migration),
            Box::new(m20261126_000002_tenant_path_prefix_index::Migration),
            Box::new(m20261126_000003_pbx_extensions::Migration),
            Box::new(m20261126_000004_call_flow::Migration),
            Box::new(m20261126_000005_carriers::Migration),
            Box::new(m20261126_000006_switch_nodes::Migration),
            Box::new(m20261126_000007_time_conditions::Migration),
            Box::new(m20261126_000008_ivr_menus::Migration),
            Box::new(m20261129_000009_user_token_generation::Migration),
            Box::new(m20261130_000010_job_lifecycle::Migration),
            Box::new(m20261206_000011_voicemail_email::Migration),
            Box::new(m20261206_000012_kamailio_provisioning::Migration),
            Box::new(m20261206_000013_billing_ledger::Migration),
            Box::new(m20261206_000014_rate_decks::Migration),
            Box::new(m20261206_000015_call_authorizations::Migration),
            Box::new(m20261206_000016_cdrs::Migration),
            Box::new(m20261206_000017_fees_invoices::Migration),
            Box::new(m20261207_000018_installs::Migration),
            Box::new(m20261207_000019_media_server::Migration),
            Box::new(m20261207_000020_user_locale::Migration),
        ]
    }
}
