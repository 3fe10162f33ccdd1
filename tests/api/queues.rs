//! `/v1/tenants/{tenant_id}/queues`: CRUD, agents and timeout destination checked against
//! the tenant, the shared number space, references on delete, versions.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn queues(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/queues")
}

#[tokio::test]
async fn queue_crud_versions_and_audit() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Queues").await;
    let a = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;
    let b = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "202", "display_name": "Bea"}),
    )
    .await;
    let vm = create_box(&app, &token, &tenant, "201").await;

    let res = app
        .post(
            &queues(&tenant),
            &token,
            json!({
                "number": "700", "name": "Support", "strategy": "longest_idle",
                "agents": [{"extension_id": a["id"], "tier": 1}, {"extension_id": b["id"], "tier": 2}],
                "max_wait_seconds": 120, "wrap_up_seconds": 5, "music_on_hold": "jazz",
                "timeout_destination": {"type": "voicemail_box", "id": vm["id"]}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["strategy"], "longest_idle");
    assert_eq!(created["agents"][1]["tier"], 2);
    assert_eq!(created["music_on_hold"], "jazz");
    assert_eq!(created["timeout_destination"]["type"], "voicemail_box");
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await,
        created
    );
    assert_eq!(
        list_all(&app, &queues(&tenant), &token).await,
        vec![created.clone()]
    );
    let page = expect_json(
        app.get(&format!("{}?strategy=ring_all", queues(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert!(page["items"].as_array().unwrap().is_empty());

    // Defaults.
    let plain = expect_json(
        app.post(
            &queues(&tenant),
            &token,
            json!({"number": "701", "name": "Plain"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(plain["strategy"], "ring_all");
    assert_eq!(plain["max_wait_seconds"], 300);
    assert_eq!(plain["music_on_hold"], "default");
    assert_eq!(plain["timeout_destination"], json!({"type": "hangup"}));

    let res = app
        .patch(
            &location,
            &token,
            json!({"name": "Support", "agents": created["agents"]}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["version"], 1, "no-op patch");
    let res = app
        .patch(
            &location,
            &token,
            json!({"agents": [{"extension_id": b["id"]}], "wrap_up_seconds": 0}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(
        changed["agents"],
        json!([{"extension_id": b["id"], "tier": 1}])
    );
    // Ana is no longer an agent, so her extension can go; Bea's cannot.
    let a_path = format!("{}/{}", extensions_path(&tenant), a["id"].as_str().unwrap());
    let b_path = format!("{}/{}", extensions_path(&tenant), b["id"].as_str().unwrap());
    let vm_path = format!("{}/{}", boxes_path(&tenant), vm["id"].as_str().unwrap());
    assert_problem(app.delete(&b_path, &token).await, 409, "conflict").await;
    assert_problem(app.delete(&vm_path, &token).await, 409, "conflict").await;
    assert_eq!(app.delete(&a_path, &token).await.status(), 204);

    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(app.delete(&location, &token).await.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    assert_eq!(app.delete(&b_path, &token).await.status(), 204);
    let actions: Vec<String> = audit_events(&app, &format!("resource_id={id}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        vec!["queue.create", "queue.update", "queue.delete"]
    );
}

#[tokio::test]
async fn queue_bad_input_and_conflicts() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Queues bad").await;
    let a = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;

    let res = app
        .post(
            &queues(&tenant),
            &token,
            json!({
                "number": "x", "name": "",
                "agents": [{"extension_id": a["id"], "tier": 0}, {"extension_id": a["id"]}, {"extension_id": Uuid::now_v7()}],
                "max_wait_seconds": 5, "wrap_up_seconds": 601, "music_on_hold": "Jazz Club",
                "timeout_destination": {"type": "external_number", "number": "555"}
            }),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    for (field, code) in [
        ("number", "invalid_number"),
        ("name", "invalid_length"),
        ("agents[0].tier", "out_of_range"),
        ("agents[1].extension_id", "duplicate_agent"),
        ("agents[2].extension_id", "unknown_destination"),
        ("max_wait_seconds", "out_of_range"),
        ("wrap_up_seconds", "out_of_range"),
        ("music_on_hold", "invalid_name"),
    ] {
        assert_field_error(&p, field, code);
    }
    assert!(
        field_errors(&p)
            .iter()
            .any(|(f, _)| f.starts_with("timeout_destination")),
        "{p}"
    );
    let res = app
        .post(
            &queues(&tenant),
            &token,
            json!({"number": "700", "name": "Q", "strategy": "ring-all"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(list_all(&app, &queues(&tenant), &token).await.is_empty());

    let res = app
        .post(
            &queues(&tenant),
            &token,
            json!({"number": "201", "name": "Clash"}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 409, "conflict").await,
        "number",
        "number_taken",
    );

    // A ring group falling back to the queue keeps it alive.
    let q = expect_json(
        app.post(
            &queues(&tenant),
            &token,
            json!({"number": "700", "name": "Q"}),
        )
        .await,
        201,
    )
    .await;
    let g = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/ring-groups"),
            &token,
            json!({"number": "600", "name": "G", "members": [{"target": {"type": "extension", "id": a["id"]}}],
                "fallback": {"type": "queue", "id": q["id"]}}),
        )
        .await,
        201,
    )
    .await;
    let q_path = format!("{}/{}", queues(&tenant), q["id"].as_str().unwrap());
    let p = assert_problem(app.delete(&q_path, &token).await, 409, "conflict").await;
    assert!(p.to_string().contains(g["id"].as_str().unwrap()), "{p}");
}
