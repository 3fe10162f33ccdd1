//! Rate decks (`/v1/rate-decks` and `/v1/tenants/{tenant_id}/rate-decks`): who owns and sees
//! which deck, CSV imports run as jobs (every bad line reported, nothing applied unless all
//! are good), versions that activate and roll back, exports that re-import unchanged, and the
//! rules for a billing account's sell deck and a carrier trunk's buy deck.

use std::time::Duration;

use crate::{billing::ledger_invariant_holds, common::*};
use centralita_domain::entities::{rate, rate_deck_version};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

const PLATFORM: &str = "/v1/rate-decks";

/// The header the export writes (every column, in order).
const HEADER: &str = "prefix,destination,rate,connection_fee,minimum_seconds,first_increment,\
                      next_increment,effective_from,effective_until";

/// A reason to send as support staff acting inside a tenant.
const REASON: &str = "ticket #4711: partner asked for help";

fn tenant_decks(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/rate-decks")
}

fn account(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/billing-account")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// Creates a deck under `base` (a deck collection path); returns `(deck path, view)`.
pub(crate) async fn create_deck(
    app: &TestApp,
    token: &str,
    base: &str,
    name: &str,
    currency: &str,
) -> (String, Value) {
    let res = app
        .post(base, token, json!({"name": name, "currency": currency}))
        .await;
    let location = header(&res, "location");
    let deck = expect_json(res, 201).await;
    assert_eq!(location, format!("{base}/{}", id_of(&deck)));
    (location, deck)
}

/// Posts `csv` as an import of the deck at `deck` (`query` like `?dry_run=true`).
async fn post_import(
    app: &TestApp,
    token: &str,
    deck: &str,
    query: &str,
    csv: &str,
) -> reqwest::Response {
    send_raw(
        app,
        Method::POST,
        &format!("{deck}/imports{query}"),
        token,
        Some("text/csv"),
        csv.to_owned(),
    )
    .await
}

/// Polls an import until it ends (every 100 ms, for at most about 20 s); returns its view.
async fn finished(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..200 {
        let v = expect_json(app.get(location, token).await, 200).await;
        if matches!(
            v["status"].as_str(),
            Some("succeeded" | "rejected" | "failed")
        ) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import at {location} did not end");
}

/// Imports `csv` into the deck at `deck` and waits for the import to end; returns its view.
pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    deck: &str,
    query: &str,
    csv: &str,
) -> Value {
    let res = post_import(app, token, deck, query, csv).await;
    let location = header(&res, "location");
    let queued = expect_json(res, 202).await;
    assert_eq!(location, format!("{deck}/imports/{}", id_of(&queued)));
    assert_eq!(queued["status"], "queued", "{queued}");
    assert_eq!(queued["size_bytes"], csv.len());
    assert!(queued["job_id"].is_string(), "{queued}");
    let done = finished(app, token, &location).await;
    assert_ne!(done["status"], "failed", "{done}");
    done
}

/// The deck's versions, newest first.
async fn versions(app: &TestApp, token: &str, deck: &str) -> Vec<Value> {
    let v = expect_json(app.get(&format!("{deck}/versions"), token).await, 200).await;
    v["items"].as_array().unwrap().clone()
}

/// The CSV export of version `n`.
async fn export(app: &TestApp, token: &str, deck: &str, n: i64) -> String {
    let res = app.get(&format!("{deck}/versions/{n}/export"), token).await;
    assert_eq!(res.status(), 200, "export of version {n} of {deck}");
    assert!(
        header(&res, "content-type").starts_with("text/csv"),
        "{}",
        header(&res, "content-type")
    );
    assert!(header(&res, "content-disposition").starts_with("attachment"));
    res.text().await.unwrap()
}

/// Activates version `n`; returns the deck.
async fn activate(app: &TestApp, token: &str, deck: &str, n: i64) -> Value {
    expect_json(
        app.post(&format!("{deck}/versions/{n}/activate"), token, json!({}))
            .await,
        200,
    )
    .await
}

/// The rows of a CSV text (RFC 4180: quoted cells, `""` inside them, CRLF or LF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// The stored rates of version `n` of deck `deck_id`, in line order.
async fn stored_rates(app: &TestApp, deck_id: &str, n: i32) -> Vec<rate::Model> {
    let version = rate_deck_version::Entity::find()
        .filter(rate_deck_version::Column::DeckId.eq(Uuid::parse_str(deck_id).unwrap()))
        .filter(rate_deck_version::Column::Number.eq(n))
        .one(&app.core.db)
        .await
        .unwrap()
        .expect("the version is stored");
    rate::Entity::find()
        .filter(rate::Column::VersionId.eq(version.id))
        .order_by_asc(rate::Column::Line)
        .all(&app.core.db)
        .await
        .unwrap()
}

/// Asserts a 422 whose errors name `field` with `code`.
async fn assert_refused(res: reqwest::Response, field: &str, code: &str) {
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_field_error(&p, field, code);
}

/// Sets the sell deck on the billing account at `account` as `token`.
async fn sell_at(app: &TestApp, token: &str, account: &str, deck: &Value) {
    let v = expect_json(
        app.patch(account, token, json!({"sell_deck_id": deck["id"]}))
            .await,
        200,
    )
    .await;
    assert_eq!(v["sell_deck_id"], deck["id"], "{v}");
}

/// A partner (root tenant with its partner admin) and a customer below it with its admin.
struct Partner {
    tenant: String,
    admin: String,
    customer: String,
    customer_admin: String,
}

async fn partner(app: &TestApp, name: &str) -> Partner {
    let tenant = app.create_tenant(&app.admin, name, None).await;
    let (_, admin) = app.create_user(&app.admin, &tenant, "partner_admin").await;
    let customer = app
        .create_tenant(&admin, &format!("{name} customer"), Some(&tenant))
        .await;
    let (_, customer_admin) = app.create_user(&admin, &customer, "tenant_admin").await;
    Partner {
        tenant,
        admin,
        customer,
        customer_admin,
    }
}

#[tokio::test]
async fn decks_are_created_renamed_and_deleted_by_their_owner_only() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let res = app
        .post(
            PLATFORM,
            admin,
            json!({"name": "Retail", "currency": "eur", "description": "Direct customers"}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let deck = expect_json(res, 201).await;
    let id = id_of(&deck);
    assert_eq!(location, format!("{PLATFORM}/{id}"));
    assert_eq!(deck["tenant_id"], Value::Null);
    assert_eq!(deck["name"], "Retail");
    assert_eq!(deck["currency"], "EUR");
    assert_eq!(deck["description"], "Direct customers");
    assert_eq!(deck["active_version"], Value::Null);
    assert_eq!(deck["version"], 1);

    // Bad decks: 422 naming the field; a second deck of the same name: 409. None is made.
    for (body, field, code) in [
        (
            json!({"name": "X", "currency": "XXX"}),
            "currency",
            "invalid_currency",
        ),
        (
            json!({"name": "X", "currency": "euro"}),
            "currency",
            "invalid_currency",
        ),
        (
            json!({"name": "", "currency": "EUR"}),
            "name",
            "invalid_length",
        ),
        (
            json!({"name": "   ", "currency": "EUR"}),
            "name",
            "invalid_length",
        ),
        (
            json!({"name": "x".repeat(201), "currency": "EUR"}),
            "name",
            "invalid_length",
        ),
        (
            json!({"name": "X", "currency": "EUR", "description": ""}),
            "description",
            "invalid_length",
        ),
    ] {
        assert_refused(app.post(PLATFORM, admin, body.clone()).await, field, code).await;
    }
    for body in [
        json!({"name": "X"}),
        json!({"name": "X", "currency": "EUR", "colour": "red"}),
    ] {
        assert_problem(
            app.post(PLATFORM, admin, body).await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        app.post(
            PLATFORM,
            admin,
            json!({"name": "Retail", "currency": "USD"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(list_all(&app, PLATFORM, admin).await, vec![deck.clone()]);
    assert_eq!(
        expect_json(app.get(&location, admin).await, 200).await,
        deck
    );

    // Renamed under If-Match; a stale one is refused and changes nothing.
    let res = app
        .req(Method::PATCH, &location, admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Retail 2026", "description": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "etag"), "\"2\"");
    let renamed = expect_json(res, 200).await;
    assert_eq!(renamed["name"], "Retail 2026");
    assert_eq!(renamed["description"], Value::Null);
    assert_eq!(renamed["currency"], "EUR");
    assert_eq!(renamed["version"], 2);
    let res = app
        .req(Method::PATCH, &location, admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Lost update"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    // The currency is fixed: rates are written in it.
    assert_problem(
        app.patch(&location, admin, json!({"currency": "USD"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let (other, _) = create_deck(&app, admin, PLATFORM, "Wholesale", "USD").await;
    assert_problem(
        app.patch(&other, admin, json!({"name": "Retail 2026"}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(
        expect_json(app.get(&location, admin).await, 200).await,
        renamed
    );

    // Support reads the platform's decks and changes none; partners and tenants see none.
    let (_, support) = support_token(&app).await;
    assert_eq!(
        expect_json(app.get(&location, &support).await, 200).await,
        renamed
    );
    assert_eq!(list_all(&app, PLATFORM, &support).await.len(), 2);
    for req in [
        app.req(Method::PATCH, &location, &support)
            .json(&json!({"name": "Support's"})),
        app.req(Method::PATCH, &location, &support)
            .header("X-Acting-Reason", REASON)
            .json(&json!({"name": "Support's"})),
        app.req(Method::DELETE, &location, &support),
        app.req(Method::POST, PLATFORM, &support)
            .json(&json!({"name": "Support's", "currency": "EUR"})),
        app.req(
            Method::POST,
            &format!("{location}/versions/1/activate"),
            &support,
        ),
    ] {
        assert_problem(req.send().await.unwrap(), 403, "forbidden").await;
    }
    let a = partner(&app, "Partner A").await;
    let b = partner(&app, "Partner B").await;
    for token in [&a.admin, &a.customer_admin] {
        for path in [
            PLATFORM.to_owned(),
            location.clone(),
            format!("{location}/versions"),
            format!("{location}/versions/1/export"),
        ] {
            assert_problem(app.get(&path, token).await, 403, "forbidden").await;
        }
        assert_problem(
            app.patch(&location, token, json!({"name": "Mine"})).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(app.delete(&location, token).await, 403, "forbidden").await;
        assert_problem(
            post_import(
                &app,
                token,
                &location,
                "",
                "prefix,destination,rate\n34,Spain,0.01\n",
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }

    // A partner's own decks: the same name as the platform's or another partner's is fine.
    let (a_deck, a_view) = create_deck(
        &app,
        &a.admin,
        &tenant_decks(&a.tenant),
        "Retail 2026",
        "USD",
    )
    .await;
    assert_eq!(a_view["tenant_id"], a.tenant.as_str());
    assert_problem(
        app.post(
            &tenant_decks(&a.tenant),
            &a.admin,
            json!({"name": "Retail 2026", "currency": "EUR"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    create_deck(
        &app,
        &b.admin,
        &tenant_decks(&b.tenant),
        "Retail 2026",
        "USD",
    )
    .await;
    assert_eq!(
        list_all(&app, &tenant_decks(&a.tenant), &a.admin).await,
        vec![a_view.clone()]
    );
    let a_id = id_of(&a_view);
    // Partner B sees nothing of it, through A's tenant or its own.
    for path in [
        a_deck.clone(),
        format!("{}/{a_id}", tenant_decks(&b.tenant)),
    ] {
        for sub in ["", "/versions", "/versions/1/export"] {
            assert_problem(
                app.get(&format!("{path}{sub}"), &b.admin).await,
                404,
                "not_found",
            )
            .await;
        }
        assert_problem(
            app.patch(&path, &b.admin, json!({"name": "Hijacked"}))
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(app.delete(&path, &b.admin).await, 404, "not_found").await;
        assert_problem(
            post_import(
                &app,
                &b.admin,
                &path,
                "",
                "prefix,destination,rate\n34,X,1\n",
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
    // A's customer does not see its partner's tenant, and has no decks of its own to read;
    // a deck is reached only through its owner: A's deck is not its customer's, nor the
    // platform's, and the platform's deck is not A's.
    let customer_path = format!("{}/{a_id}", tenant_decks(&a.customer));
    for (path, token, status, code) in [
        (a_deck.clone(), &a.customer_admin, 404, "not_found"),
        (
            tenant_decks(&a.customer),
            &a.customer_admin,
            403,
            "forbidden",
        ),
        (customer_path.clone(), &a.customer_admin, 403, "forbidden"),
        (customer_path, &a.admin, 404, "not_found"),
        (format!("{PLATFORM}/{a_id}"), admin, 404, "not_found"),
        (
            format!("{}/{id}", tenant_decks(&a.tenant)),
            &a.admin,
            404,
            "not_found",
        ),
    ] {
        assert_problem(app.get(&path, token).await, status, code).await;
    }
    assert_eq!(
        expect_json(app.get(&a_deck, admin).await, 200).await,
        a_view
    );
    // Support changes a partner's deck only with a stated reason.
    assert_problem(
        app.patch(&a_deck, &support, json!({"description": "Checked"}))
            .await,
        403,
        "reason_required",
    )
    .await;
    let res = app
        .req(Method::PATCH, &a_deck, &support)
        .header("X-Acting-Reason", REASON)
        .json(&json!({"description": "Checked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(res, 200).await["description"], "Checked");

    // Deleted under If-Match.
    let res = app
        .req(Method::DELETE, &location, admin)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .req(Method::DELETE, &location, admin)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, admin).await, 404, "not_found").await;
    assert_problem(app.delete(&location, admin).await, 404, "not_found").await;
    assert_eq!(
        audit_actions(&app, &id).await,
        ["rate_deck.create", "rate_deck.update", "rate_deck.delete"]
    );
}

/// Five rates: per-second billing after 30 s, a connection fee and a minimum, one prefix in
/// two windows that do not overlap, and a quoted destination with a comma.
const FIRST: &str = "prefix,destination,rate,connection_fee,minimum_seconds,first_increment,\
next_increment,effective_from,effective_until
34,Spain,0.012,0.00,0,30,6,,
346,Spain mobile,0.035,0.01,30,30,6,2026-01-01T00:00:00Z,
44,United Kingdom,0.01,0.00,0,60,60,,2027-01-01T00:00:00Z
44,United Kingdom,0.009,0.00,0,60,60,2027-01-01T00:00:00Z,
1,\"NANP, USA & Canada\",0.005,0.00,0,6,6,,
";

#[tokio::test]
async fn imports_make_versions_that_activate_roll_back_and_export_round_trip() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let (deck, view) = create_deck(&app, admin, PLATFORM, "Retail", "EUR").await;
    let deck_id = id_of(&view);

    let done = import(&app, admin, &deck, "", FIRST).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["rows"], 5);
    assert_eq!(done["bad_rows"], 0);
    assert_eq!(done["errors"], json!([]));
    assert_eq!(done["version"], 1);
    assert!(done["finished_at"].is_string());
    let v = versions(&app, admin, &deck).await;
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["number"], 1);
    assert_eq!(v[0]["status"], "ready");
    assert_eq!(v[0]["rate_count"], 5);
    assert_eq!(v[0]["active"], false);
    assert_eq!(v[0]["import_id"], done["id"]);
    // Not active until asked.
    assert_eq!(
        expect_json(app.get(&deck, admin).await, 200).await["active_version"],
        Value::Null
    );
    let d = activate(&app, admin, &deck, 1).await;
    assert_eq!(d["active_version"], 1);
    assert_eq!(versions(&app, admin, &deck).await[0]["active"], true);

    // A second import activated as it lands; then a rollback to the first.
    let second = FIRST.replace("0.012", "0.011").replace("0.035", "0.03");
    let done = import(&app, admin, &deck, "?activate=true", &second).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["version"], 2);
    let d = expect_json(app.get(&deck, admin).await, 200).await;
    assert_eq!(d["active_version"], 2);
    let v = versions(&app, admin, &deck).await;
    let numbers: Vec<(i64, bool)> = v
        .iter()
        .map(|v| {
            (
                v["number"].as_i64().unwrap(),
                v["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(numbers, [(2, true), (1, false)]);
    // A stale If-Match, an unknown version: refused, nothing switched.
    let res = app
        .req(Method::POST, &format!("{deck}/versions/1/activate"), admin)
        .header(
            "If-Match",
            format!("\"{}\"", d["version"].as_i64().unwrap() - 1),
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_problem(
        app.post(&format!("{deck}/versions/9/activate"), admin, json!({}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("{deck}/versions/9/export"), admin).await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .req(Method::POST, &format!("{deck}/versions/1/activate"), admin)
        .header("If-Match", format!("\"{}\"", d["version"]))
        .send()
        .await
        .unwrap();
    let rolled = expect_json(res, 200).await;
    assert_eq!(rolled["active_version"], 1);
    assert_eq!(
        expect_json(app.get(&deck, admin).await, 200).await["active_version"],
        1
    );

    // The export streams the rates as they were imported.
    let text = export(&app, admin, &deck, 1).await;
    let rows = parse_csv(&text);
    let input = parse_csv(FIRST);
    assert_eq!(rows[0].join(","), HEADER);
    assert_eq!(rows.len(), input.len(), "{text}");
    for (got, sent) in rows.iter().zip(&input).skip(1) {
        assert_eq!(got.len(), 9, "{got:?}");
        assert_eq!(got[..7], sent[..7], "{text}");
    }
    assert_eq!(rows[2][7], "2026-01-01T00:00:00Z");
    assert_eq!(rows[3][8], "2027-01-01T00:00:00Z");
    assert_eq!(rows[5][1], "NANP, USA & Canada");
    let v2 = export(&app, admin, &deck, 2).await;
    assert!(v2.contains(",0.011,") && !v2.contains(",0.012,"), "{v2}");

    // The export re-imports to the same rates: its own export is the same file.
    let done = import(&app, admin, &deck, "", &text).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["version"], 3);
    assert_eq!(export(&app, admin, &deck, 3).await, text);
    assert_eq!(
        stored_rates(&app, &deck_id, 3)
            .await
            .into_iter()
            .map(|r| (
                r.prefix,
                r.per_minute_micros,
                r.first_increment,
                r.next_increment
            ))
            .collect::<Vec<_>>(),
        [
            ("34".to_owned(), 12_000, 30, 6),
            ("346".to_owned(), 35_000, 30, 6),
            ("44".to_owned(), 10_000, 60, 60),
            ("44".to_owned(), 9_000, 60, 60),
            ("1".to_owned(), 5_000, 6, 6),
        ]
    );
    // A dry run of a good file succeeds and makes no version.
    let done = import(&app, admin, &deck, "?dry_run=true&activate=true", FIRST).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["dry_run"], true);
    assert_eq!(done["version"], Value::Null);
    assert_eq!(done["rows"], 5);
    assert_eq!(versions(&app, admin, &deck).await.len(), 3);
    assert_eq!(
        expect_json(app.get(&deck, admin).await, 200).await["active_version"],
        1
    );
    // Support reads it all.
    let (_, support) = support_token(&app).await;
    assert_eq!(export(&app, &support, &deck, 1).await, text);
    assert_eq!(versions(&app, &support, &deck).await.len(), 3);
}

/// One line of each kind of bad row, with what its reason must mention.
const BAD_LINES: [(&str, &str); 11] = [
    ("34,Spain,0.01,60,60", ""),
    ("3x4,Bad prefix,0.01,60,60", "digits only"),
    ("44,UK,-0.02,60,60", "negative"),
    ("49,Germany,1000,60,60", "above the most"),
    ("34,Spain again,0.02,60,60", "duplicate prefix: line 2"),
    ("33,France,0.01,0,60", "first_increment"),
    ("39,Italy,0.01", "has 3 fields, the header has 5"),
    ("34'; DROP TABLE rates;--,Evil,0.01,60,60", "digits only"),
    ("<sip:x@y>,Evil SIP,0.01,60,60", "digits only"),
    ("351,Portugal,0.01,60,6000", "next_increment"),
    ("352,Luxembourg,abc,60,60", "rate"),
];

#[tokio::test]
async fn every_bad_line_is_reported_and_nothing_is_applied() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let (deck, view) = create_deck(&app, admin, PLATFORM, "Checked", "EUR").await;
    let deck_id = id_of(&view);
    let good = import(
        &app,
        admin,
        &deck,
        "?activate=true",
        "prefix,destination,rate\n34,Spain,0.01\n",
    )
    .await;
    assert_eq!(good["version"], 1);
    let before = versions(&app, admin, &deck).await;
    let deck_before = expect_json(app.get(&deck, admin).await, 200).await;

    let mut csv = "prefix,destination,rate,first_increment,next_increment\n".to_owned();
    for (line, _) in BAD_LINES {
        csv.push_str(line);
        csv.push('\n');
    }
    for query in ["?dry_run=true", "", "?activate=true"] {
        let done = import(&app, admin, &deck, query, &csv).await;
        assert_eq!(done["status"], "rejected", "{query}: {done}");
        assert_eq!(done["version"], Value::Null, "{query}: {done}");
        assert_eq!(done["rows"], BAD_LINES.len());
        assert_eq!(done["bad_rows"], BAD_LINES.len() - 1);
        assert_eq!(done["next_after_line"], Value::Null);
        let errors = done["errors"].as_array().unwrap();
        let expected: Vec<(i64, &str)> = (2..)
            .zip(BAD_LINES)
            .filter(|(_, (_, why))| !why.is_empty())
            .map(|(line, (_, why))| (line, why))
            .collect();
        assert_eq!(errors.len(), expected.len(), "{query}: {done}");
        for (e, (line, why)) in errors.iter().zip(expected) {
            assert_eq!(e["line"], line, "{query}: {done}");
            let reason = e["reason"].as_str().unwrap();
            assert!(
                reason.contains(why),
                "line {line}: {reason:?} lacks {why:?}"
            );
        }
        // Nothing applied: the same versions, the same active one.
        assert_eq!(versions(&app, admin, &deck).await, before, "{query}");
        assert_eq!(
            expect_json(app.get(&deck, admin).await, 200).await,
            deck_before
        );
    }

    // An unknown column refuses the file at line 1.
    let done = import(
        &app,
        admin,
        &deck,
        "",
        "prefix,destination,rate,colour\n34,Spain,0.01,red\n",
    )
    .await;
    assert_eq!(done["status"], "rejected", "{done}");
    assert_eq!(done["bad_rows"], 1);
    assert_eq!(done["errors"][0]["line"], 1);
    let reason = done["errors"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("unknown column \"colour\""), "{reason}");
    // So does a header without a required column.
    let done = import(&app, admin, &deck, "", "prefix,rate\n34,0.01\n").await;
    assert_eq!(done["status"], "rejected", "{done}");
    assert!(
        done["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("destination"),
        "{done}"
    );
    assert_eq!(versions(&app, admin, &deck).await, before);

    // Text full of SQL and SIP metacharacters is data: stored and exported verbatim, with
    // cells a spreadsheet would run neutralised by a leading apostrophe.
    let nasty = [
        "Spain'; DROP TABLE rates;-- <sip:a@b>",
        "=HYPERLINK(\"http://evil.example.com\";\"x\")",
        "+45 Denmark",
        "-Sweden",
        "@Norway",
        "'=Quoted once",
        "Comma, \"quotes\" and \\ backslash",
        "Ünïcödé 東京",
    ];
    let mut csv = "prefix,destination,rate\n".to_owned();
    for (i, name) in nasty.iter().enumerate() {
        // The file's own neutralised form: what an export of `name` would write.
        let cell = if name
            .trim_start_matches('\'')
            .starts_with(['=', '+', '-', '@'])
        {
            format!("'{name}")
        } else {
            (*name).to_owned()
        };
        csv.push_str(&format!(
            "{},\"{}\",0.0{}\n",
            40 + i,
            cell.replace('"', "\"\""),
            i + 1
        ));
    }
    let done = import(&app, admin, &deck, "", &csv).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["version"], 2);
    let stored: Vec<String> = stored_rates(&app, &deck_id, 2)
        .await
        .into_iter()
        .map(|r| r.destination)
        .collect();
    assert_eq!(stored, nasty);
    let text = export(&app, admin, &deck, 2).await;
    let rows = parse_csv(&text);
    let exported: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        exported,
        [
            "Spain'; DROP TABLE rates;-- <sip:a@b>",
            "'=HYPERLINK(\"http://evil.example.com\";\"x\")",
            "'+45 Denmark",
            "'-Sweden",
            "'@Norway",
            "''=Quoted once",
            "Comma, \"quotes\" and \\ backslash",
            "Ünïcödé 東京",
        ]
    );
    for row in &rows[1..] {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?}");
        }
    }
    // …and the export re-imports to the same text.
    let done = import(&app, admin, &deck, "", &text).await;
    assert_eq!(done["version"], 3, "{done}");
    assert_eq!(export(&app, admin, &deck, 3).await, text);
    assert_eq!(
        stored_rates(&app, &deck_id, 3)
            .await
            .into_iter()
            .map(|r| r.destination)
            .collect::<Vec<_>>(),
        nasty
    );
}

/// Bad lines carry the file's own line numbers, whatever its line ends (a spreadsheet's
/// CRLF), blank lines, line breaks inside quotes, and a last line without a line break.
#[tokio::test]
async fn bad_lines_are_numbered_as_in_the_file() {
    let app = TestApp::spawn().await;
    let (deck, _) = create_deck(&app, &app.admin, PLATFORM, "Lines", "EUR").await;
    let lines = [
        "prefix,destination,rate",
        "34,Spain,0.01",
        "3x,Bad prefix,0.01",
        "",
        "44,UK,-1",
        "",
        "",
        "1,\"NANP",
        "quoted\",0.005",
        "33,France,abc",
        "x49,Germany,0.01",
    ];
    for eol in ["\n", "\r\n"] {
        let done = import(&app, &app.admin, &deck, "?dry_run=true", &lines.join(eol)).await;
        assert_eq!(done["status"], "rejected", "{eol:?}: {done}");
        assert_eq!(done["rows"], 6, "{eol:?}: {done}");
        let got: Vec<(i64, String)> = done["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["line"].as_i64().unwrap(),
                    e["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let numbers: Vec<i64> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(numbers, [3, 5, 8, 10, 11], "{eol:?}: {got:?}");
        for ((_, reason), why) in got.iter().zip([
            "digits only",
            "negative",
            "control characters",
            "rate",
            "digits only",
        ]) {
            assert!(reason.contains(why), "{eol:?}: {got:?}");
        }
    }
}

/// A file of several stored pieces (over 1 MiB each) with rows across their seams, and an
/// export of more rows than one read page: every row arrives, once, in order.
#[tokio::test]
async fn a_large_file_imports_and_exports_whole() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let (deck, _) = create_deck(&app, admin, PLATFORM, "Large", "EUR").await;
    let rows = 12_000;
    let mut csv = format!("{HEADER}\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "{},Destination {i} {},0.{:02},0.00,0,60,60,,\n",
            100_000 + i,
            "x".repeat(180),
            i % 99 + 1
        ));
    }
    assert!(csv.len() > 2 * 1024 * 1024, "{} bytes", csv.len());
    let done = import(&app, admin, &deck, "?activate=true", &csv).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["rows"], rows);
    assert_eq!(done["version"], 1);
    assert_eq!(versions(&app, admin, &deck).await[0]["rate_count"], rows);
    let exported = parse_csv(&export(&app, admin, &deck, 1).await);
    assert_eq!(exported.len(), rows + 1);
    for (got, sent) in exported.iter().zip(parse_csv(&csv)) {
        assert_eq!(got[..7], sent[..7]);
    }
}

#[tokio::test]
async fn an_import_is_csv_and_not_empty() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let (deck, _) = create_deck(&app, admin, PLATFORM, "Typed", "EUR").await;
    let csv = "prefix,destination,rate\n34,Spain,0.01\n";
    for ct in [
        Some("application/json"),
        Some("text/plain"),
        Some("application/octet-stream"),
        None,
    ] {
        let res = send_raw(
            &app,
            Method::POST,
            &format!("{deck}/imports"),
            admin,
            ct,
            csv,
        )
        .await;
        let p = assert_problem(res, 415, "unsupported_media_type").await;
        assert!(p["detail"].as_str().unwrap().contains("text/csv"), "{p}");
    }
    assert_refused(
        post_import(&app, admin, &deck, "", "").await,
        "body",
        "empty",
    )
    .await;
    // Nothing was started by any of them.
    assert!(versions(&app, admin, &deck).await.is_empty());
    let jobs = expect_json(app.get("/v1/jobs?limit=200", admin).await, 200).await;
    assert!(
        !jobs.to_string().contains("rate_deck.import"),
        "a job was queued: {jobs}"
    );
    // An unknown deck, an unknown import.
    assert_problem(
        post_import(
            &app,
            admin,
            &format!("{PLATFORM}/{}", Uuid::now_v7()),
            "",
            csv,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("{deck}/imports/{}", Uuid::now_v7()), admin)
            .await,
        404,
        "not_found",
    )
    .await;
    // A charset parameter is still CSV.
    let res = send_raw(
        &app,
        Method::POST,
        &format!("{deck}/imports"),
        admin,
        Some("text/csv; charset=utf-8"),
        csv,
    )
    .await;
    let queued = expect_json(res, 202).await;
    let done = finished(&app, admin, &format!("{deck}/imports/{}", id_of(&queued))).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    // An import is reached only through its own deck.
    let (other, _) = create_deck(&app, admin, PLATFORM, "Other", "EUR").await;
    assert_problem(
        app.get(&format!("{other}/imports/{}", id_of(&queued)), admin)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn bad_lines_are_listed_a_hundred_at_a_time() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let (deck, _) = create_deck(&app, admin, PLATFORM, "Paged", "EUR").await;
    let mut csv = "prefix,destination,rate\n1,USA,0.01\n".to_owned();
    for i in 0..250 {
        csv.push_str(&format!("x{i},Bad {i},0.01\n"));
    }
    let done = import(&app, admin, &deck, "", &csv).await;
    assert_eq!(done["status"], "rejected", "{done}");
    assert_eq!(done["rows"], 251);
    assert_eq!(done["bad_rows"], 250);
    let location = format!("{deck}/imports/{}", id_of(&done));
    let mut lines: Vec<i64> = Vec::new();
    let mut page = done;
    let mut pages = 1;
    loop {
        let errors = page["errors"].as_array().unwrap();
        assert!(errors.len() <= 100, "{} errors on a page", errors.len());
        for e in errors {
            assert!(e["reason"].as_str().unwrap().contains("digits only"), "{e}");
            lines.push(e["line"].as_i64().unwrap());
        }
        let Some(after) = page["next_after_line"].as_i64() else {
            break;
        };
        assert_eq!(errors.len(), 100, "a page before the last is full");
        assert_eq!(Some(after), lines.last().copied());
        page = expect_json(
            app.get(&format!("{location}?after_line={after}"), admin)
                .await,
            200,
        )
        .await;
        pages += 1;
        assert!(pages <= 3, "more pages than 250 lines make: {page}");
    }
    assert_eq!(pages, 3);
    assert_eq!(lines, (3..=252).collect::<Vec<_>>());
    // Past the last bad line, an empty page.
    let tail = expect_json(
        app.get(&format!("{location}?after_line=252"), admin).await,
        200,
    )
    .await;
    assert_eq!(tail["errors"], json!([]));
    assert_eq!(tail["next_after_line"], Value::Null);
}

#[tokio::test]
async fn sell_and_buy_decks_follow_who_owns_them() {
    let app = TestApp::spawn().await;
    let admin = &app.admin;
    let (p_usd_path, p_usd) = create_deck(&app, admin, PLATFORM, "Platform USD", "USD").await;
    let (p_eur_path, p_eur) = create_deck(&app, admin, PLATFORM, "Platform EUR", "EUR").await;
    let a = partner(&app, "Seller").await;
    let (a_usd_path, a_usd) = create_deck(
        &app,
        &a.admin,
        &tenant_decks(&a.tenant),
        "Seller USD",
        "USD",
    )
    .await;
    let (direct, direct_admin) = app.tenant_with_admin("Direct customer").await;

    // A tenant with no parent is sold at a platform deck in its account's currency (USD).
    let r = account(&direct);
    for (deck, code) in [
        (id_of(&p_eur), "currency_mismatch"),
        (id_of(&a_usd), "unknown_deck"),
        (Uuid::now_v7().to_string(), "unknown_deck"),
    ] {
        assert_refused(
            app.patch(&r, admin, json!({"sell_deck_id": deck})).await,
            "sell_deck_id",
            code,
        )
        .await;
    }
    assert_problem(
        app.patch(&r, &direct_admin, json!({"sell_deck_id": id_of(&p_usd)}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        expect_json(app.get(&r, &direct_admin).await, 200).await["version"],
        0,
        "nothing changed"
    );
    sell_at(&app, admin, &r, &p_usd).await;
    assert_eq!(
        expect_json(app.get(&r, &direct_admin).await, 200).await["sell_deck_id"],
        p_usd["id"]
    );
    // The currency cannot move away from the deck's.
    assert_refused(
        app.patch(&r, admin, json!({"currency": "EUR"})).await,
        "sell_deck_id",
        "currency_mismatch",
    )
    .await;
    // …unless the deck moves with it.
    let v = expect_json(
        app.patch(
            &r,
            admin,
            json!({"currency": "EUR", "sell_deck_id": id_of(&p_eur)}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (v["currency"].clone(), v["sell_deck_id"].clone()),
        (json!("EUR"), p_eur["id"].clone())
    );

    // A partner's customer is sold at one of the partner's decks, set by the partner.
    let c = account(&a.customer);
    assert_refused(
        app.patch(&c, &a.admin, json!({"sell_deck_id": id_of(&p_usd)}))
            .await,
        "sell_deck_id",
        "unknown_deck",
    )
    .await;
    assert_problem(
        app.patch(
            &c,
            &a.customer_admin,
            json!({"sell_deck_id": id_of(&a_usd)}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    sell_at(&app, &a.admin, &c, &a_usd).await;
    // The partner's own account (no parent) takes a platform deck, never its own.
    assert_refused(
        app.patch(
            &account(&a.tenant),
            admin,
            json!({"sell_deck_id": id_of(&a_usd)}),
        )
        .await,
        "sell_deck_id",
        "unknown_deck",
    )
    .await;

    // A carrier trunk buys at a platform deck; a tenant's own trunk has no buy deck.
    let carrier = expect_json(
        app.post(
            "/v1/trunks",
            admin,
            json!({"name": "Carrier", "host": "sip.carrier.example.com", "buy_deck_id": id_of(&p_eur)}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(carrier["buy_deck_id"], p_eur["id"]);
    let carrier_path = format!("/v1/trunks/{}", id_of(&carrier));
    for deck in [id_of(&a_usd), Uuid::now_v7().to_string()] {
        assert_refused(
            app.post(
                "/v1/trunks",
                admin,
                json!({"name": "Other carrier", "host": "sip.other.example.com", "buy_deck_id": deck}),
            )
            .await,
        "buy_deck_id", "unknown_deck",
        )
        .await;
        assert_refused(
            app.patch(&carrier_path, admin, json!({"buy_deck_id": deck}))
                .await,
            "buy_deck_id",
            "unknown_deck",
        )
        .await;
    }
    assert_eq!(
        expect_json(app.get(&carrier_path, admin).await, 200).await["buy_deck_id"],
        p_eur["id"]
    );
    let own_trunks = format!("/v1/tenants/{direct}/trunks");
    assert_refused(
        app.post(
            &own_trunks,
            &direct_admin,
            json!({"name": "Own", "host": "sip.own.example.com", "buy_deck_id": id_of(&p_eur)}),
        )
        .await,
        "buy_deck_id",
        "carrier_only",
    )
    .await;
    let own = expect_json(
        app.post(
            &own_trunks,
            &direct_admin,
            json!({"name": "Own", "host": "sip.own.example.com"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(own["buy_deck_id"], Value::Null);
    assert_refused(
        app.patch(
            &format!("{own_trunks}/{}", id_of(&own)),
            admin,
            json!({"buy_deck_id": id_of(&p_eur)}),
        )
        .await,
        "buy_deck_id",
        "carrier_only",
    )
    .await;

    // A deck in use is not deleted: 409 naming who uses it.
    let p = assert_problem(app.delete(&p_eur_path, admin).await, 409, "conflict").await;
    let users = field_errors(&p);
    assert!(
        users.contains(&(format!("tenants[{direct}]"), "in_use".into())),
        "{p}"
    );
    assert!(
        users.contains(&(format!("trunks[{}]", id_of(&carrier)), "in_use".into())),
        "{p}"
    );
    assert_eq!(users.len(), 2, "{p}");
    let p = assert_problem(app.delete(&a_usd_path, &a.admin).await, 409, "conflict").await;
    assert_eq!(
        field_errors(&p),
        [(format!("tenants[{}]", a.customer), "in_use".to_owned())]
    );
    for (path, token) in [(&p_eur_path, admin), (&a_usd_path, &a.admin)] {
        assert_eq!(
            app.get(path, token).await.status(),
            200,
            "{path} is still there"
        );
    }
    // Unused (p_usd no longer sold at), or once released, it goes.
    assert_eq!(app.delete(&p_usd_path, admin).await.status(), 204);
    expect_json(
        app.patch(&carrier_path, admin, json!({"buy_deck_id": null}))
            .await,
        200,
    )
    .await;
    expect_json(
        app.patch(&r, admin, json!({"sell_deck_id": null})).await,
        200,
    )
    .await;
    assert_eq!(app.delete(&p_eur_path, admin).await.status(), 204);
    let v = expect_json(app.get(&r, &direct_admin).await, 200).await;
    assert_eq!(v["sell_deck_id"], Value::Null);
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn a_partner_sells_to_its_customers_at_its_own_deck() {
    let app = TestApp::spawn().await;
    let a = partner(&app, "Reseller").await;
    let decks = tenant_decks(&a.tenant);
    let (deck, view) = create_deck(&app, &a.admin, &decks, "Resale", "USD").await;
    let csv = "prefix,destination,rate,first_increment,next_increment\n\
               34,Spain,0.02,30,6\n1,NANP,0.01,6,6\n";
    let done = import(&app, &a.admin, &deck, "?activate=true", csv).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["version"], 1);
    assert_eq!(
        expect_json(app.get(&deck, &a.admin).await, 200).await["active_version"],
        1
    );
    let v = versions(&app, &a.admin, &deck).await;
    assert_eq!(
        (v[0]["rate_count"].clone(), v[0]["active"].clone()),
        (json!(2), json!(true))
    );
    let rows = parse_csv(&export(&app, &a.admin, &deck, 1).await);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][..3], ["34", "Spain", "0.02"]);
    // The partner sees the import's job among its own.
    let jobs = expect_json(
        app.get(
            &format!("/v1/tenants/{}/jobs?limit=200", a.tenant),
            &a.admin,
        )
        .await,
        200,
    )
    .await;
    assert!(
        jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == done["job_id"]),
        "{jobs}"
    );
    // Its customer sees none of it.
    let import_path = format!("{deck}/imports/{}", id_of(&done));
    for path in [
        deck.clone(),
        format!("{deck}/versions"),
        format!("{deck}/versions/1/export"),
        import_path.clone(),
    ] {
        assert_problem(app.get(&path, &a.customer_admin).await, 404, "not_found").await;
    }
    assert_eq!(
        expect_json(app.get(&import_path, &a.admin).await, 200).await["status"],
        "succeeded"
    );

    // The partner sells to its customer at it; the platform's decks are not its to sell.
    let (_, platform_deck) = create_deck(&app, &app.admin, PLATFORM, "Platform", "USD").await;
    let c = account(&a.customer);
    assert_refused(
        app.patch(&c, &a.admin, json!({"sell_deck_id": id_of(&platform_deck)}))
            .await,
        "sell_deck_id",
        "unknown_deck",
    )
    .await;
    sell_at(&app, &a.admin, &c, &view).await;
    assert_eq!(
        expect_json(app.get(&c, &a.customer_admin).await, 200).await["sell_deck_id"],
        view["id"]
    );
    // Another partner's customer cannot be sold at it.
    let b = partner(&app, "Other reseller").await;
    assert_refused(
        app.patch(
            &account(&b.customer),
            &b.admin,
            json!({"sell_deck_id": id_of(&view)}),
        )
        .await,
        "sell_deck_id",
        "unknown_deck",
    )
    .await;
    // A customer billed in another currency cannot be sold at a USD deck.
    let eur_customer = app
        .create_tenant(&a.admin, "Euro customer", Some(&a.tenant))
        .await;
    assert_refused(
        app.patch(
            &account(&eur_customer),
            &a.admin,
            json!({"currency": "EUR", "sell_deck_id": id_of(&view)}),
        )
        .await,
        "sell_deck_id",
        "currency_mismatch",
    )
    .await;

    // Money moves as before, and the deck stays while it is sold at.
    let res = app
        .req(
            Method::POST,
            &format!("/v1/tenants/{}/transactions", a.customer),
            &a.admin,
        )
        .header("Idempotency-Key", "deck-top-up")
        .json(&json!({"kind": "top_up", "amount": "20.00"}))
        .send()
        .await
        .unwrap();
    expect_json(res, 201).await;
    assert_problem(app.delete(&deck, &a.admin).await, 409, "conflict").await;
    ledger_invariant_holds(&app).await;
}
