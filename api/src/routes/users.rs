//! `/v1/tenants/{tenant_id}/users`: the tenant's users.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::users::{
        self, CreateUser, UpdateUser, UserCreated, UserListQuery, UserPage, UserView,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's users.
#[utoipa::path(
    operation_id = "list_users",
    tag = "users",
    params(("tenant_id" = Uuid, Path), UserListQuery),
    responses((status = 200, description = "A page of users", body = UserPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/users")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<UserListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &users::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a user in the tenant. E-mails are unique across the platform (409 when taken);
/// the role can be at most the caller's own.
///
/// With `extension` and/or `voicemail`, the user's extension and voicemail box are created
/// in the same transaction (all or nothing) and linked to the user; the answer then carries
/// them, with the extension's SIP password shown this once.
#[utoipa::path(
    operation_id = "create_user",
    tag = "users",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateUser,
    responses((status = 201, description = "Created", body = UserCreated,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/users")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateUser>,
) -> ApiResult<HttpResponse> {
    let view = users::create(
        &scope,
        &core,
        body.parse_for(&scope, Permission::UserWrite)?,
    )
    .await?;
    let location = format!("/v1/tenants/{}/users/{}", scope.tenant_id(), view.user.id);
    Ok(respond::created(location, &view, Some(view.user.version)))
}

/// Read a user.
#[utoipa::path(
    operation_id = "get_user",
    tag = "users",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/users/{user_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = users::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change a user's name, role, status or password (JSON merge patch; `If-Match` honoured).
///
/// A new password or a disabled status signs the user out everywhere.
#[utoipa::path(
    operation_id = "update_user",
    tag = "users",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateUser,
    responses((status = 200, description = "Updated", body = UserView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/users/{user_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateUser>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = users::update(
        &scope,
        &core,
        path.1,
        body.parse_for(&scope, Permission::UserWrite)?,
        if_match.0,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a user.
#[utoipa::path(
    operation_id = "delete_user",
    tag = "users",
    params(("tenant_id" = Uuid, Path), ("user_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/users/{user_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    users::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
