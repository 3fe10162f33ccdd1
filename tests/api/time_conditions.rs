//! Time conditions: CRUD, `evaluate` across a DST change, routing through them.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn office_hours(matched: Value, unmatched: Value) -> Value {
    json!({
        "name": "Office hours",
        "schedule": {
            "time_zone": "America/New_York",
            "rules": [{"weekdays": ["mon-fri"], "times": ["09:00-17:00"]}],
            "exceptions": [{"dates": ["2026-12-25"]}]
        },
        "matched_destination": matched,
        "unmatched_destination": unmatched
    })
}

#[tokio::test]
async fn crud_and_evaluate_across_dst() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Hours Co").await;
    let base = format!("/v1/tenants/{t}/time-conditions");
    let res = app
        .post(
            &base,
            &admin,
            office_hours(json!({"type": "hangup"}), json!({"type": "hangup"})),
        )
        .await;
    let location = header(&res, "location");
    let created = expect_json(res, 201).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("{base}/{id}"));
    assert_eq!(created["schedule"]["time_zone"], "America/New_York");
    assert_eq!(
        expect_json(app.get(&location, &admin).await, 200).await,
        created
    );
    assert_eq!(list_all(&app, &base, &admin).await.len(), 1);

    // 13:30 UTC is 08:30 in New York on Friday 6 March (EST, UTC-5) but 09:30 on Monday
    // 9 March (EDT, UTC-4): the same UTC time falls on both sides of office hours.
    let eval = |at: &str| {
        let url = format!("{location}/evaluate?at={at}");
        let app = &app;
        let admin = admin.clone();
        async move { expect_json(app.get(&url, &admin).await, 200).await }
    };
    let before = eval("2026-03-06T13:30:00Z").await;
    assert_eq!(before["matched"], false, "{before}");
    assert_eq!(before["local_time"], "2026-03-06T08:30:00-05:00");
    let after = eval("2026-03-09T13:30:00Z").await;
    assert_eq!(after["matched"], true, "{after}");
    assert_eq!(after["rule"], 0);
    assert_eq!(after["local_time"], "2026-03-09T09:30:00-04:00");
    // Christmas is an exception even inside office hours.
    let xmas = eval("2026-12-25T15:00:00Z").await;
    assert_eq!(xmas["matched"], false);
    assert_eq!(xmas["exception"], 0);
    assert_problem(
        app.get(&format!("{location}/evaluate?at=yesterday"), &admin)
            .await,
        400,
        "invalid_query",
    )
    .await;

    // Patch, no-op patch, stale If-Match, delete.
    let v = expect_json(
        app.patch(&location, &admin, json!({"name": "Hours"})).await,
        200,
    )
    .await;
    assert_eq!(v["version"], 2);
    assert_eq!(
        expect_json(
            app.patch(&location, &admin, json!({"name": "Hours"})).await,
            200
        )
        .await["version"],
        2
    );
    let res = app
        .req(Method::DELETE, &location, &admin)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(app.delete(&location, &admin).await.status(), 204);
    assert_problem(app.get(&location, &admin).await, 404, "not_found").await;
    assert_eq!(
        audit_events(&app, "resource_type=time_condition")
            .await
            .len(),
        3
    );
}

#[tokio::test]
async fn bad_schedules_and_destinations_change_nothing() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Strict hours").await;
    let (t2, admin2) = app.tenant_with_admin("Neighbour").await;
    let foreign = expect_json(
        app.post(
            &format!("/v1/tenants/{t2}/extensions"),
            &admin2,
            json!({"number": "1001", "display_name": "X"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("/v1/tenants/{t}/time-conditions");
    let hang = json!({"type": "hangup"});
    let mut bad_zone = office_hours(hang.clone(), hang.clone());
    bad_zone["schedule"]["time_zone"] = json!("Mars/Olympus");
    let mut bad_time = office_hours(hang.clone(), hang.clone());
    bad_time["schedule"]["rules"][0]["times"] = json!(["25:00-26:00"]);
    let mut no_rules = office_hours(hang.clone(), hang.clone());
    no_rules["schedule"]["rules"] = json!([]);
    let foreign_dest = office_hours(json!({"type": "extension", "id": foreign}), hang.clone());
    for (body, field) in [
        (bad_zone, "schedule"),
        (bad_time, "schedule"),
        (no_rules, "schedule"),
        (foreign_dest, "matched_destination"),
    ] {
        let p = assert_problem(
            app.post(&base, &admin, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    assert!(list_all(&app, &base, &admin).await.is_empty());
    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    assert_problem(app.get(&base, &user).await, 403, "forbidden").await;
}

#[tokio::test]
async fn calls_follow_the_branch_of_the_moment() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Routed hours").await;
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
    let vm = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/voicemail-boxes"),
            &admin,
            json!({"mailbox": "1000", "pin": "480613"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let desk = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions"),
            &admin,
            json!({"number": "1001", "display_name": "Desk"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tc = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/time-conditions"),
            &admin,
            office_hours(
                json!({"type": "extension", "id": desk}),
                json!({"type": "voicemail_box", "id": vm}),
            ),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The main number forwards everything to the time condition.
    let main = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions"),
            &admin,
            json!({"number": "1000", "display_name": "Main",
                "forwarding": {"always": {"enabled": true, "destination": {"type": "time_condition", "id": tc}}}}),
        )
        .await,
        201,
    )
    .await;
    let route = |at: &str| {
        let body = json!({"domain": domain, "caller": "x", "destination": "1000", "at": at});
        let app = &app;
        let node = node.clone();
        async move {
            let res = app
                .req(Method::POST, "/v1/switch/route", &node)
                .json(&body)
                .send()
                .await
                .unwrap();
            expect_json(res, 200).await["plan"].clone()
        }
    };
    let before = route("2026-03-06T13:30:00Z").await;
    assert_eq!(before["action"], "voicemail", "{before}");
    let after = route("2026-03-09T13:30:00Z").await;
    assert_eq!(after["action"], "ring", "{after}");
    assert_eq!(after["legs"][0]["extension_id"], desk.as_str());
    // Still referenced by the main number: 409.
    let res = app
        .delete(&format!("/v1/tenants/{t}/time-conditions/{tc}"), &admin)
        .await;
    let p = assert_problem(res, 409, "conflict").await;
    assert!(
        p["errors"]
            .to_string()
            .contains(main["id"].as_str().unwrap()),
        "{p}"
    );
}
