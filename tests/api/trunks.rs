//! `/v1/trunks` (platform carrier trunks) and `/v1/tenants/{tenant_id}/trunks`.

use crate::common::*;
use centralita_domain::{entities::trunk, secretbox::SecretBox};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SECRET: &str = "carrier-s3cret-Password";

fn trunks(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/trunks")
}

async fn keyed_app() -> TestApp {
    TestApp::spawn_with(|c| c.trunk_secret_key = Some(KEY.into())).await
}

#[tokio::test]
async fn tenant_trunk_crud_keeps_the_password_sealed() {
    let app = keyed_app().await;
    let (tenant, token) = app.tenant_with_admin("Trunks").await;

    let res = app
        .post(
            &trunks(&tenant),
            &token,
            json!({
                "name": "My carrier",
                "host": "sip.carrier.example.net",
                "username": "acme",
                "password": SECRET,
                "register": true,
                "realm": "carrier.example.net",
                "max_channels": 30,
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", trunks(&tenant)));
    assert_eq!(created["tenant_id"], tenant.as_str());
    assert_eq!(created["port"], 5060);
    assert_eq!(created["transport"], "udp");
    assert_eq!(created["has_password"], true);
    assert_eq!(created["register"], true);
    assert_eq!(created["enabled"], true);
    assert_eq!(created["max_channels"], 30);
    assert!(created.get("password").is_none());
    assert_no_secrets(&created, &[SECRET]);

    // Stored sealed, and it opens with the configured key.
    let row = trunk::Entity::find_by_id(Uuid::parse_str(&id).unwrap())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    let sealed = row.password_sealed.unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains(SECRET));
    assert_eq!(
        SecretBox::from_key_str(KEY).unwrap().open(&sealed).unwrap(),
        SECRET
    );

    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert_eq!(got, created);
    let listed = list_all(&app, &trunks(&tenant), &token).await;
    assert_eq!(listed, vec![created.clone()]);
    assert_no_secrets(&Value::Array(listed), &[SECRET]);
    let filtered = expect_json(
        app.get(&format!("{}?transport=tls", trunks(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(filtered["items"], json!([]));

    // A patch changing nothing (same password included) keeps the version.
    let same = expect_json(
        app.patch(
            &location,
            &token,
            json!({"name": "My carrier", "password": SECRET, "port": 5060}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["version"], 1);

    let res = app
        .patch(
            &location,
            &token,
            json!({"transport": "tls", "port": 5061, "host": "192.0.2.10"}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(changed["transport"], "tls");
    assert_eq!(changed["host"], "192.0.2.10");

    // Stale If-Match → 412, nothing changes.
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    // Removing the password while registering is refused; with register off it works.
    let bad = assert_problem(
        app.patch(&location, &token, json!({"password": null}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&bad, "register", "needs_credentials");
    let cleared = expect_json(
        app.patch(
            &location,
            &token,
            json!({"password": null, "register": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cleared["has_password"], false);
    assert_eq!(cleared["version"], 3);

    let events = audit_events(&app, &format!("resource_id={id}")).await;
    assert!(events.len() >= 3, "{events:?}");
    assert_no_secrets(&Value::Array(events), &[SECRET]);

    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"3\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
}

#[tokio::test]
async fn bad_trunks_are_refused_with_every_field_named() {
    let app = keyed_app().await;
    let (tenant, token) = app.tenant_with_admin("Bad trunks").await;
    let bad = assert_problem(
        app.post(
            &trunks(&tenant),
            &token,
            json!({
                "name": "",
                "host": "not a host",
                "port": 70000,
                "register": true,
                "realm": "-bad-",
                "max_channels": 0,
                "username": "has space",
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    for (field, code) in [
        ("name", "invalid_length"),
        ("host", "invalid_host"),
        ("port", "out_of_range"),
        ("register", "needs_credentials"),
        ("realm", "invalid_hostname"),
        ("max_channels", "out_of_range"),
        ("username", "invalid_credential"),
    ] {
        assert_field_error(&bad, field, code);
    }
    let bad = assert_problem(
        app.post(
            &trunks(&tenant),
            &token,
            json!({"name": "x", "host": "sip.example.com", "transport": "sctp"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        bad["detail"].as_str().unwrap().contains("transport"),
        "{bad}"
    );
    assert!(list_all(&app, &trunks(&tenant), &token).await.is_empty());

    // Names are unique per owner.
    let body = json!({"name": "Dup", "host": "sip.example.com"});
    assert_eq!(
        app.post(&trunks(&tenant), &token, body.clone())
            .await
            .status(),
        201
    );
    assert_problem(
        app.post(&trunks(&tenant), &token, body.clone()).await,
        409,
        "conflict",
    )
    .await;
    // …but another tenant, or the platform, may use the same name.
    let (other, other_token) = app.tenant_with_admin("Other trunks").await;
    assert_eq!(
        app.post(&trunks(&other), &other_token, body.clone())
            .await
            .status(),
        201
    );
    assert_eq!(app.post("/v1/trunks", &app.admin, body).await.status(), 201);
}

#[tokio::test]
async fn a_password_without_a_configured_key_is_refused_clearly() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("No key").await;
    let problem = assert_problem(
        app.post(
            &trunks(&tenant),
            &token,
            json!({"name": "T", "host": "sip.example.com", "username": "u", "password": SECRET}),
        )
        .await,
        503,
        "unavailable",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("trunk_secret_key"),
        "{problem}"
    );
    assert_field_error(&problem, "password", "encryption_unavailable");
    assert_no_secrets(&problem, &[SECRET]);
    assert!(list_all(&app, &trunks(&tenant), &token).await.is_empty());
    // Without a password the trunk is fine.
    let created = expect_json(
        app.post(
            &trunks(&tenant),
            &token,
            json!({"name": "T", "host": "sip.example.com"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["has_password"], false);
}

#[tokio::test]
async fn carrier_trunks_are_for_platform_staff() {
    let app = keyed_app().await;
    let body = json!({"name": "Carrier A", "host": "sip.carrier-a.example.com", "transport": "tcp",
        "username": "platform", "password": SECRET});
    let created = expect_json(app.post("/v1/trunks", &app.admin, body.clone()).await, 201).await;
    assert!(created["tenant_id"].is_null());
    assert_eq!(created["has_password"], true);
    let location = format!("/v1/trunks/{}", created["id"].as_str().unwrap());

    let (_, support) = support_token(&app).await;
    assert_eq!(
        expect_json(app.get(&location, &support).await, 200).await,
        created
    );
    assert_eq!(
        list_all(&app, "/v1/trunks", &support).await,
        vec![created.clone()]
    );
    assert_problem(
        app.post("/v1/trunks", &support, body.clone()).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch(&location, &support, json!({"enabled": false}))
            .await,
        403,
        "forbidden",
    )
    .await;

    let (tenant, tenant_admin) = app.tenant_with_admin("Customer").await;
    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let (_, partner_admin) = app.create_user(&app.admin, &partner, "partner_admin").await;
    for token in [&tenant_admin, &partner_admin] {
        assert_problem(app.get("/v1/trunks", token).await, 403, "forbidden").await;
        assert_problem(app.get(&location, token).await, 403, "forbidden").await;
        assert_problem(
            app.post("/v1/trunks", token, body.clone()).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(app.delete(&location, token).await, 403, "forbidden").await;
    }
    // A carrier trunk is not one of the tenant's own trunks.
    assert!(
        list_all(&app, &trunks(&tenant), &tenant_admin)
            .await
            .is_empty()
    );
    let foreign = format!("{}/{}", trunks(&tenant), created["id"].as_str().unwrap());
    assert_problem(app.get(&foreign, &tenant_admin).await, 404, "not_found").await;
    // …and a tenant trunk is not reachable through the platform path.
    let own = expect_json(
        app.post(
            &trunks(&tenant),
            &tenant_admin,
            json!({"name": "Own", "host": "sip.example.com"}),
        )
        .await,
        201,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/v1/trunks/{}", own["id"].as_str().unwrap()),
            &app.admin,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    let renamed = expect_json(
        app.patch(&location, &app.admin, json!({"name": "Carrier B"}))
            .await,
        200,
    )
    .await;
    assert_eq!(renamed["version"], 2);
    assert_eq!(app.delete(&location, &app.admin).await.status(), 204);
    assert_problem(app.get(&location, &app.admin).await, 404, "not_found").await;
}
