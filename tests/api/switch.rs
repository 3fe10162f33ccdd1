//! Switch nodes and the switch surface (`/v1/switch/*`).

use crate::common::*;
use centralita_domain::sip::digests;
use reqwest::Method;
use serde_json::{Value, json};

async fn register_node(app: &TestApp, name: &str) -> (String, String) {
    let res = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": name, "kind": "kamailio", "addresses": ["127.0.0.1", "sip1.example.com"]}),
        )
        .await;
    let v = expect_json(res, 201).await;
    (
        v["id"].as_str().unwrap().to_owned(),
        v["token"].as_str().unwrap().to_owned(),
    )
}

async fn directory(app: &TestApp, token: &str, domain: &str, user: &str) -> reqwest::Response {
    app.req(
        Method::GET,
        &format!("/v1/switch/directory/{domain}/{user}"),
        token,
    )
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn nodes_are_registered_by_platform_admins_and_tokens_are_shown_once() {
    let app = TestApp::spawn().await;
    let (id, token) = register_node(&app, "edge-1").await;
    assert!(token.starts_with("sn_"), "{token}");
    let v = expect_json(
        app.get(&format!("/v1/switch-nodes/{id}"), &app.admin).await,
        200,
    )
    .await;
    assert_eq!(v["name"], "edge-1");
    assert_eq!(v["addresses"], json!(["127.0.0.1", "sip1.example.com"]));
    assert_eq!(v["status"], "active");
    assert!(v.get("token").is_none());
    assert!(
        !v.to_string().contains(&token[16..]),
        "the secret is never read back"
    );
    let all = list_all(&app, "/v1/switch-nodes", &app.admin).await;
    assert_eq!(all.len(), 1);
    assert!(!Value::Array(all).to_string().contains(&token[16..]));

    // Bad inputs change nothing.
    for body in [
        json!({"name": "", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        json!({"name": "x", "kind": "asterisk", "addresses": ["127.0.0.1"]}),
        json!({"name": "x", "kind": "kamailio", "addresses": []}),
        json!({"name": "x", "kind": "kamailio", "addresses": ["not a host"]}),
        json!({"name": "x", "kind": "kamailio", "addresses": ["127.0.0.1"], "token": "mine"}),
    ] {
        assert_problem(
            app.post("/v1/switch-nodes", &app.admin, body).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let dup = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "edge-1", "kind": "kamailio", "addresses": ["127.0.0.2"]}),
        )
        .await;
    assert_problem(dup, 409, "conflict").await;
    assert_eq!(
        list_all(&app, "/v1/switch-nodes", &app.admin).await.len(),
        1
    );

    // Stale If-Match.
    let res = app
        .req(Method::PATCH, &format!("/v1/switch-nodes/{id}"), &app.admin)
        .header("If-Match", "\"7\"")
        .json(&json!({"name": "edge-one"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    // Only staff: tenant admins are refused, support reads but doesn't write.
    let (_, tenant_admin) = app.tenant_with_admin("Not staff").await;
    assert_problem(
        app.get("/v1/switch-nodes", &tenant_admin).await,
        403,
        "forbidden",
    )
    .await;
    let (_, support) = support_token(&app).await;
    assert_eq!(app.get("/v1/switch-nodes", &support).await.status(), 200);
    let res = app
        .post(
            "/v1/switch-nodes",
            &support,
            json!({"name": "s", "kind": "kamailio", "addresses": ["127.0.0.3"]}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(
        audit_events(&app, "action=switch_node.create").await.len(),
        1
    );
}

#[tokio::test]
async fn the_directory_answers_digests_to_nodes_only() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Directory Co").await;
    claim_did(&app, &admin, &t, "+12125550123").await;
    let domain = domain_name();
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/domains"),
            &admin,
            json!({"name": domain}),
        )
        .await,
        201,
    )
    .await;
    let created = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/users"),
            &admin,
            json!({
                "email": format!("{}@dir.example.com", uuid::Uuid::now_v7().simple()),
                "display_name": "Dee", "role": "tenant_user", "password": PASSWORD,
                "extension": {"number": "1001", "display_name": "Dee", "external_caller_id": "+12125550123"},
                "voicemail": {"mailbox": "1001", "pin": "480613"}
            }),
        )
        .await,
        201,
    )
    .await;
    let password = created["extension"]["sip_password"].as_str().unwrap();
    let (node_id, node) = register_node(&app, "edge-1").await;

    let entry = expect_json(directory(&app, &node, &domain, "1001").await, 200).await;
    let expected = digests("1001", &domain, password);
    assert_eq!(entry["ha1"], expected.ha1.as_str());
    assert_eq!(entry["ha1b"], expected.ha1b.as_str());
    assert_eq!(entry["tenant_id"], t.as_str());
    assert_eq!(entry["number"], "1001");
    assert_eq!(entry["caller_id"]["internal_name"], "Dee");
    assert_eq!(entry["caller_id"]["external_number"], "+12125550123");
    assert_eq!(entry["voicemail"]["mailbox"], "1001");
    assert!(!entry.to_string().contains(password), "no plaintext");

    // Domains match case-insensitively; unknown users and domains are 404.
    assert_eq!(
        directory(&app, &node, &domain.to_uppercase(), "1001")
            .await
            .status(),
        200
    );
    assert_problem(
        directory(&app, &node, &domain, "1002").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        directory(&app, &node, "nowhere.example.com", "1001").await,
        404,
        "not_found",
    )
    .await;

    // Only node tokens open the switch surface, and node tokens open nothing else.
    let key = create_api_key(&app, &admin, &t, "tenant_admin").await;
    for token in [
        admin.as_str(),
        app.admin.as_str(),
        key["key"].as_str().unwrap(),
        "sn_0000_bogus",
        "",
    ] {
        assert_problem(
            directory(&app, token, &domain, "1001").await,
            401,
            "unauthenticated",
        )
        .await;
    }
    assert_problem(app.get("/v1/me", &node).await, 401, "unauthenticated").await;
    assert_problem(
        app.get(&format!("/v1/tenants/{t}/extensions"), &node).await,
        401,
        "unauthenticated",
    )
    .await;

    // Rotation: the old token stops, the new one works.
    let rotated = expect_json(
        app.post(
            &format!("/v1/switch-nodes/{node_id}/rotate-token"),
            &app.admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let new_token = rotated["token"].as_str().unwrap();
    assert_problem(
        directory(&app, &node, &domain, "1001").await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        directory(&app, new_token, &domain, "1001").await.status(),
        200
    );

    // A disabled node is refused at once.
    expect_json(
        app.patch(
            &format!("/v1/switch-nodes/{node_id}"),
            &app.admin,
            json!({"status": "disabled"}),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        directory(&app, new_token, &domain, "1001").await,
        401,
        "unauthenticated",
    )
    .await;
    expect_json(
        app.patch(
            &format!("/v1/switch-nodes/{node_id}"),
            &app.admin,
            json!({"status": "active"}),
        )
        .await,
        200,
    )
    .await;

    // A suspended tenant's users are not in the directory.
    expect_json(
        app.patch(
            &format!("/v1/tenants/{t}"),
            &app.admin,
            json!({"status": "suspended"}),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        directory(&app, new_token, &domain, "1001").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_directory_follows_password_resets_and_deletes() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Reset Co").await;
    let domain = domain_name();
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/domains"),
            &admin,
            json!({"name": domain}),
        )
        .await,
        201,
    )
    .await;
    let ext = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions"),
            &admin,
            json!({"number": "2001", "display_name": "Two", "sip_username": "two"}),
        )
        .await,
        201,
    )
    .await;
    let id = ext["id"].as_str().unwrap();
    let (_, node) = register_node(&app, "edge-1").await;
    let before = expect_json(directory(&app, &node, &domain, "two").await, 200).await;
    let reset = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions/{id}/reset-password"),
            &admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let after = expect_json(directory(&app, &node, &domain, "two").await, 200).await;
    assert_ne!(before["ha1"], after["ha1"]);
    assert_eq!(
        after["ha1"],
        digests("two", &domain, reset["sip_password"].as_str().unwrap())
            .ha1
            .as_str()
    );
    assert_eq!(
        app.delete(&format!("/v1/tenants/{t}/extensions/{id}"), &admin)
            .await
            .status(),
        204
    );
    assert_problem(
        directory(&app, &node, &domain, "two").await,
        404,
        "not_found",
    )
    .await;
}

/// Renaming a SIP domain drops the digests made for the old realm (they can never match
/// again); a password reset makes new ones for the new name.
#[tokio::test]
async fn renaming_a_domain_drops_its_stale_digests() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Rename Co").await;
    let old = domain_name();
    let d = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/domains"),
            &admin,
            json!({"name": old}),
        )
        .await,
        201,
    )
    .await;
    let ext = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions"),
            &admin,
            json!({"number": "3001", "display_name": "Three"}),
        )
        .await,
        201,
    )
    .await;
    let (_, node) = register_node(&app, "edge-1").await;
    assert_eq!(directory(&app, &node, &old, "3001").await.status(), 200);
    let new = domain_name();
    let path = format!("/v1/tenants/{t}/domains/{}", d["id"].as_str().unwrap());
    expect_json(app.patch(&path, &admin, json!({"name": new})).await, 200).await;
    assert_problem(directory(&app, &node, &old, "3001").await, 404, "not_found").await;
    assert_problem(directory(&app, &node, &new, "3001").await, 404, "not_found").await;
    let ext_path = format!("/v1/tenants/{t}/extensions/{}", ext["id"].as_str().unwrap());
    assert_eq!(
        expect_json(app.get(&ext_path, &admin).await, 200).await["sip_realms"],
        json!([])
    );
    let reset = expect_json(
        app.post(&format!("{ext_path}/reset-password"), &admin, json!({}))
            .await,
        200,
    )
    .await;
    let entry = expect_json(directory(&app, &node, &new, "3001").await, 200).await;
    assert_eq!(
        entry["ha1"],
        digests("3001", &new, reset["sip_password"].as_str().unwrap())
            .ha1
            .as_str()
    );
}
