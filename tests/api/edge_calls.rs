//! Calls end to end through the Kamailio edge (`deploy/kamailio/` with `edge.lua`): the edge
//! asks this Centralita where each INVITE goes and executes the plan; sipp plays the phones
//! (127.0.0.2), the carriers and the media server (127.0.0.3).
//!
//! Needs what `kamailio.rs` needs plus `kamailio-utils-modules`, `kamailio-lua-modules` and
//! `lua-cjson`; without them each test says SKIPPED, unless `CENTRALITA_TEST_REQUIRE_PEERS`
//! is set (as in `.ci/run`).

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    common::*,
    kamailio::{
        KamailioNode, SippRun, Tenant, extension, free_phone_port, kam_app, percentile, settings,
        settle, tenant,
    },
};
use serde_json::{Value, json};
use uuid::Uuid;

/// Carriers and the media server send from here; the edge treats it as a carrier network.
const CARRIER_IP: &str = "127.0.0.3";

/// A Centralita, a switch node registered in it, and a Kamailio edge asking it.
pub(crate) struct Edge {
    pub app: TestApp,
    pub node: KamailioNode,
    pub node_id: String,
    pub media_port: u16,
    /// Between the edge and Centralita when the test needs Centralita slow or gone.
    pub gate: Option<Gate>,
    _token_dir: tempfile::TempDir,
}

const PASS: u8 = 0;
const DOWN: u8 = 1;
const SLOW: u8 = 2;

/// A TCP gate in front of Centralita: passes connections through, delays each by 500 ms
/// (a slow Centralita), or closes them at once (Centralita gone: the edge's request fails).
pub(crate) struct Gate {
    port: u16,
    mode: Arc<AtomicU8>,
    task: tokio::task::JoinHandle<()>,
}

impl Gate {
    async fn start(upstream: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(PASS));
        let m = mode.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mode = m.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    match mode {
                        DOWN => drop(inbound),
                        _ => {
                            if mode == SLOW {
                                tokio::time::sleep(Duration::from_millis(500)).await;
                            }
                            if let Ok(mut out) =
                                tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                            {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                            }
                        }
                    }
                });
            }
        });
        Self { port, mode, task }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn edge_modules_missing() -> Option<String> {
    let lib = Path::new("/usr/lib/x86_64-linux-gnu/kamailio/modules");
    let missing: Vec<&str> = [
        ("app_lua.so", "kamailio-lua-modules"),
        ("http_client.so", "kamailio-utils-modules"),
    ]
    .into_iter()
    .filter(|(so, _)| !lib.join(so).exists())
    .map(|(_, pkg)| pkg)
    .chain(
        (!Path::new("/usr/share/lua/5.1/cjson").exists()
            && !Path::new("/usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so").exists())
        .then_some("lua-cjson"),
    )
    .collect();
    (!missing.is_empty()).then(|| missing.join(" "))
}

impl Edge {
    pub(crate) async fn start() -> Option<Self> {
        Self::start_with(false).await
    }

    /// With `gated`, the edge reaches Centralita through a [`Gate`].
    pub(crate) async fn start_with(gated: bool) -> Option<Self> {
        if !KamailioNode::available() {
            return None;
        }
        if let Some(pkgs) = edge_modules_missing() {
            return peer_missing(
                &format!("the edge's Kamailio modules ({pkgs})"),
                &format!("apt-get install -y {pkgs}"),
            );
        }
        let app = kam_app().await;
        let app_port: u16 = app
            .url("")
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the app's port");
        let gate = if gated {
            Some(Gate::start(app_port).await)
        } else {
            None
        };
        let api_url = match &gate {
            Some(g) => format!("http://127.0.0.1:{}", g.port),
            None => format!("http://127.0.0.1:{app_port}"),
        };
        let created = expect_json(
            app.post(
                "/v1/switch-nodes",
                &app.admin,
                json!({"name": format!("edge-{}", Uuid::now_v7().simple()), "kind": "kamailio", "addresses": ["127.0.0.1"]}),
            )
            .await,
            201,
        )
        .await;
        let node_id = created["id"].as_str().unwrap().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("node-token");
        std::fs::write(&token_file, created["token"].as_str().unwrap()).unwrap();
        let media_port = free_phone_port();
        let node = KamailioNode::start_with(vec![
            ("KAM_API_URL", api_url),
            ("KAM_API_TOKEN_FILE", token_file.display().to_string()),
            (
                "KAM_PIKE_TRUSTED_NETS",
                format!("127.0.0.2/32,{CARRIER_IP}/32"),
            ),
        ])
        .await?;
        let res = app
            .patch(
                &format!("/v1/switch-nodes/{node_id}"),
                &app.admin,
                // The media server is the node's setting here; the edge asks for it.
                json!({"kamailio": settings(&node),
                       "media_server_uri": format!("sip:{CARRIER_IP}:{media_port}")}),
            )
            .await;
        expect_json(res, 200).await;
        Some(Self {
            app,
            node,
            node_id,
            media_port,
            gate,
            _token_dir: dir,
        })
    }

    /// Waits until the node serves what Centralita holds (domains, subscribers).
    pub(crate) async fn settle(&self) {
        settle(&self.app, &self.node_id).await;
    }

    /// Registers `user@domain` with its Contact on the phones' address and a port of its own;
    /// answers the port.
    pub(crate) async fn register(&self, t: &Tenant, user: &str, password: &str) -> u16 {
        let port = free_phone_port();
        let reg = self
            .node
            .register_from(user, &t.domain, password, Some(port))
            .await;
        assert!(reg.ok(), "REGISTER {user}@{}: {reg}", t.domain);
        port
    }

    /// A call from a registered phone, with one of the uac_*.xml scenarios.
    pub(crate) async fn call(
        &self,
        scenario_file: &str,
        t: &Tenant,
        (caller, password): (&str, &str),
        callee: &str,
    ) -> SippRun {
        self.node
            .call(
                scenario_file,
                (caller, &t.domain, password),
                (callee, &t.domain),
            )
            .await
    }

    /// The tenant's CDRs once `n` of them are there (the edge reports them within seconds).
    pub(crate) async fn cdrs(&self, t: &Tenant, n: usize) -> Vec<Value> {
        self.cdrs_within(t, n, Duration::from_secs(10)).await
    }

    pub(crate) async fn cdrs_within(&self, t: &Tenant, n: usize, limit: Duration) -> Vec<Value> {
        let path = format!("/v1/tenants/{}/cdrs", t.id);
        let until = Instant::now() + limit;
        while Instant::now() < until {
            let items = list_all(&self.app, &path, &t.token).await;
            if items.len() >= n {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let items = list_all(&self.app, &path, &t.token).await;
        panic!("expected {n} CDRs, got {}: {items:?}", items.len());
    }
}

/// Extension to extension: the edge asks Centralita, rings the callee's registration, and
/// reports the call; a call into another tenant's domain is 403 before anyone is asked.
#[tokio::test]
async fn a_call_between_extensions_rings_by_the_plan_and_is_reported() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let a = tenant(&edge.app, "Edge A").await;
    let b = tenant(&edge.app, "Edge B").await;
    let (_, pw1) = extension(&edge.app, &a, "1001").await;
    let (_, pw2) = extension(&edge.app, &a, "1002").await;
    let (_, pw_b) = extension(&edge.app, &b, "1001").await;
    edge.settle().await;

    let port = edge.register(&a, "1002", &pw2).await;
    let uas = edge.node.uas(port).await;
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "1002").await;
    let callee = uas.finish(Duration::from_secs(20)).await;
    assert!(call.ok(), "1001 → 1002: {call}");
    assert!(callee.ok(), "callee: {callee}");

    let cross = edge
        .node
        .call(
            "uac_reject_403.xml",
            ("1001", &b.domain, &pw_b),
            ("1002", &a.domain),
        )
        .await;
    assert!(cross.ok(), "1001@b → 1002@a must get 403: {cross}");
    // A number nothing answers to (no outbound route either): the plan's hangup, as 404.
    let nowhere = edge
        .call("uac_reject_404.xml", &a, ("1001", &pw1), "1999")
        .await;
    assert!(nowhere.ok(), "1999 reaches nothing: 404: {nowhere}");

    let cdrs = edge.cdrs(&a, 2).await;
    assert_eq!(cdrs.len(), 2, "{cdrs:?}");
    let c = cdrs
        .iter()
        .find(|c| c["destination"] == "1002")
        .expect("the answered call's CDR");
    assert!(
        cdrs.iter()
            .any(|c| c["destination"] == "1999" && c["disposition"] == "failed"),
        "the refused call has its CDR too: {cdrs:?}"
    );
    assert_eq!(c["direction"], "internal", "{c}");
    assert_eq!(c["caller"], "1001", "{c}");
    assert_eq!(c["destination"], "1002", "{c}");
    assert_eq!(c["disposition"], "answered", "{c}");
    assert!(edge.cdrs(&b, 0).await.is_empty());
}

impl Edge {
    /// The media server (a sipp UAS on the carrier address) for one call.
    pub(crate) async fn media_server(&self) -> crate::kamailio::Uas {
        self.node
            .uas_at(CARRIER_IP, self.media_port, "uas.xml", Vec::new())
            .await
    }

    pub(crate) async fn patch_extension(&self, t: &Tenant, id: &str, body: Value) {
        let res = self
            .app
            .patch(&format!("{}/{id}", extensions_path(&t.id)), &t.token, body)
            .await;
        expect_json(res, 200).await;
    }
}

/// The INVITE a UAS received carried `header: value`.
fn received_header(run: &SippRun, header: &str, value: &str) -> bool {
    let want = format!("{}: {}", header.to_lowercase(), value.to_lowercase());
    run.messages
        .lines()
        .any(|l| l.trim().to_lowercase() == want)
}

/// Busy goes to voicemail (the media server is told the action and the mailbox), DND skips
/// the phone, forwarding always rings the other extension.
#[tokio::test]
async fn busy_dnd_and_forwarding_follow_the_extension() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let a = tenant(&edge.app, "Edge Forward").await;
    let (_, pw1) = extension(&edge.app, &a, "1001").await;
    let (id2, pw2) = extension(&edge.app, &a, "1002").await;
    let (id3, pw3) = extension(&edge.app, &a, "1003").await;
    let vm = create_box(&edge.app, &a.token, &a.id, "1002").await;
    let box_id = vm["id"].as_str().unwrap();
    edge.patch_extension(&a, &id2, json!({"voicemail_box_id": box_id}))
        .await;
    edge.settle().await;
    let port2 = edge.register(&a, "1002", &pw2).await;
    let port3 = edge.register(&a, "1003", &pw3).await;

    // Busy: the phone answers 486, the caller reaches voicemail.
    let phone = edge
        .node
        .uas_at("127.0.0.2", port2, "uas_busy.xml", vec![])
        .await;
    let media = edge.media_server().await;
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "1002").await;
    let phone = phone.finish(Duration::from_secs(10)).await;
    let media = media.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "busy → voicemail: {call}");
    assert!(phone.ok(), "the phone was rung and said busy: {phone}");
    assert!(media.ok(), "media server: {media}");
    assert!(
        received_header(&media, "X-Centralita-Action", "voicemail")
            && received_header(&media, "X-Centralita-Mailbox", "1002")
            && received_header(&media, "X-Centralita-Object", box_id),
        "the media server must be told voicemail, mailbox 1002, box {box_id}:\n{}",
        media.messages
    );

    // Do not disturb: straight to voicemail, the phone is not rung.
    edge.patch_extension(&a, &id2, json!({"dnd": true})).await;
    let media = edge.media_server().await;
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "1002").await;
    let media = media.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "DND → voicemail: {call}");
    assert!(received_header(&media, "X-Centralita-Action", "voicemail"));

    // Forward always to 1003: 1003 answers.
    edge.patch_extension(
        &a,
        &id2,
        json!({"dnd": false, "forwarding": {"always": {"enabled": true, "destination": {"type": "extension", "id": id3}}}}),
    )
    .await;
    let other = edge.node.uas(port3).await;
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "1002").await;
    let other = other.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "forward always → 1003: {call}");
    assert!(other.ok(), "1003: {other}");

    let cdrs = edge.cdrs(&a, 3).await;
    assert_eq!(cdrs.len(), 3, "{cdrs:?}");
}

async fn ring_group(
    edge: &Edge,
    t: &Tenant,
    number: &str,
    strategy: &str,
    members: &[&str],
    fallback: Value,
) {
    let members: Vec<Value> = members
        .iter()
        .map(|id| json!({"target": {"type": "extension", "id": id}, "timeout_seconds": 5}))
        .collect();
    let res = edge
        .app
        .post(
            &format!("/v1/tenants/{}/ring-groups", t.id),
            &t.token,
            json!({"number": number, "name": format!("Group {number}"), "strategy": strategy,
                   "members": members, "ring_seconds": 5, "fallback": fallback}),
        )
        .await;
    expect_json(res, 201).await;
}

/// A simultaneous group rings every member and the first to answer wins (the other is
/// cancelled); a sequential one rings them in order, each for its ring time; when nobody
/// answers, the group's fallback takes the call.
#[tokio::test]
async fn ring_groups_ring_all_at_once_or_in_turn_then_fall_back() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let a = tenant(&edge.app, "Edge Groups").await;
    let (_, pw1) = extension(&edge.app, &a, "1001").await;
    let (id2, pw2) = extension(&edge.app, &a, "1002").await;
    let (id3, pw3) = extension(&edge.app, &a, "1003").await;
    let vm = create_box(&edge.app, &a.token, &a.id, "600").await;
    let hangup = json!({"type": "hangup"});
    ring_group(
        &edge,
        &a,
        "600",
        "simultaneous",
        &[&id2, &id3],
        hangup.clone(),
    )
    .await;
    ring_group(&edge, &a, "601", "sequential", &[&id2, &id3], hangup).await;
    ring_group(
        &edge,
        &a,
        "602",
        "sequential",
        &[&id2],
        json!({"type": "voicemail_box", "id": vm["id"]}),
    )
    .await;
    edge.settle().await;
    let port2 = edge.register(&a, "1002", &pw2).await;
    let port3 = edge.register(&a, "1003", &pw3).await;

    // All at once: 1002 rings and is cancelled when 1003 answers.
    let ringing = edge
        .node
        .uas_at("127.0.0.2", port2, "uas_noanswer.xml", vec![])
        .await;
    let answering = edge.node.uas(port3).await;
    let started = std::time::Instant::now();
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "600").await;
    let ringing = ringing.finish(Duration::from_secs(10)).await;
    let answering = answering.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "simultaneous: {call}");
    assert!(ringing.ok(), "1002 rang and was cancelled: {ringing}");
    assert!(answering.ok(), "1003 answered: {answering}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "no one waited for a ring time"
    );

    // In turn: 1002 rings for its 5 s, then 1003 answers.
    let ringing = edge
        .node
        .uas_at("127.0.0.2", port2, "uas_noanswer.xml", vec![])
        .await;
    let answering = edge.node.uas(port3).await;
    let started = std::time::Instant::now();
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "601").await;
    let took = started.elapsed();
    let ringing = ringing.finish(Duration::from_secs(10)).await;
    let answering = answering.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "sequential: {call}");
    assert!(
        ringing.ok(),
        "1002 rang first, then was cancelled: {ringing}"
    );
    assert!(answering.ok(), "1003 answered next: {answering}");
    assert!(
        took >= Duration::from_secs(5),
        "1003 rang only after 1002's 5 s: {took:?}"
    );

    // Nobody answers: the fallback (voicemail) takes the call after the ring time.
    let ringing = edge
        .node
        .uas_at("127.0.0.2", port2, "uas_noanswer.xml", vec![])
        .await;
    let media = edge.media_server().await;
    let call = edge.call("uac_auth.xml", &a, ("1001", &pw1), "602").await;
    let ringing = ringing.finish(Duration::from_secs(10)).await;
    let media = media.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "no answer → voicemail: {call}");
    assert!(ringing.ok(), "{ringing}");
    assert!(
        received_header(&media, "X-Centralita-Action", "voicemail"),
        "{}",
        media.messages
    );
}

// ---------------------------------------------------------------------------------------
// Outside calls: authorization, the granted duration, trunk failover, DIDs
// ---------------------------------------------------------------------------------------

const SPAIN: &str = "prefix,destination,rate,connection_fee,first_increment,next_increment\n\
                     34,Spain,0.06,0,1,1\n";
/// An outside number the deck prices (Spain, 0.06/min, per second).
const OUTSIDE: &str = "34911234567";

/// A prepaid tenant with extension 1001 whose route `X.` goes out through carrier trunks on
/// `ports` of the carrier address, in that order; answers (tenant, 1001's password).
async fn outside_setup(edge: &Edge, name: &str, ports: &[u16]) -> (Tenant, String, Vec<String>) {
    let app = &edge.app;
    let t = tenant(app, name).await;
    let (_, pw) = extension(app, &t, "1001").await;
    let deck = crate::calls::platform_deck(app, &format!("{name} {}", Uuid::now_v7()), SPAIN).await;
    let res = app
        .patch(
            &format!("/v1/tenants/{}/billing-account", t.id),
            &app.admin,
            json!({"sell_deck_id": deck, "currency": "USD"}),
        )
        .await;
    expect_json(res, 200).await;
    let mut trunks = Vec::new();
    for port in ports {
        let res = app
            .post(
                "/v1/trunks",
                &app.admin,
                json!({"name": format!("carrier-{}", Uuid::now_v7()), "host": CARRIER_IP, "port": port}),
            )
            .await;
        trunks.push(
            expect_json(res, 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let res = app
        .post(
            &format!("/v1/tenants/{}/outbound-routes", t.id),
            &t.token,
            json!({"name": "Out", "patterns": ["X.", "+X."], "trunk_ids": trunks}),
        )
        .await;
    expect_json(res, 201).await;
    edge.settle().await;
    (t, pw, trunks)
}

fn call_args(
    scenario_file: &str,
    t: &Tenant,
    caller: &str,
    password: &str,
    callee: &str,
) -> Vec<String> {
    [
        "-sf",
        &crate::kamailio::scenario(scenario_file),
        "-s",
        callee,
        "-key",
        "domain",
        &t.domain,
        "-key",
        "caller",
        caller,
        "-key",
        "caller_domain",
        &t.domain,
        "-au",
        caller,
        "-ap",
        password,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The first trunk answers 503, the second takes the call (and the CDR is rated).
/// A call from the carrier to the tenant's DID lands on the DID's destination.
#[tokio::test]
async fn trunks_fail_over_and_dids_ring_their_destination() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let (p1, p2) = (free_phone_port(), free_phone_port());
    let (t, pw, _) = outside_setup(&edge, "Edge Failover", &[p1, p2]).await;
    crate::calls::top_up(&edge.app, &t.id, "10").await;

    let failing = edge
        .node
        .uas_at(CARRIER_IP, p1, "uas_503.xml", vec![])
        .await;
    let taking = edge.node.uas_at(CARRIER_IP, p2, "uas.xml", vec![]).await;
    let call = edge.call("uac_auth.xml", &t, ("1001", &pw), OUTSIDE).await;
    let failing = failing.finish(Duration::from_secs(10)).await;
    let taking = taking.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "out through the second trunk: {call}");
    assert!(
        failing.ok(),
        "the first trunk was tried and said 503: {failing}"
    );
    assert!(taking.ok(), "the second trunk answered: {taking}");
    assert!(
        taking
            .messages
            .contains(&format!("INVITE sip:{OUTSIDE}@{CARRIER_IP}:{p2}")),
        "{}",
        taking.messages
    );
    let cdrs = edge.cdrs(&t, 1).await;
    assert_eq!(cdrs[0]["direction"], "outbound", "{cdrs:?}");
    assert_eq!(cdrs[0]["status"], "rated", "{cdrs:?}");

    // Inbound: the carrier calls the DID, 1002 answers.
    let (id2, pw2) = extension(&edge.app, &t, "1002").await;
    let did = claim_did(&edge.app, &t.token, &t.id, "+34911000111").await;
    let res = edge
        .app
        .patch(
            &format!("/v1/tenants/{}/dids/{did}", t.id),
            &t.token,
            json!({"destination": {"type": "extension", "id": id2}}),
        )
        .await;
    expect_json(res, 200).await;
    edge.settle().await;
    let port2 = edge.register(&t, "1002", &pw2).await;
    let phone = edge.node.uas(port2).await;
    let args: Vec<String> = [
        "-sf",
        &crate::kamailio::scenario("uac_carrier.xml"),
        "-s",
        "+34911000111",
        "-key",
        "domain",
        "127.0.0.1",
        "-key",
        "caller",
        "34600111222",
        "-key",
        "caller_domain",
        CARRIER_IP,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let inbound = edge.node.sipp_from(CARRIER_IP, "inbound", args).await;
    let phone = phone.finish(Duration::from_secs(10)).await;
    assert!(inbound.ok(), "carrier → DID → 1002: {inbound}");
    assert!(phone.ok(), "1002: {phone}");
    let cdrs = edge.cdrs(&t, 2).await;
    assert!(
        cdrs.iter()
            .any(|c| c["direction"] == "inbound" && c["caller"] == "34600111222"),
        "{cdrs:?}"
    );
}

/// The tenant's call charges once the edge reported the calls' ends (polled for up to 10 s,
/// then a moment more, so a second charge would be seen too).
async fn charges_once_reported(edge: &Edge, t: &Tenant) -> Vec<Value> {
    for _ in 0..100 {
        if !crate::calls::call_charges(&edge.app, &t.id)
            .await
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    crate::calls::call_charges(&edge.app, &t.id).await
}

/// Seconds of credit the prepaid test's balance buys at the deck's rate.
const GRANT_SECONDS: u64 = 60;

/// A prepaid tenant with credit for 60 s calls out; the carrier answers; the edge ends the
/// call at the granted duration (BYE to both sides); the ledger shows one charge and the
/// balance is not below minus one increment. The next call, with nothing left, is 402.
#[tokio::test]
async fn a_prepaid_call_ends_when_its_credit_does() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let carrier_port = free_phone_port();
    let (t, pw, _) = outside_setup(&edge, "Edge Prepaid", &[carrier_port]).await;
    // 0.06/min, billed per second: 0.06 buys 60 s.
    crate::calls::top_up(&edge.app, &t.id, "0.06").await;

    let carrier = edge
        .node
        .uas_at(
            CARRIER_IP,
            carrier_port,
            "uas.xml",
            vec!["-timeout".into(), "100s".into()],
        )
        .await;
    let started = std::time::Instant::now();
    let call = edge
        .node
        .sipp_limited(
            "127.0.0.2",
            "prepaid",
            call_args("uac_until_bye.xml", &t, "1001", &pw, OUTSIDE),
            Duration::from_secs(GRANT_SECONDS + 30),
        )
        .await;
    let took = started.elapsed();
    let carrier = carrier.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "the caller gets the edge's BYE: {call}");
    assert!(carrier.ok(), "the carrier gets the edge's BYE: {carrier}");
    assert!(
        took >= Duration::from_secs(GRANT_SECONDS) && took < Duration::from_secs(GRANT_SECONDS + 4),
        "the call lasted {took:?}, granted {GRANT_SECONDS} s"
    );

    edge.cdrs(&t, 1).await;
    let charges = charges_once_reported(&edge, &t).await;
    assert_eq!(charges.len(), 1, "charged once: {charges:?}");
    let b = crate::calls::balance(&edge.app, &t.id).await;
    let left: f64 = b["balance"].as_str().unwrap().parse().unwrap();
    assert!(
        left >= -0.001,
        "balance {left} is below minus one increment: {b}"
    );

    let refused = edge
        .node
        .sipp(
            "no-credit",
            call_args("uac_reject_402.xml", &t, "1001", &pw, OUTSIDE),
        )
        .await;
    assert!(refused.ok(), "no credit left: 402: {refused}");
}

/// Twenty calls out at once on one prepaid account with credit for 10 s: what is granted
/// never adds up to more than the balance, so once every call ended the balance is not
/// below minus one increment; the calls past the credit were refused with 402.
#[tokio::test]
async fn twenty_concurrent_prepaid_calls_never_overdraw() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let carrier_port = free_phone_port();
    let (t, pw, _) = outside_setup(&edge, "Edge Concurrent", &[carrier_port]).await;
    crate::calls::top_up(&edge.app, &t.id, "0.01").await;
    let _carrier = edge
        .node
        .uas_at(
            CARRIER_IP,
            carrier_port,
            "uas.xml",
            vec!["-m".into(), "20".into(), "-timeout".into(), "40s".into()],
        )
        .await;
    let mut args = call_args("uac_until_bye.xml", &t, "1001", &pw, OUTSIDE);
    args.extend(["-m", "20", "-l", "20", "-r", "50"].map(str::to_owned));
    let calls = edge
        .node
        .sipp_limited("127.0.0.2", "twenty", args, Duration::from_secs(40))
        .await;
    assert!(
        calls.responses.contains(&402),
        "calls past the credit get 402: {calls}"
    );
    assert!(
        calls.responses.contains(&200),
        "some calls were granted: {calls}"
    );

    // Every hold released (the edge reported each call's end), then the balance.
    let mut b = Value::Null;
    for _ in 0..100 {
        b = crate::calls::balance(&edge.app, &t.id).await;
        if b["held"].as_str().and_then(|h| h.parse::<f64>().ok()) == Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        b["held"].as_str().map(|h| h.parse::<f64>().unwrap()),
        Some(0.0),
        "{b}"
    );
    let left: f64 = b["balance"].as_str().unwrap().parse().unwrap();
    assert!(
        left >= -0.001,
        "balance {left} below minus one increment: {b}"
    );
    assert!(left < 0.01, "the granted calls were charged: {b}");
}

/// Centralita gone mid-call: the call in progress goes on to its BYE; new calls, inside and
/// out, are refused with 503 (fail closed); the reports wait at the edge and arrive once
/// Centralita is back: the call is charged once, and every call has its CDR.
#[tokio::test]
async fn with_centralita_gone_calls_in_progress_finish_and_new_ones_are_refused() {
    let Some(edge) = Edge::start_with(true).await else {
        return;
    };
    let gate = edge.gate.as_ref().unwrap();
    let carrier_port = free_phone_port();
    let (t, pw, _) = outside_setup(&edge, "Edge Down", &[carrier_port]).await;
    crate::calls::top_up(&edge.app, &t.id, "10").await;
    let (_, pw2) = extension(&edge.app, &t, "1002").await;
    edge.settle().await;
    edge.register(&t, "1002", &pw2).await;

    // A call out that talks for 3 s; Centralita goes away once it is answered.
    let carrier = edge
        .node
        .uas_at(CARRIER_IP, carrier_port, "uas.xml", vec![])
        .await;
    let mut args = call_args("uac_hold.xml", &t, "1001", &pw, OUTSIDE);
    args.extend(["-d", "3000"].map(str::to_owned));
    let calls_path = format!("/v1/switch-nodes/{}/calls", edge.node_id);
    let (call, during) = tokio::join!(edge.node.sipp("held", args), async {
        // Once the call is answered (the node says so), Centralita goes.
        let mut during = Value::Null;
        for _ in 0..25 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            during = expect_json(edge.app.get(&calls_path, &edge.app.admin).await, 200).await;
            if during["in_progress"] == 1 {
                break;
            }
        }
        gate.set(DOWN);
        during
    });
    let carrier = carrier.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "the call in progress finished normally: {call}");
    assert!(carrier.ok(), "{carrier}");
    // The node's status showed the call while it went on, and shows none after.
    assert_eq!(during["in_progress"], 1, "{during}");
    assert_eq!(during["total"], 1, "{during}");
    let after = expect_json(edge.app.get(&calls_path, &edge.app.admin).await, 200).await;
    assert_eq!(after["in_progress"], 0, "{after}");

    let out = edge
        .node
        .sipp(
            "down-out",
            call_args("uac_reject_503.xml", &t, "1001", &pw, OUTSIDE),
        )
        .await;
    assert!(out.ok(), "an outside call with Centralita gone: 503: {out}");
    let inside = edge
        .node
        .sipp(
            "down-in",
            call_args("uac_reject_503.xml", &t, "1001", &pw, "1002"),
        )
        .await;
    assert!(
        inside.ok(),
        "an inside call with Centralita gone: 503: {inside}"
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        crate::calls::call_charges(&edge.app, &t.id)
            .await
            .is_empty()
    );
    let path = format!("/v1/tenants/{}/cdrs", t.id);
    assert!(
        list_all(&edge.app, &path, &t.token).await.is_empty(),
        "reports wait"
    );

    gate.set(PASS);
    let cdrs = edge.cdrs_within(&t, 3, Duration::from_secs(30)).await;
    assert_eq!(cdrs.len(), 3, "{cdrs:?}");
    let answered: Vec<&Value> = cdrs
        .iter()
        .filter(|c| c["disposition"] == "answered")
        .collect();
    assert_eq!(answered.len(), 1, "{cdrs:?}");
    assert_eq!(answered[0]["direction"], "outbound");
    let charges = crate::calls::call_charges(&edge.app, &t.id).await;
    assert_eq!(charges.len(), 1, "charged once: {charges:?}");
}

/// Centralita answering each lookup 500 ms late while 12 calls are set up at once: all 12
/// complete, and REGISTERs keep being answered meanwhile without waiting behind the lookups
/// (they never reach the async workers that ask Centralita). Were the lookups made in the
/// SIP workers, a REGISTER would queue behind 12 × 500 ms of them; the bound of 1 s (sipp's
/// start included) tells the two apart with room for a loaded machine.
#[tokio::test]
async fn a_slow_centralita_holds_up_neither_calls_nor_registrations() {
    let Some(edge) = Edge::start_with(true).await else {
        return;
    };
    let gate = edge.gate.as_ref().unwrap();
    let t = tenant(&edge.app, "Edge Slow").await;
    let (_, pw1) = extension(&edge.app, &t, "1001").await;
    let (_, pw2) = extension(&edge.app, &t, "1002").await;
    let (_, pw3) = extension(&edge.app, &t, "1003").await;
    edge.settle().await;
    let port2 = edge.register(&t, "1002", &pw2).await;
    let callee = edge
        .node
        .uas_at(
            "127.0.0.2",
            port2,
            "uas.xml",
            vec!["-m".into(), "12".into()],
        )
        .await;
    gate.set(SLOW);
    let mut args = call_args("uac_auth.xml", &t, "1001", &pw1, "1002");
    args.extend(["-m", "12", "-l", "12", "-r", "100"].map(str::to_owned));
    let (calls, registers) = tokio::join!(
        edge.node
            .sipp_limited("127.0.0.2", "twelve", args, Duration::from_secs(30)),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut took = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                let run = edge.node.register_from("1003", &t.domain, &pw3, None).await;
                took.push((started.elapsed(), run.register_code()));
            }
            took
        }
    );
    let callee = callee.finish(Duration::from_secs(20)).await;
    assert!(calls.ok(), "all 12 calls complete: {calls}");
    assert!(callee.ok(), "{callee}");
    println!("REGISTER while 12 lookups wait 500 ms each: {registers:?}");
    for (took, code) in &registers {
        assert_eq!(*code, Some(200));
        assert!(
            *took < Duration::from_secs(1),
            "a REGISTER took {took:?}: it waited behind lookups (12 × 500 ms)"
        );
    }
}

/// Registers `node` (a plain registrar, no Centralita lookups) as a provisioned node.
async fn add_plain_node(app: &TestApp, node: &KamailioNode) -> String {
    let res = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": format!("plain-{}", Uuid::now_v7().simple()), "kind": "kamailio",
                   "addresses": ["127.0.0.1"], "kamailio": settings(node)}),
        )
        .await;
    expect_json(res, 201).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// From a caller's sipp message trace (each message under a line ending in its time, to the
/// microsecond): per call, the time from sending the authenticated INVITE (CSeq 2) to
/// receiving its 180. sipp's own response-time statistics count whole milliseconds.
fn invite_to_ringing(trace: &str) -> Vec<Duration> {
    use std::collections::HashMap;
    let mut sent: HashMap<String, chrono::NaiveDateTime> = HashMap::new();
    let mut delays = Vec::new();
    for block in trace
        .split("----------------------------------------------- ")
        .skip(1)
    {
        let mut lines = block.lines();
        let stamp = lines.next().unwrap_or_default().trim();
        let Ok(at) = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S%.f") else {
            continue;
        };
        let direction = lines.next().unwrap_or_default();
        let message: Vec<&str> = lines.skip_while(|l| l.trim().is_empty()).collect();
        let first = message.first().copied().unwrap_or_default();
        let header = |name: &str| {
            let prefix = format!("{}:", name.to_lowercase());
            message
                .iter()
                .find(|l| l.to_lowercase().starts_with(&prefix))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        if header("CSeq") != "2 INVITE" {
            continue;
        }
        let call_id = header("Call-ID");
        if direction.contains("sent") && first.starts_with("INVITE ") {
            sent.entry(call_id).or_insert(at);
        } else if direction.contains("received")
            && first.starts_with("SIP/2.0 180")
            && let Some(t0) = sent.remove(&call_id)
        {
            delays.push((at - t0).to_std().unwrap_or_default());
        }
    }
    delays
}

/// Post-dial delays (authenticated INVITE → 180) of at least `calls` calls 1001 → 1002 on
/// `node`. A few more calls are placed than measured: sipp's message trace, written while
/// it runs, can miss a line under load (seen once in 200 calls on a busy CI machine), and
/// a benchmark must not fail on its own bookkeeping; every call must still connect.
async fn post_dial_delays(
    node: &KamailioNode,
    t: &Tenant,
    pw1: &str,
    pw2: &str,
    calls: usize,
) -> Vec<Duration> {
    let port = free_phone_port();
    let reg = node.register_from("1002", &t.domain, pw2, Some(port)).await;
    assert!(reg.ok(), "{reg}");
    let placed = calls + calls / 20;
    let n = placed.to_string();
    let callee = node
        .uas_at(
            "127.0.0.2",
            port,
            "uas.xml",
            vec!["-m".into(), n.clone(), "-timeout".into(), "60s".into()],
        )
        .await;
    let mut args = call_args("uac_auth.xml", t, "1001", pw1, "1002");
    args.extend(["-m", &n, "-l", "4", "-r", "40"].map(str::to_owned));
    let run = node
        .sipp_limited("127.0.0.2", "pdd", args, Duration::from_secs(60))
        .await;
    let callee = callee.finish(Duration::from_secs(20)).await;
    assert!(run.ok(), "{run}");
    assert!(callee.ok(), "{callee}");
    let trace = node.path(&format!("{}.msg", run.name));
    let mut delays = invite_to_ringing(&std::fs::read_to_string(&trace).unwrap());
    assert!(
        delays.len() >= calls && delays.len() <= placed,
        "{} post-dial delays measured of {placed} calls (at least {calls} needed) in {}",
        delays.len(),
        trace.display()
    );
    delays.sort();
    delays
}

/// The post-dial delay the edge adds by asking Centralita (route lookup in an async worker,
/// the dialog, the plan), against a plain registrar that asks nothing, in the same run:
/// at least 200 calls measured each, p50/p95 printed. A benchmark, not a timed test: it
/// asserts only that every call connected.
#[tokio::test]
async fn post_dial_delay_added_by_asking_centralita() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let Some(plain) = KamailioNode::start().await else {
        return;
    };
    let plain_id = add_plain_node(&edge.app, &plain).await;
    let t = tenant(&edge.app, "Edge PDD").await;
    let (_, pw1) = extension(&edge.app, &t, "1001").await;
    let (_, pw2) = extension(&edge.app, &t, "1002").await;
    edge.settle().await;
    settle(&edge.app, &plain_id).await;
    const CALLS: usize = 200;
    let baseline = post_dial_delays(&plain, &t, &pw1, &pw2, CALLS).await;
    let asked = post_dial_delays(&edge.node, &t, &pw1, &pw2, CALLS).await;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (b50, b95) = (percentile(&baseline, 0.5), percentile(&baseline, 0.95));
    let (a50, a95) = (percentile(&asked, 0.5), percentile(&asked, 0.95));
    println!(
        "post-dial delay (INVITE → 180, {} and {} calls measured, loopback):\n  \
         baseline, a registrar that asks nothing: p50 {:.2} ms  p95 {:.2} ms\n  \
         edge asking Centralita (route plan):     p50 {:.2} ms  p95 {:.2} ms\n  \
         added: p50 {:+.2} ms  p95 {:+.2} ms (target: ≤ 3 ms at p50)",
        baseline.len(),
        asked.len(),
        ms(b50),
        ms(b95),
        ms(a50),
        ms(a95),
        ms(a50) - ms(b50),
        ms(a95) - ms(b95)
    );
}

/// The media server is a switch-node setting: validated (a SIP URI of a host and port, no
/// user part or other parameters), shown in the node's view, told to the node itself, and
/// cleared with `null`; tenants' staff cannot read it.
#[tokio::test]
async fn the_media_server_is_a_validated_switch_node_setting() {
    let app = TestApp::spawn().await;
    let created = expect_json(
        app.post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "media-node", "kind": "kamailio", "addresses": ["127.0.0.1"],
                   "media_server_uri": "sip:10.0.0.5:5080"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["media_server_uri"], "sip:10.0.0.5:5080");
    let id = created["id"].as_str().unwrap();
    let token = created["token"].as_str().unwrap();
    let me = expect_json(app.get("/v1/switch/node", token).await, 200).await;
    assert_eq!(me["id"], id);
    assert_eq!(me["media_server_uri"], "sip:10.0.0.5:5080");
    assert_eq!(me["carrier_addresses"], json!([]));

    // Carriers: the platform's enabled trunks with an IP address; not a tenant's trunk, not
    // a disabled one, not one named by host name.
    let (tenant, tenant_admin) = app.tenant_with_admin("Media Tenant").await;
    for (path, token, name, host, enabled) in [
        (
            "/v1/trunks".to_owned(),
            &app.admin,
            "carrier-a",
            "198.51.100.7",
            true,
        ),
        (
            "/v1/trunks".to_owned(),
            &app.admin,
            "carrier-b",
            "2001:db8::5",
            true,
        ),
        (
            "/v1/trunks".to_owned(),
            &app.admin,
            "carrier-off",
            "198.51.100.9",
            false,
        ),
        (
            "/v1/trunks".to_owned(),
            &app.admin,
            "carrier-dns",
            "sip.carrier.example.com",
            true,
        ),
        (
            format!("/v1/tenants/{tenant}/trunks"),
            &tenant_admin,
            "byoc",
            "203.0.113.4",
            true,
        ),
    ] {
        let res = app
            .post(
                &path,
                token,
                json!({"name": name, "host": host, "enabled": enabled}),
            )
            .await;
        expect_json(res, 201).await;
    }
    let me = expect_json(app.get("/v1/switch/node", token).await, 200).await;
    assert_eq!(
        me["carrier_addresses"],
        json!(["198.51.100.7", "2001:db8::5"]),
        "{me}"
    );

    for bad in [
        "http://10.0.0.5",
        "sip:voicemail@10.0.0.5",
        "sip:10.0.0.5:0",
        "sip:10.0.0.5:5080;lr",
        "sip:bad host",
        "sip:10.0.0.5;transport=sctp",
    ] {
        let res = app
            .patch(
                &format!("/v1/switch-nodes/{id}"),
                &app.admin,
                json!({"media_server_uri": bad}),
            )
            .await;
        let p = assert_problem(res, 422, "validation_failed").await;
        assert_field_error(&p, "media_server_uri", "invalid_uri");
    }
    let view = expect_json(
        app.get(&format!("/v1/switch-nodes/{id}"), &app.admin).await,
        200,
    )
    .await;
    assert_eq!(
        view["media_server_uri"], "sip:10.0.0.5:5080",
        "nothing changed"
    );

    let res = app
        .patch(
            &format!("/v1/switch-nodes/{id}"),
            &app.admin,
            json!({"media_server_uri": "sips:media.example.com;transport=tls"}),
        )
        .await;
    assert_eq!(
        expect_json(res, 200).await["media_server_uri"],
        "sips:media.example.com;transport=tls"
    );
    let res = app
        .patch(
            &format!("/v1/switch-nodes/{id}"),
            &app.admin,
            json!({"media_server_uri": null}),
        )
        .await;
    assert!(expect_json(res, 200).await["media_server_uri"].is_null());
    let me = expect_json(app.get("/v1/switch/node", token).await, 200).await;
    assert!(me["media_server_uri"].is_null(), "{me}");

    let (_, tenant_admin) = app.tenant_with_admin("Media Tenant").await;
    let res = app
        .get(&format!("/v1/switch-nodes/{id}"), &tenant_admin)
        .await;
    assert_eq!(res.status(), 403);
    let res = app.get("/v1/switch/node", &tenant_admin).await;
    assert_eq!(res.status(), 401);
}

/// A simultaneous ring group with a phone and an outside number: both ring, the carrier
/// answers, the phone is cancelled; that outside leg is charged, once.
#[tokio::test]
async fn an_outside_member_of_a_ring_group_is_charged_when_it_answers() {
    let Some(edge) = Edge::start().await else {
        return;
    };
    let carrier_port = free_phone_port();
    let (t, pw, _) = outside_setup(&edge, "Edge Mixed Group", &[carrier_port]).await;
    crate::calls::top_up(&edge.app, &t.id, "10").await;
    let (id2, pw2) = extension(&edge.app, &t, "1002").await;
    let res = edge
        .app
        .post(
            &format!("/v1/tenants/{}/ring-groups", t.id),
            &t.token,
            json!({"number": "603", "name": "Mixed", "strategy": "simultaneous", "ring_seconds": 10,
                   "members": [
                       {"target": {"type": "extension", "id": id2}, "timeout_seconds": 10},
                       {"target": {"type": "external_number", "number": format!("+{OUTSIDE}")}, "timeout_seconds": 10}
                   ]}),
        )
        .await;
    expect_json(res, 201).await;
    edge.settle().await;
    let port2 = edge.register(&t, "1002", &pw2).await;

    let ringing = edge
        .node
        .uas_at("127.0.0.2", port2, "uas_noanswer.xml", vec![])
        .await;
    let carrier = edge
        .node
        .uas_at(CARRIER_IP, carrier_port, "uas.xml", vec![])
        .await;
    let mut args = call_args("uac_hold.xml", &t, "1001", &pw, "603");
    args.extend(["-d", "1500"].map(str::to_owned));
    let call = edge.node.sipp("mixed", args).await;
    let ringing = ringing.finish(Duration::from_secs(10)).await;
    let carrier = carrier.finish(Duration::from_secs(10)).await;
    assert!(call.ok(), "the group's outside member answers: {call}");
    assert!(ringing.ok(), "1002 rang and was cancelled: {ringing}");
    assert!(carrier.ok(), "{carrier}");

    let charges = charges_once_reported(&edge, &t).await;
    assert_eq!(
        charges.len(),
        1,
        "the answering leg is charged, once: {charges:?}"
    );
    let amount: f64 = charges[0]["amount"].as_str().unwrap().parse().unwrap();
    assert!(amount < 0.0, "the talk time cost something: {charges:?}");
    let b = crate::calls::balance(&edge.app, &t.id).await;
    assert_eq!(
        b["held"].as_str().map(|h| h.parse::<f64>().unwrap()),
        Some(0.0),
        "{b}"
    );
}
