//! Billing accounts and the ledger (issue 9, items 1-2): who sets the terms, exact money,
//! postings that always sum to zero, and money never posted twice.

use crate::common::*;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// A partner (with its admin) and a customer below it (with its admin).
struct Tree {
    partner: String,
    partner_admin: String,
    customer: String,
    customer_admin: String,
}

async fn tree(app: &TestApp) -> Tree {
    let partner = app.create_tenant(&app.admin, "Reseller", None).await;
    let (_, partner_admin) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let customer = app
        .create_tenant(
            &partner_admin,
            &format!("Customer {}", Uuid::now_v7()),
            Some(&partner),
        )
        .await;
    let (_, customer_admin) = app
        .create_user(&partner_admin, &customer, "tenant_admin")
        .await;
    Tree {
        partner,
        partner_admin,
        customer,
        customer_admin,
    }
}

fn account(t: &str) -> String {
    format!("/v1/tenants/{t}/billing-account")
}

fn transactions(t: &str) -> String {
    format!("/v1/tenants/{t}/transactions")
}

async fn post_tx(
    app: &TestApp,
    token: &str,
    t: &str,
    key: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app.req(Method::POST, &transactions(t), token).json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap()
}

async fn balance(app: &TestApp, token: &str, t: &str) -> Value {
    expect_json(
        app.get(&format!("/v1/tenants/{t}/balance"), token).await,
        200,
    )
    .await
}

/// Every transaction's postings sum to zero, and every tenant's stored balance is the sum
/// of its postings (checked in SQL, beside the API).
pub(crate) async fn ledger_invariant_holds(app: &TestApp) {
    let db = &app.core.db;
    let backend = db.get_database_backend();
    let unbalanced = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT transaction_id FROM ledger_postings GROUP BY transaction_id \
             HAVING SUM(amount_micros) <> 0",
        ))
        .await
        .unwrap();
    assert!(
        unbalanced.is_empty(),
        "{} unbalanced transactions",
        unbalanced.len()
    );
    let lonely = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT t.id FROM ledger_transactions t LEFT JOIN ledger_postings p \
             ON p.transaction_id = t.id GROUP BY t.id HAVING COUNT(p.id) < 2",
        ))
        .await
        .unwrap();
    assert!(lonely.is_empty(), "transactions without two postings");
    // Each transaction's amount is what its tenant's account received.
    let mismatched = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT t.id FROM ledger_transactions t \
             JOIN billing_accounts a ON a.tenant_id = t.tenant_id \
             JOIN ledger_postings p ON p.transaction_id = t.id AND p.account_id = a.id \
             WHERE p.amount_micros <> t.amount_micros",
        ))
        .await
        .unwrap();
    assert!(
        mismatched.is_empty(),
        "a transaction's amount differs from its posting"
    );
    // The balance kept on each tenant's account row is the sum of its postings.
    let drifted = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT a.id FROM billing_accounts a WHERE a.tenant_id IS NOT NULL \
             AND a.balance_micros <> COALESCE((SELECT SUM(p.amount_micros) \
             FROM ledger_postings p WHERE p.account_id = a.id), 0)",
        ))
        .await
        .unwrap();
    assert!(
        drifted.is_empty(),
        "{} kept balances drifted",
        drifted.len()
    );
}

#[tokio::test]
async fn accounts_have_defaults_and_only_the_level_above_sets_them() {
    let app = TestApp::spawn().await;
    let t = tree(&app).await;
    let c = account(&t.customer);

    let v = expect_json(app.get(&c, &t.customer_admin).await, 200).await;
    assert_eq!(
        (
            v["kind"].clone(),
            v["currency"].clone(),
            v["credit_limit"].clone(),
            v["tax_rate"].clone(),
            v["billing_day"].clone(),
            v["version"].clone()
        ),
        (
            json!("prepaid"),
            json!("USD"),
            json!("0.00"),
            json!("0.00"),
            json!(1),
            json!(0)
        )
    );
    let terms = json!({"kind": "postpaid", "currency": "eur", "credit_limit": "50", "tax_rate": "21.5", "billing_day": 15});
    // The customer cannot set its own terms; its partner can; the partner not its own.
    assert_problem(
        app.patch(&c, &t.customer_admin, terms.clone()).await,
        403,
        "forbidden",
    )
    .await;
    let v = expect_json(app.patch(&c, &t.partner_admin, terms.clone()).await, 200).await;
    assert_eq!(v["currency"], "EUR");
    assert_eq!(v["credit_limit"], "50.00");
    assert_eq!(v["tax_rate"], "21.50");
    assert_eq!(v["version"], 1);
    assert_problem(
        app.patch(
            &account(&t.partner),
            &t.partner_admin,
            json!({"credit_limit": "1000"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let p = expect_json(
        app.patch(&account(&t.partner), &app.admin, json!({"currency": "EUR"}))
            .await,
        200,
    )
    .await;
    assert_eq!(p["currency"], "EUR");
    // Another partner's admin does not even see the customer.
    let other = tree(&app).await;
    assert_problem(app.get(&c, &other.partner_admin).await, 404, "not_found").await;
    assert_problem(
        app.patch(&c, &other.partner_admin, json!({"billing_day": 2}))
            .await,
        404,
        "not_found",
    )
    .await;

    // Bad terms: 422 naming the field, nothing changed.
    for (body, field) in [
        (json!({"currency": "XXX"}), "currency"),
        (json!({"currency": "euro"}), "currency"),
        (json!({"tax_rate": "100.5"}), "tax_rate"),
        (json!({"tax_rate": "-1"}), "tax_rate"),
        (json!({"credit_limit": "-1"}), "credit_limit"),
        (json!({"credit_limit": "1.1234567"}), "credit_limit"),
        (json!({"billing_day": 29}), "billing_day"),
        (json!({"billing_day": 0}), "billing_day"),
    ] {
        let p = assert_problem(
            app.patch(&c, &t.partner_admin, body.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&p, field, field_code(&p, field).as_str());
    }
    assert_problem(
        app.patch(&c, &t.partner_admin, json!({"colour": "red"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let after = expect_json(app.get(&c, &t.customer_admin).await, 200).await;
    assert_eq!(after["version"], 1, "nothing changed: {after}");

    let b = balance(&app, &t.customer_admin, &t.customer).await;
    assert_eq!(
        b,
        json!({"balance": "0.00", "held": "0.00", "available": "50.00", "currency": "EUR"})
    );
    // Tenant users see none of it.
    let (_, user) = app
        .create_user(&t.customer_admin, &t.customer, "tenant_user")
        .await;
    assert_problem(app.get(&c, &user).await, 403, "forbidden").await;
    assert_problem(
        app.get(&format!("/v1/tenants/{}/balance", t.customer), &user)
            .await,
        403,
        "forbidden",
    )
    .await;
}

/// The code of the field error for `field` (any), to assert it exists.
fn field_code(problem: &Value, field: &str) -> String {
    field_errors(problem)
        .into_iter()
        .find(|(f, _)| f == field)
        .map(|(_, c)| c)
        .unwrap_or_else(|| panic!("no error for {field}: {problem}"))
}

#[tokio::test]
async fn top_ups_adjustments_and_refunds_post_balanced_and_exact() {
    let app = TestApp::spawn().await;
    let t = tree(&app).await;
    let pa = &t.partner_admin;
    let c = &t.customer;

    let top = expect_json(
        post_tx(
            &app,
            pa,
            c,
            Some("k1"),
            json!({"kind": "top_up", "amount": "10.10"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(top["amount"], "10.10");
    assert_eq!(top["currency"], "USD");
    let postings: Vec<(String, String)> = top["postings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["account"].as_str().unwrap().to_owned(),
                p["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        postings,
        vec![
            ("tenant".into(), "10.10".into()),
            ("platform:cash".into(), "-10.10".into())
        ]
    );
    expect_json(
        post_tx(
            &app,
            pa,
            c,
            Some("k2"),
            json!({"kind": "adjustment", "amount": "-0.000001", "description": "rounding"}),
        )
        .await,
        201,
    )
    .await;
    expect_json(
        post_tx(
            &app,
            pa,
            c,
            Some("k3"),
            json!({"kind": "refund", "amount": "5", "description": "asked back"}),
        )
        .await,
        201,
    )
    .await;
    let b = balance(&app, &t.customer_admin, c).await;
    assert_eq!(b["balance"], "5.099999", "exact to the micro-unit: {b}");

    // Refused, nothing posted: more than the balance, no reason, no key, bad amounts, the
    // customer posting for itself, SQL in the description stored as text only.
    assert_problem(
        post_tx(
            &app,
            pa,
            c,
            Some("k4"),
            json!({"kind": "refund", "amount": "6", "description": "too much"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    let p = assert_problem(
        post_tx(
            &app,
            pa,
            c,
            Some("k5"),
            json!({"kind": "refund", "amount": "1"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "description", "required");
    let p = assert_problem(
        post_tx(&app, pa, c, None, json!({"kind": "top_up", "amount": "1"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "Idempotency-Key", "required");
    for amount in ["0", "-1", "abc", "1.1234567", "1e3", " 1", ""] {
        assert_problem(
            post_tx(
                &app,
                pa,
                c,
                Some(&format!("bad-{amount}")),
                json!({"kind": "top_up", "amount": amount}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        post_tx(
            &app,
            pa,
            c,
            Some("k6"),
            json!({"kind": "invoice", "amount": "1"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        post_tx(
            &app,
            &t.customer_admin,
            c,
            Some("k7"),
            json!({"kind": "top_up", "amount": "1000"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let sneaky = "x'); DROP TABLE ledger_postings; --";
    let v = expect_json(
        post_tx(
            &app,
            pa,
            c,
            Some("k8"),
            json!({"kind": "top_up", "amount": "1", "description": sneaky}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(v["description"], sneaky);

    let all = list_all(&app, &transactions(c), &t.customer_admin).await;
    assert_eq!(all.len(), 4);
    let kinds: Vec<&str> = all.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["top_up", "adjustment", "refund", "top_up"]);
    let tops = list_all(
        &app,
        &format!("{}?kind=top_up", transactions(c)),
        &t.customer_admin,
    )
    .await;
    assert_eq!(tops.len(), 2);
    assert_eq!(balance(&app, pa, c).await["balance"], "6.099999");

    // The currency is fixed once money moved.
    assert_problem(
        app.patch(&account(c), pa, json!({"currency": "EUR"})).await,
        409,
        "conflict",
    )
    .await;
    ledger_invariant_holds(&app).await;
}

#[tokio::test]
async fn one_key_sent_fifty_times_at_once_posts_once() {
    let app = TestApp::spawn().await;
    let t = tree(&app).await;
    let body = json!({"kind": "top_up", "amount": "25.00"});
    let sends = (0..50).map(|_| {
        post_tx(
            &app,
            &t.partner_admin,
            &t.customer,
            Some("once"),
            body.clone(),
        )
    });
    let answers = futures_util::future::join_all(sends).await;
    let mut ids = std::collections::BTreeSet::new();
    for res in answers {
        let status = res.status().as_u16();
        let v: Value = res.json().await.unwrap();
        match status {
            201 => {
                ids.insert(v["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(v["code"], "idempotency_in_progress", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 is the same transaction");
    let all = list_all(&app, &transactions(&t.customer), &t.partner_admin).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        balance(&app, &t.partner_admin, &t.customer).await["balance"],
        "25.00"
    );
    // The same key with another body is refused.
    assert_problem(
        post_tx(
            &app,
            &t.partner_admin,
            &t.customer,
            Some("once"),
            json!({"kind": "top_up", "amount": "26.00"}),
        )
        .await,
        422,
        "idempotency_key_reused",
    )
    .await;
    ledger_invariant_holds(&app).await;
}
