//! `/v1/tenants/{tenant_id}/users[/{user_id}]`.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn users(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/users")
}

fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", Uuid::now_v7().simple())
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn create_get_list_never_show_the_password() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Users").await;
    let email = unique_email("Ana.Lopez");
    let password = "correct horse battery staple";
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": format!(" {} ", email.to_uppercase()), "display_name": " Ana López ", "role": "tenant_user", "password": password}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", users(&tenant)));
    assert_eq!(created["email"], email.to_lowercase());
    assert_eq!(created["display_name"], "Ana López");
    assert_eq!(created["role"], "tenant_user");
    assert_eq!(created["tenant_id"], tenant.as_str());
    assert_eq!(created["status"], "active");
    assert_eq!(created["version"], 1);
    assert!(created["last_login_at"].is_null());
    assert_no_secrets(&created, &[password]);

    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert_eq!(got, created);
    let all = list_all(&app, &users(&tenant), &token).await;
    assert_eq!(all.len(), 2, "the tenant admin and the new user");
    assert!(all.iter().any(|u| u["id"] == id.as_str()));
    assert_no_secrets(&Value::Array(all), &[password]);

    // The new user can sign in with the lower-cased e-mail.
    assert_eq!(
        app.login_raw(&email.to_lowercase(), password)
            .await
            .status(),
        200
    );
    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert!(got["last_login_at"].is_string());
    assert_eq!(got["version"], 1, "signing in is not an edit");
}

#[tokio::test]
async fn list_filters_by_role_and_email() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Filters").await;
    let email = unique_email("filter");
    let user = create_user_with_email(&app, &token, &tenant, "tenant_user", &email, PASSWORD).await;
    let found = list_all(
        &app,
        &format!("{}?role=tenant_user", users(&tenant)),
        &token,
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], user.as_str());
    let admins = list_all(
        &app,
        &format!("{}?role=tenant_admin", users(&tenant)),
        &token,
    )
    .await;
    assert_eq!(admins.len(), 1);
    assert_ne!(admins[0]["id"], user.as_str());
    let found = list_all(
        &app,
        &format!("{}?email={}", users(&tenant), email.to_uppercase()),
        &token,
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], user.as_str());
    let res = app
        .get(&format!("{}?role=root", users(&tenant)), &token)
        .await;
    assert_problem(res, 400, "invalid_query").await;
}

#[tokio::test]
async fn invalid_users_are_refused_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Invalid users").await;
    let before = ids(&app, &users(&tenant), &token).await;
    let ok = |email: &str| json!({"email": email, "display_name": "X", "role": "tenant_user", "password": PASSWORD});
    let mut cases: Vec<(Value, &str, &str)> = Vec::new();
    let mut body = ok(&unique_email("short"));
    body["password"] = json!("eleven-char");
    cases.push((body, "password", "password_too_short"));
    let mut body = ok(&unique_email("long"));
    body["password"] = json!("p".repeat(129));
    cases.push((body, "password", "password_too_long"));
    for bad in [
        "no-at-sign",
        "@example.com",
        "a@localhost",
        "a b@example.com",
        "a@b@example.com",
    ] {
        cases.push((ok(bad), "email", "invalid_email"));
    }
    let mut body = ok(&unique_email("name"));
    body["display_name"] = json!("");
    cases.push((body, "display_name", "invalid_length"));
    let mut body = ok(&unique_email("role"));
    body["role"] = json!("root");
    cases.push((body, "role", "invalid_type"));
    // A tenant admin cannot grant a partner or staff role.
    for role in ["partner_admin", "platform_admin", "support"] {
        let mut body = ok(&unique_email("grant"));
        body["role"] = json!(role);
        cases.push((body, "role", "role_not_grantable"));
    }
    let mut body = ok(&unique_email("extra"));
    body["is_admin"] = json!(true);
    cases.push((body, "is_admin", "unknown_field"));
    let mut body = ok(&unique_email("missing"));
    body.as_object_mut().unwrap().remove("password");
    cases.push((body, "", "required"));

    for (body, field, code) in cases {
        let res = app.post(&users(&tenant), &token, body.clone()).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {problem}"
        );
        assert_no_secrets(&problem, &[PASSWORD]);
    }
    // Every problem of a request is reported at once.
    let res = app
        .post(&users(&tenant), &token, json!({"email": "bad", "display_name": "", "role": "partner_admin", "password": "short"}))
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["display_name", "email", "password", "role"]);

    assert_eq!(ids(&app, &users(&tenant), &token).await, before);
    assert_eq!(
        audit_events(&app, "action=user.create").await.len(),
        1,
        "only the tenant admin"
    );
    // Boundaries: 12 and 128 characters are accepted.
    for len in [12, 128] {
        let body = json!({"email": unique_email("edge"), "display_name": "Edge", "role": "tenant_user", "password": "p".repeat(len)});
        assert_eq!(
            app.post(&users(&tenant), &token, body).await.status(),
            201,
            "{len}"
        );
    }
}

#[tokio::test]
async fn emails_are_unique_across_the_platform() {
    let app = TestApp::spawn().await;
    let (a, token_a) = app.tenant_with_admin("A").await;
    let (b, token_b) = app.tenant_with_admin("B").await;
    let email = unique_email("dup");
    create_user_with_email(&app, &token_a, &a, "tenant_user", &email, PASSWORD).await;
    for (tenant, token) in [(&a, &token_a), (&b, &token_b)] {
        let res = app
            .post(
                &users(tenant),
                token,
                json!({"email": email.to_uppercase(), "display_name": "Dup", "role": "tenant_user", "password": PASSWORD}),
            )
            .await;
        let problem = assert_problem(res, 409, "conflict").await;
        assert_eq!(problem["errors"][0]["field"], "email");
    }
    assert_eq!(list_all(&app, &users(&a), &token_a).await.len(), 2);
    assert_eq!(list_all(&app, &users(&b), &token_b).await.len(), 1);
    // Staff e-mails are taken too.
    let res = app
        .post(&users(&a), &token_a, json!({"email": ADMIN_EMAIL, "display_name": "Imposter", "role": "tenant_user", "password": PASSWORD}))
        .await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn patch_updates_fields_with_versions() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Patch").await;
    let (id, _) = app.create_user(&token, &tenant, "tenant_user").await;
    let path = format!("{}/{id}", users(&tenant));

    let res = app
        .patch(
            &path,
            &token,
            json!({"display_name": "Renamed", "role": "tenant_admin"}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let body = expect_json(res, 200).await;
    assert_eq!(body["display_name"], "Renamed");
    assert_eq!(body["role"], "tenant_admin");
    assert_eq!(body["status"], "active");
    assert_eq!(body["version"], 2);

    let res = app
        .req(Method::PATCH, &path, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"display_name": "Stale"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    for (bad, field, code) in [
        (
            json!({"role": "partner_admin"}),
            "role",
            "role_not_grantable",
        ),
        (json!({"status": "deleted"}), "status", "invalid_type"),
        (
            json!({"password": "short"}),
            "password",
            "password_too_short",
        ),
        (
            json!({"display_name": "  "}),
            "display_name",
            "invalid_length",
        ),
        (
            json!({"email": "new@example.com"}),
            "email",
            "unknown_field",
        ),
    ] {
        let problem = assert_problem(
            app.patch(&path, &token, bad.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{bad}");
        assert_eq!(problem["errors"][0]["code"], code, "{bad}");
    }
    assert_eq!(expect_json(app.get(&path, &token).await, 200).await, body);
    assert_eq!(
        audit_events(&app, &format!("action=user.update&resource_id={id}"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_new_password_signs_the_user_out() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Password").await;
    let email = unique_email("pw");
    let id = create_user_with_email(&app, &token, &tenant, "tenant_user", &email, PASSWORD).await;
    let pair = login_pair(&app, &email, PASSWORD).await;
    let new_password = "a-brand-new-password-42";

    let res = app
        .patch(
            &format!("{}/{id}", users(&tenant)),
            &token,
            json!({"password": new_password}),
        )
        .await;
    let body = expect_json(res, 200).await;
    assert_no_secrets(&body, &[new_password, PASSWORD]);
    assert_eq!(body["version"], 2);

    assert_problem(
        refresh(&app, pair["refresh_token"].as_str().unwrap()).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.login_raw(&email, PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(app.login_raw(&email, new_password).await.status(), 200);
}

#[tokio::test]
async fn disabled_users_are_refused_at_once() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Disable").await;
    let email = unique_email("off");
    let id = create_user_with_email(&app, &token, &tenant, "tenant_admin", &email, PASSWORD).await;
    let pair = login_pair(&app, &email, PASSWORD).await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(app.get(&users(&tenant), access).await.status(), 200);

    let path = format!("{}/{id}", users(&tenant));
    let body = expect_json(
        app.patch(&path, &token, json!({"status": "disabled"}))
            .await,
        200,
    )
    .await;
    assert_eq!(body["status"], "disabled");

    // The still-unexpired access token stops working at its next request.
    assert_problem(
        app.get(&users(&tenant), access).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(app.get("/v1/me", access).await, 401, "unauthenticated").await;
    assert_problem(
        refresh(&app, pair["refresh_token"].as_str().unwrap()).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.login_raw(&email, PASSWORD).await,
        401,
        "unauthenticated",
    )
    .await;
    // ... and its writes change nothing.
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/domains"),
            access,
            json!({"name": "x.example.com"}),
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    assert!(
        list_all(&app, &format!("/v1/tenants/{tenant}/domains"), &token)
            .await
            .is_empty()
    );

    let body = expect_json(
        app.patch(&path, &token, json!({"status": "active"})).await,
        200,
    )
    .await;
    assert_eq!(body["status"], "active");
    assert_eq!(app.login_raw(&email, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn delete_removes_the_user_and_its_sessions() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Delete").await;
    let email = unique_email("gone");
    let id = create_user_with_email(&app, &token, &tenant, "tenant_user", &email, PASSWORD).await;
    let pair = login_pair(&app, &email, PASSWORD).await;
    let path = format!("{}/{id}", users(&tenant));

    let res = app
        .req(Method::DELETE, &path, &token)
        .header("If-Match", "\"5\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(app.get(&path, &token).await.status(), 200);

    assert_eq!(app.delete(&path, &token).await.status(), 204);
    assert_problem(app.get(&path, &token).await, 404, "not_found").await;
    assert_problem(app.delete(&path, &token).await, 404, "not_found").await;
    assert_problem(
        app.get("/v1/me", pair["access_token"].as_str().unwrap())
            .await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        refresh(&app, pair["refresh_token"].as_str().unwrap()).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.login_raw(&email, PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    // The e-mail can be registered again.
    create_user_with_email(&app, &token, &tenant, "tenant_user", &email, PASSWORD).await;
}

#[tokio::test]
async fn unknown_users_are_404() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Lookups").await;
    let missing = format!("{}/{}", users(&tenant), Uuid::now_v7());
    assert_problem(app.get(&missing, &token).await, 404, "not_found").await;
    assert_problem(
        app.patch(&missing, &token, json!({"display_name": "x"}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.delete(&missing, &token).await, 404, "not_found").await;
    // Staff users are not a tenant's users.
    let admin_id = my_id(&app, &app.admin).await;
    let staff = format!("{}/{admin_id}", users(&tenant));
    assert_problem(app.get(&staff, &app.admin).await, 404, "not_found").await;
    assert_problem(
        app.patch(&staff, &app.admin, json!({"status": "disabled"}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.get("/v1/me", &app.admin).await.status(), 200);
}

#[tokio::test]
async fn internationalised_emails_sign_in_as_registered() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IDN").await;
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": "Ana@Bücher.example", "display_name": "Ana", "role": "tenant_user", "password": PASSWORD}),
        )
        .await;
    let created = expect_json(res, 201).await;
    assert_eq!(created["email"], "ana@xn--bcher-kva.example");
    // Either spelling signs in, and finds the user in the list.
    for email in [
        "ana@bücher.example",
        "ANA@BÜCHER.EXAMPLE",
        "ana@xn--bcher-kva.example",
    ] {
        assert_eq!(
            app.login_raw(email, PASSWORD).await.status(),
            200,
            "{email}"
        );
        let found = list_all(&app, &format!("{}?email={}", users(&tenant), email), &token).await;
        assert_eq!(found.len(), 1, "?email={email}");
    }
    // And it is the same address for uniqueness.
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": "ana@xn--bcher-kva.example", "display_name": "Twin", "role": "tenant_user", "password": PASSWORD}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
}
