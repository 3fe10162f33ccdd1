//! `/v1/tenants/{tenant_id}/api-keys[/{key_id}]` and API keys as bearer tokens.

use crate::common::*;
use centralita_domain::entities::api_key;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

fn keys(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/api-keys")
}

#[tokio::test]
async fn a_key_is_shown_once_and_works_as_a_bearer_token() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Keys").await;
    let res = app
        .post(
            &keys(&tenant),
            &token,
            json!({"name": " CRM sync ", "role": "tenant_admin"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", keys(&tenant)));
    let key = created["key"].as_str().unwrap().to_owned();
    // ck_<12 hex>_<64 hex>
    let (prefix, secret) = key.strip_prefix("ck_").unwrap().split_once('_').unwrap();
    assert_eq!(prefix.len(), 12);
    assert!(prefix.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(created["prefix"], prefix);
    assert_eq!(created["name"], "CRM sync");
    assert_eq!(created["role"], "tenant_admin");
    assert_eq!(created["tenant_id"], tenant.as_str());
    assert!(created["expires_at"].is_null());
    assert!(created["revoked_at"].is_null());
    assert!(created["last_used_at"].is_null());

    // Never again: not in GET, not in the list, not even its hash.
    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert!(got.get("key").is_none(), "{got}");
    assert_no_secrets(&got, &[&key, secret]);
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("key");
    assert_eq!(got, expected);
    let all = list_all(&app, &keys(&tenant), &token).await;
    assert_eq!(all, vec![expected]);
    assert_no_secrets(&Value::Array(all), &[&key, secret]);

    // The key authenticates as itself.
    let me = expect_json(app.get("/v1/me", &key).await, 200).await;
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["role"], "tenant_admin");
    assert_eq!(me["tenant_id"], tenant.as_str());
    assert!(me["user"].is_null());
    // It acts within its tenant, audited as the key.
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/domains"),
            &key,
            json!({"name": "bykey.example.com"}),
        )
        .await;
    let domain = expect_json(res, 201).await;
    let events = audit_events(
        &app,
        &format!("resource_id={}", domain["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor_type"], "api_key");
    assert_eq!(events[0]["actor_id"], id.as_str());
    assert_eq!(events[0]["actor_role"], "tenant_admin");
    // Use is recorded.
    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert!(got["last_used_at"].is_string(), "{got}");
}

#[tokio::test]
async fn a_key_acts_with_its_own_role() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Roles").await;
    let key = create_api_key(&app, &token, &tenant, "tenant_user").await;
    let key = key["key"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/tenants/{tenant}/domains"), key)
            .await
            .status(),
        200
    );
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/domains"),
            key,
            json!({"name": "no.example.com"}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert_problem(app.get(&keys(&tenant), key).await, 403, "forbidden").await;
    assert!(
        list_all(&app, &format!("/v1/tenants/{tenant}/domains"), &token)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn revoked_keys_stop_working_at_once() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Revoke").await;
    let created = create_api_key(&app, &token, &tenant, "tenant_admin").await;
    let keep = create_api_key(&app, &token, &tenant, "tenant_admin").await;
    let key = created["key"].as_str().unwrap();
    let path = format!("{}/{}", keys(&tenant), created["id"].as_str().unwrap());
    assert_eq!(app.get("/v1/me", key).await.status(), 200);

    let res = app.delete(&path, &token).await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());
    let res = app.get("/v1/me", key).await;
    let problem = assert_problem(res, 401, "unauthenticated").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    // The other key is unaffected.
    assert_eq!(
        app.get("/v1/me", keep["key"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // Listed only on request, with the time of revocation; GET still answers.
    let listed = list_all(&app, &keys(&tenant), &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], keep["id"]);
    let all = list_all(
        &app,
        &format!("{}?include_revoked=true", keys(&tenant)),
        &token,
    )
    .await;
    assert_eq!(all.len(), 2);
    let got = expect_json(app.get(&path, &token).await, 200).await;
    assert!(got["revoked_at"].is_string());
    assert_no_secrets(&got, &[key]);

    // Revoking again is a no-op, audited once.
    assert_eq!(app.delete(&path, &token).await.status(), 204);
    let events = audit_events(
        &app,
        &format!(
            "action=api_key.revoke&resource_id={}",
            created["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(events.len(), 1);
    assert_problem(
        app.delete(&format!("{}/{}", keys(&tenant), Uuid::now_v7()), &token)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn expired_keys_are_refused() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Expiry").await;
    let expires = (chrono::Utc::now() + chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let res = app
        .post(
            &keys(&tenant),
            &token,
            json!({"name": "Temp", "role": "tenant_user", "expires_at": expires}),
        )
        .await;
    let created = expect_json(res, 201).await;
    let got: chrono::DateTime<chrono::Utc> =
        created["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        got.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        expires
    );
    let key = created["key"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", key).await.status(), 200);

    // Time passes (moved in the database rather than waited for).
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    api_key::Entity::update_many()
        .col_expr(
            api_key::Column::ExpiresAt,
            Some(chrono::Utc::now() - chrono::Duration::seconds(1)).into(),
        )
        .filter(api_key::Column::Id.eq(id))
        .exec(&app.core.db)
        .await
        .unwrap();
    let problem = assert_problem(app.get("/v1/me", key).await, 401, "unauthenticated").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );
}

#[tokio::test]
async fn invalid_keys_are_refused_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Invalid keys").await;
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    for (body, field, code) in [
        (
            json!({"name": "k", "role": "tenant_user", "expires_at": past}),
            "expires_at",
            "in_the_past",
        ),
        (
            json!({"name": "k", "role": "tenant_user", "expires_at": "tomorrow"}),
            "expires_at",
            "invalid_type",
        ),
        (
            json!({"name": "k", "role": "partner_admin"}),
            "role",
            "role_not_grantable",
        ),
        (
            json!({"name": "k", "role": "platform_admin"}),
            "role",
            "role_not_grantable",
        ),
        (json!({"name": "k", "role": "god"}), "role", "invalid_type"),
        (
            json!({"name": "", "role": "tenant_user"}),
            "name",
            "invalid_length",
        ),
        (json!({"name": "k"}), "", "required"),
        (
            json!({"name": "k", "role": "tenant_user", "key": "ck_mine"}),
            "key",
            "unknown_field",
        ),
    ] {
        let res = app.post(&keys(&tenant), &token, body.clone()).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {problem}"
        );
    }
    assert!(
        list_all(
            &app,
            &format!("{}?include_revoked=true", keys(&tenant)),
            &token
        )
        .await
        .is_empty()
    );
    assert!(audit_events(&app, "action=api_key.create").await.is_empty());
    let res = app
        .get(&format!("{}?include_revoked=maybe", keys(&tenant)), &token)
        .await;
    assert_problem(res, 400, "invalid_query").await;
}

#[tokio::test]
async fn forged_keys_are_refused() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Forgery").await;
    let created = create_api_key(&app, &token, &tenant, "tenant_admin").await;
    let key = created["key"].as_str().unwrap();
    let (head, secret) = key.rsplit_once('_').unwrap();
    let mut flipped = secret.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let wrong_secret = format!("{head}_{}", String::from_utf8(flipped).unwrap());
    let truncated = &key[..key.len() - 1];
    let no_secret = format!("{head}_");
    for bad in [
        wrong_secret.as_str(),
        truncated,
        no_secret.as_str(),
        head,
        "ck_",
        "ck_nonsense",
    ] {
        assert_problem(app.get("/v1/me", bad).await, 401, "unauthenticated").await;
    }
    assert_eq!(app.get("/v1/me", key).await.status(), 200);
}

#[tokio::test]
async fn keys_of_suspended_tenants_are_refused() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Suspended").await;
    let created = create_api_key(&app, &token, &tenant, "tenant_admin").await;
    let key = created["key"].as_str().unwrap();
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}"),
            &app.admin,
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/v1/me", key).await, 403, "tenant_suspended").await;
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}"),
            &app.admin,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/v1/me", key).await.status(), 200);
}
