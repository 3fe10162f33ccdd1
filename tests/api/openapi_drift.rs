//! The committed OpenAPI document must equal what the server serves.

use crate::common::TestApp;
use serde_json::Value;

const REGENERATE: &str = "cargo run -q -- openapi > openapi/centralita.json";

#[tokio::test]
async fn committed_spec_matches_served_spec() {
    let app = TestApp::spawn().await;
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/centralita.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{path} is not JSON ({e}); regenerate it with: {REGENERATE}"));
    assert!(
        served == committed,
        "openapi/centralita.json differs from the served document; regenerate it with: {REGENERATE}"
    );
    assert_eq!(served["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
}

#[tokio::test]
async fn every_operation_is_documented_with_responses_and_security() {
    let spec = serde_json::to_value(centralita_api::openapi()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let public = [
        "/v1/auth/token",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/auth/session",
        "/livez",
        "/healthz",
        "/readyz",
        "/metrics",
    ];
    let mut count = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{method} {path} undocumented"
            );
            if !public.contains(&path.as_str()) {
                assert!(
                    op["security"].is_array(),
                    "{method} {path} has no security requirement"
                );
            }
        }
    }
    assert!(count >= 28, "only {count} operations documented");
}
