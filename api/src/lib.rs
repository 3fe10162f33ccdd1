//! `centralita-api`: the HTTP face of Centralita (actix-web + utoipa).
//!
//! - [`routes`]: the handlers, one module per resource, registered in one place;
//! - [`extract`]: authentication, tenant scoping, bodies and preconditions;
//! - [`problem`]: the single mapping from domain errors to RFC 9457 problem documents;
//! - [`middleware`]: request ids, access log and Prometheus metrics;
//! - [`build_app`] assembles all of it; [`openapi`] derives the OpenAPI 3.1 document from the
//!   very same route registrations, so the document cannot forget a route.

use std::sync::Arc;

use actix_web::{
    App, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::from_fn,
    web,
};
use centralita_domain::{Core, DomainError, ErrorCode};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub mod extract;
pub mod middleware;
pub mod problem;
pub mod respond;
pub mod routes;

use crate::{middleware::Metrics, problem::ApiError};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "switch_node",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A switch-node token (sn_…) from POST /v1/switch-nodes",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A JWT access token from POST /v1/auth/token, or an API key (ck_…)",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Centralita",
        description = "Multi-tenant hosted PBX platform. Errors are RFC 9457 problem documents \
            (application/problem+json) with a stable `code`; lists are cursor-paginated \
            (`limit`, `cursor` → `next_cursor`); versioned resources return an `ETag` and honour \
            `If-Match`. Another tenant's objects answer 404."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Log in, refresh, log out, who am I"),
        (name = "tenants", description = "Tenants and the partner → customer tree"),
        (name = "domains", description = "SIP domains of a tenant"),
        (name = "users", description = "Users of a tenant"),
        (name = "api-keys", description = "API keys of a tenant"),
        (name = "extensions", description = "Extensions: numbers, SIP accounts, forwarding, follow-me"),
        (name = "voicemail", description = "Voicemail boxes"),
        (name = "call-flow", description = "Call-flow objects: ring groups, conferences, queues, time conditions, IVR menus"),
        (name = "audit", description = "The audit log"),
        (name = "switch", description = "Switch nodes and what they ask at call time"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "trunks", description = "SIP trunks: platform carrier trunks and tenants' own"),
        (name = "outbound-routes", description = "Outbound routes: dial patterns, rewriting and trunk failover"),
        (name = "dids", description = "DIDs: the platform's number inventory and the numbers tenants hold"),
    )
)]
struct ApiDoc;

/// The OpenAPI document, built from the same registrations the server uses.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api
}

/// Path templates of the document with their methods, to answer 405 with `Allow` for a
/// known path and a wrong method (actix's own routing would answer 404).
pub struct RouteTable(Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = serde_json::to_value(item)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .map(|o| {
                        o.keys()
                            .filter(|k| {
                                ["get", "post", "put", "patch", "delete"].contains(&k.as_str())
                            })
                            .map(|k| k.to_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                (segments, methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods allowed on `path`, if it matches a documented template.
    fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<String> = Vec::new();
        for (template, m) in &self.0 {
            let matches = template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| {
                    (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p
                });
            if matches {
                methods.extend(m.iter().cloned());
            }
        }
        (!methods.is_empty()).then(|| {
            methods.sort();
            methods.dedup();
            methods.join(", ")
        })
    }
}

async fn fallback(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    match table.allowed(req.path()) {
        Some(allow) => {
            let mut err = DomainError::new(
                ErrorCode::MethodNotAllowed,
                format!("{} is not allowed here; allowed: {allow}", req.method()),
            );
            err.allow = Some(allow);
            Err(ApiError(err))
        }
        None => Err(ApiError(DomainError::not_found("route"))),
    }
}

/// Everything the app needs, built once per process and cloned into each worker thread.
#[derive(Clone)]
pub struct AppState {
    pub core: web::Data<Core>,
    pub metrics: web::Data<Metrics>,
    pub spec: Arc<utoipa::openapi::OpenApi>,
    pub routes: web::Data<RouteTable>,
}

impl AppState {
    pub fn new(core: Core) -> Result<Self, prometheus::Error> {
        let spec = openapi();
        Ok(Self {
            core: web::Data::new(core),
            metrics: web::Data::new(Metrics::new()?),
            routes: web::Data::new(RouteTable::from_openapi(&spec)),
            spec: Arc::new(spec),
        })
    }
}

/// The complete actix application.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, _) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(state.core.clone())
        .app_data(state.metrics.clone())
        .app_data(state.routes.clone())
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .configure(routes::configure)
        .split_for_parts();
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", (*state.spec).clone()))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        )
        .default_service(web::to(fallback))
        .wrap(from_fn(middleware::observe))
}
