//! `/v1/audit-events`, `/v1/tenants/{tenant_id}/audit-events`, what every mutation records,
//! and support staff acting with a stated reason.

use crate::common::*;
use chrono::{SecondsFormat, Utc};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// Sends a request, asserts `status`, returns `(x-request-id, body)`.
async fn mutate(res: Response, status: u16) -> (String, Value) {
    let rid = header(&res, "x-request-id");
    assert!(!rid.is_empty());
    let (got, _, body) = parts(res).await;
    assert_eq!(got, status, "{body}");
    (rid, body)
}

/// The single event of `action` on `resource`.
async fn event_of(app: &TestApp, action: &str, resource: &str) -> Value {
    let events = audit_events(app, &format!("action={action}&resource_id={resource}")).await;
    assert_eq!(events.len(), 1, "{action} on {resource}: {events:?}");
    events.into_iter().next().unwrap()
}

fn stamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[tokio::test]
async fn every_mutation_is_audited_with_its_request_id() {
    let app = TestApp::spawn().await;
    let admin_id = my_id(&app, &app.admin).await;
    let check = |e: &Value, rid: &str, tenant: &str, resource_type: &str| {
        assert_eq!(e["request_id"], rid, "{e}");
        assert_eq!(e["actor_type"], "user");
        assert_eq!(e["actor_id"], admin_id.as_str());
        assert_eq!(e["actor_role"], "platform_admin");
        assert_eq!(e["tenant_id"], tenant);
        assert_eq!(e["resource_type"], resource_type);
        assert!(e["acting_reason"].is_null());
        assert!(
            e["occurred_at"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<Utc>>()
                .is_ok()
        );
    };

    // Tenants.
    let (rid, t) = mutate(
        app.post("/v1/tenants", &app.admin, json!({"name": "Audited"}))
            .await,
        201,
    )
    .await;
    let tenant = t["id"].as_str().unwrap().to_owned();
    let e = event_of(&app, "tenant.create", &tenant).await;
    check(&e, &rid, &tenant, "tenant");
    assert!(e["before"].is_null());
    assert_eq!(e["after"]["name"], "Audited");
    assert_eq!(e["after"]["id"], tenant.as_str());

    let (rid, _) = mutate(
        app.patch(
            &format!("/v1/tenants/{tenant}"),
            &app.admin,
            json!({"name": "Audited 2"}),
        )
        .await,
        200,
    )
    .await;
    let e = event_of(&app, "tenant.update", &tenant).await;
    check(&e, &rid, &tenant, "tenant");
    assert_eq!(e["before"]["name"], "Audited");
    assert_eq!(e["after"]["name"], "Audited 2");
    assert_eq!(e["after"]["version"], 2);

    // Domains.
    let domains = format!("/v1/tenants/{tenant}/domains");
    let (rid, d) = mutate(
        app.post(&domains, &app.admin, json!({"name": "a.example.com"}))
            .await,
        201,
    )
    .await;
    let domain = d["id"].as_str().unwrap().to_owned();
    let e = event_of(&app, "domain.create", &domain).await;
    check(&e, &rid, &tenant, "domain");
    assert_eq!(e["after"]["name"], "a.example.com");
    let (rid, _) = mutate(
        app.patch(
            &format!("{domains}/{domain}"),
            &app.admin,
            json!({"name": "b.example.com"}),
        )
        .await,
        200,
    )
    .await;
    let e = event_of(&app, "domain.update", &domain).await;
    check(&e, &rid, &tenant, "domain");
    assert_eq!(e["before"]["name"], "a.example.com");
    assert_eq!(e["after"]["name"], "b.example.com");
    let (rid, _) = mutate(
        app.delete(&format!("{domains}/{domain}"), &app.admin).await,
        204,
    )
    .await;
    let e = event_of(&app, "domain.delete", &domain).await;
    check(&e, &rid, &tenant, "domain");
    assert_eq!(e["before"]["name"], "b.example.com");
    assert!(e["after"].is_null());

    // Users.
    let users = format!("/v1/tenants/{tenant}/users");
    let body = json!({"email": "audited@example.com", "display_name": "Aud", "role": "tenant_user", "password": PASSWORD});
    let (rid, u) = mutate(app.post(&users, &app.admin, body).await, 201).await;
    let user = u["id"].as_str().unwrap().to_owned();
    let e = event_of(&app, "user.create", &user).await;
    check(&e, &rid, &tenant, "user");
    assert_eq!(e["after"]["email"], "audited@example.com");
    let (rid, _) = mutate(
        app.patch(
            &format!("{users}/{user}"),
            &app.admin,
            json!({"role": "tenant_admin"}),
        )
        .await,
        200,
    )
    .await;
    let e = event_of(&app, "user.update", &user).await;
    check(&e, &rid, &tenant, "user");
    assert_eq!(e["before"]["role"], "tenant_user");
    assert_eq!(e["after"]["role"], "tenant_admin");
    let (rid, _) = mutate(
        app.delete(&format!("{users}/{user}"), &app.admin).await,
        204,
    )
    .await;
    let e = event_of(&app, "user.delete", &user).await;
    check(&e, &rid, &tenant, "user");
    assert_eq!(e["before"]["email"], "audited@example.com");

    // API keys.
    let keys = format!("/v1/tenants/{tenant}/api-keys");
    let (rid, k) = mutate(
        app.post(
            &keys,
            &app.admin,
            json!({"name": "Key", "role": "tenant_user"}),
        )
        .await,
        201,
    )
    .await;
    let key_id = k["id"].as_str().unwrap().to_owned();
    let e = event_of(&app, "api_key.create", &key_id).await;
    check(&e, &rid, &tenant, "api_key");
    assert_eq!(e["after"]["prefix"], k["prefix"]);
    let (rid, _) = mutate(
        app.delete(&format!("{keys}/{key_id}"), &app.admin).await,
        204,
    )
    .await;
    let e = event_of(&app, "api_key.revoke", &key_id).await;
    check(&e, &rid, &tenant, "api_key");

    // Tenant deletion.
    let (rid, _) = mutate(
        app.delete(&format!("/v1/tenants/{tenant}"), &app.admin)
            .await,
        204,
    )
    .await;
    let e = event_of(&app, "tenant.delete", &tenant).await;
    check(&e, &rid, &tenant, "tenant");
    assert_eq!(e["before"]["name"], "Audited 2");

    // In order, oldest first, one event per mutation.
    let all = audit_events(&app, &format!("tenant_id={tenant}")).await;
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "tenant.create",
            "tenant.update",
            "domain.create",
            "domain.update",
            "domain.delete",
            "user.create",
            "user.update",
            "user.delete",
            "api_key.create",
            "api_key.revoke",
            "tenant.delete"
        ]
    );
}

#[tokio::test]
async fn secrets_never_reach_the_audit_log() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Secrets").await;
    let first_password = "first-secret-password-1";
    let second_password = "second-secret-password-2";
    let email = "secretive@example.com";
    let user =
        create_user_with_email(&app, &token, &tenant, "tenant_user", email, first_password).await;
    let pair = login_pair(&app, email, first_password).await;
    let rotated = expect_json(
        app.client
            .post(app.url("/v1/auth/refresh"))
            .json(&json!({"refresh_token": pair["refresh_token"]}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}/users/{user}"),
            &token,
            json!({"password": second_password, "display_name": "Renamed"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let key = create_api_key(&app, &token, &tenant, "tenant_user").await;
    let key_secret = key["key"].as_str().unwrap();

    let secrets = [
        first_password,
        second_password,
        PASSWORD,
        pair["refresh_token"].as_str().unwrap(),
        pair["access_token"].as_str().unwrap(),
        rotated["refresh_token"].as_str().unwrap(),
        key_secret,
        key_secret.rsplit_once('_').unwrap().1,
    ];
    let platform = audit_events(&app, "").await;
    assert!(platform.len() >= 4, "{platform:?}");
    assert_no_secrets(&Value::Array(platform), &secrets);
    let scoped = list_all(&app, &format!("/v1/tenants/{tenant}/audit-events"), &token).await;
    assert_no_secrets(&Value::Array(scoped), &secrets);
    // The password change itself is recorded, without the password.
    let e = event_of(&app, "user.update", &user).await;
    assert_eq!(e["after"]["display_name"], "Renamed");
    assert_eq!(e["after"]["version"], 2);
}

#[tokio::test]
async fn a_client_request_id_is_echoed_and_recorded() {
    let app = TestApp::spawn().await;
    let res = app
        .req(Method::POST, "/v1/tenants", &app.admin)
        .header("x-request-id", "client-chosen-id-123")
        .json(&json!({"name": "Traced"}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-request-id"), "client-chosen-id-123");
    let t = expect_json(res, 201).await;
    let e = event_of(&app, "tenant.create", t["id"].as_str().unwrap()).await;
    assert_eq!(e["request_id"], "client-chosen-id-123");
}

#[tokio::test]
async fn filters_narrow_the_log() {
    let app = TestApp::spawn().await;
    let start = Utc::now() - chrono::Duration::seconds(1);
    let (a, token_a) = app.tenant_with_admin("Filter A").await;
    let b = app.create_tenant(&app.admin, "Filter B", None).await;
    let a_admin = my_id(&app, &token_a).await;
    let d1 = expect_json(
        app.post(
            &format!("/v1/tenants/{a}/domains"),
            &token_a,
            json!({"name": "one.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let middle = Utc::now();
    let d2 = expect_json(
        app.post(
            &format!("/v1/tenants/{a}/domains"),
            &app.admin,
            json!({"name": "two.example.com"}),
        )
        .await,
        201,
    )
    .await;

    let all = audit_events(&app, "").await;
    // tenant A + its admin, tenant B, two domains.
    assert_eq!(all.len(), 5, "{all:?}");
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "oldest first");

    let got = audit_events(&app, "action=domain.create").await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|e| e["action"] == "domain.create"));
    let got = audit_events(&app, "resource_type=tenant").await;
    assert_eq!(got.len(), 2);
    let got = audit_events(&app, &format!("resource_id={}", d1["id"].as_str().unwrap())).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["after"]["name"], "one.example.com");
    let got = audit_events(&app, &format!("actor_id={a_admin}")).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["resource_id"], d1["id"]);
    let got = audit_events(&app, &format!("tenant_id={b}")).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["action"], "tenant.create");
    let got = audit_events(
        &app,
        &format!("tenant_id={a}&action=domain.create&actor_id={a_admin}"),
    )
    .await;
    assert_eq!(got.len(), 1);
    assert!(
        audit_events(&app, "action=nothing.happened")
            .await
            .is_empty()
    );

    // Time windows: [since, until).
    assert_eq!(
        audit_events(&app, &format!("since={}", stamp(start)))
            .await
            .len(),
        5
    );
    let got = audit_events(&app, &format!("since={}", stamp(middle))).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["resource_id"], d2["id"]);
    let got = audit_events(&app, &format!("until={}", stamp(middle))).await;
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|e| e["resource_id"] != d2["id"]));
    assert!(
        audit_events(&app, &format!("until={}", stamp(start)))
            .await
            .is_empty()
    );
    let later = Utc::now() + chrono::Duration::minutes(5);
    assert!(
        audit_events(&app, &format!("since={}", stamp(later)))
            .await
            .is_empty()
    );
    assert_eq!(
        audit_events(
            &app,
            &format!("since={}&until={}", stamp(start), stamp(later))
        )
        .await
        .len(),
        5
    );
    // Offsets other than Z work too (the '+' encoded).
    let offset = middle.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let encoded = offset
        .to_rfc3339_opts(SecondsFormat::Micros, false)
        .replace('+', "%2B");
    assert_eq!(
        audit_events(&app, &format!("since={encoded}")).await.len(),
        1
    );

    // The tenant list is the tenant's events only, with the same filters.
    let scoped = list_all(&app, &format!("/v1/tenants/{a}/audit-events"), &token_a).await;
    assert_eq!(scoped.len(), 4);
    assert!(scoped.iter().all(|e| e["tenant_id"] == a.as_str()));
    let scoped = list_all(
        &app,
        &format!("/v1/tenants/{a}/audit-events?action=domain.create&actor_id={a_admin}"),
        &token_a,
    )
    .await;
    assert_eq!(scoped.len(), 1);
    let res = app
        .get(
            &format!("/v1/tenants/{a}/audit-events?tenant_id={b}"),
            &token_a,
        )
        .await;
    // The tenant is given by the path: `tenant_id` is not a parameter of the tenant list.
    let problem = assert_problem(res, 400, "invalid_query").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("tenant_id"),
        "{problem}"
    );

    // Bad filter values.
    for q in [
        "since=yesterday",
        "until=2024-13-01T00:00:00Z",
        "resource_id=42",
        "actor_id=x",
        "tenant=1",
    ] {
        assert_problem(
            app.get(&format!("/v1/audit-events?{q}"), &app.admin).await,
            400,
            "invalid_query",
        )
        .await;
    }
}

#[tokio::test]
async fn only_staff_read_the_platform_log() {
    let app = TestApp::spawn().await;
    let (a, token_a) = app.tenant_with_admin("Reader A").await;
    let (b, _) = app.tenant_with_admin("Reader B").await;
    let (_, user_token) = app.create_user(&token_a, &a, "tenant_user").await;
    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let (_, partner_token) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let child = expect_json(
        app.post("/v1/tenants", &partner_token, json!({"name": "Child"}))
            .await,
        201,
    )
    .await;
    let child = child["id"].as_str().unwrap();

    for token in [&token_a, &user_token, &partner_token] {
        assert_problem(app.get("/v1/audit-events", token).await, 403, "forbidden").await;
    }
    assert_problem(
        app.get(&format!("/v1/tenants/{a}/audit-events"), &user_token)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(&format!("/v1/tenants/{b}/audit-events"), &token_a)
            .await,
        404,
        "not_found",
    )
    .await;
    // A partner reads its customers' logs.
    let events = list_all(
        &app,
        &format!("/v1/tenants/{child}/audit-events"),
        &partner_token,
    )
    .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "tenant.create");
    let (_, support) = support_token(&app).await;
    assert!(audit_events(&app, "").await.len() >= 6);
    assert_eq!(app.get("/v1/audit-events", &support).await.status(), 200);
    assert_eq!(
        app.get(&format!("/v1/tenants/{b}/audit-events"), &support)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn support_writes_need_a_reason_which_is_recorded() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Supported").await;
    let (support_id, support) = support_token(&app).await;
    let domains = format!("/v1/tenants/{tenant}/domains");

    // Reading needs no reason.
    assert_eq!(
        app.get(&format!("/v1/tenants/{tenant}"), &support)
            .await
            .status(),
        200
    );
    assert_eq!(app.get(&domains, &support).await.status(), 200);
    assert_eq!(
        app.get(&format!("/v1/tenants/{tenant}/users"), &support)
            .await
            .status(),
        200
    );
    assert_eq!(list_all(&app, "/v1/tenants", &support).await.len(), 1);

    // Writing without one (or with a blank one) is refused and changes nothing.
    assert_problem(
        app.post(&domains, &support, json!({"name": "fix.example.com"}))
            .await,
        403,
        "reason_required",
    )
    .await;
    let res = app
        .req(Method::POST, &domains, &support)
        .header("X-Acting-Reason", "   ")
        .json(&json!({"name": "fix.example.com"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "reason_required").await;
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}"),
            &support,
            json!({"status": "suspended"}),
        )
        .await;
    assert_problem(res, 403, "reason_required").await;
    assert!(list_all(&app, &domains, &token).await.is_empty());
    assert_eq!(
        expect_json(app.get(&format!("/v1/tenants/{tenant}"), &token).await, 200).await["status"],
        "active"
    );

    // With a reason it goes through, and the log says why.
    let reason = "Ticket #4711: customer asked us to add their domain";
    let res = app
        .req(Method::POST, &domains, &support)
        .header("X-Acting-Reason", reason)
        .json(&json!({"name": "fix.example.com"}))
        .send()
        .await
        .unwrap();
    let rid = header(&res, "x-request-id");
    let d = expect_json(res, 201).await;
    let e = event_of(&app, "domain.create", d["id"].as_str().unwrap()).await;
    assert_eq!(e["acting_reason"], reason);
    assert_eq!(e["actor_id"], support_id.as_str());
    assert_eq!(e["actor_role"], "support");
    assert_eq!(e["request_id"], rid.as_str());
    // The tenant sees it in its own log.
    let scoped = list_all(
        &app,
        &format!("/v1/tenants/{tenant}/audit-events?action=domain.create"),
        &token,
    )
    .await;
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0]["acting_reason"], reason);

    // Overlong reasons are kept, cut to 500 characters.
    let long_reason = "é".repeat(600);
    let res = app
        .req(Method::POST, &domains, &support)
        .header("X-Acting-Reason", long_reason.as_str())
        .json(&json!({"name": "long.example.com"}))
        .send()
        .await
        .unwrap();
    let d = expect_json(res, 201).await;
    let e = event_of(&app, "domain.create", d["id"].as_str().unwrap()).await;
    assert_eq!(e["acting_reason"], "é".repeat(500));

    // A browser sends non-ASCII text in RFC 8187's form; it is decoded.
    let res = app
        .req(Method::POST, &domains, &support)
        .header(
            "X-Acting-Reason",
            "UTF-8''Incidencia%20n%C2%BA%2042%3A%20a%C3%B1adir%20dominio",
        )
        .json(&json!({"name": "encoded.example.com"}))
        .send()
        .await
        .unwrap();
    let d = expect_json(res, 201).await;
    let e = event_of(&app, "domain.create", d["id"].as_str().unwrap()).await;
    assert_eq!(e["acting_reason"], "Incidencia nº 42: añadir dominio");
    // Encoded blank, or only control characters, is still no reason: refused.
    for blank in ["UTF-8''%20%20", "utf-8''%00%0D%0A", "UTF-8''%09"] {
        let res = app
            .req(Method::POST, &domains, &support)
            .header("X-Acting-Reason", blank)
            .json(&json!({"name": "blank.example.com"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 403, "reason_required").await;
    }
    // Line breaks and NULs are dropped from a real reason.
    let res = app
        .req(Method::POST, &domains, &support)
        .header("X-Acting-Reason", "utf-8''Ticket%0A%00 42")
        .json(&json!({"name": "controls.example.com"}))
        .send()
        .await
        .unwrap();
    let d = expect_json(res, 201).await;
    let e = event_of(&app, "domain.create", d["id"].as_str().unwrap()).await;
    assert_eq!(e["acting_reason"], "Ticket 42");

    // Support never creates or deletes tenants, reason or not.
    let res = app
        .req(Method::POST, "/v1/tenants", &support)
        .header("X-Acting-Reason", reason)
        .json(&json!({"name": "By support"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .req(Method::DELETE, &format!("/v1/tenants/{tenant}"), &support)
        .header("X-Acting-Reason", reason)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(list_all(&app, "/v1/tenants", &app.admin).await.len(), 1);
}

#[tokio::test]
async fn refused_mutations_write_no_event() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Refusals").await;
    let domains = format!("/v1/tenants/{tenant}/domains");
    let d = expect_json(
        app.post(&domains, &token, json!({"name": "taken.example.com"}))
            .await,
        201,
    )
    .await;
    let before = audit_events(&app, "").await.len();

    assert_eq!(
        app.post(&domains, &token, json!({"name": "taken.example.com"}))
            .await
            .status(),
        409
    );
    assert_eq!(
        app.post(&domains, &token, json!({"name": "bad_name"}))
            .await
            .status(),
        422
    );
    let res = app
        .req(
            Method::PATCH,
            &format!("{domains}/{}", d["id"].as_str().unwrap()),
            &token,
        )
        .header("If-Match", "\"9\"")
        .json(&json!({"name": "new.example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    assert_eq!(
        app.delete(&format!("{domains}/{}", Uuid::now_v7()), &token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post("/v1/tenants", &token, json!({"name": "Nope"}))
            .await
            .status(),
        403
    );

    assert_eq!(audit_events(&app, "").await.len(), before);
}
