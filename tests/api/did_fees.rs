//! DID fees: the setup fee posted with the claim, monthly fees per billing period
//! (prorated by day), each posted once however often the job runs.

use std::time::Duration;

use crate::{billing::ledger_invariant_holds, common::*};
use centralita_domain::services::{
    billing::fees::{DidFees, prorate},
    jobs,
};
use chrono::{Months, NaiveDate, Utc};
use serde_json::{Value, json};

async fn run_fees(app: &TestApp, until: NaiveDate) {
    let txn = app.core.begin().await.unwrap();
    let until = until.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let queued = jobs::enqueue(&txn, &DidFees { until: Some(until) }, None)
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
    panic!("the fee job did not finish");
}

async fn fee_transactions(app: &TestApp, t: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> =
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
    v.sort();
    v
}

fn amount(micros: i64) -> String {
    let d = rust_decimal::Decimal::new(micros, 6).normalize();
    let mut d = d;
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

#[tokio::test]
async fn setup_fees_post_with_the_claim_and_monthly_fees_once_per_period() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Number holder").await;
    expect_json(
        app.patch(
            &format!("/v1/tenants/{t}/billing-account"),
            &app.admin,
            json!({"currency": "EUR"}),
        )
        .await,
        200,
    )
    .await;
    let carrier = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": "DID carrier", "host": "sip.carrier.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let did = |number: &str, currency: &str| {
        json!({"number": number, "carrier_trunk_id": carrier["id"], "setup_fee": "10",
               "monthly_fee": "30", "currency": currency})
    };
    expect_json(
        app.post("/v1/dids", &app.admin, did("+34911234567", "EUR"))
            .await,
        201,
    )
    .await;
    let usd: Value = expect_json(
        app.post("/v1/dids", &app.admin, did("+34911234568", "USD"))
            .await,
        201,
    )
    .await;

    // A number priced in another currency than the account's is refused, nothing changes.
    let p = assert_problem(
        app.post(
            &format!("/v1/tenants/{t}/dids"),
            &admin,
            json!({"did_id": usd["id"]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "did_id", "currency_mismatch");
    let still = expect_json(
        app.get(
            &format!("/v1/dids/{}", usd["id"].as_str().unwrap()),
            &app.admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(still["status"], "available");
    assert!(fee_transactions(&app, &t).await.is_empty());

    let claimed_on = Utc::now().date_naive();
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/dids"),
            &admin,
            json!({"number": "+34911234567"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        fee_transactions(&app, &t).await,
        [("did_setup_fee".into(), "-10.00".into())]
    );

    // The first period (billing day 1) is prorated by the days held.
    let (start, end) = centralita_domain::services::billing::period_containing(1, claimed_on);
    let held = (end - claimed_on).num_days();
    let first = prorate(30_000_000, held, (end - start).num_days());
    run_fees(&app, end).await;
    let expected = vec![
        ("did_monthly_fee".to_owned(), amount(-first)),
        ("did_setup_fee".to_owned(), "-10.00".to_owned()),
    ];
    assert_eq!(fee_transactions(&app, &t).await, expected);
    // Run again: nothing more. The next period is whole.
    run_fees(&app, end).await;
    assert_eq!(fee_transactions(&app, &t).await, expected);
    let next_end = end.checked_add_months(Months::new(1)).unwrap();
    run_fees(&app, next_end).await;
    let txs = fee_transactions(&app, &t).await;
    assert_eq!(txs.len(), 3);
    assert!(
        txs.contains(&("did_monthly_fee".into(), "-30.00".into())),
        "{txs:?}"
    );
    let balance = expect_json(
        app.get(&format!("/v1/tenants/{t}/balance"), &app.admin)
            .await,
        200,
    )
    .await;
    assert_eq!(balance["balance"], amount(-10_000_000 - first - 30_000_000));
    ledger_invariant_holds(&app).await;
}
