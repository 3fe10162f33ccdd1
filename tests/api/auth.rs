//! `/v1/auth/token`, `/v1/auth/refresh`, `/v1/auth/logout`, `/v1/me` and bearer-token checks.

use crate::common::*;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use centralita_domain::tokens::{Claims, TokenKeys};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

fn jwt_part(token: &str, i: usize) -> Value {
    let part = token.split('.').nth(i).expect("JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn claims_for(sub: &str, role: &str, tid: Option<&str>) -> Claims {
    let t = now();
    Claims {
        sub: sub.parse().unwrap(),
        role: role.into(),
        tid: tid.map(|t| t.parse().unwrap()),
        iat: t,
        exp: t + 600,
        jti: Uuid::now_v7(),
        iss: "centralita".into(),
        generation: 0,
    }
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

async fn logout(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/logout"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_returns_a_token_pair_with_the_documented_claims() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant(&app.admin, "Acme", None).await;
    let email = format!("ana-{}@acme.example.com", Uuid::now_v7().simple());
    let user =
        create_user_with_email(&app, &app.admin, &tenant, "tenant_user", &email, PASSWORD).await;

    let res = app.login_raw(&email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert!(!header(&res, "x-request-id").is_empty());
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let refresh_token = pair["refresh_token"].as_str().unwrap();
    assert!(
        refresh_token.starts_with("rt_") && refresh_token.len() > 40,
        "{refresh_token}"
    );
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);

    let head = jwt_part(access, 0);
    assert_eq!(head["alg"], "HS256");
    let claims = jwt_part(access, 1);
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(claims["role"], "tenant_user");
    assert_eq!(claims["tid"], tenant.as_str());
    assert_eq!(claims["iss"], "centralita");
    assert!(claims["jti"].as_str().unwrap().parse::<Uuid>().is_ok());
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap(), iat + 900);
    assert!(iat.abs_diff(now()) < 60);

    let me = expect_json(app.get("/v1/me", access).await, 200).await;
    assert_eq!(me["kind"], "user");
    assert_eq!(me["id"], user.as_str());
    assert_eq!(me["role"], "tenant_user");
    assert_eq!(me["tenant_id"], tenant.as_str());
    assert_eq!(me["user"]["email"], email.as_str());
    assert_eq!(me["user"]["tenant_id"], tenant.as_str());
    assert!(
        me["user"]["last_login_at"].is_string(),
        "login time recorded: {me}"
    );
    assert_no_secrets(&me, &[PASSWORD, refresh_token]);

    // Platform staff have no tenant.
    let me = expect_json(app.get("/v1/me", &app.admin).await, 200).await;
    assert!(me["tenant_id"].is_null());
    assert!(me["user"]["tenant_id"].is_null());
}

#[tokio::test]
async fn login_email_is_case_insensitive_and_trimmed() {
    let app = TestApp::spawn().await;
    let res = app
        .login_raw(
            &format!("  {}  ", ADMIN_EMAIL.to_uppercase()),
            ADMIN_PASSWORD,
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn wrong_password_and_unknown_account_answer_the_same_401() {
    let app = TestApp::spawn().await;
    let wrong = assert_problem(
        app.login_raw(ADMIN_EMAIL, "not-the-password!").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login_raw("nobody@example.com", ADMIN_PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        wrong["detail"], unknown["detail"],
        "answers must not reveal which e-mails exist"
    );
    let res = app.login_raw(ADMIN_EMAIL, "").await;
    assert_eq!(header(&res, "www-authenticate"), "Bearer");
    assert_problem(res, 401, "invalid_credentials").await;
    // The password is case-sensitive.
    assert_problem(
        app.login_raw(ADMIN_EMAIL, &ADMIN_PASSWORD.to_uppercase())
            .await,
        401,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn login_rejects_bad_bodies() {
    let app = TestApp::spawn().await;
    let post = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/v1/auth/token"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_problem(
        post("{\"email\":", "application/json").await.unwrap(),
        400,
        "malformed_body",
    )
    .await;
    let body = assert_problem(
        post(r#"{"email":"a@b.example"}"#, "application/json")
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "required");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{body}"
    );
    let body = assert_problem(
        post(
            r#"{"email":"a@b.example","password":"x","otp":"1"}"#,
            "application/json",
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    let body = assert_problem(
        post(
            r#"{"email":"a@b.example","password":12}"#,
            "application/json",
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "password");
    assert_eq!(body["errors"][0]["code"], "invalid_type");
    assert_problem(
        post("email=a&password=b", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
}

/// A client whose connections come from `local` (any 127.0.0.0/8 address works on loopback),
/// so a test can log in "from another address" without a proxy.
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// A login attempt through `client`, optionally with an `X-Forwarded-For` header.
async fn login_via(
    app: &TestApp,
    client: &reqwest::Client,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let mut req = client
        .post(app.url("/v1/auth/token"))
        .json(&json!({"email": email, "password": password}));
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap()
}

/// One failed login at `email` per `X-Forwarded-For` value, each answered 401.
async fn fail_via(app: &TestApp, email: &str, forwarded_for: impl IntoIterator<Item = String>) {
    for xff in forwarded_for {
        assert_problem(
            login_via(app, &app.client, Some(&xff), email, "wrong-password-1").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
}

/// A tenant user with a known e-mail and [`PASSWORD`].
async fn victim(app: &TestApp) -> String {
    let (tenant, token) = app.tenant_with_admin("Limited").await;
    let email = format!("victim-{}@example.com", Uuid::now_v7().simple());
    create_user_with_email(app, &token, &tenant, "tenant_user", &email, PASSWORD).await;
    email
}

async fn assert_rate_limited(res: reqwest::Response, window: u64) {
    let retry: u64 = header(&res, "retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=window).contains(&retry), "Retry-After {retry}");
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn failed_logins_lock_the_account_from_that_address_only() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures_per_account_address = 3;
        c.login_window_secs = 600;
    })
    .await;
    let email = victim(&app).await;
    for _ in 0..3 {
        assert_problem(
            app.login_raw(&email, "wrong-password-123").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // From that address, even the right password is refused, with a Retry-After ...
    assert_rate_limited(app.login_raw(&email, PASSWORD).await, 600).await;
    // ... however the e-mail is spelled.
    assert_problem(
        app.login_raw(&email.to_uppercase(), PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
    // The owner, from another address, gets in.
    let elsewhere = client_from("127.0.0.2");
    assert_eq!(
        login_via(&app, &elsewhere, None, &email, PASSWORD)
            .await
            .status(),
        200
    );
    // Other accounts from the locked address are unaffected.
    assert_eq!(
        app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_pair_counter() {
    let app = TestApp::spawn_with(|c| c.login_max_failures_per_account_address = 3).await;
    for _ in 0..2 {
        for _ in 0..2 {
            assert_problem(
                app.login_raw(ADMIN_EMAIL, "wrong-password-123").await,
                401,
                "invalid_credentials",
            )
            .await;
        }
        assert_eq!(
            app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            200
        );
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures_per_account_address = 100;
        c.login_max_failures_per_address = 4;
    })
    .await;
    for i in 0..4 {
        let email = format!("guess{i}@example.com");
        assert_problem(
            app.login_raw(&email, "guessed-password").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // Every account is refused from that address ...
    assert_rate_limited(app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await, 300).await;
    // ... and from no other.
    let elsewhere = client_from("127.0.0.3");
    assert_eq!(
        login_via(&app, &elsewhere, None, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn failures_from_everywhere_slow_an_account_down_but_never_lock_it() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures_per_account_address = 2;
        c.login_account_slowdown_after = 2;
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let email = victim(&app).await;
    // A distributed guesser: three addresses, each within its pair limit (the third
    // failure is past the account's slow-down threshold, so it is answered later).
    fail_via(&app, &email, (1..=3).map(|n| format!("198.51.100.{n}"))).await;
    // The owner, from their own address, still gets in.
    let res = login_via(&app, &app.client, Some("203.0.113.50"), &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_an_untrusted_peer() {
    // No trusted proxies: the header is the client's word, and the client is the peer.
    let app = TestApp::spawn_with(|c| c.login_max_failures_per_account_address = 3).await;
    let email = victim(&app).await;
    fail_via(&app, &email, (1..=3).map(|n| format!("198.51.100.{n}"))).await;
    // A fresh forwarded address does not open a fresh bucket.
    assert_problem(
        login_via(&app, &app.client, Some("203.0.113.77"), &email, PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn forwarded_for_is_honoured_from_a_trusted_proxy() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures_per_account_address = 3;
        c.trusted_proxies = "127.0.0.0/30, ::1".parse().unwrap();
    })
    .await;
    let email = victim(&app).await;
    fail_via(
        &app,
        &email,
        std::iter::repeat_n("198.51.100.1".to_owned(), 3),
    )
    .await;
    // The client behind the proxy is locked out ...
    assert_problem(
        login_via(&app, &app.client, Some("198.51.100.1"), &email, PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
    // ... the owner behind the same proxy is not: the proxy is not "everyone".
    assert_eq!(
        login_via(&app, &app.client, Some("198.51.100.2"), &email, PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn spoofed_forwarded_for_entries_are_ignored() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures_per_account_address = 3;
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let email = victim(&app).await;
    // The guesser writes a new address at the left of the header each time; the proxy
    // appends the real one (198.51.100.9), and that is what counts.
    fail_via(
        &app,
        &email,
        (1..=3).map(|n| format!("10.0.0.{n}, 127.0.0.1, 198.51.100.9")),
    )
    .await;
    assert_problem(
        login_via(
            &app,
            &app.client,
            Some("192.0.2.200, 198.51.100.9"),
            &email,
            PASSWORD,
        )
        .await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other_session = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let rt1 = first["refresh_token"].as_str().unwrap();

    let second = expect_json(refresh(&app, rt1).await, 200).await;
    assert_eq!(second["token_type"], "Bearer");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_ne!(first["access_token"], second["access_token"]);
    let access2 = second["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", access2).await.status(), 200);

    // Reusing the consumed token fails and revokes the whole family ...
    assert_problem(refresh(&app, rt1).await, 401, "unauthenticated").await;
    // ... so the newest token of that login fails too.
    assert_problem(refresh(&app, rt2).await, 401, "unauthenticated").await;
    // Another login of the same user is a different family and keeps working.
    let rt_other = other_session["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&app, rt_other).await.status(), 200);
}

#[tokio::test]
async fn refresh_rejects_unknown_tokens_and_bad_bodies() {
    let app = TestApp::spawn().await;
    assert_problem(
        refresh(&app, "rt_not-a-real-token").await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(refresh(&app, "").await, 401, "unauthenticated").await;
    // An access token is not a refresh token.
    assert_problem(refresh(&app, &app.admin).await, 401, "unauthenticated").await;
    let res = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({"token": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn logout_ends_the_session_only() {
    let app = TestApp::spawn().await;
    let a = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let b = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let rta = a["refresh_token"].as_str().unwrap();

    let res = logout(&app, rta).await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());
    assert_problem(refresh(&app, rta).await, 401, "unauthenticated").await;
    // Logging out again, or with an unknown token, is harmless and reveals nothing.
    assert_eq!(logout(&app, rta).await.status(), 204);
    assert_eq!(logout(&app, "rt_unknown").await.status(), 204);
    // The other session survives.
    assert_eq!(
        refresh(&app, b["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // A rotated token logs out its whole family, including tokens issued before it.
    let c = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let c2 = expect_json(
        refresh(&app, c["refresh_token"].as_str().unwrap()).await,
        200,
    )
    .await;
    assert_eq!(
        logout(&app, c2["refresh_token"].as_str().unwrap())
            .await
            .status(),
        204
    );
    assert_problem(
        refresh(&app, c2["refresh_token"].as_str().unwrap()).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_correctly_signed_token_is_accepted() {
    // Control for the rejections below: a token minted with the app's key works.
    let app = TestApp::spawn().await;
    let admin_id = my_id(&app, &app.admin).await;
    let token = app
        .core
        .keys
        .issue(&claims_for(&admin_id, "platform_admin", None))
        .unwrap();
    let me = expect_json(app.get("/v1/me", &token).await, 200).await;
    assert_eq!(me["id"], admin_id.as_str());
    // The lower-case scheme is accepted too.
    let res = app
        .client
        .get(app.url("/v1/me"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn bad_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let admin_id = my_id(&app, &app.admin).await;

    let mut expired = claims_for(&admin_id, "platform_admin", None);
    expired.iat = now() - 3600;
    expired.exp = now() - 120;
    let expired = app.core.keys.issue(&expired).unwrap();

    let other_key =
        TokenKeys::from_secret(b"some-other-secret-that-is-long-enough-0123456789").unwrap();
    let forged = other_key
        .issue(&claims_for(&admin_id, "platform_admin", None))
        .unwrap();

    let mut wrong_iss = claims_for(&admin_id, "platform_admin", None);
    wrong_iss.iss = "someone-else".into();
    let wrong_iss = app.core.keys.issue(&wrong_iss).unwrap();

    let unknown_user = app
        .core
        .keys
        .issue(&claims_for(
            &Uuid::now_v7().to_string(),
            "platform_admin",
            None,
        ))
        .unwrap();

    let claims = serde_json::to_vec(&claims_for(&admin_id, "platform_admin", None)).unwrap();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(&claims);
    let alg_none = format!("{none_header}.{payload}.");
    let alg_none_unsigned = format!("{none_header}.{payload}");
    // A real signature with its payload swapped for another one.
    let genuine = app
        .core
        .keys
        .issue(&claims_for(&admin_id, "tenant_user", None))
        .unwrap();
    let mut parts: Vec<&str> = genuine.split('.').collect();
    parts[1] = &payload;
    let tampered = parts.join(".");

    for (what, token) in [
        ("expired", expired.as_str()),
        ("forged", forged.as_str()),
        ("wrong issuer", wrong_iss.as_str()),
        ("unknown user", unknown_user.as_str()),
        ("alg none", alg_none.as_str()),
        ("alg none, no signature part", alg_none_unsigned.as_str()),
        ("tampered payload", tampered.as_str()),
        ("garbage", "garbage"),
        ("three dots", "a.b.c"),
        (
            "unknown API key",
            "ck_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
    ] {
        let res = app.get("/v1/me", token).await;
        assert_eq!(res.status(), 401, "{what} token accepted");
        assert_eq!(header(&res, "www-authenticate"), "Bearer", "{what}");
        assert_problem(res, 401, "unauthenticated").await;
    }

    // No header, an empty one, and another scheme.
    let res = app.client.get(app.url("/v1/me")).send().await.unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .client
        .get(app.url("/v1/me"))
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .client
        .get(app.url("/v1/me"))
        .basic_auth(ADMIN_EMAIL, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    // A write with a bad token changes nothing.
    let before = ids(&app, "/v1/tenants", &app.admin).await;
    let res = app
        .post("/v1/tenants", &forged, json!({"name": "Forged"}))
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    assert_eq!(ids(&app, "/v1/tenants", &app.admin).await, before);
}

#[tokio::test]
async fn the_role_claim_is_not_trusted() {
    // The role comes from the database, not from the token.
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant(&app.admin, "Claims", None).await;
    let (user, _) = app.create_user(&app.admin, &tenant, "tenant_user").await;
    let token = app
        .core
        .keys
        .issue(&claims_for(&user, "platform_admin", None))
        .unwrap();
    let me = expect_json(app.get("/v1/me", &token).await, 200).await;
    assert_eq!(me["role"], "tenant_user");
    assert_eq!(me["tenant_id"], tenant.as_str());
    assert_problem(app.get("/v1/audit-events", &token).await, 403, "forbidden").await;
}

#[tokio::test]
async fn suspended_tenants_and_their_descendants_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let customer = app
        .create_tenant(&app.admin, "Customer", Some(&partner))
        .await;
    let email = format!("u-{}@customer.example.com", Uuid::now_v7().simple());
    create_user_with_email(
        &app,
        &app.admin,
        &customer,
        "tenant_admin",
        &email,
        PASSWORD,
    )
    .await;
    let pair = login_pair(&app, &email, PASSWORD).await;
    let access = pair["access_token"].as_str().unwrap();
    let rt = pair["refresh_token"].as_str().unwrap();

    // Suspending the partner (an ancestor) locks the customer's users out.
    let res = app
        .patch(
            &format!("/v1/tenants/{partner}"),
            &app.admin,
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["status"], "suspended");
    assert_problem(
        app.login_raw(&email, PASSWORD).await,
        403,
        "tenant_suspended",
    )
    .await;
    assert_problem(app.get("/v1/me", access).await, 403, "tenant_suspended").await;
    assert_problem(refresh(&app, rt).await, 403, "tenant_suspended").await;

    // Reactivated: back in.
    let res = app
        .patch(
            &format!("/v1/tenants/{partner}"),
            &app.admin,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/v1/me", access).await.status(), 200);

    // The customer's own suspension counts the same.
    let res = app
        .patch(
            &format!("/v1/tenants/{customer}"),
            &app.admin,
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.login_raw(&email, PASSWORD).await,
        403,
        "tenant_suspended",
    )
    .await;
    assert_problem(
        app.get(&format!("/v1/tenants/{customer}"), access).await,
        403,
        "tenant_suspended",
    )
    .await;
}

#[tokio::test]
async fn me_is_get_or_patch_only_and_needs_a_token() {
    let app = TestApp::spawn().await;
    let res = app
        .req(Method::POST, "/v1/me", &app.admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "allow"), "GET, PATCH");
    assert_problem(res, 405, "method_not_allowed").await;
    let res = app.client.get(app.url("/v1/me")).send().await.unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .client
        .patch(app.url("/v1/me"))
        .json(&json!({"locale": "es"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_everywhere() {
    let app = TestApp::spawn().await;
    let node = switch_node_token(&app).await;
    let with_header = |path: &str, value: String| {
        app.client
            .get(app.url(path))
            .header("authorization", value)
            .send()
    };
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        // A user's access token.
        let res = with_header("/v1/me", format!("{scheme} {}", app.admin))
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{scheme} with a user token");
        // A switch node's token: an unknown domain is a 404, not a 401.
        let res = with_header(
            "/v1/switch/directory/nowhere.example.com/1000",
            format!("{scheme} {node}"),
        )
        .await
        .unwrap();
        assert_ne!(res.status(), 401, "{scheme} with a node token");
    }
    // Another scheme, or no token after the scheme, is no credential at all.
    for value in ["Basic YWRtaW46YWRtaW4=".to_owned(), "Bearer ".to_owned()] {
        assert_problem(
            with_header("/v1/me", value).await.unwrap(),
            401,
            "unauthenticated",
        )
        .await;
    }
}

#[tokio::test]
async fn logout_ends_the_access_tokens_too() {
    let app = TestApp::spawn().await;
    let a = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let b = login_pair(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let access_a = a["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", access_a).await.status(), 200);

    let res = logout(&app, a["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get("/v1/me", access_a).await, 401, "unauthenticated").await;
    // The other login lost its access token as well (tokens do not name their login), but
    // not its refresh token: one refresh and it carries on.
    assert_problem(
        app.get("/v1/me", b["access_token"].as_str().unwrap()).await,
        401,
        "unauthenticated",
    )
    .await;
    let b2 = expect_json(
        refresh(&app, b["refresh_token"].as_str().unwrap()).await,
        200,
    )
    .await;
    assert_eq!(
        app.get("/v1/me", b2["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    // A fresh login works.
    let fresh = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(app.get("/v1/me", &fresh).await.status(), 200);
}

#[tokio::test]
async fn a_password_change_ends_the_access_tokens() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant(&app.admin, "Changing", None).await;
    let email = format!("owner-{}@example.com", Uuid::now_v7().simple());
    let id =
        create_user_with_email(&app, &app.admin, &tenant, "tenant_admin", &email, PASSWORD).await;
    let old = app.login(&email, PASSWORD).await;
    let other_login = app.login(&email, PASSWORD).await;

    // The tenant admin changes their own password with the token they hold.
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}/users/{id}"),
            &old,
            json!({"password": "the-new-password-5678"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    for token in [&old, &other_login] {
        assert_problem(app.get("/v1/me", token).await, 401, "unauthenticated").await;
    }
    assert_problem(
        app.login_raw(&email, PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    let fresh = app.login(&email, "the-new-password-5678").await;
    assert_eq!(app.get("/v1/me", &fresh).await.status(), 200);
}

#[tokio::test]
async fn a_password_reset_by_an_admin_ends_the_access_tokens() {
    let app = TestApp::spawn().await;
    let (tenant, tenant_admin) = app.tenant_with_admin("Resetting").await;
    let email = format!("user-{}@example.com", Uuid::now_v7().simple());
    let id = create_user_with_email(
        &app,
        &tenant_admin,
        &tenant,
        "tenant_user",
        &email,
        PASSWORD,
    )
    .await;
    let old = login_pair(&app, &email, PASSWORD).await;
    let old_access = old["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", old_access).await.status(), 200);

    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}/users/{id}"),
            &tenant_admin,
            json!({"password": "reset-by-the-admin-1234"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/v1/me", old_access).await, 401, "unauthenticated").await;
    assert_problem(
        refresh(&app, old["refresh_token"].as_str().unwrap()).await,
        401,
        "unauthenticated",
    )
    .await;
    // The admin who reset it is not affected.
    assert_eq!(app.get("/v1/me", &tenant_admin).await.status(), 200);
    let fresh = app.login(&email, "reset-by-the-admin-1234").await;
    assert_eq!(app.get("/v1/me", &fresh).await.status(), 200);
}

/// `PATCH /v1/me`: users change their own name and web-app language, nothing else.
#[tokio::test]
async fn users_change_their_own_name_and_language() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = app.tenant_with_admin("Prefs").await;
    let (_, user) = app.create_user(&admin, &tenant, "tenant_user").await;

    let me = expect_json(app.get("/v1/me", &user).await, 200).await;
    assert!(me["user"]["locale"].is_null());
    let version = me["user"]["version"].as_i64().unwrap();

    let changed = expect_json(
        app.patch(
            "/v1/me",
            &user,
            json!({"locale": "es", "display_name": "Luisa"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["user"]["locale"], "es");
    assert_eq!(changed["user"]["display_name"], "Luisa");
    assert_eq!(changed["user"]["version"], version + 1);
    let me = expect_json(app.get("/v1/me", &user).await, 200).await;
    assert_eq!(me["user"]["locale"], "es");

    // Bad input changes nothing.
    for (body, status, code) in [
        (json!({"locale": "fr"}), 422, "validation_failed"),
        (json!({"display_name": "  "}), 422, "validation_failed"),
        (json!({"role": "tenant_admin"}), 422, "validation_failed"),
    ] {
        assert_problem(app.patch("/v1/me", &user, body).await, status, code).await;
    }
    let me = expect_json(app.get("/v1/me", &user).await, 200).await;
    assert_eq!(me["user"]["locale"], "es");
    assert_eq!(me["user"]["display_name"], "Luisa");
    assert_eq!(me["role"], "tenant_user");

    // `null` goes back to the browser's language.
    let cleared = expect_json(
        app.patch("/v1/me", &user, json!({"locale": null})).await,
        200,
    )
    .await;
    assert!(cleared["user"]["locale"].is_null());

    // An API key has no profile.
    let key = create_api_key(&app, &admin, &tenant, "tenant_admin").await;
    assert_problem(
        app.patch(
            "/v1/me",
            key["key"].as_str().unwrap(),
            json!({"locale": "en"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}
