//! The black-box suite: the real application started on 127.0.0.1:0 (see [`common`]) and
//! driven over HTTP. One test binary with a module per area, so the suite links once.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "the harness and its helpers panic on a failed setup, which fails the test"
)]

mod common;

mod api_keys;
mod audit;
mod auth;
mod billing;
mod cache_redis;
mod calls;
mod cdrs;
mod compound_user;
mod conferences;
mod conventions;
mod did_fees;
mod dids;
mod domains;
mod edge_calls;
mod extension_csv;
mod extensions;
mod input_text;
mod installs;
mod invoices;
mod isolation;
mod ivr_menus;
mod job_lifecycle;
mod jobs;
mod kamailio;
mod no_secrets;
mod openapi_drift;
mod ops;
mod outbound_routes;
mod queues;
mod rate_decks;
mod redis_down;
mod ring_groups;
mod roles;
mod routing;
mod self_service;
mod smoke;
mod spec;
mod ssh;
mod storage_s3;
mod stored_values;
mod switch;
mod tenants;
mod time_conditions;
mod trunks;
mod unavailable;
mod users;
mod voicemail_boxes;
mod voicemail_intake;
mod voicemail_messages;
mod web_app;
mod worker_faults;
