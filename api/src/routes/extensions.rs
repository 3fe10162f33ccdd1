//! `/v1/tenants/{tenant_id}/extensions`, `/v1/tenants/{tenant_id}/registrations` (the
//! phones registered on the switches), and `/v1/me/extensions` (a user's own phones).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::switch::registrations::{self as phone_registrations, Registrations};
use centralita_domain::{
    Core,
    authz::Permission,
    services::extension_csv::{self, ImportReport},
    services::extensions::{
        self, CreateExtension, ExtensionCreated, ExtensionListQuery, ExtensionPage, ExtensionView,
        UpdateExtension, UpdateOwnExtension,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, CsvBody, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's extensions (never SIP passwords or digests).
#[utoipa::path(
    operation_id = "list_extensions",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path), ExtensionListQuery),
    responses((status = 200, description = "A page of extensions", body = ExtensionPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/extensions")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<ExtensionListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &extensions::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create an extension. The answer carries the generated SIP password, the only time it is
/// shown; digests are stored for every SIP domain of the tenant.
#[utoipa::path(
    operation_id = "create_extension",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateExtension,
    responses((status = 201, description = "Created; store `sip_password` now", body = ExtensionCreated,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/extensions")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateExtension>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let created = extensions::create(&scope, &core, input).await?;
    let location = format!(
        "/v1/tenants/{}/extensions/{}",
        scope.tenant_id(),
        created.extension.id
    );
    Ok(respond::created(
        location,
        &created,
        Some(created.extension.version),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Validate every row (collisions included) and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Export the tenant's extensions as CSV (columns: number, display_name, sip_username,
/// enabled, caller_id_name, caller_id_number, external_caller_id, dnd,
/// max_concurrent_calls, record_calls). Never passwords. A cell a spreadsheet would run as
/// a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`: E.164
/// caller IDs read `'+34911234567`; the import takes the `'` off again.
#[utoipa::path(
    operation_id = "export_extensions",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "The CSV", content_type = "text/csv", body = String), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/extensions/export")]
pub async fn export(Scope(scope): Scope, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    let csv = extension_csv::export(&scope, &core).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"extensions.csv\"",
        ))
        .body(csv))
}

/// Import extensions from CSV (the export's columns; `number` and `display_name` required;
/// at most 10,000 rows and 4 MiB). All or nothing: any invalid row and nothing is created
/// (422 with `rows[<line>].<column>` errors); a number taken by someone else while the import
/// runs is a 409 and nothing is created either. `?dry_run=true` checks everything and answers
/// the report without writing. The answer lists the created extensions with their SIP
/// passwords, shown this once. A leading `'` before `=`, `+`, `-`, `@`, tab or CR is taken
/// off (the export's formula neutralisation).
#[utoipa::path(
    operation_id = "import_extensions",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "The import report", body = ImportReport), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/extensions/import")]
pub async fn import(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<ImportQuery>,
    body: CsvBody,
) -> ApiResult<HttpResponse> {
    scope.authorize(Permission::PbxWrite)?;
    let report = extension_csv::import(&scope, &core, body.text()?, query.dry_run).await?;
    Ok(respond::ok(&report, None))
}

/// Read an extension.
#[utoipa::path(
    operation_id = "get_extension",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path), ("extension_id" = Uuid, Path)),
    responses((status = 200, description = "The extension", body = ExtensionView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/extensions/{extension_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = extensions::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change an extension (JSON merge patch; `forwarding` and `follow_me` replace the whole
/// value; `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_extension",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path), ("extension_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateExtension,
    responses((status = 200, description = "Updated", body = ExtensionView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/extensions/{extension_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateExtension>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = extensions::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Generate a new SIP password (shown once) and replace the stored digests, for every
/// current SIP domain of the tenant. Phones with the old password stop registering.
#[utoipa::path(
    operation_id = "reset_extension_password",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path), ("extension_id" = Uuid, Path)),
    responses((status = 200, description = "The new password", body = ExtensionCreated), CommonErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/extensions/{extension_id}/reset-password")]
pub async fn reset_password(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let created = extensions::reset_password(&scope, &core, path.1).await?;
    Ok(respond::ok(&created, Some(created.extension.version)))
}

/// Delete an extension; 409 listing the referrers while anything still points at it.
#[utoipa::path(
    operation_id = "delete_extension",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path), ("extension_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/extensions/{extension_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    extensions::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}

/// The caller's own phones: the extensions assigned to them (`user_id`), whatever their
/// role. Empty for API keys and platform staff.
#[utoipa::path(
    operation_id = "list_own_extensions",
    tag = "extensions",
    responses((status = 200, description = "The caller's extensions", body = ExtensionPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/me/extensions")]
pub async fn list_own(Auth(actor): Auth, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    let page = extensions::list_own(&core, &actor).await?;
    Ok(respond::ok(&page, None))
}

/// Change the personal settings of one of the caller's own phones: do-not-disturb,
/// forwarding and follow-me (JSON merge patch; `If-Match` honoured). Everything else about
/// the extension is the tenant admins'. Someone else's extension is a 404.
#[utoipa::path(
    operation_id = "update_own_extension",
    tag = "extensions",
    params(("extension_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateOwnExtension,
    responses((status = 200, description = "Updated", body = ExtensionView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/me/extensions/{extension_id}")]
pub async fn update_own(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<UpdateOwnExtension>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view =
        extensions::update_own(&core, &actor, path.into_inner(), body.parse()?, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// The tenant's registered phones, as the switch nodes report them: every live contact of
/// its extensions (contact, source address, user agent, expiry, node). Nodes write
/// registrations back every 30 s, so a new one shows up to that late. A node that cannot be
/// asked is listed in `unavailable_nodes` and does not fail the answer.
#[utoipa::path(
    operation_id = "list_registrations",
    tag = "extensions",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "The registered contacts", body = Registrations), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/registrations")]
pub async fn registrations(Scope(scope): Scope, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &phone_registrations::list(&scope, &core).await?,
        None,
    ))
}
