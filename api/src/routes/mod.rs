//! HTTP handlers, one module per resource. Handlers are thin: extract, call a domain
//! service, shape the answer. Every route is documented with `#[utoipa::path]` and
//! registered in [`configure`], which is what both the server and the OpenAPI document use.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod conferences;
pub mod dids;
pub mod domains;
pub mod extensions;
pub mod installs;
pub mod ivr_menus;
pub mod jobs;
pub mod ops;
pub mod outbound_routes;
pub mod queues;
pub mod rate_decks;
pub mod ring_groups;
pub mod switch;
pub mod switch_nodes;
pub mod tenants;
pub mod time_conditions;
pub mod trunks;
pub mod users;
pub mod voicemail_boxes;
pub mod voicemail_messages;

/// The raw bytes of a file (audio), as the OpenAPI document describes them: a binary string,
/// which generated clients turn into a file or a byte stream (not an array of integers).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// Registers every documented route.
pub fn configure(cfg: &mut ServiceConfig) {
    // The switch surface first: actix tries routes in order, each templated path a regular
    // expression, and a switch's calls are the traffic that waits (its paths overlap no
    // other route's, so the order changes nothing else).
    cfg.service(switch::authorize_call)
        .service(switch::node_self)
        .service(switch::end_call)
        .service(switch::route)
        .service(switch::directory)
        .service(switch::ingest_cdrs)
        .service(switch::ivr_greeting)
        .service(switch::voicemail)
        .service(auth::token)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::create_session)
        .service(auth::refresh_session)
        .service(auth::delete_session)
        .service(auth::me)
        .service(auth::update_me)
        .service(tenants::list)
        .service(tenants::create)
        .service(tenants::get)
        .service(tenants::update)
        .service(tenants::delete)
        .service(domains::list)
        .service(domains::create)
        .service(domains::get)
        .service(domains::update)
        .service(domains::delete)
        .service(users::list)
        .service(users::create)
        .service(users::get)
        .service(users::update)
        .service(users::delete)
        .service(api_keys::list)
        .service(api_keys::create)
        .service(api_keys::get)
        .service(api_keys::revoke)
        .service(extensions::list)
        .service(extensions::create)
        .service(extensions::export)
        .service(extensions::import)
        .service(extensions::get)
        .service(extensions::update)
        .service(extensions::reset_password)
        .service(extensions::delete)
        .service(extensions::list_own)
        .service(extensions::update_own)
        .service(voicemail_boxes::list)
        .service(voicemail_boxes::create)
        .service(voicemail_boxes::get)
        .service(voicemail_boxes::update)
        .service(voicemail_boxes::delete)
        .service(voicemail_messages::list)
        .service(voicemail_messages::get)
        .service(voicemail_messages::audio)
        .service(voicemail_messages::mark)
        .service(voicemail_messages::delete)
        .service(voicemail_messages::summary)
        .service(voicemail_messages::list_own)
        .service(voicemail_messages::audio_own)
        .service(voicemail_messages::mark_own)
        .service(voicemail_messages::delete_own)
        .service(ring_groups::list)
        .service(ring_groups::create)
        .service(ring_groups::get)
        .service(ring_groups::update)
        .service(ring_groups::delete)
        .service(ivr_menus::list)
        .service(ivr_menus::create)
        .service(ivr_menus::get)
        .service(ivr_menus::update)
        .service(ivr_menus::delete)
        .service(ivr_menus::put_greeting)
        .service(ivr_menus::get_greeting)
        .service(conferences::list)
        .service(conferences::create)
        .service(conferences::get)
        .service(conferences::update)
        .service(conferences::delete)
        .service(queues::list)
        .service(queues::create)
        .service(queues::get)
        .service(queues::update)
        .service(queues::delete)
        .service(time_conditions::list)
        .service(time_conditions::create)
        .service(time_conditions::get)
        .service(time_conditions::evaluate)
        .service(time_conditions::update)
        .service(time_conditions::delete)
        .service(audit::list_platform)
        .service(audit::list_tenant)
        .service(switch_nodes::list)
        .service(switch_nodes::create)
        .service(switch_nodes::get)
        .service(switch_nodes::update)
        .service(switch_nodes::rotate_token)
        .service(switch_nodes::plan)
        .service(switch_nodes::calls)
        .service(switch_nodes::reconcile)
        .service(switch_nodes::delete)
        .service(installs::upgrade)
        .service(installs::list)
        .service(installs::create)
        .service(installs::get)
        .service(installs::events)
        .service(installs::cancel)
        .service(installs::retry)
        .service(installs::set_host_key)
        .service(jobs::list)
        .service(jobs::get)
        .service(jobs::retry)
        .service(jobs::cancel)
        .service(jobs::list_tenant)
        .service(billing::get_account)
        .service(billing::explain_rate)
        .service(billing::list_cdrs)
        .service(billing::list_own_cdrs)
        .service(billing::export_cdrs)
        .service(billing::rerate)
        .service(billing::get_spend_policy)
        .service(billing::put_spend_policy)
        .service(billing::list_invoices)
        .service(billing::get_invoice)
        .service(billing::issue_invoice)
        .service(billing::void_invoice)
        .service(billing::pay_invoice)
        .service(billing::platform_margin)
        .service(billing::partner_margin)
        .service(billing::update_account)
        .service(billing::create_transaction)
        .service(billing::list_transactions)
        .service(billing::balance)
        .service(ops::livez)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(rate_decks::platform_list)
        .service(rate_decks::platform_create)
        .service(rate_decks::platform_get)
        .service(rate_decks::platform_update)
        .service(rate_decks::platform_delete)
        .service(rate_decks::platform_versions)
        .service(rate_decks::platform_activate)
        .service(rate_decks::platform_export)
        .service(rate_decks::platform_import)
        .service(rate_decks::platform_get_import)
        .service(rate_decks::list)
        .service(rate_decks::create)
        .service(rate_decks::get)
        .service(rate_decks::update)
        .service(rate_decks::delete)
        .service(rate_decks::versions)
        .service(rate_decks::activate)
        .service(rate_decks::export)
        .service(rate_decks::import)
        .service(rate_decks::get_import)
        .service(trunks::platform_list)
        .service(trunks::platform_create)
        .service(trunks::platform_get)
        .service(trunks::platform_update)
        .service(trunks::platform_delete)
        .service(trunks::list)
        .service(trunks::create)
        .service(trunks::get)
        .service(trunks::update)
        .service(trunks::delete)
        .service(outbound_routes::list)
        .service(outbound_routes::create)
        .service(outbound_routes::test)
        .service(outbound_routes::get)
        .service(outbound_routes::update)
        .service(outbound_routes::delete)
        .service(dids::platform_list)
        .service(dids::platform_create)
        .service(dids::platform_get)
        .service(dids::platform_update)
        .service(dids::platform_delete)
        .service(dids::list)
        .service(dids::claim)
        .service(dids::get)
        .service(dids::update)
        .service(dids::release);
}
