//! `/v1/tenants/{tenant_id}/outbound-routes[/{route_id}]` and `…/outbound-routes/test`.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn routes(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/outbound-routes")
}

async fn own_trunk(app: &TestApp, token: &str, tenant: &str, name: &str) -> String {
    let t = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/trunks"),
            token,
            json!({"name": name, "host": "sip.example.com"}),
        )
        .await,
        201,
    )
    .await;
    t["id"].as_str().unwrap().to_owned()
}

async fn carrier_trunk(app: &TestApp, name: &str) -> String {
    let t = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": name, "host": "sip.carrier.example.com"}),
        )
        .await,
        201,
    )
    .await;
    t["id"].as_str().unwrap().to_owned()
}

async fn test_number(app: &TestApp, token: &str, tenant: &str, body: Value) -> Value {
    expect_json(
        app.post(&format!("{}/test", routes(tenant)), token, body)
            .await,
        200,
    )
    .await
}

#[tokio::test]
async fn route_crud_and_trunk_references() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Routes").await;
    let own = own_trunk(&app, &token, &tenant, "Own").await;
    let did = claim_did(&app, &token, &tenant, "+12127365000").await;
    let carrier = carrier_trunk(&app, "Carrier").await;

    let res = app
        .post(
            &routes(&tenant),
            &token,
            json!({
                "name": "National",
                "patterns": ["9|nxxnxxxxxx", "1+[2-9]xx"],
                "trunk_ids": [own, carrier],
                "caller_id_override": "+1 212 736 5000",
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", routes(&tenant)));
    assert_eq!(created["patterns"], json!(["9|NXXNXXXXXX", "1+[2-9]XX"]));
    assert_eq!(created["trunk_ids"], json!([own, carrier]));
    assert_eq!(created["caller_id_override"], "+12127365000");
    assert_eq!(created["position"], 0);
    assert_eq!(created["strip"], 0);
    assert_eq!(created["prepend"], "");
    assert_eq!(created["enabled"], true);

    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await,
        created
    );
    assert_eq!(
        list_all(&app, &routes(&tenant), &token).await,
        vec![created.clone()]
    );
    let by_trunk = expect_json(
        app.get(&format!("{}?trunk_id={carrier}", routes(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(by_trunk["items"], json!([created.clone()]));

    // The trunks are in use: deleting either answers 409 naming the route.
    let problem = assert_problem(
        app.delete(&format!("/v1/tenants/{tenant}/trunks/{own}"), &token)
            .await,
        409,
        "conflict",
    )
    .await;
    assert_field_error(
        &problem,
        &format!("outbound_route/{id}"),
        "still_referenced",
    );
    let problem = assert_problem(
        app.delete(&format!("/v1/trunks/{carrier}"), &app.admin)
            .await,
        409,
        "conflict",
    )
    .await;
    assert_field_error(
        &problem,
        &format!("outbound_route/{id}"),
        "still_referenced",
    );

    // So is the DID it presents; and it presents only numbers the tenant holds.
    let did_path = format!("/v1/tenants/{tenant}/dids/{did}");
    assert_field_error(
        &assert_problem(app.delete(&did_path, &token).await, 409, "conflict").await,
        &format!("outbound_route/{id}"),
        "still_referenced",
    );
    let res = app
        .patch(
            &location,
            &token,
            json!({"caller_id_override": "+12127365001"}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "caller_id_override",
        "not_a_tenant_did",
    );

    // A no-op patch keeps the version (patterns compared in canonical form).
    let same = expect_json(
        app.patch(
            &location,
            &token,
            json!({"name": "National", "patterns": ["9|NXXNXXXXXX", "1+[2-9]XX"], "trunk_ids": [own, carrier]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["version"], 1);

    // Drop the carrier trunk from the route: it can then be deleted.
    let res = app
        .patch(
            &location,
            &token,
            json!({"trunk_ids": [own], "caller_id_override": null}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(changed["trunk_ids"], json!([own]));
    assert!(changed["caller_id_override"].is_null());
    assert_eq!(app.delete(&did_path, &token).await.status(), 204);
    assert_eq!(
        app.delete(&format!("/v1/trunks/{carrier}"), &app.admin)
            .await
            .status(),
        204
    );

    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    // Names are unique per tenant.
    assert_problem(
        app.post(
            &routes(&tenant),
            &token,
            json!({"name": "National", "patterns": ["X."], "trunk_ids": [own]}),
        )
        .await,
        409,
        "conflict",
    )
    .await;

    let events = audit_events(&app, &format!("resource_id={id}")).await;
    assert_eq!(events.len(), 2, "{events:?}");

    assert_eq!(app.delete(&location, &token).await.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    // With the route gone the tenant trunk can go too.
    assert_eq!(
        app.delete(&format!("/v1/tenants/{tenant}/trunks/{own}"), &token)
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn bad_routes_name_every_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Bad routes").await;
    let (other, other_token) = app.tenant_with_admin("Other routes").await;
    let foreign = own_trunk(&app, &other_token, &other, "Foreign").await;
    let own = own_trunk(&app, &token, &tenant, "Own").await;

    let problem = assert_problem(
        app.post(
            &routes(&tenant),
            &token,
            json!({
                "name": " ",
                "position": -1,
                "patterns": ["NXX", "9|NX[5-1]", "12A4", "X.X"],
                "strip": 40,
                "prepend": "1a",
                "trunk_ids": [foreign, own, own],
                "caller_id_override": "555-1234",
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    for (field, code) in [
        ("name", "invalid_length"),
        ("position", "out_of_range"),
        ("patterns[1]", "invalid_dial_pattern"),
        ("patterns[2]", "invalid_dial_pattern"),
        ("patterns[3]", "invalid_dial_pattern"),
        ("strip", "invalid_outbound_rule"),
        ("trunk_ids[0]", "unknown_trunk"),
        ("trunk_ids[2]", "duplicate"),
        ("caller_id_override", "e164_missing_plus"),
    ] {
        assert_field_error(&problem, field, code);
    }
    assert!(
        !field_errors(&problem)
            .iter()
            .any(|(f, _)| f == "patterns[0]"),
        "{problem}"
    );
    // The message says where the pattern is wrong.
    let msg = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "patterns[2]")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("character 3"), "{msg}");

    let problem = assert_problem(
        app.post(
            &routes(&tenant),
            &token,
            json!({"name": "Empty", "patterns": [], "trunk_ids": []}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&problem, "patterns", "invalid_outbound_rule");
    assert_field_error(&problem, "trunk_ids", "invalid_length");
    assert!(list_all(&app, &routes(&tenant), &token).await.is_empty());

    // A PATCH with a bad pattern changes nothing.
    let created = expect_json(
        app.post(
            &routes(&tenant),
            &token,
            json!({"name": "Ok", "patterns": ["X."], "trunk_ids": [own]}),
        )
        .await,
        201,
    )
    .await;
    let location = format!("{}/{}", routes(&tenant), created["id"].as_str().unwrap());
    let problem = assert_problem(
        app.patch(
            &location,
            &token,
            json!({"patterns": ["X.", "[]"], "name": "Changed"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&problem, "patterns[1]", "invalid_dial_pattern");
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await,
        created
    );

    // Tenant users may not write routes.
    let (_, user) = app.create_user(&app.admin, &tenant, "tenant_user").await;
    assert_problem(
        app.post(
            &routes(&tenant),
            &user,
            json!({"name": "U", "patterns": ["X."], "trunk_ids": [own]}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn test_endpoint_follows_position_order_and_rewrites() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Route test").await;
    let own = own_trunk(&app, &token, &tenant, "Own").await;
    claim_did(&app, &token, &tenant, "+33123456789").await;
    let carrier = carrier_trunk(&app, "Carrier").await;

    let create = |body: Value| {
        let app = &app;
        let token = &token;
        let tenant = &tenant;
        async move { expect_json(app.post(&routes(tenant), token, body).await, 201).await }
    };
    let catch_all = create(json!({
        "name": "Catch-all", "position": 100, "patterns": ["9|."], "trunk_ids": [carrier],
    }))
    .await;
    let national = create(json!({
        "name": "National", "position": 20, "patterns": ["9|0[6-7]XXXXXXXX", "9|0ZXXXXXXXX"],
        "strip": 1, "prepend": "+33", "trunk_ids": [own, carrier],
        "caller_id_override": "+33 1 23 45 67 89",
    }))
    .await;
    let emergency = create(json!({
        "name": "Emergency", "position": 10, "patterns": ["112", "9|112"], "trunk_ids": [own],
    }))
    .await;
    let vip = create(json!({
        "name": "VIP", "position": 5, "patterns": ["9|00./1234"], "trunk_ids": [own],
        "enabled": false,
    }))
    .await;

    let r = test_number(&app, &token, &tenant, json!({"number": "0612345678"})).await;
    assert_eq!(r["matched"], false);
    assert!(r["route_id"].is_null());

    let r = test_number(&app, &token, &tenant, json!({"number": "90612345678"})).await;
    assert_eq!(r["matched"], true);
    assert_eq!(r["route_id"], national["id"]);
    assert_eq!(r["route_name"], "National");
    assert_eq!(r["pattern"], "9|0[67]XXXXXXXX");
    assert_eq!(r["number"], "+33612345678");
    assert_eq!(r["trunk_ids"], json!([own, carrier]));
    assert_eq!(r["caller_id"], "+33123456789");

    let r = test_number(&app, &token, &tenant, json!({"number": "9112"})).await;
    assert_eq!(r["route_id"], emergency["id"]);
    assert_eq!(r["number"], "112");

    let r = test_number(
        &app,
        &token,
        &tenant,
        json!({"number": "9001555", "caller": "1234"}),
    )
    .await;
    assert_eq!(
        r["route_id"], catch_all["id"],
        "disabled routes are skipped"
    );
    assert_eq!(r["number"], "001555");

    // Enable VIP (caller-ID restricted) and move the catch-all first: order decides.
    let vip_path = format!("{}/{}", routes(&tenant), vip["id"].as_str().unwrap());
    expect_json(
        app.patch(&vip_path, &token, json!({"enabled": true})).await,
        200,
    )
    .await;
    let r = test_number(
        &app,
        &token,
        &tenant,
        json!({"number": "9001555", "caller": "1234"}),
    )
    .await;
    assert_eq!(r["route_id"], vip["id"]);
    let r = test_number(
        &app,
        &token,
        &tenant,
        json!({"number": "9001555", "caller": "999"}),
    )
    .await;
    assert_eq!(r["route_id"], catch_all["id"]);
    let catch_path = format!("{}/{}", routes(&tenant), catch_all["id"].as_str().unwrap());
    expect_json(
        app.patch(&catch_path, &token, json!({"position": 0})).await,
        200,
    )
    .await;
    let r = test_number(&app, &token, &tenant, json!({"number": "90612345678"})).await;
    assert_eq!(r["route_id"], catch_all["id"]);
    assert_eq!(r["number"], "0612345678");

    let problem = assert_problem(
        app.post(
            &format!("{}/test", routes(&tenant)),
            &token,
            json!({"number": "06 12", "caller": "abc"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&problem, "number", "invalid_dialled_number");
    assert_field_error(&problem, "caller", "invalid_dialled_number");

    // Tenant users hold no PBX permission; another tenant's admin gets 404.
    let (_, user) = app.create_user(&app.admin, &tenant, "tenant_user").await;
    assert_problem(
        app.post(
            &format!("{}/test", routes(&tenant)),
            &user,
            json!({"number": "112"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let (_, stranger) = app.tenant_with_admin("Stranger").await;
    assert_problem(
        app.post(
            &format!("{}/test", routes(&tenant)),
            &stranger,
            json!({"number": "112"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn deleting_a_tenant_takes_its_routes_and_trunks_along() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Leaving").await;
    let own = own_trunk(&app, &token, &tenant, "Own").await;
    let carrier = carrier_trunk(&app, "Carrier").await;
    expect_json(
        app.post(
            &routes(&tenant),
            &token,
            json!({"name": "All", "patterns": ["X."], "trunk_ids": [own, carrier]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        app.delete(&format!("/v1/tenants/{tenant}"), &app.admin)
            .await
            .status(),
        204
    );
    // The carrier trunk stays, and is free to delete now.
    assert_eq!(
        app.delete(&format!("/v1/trunks/{carrier}"), &app.admin)
            .await
            .status(),
        204
    );
}
