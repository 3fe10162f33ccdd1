//! Managed installs end to end: `POST /v1/installs` against a real OpenSSH server on
//! loopback (root, the install's key authorized), a `centralita worker` process running the
//! steps for real (packages, database, configuration, a second Kamailio on its own ports,
//! health, enroll), and sipp registering a phone provisioned through the enrolled node.
//!
//! Needs sshd (`openssh-server`), Kamailio with its PostgreSQL modules, sipp, psql and a
//! local PostgreSQL, and root. Without them each test says SKIPPED and passes, unless
//! `CENTRALITA_TEST_REQUIRE_PEERS` is set (as `.ci/run` does). The validation tests need
//! no peers. Every installed node is removed afterwards (`deploy/kamailio/install/remove.sh`).

use std::{
    net::UdpSocket,
    process::Child,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    common::{sshd::Sshd, *},
    kamailio::{KamailioNode, extension, free_sip_port, free_tcp_port, tenant},
    worker_faults::worker,
};

const TRUNK_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A valid fingerprint no test host has.
const OTHER_HOST_KEY: &str = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The app, its worker out of process (so a test can kill it), loopback allowed as a target.
async fn install_app() -> TestApp {
    TestApp::spawn_with(|c| {
        c.trunk_secret_key = Some(TRUNK_KEY.into());
        c.install_allowed_targets = "127.0.0.1/32".parse().unwrap();
        c.embedded_worker = false;
        // A killed worker's job is taken again after its lease: short, so the test is too.
        c.job_lease_secs = 2;
    })
    .await
}

/// Whether this host can be an install target: root, sshd, Kamailio, sipp, PostgreSQL.
async fn target_host() -> Option<Sshd> {
    if !KamailioNode::available() {
        return None;
    }
    let uid = std::process::Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return peer_missing("root", "the install target is this host's root over sshd");
    }
    Sshd::start(&[]).await
}

struct Started {
    install: Value,
    /// Removes the node when dropped.
    node: KamailioNode,
}

/// Creates an install of a node on free SIP/RPC ports; the caller authorizes its key.
async fn create(app: &TestApp, sshd: &Sshd, tenants: &[&str], extra: Value) -> Started {
    let sip_port = free_sip_port("127.0.0.1");
    let mut rpc_port = free_tcp_port();
    while rpc_port == sip_port {
        rpc_port = free_tcp_port();
    }
    let mut body = json!({
        "host": "127.0.0.1",
        "ssh_port": sshd.port,
        "ssh_user": "root",
        "profile": "kamailio-edge",
        "tenant_ids": tenants,
        "sip_port": sip_port,
        "rpc_port": rpc_port,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let install = expect_json(app.post("/v1/installs", &app.admin, body).await, 201).await;
    let key = install["node_key"].as_str().unwrap();
    Started {
        node: KamailioNode::installed(key, sip_port, rpc_port),
        install,
    }
}

/// `centralita installs watch ID` against the app: (exit code, stdout).
async fn watch_cli(app: &TestApp, id: &str) -> (i32, String) {
    let (base, token, id) = (app.base.clone(), app.admin.clone(), id.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout")
            .args([
                "60",
                env!("CARGO_BIN_EXE_centralita"),
                "installs",
                "watch",
                &id,
            ])
            .env("CENTRALITA_URL", base)
            .env("CENTRALITA_TOKEN", token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn read(app: &TestApp, id: &str) -> Value {
    expect_json(
        app.get(&format!("/v1/installs/{id}"), &app.admin).await,
        200,
    )
    .await
}

/// Polls the install until it has finished (bounded).
async fn finished(app: &TestApp, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let v = read(app, id).await;
        if matches!(
            v["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "install {id} did not finish: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn step<'a>(install: &'a Value, name: &str) -> &'a Value {
    install["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {install:#}"))
}

fn statuses(install: &Value) -> Vec<(String, String)> {
    install["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn all_succeeded(install: &Value) -> bool {
    statuses(install).iter().all(|(_, s)| s == "succeeded")
}

struct Worker {
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Worker {
    fn start(app: &TestApp) -> Self {
        let log = tempfile::NamedTempFile::new().unwrap();
        Self {
            child: worker(app, log.path()),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the whole event stream of an install (it closes once the install has finished).
fn stream_events(app: &TestApp, id: &str) -> tokio::task::JoinHandle<String> {
    let req = app.req(
        reqwest::Method::GET,
        &format!("/v1/installs/{id}/events"),
        &app.admin,
    );
    tokio::spawn(async move {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        tokio::time::timeout(Duration::from_secs(300), res.text())
            .await
            .expect("the event stream ends when the install does")
            .unwrap()
    })
}

/// The `data` of every event of `kind` in an SSE body.
fn sse(body: &str, kind: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter(|frame| frame.lines().any(|l| l == format!("event: {kind}")))
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn a_full_install_over_ssh_enrolls_a_node_that_registers_phones() {
    let Some(sshd) = target_host().await else {
        return;
    };
    let app = install_app().await;
    let t = tenant(&app, "Installed Co").await;
    let other = tenant(&app, "Not On This Node").await;
    let (_, password) = extension(&app, &t, "1001").await;
    let (_, other_password) = extension(&app, &other, "2001").await;

    let started = create(&app, &sshd, &[&t.id], json!({})).await;
    let install = &started.install;
    let iid = id(install);
    // What the caller gets: the public key to authorize, never a private one.
    assert!(
        install["public_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 ")
    );
    assert_eq!(install["status"], "queued");
    assert_eq!(install["progress"], json!({"done": 0, "total": 7}));
    assert!(!install.to_string().contains("PRIVATE KEY"));
    sshd.authorize(install["public_key"].as_str().unwrap());
    let events = stream_events(&app, &iid);
    let worker = Worker::start(&app);

    let done = finished(&app, &iid).await;
    assert_eq!(
        done["status"],
        "succeeded",
        "{done:#}\nworker log:\n{}",
        worker.log()
    );
    assert!(all_succeeded(&done), "{:?}", statuses(&done));
    assert_eq!(done["progress"], json!({"done": 7, "total": 7}));
    // The host key was pinned on first contact.
    assert_eq!(done["host_key_fingerprint"], sshd.host_key);
    assert_eq!(step(&done, "preflight")["result"]["os"], "debian");
    assert_eq!(step(&done, "health")["result"]["sip_options"], "200");
    assert!(
        step(&done, "health")["result"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("kamailio 5.")),
        "{:#}",
        step(&done, "health")
    );
    let service_pid = step(&done, "service")["result"]["pid"].clone();
    // How long each step took on this host (packages already present), for the record.
    let seconds = |from: &Value, to: &Value| {
        let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        (at(to) - at(from)).num_milliseconds() as f64 / 1000.0
    };
    let timings: Vec<String> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {:.2} s",
                s["name"].as_str().unwrap(),
                seconds(&s["started_at"], &s["finished_at"])
            )
        })
        .collect();
    println!(
        "install over SSH on loopback: {} from queued to succeeded; {}",
        format_args!(
            "{:.2} s",
            seconds(&done["created_at"], &done["finished_at"])
        ),
        timings.join(", ")
    );

    // Enrolled: a switch node serving this tenant, reconciled once.
    let node_id = done["switch_node_id"].as_str().unwrap().to_owned();
    let node = expect_json(
        app.get(&format!("/v1/switch-nodes/{node_id}"), &app.admin)
            .await,
        200,
    )
    .await;
    assert_eq!(node["addresses"], json!(["127.0.0.1"]));
    assert!(
        node["provisioning"]["last_applied_at"].is_string(),
        "{node:#}"
    );
    assert!(
        step(&done, "enroll")["output"]
            .as_str()
            .unwrap()
            .contains("through SSH"),
        "{:#}",
        step(&done, "enroll")
    );

    // A phone provisioned through Centralita registers with the new node; a tenant the
    // node does not serve is not on it at all.
    started
        .node
        .expect_register("1001", &t.domain, &password, 200)
        .await;
    started
        .node
        .expect_register("1001", &t.domain, "wrong-password", 401)
        .await;
    started
        .node
        .expect_register("2001", &other.domain, &other_password, 404)
        .await;

    // The live log streamed every step, then the end.
    let body = events.await.unwrap();
    let messages: Vec<String> = sse(&body, "info")
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect();
    for s in [
        "preflight",
        "packages",
        "database",
        "configuration",
        "service",
        "health",
        "enroll",
    ] {
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with(&format!("{s} succeeded"))),
            "no '{s} succeeded' in {messages:#?}"
        );
    }
    assert_eq!(sse(&body, "end"), vec![json!({"status": "succeeded"})]);
    // What the host printed came line by line, within its step, before the step's end.
    let output = sse(&body, "output");
    let printed = |text: &str| {
        output
            .iter()
            .find(|e| e["message"].as_str().unwrap().contains(text))
            .unwrap_or_else(|| panic!("no output line with {text:?} in {output:#?}"))
    };
    let ok_line = printed("preflight ok");
    assert_eq!(ok_line["step"], "preflight");
    let succeeded = sse(&body, "info")
        .into_iter()
        .find(|e| {
            e["message"]
                .as_str()
                .unwrap()
                .starts_with("preflight succeeded")
        })
        .unwrap();
    assert!(ok_line["id"].as_i64() < succeeded["id"].as_i64());
    assert_eq!(printed("SIP OPTIONS to 127.0.0.1")["step"], "health");
    assert_eq!(
        printed("enrolled; first reconcile applied")["step"],
        "enroll"
    );
    // The CLI follows the same log (here, of a finished install: all of it, then the end).
    let (code, printed) = watch_cli(&app, &iid).await;
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("configuration succeeded"), "{printed}");
    assert!(
        printed
            .trim_end()
            .ends_with(&format!("install {iid}: succeeded")),
        "{printed}"
    );
    // No secret in what anyone can read: the node DB password is in node.env on the host
    // and in the sealed row, nowhere else.
    let env = std::fs::read_to_string(format!(
        "/var/lib/centralita-node/{}/node.env",
        done["node_key"].as_str().unwrap()
    ))
    .unwrap();
    let db_password = env
        .lines()
        .find_map(|l| l.strip_prefix("KAM_DB_URL="))
        .and_then(|u| u.split(':').nth(2))
        .and_then(|p| p.split('@').next())
        .unwrap()
        .to_owned();
    assert!(db_password.len() >= 24);
    for text in [&body, &done.to_string(), &worker.log()] {
        assert!(!text.contains(&db_password), "the DB password leaked");
        assert!(!text.contains("PRIVATE KEY"));
    }

    // The node serves only its tenants, so it is kept off the switch surface (which answers
    // for every tenant): no token for it.
    assert_problem(
        app.post(
            &format!("/v1/switch-nodes/{node_id}/rotate-token"),
            &app.admin,
            json!({}),
        )
        .await,
        409,
        "conflict",
    )
    .await;

    // Upgrade: steps 2-6 again; nothing changed, so nothing restarts.
    let up = expect_json(
        app.post(
            &format!("/v1/switch-nodes/{node_id}/upgrade"),
            &app.admin,
            json!({}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(up["operation"], "upgrade");
    assert_eq!(step(&up, "preflight")["status"], "succeeded");
    assert_eq!(step(&up, "packages")["status"], "pending");
    assert_eq!(step(&up, "enroll")["status"], "succeeded");
    let upgraded = finished(&app, &iid).await;
    assert_eq!(upgraded["status"], "succeeded", "{upgraded:#}");
    assert_eq!(step(&upgraded, "service")["result"]["action"], "none");
    assert_eq!(step(&upgraded, "service")["result"]["pid"], service_pid);
    assert_eq!(step(&upgraded, "preflight")["attempts"], 1);
    assert_eq!(step(&upgraded, "configuration")["attempts"], 2);
    started
        .node
        .expect_register("1001", &t.domain, &password, 200)
        .await;

    // Reconciles reach the node through SSH (its database and JSON-RPC stay on its
    // loopback): with sshd gone, a reconcile fails and says why, though both still answer
    // locally.
    drop(sshd);
    expect_json(
        app.post(
            &format!("/v1/switch-nodes/{node_id}/reconcile"),
            &app.admin,
            json!({}),
        )
        .await,
        202,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let error = loop {
        let node = expect_json(
            app.get(&format!("/v1/switch-nodes/{node_id}"), &app.admin)
                .await,
            200,
        )
        .await;
        if let Some(e) = node["provisioning"]["last_error"].as_str() {
            break e.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the reconcile did not fail: {node:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(error.contains("cannot be reached over SSH"), "{error}");
    drop(worker);
}

#[tokio::test]
async fn a_wrong_host_key_fails_the_first_step_touches_nothing_and_the_checked_key_recovers() {
    let Some(sshd) = target_host().await else {
        return;
    };
    let app = install_app().await;
    let t = tenant(&app, "Careful Co").await;
    let started = create(
        &app,
        &sshd,
        &[&t.id],
        json!({"host_key_fingerprint": OTHER_HOST_KEY}),
    )
    .await;
    let iid = id(&started.install);
    sshd.authorize(started.install["public_key"].as_str().unwrap());
    let _worker = Worker::start(&app);
    let done = finished(&app, &iid).await;
    assert_eq!(done["status"], "failed");
    let preflight = step(&done, "preflight");
    assert_eq!(preflight["status"], "failed");
    assert!(
        done["error"].as_str().unwrap().contains(OTHER_HOST_KEY)
            && done["error"].as_str().unwrap().contains(&sshd.host_key),
        "{done:#}"
    );
    assert!(
        statuses(&done)[1..].iter().all(|(_, s)| s == "pending"),
        "{:?}",
        statuses(&done)
    );
    // Nothing reached the host: no login, no node directory.
    assert!(!sshd.log().contains("Accepted publickey"), "{}", sshd.log());
    let key = done["node_key"].as_str().unwrap();
    assert!(!std::path::Path::new(&format!("/var/lib/centralita-node/{key}")).exists());
    assert!(done["finished_at"].is_string());

    // Someone who read the host's real key on the host sets it; then the retry goes through.
    assert_problem(
        app.post(
            &format!("/v1/installs/{iid}/host-key"),
            &app.admin,
            json!({"host_key_fingerprint": "not a fingerprint"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fixed = expect_json(
        app.post(
            &format!("/v1/installs/{iid}/host-key"),
            &app.admin,
            json!({"host_key_fingerprint": sshd.host_key}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(fixed["host_key_fingerprint"], sshd.host_key);
    expect_json(
        app.post(&format!("/v1/installs/{iid}/retry"), &app.admin, json!({}))
            .await,
        202,
    )
    .await;
    let done = finished(&app, &iid).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(step(&done, "preflight")["attempts"], 2);
}

#[tokio::test]
async fn a_worker_killed_mid_install_resumes_and_completes() {
    let Some(sshd) = target_host().await else {
        return;
    };
    let app = install_app().await;
    let t = tenant(&app, "Resumed Co").await;
    let (_, password) = extension(&app, &t, "1001").await;
    let started = create(&app, &sshd, &[&t.id], json!({})).await;
    let iid = id(&started.install);
    sshd.authorize(started.install["public_key"].as_str().unwrap());

    // SIGKILL the worker while the configuration step runs (it checks the config with
    // `kamailio -c`, the longest step but service).
    let mut first = Worker::start(&app);
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed_at = loop {
        let v = read(&app, &iid).await;
        let running: Vec<String> = statuses(&v)
            .into_iter()
            .filter(|(_, s)| s == "running")
            .map(|(n, _)| n)
            .collect();
        if running
            .iter()
            .any(|n| n == "configuration" || n == "packages")
        {
            first.child.kill().unwrap();
            first.child.wait().unwrap();
            break running[0].clone();
        }
        assert!(
            v["status"] != "succeeded" && v["status"] != "failed",
            "the install finished before the worker could be killed: {v:#}"
        );
        assert!(Instant::now() < deadline, "step 2/4 never ran: {v:#}");
        tokio::time::sleep(Duration::from_millis(15)).await;
    };
    let v = read(&app, &iid).await;
    assert_eq!(v["status"], "running");
    assert_eq!(step(&v, &killed_at)["status"], "running");

    let second = Worker::start(&app);
    let done = finished(&app, &iid).await;
    assert_eq!(
        done["status"],
        "succeeded",
        "{done:#}\n{}\n{}",
        first.log(),
        second.log()
    );
    assert!(all_succeeded(&done));
    // The interrupted step ran again (more than twice only if this busy test machine let the
    // 2 s test lease lapse, when the framework rightly retries); the steps before it did not.
    assert!(
        step(&done, &killed_at)["attempts"].as_i64().unwrap() >= 2,
        "{done:#}"
    );
    assert_eq!(step(&done, "preflight")["attempts"], 1);
    started
        .node
        .expect_register("1001", &t.domain, &password, 200)
        .await;
}

#[tokio::test]
async fn a_busy_sip_port_fails_preflight_and_retry_succeeds_once_it_is_free() {
    let Some(sshd) = target_host().await else {
        return;
    };
    let app = install_app().await;
    let t = tenant(&app, "Busy Port Co").await;
    let started = create(&app, &sshd, &[&t.id], json!({})).await;
    let iid = id(&started.install);
    let sip_port = started.install["sip_port"].as_u64().unwrap() as u16;
    let squatter = UdpSocket::bind(("127.0.0.1", sip_port)).unwrap();
    sshd.authorize(started.install["public_key"].as_str().unwrap());
    let _worker = Worker::start(&app);

    let failed = finished(&app, &iid).await;
    assert_eq!(failed["status"], "failed", "{failed:#}");
    let preflight = step(&failed, "preflight");
    assert_eq!(preflight["status"], "failed");
    assert_eq!(preflight["exit_code"], 13, "{preflight:#}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains(&sip_port.to_string()),
        "the reason names the port: {failed:#}"
    );
    assert_eq!(step(&failed, "packages")["status"], "pending");
    let (code, printed) = watch_cli(&app, &iid).await;
    assert_eq!(code, 1, "{printed}");
    assert!(
        printed.contains("install failed: step preflight failed (exit code 13)"),
        "{printed}"
    );

    // Retrying a failed install while the port is still busy fails the same way; once the
    // port is free, the retry resumes at preflight and completes.
    drop(squatter);
    let retried = expect_json(
        app.post(&format!("/v1/installs/{iid}/retry"), &app.admin, json!({}))
            .await,
        202,
    )
    .await;
    assert_eq!(retried["status"], "queued");
    assert_eq!(step(&retried, "preflight")["status"], "pending");
    let done = finished(&app, &iid).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(step(&done, "preflight")["attempts"], 2);
    // A finished install cannot be retried or cancelled.
    assert_problem(
        app.post(&format!("/v1/installs/{iid}/retry"), &app.admin, json!({}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.post(&format!("/v1/installs/{iid}/cancel"), &app.admin, json!({}))
            .await,
        409,
        "conflict",
    )
    .await;
}

/// Creation-time checks need no peers: the target, the ports, the fingerprint, the tenants,
/// who may, and the key to seal with. Nothing is created by a refused request.
#[tokio::test]
async fn bad_install_requests_are_refused_and_create_nothing() {
    let app = TestApp::spawn_with(|c| {
        c.trunk_secret_key = Some(TRUNK_KEY.into());
        c.embedded_worker = false;
    })
    .await;
    let (tenant_id, tenant_admin) = app.tenant_with_admin("Target Co").await;
    let base = json!({
        "host": "93.184.216.34", "ssh_port": 22, "profile": "kamailio-edge",
        "tenant_ids": [tenant_id], "sip_port": 5060, "rpc_port": 5080,
    });
    let with = |patch: Value| {
        let mut b = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // Loopback, cloud metadata, private and link-local targets: not without the allow-list.
    for host in ["127.0.0.1", "169.254.169.254", "10.1.2.3", "fe80::1", "::1"] {
        let p = assert_problem(
            app.post("/v1/installs", &app.admin, with(json!({"host": host})))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "host", "{host}: {p:#}");
        assert_eq!(
            p["errors"][0]["code"], "target_not_allowed",
            "{host}: {p:#}"
        );
    }
    for (patch, field) in [
        (json!({"host": "bad host!"}), "host"),
        (json!({"ssh_port": 0}), "ssh_port"),
        (json!({"sip_port": 5080}), "rpc_port"),
        (json!({"rpc_port": 80}), "rpc_port"),
        (json!({"ssh_user": "root; rm -rf /"}), "ssh_user"),
        (
            json!({"host_key_fingerprint": "MD5:aa:bb"}),
            "host_key_fingerprint",
        ),
        (json!({"tenant_ids": []}), "tenant_ids"),
        (
            json!({"tenant_ids": [uuid::Uuid::now_v7()]}),
            "tenant_ids[0]",
        ),
    ] {
        let p = assert_problem(
            app.post("/v1/installs", &app.admin, with(patch.clone()))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{patch}: {p:#}"
        );
    }
    // Unknown fields and profiles are refused too.
    for patch in [json!({"password": "x"}), json!({"profile": "asterisk"})] {
        let res = app.post("/v1/installs", &app.admin, with(patch)).await;
        assert_eq!(res.status(), 422);
    }
    // A tenant admin may not install anything.
    let res = app.post("/v1/installs", &tenant_admin, base.clone()).await;
    assert_eq!(res.status(), 403);

    // A partner installs for its own tenants only; another partner's tenant reads as none.
    let partner_a = app.create_tenant(&app.admin, "Partner A", None).await;
    let (_, a_token) = app
        .create_user(&app.admin, &partner_a, "partner_admin")
        .await;
    let a_customer = app
        .create_tenant(&a_token, "A Customer", Some(&partner_a))
        .await;
    let partner_b = app.create_tenant(&app.admin, "Partner B", None).await;
    let (_, b_token) = app
        .create_user(&app.admin, &partner_b, "partner_admin")
        .await;
    let p = assert_problem(
        app.post(
            "/v1/installs",
            &b_token,
            with(json!({"tenant_ids": [a_customer]})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "tenant_ids[0]");
    let list = expect_json(app.get("/v1/installs", &app.admin).await, 200).await;
    assert_eq!(list["items"], json!([]), "refused requests created nothing");

    // The partner's own install: created (a public target), visible to it and to staff,
    // invisible to the other partner.
    let mine = expect_json(
        app.post(
            "/v1/installs",
            &a_token,
            with(json!({"tenant_ids": [a_customer], "name": "a-edge"})),
        )
        .await,
        201,
    )
    .await;
    let path = format!("/v1/installs/{}", mine["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &a_token).await.status(), 200);
    assert_eq!(app.get(&path, &app.admin).await.status(), 200);
    assert_eq!(app.get(&path, &b_token).await.status(), 404);
    assert_eq!(
        app.get(&format!("{path}/events"), &b_token).await.status(),
        404
    );
    let b_list = expect_json(app.get("/v1/installs", &b_token).await, 200).await;
    assert_eq!(b_list["items"], json!([]));
    // One install per host at a time.
    let p = assert_problem(
        app.post(
            "/v1/installs",
            &a_token,
            with(json!({"tenant_ids": [a_customer], "name": "a-edge-2"})),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("host"), "{p:#}");
    // Cancel frees the host.
    let cancelled = expect_json(
        app.post(&format!("{path}/cancel"), &a_token, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    let again = app
        .post(
            "/v1/installs",
            &a_token,
            with(json!({"tenant_ids": [a_customer], "name": "a-edge-2"})),
        )
        .await;
    assert_eq!(again.status(), 201);
    let again = expect_json(again, 201).await;
    let again_path = format!("/v1/installs/{}", again["id"].as_str().unwrap());
    // Another partner can neither cancel nor retry it.
    for action in ["cancel", "retry"] {
        let res = app
            .post(&format!("{again_path}/{action}"), &b_token, json!({}))
            .await;
        assert_eq!(res.status(), 404, "{action} by another partner");
    }
    // An operator cancelling the install's job (through /v1/jobs) leaves the install to
    // housekeeping's sweep, which fails it and frees the host.
    let job = again["job_id"].as_str().unwrap();
    expect_json(
        app.post(&format!("/v1/jobs/{job}/cancel"), &app.admin, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        centralita_domain::installs::sweep_orphans(&app.core)
            .await
            .unwrap(),
        1
    );
    let swept = expect_json(app.get(&again_path, &a_token).await, 200).await;
    assert_eq!(swept["status"], "failed", "{swept:#}");
    assert!(swept["error"].as_str().unwrap().contains("retry"));
    assert_eq!(
        centralita_domain::installs::sweep_orphans(&app.core)
            .await
            .unwrap(),
        0,
        "the sweep leaves finished installs alone"
    );

    // Without trunk_secret_key there is nothing to seal the key with: 503, nothing created.
    let keyless = TestApp::spawn_with(|c| c.embedded_worker = false).await;
    let (t, _) = keyless.tenant_with_admin("Keyless Co").await;
    let res = keyless
        .post(
            "/v1/installs",
            &keyless.admin,
            with(json!({"tenant_ids": [t]})),
        )
        .await;
    assert_eq!(res.status(), 503);
    let list = expect_json(keyless.get("/v1/installs", &keyless.admin).await, 200).await;
    assert_eq!(list["items"], json!([]));
}

/// The allow-list is obeyed at every connection, not only at creation: an install created
/// while loopback was allowed is not reached by a worker whose configuration no longer
/// allows it; it fails closed at its first step, and the host sees no connection.
#[tokio::test]
async fn an_address_the_allow_list_no_longer_names_is_not_reached() {
    let Some(sshd) = target_host().await else {
        return;
    };
    let app = install_app().await;
    let t = tenant(&app, "Moved Co").await;
    let started = create(&app, &sshd, &[&t.id], json!({})).await;
    let iid = id(&started.install);
    sshd.authorize(started.install["public_key"].as_str().unwrap());
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_centralita"))
        .arg("worker")
        .envs(
            shared_env(&app)
                .into_iter()
                .filter(|(k, _)| k != "CENTRALITA_INSTALL_ALLOWED_TARGETS"),
        )
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let done = finished(&app, &iid).await;
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!(done["status"], "failed", "{done:#}");
    assert_eq!(step(&done, "preflight")["status"], "failed");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("install_allowed_targets no longer names it"),
        "{done:#}"
    );
    // One connection only: the harness's own readiness probe.
    assert_eq!(
        sshd.log().matches("Connection from").count(),
        1,
        "{}",
        sshd.log()
    );
}

/// The usual order: the install is created, its worker tries at once, and the customer adds
/// the public key a little later. The refused attempts pin the host key at first contact and
/// say what to do; once the key is in `authorized_keys`, the next attempt goes through.
#[tokio::test]
async fn a_key_authorized_after_the_first_attempt_is_picked_up_and_the_host_pinned_at_first_contact()
 {
    let Some(sshd) = target_host().await else {
        return;
    };
    let app = install_app().await;
    let t = tenant(&app, "Late Key Co").await;
    let started = create(&app, &sshd, &[&t.id], json!({})).await;
    let iid = id(&started.install);
    assert_eq!(started.install["host_key_fingerprint"], Value::Null);
    let _worker = Worker::start(&app);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = read(&app, &iid).await;
        if v["host_key_fingerprint"] == sshd.host_key {
            assert_eq!(v["status"], "running", "{v:#}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the host key was not pinned: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sshd.authorize(started.install["public_key"].as_str().unwrap());
    let done = finished(&app, &iid).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    let body = app
        .get(&format!("/v1/installs/{iid}/events"), &app.admin)
        .await
        .text()
        .await
        .unwrap();
    let errors: Vec<String> = sse(&body, "error")
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        errors
            .iter()
            .any(|m| m.contains("refused the install's key") && m.contains("authorized_keys")),
        "{errors:#?}"
    );
}
