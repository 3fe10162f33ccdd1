//! Test harness: starts the real application on 127.0.0.1:0 with its own data directory,
//! and drives it over HTTP.
//!
//! By default each app uses a fresh SQLite file. When `CENTRALITA_TEST_DATABASE_URL` points
//! at PostgreSQL, each app gets its own schema in that database; when
//! `CENTRALITA_TEST_REDIS_URL` is set, each app gets its own Redis key prefix.

pub mod sshd;

use centralita::{Application, BuildOptions, Mode};
use centralita_domain::config::Config;
use reqwest::{Method, RequestBuilder, Response};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "root@platform.example.com";
pub const ADMIN_PASSWORD: &str = "platform-admin-password";
pub const PASSWORD: &str = "a-long-enough-password";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub core: centralita_domain::Core,
    pub admin: String,
    /// The PostgreSQL schema of this app (none on SQLite), for processes that share its
    /// database.
    pub search_path: Option<String>,
    _dir: tempfile::TempDir,
}

/// Which backends this run uses, for tests that print it.
pub fn backend() -> String {
    let db = if std::env::var("CENTRALITA_TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    };
    let redis = if std::env::var("CENTRALITA_TEST_REDIS_URL").is_ok() {
        "redis"
    } else {
        "in-process"
    };
    format!("{db}+{redis}")
}

/// A configuration of the test kind on a database of its own that nothing has touched: a
/// new SQLite file in a new data directory, or a new empty schema of the PostgreSQL test
/// database (named in the options' `search_path`), and its own Redis key prefix.
pub async fn fresh_database() -> (Config, BuildOptions, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = Uuid::now_v7().simple().to_string();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        bootstrap_admin_email: Some(ADMIN_EMAIL.into()),
        bootstrap_admin_password: Some(ADMIN_PASSWORD.into()),
        redis_prefix: format!("centralita-test:{run}:"),
        database_max_connections: 5,
        ..Config::default()
    };
    let mut opts = BuildOptions::default();
    if let Ok(url) = std::env::var("CENTRALITA_TEST_DATABASE_URL") {
        let schema = format!("t_{run}");
        let admin = sea_orm::Database::connect(url.as_str())
            .await
            .expect("connect postgres");
        admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .expect("create schema");
        admin.close().await.ok();
        config.database_url = Some(url);
        opts.search_path = Some(schema);
    }
    if let Ok(url) = std::env::var("CENTRALITA_TEST_REDIS_URL") {
        config.redis_url = Some(url);
    }
    (config, opts, dir)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let (mut config, opts, dir) = fresh_database().await;
        adjust(&mut config);
        let search_path = opts.search_path.clone();
        let app = Application::build(config, Mode::Serve, opts)
            .await
            .expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let core = app.core().clone();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut this = Self {
            base,
            client,
            core,
            admin: String::new(),
            search_path,
            _dir: dir,
        };
        this.admin = this.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        this
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.req(Method::POST, path, token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.req(Method::PATCH, path, token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.req(Method::DELETE, path, token).send().await.unwrap()
    }

    /// Logs in and returns the access token; panics on failure.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self.login_raw(email, password).await;
        assert_eq!(res.status(), 200, "login of {email} failed");
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn login_raw(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/token"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Creates a tenant as `token` (optionally under `parent`) and returns its id.
    pub async fn create_tenant(&self, token: &str, name: &str, parent: Option<&str>) -> String {
        let mut body = json!({"name": name, "slug": slug(name)});
        if let Some(p) = parent {
            body["parent_id"] = json!(p);
        }
        let res = self.post("/v1/tenants", token, body).await;
        assert_eq!(res.status(), 201, "create tenant {name}");
        let v: Value = res.json().await.unwrap();
        v["id"].as_str().unwrap().to_owned()
    }

    /// Creates a user with `role` in `tenant` and returns `(user id, access token)`.
    pub async fn create_user(&self, token: &str, tenant: &str, role: &str) -> (String, String) {
        let email = format!(
            "{}@{}.example.com",
            Uuid::now_v7().simple(),
            role.replace('_', "-")
        );
        let res = self
            .post(
                &format!("/v1/tenants/{tenant}/users"),
                token,
                json!({"email": email, "display_name": "Test user", "role": role, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 201, "create {role} user");
        let v: Value = res.json().await.unwrap();
        let id = v["id"].as_str().unwrap().to_owned();
        (id, self.login(&email, PASSWORD).await)
    }

    /// A fresh tenant with its tenant admin: `(tenant id, admin token)`.
    pub async fn tenant_with_admin(&self, name: &str) -> (String, String) {
        let tenant = self.create_tenant(&self.admin, name, None).await;
        let (_, token) = self.create_user(&self.admin, &tenant, "tenant_admin").await;
        (tenant, token)
    }
}

/// A unique slug derived from a name.
pub fn slug(name: &str) -> String {
    let base: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "{}-{}",
        base.trim_matches('-'),
        &Uuid::now_v7().simple().to_string()[20..]
    )
}

/// A unique SIP domain name.
pub fn domain_name() -> String {
    format!(
        "d{}.pbx.example.com",
        &Uuid::now_v7().simple().to_string()[16..]
    )
}

/// Asserts a problem+json answer with `status` and `code`, returning the body.
/// A peer a test needs (a program, a server) is missing: the test skips, saying so, except
/// under `CENTRALITA_TEST_REQUIRE_PEERS` (as `.ci/run` sets), where it fails with `how` to
/// install it. Always answers `None`, for `let Some(..) = .. else { return missing(..) }`.
pub fn peer_missing<T>(what: &str, how: &str) -> Option<T> {
    assert!(
        std::env::var_os("CENTRALITA_TEST_REQUIRE_PEERS").is_none(),
        "{what} is required ({how})"
    );
    eprintln!("SKIPPED: {what} is missing ({how})");
    None
}

/// Waits until something accepts TCP connections on the loopback `port` (at most 5 s).
pub async fn listening(port: u16) -> bool {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// The `/metrics` exposition (open: no metrics token in tests).
pub async fn scrape_metrics(app: &TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    let got = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "unexpected status; body: {body}");
    assert_eq!(ct, "application/problem+json", "content type; body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status);
    assert!(body["request_id"].is_string(), "request_id missing: {body}");
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    assert!(body["errors"].is_array());
    body
}

// ---------------------------------------------------------------------------------------
// Helpers of the endpoint suites (auth, tenants, domains, users, api_keys, audit,
// conventions, ops).
// ---------------------------------------------------------------------------------------

/// Status, headers and JSON body (Null when the body is empty or not JSON) of an answer.
pub async fn parts(res: Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, body)
}

/// Asserts `status` and returns the JSON body.
pub async fn expect_json(res: Response, status: u16) -> Value {
    let (got, _, body) = parts(res).await;
    assert_eq!(got, status, "unexpected status; body: {body}");
    body
}

/// A header as a string ("" when absent).
pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Every item of a list, walking it with `limit=2`; asserts pages are well formed and that
/// no item is seen twice.
pub async fn list_all(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            None => format!("{path}{sep}limit=2"),
        };
        let page = expect_json(app.get(&url, token).await, 200).await;
        let got = page["items"].as_array().expect("items array");
        assert!(got.len() <= 2, "page larger than limit: {page}");
        for item in got {
            assert!(
                !items.iter().any(|i| i["id"] == item["id"]),
                "item seen twice while paginating {path}: {item}"
            );
            items.push(item.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(!got.is_empty(), "empty page with a next cursor");
                cursor = Some(c.to_owned());
            }
            None => {
                assert!(page["next_cursor"].is_null(), "next_cursor: {page}");
                return items;
            }
        }
    }
    panic!("pagination of {path} does not end");
}

/// The ids of a list's first page (default limit), for "nothing changed" checks.
pub async fn ids(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let page = expect_json(app.get(path, token).await, 200).await;
    page["items"]
        .as_array()
        .expect("items array")
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every audit event of the platform matching `query` (e.g. `action=user.create`).
pub async fn audit_events(app: &TestApp, query: &str) -> Vec<Value> {
    let path = if query.is_empty() {
        "/v1/audit-events".to_owned()
    } else {
        format!("/v1/audit-events?{query}")
    };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
            None => format!("{path}{sep}limit=200"),
        };
        let page = expect_json(app.get(&url, &app.admin).await, 200).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// Asserts that no object key of `value`, at any depth, names a secret, and that none of
/// `secrets` appears anywhere in its text.
/// Puts `number` (E.164) in the platform's DID inventory on a fresh carrier trunk, and
/// lets `tenant` claim it; returns the DID's id.
pub async fn claim_did(app: &TestApp, token: &str, tenant: &str, number: &str) -> String {
    let carrier = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": format!("Carrier for {number}"), "host": "sip.carrier.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let did = json!({"number": number, "carrier_trunk_id": carrier["id"], "currency": "EUR"});
    expect_json(app.post("/v1/dids", &app.admin, did).await, 201).await;
    let claimed = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/dids"),
            token,
            json!({"number": number}),
        )
        .await,
        201,
    )
    .await;
    claimed["id"].as_str().unwrap().to_owned()
}

/// Registers a switch node (as the platform admin); returns its token.
pub async fn switch_node_token(app: &TestApp) -> String {
    let res = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": format!("edge-{}", Uuid::now_v7()), "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        )
        .await;
    expect_json(res, 201).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The audit actions recorded for one resource, oldest first.
pub async fn audit_actions(app: &TestApp, resource: &str) -> Vec<String> {
    audit_events(app, &format!("resource_id={resource}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

pub fn assert_no_secrets(value: &Value, secrets: &[&str]) {
    fn walk(v: &Value, at: &str) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    assert!(
                        ![
                            "password",
                            "password_hash",
                            "secret_hash",
                            "refresh_token",
                            "key"
                        ]
                        .contains(&k.as_str())
                            || child == "[redacted]",
                        "secret field {at}.{k} exposed: {child}"
                    );
                    walk(child, &format!("{at}.{k}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, at)),
            _ => {}
        }
    }
    walk(value, "");
    let text = value.to_string();
    for s in secrets {
        assert!(!s.is_empty());
        assert!(!text.contains(s), "secret {s:?} appears in {text}");
    }
    assert!(
        !text.contains("$argon2"),
        "a password hash appears in {text}"
    );
}

/// Creates a user with `role` and a known e-mail; returns `(id, email)`.
pub async fn create_user_with_email(
    app: &TestApp,
    token: &str,
    tenant: &str,
    role: &str,
    email: &str,
    password: &str,
) -> String {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/users"),
            token,
            json!({"email": email, "display_name": "Test user", "role": role, "password": password}),
        )
        .await;
    let body = expect_json(res, 201).await;
    body["id"].as_str().unwrap().to_owned()
}

/// A full token pair from a login, as JSON.
pub async fn login_pair(app: &TestApp, email: &str, password: &str) -> Value {
    expect_json(app.login_raw(email, password).await, 200).await
}

/// Creates a support staff member and returns its access token.
pub async fn support_token(app: &TestApp) -> (String, String) {
    let email = format!("support-{}@platform.example.com", Uuid::now_v7().simple());
    let view = centralita_domain::services::auth::create_staff_user(
        &app.core,
        &email,
        "Support",
        centralita_domain::authz::Role::Support,
        PASSWORD,
    )
    .await
    .expect("create support user");
    (view.id.to_string(), app.login(&email, PASSWORD).await)
}

/// The id of the caller behind `token`.
pub async fn my_id(app: &TestApp, token: &str) -> String {
    let me = expect_json(app.get("/v1/me", token).await, 200).await;
    me["id"].as_str().unwrap().to_owned()
}

/// Creates an API key in `tenant`; returns the create answer.
pub async fn create_api_key(app: &TestApp, token: &str, tenant: &str, role: &str) -> Value {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/api-keys"),
            token,
            json!({"name": "integration", "role": role}),
        )
        .await;
    expect_json(res, 201).await
}

/// Sends `body` as raw bytes with `content_type` (None: no Content-Type header).
pub async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Response {
    let mut rb = app.req(method, path, token).body(body);
    if let Some(ct) = content_type {
        rb = rb.header("content-type", ct);
    }
    rb.send().await.unwrap()
}

// ---------------------------------------------------------------------------------------
// Helpers of the PBX suites (extensions, voicemail_boxes, compound_user).
// ---------------------------------------------------------------------------------------

pub fn extensions_path(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/extensions")
}

pub fn boxes_path(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/voicemail-boxes")
}

/// Adds a fresh SIP domain to `tenant`; returns its name.
pub async fn add_domain(app: &TestApp, token: &str, tenant: &str) -> String {
    let name = domain_name();
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/domains"),
            token,
            json!({"name": name}),
        )
        .await;
    expect_json(res, 201).await;
    name
}

/// Creates an extension from `body`; asserts 201 and returns the answer.
pub async fn create_extension(app: &TestApp, token: &str, tenant: &str, body: Value) -> Value {
    expect_json(app.post(&extensions_path(tenant), token, body).await, 201).await
}

/// Creates a voicemail box with `mailbox` and a non-trivial PIN; returns the answer.
pub async fn create_box(app: &TestApp, token: &str, tenant: &str, mailbox: &str) -> Value {
    let res = app
        .post(
            &boxes_path(tenant),
            token,
            json!({"mailbox": mailbox, "pin": "739164"}),
        )
        .await;
    expect_json(res, 201).await
}

/// `(field, code)` of every entry of a problem's `errors`.
pub fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Asserts that the problem lists an error on `field` with `code`.
pub fn assert_field_error(problem: &Value, field: &str, code: &str) {
    let errs = field_errors(problem);
    assert!(
        errs.iter().any(|(f, c)| f == field && c == code),
        "expected {field}/{code} in {problem}"
    );
}

/// The stored SIP credential rows of an extension.
pub async fn credentials_of(
    app: &TestApp,
    extension_id: &str,
) -> Vec<centralita_domain::entities::extension_credential::Model> {
    use centralita_domain::entities::extension_credential;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    extension_credential::Entity::find()
        .filter(
            extension_credential::Column::ExtensionId.eq(Uuid::parse_str(extension_id).unwrap()),
        )
        .all(&app.core.db)
        .await
        .unwrap()
}

/// An app whose own worker is off, so the test decides what runs.
pub async fn app_without_worker() -> TestApp {
    TestApp::spawn_with(|c| c.embedded_worker = false).await
}

/// The stored row of a job.
pub async fn job_row(
    core: &centralita_domain::Core,
    id: Uuid,
) -> centralita_domain::entities::job::Model {
    use sea_orm::EntityTrait;
    centralita_domain::entities::job::Entity::find_by_id(id)
        .one(&core.db)
        .await
        .unwrap()
        .unwrap()
}

/// A WAV file of `samples` 16-bit mono samples at 8 kHz (a rising ramp, so two files of
/// different lengths never share bytes by accident).
pub fn wav(samples: usize) -> Vec<u8> {
    let data = samples * 2;
    let mut v = Vec::with_capacity(44 + data);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&16000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data as u32).to_le_bytes());
    for i in 0..samples {
        v.extend_from_slice(&(i as u16).to_le_bytes());
    }
    v
}

/// Posts a voicemail as a switch node does: `metadata` as JSON and the audio, multipart.
pub async fn post_voicemail(
    app: &TestApp,
    node: &str,
    metadata: &Value,
    content_type: &str,
    audio: Vec<u8>,
) -> Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "metadata",
            reqwest::multipart::Part::text(metadata.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "audio",
            reqwest::multipart::Part::bytes(audio)
                .file_name("message.wav")
                .mime_str(content_type)
                .unwrap(),
        );
    app.client
        .post(app.url("/v1/switch/voicemail"))
        .bearer_auth(node)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The metadata of a voicemail left now for `mailbox@domain` by a known caller.
pub fn voicemail_metadata(domain: &str, mailbox: &str) -> Value {
    json!({
        "domain": domain,
        "mailbox": mailbox,
        "caller_number": "+34911234567",
        "caller_name": "Ana García",
        "duration_secs": 65,
        "received_at": chrono::Utc::now().to_rfc3339(),
    })
}

/// The environment a separate `centralita` process needs to share this app's database,
/// data directory, keys and Redis prefix.
pub fn shared_env(app: &TestApp) -> Vec<(String, String)> {
    let c = &app.core.config;
    let mut url = c.effective_database_url();
    if let Some(schema) = &app.search_path {
        let sep = if url.contains('?') { '&' } else { '?' };
        url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    }
    let mut env = vec![
        ("CENTRALITA_DATABASE_URL".to_owned(), url),
        (
            "CENTRALITA_DATA_DIR".to_owned(),
            c.data_dir.display().to_string(),
        ),
        ("CENTRALITA_REDIS_PREFIX".to_owned(), c.redis_prefix.clone()),
        (
            "CENTRALITA_JOB_LEASE_SECS".to_owned(),
            c.job_lease_secs.to_string(),
        ),
        ("CENTRALITA_LOG_FORMAT".to_owned(), "text".to_owned()),
    ];
    let allowed: Vec<String> =
        serde_json::from_value(serde_json::json!(c.install_allowed_targets)).unwrap();
    if !allowed.is_empty() {
        env.push((
            "CENTRALITA_INSTALL_ALLOWED_TARGETS".to_owned(),
            allowed.join(","),
        ));
    }
    for (key, value) in [
        ("CENTRALITA_REDIS_URL", &c.redis_url),
        ("CENTRALITA_TRUNK_SECRET_KEY", &c.trunk_secret_key),
        ("CENTRALITA_SMTP_HOST", &c.smtp_host),
    ] {
        if let Some(v) = value {
            env.push((key.to_owned(), v.clone()));
        }
    }
    env
}

/// A loopback TCP port free right now, for a peer a test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
