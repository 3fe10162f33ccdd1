//! `/v1/tenants` and `/v1/tenants/{tenant_id}`.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn tenant_count(app: &TestApp) -> usize {
    list_all(app, "/v1/tenants", &app.admin).await.len()
}

#[tokio::test]
async fn create_get_and_list_a_tenant() {
    let app = TestApp::spawn().await;
    let slug = slug("Acme");
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "  Acme Corp  ", "slug": slug}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let etag = header(&res, "etag");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(id.parse::<Uuid>().is_ok());
    assert_eq!(location, format!("/v1/tenants/{id}"));
    assert_eq!(etag, "\"1\"");
    assert_eq!(created["name"], "Acme Corp", "name is trimmed");
    assert_eq!(created["slug"], slug.as_str());
    assert_eq!(created["status"], "active");
    assert!(created["parent_id"].is_null());
    assert_eq!(created["version"], 1);
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());

    let res = app.get(&location, &app.admin).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let got: Value = res.json().await.unwrap();
    assert_eq!(got, created);

    let all = list_all(&app, "/v1/tenants", &app.admin).await;
    assert_eq!(all, vec![created]);
}

#[tokio::test]
async fn the_slug_is_derived_from_the_name_when_absent() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "Acme Plumbing, Inc."}),
        )
        .await;
    let body = expect_json(res, 201).await;
    assert_eq!(body["slug"], "acme-plumbing-inc");
    assert_eq!(body["name"], "Acme Plumbing, Inc.");
    // The same name again derives the same slug, which is taken.
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "Acme plumbing inc"}),
        )
        .await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert_eq!(problem["errors"][0]["field"], "slug");
    assert_eq!(problem["errors"][0]["code"], "taken");
    assert_eq!(tenant_count(&app).await, 1);
}

#[tokio::test]
async fn a_tenant_can_be_created_with_its_first_domain() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "With domain", "domain": "PBX.With-Domain.example."}),
        )
        .await;
    let rid = header(&res, "x-request-id");
    let tenant = expect_json(res, 201).await;
    let id = tenant["id"].as_str().unwrap();
    let domains = list_all(&app, &format!("/v1/tenants/{id}/domains"), &app.admin).await;
    assert_eq!(domains.len(), 1);
    assert_eq!(domains[0]["name"], "pbx.with-domain.example");
    assert_eq!(domains[0]["tenant_id"], id);
    let events = audit_events(&app, &format!("tenant_id={id}")).await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["tenant.create", "domain.create"]);
    assert!(
        events.iter().all(|e| e["request_id"] == rid.as_str()),
        "one request: {events:?}"
    );
    assert_eq!(events[1]["resource_id"], domains[0]["id"]);

    // A taken domain refuses the whole tenant: no half-created tenant remains.
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "Squatter", "domain": "pbx.with-domain.example"}),
        )
        .await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert_eq!(
        problem["errors"][0]["field"], "domain",
        "the request's field: {problem}"
    );
    let all = list_all(&app, "/v1/tenants", &app.admin).await;
    assert_eq!(all.len(), 1);
    assert!(all.iter().all(|t| t["name"] != "Squatter"));
    // The slug of the refused tenant is still free.
    let res = app
        .post("/v1/tenants", &app.admin, json!({"name": "Squatter"}))
        .await;
    assert_eq!(expect_json(res, 201).await["slug"], "squatter");
}

#[tokio::test]
async fn invalid_tenants_are_refused_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let existing = app.create_tenant(&app.admin, "Existing", None).await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"name": "X", "colour": "red"}),
            "colour",
            "unknown_field",
        ),
        (json!({"slug": "no-name"}), "", "required"),
        (json!({"name": 42}), "name", "invalid_type"),
        (json!({"name": ""}), "name", "invalid_length"),
        (json!({"name": "   "}), "name", "invalid_length"),
        (json!({"name": "x".repeat(201)}), "name", "invalid_length"),
        (json!({"name": "Bell\u{7}"}), "name", "invalid_characters"),
        (
            json!({"name": "Ok", "slug": "Bad_Slug"}),
            "slug",
            "invalid_slug",
        ),
        (
            json!({"name": "Ok", "slug": "-dash"}),
            "slug",
            "invalid_slug",
        ),
        (json!({"name": "Ok", "slug": "a"}), "slug", "invalid_slug"),
        (
            json!({"name": "Ok", "slug": "a".repeat(64)}),
            "slug",
            "invalid_slug",
        ),
        (
            json!({"name": "Ok", "domain": "localhost"}),
            "domain",
            "invalid_hostname",
        ),
        (
            json!({"name": "Ok", "parent_id": "not-a-uuid"}),
            "parent_id",
            "invalid_type",
        ),
    ];
    for (body, field, code) in cases {
        let res = app.post("/v1/tenants", &app.admin, body.clone()).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {problem}"
        );
    }
    // Several problems are reported together.
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "", "slug": "BAD", "domain": "10.0.0.1"}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");
    // An unknown parent is a 404.
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "Orphan", "parent_id": Uuid::now_v7()}),
        )
        .await;
    assert_problem(res, 404, "not_found").await;

    let all = list_all(&app, "/v1/tenants", &app.admin).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["id"], existing.as_str());
    assert_eq!(audit_events(&app, "action=tenant.create").await.len(), 1);
}

#[tokio::test]
async fn duplicate_slugs_conflict() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "One", "slug": "shared-slug"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post(
            "/v1/tenants",
            &app.admin,
            json!({"name": "Two", "slug": "shared-slug"}),
        )
        .await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert_eq!(problem["errors"][0]["field"], "slug");
    let all = list_all(&app, "/v1/tenants", &app.admin).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["name"], "One");
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer() {
    let app = TestApp::spawn().await;
    let send = |key: &str, body: &str| {
        app.req(Method::POST, "/v1/tenants", &app.admin)
            .header("Idempotency-Key", key)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };
    let res = send("key-1", r#"{"name": "Idem", "slug": "idem"}"#)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "idempotent-replayed"), "");
    let (location, etag) = (header(&res, "location"), header(&res, "etag"));
    let first: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/tenants/{}", first["id"].as_str().unwrap())
    );

    // Same key, same body (even formatted differently): the first answer, nothing new.
    for body in [
        r#"{"name": "Idem", "slug": "idem"}"#,
        r#"{"slug":"idem","name":"Idem"}"#,
    ] {
        let res = send("key-1", body).await.unwrap();
        assert_eq!(res.status(), 201, "{body}");
        assert_eq!(header(&res, "idempotent-replayed"), "true");
        assert!(header(&res, "content-type").starts_with("application/json"));
        assert_eq!(header(&res, "location"), location);
        assert_eq!(header(&res, "etag"), etag);
        let again: Value = res.json().await.unwrap();
        assert_eq!(again, first);
    }
    assert_eq!(tenant_count(&app).await, 1);
    assert_eq!(audit_events(&app, "action=tenant.create").await.len(), 1);

    // Same key, another body: refused, nothing created.
    let res = send("key-1", r#"{"name": "Other", "slug": "other"}"#)
        .await
        .unwrap();
    assert_problem(res, 422, "idempotency_key_reused").await;
    assert_eq!(tenant_count(&app).await, 1);

    // A new key is a new request (the slug now conflicts, and that is not stored as a replay).
    let res = send("key-2", r#"{"name": "Idem", "slug": "idem"}"#)
        .await
        .unwrap();
    assert_problem(res, 409, "conflict").await;
    let res = send("key-2", r#"{"name": "Idem 2", "slug": "idem-2"}"#)
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "a failed request does not burn its key");
    assert_eq!(tenant_count(&app).await, 2);

    // Keys belong to their caller: another user's identical key is independent.
    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let (_, partner_token) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let res = app
        .req(Method::POST, "/v1/tenants", &partner_token)
        .header("Idempotency-Key", "key-1")
        .json(&json!({"name": "Partner child", "slug": "partner-child"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "idempotent-replayed"), "");
    assert_eq!(tenant_count(&app).await, 4);

    // Keys must be short visible ASCII.
    let res = send(&"k".repeat(256), r#"{"name": "Long key"}"#)
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(tenant_count(&app).await, 4);
}

#[tokio::test]
async fn patch_renames_and_honours_if_match() {
    let app = TestApp::spawn().await;
    let id = app.create_tenant(&app.admin, "Before", None).await;
    let path = format!("/v1/tenants/{id}");

    let res = app.patch(&path, &app.admin, json!({"name": "After"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "etag"), "\"2\"");
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["name"], "After");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["status"], "active", "absent fields are left alone");

    // A stale If-Match is refused and changes nothing.
    let res = app
        .req(Method::PATCH, &path, &app.admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Lost update"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .req(Method::PATCH, &path, &app.admin)
        .header("If-Match", "garbage")
        .json(&json!({"name": "Lost update"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let now = expect_json(app.get(&path, &app.admin).await, 200).await;
    assert_eq!(now, v2);

    // The current version (strong or weak), or `*`, is accepted.
    for (tag, version) in [("\"2\"", 3), ("W/\"3\"", 4), ("*", 5)] {
        let res = app
            .req(Method::PATCH, &path, &app.admin)
            .header("If-Match", tag)
            .json(&json!({"name": format!("v{version}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "If-Match {tag}");
        assert_eq!(header(&res, "etag"), format!("\"{version}\""));
    }

    // Suspend and reactivate.
    let body = expect_json(
        app.patch(&path, &app.admin, json!({"status": "suspended"}))
            .await,
        200,
    )
    .await;
    assert_eq!(body["status"], "suspended");
    assert_eq!(body["name"], "v5");
    let suspended = list_all(&app, "/v1/tenants?status=suspended", &app.admin).await;
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0]["id"], id.as_str());
    assert!(
        list_all(&app, "/v1/tenants?status=active", &app.admin)
            .await
            .is_empty()
    );
    let body = expect_json(
        app.patch(&path, &app.admin, json!({"status": "active"}))
            .await,
        200,
    )
    .await;
    assert_eq!(body["status"], "active");
    assert_eq!(body["version"], 7);
}

#[tokio::test]
async fn invalid_patches_change_nothing() {
    let app = TestApp::spawn().await;
    let id = app.create_tenant(&app.admin, "Stable", None).await;
    let path = format!("/v1/tenants/{id}");
    let before = expect_json(app.get(&path, &app.admin).await, 200).await;
    for (body, field, code) in [
        (json!({"status": "paused"}), "status", "invalid_type"),
        (json!({"name": ""}), "name", "invalid_length"),
        (
            json!({"name": null, "slug": "new-slug"}),
            "slug",
            "unknown_field",
        ),
        (
            json!({"parent_id": Uuid::now_v7()}),
            "parent_id",
            "unknown_field",
        ),
        (json!({"name": ["a"]}), "name", "invalid_type"),
    ] {
        let problem = assert_problem(
            app.patch(&path, &app.admin, body.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{body} → {problem}");
    }
    assert_eq!(
        expect_json(app.get(&path, &app.admin).await, 200).await,
        before
    );
    assert!(audit_events(&app, "action=tenant.update").await.is_empty());
    // Unknown tenants are 404, ids that are not UUIDs too.
    let missing = format!("/v1/tenants/{}", Uuid::now_v7());
    assert_problem(
        app.patch(&missing, &app.admin, json!({"name": "x"})).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get(&missing, &app.admin).await, 404, "not_found").await;
    assert_problem(
        app.get("/v1/tenants/not-a-uuid", &app.admin).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn delete_is_refused_while_children_exist() {
    let app = TestApp::spawn().await;
    let parent = app.create_tenant(&app.admin, "Parent", None).await;
    let child = app.create_tenant(&app.admin, "Child", Some(&parent)).await;
    let res = app
        .post(
            &format!("/v1/tenants/{parent}/domains"),
            &app.admin,
            json!({"name": "parent.example.com"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.create_user(&app.admin, &parent, "tenant_admin").await;

    let problem = assert_problem(
        app.delete(&format!("/v1/tenants/{parent}"), &app.admin)
            .await,
        409,
        "conflict",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("child"),
        "{problem}"
    );
    assert_eq!(
        app.get(&format!("/v1/tenants/{parent}"), &app.admin)
            .await
            .status(),
        200
    );
    assert_eq!(
        list_all(&app, &format!("/v1/tenants/{parent}/domains"), &app.admin)
            .await
            .len(),
        1
    );

    // A stale If-Match refuses the delete too.
    let res = app
        .req(Method::DELETE, &format!("/v1/tenants/{child}"), &app.admin)
        .header("If-Match", "\"7\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    let res = app
        .req(Method::DELETE, &format!("/v1/tenants/{child}"), &app.admin)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .delete(&format!("/v1/tenants/{parent}"), &app.admin)
        .await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());

    assert_problem(
        app.get(&format!("/v1/tenants/{parent}"), &app.admin).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/v1/tenants/{parent}"), &app.admin)
            .await,
        404,
        "not_found",
    )
    .await;
    assert!(list_all(&app, "/v1/tenants", &app.admin).await.is_empty());
    // What the tenant owned went with it: its domain name is free again.
    let other = app.create_tenant(&app.admin, "Other", None).await;
    let res = app
        .post(
            &format!("/v1/tenants/{other}/domains"),
            &app.admin,
            json!({"name": "parent.example.com"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // The audit log outlives the tenant.
    let events = audit_events(&app, &format!("tenant_id={parent}")).await;
    assert_eq!(events.last().unwrap()["action"], "tenant.delete");
    assert_eq!(events.last().unwrap()["before"]["id"], parent.as_str());
    assert!(events.last().unwrap()["after"].is_null());
}

#[tokio::test]
async fn partners_build_a_tenant_tree() {
    let app = TestApp::spawn().await;
    let partner = app.create_tenant(&app.admin, "Reseller", None).await;
    let unrelated = app.create_tenant(&app.admin, "Unrelated", None).await;
    let (_, partner_token) = app.create_user(&app.admin, &partner, "partner_admin").await;

    // Without parent_id a partner's tenant goes under its own.
    let c1 = expect_json(
        app.post(
            "/v1/tenants",
            &partner_token,
            json!({"name": "Customer one"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c1["parent_id"], partner.as_str());
    let c1 = c1["id"].as_str().unwrap().to_owned();
    // With parent_id it goes below one of its customers.
    let res = app
        .post(
            "/v1/tenants",
            &partner_token,
            json!({"name": "Sub customer", "parent_id": c1}),
        )
        .await;
    let grandchild = expect_json(res, 201).await;
    assert_eq!(grandchild["parent_id"], c1.as_str());
    // Not below a tenant outside its tree: that one does not exist for the partner.
    let res = app
        .post(
            "/v1/tenants",
            &partner_token,
            json!({"name": "Intruder", "parent_id": unrelated}),
        )
        .await;
    assert_problem(res, 404, "not_found").await;

    // The partner sees its subtree, nothing else.
    let seen = list_all(&app, "/v1/tenants", &partner_token).await;
    let mut seen_ids: Vec<&str> = seen.iter().map(|t| t["id"].as_str().unwrap()).collect();
    seen_ids.sort_unstable();
    let mut expected = vec![
        partner.as_str(),
        c1.as_str(),
        grandchild["id"].as_str().unwrap(),
    ];
    expected.sort_unstable();
    assert_eq!(seen_ids, expected);
    // parent_id filters direct children.
    let children = list_all(
        &app,
        &format!("/v1/tenants?parent_id={partner}"),
        &app.admin,
    )
    .await;
    assert_eq!(children.len(), 1);
    assert_eq!(children[0]["id"], c1.as_str());
    let children = list_all(&app, &format!("/v1/tenants?parent_id={c1}"), &partner_token).await;
    assert_eq!(children.len(), 1);
    assert_eq!(children[0]["id"], grandchild["id"]);

    // The partner manages its customers but not its own tenant record.
    let res = app
        .patch(
            &format!("/v1/tenants/{c1}"),
            &partner_token,
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["status"], "suspended");
    let res = app
        .patch(
            &format!("/v1/tenants/{partner}"),
            &partner_token,
            json!({"name": "Renamed"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(
        expect_json(
            app.get(&format!("/v1/tenants/{partner}"), &app.admin).await,
            200
        )
        .await["name"],
        "Reseller"
    );
}

#[tokio::test]
async fn tenant_admins_cannot_create_tenants() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Plain").await;
    let before = tenant_count(&app).await;
    assert_problem(
        app.post("/v1/tenants", &token, json!({"name": "Child"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let res = app
        .post(
            "/v1/tenants",
            &token,
            json!({"name": "Child", "parent_id": tenant}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(tenant_count(&app).await, before);
    // It sees exactly its own tenant.
    let seen = list_all(&app, "/v1/tenants", &token).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["id"], tenant.as_str());
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_create_one_tenant() {
    let app = TestApp::spawn().await;
    let send = || {
        app.req(Method::POST, "/v1/tenants", &app.admin)
            .header("Idempotency-Key", "race")
            .json(&json!({"name": "Racer"}))
            .send()
    };
    let answers = futures_util::future::join_all((0..4).map(|_| send())).await;
    // Every retry gets the one answer: the losers of the race replay the winner's.
    let mut created = Vec::new();
    let mut fresh = 0;
    for res in answers {
        let (status, headers, body) = parts(res.unwrap()).await;
        assert_eq!(status, 201, "{body} {headers:?}");
        if headers.get("idempotent-replayed").is_none() {
            fresh += 1;
        }
        created.push(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(fresh, 1, "one request created, the others replayed");
    created.dedup();
    assert_eq!(created.len(), 1, "every answer names the same tenant");
    let all = list_all(&app, "/v1/tenants", &app.admin).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["id"], created[0].as_str());
    // A later retry gets the stored answer.
    let res = send().await.unwrap();
    assert_eq!(header(&res, "idempotent-replayed"), "true");
    assert_eq!(expect_json(res, 201).await["id"], created[0].as_str());
}

/// A PATCH that changes nothing (an empty object, or the current values) keeps the version
/// and writes no audit event; the next real change still works with the old ETag.
#[tokio::test]
async fn patches_that_change_nothing_are_not_changes() {
    let app = TestApp::spawn().await;
    let t = app.create_tenant(&app.admin, "Quiet Tenant", None).await;
    let path = format!("/v1/tenants/{t}");
    let before = audit_events(&app, &format!("resource_id={t}")).await.len();
    for body in [
        json!({}),
        json!({"name": "Quiet Tenant", "status": "active"}),
    ] {
        let v = expect_json(app.patch(&path, &app.admin, body).await, 200).await;
        assert_eq!(v["version"], 1, "{v}");
    }
    assert_eq!(
        audit_events(&app, &format!("resource_id={t}")).await.len(),
        before
    );
    let res = app
        .req(reqwest::Method::PATCH, &path, &app.admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Loud Tenant"}))
        .send()
        .await
        .unwrap();
    let v = expect_json(res, 200).await;
    assert_eq!(v["version"], 2);
    assert_eq!(
        audit_events(&app, &format!("resource_id={t}")).await.len(),
        before + 1
    );
}

/// `GET /v1/tenants?q=`: find a customer by name, slug, SIP domain, DID or extension
/// number, among the tenants the caller sees; the text is literal, never a pattern.
#[tokio::test]
async fn tenants_are_found_by_name_domain_did_or_extension() {
    let app = TestApp::spawn().await;
    let (acme, acme_admin) = app.tenant_with_admin("Acme Fontanería").await;
    let (bakery, bakery_admin) = app.tenant_with_admin("Bakery 50% Off").await;
    let acme_domain = add_domain(&app, &acme_admin, &acme).await;
    claim_did(&app, &acme_admin, &acme, "+34910000777").await;
    create_extension(
        &app,
        &bakery_admin,
        &bakery,
        json!({"number": "4321", "display_name": "Front desk"}),
    )
    .await;
    let (_, support) = support_token(&app).await;

    let found = |items: Vec<Value>| -> Vec<String> {
        let mut ids: Vec<String> = items
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let search = |q: &str| format!("/v1/tenants?q={}", urlencode(q));
    for (q, want) in [
        ("acme", vec![acme.clone()]),
        ("FONTANERÍA", vec![acme.clone()]),
        (&acme_domain[..acme_domain.len() - 4], vec![acme.clone()]),
        ("+34 910 000 777", vec![acme.clone()]),
        ("910000777", vec![acme.clone()]),
        ("4321", vec![bakery.clone()]),
        ("50%", vec![bakery.clone()]),
        // Literal: `%` and `_` are not wildcards.
        ("a%e", vec![]),
        ("_cme", vec![]),
        // An extension number matches exactly, not in part.
        ("432", vec![]),
    ] {
        let got = found(list_all(&app, &search(q), &support).await);
        let mut want = want;
        want.sort();
        assert_eq!(got, want, "q={q}");
    }

    // Only among the tenants the caller sees.
    assert!(
        list_all(&app, &search("acme"), &bakery_admin)
            .await
            .is_empty()
    );
    assert_eq!(
        found(list_all(&app, &search("acme"), &acme_admin).await),
        vec![acme.clone()]
    );

    // Too short or too long: a field error.
    for q in ["a", " b ", &"x".repeat(101)] {
        let p = assert_problem(
            app.get(&search(q), &support).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&p, "q", "invalid_length");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
