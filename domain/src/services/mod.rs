//! Domain services, one module per resource. Each public function takes the
//! [`crate::scope::TenantScope`] (or, at platform level, the [`crate::authz::Actor`]) first,
//! validates all input before it writes, and writes the change, its audit event and any job
//! in one transaction.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod domains;
pub mod idempotency;
pub mod jobs;
pub mod tenants;
pub mod users;

/// Current version check for `If-Match`: `None` means the client sent no precondition.
pub(crate) fn check_version(current: i64, if_match: Option<i64>) -> crate::error::DomainResult<()> {
    match if_match {
        Some(v) if v != current => Err(crate::error::DomainError::stale()),
        _ => Ok(()),
    }
}
