//! `POST /v1/tenants/{tenant_id}/users` with `extension` and `voicemail`: user, extension
//! and voicemail box in one transaction.

use crate::common::*;
use centralita_domain::sip;
use serde_json::{Value, json};
use uuid::Uuid;

fn users(tenant: &str) -> String {
    format!("/v1/tenants/{tenant}/users")
}

fn email() -> String {
    format!("{}@compound.example.com", Uuid::now_v7().simple())
}

fn compound(email: &str, number: &str) -> Value {
    json!({
        "email": email, "display_name": "Ana Pérez", "role": "tenant_user", "password": PASSWORD,
        "extension": {"number": number, "display_name": "Ana", "dnd": true},
        "voicemail": {"mailbox": number, "pin": "739164", "emails": [email]}
    })
}

/// Nothing of a refused compound request exists: no user with `email` (it can be
/// registered afterwards), no extension, no box.
async fn assert_nothing_created(app: &TestApp, token: &str, tenant: &str, email: &str) {
    assert!(
        list_all(app, &extensions_path(tenant), token)
            .await
            .is_empty(),
        "an extension was created"
    );
    assert!(
        list_all(app, &boxes_path(tenant), token).await.is_empty(),
        "a voicemail box was created"
    );
    let all = list_all(app, &users(tenant), token).await;
    assert!(
        all.iter().all(|u| u["email"] != email),
        "the user was created"
    );
}

#[tokio::test]
async fn user_extension_and_box_in_one_call() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Compound").await;
    let realm = add_domain(&app, &token, &tenant).await;
    let mail = email();

    let res = app
        .post(&users(&tenant), &token, compound(&mail, "100"))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let body: Value = res.json().await.unwrap();
    let user_id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/{user_id}", users(&tenant)));
    assert_eq!(body["email"], mail.as_str());
    assert_eq!(body["role"], "tenant_user");
    assert_eq!(body["version"], 1);

    let ext = &body["extension"];
    let vm = &body["voicemail_box"];
    assert_eq!(ext["number"], "100");
    assert_eq!(ext["dnd"], true);
    assert_eq!(ext["user_id"], user_id.as_str());
    assert_eq!(ext["voicemail_box_id"], vm["id"]);
    assert_eq!(ext["sip_realms"], json!([realm]));
    let password = ext["sip_password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 20);
    assert_eq!(vm["mailbox"], "100");
    assert_eq!(vm["emails"], json!([mail]));
    assert!(!vm.to_string().contains("pin"));

    // The user is a plain user (GET shows no nested objects), and can log in.
    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert_eq!(got["id"], user_id.as_str());
    assert!(got.get("extension").is_none());
    app.login(&mail, PASSWORD).await;

    // The extension and the box are real, and linked.
    let ext_url = format!(
        "{}/{}",
        extensions_path(&tenant),
        ext["id"].as_str().unwrap()
    );
    let stored = expect_json(app.get(&ext_url, &token).await, 200).await;
    let mut expected = ext.clone();
    expected.as_object_mut().unwrap().remove("sip_password");
    assert_eq!(stored, expected);
    let by_user = list_all(
        &app,
        &format!("{}?user_id={user_id}", extensions_path(&tenant)),
        &token,
    )
    .await;
    assert_eq!(by_user.len(), 1);
    let vm_url = format!("{}/{}", boxes_path(&tenant), vm["id"].as_str().unwrap());
    assert_eq!(expect_json(app.get(&vm_url, &token).await, 200).await, *vm);
    let creds = credentials_of(&app, ext["id"].as_str().unwrap()).await;
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].ha1, sip::ha1("100", &realm, &password));
    assert_eq!(creds[0].ha1b, sip::ha1b("100", &realm, &password));
    // The box is referenced by the extension.
    assert_problem(app.delete(&vm_url, &token).await, 409, "conflict").await;
    // The number is taken.
    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "100", "display_name": "Dup"}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;

    // Audited, without secrets.
    let mut actions = Vec::new();
    for (action, id) in [
        ("user.create", user_id.as_str()),
        ("extension.create", ext["id"].as_str().unwrap()),
        ("voicemail_box.create", vm["id"].as_str().unwrap()),
    ] {
        let events = audit_events(&app, &format!("action={action}&resource_id={id}")).await;
        assert_eq!(events.len(), 1, "{action}");
        assert_eq!(events[0]["tenant_id"], tenant.as_str());
        actions.extend(events);
    }
    assert_no_secrets(&json!(actions), &[PASSWORD, &password, "739164"]);
}

#[tokio::test]
async fn extension_or_box_alone_and_plain_users() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Partial").await;

    // Extension only: linked to the user, no box.
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": email(), "display_name": "Ext only", "role": "tenant_user",
                   "password": PASSWORD, "extension": {"number": "200", "display_name": "E"}}),
        )
        .await;
    let body = expect_json(res, 201).await;
    assert_eq!(body["extension"]["user_id"], body["id"]);
    assert!(body["extension"]["voicemail_box_id"].is_null());
    assert!(body["extension"]["sip_password"].is_string());
    assert!(body.get("voicemail_box").is_none());

    // Box only.
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": email(), "display_name": "Box only", "role": "tenant_user",
                   "password": PASSWORD, "voicemail": {"mailbox": "201", "pin": "739164"}}),
        )
        .await;
    let body = expect_json(res, 201).await;
    assert!(body.get("extension").is_none());
    assert_eq!(body["voicemail_box"]["mailbox"], "201");

    // An existing box may be linked by id when no new one is created.
    let existing = create_box(&app, &token, &tenant, "299").await;
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": email(), "display_name": "Existing box", "role": "tenant_admin",
                   "password": PASSWORD,
                   "extension": {"number": "202", "display_name": "E", "voicemail_box_id": existing["id"]}}),
        )
        .await;
    let body = expect_json(res, 201).await;
    assert_eq!(body["extension"]["voicemail_box_id"], existing["id"]);

    // Without either: the old answer, unchanged.
    let mail = email();
    let res = app
        .post(
            &users(&tenant),
            &token,
            json!({"email": mail, "display_name": "Plain", "role": "tenant_user", "password": PASSWORD}),
        )
        .await;
    let body = expect_json(res, 201).await;
    assert!(body.get("extension").is_none() && body.get("voicemail_box").is_none());
    assert_eq!(body["email"], mail.as_str());
    let got = expect_json(
        app.get(
            &format!("{}/{}", users(&tenant), body["id"].as_str().unwrap()),
            &token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(got, body);
    assert_eq!(
        list_all(&app, &extensions_path(&tenant), &token)
            .await
            .len(),
        2
    );
    assert_eq!(list_all(&app, &boxes_path(&tenant), &token).await.len(), 2);
}

#[tokio::test]
async fn invalid_nested_input_creates_nothing() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Nested invalid").await;
    let (other, other_token) = app.tenant_with_admin("Nested other").await;
    let foreign_box = create_box(&app, &other_token, &other, "900").await;
    let (existing_user, _) = app.create_user(&token, &tenant, "tenant_user").await;
    let mail = email();

    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut b = compound(&mail, "300");
        f(&mut b);
        b
    };
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            mutate(&|b| b["extension"]["number"] = json!("0300")),
            vec![("extension.number", "invalid_number")],
        ),
        (
            mutate(&|b| b["voicemail"]["pin"] = json!("1234")),
            vec![("voicemail.pin", "pin_trivial")],
        ),
        (
            mutate(&|b| b["voicemail"]["pin"] = json!("300")),
            vec![("voicemail.pin", "pin_too_short")],
        ),
        (
            mutate(&|b| b["voicemail"]["mailbox"] = json!("x")),
            vec![("voicemail.mailbox", "invalid_number")],
        ),
        (
            mutate(&|b| b["voicemail"]["emails"] = json!(["bad"])),
            vec![("voicemail.emails[0]", "")],
        ),
        (
            mutate(&|b| b["extension"]["user_id"] = json!(existing_user)),
            vec![("extension.user_id", "not_allowed")],
        ),
        (
            mutate(&|b| b["extension"]["voicemail_box_id"] = json!(Uuid::now_v7())),
            vec![("extension.voicemail_box_id", "")],
        ),
        (
            mutate(&|b| {
                b["voicemail"] = Value::Null;
                b.as_object_mut().unwrap().remove("voicemail");
                b["extension"]["voicemail_box_id"] = foreign_box["id"].clone();
            }),
            vec![("extension.voicemail_box_id", "unknown_voicemail_box")],
        ),
        (
            mutate(&|b| {
                b["extension"]["forwarding"] = json!({"busy": {"enabled": true,
                    "destination": {"type": "voicemail_box", "id": foreign_box["id"]}}});
            }),
            vec![(
                "extension.forwarding.busy.destination",
                "unknown_destination",
            )],
        ),
        (
            mutate(&|b| b["extension"]["max_concurrent_calls"] = json!(0)),
            vec![("extension.max_concurrent_calls", "out_of_range")],
        ),
        (
            mutate(&|b| {
                b["extension"]["number"] = json!("");
                b["voicemail"]["pin"] = json!("0000");
                b["password"] = json!("short");
            }),
            vec![
                ("extension.number", "invalid_number"),
                ("voicemail.pin", "pin_trivial"),
                ("password", ""),
            ],
        ),
    ];
    for (body, expected) in cases {
        let res = app.post(&users(&tenant), &token, body.clone()).await;
        let p = assert_problem(res, 422, "validation_failed").await;
        let errs = field_errors(&p);
        for (field, code) in expected {
            assert!(
                errs.iter()
                    .any(|(f, c)| f == field && (code.is_empty() || c == code)),
                "{body}: expected {field}/{code} in {p}"
            );
        }
        assert!(
            errs.iter()
                .all(|(f, _)| f != "number" && f != "pin" && f != "mailbox"),
            "unprefixed nested field: {p}"
        );
        assert_no_secrets(&p, &[PASSWORD, "739164"]);
        assert_nothing_created(&app, &token, &tenant, &mail).await;
    }
    // The number and the mailbox are still free, and the e-mail can be registered.
    let ok = expect_json(
        app.post(&users(&tenant), &token, compound(&mail, "300"))
            .await,
        201,
    )
    .await;
    assert_eq!(ok["extension"]["number"], "300");
}

#[tokio::test]
async fn conflicts_roll_everything_back() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Rollback").await;
    add_domain(&app, &token, &tenant).await;
    let taken = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "400", "display_name": "Taken"}),
    )
    .await;
    let taken_box = create_box(&app, &token, &tenant, "401").await;

    // Extension number taken.
    let mail = email();
    let mut body = compound(&mail, "400");
    body["voicemail"]["mailbox"] = json!("410");
    let p = assert_problem(
        app.post(&users(&tenant), &token, body).await,
        409,
        "conflict",
    )
    .await;
    assert!(
        field_errors(&p)
            .iter()
            .any(|(f, c)| f.ends_with("number") && c == "number_taken"),
        "{p}"
    );
    // Mailbox taken.
    let mut body = compound(&mail, "401");
    body["extension"]["number"] = json!("411");
    assert_problem(
        app.post(&users(&tenant), &token, body).await,
        409,
        "conflict",
    )
    .await;
    // SIP username taken.
    let mut body = compound(&mail, "412");
    body["extension"]["sip_username"] = json!("400");
    assert_problem(
        app.post(&users(&tenant), &token, body).await,
        409,
        "conflict",
    )
    .await;
    // E-mail taken (by another user): nothing created either.
    let other_mail = email();
    create_user_with_email(&app, &token, &tenant, "tenant_user", &other_mail, PASSWORD).await;
    assert_problem(
        app.post(&users(&tenant), &token, compound(&other_mail, "413"))
            .await,
        409,
        "conflict",
    )
    .await;

    // Only the pre-existing objects exist; the user was never created.
    let exts = list_all(&app, &extensions_path(&tenant), &token).await;
    assert_eq!(exts.len(), 1);
    assert_eq!(exts[0]["id"], taken["id"]);
    let boxes = list_all(&app, &boxes_path(&tenant), &token).await;
    assert_eq!(boxes, vec![taken_box]);
    assert!(
        list_all(&app, &users(&tenant), &token)
            .await
            .iter()
            .all(|u| u["email"] != mail.as_str())
    );
    assert_eq!(app.login_raw(&mail, PASSWORD).await.status(), 401);
    for n in ["410", "411", "412", "413"] {
        assert!(
            list_all(
                &app,
                &format!("{}?number={n}", extensions_path(&tenant)),
                &token
            )
            .await
            .is_empty()
        );
    }
    assert!(
        audit_events(&app, "action=extension.create")
            .await
            .iter()
            .all(|e| e["resource_id"] == taken["id"])
    );

    // The e-mail can be registered now, with free numbers.
    let ok = expect_json(
        app.post(&users(&tenant), &token, compound(&mail, "410"))
            .await,
        201,
    )
    .await;
    assert_eq!(ok["email"], mail.as_str());
    assert_eq!(ok["voicemail_box"]["mailbox"], "410");
    app.login(&mail, PASSWORD).await;
}

#[tokio::test]
async fn only_pbx_writers_may_use_it() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = app.tenant_with_admin("Compound roles").await;
    let (_, user) = app.create_user(&admin, &tenant, "tenant_user").await;
    let (_, stranger) = app.tenant_with_admin("Stranger").await;
    let mail = email();

    assert_problem(
        app.post(&users(&tenant), &user, compound(&mail, "500"))
            .await,
        403,
        "forbidden",
    )
    .await;
    let res = app
        .post(&users(&tenant), &stranger, compound(&mail, "500"))
        .await;
    assert!(
        [403, 404].contains(&res.status().as_u16()),
        "{}",
        res.status()
    );
    let (_, support) = support_token(&app).await;
    assert_problem(
        app.post(&users(&tenant), &support, compound(&mail, "500"))
            .await,
        403,
        "reason_required",
    )
    .await;
    assert_nothing_created(&app, &admin, &tenant, &mail).await;

    // Support with a reason, and a partner in a child tenant, may.
    let res = app
        .req(reqwest::Method::POST, &users(&tenant), &support)
        .header("X-Acting-Reason", "Ticket #77: onboarding")
        .json(&compound(&mail, "500"))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(res, 201).await["extension"]["number"], "500");
    let partner = app
        .create_tenant(&app.admin, "Compound partner", None)
        .await;
    let (_, partner_token) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let child = app
        .create_tenant(&partner_token, "Compound child", Some(&partner))
        .await;
    let res = app
        .post(&users(&child), &partner_token, compound(&email(), "500"))
        .await;
    let body = expect_json(res, 201).await;
    assert_eq!(body["voicemail_box"]["mailbox"], "500");
}
