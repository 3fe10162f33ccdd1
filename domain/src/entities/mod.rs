//! sea-orm entities, one module per table. Only `crate::scope` and the services read
//! tenant-owned tables, and they go through [`crate::scope::TenantScope`] to do so.

pub mod api_key;
pub mod audit_event;
pub mod domain;
pub mod idempotency_key;
pub mod job;
pub mod refresh_token;
pub mod tenant;
pub mod user;
