//! A saturated database (no pool connection free within the acquire timeout; on SQLite, the
//! single writer busy) answers 503 `unavailable` with `Retry-After`, never a 500.

use crate::common::*;
use sea_orm::TransactionTrait;
use serde_json::json;

#[tokio::test]
async fn an_exhausted_pool_answers_503_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.database_max_connections = 1;
        c.database_acquire_timeout_secs = 1;
        c.embedded_worker = false;
    })
    .await;
    let (t, admin) = app.tenant_with_admin("Busy pool").await;
    // Hold the pool's only connection (SQLite always has one; PostgreSQL is set to one).
    let held = app.core.db.begin().await.unwrap();
    let res = app
        .get(&format!("/v1/tenants/{t}/extensions"), &admin)
        .await;
    let retry = header(&res, "retry-after");
    let p = assert_problem(res, 503, "unavailable").await;
    assert!(
        retry.parse::<u64>().is_ok_and(|s| s > 0),
        "Retry-After: {retry:?}"
    );
    assert!(
        !p["detail"].as_str().unwrap().contains("pool"),
        "no internals: {p}"
    );
    let res = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({"refresh_token": "not-a-real-token"}))
        .send()
        .await
        .unwrap();
    assert!(!header(&res, "retry-after").is_empty());
    assert_problem(res, 503, "unavailable").await;
    held.rollback().await.unwrap();
    assert_eq!(
        app.get(&format!("/v1/tenants/{t}/extensions"), &admin)
            .await
            .status(),
        200
    );
}
