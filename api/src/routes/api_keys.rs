//! `/v1/tenants/{tenant_id}/api-keys`: credentials for integrations.

use actix_web::{HttpResponse, delete, get, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::api_keys::{
        self, ApiKeyCreated, ApiKeyListQuery, ApiKeyPage, ApiKeyView, CreateApiKey,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's API keys (never their secrets).
#[utoipa::path(
    operation_id = "list_api_keys",
    tag = "api-keys",
    params(("tenant_id" = Uuid, Path), ApiKeyListQuery),
    responses((status = 200, description = "A page of API keys", body = ApiKeyPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/api-keys")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<ApiKeyListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &api_keys::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create an API key. The answer carries the key itself, the only time it is shown.
#[utoipa::path(
    operation_id = "create_api_key",
    tag = "api-keys",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateApiKey,
    responses((status = 201, description = "Created; store `key` now", body = ApiKeyCreated,
        headers(("Location" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/api-keys")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateApiKey>,
) -> ApiResult<HttpResponse> {
    let created = api_keys::create(
        &scope,
        &core,
        body.parse_for(&scope, Permission::ApiKeyWrite)?,
    )
    .await?;
    let location = format!(
        "/v1/tenants/{}/api-keys/{}",
        created.api_key.tenant_id, created.api_key.id
    );
    Ok(respond::created(location, &created, None))
}

/// Read an API key's metadata.
#[utoipa::path(
    operation_id = "get_api_key",
    tag = "api-keys",
    params(("tenant_id" = Uuid, Path), ("key_id" = Uuid, Path)),
    responses((status = 200, description = "The key", body = ApiKeyView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/api-keys/{key_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &api_keys::get(&scope, &core, path.1).await?,
        None,
    ))
}

/// Revoke an API key: it stops working at once.
#[utoipa::path(
    operation_id = "revoke_api_key",
    tag = "api-keys",
    params(("tenant_id" = Uuid, Path), ("key_id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), CommonErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/api-keys/{key_id}")]
pub async fn revoke(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    api_keys::revoke(&scope, &core, path.1).await?;
    Ok(respond::no_content())
}
