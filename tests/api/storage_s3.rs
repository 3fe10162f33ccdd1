//! Stored files in an S3-compatible object store (`storage_url = s3://…`), against a real
//! S3 server on loopback (moto's, from PyPI): a greeting uploaded through one process is
//! played by another process sharing the database and the bucket, nothing lands in either
//! data directory, and deleting the menu removes the object.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::{common::*, ivr_menus::wav};
use reqwest::Method;
use serde_json::json;

/// A moto S3 server of the test's own on a free loopback port; killed on drop.
struct OwnS3 {
    child: Child,
    port: u16,
}

impl OwnS3 {
    /// `None` (skipped) when `moto_server` is missing, unless `CENTRALITA_TEST_REQUIRE_PEERS`.
    async fn start(bucket: &str) -> Option<Self> {
        let port = free_port();
        let spawned = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = spawned else {
            return peer_missing("moto_server", "pip install 'moto[server]'");
        };
        let this = Self { child, port };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(res) = client.put(this.url(bucket)).send().await
                && res.status().is_success()
            {
                return Some(this);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto_server did not start on {port}");
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.endpoint())
    }

    /// The keys in the bucket under `prefix` (path-style ListObjectsV2, read crudely).
    async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let xml = reqwest::get(self.url(&format!("{bucket}?list-type=2&prefix={prefix}")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next().map(str::to_owned))
            .collect()
    }
}

impl Drop for OwnS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn greetings_go_to_the_object_store_and_every_process_plays_them() {
    let bucket = "centralita-test";
    let Some(s3) = OwnS3::start(bucket).await else {
        return;
    };
    let endpoint = s3.endpoint();
    let configure = |c: &mut centralita_domain::config::Config| {
        c.storage_url = Some(format!("s3://{bucket}/tenant-files"));
        c.storage_s3_endpoint = Some(endpoint.clone());
        c.storage_s3_access_key_id = Some("test".into());
        c.storage_s3_secret_access_key = Some("test".into());
    };
    let app = TestApp::spawn_with(configure).await;
    let (tenant, token) = app.tenant_with_admin("Stored").await;
    let menu = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/ivr-menus"),
            &token,
            json!({"number": "500", "name": "Main", "direct_dial": true, "greeting": {"type": "text", "text": "Hi"}}),
        )
        .await,
        201,
    )
    .await;
    let greeting = format!(
        "/v1/tenants/{tenant}/ivr-menus/{}/greeting",
        menu["id"].as_str().unwrap()
    );
    let audio = wav();
    let res = app
        .req(Method::PUT, &greeting, &token)
        .header("content-type", "audio/wav")
        .body(audio.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // In the bucket, under the prefix; not in the data directory.
    let keys = s3.keys(bucket, "tenant-files/ivr-greetings/").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!app.core.config.data_dir.join("ivr-greetings").exists());
    let res = app.get(&greeting, &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), audio);

    // Another process on the same database and bucket plays it.
    if let Some(schema) = app.search_path.clone() {
        let mut config = app.core.config.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        config.data_dir = dir.path().to_path_buf();
        // The same signing key, as every replica has (`jwt_secret`, or this file).
        std::fs::copy(
            app.core.config.data_dir.join("jwt.key"),
            dir.path().join("jwt.key"),
        )
        .unwrap();
        let other = centralita::Application::build(
            config,
            centralita::Mode::Api,
            centralita::BuildOptions {
                search_path: Some(schema),
                migrate: false,
            },
        )
        .await
        .unwrap();
        let base = format!("http://127.0.0.1:{}", other.port());
        tokio::spawn(other.run_until_stopped());
        let res = app
            .client
            .get(format!("{base}{greeting}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "the other process plays the greeting");
        assert_eq!(res.bytes().await.unwrap().to_vec(), audio);
        assert!(!dir.path().join("ivr-greetings").exists());
    } else {
        println!("a second process sharing the database needs PostgreSQL; checked one process");
    }

    // Deleting the menu removes the object.
    let res = app
        .req(
            Method::DELETE,
            &format!(
                "/v1/tenants/{tenant}/ivr-menus/{}",
                menu["id"].as_str().unwrap()
            ),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        s3.keys(bucket, "tenant-files/ivr-greetings/")
            .await
            .is_empty()
    );
}
