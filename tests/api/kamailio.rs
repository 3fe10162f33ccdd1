//! Kamailio provisioning end to end: a real Kamailio 5.6 edge node (`deploy/kamailio/`) with
//! its own PostgreSQL node database per test, provisioned by the app's in-process worker
//! through `kamailio.reconcile` jobs, and sipp playing the phones
//! (`tests/kamailio/scenarios/`).
//!
//! Needs `kamailio` + `kamailio-postgres-modules`, `sipp` and `psql`, and a PostgreSQL that
//! may `CREATE DATABASE`, reached through the libpq environment (default 127.0.0.1:5432, user
//! postgres, trust). Without them each test prints SKIPPED and passes, unless
//! `CENTRALITA_TEST_REQUIRE_PEERS` is set (as `.ci/run` does), when it fails.
//!
//! Every test has its own node: database `centralita_kam_<random>`, Kamailio on free loopback
//! ports (SIP UDP/TCP on 127.0.0.1, JSON-RPC on 127.0.0.1), its own run dir; the phones are
//! sipp processes on 127.0.0.2, which the node exempts from pike (`--pike-trusted`).
//! `CENTRALITA_TEST_KEEP_KAMAILIO=1` keeps each node's work dir (Kamailio log, sipp traces)
//! and database for a look afterwards.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::{TcpListener, UdpSocket},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use crate::common::*;
use centralita_domain::sip;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const TRUNK_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Where Kamailio listens (SIP and JSON-RPC).
const KAM_IP: &str = "127.0.0.1";
/// Where the sipp phones live: exempt from pike through `--pike-trusted`.
const PHONE_IP: &str = "127.0.0.2";
const RECONCILE: &str = "kamailio.reconcile";

// ---------------------------------------------------------------------------------------
// The node: PostgreSQL database + Kamailio through deploy/kamailio/*.sh
// ---------------------------------------------------------------------------------------

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(name: &str) -> PathBuf {
    repo().join("deploy/kamailio").join(name)
}

pub(crate) fn scenario(name: &str) -> String {
    repo()
        .join("tests/kamailio/scenarios")
        .join(name)
        .display()
        .to_string()
}

/// The libpq environment the scripts use, with their defaults.
fn pg_env() -> [(&'static str, String); 4] {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    [
        ("PGHOST", var("PGHOST", "127.0.0.1")),
        ("PGPORT", var("PGPORT", "5432")),
        ("PGUSER", var("PGUSER", "postgres")),
        ("PGCONNECT_TIMEOUT", "5".to_owned()),
    ]
}

fn pg_url(db: &str, password: Option<&str>) -> String {
    let [(_, host), (_, port), (_, user), _] = pg_env();
    match password {
        Some(p) => format!("postgres://{user}:{p}@{host}:{port}/{db}"),
        None => format!("postgres://{user}@{host}:{port}/{db}"),
    }
}

/// Runs `cmd` with stdout and stderr into `out`, killing it after `limit`. Ok(exit code; -1
/// when killed by a signal) or Err when it could not start or ran out of time.
fn run_bounded(cmd: &mut Command, out: &Path, limit: Duration) -> Result<i32, String> {
    let file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    wait_bounded(&mut child, limit)
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Result<i32, String> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Ok(status.code().unwrap_or(-1));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("killed after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn on_path(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A free port on `ip` for both UDP and TCP (SIP listens on both).
pub(crate) fn free_sip_port(ip: &str) -> u16 {
    for _ in 0..50 {
        let tcp = TcpListener::bind((ip, 0)).unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind((ip, port)).is_ok() {
            return port;
        }
    }
    panic!("no free UDP+TCP port on {ip}");
}

pub(crate) fn free_tcp_port() -> u16 {
    TcpListener::bind((KAM_IP, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free UDP port on the phones' address (for a phone that must be reachable later).
pub(crate) fn free_phone_port() -> u16 {
    UdpSocket::bind((PHONE_IP, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The last lines of a text file, for failure messages.
fn tail(path: &Path, lines: usize, skip_info: bool) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !skip_info || !(l.contains(" INFO: ") || l.contains(" NOTICE: ")))
        .collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
}

/// A Kamailio edge node for one test. Dropping it stops Kamailio and drops its database.
pub struct KamailioNode {
    pub db: String,
    pub db_url: String,
    pub rpc_url: String,
    pub sip_port: u16,
    pub rpc_port: u16,
    dir: Option<tempfile::TempDir>,
    run_dir: PathBuf,
    seq: AtomicU32,
    /// The node key of a node a managed install put here: dropping the handle runs the
    /// install's `remove.sh` instead of stopping a Kamailio this harness started.
    installed: Option<String>,
    /// More start.sh settings (the edge's Centralita URL, token file …).
    extra_env: Vec<(&'static str, String)>,
}

/// What one sipp run did.
#[derive(Debug)]
pub struct SippRun {
    pub name: String,
    /// sipp's exit code (0: every call succeeded), or why it has none.
    pub exit: Result<i32, String>,
    /// Status codes of the SIP responses it received, in order (1xx included).
    pub responses: Vec<u16>,
    /// Errors and the first lines of the exchange, for failure messages.
    pub detail: String,
    /// Every message sent and received (a UAS's, once finished).
    pub messages: String,
}

impl SippRun {
    pub fn ok(&self) -> bool {
        self.exit == Ok(0)
    }

    /// For a REGISTER with digest auth: 200 when it registered; otherwise the final answer to
    /// the authenticated retry (or to the only request, when that was not challenged); None
    /// when nothing final answered.
    pub fn register_code(&self) -> Option<u16> {
        if self.ok() {
            return Some(200);
        }
        let finals: Vec<u16> = self
            .responses
            .iter()
            .copied()
            .filter(|c| *c >= 200)
            .collect();
        match finals.as_slice() {
            [] => None,
            [401] => None,
            [only] => Some(*only),
            [.., last] => Some(*last),
        }
    }
}

impl std::fmt::Display for SippRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sipp {} exit {:?}, responses {:?}\n{}",
            self.name, self.exit, self.responses, self.detail
        )
    }
}

/// A sipp UAS running in the background.
pub struct Uas {
    child: Option<Child>,
    run: SippRun,
    msg: PathBuf,
    err: PathBuf,
}

impl Uas {
    /// Waits (bounded) for the UAS to finish its one call.
    pub async fn finish(mut self, limit: Duration) -> SippRun {
        let mut child = self.child.take().unwrap();
        let exit = tokio::task::spawn_blocking(move || wait_bounded(&mut child, limit))
            .await
            .unwrap();
        self.run.exit = exit;
        let (responses, detail) = read_traces(&self.msg, &self.err);
        self.run.responses = responses;
        self.run.detail = detail;
        self.run.messages = std::fs::read_to_string(&self.msg).unwrap_or_default();
        std::mem::replace(
            &mut self.run,
            SippRun {
                name: String::new(),
                exit: Err("taken".into()),
                responses: vec![],
                detail: String::new(),
                messages: String::new(),
            },
        )
    }
}

impl Drop for Uas {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The status codes of received responses and a short summary of a sipp run's traces.
fn read_traces(msg: &Path, err: &Path) -> (Vec<u16>, String) {
    let text = std::fs::read_to_string(msg).unwrap_or_default();
    let mut responses = Vec::new();
    let mut received = false;
    let mut flow = Vec::new();
    for line in text.lines() {
        if line.starts_with("Unexpected") {
            // sipp repeats a message it did not expect: already counted.
            received = false;
            continue;
        }
        if line.contains("message received") {
            received = true;
            continue;
        }
        if line.contains("message sent") {
            received = false;
            continue;
        }
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("SIP/2.0 ") {
            if received && let Some(code) = rest.get(..3).and_then(|c| c.parse::<u16>().ok()) {
                responses.push(code);
            }
            flow.push(format!("{} {l}", if received { "<-" } else { "->" }));
        } else if l.contains(" sip:") && l.ends_with("SIP/2.0") {
            flow.push(format!("{} {l}", if received { "<-" } else { "->" }));
        }
    }
    let errors = tail(err, 6, false);
    let mut detail = flow.iter().take(16).cloned().collect::<Vec<_>>().join("\n");
    if !errors.is_empty() {
        detail.push_str("\nsipp errors:\n");
        detail.push_str(&errors);
    }
    (responses, detail)
}

impl KamailioNode {
    /// Whether the peers are here; without them the test is skipped, unless
    /// `CENTRALITA_TEST_REQUIRE_PEERS` is set, when it fails.
    pub(crate) fn available() -> bool {
        let mut missing: Vec<String> = ["kamailio", "sipp", "psql"]
            .into_iter()
            .filter(|b| !on_path(b))
            .map(str::to_owned)
            .collect();
        if !Path::new("/usr/share/kamailio/postgres/auth_db-create.sql").exists() {
            missing.push("kamailio-postgres-modules".into());
        }
        if missing.is_empty() {
            let reachable = Command::new("psql")
                .args(["-X", "-At", "-d", "postgres", "-c", "SELECT 1"])
                .envs(pg_env())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                missing.push("a PostgreSQL server (PGHOST/PGPORT/PGUSER)".into());
            }
        }
        if missing.is_empty() {
            return true;
        }
        let what = missing.join(", ");
        if std::env::var_os("CENTRALITA_TEST_REQUIRE_PEERS").is_some() {
            panic!(
                "Kamailio tests need {what} (apt-get install -y kamailio kamailio-postgres-modules sip-tester postgresql-client)"
            );
        }
        eprintln!("SKIPPED: Kamailio tests need {what}");
        false
    }

    /// A handle on the node a managed install put on this host under `key` (SIP and
    /// JSON-RPC on 127.0.0.1): for sipp runs against it, and its removal when dropped.
    pub fn installed(key: &str, sip_port: u16, rpc_port: u16) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("centralita-installed-")
            .tempdir()
            .unwrap();
        Self {
            db: format!("centralita_node_{key}"),
            db_url: String::new(),
            rpc_url: format!("http://{KAM_IP}:{rpc_port}/RPC"),
            sip_port,
            rpc_port,
            dir: Some(dir),
            run_dir: PathBuf::from(format!("/run/centralita-node-{key}")),
            seq: AtomicU32::new(0),
            installed: Some(key.to_owned()),
            extra_env: Vec::new(),
        }
    }

    /// Creates a node DB and starts Kamailio on free loopback ports; None when skipped.
    pub async fn start() -> Option<Self> {
        Self::start_with(Vec::new()).await
    }

    /// Like [`Self::start`], with more start.sh settings (`KAM_*`).
    pub async fn start_with(extra_env: Vec<(&'static str, String)>) -> Option<Self> {
        if !Self::available() {
            return None;
        }
        Some(
            tokio::task::spawn_blocking(move || Self::start_blocking(extra_env))
                .await
                .unwrap(),
        )
    }

    fn start_blocking(extra_env: Vec<(&'static str, String)>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("centralita-kam-")
            .tempdir()
            .unwrap();
        let run_dir = dir.path().join("run");
        let db = format!(
            "centralita_kam_{}",
            &Uuid::new_v4().simple().to_string()[..20]
        );
        let mut node = Self {
            db_url: pg_url(&db, None),
            db,
            rpc_url: String::new(),
            sip_port: 0,
            rpc_port: 0,
            run_dir,
            dir: Some(dir),
            seq: AtomicU32::new(0),
            installed: None,
            extra_env,
        };
        let out = node.path("node-db.out");
        let made = run_bounded(
            Command::new("bash")
                .arg(script("node-db.sh"))
                .arg(&node.db)
                .envs(pg_env()),
            &out,
            Duration::from_secs(60),
        );
        assert_eq!(
            made,
            Ok(0),
            "node-db.sh {}: {}",
            node.db,
            tail(&out, 20, false)
        );
        // A port picked here may be taken by a parallel test before Kamailio binds it: retry.
        let mut last = String::new();
        for attempt in 1..=4 {
            let sip_port = free_sip_port(KAM_IP);
            let rpc_port = free_tcp_port();
            if sip_port == rpc_port {
                continue;
            }
            let out = node.path(&format!("start-{attempt}.out"));
            let started = run_bounded(
                Command::new("bash")
                    .arg(script("start.sh"))
                    .envs(node.start_env(sip_port, rpc_port)),
                &out,
                Duration::from_secs(45),
            );
            if started == Ok(0) {
                node.sip_port = sip_port;
                node.rpc_port = rpc_port;
                node.rpc_url = format!("http://{KAM_IP}:{rpc_port}/RPC");
                return node;
            }
            last = format!("start.sh {started:?}:\n{}", tail(&out, 30, true));
            node.stop_blocking();
        }
        panic!("Kamailio did not start: {last}");
    }

    fn start_env(&self, sip_port: u16, rpc_port: u16) -> Vec<(&'static str, String)> {
        vec![
            ("KAM_RUN_DIR", self.run_dir.display().to_string()),
            ("KAM_SIP_ADDR", KAM_IP.to_owned()),
            ("KAM_SIP_PORT", sip_port.to_string()),
            ("KAM_RPC_ADDR", KAM_IP.to_owned()),
            ("KAM_RPC_PORT", rpc_port.to_string()),
            ("KAM_DB_URL", self.db_url.clone()),
            ("KAM_PIKE_TRUSTED_NETS", format!("{PHONE_IP}/32")),
            ("KAM_CHILDREN", "2".to_owned()),
            ("KAM_WAIT", "20".to_owned()),
        ]
        .into_iter()
        .chain(self.extra_env.iter().cloned())
        .collect()
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.as_ref().unwrap().path().join(name)
    }

    fn stop_blocking(&self) {
        let _ = run_bounded(
            Command::new("bash")
                .arg(script("start.sh"))
                .arg("stop")
                .env("KAM_RUN_DIR", &self.run_dir),
            &self.path("stop.out"),
            Duration::from_secs(20),
        );
    }

    // -- sipp --------------------------------------------------------------------------

    /// Runs one sipp scenario (one call, bounded) against the node from the phones' address.
    pub async fn sipp(&self, label: &str, args: Vec<String>) -> SippRun {
        self.sipp_from(PHONE_IP, label, args).await
    }

    /// Runs one sipp scenario from source address `ip` (a carrier's, say).
    pub async fn sipp_from(&self, ip: &'static str, label: &str, args: Vec<String>) -> SippRun {
        self.sipp_limited(ip, label, args, Duration::from_secs(15))
            .await
    }

    /// Runs one sipp scenario from `ip`, killed after `limit` (sipp's own timeout is 7 s
    /// less, so a stuck call fails with its trace).
    pub async fn sipp_limited(
        &self,
        ip: &'static str,
        label: &str,
        args: Vec<String>,
        limit: Duration,
    ) -> SippRun {
        let sipp_timeout = format!("{}s", limit.as_secs().saturating_sub(7).max(1));
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let name = format!("{n:04}-{label}");
        let msg = self.path(&format!("{name}.msg"));
        let err = self.path(&format!("{name}.err"));
        let out = self.path(&format!("{name}.out"));
        let cwd = self.dir.as_ref().unwrap().path().to_path_buf();
        let target = format!("{KAM_IP}:{}", self.sip_port);
        let (m, e) = (msg.clone(), err.clone());
        let exit = tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new("sipp");
            cmd.current_dir(cwd)
                .args([
                    "-nostdin",
                    "-m",
                    "1",
                    "-timeout",
                    &sipp_timeout,
                    "-timeout_error",
                ])
                .args(["-trace_msg", "-message_file"])
                .arg(&m)
                .args(["-trace_err", "-error_file"])
                .arg(&e)
                .args(["-i", ip])
                .args(&args)
                .arg(target);
            run_bounded(&mut cmd, &out, limit)
        })
        .await
        .unwrap();
        let (responses, detail) = read_traces(&msg, &err);
        SippRun {
            name,
            exit,
            responses,
            detail,
            messages: String::new(),
        }
    }

    /// REGISTER `user@domain` with digest credentials `user`/`password`, optionally from a
    /// given local port (the Contact); returns the run.
    pub async fn register_from(
        &self,
        user: &str,
        domain: &str,
        password: &str,
        port: Option<u16>,
    ) -> SippRun {
        let mut args: Vec<String> = vec![
            "-sf".into(),
            scenario("register_ok.xml"),
            "-s".into(),
            user.into(),
            "-key".into(),
            "domain".into(),
            domain.into(),
            "-au".into(),
            user.into(),
            "-ap".into(),
            password.into(),
        ];
        if let Some(p) = port {
            args.extend(["-p".into(), p.to_string()]);
        }
        self.sipp(&format!("register-{user}"), args).await
    }

    /// Asserts the final answer to a REGISTER.
    pub async fn expect_register(&self, user: &str, domain: &str, password: &str, want: u16) {
        let run = self.register_from(user, domain, password, None).await;
        assert_eq!(
            run.register_code(),
            Some(want),
            "REGISTER {user}@{domain}: expected {want}\n{run}"
        );
    }

    /// A call from `caller@caller_domain` (proxy auth with `password`) to
    /// `callee@callee_domain`, with one of the uac_*.xml scenarios.
    pub async fn call(
        &self,
        scenario_file: &str,
        (caller, caller_domain, password): (&str, &str, &str),
        (callee, callee_domain): (&str, &str),
    ) -> SippRun {
        let args: Vec<String> = vec![
            "-sf".into(),
            scenario(scenario_file),
            "-s".into(),
            callee.into(),
            "-key".into(),
            "domain".into(),
            callee_domain.into(),
            "-key".into(),
            "caller".into(),
            caller.into(),
            "-key".into(),
            "caller_domain".into(),
            caller_domain.into(),
            "-au".into(),
            caller.into(),
            "-ap".into(),
            password.into(),
        ];
        self.sipp(&format!("call-{caller}-{callee}"), args).await
    }

    /// Starts a sipp UAS (uas.xml: answers one call) on the phones' address and `port`.
    pub async fn uas(&self, port: u16) -> Uas {
        self.uas_at(PHONE_IP, port, "uas.xml", Vec::new()).await
    }

    /// Starts a sipp UAS with `scenario_file` on `ip:port` (a phone, a carrier, the media
    /// server), with more sipp arguments.
    pub async fn uas_at(&self, ip: &str, port: u16, scenario_file: &str, args: Vec<String>) -> Uas {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let name = format!("{n:04}-uas-{port}");
        let msg = self.path(&format!("{name}.msg"));
        let err = self.path(&format!("{name}.err"));
        let out = std::fs::File::create(self.path(&format!("{name}.out"))).unwrap();
        let child = Command::new("sipp")
            .current_dir(self.dir.as_ref().unwrap().path())
            .args(["-nostdin", "-sf", &scenario(scenario_file), "-i", ip])
            .args(["-p", &port.to_string()])
            .args(["-m", "1", "-timeout", "20s", "-timeout_error"])
            .args(&args)
            .args(["-trace_msg", "-message_file"])
            .arg(&msg)
            .args(["-trace_err", "-error_file"])
            .arg(&err)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start sipp UAS");
        // Nobody calls before it listens: a fixed pause was not always enough on a loaded
        // machine (a ring-group member that was not up yet made the group fall back).
        wait_udp_bound(ip, port, Duration::from_secs(10)).await;
        Uas {
            child: Some(child),
            run: SippRun {
                name,
                exit: Err("running".into()),
                responses: vec![],
                detail: String::new(),
                messages: String::new(),
            },
            msg,
            err,
        }
    }

    // -- JSON-RPC ----------------------------------------------------------------------

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let res = reqwest::Client::new()
            .post(&self.rpc_url)
            .timeout(Duration::from_secs(5))
            .json(&json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("JSON-RPC {method} at {}: {e}", self.rpc_url));
        res.json().await.unwrap()
    }

    /// The AoRs (`user@domain`) with a live registration (`ul.dump`).
    pub async fn ul_dump(&self) -> BTreeSet<String> {
        let v = self.rpc("ul.dump", json!([])).await;
        let domains = v["result"]["Domains"]
            .as_array()
            .unwrap_or_else(|| panic!("ul.dump: {v}"));
        let mut aors = BTreeSet::new();
        for d in domains {
            for a in d["Domain"]["AoRs"].as_array().into_iter().flatten() {
                let has_contacts = a["Info"]["Contacts"]
                    .as_array()
                    .is_some_and(|c| !c.is_empty());
                if let (Some(aor), true) = (a["Info"]["AoR"].as_str(), has_contacts) {
                    aors.insert(aor.to_owned());
                }
            }
        }
        aors
    }

    /// Polls `ul.dump` until `aor` is absent (true), or gives up after `limit` from `since`
    /// (false).
    pub async fn registration_gone(&self, aor: &str, since: Instant, limit: Duration) -> bool {
        loop {
            if !self.ul_dump().await.contains(aor) {
                return true;
            }
            if since.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // -- node DB ---------------------------------------------------------------------

    /// One JSON value (`SELECT … AS v`) per row of `sql`, on the node DB.
    pub async fn json_rows(&self, sql: &str) -> Vec<Value> {
        let db = sea_orm::Database::connect(self.db_url.as_str())
            .await
            .unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let out = rows
            .iter()
            .map(|r| {
                let text: String = r.try_get("", "v").unwrap();
                serde_json::from_str(&text).unwrap()
            })
            .collect();
        db.close().await.ok();
        out
    }

    pub async fn exec(&self, sql: &str) -> u64 {
        let db = sea_orm::Database::connect(self.db_url.as_str())
            .await
            .unwrap();
        let n = db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows_affected();
        db.close().await.ok();
        n
    }

    /// The node's `domain` table: name → did.
    pub async fn domains(&self) -> BTreeMap<String, Option<String>> {
        self.json_rows("SELECT json_build_array(domain, did)::text AS v FROM domain")
            .await
            .into_iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_owned(),
                    r[1].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    /// The node's `subscriber` table: `user@domain` → (ha1, ha1b, password).
    pub async fn subscribers(&self) -> BTreeMap<String, (String, String, String)> {
        self.json_rows(
            "SELECT json_build_array(username, domain, ha1, ha1b, password)::text AS v FROM subscriber",
        )
        .await
        .into_iter()
        .map(|r| {
            let s = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
            (format!("{}@{}", s(0), s(1)), (s(2), s(3), s(4)))
        })
        .collect()
    }

    pub async fn subscriber_count(&self) -> i64 {
        self.json_rows("SELECT count(*)::text AS v FROM subscriber")
            .await[0]
            .as_i64()
            .unwrap()
    }

    /// Every row of `domain` and `subscriber`, whole (ids and timestamps included).
    pub async fn all_rows(&self) -> Vec<Value> {
        let mut rows = self
            .json_rows("SELECT row_to_json(t)::text AS v FROM domain t ORDER BY id")
            .await;
        rows.extend(
            self.json_rows("SELECT row_to_json(t)::text AS v FROM subscriber t ORDER BY id")
                .await,
        );
        rows
    }

    /// What Centralita writes for a subscriber, done by hand (for the harness check).
    pub async fn put_subscriber(&self, user: &str, domain: &str, password: &str) {
        let (ha1, ha1b) = (
            sip::ha1(user, domain, password),
            sip::ha1b(user, domain, password),
        );
        self.exec(&format!(
            "INSERT INTO domain (domain) VALUES ('{domain}') ON CONFLICT (domain) DO NOTHING;
             INSERT INTO subscriber (username, domain, ha1, ha1b) VALUES ('{user}', '{domain}', '{ha1}', '{ha1b}')
             ON CONFLICT (username, domain) DO UPDATE SET ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b"
        ))
        .await;
    }
}

/// Waits until some process has `ip:port` bound for UDP, read from `/proc/net/udp` (binding
/// it ourselves to find out could take it from the process starting).
async fn wait_udp_bound(ip: &str, port: u16, limit: Duration) {
    let addr: std::net::Ipv4Addr = ip.parse().expect("an IPv4 address");
    // /proc/net/udp shows the address as the hex of its bytes in host (little-endian) order.
    let want = format!("{:08X}:{port:04X}", u32::from_le_bytes(addr.octets()));
    let deadline = Instant::now() + limit;
    loop {
        let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
        if table
            .lines()
            .skip(1)
            .any(|l| l.split_whitespace().nth(1) == Some(want.as_str()))
        {
            return;
        }
        if Instant::now() > deadline {
            panic!("nothing listens on udp {ip}:{port} after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Drop for KamailioNode {
    fn drop(&mut self) {
        let keep = std::env::var_os("CENTRALITA_TEST_KEEP_KAMAILIO").is_some();
        if std::thread::panicking() {
            let log = self.run_dir.join("kamailio.log");
            eprintln!(
                "---- Kamailio node {} (SIP {KAM_IP}:{}, RPC {}), last log lines:\n{}",
                self.db,
                self.sip_port,
                self.rpc_url,
                tail(&log, 25, true)
            );
        }
        if let Some(key) = &self.installed {
            if !keep {
                let _ = run_bounded(
                    Command::new("bash")
                        .arg(repo().join("deploy/kamailio/install/remove.sh"))
                        .arg(key),
                    &self.path("remove.out"),
                    Duration::from_secs(60),
                );
            }
            return;
        }
        self.stop_blocking();
        if keep {
            let dir = self.dir.take().unwrap().keep();
            eprintln!(
                "---- kept Kamailio work dir {} and database {}",
                dir.display(),
                self.db
            );
            return;
        }
        let _ = run_bounded(
            Command::new("bash")
                .arg(script("node-db.sh"))
                .args(["--drop", &self.db])
                .envs(pg_env()),
            &self.path("drop.out"),
            Duration::from_secs(30),
        );
    }
}

// ---------------------------------------------------------------------------------------
// The app side
// ---------------------------------------------------------------------------------------

pub(crate) async fn kam_app() -> TestApp {
    TestApp::spawn_with(|c| c.trunk_secret_key = Some(TRUNK_KEY.into())).await
}

pub(crate) fn settings(node: &KamailioNode) -> Value {
    json!({"db_url": node.db_url, "rpc_url": node.rpc_url})
}

/// Registers `node` as a Kamailio switch node with its settings; returns its id.
async fn add_node(app: &TestApp, node: &KamailioNode) -> String {
    let res = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({
                "name": format!("kam-{}", Uuid::now_v7().simple()),
                "kind": "kamailio",
                "addresses": ["127.0.0.1"],
                "kamailio": settings(node),
            }),
        )
        .await;
    let v = expect_json(res, 201).await;
    assert!(v["token"].as_str().is_some_and(|t| t.starts_with("sn_")));
    v["id"].as_str().unwrap().to_owned()
}

async fn node_view(app: &TestApp, id: &str) -> Value {
    expect_json(
        app.get(&format!("/v1/switch-nodes/{id}"), &app.admin).await,
        200,
    )
    .await
}

async fn plan(app: &TestApp, id: &str) -> Value {
    expect_json(
        app.get(&format!("/v1/switch-nodes/{id}/plan"), &app.admin)
            .await,
        200,
    )
    .await
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// Whether a plan would change nothing.
fn plan_is_empty(p: &Value) -> bool {
    let lists = [
        &p["domains"]["add"],
        &p["domains"]["change"],
        &p["domains"]["remove"],
        &p["subscribers"]["add"],
        &p["subscribers"]["change"],
        &p["subscribers"]["remove"],
        &p["registrations_to_end"],
        &p["drift"],
    ];
    lists.iter().all(|l| strings(l).is_empty()) && p["reload_domains"] != true
}

/// Every `kamailio.reconcile` job of the app.
async fn reconcile_jobs(app: &TestApp) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/jobs?kind={RECONCILE}&limit=200&cursor={c}"),
            None => format!("/v1/jobs?kind={RECONCILE}&limit=200"),
        };
        let page = expect_json(app.get(&url, &app.admin).await, 200).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// The app's and the node's provisioning state, for failure messages.
async fn diagnose(app: &TestApp, node_id: &str, node: &KamailioNode) -> String {
    let jobs: Vec<String> = reconcile_jobs(app)
        .await
        .iter()
        .map(|j| {
            format!(
                "{} {} attempts={} created={} started={} finished={} error={}",
                j["id"],
                j["status"],
                j["attempts"],
                j["created_at"],
                j["started_at"],
                j["finished_at"],
                j["last_error"]
            )
        })
        .collect();
    format!(
        "reconcile jobs:\n  {}\nplan: {}\nnode: {}\nnode domains: {:?}\nnode subscribers: {:?}\nul.dump: {:?}",
        jobs.join("\n  "),
        plan(app, node_id).await,
        node_view(app, node_id).await["provisioning"],
        node.domains().await,
        node.subscribers().await.keys().collect::<Vec<_>>(),
        node.ul_dump().await,
    )
}

fn status_of(job: &Value) -> &str {
    job["status"].as_str().unwrap_or_default()
}

/// Waits (≤ 30 s) until no reconcile is queued or running and the node's plan is empty;
/// asserts that no reconcile failed. Returns the reconcile jobs.
pub(crate) async fn settle(app: &TestApp, node: &str) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let jobs = reconcile_jobs(app).await;
        let failed: Vec<&Value> = jobs
            .iter()
            .filter(|j| matches!(status_of(j), "failed" | "dead" | "cancelled"))
            .collect();
        assert!(failed.is_empty(), "a reconcile failed: {failed:#?}");
        let busy = jobs
            .iter()
            .any(|j| matches!(status_of(j), "queued" | "running"));
        let p = plan(app, node).await;
        if !busy && !jobs.is_empty() && plan_is_empty(&p) {
            return jobs;
        }
        if start.elapsed() > Duration::from_secs(30) {
            panic!(
                "provisioning did not settle in 30 s\njobs: {jobs:#?}\nplan: {p}\nnode: {}",
                node_view(app, node).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls a job until it has finished an attempt that `done` accepts (≤ `limit`).
async fn job_until(
    app: &TestApp,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let j = expect_json(app.get(&format!("/v1/jobs/{id}"), &app.admin).await, 200).await;
        if done(&j) {
            return j;
        }
        if start.elapsed() > limit {
            panic!("job {id} not done in {limit:?}: {j:#}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `POST …/reconcile` (202 with the job) and waits until that job succeeded.
async fn reconcile_now(app: &TestApp, node: &str) -> Value {
    let res = app
        .post(
            &format!("/v1/switch-nodes/{node}/reconcile"),
            &app.admin,
            json!({}),
        )
        .await;
    let queued = expect_json(res, 202).await;
    let id = queued["job_id"].as_str().unwrap().to_owned();
    let job = job_until(app, &id, Duration::from_secs(30), |j| {
        matches!(status_of(j), "succeeded" | "failed" | "dead" | "cancelled")
    })
    .await;
    assert_eq!(job["status"], "succeeded", "reconcile {id}: {job:#}");
    assert_eq!(job["kind"], RECONCILE);
    job
}

pub(crate) struct Tenant {
    pub id: String,
    pub token: String,
    pub domain: String,
}

/// A tenant with its admin and one SIP domain.
pub(crate) async fn tenant(app: &TestApp, name: &str) -> Tenant {
    let (id, token) = app.tenant_with_admin(name).await;
    let domain = add_domain(app, &token, &id).await;
    Tenant { id, token, domain }
}

/// Creates extension `number` (SIP user = number); returns (id, SIP password).
pub(crate) async fn extension(app: &TestApp, t: &Tenant, number: &str) -> (String, String) {
    let e = create_extension(
        app,
        &t.token,
        &t.id,
        json!({"number": number, "display_name": format!("Phone {number}")}),
    )
    .await;
    assert_eq!(e["sip_username"], number);
    assert_eq!(e["sip_realms"], json!([t.domain]));
    (
        e["id"].as_str().unwrap().to_owned(),
        e["sip_password"].as_str().unwrap().to_owned(),
    )
}

fn ext_path(t: &Tenant, id: &str) -> String {
    format!("{}/{id}", extensions_path(&t.id))
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

// ---------------------------------------------------------------------------------------
// The harness itself (needs nothing of the provisioning)
// ---------------------------------------------------------------------------------------

/// The harness against the node alone: a subscriber written by hand as Centralita would
/// (HA1/HA1B only) registers; a wrong password gets 401, an unknown domain 404; `ul.dump`
/// shows the registration and `ul.rm` ends it.
#[tokio::test]
async fn the_harness_registers_a_hand_made_subscriber() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let domain = domain_name();
    node.put_subscriber("1001", &domain, "hand-made-secret-1")
        .await;
    assert_eq!(
        node.rpc("domain.reload", json!([])).await["result"],
        json!({})
    );
    let subs = node.subscribers().await;
    assert_eq!(subs[&format!("1001@{domain}")].2, "", "no plaintext");

    node.expect_register("1001", &domain, "hand-made-secret-1", 200)
        .await;
    node.expect_register("1001", &domain, "wrong", 401).await;
    node.expect_register("1001", "unknown.example.com", "x", 404)
        .await;
    let aor = format!("1001@{domain}");
    assert!(node.ul_dump().await.contains(&aor));
    assert_eq!(
        node.rpc("ul.rm", json!(["location", aor])).await["result"],
        json!({})
    );
    assert!(!node.ul_dump().await.contains(&aor));
}

// ---------------------------------------------------------------------------------------
// Provisioning
// ---------------------------------------------------------------------------------------

/// An extension registers on its tenant's domain with its own password once the reconcile
/// has run; the same number in another tenant is another account.
#[tokio::test]
async fn provisioned_extensions_register_on_their_own_domain_only() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam A").await;
    let b = tenant(&app, "Kam B").await;
    let (_, pw_a) = extension(&app, &a, "1001").await;
    let (_, pw_b) = extension(&app, &b, "1001").await;
    assert_ne!(pw_a, pw_b);

    let jobs = settle(&app, &node_id).await;
    assert!(jobs.iter().all(|j| j["status"] == "succeeded"), "{jobs:#?}");
    assert!(jobs.iter().all(|j| j["kind"] == RECONCILE));

    // What the node holds: the tenants' domains (did = tenant), digests only.
    let domains = node.domains().await;
    assert_eq!(
        domains,
        BTreeMap::from([
            (a.domain.clone(), Some(a.id.clone())),
            (b.domain.clone(), Some(b.id.clone())),
        ])
    );
    let subs = node.subscribers().await;
    let aor_a = format!("1001@{}", a.domain);
    let aor_b = format!("1001@{}", b.domain);
    assert_eq!(
        subs.keys().cloned().collect::<Vec<_>>(),
        [aor_a.clone(), aor_b.clone()]
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        subs[&aor_a],
        (
            sip::ha1("1001", &a.domain, &pw_a),
            sip::ha1b("1001", &a.domain, &pw_a),
            String::new()
        )
    );
    assert_eq!(subs[&aor_b].0, sip::ha1("1001", &b.domain, &pw_b));

    node.expect_register("1001", &a.domain, &pw_a, 200).await;
    node.expect_register("1001", &a.domain, "not-the-password", 401)
        .await;
    node.expect_register("1001", &b.domain, &pw_b, 200).await;
    node.expect_register("1001", &b.domain, &pw_a, 401).await;
    node.expect_register("1001", &a.domain, &pw_b, 401).await;
    let aors = node.ul_dump().await;
    assert!(aors.contains(&aor_a) && aors.contains(&aor_b), "{aors:?}");

    let view = node_view(&app, &node_id).await;
    let p = &view["provisioning"];
    assert_eq!(p["configured"], true, "{view}");
    assert!(p["last_applied_at"].is_string(), "{view}");
    assert!(p["last_error"].is_null(), "{view}");
    assert_eq!(p["drift_repaired_total"], 0, "{view}");
}

/// A password reset, a deleted extension and a suspended tenant take effect on the node:
/// the old credentials stop working and live registrations end (`ul.rm`).
#[tokio::test]
async fn resets_deletes_and_suspensions_end_access_and_registrations() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Reset").await;
    let b = tenant(&app, "Kam Suspend").await;
    let (id1, old) = extension(&app, &a, "1001").await;
    let (id2, pw2) = extension(&app, &a, "1002").await;
    let (_, pw_b) = extension(&app, &b, "1001").await;
    settle(&app, &node_id).await;
    node.expect_register("1001", &a.domain, &old, 200).await;

    // Password reset.
    let reset = expect_json(
        app.post(
            &format!("{}/reset-password", ext_path(&a, &id1)),
            &a.token,
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let new = reset["sip_password"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    settle(&app, &node_id).await;
    node.expect_register("1001", &a.domain, &old, 401).await;
    node.expect_register("1001", &a.domain, &new, 200).await;

    // Disabled: the account goes and its registration ends; enabled again: it is back.
    let aor1 = format!("1001@{}", a.domain);
    assert!(node.ul_dump().await.contains(&aor1));
    let disabled_at = Instant::now();
    let res = app
        .patch(&ext_path(&a, &id1), &a.token, json!({"enabled": false}))
        .await;
    assert_eq!(expect_json(res, 200).await["enabled"], false);
    if !node
        .registration_gone(&aor1, disabled_at, Duration::from_secs(5))
        .await
    {
        panic!(
            "{aor1} still registered 5 s after the extension was disabled\n{}",
            diagnose(&app, &node_id, &node).await
        );
    }
    settle(&app, &node_id).await;
    node.expect_register("1001", &a.domain, &new, 401).await;
    let res = app
        .patch(&ext_path(&a, &id1), &a.token, json!({"enabled": true}))
        .await;
    assert_eq!(expect_json(res, 200).await["enabled"], true);
    settle(&app, &node_id).await;
    node.expect_register("1001", &a.domain, &new, 200).await;

    // Delete: the account is gone and its live registration ends.
    let aor2 = format!("1002@{}", a.domain);
    node.expect_register("1002", &a.domain, &pw2, 200).await;
    assert!(node.ul_dump().await.contains(&aor2));
    let deleted_at = Instant::now();
    assert_eq!(
        app.delete(&ext_path(&a, &id2), &a.token).await.status(),
        204
    );
    if !node
        .registration_gone(&aor2, deleted_at, Duration::from_secs(5))
        .await
    {
        panic!(
            "{aor2} still registered 5 s after its extension was deleted\n{}",
            diagnose(&app, &node_id, &node).await
        );
    }
    settle(&app, &node_id).await;
    assert!(!node.subscribers().await.contains_key(&aor2));
    node.expect_register("1002", &a.domain, &pw2, 401).await;

    // Suspended tenant: its domain and accounts go, its registrations end; others stay.
    let aor_b = format!("1001@{}", b.domain);
    node.expect_register("1001", &b.domain, &pw_b, 200).await;
    assert!(node.ul_dump().await.contains(&aor_b));
    let suspended_at = Instant::now();
    let res = app
        .patch(
            &format!("/v1/tenants/{}", b.id),
            &app.admin,
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["status"], "suspended");
    if !node
        .registration_gone(&aor_b, suspended_at, Duration::from_secs(5))
        .await
    {
        panic!(
            "{aor_b} still registered 5 s after its tenant was suspended\n{}",
            diagnose(&app, &node_id, &node).await
        );
    }
    settle(&app, &node_id).await;
    let run = node.register_from("1001", &b.domain, &pw_b, None).await;
    assert!(
        matches!(run.register_code(), Some(401 | 403 | 404)),
        "a suspended tenant's phone must be refused: {run}"
    );
    assert!(!node.subscribers().await.contains_key(&aor_b));
    assert!(
        !node.domains().await.contains_key(&b.domain),
        "the suspended tenant's domain is still served"
    );
    assert_eq!(run.register_code(), Some(404), "domain not served: {run}");

    // The other tenant is untouched.
    node.expect_register("1001", &a.domain, &new, 200).await;
    assert!(node.ul_dump().await.contains(&format!("1001@{}", a.domain)));

    // Reactivated: the tenant's domain and accounts come back.
    let res = app
        .patch(
            &format!("/v1/tenants/{}", b.id),
            &app.admin,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["status"], "active");
    settle(&app, &node_id).await;
    node.expect_register("1001", &b.domain, &pw_b, 200).await;
}

/// A call between two registered extensions of one tenant goes through the node; a call from
/// another tenant's extension to that domain is refused as cross-tenant (403).
#[tokio::test]
async fn calls_connect_within_a_tenant_and_not_across() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Calls A").await;
    let b = tenant(&app, "Kam Calls B").await;
    let (_, pw1) = extension(&app, &a, "1001").await;
    let (_, pw2) = extension(&app, &a, "1002").await;
    let (_, pw_b) = extension(&app, &b, "1001").await;
    settle(&app, &node_id).await;

    // 1002@a registers with the UAS's address as Contact, then the UAS answers there.
    let uas_port = free_phone_port();
    let reg = node
        .register_from("1002", &a.domain, &pw2, Some(uas_port))
        .await;
    assert!(reg.ok(), "{reg}");
    let uas = node.uas(uas_port).await;
    let call = node
        .call(
            "uac_auth.xml",
            ("1001", &a.domain, &pw1),
            ("1002", &a.domain),
        )
        .await;
    let callee = uas.finish(Duration::from_secs(20)).await;
    assert!(call.ok(), "1001@a → 1002@a: {call}");
    assert!(callee.ok(), "callee: {callee}");

    let cross = node
        .call(
            "uac_reject_403.xml",
            ("1001", &b.domain, &pw_b),
            ("1002", &a.domain),
        )
        .await;
    assert!(cross.ok(), "1001@b → 1002@a must get 403: {cross}");
    assert!(cross.responses.contains(&403), "{cross}");
}

/// Rows changed on the node behind Centralita's back are reported as drift by the plan and
/// repaired (and counted) by the next reconcile; a second reconcile changes nothing.
#[tokio::test]
async fn drift_is_reported_repaired_and_counted() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Drift").await;
    let (_, pw) = extension(&app, &a, "1001").await;
    settle(&app, &node_id).await;
    node.expect_register("1001", &a.domain, &pw, 200).await;
    assert_eq!(
        node_view(&app, &node_id).await["provisioning"]["drift_repaired_total"],
        0
    );

    // Behind Centralita's back: a subscriber's digests overwritten, the domain row deleted.
    let aor = format!("1001@{}", a.domain);
    let changed = node
        .exec(&format!(
            "UPDATE subscriber SET ha1 = md5('x'), ha1b = md5('y') WHERE username = '1001' AND domain = '{}'",
            a.domain
        ))
        .await;
    assert_eq!(changed, 1);
    assert_eq!(
        node.exec(&format!("DELETE FROM domain WHERE domain = '{}'", a.domain))
            .await,
        1
    );
    assert_eq!(
        node.rpc("domain.reload", json!([])).await["result"],
        json!({})
    );
    node.expect_register("1001", &a.domain, &pw, 404).await;
    let tampered = node.all_rows().await;

    let p = plan(&app, &node_id).await;
    let drift = strings(&p["drift"]);
    assert!(drift.contains(&aor), "subscriber drift not reported: {p:#}");
    assert!(
        drift.contains(&a.domain),
        "domain drift not reported: {p:#}"
    );
    assert_eq!(
        strings(&p["domains"]["add"]),
        vec![a.domain.clone()],
        "{p:#}"
    );
    assert_eq!(
        strings(&p["subscribers"]["change"]),
        vec![aor.clone()],
        "{p:#}"
    );
    assert!(strings(&p["subscribers"]["add"]).is_empty(), "{p:#}");
    assert!(strings(&p["domains"]["remove"]).is_empty(), "{p:#}");
    assert!(strings(&p["subscribers"]["remove"]).is_empty(), "{p:#}");
    assert_eq!(
        node.all_rows().await,
        tampered,
        "a plan must not apply anything"
    );

    let first = reconcile_now(&app, &node_id).await;
    let p = plan(&app, &node_id).await;
    assert!(plan_is_empty(&p), "after the reconcile: {p:#}");
    let view = node_view(&app, &node_id).await;
    assert!(
        view["provisioning"]["drift_repaired_total"]
            .as_i64()
            .is_some_and(|n| n >= 2),
        "{view}"
    );
    assert!(view["provisioning"]["last_error"].is_null(), "{view}");
    node.expect_register("1001", &a.domain, &pw, 200).await;
    assert_eq!(node.domains().await[&a.domain], Some(a.id.clone()));

    // Again: nothing to do, nothing touched.
    let before = node.all_rows().await;
    let second = reconcile_now(&app, &node_id).await;
    assert_ne!(first["id"], second["id"]);
    assert!(plan_is_empty(&plan(&app, &node_id).await));
    assert_eq!(
        node.all_rows().await,
        before,
        "a second reconcile rewrote rows"
    );
    assert_eq!(
        node_view(&app, &node_id).await["provisioning"]["drift_repaired_total"],
        view["provisioning"]["drift_repaired_total"]
    );
}

/// How long from an extension's 201 to its first successful REGISTER: printed
/// (`provisioning latency: …`), not asserted beyond "it registers within 10 s".
#[tokio::test]
async fn provisioning_latency_from_create_to_first_register() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Latency").await;
    extension(&app, &a, "1000").await;
    settle(&app, &node_id).await;

    let mut took = Vec::new();
    let mut tries = 0;
    for i in 0..20 {
        let number = (2000 + i).to_string();
        let (_, pw) = extension(&app, &a, &number).await;
        let created = Instant::now();
        loop {
            tries += 1;
            let run = node.register_from(&number, &a.domain, &pw, None).await;
            if run.ok() {
                took.push(created.elapsed());
                break;
            }
            assert!(
                created.elapsed() < Duration::from_secs(10),
                "{number}@{} did not register within 10 s of its 201: {run}",
                a.domain
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    took.sort();
    let ms = |d: Duration| d.as_millis();
    println!(
        "provisioning latency: n={} p50={}ms p95={}ms max={}ms min={}ms ({} REGISTER attempts, {} reconcile jobs, {})",
        took.len(),
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.95)),
        ms(*took.last().unwrap()),
        ms(took[0]),
        tries,
        reconcile_jobs(&app).await.len(),
        backend(),
    );
}

/// 1,000 extensions created at once (parallel POSTs) reach the node, through far fewer
/// reconciles than changes (they are coalesced).
#[tokio::test]
async fn a_burst_of_a_thousand_extensions_is_coalesced() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Burst").await;
    settle(&app, &node_id).await;
    let before = reconcile_jobs(&app).await.len();

    const N: usize = 1_000;
    let started = Instant::now();
    let path = extensions_path(&a.id);
    let created: Vec<u16> = futures_util::stream::iter(0..N)
        .map(|i| {
            let (app, path, token) = (&app, &path, &a.token);
            async move {
                app.post(
                    path,
                    token,
                    json!({"number": (10_000 + i).to_string(), "display_name": format!("Burst {i}")}),
                )
                .await
                .status()
                .as_u16()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let api_took = started.elapsed();
    assert!(
        created.iter().all(|s| *s == 201),
        "not all created: {:?}",
        {
            let mut bad: Vec<u16> = created.iter().copied().filter(|s| *s != 201).collect();
            bad.dedup();
            bad
        }
    );

    let limit = Duration::from_secs(120);
    let mut count = 0;
    while started.elapsed() < limit {
        count = node.subscriber_count().await;
        if count == N as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let converged = started.elapsed();
    assert_eq!(count, N as i64, "subscribers on the node after {limit:?}");
    let jobs = settle(&app, &node_id).await;
    let ran = jobs.len() - before;
    println!(
        "burst: {N} extensions by parallel POSTs in {:.1}s, on the node after {:.1}s, {ran} kamailio.reconcile jobs ({})",
        api_took.as_secs_f64(),
        converged.as_secs_f64(),
        backend(),
    );
    assert!(ran <= 50, "{ran} reconciles for {N} changes: not coalesced");

    // The CSV import provisions too.
    let mut csv = String::from("number,display_name\n");
    for i in 0..200 {
        csv.push_str(&format!("{},Imported {i}\n", 20_000 + i));
    }
    let res = app
        .req(
            reqwest::Method::POST,
            &format!("{path}/import?dry_run=false"),
            &a.token,
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report = expect_json(res, 200).await;
    let imported = report["created"].as_array().unwrap();
    assert_eq!(imported.len(), 200);
    let jobs = settle(&app, &node_id).await;
    assert_eq!(node.subscriber_count().await, (N + 200) as i64);
    let (number, pw) = (
        imported[199]["number"].as_str().unwrap(),
        imported[199]["sip_password"].as_str().unwrap(),
    );
    node.expect_register(number, &a.domain, pw, 200).await;
    println!(
        "burst: a 200-row CSV import took {} more reconcile job(s)",
        jobs.len() - before - ran
    );
    assert!(
        node.subscribers()
            .await
            .contains_key(&format!("10999@{}", a.domain))
    );
}

/// Settings are validated, sealed (never shown) and a node that cannot be reached makes the
/// reconcile fail with a clear error, shown on the node, until the setting is fixed.
#[tokio::test]
async fn bad_settings_are_refused_hidden_and_an_unreachable_node_is_reported() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let good_db = node.db_url.clone();
    let good_rpc = node.rpc_url.clone();
    let create = |kamailio: Value| {
        json!({
            "name": format!("kam-{}", Uuid::now_v7().simple()),
            "kind": "kamailio",
            "addresses": ["127.0.0.1"],
            "kamailio": kamailio,
        })
    };
    for bad in [
        json!({"db_url": "mysql://root@127.0.0.1:3306/kamailio", "rpc_url": good_rpc}),
        json!({"db_url": "http://127.0.0.1:5432/kamailio", "rpc_url": good_rpc}),
        json!({"db_url": "not a url", "rpc_url": good_rpc}),
        json!({"db_url": good_db, "rpc_url": "ftp://127.0.0.1/RPC"}),
        json!({"db_url": good_db, "rpc_url": "postgres://127.0.0.1:5080/RPC"}),
        json!({"db_url": good_db, "rpc_url": "127.0.0.1:5080"}),
    ] {
        let res = app
            .post("/v1/switch-nodes", &app.admin, create(bad.clone()))
            .await;
        let p = assert_problem(res, 422, "validation_failed").await;
        assert!(!p.to_string().contains("root@"), "{p}");
    }
    assert!(
        list_all(&app, "/v1/switch-nodes", &app.admin)
            .await
            .is_empty()
    );

    // A node without settings is not configured; bad settings on PATCH are refused too.
    let plain = expect_json(
        app.post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "plain", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        )
        .await,
        201,
    )
    .await;
    let plain_id = plain["id"].as_str().unwrap().to_owned();
    assert_eq!(
        node_view(&app, &plain_id).await["provisioning"]["configured"],
        false
    );
    let res = app
        .patch(
            &format!("/v1/switch-nodes/{plain_id}"),
            &app.admin,
            json!({"kamailio": {"db_url": "mysql://x@127.0.0.1/k", "rpc_url": good_rpc}}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        node_view(&app, &plain_id).await["provisioning"]["configured"],
        false
    );

    // The real node, with a password in its DB URL (trust auth ignores it): never shown.
    let secret = format!("pw-{}", Uuid::new_v4().simple());
    let db_with_pw = pg_url(&node.db, Some(&secret));
    let res = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            create(json!({"db_url": db_with_pw, "rpc_url": good_rpc})),
        )
        .await;
    let made = expect_json(res, 201).await;
    let id = made["id"].as_str().unwrap().to_owned();
    let hidden = [
        db_with_pw.as_str(),
        good_rpc.as_str(),
        secret.as_str(),
        node.db.as_str(),
    ];
    let assert_hidden = |v: &Value, what: &str| {
        let text = v.to_string();
        for s in hidden {
            assert!(!text.contains(s), "{s:?} shown in {what}: {text}");
        }
    };
    assert_hidden(&made, "the create answer");
    let view = node_view(&app, &id).await;
    assert_hidden(&view, "GET node");
    assert_eq!(view["provisioning"]["configured"], true, "{view}");
    assert_hidden(
        &Value::Array(list_all(&app, "/v1/switch-nodes", &app.admin).await),
        "the node list",
    );

    // The node's database becomes unreachable: the reconcile fails and says why.
    let closed = free_tcp_port();
    let [(_, _), (_, _), (_, user), _] = pg_env();
    let unreachable = format!("postgres://{user}:{secret}@127.0.0.1:{closed}/{}", node.db);
    let res = app
        .patch(
            &format!("/v1/switch-nodes/{id}"),
            &app.admin,
            json!({"kamailio": {"db_url": unreachable, "rpc_url": good_rpc}}),
        )
        .await;
    let patched = expect_json(res, 200).await;
    assert_hidden(&patched, "the PATCH answer");
    assert!(
        !patched.to_string().contains(&closed.to_string()),
        "{patched}"
    );
    let a = tenant(&app, "Kam Broken").await;
    let (_, pw) = extension(&app, &a, "1001").await;
    let res = app
        .post(
            &format!("/v1/switch-nodes/{id}/reconcile"),
            &app.admin,
            json!({}),
        )
        .await;
    let job_id = expect_json(res, 202).await["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = job_until(&app, &job_id, Duration::from_secs(30), |j| {
        j["last_error"].is_string()
    })
    .await;
    assert!(
        matches!(status_of(&failed), "failed" | "dead" | "queued"),
        "{failed:#}"
    );
    assert!(failed["attempts"].as_i64().unwrap() >= 1, "{failed:#}");
    let error = failed["last_error"].as_str().unwrap();
    println!("unreachable node DB: job last_error = {error:?}");
    assert!(!error.contains(&secret), "the DB password leaks: {error}");
    let lower = error.to_lowercase();
    assert!(
        lower.contains("database")
            || lower.contains("connect")
            || lower.contains(&closed.to_string()),
        "last_error does not say what failed: {error}"
    );
    let view = node_view(&app, &id).await;
    let shown = view["provisioning"]["last_error"]
        .as_str()
        .unwrap_or_else(|| {
            panic!("provisioning.last_error not set: {view}");
        });
    assert!(!shown.is_empty() && !shown.contains(&secret), "{view}");
    assert_hidden(&view, "GET node with an error");
    assert_hidden(
        &Value::Array(audit_events(&app, &format!("resource_id={id}")).await),
        "the node's audit events",
    );

    // Fixed: the next reconcile succeeds, the error clears, the phone registers.
    let res = app
        .patch(
            &format!("/v1/switch-nodes/{id}"),
            &app.admin,
            json!({"kamailio": {"db_url": db_with_pw, "rpc_url": good_rpc}}),
        )
        .await;
    assert_hidden(&expect_json(res, 200).await, "the PATCH answer");
    reconcile_now(&app, &id).await;
    assert!(plan_is_empty(&plan(&app, &id).await));
    let view = node_view(&app, &id).await;
    assert!(view["provisioning"]["last_error"].is_null(), "{view}");
    assert!(
        view["provisioning"]["last_applied_at"].is_string(),
        "{view}"
    );
    node.expect_register("1001", &a.domain, &pw, 200).await;
}

/// A node whose JSON-RPC cannot be reached: the reconcile fails and says so; rows that the
/// failed reconcile wrote itself are not "drift" (nobody changed the node behind Centralita's
/// back), and once the URL is fixed the next reconcile succeeds without counting any drift
/// repaired.
#[tokio::test]
async fn an_unreachable_rpc_fails_the_reconcile_and_is_not_mistaken_for_drift() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam No RPC").await;
    let (id1, _) = extension(&app, &a, "1001").await;
    settle(&app, &node_id).await;

    // JSON-RPC becomes unreachable; one extension is added, one deleted.
    let closed = free_tcp_port();
    let bad_rpc = format!("http://{KAM_IP}:{closed}/RPC");
    let res = app
        .patch(
            &format!("/v1/switch-nodes/{node_id}"),
            &app.admin,
            json!({"kamailio": {"db_url": node.db_url, "rpc_url": bad_rpc}}),
        )
        .await;
    expect_json(res, 200).await;
    let (_, pw2) = extension(&app, &a, "1002").await;
    assert_eq!(
        app.delete(&ext_path(&a, &id1), &a.token).await.status(),
        204
    );

    // The reconcile fails at the JSON-RPC step and says so.
    let start = Instant::now();
    let failed = loop {
        let jobs = reconcile_jobs(&app).await;
        if let Some(j) = jobs.iter().find(|j| j["last_error"].is_string()) {
            break j.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no reconcile failed in 30 s: {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = failed["last_error"].as_str().unwrap();
    println!("unreachable JSON-RPC: job last_error = {error:?}");
    assert!(error.contains("JSON-RPC"), "{failed:#}");
    let view = node_view(&app, &node_id).await;
    assert!(view["provisioning"]["last_error"].is_string(), "{view}");

    // Nobody touched the node behind Centralita's back: no drift.
    let p = plan(&app, &node_id).await;
    let drift_before_fix = strings(&p["drift"]);

    // Fixed: the next reconcile succeeds and repaired no drift.
    let res = app
        .patch(
            &format!("/v1/switch-nodes/{node_id}"),
            &app.admin,
            json!({"kamailio": settings(&node)}),
        )
        .await;
    expect_json(res, 200).await;
    reconcile_now(&app, &node_id).await;
    assert!(plan_is_empty(&plan(&app, &node_id).await));
    let view = node_view(&app, &node_id).await;
    assert!(view["provisioning"]["last_error"].is_null(), "{view}");
    node.expect_register("1002", &a.domain, &pw2, 200).await;
    assert!(
        drift_before_fix.is_empty(),
        "rows written by Centralita's own failed reconcile are reported as drift: {p:#}"
    );
    assert_eq!(
        view["provisioning"]["drift_repaired_total"], 0,
        "Centralita's own rows were counted as drift repaired: {view}"
    );
}

/// A tenant's own change queues a reconcile of that tenant only (shown in its job list): it
/// reads, compares and writes that tenant's rows, and leaves another tenant's drift for a
/// whole reconcile (which repairs it).
#[tokio::test]
async fn a_tenants_change_reconciles_that_tenant_only() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Scope A").await;
    let b = tenant(&app, "Kam Scope B").await;
    extension(&app, &a, "1001").await;
    let (_, b_pw) = extension(&app, &b, "1001").await;
    settle(&app, &node_id).await;

    // B's subscriber is tampered with on the node.
    let b_aor = format!("1001@{}", b.domain);
    let tampered = node
        .exec(&format!(
            "UPDATE subscriber SET ha1 = md5('x') WHERE domain = '{}'",
            b.domain
        ))
        .await;
    assert_eq!(tampered, 1);

    // A's new extension reaches the node through a reconcile of A.
    let (_, a_pw) = extension(&app, &a, "1002").await;
    let a_aor = format!("1002@{}", a.domain);
    let start = Instant::now();
    while !node.subscribers().await.contains_key(&a_aor) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{a_aor} never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    node.expect_register("1002", &a.domain, &a_pw, 200).await;
    let a_jobs = list_all(
        &app,
        &format!("/v1/tenants/{}/jobs?kind=kamailio.reconcile", a.id),
        &a.token,
    )
    .await;
    assert!(!a_jobs.is_empty(), "A sees the reconciles of its changes");
    assert!(
        a_jobs.iter().all(|j| j["status"] == "succeeded"),
        "{a_jobs:#?}"
    );
    // Wait for every reconcile to finish, then: B's drift is still there (the reconcile
    // of A did not look at B's rows) and the plan reports it.
    for _ in 0..100 {
        let busy = reconcile_jobs(&app)
            .await
            .iter()
            .any(|j| matches!(status_of(j), "queued" | "running"));
        if !busy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let still = node
        .json_rows(
            "SELECT json_build_array(count(*))::text AS v FROM subscriber WHERE ha1 = md5('x')",
        )
        .await;
    assert_eq!(still[0][0], 1, "B's drift left alone: {still:?}");
    let p = plan(&app, &node_id).await;
    assert_eq!(strings(&p["drift"]), vec![b_aor.clone()], "{p:#}");
    node.expect_register("1001", &b.domain, &b_pw, 401).await;

    // A whole reconcile repairs it.
    reconcile_now(&app, &node_id).await;
    assert!(plan_is_empty(&plan(&app, &node_id).await));
    node.expect_register("1001", &b.domain, &b_pw, 200).await;
}

/// Deleting a tenant takes its domain and subscribers off the node and ends its live
/// registrations; the other tenant is untouched.
#[tokio::test]
async fn a_deleted_tenant_leaves_the_node() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Kam Gone").await;
    let b = tenant(&app, "Kam Stays").await;
    let (_, a_pw) = extension(&app, &a, "1001").await;
    let (_, b_pw) = extension(&app, &b, "1001").await;
    settle(&app, &node_id).await;
    node.expect_register("1001", &a.domain, &a_pw, 200).await;
    let a_aor = format!("1001@{}", a.domain);
    assert!(node.ul_dump().await.contains(&a_aor));

    let since = Instant::now();
    assert_eq!(
        app.delete(&format!("/v1/tenants/{}", a.id), &app.admin)
            .await
            .status(),
        204
    );
    assert!(
        node.registration_gone(&a_aor, since, Duration::from_secs(10))
            .await,
        "the deleted tenant's registration is still live"
    );
    settle(&app, &node_id).await;
    assert!(!node.domains().await.contains_key(&a.domain));
    assert!(!node.subscribers().await.contains_key(&a_aor));
    node.expect_register("1001", &a.domain, &a_pw, 404).await;
    node.expect_register("1001", &b.domain, &b_pw, 200).await;
}

/// `GET /v1/tenants/{t}/registrations`: a tenant's phones registered on the nodes, read
/// from each node's `location` table (usrloc writes it back every 30 s; `ul.flush` here
/// saves the wait), its own only; a node that cannot be asked is named, not fatal.
#[tokio::test]
async fn registered_phones_are_listed_per_tenant_from_the_nodes() {
    let Some(node) = KamailioNode::start().await else {
        return;
    };
    let app = kam_app().await;
    let node_id = add_node(&app, &node).await;
    let a = tenant(&app, "Reg A").await;
    let b = tenant(&app, "Reg B").await;
    let (ext_a, pw_a) = extension(&app, &a, "1001").await;
    extension(&app, &a, "1002").await;
    let (_, pw_b) = extension(&app, &b, "1001").await;
    settle(&app, &node_id).await;

    let path = |t: &Tenant| format!("/v1/tenants/{}/registrations", t.id);
    let none = expect_json(app.get(&path(&a), &a.token).await, 200).await;
    assert_eq!(none["items"], json!([]), "{none}");
    assert_eq!(none["registered_extensions"], 0);
    assert_eq!(none["nodes_asked"], 1);

    node.expect_register("1001", &a.domain, &pw_a, 200).await;
    node.expect_register("1001", &b.domain, &pw_b, 200).await;
    node.rpc("ul.flush", json!([])).await;
    let deadline = Instant::now() + Duration::from_secs(40);
    let regs = loop {
        let regs = expect_json(app.get(&path(&a), &a.token).await, 200).await;
        if !regs["items"].as_array().unwrap().is_empty() || Instant::now() > deadline {
            break regs;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let items = regs["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{regs}");
    let r = &items[0];
    assert_eq!(r["extension"], "1001");
    assert_eq!(r["extension_id"], ext_a.as_str());
    assert_eq!(r["domain"], a.domain.as_str());
    assert_eq!(r["node_id"], node_id.as_str());
    assert!(
        r["contact"].as_str().unwrap().starts_with("sip:1001@"),
        "{r}"
    );
    let expires: chrono::DateTime<chrono::Utc> = r["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires > chrono::Utc::now(), "{r}");
    assert_eq!(regs["registered_extensions"], 1);
    assert_eq!(regs["unavailable_nodes"], json!([]));
    assert_eq!(regs["truncated"], false);

    // The other tenant sees its own phone only, with its own domain.
    let regs_b = expect_json(app.get(&path(&b), &b.token).await, 200).await;
    let items_b = regs_b["items"].as_array().unwrap();
    assert_eq!(items_b.len(), 1, "{regs_b}");
    assert_eq!(items_b[0]["domain"], b.domain.as_str());

    // A node that cannot be asked is named; what the others report is still there.
    let dead = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": format!("dead-{}", Uuid::now_v7().simple()), "kind": "kamailio",
                   "addresses": ["127.0.0.1"],
                   "kamailio": {"db_url": "postgres://kam@127.0.0.1:9/nowhere",
                                "rpc_url": "http://127.0.0.1:9/RPC"}}),
        )
        .await;
    let dead_id = expect_json(dead, 201).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let regs = expect_json(app.get(&path(&a), &a.token).await, 200).await;
    assert_eq!(regs["items"].as_array().unwrap().len(), 1, "{regs}");
    assert_eq!(regs["unavailable_nodes"][0]["node_id"], dead_id.as_str());
    assert_eq!(regs["nodes_asked"], 1);
    let text = regs.to_string();
    assert!(
        !text.contains("postgres://") && !text.contains(":9/"),
        "{text}"
    );

    // Tenant users may not read the tenant's phones; another tenant's admin gets a 404.
    let (_, user) = app.create_user(&a.token, &a.id, "tenant_user").await;
    assert_problem(app.get(&path(&a), &user).await, 403, "forbidden").await;
    assert_problem(app.get(&path(&a), &b.token).await, 404, "not_found").await;
}
