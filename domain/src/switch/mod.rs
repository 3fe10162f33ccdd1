//! The switch surface: what SIP switches ask Centralita at call time, and the registry of
//! the switches allowed to ask.
//!
//! - [`plan`]: the route request and the plan a switch executes (pure data);
//! - [`resolver`]: builds a plan from a tenant's configuration (`POST /v1/switch/route`);
//! - [`directory`]: the SIP user a media server authenticates and places, and the tenant of
//!   a SIP domain;
//! - [`nodes`]: the switch-node registry and node-token authentication;
//! - [`provisioning`]: what Kamailio nodes serve (domains, subscribers), reconciled from
//!   Centralita's database by a job, with a dry-run plan;
//! - [`registrations`]: a tenant's registered phones, read from the nodes' `location` tables;
//! - [`cache`]: the answers above, cached per process and invalidated after every commit
//!   that changes what they were computed from.
//!
//! The switch answers for a node, never for a user: the tenant comes from the SIP domain of
//! the request, and only that tenant's rows are read.

pub mod cache;
pub mod directory;
pub mod nodes;
pub mod plan;
pub mod provisioning;
pub mod registrations;
pub mod resolver;

pub use resolver::route;
