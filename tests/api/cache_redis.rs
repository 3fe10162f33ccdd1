//! Cross-process invalidation of the switch cache through Redis: a change made through one
//! process is seen at once by another process that had the old answer cached.
//!
//! Runs when `CENTRALITA_TEST_REDIS_URL` is set (CI's PostgreSQL + Redis run); both
//! processes share one SQLite file, which is enough to prove what Redis carries.

use std::{process::Stdio, time::Duration};

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_change_in_one_process_invalidates_another() {
    let Ok(redis_url) = std::env::var("CENTRALITA_TEST_REDIS_URL") else {
        println!("skipped: CENTRALITA_TEST_REDIS_URL is not set");
        return;
    };
    let db_dir = tempfile::tempdir().unwrap();
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        db_dir.path().join("shared.db").display()
    );
    let prefix = format!("centralita-test:{}:", uuid::Uuid::now_v7().simple());
    let secret = "a-shared-signing-secret-of-at-least-32-bytes";
    let app = {
        let (db_url, prefix) = (db_url.clone(), prefix.clone());
        TestApp::spawn_with(move |c| {
            c.database_url = Some(db_url);
            c.redis_prefix = prefix;
            c.jwt_secret = Some(secret.into());
        })
        .await
    };
    let (t, admin) = app.tenant_with_admin("Two processes").await;
    let domain = domain_name();
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/domains"),
            &admin,
            json!({"name": domain}),
        )
        .await,
        201,
    )
    .await;
    let ext = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions"),
            &admin,
            json!({"number": "1001", "display_name": "A"}),
        )
        .await,
        201,
    )
    .await;
    let node = switch_node_token(&app).await;

    // A second process: `centralita api` on the same database and Redis.
    let port = free_port();
    let data = tempfile::tempdir().unwrap();
    let _child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_centralita"))
            .arg("api")
            .env("CENTRALITA_LISTEN", format!("127.0.0.1:{port}"))
            .env("CENTRALITA_DATA_DIR", data.path())
            .env("CENTRALITA_DATABASE_URL", &db_url)
            .env("CENTRALITA_REDIS_URL", &redis_url)
            .env("CENTRALITA_REDIS_PREFIX", &prefix)
            .env("CENTRALITA_JWT_SECRET", secret)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let other = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{other}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the second process did not start");
    let route = || async {
        let res = client
            .request(Method::POST, format!("{other}/v1/switch/route"))
            .bearer_auth(&node)
            .json(&json!({"domain": domain, "caller": "x", "destination": "1001"}))
            .send()
            .await
            .unwrap();
        expect_json(res, 200).await["plan"].clone()
    };
    assert_eq!(
        route().await["action"],
        "ring",
        "cached in the second process"
    );

    // Change through the first process; the second must drop its cached answer.
    let id = ext["id"].as_str().unwrap();
    expect_json(
        app.patch(
            &format!("/v1/tenants/{t}/extensions/{id}"),
            &admin,
            json!({"dnd": true}),
        )
        .await,
        200,
    )
    .await;
    let mut seen: Value = Value::Null;
    // Bounded (5 s): under load the second process may still be subscribing, and it drops
    // everything it cached once its subscription stands.
    for _ in 0..250 {
        seen = route().await;
        if seen["action"] == "hangup" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        seen,
        json!({"action": "hangup", "reason": "busy"}),
        "the second process still serves the old answer"
    );
}
