//! No GET anywhere answers a secret: SIP passwords, their HA1/HA1B digests, voicemail and
//! conference PINs, trunk passwords, API keys, node tokens, user passwords or any stored
//! hash of them.
//!
//! Driven by the served OpenAPI document like the isolation test: every GET operation is
//! called, with the ids of real objects created here, by the platform admin and by the
//! tenant's admin, so a route added later is checked without touching this file. The
//! switch directory is the one exception by design: media servers authenticate phones with
//! the digests it answers (to switch-node tokens only; `tests/switch.rs` covers it).

use std::collections::BTreeMap;

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const KAM_DB_PASSWORD: &str = "kam-Db-secret-41";
const KAM_RPC_PASSWORD: &str = "kam-Rpc-secret-42";
const TRUNK_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// GET operations in the spec today; raise it when routes are added.
const MIN_GET_OPERATIONS: usize = 58;

/// The routes whose job is to hand digests to switch nodes (checked here only with the
/// other tokens, which must not read them).
const DIGEST_ROUTES: [&str; 1] = ["/v1/switch/directory/{domain}/{user}"];

struct Fixture {
    /// Path parameter name → the id of a real object of that kind; `platform:` before the
    /// name for the platform's own object where its routes (outside `/v1/tenants/`) name
    /// another one.
    ids: BTreeMap<&'static str, String>,
    /// Every secret the fixture created, and the hashes the platform stores of them.
    secrets: Vec<String>,
    tenant_admin: String,
    node: String,
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A tenant with one object of every kind, each carrying its secrets.
async fn fixture(app: &TestApp) -> Fixture {
    let admin = &app.admin;
    let mut secrets: Vec<String> = Vec::new();
    let mut ids = BTreeMap::new();
    let (tenant, tenant_admin) = app.tenant_with_admin("Secrets Co").await;
    let t = |rest: &str| format!("/v1/tenants/{tenant}/{rest}");
    let domain = expect_json(
        app.post(&t("domains"), &tenant_admin, json!({"name": domain_name()}))
            .await,
        201,
    )
    .await;
    ids.insert("domain_id", id(&domain));

    // A user with an extension and a voicemail box, in one call.
    let user_password = "user-Secret-password-1";
    let vm_pin = "739164";
    let user = expect_json(
        app.post(
            &t("users"),
            &tenant_admin,
            json!({"email": "ana@secrets.example.com", "display_name": "Ana", "role": "tenant_user",
                "password": user_password,
                "extension": {"number": "1001", "display_name": "Ana"},
                "voicemail": {"mailbox": "1001", "pin": vm_pin, "emails": ["ana@secrets.example.com"]}}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("user_id", id(&user));
    let ext_id = id(&user["extension"]);
    ids.insert("extension_id", ext_id.clone());
    ids.insert("box_id", id(&user["voicemail_box"]));
    secrets.extend([user_password.to_owned(), vm_pin.to_owned()]);
    secrets.push(
        user["extension"]["sip_password"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    // A reset makes a second password; both it and the first must never come back.
    let reset = expect_json(
        app.post(
            &format!("{}/{ext_id}/reset-password", t("extensions")),
            &tenant_admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    secrets.push(reset["sip_password"].as_str().unwrap().to_owned());
    for c in credentials_of(app, &ext_id).await {
        secrets.extend([c.ha1, c.ha1b]);
    }

    let pins = ["482913", "591724"];
    let conf = expect_json(
        app.post(
            &t("conferences"),
            &tenant_admin,
            json!({"number": "800", "name": "Bridge", "pin": pins[0], "moderator_pin": pins[1]}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("conference_id", id(&conf));
    secrets.extend(pins.map(str::to_owned));

    let trunk_password = "tenant-Trunk-pass-77";
    let trunk = expect_json(
        app.post(
            &t("trunks"),
            &tenant_admin,
            json!({"name": "Own", "host": "sip.own.example.com", "username": "acme", "password": trunk_password}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("trunk_id", id(&trunk));
    let carrier_password = "carrier-Trunk-pass-88";
    let carrier = expect_json(
        app.post(
            "/v1/trunks",
            admin,
            json!({"name": "Carrier", "host": "sip.carrier.example.com", "username": "platform", "password": carrier_password}),
        )
        .await,
        201,
    )
    .await;
    secrets.extend([trunk_password.to_owned(), carrier_password.to_owned()]);

    let route = expect_json(
        app.post(
            &t("outbound-routes"),
            &tenant_admin,
            json!({"name": "Out", "patterns": ["X."], "trunk_ids": [id(&trunk), id(&carrier)]}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("route_id", id(&route));
    let did = expect_json(
        app.post(
            "/v1/dids",
            admin,
            json!({"number": "+34911234567", "carrier_trunk_id": id(&carrier), "currency": "EUR"}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("did_id", id(&did));
    expect_json(
        app.post(&t("dids"), &tenant_admin, json!({"did_id": id(&did)}))
            .await,
        201,
    )
    .await;

    let ext = json!({"type": "extension", "id": ext_id});
    for (path, param, body) in [
        (
            "ring-groups",
            "ring_group_id",
            json!({"number": "600", "name": "Sales", "members": [{"target": ext}]}),
        ),
        (
            "queues",
            "queue_id",
            json!({"number": "700", "name": "Support", "agents": [{"extension_id": ext_id}]}),
        ),
        (
            "time-conditions",
            "condition_id",
            json!({"name": "Hours", "schedule": {"time_zone": "Europe/Madrid", "rules": [{"weekdays": ["mon-fri"]}]},
                "matched_destination": ext, "unmatched_destination": {"type": "hangup"}}),
        ),
        (
            "ivr-menus",
            "ivr_menu_id",
            json!({"number": "500", "name": "Main", "greeting": {"type": "text", "text": "Hello"},
                "options": [{"digit": "1", "destination": ext}]}),
        ),
    ] {
        let v = expect_json(app.post(&t(path), &tenant_admin, body).await, 201).await;
        ids.insert(param, id(&v));
    }

    // The menu's greeting is a recording, so its downloads answer audio.
    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    wav.extend_from_slice(&[0u8; 40]);
    let menu = expect_json(
        send_raw(
            app,
            Method::PUT,
            &format!("{}/{}/greeting", t("ivr-menus"), ids["ivr_menu_id"]),
            &tenant_admin,
            Some("audio/wav"),
            wav,
        )
        .await,
        200,
    )
    .await;
    ids.insert(
        "sha256",
        menu["greeting"]["sha256"].as_str().unwrap().to_owned(),
    );

    let key = expect_json(
        app.post(
            &t("api-keys"),
            &tenant_admin,
            json!({"name": "integration", "role": "tenant_admin"}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("key_id", id(&key));
    let key = key["key"].as_str().unwrap().to_owned();
    secrets.extend([sha256_hex(&key), key]);

    let node = expect_json(
        app.post(
            "/v1/switch-nodes",
            admin,
            // Provisioned, with credentials in both URLs (nothing listens on port 1, so its
            // reconciles fail: their errors must not show them either).
            json!({"name": "edge", "kind": "kamailio", "addresses": ["127.0.0.1"],
                "kamailio": {"db_url": format!("postgres://kam:{KAM_DB_PASSWORD}@127.0.0.1:1/kamailio"),
                    "rpc_url": format!("http://rpc:{KAM_RPC_PASSWORD}@127.0.0.1:1/RPC")}}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("node_id", id(&node));
    secrets.extend([KAM_DB_PASSWORD.to_owned(), KAM_RPC_PASSWORD.to_owned()]);
    // A job (housekeeping, due in an hour so nothing runs it here).
    let job = centralita_domain::services::jobs::enqueue(
        &app.core.db,
        &centralita_domain::services::housekeeping::Housekeeping {},
        Some(chrono::Utc::now() + chrono::Duration::hours(1)),
    )
    .await
    .unwrap();
    ids.insert("job_id", job.id.to_string());
    let node_token = node["token"].as_str().unwrap().to_owned();
    secrets.extend([sha256_hex(&node_token), node_token.clone()]);
    // A voicemail message, delivered by the node into the user's box.
    let mailbox = user["voicemail_box"]["mailbox"].as_str().unwrap();
    let message = expect_json(
        post_voicemail(
            app,
            &node_token,
            &voicemail_metadata(domain["name"].as_str().unwrap(), mailbox),
            "audio/wav",
            crate::common::wav(100),
        )
        .await,
        201,
    )
    .await;
    ids.insert("message_id", id(&message));
    // A rate deck of the tenant's and one of the platform's, each with an imported version.
    for (base, deck_key, import_key) in [
        (t("rate-decks"), "deck_id", "import_id"),
        (
            "/v1/rate-decks".to_owned(),
            "platform:deck_id",
            "platform:import_id",
        ),
    ] {
        let (deck, view) = crate::rate_decks::create_deck(app, admin, &base, "Deck", "EUR").await;
        let import = crate::rate_decks::import(
            app,
            admin,
            &deck,
            "?activate=true",
            "prefix,destination,rate\n34,Spain,0.01\n",
        )
        .await;
        assert_eq!(import["version"], 1, "{import}");
        ids.insert(deck_key, id(&view));
        ids.insert(import_key, id(&import));
    }
    ids.insert("version", "1".to_owned());
    // A managed install (of a loopback target whose SSH port is closed: it only retries),
    // with its sealed SSH key and node database password, opened here to look for them.
    let ssh_port = free_port();
    let install = expect_json(
        app.post(
            "/v1/installs",
            admin,
            json!({"host": "127.0.0.1", "ssh_port": ssh_port, "profile": "kamailio-edge",
                "tenant_ids": [tenant], "sip_port": 25060, "rpc_port": 25080}),
        )
        .await,
        201,
    )
    .await;
    ids.insert("install_id", id(&install));
    // Cancelled, so its event stream ends (a live one streams until the install does).
    expect_json(
        app.post(
            &format!("/v1/installs/{}/cancel", id(&install)),
            admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    {
        use sea_orm::EntityTrait;
        let row = centralita_domain::entities::install::Entity::find_by_id(
            install["id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap(),
        )
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
        let sbox =
            centralita_domain::secretbox::SecretBox::configured(&app.core, "t", "t", "t").unwrap();
        secrets.extend([
            sbox.open(&row.db_password_sealed).unwrap(),
            sbox.open(&row.private_key_sealed).unwrap(),
            "PRIVATE KEY".to_owned(),
            row.db_password_sealed,
            row.private_key_sealed,
        ]);
    }
    // An invoice: something billed in the period (a credit), then the invoice job.
    let res = app
        .req(
            reqwest::Method::POST,
            &format!("{}/transactions", t("").trim_end_matches('/')),
            &app.admin,
        )
        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
        .json(&json!({"kind": "adjustment", "amount": "1", "description": "Credit"}))
        .send()
        .await
        .unwrap();
    expect_json(res, 201).await;
    crate::invoices::make_invoices(app).await;
    let invoices = list_all(app, &t("invoices"), &app.admin).await;
    ids.insert("invoice_id", id(&invoices[0]));
    // Every stored password and PIN hash is argon2.
    secrets.push("$argon2".to_owned());
    // A login's refresh token (and the hash kept of it), and the key trunk passwords are
    // sealed with.
    let login = login_pair(app, "ana@secrets.example.com", user_password).await;
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    secrets.extend([sha256_hex(&refresh), refresh, TRUNK_KEY.to_owned()]);
    // The directory's parameters, for the tokens that must not read it.
    ids.insert("domain", domain["name"].as_str().unwrap().to_owned());
    ids.insert("user", "1001".to_owned());
    ids.insert("tenant_id", tenant);
    Fixture {
        ids,
        secrets,
        tenant_admin,
        node: node_token,
    }
}

/// Every GET path of the served spec.
async fn get_paths(app: &TestApp) -> Vec<String> {
    let spec = expect_json(app.get("/openapi.json", &app.admin).await, 200).await;
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(p, _)| p.clone())
        .collect()
}

/// The path with real ids; `None` when the fixture has no object for a parameter.
fn fill(path: &str, ids: &BTreeMap<&'static str, String>) -> Option<String> {
    let platform = !path.starts_with("/v1/tenants/");
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => platform
                    .then(|| ids.get(format!("platform:{name}").as_str()))
                    .flatten()
                    .or_else(|| ids.get(name))
                    .cloned(),
                None => Some(seg.to_owned()),
            },
        )
        .collect::<Option<Vec<_>>>()
        .map(|segs| segs.join("/"))
}

#[tokio::test]
async fn no_get_answers_a_secret() {
    let app = TestApp::spawn_with(|c| {
        c.trunk_secret_key = Some(TRUNK_KEY.into());
        c.install_allowed_targets = "127.0.0.1/32".parse().unwrap();
    })
    .await;
    let f = fixture(&app).await;
    let paths = get_paths(&app).await;
    assert!(
        paths.len() >= MIN_GET_OPERATIONS,
        "only {} GET operations in the spec",
        paths.len()
    );
    let mut checked = 0;
    let mut ok_answers = 0;
    let mut leaks = Vec::new();
    let mut unfilled = Vec::new();
    for path in &paths {
        let Some(url) = fill(path, &f.ids) else {
            unfilled.push(path.clone());
            continue;
        };
        for token in [&app.admin, &f.tenant_admin, &f.node] {
            if DIGEST_ROUTES.contains(&path.as_str()) && token == &f.node {
                continue;
            }
            let res = app.req(Method::GET, &url, token).send().await.unwrap();
            let status = res.status().as_u16();
            let headers = format!("{:?}", res.headers());
            let body = headers + &String::from_utf8_lossy(&res.bytes().await.unwrap());
            checked += 1;
            if status == 200 {
                ok_answers += 1;
            }
            for s in &f.secrets {
                if body.contains(s.as_str()) {
                    leaks.push(format!("GET {path} ({status}) answers the secret {s:?}"));
                }
            }
        }
    }
    println!(
        "no secrets: {checked} answers over {} GET operations ({ok_answers} of them 200), {} secrets",
        paths.len() - unfilled.len(),
        f.secrets.len()
    );
    assert!(leaks.is_empty(), "{leaks:#?}");
    // Every route was visited: a new route needs an object of its kind in the fixture.
    assert!(unfilled.is_empty(), "{unfilled:?}");
    // The walk really read the objects: most answers are 200 (the rest are 401/403/404 of
    // tokens without the right, and the greeting of a text-only menu).
    assert!(
        ok_answers * 2 > checked,
        "{ok_answers} of {checked} were 200"
    );
}

/// The switch's own answers name conferences and mailboxes, never their PINs.
#[tokio::test]
async fn route_plans_carry_no_pins() {
    let app = TestApp::spawn_with(|c| {
        c.trunk_secret_key = Some(TRUNK_KEY.into());
        c.install_allowed_targets = "127.0.0.1/32".parse().unwrap();
    })
    .await;
    let f = fixture(&app).await;
    let domain = expect_json(
        app.get(
            &format!(
                "/v1/tenants/{}/domains/{}",
                f.ids["tenant_id"], f.ids["domain_id"]
            ),
            &f.tenant_admin,
        )
        .await,
        200,
    )
    .await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    for number in ["1001", "800", "600", "700", "500", "+34911234567"] {
        let res = app
            .req(Method::POST, "/v1/switch/route", &f.node)
            .json(&json!({"domain": domain, "caller": "1001", "destination": number}))
            .send()
            .await
            .unwrap();
        let body = expect_json(res, 200).await.to_string();
        for s in &f.secrets {
            assert!(!body.contains(s.as_str()), "route {number} answers {s:?}");
        }
    }
}
