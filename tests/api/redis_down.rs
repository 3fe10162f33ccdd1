//! Redis is an accelerator, never the truth (rule 2): with the Redis server stopped under a
//! running app, the API keeps serving reads, writes and logins, `/readyz` stays 200 (a load
//! balancer keeps sending traffic) but says `degraded`, and jobs still complete because
//! workers poll the database.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::common::*;
use serde_json::json;

/// A Redis server of the test's own on a free loopback port; killed on drop.
struct OwnRedis {
    child: Option<Child>,
    port: u16,
}

impl OwnRedis {
    /// `None` (skipped) when `redis-server` is missing, unless `CENTRALITA_TEST_REQUIRE_PEERS`.
    async fn start() -> Option<Self> {
        let port = free_port();
        let spawned = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = spawned else {
            return peer_missing("redis-server", "apt-get install redis-server");
        };
        let mut this = Self {
            child: Some(child),
            port,
        };
        if listening(port).await {
            return Some(this);
        }
        this.stop();
        panic!("redis-server did not start on {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Posts a voicemail and waits until its e-mail is sent; panics after `secs` seconds.
async fn voicemail_is_emailed(
    app: &TestApp,
    node: &str,
    token: &str,
    tenant: &str,
    domain: &str,
    secs: u64,
) {
    let res = post_voicemail(
        app,
        node,
        &voicemail_metadata(domain, "2001"),
        "audio/wav",
        wav(100),
    )
    .await;
    let msg = expect_json(res, 201).await;
    let boxes = list_all(app, &boxes_path(tenant), token).await;
    let path = format!(
        "{}/{}/messages/{}",
        boxes_path(tenant),
        boxes[0]["id"].as_str().unwrap(),
        msg["id"].as_str().unwrap()
    );
    for _ in 0..secs * 10 {
        let m = expect_json(app.get(&path, token).await, 200).await;
        if m["email"]["status"] == "sent" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the voicemail e-mail was not sent within {secs} s");
}

#[tokio::test]
async fn with_redis_stopped_the_api_serves_and_jobs_complete_by_polling() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let url = redis.url();
    let app = TestApp::spawn_with(|c| c.redis_url = Some(url)).await;
    let (tenant, admin) = app.tenant_with_admin("Redis Co").await;
    let domain = add_domain(&app, &admin, &tenant).await;
    expect_json(
        app.post(
            &boxes_path(&tenant),
            &admin,
            json!({"mailbox": "2001", "pin": "739164", "emails": ["ops@redis.example.com"]}),
        )
        .await,
        201,
    )
    .await;
    let node = switch_node_token(&app).await;
    assert_eq!(app.get("/readyz", "").await.status(), 200);
    voicemail_is_emailed(&app, &node, &admin, &tenant, &domain, 10).await;

    redis.stop();

    // Readiness tells the truth without taking the API out; everything keeps working.
    let ready = app.get("/readyz", "").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "degraded"})
    );
    let ext = app
        .post(
            &extensions_path(&tenant),
            &admin,
            json!({"number": "1001", "display_name": "Without Redis"}),
        )
        .await;
    assert_eq!(ext.status(), 201, "writes");
    assert_eq!(
        app.get(&extensions_path(&tenant), &admin).await.status(),
        200,
        "reads"
    );
    let res = app
        .req(reqwest::Method::POST, "/v1/switch/route", &node)
        .json(&json!({"domain": domain, "caller": "1001", "destination": "2001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the switch surface");
    assert_eq!(
        app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        200,
        "logins"
    );
    // No wake-up can arrive: the worker finds the job by polling.
    voicemail_is_emailed(&app, &node, &admin, &tenant, &domain, 15).await;
}
