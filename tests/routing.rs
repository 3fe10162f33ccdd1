//! `POST /v1/switch/route`: table-driven resolution tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
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
        let node = expect_json(
            app.post(
                "/v1/switch-nodes",
                &app.admin,
                json!({"name": "edge", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
            )
            .await,
            201,
        )
        .await["token"]
            .as_str()
            .unwrap()
            .to_owned();
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
        json!({"action": "outbound", "number": "+12125550199"})
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

    // Anything else goes out.
    assert_eq!(
        p.route("0034911234567").await["plan"],
        json!({"action": "outbound", "number": "0034911234567"})
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
    expect_json(
        p.app
            .patch(
                &format!("/v1/tenants/{}", p.t),
                &p.app.admin,
                json!({"status": "suspended"}),
            )
            .await,
        200,
    )
    .await;
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
        json!({"action": "outbound", "number": "1001"})
    );
}
