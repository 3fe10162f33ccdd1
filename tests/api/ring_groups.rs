//! `/v1/tenants/{tenant_id}/ring-groups`: CRUD, members and fallback checked against the
//! tenant, the shared number space, references on delete, versions.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn groups(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/ring-groups")
}

#[tokio::test]
async fn ring_group_crud_versions_and_audit() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Ring groups").await;
    let ext = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;
    let ext_id = ext["id"].as_str().unwrap();

    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({
                "number": "600",
                "name": "  Sales  ",
                "strategy": "sequential",
                "members": [
                    {"target": {"type": "extension", "id": ext_id}, "delay_seconds": 0, "timeout_seconds": 15},
                    {"target": {"type": "external_number", "number": "+34 911 234 567"}, "delay_seconds": 10}
                ],
                "ring_seconds": 45,
                "fallback": {"type": "extension", "id": ext_id}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", groups(&tenant)));
    assert_eq!(created["name"], "Sales");
    assert_eq!(created["strategy"], "sequential");
    assert_eq!(created["ring_seconds"], 45);
    assert_eq!(created["members"][1]["target"]["number"], "+34911234567");
    assert_eq!(
        created["members"][1]["timeout_seconds"], 20,
        "default timeout"
    );
    assert_eq!(created["fallback"]["type"], "extension");
    assert_eq!(created["version"], 1);

    let res = app.get(&location, &token).await;
    assert_eq!(header(&res, "etag"), "\"1\"");
    assert_eq!(expect_json(res, 200).await, created);
    assert_eq!(
        list_all(&app, &groups(&tenant), &token).await,
        vec![created.clone()]
    );

    // Filters.
    let page = expect_json(
        app.get(&format!("{}?number=600", groups(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let page = expect_json(
        app.get(&format!("{}?strategy=random", groups(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // Change, then the same change again: no new version.
    let res = app
        .patch(
            &location,
            &token,
            json!({"strategy": "round_robin", "number": "601"}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(changed["strategy"], "round_robin");
    assert_eq!(changed["number"], "601");
    let res = app
        .patch(
            &location,
            &token,
            json!({"strategy": "round_robin", "number": "601", "members": created["members"]}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["version"], 2);
    // The old number is free again, the new one is taken.
    let ext2 = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "600", "display_name": "Bea"}),
    )
    .await;
    assert_eq!(ext2["number"], "600");

    // Stale If-Match: 412 and nothing changes.
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Stale"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await["name"],
        "Sales"
    );

    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    // Its number is free again.
    expect_json(
        app.post(&groups(&tenant), &token, json!({"number": "601", "name": "Again", "members": [{"target": {"type": "extension", "id": ext_id}}]}))
            .await,
        201,
    )
    .await;
    assert_eq!(
        audit_actions(&app, &id).await,
        vec![
            "ring_group.create",
            "ring_group.update",
            "ring_group.delete"
        ]
    );
}

#[tokio::test]
async fn ring_group_bad_input_is_422_with_every_field() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Ring groups bad").await;
    let (other, other_token) = app.tenant_with_admin("Ring groups other").await;
    let foreign = create_extension(
        &app,
        &other_token,
        &other,
        json!({"number": "201", "display_name": "X"}),
    )
    .await;

    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({
                "number": "0600",
                "name": " ",
                "members": [
                    {"target": {"type": "extension", "id": foreign["id"]}},
                    {"target": {"type": "external_number", "number": "12"}, "delay_seconds": -1, "timeout_seconds": 1000},
                ],
                "ring_seconds": 2,
                "fallback": {"type": "queue", "id": Uuid::now_v7()}
            }),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    for (field, code) in [
        ("number", "invalid_number"),
        ("name", "invalid_length"),
        ("members[0].target", "unknown_destination"),
        ("members[1].delay_seconds", "out_of_range"),
        ("members[1].timeout_seconds", "out_of_range"),
        ("ring_seconds", "out_of_range"),
        ("fallback", "unknown_destination"),
    ] {
        assert_field_error(&p, field, code);
    }
    assert!(
        field_errors(&p)
            .iter()
            .any(|(f, _)| f.starts_with("members[1].target")),
        "{p}"
    );

    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({"number": "600", "name": "Empty", "members": []}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "members",
        "invalid_length",
    );
    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({"number": "600", "name": "Dup", "members": [
                {"target": {"type": "external_number", "number": "+34911234567"}},
                {"target": {"type": "external_number", "number": "+34 911 23 45 67"}}
            ]}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "members[1].target",
        "duplicate_member",
    );
    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({"number": "600", "name": "X", "members": [], "strategy": "loudest"}),
        )
        .await;
    assert_eq!(res.status(), 422);

    // Nothing was written.
    assert!(list_all(&app, &groups(&tenant), &token).await.is_empty());
    assert!(
        audit_events(
            &app,
            &format!("tenant_id={tenant}&action=ring_group.create")
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn ring_group_numbers_and_references() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Ring groups refs").await;
    let ext = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;
    let ext_id = ext["id"].as_str().unwrap();
    let member = json!([{"target": {"type": "extension", "id": ext_id}}]);

    // The number space is shared with extensions.
    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({"number": "201", "name": "Clash", "members": member}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 409, "conflict").await,
        "number",
        "number_taken",
    );

    let a = expect_json(
        app.post(
            &groups(&tenant),
            &token,
            json!({"number": "600", "name": "A", "members": member}),
        )
        .await,
        201,
    )
    .await;
    let a_path = format!("{}/{}", groups(&tenant), a["id"].as_str().unwrap());
    let res = app
        .post(
            &groups(&tenant),
            &token,
            json!({"number": "600", "name": "B", "members": member}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 409, "conflict").await,
        "number",
        "number_taken",
    );
    let res = app.patch(&a_path, &token, json!({"number": "201"})).await;
    assert_field_error(
        &assert_problem(res, 409, "conflict").await,
        "number",
        "number_taken",
    );

    // B falls back to A: A cannot go while B points at it.
    let b = expect_json(
        app.post(
            &groups(&tenant),
            &token,
            json!({"number": "601", "name": "B", "members": member, "fallback": {"type": "ring_group", "id": a["id"]}}),
        )
        .await,
        201,
    )
    .await;
    let p = assert_problem(app.delete(&a_path, &token).await, 409, "conflict").await;
    assert!(p.to_string().contains(b["id"].as_str().unwrap()), "{p}");

    // A member extension cannot be deleted while it is a member.
    let ext_path = format!("{}/{ext_id}", extensions_path(&tenant));
    assert_problem(app.delete(&ext_path, &token).await, 409, "conflict").await;

    // Repoint B, then A and the extension can go (after A and B release it).
    let b_path = format!("{}/{}", groups(&tenant), b["id"].as_str().unwrap());
    expect_json(
        app.patch(&b_path, &token, json!({"fallback": {"type": "hangup"}}))
            .await,
        200,
    )
    .await;
    assert_eq!(app.delete(&a_path, &token).await.status(), 204);
    assert_problem(app.delete(&ext_path, &token).await, 409, "conflict").await;
    assert_eq!(app.delete(&b_path, &token).await.status(), 204);
    assert_eq!(app.delete(&ext_path, &token).await.status(), 204);
}

#[tokio::test]
async fn ring_groups_need_pbx_write() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Ring groups roles").await;
    let (_, user_token) = app.create_user(&token, &tenant, "tenant_user").await;
    let res = app
        .post(
            &groups(&tenant),
            &user_token,
            json!({"number": "600", "name": "A", "members": [{"target": {"type": "external_number", "number": "+34911234567"}}]}),
        )
        .await;
    assert_eq!(res.status(), 403);
}
