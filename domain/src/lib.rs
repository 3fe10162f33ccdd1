//! `centralita-domain`: the business rules of Centralita, with no HTTP in sight.
//!
//! - [`authz`]: roles, principals and the one permission table;
//! - [`scope`]: [`scope::TenantScope`] (for principals) and [`scope::SystemScope`] (for the
//!   switch surface), the only doors to tenant-owned rows;
//! - [`services`]: the operations, one module per resource (the module doc of [`services`]
//!   groups them), each validating before it writes and writing change + audit event (+ job)
//!   in one transaction; the background jobs ([`services::jobs`]) live there too;
//! - [`ids`], [`money`]: ID newtypes and exact money;
//! - [`entities`]: the sea-orm table mappings;
//! - [`kinds`]: [`kinds::ObjectKind`], the kinds of tenant object as one enum;
//! - [`error`]: the error-code table every layer maps from;
//! - [`validate`], [`pagination`], [`tokens`], [`password`], [`ratelimit`]: the building
//!   blocks those services share;
//! - [`numbering`]: E.164 telephone numbers validated against real numbering plans;
//! - [`sip`]: SIP passwords, the HA1/HA1B digests Kamailio stores, SIP usernames and
//!   voicemail PINs;
//! - [`ssh`]: SSH to a customer's host for managed installs (install keys, host-key
//!   pinning, one command with bounded output);
//! - [`storage`]: the files kept for tenants (voicemail audio, greeting recordings);
//! - [`secretbox`]: AES-256-GCM encryption at rest for the secrets that must be read back
//!   (trunk passwords);
//! - [`bulk`]: bulk writes in short batches (imports), all or nothing; [`csv_cells`]:
//!   spreadsheet-safe CSV cells for every export and import;
//! - [`switch`]: the switch surface (route plans and their resolver, the SIP directory, the
//!   switch-node registry, and the cache of their answers, owned by [`Core`]);
//! - [`tx`]: the transaction every write runs in ([`Core::begin`]), which announces what the
//!   write made stale in the switch cache once it has committed;
//! - [`config`] and [`core`]: configuration and the shared state built from it;
//! - [`dialplan`]: pure call-routing logic: outbound dial patterns and time conditions;
//! - [`rating`]: pure billing logic: the cost formula of a call and the longest-prefix index
//!   of a rate deck.

pub mod audio;
pub mod authz;
pub mod bulk;
pub mod config;
pub mod core;
pub mod csv_cells;
pub mod dialplan;
pub mod entities;
pub mod error;
pub mod ids;
pub mod installs;
pub mod kinds;
pub mod mail;
pub mod money;
pub mod numbering;
pub mod pagination;
pub mod password;
pub mod rate_csv;
pub mod ratelimit;
pub mod rating;
#[cfg(test)]
mod readme;
pub mod scope;
pub mod secretbox;
pub mod services;
pub mod sip;
pub mod ssh;
pub mod storage;
pub mod switch;
pub mod tokens;
pub mod tx;
pub mod validate;

pub use crate::core::Core;
pub use error::{DomainError, DomainResult, ErrorCode, FieldError};
