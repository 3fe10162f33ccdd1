//! `/v1/tenants/{tenant_id}/domains[/{domain_id}]`.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn domains(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/domains")
}

async fn create_domain(app: &TestApp, token: &str, tenant: &str, name: &str) -> reqwest::Response {
    app.post(&domains(tenant), token, json!({"name": name}))
        .await
}

#[tokio::test]
async fn domain_crud() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Domains").await;

    let res = create_domain(&app, &token, &tenant, "pbx.acme.example.com").await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", domains(&tenant)));
    assert_eq!(created["name"], "pbx.acme.example.com");
    assert_eq!(created["tenant_id"], tenant.as_str());
    assert_eq!(created["version"], 1);

    let res = app.get(&location, &token).await;
    assert_eq!(header(&res, "etag"), "\"1\"");
    assert_eq!(expect_json(res, 200).await, created);
    assert_eq!(
        list_all(&app, &domains(&tenant), &token).await,
        vec![created.clone()]
    );

    let res = app
        .patch(&location, &token, json!({"name": "sip.acme.example.com"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "etag"), "\"2\"");
    let renamed: Value = res.json().await.unwrap();
    assert_eq!(renamed["id"], id.as_str());
    assert_eq!(renamed["name"], "sip.acme.example.com");
    assert_eq!(renamed["version"], 2);
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await,
        renamed
    );
    // Renaming to its own name (in any spelling) is fine, and no change: same version.
    let res = app
        .patch(&location, &token, json!({"name": "SIP.acme.example.com"}))
        .await;
    assert_eq!(expect_json(res, 200).await["version"], 2);
    // The old name is free again.
    assert_eq!(
        create_domain(&app, &token, &tenant, "pbx.acme.example.com")
            .await
            .status(),
        201
    );

    let res = app.delete(&location, &token).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    assert_problem(app.delete(&location, &token).await, 404, "not_found").await;
    assert_problem(
        app.patch(&location, &token, json!({"name": "x.example.com"}))
            .await,
        404,
        "not_found",
    )
    .await;
    let left = list_all(&app, &domains(&tenant), &token).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["name"], "pbx.acme.example.com");
}

#[tokio::test]
async fn names_are_normalised() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Normalise").await;
    for (input, stored) in [
        ("PBX.Example.COM.", "pbx.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("  spaced.example.org  ", "spaced.example.org"),
        ("ÉCOLE.example.net", "xn--cole-9oa.example.net"),
        ("xn--mnchen-3ya.example", "xn--mnchen-3ya.example"),
    ] {
        let body = expect_json(create_domain(&app, &token, &tenant, input).await, 201).await;
        assert_eq!(body["name"], stored, "{input}");
    }
    // The normalised form is what uniqueness and the name filter compare.
    let res = create_domain(&app, &token, &tenant, "BÜCHER.example.").await;
    assert_problem(res, 409, "conflict").await;
    let found = list_all(
        &app,
        &format!("{}?name=PBX.example.com", domains(&tenant)),
        &token,
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["name"], "pbx.example.com");
    // The filter is normalised like the names themselves.
    for query in [
        "bücher.example",
        "B%C3%9CCHER.example.",
        "xn--bcher-kva.example",
    ] {
        let found = list_all(&app, &format!("{}?name={query}", domains(&tenant)), &token).await;
        assert_eq!(found.len(), 1, "?name={query}");
        assert_eq!(found[0]["name"], "xn--bcher-kva.example");
    }
    assert!(
        list_all(
            &app,
            &format!("{}?name=none.example.com", domains(&tenant)),
            &token
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn invalid_names_are_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Invalid").await;
    let keep = expect_json(
        create_domain(&app, &token, &tenant, "keep.example.com").await,
        201,
    )
    .await;
    let keep_path = format!("{}/{}", domains(&tenant), keep["id"].as_str().unwrap());
    let long_label = format!("{}.example.com", "a".repeat(64));
    let too_long = format!("{}.com", vec!["abcdefghij"; 23].join("."));
    assert!(too_long.len() > 253);
    let max_ok = format!("{}.example.com", "a".repeat(63));
    for bad in [
        "",
        "   ",
        ".",
        "localhost",
        "10.0.0.1",
        "192.168.1.20.",
        "[::1]",
        "a_b.example.com",
        "_sip._udp.example.com",
        "-a.example.com",
        "a-.example.com",
        "a..b.example.com",
        "sp ace.example.com",
        "pbx.example.com:5060",
        "sip:pbx.example.com",
        "user@pbx.example.com",
        long_label.as_str(),
        too_long.as_str(),
    ] {
        for res in [
            create_domain(&app, &token, &tenant, bad).await,
            app.patch(&keep_path, &token, json!({"name": bad})).await,
        ] {
            let problem = assert_problem(res, 422, "validation_failed").await;
            assert_eq!(problem["errors"][0]["field"], "name", "{bad:?}: {problem}");
            assert_eq!(
                problem["errors"][0]["code"], "invalid_hostname",
                "{bad:?}: {problem}"
            );
        }
    }
    for body in [
        json!({}),
        json!({"name": 7}),
        json!({"name": "ok.example.com", "tenant_id": tenant}),
    ] {
        let res = app.post(&domains(&tenant), &token, body.clone()).await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let all = list_all(&app, &domains(&tenant), &token).await;
    assert_eq!(all, vec![keep.clone()]);
    assert_eq!(
        expect_json(app.get(&keep_path, &token).await, 200).await,
        keep
    );
    assert_eq!(audit_events(&app, "resource_type=domain").await.len(), 1);
    // The boundary: a 63-character label is fine.
    assert_eq!(
        create_domain(&app, &token, &tenant, &max_ok).await.status(),
        201
    );
}

#[tokio::test]
async fn names_are_unique_across_the_platform() {
    let app = TestApp::spawn().await;
    let (a, token_a) = app.tenant_with_admin("Tenant A").await;
    let (b, token_b) = app.tenant_with_admin("Tenant B").await;
    assert_eq!(
        create_domain(&app, &token_a, &a, "shared.example.com")
            .await
            .status(),
        201
    );

    let problem = assert_problem(
        create_domain(&app, &token_b, &b, "Shared.Example.com.").await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(problem["errors"][0]["code"], "taken");
    // The conflict says nothing about whose it is.
    assert!(!problem.to_string().contains(&a), "{problem}");
    assert!(list_all(&app, &domains(&b), &token_b).await.is_empty());

    // Renaming onto a taken name is refused too.
    let mine = expect_json(
        create_domain(&app, &token_b, &b, "mine.example.com").await,
        201,
    )
    .await;
    let path = format!("{}/{}", domains(&b), mine["id"].as_str().unwrap());
    assert_problem(
        app.patch(&path, &token_b, json!({"name": "shared.example.com"}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(expect_json(app.get(&path, &token_b).await, 200).await, mine);
}

#[tokio::test]
async fn if_match_guards_updates_and_deletes() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Versions").await;
    let d = expect_json(
        create_domain(&app, &token, &tenant, "v.example.com").await,
        201,
    )
    .await;
    let path = format!("{}/{}", domains(&tenant), d["id"].as_str().unwrap());

    let res = app
        .req(Method::PATCH, &path, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "v2.example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .req(Method::PATCH, &path, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "v3.example.com"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .req(Method::DELETE, &path, &token)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let now = expect_json(app.get(&path, &token).await, 200).await;
    assert_eq!(now["name"], "v2.example.com");
    assert_eq!(now["version"], 2);
    let res = app
        .req(Method::DELETE, &path, &token)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn unknown_domains_and_tenants_are_404() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Lookups").await;
    let missing = format!("{}/{}", domains(&tenant), Uuid::now_v7());
    assert_problem(app.get(&missing, &token).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("{}/not-a-uuid", domains(&tenant)), &token)
            .await,
        404,
        "not_found",
    )
    .await;
    let other_tenant = domains(&Uuid::now_v7().to_string());
    assert_problem(app.get(&other_tenant, &app.admin).await, 404, "not_found").await;
    assert_problem(
        app.post(
            &other_tenant,
            &app.admin,
            json!({"name": "ghost.example.com"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert!(audit_events(&app, "action=domain.create").await.is_empty());
}
