//! Voicemail messages of a box: list, metadata, audio, read/unread, delete.

use crate::common::*;
use centralita_domain::{entities::voicemail_message, services::voicemail_messages::audio_dir};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) async fn new_box(app: &TestApp, token: &str, tenant: &str, mailbox: &str) -> String {
    let res = app
        .post(
            &format!("/v1/tenants/{tenant}/voicemail-boxes"),
            token,
            json!({"mailbox": mailbox, "pin": "480613", "emails": ["vm@example.com"]}),
        )
        .await;
    expect_json(res, 201).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Stores a message as the intake will: a row and an audio file.
pub(crate) async fn deliver(app: &TestApp, tenant: &str, box_id: &str, audio: &[u8]) -> String {
    let id = Uuid::now_v7();
    let key = format!("{id}.wav");
    let dir = audio_dir(&app.core.config.data_dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&key), audio).unwrap();
    voicemail_message::Entity::insert(voicemail_message::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.parse().unwrap()),
        box_id: Set(box_id.parse().unwrap()),
        caller_id_number: Set(Some("+12125550100".into())),
        caller_id_name: Set(Some("Caller".into())),
        duration_secs: Set(12),
        content_type: Set("audio/wav".into()),
        size_bytes: Set(audio.len() as i64),
        storage_key: Set(key),
        read: Set(false),
        received_at: Set(Utc::now()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(&app.core.db)
    .await
    .unwrap();
    id.to_string()
}

#[tokio::test]
async fn list_read_download_mark_and_delete() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Voicemail Co").await;
    let b = new_box(&app, &admin, &t, "2001").await;
    let other_box = new_box(&app, &admin, &t, "2002").await;
    let m1 = deliver(&app, &t, &b, b"RIFF-one").await;
    let m2 = deliver(&app, &t, &b, b"RIFF-two").await;
    deliver(&app, &t, &other_box, b"RIFF-other").await;
    let base = format!("/v1/tenants/{t}/voicemail-boxes/{b}/messages");

    let all = list_all(&app, &base, &admin).await;
    assert_eq!(all.len(), 2, "only this box's messages");
    assert_eq!(all[0]["id"], m1.as_str());
    assert_eq!(all[0]["read"], false);
    assert_eq!(all[0]["caller_id_number"], "+12125550100");
    assert!(
        all[0].get("storage_key").is_none(),
        "storage key is internal"
    );

    let res = app.get(&format!("{base}/{m1}/audio"), &admin).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "audio/wav");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"RIFF-one");

    let v = expect_json(
        app.patch(&format!("{base}/{m1}"), &admin, json!({"read": true}))
            .await,
        200,
    )
    .await;
    assert_eq!(v["read"], true);
    let unread = list_all(&app, &format!("{base}?read=false"), &admin).await;
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0]["id"], m2.as_str());
    assert_eq!(
        audit_events(&app, "action=voicemail_message.mark_read")
            .await
            .len(),
        1
    );

    let res = app.delete(&format!("{base}/{m1}"), &admin).await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get(&format!("{base}/{m1}"), &admin).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("{base}/{m1}/audio"), &admin).await,
        404,
        "not_found",
    )
    .await;
    let dir = audio_dir(&app.core.config.data_dir);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "the audio file is removed"
    );
}

#[tokio::test]
async fn messages_are_reached_only_through_their_own_box_and_tenant() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Box owner").await;
    let (t2, admin2) = app.tenant_with_admin("Neighbour").await;
    let b = new_box(&app, &admin, &t, "2001").await;
    let b_other = new_box(&app, &admin, &t, "2002").await;
    let b2 = new_box(&app, &admin2, &t2, "2001").await;
    let m = deliver(&app, &t, &b, b"RIFF").await;

    // Same tenant, wrong box: 404.
    let wrong_box = format!("/v1/tenants/{t}/voicemail-boxes/{b_other}/messages/{m}");
    assert_problem(app.get(&wrong_box, &admin).await, 404, "not_found").await;
    // Another tenant, with its own box id or ours: 404, nothing changed.
    for path in [
        format!("/v1/tenants/{t2}/voicemail-boxes/{b2}/messages/{m}"),
        format!("/v1/tenants/{t}/voicemail-boxes/{b}/messages/{m}"),
    ] {
        assert_problem(app.get(&path, &admin2).await, 404, "not_found").await;
        assert_problem(
            app.patch(&path, &admin2, json!({"read": true})).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(app.delete(&path, &admin2).await, 404, "not_found").await;
    }
    let v: Value = expect_json(
        app.get(
            &format!("/v1/tenants/{t}/voicemail-boxes/{b}/messages/{m}"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["read"], false);
}

#[tokio::test]
async fn bad_inputs_and_roles() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Strict").await;
    let b = new_box(&app, &admin, &t, "2001").await;
    let m = deliver(&app, &t, &b, b"RIFF").await;
    let path = format!("/v1/tenants/{t}/voicemail-boxes/{b}/messages/{m}");
    let p = assert_problem(
        app.patch(&path, &admin, json!({"read": "yes"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "read");
    assert_problem(
        app.patch(&path, &admin, json!({"read": true, "x": 1}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/v1/tenants/{t}/voicemail-boxes/{b}/messages?limit=0"),
            &admin,
        )
        .await,
        400,
        "invalid_query",
    )
    .await;
    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    assert_problem(app.get(&path, &user).await, 403, "forbidden").await;
    assert_problem(app.delete(&path, &user).await, 403, "forbidden").await;
    let v = expect_json(app.get(&path, &admin).await, 200).await;
    assert_eq!(v["read"], false, "nothing changed");
}
