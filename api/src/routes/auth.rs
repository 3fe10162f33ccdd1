//! `/v1/auth/*` and `/v1/me`.

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration},
    delete, get, patch, post, web,
};
use centralita_domain::{
    Core, DomainError, ErrorCode,
    services::auth::{self, LoginRequest, MeView, RefreshRequest, SessionTokens, TokenPair},
    services::users::UpdateMe,
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

/// Change your own display name or web-app language (`locale`: `en`, `es`, or `null` to
/// follow the browser). Users only; an API key gets 403.
#[utoipa::path(
    operation_id = "update_me",
    tag = "auth",
    request_body = UpdateMe,
    responses((status = 200, description = "The caller, changed", body = MeView), CommonErrors),
    security(("bearer" = []))
)]
#[patch("/v1/me")]
pub async fn update_me(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<UpdateMe>,
) -> ApiResult<HttpResponse> {
    let view = auth::update_me(&core, &actor.principal, body.parse()?).await?;
    Ok(respond::ok(&view, None))
}

/// The cookie that carries a browser session's refresh token.
const SESSION_COOKIE: &str = "centralita_session";
/// Only the session routes ever receive it: every other request carries the access token in
/// its `Authorization` header, so a forged cross-site request carries no credential at all.
const SESSION_PATH: &str = "/v1/auth/session";

/// The session cookie: `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's
/// page sends it), scoped to the session routes, and always `Secure`: browsers treat
/// `http://localhost` and `http://127.0.0.1` as secure origins, so `cargo run` with a local
/// browser works, and no guess about proxies can ever send it over plain HTTP.
fn session_cookie(value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path(SESSION_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(true)
        .max_age(max_age)
        .finish()
}

fn session_response(core: &Core, pair: TokenPair) -> HttpResponse {
    let (tokens, refresh_token) = pair.into_session();
    let ttl = i64::try_from(core.config.refresh_token_ttl_secs).unwrap_or(i64::MAX);
    let mut res = respond::ok(&tokens, None);
    // The name and attributes are constants and the value is our own URL-safe token, so
    // building the header cannot fail; a failure would only leave the browser signed out.
    if let Err(err) = res.add_cookie(&session_cookie(refresh_token, Duration::seconds(ttl))) {
        tracing::error!(%err, "could not set the session cookie");
    }
    res
}

fn session_refresh_token(req: &HttpRequest) -> Option<RefreshRequest> {
    req.cookie(SESSION_COOKIE).map(|c| RefreshRequest {
        refresh_token: c.value().to_owned(),
    })
}

/// Sign a browser in: as `POST /v1/auth/token`, but the refresh token is set as an
/// `HttpOnly`, `SameSite=Strict` cookie scoped to `/v1/auth/session` instead of being
/// returned, so scripts never hold it. The web app keeps the access token in memory only.
#[utoipa::path(
    operation_id = "create_session",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionTokens,
            headers(("Set-Cookie" = String, description = "`centralita_session`: HttpOnly, SameSite=Strict, Path=/v1/auth/session"))),
        (status = 429, description = "Too many failed logins", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        CommonErrors,
    )
)]
#[post("/v1/auth/session")]
pub async fn create_session(
    req: HttpRequest,
    core: web::Data<Core>,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.parse()?;
    let pair = auth::login(&core, input, client_addr(&req)).await?;
    Ok(session_response(&core, pair))
}

/// A new access token for the browser session in the cookie, rotating the cookie (its
/// refresh token is single-use, as at `/v1/auth/refresh`). No cookie: 401.
#[utoipa::path(
    operation_id = "refresh_session",
    tag = "auth",
    responses(
        (status = 200, description = "A new access token; the session cookie is rotated", body = SessionTokens),
        CommonErrors,
    ),
    security(("session_cookie" = []))
)]
#[post("/v1/auth/session/refresh")]
pub async fn refresh_session(req: HttpRequest, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    let presented = session_refresh_token(&req).ok_or_else(|| {
        DomainError::new(ErrorCode::Unauthenticated, "There is no session to refresh")
    })?;
    let pair = auth::refresh(&core, presented).await?;
    Ok(session_response(&core, pair))
}

/// Sign the browser out: revokes the session's refresh token (and its family) and clears
/// the cookie. Without a session it only clears the cookie.
#[utoipa::path(
    operation_id = "delete_session",
    tag = "auth",
    responses((status = 204, description = "Signed out; the session cookie is cleared"), CommonErrors),
    security(("session_cookie" = []))
)]
#[delete("/v1/auth/session")]
pub async fn delete_session(req: HttpRequest, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    if let Some(presented) = session_refresh_token(&req) {
        auth::logout(&core, presented).await?;
    }
    let mut res = respond::no_content();
    if let Err(err) = res.add_cookie(&session_cookie(String::new(), Duration::ZERO)) {
        tracing::error!(%err, "could not clear the session cookie");
    }
    Ok(res)
}
