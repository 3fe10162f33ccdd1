//! `centralita-domain`: the business rules of Centralita, with no HTTP in sight.
//!
//! - [`authz`]: roles, principals and the one permission table;
//! - [`scope`]: [`scope::TenantScope`], the only door to tenant-owned rows;
//! - [`services`]: one module per resource (tenants, domains, users, API keys, auth, audit,
//!   idempotency, jobs), each validating before it writes and writing change + audit event
//!   (+ job) in one transaction;
//! - [`entities`]: the sea-orm table mappings;
//! - [`error`]: the error-code table every layer maps from;
//! - [`validate`], [`pagination`], [`tokens`], [`password`], [`ratelimit`]: the building
//!   blocks those services share;
//! - [`config`] and [`core`]: configuration and the shared state built from it.

pub mod authz;
pub mod config;
pub mod core;
pub mod entities;
pub mod error;
pub mod ids;
pub mod pagination;
pub mod password;
pub mod ratelimit;
pub mod scope;
pub mod services;
pub mod tokens;
pub mod validate;

pub use crate::core::Core;
pub use error::{DomainError, DomainResult, ErrorCode, FieldError};
