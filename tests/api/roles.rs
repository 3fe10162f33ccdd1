//! The role matrix: who may do what, written out as one table.
//!
//! [`MATRIX`] is the permission table of `domain/src/authz.rs` (`grant` and
//! `grant_platform`, plus `Role::may_grant` where a write hands out a role) seen from the
//! outside: each row is a principal standing in some relation to the tenant it acts on,
//! each column a route family, each cell the answer every request of that family gets.

use crate::common::*;
use centralita_domain::{authz::Role, services::auth::create_staff_user};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A principal and the tenant it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    PlatformAdmin,
    /// Support staff, no `X-Acting-Reason`.
    Support,
    /// Support staff stating a reason.
    SupportReason,
    /// A partner admin acting on a customer tenant below its own.
    PartnerOnChild,
    /// A partner admin acting on its own tenant.
    PartnerOnOwn,
    /// A partner admin acting on a tenant outside its subtree.
    PartnerOnOther,
    /// A tenant admin acting on its own tenant.
    TenantAdmin,
    /// A tenant admin acting on the partner tenant above its own.
    TenantAdminOnParent,
    /// A tenant user acting on its own tenant.
    TenantUser,
}

/// Route families (columns of the matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// GET /v1/tenants/{t}
    TenantRead,
    /// PATCH /v1/tenants/{t}
    TenantUpdate,
    /// DELETE /v1/tenants/{t}
    TenantDelete,
    /// POST /v1/tenants with parent_id = t
    CreateChild,
    /// POST /v1/tenants without parent_id
    CreateRoot,
    /// GET …/domains, GET …/domains/{id}
    DomainsRead,
    /// POST …/domains, PATCH and DELETE …/domains/{id}
    DomainsWrite,
    /// GET …/users, GET …/users/{id}
    UsersRead,
    /// POST …/users (role tenant_user)
    UsersCreate,
    /// PATCH and DELETE …/users/{id} (of a tenant_user)
    UsersEdit,
    /// GET …/api-keys, GET …/api-keys/{id}
    KeysRead,
    /// POST …/api-keys (role tenant_user)
    KeysCreate,
    /// DELETE …/api-keys/{id}
    KeysRevoke,
    /// GET /v1/tenants/{t}/audit-events
    TenantAudit,
    /// GET /v1/audit-events
    PlatformAudit,
}

/// What every request of a cell must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 2xx, and the change happened.
    Y,
    /// 201, but the new tenant lands under the caller's own tenant (a partner has no
    /// top-level tenants to create).
    O,
    /// 403 `forbidden`, and nothing changed.
    F,
    /// 403 `reason_required`, and nothing changed.
    R,
    /// 404 `not_found`: the tenant is invisible to the caller.
    H,
}

use Expect::*;
use Family::*;

const FAMILIES: [Family; 15] = [
    TenantRead,
    TenantUpdate,
    TenantDelete,
    CreateChild,
    CreateRoot,
    DomainsRead,
    DomainsWrite,
    UsersRead,
    UsersCreate,
    UsersEdit,
    KeysRead,
    KeysCreate,
    KeysRevoke,
    TenantAudit,
    PlatformAudit,
];

const HEADER: [&str; 15] = [
    "T.get", "T.upd", "T.del", "child", "root", "D.get", "D.wr", "U.get", "U.new", "U.edit",
    "K.get", "K.new", "K.rev", "audit", "p.aud",
];

/// The permission table. Columns as in [`FAMILIES`]. A tenant admin creating a child under
/// its parent is a 403, not a 404: a role that creates no tenant anywhere is refused before
/// the body (and the parent it names) is read, with the same answer for every parent.
#[rustfmt::skip]
const MATRIX: [(Who, [Expect; 15]); 9] = [
    //                             tenant        create  domains  users       api keys    audit
    //                             get upd del   ch  rt  get wr   get new edit get new rev tnt plat
    (Who::PlatformAdmin,         [ Y,  Y,  Y,    Y,  Y,  Y,  Y,   Y,  Y,  Y,   Y,  Y,  Y,  Y,  Y ]),
    (Who::Support,               [ Y,  R,  F,    F,  F,  Y,  R,   Y,  R,  R,   Y,  R,  R,  Y,  Y ]),
    (Who::SupportReason,         [ Y,  Y,  F,    F,  F,  Y,  Y,   Y,  Y,  Y,   Y,  Y,  Y,  Y,  Y ]),
    (Who::PartnerOnChild,        [ Y,  Y,  Y,    Y,  O,  Y,  Y,   Y,  Y,  Y,   Y,  Y,  Y,  Y,  F ]),
    (Who::PartnerOnOwn,          [ Y,  F,  F,    Y,  O,  Y,  Y,   Y,  Y,  Y,   Y,  Y,  Y,  Y,  F ]),
    (Who::PartnerOnOther,        [ H,  H,  H,    H,  O,  H,  H,   H,  H,  H,   H,  H,  H,  H,  F ]),
    (Who::TenantAdmin,           [ Y,  F,  F,    F,  F,  Y,  Y,   Y,  Y,  Y,   Y,  Y,  Y,  Y,  F ]),
    (Who::TenantAdminOnParent,   [ H,  H,  H,    F,  F,  H,  H,   H,  H,  H,   H,  H,  H,  H,  F ]),
    (Who::TenantUser,            [ Y,  F,  F,    F,  F,  Y,  F,   F,  F,  F,   F,  F,  F,  F,  F ]),
];

/// One tenant's real objects.
#[derive(Debug, Clone)]
struct Objects {
    domain: String,
    user: String,
    key: String,
}

/// Partner P with customer T below it, and an unrelated tenant X; a partner admin of P, a
/// tenant admin and a tenant user of T; one object of each kind in each tenant.
struct Scene {
    p: String,
    t: String,
    x: String,
    partner: String,
    tenant_admin: String,
    tenant_user: String,
    objects: std::collections::HashMap<String, Objects>,
}

impl Scene {
    async fn new(app: &TestApp) -> Self {
        let p = app.create_tenant(&app.admin, "Partner", None).await;
        let t = app.create_tenant(&app.admin, "Customer", Some(&p)).await;
        let x = app.create_tenant(&app.admin, "Outsider", None).await;
        let (_, partner) = app.create_user(&app.admin, &p, "partner_admin").await;
        let (_, tenant_admin) = app.create_user(&app.admin, &t, "tenant_admin").await;
        let (_, tenant_user) = app.create_user(&app.admin, &t, "tenant_user").await;
        let mut objects = std::collections::HashMap::new();
        for tenant in [&p, &t, &x] {
            let o = Objects {
                domain: new_domain(app, tenant).await,
                user: new_user(app, tenant).await,
                key: new_key(app, tenant).await,
            };
            objects.insert(tenant.clone(), o);
        }
        Self {
            p,
            t,
            x,
            partner,
            tenant_admin,
            tenant_user,
            objects,
        }
    }

    /// `(token, tenant acted on, own tenant of the caller)`.
    fn actor<'a>(
        &'a self,
        app: &'a TestApp,
        support: &'a str,
        who: Who,
    ) -> (&'a str, &'a str, Option<&'a str>) {
        match who {
            Who::PlatformAdmin => (&app.admin, &self.t, None),
            Who::Support | Who::SupportReason => (support, &self.t, None),
            Who::PartnerOnChild => (&self.partner, &self.t, Some(&self.p)),
            Who::PartnerOnOwn => (&self.partner, &self.p, Some(&self.p)),
            Who::PartnerOnOther => (&self.partner, &self.x, Some(&self.p)),
            Who::TenantAdmin => (&self.tenant_admin, &self.t, Some(&self.t)),
            Who::TenantAdminOnParent => (&self.tenant_admin, &self.p, Some(&self.t)),
            Who::TenantUser => (&self.tenant_user, &self.t, Some(&self.t)),
        }
    }
}

async fn created_id(res: reqwest::Response, what: &str) -> String {
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "setup: create {what}: {v}");
    v["id"].as_str().unwrap().to_owned()
}

/// A fresh domain in `tenant`, made by the platform admin.
async fn new_domain(app: &TestApp, tenant: &str) -> String {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/domains"),
            &app.admin,
            json!({"name": domain_name()}),
        )
        .await;
    created_id(res, "domain").await
}

/// A fresh tenant user in `tenant` (not signed in), made by the platform admin.
async fn new_user(app: &TestApp, tenant: &str) -> String {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/users"),
            &app.admin,
            user_body("tenant_user"),
        )
        .await;
    created_id(res, "user").await
}

/// A fresh tenant_user API key in `tenant`, made by the platform admin.
async fn new_key(app: &TestApp, tenant: &str) -> String {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/api-keys"),
            &app.admin,
            json!({"name": "Fixture key", "role": "tenant_user"}),
        )
        .await;
    created_id(res, "api key").await
}

fn user_body(role: &str) -> Value {
    json!({
        "email": format!("{}@matrix.example.com", Uuid::now_v7().simple()),
        "display_name": "Matrix user",
        "role": role,
        "password": PASSWORD,
    })
}

/// Status and body of a GET by the platform admin (to look at side effects).
async fn admin_get(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.get(path, &app.admin).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// One request of a cell and its answer.
struct Answer {
    label: String,
    status: u16,
    body: Value,
}

struct Cell<'a> {
    app: &'a TestApp,
    token: &'a str,
    reason: bool,
    /// Whether every write is first sent with an invalid body too (for refused cells: the
    /// role is checked before the body, so the answer must be the same).
    invalid_too: bool,
    /// The answers to those invalid bodies.
    extra: std::cell::RefCell<Vec<Answer>>,
}

/// A body no write accepts (422 when the role allows the write).
fn invalid_body() -> Value {
    json!({"not_a_field_of_anything": [1, 2, 3]})
}

impl Cell<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        if body.is_some() && self.invalid_too {
            let mut answer =
                Box::pin(self.send_once(method.clone(), path, Some(invalid_body()))).await;
            answer.label.push_str(" (invalid body)");
            self.extra.borrow_mut().push(answer);
        }
        self.send_once(method, path, body).await
    }

    async fn send_once(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.app.req(method.clone(), path, self.token);
        if self.reason {
            req = req.header("X-Acting-Reason", "ticket #4711: customer asked for help");
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        let mut body: Value = res.json().await.unwrap_or(Value::Null);
        if status >= 400 && ct != "application/problem+json" {
            body = json!({"unexpected content type": ct, "body": body});
        }
        Answer {
            label: format!("{method} {path}"),
            status,
            body,
        }
    }
}

/// Whether `answer` is what `expect` says.
fn answers_as(expect: Expect, answer: &Answer, own: Option<&str>) -> bool {
    let code = answer.body["code"].as_str().unwrap_or("");
    match expect {
        Y => (200..300).contains(&answer.status),
        O => answer.status == 201 && own.is_some() && answer.body["parent_id"].as_str() == own,
        F => answer.status == 403 && code == "forbidden",
        R => answer.status == 403 && code == "reason_required",
        H => answer.status == 404 && code == "not_found",
    }
}

/// Runs one cell: every request of `family`, then checks its side effects. Returns the
/// answers and any side-effect problems.
#[allow(clippy::too_many_lines)]
async fn run_cell(
    app: &TestApp,
    support: &str,
    scene: &Scene,
    who: Who,
    family: Family,
    expect: Expect,
) -> (Vec<Answer>, Vec<String>) {
    let (token, target, own) = scene.actor(app, support, who);
    let allowed = matches!(expect, Y | O);
    // A create names its parent in the body: without a valid body there is no tenant to hide,
    // so the 404 cells of creates have no invalid-body twin.
    let body_names_tenant = matches!(family, CreateChild | CreateRoot) && expect == H;
    let cell = Cell {
        app,
        token,
        reason: who == Who::SupportReason,
        invalid_too: !allowed && !body_names_tenant,
        extra: Default::default(),
    };
    let objs = &scene.objects[target];
    let base = format!("/v1/tenants/{target}");
    let mut answers = Vec::new();
    let mut effects = Vec::new();
    match family {
        TenantRead => answers.push(cell.send(Method::GET, &base, None).await),
        TenantUpdate => {
            let name = format!("Renamed {}", Uuid::now_v7().simple());
            answers.push(
                cell.send(Method::PATCH, &base, Some(json!({"name": name})))
                    .await,
            );
            let (_, t) = admin_get(app, &base).await;
            if (t["name"] == name.as_str()) != allowed {
                effects.push(format!("tenant name is {} after PATCH", t["name"]));
            }
        }
        TenantDelete => {
            // Deleting must not disturb other cells: a scene of its own.
            let fresh = Scene::new(app).await;
            let (token, target, _) = fresh.actor(app, support, who);
            let cell = Cell {
                token,
                extra: Default::default(),
                ..cell
            };
            let path = format!("/v1/tenants/{target}");
            answers.push(cell.send(Method::DELETE, &path, None).await);
            let (status, _) = admin_get(app, &path).await;
            if (status == 404) != allowed {
                effects.push(format!("GET {path} answers {status} after DELETE"));
            }
        }
        CreateChild | CreateRoot => {
            let name = format!("Made by {who:?}");
            let mut body = json!({"name": name, "slug": slug(&name)});
            if family == CreateChild {
                body["parent_id"] = json!(target);
            }
            let answer = cell.send(Method::POST, "/v1/tenants", Some(body)).await;
            if expect == Y && answer.status == 201 {
                let want = if family == CreateChild {
                    json!(target)
                } else {
                    Value::Null
                };
                if answer.body["parent_id"] != want {
                    effects.push(format!("created under {}", answer.body["parent_id"]));
                }
            }
            answers.push(answer);
        }
        DomainsRead => {
            answers.push(
                cell.send(Method::GET, &format!("{base}/domains"), None)
                    .await,
            );
            let path = format!("{base}/domains/{}", objs.domain);
            answers.push(cell.send(Method::GET, &path, None).await);
        }
        DomainsWrite => {
            let name = domain_name();
            let path = format!("{base}/domains");
            answers.push(
                cell.send(Method::POST, &path, Some(json!({"name": name})))
                    .await,
            );
            let (_, list) = admin_get(app, &format!("{path}?name={name}")).await;
            if (list["items"].as_array().map_or(0, Vec::len) == 1) != allowed {
                effects.push(format!("domain {name} after POST: {list}"));
            }
            let edited = new_domain(app, target).await;
            let new_name = domain_name();
            let path = format!("{base}/domains/{edited}");
            answers.push(
                cell.send(Method::PATCH, &path, Some(json!({"name": new_name})))
                    .await,
            );
            let (_, d) = admin_get(app, &path).await;
            if (d["name"] == new_name.as_str()) != allowed {
                effects.push(format!("domain after PATCH: {d}"));
            }
            let deleted = new_domain(app, target).await;
            let path = format!("{base}/domains/{deleted}");
            answers.push(cell.send(Method::DELETE, &path, None).await);
            let (status, _) = admin_get(app, &path).await;
            if (status == 404) != allowed {
                effects.push(format!("GET {path} answers {status} after DELETE"));
            }
        }
        UsersRead => {
            answers.push(cell.send(Method::GET, &format!("{base}/users"), None).await);
            let path = format!("{base}/users/{}", objs.user);
            answers.push(cell.send(Method::GET, &path, None).await);
        }
        UsersCreate => {
            let body = user_body("tenant_user");
            let email = body["email"].as_str().unwrap().to_owned();
            answers.push(
                cell.send(Method::POST, &format!("{base}/users"), Some(body))
                    .await,
            );
            let (_, list) = admin_get(app, &format!("{base}/users?email={email}")).await;
            if (list["items"].as_array().map_or(0, Vec::len) == 1) != allowed {
                effects.push(format!("user {email} after POST: {list}"));
            }
        }
        UsersEdit => {
            let edited = new_user(app, target).await;
            let path = format!("{base}/users/{edited}");
            let body = json!({"display_name": "Edited"});
            answers.push(cell.send(Method::PATCH, &path, Some(body)).await);
            let (_, u) = admin_get(app, &path).await;
            if (u["display_name"] == "Edited") != allowed {
                effects.push(format!("user after PATCH: {u}"));
            }
            let deleted = new_user(app, target).await;
            let path = format!("{base}/users/{deleted}");
            answers.push(cell.send(Method::DELETE, &path, None).await);
            let (status, _) = admin_get(app, &path).await;
            if (status == 404) != allowed {
                effects.push(format!("GET {path} answers {status} after DELETE"));
            }
        }
        KeysRead => {
            answers.push(
                cell.send(Method::GET, &format!("{base}/api-keys"), None)
                    .await,
            );
            let path = format!("{base}/api-keys/{}", objs.key);
            answers.push(cell.send(Method::GET, &path, None).await);
        }
        KeysCreate => {
            let body = json!({"name": "Matrix key", "role": "tenant_user"});
            let answer = cell
                .send(Method::POST, &format!("{base}/api-keys"), Some(body))
                .await;
            let has_key = answer.body["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("ck_"));
            if has_key != allowed {
                effects.push("the create answer's key".into());
            }
            answers.push(answer);
        }
        KeysRevoke => {
            let key = new_key(app, target).await;
            let path = format!("{base}/api-keys/{key}");
            answers.push(cell.send(Method::DELETE, &path, None).await);
            let (_, k) = admin_get(app, &path).await;
            if k["revoked_at"].is_string() != allowed {
                effects.push(format!("key after DELETE: {k}"));
            }
        }
        TenantAudit => {
            answers.push(
                cell.send(Method::GET, &format!("{base}/audit-events"), None)
                    .await,
            );
        }
        PlatformAudit => answers.push(cell.send(Method::GET, "/v1/audit-events", None).await),
    }
    answers.extend(cell.extra.take());
    for a in &answers {
        if !answers_as(expect, a, own) {
            effects.push(format!(
                "{} -> {} {} (expected {expect:?})",
                a.label, a.status, a.body
            ));
        }
    }
    (answers, effects)
}

async fn support_token(app: &TestApp) -> String {
    let email = format!("{}@support.example.com", Uuid::now_v7().simple());
    create_staff_user(&app.core, &email, "Support", Role::Support, PASSWORD)
        .await
        .expect("create support user");
    app.login(&email, PASSWORD).await
}

/// The statuses of a cell, compactly: `403`, or `2xx` when several successes differ.
fn observed(answers: &[Answer]) -> String {
    let mut codes: Vec<u16> = answers.iter().map(|a| a.status).collect();
    codes.dedup();
    match codes.as_slice() {
        [one] => one.to_string(),
        many if many.iter().all(|s| (200..300).contains(s)) => "2xx".into(),
        many => many
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join("/"),
    }
}

#[tokio::test]
async fn role_matrix() {
    let app = TestApp::spawn().await;
    let support = support_token(&app).await;
    let scene = Scene::new(&app).await;

    let mut failures = Vec::new();
    let mut table = format!("{:<22}", "");
    for h in HEADER {
        table.push_str(&format!("{h:>8}"));
    }
    table.push('\n');
    let mut cells = 0;
    for (who, row) in MATRIX {
        table.push_str(&format!("{:<22}", format!("{who:?}")));
        for (family, expect) in FAMILIES.into_iter().zip(row) {
            let (answers, problems) = run_cell(&app, &support, &scene, who, family, expect).await;
            cells += 1;
            let mark = if problems.is_empty() { " " } else { "!" };
            table.push_str(&format!("{:>8}", format!("{}{mark}", observed(&answers))));
            for p in problems {
                failures.push(format!("{who:?} × {family:?}: {p}"));
            }
        }
        table.push('\n');
    }
    println!(
        "role matrix ({cells} cells, backend {}):\n{table}",
        backend()
    );
    assert!(
        failures.is_empty(),
        "{} role-matrix failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn has_error_code(body: &Value, field: &str, code: &str) -> bool {
    body["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["field"] == field && e["code"] == code))
}

#[tokio::test]
async fn role_escalation_is_refused() {
    let app = TestApp::spawn().await;
    let p = app
        .create_tenant(&app.admin, "Escalation partner", None)
        .await;
    let t = app
        .create_tenant(&app.admin, "Escalation customer", Some(&p))
        .await;
    let (_, partner) = app.create_user(&app.admin, &p, "partner_admin").await;
    let (_, tenant_admin) = app.create_user(&app.admin, &t, "tenant_admin").await;
    let res = app
        .post(
            &format!("/v1/tenants/{t}/api-keys"),
            &tenant_admin,
            json!({"name": "Admin key", "role": "tenant_admin"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let admin_key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = new_user(&app, &t).await;
    let res = app
        .post(
            &format!("/v1/tenants/{t}/users"),
            &app.admin,
            user_body("partner_admin"),
        )
        .await;
    let boss = created_id(res, "partner_admin user in the customer tenant").await;

    // (who, token, tenant, roles it cannot grant)
    let cases: [(&str, &str, &str, &[&str]); 4] = [
        (
            "tenant_admin",
            &tenant_admin,
            &t,
            &["partner_admin", "support", "platform_admin"],
        ),
        (
            "tenant_admin API key",
            &admin_key,
            &t,
            &["partner_admin", "support", "platform_admin"],
        ),
        (
            "partner_admin",
            &partner,
            &t,
            &["support", "platform_admin"],
        ),
        (
            "platform_admin",
            &app.admin,
            &t,
            &["support", "platform_admin"],
        ),
    ];
    let mut refused = 0;
    for (who, token, tenant, roles) in cases {
        for role in roles {
            let body = user_body(role);
            let email = body["email"].as_str().unwrap().to_owned();
            let res = app
                .post(&format!("/v1/tenants/{tenant}/users"), token, body)
                .await;
            let problem = assert_problem(res, 422, "validation_failed").await;
            assert!(
                has_error_code(&problem, "role", "role_not_grantable"),
                "{who} creating a {role} user: {problem}"
            );
            let (_, list) =
                admin_get(&app, &format!("/v1/tenants/{tenant}/users?email={email}")).await;
            assert_eq!(list["items"], json!([]), "{who} created a {role} user");

            let res = app
                .post(
                    &format!("/v1/tenants/{tenant}/api-keys"),
                    token,
                    json!({"name": "Escalated", "role": role}),
                )
                .await;
            let problem = assert_problem(res, 422, "validation_failed").await;
            assert!(
                has_error_code(&problem, "role", "role_not_grantable"),
                "{who} creating a {role} API key: {problem}"
            );

            let res = app
                .patch(
                    &format!("/v1/tenants/{tenant}/users/{member}"),
                    token,
                    json!({"role": role}),
                )
                .await;
            let problem = assert_problem(res, 422, "validation_failed").await;
            assert!(
                has_error_code(&problem, "role", "role_not_grantable"),
                "{who} promoting a user to {role}: {problem}"
            );
            refused += 3;
        }
    }
    let (_, m) = admin_get(&app, &format!("/v1/tenants/{t}/users/{member}")).await;
    assert_eq!(m["role"], "tenant_user");
    assert_eq!(m["version"], 1, "the member was not touched: {m}");
    let (_, keys) = admin_get(&app, &format!("/v1/tenants/{t}/api-keys?limit=200")).await;
    assert!(
        keys["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["role"] == "tenant_admin"),
        "only the tenant_admin key exists: {keys}"
    );

    // Nobody manages a user who holds more than they could grant.
    for token in [&tenant_admin, &admin_key] {
        let path = format!("/v1/tenants/{t}/users/{boss}");
        let res = app
            .patch(&path, token, json!({"display_name": "Demoted"}))
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .patch(&path, token, json!({"role": "tenant_user"}))
            .await;
        assert!(
            matches!(res.status().as_u16(), 403 | 422),
            "demoting a partner_admin"
        );
        let res = app.delete(&path, token).await;
        assert_problem(res, 403, "forbidden").await;
        refused += 3;
    }
    let (status, b) = admin_get(&app, &format!("/v1/tenants/{t}/users/{boss}")).await;
    assert_eq!(status, 200);
    assert_eq!(b["role"], "partner_admin");
    assert_eq!(b["version"], 1);

    // What may be granted, is.
    let res = app
        .post(
            &format!("/v1/tenants/{t}/users"),
            &tenant_admin,
            user_body("tenant_admin"),
        )
        .await;
    assert_eq!(
        res.status(),
        201,
        "a tenant admin makes another tenant admin"
    );
    let res = app
        .post(
            &format!("/v1/tenants/{t}/users"),
            &partner,
            user_body("partner_admin"),
        )
        .await;
    assert_eq!(
        res.status(),
        201,
        "a partner admin makes a partner admin below it"
    );
    println!("role escalation: {refused} attempts refused");
}

#[tokio::test]
async fn tenant_user_cannot_list_users() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Users listing").await;
    let (me, user) = app.create_user(&admin, &t, "tenant_user").await;
    let res = app
        .post(
            &format!("/v1/tenants/{t}/api-keys"),
            &admin,
            json!({"name": "User key", "role": "tenant_user"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let user_key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();

    for (who, token) in [
        ("tenant_user JWT", &user),
        ("tenant_user API key", &user_key),
    ] {
        for path in [
            format!("/v1/tenants/{t}/users"),
            format!("/v1/tenants/{t}/users/{me}"),
            format!("/v1/tenants/{t}/api-keys"),
            format!("/v1/tenants/{t}/audit-events"),
        ] {
            let problem = assert_problem(app.get(&path, token).await, 403, "forbidden").await;
            assert!(problem.get("items").is_none(), "{who}: {path}: {problem}");
        }
        // What it may read.
        assert_eq!(
            app.get(&format!("/v1/tenants/{t}"), token).await.status(),
            200,
            "{who}"
        );
        assert_eq!(
            app.get(&format!("/v1/tenants/{t}/domains"), token)
                .await
                .status(),
            200,
            "{who}"
        );
        assert_eq!(app.get("/v1/me", token).await.status(), 200, "{who}");
    }
}

/// A write that must be refused (403 `code`) whatever body it carries.
struct Refused<'a> {
    who: &'a str,
    token: &'a str,
    method: &'a Method,
    path: &'a str,
    code: &'a str,
}

impl Refused<'_> {
    /// Sends the write with each of `bodies`; gives the answers that were not the refusal.
    async fn whatever_the_body(&self, app: &TestApp, bodies: &[Value]) -> Vec<String> {
        let Self {
            who,
            token,
            method,
            path,
            code,
        } = self;
        let mut failures = Vec::new();
        for body in bodies {
            let res = app
                .req((*method).clone(), path, token)
                .json(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let v: Value = res.json().await.unwrap_or(Value::Null);
            if status != 403 || v["code"] != *code {
                failures.push(format!("{who}: {method} {path} {body} -> {status} {v}"));
            }
        }
        failures
    }
}

/// Inside a visible tenant, a forbidden write is a 403 whatever the body says: the
/// permission is checked before the body is parsed or validated.
#[tokio::test]
async fn forbidden_writes_are_refused_before_the_body_is_read() {
    let app = TestApp::spawn().await;
    let support = support_token(&app).await;
    let (t, admin) = app.tenant_with_admin("Body order").await;
    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    let domain = new_domain(&app, &t).await;
    let member = new_user(&app, &t).await;
    let deck = created_id(
        app.post(
            &format!("/v1/tenants/{t}/rate-decks"),
            &app.admin,
            json!({"name": "Resale", "currency": "EUR"}),
        )
        .await,
        "rate deck",
    )
    .await;

    let bodies = [
        json!({}),
        json!({"name": ""}),
        json!({"unknown_field": 1}),
        json!([1, 2]),
    ];
    let routes = [
        (Method::PATCH, format!("/v1/tenants/{t}")),
        (Method::POST, format!("/v1/tenants/{t}/domains")),
        (Method::PATCH, format!("/v1/tenants/{t}/domains/{domain}")),
        (Method::POST, format!("/v1/tenants/{t}/users")),
        (Method::PATCH, format!("/v1/tenants/{t}/users/{member}")),
        (Method::POST, format!("/v1/tenants/{t}/api-keys")),
        (Method::POST, format!("/v1/tenants/{t}/rate-decks")),
        (Method::PATCH, format!("/v1/tenants/{t}/rate-decks/{deck}")),
        (
            Method::POST,
            format!("/v1/tenants/{t}/rate-decks/{deck}/imports"),
        ),
    ];
    let mut failures = Vec::new();
    let mut check = async |who: &str, token: &str, method: &Method, path: &str, code: &str| {
        let request = Refused {
            who,
            token,
            method,
            path,
            code,
        };
        failures.extend(request.whatever_the_body(&app, &bodies).await);
    };
    for (method, path) in &routes {
        check("tenant_user", &user, method, path, "forbidden").await;
        check(
            "support without reason",
            &support,
            method,
            path,
            "reason_required",
        )
        .await;
    }
    for (method, path) in [
        (Method::PATCH, format!("/v1/tenants/{t}")),
        (Method::POST, format!("/v1/tenants/{t}/rate-decks")),
        (Method::PATCH, format!("/v1/tenants/{t}/rate-decks/{deck}")),
    ] {
        check("tenant_admin", &admin, &method, &path, "forbidden").await;
    }
    assert!(
        failures.is_empty(),
        "{} write(s) parsed or validated the body before checking the permission:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Platform-level writes (switch nodes, carrier trunks, the DID inventory, rate decks,
/// tenants) check the role before the body too: a role that may not is a 403 whatever it
/// sends.
#[tokio::test]
async fn platform_writes_are_refused_before_the_body_is_read() {
    let app = TestApp::spawn().await;
    let support = support_token(&app).await;
    let p = app.create_tenant(&app.admin, "Platform order", None).await;
    let (_, partner) = app.create_user(&app.admin, &p, "partner_admin").await;
    let (t, admin) = app.tenant_with_admin("Platform order customer").await;
    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    let node = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "edge-order", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        )
        .await;
    let node = created_id(node, "switch node").await;
    let trunk = app
        .post(
            "/v1/trunks",
            &app.admin,
            json!({"name": "Carrier order", "host": "sip.carrier.example.com"}),
        )
        .await;
    let trunk = created_id(trunk, "carrier trunk").await;
    let did = json!({"number": "+12125550177", "carrier_trunk_id": trunk, "currency": "EUR"});
    let did = created_id(app.post("/v1/dids", &app.admin, did).await, "DID").await;
    let deck = app
        .post(
            "/v1/rate-decks",
            &app.admin,
            json!({"name": "Retail", "currency": "EUR"}),
        )
        .await;
    let deck = created_id(deck, "rate deck").await;

    let bodies = [
        json!({"name": "valid-enough", "kind": "kamailio", "addresses": ["127.0.0.1"], "host": "sip.example.com", "number": "+12125550188", "carrier_trunk_id": trunk, "currency": "EUR"}),
        json!({}),
        json!({"name": 42}),
        json!({"unknown_field": 1}),
        json!([1, 2]),
    ];
    let routes = [
        (Method::POST, "/v1/switch-nodes".to_owned()),
        (Method::PATCH, format!("/v1/switch-nodes/{node}")),
        (Method::POST, "/v1/trunks".to_owned()),
        (Method::PATCH, format!("/v1/trunks/{trunk}")),
        (Method::POST, "/v1/dids".to_owned()),
        (Method::PATCH, format!("/v1/dids/{did}")),
        (Method::POST, "/v1/rate-decks".to_owned()),
        (Method::PATCH, format!("/v1/rate-decks/{deck}")),
        (Method::POST, format!("/v1/rate-decks/{deck}/imports")),
        (
            Method::POST,
            format!("/v1/rate-decks/{deck}/versions/1/activate"),
        ),
    ];
    let mut failures = Vec::new();
    let mut check = async |who: &str, token: &str, method: &Method, path: &str| {
        let code = "forbidden";
        let request = Refused {
            who,
            token,
            method,
            path,
            code,
        };
        failures.extend(request.whatever_the_body(&app, &bodies).await);
    };
    for (method, path) in &routes {
        for (who, token) in [
            ("support", support.as_str()),
            ("partner_admin", partner.as_str()),
            ("tenant_admin", admin.as_str()),
            ("tenant_user", user.as_str()),
        ] {
            check(who, token, method, path).await;
        }
    }
    for (who, token) in [
        ("support", support.as_str()),
        ("tenant_admin", admin.as_str()),
        ("tenant_user", user.as_str()),
    ] {
        check(who, token, &Method::POST, "/v1/tenants").await;
    }
    assert!(
        failures.is_empty(),
        "{} platform write(s) parsed or validated the body before checking the role:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
