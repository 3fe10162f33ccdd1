//! `/v1/dids` (the platform's DID inventory) and `/v1/tenants/{tenant_id}/dids`.

use crate::common::*;
use centralita_domain::entities::did_assignment;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

fn tenant_dids(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/dids")
}

async fn carrier(app: &TestApp) -> String {
    let t = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": format!("Carrier {}", Uuid::now_v7()), "host": "sip.carrier.example.com"}),
        )
        .await,
        201,
    )
    .await;
    t["id"].as_str().unwrap().to_owned()
}

/// Bills the tenant in euros, the currency of the test numbers' fees (a claim of a number
/// priced in another currency than the account's is refused).
async fn bill_in_euros(app: &TestApp, tenant: &str) {
    expect_json(
        app.patch(
            &format!("/v1/tenants/{tenant}/billing-account"),
            &app.admin,
            json!({"currency": "EUR"}),
        )
        .await,
        200,
    )
    .await;
}

async fn add_did(app: &TestApp, trunk: &str, number: &str) -> Value {
    expect_json(
        app.post(
            "/v1/dids",
            &app.admin,
            json!({"number": number, "carrier_trunk_id": trunk, "setup_fee": "10",
                "monthly_fee": "1.5", "currency": "eur"}),
        )
        .await,
        201,
    )
    .await
}

async fn assignments(app: &TestApp, did: &str) -> Vec<did_assignment::Model> {
    did_assignment::Entity::find()
        .filter(did_assignment::Column::DidId.eq(Uuid::parse_str(did).unwrap()))
        .all(&app.core.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn inventory_crud_with_exact_fees_and_numbering() {
    let app = TestApp::spawn().await;
    let trunk = carrier(&app).await;
    let res = app
        .post(
            "/v1/dids",
            &app.admin,
            json!({"number": "+34 911 23 45 67", "carrier_trunk_id": trunk,
                "setup_fee": "12.345678", "monthly_fee": "0.1", "currency": "EUR"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/dids/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["number"], "+34911234567");
    assert_eq!(created["country"], "ES");
    assert_eq!(created["number_type"], "fixed_line");
    assert_eq!(created["carrier_trunk_id"], trunk.as_str());
    assert_eq!(created["setup_fee"], "12.345678");
    assert_eq!(created["monthly_fee"], "0.10");
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["status"], "available");
    assert!(created["tenant_id"].is_null() && created["assigned_at"].is_null());

    assert_eq!(
        expect_json(app.get(&location, &app.admin).await, 200).await,
        created
    );
    let us = add_did(&app, &trunk, "+1 212 736 5000").await;
    assert_eq!(us["country"], "US");
    assert_eq!(us["number_type"], "fixed_line_or_mobile");
    assert_eq!(list_all(&app, "/v1/dids", &app.admin).await.len(), 2);
    let es = expect_json(app.get("/v1/dids?country=es", &app.admin).await, 200).await;
    assert_eq!(es["items"], json!([created.clone()]));

    // Same number, in any spelling: 409.
    assert_problem(
        app.post(
            "/v1/dids",
            &app.admin,
            json!({"number": "+34 91 123 45 67", "carrier_trunk_id": trunk, "currency": "EUR"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;

    // Bad input: every field named, nothing written.
    let bad = assert_problem(
        app.post(
            "/v1/dids",
            &app.admin,
            json!({"number": "911234567", "carrier_trunk_id": Uuid::now_v7(),
                "setup_fee": "-1", "monthly_fee": "0.0000001", "currency": "EURO",
                "status": "assigned"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    for (field, code) in [
        ("number", "e164_missing_plus"),
        ("carrier_trunk_id", "unknown_trunk"),
        ("setup_fee", "invalid_amount"),
        ("monthly_fee", "invalid_amount"),
        ("currency", "invalid_currency"),
        ("status", "invalid_status"),
    ] {
        assert_field_error(&bad, field, code);
    }
    // Three letters are not enough: the code must be in ISO 4217, with minor units.
    for currency in ["ABC", "XAU"] {
        let res = app
            .post(
                "/v1/dids",
                &app.admin,
                json!({"number": "+34 91 123 45 99", "carrier_trunk_id": trunk, "currency": currency}),
            )
            .await;
        assert_field_error(
            &assert_problem(res, 422, "validation_failed").await,
            "currency",
            "invalid_currency",
        );
    }
    // A tenant's own trunk is not a carrier trunk.
    let (tenant, token) = app.tenant_with_admin("Own trunk").await;
    let own = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/trunks"),
            &token,
            json!({"name": "Own", "host": "sip.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let bad = assert_problem(
        app.post(
            "/v1/dids",
            &app.admin,
            json!({"number": "+34612345678", "carrier_trunk_id": own["id"], "currency": "EUR"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&bad, "carrier_trunk_id", "unknown_trunk");
    assert_eq!(list_all(&app, "/v1/dids", &app.admin).await.len(), 2);

    // Patch: no-op keeps the version; a change bumps it; stale If-Match is 412.
    let same = expect_json(
        app.patch(
            &location,
            &app.admin,
            json!({"monthly_fee": "0.10", "currency": "eur"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["version"], 1);
    let reserved = expect_json(
        app.patch(
            &location,
            &app.admin,
            json!({"status": "reserved", "monthly_fee": "2"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(reserved["version"], 2);
    assert_eq!(reserved["status"], "reserved");
    assert_eq!(reserved["monthly_fee"], "2.00");
    let res = app
        .req(Method::PATCH, &location, &app.admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "available"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    // The carrier trunk is in use.
    let p = assert_problem(
        app.delete(&format!("/v1/trunks/{trunk}"), &app.admin).await,
        409,
        "conflict",
    )
    .await;
    assert_field_error(
        &p,
        &format!("did/{}", created["id"].as_str().unwrap()),
        "still_referenced",
    );

    assert_eq!(app.delete(&location, &app.admin).await.status(), 204);
    assert_problem(app.get(&location, &app.admin).await, 404, "not_found").await;
    let events = audit_events(
        &app,
        &format!("resource_id={}", created["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(events.len(), 3, "{events:?}");
}

#[tokio::test]
async fn who_sees_the_inventory() {
    let app = TestApp::spawn().await;
    let trunk = carrier(&app).await;
    let free = add_did(&app, &trunk, "+34911234567").await;
    let held = add_did(&app, &trunk, "+34612345678").await;

    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let (_, partner_admin) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let customer = app
        .create_tenant(&partner_admin, "Customer", Some(&partner))
        .await;
    let (_, customer_admin) = app
        .create_user(&partner_admin, &customer, "tenant_admin")
        .await;
    bill_in_euros(&app, &customer).await;
    let claimed = expect_json(
        app.post(
            &tenant_dids(&customer),
            &customer_admin,
            json!({"did_id": held["id"]}),
        )
        .await,
        201,
    )
    .await;
    assert!(claimed.get("carrier_trunk_id").is_none(), "{claimed}");

    let (_, support) = support_token(&app).await;
    assert_eq!(list_all(&app, "/v1/dids", &support).await.len(), 2);
    assert_problem(
        app.post(
            "/v1/dids",
            &support,
            json!({"number": "+34911234568", "carrier_trunk_id": trunk, "currency": "EUR"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // Partners see the numbers held in their subtree, read-only, without the carrier trunk.
    let seen = list_all(&app, "/v1/dids", &partner_admin).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["id"], held["id"]);
    assert!(seen[0].get("carrier_trunk_id").is_none());
    let path = format!("/v1/dids/{}", free["id"].as_str().unwrap());
    assert_problem(app.get(&path, &partner_admin).await, 404, "not_found").await;
    let held_path = format!("/v1/dids/{}", held["id"].as_str().unwrap());
    assert_eq!(
        expect_json(app.get(&held_path, &partner_admin).await, 200).await["id"],
        held["id"]
    );
    assert_problem(
        app.patch(&held_path, &partner_admin, json!({"monthly_fee": "0"}))
            .await,
        403,
        "forbidden",
    )
    .await;

    // Tenant admins use their tenant's path only.
    assert_problem(app.get("/v1/dids", &customer_admin).await, 403, "forbidden").await;
    assert_problem(app.get(&held_path, &customer_admin).await, 403, "forbidden").await;
}

#[tokio::test]
async fn claim_route_and_release() {
    let app = TestApp::spawn().await;
    let trunk = carrier(&app).await;
    let did = add_did(&app, &trunk, "+34911234567").await;
    let did_id = did["id"].as_str().unwrap().to_owned();
    let reserved = add_did(&app, &trunk, "+34612345678").await;
    expect_json(
        app.patch(
            &format!("/v1/dids/{}", reserved["id"].as_str().unwrap()),
            &app.admin,
            json!({"status": "reserved"}),
        )
        .await,
        200,
    )
    .await;
    let (tenant, token) = app.tenant_with_admin("Claimer").await;
    let (other, other_token) = app.tenant_with_admin("Rival").await;
    bill_in_euros(&app, &tenant).await;
    bill_in_euros(&app, &other).await;

    // Bad claims.
    let p = assert_problem(
        app.post(&tenant_dids(&tenant), &token, json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "did_id", "one_of_required");
    let p = assert_problem(
        app.post(
            &tenant_dids(&tenant),
            &token,
            json!({"did_id": Uuid::now_v7()}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "did_id", "unknown_did");
    assert_problem(
        app.post(
            &tenant_dids(&tenant),
            &token,
            json!({"number": "+34 612 34 56 78"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;

    // Claim by number, with an idempotency key: a replay gives the same answer.
    let send = |key: &str, body: Value| {
        app.req(Method::POST, &tenant_dids(&tenant), &token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let res = send("claim-1", json!({"number": "+34 911 23 45 67"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = header(&res, "location");
    assert_eq!(location, format!("{}/{did_id}", tenant_dids(&tenant)));
    let claimed: Value = res.json().await.unwrap();
    assert_eq!(claimed["status"], "assigned");
    assert_eq!(claimed["tenant_id"], tenant.as_str());
    assert!(claimed["assigned_at"].is_string());
    assert_eq!(claimed["version"], 2);
    let res = send("claim-1", json!({"number": "+34 911 23 45 67"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "idempotent-replayed"), "true");
    assert_eq!(header(&res, "location"), location);
    assert_eq!(res.json::<Value>().await.unwrap(), claimed);
    assert_problem(
        send("claim-1", json!({"did_id": did_id})).await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    // Without the key, claiming again is a conflict; so it is for a rival tenant.
    assert_problem(
        app.post(&tenant_dids(&tenant), &token, json!({"did_id": did_id}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.post(
            &tenant_dids(&other),
            &other_token,
            json!({"did_id": did_id}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(
        list_all(&app, &tenant_dids(&tenant), &token).await,
        vec![claimed.clone()]
    );
    assert!(
        list_all(&app, &tenant_dids(&other), &other_token)
            .await
            .is_empty()
    );
    assert_problem(
        app.get(&format!("{}/{did_id}", tenant_dids(&other)), &other_token)
            .await,
        404,
        "not_found",
    )
    .await;
    let history = assignments(&app, &did_id).await;
    assert_eq!(history.len(), 1);
    assert!(history[0].released_at.is_none());

    // Point it at an extension: a foreign or missing destination is 422, and the target
    // then cannot be deleted.
    let ext = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Desk"}),
    )
    .await;
    let foreign = create_extension(
        &app,
        &other_token,
        &other,
        json!({"number": "201", "display_name": "Theirs"}),
    )
    .await;
    let p = assert_problem(
        app.patch(
            &location,
            &token,
            json!({"destination": {"type": "extension", "id": foreign["id"]}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "destination", "unknown_destination");
    let ext_id = ext["id"].as_str().unwrap().to_owned();
    let routed = expect_json(
        app.patch(
            &location,
            &token,
            json!({"destination": {"type": "extension", "id": ext_id}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        routed["destination"],
        json!({"type": "extension", "id": ext_id})
    );
    assert_eq!(routed["version"], 3);
    let same = expect_json(
        app.patch(
            &location,
            &token,
            json!({"destination": {"type": "extension", "id": ext_id}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["version"], 3);
    let ext_path = format!("{}/{ext_id}", extensions_path(&tenant));
    let p = assert_problem(app.delete(&ext_path, &token).await, 409, "conflict").await;
    assert_field_error(&p, &format!("did/{did_id}"), "still_referenced");
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"2\"")
        .json(&json!({"destination": null}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    // Release: available again, the target is free, the history has the release time.
    assert_eq!(app.delete(&location, &token).await.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    let back = expect_json(
        app.get(&format!("/v1/dids/{did_id}"), &app.admin).await,
        200,
    )
    .await;
    assert_eq!(back["status"], "available");
    assert!(back["tenant_id"].is_null() && back["destination"].is_null());
    assert!(back["released_at"].is_string());
    assert_eq!(app.delete(&ext_path, &token).await.status(), 204);
    let history = assignments(&app, &did_id).await;
    assert_eq!(history.len(), 1);
    assert!(history[0].released_at.is_some());

    // The rival may claim it now; history grows.
    expect_json(
        app.post(
            &tenant_dids(&other),
            &other_token,
            json!({"did_id": did_id}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(assignments(&app, &did_id).await.len(), 2);
    // The platform cannot delete a held number.
    assert_problem(
        app.delete(&format!("/v1/dids/{did_id}"), &app.admin).await,
        409,
        "conflict",
    )
    .await;
    let actions: Vec<String> = audit_events(&app, &format!("resource_id={did_id}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for a in ["did.create", "did.assign", "did.update", "did.release"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing in {actions:?}");
    }
}

/// Concurrent retries of one claim (one `Idempotency-Key`) all get the one answer: the
/// losers of the race replay the winner's instead of a 409.
#[tokio::test]
async fn concurrent_claims_with_one_idempotency_key_get_one_answer() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Racing claims").await;
    bill_in_euros(&app, &tenant).await;
    let trunk = carrier(&app).await;
    let did = add_did(&app, &trunk, "+34911230000").await;
    let send = || {
        app.req(Method::POST, &tenant_dids(&tenant), &token)
            .header("Idempotency-Key", "claim-race")
            .json(&json!({"number": "+34911230000"}))
            .send()
    };
    let answers = futures_util::future::join_all((0..4).map(|_| send())).await;
    let mut fresh = 0;
    for res in answers {
        let (status, headers, body) = parts(res.unwrap()).await;
        assert_eq!(status, 201, "{body} {headers:?}");
        assert_eq!(body["id"], did["id"]);
        if headers.get("idempotent-replayed").is_none() {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "one request claimed, the others replayed");
    assert_eq!(
        assignments(&app, did["id"].as_str().unwrap()).await.len(),
        1
    );
    // Another key for the same number is a plain conflict: the number is held.
    let res = app
        .req(Method::POST, &tenant_dids(&tenant), &token)
        .header("Idempotency-Key", "another")
        .json(&json!({"number": "+34911230000"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "conflict").await;
}
