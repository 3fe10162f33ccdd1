//! Tenant isolation, driven by the served OpenAPI document.
//!
//! Every operation under `/v1/tenants/{tenant_id}` is enumerated from `GET /openapi.json`,
//! so a route added later is checked without touching this file: a principal of one tenant
//! must get a 404 problem for another tenant's routes and objects, whatever it sends, and
//! nothing of the other tenant may change.

use std::collections::BTreeSet;

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// Tenant-scoped operations in the spec today (identity, PBX configuration, carriers).
/// Raise it when routes are added; it catches a broken enumeration.
const MIN_TENANT_SCOPED_OPERATIONS: usize = 90;

const TENANT_PREFIX: &str = "/v1/tenants/{tenant_id}";

/// One operation of the spec.
#[derive(Debug, Clone)]
struct Op {
    method: Method,
    path: String,
    /// The operation's required query parameters, with sample values (`?number=…`), or "".
    query: String,
}

impl Op {
    /// Whether the path names an object besides the tenant.
    fn has_object_id(&self) -> bool {
        params(&self.path).iter().any(|p| p != "tenant_id")
    }

    fn has_body(&self) -> bool {
        matches!(self.method, Method::POST | Method::PUT | Method::PATCH)
    }
}

/// A value for each required query parameter of a tenant-scoped operation.
const QUERY_SAMPLES: [(&str, &str); 4] = [
    ("number", "34612345678"),
    ("from", "2026-01-01T00:00:00Z"),
    ("to", "2027-01-01T00:00:00Z"),
    ("group_by", "tenant"),
];

/// `?name=value&…` for the required query parameters of `op` (a spec operation object).
fn required_query(method: &str, path: &str, op: &Value) -> String {
    let mut pairs = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] != "query" || p["required"] != true {
            continue;
        }
        let name = p["name"].as_str().unwrap();
        let Some((_, value)) = QUERY_SAMPLES.iter().find(|(n, _)| *n == name) else {
            panic!("{method} {path} requires ?{name}=: add a sample value to QUERY_SAMPLES");
        };
        pairs.push(format!("{name}={value}"));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

fn params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// A tenant and one real object of each kind inside it.
#[derive(Debug, Clone)]
struct Objects {
    tenant: String,
    domain: String,
    domain_name: String,
    user: String,
    user_email: String,
    key: String,
    /// A rate deck of the tenant's, with version 1 made by `import`.
    deck: String,
    import: String,
}

/// Route families a tenant admin's role is refused in its own tenant (a 403 `forbidden`
/// before any lookup, the same for every id; roles.rs checks the table): the rate decks a
/// partner sells at.
const PARTNER_ONLY: &[&str] = &["rate-decks"];

/// Whether `path` is in one of the route `families`.
fn in_family(path: &str, families: &[&str]) -> bool {
    path.split('/').any(|seg| families.contains(&seg))
}

/// Every tenant-scoped operation of the spec served by the running app.
async fn tenant_scoped_ops(app: &TestApp) -> Vec<Op> {
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET /openapi.json");
    let spec: Value = res.json().await.unwrap();
    let paths = spec["paths"].as_object().expect("paths in the spec");
    let mut ops = Vec::new();
    for (path, item) in paths {
        if path != TENANT_PREFIX && !path.starts_with(&format!("{TENANT_PREFIX}/")) {
            continue;
        }
        for (name, method) in [
            ("get", Method::GET),
            ("put", Method::PUT),
            ("post", Method::POST),
            ("patch", Method::PATCH),
            ("delete", Method::DELETE),
        ] {
            if let Some(op) = item.get(name) {
                ops.push(Op {
                    method,
                    path: path.clone(),
                    query: required_query(name, path, op),
                });
            }
        }
    }
    ops
}

/// Fills the path: `{tenant_id}` with `tenant`, every other `{..._id}` with `objects`' object
/// of the resource named by the segment before it, or a random id for resources this file
/// does not know yet.
fn fill(path: &str, tenant: &str, objects: &Objects) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            out.push((*seg).to_owned());
            continue;
        };
        let value = if name == "tenant_id" {
            tenant.to_owned()
        } else {
            match segments.get(i.wrapping_sub(1)).copied() {
                Some("domains") => objects.domain.clone(),
                Some("users") => objects.user.clone(),
                Some("api-keys") => objects.key.clone(),
                Some("rate-decks") => objects.deck.clone(),
                Some("imports") => objects.import.clone(),
                // A deck version is a number, not an id: every deck has its version 1.
                Some("versions") => "1".to_owned(),
                _ => Uuid::now_v7().to_string(),
            }
        };
        out.push(value);
    }
    out.join("/")
}

/// The resource an operation acts on: the last literal segment of its path.
fn resource(path: &str) -> &str {
    path.split('/')
        .rfind(|s| !s.starts_with('{') && !s.is_empty())
        .unwrap_or("")
}

enum Payload {
    Json(Value),
    Raw(&'static str),
    /// An upload that is not JSON (a greeting recording).
    Audio(&'static [u8]),
    /// A CSV upload (a rate-deck import).
    Csv(&'static str),
}

/// Bodies to try on a write: a plausible one (it would succeed if the caller were allowed)
/// and, with `all`, also an empty object and one that is not JSON at all. Across tenants
/// authorization precedes parsing, so every one of them must give the same 404.
fn payloads(op: &Op, all: bool) -> Vec<Option<Payload>> {
    if !op.has_body() {
        return vec![None];
    }
    let plausible = match (resource(&op.path), op.method.clone()) {
        ("domains", _) => json!({"name": domain_name()}),
        ("users", Method::POST) => json!({
            "email": format!("{}@intruder.example.com", Uuid::now_v7().simple()),
            "display_name": "Intruder",
            "role": "tenant_admin",
            "password": PASSWORD,
        }),
        ("users", _) => {
            json!({"display_name": "Hijacked", "role": "tenant_admin", "status": "disabled"})
        }
        ("api-keys", _) => json!({"name": "Intruder key", "role": "tenant_admin"}),
        ("tenants", _) => json!({"name": "Hijacked", "status": "suspended"}),
        ("extensions", Method::POST) => json!({"number": "7777", "display_name": "Intruder"}),
        ("extensions", _) => json!({"display_name": "Hijacked", "dnd": true}),
        ("voicemail-boxes", Method::POST) => json!({"mailbox": "7777", "pin": "480613"}),
        ("voicemail-boxes", _) => json!({"enabled": false}),
        ("trunks", Method::POST) => json!({"name": "Intruder", "host": "sip.intruder.example.com"}),
        ("trunks", _) => json!({"name": "Hijacked", "enabled": false}),
        ("outbound-routes", Method::POST) => {
            json!({"name": "Intruder", "patterns": ["X."], "trunk_ids": [Uuid::now_v7()]})
        }
        ("outbound-routes", _) => json!({"name": "Hijacked", "enabled": false}),
        ("test", Method::POST) => json!({"number": "5551234"}),
        ("dids", Method::POST) => json!({"number": "+34911234567"}),
        ("dids", _) => json!({"destination": {"type": "hangup"}}),
        ("messages", _) => json!({"read": true}),
        ("import", _) => json!({}),
        ("time-conditions", Method::POST) => json!({"name": "Intruders",
            "schedule": {"time_zone": "UTC", "rules": [{"weekdays": ["mon-fri"]}]},
            "matched_destination": {"type": "hangup"}, "unmatched_destination": {"type": "hangup"}}),
        ("time-conditions", _) => json!({"name": "Hijacked"}),
        ("ring-groups", Method::POST) => json!({
            "number": "7778", "name": "Intruders",
            "members": [{"target": {"type": "external_number", "number": "+34911234567"}}],
        }),
        ("ring-groups", _) => json!({"name": "Hijacked", "ring_seconds": 60}),
        ("conferences", Method::POST) => {
            json!({"number": "7779", "name": "Intruders", "pin": "482913"})
        }
        ("conferences", _) => json!({"name": "Hijacked", "pin": null}),
        ("queues", Method::POST) => json!({"number": "7780", "name": "Intruders"}),
        ("queues", _) => json!({"name": "Hijacked", "max_wait_seconds": 60}),
        ("ivr-menus", Method::POST) => json!({"number": "7781", "name": "Intruders",
            "greeting": {"type": "text", "text": "Hello"}, "direct_dial": true}),
        ("ivr-menus", _) => json!({"name": "Hijacked", "direct_dial": true}),
        ("payments", _) => json!({"amount": "1", "description": "Intruders"}),
        ("rate-decks", Method::POST) => json!({"name": "Intruders", "currency": "EUR"}),
        ("rate-decks", _) => json!({"name": "Hijacked", "description": null}),
        ("imports", _) => {
            let csv = Payload::Csv("prefix,destination,rate\n34,Hijacked,99\n");
            return if all {
                vec![Some(csv), Some(Payload::Json(json!({})))]
            } else {
                vec![Some(csv)]
            };
        }
        ("greeting", _) => {
            let audio = Payload::Audio(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00");
            return if all {
                vec![Some(audio), Some(Payload::Raw("{\"name\": "))]
            } else {
                vec![Some(audio)]
            };
        }
        // Routes added later: an empty object is a valid merge patch, and the object lookup
        // must answer 404 before anything else is said about a body.
        _ => json!({}),
    };
    if !all {
        return vec![Some(Payload::Json(plausible))];
    }
    vec![
        Some(Payload::Json(json!({}))),
        Some(Payload::Json(plausible)),
        Some(Payload::Raw("{\"name\": ")),
    ]
}

/// What a run of [`expect_all_404`] sends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every operation, with every body: the path names a tenant the caller cannot see.
    Tenant,
    /// Operations naming an object, with a plausible body: the caller's own (visible)
    /// tenant in the path, another tenant's object ids. (Bodies are validated before the
    /// object is looked up, so an empty body is a 422 there, which reveals nothing.)
    Objects,
}

/// Sends `op` on `path` with `token`; returns status, content type and body.
async fn send(
    app: &TestApp,
    op: &Op,
    path: &str,
    token: &str,
    payload: Option<&Payload>,
) -> (u16, String, Value) {
    let mut req = app.req(op.method.clone(), &format!("{path}{}", op.query), token);
    match payload {
        Some(Payload::Json(v)) => req = req.json(v),
        Some(Payload::Raw(s)) => req = req.header("content-type", "application/json").body(*s),
        Some(Payload::Audio(b)) => req = req.header("content-type", "audio/wav").body(*b),
        Some(Payload::Csv(s)) => req = req.header("content-type", "text/csv").body(*s),
        None => {}
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, ct, body)
}

/// Runs every op with `token` against `tenant` (path) and `objects` (object ids), and
/// records every answer that is not a clean 404 problem which leaks nothing of `objects`.
async fn expect_all_404(
    app: &TestApp,
    ops: &[Op],
    (who, token): (&str, &str),
    tenant: &str,
    objects: &Objects,
    mode: Mode,
    failures: &mut Vec<String>,
) -> usize {
    let mut requests = 0;
    for op in ops {
        if mode == Mode::Objects && !op.has_object_id() {
            continue;
        }
        let path = fill(&op.path, tenant, objects);
        for payload in payloads(op, mode == Mode::Tenant) {
            requests += 1;
            let (status, ct, body) = send(app, op, &path, token, payload.as_ref()).await;
            let text = body.to_string();
            let leaks = [&objects.domain_name, &objects.user_email]
                .iter()
                .any(|s| text.contains(s.as_str()));
            // In its own tenant, a caller whose role may not use the route at all (a tenant
            // admin and rate decks) is refused before any lookup: the same 403 as for ids of
            // nothing, which reveals nothing of the other tenant's object.
            if mode == Mode::Objects && status == 403 && body["code"] == "forbidden" && !leaks {
                let twin = fill(&op.path, tenant, &nothing(tenant));
                let (t_status, _, t_body) = send(app, op, &twin, token, payload.as_ref()).await;
                if t_status == 403 && t_body["code"] == "forbidden" {
                    continue;
                }
            }
            if status != 404
                || ct != "application/problem+json"
                || body["code"] != "not_found"
                || !body["request_id"].is_string()
                || leaks
            {
                failures.push(format!(
                    "{who}: {} {path} -> {status} {ct} {body}",
                    op.method
                ));
            }
        }
    }
    requests
}

/// Ids of objects that exist nowhere, in `tenant`.
fn nothing(tenant: &str) -> Objects {
    let random = || Uuid::now_v7().to_string();
    Objects {
        tenant: tenant.to_owned(),
        domain: random(),
        domain_name: String::new(),
        user: random(),
        user_email: String::new(),
        key: random(),
        deck: random(),
        import: random(),
    }
}

/// Path parameters [`fill`] fills with real objects.
const KNOWN_PARAMS: [&str; 7] = [
    "tenant_id",
    "domain_id",
    "user_id",
    "key_id",
    "deck_id",
    "import_id",
    "version",
];

/// Every GET op with `token` on `objects` answers 2xx (403 `forbidden` in the route
/// `families` the caller's role is `refused`) and shows nothing of the `foreign` tenants:
/// the positive control that proves the ids and paths used for the 404 checks are real, and
/// that lists (present and future) are filtered by tenant.
async fn expect_gets_ok(
    app: &TestApp,
    ops: &[Op],
    (who, token, refused): (&str, &str, &[&str]),
    objects: &Objects,
    foreign: &[&Objects],
    failures: &mut Vec<String>,
) -> usize {
    let mut checked = 0;
    for op in ops.iter().filter(|o| o.method == Method::GET) {
        let known = params(&op.path)
            .iter()
            .all(|p| KNOWN_PARAMS.contains(&p.as_str()));
        if !known {
            continue;
        }
        let path = fill(&op.path, &objects.tenant, objects);
        let (status, _, body) = send(app, op, &path, token, None).await;
        checked += 1;
        if in_family(&op.path, refused) {
            if status != 403 || body["code"] != "forbidden" {
                failures.push(format!(
                    "{who}: GET {path} -> {status} {body} (expected 403 forbidden)"
                ));
            }
        } else if !(200..300).contains(&status) {
            failures.push(format!(
                "{who}: GET {path} -> {status} {body} (expected 2xx)"
            ));
        }
        let text = body.to_string();
        for f in foreign {
            let marks = [
                &f.tenant,
                &f.domain,
                &f.domain_name,
                &f.user,
                &f.user_email,
                &f.key,
                &f.deck,
                &f.import,
            ];
            if let Some(m) = marks.iter().find(|m| text.contains(m.as_str())) {
                failures.push(format!(
                    "{who}: GET {path} shows {m} of tenant {}",
                    f.tenant
                ));
            }
        }
    }
    checked
}

fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} isolation failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Creates a domain, a tenant user and an API key in `tenant` as `token`, and (as the
/// platform admin: a tenant admin has none) a rate deck with one imported version, and the
/// deck its calls are sold at.
async fn populate(app: &TestApp, token: &str, tenant: &str) -> Objects {
    let name = domain_name();
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/domains"),
            token,
            json!({"name": name}),
        )
        .await;
    assert_eq!(res.status(), 201, "create domain");
    let domain: Value = res.json().await.unwrap();

    let email = format!("{}@member.example.com", Uuid::now_v7().simple());
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/users"),
            token,
            json!({"email": email, "display_name": "Member", "role": "tenant_user", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 201, "create user");
    let user: Value = res.json().await.unwrap();

    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/api-keys"),
            token,
            json!({"name": "Integration", "role": "tenant_user"}),
        )
        .await;
    assert_eq!(res.status(), 201, "create api key");
    let key: Value = res.json().await.unwrap();

    let (deck, deck_view) = crate::rate_decks::create_deck(
        app,
        &app.admin,
        &format!("/v1/tenants/{tenant}/rate-decks"),
        "Resale",
        "EUR",
    )
    .await;
    let import = crate::rate_decks::import(
        app,
        &app.admin,
        &deck,
        "?activate=true",
        "prefix,destination,rate\n34,Spain,0.01\n",
    )
    .await;
    assert_eq!(import["version"], 1, "import: {import}");
    // What the tenant's calls are sold at (a deck of its parent's, or of the platform's for a
    // tenant with no parent), so that rating a number has an answer to show.
    let parent = expect_json(
        app.get(&format!("/v1/tenants/{tenant}"), &app.admin).await,
        200,
    )
    .await["parent_id"]
        .clone();
    let sellers = parent.as_str().map_or_else(
        || "/v1/rate-decks".to_owned(),
        |p| format!("/v1/tenants/{p}/rate-decks"),
    );
    let (seller, seller_view) = crate::rate_decks::create_deck(
        app,
        &app.admin,
        &sellers,
        &format!("Sold to {tenant}"),
        "USD",
    )
    .await;
    crate::rate_decks::import(
        app,
        &app.admin,
        &seller,
        "?activate=true",
        "prefix,destination,rate\n34,Spain,0.01\n",
    )
    .await;
    expect_json(
        app.patch(
            &format!("/v1/tenants/{tenant}/billing-account"),
            &app.admin,
            json!({"sell_deck_id": seller_view["id"]}),
        )
        .await,
        200,
    )
    .await;

    Objects {
        tenant: tenant.to_owned(),
        domain: domain["id"].as_str().unwrap().to_owned(),
        domain_name: domain["name"].as_str().unwrap().to_owned(),
        user: user["id"].as_str().unwrap().to_owned(),
        user_email: user["email"].as_str().unwrap().to_owned(),
        key: key["id"].as_str().unwrap().to_owned(),
        deck: deck_view["id"].as_str().unwrap().to_owned(),
        import: import["id"].as_str().unwrap().to_owned(),
    }
}

/// Creates an API key with `role` in `tenant` and returns the secret.
async fn api_key(app: &TestApp, token: &str, tenant: &str, role: &str) -> String {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/api-keys"),
            token,
            json!({"name": format!("{role} key"), "role": role}),
        )
        .await;
    assert_eq!(res.status(), 201, "create {role} api key");
    let v: Value = res.json().await.unwrap();
    v["key"].as_str().unwrap().to_owned()
}

/// GET as the platform admin: `{status, body}`, without the usage timestamps that the
/// callers' own sign-ins and API keys legitimately move.
async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path, &app.admin).await;
    let status = res.status().as_u16();
    let mut body: Value = res.json().await.unwrap_or(Value::Null);
    strip_usage(&mut body);
    json!({"status": status, "body": body})
}

fn strip_usage(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("last_used_at");
            map.remove("last_login_at");
            map.values_mut().for_each(strip_usage);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_usage),
        _ => {}
    }
}

/// Everything an intruder could have changed in a tenant, read as the platform admin.
async fn snapshot(app: &TestApp, o: &Objects) -> Value {
    let t = &o.tenant;
    json!({
        "tenant": get_json(app, &format!("/v1/tenants/{t}")).await,
        "domain": get_json(app, &format!("/v1/tenants/{t}/domains/{}", o.domain)).await,
        "user": get_json(app, &format!("/v1/tenants/{t}/users/{}", o.user)).await,
        "key": get_json(app, &format!("/v1/tenants/{t}/api-keys/{}", o.key)).await,
        "deck": get_json(app, &format!("/v1/tenants/{t}/rate-decks/{}", o.deck)).await,
        "decks": get_json(app, &format!("/v1/tenants/{t}/rate-decks?limit=200")).await,
        "versions": get_json(app, &format!("/v1/tenants/{t}/rate-decks/{}/versions", o.deck)).await,
        "domains": get_json(app, &format!("/v1/tenants/{t}/domains?limit=200")).await,
        "users": get_json(app, &format!("/v1/tenants/{t}/users?limit=200")).await,
        "keys": get_json(app, &format!("/v1/tenants/{t}/api-keys?limit=200&include_revoked=true")).await,
        "audit": get_json(app, &format!("/v1/tenants/{t}/audit-events?limit=200")).await,
        "children": get_json(app, &format!("/v1/tenants?limit=200&parent_id={t}")).await,
    })
}

fn assert_unchanged(what: &str, before: &Value, after: &Value) {
    for (k, v) in before.as_object().unwrap() {
        assert_eq!(
            v, &after[k],
            "{what}: `{k}` changed after the cross-tenant requests"
        );
    }
    assert_eq!(before["tenant"]["status"], 200, "{what}: tenant readable");
    for k in ["domain", "user", "key", "deck", "versions"] {
        assert_eq!(before[k]["status"], 200, "{what}: {k} readable");
    }
}

#[tokio::test]
async fn every_tenant_scoped_operation_is_404_across_tenants() {
    let app = TestApp::spawn().await;
    let ops = tenant_scoped_ops(&app).await;
    let unknown: BTreeSet<String> = ops
        .iter()
        .flat_map(|o| params(&o.path))
        .filter(|p| !KNOWN_PARAMS.contains(&p.as_str()))
        .collect();
    if !unknown.is_empty() {
        println!("path parameters filled with random ids: {unknown:?}");
    }

    let (a, a_admin) = app.tenant_with_admin("Tenant A").await;
    let (b, b_admin) = app.tenant_with_admin("Tenant B").await;
    let a_objs = populate(&app, &a_admin, &a).await;
    let b_objs = populate(&app, &b_admin, &b).await;
    let (_, a_user) = app.create_user(&a_admin, &a, "tenant_user").await;
    let a_key = api_key(&app, &a_admin, &a, "tenant_admin").await;
    let before = snapshot(&app, &b_objs).await;

    let mut failures = Vec::new();
    // Positive controls: the ids are real and each tenant reaches its own objects.
    let controls = expect_gets_ok(
        &app,
        &ops,
        ("B admin on B", &b_admin, PARTNER_ONLY),
        &b_objs,
        &[&a_objs],
        &mut failures,
    )
    .await
        + expect_gets_ok(
            &app,
            &ops,
            ("A admin on A", &a_admin, PARTNER_ONLY),
            &a_objs,
            &[&b_objs],
            &mut failures,
        )
        .await;
    assert_no_failures(&failures);

    let mut requests = 0;
    for (who, token, may_write) in [
        ("A tenant_admin (JWT)", &a_admin, true),
        ("A tenant_admin (API key)", &a_key, true),
        ("A tenant_user (JWT)", &a_user, false),
    ] {
        // 1. B's tenant id and B's objects.
        requests += expect_all_404(
            &app,
            &ops,
            (who, token),
            &b,
            &b_objs,
            Mode::Tenant,
            &mut failures,
        )
        .await;
        // 2. A's own tenant id, but B's objects. (A tenant user's writes in its own tenant
        //    are a 403 before any lookup, which reveals nothing either; covered by roles.rs.)
        if may_write {
            requests += expect_all_404(
                &app,
                &ops,
                (who, token),
                &a,
                &b_objs,
                Mode::Objects,
                &mut failures,
            )
            .await;
        }
    }
    // 3. B's tenant id with A's objects (the caller's own ids do not open another tenant).
    requests += expect_all_404(
        &app,
        &ops,
        ("A tenant_admin", &a_admin),
        &b,
        &a_objs,
        Mode::Tenant,
        &mut failures,
    )
    .await;
    assert_no_failures(&failures);

    let after = snapshot(&app, &b_objs).await;
    assert_unchanged("tenant B", &before, &after);
    assert_eq!(after["tenant"]["body"]["name"], "Tenant B");
    assert_eq!(after["tenant"]["body"]["status"], "active");
    assert_eq!(after["key"]["body"]["revoked_at"], Value::Null);

    let n = ops.len();
    println!(
        "tenant isolation: {n} tenant-scoped operations checked, all 404 across tenants \
         ({requests} requests, {controls} positive controls, backend {})",
        backend()
    );
    assert!(
        n >= MIN_TENANT_SCOPED_OPERATIONS,
        "only {n} tenant-scoped operations found in /openapi.json; expected at least \
         {MIN_TENANT_SCOPED_OPERATIONS}: {ops:?}"
    );
}

/// Query filters inside one's own tenant never reach another tenant's rows.
#[tokio::test]
async fn filters_inside_own_tenant_never_reach_another() {
    let app = TestApp::spawn().await;
    let (a, a_admin) = app.tenant_with_admin("Filter A").await;
    let (b, b_admin) = app.tenant_with_admin("Filter B").await;
    populate(&app, &a_admin, &a).await;
    let b_objs = populate(&app, &b_admin, &b).await;

    for path in [
        format!("/v1/tenants/{a}/users?email={}", b_objs.user_email),
        format!("/v1/tenants/{a}/domains?name={}", b_objs.domain_name),
        format!("/v1/tenants/{a}/audit-events?resource_id={}", b_objs.domain),
        format!("/v1/tenants/{a}/audit-events?resource_id={}", b_objs.user),
    ] {
        let res = app.get(&path, &a_admin).await;
        assert_eq!(res.status(), 200, "{path}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["items"], json!([]), "{path} leaked B's rows: {v}");
    }
    // The tenant audit log takes its tenant from the path only.
    let res = app
        .get(
            &format!("/v1/tenants/{a}/audit-events?tenant_id={b}"),
            &a_admin,
        )
        .await;
    assert_problem(res, 400, "invalid_query").await;
    // And the platform log is for staff only.
    let res = app
        .get(&format!("/v1/audit-events?tenant_id={b}"), &a_admin)
        .await;
    assert_problem(res, 403, "forbidden").await;
}

/// A partner sees its subtree, nothing above or beside it; its customers see only
/// themselves.
#[tokio::test]
async fn partners_reach_their_subtree_only() {
    let app = TestApp::spawn().await;
    let ops = tenant_scoped_ops(&app).await;

    let p = app.create_tenant(&app.admin, "Partner P", None).await;
    let (_, partner) = app.create_user(&app.admin, &p, "partner_admin").await;
    let c1 = app.create_tenant(&partner, "Customer C1", Some(&p)).await;
    let c2 = app.create_tenant(&partner, "Customer C2", Some(&c1)).await;
    let (x, x_admin) = app.tenant_with_admin("Outsider X").await;
    let (_, c1_admin) = app.create_user(&partner, &c1, "tenant_admin").await;
    let (_, c1_partner) = app.create_user(&partner, &c1, "partner_admin").await;
    let partner_key = api_key(&app, &partner, &p, "partner_admin").await;

    let p_objs = populate(&app, &partner, &p).await;
    let c1_objs = populate(&app, &partner, &c1).await;
    let c2_objs = populate(&app, &c1_partner, &c2).await;
    let x_objs = populate(&app, &x_admin, &x).await;
    let before_x = snapshot(&app, &x_objs).await;
    let before_p = snapshot(&app, &p_objs).await;

    let mut failures = Vec::new();
    let mut requests = 0;
    // Downward: a partner (user or API key) reaches every GET of its customers' tenants,
    // a sub-partner those below it.
    for (who, token) in [
        ("P partner_admin", &partner),
        ("P partner API key", &partner_key),
    ] {
        requests += expect_gets_ok(
            &app,
            &ops,
            (who, token, &[]),
            &c1_objs,
            &[&x_objs],
            &mut failures,
        )
        .await;
        requests += expect_gets_ok(
            &app,
            &ops,
            (who, token, &[]),
            &c2_objs,
            &[&x_objs],
            &mut failures,
        )
        .await;
        requests += expect_gets_ok(
            &app,
            &ops,
            (who, token, &[]),
            &p_objs,
            &[&x_objs],
            &mut failures,
        )
        .await;
    }
    requests += expect_gets_ok(
        &app,
        &ops,
        ("C1 partner_admin", &c1_partner, &[]),
        &c2_objs,
        &[&x_objs],
        &mut failures,
    )
    .await;
    assert_no_failures(&failures);

    // Sideways: nothing of X, through any tenant of the subtree.
    for (who, token) in [
        ("P partner_admin", &partner),
        ("P partner API key", &partner_key),
    ] {
        requests += expect_all_404(
            &app,
            &ops,
            (who, token),
            &x,
            &x_objs,
            Mode::Tenant,
            &mut failures,
        )
        .await;
        for own in [&p, &c1, &c2] {
            requests += expect_all_404(
                &app,
                &ops,
                (who, token),
                own,
                &x_objs,
                Mode::Objects,
                &mut failures,
            )
            .await;
        }
    }
    // A customer's object is not reachable through another tenant of the same subtree.
    requests += expect_all_404(
        &app,
        &ops,
        ("P partner_admin", &partner),
        &p,
        &c1_objs,
        Mode::Objects,
        &mut failures,
    )
    .await;
    requests += expect_all_404(
        &app,
        &ops,
        ("P partner_admin", &partner),
        &c1,
        &p_objs,
        Mode::Objects,
        &mut failures,
    )
    .await;
    // Upward: nothing of the partner above.
    for (who, token) in [
        ("C1 tenant_admin", &c1_admin),
        ("C1 partner_admin", &c1_partner),
    ] {
        requests += expect_all_404(
            &app,
            &ops,
            (who, token),
            &p,
            &p_objs,
            Mode::Tenant,
            &mut failures,
        )
        .await;
        requests += expect_all_404(
            &app,
            &ops,
            (who, token),
            &c1,
            &p_objs,
            Mode::Objects,
            &mut failures,
        )
        .await;
    }
    // A tenant admin is no partner: its child tenant is invisible to it.
    requests += expect_all_404(
        &app,
        &ops,
        ("C1 tenant_admin", &c1_admin),
        &c2,
        &c2_objs,
        Mode::Tenant,
        &mut failures,
    )
    .await;
    // And the outsider sees nothing of the partner's tree.
    for objs in [&p_objs, &c1_objs, &c2_objs] {
        requests += expect_all_404(
            &app,
            &ops,
            ("X tenant_admin", &x_admin),
            &objs.tenant,
            objs,
            Mode::Tenant,
            &mut failures,
        )
        .await;
    }
    assert_no_failures(&failures);

    assert_unchanged("tenant X", &before_x, &snapshot(&app, &x_objs).await);
    assert_unchanged("tenant P", &before_p, &snapshot(&app, &p_objs).await);
    println!(
        "partner isolation: {requests} requests over {} operations",
        ops.len()
    );
}

async fn visible_tenants(app: &TestApp, token: &str, query: &str) -> BTreeSet<String> {
    let res = app
        .get(&format!("/v1/tenants?limit=200{query}"), token)
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["next_cursor"], Value::Null, "one page is enough here");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

#[tokio::test]
async fn tenant_list_shows_only_visible_tenants() {
    let app = TestApp::spawn().await;
    let (a, a_admin) = app.tenant_with_admin("List A").await;
    let (b, _) = app.tenant_with_admin("List B").await;
    let (_, a_user) = app.create_user(&a_admin, &a, "tenant_user").await;
    let p = app.create_tenant(&app.admin, "List Partner", None).await;
    let (_, partner) = app.create_user(&app.admin, &p, "partner_admin").await;
    let c1 = app.create_tenant(&partner, "List C1", Some(&p)).await;
    let c2 = app.create_tenant(&partner, "List C2", Some(&c1)).await;
    let c3 = app.create_tenant(&partner, "List C3", Some(&p)).await;
    let (_, c1_admin) = app.create_user(&partner, &c1, "tenant_admin").await;
    let (_, c1_partner) = app.create_user(&partner, &c1, "partner_admin").await;
    // A tenant under B, so "children of B" is not trivially empty.
    let b_child = app
        .create_tenant(&app.admin, "List B child", Some(&b))
        .await;

    assert_eq!(visible_tenants(&app, &a_admin, "").await, set(&[&a]));
    assert_eq!(visible_tenants(&app, &a_user, "").await, set(&[&a]));
    assert_eq!(
        visible_tenants(&app, &partner, "").await,
        set(&[&p, &c1, &c2, &c3])
    );
    assert_eq!(
        visible_tenants(&app, &c1_partner, "").await,
        set(&[&c1, &c2])
    );
    assert_eq!(visible_tenants(&app, &c1_admin, "").await, set(&[&c1]));
    let all = visible_tenants(&app, &app.admin, "").await;
    for t in [&a, &b, &p, &c1, &c2, &c3, &b_child] {
        assert!(all.contains(t), "platform admin sees every tenant");
    }

    // Filters narrow what is visible; they never widen it.
    assert_eq!(
        visible_tenants(&app, &partner, &format!("&parent_id={b}")).await,
        BTreeSet::new()
    );
    assert_eq!(
        visible_tenants(&app, &partner, &format!("&parent_id={p}")).await,
        set(&[&c1, &c3])
    );
    assert_eq!(
        visible_tenants(&app, &a_admin, &format!("&parent_id={b}")).await,
        BTreeSet::new()
    );
    assert_eq!(
        visible_tenants(&app, &c1_admin, &format!("&parent_id={c1}")).await,
        BTreeSet::new()
    );
    println!(
        "tenant lists: tenant admin 1, partner {}, sub-partner 2, platform {}",
        4,
        all.len()
    );
}

/// A child tenant under an invisible parent is a 404, and nothing is created.
#[tokio::test]
async fn creating_tenants_under_invisible_parents_is_404() {
    let app = TestApp::spawn().await;
    let (a, a_admin) = app.tenant_with_admin("Parent A").await;
    let (b, _) = app.tenant_with_admin("Parent B").await;
    let p = app.create_tenant(&app.admin, "Parent Partner", None).await;
    let (_, partner) = app.create_user(&app.admin, &p, "partner_admin").await;
    let c1 = app.create_tenant(&partner, "Parent C1", Some(&p)).await;
    let (_, c1_partner) = app.create_user(&partner, &c1, "partner_admin").await;

    // A tenant admin creates no tenant anywhere: refused by its role before the body (and
    // the parent it names) is read, with the same 403 whatever the parent, so nothing leaks.
    for (who, token, parent, status, code) in [
        ("tenant admin of A under B", &a_admin, &b, 403, "forbidden"),
        (
            "partner under an unrelated tenant",
            &partner,
            &b,
            404,
            "not_found",
        ),
        (
            "partner under another partner's customer",
            &partner,
            &a,
            404,
            "not_found",
        ),
        (
            "sub-partner under its own partner",
            &c1_partner,
            &p,
            404,
            "not_found",
        ),
    ] {
        let before = get_json(&app, &format!("/v1/tenants?limit=200&parent_id={parent}")).await;
        for body in [
            json!({"name": "Sneaky", "slug": slug("sneaky"), "parent_id": parent}),
            json!({"name": "", "parent_id": parent}),
        ] {
            let res = app.post("/v1/tenants", token, body).await;
            let problem = assert_problem(res, status, code).await;
            assert!(
                !problem.to_string().contains("Parent B"),
                "{who}: {problem}"
            );
        }
        let after = get_json(&app, &format!("/v1/tenants?limit=200&parent_id={parent}")).await;
        assert_eq!(before, after, "{who}: a child was created");
    }
}
