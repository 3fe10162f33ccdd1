//! A worker killed with SIGKILL in the middle of its work, again and again: the worker runs
//! as a separate `centralita worker` process on the app's database, against a real Kamailio
//! node and with voicemail e-mails queued, and is killed at random moments while reconciles
//! of hundreds of subscribers run. Afterwards no job is lost, none stays running, the node
//! holds exactly the desired state, and every e-mail went out once.

use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::{common::*, kamailio::KamailioNode};
use rand::Rng;
use serde_json::{Value, json};

const TRUNK_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const EXTENSIONS: usize = 300;
const KILLS: usize = 24;

pub(crate) fn worker(app: &TestApp, log: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_centralita"))
        .args(["worker", "--concurrency", "2"])
        .envs(shared_env(app))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start a worker process")
}

/// Every job, as the platform sees it.
async fn all_jobs(app: &TestApp) -> Vec<Value> {
    list_all(app, "/v1/jobs", &app.admin).await
}

/// Jobs that queue their own next run: always one waiting, never "not done".
const PERIODIC: [&str; 4] = [
    "housekeeping",
    "billing.expire_holds",
    "billing.did_fees",
    "billing.invoices",
];

#[tokio::test]
async fn workers_killed_mid_reconcile_lose_nothing_and_send_nothing_twice() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.trunk_secret_key = Some(TRUNK_KEY.into());
        c.embedded_worker = false;
        // A killed worker's job is taken again after its lease: short, so the test is too.
        c.job_lease_secs = 2;
    })
    .await;
    let node_id = expect_json(
        app.post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "faulty-edge", "kind": "kamailio", "addresses": ["127.0.0.1"],
                "kamailio": {"db_url": node.db_url, "rpc_url": node.rpc_url}}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (tenant, admin) = app.tenant_with_admin("Faults Co").await;
    let domain = add_domain(&app, &admin, &tenant).await;
    let csv: String = std::iter::once("number,display_name\n".to_owned())
        .chain((0..EXTENSIONS).map(|i| format!("{},Ext {i}\n", 3000 + i)))
        .collect();
    let res = app
        .req(
            reqwest::Method::POST,
            &format!("/v1/tenants/{tenant}/extensions/import"),
            &admin,
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "import: {}", res.status());
    expect_json(
        app.post(
            &boxes_path(&tenant),
            &admin,
            json!({"mailbox": "2001", "pin": "739164", "emails": ["ops@faults.example.com"]}),
        )
        .await,
        201,
    )
    .await;
    let node_token = switch_node_token(&app).await;

    // Kill workers at random moments while each round's change is being reconciled: the
    // tenant suspended (every subscriber removed, every registration ended) or active again
    // (every subscriber written back), plus a voicemail to e-mail now and then.
    let log = app.core.config.data_dir.join("workers.log");
    let mut voicemails = 0;
    let started = Instant::now();
    for round in 0..KILLS {
        let status = if round % 2 == 0 {
            "suspended"
        } else {
            "active"
        };
        expect_json(
            app.patch(
                &format!("/v1/tenants/{tenant}"),
                &app.admin,
                json!({"status": status}),
            )
            .await,
            200,
        )
        .await;
        if status == "active" && round % 3 == 1 {
            let res = post_voicemail(
                &app,
                &node_token,
                &voicemail_metadata(&domain, "2001"),
                "audio/wav",
                wav(200),
            )
            .await;
            expect_json(res, 201).await;
            voicemails += 1;
        }
        let mut w = worker(&app, &log);
        let after = rand::rng().random_range(200..1200);
        tokio::time::sleep(Duration::from_millis(after)).await;
        w.kill().expect("SIGKILL the worker"); // SIGKILL on Unix
        w.wait().unwrap();
    }
    assert_eq!(KILLS % 2, 0, "the last round leaves the tenant active");

    // One last worker, left alone: every job must end, none dead, none running.
    let mut last = worker(&app, &log);
    let mut jobs = Vec::new();
    for _ in 0..600 {
        jobs = all_jobs(&app).await;
        let open = jobs.iter().any(|j| {
            matches!(j["status"].as_str(), Some("queued" | "running" | "failed"))
                && !PERIODIC.contains(&j["kind"].as_str().unwrap_or_default())
        });
        if !open {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last.kill().unwrap();
    last.wait().unwrap();
    let by_status = jobs.iter().fold(BTreeMap::new(), |mut m, j| {
        *m.entry(format!(
            "{}:{}",
            j["kind"].as_str().unwrap(),
            j["status"].as_str().unwrap()
        ))
        .or_insert(0) += 1;
        m
    });
    let stuck: Vec<&Value> = jobs
        .iter()
        .filter(|j| {
            !PERIODIC.contains(&j["kind"].as_str().unwrap_or_default())
                && j["status"] != "succeeded"
        })
        .collect();
    assert!(stuck.is_empty(), "jobs not done: {stuck:#?}");
    let retaken = jobs
        .iter()
        .filter(|j| j["attempts"].as_i64().unwrap_or(0) > 1)
        .count();

    // The node holds exactly the desired state.
    let plan = expect_json(
        app.get(&format!("/v1/switch-nodes/{node_id}/plan"), &app.admin)
            .await,
        200,
    )
    .await;
    for part in ["domains", "subscribers"] {
        for change in ["add", "change", "remove"] {
            assert_eq!(plan[part][change], json!([]), "{part}.{change}: {plan:#}");
        }
    }
    assert_eq!(plan["registrations_to_end"], json!([]), "{plan:#}");
    assert_eq!(node.subscriber_count().await, EXTENSIONS as i64);
    assert_eq!(node.domains().await.len(), 1);

    // Every voicemail e-mailed, each exactly once.
    let outbox: Vec<String> = std::fs::read_dir(app.core.config.data_dir.join("outbox"))
        .map(|d| {
            d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    let mut ids: Vec<String> = outbox
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|l| l.to_owned())
        })
        .collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "an e-mail was sent twice: {ids:?}");
    assert_eq!(ids.len(), voicemails, "every voicemail was e-mailed");

    println!(
        "worker faults ({}): {KILLS} SIGKILLs over {:.1} s, {} jobs {by_status:?}, {retaken} taken \
         over after a kill, node {} subscribers, {} e-mails",
        backend(),
        started.elapsed().as_secs_f64(),
        jobs.len(),
        node.subscriber_count().await,
        ids.len()
    );
}
