//! Domain services, one module per resource. Each public function takes the
//! [`crate::scope::TenantScope`] (or, at platform level, the [`crate::authz::Actor`]) first,
//! validates all input before it writes, and writes the change, its audit event and any job
//! in one transaction.
//!
//! - the tenant tree and who may sign in: [`tenants`], [`domains`], [`users`], [`api_keys`],
//!   [`auth`], [`audit`], [`idempotency`];
//! - PBX configuration: [`extensions`] (and [`extension_csv`]), [`voicemail_boxes`],
//!   [`voicemail_messages`];
//! - call flow: [`destinations`] (the typed union every routing field uses),
//!   [`dial_numbers`] (the shared number space), [`ring_groups`], [`ivr_menus`], [`queues`],
//!   [`conferences`], [`time_conditions`];
//! - carriers: [`trunks`], [`outbound_routes`], [`dids`];
//! - the switch surface: [`switch_nodes`] (registry, node tokens), [`switch`] (directory),
//!   [`routing`] (`POST /v1/switch/route`);
//! - background work: [`jobs`] (the outbox, the `Job` trait and registry), [`housekeeping`];
//! - shared plumbing: `versioned` (optimistic locking).

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod conferences;
pub mod destinations;
pub mod dial_numbers;
pub mod dids;
pub mod domains;
pub mod extension_csv;
pub mod extensions;
pub mod housekeeping;
pub mod idempotency;
pub mod ivr_menus;
pub mod jobs;
pub mod outbound_routes;
pub mod queues;
pub mod ring_groups;
pub mod tenants;
pub mod time_conditions;
pub mod trunks;
pub mod users;
pub(crate) mod versioned;
pub mod voicemail_boxes;
pub mod voicemail_messages;

/// Current version check for `If-Match`: `None` means the client sent no precondition.
pub(crate) fn check_version(current: i64, if_match: Option<i64>) -> crate::error::DomainResult<()> {
    match if_match {
        Some(v) if v != current => Err(crate::error::DomainError::stale()),
        _ => Ok(()),
    }
}

/// A JSON column back into its typed value; a row that no longer parses is a server bug.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    v: &serde_json::Value,
) -> crate::error::DomainResult<T> {
    serde_json::from_value(v.clone()).map_err(crate::error::DomainError::internal)
}

/// A typed value as a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> crate::error::DomainResult<serde_json::Value> {
    serde_json::to_value(v).map_err(crate::error::DomainError::internal)
}
