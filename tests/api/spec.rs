//! The served OpenAPI document is valid and says what the server does (issue 8, items 6-7):
//! unique operation ids, a description on every response, 415 wherever a body can be refused,
//! real bounds and schemas; and the server behaves as the document says where a generated
//! client used to trip (empty cursor, integral floats, 405 on literal paths, slugs, media types).

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_problem, expect_json, send_raw};

async fn served(app: &TestApp) -> Value {
    expect_json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
}

fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((method.to_uppercase(), path.clone(), op));
        }
    }
    ops
}

#[tokio::test]
async fn operation_ids_are_unique_and_every_response_is_described() {
    let app = TestApp::spawn().await;
    let spec = served(&app).await;
    let mut seen = std::collections::BTreeMap::new();
    for (method, path, op) in operations(&spec) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
            panic!("operationId {id} of {method} {path} is also {other}'s");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(
                response["description"].is_string(),
                "{method} {path} {status} has no description"
            );
        }
    }
    assert!(seen.len() >= 109, "{} operations", seen.len());
    assert!(seen.contains_key("list_ring_groups"));
}

#[tokio::test]
async fn every_body_can_be_refused_as_415_and_limits_are_schema_bounds() {
    let app = TestApp::spawn().await;
    let spec = served(&app).await;
    for (method, path, op) in operations(&spec) {
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path} does not document {status}"
                );
            }
        }
        for param in op["parameters"].as_array().into_iter().flatten() {
            if param["name"] == "limit" {
                assert_eq!(param["schema"]["minimum"], 1, "{method} {path}");
                assert_eq!(param["schema"]["maximum"], 200, "{method} {path}");
            }
        }
    }
    for path in [
        "/v1/auth/token",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/switch/route",
    ] {
        assert!(
            spec["paths"][path]["post"]["responses"]["415"].is_object(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn nested_plans_rules_and_audio_have_real_schemas() {
    let app = TestApp::spawn().await;
    let spec = served(&app).await;
    let schemas = &spec["components"]["schemas"];
    let plan_ref = json!({"$ref": "#/components/schemas/Plan"});
    for (variant, field) in [
        ("PlanRing", "on_busy"),
        ("PlanRing", "on_no_answer"),
        ("PlanRing", "on_unreachable"),
        ("PlanQueue", "on_timeout"),
        ("PlanIvr", "on_timeout"),
        ("PlanIvr", "on_invalid"),
    ] {
        assert_eq!(
            schemas[variant]["properties"][field], plan_ref,
            "{variant}.{field}"
        );
    }
    assert_eq!(schemas["IvrOptionPlan"]["properties"]["plan"], plan_ref);
    assert_eq!(schemas["Plan"]["discriminator"]["propertyName"], "action");
    let rule_ref = json!({"$ref": "#/components/schemas/TimeRule"});
    assert_eq!(
        schemas["Schedule"]["properties"]["rules"]["items"],
        rule_ref
    );
    assert_eq!(
        schemas["Schedule"]["properties"]["exceptions"]["items"],
        rule_ref
    );
    assert!(schemas["TimeRule"]["properties"]["weekdays"].is_object());
    assert_eq!(schemas["Binary"]["format"], "binary");
    let upload = &spec["paths"]["/v1/tenants/{tenant_id}/ivr-menus/{ivr_menu_id}/greeting"]["put"]
        ["requestBody"]["content"]["audio/wav"]["schema"];
    assert_eq!(upload, &json!({"$ref": "#/components/schemas/Binary"}));
    assert!(
        !serde_json::to_string(&spec)
            .unwrap()
            .contains("ARCHITECTURE.md the repo"),
    );
    assert!(
        !schemas["Role"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("of ARCHITECTURE.md")
    );
}

#[tokio::test]
async fn swagger_ui_never_calls_an_outside_validator() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let js = res.text().await.unwrap();
    let compact: String = js.split_whitespace().collect();
    assert!(compact.contains(r#""validatorUrl":"none""#), "{js}");
}

#[tokio::test]
async fn an_empty_cursor_is_the_first_page() {
    let app = TestApp::spawn().await;
    let page = expect_json(
        app.get("/v1/tenants?cursor=&limit=1", &app.admin).await,
        200,
    )
    .await;
    assert!(page["items"].is_array());
}

#[tokio::test]
async fn integral_floats_are_integers() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Floats").await;
    let body = json!({"name": "Carrier", "host": "sip.example.com", "port": 5060.0,
        "max_channels": 143.0});
    let trunk = expect_json(
        app.post(&format!("/v1/tenants/{tenant}/trunks"), &token, body)
            .await,
        201,
    )
    .await;
    assert_eq!(trunk["max_channels"], 143);
    // A fraction is still not an integer.
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/trunks"),
            &token,
            json!({"name": "Other", "host": "sip.example.com", "max_channels": 143.5}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_wrong_method_on_a_literal_path_is_405_not_the_id_route() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Methods").await;
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}/extensions/export"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(
        res.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET")
    );
    assert_problem(res, 405, "method_not_allowed").await;
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/extensions/export"),
            &token,
            json!({}),
        )
        .await;
    assert_problem(res, 405, "method_not_allowed").await;
    // An id that is not one is still a 404.
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}/extensions/nope"),
            &token,
            json!({}),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn any_name_gives_a_slug() {
    let app = TestApp::spawn().await;
    for name in ["Éé", "k", "!!", "東京"] {
        let tenant = expect_json(
            app.post("/v1/tenants", &app.admin, json!({"name": name}))
                .await,
            201,
        )
        .await;
        let slug = tenant["slug"].as_str().unwrap();
        assert!(slug.len() >= 2 && slug.is_ascii(), "{name} → {slug}");
    }
}

#[tokio::test]
async fn a_greeting_of_the_wrong_type_names_the_accepted_types() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Greeting types").await;
    let menu = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/ivr-menus"),
            &token,
            json!({"number": "500", "name": "Main", "direct_dial": true,
                "greeting": {"type": "text", "text": "Hello"}}),
        )
        .await,
        201,
    )
    .await;
    let path = format!(
        "/v1/tenants/{tenant}/ivr-menus/{}/greeting",
        menu["id"].as_str().unwrap()
    );
    let res = send_raw(
        &app,
        Method::PUT,
        &path,
        &token,
        Some("text/plain"),
        "hello",
    )
    .await;
    let problem = assert_problem(res, 415, "unsupported_media_type").await;
    let title = problem["title"].as_str().unwrap();
    assert!(!title.contains("application/json"), "{title}");
    assert!(problem["detail"].as_str().unwrap().contains("audio/wav"));
}
