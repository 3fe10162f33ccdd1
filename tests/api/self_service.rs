//! A user's own voicemail (`/v1/me/voicemail-messages`) and call history (`/v1/me/cdrs`):
//! what the phones assigned to them reached, nobody else's, whatever their role.

use crate::{
    calls::setup,
    cdrs::{ingest, record},
    common::*,
    voicemail_messages::{deliver, new_box},
};
use serde_json::{Value, json};

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn users_hear_mark_and_delete_their_own_voicemail_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Own voicemail").await;
    let (user_id, user) = app.create_user(&admin, &t, "tenant_user").await;
    let (other_id, other) = app.create_user(&admin, &t, "tenant_user").await;
    let mine = new_box(&app, &admin, &t, "701").await;
    let theirs = new_box(&app, &admin, &t, "702").await;
    let nobodys = new_box(&app, &admin, &t, "799").await;
    for (number, owner, vm) in [("701", &user_id, &mine), ("702", &other_id, &theirs)] {
        create_extension(
            &app,
            &admin,
            &t,
            json!({"number": number, "display_name": number, "user_id": owner,
                   "voicemail_box_id": vm}),
        )
        .await;
    }
    let m1 = deliver(&app, &t, &mine, b"RIFF-mine-1").await;
    let m2 = deliver(&app, &t, &mine, b"RIFF-mine-2").await;
    let their_message = deliver(&app, &t, &theirs, b"RIFF-theirs").await;
    let orphan = deliver(&app, &t, &nobodys, b"RIFF-nobody").await;

    let list = list_all(&app, "/v1/me/voicemail-messages", &user).await;
    assert_eq!(
        ids(&list),
        [m1.as_str(), m2.as_str()],
        "only the user's box"
    );
    assert_eq!(list[0]["box_id"], mine.as_str());
    let list = list_all(&app, "/v1/me/voicemail-messages", &other).await;
    assert_eq!(ids(&list), [their_message.as_str()]);

    let res = app
        .get(&format!("/v1/me/voicemail-messages/{m1}/audio"), &user)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "audio/wav");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"RIFF-mine-1");

    let v = expect_json(
        app.patch(
            &format!("/v1/me/voicemail-messages/{m1}"),
            &user,
            json!({"read": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["read"], true);
    let unread = expect_json(
        app.get("/v1/me/voicemail-messages?read=false", &user).await,
        200,
    )
    .await;
    assert_eq!(ids(unread["items"].as_array().unwrap()), [m2.as_str()]);
    // The admins see the same message, marked by the user, and the audit log says who.
    let seen = expect_json(
        app.get(
            &format!("/v1/tenants/{t}/voicemail-boxes/{mine}/messages/{m1}"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(seen["read"], true);
    let events = list_all(
        &app,
        &format!("/v1/tenants/{t}/audit-events?action=voicemail_message.mark_read"),
        &admin,
    )
    .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor_id"], user_id.as_str());

    assert_eq!(
        app.delete(&format!("/v1/me/voicemail-messages/{m2}"), &user)
            .await
            .status(),
        204
    );
    assert_eq!(
        ids(&list_all(&app, "/v1/me/voicemail-messages", &user).await),
        [m1.as_str()]
    );

    // Someone else's message, one in a box no phone of theirs uses, or one of another
    // tenant: a 404 like a missing one, and nothing changes.
    let (_, outsider) = app.tenant_with_admin("Outsider").await;
    for (token, id) in [
        (&user, &their_message),
        (&user, &orphan),
        (&other, &m1),
        (&outsider, &m1),
        (&app.admin, &m1),
    ] {
        let one = format!("/v1/me/voicemail-messages/{id}");
        assert_problem(
            app.get(&format!("{one}/audio"), token).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.patch(&one, token, json!({"read": true})).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(app.delete(&one, token).await, 404, "not_found").await;
    }
    let box_list = |b: &str| format!("/v1/tenants/{t}/voicemail-boxes/{b}/messages");
    assert_eq!(
        list_all(&app, &box_list(&theirs), &admin).await[0]["read"],
        false
    );
    assert_eq!(list_all(&app, &box_list(&nobodys), &admin).await.len(), 1);
    assert_eq!(
        list_all(&app, &box_list(&mine), &admin).await[0]["read"],
        true
    );

    // Principals without phones have no voicemail of their own.
    let key = create_api_key(&app, &admin, &t, "tenant_admin").await;
    for token in [key["key"].as_str().unwrap(), &app.admin, &outsider, &admin] {
        let list = expect_json(app.get("/v1/me/voicemail-messages", token).await, 200).await;
        assert_eq!(list["items"], json!([]));
    }
}

#[tokio::test]
async fn bad_inputs_to_own_voicemail_change_nothing() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Own voicemail inputs").await;
    let (user_id, user) = app.create_user(&admin, &t, "tenant_user").await;
    let vm = new_box(&app, &admin, &t, "701").await;
    create_extension(
        &app,
        &admin,
        &t,
        json!({"number": "701", "display_name": "Mine", "user_id": user_id,
               "voicemail_box_id": vm}),
    )
    .await;
    let m = deliver(&app, &t, &vm, b"RIFF").await;
    let one = format!("/v1/me/voicemail-messages/{m}");
    let p = assert_problem(
        app.patch(&one, &user, json!({"read": "yes"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "read");
    assert_problem(
        app.patch(&one, &user, json!({"read": true, "box_id": vm}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/v1/me/voicemail-messages?limit=0", &user).await,
        400,
        "invalid_query",
    )
    .await;
    assert_problem(
        app.get("/v1/me/voicemail-messages/not-a-uuid/audio", &user)
            .await,
        404,
        "not_found",
    )
    .await;
    let list = list_all(&app, "/v1/me/voicemail-messages", &user).await;
    assert_eq!(list[0]["read"], false, "nothing changed");
}

#[tokio::test]
async fn users_see_only_the_calls_of_their_own_phones_without_charges() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (user_id, user) = app.create_user(&s.admin, &s.t, "tenant_user").await;
    let (_, other) = app.create_user(&s.admin, &s.t, "tenant_user").await;
    let desk = list_all(&app, &format!("/v1/tenants/{}/extensions", s.t), &s.admin).await;
    let desk_id = desk[0]["id"].as_str().unwrap();
    expect_json(
        app.patch(
            &format!("/v1/tenants/{}/extensions/{desk_id}", s.t),
            &s.admin,
            json!({"user_id": user_id}),
        )
        .await,
        200,
    )
    .await;

    // 101 is the user's phone: its outside call, a call to it, and calls of others.
    let out = record(&s, "own-out", "outbound", "34612345678", 60);
    let mut to_me = record(&s, "own-in", "internal", "101", 20);
    to_me["caller"] = json!("102");
    to_me["extension"] = Value::Null;
    let mut others = record(&s, "others", "internal", "103", 20);
    others["caller"] = json!("102");
    others["extension"] = json!("102");
    let mut by_extension = record(&s, "own-did", "inbound", "+34910000000", 30);
    by_extension["caller"] = json!("+34600000000");
    ingest(&app, &s.node, vec![out, to_me, others, by_extension]).await;

    let calls = list_all(&app, "/v1/me/cdrs", &user).await;
    let mut call_ids: Vec<&str> = calls
        .iter()
        .map(|c| c["call_id"].as_str().unwrap())
        .collect();
    call_ids.sort_unstable();
    assert_eq!(call_ids, ["own-did", "own-in", "own-out"]);
    for c in &calls {
        assert!(c["charge"].is_null(), "no charges for users: {c}");
        assert!(c["currency"].is_null(), "{c}");
        assert!(c.get("your_margin").is_none() && c.get("buy_cost").is_none());
    }
    // The tenant's list shows the charge the user does not see.
    let all = list_all(&app, &format!("/v1/tenants/{}/cdrs", s.t), &s.admin).await;
    assert_eq!(all.len(), 4);
    assert!(
        all.iter()
            .any(|c| c["call_id"] == "own-out" && c["charge"].is_string())
    );

    let outbound = expect_json(app.get("/v1/me/cdrs?direction=outbound", &user).await, 200).await;
    assert_eq!(outbound["items"].as_array().unwrap().len(), 1);
    assert_eq!(outbound["items"][0]["call_id"], "own-out");

    // Bad filters are refused; other principals have no history here.
    assert_problem(
        app.get(
            "/v1/me/cdrs?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            &user,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/v1/me/cdrs?direction=sideways", &user).await,
        400,
        "invalid_query",
    )
    .await;
    let (_, outsider) = app.tenant_with_admin("Outsider calls").await;
    for token in [&other, &s.admin, &app.admin, &outsider] {
        let page = expect_json(app.get("/v1/me/cdrs", token).await, 200).await;
        assert_eq!(page["items"], json!([]), "{token}");
    }
}

/// `?order=newest` lists the latest records first and its cursor keeps going backwards;
/// the export follows the same order. A dashboard's "recent calls" depends on it.
#[tokio::test]
async fn records_can_be_listed_newest_first() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    for id in ["first", "second", "third"] {
        ingest(
            &app,
            &s.node,
            vec![record(&s, id, "outbound", "34612345678", 10)],
        )
        .await;
    }
    let base = format!("/v1/tenants/{}/cdrs", s.t);
    let call_ids = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|c| c["call_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        call_ids(&list_all(&app, &base, &s.admin).await),
        ["first", "second", "third"]
    );
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = expect_json(
            app.get(
                &format!("{base}?order=newest&limit=1&cursor={cursor}"),
                &s.admin,
            )
            .await,
            200,
        )
        .await;
        seen.extend(call_ids(page["items"].as_array().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["third", "second", "first"]);
    let csv = app
        .get(&format!("{base}/export?order=newest"), &s.admin)
        .await
        .text()
        .await
        .unwrap();
    let at = |id: &str| {
        csv.find(&format!(",{id},"))
            .unwrap_or_else(|| panic!("{id} in {csv}"))
    };
    assert!(
        at("third") < at("second") && at("second") < at("first"),
        "{csv}"
    );
    assert_problem(
        app.get(&format!("{base}?order=random"), &s.admin).await,
        400,
        "invalid_query",
    )
    .await;
}

/// The dashboard's voicemail figure: all messages and the unread ones, in all and per box,
/// for those who may read the tenant's boxes.
#[tokio::test]
async fn the_voicemail_summary_counts_messages_per_box() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Voicemail counts").await;
    let path = format!("/v1/tenants/{t}/voicemail-summary");
    let empty = expect_json(app.get(&path, &admin).await, 200).await;
    assert_eq!(empty, json!({"messages": 0, "unread": 0, "boxes": []}));

    let sales = new_box(&app, &admin, &t, "2002").await;
    let desk = new_box(&app, &admin, &t, "2001").await;
    new_box(&app, &admin, &t, "2003").await;
    let heard = deliver(&app, &t, &desk, b"RIFF-1").await;
    deliver(&app, &t, &desk, b"RIFF-2").await;
    deliver(&app, &t, &sales, b"RIFF-3").await;
    expect_json(
        app.patch(
            &format!("/v1/tenants/{t}/voicemail-boxes/{desk}/messages/{heard}"),
            &admin,
            json!({"read": true}),
        )
        .await,
        200,
    )
    .await;
    let summary = expect_json(app.get(&path, &admin).await, 200).await;
    assert_eq!(
        summary,
        json!({"messages": 3, "unread": 2, "boxes": [
            {"box_id": desk, "mailbox": "2001", "messages": 2, "unread": 1},
            {"box_id": sales, "mailbox": "2002", "messages": 1, "unread": 1},
        ]})
    );

    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    assert_problem(app.get(&path, &user).await, 403, "forbidden").await;
    let (_, outsider) = app.tenant_with_admin("Other counts").await;
    assert_problem(app.get(&path, &outsider).await, 404, "not_found").await;
}
