//! `POST /v1/switch/route`: table-driven resolution tests.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

struct Pbx {
    app: TestApp,
    t: String,
    admin: String,
    domain: String,
    node: String,
}

impl Pbx {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let (t, admin) = app.tenant_with_admin("Routing Co").await;
        let domain = domain_name();
        expect_json(
            app.post(
                &format!("/v1/tenants/{t}/domains"),
                &admin,
                json!({"name": domain}),
            )
            .await,
            201,
        )
        .await;
        let node = switch_node_token(&app).await;
        Self {
            app,
            t,
            admin,
            domain,
            node,
        }
    }

    async fn ext(&self, body: Value) -> String {
        let res = self
            .app
            .post(
                &format!("/v1/tenants/{}/extensions", self.t),
                &self.admin,
                body,
            )
            .await;
        expect_json(res, 201).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn patch_ext(&self, id: &str, body: Value) {
        let res = self
            .app
            .patch(
                &format!("/v1/tenants/{}/extensions/{id}", self.t),
                &self.admin,
                body,
            )
            .await;
        expect_json(res, 200).await;
    }

    async fn vm(&self, mailbox: &str) -> String {
        let res = self
            .app
            .post(
                &format!("/v1/tenants/{}/voicemail-boxes", self.t),
                &self.admin,
                json!({"mailbox": mailbox, "pin": "480613"}),
            )
            .await;
        expect_json(res, 201).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn route_raw(&self, body: Value) -> reqwest::Response {
        self.app
            .req(Method::POST, "/v1/switch/route", &self.node)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A tenant trunk and a route sending `+1NXXNXXXXXX` and `9|.` (9 stripped) to it.
    async fn outbound_setup(&self) -> (String, String) {
        // The route presents one of the tenant's own numbers.
        claim_did(&self.app, &self.admin, &self.t, "+12125550000").await;
        let trunk = expect_json(
            self.app
                .post(
                    &format!("/v1/tenants/{}/trunks", self.t),
                    &self.admin,
                    json!({"name": "Carrier", "host": "sip.carrier.example.com"}),
                )
                .await,
            201,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let route = expect_json(
            self.app
                .post(
                    &format!("/v1/tenants/{}/outbound-routes", self.t),
                    &self.admin,
                    json!({"name": "Out", "patterns": ["+1NXXNXXXXXX", "9|."], "trunk_ids": [trunk], "caller_id_override": "+12125550000"}),
                )
                .await,
            201,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (trunk, route)
    }

    /// Puts `number` in the platform's DID inventory, on a fresh carrier trunk.
    async fn inventory_did(&self, number: &str) {
        let carrier = self.carrier_trunk("sip.carrier.example.com").await;
        let did = json!({"number": number, "carrier_trunk_id": carrier, "currency": "EUR"});
        expect_json(self.app.post("/v1/dids", &self.app.admin, did).await, 201).await;
    }

    /// A platform carrier trunk to `host`.
    async fn carrier_trunk(&self, host: &str) -> String {
        let body = json!({"name": "Carrier", "host": host});
        let res = self.app.post("/v1/trunks", &self.app.admin, body).await;
        expect_json(res, 201).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Suspends the tenant (as the platform admin).
    async fn suspend(&self) {
        let path = format!("/v1/tenants/{}", self.t);
        let body = json!({"status": "suspended"});
        expect_json(self.app.patch(&path, &self.app.admin, body).await, 200).await;
    }

    async fn route(&self, dialled: &str) -> Value {
        let res = self
            .route_raw(json!({"domain": self.domain, "caller": "1001", "destination": dialled}))
            .await;
        expect_json(res, 200).await
    }
}

#[tokio::test]
async fn resolution_table() {
    let p = Pbx::new().await;
    let vm1001 = p.vm("1001").await;
    let e1001 = p
        .ext(json!({"number": "1001", "display_name": "Ana", "voicemail_box_id": vm1001}))
        .await;
    let e1002 = p
        .ext(json!({"number": "1002", "display_name": "Ben", "dnd": true}))
        .await;
    let e1003 = p
        .ext(json!({"number": "1003", "display_name": "Cy",
            "forwarding": {"always": {"enabled": true, "destination": {"type": "extension", "id": e1001}}}}))
        .await;
    let e1004 = p
        .ext(json!({"number": "1004", "display_name": "Loop A"}))
        .await;
    let e1005 = p
        .ext(json!({"number": "1005", "display_name": "Loop B",
            "forwarding": {"always": {"enabled": true, "destination": {"type": "extension", "id": e1004}}}}))
        .await;
    p.patch_ext(&e1004, json!({"forwarding": {"always": {"enabled": true, "destination": {"type": "extension", "id": e1005}}}}))
        .await;
    let e1006 = p
        .ext(json!({"number": "1006", "display_name": "Follow",
            "follow_me": [
                {"destination": {"type": "extension", "id": e1001}, "ring_seconds": 10},
                {"destination": {"type": "external_number", "number": "+1 212 555 0100"}, "ring_seconds": 20}
            ],
            "forwarding": {"no_answer": {"enabled": true, "destination": {"type": "external_number", "number": "+12125550199"}}}}))
        .await;
    let _e1007 = p
        .ext(json!({"number": "1007", "display_name": "Off", "enabled": false,
            "forwarding": {"unreachable": {"enabled": true, "destination": {"type": "extension", "id": e1001}},
                           "busy": {"enabled": true, "destination": {"type": "hangup"}}}}))
        .await;
    let _e1008 = p
        .ext(json!({"number": "1008", "display_name": "Disabled rule",
            "forwarding": {"always": {"enabled": false, "destination": {"type": "hangup"}}}}))
        .await;

    // 1001: rings its phone; no answer / busy / unreachable go to its voicemail.
    let r = p.route("1001").await;
    let plan = &r["plan"];
    assert_eq!(r["tenant_id"], p.t.as_str());
    assert_eq!(plan["action"], "ring");
    assert_eq!(plan["legs"].as_array().unwrap().len(), 1);
    assert_eq!(plan["legs"][0]["type"], "extension");
    assert_eq!(plan["legs"][0]["extension_id"], e1001.as_str());
    assert_eq!(plan["legs"][0]["sip_uri"], format!("1001@{}", p.domain));
    for outcome in ["on_no_answer", "on_busy", "on_unreachable"] {
        assert_eq!(plan[outcome]["action"], "voicemail", "{outcome}: {plan}");
        assert_eq!(plan[outcome]["mailbox"], "1001");
    }

    // 1002: do-not-disturb, no voicemail, no busy rule → busy.
    assert_eq!(
        p.route("1002").await["plan"],
        json!({"action": "hangup", "reason": "busy"})
    );
    let _ = e1002;

    // 1003: forward always → 1001's plan.
    let r = p.route("1003").await;
    assert_eq!(r["plan"], plan.clone(), "{r}");
    assert!(
        r["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "forward always")
    );
    let _ = e1003;

    // 1004 ⇄ 1005: a forwarding loop ends, with a reason.
    for n in ["1004", "1005"] {
        let r = p.route(n).await;
        assert_eq!(
            r["plan"],
            json!({"action": "hangup", "reason": "loop"}),
            "{r}"
        );
    }

    // 1006: follow-me rings itself, then 1001, then the outside number, in order; no answer
    // goes to the forwarding rule (an outside number).
    let r = p.route("1006").await;
    let plan = &r["plan"];
    assert_eq!(plan["strategy"], "sequential");
    let legs = plan["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 3);
    assert_eq!(legs[0]["extension_id"], e1006.as_str());
    assert_eq!(legs[1]["extension_id"], e1001.as_str());
    assert_eq!(legs[1]["ring_seconds"], 10);
    assert_eq!(
        legs[2],
        json!({"type": "external", "number": "+12125550100", "delay_seconds": 0, "ring_seconds": 20})
    );
    assert_eq!(
        plan["on_no_answer"],
        json!({"action": "hangup", "reason": "no_route"}),
        "no outbound route is configured here"
    );
    assert_eq!(
        plan["on_busy"],
        json!({"action": "hangup", "reason": "busy"})
    );

    // 1007: disabled → its unreachable rule (1001's plan).
    let r = p.route("1007").await;
    assert_eq!(r["plan"]["action"], "ring");
    assert_eq!(r["plan"]["legs"][0]["extension_id"], e1001.as_str());

    // 1008: a disabled "always" rule is ignored.
    assert_eq!(p.route("1008").await["plan"]["action"], "ring");

    // Anything else goes out — when an outbound route takes it (none here).
    assert_eq!(
        p.route("0034911234567").await["plan"],
        json!({"action": "hangup", "reason": "no_route"})
    );
}

#[tokio::test]
async fn bad_route_requests() {
    let p = Pbx::new().await;
    p.ext(json!({"number": "1001", "display_name": "Ana"}))
        .await;
    let ok = json!({"domain": p.domain, "caller": "1001", "destination": "1001"});
    // Unknown domain; suspended tenants are unknown too.
    let res = p
        .route_raw(json!({"domain": "nowhere.example.com", "caller": "1", "destination": "1001"}))
        .await;
    assert_problem(res, 404, "not_found").await;
    // Bad bodies.
    for body in [
        json!({"domain": p.domain, "caller": "1001"}),
        json!({"domain": p.domain, "caller": "1001", "destination": ""}),
        json!({"domain": p.domain, "caller": "1001", "destination": "1001", "source": "carrier"}),
        json!({"domain": p.domain, "caller": "1001", "destination": "1001", "extra": true}),
    ] {
        assert_problem(p.route_raw(body).await, 422, "validation_failed").await;
    }
    // Only switch nodes.
    for token in [p.admin.as_str(), p.app.admin.as_str()] {
        let res = p
            .app
            .req(Method::POST, "/v1/switch/route", token)
            .json(&ok)
            .send()
            .await
            .unwrap();
        assert_problem(res, 401, "unauthenticated").await;
    }
    assert_eq!(p.route_raw(ok.clone()).await.status(), 200);
    p.suspend().await;
    assert_problem(p.route_raw(ok).await, 404, "not_found").await;
}

#[tokio::test]
async fn another_tenants_numbers_are_never_reached() {
    let p = Pbx::new().await;
    // Tenant B has 1001; tenant A (p) has nothing on 1001.
    let (tb, admin_b) = p.app.tenant_with_admin("Other").await;
    expect_json(
        p.app
            .post(
                &format!("/v1/tenants/{tb}/extensions"),
                &admin_b,
                json!({"number": "1001", "display_name": "B"}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(
        p.route("1001").await["plan"],
        json!({"action": "hangup", "reason": "no_route"})
    );
}

#[tokio::test]
async fn call_flow_objects_resolve() {
    let p = Pbx::new().await;
    let vm = p.vm("2000").await;
    let a = p.ext(json!({"number": "2001", "display_name": "A"})).await;
    let b = p.ext(json!({"number": "2002", "display_name": "B"})).await;
    let _dnd = p
        .ext(json!({"number": "2003", "display_name": "Busy", "dnd": true}))
        .await;
    let t = p.t.clone();
    let post = |path: &'static str, body: Value| {
        let app = &p.app;
        let url = format!("/v1/tenants/{t}/{path}");
        let admin = p.admin.clone();
        async move {
            expect_json(app.post(&url, &admin, body).await, 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let dnd_id = list_all(
        &p.app,
        &format!("/v1/tenants/{t}/extensions?number=2003"),
        &p.admin,
    )
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let _group = post(
        "ring-groups",
        json!({"number": "600", "name": "Sales", "strategy": "sequential", "members": [
            {"target": {"type": "extension", "id": a}, "timeout_seconds": 15},
            {"target": {"type": "extension", "id": dnd_id}},
            {"target": {"type": "external_number", "number": "+12125550100"}, "delay_seconds": 5}
        ], "fallback": {"type": "voicemail_box", "id": vm}}),
    )
    .await;
    let _queue = post(
        "queues",
        json!({"number": "700", "name": "Support", "agents": [
            {"extension_id": b, "tier": 2}, {"extension_id": a, "tier": 1}
        ], "timeout_destination": {"type": "voicemail_box", "id": vm}}),
    )
    .await;
    let _conf = post(
        "conferences",
        json!({"number": "800", "name": "Bridge", "pin": "482913"}),
    )
    .await;

    // Ring group: available members in order (the DND one skipped), fallback on every outcome.
    let plan = p.route("600").await["plan"].clone();
    assert_eq!(plan["action"], "ring");
    assert_eq!(plan["strategy"], "sequential");
    let legs = plan["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2, "{plan}");
    assert_eq!(legs[0]["extension_id"], a.as_str());
    assert_eq!(legs[0]["ring_seconds"], 15);
    assert_eq!(
        legs[1],
        json!({"type": "external", "number": "+12125550100", "delay_seconds": 5, "ring_seconds": 20})
    );
    for outcome in ["on_no_answer", "on_busy", "on_unreachable"] {
        assert_eq!(plan[outcome]["action"], "voicemail");
        assert_eq!(plan[outcome]["mailbox"], "2000");
    }

    // Queue: agents by tier, timeout to voicemail.
    let plan = p.route("700").await["plan"].clone();
    assert_eq!(plan["action"], "queue");
    assert_eq!(plan["agents"][0]["extension_id"], a.as_str());
    assert_eq!(plan["agents"][1]["extension_id"], b.as_str());
    assert_eq!(plan["on_timeout"]["action"], "voicemail");

    // Conference: PIN required, never the PIN.
    let r = p.route("800").await;
    assert_eq!(r["plan"]["action"], "conference");
    assert_eq!(r["plan"]["pin_required"], true);
    assert!(!r.to_string().contains("482913"));

    // An extension forwarding to the ring group resolves through it.
    p.patch_ext(&b, json!({"forwarding": {"always": {"enabled": true, "destination": {"type": "ring_group", "id": _group}}}}))
        .await;
    assert_eq!(
        p.route("2002").await["plan"]["legs"][0]["extension_id"],
        a.as_str()
    );
}

/// Answers come from the cache until the tenant changes; any change is seen at once.
#[tokio::test]
async fn cached_answers_follow_changes() {
    let p = Pbx::new().await;
    let a = p.ext(json!({"number": "2001", "display_name": "A"})).await;
    let first = p.route("2001").await;
    assert_eq!(first["plan"]["action"], "ring");
    assert_eq!(p.route("2001").await, first, "a repeat is the same answer");
    p.patch_ext(&a, json!({"dnd": true})).await;
    assert_eq!(
        p.route("2001").await["plan"],
        json!({"action": "hangup", "reason": "busy"})
    );
    let res = p
        .app
        .delete(&format!("/v1/tenants/{}/extensions/{a}", p.t), &p.admin)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        p.route("2001").await["plan"],
        json!({"action": "hangup", "reason": "no_route"})
    );
}

/// A platform change (here a carrier trunk's host) reaches every tenant's cached answers
/// at once, like a change of the tenant's own.
#[tokio::test]
async fn a_carrier_trunk_change_reaches_cached_answers() {
    let p = Pbx::new().await;
    let carrier = p.carrier_trunk("sip.old.example.com").await;
    let routes = format!("/v1/tenants/{}/outbound-routes", p.t);
    let body = json!({"name": "Out", "patterns": ["9|."], "trunk_ids": [carrier]});
    assert_eq!(p.app.post(&routes, &p.admin, body).await.status(), 201);
    for _ in 0..2 {
        let plan = p.route("90034911234567").await["plan"].clone();
        assert_eq!(plan["trunks"][0]["host"], "sip.old.example.com");
    }
    let res = p
        .app
        .patch(
            &format!("/v1/trunks/{carrier}"),
            &p.app.admin,
            json!({"host": "sip.new.example.com"}),
        )
        .await;
    expect_json(res, 200).await;
    let plan = p.route("90034911234567").await["plan"].clone();
    assert_eq!(plan["trunks"][0]["host"], "sip.new.example.com");
}

#[tokio::test]
async fn outbound_calls_take_the_matching_route() {
    let p = Pbx::new().await;
    let (trunk, route) = p.outbound_setup().await;
    let plan = p.route("90034911234567").await["plan"].clone();
    assert_eq!(plan["action"], "outbound");
    assert_eq!(plan["route_id"], route.as_str());
    assert_eq!(plan["send"], "0034911234567", "the 9 prefix is stripped");
    assert_eq!(plan["trunks"][0]["trunk_id"], trunk.as_str());
    assert_eq!(plan["trunks"][0]["host"], "sip.carrier.example.com");
    assert_eq!(plan["caller_id"], "+12125550000");
    // Forwarding to an outside number uses the same routes.
    p.ext(json!({"number": "1001", "display_name": "A",
        "forwarding": {"always": {"enabled": true, "destination": {"type": "external_number", "number": "+12125550199"}}}}))
        .await;
    let plan = p.route("1001").await["plan"].clone();
    assert_eq!(plan["action"], "outbound");
    assert_eq!(plan["send"], "+12125550199");
    // No route for it: a clear reason.
    assert_eq!(
        p.route("123").await["plan"],
        json!({"action": "hangup", "reason": "no_route"})
    );
}

#[tokio::test]
async fn inbound_calls_follow_the_did() {
    let p = Pbx::new().await;
    let ext = p
        .ext(json!({"number": "1001", "display_name": "Reception"}))
        .await;
    p.inventory_did("+34 911 23 45 67").await;
    let inbound = |number: &str| json!({"domain": p.domain, "caller": "+12125550100", "destination": number, "source": "trunk"});
    // Not claimed yet: unknown.
    assert_eq!(
        expect_json(p.route_raw(inbound("+34911234567")).await, 200).await["plan"]["reason"],
        "unknown_did"
    );
    let claimed = expect_json(
        p.app
            .post(
                &format!("/v1/tenants/{}/dids", p.t),
                &p.admin,
                json!({"number": "+34911234567"}),
            )
            .await,
        201,
    )
    .await;
    let did_path = format!(
        "/v1/tenants/{}/dids/{}",
        p.t,
        claimed["id"].as_str().unwrap()
    );
    assert_eq!(
        expect_json(p.route_raw(inbound("+34911234567")).await, 200).await["plan"]["reason"],
        "no_destination"
    );
    expect_json(
        p.app
            .patch(
                &did_path,
                &p.admin,
                json!({"destination": {"type": "extension", "id": ext}}),
            )
            .await,
        200,
    )
    .await;
    let plan =
        expect_json(p.route_raw(inbound("+34 91 123 45 67")).await, 200).await["plan"].clone();
    assert_eq!(plan["action"], "ring");
    assert_eq!(plan["legs"][0]["extension_id"], ext.as_str());
    // Another tenant's domain never reaches this DID.
    let (t2, admin2) = p.app.tenant_with_admin("Other").await;
    let d2 = domain_name();
    expect_json(
        p.app
            .post(
                &format!("/v1/tenants/{t2}/domains"),
                &admin2,
                json!({"name": d2}),
            )
            .await,
        201,
    )
    .await;
    let other = json!({"domain": d2, "caller": "+12125550100", "destination": "+34911234567", "source": "trunk"});
    assert_eq!(
        expect_json(p.route_raw(other).await, 200).await["plan"]["reason"],
        "unknown_did"
    );
}

/// Deleting a tenant takes its whole PBX with it and returns its DIDs to the inventory.
#[tokio::test]
async fn deleting_a_tenant_removes_its_pbx_and_frees_its_dids() {
    let p = Pbx::new().await;
    let vm = p.vm("1001").await;
    let ext = p
        .ext(json!({"number": "1001", "display_name": "A", "voicemail_box_id": vm,
            "forwarding": {"busy": {"enabled": true, "destination": {"type": "voicemail_box", "id": vm}}}}))
        .await;
    p.outbound_setup().await;
    let t = p.t.clone();
    expect_json(
        p.app
            .post(&format!("/v1/tenants/{t}/ring-groups"), &p.admin,
                json!({"number": "600", "name": "G", "members": [{"target": {"type": "extension", "id": ext}}]}))
            .await,
        201,
    )
    .await;
    let carrier = expect_json(
        p.app
            .post(
                "/v1/trunks",
                &p.app.admin,
                json!({"name": "Carrier", "host": "sip.carrier.example.com"}),
            )
            .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let did = expect_json(
        p.app
            .post(
                "/v1/dids",
                &p.app.admin,
                json!({"number": "+34911234567", "carrier_trunk_id": carrier, "currency": "EUR"}),
            )
            .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let claimed = expect_json(
        p.app
            .post(
                &format!("/v1/tenants/{t}/dids"),
                &p.admin,
                json!({"did_id": did}),
            )
            .await,
        201,
    )
    .await;
    expect_json(
        p.app
            .patch(
                &format!("/v1/tenants/{t}/dids/{}", claimed["id"].as_str().unwrap()),
                &p.admin,
                json!({"destination": {"type": "extension", "id": ext}}),
            )
            .await,
        200,
    )
    .await;
    let res = p
        .app
        .delete(&format!("/v1/tenants/{t}"), &p.app.admin)
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let d = expect_json(
        p.app.get(&format!("/v1/dids/{did}"), &p.app.admin).await,
        200,
    )
    .await;
    assert_eq!(d["status"], "available", "{d}");
    assert!(d["tenant_id"].is_null());
    assert_problem(
        p.route_raw(json!({"domain": p.domain, "caller": "x", "destination": "1001"}))
            .await,
        404,
        "not_found",
    )
    .await;
}

/// IVR menus: every key's plan expanded, a submenu's "back" key and a replaying timeout
/// become `goto_ivr` (a caller's key press breaks those cycles, so they are not loops), a
/// recorded greeting is fetched by the switch from the URL in the plan.
#[tokio::test]
async fn ivr_menus_resolve() {
    let p = Pbx::new().await;
    let vm = p.vm("2000").await;
    let a = p
        .ext(json!({"number": "2001", "display_name": "Sales", "voicemail_box_id": vm}))
        .await;
    let menus = format!("/v1/tenants/{}/ivr-menus", p.t);
    let create = |body: Value| {
        let app = &p.app;
        let url = menus.clone();
        let admin = p.admin.clone();
        async move {
            expect_json(app.post(&url, &admin, body).await, 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let main = create(json!({"number": "500", "name": "Main",
        "greeting": {"type": "text", "text": "Welcome to Routing Co", "language": "en-gb"},
        "direct_dial": true, "timeout_seconds": 7, "invalid_retries": 1,
        "options": [{"digit": "1", "destination": {"type": "extension", "id": a}}],
        "timeout_destination": {"type": "voicemail_box", "id": vm}}))
    .await;
    let sub = create(json!({"number": "510", "name": "Support",
        "greeting": {"type": "text", "text": "Support"},
        "options": [
            {"digit": "9", "destination": {"type": "ivr_menu", "id": main}},
            {"digit": "#", "destination": {"type": "external_number", "number": "+34911234567"}},
        ],
        "timeout_destination": {"type": "ivr_menu", "id": main}}))
    .await;
    expect_json(
        p.app
            .patch(
                &format!("{menus}/{main}"),
                &p.admin,
                json!({"options": [
                    {"digit": "1", "destination": {"type": "extension", "id": a}},
                    {"digit": "2", "destination": {"type": "ivr_menu", "id": sub}},
                    {"digit": "0", "destination": {"type": "hangup"}}
                ], "invalid_destination": {"type": "ivr_menu", "id": main}}),
            )
            .await,
        200,
    )
    .await;

    let r = p.route("500").await;
    let plan = &r["plan"];
    assert_eq!(plan["action"], "ivr", "{r}");
    assert_eq!(plan["ivr_menu_id"], main.as_str());
    assert_eq!(plan["number"], "500");
    assert_eq!(
        plan["greeting"],
        json!({"type": "text", "text": "Welcome to Routing Co", "language": "en-gb"})
    );
    assert_eq!(plan["timeout_seconds"], 7);
    assert_eq!(plan["invalid_retries"], 1);
    assert_eq!(plan["direct_dial"], true);
    let options = plan["options"].as_array().unwrap();
    let digits: Vec<&str> = options
        .iter()
        .map(|o| o["digit"].as_str().unwrap())
        .collect();
    assert_eq!(digits, ["1", "2", "0"]);
    // 1: the extension, with its voicemail on every outcome.
    assert_eq!(options[0]["plan"]["action"], "ring");
    assert_eq!(options[0]["plan"]["legs"][0]["extension_id"], a.as_str());
    assert_eq!(options[0]["plan"]["on_no_answer"]["action"], "voicemail");
    // 2: the submenu, by reference: the switch asks for its plan when the caller gets there.
    assert_eq!(
        options[1]["plan"],
        json!({"action": "goto_ivr", "ivr_menu_id": sub, "number": "510"})
    );
    let back = json!({"action": "goto_ivr", "ivr_menu_id": main, "number": "500"});
    // 0: hang up; no key: voicemail; a wrong key: the menu again.
    assert_eq!(
        options[2]["plan"],
        json!({"action": "hangup", "reason": "hangup"})
    );
    assert_eq!(plan["on_timeout"]["action"], "voicemail");
    assert_eq!(plan["on_timeout"]["mailbox"], "2000");
    assert_eq!(plan["on_invalid"], back);
    let trace: Vec<&str> = r["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(trace.contains(&"IVR menu 500 (3 options)"), "{trace:?}");
    assert!(trace.contains(&"goto IVR menu 510"), "{trace:?}");

    // The submenu's plan, as the switch asks for it (source `ivr`): its 9 and its timeout
    // go back to the main menu, whose own timeout ends at voicemail, so no silent loop.
    let ivr = |number: &str| json!({"domain": p.domain, "caller": "+12125550100", "destination": number, "source": "ivr"});
    let submenu = expect_json(p.route_raw(ivr("510")).await, 200).await["plan"].clone();
    assert_eq!(submenu["action"], "ivr");
    assert_eq!(submenu["ivr_menu_id"], sub.as_str());
    assert_eq!(submenu["options"][0]["digit"], "9");
    assert_eq!(submenu["options"][0]["plan"], back);
    assert_eq!(
        submenu["options"][1]["plan"],
        json!({"action": "hangup", "reason": "no_route"}),
        "the tenant's own option may call out (no outbound route yet)"
    );
    assert_eq!(submenu["on_timeout"], back);

    // Direct dial: the caller's digits reach internal numbers, never an outside line, even
    // where an internal caller would get one.
    p.outbound_setup().await;
    assert_eq!(p.route("+12125550123").await["plan"]["action"], "outbound");
    let plan = expect_json(p.route_raw(ivr("+12125550123")).await, 200).await["plan"].clone();
    assert_eq!(plan, json!({"action": "hangup", "reason": "not_internal"}));
    let plan = expect_json(p.route_raw(ivr("912125550123")).await, 200).await["plan"].clone();
    assert_eq!(plan, json!({"action": "hangup", "reason": "not_internal"}));
    let plan = expect_json(p.route_raw(ivr("2001")).await, 200).await["plan"].clone();
    assert_eq!(plan["legs"][0]["extension_id"], a.as_str());

    // A silent caller sent on to a phone whose no-answer comes back to the menu would go
    // round forever: that branch ends; a key press leading to the same phone does not.
    let loopy = p
        .ext(json!({"number": "2009", "display_name": "Loopy"}))
        .await;
    let third = create(json!({"number": "530", "name": "Third",
        "greeting": {"type": "text", "text": "Third"},
        "options": [{"digit": "1", "destination": {"type": "extension", "id": loopy}}],
        "timeout_destination": {"type": "extension", "id": loopy}}))
    .await;
    p.patch_ext(&loopy, json!({"forwarding": {"no_answer": {"enabled": true, "destination": {"type": "ivr_menu", "id": third}}}}))
        .await;
    let r = p.route("530").await;
    let plan = &r["plan"];
    assert_eq!(
        plan["options"][0]["plan"]["on_no_answer"],
        json!({"action": "goto_ivr", "ivr_menu_id": third, "number": "530"})
    );
    assert_eq!(plan["on_timeout"]["action"], "ring");
    assert_eq!(
        plan["on_timeout"]["on_no_answer"],
        json!({"action": "hangup", "reason": "loop"}),
        "{r}"
    );

    // A recorded greeting: the plan names the switch URL and the digest; the node fetches
    // the audio there, a user token cannot.
    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    wav.extend_from_slice(&[0u8; 40]);
    let res = send_raw(
        &p.app,
        Method::PUT,
        &format!("{menus}/{main}/greeting"),
        &p.admin,
        Some("audio/wav"),
        wav.clone(),
    )
    .await;
    let sha = expect_json(res, 200).await["greeting"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let greeting = p.route("500").await["plan"]["greeting"].clone();
    let url = format!("/v1/switch/ivr-menus/{main}/greeting/{sha}");
    assert_eq!(
        greeting,
        json!({"type": "recording", "url": url, "content_type": "audio/wav", "sha256": sha})
    );
    let res = p.app.get(&url, &p.node).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), wav);
    assert_problem(p.app.get(&url, &p.admin).await, 401, "unauthenticated").await;
    // Another digest (an older plan) or a menu without a recording: 404, never other audio.
    for stale in [
        format!("/v1/switch/ivr-menus/{main}/greeting/{}", "0".repeat(64)),
        format!("/v1/switch/ivr-menus/{sub}/greeting/{sha}"),
    ] {
        assert_problem(p.app.get(&stale, &p.node).await, 404, "not_found").await;
    }

    // A DID can land on the menu.
    p.inventory_did("+34911234500").await;
    let did = expect_json(
        p.app
            .post(
                &format!("/v1/tenants/{}/dids", p.t),
                &p.admin,
                json!({"number": "+34911234500"}),
            )
            .await,
        201,
    )
    .await;
    expect_json(
        p.app
            .patch(
                &format!("/v1/tenants/{}/dids/{}", p.t, did["id"].as_str().unwrap()),
                &p.admin,
                json!({"destination": {"type": "ivr_menu", "id": main}}),
            )
            .await,
        200,
    )
    .await;
    let inbound = json!({"domain": p.domain, "caller": "+12125550100", "destination": "+34911234500", "source": "trunk"});
    let plan = expect_json(p.route_raw(inbound).await, 200).await["plan"].clone();
    assert_eq!(plan["action"], "ivr");
    assert_eq!(plan["ivr_menu_id"], main.as_str());

    // A suspended tenant's greetings are not served either.
    p.suspend().await;
    assert_problem(p.app.get(&url, &p.node).await, 404, "not_found").await;
}

/// A customer's phones stop with its partner: suspending any tenant above it turns its
/// routes and directory into 404s at once (cached answers included), and reactivating
/// brings them back.
#[tokio::test]
async fn a_suspended_partner_stops_its_customers_calls() {
    let app = TestApp::spawn().await;
    let partner = app.create_tenant(&app.admin, "Partner Co", None).await;
    let customer = app
        .create_tenant(&app.admin, "Customer Co", Some(&partner))
        .await;
    let domain = add_domain(&app, &app.admin, &customer).await;
    create_extension(
        &app,
        &app.admin,
        &customer,
        json!({"number": "2001", "display_name": "A"}),
    )
    .await;
    let node = switch_node_token(&app).await;
    let route = || {
        app.req(Method::POST, "/v1/switch/route", &node)
            .json(&json!({"domain": domain, "caller": "2001", "destination": "2001"}))
            .send()
    };
    let directory = format!("/v1/switch/directory/{domain}/2001");
    let set_status = |status: &'static str| {
        let path = format!("/v1/tenants/{partner}");
        let app = &app;
        async move {
            let res = app
                .patch(&path, &app.admin, json!({"status": status}))
                .await;
            expect_json(res, 200).await;
        }
    };
    assert_eq!(
        expect_json(route().await.unwrap(), 200).await["plan"]["action"],
        "ring"
    );
    assert_eq!(app.get(&directory, &node).await.status(), 200);

    set_status("suspended").await;
    assert_problem(route().await.unwrap(), 404, "not_found").await;
    assert_problem(app.get(&directory, &node).await, 404, "not_found").await;

    set_status("active").await;
    assert_eq!(
        expect_json(route().await.unwrap(), 200).await["plan"]["action"],
        "ring"
    );
    assert_eq!(app.get(&directory, &node).await.status(), 200);
}
