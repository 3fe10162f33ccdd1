//! `/v1/rate-decks` (the platform's rate decks) and `/v1/tenants/{tenant_id}/rate-decks`
//! (a partner's own, to sell to its customers): decks, their versions (activate to swap or
//! roll back), streamed CSV export, and imports that run as jobs. Every operation exists for
//! both owners and calls the same service with a [`DeckOwner`].

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::{Permission, PlatformPermission},
    services::rate_decks::{
        self, CreateRateDeck, DeckOwner, DeckVersionList, RateDeckListQuery, RateDeckPage,
        RateDeckView, UpdateRateDeck,
        imports::{self, ImportQuery, ImportViewQuery, RateImportView},
    },
};
use futures_util::StreamExt;
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, IfMatch, Scope},
    problem::{ApiError, ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// Whether the request says its body is CSV.
fn is_csv(req: &HttpRequest) -> bool {
    use actix_web::HttpMessage;
    req.mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.essence_str() == "text/csv")
}

/// A streamed CSV export as the answer.
fn csv_response(csv: rate_decks::Export) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", csv.filename),
        ))
        .streaming(csv.body.map(|chunk| chunk.map_err(ApiError)))
}

/// List the platform's rate decks.
#[utoipa::path(
    operation_id = "list_platform_rate_decks",
    tag = "rate-decks",
    params(RateDeckListQuery),
    responses((status = 200, description = "A page of rate decks", body = RateDeckPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/rate-decks")]
pub async fn platform_list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<RateDeckListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &rate_decks::list(DeckOwner::Platform(&actor), &core, &query).await?,
        None,
    ))
}

/// Create a rate deck of the platform's (its currency is fixed; rates arrive by import).
#[utoipa::path(
    operation_id = "create_platform_rate_deck",
    tag = "rate-decks",
    params(),
    request_body = CreateRateDeck,
    responses((status = 201, description = "Created", body = RateDeckView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/rate-decks")]
pub async fn platform_create(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<CreateRateDeck>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for_platform(&actor, PlatformPermission::ManageRateDecks)?;
    let view = rate_decks::create(DeckOwner::Platform(&actor), &core, input).await?;
    Ok(respond::created(
        format!("/v1/rate-decks/{}", view.id),
        &view,
        Some(view.version),
    ))
}

/// Read a rate deck of the platform's.
#[utoipa::path(
    operation_id = "get_platform_rate_deck",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path)),
    responses((status = 200, description = "The deck", body = RateDeckView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/rate-decks/{deck_id}")]
pub async fn platform_get(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = rate_decks::get(DeckOwner::Platform(&actor), &core, *path).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Rename a rate deck of the platform's or change its description (JSON merge patch; `If-Match`
/// honoured).
#[utoipa::path(
    operation_id = "update_platform_rate_deck",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateRateDeck,
    responses((status = 200, description = "Updated", body = RateDeckView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/rate-decks/{deck_id}")]
pub async fn platform_update(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<UpdateRateDeck>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for_platform(&actor, PlatformPermission::ManageRateDecks)?;
    let view =
        rate_decks::update(DeckOwner::Platform(&actor), &core, *path, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a rate deck of the platform's with its versions; 409 listing the billing accounts that sell
/// at it and the trunks that buy at it.
#[utoipa::path(
    operation_id = "delete_platform_rate_deck",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/rate-decks/{deck_id}")]
pub async fn platform_delete(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    rate_decks::delete(DeckOwner::Platform(&actor), &core, *path, if_match.0).await?;
    Ok(respond::no_content())
}

/// The versions of a rate deck of the platform's, newest first (at most 200).
#[utoipa::path(
    operation_id = "list_platform_rate_deck_versions",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path)),
    responses((status = 200, description = "The versions", body = DeckVersionList), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/rate-decks/{deck_id}/versions")]
pub async fn platform_versions(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &rate_decks::versions(DeckOwner::Platform(&actor), &core, *path).await?,
        None,
    ))
}

/// Make a ready version the deck's active one: a new version goes live, or an older one is
/// rolled back to. One atomic switch: calls rated after it use the version, calls before it
/// the previous one. `If-Match` (the deck's ETag) honoured.
#[utoipa::path(
    operation_id = "activate_platform_rate_deck_version",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path), ("version" = i32, Path, minimum = 1), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The deck, with its new active version", body = RateDeckView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/rate-decks/{deck_id}/versions/{version}/activate")]
pub async fn platform_activate(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<(Uuid, i32)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = rate_decks::activate(
        DeckOwner::Platform(&actor),
        &core,
        path.0,
        path.1,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// A version's rates as CSV, streamed (the import's columns: prefix, destination, rate,
/// connection_fee, minimum_seconds, first_increment, next_increment, effective_from,
/// effective_until); it re-imports unchanged.
#[utoipa::path(
    operation_id = "export_platform_rate_deck_version",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path), ("version" = i32, Path, minimum = 1)),
    responses((status = 200, description = "The CSV", content_type = "text/csv", body = String), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/rate-decks/{deck_id}/versions/{version}/export")]
pub async fn platform_export(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<(Uuid, i32)>,
) -> ApiResult<HttpResponse> {
    let csv = rate_decks::export(DeckOwner::Platform(&actor), &core, path.0, path.1).await?;
    Ok(csv_response(csv))
}

/// Import rates from CSV into a new version of the deck (header required; columns: prefix,
/// destination and rate required; connection_fee, minimum_seconds, first_increment and
/// next_increment (default 60/60), effective_from and effective_until optional; at most 256
/// MiB). The body is stored as it arrives and checked by a job: the answer is 202 with the
/// import to poll. Every bad line is reported with its number and reason; any bad line and
/// nothing is applied. `?dry_run=true` only checks; `?activate=true` activates the new
/// version when it is ready.
#[utoipa::path(
    operation_id = "import_platform_rate_deck",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 202, description = "The queued import", body = RateImportView, headers(("Location" = String))), CommonErrors, WriteErrors,
        (status = 413, description = "Larger than 256 MiB", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/rate-decks/{deck_id}/imports")]
pub async fn platform_import(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    query: web::Query<ImportQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let view = imports::start(
        DeckOwner::Platform(&actor),
        &core,
        *path,
        &query,
        is_csv(&req),
        body,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            "Location",
            format!("/v1/rate-decks/{}/imports/{}", *path, view.id),
        ))
        .json(view))
}

/// An import of the deck: status, progress, the version it made, and a page of its bad lines
/// (`?after_line=` for the next).
#[utoipa::path(
    operation_id = "get_platform_rate_deck_import",
    tag = "rate-decks",
    params(("deck_id" = Uuid, Path), ("import_id" = Uuid, Path), ImportViewQuery),
    responses((status = 200, description = "The import", body = RateImportView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/rate-decks/{deck_id}/imports/{import_id}")]
pub async fn platform_get_import(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<ImportViewQuery>,
) -> ApiResult<HttpResponse> {
    let view = imports::get(DeckOwner::Platform(&actor), &core, path.0, path.1, &query).await?;
    Ok(respond::ok(&view, None))
}

/// List the tenant's rate decks.
#[utoipa::path(
    operation_id = "list_rate_decks",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), RateDeckListQuery),
    responses((status = 200, description = "A page of rate decks", body = RateDeckPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/rate-decks")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<RateDeckListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &rate_decks::list(DeckOwner::Tenant(&scope), &core, &query).await?,
        None,
    ))
}

/// Create a rate deck of the tenant's (its currency is fixed; rates arrive by import).
#[utoipa::path(
    operation_id = "create_rate_deck",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateRateDeck,
    responses((status = 201, description = "Created", body = RateDeckView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/rate-decks")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateRateDeck>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::RateDeckWrite)?;
    let view = rate_decks::create(DeckOwner::Tenant(&scope), &core, input).await?;
    Ok(respond::created(
        format!("/v1/tenants/{}/rate-decks/{}", scope.tenant_id(), view.id),
        &view,
        Some(view.version),
    ))
}

/// Read a rate deck of the tenant's.
#[utoipa::path(
    operation_id = "get_rate_deck",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path)),
    responses((status = 200, description = "The deck", body = RateDeckView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/rate-decks/{deck_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = rate_decks::get(DeckOwner::Tenant(&scope), &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Rename a rate deck of the tenant's or change its description (JSON merge patch; `If-Match`
/// honoured).
#[utoipa::path(
    operation_id = "update_rate_deck",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateRateDeck,
    responses((status = 200, description = "Updated", body = RateDeckView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/rate-decks/{deck_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateRateDeck>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::RateDeckWrite)?;
    let view =
        rate_decks::update(DeckOwner::Tenant(&scope), &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a rate deck of the tenant's with its versions; 409 listing the billing accounts that sell
/// at it and the trunks that buy at it.
#[utoipa::path(
    operation_id = "delete_rate_deck",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/rate-decks/{deck_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    rate_decks::delete(DeckOwner::Tenant(&scope), &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}

/// The versions of a rate deck of the tenant's, newest first (at most 200).
#[utoipa::path(
    operation_id = "list_rate_deck_versions",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path)),
    responses((status = 200, description = "The versions", body = DeckVersionList), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/versions")]
pub async fn versions(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &rate_decks::versions(DeckOwner::Tenant(&scope), &core, path.1).await?,
        None,
    ))
}

/// Make a ready version the deck's active one: a new version goes live, or an older one is
/// rolled back to. One atomic switch: calls rated after it use the version, calls before it
/// the previous one. `If-Match` (the deck's ETag) honoured.
#[utoipa::path(
    operation_id = "activate_rate_deck_version",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path), ("version" = i32, Path, minimum = 1), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The deck, with its new active version", body = RateDeckView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/versions/{version}/activate")]
pub async fn activate(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, i32)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view =
        rate_decks::activate(DeckOwner::Tenant(&scope), &core, path.1, path.2, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// A version's rates as CSV, streamed (the import's columns: prefix, destination, rate,
/// connection_fee, minimum_seconds, first_increment, next_increment, effective_from,
/// effective_until); it re-imports unchanged.
#[utoipa::path(
    operation_id = "export_rate_deck_version",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path), ("version" = i32, Path, minimum = 1)),
    responses((status = 200, description = "The CSV", content_type = "text/csv", body = String), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/versions/{version}/export")]
pub async fn export(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, i32)>,
) -> ApiResult<HttpResponse> {
    let csv = rate_decks::export(DeckOwner::Tenant(&scope), &core, path.1, path.2).await?;
    Ok(csv_response(csv))
}

/// Import rates from CSV into a new version of the deck (header required; columns: prefix,
/// destination and rate required; connection_fee, minimum_seconds, first_increment and
/// next_increment (default 60/60), effective_from and effective_until optional; at most 256
/// MiB). The body is stored as it arrives and checked by a job: the answer is 202 with the
/// import to poll. Every bad line is reported with its number and reason; any bad line and
/// nothing is applied. `?dry_run=true` only checks; `?activate=true` activates the new
/// version when it is ready.
#[utoipa::path(
    operation_id = "import_rate_deck",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 202, description = "The queued import", body = RateImportView, headers(("Location" = String))), CommonErrors, WriteErrors,
        (status = 413, description = "Larger than 256 MiB", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/imports")]
pub async fn import(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<ImportQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let view = imports::start(
        DeckOwner::Tenant(&scope),
        &core,
        path.1,
        &query,
        is_csv(&req),
        body,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            "Location",
            format!(
                "/v1/tenants/{}/rate-decks/{}/imports/{}",
                scope.tenant_id(),
                path.1,
                view.id
            ),
        ))
        .json(view))
}

/// An import of the deck: status, progress, the version it made, and a page of its bad lines
/// (`?after_line=` for the next).
#[utoipa::path(
    operation_id = "get_rate_deck_import",
    tag = "rate-decks",
    params(("tenant_id" = Uuid, Path), ("deck_id" = Uuid, Path), ("import_id" = Uuid, Path), ImportViewQuery),
    responses((status = 200, description = "The import", body = RateImportView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/rate-decks/{deck_id}/imports/{import_id}")]
pub async fn get_import(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    query: web::Query<ImportViewQuery>,
) -> ApiResult<HttpResponse> {
    let view = imports::get(DeckOwner::Tenant(&scope), &core, path.1, path.2, &query).await?;
    Ok(respond::ok(&view, None))
}
