//! Conventions every endpoint shares: problem documents, body parsing and limits, methods,
//! unknown paths, pagination and query strings, request ids.

use std::io::{Read, Write};

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A tenant with one domain, one user besides its admin, and one API key: every list has
/// something in it. Returns `(tenant, admin token, domain id, user id, key id)`.
async fn furnished(app: &TestApp) -> (String, String, String, String, String) {
    let (tenant, token) = app.tenant_with_admin("Furnished").await;
    let d = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/domains"),
            &token,
            json!({"name": "f.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let (user, _) = app.create_user(&token, &tenant, "tenant_user").await;
    let k = create_api_key(app, &token, &tenant, "tenant_user").await;
    (
        tenant,
        token,
        d["id"].as_str().unwrap().into(),
        user,
        k["id"].as_str().unwrap().into(),
    )
}

#[tokio::test]
async fn malformed_json_is_400_everywhere() {
    let app = TestApp::spawn().await;
    let (tenant, token, domain, user, _) = furnished(&app).await;
    let targets = [
        (Method::POST, "/v1/tenants".to_owned()),
        (Method::PATCH, format!("/v1/tenants/{tenant}")),
        (Method::POST, format!("/v1/tenants/{tenant}/domains")),
        (
            Method::PATCH,
            format!("/v1/tenants/{tenant}/domains/{domain}"),
        ),
        (Method::POST, format!("/v1/tenants/{tenant}/users")),
        (Method::PATCH, format!("/v1/tenants/{tenant}/users/{user}")),
        (Method::POST, format!("/v1/tenants/{tenant}/api-keys")),
        (Method::POST, "/v1/auth/token".to_owned()),
        (Method::POST, "/v1/auth/refresh".to_owned()),
        (Method::POST, "/v1/auth/logout".to_owned()),
    ];
    for (method, path) in &targets {
        for body in [
            "{",
            "",
            "{\"name\": \"x\",}",
            "{'name': 'x'}",
            "not json",
            "{\"name\": \"x\"} trailing",
        ] {
            let res = send_raw(
                &app,
                method.clone(),
                path,
                &app.admin,
                Some("application/json"),
                body,
            )
            .await;
            let problem = assert_problem(res, 400, "malformed_body").await;
            assert!(problem["errors"].as_array().unwrap().is_empty());
        }
    }
    // Nothing changed.
    assert_eq!(list_all(&app, "/v1/tenants", &app.admin).await.len(), 1);
    assert_eq!(
        list_all(&app, &format!("/v1/tenants/{tenant}/domains"), &token)
            .await
            .len(),
        1
    );
    assert_eq!(
        list_all(&app, &format!("/v1/tenants/{tenant}/users"), &token)
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let app = TestApp::spawn().await;
    for body in [
        "null",
        "42",
        "\"name\"",
        "[]",
        r#"["Array tenant", null, null, null]"#,
    ] {
        let res = send_raw(
            &app,
            Method::POST,
            "/v1/tenants",
            &app.admin,
            Some("application/json"),
            body,
        )
        .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["code"], "invalid_type",
            "{body}: {problem}"
        );
    }
    // A key given twice is ambiguous: refused, not "last one wins".
    let body = r#"{"name": "First", "name": "Second"}"#;
    let res = send_raw(
        &app,
        Method::POST,
        "/v1/tenants",
        &app.admin,
        Some("application/json"),
        body,
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate field `name`"),
        "{problem}"
    );
    assert!(list_all(&app, "/v1/tenants", &app.admin).await.is_empty());
}

#[tokio::test]
async fn wrong_types_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let (tenant, token, domain, _, _) = furnished(&app).await;
    for (path, body, field) in [
        ("/v1/tenants".to_owned(), json!({"name": true}), "name"),
        (
            "/v1/tenants".to_owned(),
            json!({"name": "x", "slug": 5}),
            "slug",
        ),
        (
            format!("/v1/tenants/{tenant}/domains"),
            json!({"name": {"a": 1}}),
            "name",
        ),
        (
            format!("/v1/tenants/{tenant}/users"),
            json!({"email": ["a@b.example"], "display_name": "x", "role": "tenant_user", "password": PASSWORD}),
            "email",
        ),
        (
            format!("/v1/tenants/{tenant}/api-keys"),
            json!({"name": "k", "role": 1}),
            "role",
        ),
        (
            format!("/v1/tenants/{tenant}/api-keys"),
            json!({"name": "k", "role": "tenant_user", "expires_at": 1700000000}),
            "expires_at",
        ),
    ] {
        let res = app
            .post(&path, &token_or_admin(&path, &token, &app), body.clone())
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], "invalid_type", "{body}");
    }
    let res = app
        .patch(
            &format!("/v1/tenants/{tenant}/domains/{domain}"),
            &token,
            json!({"name": null}),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(list_all(&app, "/v1/tenants", &app.admin).await.len(), 1);
    assert_eq!(
        list_all(&app, &format!("/v1/tenants/{tenant}/domains"), &token)
            .await
            .len(),
        1
    );
}

fn token_or_admin(path: &str, token: &str, app: &TestApp) -> String {
    if path == "/v1/tenants" {
        app.admin.clone()
    } else {
        token.to_owned()
    }
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let app = TestApp::spawn().await;
    let body = r#"{"name": "Typed"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/xml"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let res = send_raw(&app, Method::POST, "/v1/tenants", &app.admin, ct, body).await;
        assert_problem(res, 415, "unsupported_media_type").await;
    }
    assert!(list_all(&app, "/v1/tenants", &app.admin).await.is_empty());
    // JSON with parameters, and +json types, are JSON.
    let res = send_raw(
        &app,
        Method::POST,
        "/v1/tenants",
        &app.admin,
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    let t = expect_json(res, 201).await;
    let res = send_raw(
        &app,
        Method::PATCH,
        &format!("/v1/tenants/{}", t["id"].as_str().unwrap()),
        &app.admin,
        Some("application/merge-patch+json"),
        r#"{"name": "Merged"}"#,
    )
    .await;
    assert_eq!(expect_json(res, 200).await["name"], "Merged");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = TestApp::spawn_with(|c| c.max_body_bytes = 1024).await;
    // Exactly at the limit is fine.
    let mut body = r#"{"name": "Exact"}"#.to_owned();
    body.insert_str(1, &" ".repeat(1024 - body.len()));
    assert_eq!(body.len(), 1024);
    let res = send_raw(
        &app,
        Method::POST,
        "/v1/tenants",
        &app.admin,
        Some("application/json"),
        body,
    )
    .await;
    assert_eq!(res.status(), 201);

    // One byte more is not, and creates nothing.
    let mut body = r#"{"name": "Over"}"#.to_owned();
    body.insert_str(1, &" ".repeat(1025 - body.len()));
    let res = send_raw(
        &app,
        Method::POST,
        "/v1/tenants",
        &app.admin,
        Some("application/json"),
        body,
    )
    .await;
    let problem = assert_problem(res, 413, "payload_too_large").await;
    assert!(problem["detail"].as_str().unwrap().contains("1024"));
    let big = json!({"name": "x".repeat(5000)});
    assert_problem(
        app.post("/v1/tenants", &app.admin, big).await,
        413,
        "payload_too_large",
    )
    .await;

    // Without a Content-Length (chunked), the limit holds while reading.
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let token = app.admin.clone();
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST /v1/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(b"10\r\n{\"name\": \"Chunk\"\r\n");
        for _ in 0..4 {
            let _ = s.write_all(format!("200\r\n{}\r\n", " ".repeat(0x200)).as_bytes());
        }
        let _ = s.write_all(b"1\r\n}\r\n0\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains("payload_too_large"), "{raw}");

    let all = list_all(&app, "/v1/tenants", &app.admin).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["name"], "Exact");
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let app = TestApp::spawn().await;
    let t = Uuid::now_v7();
    let d = Uuid::now_v7();
    for (method, path, allow) in [
        (Method::PUT, "/v1/tenants".to_owned(), "GET, POST"),
        (Method::DELETE, "/v1/tenants".to_owned(), "GET, POST"),
        (
            Method::PUT,
            format!("/v1/tenants/{t}"),
            "DELETE, GET, PATCH",
        ),
        (
            Method::POST,
            format!("/v1/tenants/{t}"),
            "DELETE, GET, PATCH",
        ),
        (
            Method::PUT,
            format!("/v1/tenants/{t}/domains/{d}"),
            "DELETE, GET, PATCH",
        ),
        (
            Method::DELETE,
            format!("/v1/tenants/{t}/domains"),
            "GET, POST",
        ),
        (
            Method::PATCH,
            format!("/v1/tenants/{t}/api-keys/{d}"),
            "DELETE, GET",
        ),
        (Method::POST, format!("/v1/tenants/{t}/audit-events"), "GET"),
        (Method::DELETE, "/v1/audit-events".to_owned(), "GET"),
        (Method::GET, "/v1/auth/token".to_owned(), "POST"),
        (Method::GET, "/v1/auth/refresh".to_owned(), "POST"),
        (Method::DELETE, "/v1/me".to_owned(), "GET, PATCH"),
        (Method::GET, "/v1/auth/session".to_owned(), "DELETE, POST"),
        (Method::POST, "/healthz".to_owned(), "GET"),
    ] {
        let res = app
            .req(method.clone(), &path, &app.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&res, "allow"), allow, "{method} {path}");
        assert!(!header(&res, "x-request-id").is_empty());
        assert_problem(res, 405, "method_not_allowed").await;
    }
    assert!(list_all(&app, "/v1/tenants", &app.admin).await.is_empty());
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = TestApp::spawn().await;
    let t = Uuid::now_v7();
    // Other paths are the web app's pages (`web_app.rs`), whose router shows its own
    // not-found page; under the API's prefix a wrong path is always a problem.
    for path in [
        "/v1".to_owned(),
        "/v1/nope".to_owned(),
        format!("/v1/tenants/{t}/nope"),
        format!("/v1/tenants/{t}/domains/{t}/nope"),
        "/v1/tenants/".to_owned(),
        "/nope.json".to_owned(),
    ] {
        for token in [app.admin.as_str(), "garbage"] {
            let res = app.get(&path, token).await;
            assert!(!header(&res, "x-request-id").is_empty());
            assert_problem(res, 404, "not_found").await;
        }
    }
}

#[tokio::test]
async fn every_list_paginates_without_gaps_or_duplicates() {
    let app = TestApp::spawn().await;
    let (tenant, token, _, _, _) = furnished(&app).await;
    // Five of each.
    let mut tenants = vec![tenant.clone()];
    for i in 0..4 {
        tenants.push(
            app.create_tenant(&app.admin, &format!("Page {i}"), None)
                .await,
        );
    }
    let mut domains = ids(&app, &format!("/v1/tenants/{tenant}/domains"), &token).await;
    for i in 0..4 {
        let d = expect_json(
            app.post(
                &format!("/v1/tenants/{tenant}/domains"),
                &token,
                json!({"name": format!("p{i}.example.com")}),
            )
            .await,
            201,
        )
        .await;
        domains.push(d["id"].as_str().unwrap().into());
    }
    let mut users = ids(&app, &format!("/v1/tenants/{tenant}/users"), &token).await;
    for _ in 0..3 {
        users.push(app.create_user(&token, &tenant, "tenant_user").await.0);
    }
    let mut keys = ids(&app, &format!("/v1/tenants/{tenant}/api-keys"), &token).await;
    for _ in 0..4 {
        keys.push(
            create_api_key(&app, &token, &tenant, "tenant_user").await["id"]
                .as_str()
                .unwrap()
                .into(),
        );
    }
    let audit_count = audit_events(&app, "").await.len();
    let tenant_audit = audit_events(&app, &format!("tenant_id={tenant}"))
        .await
        .len();

    for (path, expected) in [
        ("/v1/tenants".to_owned(), Some(tenants)),
        (format!("/v1/tenants/{tenant}/domains"), Some(domains)),
        (format!("/v1/tenants/{tenant}/users"), Some(users)),
        (format!("/v1/tenants/{tenant}/api-keys"), Some(keys)),
        ("/v1/audit-events".to_owned(), None),
        (format!("/v1/tenants/{tenant}/audit-events"), None),
    ] {
        let seen = list_all(&app, &path, &app.admin).await;
        let mut seen_ids: Vec<String> = seen
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        match expected {
            Some(mut expected) => {
                assert_eq!(expected.len(), 5, "{path}");
                expected.sort();
                seen_ids.sort();
                assert_eq!(seen_ids, expected, "{path}");
            }
            None => {
                let want = if path.starts_with("/v1/audit") {
                    audit_count
                } else {
                    tenant_audit
                };
                assert_eq!(seen_ids.len(), want, "{path}");
            }
        }
        // One big page holds them all, and says it is the last.
        let page = expect_json(app.get(&format!("{path}?limit=200"), &app.admin).await, 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), seen.len());
        assert!(page["next_cursor"].is_null());
        // limit=1 gives exactly one item and a cursor.
        let page = expect_json(app.get(&format!("{path}?limit=1"), &app.admin).await, 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert!(page["next_cursor"].is_string());
    }
}

#[tokio::test]
async fn the_default_page_size_is_50() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Many").await;
    for i in 0..55 {
        let res = app
            .post(
                &format!("/v1/tenants/{tenant}/domains"),
                &token,
                json!({"name": format!("n{i}.example.com")}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let page = expect_json(
        app.get(&format!("/v1/tenants/{tenant}/domains"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = expect_json(
        app.get(
            &format!("/v1/tenants/{tenant}/domains?cursor={cursor}"),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 5);
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn bad_query_strings_are_400() {
    let app = TestApp::spawn().await;
    let (tenant, token, _, _, _) = furnished(&app).await;
    let lists = [
        "/v1/tenants".to_owned(),
        format!("/v1/tenants/{tenant}/domains"),
        format!("/v1/tenants/{tenant}/users"),
        format!("/v1/tenants/{tenant}/api-keys"),
        format!("/v1/tenants/{tenant}/audit-events"),
        "/v1/audit-events".to_owned(),
    ];
    for path in &lists {
        for q in [
            "limit=0",
            "limit=201",
            "limit=-1",
            "limit=abc",
            "limit=",
            "cursor=!!!",
            "cursor=AAAA",
            "foo=bar",
            "limit=2&limit=3",
        ] {
            let res = app.get(&format!("{path}?{q}"), &app.admin).await;
            assert_problem(res, 400, "invalid_query").await;
        }
        // The edges of the range are accepted.
        for q in ["limit=1", "limit=200"] {
            assert_eq!(
                app.get(&format!("{path}?{q}"), &app.admin).await.status(),
                200,
                "{path}?{q}"
            );
        }
    }
    let res = app.get("/v1/tenants?limit=0", &token).await;
    let problem = assert_problem(res, 400, "invalid_query").await;
    assert_eq!(problem["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn_with(|c| c.max_body_bytes = 100).await;
    let t = app.create_tenant(&app.admin, "Ids", None).await;
    let answers = vec![
        app.get("/v1/tenants", &app.admin).await,
        app.post("/v1/tenants", &app.admin, json!({"name": "Two"}))
            .await,
        app.req(Method::DELETE, &format!("/v1/tenants/{t}"), &app.admin)
            .send()
            .await
            .unwrap(),
        app.get("/v1/tenants", "garbage").await,
        app.get("/v1/nope", &app.admin).await,
        app.req(Method::PUT, "/v1/tenants", &app.admin)
            .send()
            .await
            .unwrap(),
        send_raw(
            &app,
            Method::POST,
            "/v1/tenants",
            &app.admin,
            Some("text/plain"),
            "x",
        )
        .await,
        app.post("/v1/tenants", &app.admin, json!({"name": "y".repeat(100)}))
            .await,
        app.get("/v1/tenants?limit=0", &app.admin).await,
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client.get(app.url("/metrics")).send().await.unwrap(),
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
        app.client.get(app.url("/docs")).send().await.unwrap(),
    ];
    let mut seen = Vec::new();
    for res in answers {
        let status = res.status().as_u16();
        let rid = header(&res, "x-request-id");
        assert!(!rid.is_empty(), "no x-request-id on a {status}");
        assert!(!seen.contains(&rid), "request ids are unique");
        let ct = header(&res, "content-type");
        if ct == "application/problem+json" {
            let body: Value = res.json().await.unwrap();
            assert_eq!(
                body["request_id"],
                rid.as_str(),
                "the problem quotes the header"
            );
            assert_eq!(
                body["type"],
                format!("urn:centralita:problem:{}", body["code"].as_str().unwrap())
            );
            assert_eq!(body["status"], status);
        }
        seen.push(rid);
    }
    assert_eq!(seen.len(), 13);

    // A client's id is kept when it is reasonable, replaced when it is not.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-request-id"), "abc-123");
    let long = "x".repeat(129);
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", long.as_str())
        .send()
        .await
        .unwrap();
    let rid = header(&res, "x-request-id");
    assert_ne!(rid, long);
    assert!(rid.parse::<Uuid>().is_ok(), "{rid}");
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "has space")
        .send()
        .await
        .unwrap();
    assert!(header(&res, "x-request-id").parse::<Uuid>().is_ok());
}
