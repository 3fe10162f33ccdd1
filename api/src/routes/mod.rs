//! HTTP handlers, one module per resource. Handlers are thin: extract, call a domain
//! service, shape the answer. Every route is documented with `#[utoipa::path]` and
//! registered in [`configure`], which is what both the server and the OpenAPI document use.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod domains;
pub mod ops;
pub mod tenants;
pub mod users;

/// Registers every documented route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::token)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::me)
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
        .service(audit::list_platform)
        .service(audit::list_tenant)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics);
}
