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
    assert!(seen.len() >= 129, "{} operations", seen.len());
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

/// The bounds a schema property states (`minLength`, `maxLength`, `pattern`, `minimum`,
/// `maximum`, `minItems`, `maxItems`), as one comparable value.
fn bounds(prop: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in [
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
    ] {
        if let Some(v) = prop.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

/// The first range a description states, as a word of its own: "2-15 digits, …" →
/// (2, 15, "digits"); "Unique name, 1-200 characters." → (1, 200, "characters");
/// "Addresses … (0-10)." → (0, 10, "").
fn stated_range(desc: &str) -> Option<(u64, u64, String)> {
    let starts = std::iter::once(0).chain(desc.match_indices([' ', '(']).map(|(i, _)| i + 1));
    for start in starts {
        let rest = &desc[start..];
        let Some((lo, tail)) = rest.split_once('-') else {
            continue;
        };
        let hi_len = tail.bytes().take_while(u8::is_ascii_digit).count();
        let (Ok(lo), Ok(hi)) = (lo.parse::<u64>(), tail[..hi_len].parse::<u64>()) else {
            continue;
        };
        let unit = tail[hi_len..]
            .trim_start()
            .split(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or_default();
        return Some((lo, hi, unit.to_owned()));
    }
    None
}

/// A limit written in a description ("2-15 digits", "1-200 characters", "5-300 seconds",
/// "(0-10)") is also a schema bound a generated client can check before sending; and an
/// update accepts exactly what a create does, so each `UpdateX` property carries the bounds
/// of the same property of `CreateX`.
#[tokio::test]
async fn limits_in_descriptions_are_schema_bounds_and_updates_share_them() {
    let app = TestApp::spawn().await;
    let spec = served(&app).await;
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut wrong = Vec::new();
    for (name, schema) in schemas {
        let Some(props) = schema["properties"].as_object() else {
            continue;
        };
        for (field, prop) in props {
            let desc = prop["description"].as_str().unwrap_or_default();
            let Some((lo, hi, unit)) = stated_range(desc) else {
                continue;
            };
            let types = prop["type"].to_string();
            let b = bounds(prop);
            let ok = if unit == "digits" {
                b["pattern"].as_str().is_some_and(|p| {
                    p.ends_with(&format!(",{}}}$", hi - 1)) || p.ends_with(&format!(",{hi}}}$"))
                })
            } else if unit == "characters" {
                b["minLength"] == lo && b["maxLength"] == hi
            } else if types.contains("integer") {
                b["minimum"] == lo && b["maximum"] == hi
            } else if types.contains("array") {
                b["maxItems"] == hi && (lo == 0 || b["minItems"] == lo)
            } else {
                true
            };
            if !ok {
                wrong.push(format!("{name}.{field}: {desc:?} but the schema says {b}"));
            }
        }
        if let Some(create) = name
            .strip_prefix("Update")
            .and_then(|rest| schemas.get(&format!("Create{rest}")))
        {
            for (field, prop) in props {
                if let Some(twin) = create["properties"].get(field)
                    && bounds(twin) != bounds(prop)
                {
                    wrong.push(format!(
                        "{name}.{field} has {} but Create{}.{field} has {}",
                        bounds(prop),
                        &name[6..],
                        bounds(twin)
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A value the schema says is out of bounds, sent to the create operation of its schema,
/// is refused with a field error naming the property; the value at the bound is not
/// refused for that property. Generated from the document, so a bound added to a schema is
/// checked against the server without anyone writing a test for it.
#[tokio::test]
async fn the_server_enforces_the_schema_bounds_of_create_bodies() {
    let app = TestApp::spawn().await;
    let (t, _) = app.tenant_with_admin("Bounds Co").await;
    let spec = served(&app).await;
    let schemas = &spec["components"]["schemas"];
    let hangup = json!({"type": "hangup"});
    // A body each create operation accepts the shape of; the property under test is then
    // overwritten. Values that collide (numbers, names) make a 409, not a 422: a value at
    // the bound is refused only by a 422 naming its property.
    let bases: Vec<(&str, String, Value)> = vec![
        ("CreateTenant", "/v1/tenants".into(), json!({"name": "B"})),
        (
            "CreateSwitchNode",
            "/v1/switch-nodes".into(),
            json!({"name": "n", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        ),
        (
            "CreateTrunk",
            format!("/v1/tenants/{t}/trunks"),
            json!({"name": "t", "host": "sip.example.com"}),
        ),
        (
            "CreateApiKey",
            format!("/v1/tenants/{t}/api-keys"),
            json!({"name": "k", "role": "tenant_user"}),
        ),
        (
            "CreateConference",
            format!("/v1/tenants/{t}/conferences"),
            json!({"number": "8001", "name": "c"}),
        ),
        (
            "CreateExtension",
            format!("/v1/tenants/{t}/extensions"),
            json!({"number": "2001", "display_name": "e"}),
        ),
        (
            "CreateIvrMenu",
            format!("/v1/tenants/{t}/ivr-menus"),
            json!({"number": "5001", "name": "m",
            "greeting": {"type": "text", "text": "Hi"}, "options": [{"digit": "1", "destination": hangup}]}),
        ),
        (
            "CreateQueue",
            format!("/v1/tenants/{t}/queues"),
            json!({"number": "6001", "name": "q"}),
        ),
        (
            "CreateTimeCondition",
            format!("/v1/tenants/{t}/time-conditions"),
            json!({"name": "tc",
            "schedule": {"time_zone": "UTC", "rules": [{"weekdays": ["mon-fri"]}]},
            "matched_destination": hangup, "unmatched_destination": hangup}),
        ),
        (
            "CreateUser",
            format!("/v1/tenants/{t}/users"),
            json!({"email": "b@example.com",
            "display_name": "u", "role": "tenant_user", "password": "correct horse battery"}),
        ),
        (
            "CreateVoicemailBox",
            format!("/v1/tenants/{t}/voicemail-boxes"),
            json!({"mailbox": "7001", "pin": "4826"}),
        ),
    ];
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (schema, path, base) in &bases {
        for (field, prop) in schemas[*schema]["properties"].as_object().unwrap() {
            let b = bounds(prop);
            // (value at the bound, value beyond it) for each bound the property has.
            let mut probes: Vec<(Value, Value)> = Vec::new();
            if let Some(max) = b["maxLength"].as_u64() {
                let max = usize::try_from(max).unwrap();
                probes.push((json!("x".repeat(max)), json!("x".repeat(max + 1))));
            }
            if b["minLength"].as_u64() == Some(1) {
                probes.push((json!("x"), json!("")));
            }
            if let Some(p) = b["pattern"].as_str() {
                let (at, beyond) = match p {
                    "^[1-9][0-9]{1,14}$" => ("29999", "09999"),
                    "^[0-9]{4,12}$" => ("482619", "48a6"),
                    other => panic!("{schema}.{field}: no probe for the pattern {other}"),
                };
                probes.push((json!(at), json!(beyond)));
            }
            if let Some(min) = b["minimum"].as_i64() {
                probes.push((json!(min), json!(min - 1)));
            }
            if let Some(max) = b["maximum"].as_i64() {
                probes.push((json!(max), json!(max + 1)));
            }
            for (at, beyond) in probes {
                for (value, refused) in [(beyond, true), (at, false)] {
                    let mut body = base.clone();
                    body[field.as_str()] = value.clone();
                    let res = app.post(path, &app.admin, body).await;
                    let status = res.status().as_u16();
                    let v: Value = res.json().await.unwrap_or(Value::Null);
                    let named = v["errors"]
                        .as_array()
                        .is_some_and(|es| es.iter().any(|e| e["field"] == field.as_str()));
                    if refused && !(status == 422 && named) {
                        wrong.push(format!("{schema}.{field} = {value}: {status} {v}"));
                    }
                    if !refused && status == 422 && named {
                        wrong.push(format!(
                            "{schema}.{field} = {value} (at the bound) refused: {v}"
                        ));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(checked > 40, "only {checked} probes");
}
