//! `/v1/tenants/{tenant_id}/conferences`: CRUD, hashed PINs never shown, the shared number
//! space, references on delete, versions.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn rooms(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/conferences")
}

#[tokio::test]
async fn conference_crud_pins_versions_and_audit() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Conferences").await;

    let res = app
        .post(
            &rooms(&tenant),
            &token,
            json!({"number": "800", "name": "Board room", "pin": "482913", "moderator_pin": "99127733", "max_members": 10}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["has_pin"], true);
    assert_eq!(created["has_moderator_pin"], true);
    assert_eq!(created["max_members"], 10);
    assert_no_secrets(&created, &["482913", "99127733"]);
    assert!(created.get("pin").is_none() && created.get("pin_hash").is_none());

    // Stored hashed (argon2id), never in clear.
    {
        use centralita_domain::entities::conference;
        use sea_orm::EntityTrait;
        let row = conference::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
            .one(&app.core.db)
            .await
            .unwrap()
            .unwrap();
        assert!(row.pin_hash.unwrap().starts_with("$argon2id$"));
    }

    let res = app.get(&location, &token).await;
    assert_eq!(header(&res, "etag"), "\"1\"");
    let got = expect_json(res, 200).await;
    assert_eq!(got, created);
    let all = list_all(&app, &rooms(&tenant), &token).await;
    assert_eq!(all, vec![created.clone()]);
    assert_no_secrets(&json!(all), &["482913", "99127733"]);
    let open = expect_json(
        app.get(&format!("{}?has_pin=false", rooms(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert!(open["items"].as_array().unwrap().is_empty());

    // No-op patch keeps the version; removing the PIN is a change.
    let res = app
        .patch(
            &location,
            &token,
            json!({"name": "Board room", "max_members": 10}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["version"], 1);
    let res = app.patch(&location, &token, json!({"pin": null})).await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(changed["has_pin"], false);
    assert_eq!(changed["has_moderator_pin"], true);
    let res = app.patch(&location, &token, json!({"pin": null})).await;
    assert_eq!(expect_json(res, 200).await["version"], 2);

    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Stale"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;

    assert_eq!(app.delete(&location, &token).await.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    // The number is free again.
    expect_json(
        app.post(
            &rooms(&tenant),
            &token,
            json!({"number": "800", "name": "Again"}),
        )
        .await,
        201,
    )
    .await;
    let actions: Vec<String> = audit_events(&app, &format!("resource_id={id}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        vec![
            "conference.create",
            "conference.update",
            "conference.delete"
        ]
    );
    for e in audit_events(&app, &format!("resource_id={id}")).await {
        assert_no_secrets(&e, &["482913", "99127733"]);
    }
}

#[tokio::test]
async fn conference_bad_input_and_conflicts() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Conferences bad").await;

    let res = app
        .post(
            &rooms(&tenant),
            &token,
            json!({"number": "8a", "name": "", "pin": "12", "moderator_pin": "12345678901234", "max_members": 1}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    for (field, code) in [
        ("number", "invalid_number"),
        ("name", "invalid_length"),
        ("pin", "invalid_pin"),
        ("moderator_pin", "invalid_pin"),
        ("max_members", "out_of_range"),
    ] {
        assert_field_error(&p, field, code);
    }
    let res = app
        .post(
            &rooms(&tenant),
            &token,
            json!({"number": "800", "name": "Same", "pin": "4829", "moderator_pin": "4829"}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "moderator_pin",
        "same_as_pin",
    );
    let res = app
        .post(
            &rooms(&tenant),
            &token,
            json!({"number": "800", "name": "X", "pin": "48a9"}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "pin",
        "invalid_pin",
    );
    assert!(list_all(&app, &rooms(&tenant), &token).await.is_empty());

    // Shared number space, both ways.
    create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;
    let res = app
        .post(
            &rooms(&tenant),
            &token,
            json!({"number": "201", "name": "Clash"}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 409, "conflict").await,
        "number",
        "number_taken",
    );
    let room = expect_json(
        app.post(
            &rooms(&tenant),
            &token,
            json!({"number": "800", "name": "Room"}),
        )
        .await,
        201,
    )
    .await;
    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "800", "display_name": "Clash"}),
        )
        .await;
    assert_eq!(res.status(), 409);

    // A ring group falling back to the room keeps it alive.
    let group = expect_json(
        app.post(
            &format!("/v1/tenants/{tenant}/ring-groups"),
            &token,
            json!({"number": "600", "name": "G",
                "members": [{"target": {"type": "external_number", "number": "+34911234567"}}],
                "fallback": {"type": "conference", "id": room["id"]}}),
        )
        .await,
        201,
    )
    .await;
    let room_path = format!("{}/{}", rooms(&tenant), room["id"].as_str().unwrap());
    let p = assert_problem(app.delete(&room_path, &token).await, 409, "conflict").await;
    assert!(p.to_string().contains(group["id"].as_str().unwrap()), "{p}");
    let group_path = format!(
        "/v1/tenants/{tenant}/ring-groups/{}",
        group["id"].as_str().unwrap()
    );
    assert_eq!(app.delete(&group_path, &token).await.status(), 204);
    assert_eq!(app.delete(&room_path, &token).await.status(), 204);
}
