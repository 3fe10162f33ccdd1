//! `/v1/auth/*` and `/v1/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use centralita_domain::{
    Core,
    services::auth::{self, LoginRequest, MeView, RefreshRequest, TokenPair},
};

use crate::{
    extract::{Auth, Body, client_addr},
    problem::{ApiResult, CommonErrors, Problem},
    respond,
};

/// Log in with e-mail and password.
///
/// Failed attempts are limited per account and client address, and per client address;
/// past a limit the answer is 429 with `Retry-After`, whatever the password. Failures of an
/// account from everywhere only slow its failed attempts down: the owner logging in from
/// another address is never locked out by them.
#[utoipa::path(
    operation_id = "create_token",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 429, description = "Too many failed logins", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        CommonErrors,
    )
)]
#[post("/v1/auth/token")]
pub async fn token(
    req: HttpRequest,
    core: web::Data<Core>,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.parse()?;
    let pair = auth::login(&core, input, client_addr(&req)).await?;
    Ok(respond::ok(&pair, None))
}

/// Exchange a refresh token for a new pair.
///
/// Refresh tokens are single-use. Presenting one that was already used revokes every token
/// of its login (the family), on the assumption that it was stolen.
#[utoipa::path(
    operation_id = "refresh_token",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, description = "New tokens", body = TokenPair), CommonErrors)
)]
#[post("/v1/auth/refresh")]
pub async fn refresh(core: web::Data<Core>, body: Body<RefreshRequest>) -> ApiResult<HttpResponse> {
    let pair = auth::refresh(&core, body.parse()?).await?;
    Ok(respond::ok(&pair, None))
}

/// End a session: revokes the refresh token and its family. Unknown tokens are ignored.
#[utoipa::path(
    operation_id = "logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"), CommonErrors)
)]
#[post("/v1/auth/logout")]
pub async fn logout(core: web::Data<Core>, body: Body<RefreshRequest>) -> ApiResult<HttpResponse> {
    auth::logout(&core, body.parse()?).await?;
    Ok(respond::no_content())
}

/// Who am I: the caller's identity, role and tenant.
#[utoipa::path(
    operation_id = "get_me",
    tag = "auth",
    responses((status = 200, description = "The caller", body = MeView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/me")]
pub async fn me(Auth(actor): Auth, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    let me = auth::me(&core, &actor.principal).await?;
    Ok(respond::ok(&me, None))
}
