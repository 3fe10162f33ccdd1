//! `/v1/tenants/{tenant_id}/voicemail-boxes[/{box_id}]`.

use crate::common::*;
use centralita_domain::entities::voicemail_box;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

fn box_url(tenant: &str, id: &Value) -> String {
    format!("{}/{}", boxes_path(tenant), id.as_str().unwrap())
}

async fn pin_hash(app: &TestApp, id: &Value) -> String {
    voicemail_box::Entity::find_by_id(Uuid::parse_str(id.as_str().unwrap()).unwrap())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap()
        .pin_hash
}

fn assert_no_pin(v: &Value) {
    let text = v.to_string();
    assert!(!text.contains("pin"), "{text}");
    assert!(!text.contains("$argon2"), "{text}");
}

#[tokio::test]
async fn voicemail_box_crud() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Voicemail").await;

    let res = app
        .post(
            &boxes_path(&tenant),
            &token,
            json!({"mailbox": "100", "pin": "739164"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    assert_eq!(location, box_url(&tenant, &created["id"]));
    assert_no_pin(&created);
    assert_eq!(created["mailbox"], "100");
    assert_eq!(created["emails"], json!([]));
    assert_eq!(created["attach_audio"], true);
    assert_eq!(created["delete_after_email"], false);
    assert_eq!(created["language"], "en");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["version"], 1);
    let hash = pin_hash(&app, &created["id"]).await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("739164"));

    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert_eq!(got, created);
    assert_eq!(
        list_all(&app, &boxes_path(&tenant), &token).await,
        vec![created.clone()]
    );

    // Full options at create.
    let full = expect_json(
        app.post(
            &boxes_path(&tenant),
            &token,
            json!({"mailbox": "101", "pin": "90817263", "emails": ["a@example.com", "b@example.org"],
                   "attach_audio": true, "delete_after_email": true, "language": "ES-MX", "enabled": false}),
        )
        .await,
        201,
    )
    .await;
    assert_no_pin(&full);
    assert_eq!(full["emails"], json!(["a@example.com", "b@example.org"]));
    assert_eq!(full["delete_after_email"], true);
    assert_eq!(full["language"], "es-mx");
    assert_eq!(full["enabled"], false);

    // Filter by mailbox.
    let found = list_all(
        &app,
        &format!("{}?mailbox=101", boxes_path(&tenant)),
        &token,
    )
    .await;
    assert_eq!(found, vec![full.clone()]);
    assert!(
        list_all(
            &app,
            &format!("{}?mailbox=999", boxes_path(&tenant)),
            &token
        )
        .await
        .is_empty()
    );
    assert_eq!(list_all(&app, &boxes_path(&tenant), &token).await.len(), 2);

    // Merge patch.
    let res = app
        .patch(
            &location,
            &token,
            json!({"emails": ["owner@example.com"], "language": "fr", "attach_audio": false}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let patched = expect_json(res, 200).await;
    assert_eq!(patched["emails"], json!(["owner@example.com"]));
    assert_eq!(patched["language"], "fr");
    assert_eq!(patched["attach_audio"], false);
    assert_eq!(patched["mailbox"], "100");
    assert_eq!(patched["enabled"], true);
    assert_eq!(patched["version"], 2);
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await,
        patched
    );

    // No change: same version (and same PIN hash).
    let same = expect_json(
        app.patch(
            &location,
            &token,
            json!({"language": "fr", "enabled": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["version"], 2);
    assert_eq!(pin_hash(&app, &created["id"]).await, hash);

    // PIN change: re-hashed, new version, never echoed.
    let res = app
        .patch(&location, &token, json!({"pin": "55128790"}))
        .await;
    let repinned = expect_json(res, 200).await;
    assert_no_pin(&repinned);
    assert_eq!(repinned["version"], 3);
    let new_hash = pin_hash(&app, &created["id"]).await;
    assert_ne!(new_hash, hash);
    assert!(new_hash.starts_with("$argon2id$"));

    // If-Match.
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"2\"")
        .json(&json!({"enabled": false}))
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
        expect_json(app.get(&location, &token).await, 200).await["enabled"],
        true
    );
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"3\"")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(res, 200).await["version"], 4);
    // The mailbox itself cannot be patched.
    let res = app
        .patch(&location, &token, json!({"mailbox": "555"}))
        .await;
    assert!([400, 422].contains(&res.status().as_u16()));

    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"4\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    assert_problem(app.delete(&location, &token).await, 404, "not_found").await;
    assert_problem(
        app.patch(&location, &token, json!({"enabled": true})).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        list_all(&app, &boxes_path(&tenant), &token).await,
        vec![full]
    );
    let missing = format!("{}/{}", boxes_path(&tenant), Uuid::now_v7());
    assert_problem(app.get(&missing, &token).await, 404, "not_found").await;
}

#[tokio::test]
async fn invalid_boxes_are_422() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Invalid boxes").await;
    let eleven: Vec<String> = (0..11).map(|i| format!("u{i}@example.com")).collect();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"mailbox": "0100", "pin": "739164"}),
            "mailbox",
            "invalid_number",
        ),
        (
            json!({"mailbox": "1", "pin": "739164"}),
            "mailbox",
            "invalid_number",
        ),
        (
            json!({"mailbox": "12x4", "pin": "739164"}),
            "mailbox",
            "invalid_number",
        ),
        (
            json!({"mailbox": "1234567890123456", "pin": "739164"}),
            "mailbox",
            "invalid_number",
        ),
        (
            json!({"mailbox": "200", "pin": "12a4"}),
            "pin",
            "pin_not_digits",
        ),
        (
            json!({"mailbox": "200", "pin": "739"}),
            "pin",
            "pin_too_short",
        ),
        (
            json!({"mailbox": "200", "pin": "7391647391647"}),
            "pin",
            "pin_too_long",
        ),
        (
            json!({"mailbox": "200", "pin": "0000"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "200", "pin": "1111"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "200", "pin": "1234"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "200", "pin": "4321"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "200", "pin": "1212"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "200", "pin": "2580"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "4815", "pin": "4815"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "4815", "pin": "5184"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "203040", "pin": "040302"}),
            "pin",
            "pin_trivial",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "emails": ["not-an-address"]}),
            "emails[0]",
            "",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "emails": ["ok@example.com", "x@"]}),
            "emails[1]",
            "",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "emails": eleven}),
            "emails",
            "too_many",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "language": "it"}),
            "language",
            "unsupported_language",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "language": ""}),
            "language",
            "unsupported_language",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "delete_after_email": true}),
            "delete_after_email",
            "would_lose_messages",
        ),
        (
            json!({"mailbox": "200", "pin": "739164", "delete_after_email": true,
                "emails": ["a@example.com"], "attach_audio": false}),
            "delete_after_email",
            "would_lose_messages",
        ),
    ];
    for (body, field, code) in cases {
        let res = app.post(&boxes_path(&tenant), &token, body.clone()).await;
        let p = assert_problem(res, 422, "validation_failed").await;
        let errs = field_errors(&p);
        assert!(
            errs.iter()
                .any(|(f, c)| f == field && (code.is_empty() || c == code)),
            "{body}: expected {field}/{code} in {p}"
        );
        // The PIN is never echoed (the trivial ones are named in the messages as examples).
        assert_no_secrets(&p, &["739164", "7391647391647"]);
    }
    // Every problem at once.
    let p = assert_problem(
        app.post(
            &boxes_path(&tenant),
            &token,
            json!({"mailbox": "0", "pin": "1", "language": "xx"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let errs = field_errors(&p);
    for f in ["mailbox", "pin", "language"] {
        assert!(errs.iter().any(|(g, _)| g == f), "{f}: {p}");
    }
    assert!(
        list_all(&app, &boxes_path(&tenant), &token)
            .await
            .is_empty()
    );

    // Boundary values that are fine: 2 and 15 digit mailboxes, 4 and 12 digit PINs,
    // 10 addresses, every language.
    create_box(&app, &token, &tenant, "12").await;
    create_box(&app, &token, &tenant, "123456789012345").await;
    let ten: Vec<String> = (0..10).map(|i| format!("u{i}@example.com")).collect();
    for (i, lang) in ["en", "en-us", "en-gb", "es", "es-mx", "fr", "de", "pt-br"]
        .iter()
        .enumerate()
    {
        let b = expect_json(
            app.post(
                &boxes_path(&tenant),
                &token,
                json!({"mailbox": format!("3{i}"), "pin": if i % 2 == 0 { "9071" } else { "907162534819" },
                       "language": lang, "emails": ten}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(b["language"], *lang);
        assert_eq!(b["emails"].as_array().unwrap().len(), 10);
    }

    // Patches are validated too, and change nothing when refused.
    let b = create_box(&app, &token, &tenant, "4815").await;
    let url = box_url(&tenant, &b["id"]);
    let hash = pin_hash(&app, &b["id"]).await;
    for (body, field, code) in [
        (json!({"pin": "1234"}), "pin", "pin_trivial"),
        (json!({"pin": "4815"}), "pin", "pin_trivial"),
        (json!({"pin": "5184"}), "pin", "pin_trivial"),
        (json!({"pin": "12"}), "pin", "pin_too_short"),
        (json!({"pin": "12x45"}), "pin", "pin_not_digits"),
        (json!({"emails": ["nope"]}), "emails[0]", ""),
        (
            json!({"language": "klingon"}),
            "language",
            "unsupported_language",
        ),
        (
            json!({"delete_after_email": true}),
            "delete_after_email",
            "would_lose_messages",
        ),
    ] {
        let p = assert_problem(
            app.patch(&url, &token, body.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            field_errors(&p)
                .iter()
                .any(|(f, c)| f == field && (code.is_empty() || c == code)),
            "{body}: {p}"
        );
    }
    assert_eq!(expect_json(app.get(&url, &token).await, 200).await, b);
    assert_eq!(pin_hash(&app, &b["id"]).await, hash);

    // delete_after_email holds across patches: removing the addresses or the audio is refused.
    let ok = expect_json(
        app.patch(
            &url,
            &token,
            json!({"emails": ["me@example.com"], "delete_after_email": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ok["delete_after_email"], true);
    for body in [json!({"emails": []}), json!({"attach_audio": false})] {
        let p = assert_problem(
            app.patch(&url, &token, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&p, "delete_after_email", "would_lose_messages");
    }
    let off = expect_json(
        app.patch(
            &url,
            &token,
            json!({"delete_after_email": false, "emails": []}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(off["emails"], json!([]));
}

#[tokio::test]
async fn mailboxes_are_unique_per_tenant() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Unique boxes").await;
    let (other, other_token) = app.tenant_with_admin("Other boxes").await;
    let first = create_box(&app, &token, &tenant, "200").await;
    let p = assert_problem(
        app.post(
            &boxes_path(&tenant),
            &token,
            json!({"mailbox": "200", "pin": "864209"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert!(field_errors(&p).iter().any(|(f, _)| f == "mailbox"), "{p}");
    // Fine in another tenant.
    create_box(&app, &other_token, &other, "200").await;
    // A box may share its number with an extension (its usual mailbox).
    create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "x"}),
    )
    .await;
    create_box(&app, &token, &tenant, "201").await;
    // Free again after delete.
    assert_eq!(
        app.delete(&box_url(&tenant, &first["id"]), &token)
            .await
            .status(),
        204
    );
    create_box(&app, &token, &tenant, "200").await;
}

#[tokio::test]
async fn referenced_boxes_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Box refs").await;
    let vm = create_box(&app, &token, &tenant, "300").await;
    let vm_id = vm["id"].as_str().unwrap().to_owned();
    let vm_url = box_url(&tenant, &vm["id"]);

    // Linked as an extension's box.
    let owner = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "300", "display_name": "Owner", "voicemail_box_id": vm_id}),
    )
    .await;
    // Reached through another extension's follow-me.
    let other = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "301", "display_name": "Other",
               "follow_me": [{"destination": {"type": "voicemail_box", "id": vm_id}, "ring_seconds": 30}]}),
    )
    .await;
    // And an unrelated extension forwarding to it.
    let third = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "302", "display_name": "Third",
               "forwarding": {"no_answer": {"enabled": true, "destination": {"type": "voicemail_box", "id": vm_id}}}}),
    )
    .await;

    let p = assert_problem(app.delete(&vm_url, &token).await, 409, "conflict").await;
    let errs = field_errors(&p);
    for e in [&owner, &other, &third] {
        let id = e["id"].as_str().unwrap();
        assert!(
            errs.iter()
                .any(|(f, c)| f == &format!("extension/{id}") && c == "still_referenced"),
            "{id} missing in {p}"
        );
    }
    assert_eq!(expect_json(app.get(&vm_url, &token).await, 200).await, vm);

    // Remove the references one by one.
    expect_json(
        app.patch(
            &format!(
                "{}/{}",
                extensions_path(&tenant),
                owner["id"].as_str().unwrap()
            ),
            &token,
            json!({"voicemail_box_id": null}),
        )
        .await,
        200,
    )
    .await;
    expect_json(
        app.patch(
            &format!(
                "{}/{}",
                extensions_path(&tenant),
                other["id"].as_str().unwrap()
            ),
            &token,
            json!({"follow_me": []}),
        )
        .await,
        200,
    )
    .await;
    let p = assert_problem(app.delete(&vm_url, &token).await, 409, "conflict").await;
    assert_eq!(
        field_errors(&p),
        vec![(
            format!("extension/{}", third["id"].as_str().unwrap()),
            "still_referenced".to_owned()
        )]
    );
    assert_eq!(
        app.delete(
            &format!(
                "{}/{}",
                extensions_path(&tenant),
                third["id"].as_str().unwrap()
            ),
            &token
        )
        .await
        .status(),
        204
    );
    assert_eq!(app.delete(&vm_url, &token).await.status(), 204);
    assert_problem(app.get(&vm_url, &token).await, 404, "not_found").await;
}

#[tokio::test]
async fn who_may_read_and_write_boxes() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = app.tenant_with_admin("Box roles").await;
    let (_, user) = app.create_user(&admin, &tenant, "tenant_user").await;
    let path = boxes_path(&tenant);
    let b = create_box(&app, &admin, &tenant, "400").await;
    let url = box_url(&tenant, &b["id"]);

    assert_problem(app.get(&path, &user).await, 403, "forbidden").await;
    assert_problem(app.get(&url, &user).await, 403, "forbidden").await;
    assert_problem(
        app.post(&path, &user, json!({"mailbox": "401", "pin": "739164"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch(&url, &user, json!({"enabled": false})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.delete(&url, &user).await, 403, "forbidden").await;

    let (_, support) = support_token(&app).await;
    assert_eq!(list_all(&app, &path, &support).await.len(), 1);
    assert_eq!(app.get(&url, &support).await.status(), 200);
    assert_problem(
        app.patch(&url, &support, json!({"enabled": false})).await,
        403,
        "reason_required",
    )
    .await;
    assert_problem(app.delete(&url, &support).await, 403, "reason_required").await;
    let res = app
        .req(Method::PATCH, &url, &support)
        .header("X-Acting-Reason", "Ticket #9: disable the box")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(res, 200).await["enabled"], false);

    let partner = app.create_tenant(&app.admin, "Box partner", None).await;
    let (_, partner_token) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let child = app
        .create_tenant(&partner_token, "Box child", Some(&partner))
        .await;
    let cb = create_box(&app, &partner_token, &child, "400").await;
    assert_eq!(
        app.delete(&box_url(&child, &cb["id"]), &partner_token)
            .await
            .status(),
        204
    );
    create_box(&app, &partner_token, &partner, "400").await;
    create_box(&app, &app.admin, &tenant, "402").await;
    assert_eq!(list_all(&app, &path, &admin).await.len(), 2);
}

#[tokio::test]
async fn box_mutations_are_audited_without_pins() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Box audit").await;
    let b = expect_json(
        app.post(
            &boxes_path(&tenant),
            &token,
            json!({"mailbox": "500", "pin": "83920175"}),
        )
        .await,
        201,
    )
    .await;
    let url = box_url(&tenant, &b["id"]);
    expect_json(
        app.patch(&url, &token, json!({"pin": "46203918", "language": "de"}))
            .await,
        200,
    )
    .await;
    assert_eq!(app.delete(&url, &token).await.status(), 204);
    let id = b["id"].as_str().unwrap();
    let events = audit_events(&app, &format!("resource_id={id}")).await;
    let mut actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        vec![
            "voicemail_box.create",
            "voicemail_box.delete",
            "voicemail_box.update"
        ]
    );
    for e in &events {
        assert_eq!(e["resource_type"], "voicemail_box");
        assert_eq!(e["tenant_id"], tenant.as_str());
    }
    let all = json!(events);
    assert_no_secrets(&all, &["83920175", "46203918"]);
    assert!(!all.to_string().contains("pin"), "{all}");
}
