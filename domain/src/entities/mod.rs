//! sea-orm entities, one module per table. Only `crate::scope` and the services read
//! tenant-owned tables, and they go through [`crate::scope::TenantScope`] to do so.

pub mod api_key;
pub mod audit_event;
pub mod billing_account;
pub mod conference;
pub mod destination_ref;
pub mod dial_number;
pub mod did;
pub mod did_assignment;
pub mod domain;
pub mod extension;
pub mod extension_credential;
pub mod idempotency_key;
pub mod ivr_menu;
pub mod job;
pub mod ledger_posting;
pub mod ledger_transaction;
pub mod outbound_route;
pub mod outbound_route_trunk;
pub mod queue;
pub mod refresh_token;
pub mod ring_group;
pub mod switch_node;
pub mod switch_node_applied;
pub mod tenant;
pub mod time_condition;
pub mod trunk;
pub mod user;
pub mod voicemail_box;
pub mod voicemail_message;
