//! `centralita-api`: the HTTP face of Centralita (actix-web + utoipa).
//!
//! - [`routes`]: the handlers, one module per resource, registered in one place;
//! - [`extract`]: authentication, tenant scoping, bodies and preconditions;
//! - [`problem`]: the single mapping from domain errors to RFC 9457 problem documents;
//! - [`middleware`]: request ids, access log and Prometheus metrics;
//! - [`web_app`]: the web app (`web/`, built by `build.rs`) embedded and served at `/`;
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
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub mod extract;
pub mod middleware;
pub mod problem;
pub mod respond;
pub mod routes;
pub mod web_app;

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
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "centralita_session",
                "A browser session's refresh token, set by POST /v1/auth/session \
                     (HttpOnly, SameSite=Strict, Path=/v1/auth/session)",
            ))),
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
        (name = "jobs", description = "Background jobs: status, progress, retry and cancel"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "trunks", description = "SIP trunks: platform carrier trunks and tenants' own"),
        (name = "outbound-routes", description = "Outbound routes: dial patterns, rewriting and trunk failover"),
        (name = "dids", description = "DIDs: the platform's number inventory and the numbers tenants hold"),
        (name = "billing", description = "Billing accounts, the double-entry ledger and balances"),
        (name = "rate-decks", description = "Rate decks: versions, CSV import and export, activation and rollback"),
        (name = "installs", description = "Managed installs: Kamailio nodes installed, enrolled and upgraded on customers' hosts over SSH"),
    )
)]
struct ApiDoc;

/// The OpenAPI document, built from the same registrations the server uses.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    document_conventions(&mut api);
    name_tagged_variants(&mut api);
    api
}

/// Gives every variant of a tagged union (`Plan`, `Destination`, `Greeting`…: a `oneOf`
/// whose members are objects told apart by a one-value `enum` property) its own named schema
/// (`PlanRing`, `DestinationExtension`…) and the union a `discriminator`. Inline members are
/// valid, but generators name them poorly or not at all (`openapi-python-client` refuses an
/// inline member that refers back to its union, as a ring plan's `on_busy` does), and a
/// named variant is a type a client can build.
fn name_tagged_variants(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Ref, RefOr, Schema, schema::Discriminator};
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut named = Vec::new();
    for (union, schema) in &mut components.schemas {
        let RefOr::T(Schema::OneOf(one_of)) = schema else {
            continue;
        };
        let mut discriminator: Option<Discriminator> = None;
        for member in &mut one_of.items {
            let RefOr::T(Schema::Object(object)) = member else {
                continue;
            };
            let tag = object
                .properties
                .iter()
                .find_map(|(field, property)| match property {
                    RefOr::T(Schema::Object(p)) if object.required.contains(field) => {
                        match p.enum_values.as_deref() {
                            Some([serde_json::Value::String(value)]) => {
                                Some((field.clone(), value.clone()))
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                });
            let Some((field, value)) = tag else {
                continue;
            };
            let name = format!("{union}{}", pascal_case(&value));
            let reference = format!("#/components/schemas/{name}");
            let d = discriminator.get_or_insert_with(|| Discriminator::new(field));
            d.mapping.insert(value, reference);
            named.push((
                name.clone(),
                std::mem::replace(member, Ref::from_schema_name(name).into()),
            ));
        }
        if discriminator.is_some() {
            one_of.discriminator = discriminator;
        }
    }
    components.schemas.extend(named);
}

/// `goto_ivr` → `GotoIvr`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Answers every route gives by convention rather than by its own code, added to the
/// document in one place so that no route can forget them: a request body can be malformed
/// (400), too large (413) or of another media type (415), and every list's `limit` is
/// bounded by the domain's [`MAX_LIMIT`](centralita_domain::pagination::MAX_LIMIT).
fn document_conventions(api: &mut utoipa::openapi::OpenApi) {
    use centralita_domain::pagination::MAX_LIMIT;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, Schema, path::ParameterIn};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in operations.into_iter().flatten() {
            if op.request_body.is_some() {
                for (status, description) in [
                    ("400", "The body is malformed."),
                    ("413", "The body is larger than the configured limit."),
                    (
                        "415",
                        "The body's media type is not one this operation accepts.",
                    ),
                ] {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                }
            }
            for param in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = param
                    && p.name == "limit"
                    && p.parameter_in == ParameterIn::Query
                    && let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
                {
                    o.minimum = Some(utoipa::Number::UInt(1));
                    o.maximum = Some(utoipa::Number::UInt(
                        usize::try_from(MAX_LIMIT).unwrap_or(200),
                    ));
                }
            }
        }
    }
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

    /// The methods allowed on `path`, if it matches a documented template. Only the most
    /// specific templates count (the most literal segments): `…/extensions/export` is the
    /// export route, not an extension whose id is `export`.
    fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut best = 0;
        let mut methods: Vec<String> = Vec::new();
        for (template, m) in &self.0 {
            let matches = template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| {
                    (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p
                });
            if !matches {
                continue;
            }
            let literals = template.iter().filter(|t| !t.starts_with('{')).count();
            if literals > best {
                best = literals;
                methods.clear();
            }
            if literals == best {
                methods.extend(m.iter().cloned());
            }
        }
        (!methods.is_empty()).then(|| {
            methods.sort();
            methods.dedup();
            methods.join(", ")
        })
    }

    /// 405 with `Allow` when `req` names a documented path with a method it does not take.
    pub fn method_not_allowed(&self, req: &HttpRequest) -> Option<ApiError> {
        let allow = self.allowed(req.path())?;
        if allow.split(", ").any(|m| m == req.method().as_str()) {
            return None;
        }
        let mut err = DomainError::new(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed here; allowed: {allow}", req.method()),
        );
        err.allow = Some(allow);
        Some(ApiError(err))
    }
}

async fn fallback(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    if let Some(page) = web_app::serve(&req) {
        return Ok(page);
    }
    Err(table
        .method_not_allowed(&req)
        .unwrap_or_else(|| ApiError(DomainError::not_found("route"))))
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
    // `validatorUrl: none`: by default Swagger UI sends the document to an outside validator
    // whenever the page is not served from localhost.
    app.service(
        SwaggerUi::new("/docs/{_:.*}")
            .url("/openapi.json", (*state.spec).clone())
            .config(utoipa_swagger_ui::Config::default().validator_url("none")),
    )
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

/// The HTTP of a standalone worker: `/livez` and `/readyz` only, for its supervisor's
/// probes (see `worker_probe_listen`). Everything else answers 404.
pub fn build_probe_app(
    core: Core,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(core))
        .service(routes::ops::livez)
        .service(routes::ops::readyz)
        .default_service(web::to(|| async {
            actix_web::ResponseError::error_response(&ApiError(DomainError::not_found("route")))
        }))
}
