//! Real-time call authorization with credit holds (`POST /v1/switch/calls`, `…/end`), least
//! -cost routing of the route plan, and `GET /v1/tenants/{t}/rates/explain`.

use std::time::Duration;

use crate::{billing::ledger_invariant_holds, common::*};
use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A customer with a SIP domain, an extension (101), a platform sell deck (34: 0.06/min
/// 1/1; 3491: 0.12/min 30/6 with a 0.05 fee) assigned, a carrier trunk and a route `X.`.
pub(crate) struct Setup {
    pub(crate) t: String,
    pub(crate) admin: String,
    pub(crate) domain: String,
    pub(crate) node: String,
    pub(crate) deck: String,
    pub(crate) trunk: String,
}

/// Polls an import until it ends; answers its view.
pub(crate) async fn import_rates(app: &TestApp, deck_path: &str, csv: &str, query: &str) -> Value {
    let res = app
        .req(
            Method::POST,
            &format!("{deck_path}/imports?{query}"),
            &app.admin,
        )
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let import = expect_json(res, 202).await;
    let url = format!("{deck_path}/imports/{}", import["id"].as_str().unwrap());
    for _ in 0..200 {
        let v = expect_json(app.get(&url, &app.admin).await, 200).await;
        if ["succeeded", "rejected", "failed"].contains(&v["status"].as_str().unwrap()) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import did not end");
}

/// A platform deck with `csv` imported and active.
pub(crate) async fn platform_deck(app: &TestApp, name: &str, csv: &str) -> String {
    let deck = expect_json(
        app.post(
            "/v1/rate-decks",
            &app.admin,
            json!({"name": name, "currency": "USD"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = import_rates(app, &format!("/v1/rate-decks/{deck}"), csv, "activate=true").await;
    assert_eq!(v["status"], "succeeded", "{v}");
    deck
}

const SELL: &str = "prefix,destination,rate,connection_fee,first_increment,next_increment\n\
                    34,Spain,0.06,0,1,1\n3491,Madrid,0.12,0.05,30,6\n";

pub(crate) async fn setup(app: &TestApp) -> Setup {
    let (t, admin) = app.tenant_with_admin("Caller Co").await;
    let domain = add_domain(app, &admin, &t).await;
    create_extension(
        app,
        &admin,
        &t,
        json!({"number": "101", "display_name": "Desk"}),
    )
    .await;
    let deck = platform_deck(app, &format!("Retail {}", Uuid::now_v7()), SELL).await;
    expect_json(
        app.patch(
            &format!("/v1/tenants/{t}/billing-account"),
            &app.admin,
            json!({"sell_deck_id": deck, "currency": "USD"}),
        )
        .await,
        200,
    )
    .await;
    let trunk = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": format!("carrier-{}", Uuid::now_v7()), "host": "127.0.0.1"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/outbound-routes"),
            &admin,
            json!({"name": "Out", "patterns": ["X."], "trunk_ids": [trunk]}),
        )
        .await,
        201,
    )
    .await;
    let node = switch_node_token(app).await;
    Setup {
        t,
        admin,
        domain,
        node,
        deck,
        trunk,
    }
}

pub(crate) async fn top_up(app: &TestApp, t: &str, amount: &str) {
    let res = app
        .req(
            Method::POST,
            &format!("/v1/tenants/{t}/transactions"),
            &app.admin,
        )
        .header("Idempotency-Key", Uuid::now_v7().to_string())
        .json(&json!({"kind": "top_up", "amount": amount}))
        .send()
        .await
        .unwrap();
    expect_json(res, 201).await;
}

pub(crate) async fn authorize(app: &TestApp, s: &Setup, call_id: &str, destination: &str) -> Value {
    let res = app
        .post(
            "/v1/switch/calls",
            &s.node,
            json!({"call_id": call_id, "domain": s.domain, "caller": "101", "destination": destination}),
        )
        .await;
    expect_json(res, 200).await
}

pub(crate) async fn end(
    app: &TestApp,
    node: &str,
    call_id: &str,
    seconds: i64,
) -> reqwest::Response {
    let ended = chrono::Utc::now();
    let answered = ended - chrono::Duration::seconds(seconds);
    app.post(
        &format!("/v1/switch/calls/{call_id}/end"),
        node,
        json!({"answered_at": answered, "ended_at": ended, "hangup_cause": "NORMAL_CLEARING"}),
    )
    .await
}

pub(crate) async fn balance(app: &TestApp, t: &str) -> Value {
    expect_json(
        app.get(&format!("/v1/tenants/{t}/balance"), &app.admin)
            .await,
        200,
    )
    .await
}

pub(crate) async fn call_charges(app: &TestApp, t: &str) -> Vec<Value> {
    list_all(
        app,
        &format!("/v1/tenants/{t}/transactions?kind=call_charge"),
        &app.admin,
    )
    .await
}

#[tokio::test]
async fn a_call_holds_what_its_grant_costs_and_ending_it_charges_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "0.60").await; // ten minutes at 0.06

    let a = authorize(&app, &s, "call-a@edge", "34612345678").await;
    assert_eq!(a["decision"], "allow", "{a}");
    assert_eq!(a["reason"], "outbound");
    assert_eq!(a["max_duration_seconds"], 600);
    assert_eq!(a["hold"], "0.60");
    assert_eq!(a["rate"], "0.06");
    assert_eq!(a["currency"], "USD");
    assert_eq!(a["prefix"], "34");
    assert_eq!(a["trunks"][0]["trunk_id"], s.trunk);
    let b = balance(&app, &s.t).await;
    assert_eq!(
        (
            b["balance"].as_str(),
            b["held"].as_str(),
            b["available"].as_str()
        ),
        (Some("0.60"), Some("0.60"), Some("0.00"))
    );

    // Asking again for the same call answers the same, holding nothing more.
    assert_eq!(authorize(&app, &s, "call-a@edge", "34612345678").await, a);
    // Another call finds no credit left.
    let denied = authorize(&app, &s, "call-b@edge", "34612345678").await;
    assert_eq!(
        (denied["decision"].as_str(), denied["reason"].as_str()),
        (Some("deny"), Some("insufficient_credit"))
    );

    // 100 s at 0.06/min, 1/1: 0.10.
    let charge = expect_json(end(&app, &s.node, "call-a@edge", 100).await, 200).await;
    assert_eq!(charge["charge"], "0.10");
    assert_eq!(charge["billed_seconds"], 100);
    let b = balance(&app, &s.t).await;
    assert_eq!(
        (b["balance"].as_str(), b["held"].as_str()),
        (Some("0.50"), Some("0.00"))
    );
    // Ending it again changes nothing and answers the same charge.
    let again = expect_json(end(&app, &s.node, "call-a@edge", 300).await, 200).await;
    assert_eq!(again, charge);
    assert_eq!(call_charges(&app, &s.t).await.len(), 1);
    assert_eq!(balance(&app, &s.t).await["balance"], "0.50");

    // Unknown calls and other nodes' calls are not there.
    assert_problem(
        end(&app, &s.node, "never-authorized", 5).await,
        404,
        "not_found",
    )
    .await;
    let other = switch_node_token(&app).await;
    let c = authorize(&app, &s, "call-c@edge", "34911234567").await;
    assert_eq!(c["decision"], "allow");
    assert_problem(end(&app, &other, "call-c@edge", 5).await, 404, "not_found").await;
    // The longer prefix won: 30/6 with a fee; a call never answered costs nothing.
    assert_eq!(
        (c["prefix"].as_str(), c["rate"].as_str()),
        (Some("3491"), Some("0.12"))
    );
    let unanswered = app
        .post(
            "/v1/switch/calls/call-c@edge/end",
            &s.node,
            json!({"ended_at": chrono::Utc::now(), "hangup_cause": "NO_ANSWER"}),
        )
        .await;
    assert_eq!(expect_json(unanswered, 200).await["charge"], "0.00");
    let b = balance(&app, &s.t).await;
    assert_eq!(
        (b["balance"].as_str(), b["held"].as_str()),
        (Some("0.50"), Some("0.00"))
    );
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn a_retried_call_keeps_its_answer_and_holds_once_while_credit_remains() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "100.00").await;
    let first = authorize(&app, &s, "retry@edge", "34612345678").await;
    assert_eq!(first["decision"], "allow", "{first}");
    let held = balance(&app, &s.t).await["held"].clone();
    assert_eq!(held, first["hold"]);
    // The switch retries (its answer was lost), several times at once, while the account
    // could pay for another hold: each retry tries to hold and record the call again,
    // finds the call id taken, undoes its hold and answers the first answer.
    let retries: Vec<_> = (0..5)
        .map(|_| authorize(&app, &s, "retry@edge", "34612345678"))
        .collect();
    for again in futures_util::future::join_all(retries).await {
        assert_eq!(again, first);
    }
    let b = balance(&app, &s.t).await;
    assert_eq!((&b["held"], &b["balance"]), (&held, &json!("100.00")));
    // One call ends once, charged once, and its hold is gone.
    let charge = expect_json(end(&app, &s.node, "retry@edge", 60).await, 200).await;
    assert_eq!(charge["charge"], "0.06");
    let b = balance(&app, &s.t).await;
    assert_eq!(
        (b["held"].as_str(), b["balance"].as_str()),
        (Some("0.00"), Some("99.94"))
    );
    assert_eq!(call_charges(&app, &s.t).await.len(), 1);
    // A new call id asked for several times at once (on PostgreSQL the copies may share one
    // statement, which then fails on the duplicate id and places them one by one): one
    // answer, one hold.
    let twins: Vec<_> = (0..5)
        .map(|_| authorize(&app, &s, "twins@edge", "34612345678"))
        .collect();
    let twins = futures_util::future::join_all(twins).await;
    assert_eq!(twins[0]["decision"], "allow", "{}", twins[0]);
    assert!(twins.iter().all(|t| *t == twins[0]), "{twins:?}");
    assert_eq!(balance(&app, &s.t).await["held"], twins[0]["hold"]);
    ledger_invariant_holds(&app).await;
}

/// Calls of one account arriving together: every one is held and recorded, the account
/// holds exactly their sum, and on PostgreSQL they share statements (see
/// `domain/src/services/billing/holds.rs`), which `/metrics` counts.
#[tokio::test]
async fn calls_arriving_together_on_one_account_are_each_held_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "1000.00").await;
    let calls: Vec<_> = (0..60)
        .map(|i| {
            let (app, s) = (&app, &s);
            async move { authorize(app, s, &format!("burst-{i}"), "34612345678").await }
        })
        .collect();
    let answers = futures_util::future::join_all(calls).await;
    let micros = |v: &Value| -> i64 {
        let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
        (d * rust_decimal::Decimal::from(1_000_000))
            .try_into()
            .unwrap()
    };
    let mut held = 0;
    for a in &answers {
        assert_eq!(a["decision"], "allow", "{a}");
        held += micros(&a["hold"]);
    }
    assert_eq!(micros(&balance(&app, &s.t).await["held"]), held);
    if app.core.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let stats = app.core.holds.stats();
        assert_eq!(stats.placed_alone + stats.placed_batched, 60, "{stats:?}");
        assert!(
            stats.placed_batched > 0,
            "no statement held several calls: {stats:?}"
        );
        assert!(stats.statements < 60, "{stats:?}");
        let metrics = scrape_metrics(&app).await;
        let line = format!(
            "call_holds_placed_total{{statement=\"batch\"}} {}",
            stats.placed_batched
        );
        assert!(metrics.contains(&line), "{line} not in {metrics}");
    }
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn internal_calls_hold_nothing_and_cost_nothing() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let d = authorize(&app, &s, "int-1", "101").await;
    assert_eq!(
        (d["decision"].as_str(), d["reason"].as_str()),
        (Some("allow"), Some("internal"))
    );
    assert!(d["trunks"].as_array().unwrap().is_empty());
    assert_eq!(balance(&app, &s.t).await["held"], "0.00");
    let charge = expect_json(end(&app, &s.node, "int-1", 3_000).await, 200).await;
    assert_eq!(charge["charge"], "0.00");
    assert!(charge["transaction_id"].is_null());
    assert!(call_charges(&app, &s.t).await.is_empty());
}

#[tokio::test]
async fn calls_without_a_price_or_a_way_out_are_denied() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "5").await;
    let reason = |v: Value| {
        (
            v["decision"].as_str().unwrap().to_owned(),
            v["reason"].as_str().unwrap().to_owned(),
        )
    };
    // No rate for the destination.
    let d = authorize(&app, &s, "x1", "4420123456").await;
    assert_eq!(reason(d), ("deny".into(), "no_rate".into()));
    // Unknown SIP domain.
    let res = app
        .post(
            "/v1/switch/calls",
            &s.node,
            json!({"call_id": "x2", "domain": "nobody.example", "caller": "1", "destination": "34911"}),
        )
        .await;
    assert_eq!(
        reason(expect_json(res, 200).await),
        ("deny".into(), "unknown_domain".into())
    );
    // No sell deck.
    expect_json(
        app.patch(
            &format!("/v1/tenants/{}/billing-account", s.t),
            &app.admin,
            json!({"sell_deck_id": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        reason(authorize(&app, &s, "x3", "34612345678").await),
        ("deny".into(), "no_sell_deck".into())
    );
    // The trunk disabled: no way out.
    expect_json(
        app.patch(
            &format!("/v1/tenants/{}/billing-account", s.t),
            &app.admin,
            json!({"sell_deck_id": s.deck}),
        )
        .await,
        200,
    )
    .await;
    expect_json(
        app.patch(
            &format!("/v1/trunks/{}", s.trunk),
            &app.admin,
            json!({"enabled": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        reason(authorize(&app, &s, "x4", "34612345678").await),
        ("deny".into(), "no_trunk".into())
    );
    // Bad input is a 422 naming the field, and nothing is held; SQL and SIP metacharacters
    // in the strings are data, never executed.
    for (field, code, body) in [
        (
            "call_id",
            "invalid_length",
            json!({"call_id": "", "domain": s.domain, "caller": "101", "destination": "34"}),
        ),
        (
            "destination",
            "invalid_length",
            json!({"call_id": "y", "domain": s.domain, "caller": "101", "destination": "3".repeat(65)}),
        ),
        (
            "caller",
            "invalid_characters",
            json!({"call_id": "y", "domain": s.domain, "caller": "a\u{0}b", "destination": "34"}),
        ),
    ] {
        let p = assert_problem(
            app.post("/v1/switch/calls", &s.node, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&p, field, code);
    }
    let d = app
        .post(
            "/v1/switch/calls",
            &s.node,
            json!({"call_id": "z'; DROP TABLE call_authorizations;--", "domain": s.domain,
                   "caller": "\"Bob\" <sip:101@x>;tag=1", "destination": "34'; DELETE FROM billing_accounts;--"}),
        )
        .await;
    assert_eq!(
        reason(expect_json(d, 200).await),
        ("deny".into(), "no_route".into())
    );
    assert_eq!(balance(&app, &s.t).await["held"], "0.00");
    assert_eq!(balance(&app, &s.t).await["balance"], "5.00");
    // A tenant token is not a node token.
    let res = app
        .post(
            "/v1/switch/calls",
            &s.admin,
            json!({"call_id": "t", "domain": s.domain, "caller": "101", "destination": "34"}),
        )
        .await;
    assert_eq!(res.status(), 401);
}

/// The concurrency test: 100 parallel authorizations on one prepaid account whose
/// balance covers ten minutes at the matched rate.
#[tokio::test]
async fn a_hundred_parallel_calls_never_hold_more_than_the_balance() {
    let app = TestApp::spawn_with(|c| {
        c.database_max_connections = 10;
        // A shorter cap, so several calls share the ten minutes.
        c.max_call_seconds = 120;
    })
    .await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "0.60").await;
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let app = &app;
            let s = &s;
            async move { authorize(app, s, &format!("par-{i}"), "34612345678").await }
        })
        .collect();
    let answers = futures_util::future::join_all(calls).await;
    let allowed: Vec<&Value> = answers
        .iter()
        .filter(|a| a["decision"] == "allow")
        .collect();
    let micros = |v: &Value| -> i64 {
        let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
        (d * rust_decimal::Decimal::from(1_000_000))
            .try_into()
            .unwrap()
    };
    let held: i64 = allowed.iter().map(|a| micros(&a["hold"])).sum();
    assert!(held <= 600_000, "held {held} µ of 600,000");
    assert_eq!(allowed.len(), 5, "120 s each at 0.06/min: five calls fit");
    for a in &answers {
        if a["decision"] == "deny" {
            assert_eq!(a["reason"], "insufficient_credit", "{a}");
        }
    }
    assert_eq!(micros(&balance(&app, &s.t).await["held"]), held);
    // End the allowed calls with random durations within their grant.
    let ends: Vec<_> = allowed
        .iter()
        .map(|a| {
            let secs = rand::rng().random_range(0..=a["max_duration_seconds"].as_i64().unwrap());
            let call = a["call_id"].as_str().unwrap().to_owned();
            let app = &app;
            let node = s.node.clone();
            async move { end(app, &node, &call, secs).await.status() }
        })
        .collect();
    for status in futures_util::future::join_all(ends).await {
        assert_eq!(status, 200);
    }
    let b = balance(&app, &s.t).await;
    assert_eq!(b["held"], "0.00");
    // One increment at 0.06/min, 1/1, is 0.001.
    assert!(micros(&b["balance"]) >= -1_000, "{b}");
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn holds_of_calls_never_ended_are_released_and_a_late_end_still_charges() {
    let app = TestApp::spawn_with(|c| {
        c.max_call_seconds = 1;
        c.hold_grace_secs = 0;
    })
    .await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "1").await;
    let a = authorize(&app, &s, "lost-call", "34612345678").await;
    assert_eq!(a["decision"], "allow");
    assert_eq!(balance(&app, &s.t).await["held"], "0.001");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Run the sweep now rather than waiting for its minute.
    let queued = {
        let txn = app.core.begin().await.unwrap();
        let q = centralita_domain::services::jobs::enqueue(
            &txn,
            &centralita_domain::services::billing::calls::ExpireHolds {},
            None,
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        q
    };
    queued.wake(&app.core).await;
    let mut released = false;
    for _ in 0..100 {
        if balance(&app, &s.t).await["held"] == "0.00" {
            released = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(released, "the sweep released the hold");
    assert_eq!(
        balance(&app, &s.t).await["balance"],
        "1.00",
        "the sweep posts nothing"
    );
    // The switch's end arrives late: the call is still charged, no hold is released twice.
    let charge = expect_json(end(&app, &s.node, "lost-call", 1).await, 200).await;
    assert_eq!(charge["charge"], "0.001");
    let b = balance(&app, &s.t).await;
    assert_eq!(
        (b["balance"].as_str(), b["held"].as_str()),
        (Some("0.999"), Some("0.00"))
    );
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn authorization_fails_closed_when_the_database_is_unreachable() {
    use sea_orm::TransactionTrait;
    let app = TestApp::spawn_with(|c| {
        c.database_max_connections = 1;
        c.database_acquire_timeout_secs = 1;
    })
    .await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "1").await;
    assert_eq!(
        authorize(&app, &s, "ok-1", "34612345678").await["decision"],
        "allow"
    );
    let held = app.core.db.begin().await.unwrap();
    let res = app
        .post(
            "/v1/switch/calls",
            &s.node,
            json!({"call_id": "blocked", "domain": s.domain, "caller": "101", "destination": "34612345678"}),
        )
        .await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    held.rollback().await.unwrap();
    // Either the decision says deny, or the node could not even be authenticated (503):
    // never an allow.
    if status == 200 {
        assert_eq!(
            (body["decision"].as_str(), body["reason"].as_str()),
            (Some("deny"), Some("unavailable")),
            "{body}"
        );
    } else {
        assert_eq!(status, 503, "{body}");
    }
    assert_eq!(
        balance(&app, &s.t).await["held"],
        "1.00",
        "only the first call holds (all of the balance: 1,000 s at 0.06/min is within the cap)"
    );
}

#[tokio::test]
async fn route_plans_and_explain_order_carriers_by_buy_rate() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let carrier = |name: &str, deck: Option<&str>| {
        let body = json!({"name": format!("{name}-{}", Uuid::now_v7()), "host": "127.0.0.2", "buy_deck_id": deck});
        let app = &app;
        async move {
            expect_json(app.post("/v1/trunks", &app.admin, body).await, 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let cheap = platform_deck(
        &app,
        "Buy cheap",
        "prefix,destination,rate\n34,Spain,0.01\n",
    )
    .await;
    let dear = platform_deck(
        &app,
        "Buy dear",
        "prefix,destination,rate\n34,Spain,0.03\n346,Spain mobile,0.02\n",
    )
    .await;
    let loss = platform_deck(&app, "Buy loss", "prefix,destination,rate\n34,Spain,0.09\n").await;
    let no_spain = platform_deck(&app, "Buy UK", "prefix,destination,rate\n44,UK,0.01\n").await;
    let t_dear = carrier("dear", Some(&dear)).await;
    let t_cheap = carrier("cheap", Some(&cheap)).await;
    let t_loss = carrier("loss", Some(&loss)).await;
    let t_uk = carrier("uk", Some(&no_spain)).await;
    // The route lists them dearest first, with the unpriced setup trunk in the middle.
    let routes = list_all(
        &app,
        &format!("/v1/tenants/{}/outbound-routes", s.t),
        &s.admin,
    )
    .await;
    let route = routes[0]["id"].as_str().unwrap();
    expect_json(
        app.patch(
            &format!("/v1/tenants/{}/outbound-routes/{route}", s.t),
            &s.admin,
            json!({"trunk_ids": [t_loss, t_dear, s.trunk, t_cheap, t_uk]}),
        )
        .await,
        200,
    )
    .await;
    let plan = expect_json(
        app.post(
            "/v1/switch/route",
            &s.node,
            json!({"domain": s.domain, "caller": "101", "destination": "34612345678"}),
        )
        .await,
        200,
    )
    .await;
    let order: Vec<&str> = plan["plan"]["trunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trunk_id"].as_str().unwrap())
        .collect();
    // cheap (0.01) < dear (0.02 for 346) < unpriced; loss (0.09 > sell 0.06) and uk (no
    // rate for Spain) left out.
    assert_eq!(
        order,
        [t_cheap.as_str(), t_dear.as_str(), s.trunk.as_str()],
        "{plan}"
    );
    let x = expect_json(
        app.get(
            &format!("/v1/tenants/{}/rates/explain?number=34612345678", s.t),
            &s.admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            x["prefix"].as_str(),
            x["rate"].as_str(),
            x["version"].as_i64()
        ),
        (Some("34"), Some("0.06"), Some(1))
    );
    assert_eq!(x["cost_60s"], "0.06");
    let lcr: Vec<(String, bool, String)> = x["lcr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["trunk_id"].as_str().unwrap().to_owned(),
                e["used"].as_bool().unwrap(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(lcr[0], (t_cheap.clone(), true, "cheapest_first".into()));
    assert_eq!(lcr[1], (t_dear.clone(), true, "cheapest_first".into()));
    assert_eq!(lcr[2], (s.trunk.clone(), true, "unpriced".into()));
    assert!(lcr.contains(&(t_loss.clone(), false, "negative_margin".into())));
    assert!(lcr.contains(&(t_uk.clone(), false, "not_served".into())));
    let madrid = expect_json(
        app.get(
            &format!("/v1/tenants/{}/rates/explain?number=%2B34911234567", s.t),
            &s.admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(madrid["prefix"], "3491");
    assert_eq!(madrid["cost_60s"], "0.17", "0.05 + 60 s × 0.12 / 60");
    // Bad numbers, unknown prefixes, another tenant.
    let p = assert_problem(
        app.get(
            &format!("/v1/tenants/{}/rates/explain?number=34%27%3B--", s.t),
            &s.admin,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "number", "invalid_number");
    assert_problem(
        app.get(
            &format!("/v1/tenants/{}/rates/explain?number=4420", s.t),
            &s.admin,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let (_, other) = app.tenant_with_admin("Other").await;
    assert_problem(
        app.get(
            &format!("/v1/tenants/{}/rates/explain?number=34612345678", s.t),
            &other,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

async fn put_policy(app: &TestApp, t: &str, token: &str, body: Value) -> reqwest::Response {
    app.req(Method::PUT, &format!("/v1/tenants/{t}/spend-policy"), token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_spend_policy_limits_what_calls_cost_and_reach() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "10").await;
    let reason = |v: Value| v["reason"].as_str().unwrap().to_owned();
    // Defaults: no limits, toll fraud denied. A satellite number (Inmarsat, on the
    // platform's deny list) and a UK premium-rate one are refused before any rate applies.
    let p = expect_json(
        app.get(&format!("/v1/tenants/{}/spend-policy", s.t), &s.admin)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (p["version"].as_i64(), p["max_rate"].is_null()),
        (Some(0), true)
    );
    let deck = format!("/v1/rate-decks/{}", s.deck);
    let v = import_rates(
        &app,
        &deck,
        "prefix,destination,rate,first_increment,next_increment\n34,Spain,0.06,1,1\n\
         3491,Madrid,0.12,1,1\n870,Inmarsat,5,1,1\n44,UK,0.02,1,1\n",
        "activate=true",
    )
    .await;
    assert_eq!(v["status"], "succeeded");
    assert_eq!(
        reason(authorize(&app, &s, "p1", "870772001799").await),
        "fraud_risk"
    );
    assert_eq!(
        reason(authorize(&app, &s, "p2", "449098790999").await),
        "fraud_risk"
    );
    // Only the level above sets the policy.
    let mut body = json!({"max_rate": "0.10", "max_concurrent_calls": 1,
        "deny_countries": ["GB"], "allow_prefixes": ["870"]});
    assert_problem(
        put_policy(&app, &s.t, &s.admin, body.clone()).await,
        403,
        "forbidden",
    )
    .await;
    let bad = json!({"max_rate": "-1", "deny_prefixes": ["3a"], "allow_countries": ["Spain"],
        "allow_number_types": ["mobile"], "max_concurrent_calls": 0});
    let p = assert_problem(
        put_policy(&app, &s.t, &app.admin, bad).await,
        422,
        "validation_failed",
    )
    .await;
    for field in [
        "max_rate",
        "deny_prefixes[0]",
        "allow_countries[0]",
        "allow_number_types[0]",
        "max_concurrent_calls",
    ] {
        assert!(
            field_errors(&p).iter().any(|(f, _)| f == field),
            "{field}: {p}"
        );
    }
    let set = expect_json(put_policy(&app, &s.t, &app.admin, body.clone()).await, 200).await;
    assert_eq!(set["version"], 1);
    // A rate above the maximum; a denied country; an explicitly allowed satellite prefix
    // (then refused for its rate).
    assert_eq!(
        reason(authorize(&app, &s, "p3", "34911234567").await),
        "rate_too_high"
    );
    assert_eq!(
        reason(authorize(&app, &s, "p4", "442079460958").await),
        "destination_denied"
    );
    assert_eq!(
        reason(authorize(&app, &s, "p5", "870772001799").await),
        "rate_too_high"
    );
    // One call at a time.
    let a = authorize(&app, &s, "p6", "34612345678").await;
    assert_eq!(a["decision"], "allow");
    assert_eq!(
        reason(authorize(&app, &s, "p7", "34612345678").await),
        "too_many_calls"
    );
    expect_json(end(&app, &s.node, "p6", 300).await, 200).await; // 0.30 spent today
    // A daily cap of 0.50: what is left of it (0.20 at 0.06/min: 200 s) bounds the grant.
    body["daily_cap"] = json!("0.50");
    expect_json(put_policy(&app, &s.t, &app.admin, body).await, 200).await;
    let b = authorize(&app, &s, "p8", "34612345678").await;
    assert_eq!(b["max_duration_seconds"], 200, "{b}");
    expect_json(end(&app, &s.node, "p8", 200).await, 200).await;
    assert_eq!(
        reason(authorize(&app, &s, "p9", "34612345678").await),
        "daily_cap_reached"
    );
    // Stale writes are refused.
    let res = app
        .req(
            Method::PUT,
            &format!("/v1/tenants/{}/spend-policy", s.t),
            &app.admin,
        )
        .header("If-Match", "\"0\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn concurrent_calls_beyond_the_limit_are_refused_even_at_once() {
    let app = TestApp::spawn_with(|c| {
        c.database_max_connections = 10;
        c.max_call_seconds = 60;
    })
    .await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "100").await;
    expect_json(
        put_policy(&app, &s.t, &app.admin, json!({"max_concurrent_calls": 3})).await,
        200,
    )
    .await;
    let calls: Vec<_> = (0..30)
        .map(|i| {
            let (app, s) = (&app, &s);
            async move { authorize(app, s, &format!("cc-{i}"), "34612345678").await }
        })
        .collect();
    let answers = futures_util::future::join_all(calls).await;
    let allowed: Vec<&Value> = answers
        .iter()
        .filter(|a| a["decision"] == "allow")
        .collect();
    assert_eq!(allowed.len(), 3);
    assert!(
        answers
            .iter()
            .filter(|a| a["decision"] == "deny")
            .all(|a| a["reason"] == "too_many_calls")
    );
    // Ending one frees a place.
    let first = allowed[0]["call_id"].as_str().unwrap().to_owned();
    expect_json(end(&app, &s.node, &first, 10).await, 200).await;
    assert_eq!(
        authorize(&app, &s, "cc-next", "34612345678").await["decision"],
        "allow"
    );
}

/// What a call is decided from (numbers, routes, policy, sell decks and their active
/// versions) is cached per process between calls; every change to it is seen by the next
/// call: a version swapped in by an import, a rollback, a new extension, a spend policy.
#[tokio::test]
async fn the_next_call_sees_every_change_to_what_calls_are_decided_from() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "100").await;
    let a = authorize(&app, &s, "cache-1@test", "34600000001").await;
    assert_eq!(
        (a["decision"].as_str(), a["rate"].as_str()),
        (Some("allow"), Some("0.06")),
        "{a}"
    );
    // An import that activates its version, done by a job: seen by the next call.
    let deck = format!("/v1/rate-decks/{}", s.deck);
    let v = import_rates(
        &app,
        &deck,
        "prefix,destination,rate,connection_fee,first_increment,next_increment\n34,Spain,0.09,0,1,1\n",
        "activate=true",
    )
    .await;
    assert_eq!(v["status"], "succeeded", "{v}");
    let a = authorize(&app, &s, "cache-2@test", "34600000001").await;
    assert_eq!(a["rate"], "0.09", "{a}");
    // A rollback through the API.
    expect_json(
        app.post(
            &format!("{deck}/versions/1/activate"),
            &app.admin,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let a = authorize(&app, &s, "cache-3@test", "34600000001").await;
    assert_eq!(a["rate"], "0.06", "{a}");
    // A number that was not the tenant's becomes one: the call stays inside.
    let a = authorize(&app, &s, "cache-4@test", "102").await;
    assert_eq!(
        (a["decision"].as_str(), a["reason"].as_str()),
        (Some("deny"), Some("no_rate")),
        "{a}"
    );
    create_extension(
        &app,
        &s.admin,
        &s.t,
        json!({"number": "102", "display_name": "Second desk"}),
    )
    .await;
    let a = authorize(&app, &s, "cache-5@test", "102").await;
    assert_eq!(
        (a["decision"].as_str(), a["reason"].as_str()),
        (Some("allow"), Some("internal")),
        "{a}"
    );
    // A spend policy set after calls were allowed.
    let res = put_policy(&app, &s.t, &app.admin, json!({"deny_prefixes": ["346"]})).await;
    assert_eq!(res.status(), 200);
    let a = authorize(&app, &s, "cache-6@test", "34600000001").await;
    assert_eq!(
        (a["decision"].as_str(), a["reason"].as_str()),
        (Some("deny"), Some("destination_denied")),
        "{a}"
    );
    ledger_invariant_holds(&app).await;
}
