//! Call detail records: ingest (idempotent, rated once per call), listing and CSV export
//! with per-level visibility, the reseller chain's charges and margins, and re-rating.

use std::time::Duration;

use crate::{
    billing::ledger_invariant_holds,
    calls::{
        Setup, authorize, balance, call_charges, end, import_rates, platform_deck, setup, top_up,
    },
    common::*,
};
use chrono::{TimeZone, Utc};
use rand::seq::SliceRandom;
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) fn record(
    s: &Setup,
    call_id: &str,
    direction: &str,
    destination: &str,
    secs: i64,
) -> Value {
    let started = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let answered = started + chrono::Duration::seconds(5);
    json!({
        "call_id": call_id, "leg": "b", "domain": s.domain, "direction": direction,
        "caller": "101", "destination": destination, "extension": "101",
        "started_at": started, "answered_at": if secs > 0 { json!(answered) } else { Value::Null },
        "ended_at": answered + chrono::Duration::seconds(secs),
        "hangup_cause": if secs > 0 { "NORMAL_CLEARING" } else { "USER_BUSY" },
        "trunk_id": s.trunk,
    })
}

pub(crate) async fn ingest(app: &TestApp, node: &str, records: Vec<Value>) -> Vec<Value> {
    let res = app
        .post("/v1/switch/cdrs", node, json!({ "cdrs": records }))
        .await;
    expect_json(res, 200).await["results"]
        .as_array()
        .unwrap()
        .clone()
}

/// Everything the ledger holds for a tenant, in a comparable form.
async fn ledger_of(app: &TestApp, t: &str) -> (Value, Vec<(String, String)>) {
    let mut txs: Vec<(String, String)> =
        list_all(app, &format!("/v1/tenants/{t}/transactions"), &app.admin)
            .await
            .iter()
            .map(|t| {
                (
                    t["kind"].as_str().unwrap().to_owned(),
                    t["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
    txs.sort();
    (balance(app, t).await["balance"].clone(), txs)
}

#[tokio::test]
async fn a_batch_sent_three_times_in_any_order_leaves_one_ledger() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "10").await;
    let mut batch = vec![
        record(&s, "c1", "outbound", "34612345678", 60),
        record(&s, "c2", "outbound", "34911234567", 31),
        record(&s, "c3", "inbound", "+34910000000", 120),
        record(&s, "c4", "outbound", "4420123456", 60),
        record(&s, "c5", "outbound", "34612345678", 0),
    ];
    let mut unknown = record(&s, "c6", "outbound", "34612345678", 10);
    unknown["domain"] = json!("nobody.example");
    batch.push(unknown);
    let mut bad = record(&s, "c7", "outbound", "34612345678", 10);
    bad["ended_at"] = json!("2026-11-30T00:00:00Z");
    batch.push(bad);

    let first = ingest(&app, &s.node, batch.clone()).await;
    let by_call =
        |results: &[Value], id: &str| results.iter().find(|r| r["call_id"] == id).unwrap().clone();
    let c1 = by_call(&first, "c1");
    assert_eq!(
        (
            c1["outcome"].as_str(),
            c1["status"].as_str(),
            c1["charge"].as_str()
        ),
        (Some("stored"), Some("rated"), Some("0.06"))
    );
    // 3491: 30/6 with a 0.05 fee; 31 s bill 36 s: 0.05 + 36 × 0.12 / 60 = 0.122.
    assert_eq!(by_call(&first, "c2")["charge"], "0.122");
    assert_eq!(
        by_call(&first, "c3")["charge"],
        "0.00",
        "inbound costs nothing"
    );
    let c4 = by_call(&first, "c4");
    assert_eq!(
        (c4["status"].as_str(), c4["reason"].as_str()),
        (Some("unrated"), Some("no_rate"))
    );
    assert_eq!(
        by_call(&first, "c5")["charge"],
        "0.00",
        "busy: never answered"
    );
    assert_eq!(by_call(&first, "c6")["outcome"], "refused");
    assert_eq!(by_call(&first, "c6")["reason"], "unknown_domain");
    let c7 = by_call(&first, "c7");
    assert_eq!(c7["outcome"], "refused");
    assert!(c7["reason"].as_str().unwrap().contains("ended_at"), "{c7}");
    let after_first = ledger_of(&app, &s.t).await;
    assert_eq!(after_first.0, "9.818", "10 - 0.06 - 0.122");

    for _ in 0..2 {
        batch.shuffle(&mut rand::rng());
        for r in ingest(&app, &s.node, batch.clone()).await {
            assert!(
                ["duplicate", "refused"].contains(&r["outcome"].as_str().unwrap()),
                "{r}"
            );
        }
    }
    assert_eq!(ledger_of(&app, &s.t).await, after_first);
    // Stored once each: five records.
    let listed = list_all(&app, &format!("/v1/tenants/{}/cdrs", s.t), &s.admin).await;
    assert_eq!(listed.len(), 5);
    ledger_invariant_holds(&app).await;

    // Bad batches as a whole.
    assert_problem(
        app.post("/v1/switch/cdrs", &s.node, json!({"cdrs": []}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let too_many: Vec<Value> = (0..1001)
        .map(|i| record(&s, &format!("m{i}"), "inbound", "1", 1))
        .collect();
    assert_problem(
        app.post("/v1/switch/cdrs", &s.node, json!({"cdrs": too_many}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        app.post("/v1/switch/cdrs", &s.admin, json!({"cdrs": []}))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_call_is_charged_once_whichever_of_its_end_and_its_record_comes_first() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "1").await;
    // Ended first, then its record: the record keeps the charge.
    assert_eq!(
        authorize(&app, &s, "e1", "34612345678").await["decision"],
        "allow"
    );
    let charge = expect_json(end(&app, &s.node, "e1", 60).await, 200).await;
    assert_eq!(charge["charge"], "0.06");
    let r = ingest(
        &app,
        &s.node,
        vec![record(&s, "e1", "outbound", "34612345678", 600)],
    )
    .await;
    assert_eq!(
        (r[0]["outcome"].as_str(), r[0]["charge"].as_str()),
        (Some("stored"), Some("0.06"))
    );
    assert_eq!(call_charges(&app, &s.t).await.len(), 1);
    // Its record first, while the call is still held: the record ends it.
    assert_eq!(
        authorize(&app, &s, "e2", "34612345678").await["decision"],
        "allow"
    );
    assert_ne!(balance(&app, &s.t).await["held"], "0.00");
    let r = ingest(
        &app,
        &s.node,
        vec![record(&s, "e2", "outbound", "34612345678", 120)],
    )
    .await;
    assert_eq!(r[0]["charge"], "0.12");
    let b = balance(&app, &s.t).await;
    assert_eq!(
        (b["balance"].as_str(), b["held"].as_str()),
        (Some("0.82"), Some("0.00"))
    );
    // The switch's end, arriving after, answers the same charge and posts nothing.
    let late = expect_json(end(&app, &s.node, "e2", 5).await, 200).await;
    assert_eq!(late["charge"], "0.12");
    assert_eq!(call_charges(&app, &s.t).await.len(), 2);
    assert_eq!(balance(&app, &s.t).await["balance"], "0.82");
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn records_are_listed_filtered_and_exported_as_csv() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "5").await;
    let mut formula = record(&s, "f1", "outbound", "34612345678", 10);
    formula["caller"] = json!("=HYPERLINK(\"http://x\")");
    let mut batch = vec![formula, record(&s, "f2", "inbound", "+34910000000", 10)];
    for i in 0..5 {
        batch.push(record(&s, &format!("p{i}"), "outbound", "34612345678", 0));
    }
    ingest(&app, &s.node, batch).await;
    let base = format!("/v1/tenants/{}/cdrs", s.t);
    let page = expect_json(app.get(&format!("{base}?limit=3"), &s.admin).await, 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert!(page["next_cursor"].is_string());
    let inbound = list_all(&app, &format!("{base}?direction=inbound"), &s.admin).await;
    assert_eq!(inbound.len(), 1);
    let busy = list_all(&app, &format!("{base}?disposition=busy"), &s.admin).await;
    assert_eq!(busy.len(), 5);
    assert!(
        list_all(&app, &format!("{base}?from=2027-01-01T00:00:00Z"), &s.admin)
            .await
            .is_empty()
    );
    // A tenant sees its charge, never anyone's cost or margin.
    let own = &list_all(
        &app,
        &format!("{base}?direction=outbound&disposition=answered"),
        &s.admin,
    )
    .await[0];
    assert_eq!(own["charge"], "0.01");
    assert!(
        own.get("buy_cost").is_none() && own.get("your_margin").is_none(),
        "{own}"
    );
    for res in [
        app.req(Method::GET, &base, &s.admin)
            .header("Accept", "text/csv")
            .send()
            .await
            .unwrap(),
        app.get(&format!("{base}/export"), &s.admin).await,
    ] {
        assert_eq!(res.status(), 200);
        assert!(header(&res, "content-type").starts_with("text/csv"));
        let text = res.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8, "header and seven records");
        assert!(lines[0].starts_with("id,call_id,leg,direction"));
        assert!(
            text.contains("'=HYPERLINK"),
            "formulas are neutralised: {text}"
        );
    }
    assert_problem(
        app.get(&format!("{base}?direction=sideways"), &s.admin)
            .await,
        400,
        "invalid_query",
    )
    .await;
    // Another tenant's records are not there.
    let (_, other) = app.tenant_with_admin("Other").await;
    assert_problem(app.get(&base, &other).await, 404, "not_found").await;
}

/// A partner (root tenant, sold at the platform's wholesale deck) and its customer (sold at
/// the partner's own deck), on one carrier with a buy deck.
#[tokio::test]
async fn the_reseller_chain_pays_at_each_level_and_sees_only_its_own_margin() {
    let app = TestApp::spawn().await;
    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let (_, partner_admin) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let partner_token = partner_admin;
    let customer = app
        .create_tenant(&partner_token, "Customer", Some(&partner))
        .await;
    let (_, customer_admin) = app
        .create_user(&partner_token, &customer, "tenant_admin")
        .await;
    let domain = add_domain(&app, &customer_admin, &customer).await;
    create_extension(
        &app,
        &customer_admin,
        &customer,
        json!({"number": "101", "display_name": "Desk"}),
    )
    .await;
    let wholesale = platform_deck(
        &app,
        "Wholesale",
        "prefix,destination,rate\n34,Spain,0.04\n",
    )
    .await;
    let buy = platform_deck(&app, "Carrier", "prefix,destination,rate\n34,Spain,0.01\n").await;
    let trunk = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": "carrier", "host": "127.0.0.1", "buy_deck_id": buy}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_json(
        app.patch(
            &format!("/v1/tenants/{partner}/billing-account"),
            &app.admin,
            json!({"sell_deck_id": wholesale, "currency": "USD"}),
        )
        .await,
        200,
    )
    .await;
    // The partner's own deck, for its customer.
    let retail = expect_json(
        app.post(
            &format!("/v1/tenants/{partner}/rate-decks"),
            &partner_token,
            json!({"name": "Retail", "currency": "USD"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .req(
            Method::POST,
            &format!("/v1/tenants/{partner}/rate-decks/{retail}/imports?activate=true"),
            &partner_token,
        )
        .header("content-type", "text/csv")
        .body("prefix,destination,rate\n34,Spain,0.06\n")
        .send()
        .await
        .unwrap();
    let import = expect_json(res, 202).await;
    let url = format!(
        "/v1/tenants/{partner}/rate-decks/{retail}/imports/{}",
        import["id"].as_str().unwrap()
    );
    for _ in 0..100 {
        if expect_json(app.get(&url, &partner_token).await, 200).await["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect_json(
        app.patch(
            &format!("/v1/tenants/{customer}/billing-account"),
            &partner_token,
            json!({"sell_deck_id": retail}),
        )
        .await,
        200,
    )
    .await;
    expect_json(
        app.post(
            &format!("/v1/tenants/{customer}/outbound-routes"),
            &customer_admin,
            json!({"name": "Out", "patterns": ["X."], "trunk_ids": [trunk]}),
        )
        .await,
        201,
    )
    .await;
    let node = switch_node_token(&app).await;
    let s = Setup {
        t: customer.clone(),
        admin: customer_admin.clone(),
        domain,
        node,
        deck: retail,
        trunk,
    };
    top_up(&app, &customer, "6").await; // 100 minutes at 0.06
    // The partner has no credit: its customer's calls are denied whatever the customer has.
    let d = authorize(&app, &s, "r0", "34612345678").await;
    assert_eq!(
        (d["decision"].as_str(), d["reason"].as_str()),
        (Some("deny"), Some("insufficient_credit"))
    );
    top_up(&app, &partner, "0.40").await; // 10 minutes at 0.04
    let d = authorize(&app, &s, "r1", "34612345678").await;
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(
        d["max_duration_seconds"], 600,
        "the partner's credit bounds the call"
    );
    assert_eq!(d["rate"], "0.06", "the customer sees its own rate");
    assert_eq!(balance(&app, &partner).await["held"], "0.40");
    assert_eq!(balance(&app, &customer).await["held"], "0.60");
    expect_json(end(&app, &s.node, "r1", 60).await, 200).await;
    assert_eq!(balance(&app, &customer).await["balance"], "5.94");
    assert_eq!(balance(&app, &partner).await["balance"], "0.36");
    assert_eq!(balance(&app, &partner).await["held"], "0.00");
    ingest(
        &app,
        &s.node,
        vec![record(&s, "r1", "outbound", "34612345678", 60)],
    )
    .await;

    let base = format!("/v1/tenants/{customer}/cdrs");
    let as_customer = &list_all(&app, &base, &customer_admin).await[0];
    assert_eq!(as_customer["charge"], "0.06");
    for hidden in ["your_cost", "your_margin", "buy_cost", "platform_margin"] {
        assert!(as_customer.get(hidden).is_none(), "{hidden}: {as_customer}");
    }
    let as_partner = &list_all(&app, &base, &partner_token).await[0];
    assert_eq!(
        (
            as_partner["your_cost"].as_str(),
            as_partner["your_margin"].as_str()
        ),
        (Some("0.04"), Some("0.02"))
    );
    assert!(as_partner.get("buy_cost").is_none() && as_partner.get("platform_margin").is_none());
    let as_platform = &list_all(&app, &base, &app.admin).await[0];
    assert_eq!(
        (
            as_platform["buy_cost"].as_str(),
            as_platform["platform_margin"].as_str()
        ),
        (Some("0.01"), Some("0.03"))
    );
    // Margin reports: the platform's over everything, the partner's over its subtree.
    let window = format!(
        "from={}&to={}",
        (Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let platform = expect_json(
        app.get(
            &format!("/v1/reports/margin?{window}&group_by=carrier"),
            &app.admin,
        )
        .await,
        200,
    )
    .await;
    let row = &platform["rows"][0];
    assert_eq!(
        (row["label"].as_str(), row["calls"].as_i64()),
        (Some("carrier"), Some(1))
    );
    assert_eq!(
        (
            row["revenue"].as_str(),
            row["cost"].as_str(),
            row["margin"].as_str()
        ),
        (Some("0.04"), Some("0.01"), Some("0.03"))
    );
    let partner_report = expect_json(
        app.get(
            &format!("/v1/tenants/{partner}/reports/margin?{window}&group_by=destination"),
            &partner_token,
        )
        .await,
        200,
    )
    .await;
    let row = &partner_report["rows"][0];
    assert_eq!(
        (row["key"].as_str(), row["label"].as_str()),
        (Some("34"), Some("Spain"))
    );
    assert_eq!(
        (
            row["revenue"].as_str(),
            row["cost"].as_str(),
            row["margin"].as_str()
        ),
        (Some("0.06"), Some("0.04"), Some("0.02"))
    );
    let by_tenant = expect_json(
        app.get(
            &format!("/v1/tenants/{partner}/reports/margin?{window}&group_by=tenant"),
            &partner_token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_tenant["rows"][0]["label"], "Customer");
    assert_eq!(by_tenant["totals"][0]["margin"], "0.02");
    // Nobody sees the level above: the customer has no margin of its own (no customers),
    // the partner does not see the platform's.
    let own = expect_json(
        app.get(
            &format!("/v1/tenants/{customer}/reports/margin?{window}&group_by=day"),
            &customer_admin,
        )
        .await,
        200,
    )
    .await;
    assert!(own["rows"].as_array().unwrap().is_empty(), "{own}");
    assert_eq!(
        app.get(
            &format!("/v1/reports/margin?{window}&group_by=day"),
            &partner_token
        )
        .await
        .status(),
        403
    );
    assert_problem(
        app.get(
            &format!("/v1/tenants/{partner}/reports/margin?{window}&group_by=carrier"),
            &partner_token,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // The partner's own records are not its customer's.
    assert!(
        list_all(&app, &format!("/v1/tenants/{partner}/cdrs"), &partner_token)
            .await
            .is_empty()
    );
    ledger_invariant_holds(&app).await;
}

/// Re-rates 2026-12-01 and waits for the job.
async fn rerate_december_first(app: &TestApp) {
    let body = json!({"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"});
    let res = app.post("/v1/cdrs/rerate", &app.admin, body).await;
    let job = expect_json(res, 202).await["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..100 {
        let j = expect_json(app.get(&format!("/v1/jobs/{job}"), &app.admin).await, 200).await;
        if j["status"] == "succeeded" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the re-rate did not finish");
}

#[tokio::test]
async fn a_rerate_posts_only_the_differences_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    top_up(&app, &s.t, "10").await;
    ingest(
        &app,
        &s.node,
        vec![
            record(&s, "q1", "outbound", "34612345678", 60),
            record(&s, "q2", "outbound", "4420123456", 60),
        ],
    )
    .await;
    assert_eq!(balance(&app, &s.t).await["balance"], "9.94");
    // The deck's new version: Spain dearer, the UK priced.
    let v = import_rates(
        &app,
        &format!("/v1/rate-decks/{}", s.deck),
        "prefix,destination,rate\n34,Spain,0.09\n44,UK,0.03\n",
        "activate=true",
    )
    .await;
    assert_eq!(v["status"], "succeeded");
    rerate_december_first(&app).await;
    // 0.09 - 0.06 more for Spain, 0.03 for the UK call, unrated before.
    assert_eq!(balance(&app, &s.t).await["balance"], "9.88");
    let uk = list_all(
        &app,
        &format!("/v1/tenants/{}/cdrs?direction=outbound", s.t),
        &s.admin,
    )
    .await
    .into_iter()
    .find(|c| c["call_id"] == "q2")
    .unwrap();
    assert_eq!(
        (uk["status"].as_str(), uk["charge"].as_str()),
        (Some("rated"), Some("0.03"))
    );
    let before = ledger_of(&app, &s.t).await;
    rerate_december_first(&app).await;
    assert_eq!(
        ledger_of(&app, &s.t).await,
        before,
        "nothing more the second time"
    );
    ledger_invariant_holds(&app).await;
    // Only platform admins re-rate; the period must make sense.
    assert_eq!(
        app.post(
            "/v1/cdrs/rerate",
            &s.admin,
            json!({"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"})
        )
        .await
        .status(),
        403
    );
    assert_problem(
        app.post(
            "/v1/cdrs/rerate",
            &app.admin,
            json!({"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}
