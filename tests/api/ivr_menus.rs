//! `/v1/tenants/{tenant_id}/ivr-menus`: CRUD, options and destinations checked against the
//! tenant, greetings as text or an uploaded recording, the shared number space, references
//! on delete, versions, roles.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn menus(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/ivr-menus")
}

/// A small valid WAV file: RIFF header, `fmt ` chunk (8 kHz mono 16-bit), 0.1 s of silence.
pub(crate) fn wav() -> Vec<u8> {
    let samples = 800u32;
    let data_len = samples * 2;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&1u16.to_le_bytes()); // mono
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&16000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    v.resize(v.len() + data_len as usize, 0);
    v
}

/// A direct-dial menu on 500 with a text greeting.
async fn simple_menu(app: &TestApp, token: &str, tenant: &str) -> Value {
    let body = json!({"number": "500", "name": "Main", "direct_dial": true,
        "greeting": {"type": "text", "text": "Hello"}});
    expect_json(app.post(&menus(tenant), token, body).await, 201).await
}

fn greeting_files(app: &TestApp) -> Vec<String> {
    let dir = app.core.config.data_dir.join("ivr-greetings");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn ivr_menu_crud_versions_and_audit() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR Co").await;
    let ext = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;
    let ext_id = ext["id"].as_str().unwrap();
    let vm = create_box(&app, &token, &tenant, "300").await;
    let vm_id = vm["id"].as_str().unwrap();

    let res = app
        .post(
            &menus(&tenant),
            &token,
            json!({
                "number": "500",
                "name": "  Main menu ",
                "greeting": {"type": "text", "text": "Welcome. For sales press 1, to leave a message press 2.", "language": "ES"},
                "options": [
                    {"digit": "1", "destination": {"type": "extension", "id": ext_id}},
                    {"digit": " 2", "destination": {"type": "voicemail_box", "id": vm_id}},
                    {"digit": "0", "destination": {"type": "external_number", "number": "+34 911 234 567"}},
                ],
                "invalid_destination": {"type": "extension", "id": ext_id}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{id}", menus(&tenant)));
    assert_eq!(created["name"], "Main menu");
    assert_eq!(created["greeting"]["type"], "text");
    assert_eq!(created["greeting"]["language"], "es");
    assert_eq!(created["options"][1]["digit"], "2");
    assert_eq!(
        created["options"][2]["destination"]["number"],
        "+34911234567"
    );
    assert_eq!(created["timeout_seconds"], 5, "default");
    assert_eq!(created["invalid_retries"], 2, "default");
    assert_eq!(created["direct_dial"], false);
    assert_eq!(created["timeout_destination"], json!({"type": "hangup"}));
    assert_eq!(created["invalid_destination"]["id"], ext_id);
    assert_eq!(created["version"], 1);

    let res = app.get(&location, &token).await;
    assert_eq!(header(&res, "etag"), "\"1\"");
    assert_eq!(expect_json(res, 200).await, created);
    assert_eq!(
        list_all(&app, &menus(&tenant), &token).await,
        vec![created.clone()]
    );
    let page = expect_json(
        app.get(&format!("{}?number=501", menus(&tenant)), &token)
            .await,
        200,
    )
    .await;
    assert!(page["items"].as_array().unwrap().is_empty());

    // Change; the same change again keeps the version.
    let patch = json!({"number": "501", "timeout_seconds": 8, "invalid_retries": 0, "direct_dial": true,
        "options": [{"digit": "#", "destination": {"type": "hangup"}}]});
    let res = app.patch(&location, &token, patch.clone()).await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(changed["number"], "501");
    assert_eq!(changed["timeout_seconds"], 8);
    assert_eq!(changed["invalid_retries"], 0);
    assert_eq!(changed["direct_dial"], true);
    assert_eq!(changed["options"].as_array().unwrap().len(), 1);
    assert_eq!(
        expect_json(app.patch(&location, &token, patch).await, 200).await["version"],
        2
    );
    // The old number is free again.
    create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "500", "display_name": "Bea"}),
    )
    .await;

    // Stale If-Match: 412 and nothing changes.
    for method in [Method::PATCH, Method::DELETE] {
        let res = app
            .req(method, &location, &token)
            .header("If-Match", "\"1\"")
            .json(&json!({"name": "Stale"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 412, "precondition_failed").await;
    }
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await["name"],
        "Main menu"
    );

    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, &token).await, 404, "not_found").await;
    // The number is free, and the extension it pointed at can go.
    expect_json(
        app.post(&menus(&tenant), &token, json!({"number": "501", "name": "Again", "greeting": {"type": "text", "text": "Hi"}, "direct_dial": true}))
            .await,
        201,
    )
    .await;
    assert_eq!(
        app.delete(&format!("{}/{ext_id}", extensions_path(&tenant)), &token)
            .await
            .status(),
        204
    );
    assert_eq!(
        audit_actions(&app, &id).await,
        vec!["ivr_menu.create", "ivr_menu.update", "ivr_menu.delete"]
    );
}

#[tokio::test]
async fn ivr_menu_bad_input_is_422_with_every_field() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR bad").await;
    let (other, other_token) = app.tenant_with_admin("IVR other").await;
    let foreign = create_extension(
        &app,
        &other_token,
        &other,
        json!({"number": "201", "display_name": "X"}),
    )
    .await;

    let res = app
        .post(
            &menus(&tenant),
            &token,
            json!({
                "number": "5a",
                "name": "",
                "greeting": {"type": "text", "text": "  ", "language": "klingon"},
                "options": [
                    {"digit": "1", "destination": {"type": "extension", "id": foreign["id"]}},
                    {"digit": "10", "destination": {"type": "hangup"}},
                    {"digit": "1", "destination": {"type": "external_number", "number": "12"}},
                    {"digit": "2", "destination": {"type": "ivr_menu", "id": Uuid::now_v7()}},
                ],
                "timeout_seconds": 0,
                "invalid_retries": 10,
                "timeout_destination": {"type": "time_condition", "id": Uuid::now_v7()},
                "invalid_destination": {"type": "voicemail_box", "id": Uuid::now_v7()}
            }),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    for (field, code) in [
        ("number", "invalid_number"),
        ("name", "invalid_length"),
        ("greeting.text", "invalid_length"),
        ("greeting.language", "unsupported_language"),
        ("options[0].destination", "unknown_destination"),
        ("options[1].digit", "invalid_digit"),
        ("options[2].digit", "duplicate_digit"),
        ("options[3].destination", "unknown_destination"),
        ("timeout_seconds", "out_of_range"),
        ("invalid_retries", "out_of_range"),
        ("timeout_destination", "unknown_destination"),
        ("invalid_destination", "unknown_destination"),
    ] {
        assert_field_error(&p, field, code);
    }
    assert!(
        field_errors(&p)
            .iter()
            .any(|(f, _)| f.starts_with("options[2].destination")),
        "{p}"
    );

    // A recording cannot be written as JSON; a menu needs an option or direct dial; at
    // most one option per key.
    let greeting = json!({"type": "text", "text": "Hello"});
    let thirteen: Vec<Value> = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "#",
    ]
    .iter()
    .map(|d| json!({"digit": d, "destination": {"type": "hangup"}}))
    .collect();
    for (body, field, code) in [
        (
            json!({"number": "500", "name": "A", "greeting": greeting}),
            "options",
            "invalid_length",
        ),
        (
            json!({"number": "500", "name": "A", "greeting": greeting, "options": thirteen}),
            "options",
            "invalid_length",
        ),
        (
            json!({"number": "500", "name": "A", "direct_dial": true,
                "greeting": {"type": "text", "text": "x".repeat(1001)}}),
            "greeting.text",
            "invalid_length",
        ),
    ] {
        let res = app.post(&menus(&tenant), &token, body).await;
        assert_field_error(
            &assert_problem(res, 422, "validation_failed").await,
            field,
            code,
        );
    }
    // Unknown fields and greeting types are refused; a recording is uploaded, never written.
    for body in [
        json!({"number": "500", "name": "A", "direct_dial": true, "greeting": {"type": "recording",
            "content_type": "audio/wav", "size_bytes": 1, "sha256": "00", "uploaded_at": "2026-01-01T00:00:00Z"}}),
        json!({"number": "500", "name": "A", "greeting": greeting, "direct_dial": true, "colour": "red"}),
        json!({"number": "500", "name": "A", "greeting": {"type": "song"}, "direct_dial": true}),
        json!({"number": "500", "name": "A", "direct_dial": true}),
    ] {
        assert_problem(
            app.post(&menus(&tenant), &token, body).await,
            422,
            "validation_failed",
        )
        .await;
    }

    // A valid menu, then a bad patch: nothing changes.
    let menu = expect_json(
        app.post(
            &menus(&tenant),
            &token,
            json!({"number": "500", "name": "A", "greeting": greeting, "direct_dial": true}),
        )
        .await,
        201,
    )
    .await;
    let path = format!("{}/{}", menus(&tenant), menu["id"].as_str().unwrap());
    let res = app
        .patch(
            &path,
            &token,
            json!({"direct_dial": false, "timeout_seconds": 61}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_field_error(&p, "options", "invalid_length");
    assert_field_error(&p, "timeout_seconds", "out_of_range");
    assert_eq!(expect_json(app.get(&path, &token).await, 200).await, menu);
    assert_eq!(
        audit_events(&app, &format!("tenant_id={tenant}&action=ivr_menu.create"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn ivr_menu_greeting_recordings() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR greetings").await;
    let menu = simple_menu(&app, &token, &tenant).await;
    let path = format!("{}/{}", menus(&tenant), menu["id"].as_str().unwrap());
    let greeting = format!("{path}/greeting");
    // No recording yet.
    assert_problem(app.get(&greeting, &token).await, 404, "not_found").await;

    // Wrong media type, bytes that are not the declared audio, too large, stale: refused,
    // nothing stored.
    let audio = wav();
    let res = send_raw(
        &app,
        Method::PUT,
        &greeting,
        &token,
        Some("text/plain"),
        audio.clone(),
    )
    .await;
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = send_raw(&app, Method::PUT, &greeting, &token, None, audio.clone()).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = send_raw(
        &app,
        Method::PUT,
        &greeting,
        &token,
        Some("audio/wav"),
        b"#!/bin/sh\nrm -rf /\n".to_vec(),
    )
    .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "body",
        "invalid_audio",
    );
    let res = send_raw(
        &app,
        Method::PUT,
        &greeting,
        &token,
        Some("audio/mpeg"),
        audio.clone(),
    )
    .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "body",
        "invalid_audio",
    );
    let mut huge = wav();
    huge.resize(8 * 1024 * 1024 + 1, 0);
    let res = send_raw(
        &app,
        Method::PUT,
        &greeting,
        &token,
        Some("audio/wav"),
        huge,
    )
    .await;
    assert_problem(res, 413, "payload_too_large").await;
    let res = app
        .req(Method::PUT, &greeting, &token)
        .header("content-type", "audio/wav")
        .header("If-Match", "\"7\"")
        .body(audio.clone())
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    assert_eq!(expect_json(app.get(&path, &token).await, 200).await, menu);
    assert!(greeting_files(&app).is_empty());

    // Upload: the menu's greeting becomes the recording, downloadable as sent.
    let res = app
        .req(Method::PUT, &greeting, &token)
        .header("content-type", "audio/x-wav")
        .header("If-Match", "\"1\"")
        .body(audio.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "etag"), "\"2\"");
    let updated = expect_json(res, 200).await;
    assert_eq!(updated["greeting"]["type"], "recording");
    assert_eq!(updated["greeting"]["content_type"], "audio/wav");
    assert_eq!(updated["greeting"]["size_bytes"], audio.len());
    let sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&audio))
    };
    assert_eq!(updated["greeting"]["sha256"], sha);
    let res = app.get(&greeting, &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "audio/wav");
    assert_eq!(res.bytes().await.unwrap().to_vec(), audio);
    assert_eq!(greeting_files(&app).len(), 1);

    // A second upload replaces the first file; an Ogg file is accepted.
    let mut ogg = b"OggS".to_vec();
    ogg.extend_from_slice(&[0u8; 60]);
    let res = send_raw(
        &app,
        Method::PUT,
        &greeting,
        &token,
        Some("audio/ogg"),
        ogg.clone(),
    )
    .await;
    assert_eq!(
        expect_json(res, 200).await["greeting"]["content_type"],
        "audio/ogg"
    );
    let files = greeting_files(&app);
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with(".ogg"), "{files:?}");

    // A text greeting replaces the recording, and its file goes.
    let res = app
        .patch(
            &path,
            &token,
            json!({"greeting": {"type": "text", "text": "Back to text"}}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["greeting"]["type"], "text");
    assert_problem(app.get(&greeting, &token).await, 404, "not_found").await;
    assert!(greeting_files(&app).is_empty());

    // Deleting a menu removes its recording.
    let res = send_raw(
        &app,
        Method::PUT,
        &greeting,
        &token,
        Some("audio/wav"),
        audio,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(greeting_files(&app).len(), 1);
    assert_eq!(app.delete(&path, &token).await.status(), 204);
    assert!(greeting_files(&app).is_empty());

    let id = menu["id"].as_str().unwrap();
    let actions = audit_actions(&app, id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "ivr_menu.greeting_upload")
            .count(),
        3
    );
}

#[tokio::test]
async fn ivr_menu_numbers_and_references() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR refs").await;
    create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Ana"}),
    )
    .await;
    let greeting = json!({"type": "text", "text": "Hello"});

    // The number space is shared with extensions.
    let res = app
        .post(
            &menus(&tenant),
            &token,
            json!({"number": "201", "name": "Clash", "greeting": greeting, "direct_dial": true}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 409, "conflict").await,
        "number",
        "number_taken",
    );
    let main = expect_json(
        app.post(
            &menus(&tenant),
            &token,
            json!({"number": "500", "name": "Main", "greeting": greeting, "direct_dial": true}),
        )
        .await,
        201,
    )
    .await;
    let main_id = main["id"].as_str().unwrap();
    let main_path = format!("{}/{main_id}", menus(&tenant));
    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "500", "display_name": "Clash"}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;

    // A submenu whose "9" goes back to the main menu: the main menu cannot go while the
    // submenu points at it, and the submenu cannot go while the main menu points at it.
    let sub = expect_json(
        app.post(
            &menus(&tenant),
            &token,
            json!({"number": "510", "name": "Sub", "greeting": greeting,
                "options": [{"digit": "9", "destination": {"type": "ivr_menu", "id": main_id}}]}),
        )
        .await,
        201,
    )
    .await;
    let sub_id = sub["id"].as_str().unwrap();
    let sub_path = format!("{}/{sub_id}", menus(&tenant));
    // A wrong key replays the main menu: a reference to itself does not block delete.
    expect_json(
        app.patch(
            &main_path,
            &token,
            json!({"options": [{"digit": "2", "destination": {"type": "ivr_menu", "id": sub_id}}],
                "invalid_destination": {"type": "ivr_menu", "id": main_id}}),
        )
        .await,
        200,
    )
    .await;
    // But no key must not lead back to the menu, directly or round other menus' timeouts:
    // nobody may be listening, and the call would never end.
    let set_timeout = |path: String, target: &str| {
        let body = json!({"timeout_destination": {"type": "ivr_menu", "id": target}});
        let app = &app;
        let token = &token;
        async move { app.patch(&path, token, body).await }
    };
    let refused = |res: reqwest::Response| async move {
        assert_field_error(
            &assert_problem(res, 422, "validation_failed").await,
            "timeout_destination",
            "timeout_loop",
        );
    };
    refused(set_timeout(main_path.clone(), main_id).await).await;
    expect_json(set_timeout(sub_path.clone(), main_id).await, 200).await;
    refused(set_timeout(main_path.clone(), sub_id).await).await;
    let third = expect_json(
        app.post(
            &menus(&tenant),
            &token,
            json!({"number": "520", "name": "Third", "greeting": greeting, "direct_dial": true,
                "timeout_destination": {"type": "ivr_menu", "id": sub_id}}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(third["timeout_destination"]["id"], sub_id);
    assert_eq!(
        app.delete(
            &format!("{}/{}", menus(&tenant), third["id"].as_str().unwrap()),
            &token
        )
        .await
        .status(),
        204
    );
    let p = assert_problem(app.delete(&main_path, &token).await, 409, "conflict").await;
    assert!(p.to_string().contains(sub_id), "{p}");
    assert!(
        !p.to_string().contains(&format!("ivr_menu/{main_id}")),
        "{p}"
    );
    let p = assert_problem(app.delete(&sub_path, &token).await, 409, "conflict").await;
    assert!(p.to_string().contains(main_id), "{p}");

    // Break the cycle: the submenu goes, then the main menu.
    expect_json(
        app.patch(
            &main_path,
            &token,
            json!({"options": [], "direct_dial": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(app.delete(&sub_path, &token).await.status(), 204);
    assert_eq!(app.delete(&main_path, &token).await.status(), 204);
}

#[tokio::test]
async fn ivr_menus_need_pbx_write() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR roles").await;
    let menu = simple_menu(&app, &token, &tenant).await;
    let path = format!("{}/{}", menus(&tenant), menu["id"].as_str().unwrap());
    let (_, user_token) = app.create_user(&token, &tenant, "tenant_user").await;
    let res = app
        .post(
            &menus(&tenant),
            &user_token,
            json!({"number": "501", "name": "A", "direct_dial": true, "greeting": {"type": "text", "text": "Hi"}}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = send_raw(
        &app,
        Method::PUT,
        &format!("{path}/greeting"),
        &user_token,
        Some("audio/wav"),
        wav(),
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    assert_problem(
        app.patch(&path, &user_token, json!({"name": "Mine"})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.delete(&path, &user_token).await, 403, "forbidden").await;
    assert_eq!(expect_json(app.get(&path, &token).await, 200).await, menu);
}

/// Deleting a tenant takes its recordings off the disk with its rows.
#[tokio::test]
async fn deleting_a_tenant_removes_its_recordings() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR leaving").await;
    let (other, other_token) = app.tenant_with_admin("IVR staying").await;
    for (t, tok) in [(&tenant, &token), (&other, &other_token)] {
        let menu = simple_menu(&app, tok, t).await;
        let path = format!("{}/{}/greeting", menus(t), menu["id"].as_str().unwrap());
        let res = send_raw(&app, Method::PUT, &path, tok, Some("audio/wav"), wav()).await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(greeting_files(&app).len(), 2);
    let res = app
        .delete(&format!("/v1/tenants/{tenant}"), &app.admin)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(greeting_files(&app).len(), 1, "the other tenant's stays");
}

/// Housekeeping removes stored files no row names once they are old enough (a crash
/// between writing a file and committing its row), and nothing else.
#[tokio::test]
async fn housekeeping_sweeps_orphan_files_only() {
    use centralita_domain::storage;
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("IVR orphans").await;
    let menu = simple_menu(&app, &token, &tenant).await;
    let path = format!(
        "{}/{}/greeting",
        menus(&tenant),
        menu["id"].as_str().unwrap()
    );
    let res = send_raw(&app, Method::PUT, &path, &token, Some("audio/wav"), wav()).await;
    assert_eq!(res.status(), 200);
    let data_dir = app.core.config.data_dir.clone();
    let dir = storage::Area::Greetings.dir(&data_dir);
    let in_use = greeting_files(&app).pop().unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let age = |name: &str| {
        std::fs::File::options()
            .write(true)
            .open(dir.join(name))
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    };
    // An old orphan, a fresh one (its transaction may still commit), an old file in use,
    // and an old orphan voicemail file.
    let old_orphan = storage::new_key("wav");
    let fresh_orphan = storage::new_key("wav");
    std::fs::write(dir.join(&old_orphan), b"x").unwrap();
    std::fs::write(dir.join(&fresh_orphan), b"x").unwrap();
    age(&old_orphan);
    age(&in_use);
    let vm_dir = storage::Area::Voicemail.dir(&data_dir);
    std::fs::create_dir_all(&vm_dir).unwrap();
    let vm_orphan = storage::new_key("wav");
    std::fs::write(vm_dir.join(&vm_orphan), b"x").unwrap();
    std::fs::File::options()
        .write(true)
        .open(vm_dir.join(&vm_orphan))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();

    let removed = app.core.files.sweep_orphans(&app.core.db).await.unwrap();
    assert_eq!(removed, 2);
    let mut expected = vec![in_use.clone(), fresh_orphan];
    expected.sort();
    assert_eq!(greeting_files(&app), expected);
    assert!(!vm_dir.join(&vm_orphan).exists());
    // The recording in use still plays.
    assert_eq!(app.get(&path, &token).await.status(), 200);
    assert_eq!(
        app.core.files.sweep_orphans(&app.core.db).await.unwrap(),
        0,
        "a second sweep finds nothing"
    );
}
