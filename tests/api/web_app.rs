//! The web app's side of the API: browser sessions (`/v1/auth/session`, the refresh token
//! in an HttpOnly cookie only) and the embedded single-page app served at `/` with its
//! Content-Security-Policy.

use crate::common::*;
use reqwest::{Method, header::SET_COOKIE};
use serde_json::{Value, json};

const SESSION: &str = "/v1/auth/session";

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url(SESSION))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// The `centralita_session` Set-Cookie header of `res`.
fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("centralita_session="))
        .unwrap_or_else(|| panic!("no session cookie in {:?}", res.headers()))
}

/// `name=value` of a Set-Cookie header, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn refresh_with(app: &TestApp, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.post(app.url(&format!("{SESSION}/refresh")));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

async fn tenant_admin(app: &TestApp) -> String {
    let tenant = app.create_tenant(&app.admin, "Web Co", None).await;
    let email = format!("web-{}@example.com", uuid::Uuid::now_v7().simple());
    create_user_with_email(app, &app.admin, &tenant, "tenant_admin", &email, PASSWORD).await;
    email
}

#[tokio::test]
async fn a_browser_session_keeps_its_refresh_token_in_an_http_only_cookie() {
    let app = TestApp::spawn().await;
    let email = tenant_admin(&app).await;

    let res = sign_in(&app, &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let set = session_cookie(&res);
    let attrs: Vec<String> = set.split(';').map(|a| a.trim().to_lowercase()).collect();
    for want in ["httponly", "samesite=strict", "path=/v1/auth/session"] {
        assert!(attrs.iter().any(|a| a == want), "{want} missing in {set}");
    }
    assert!(attrs.iter().any(|a| a.starts_with("max-age=")), "{set}");
    // Always `Secure` (browsers accept it from http://127.0.0.1 and localhost too).
    assert!(attrs.iter().any(|a| a == "secure"), "{set}");
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "the body must not carry the refresh token: {body}"
    );
    assert_eq!(body["token_type"], "Bearer");
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_no_secrets(
        &body,
        &[cookie_pair(&set).trim_start_matches("centralita_session=")],
    );
    let me = expect_json(app.get("/v1/me", &access).await, 200).await;
    assert_eq!(me["user"]["email"], email.as_str());

    // Refresh rotates the cookie and answers a new access token.
    let res = refresh_with(&app, Some(&cookie_pair(&set))).await;
    assert_eq!(res.status(), 200);
    let rotated = session_cookie(&res);
    assert_ne!(cookie_pair(&rotated), cookie_pair(&set));
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    let access2 = body["access_token"].as_str().unwrap().to_owned();
    expect_json(app.get("/v1/me", &access2).await, 200).await;

    // The old cookie replayed is a stolen token: refused, and the whole session revoked.
    assert_problem(
        refresh_with(&app, Some(&cookie_pair(&set))).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        refresh_with(&app, Some(&cookie_pair(&rotated))).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn signing_out_revokes_the_session_and_clears_the_cookie() {
    let app = TestApp::spawn().await;
    let email = tenant_admin(&app).await;
    let set = session_cookie(&sign_in(&app, &email, PASSWORD).await);

    let res = app
        .client
        .delete(app.url(SESSION))
        .header("cookie", cookie_pair(&set))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let cleared = session_cookie(&res);
    assert!(cleared.to_lowercase().contains("max-age=0"), "{cleared}");
    assert_eq!(cookie_pair(&cleared), "centralita_session=");
    assert_problem(
        refresh_with(&app, Some(&cookie_pair(&set))).await,
        401,
        "unauthenticated",
    )
    .await;

    // Signing out without a session only clears the cookie.
    let res = app.client.delete(app.url(SESSION)).send().await.unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn session_routes_refuse_bad_input_without_setting_a_cookie() {
    let app = TestApp::spawn().await;
    let email = tenant_admin(&app).await;

    let res = sign_in(&app, &email, "not-the-password").await;
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert_problem(res, 401, "invalid_credentials").await;

    let res = refresh_with(&app, None).await;
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert_problem(res, 401, "unauthenticated").await;

    let res = refresh_with(&app, Some("centralita_session=rt_forged")).await;
    assert_problem(res, 401, "unauthenticated").await;

    let res = app
        .client
        .post(app.url(SESSION))
        .json(&json!({"email": email, "password": PASSWORD, "remember": true}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert_problem(res, 422, "validation_failed").await;
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn the_web_app_is_served_at_the_root_with_a_strict_policy() {
    let app = TestApp::spawn().await;

    let res = get(&app, "/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    let csp = header(&res, "content-security-policy");
    for want in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(want), "{want} missing in {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(header(&res, "cache-control"), "no-cache");
    let etag = header(&res, "etag");
    let html = res.text().await.unwrap();
    // Every script is a file of this origin: the policy would block an inline one.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{html}");
    for s in &scripts {
        assert!(s.contains("src=\"/assets/"), "inline script in {html}");
    }

    // A page path of the app's router gets the same page, so a reload works.
    let res = get(&app, "/extensions/0193c1d2-0000-7000-8000-000000000000").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), html);

    // A hashed asset is cached for good; revalidation by ETag answers 304.
    let asset = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let res = get(&app, &asset).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(header(&res, "cache-control").contains("immutable"));
    let res = app
        .client
        .get(app.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
}

#[tokio::test]
async fn api_paths_and_missing_files_are_never_the_app() {
    let app = TestApp::spawn().await;
    // An unknown API route is still a problem+json 404, not a page of HTML.
    assert_problem(get(&app, "/v1/no-such-thing").await, 404, "not_found").await;
    assert_problem(get(&app, "/v1").await, 404, "not_found").await;
    // A missing file is a 404 too: a stale bundle must not get HTML instead of a script.
    assert_problem(get(&app, "/assets/gone-1234.js").await, 404, "not_found").await;
    // Only GET and HEAD reach the app.
    let res = app
        .client
        .request(Method::POST, app.url("/extensions"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .request(Method::HEAD, app.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_web_dir_setting_serves_a_build_from_disk_and_only_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>dev build</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("assets/app-1.js"), "console.log(1)").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    let root = dir.path().join("assets");
    let app = TestApp::spawn_with(|c| c.web_dir = Some(root.clone())).await;
    // `web_dir` is the assets folder here, so `secret.txt` lies outside it.
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>dev build</title>",
    )
    .unwrap();

    let res = get(&app, "/tenants").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-security-policy").contains("script-src 'self'"));
    assert!(res.text().await.unwrap().contains("dev build"));
    let res = get(&app, "/app-1.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(res.text().await.unwrap(), "console.log(1)");
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"] {
        let res = get(&app, path).await;
        assert_ne!(res.status(), 200, "{path}");
        assert!(!res.text().await.unwrap().contains("outside"), "{path}");
    }
}
