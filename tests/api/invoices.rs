//! Invoices: made per account per ended period with calls by destination, DID fees and
//! adjustments; tax; gap-free numbers per issuer at issue; void keeps the number; payments
//! posted once with an Idempotency-Key; JSON and a printable page.

use std::time::Duration;

use crate::{
    billing::ledger_invariant_holds,
    calls::{setup, top_up},
    common::*,
};
use centralita_domain::services::{
    billing::{invoices::Invoices, period_containing},
    jobs,
};
use chrono::{Months, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// Makes the invoices of the period running now, as if it had ended.
pub(crate) async fn make_invoices(app: &TestApp) {
    let (_, end) = period_containing(1, Utc::now().date_naive());
    let until = end.checked_add_months(Months::new(0)).unwrap();
    let txn = app.core.begin().await.unwrap();
    let queued = jobs::enqueue(
        &txn,
        &Invoices {
            until: Some(until.and_hms_opt(0, 0, 1).unwrap().and_utc()),
        },
        None,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let id = queued.id;
    queued.wake(&app.core).await;
    for _ in 0..100 {
        if job_row(&app.core, id).await.status == "succeeded" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the invoice job did not finish");
}

async fn cdr(app: &TestApp, node: &str, domain: &str, call_id: &str, destination: &str, secs: i64) {
    let ended = Utc::now();
    let answered = ended - chrono::Duration::seconds(secs);
    let res = app
        .post(
            "/v1/switch/cdrs",
            node,
            json!({"cdrs": [{"call_id": call_id, "leg": "b", "domain": domain, "direction": "outbound",
                "caller": "101", "destination": destination, "started_at": answered,
                "answered_at": answered, "ended_at": ended, "hangup_cause": "NORMAL_CLEARING"}]}),
        )
        .await;
    assert_eq!(
        expect_json(res, 200).await["results"][0]["outcome"],
        "stored"
    );
}

async fn pay(
    app: &TestApp,
    t: &str,
    id: &str,
    key: Option<&str>,
    amount: &str,
) -> reqwest::Response {
    let mut req = app
        .req(
            Method::POST,
            &format!("/v1/tenants/{t}/invoices/{id}/payments"),
            &app.admin,
        )
        .json(&json!({"amount": amount, "description": "Bank transfer 42"}));
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn an_invoice_sums_the_period_and_is_numbered_paid_or_void() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    expect_json(
        app.patch(
            &format!("/v1/tenants/{}/billing-account", s.t),
            &app.admin,
            json!({"tax_rate": "21"}),
        )
        .await,
        200,
    )
    .await;
    top_up(&app, &s.t, "20").await;
    cdr(&app, &s.node, &s.domain, "i1", "34612345678", 60).await; // 0.06
    cdr(&app, &s.node, &s.domain, "i2", "34612345678", 120).await; // 0.12
    cdr(&app, &s.node, &s.domain, "i3", "34911234567", 31).await; // 0.122
    let res = app
        .req(
            Method::POST,
            &format!("/v1/tenants/{}/transactions", s.t),
            &app.admin,
        )
        .header("Idempotency-Key", Uuid::now_v7().to_string())
        .json(&json!({"kind": "adjustment", "amount": "0.30", "description": "Goodwill credit"}))
        .send()
        .await
        .unwrap();
    expect_json(res, 201).await;

    make_invoices(&app).await;
    make_invoices(&app).await; // idempotent per account and period
    let list = list_all(&app, &format!("/v1/tenants/{}/invoices", s.t), &s.admin).await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let url = format!("/v1/tenants/{}/invoices/{id}", s.t);
    let inv = expect_json(app.get(&url, &s.admin).await, 200).await;
    assert_eq!(
        (inv["status"].as_str(), inv["number"].as_str()),
        (Some("draft"), None)
    );
    let lines: Vec<(String, i64, String)> = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().into(),
                l["quantity"].as_i64().unwrap(),
                l["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        lines.contains(&("calls".into(), 2, "0.18".into())),
        "Spain: {lines:?}"
    );
    assert!(
        lines.contains(&("calls".into(), 1, "0.122".into())),
        "Madrid: {lines:?}"
    );
    assert!(
        lines.contains(&("adjustments".into(), 1, "-0.30".into())),
        "{lines:?}"
    );
    assert!(
        inv["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["description"].as_str().unwrap().contains("Spain"))
    );
    // 0.18 + 0.122 - 0.30 = 0.002; 21 % of it: 0.00042.
    assert_eq!(
        (
            inv["subtotal"].as_str(),
            inv["tax"].as_str(),
            inv["total"].as_str()
        ),
        (Some("0.002"), Some("0.00042"), Some("0.00242"))
    );

    // The printable page.
    let page = app
        .req(Method::GET, &url, &s.admin)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(header(&page, "content-type").starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Goodwill credit") && html.contains("0.00242"),
        "{html}"
    );

    // Only the level above issues; the tenant reads.
    assert_problem(
        app.post(&format!("{url}/issue"), &s.admin, json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let before = expect_json(
        app.get(&format!("/v1/tenants/{}/balance", s.t), &app.admin)
            .await,
        200,
    )
    .await;
    let issued = expect_json(
        app.post(&format!("{url}/issue"), &app.admin, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (issued["status"].as_str(), issued["number"].as_str()),
        (Some("issued"), Some("INV-000001"))
    );
    assert_problem(
        app.post(&format!("{url}/issue"), &app.admin, json!({}))
            .await,
        409,
        "conflict",
    )
    .await;
    let after = expect_json(
        app.get(&format!("/v1/tenants/{}/balance", s.t), &app.admin)
            .await,
        200,
    )
    .await;
    let micros = |v: &Value| -> i64 {
        let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
        (d * rust_decimal::Decimal::from(1_000_000))
            .try_into()
            .unwrap()
    };
    assert_eq!(
        micros(&before["balance"]) - micros(&after["balance"]),
        420,
        "the tax is posted"
    );

    // Payments: a key is required; a retry records once; the invoice is paid when covered.
    assert_problem(
        pay(&app, &s.t, &id, None, "0.001").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        pay(&app, &s.t, &id, Some("too-much"), "1").await,
        422,
        "validation_failed",
    )
    .await;
    let part = expect_json(pay(&app, &s.t, &id, Some("p-1"), "0.001").await, 200).await;
    assert_eq!(
        (part["status"].as_str(), part["due"].as_str()),
        (Some("issued"), Some("0.00142"))
    );
    let again = pay(&app, &s.t, &id, Some("p-1"), "0.001").await;
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    let rest = expect_json(pay(&app, &s.t, &id, Some("p-2"), "0.00142").await, 200).await;
    assert_eq!(
        (rest["status"].as_str(), rest["due"].as_str()),
        (Some("paid"), Some("0.00"))
    );
    let payments = list_all(
        &app,
        &format!("/v1/tenants/{}/transactions?kind=payment", s.t),
        &app.admin,
    )
    .await;
    assert_eq!(payments.len(), 2);
    assert_problem(
        app.post(&format!("{url}/void"), &app.admin, json!({}))
            .await,
        409,
        "conflict",
    )
    .await;

    // A second tenant's invoice takes the next number of the same issuer; void keeps it.
    let s2 = setup(&app).await;
    top_up(&app, &s2.t, "5").await;
    cdr(&app, &s2.node, &s2.domain, "j1", "34612345678", 60).await;
    make_invoices(&app).await;
    let id2 = list_all(&app, &format!("/v1/tenants/{}/invoices", s2.t), &s2.admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url2 = format!("/v1/tenants/{}/invoices/{id2}", s2.t);
    let issued2 = expect_json(
        app.post(&format!("{url2}/issue"), &app.admin, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(issued2["number"], "INV-000002");
    let void = expect_json(
        app.post(&format!("{url2}/void"), &app.admin, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (void["status"].as_str(), void["number"].as_str()),
        (Some("void"), Some("INV-000002"))
    );
    assert_eq!(
        expect_json(
            app.get(&format!("/v1/tenants/{}/balance", s2.t), &app.admin)
                .await,
            200
        )
        .await["balance"],
        "4.94",
        "the void invoice's tax is given back (no tax rate here anyway)"
    );
    // Another tenant's invoice is not there.
    assert_problem(app.get(&url, &s2.admin).await, 404, "not_found").await;
    ledger_invariant_holds(&app).await;
}
