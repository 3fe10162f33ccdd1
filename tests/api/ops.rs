//! Operations endpoints: `/livez` (and `/healthz`), `/readyz`, `/metrics`, `/openapi.json`,
//! `/docs`; and what makes several processes safe on one database: migrations applied by
//! two at once, readiness that waits for the schema.

use crate::common::*;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use uuid::Uuid;

async fn get_plain(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn health_and_readiness_need_no_token() {
    let app = TestApp::spawn().await;
    for path in ["/livez", "/healthz", "/readyz"] {
        let res = get_plain(&app, path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(header(&res, "content-type").starts_with("application/json"));
        assert!(!header(&res, "x-request-id").is_empty());
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    }
}

/// An API process started on a database whose migrations have not run is alive but not
/// ready (a load balancer or Kubernetes sends it nothing), and becomes ready once they have.
#[tokio::test]
async fn readiness_waits_for_the_migrations_liveness_does_not() {
    let (config, opts, _dir) = fresh_database().await;
    let search_path = opts.search_path.clone();
    let db_config = config.clone();
    let app = centralita::Application::build(config, centralita::Mode::Api, opts)
        .await
        .expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{base}{path}")).send();

    assert_eq!(get("/livez").await.unwrap().status(), 200);
    let res = get("/readyz").await.unwrap();
    let body = assert_problem(res, 503, "unavailable").await;
    assert!(
        !body.to_string().contains("seaql") && !body.to_string().contains("migration"),
        "the problem names no internals: {body}"
    );

    let db = centralita_domain::core::connect(&db_config, search_path.as_deref())
        .await
        .unwrap();
    centralita::migrate(&db).await.unwrap();
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    assert_eq!(get("/livez").await.unwrap().status(), 200);
}

/// `centralita migrate` started twice at once on an empty PostgreSQL schema (two hosts
/// booting, a Job retried): both succeed and each migration is applied once. Without the
/// advisory lock one of them fails on a table the other has just created. SQLite is one
/// process's database, so this runs on PostgreSQL only.
#[tokio::test]
async fn two_concurrent_migrations_apply_each_migration_once() {
    let (config, opts, _dir) = fresh_database().await;
    let Some(schema) = opts.search_path.as_deref() else {
        println!(
            "SKIPPED: concurrent migrations are a PostgreSQL matter (CENTRALITA_TEST_DATABASE_URL unset)"
        );
        return;
    };
    let connect = || centralita_domain::core::connect(&config, Some(schema));
    let (a, b) = (connect().await.unwrap(), connect().await.unwrap());
    let (ra, rb) = tokio::join!(centralita::migrate(&a), centralita::migrate(&b));
    ra.expect("first migrate");
    rb.expect("second migrate");
    let rows = a
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT version, count(*) FROM seaql_migrations GROUP BY version",
        ))
        .await
        .unwrap();
    use centralita_migrations::MigratorTrait;
    assert_eq!(
        rows.len(),
        centralita_migrations::Migrator::migrations().len()
    );
    for row in rows {
        let n: i64 = row.try_get_by_index(1).unwrap();
        assert_eq!(n, 1);
    }
    // And a third run later finds nothing to do.
    centralita::migrate(&a).await.unwrap();
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant(&app.admin, "Metered", None).await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/v1/tenants/{tenant}"), &app.admin)
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        app.get(&format!("/v1/tenants/{}", Uuid::now_v7()), &app.admin)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/v1/definitely-not-here", &app.admin)
            .await
            .status(),
        404
    );

    let res = get_plain(&app, "/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE http_request_duration_seconds histogram"),
        "{text}"
    );
    // Labelled by template, never by the concrete id (bounded cardinality).
    let line = |method: &str, route: &str, status: u16| {
        text.lines()
            .find(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains(&format!("method=\"{method}\""))
                    && l.contains(&format!("route=\"{route}\""))
                    && l.contains(&format!("status=\"{status}\""))
            })
            .map(|l| l.rsplit(' ').next().unwrap().to_owned())
    };
    assert_eq!(
        line("GET", "/v1/tenants/{tenant_id}", 200).as_deref(),
        Some("3"),
        "{text}"
    );
    assert_eq!(
        line("GET", "/v1/tenants/{tenant_id}", 404).as_deref(),
        Some("1"),
        "{text}"
    );
    assert_eq!(
        line("POST", "/v1/tenants", 201).as_deref(),
        Some("1"),
        "{text}"
    );
    assert_eq!(
        line("POST", "/v1/auth/token", 200).as_deref(),
        Some("1"),
        "{text}"
    );
    assert!(!text.contains(&tenant), "a concrete id leaked into a label");
    assert!(
        !text.contains("definitely-not-here"),
        "an unknown path leaked into a label"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let app = TestApp::spawn().await;
    let res = get_plain(&app, "/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("application/json"));
    let spec: Value = res.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(spec["info"]["title"], "Centralita");
    let paths = spec["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/v1/auth/token", &["post"][..]),
        ("/v1/auth/refresh", &["post"]),
        ("/v1/auth/logout", &["post"]),
        ("/v1/me", &["get"]),
        ("/v1/tenants", &["get", "post"]),
        ("/v1/tenants/{tenant_id}", &["get", "patch", "delete"]),
        ("/v1/tenants/{tenant_id}/domains", &["get", "post"]),
        (
            "/v1/tenants/{tenant_id}/domains/{domain_id}",
            &["get", "patch", "delete"],
        ),
        ("/v1/tenants/{tenant_id}/users", &["get", "post"]),
        (
            "/v1/tenants/{tenant_id}/users/{user_id}",
            &["get", "patch", "delete"],
        ),
        ("/v1/tenants/{tenant_id}/api-keys", &["get", "post"]),
        (
            "/v1/tenants/{tenant_id}/api-keys/{key_id}",
            &["get", "delete"],
        ),
        ("/v1/audit-events", &["get"]),
        ("/v1/tenants/{tenant_id}/audit-events", &["get"]),
        ("/livez", &["get"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for m in methods {
            assert!(
                paths[path][m].is_object(),
                "{m} {path} missing from the document"
            );
        }
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    assert!(spec["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn docs_redirect_and_serve_swagger_ui_offline() {
    let app = TestApp::spawn().await;
    let res = get_plain(&app, "/docs").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(header(&res, "location"), "/docs/");

    let res = get_plain(&app, "/docs/").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    // Nothing is fetched from a CDN: every script and stylesheet is served locally.
    for needle in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(needle),
            "external asset ({needle}) in {html}"
        );
    }
    let mut assets = 0;
    for attr in ["src=\"", "href=\""] {
        for chunk in html.split(attr).skip(1) {
            let target = chunk.split('"').next().unwrap();
            if target.ends_with(".js") || target.ends_with(".css") {
                let url = if target.starts_with('/') {
                    target.to_owned()
                } else {
                    format!("/docs/{}", target.trim_start_matches("./"))
                };
                let res = get_plain(&app, &url).await;
                assert_eq!(res.status(), 200, "{url}");
                assets += 1;
            }
        }
    }
    assert!(assets >= 2, "no local assets found in {html}");
    // The UI is pointed at our document.
    let init = get_plain(&app, "/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/openapi.json"));
}

#[tokio::test]
async fn junk_methods_and_paths_add_no_metric_series() {
    let app = TestApp::spawn().await;
    // Only the request series can be inflated by a caller. Job gauges grow on their own when a
    // periodic job (invoices, DID fees, expiring holds) first runs during the test, and
    // `/metrics` itself gains its series after the first read.
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("http_") && !l.contains("route=\"/metrics\""))
            .count()
    };
    // One of each kind first, so their (fixed) series exist.
    junk(&app, 0).await;
    let before = get_plain(&app, "/metrics").await.text().await.unwrap();
    for i in 1..=100 {
        junk(&app, i).await;
    }
    let after = get_plain(&app, "/metrics").await.text().await.unwrap();
    assert!(after.contains("method=\"OTHER\""), "{after}");
    assert!(!after.contains("JUNK"), "a made-up method became a label");
    assert!(
        series(&after) == series(&before),
        "series grew from {} to {}",
        series(&before),
        series(&after)
    );
}

/// Requests a Prometheus label could be inflated with: a made-up method on a known and on an
/// unknown path, and an unknown path.
async fn junk(app: &TestApp, i: usize) {
    let method = reqwest::Method::from_bytes(format!("JUNK{i}").as_bytes()).unwrap();
    for path in ["/v1/me".to_owned(), format!("/nowhere/{i}")] {
        app.client
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
    }
    get_plain(app, &format!("/no-such-page-{i}")).await;
}

#[tokio::test]
async fn a_configured_metrics_token_is_required() {
    let app = TestApp::spawn_with(|c| {
        c.metrics_token = Some("a-metrics-token-for-prometheus".into());
    })
    .await;
    let url = format!("{}/metrics", app.base);
    let none = app.client.get(&url).send().await.unwrap();
    assert_problem(none, 401, "unauthenticated").await;
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "unauthenticated").await;
    // A user's valid access token is not the metrics token either.
    let user = app
        .client
        .get(&url)
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_problem(user, 401, "unauthenticated").await;
    let right = app
        .client
        .get(&url)
        .header("authorization", "bearer a-metrics-token-for-prometheus")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("# TYPE http_requests_total counter")
    );
    // Without the setting it stays open, as before.
    let open = TestApp::spawn().await;
    assert_eq!(get_plain(&open, "/metrics").await.status(), 200);
}
