//! `/v1/tenants/{tenant_id}/extensions[/{extension_id}[/reset-password]]`.

use crate::common::*;
use centralita_domain::sip;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn ext_url(tenant: &str, id: &Value) -> String {
    format!("{}/{}", extensions_path(tenant), id.as_str().unwrap())
}

/// The view without the one-time password.
fn without_password(v: &Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("sip_password");
    v
}

#[tokio::test]
async fn extension_crud() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Extensions").await;
    let mut realms = vec![
        add_domain(&app, &token, &tenant).await,
        add_domain(&app, &token, &tenant).await,
    ];
    realms.sort();

    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "100", "display_name": "Reception"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "etag"), "\"1\"");
    let location = header(&res, "location");
    let created: Value = res.json().await.unwrap();
    assert_eq!(location, ext_url(&tenant, &created["id"]));
    let password = created["sip_password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 20, "{password}");
    assert_eq!(created["number"], "100");
    assert_eq!(created["display_name"], "Reception");
    assert_eq!(created["sip_username"], "100");
    assert_eq!(created["sip_realms"], json!(realms));
    assert_eq!(created["enabled"], true);
    assert_eq!(created["dnd"], false);
    assert_eq!(created["record_calls"], false);
    assert_eq!(created["max_concurrent_calls"], 4);
    assert_eq!(created["follow_me"], json!([]));
    assert!(created["user_id"].is_null());
    assert!(created["voicemail_box_id"].is_null());
    assert_eq!(created["version"], 1);

    // Reads never carry the password nor the digests.
    let res = app.get(&location, &token).await;
    assert_eq!(header(&res, "etag"), "\"1\"");
    let got = expect_json(res, 200).await;
    assert_eq!(got, without_password(&created));
    let listed = list_all(&app, &extensions_path(&tenant), &token).await;
    assert_eq!(listed, vec![got.clone()]);
    for v in [&got, &json!(listed)] {
        let text = v.to_string();
        assert!(!text.contains(&password));
        assert!(!text.contains("sip_password") && !text.contains("ha1"));
    }

    // Merge patch; the external caller ID is a DID the tenant holds.
    claim_did(&app, &token, &tenant, "+34911234567").await;
    let res = app
        .patch(
            &location,
            &token,
            json!({"display_name": "Front desk", "dnd": true, "external_caller_id": "+34 911 234 567",
                   "caller_id_name": "Acme", "max_concurrent_calls": 2, "record_calls": true}),
        )
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let patched = expect_json(res, 200).await;
    assert_eq!(patched["display_name"], "Front desk");
    assert_eq!(patched["dnd"], true);
    assert_eq!(patched["external_caller_id"], "+34911234567");
    assert_eq!(patched["caller_id_name"], "Acme");
    assert_eq!(patched["max_concurrent_calls"], 2);
    assert_eq!(patched["record_calls"], true);
    assert_eq!(patched["number"], "100");
    assert_eq!(patched["sip_realms"], json!(realms));
    assert_eq!(patched["version"], 2);
    assert!(patched.get("sip_password").is_none());
    assert_eq!(
        expect_json(app.get(&location, &token).await, 200).await,
        patched
    );

    // A patch that changes nothing keeps the version.
    let same = expect_json(
        app.patch(
            &location,
            &token,
            json!({"display_name": "Front desk", "dnd": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(same["version"], 2);

    // null clears nullable fields.
    let cleared = expect_json(
        app.patch(
            &location,
            &token,
            json!({"external_caller_id": null, "caller_id_name": null}),
        )
        .await,
        200,
    )
    .await;
    assert!(cleared["external_caller_id"].is_null());
    assert!(cleared["caller_id_name"].is_null());
    assert_eq!(cleared["display_name"], "Front desk");
    assert_eq!(cleared["version"], 3);

    // If-Match.
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"1\"")
        .json(&json!({"display_name": "Stale"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .req(Method::DELETE, &location, &token)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let res = app
        .req(Method::PATCH, &location, &token)
        .header("If-Match", "\"3\"")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(res, 200).await["enabled"], false);

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
        app.patch(&location, &token, json!({"dnd": false})).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(&format!("{location}/reset-password"), &token, json!({}))
            .await,
        404,
        "not_found",
    )
    .await;
    assert!(
        list_all(&app, &extensions_path(&tenant), &token)
            .await
            .is_empty()
    );
    let missing = format!("{}/{}", extensions_path(&tenant), Uuid::now_v7());
    assert_problem(app.get(&missing, &token).await, 404, "not_found").await;
}

#[test]
fn digest_functions_match_md5() {
    // Reference values from an independent MD5 implementation.
    assert_eq!(
        sip::ha1("alice", "sip.example.com", "s3cret"),
        "c2259bf057179dae2de80a2dfa26dac2"
    );
    assert_eq!(
        sip::ha1b("alice", "sip.example.com", "s3cret"),
        "656558451b4b7f63e26276d6f6fb122e"
    );
}

fn assert_digests(
    creds: &[centralita_domain::entities::extension_credential::Model],
    realms: &[String],
    user: &str,
    password: &str,
) {
    assert_eq!(creds.len(), realms.len(), "one row per domain");
    for realm in realms {
        let row = creds
            .iter()
            .find(|c| &c.realm == realm)
            .unwrap_or_else(|| panic!("no credential for realm {realm}"));
        assert_eq!(row.username, user);
        assert_eq!(row.ha1, sip::ha1(user, realm, password));
        assert_eq!(row.ha1b, sip::ha1b(user, realm, password));
        assert_ne!(row.ha1, password);
    }
}

#[tokio::test]
async fn sip_digests_follow_the_password() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Digests").await;
    let mut realms = vec![
        add_domain(&app, &token, &tenant).await,
        add_domain(&app, &token, &tenant).await,
    ];
    realms.sort();

    let created = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "201", "display_name": "Alice", "sip_username": "alice.201"}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["sip_username"], "alice.201");
    assert_eq!(created["sip_realms"], json!(realms));
    let first = created["sip_password"].as_str().unwrap().to_owned();
    let creds = credentials_of(&app, &id).await;
    assert_digests(&creds, &realms, "alice.201", &first);

    // Reset: a new password, new digests, the old ones gone.
    let location = ext_url(&tenant, &created["id"]);
    let res = app
        .post(&format!("{location}/reset-password"), &token, json!({}))
        .await;
    let reset = expect_json(res, 200).await;
    let second = reset["sip_password"].as_str().unwrap().to_owned();
    assert!(second.len() >= 20);
    assert_ne!(first, second);
    assert_eq!(reset["id"], id.as_str());
    assert_eq!(reset["sip_realms"], json!(realms));
    let creds = credentials_of(&app, &id).await;
    assert_digests(&creds, &realms, "alice.201", &second);
    assert!(
        creds
            .iter()
            .all(|c| c.ha1 != sip::ha1("alice.201", &c.realm, &first))
    );
    // The reset is not echoed by later reads.
    let text = app.get(&location, &token).await.text().await.unwrap();
    assert!(!text.contains(&second) && !text.contains("sip_password"));

    // A domain added later has no digests until the next reset.
    let third_realm = add_domain(&app, &token, &tenant).await;
    let got = expect_json(app.get(&location, &token).await, 200).await;
    assert_eq!(got["sip_realms"], json!(realms));
    let reset = expect_json(
        app.post(&format!("{location}/reset-password"), &token, json!({}))
            .await,
        200,
    )
    .await;
    let third = reset["sip_password"].as_str().unwrap().to_owned();
    realms.push(third_realm);
    realms.sort();
    assert_eq!(reset["sip_realms"], json!(realms));
    assert_digests(
        &credentials_of(&app, &id).await,
        &realms,
        "alice.201",
        &third,
    );

    // A tenant without domains: no digests, no realms, but a password still.
    let (bare, bare_token) = app.tenant_with_admin("No domains").await;
    let e = create_extension(
        &app,
        &bare_token,
        &bare,
        json!({"number": "201", "display_name": "Alice", "sip_username": "alice.201"}),
    )
    .await;
    assert_eq!(e["sip_realms"], json!([]));
    assert!(e["sip_password"].as_str().unwrap().len() >= 20);
    assert!(
        credentials_of(&app, e["id"].as_str().unwrap())
            .await
            .is_empty()
    );

    // Deleting the extension removes its digests.
    assert_eq!(app.delete(&location, &token).await.status(), 204);
    assert!(credentials_of(&app, &id).await.is_empty());
}

#[tokio::test]
async fn numbers_and_usernames_are_unique_per_tenant() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Numbers").await;
    let (other, other_token) = app.tenant_with_admin("Other numbers").await;
    add_domain(&app, &token, &tenant).await;
    add_domain(&app, &other_token, &other).await;

    let first = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "300", "display_name": "One"}),
    )
    .await;
    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "300", "display_name": "Two", "sip_username": "two"}),
        )
        .await;
    let p = assert_problem(res, 409, "conflict").await;
    assert_field_error(&p, "number", "number_taken");
    assert_eq!(
        list_all(&app, &extensions_path(&tenant), &token)
            .await
            .len(),
        1
    );

    // Same number and username in another tenant: fine.
    create_extension(
        &app,
        &other_token,
        &other,
        json!({"number": "300", "display_name": "Elsewhere"}),
    )
    .await;

    // Duplicate SIP username (the default of another number).
    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "301", "display_name": "Dup", "sip_username": "300"}),
        )
        .await;
    let p = assert_problem(res, 409, "conflict").await;
    assert!(
        field_errors(&p).iter().any(|(f, _)| f == "sip_username"),
        "{p}"
    );
    // The failed create did not keep its number.
    create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "301", "display_name": "Three"}),
    )
    .await;

    // After deleting, the number is free again.
    assert_eq!(
        app.delete(&ext_url(&tenant, &first["id"]), &token)
            .await
            .status(),
        204
    );
    let again = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "300", "display_name": "Again"}),
    )
    .await;
    assert_eq!(again["sip_username"], "300");
}

#[tokio::test]
async fn invalid_input_is_422_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Invalid").await;
    let (other, other_token) = app.tenant_with_admin("Foreign").await;
    let foreign_ext = create_extension(
        &app,
        &other_token,
        &other,
        json!({"number": "900", "display_name": "Foreign"}),
    )
    .await;
    let foreign_box = create_box(&app, &other_token, &other, "900").await;
    let (foreign_user, _) = app.create_user(&app.admin, &other, "tenant_user").await;
    let fe = foreign_ext["id"].as_str().unwrap();
    let fb = foreign_box["id"].as_str().unwrap();
    let missing = Uuid::now_v7().to_string();

    let base = |extra: Value| {
        let mut b = json!({"number": "400", "display_name": "Ok"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"number": "0100"}), "number", "invalid_number"),
        (json!({"number": "1"}), "number", "invalid_number"),
        (json!({"number": "12a"}), "number", "invalid_number"),
        (
            json!({"number": "1234567890123456"}),
            "number",
            "invalid_number",
        ),
        (json!({"number": ""}), "number", "invalid_number"),
        (
            json!({"display_name": "   "}),
            "display_name",
            "invalid_length",
        ),
        (
            json!({"max_concurrent_calls": 0}),
            "max_concurrent_calls",
            "out_of_range",
        ),
        (
            json!({"max_concurrent_calls": 101}),
            "max_concurrent_calls",
            "out_of_range",
        ),
        (
            json!({"external_caller_id": "2125551234"}),
            "external_caller_id",
            "e164_missing_plus",
        ),
        (json!({"user_id": missing}), "user_id", "unknown_user"),
        (json!({"user_id": foreign_user}), "user_id", "unknown_user"),
        (
            json!({"voicemail_box_id": missing}),
            "voicemail_box_id",
            "unknown_voicemail_box",
        ),
        (
            json!({"voicemail_box_id": fb}),
            "voicemail_box_id",
            "unknown_voicemail_box",
        ),
        (
            json!({"forwarding": {"busy": {"enabled": true, "destination": {"type": "extension", "id": fe}}}}),
            "forwarding.busy.destination",
            "unknown_destination",
        ),
        (
            json!({"forwarding": {"no_answer": {"enabled": true, "destination": {"type": "voicemail_box", "id": fb}}}}),
            "forwarding.no_answer.destination",
            "unknown_destination",
        ),
        (
            json!({"forwarding": {"always": {"enabled": false, "destination": {"type": "extension", "id": missing}}}}),
            "forwarding.always.destination",
            "unknown_destination",
        ),
        (
            json!({"follow_me": [{"destination": {"type": "hangup"}, "ring_seconds": 20},
                                 {"destination": {"type": "voicemail_box", "id": fb}, "ring_seconds": 20}]}),
            "follow_me[1].destination",
            "unknown_destination",
        ),
        (
            json!({"follow_me": [{"destination": {"type": "hangup"}, "ring_seconds": 4}]}),
            "follow_me[0].ring_seconds",
            "out_of_range",
        ),
        (
            json!({"follow_me": [{"destination": {"type": "hangup"}, "ring_seconds": 301}]}),
            "follow_me[0].ring_seconds",
            "out_of_range",
        ),
    ];
    for (extra, field, code) in cases {
        let body = base(extra);
        let res = app
            .post(&extensions_path(&tenant), &token, body.clone())
            .await;
        let p = assert_problem(res, 422, "validation_failed").await;
        assert_field_error(&p, field, code);
        let _ = body;
    }
    // An invalid E.164 destination.
    for bad in ["12125551234", "+1212555123456789", "+1 212 CALL NOW"] {
        let res = app
            .post(
                &extensions_path(&tenant),
                &token,
                base(json!({"forwarding": {"unreachable": {"enabled": true,
                    "destination": {"type": "external_number", "number": bad}}}})),
            )
            .await;
        let p = assert_problem(res, 422, "validation_failed").await;
        assert!(
            field_errors(&p)
                .iter()
                .any(|(f, _)| f.starts_with("forwarding.unreachable.destination")),
            "{bad}: {p}"
        );
    }
    // Every error at once.
    let res = app
        .post(
            &extensions_path(&tenant),
            &token,
            json!({"number": "0", "display_name": "", "max_concurrent_calls": 500}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    let errs = field_errors(&p);
    for f in ["number", "display_name", "max_concurrent_calls"] {
        assert!(errs.iter().any(|(g, _)| g == f), "{f}: {p}");
    }
    // Malformed destinations and unknown fields are refused, too.
    for body in [
        base(
            json!({"forwarding": {"busy": {"enabled": true, "destination": {"type": "carrier_pigeon"}}}}),
        ),
        base(
            json!({"forwarding": {"sometimes": {"enabled": true, "destination": {"type": "hangup"}}}}),
        ),
        base(json!({"sip_password": "chosen-by-me-1234567890"})),
    ] {
        let res = app.post(&extensions_path(&tenant), &token, body).await;
        assert!(
            [400, 422].contains(&res.status().as_u16()),
            "{}",
            res.status()
        );
    }
    assert!(
        list_all(&app, &extensions_path(&tenant), &token)
            .await
            .is_empty()
    );
    // The number was never taken.
    create_extension(&app, &token, &tenant, base(json!({}))).await;
}

#[tokio::test]
async fn destinations_and_referrers() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Routing").await;
    let (other, other_token) = app.tenant_with_admin("Routing other").await;
    let foreign = create_extension(
        &app,
        &other_token,
        &other,
        json!({"number": "500", "display_name": "Foreign"}),
    )
    .await;
    let vm = create_box(&app, &token, &tenant, "500").await;
    let vm_id = vm["id"].as_str().unwrap().to_owned();
    let (user, _) = app.create_user(&token, &tenant, "tenant_user").await;

    claim_did(&app, &token, &tenant, "+12125551234").await;
    let a = create_extension(
        &app,
        &token,
        &tenant,
        json!({
            "number": "500", "display_name": "A", "user_id": user, "voicemail_box_id": vm_id,
            "external_caller_id": "+1 (212) 555-1234",
            "forwarding": {
                "busy": {"enabled": true, "destination": {"type": "voicemail_box", "id": vm_id}},
                "unreachable": {"enabled": true, "destination": {"type": "external_number", "number": "+1 212-555-1234"}},
                "no_answer": {"enabled": false, "destination": {"type": "hangup"}}
            },
            "follow_me": [{"destination": {"type": "external_number", "number": "+34 911 234 567"}, "ring_seconds": 15}]
        }),
    )
    .await;
    let a_url = ext_url(&tenant, &a["id"]);
    let a_id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["user_id"], user.as_str());
    assert_eq!(a["voicemail_box_id"], vm_id.as_str());
    assert_eq!(a["external_caller_id"], "+12125551234");
    assert_eq!(
        a["forwarding"]["busy"],
        json!({"enabled": true, "destination": {"type": "voicemail_box", "id": vm_id}})
    );
    assert_eq!(
        a["forwarding"]["unreachable"]["destination"],
        json!({"type": "external_number", "number": "+12125551234"})
    );
    assert_eq!(
        a["forwarding"]["no_answer"]["destination"],
        json!({"type": "hangup"})
    );
    assert_eq!(
        a["follow_me"],
        json!([{"destination": {"type": "external_number", "number": "+34911234567"}, "ring_seconds": 15}])
    );
    assert_eq!(
        expect_json(app.get(&a_url, &token).await, 200).await,
        without_password(&a)
    );

    // B forwards to A (and to itself).
    let b = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "501", "display_name": "B",
               "forwarding": {"always": {"enabled": true, "destination": {"type": "extension", "id": a_id}}}}),
    )
    .await;
    let b_url = ext_url(&tenant, &b["id"]);
    let b_id = b["id"].as_str().unwrap().to_owned();
    let res = app
        .patch(
            &b_url,
            &token,
            json!({"follow_me": [{"destination": {"type": "extension", "id": b_id}, "ring_seconds": 5},
                                 {"destination": {"type": "extension", "id": a_id}, "ring_seconds": 300}]}),
        )
        .await;
    let b2 = expect_json(res, 200).await;
    // forwarding kept, follow_me replaced.
    assert_eq!(b2["forwarding"], b["forwarding"]);
    assert_eq!(b2["follow_me"].as_array().unwrap().len(), 2);

    // A cannot go while B points at it; the answer names B.
    let p = assert_problem(app.delete(&a_url, &token).await, 409, "conflict").await;
    let errs = field_errors(&p);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|(f, c)| f == &format!("extension/{b_id}") && c == "still_referenced"),
        "{p}"
    );
    // The box cannot go while A points at it.
    let vm_url = format!("{}/{vm_id}", boxes_path(&tenant));
    let p = assert_problem(app.delete(&vm_url, &token).await, 409, "conflict").await;
    assert!(
        field_errors(&p)
            .iter()
            .all(|(f, _)| f == &format!("extension/{a_id}")),
        "{p}"
    );

    // A destination of another tenant in a patch: 422, nothing changed.
    let fid = foreign["id"].as_str().unwrap();
    let res = app
        .patch(
            &a_url,
            &token,
            json!({"forwarding": {"always": {"enabled": true, "destination": {"type": "extension", "id": fid}}}}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_field_error(&p, "forwarding.always.destination", "unknown_destination");
    let res = app
        .patch(
            &a_url,
            &token,
            json!({"follow_me": [{"destination": {"type": "extension", "id": fid}, "ring_seconds": 10}],
                   "voicemail_box_id": Uuid::now_v7()}),
        )
        .await;
    let p = assert_problem(res, 422, "validation_failed").await;
    assert_field_error(&p, "follow_me[0].destination", "unknown_destination");
    assert_field_error(&p, "voicemail_box_id", "unknown_voicemail_box");
    let res = app
        .patch(&a_url, &token, json!({"user_id": Uuid::now_v7()}))
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "user_id",
        "unknown_user",
    );
    let res = app
        .patch(&a_url, &token, json!({"external_caller_id": "555"}))
        .await;
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        expect_json(app.get(&a_url, &token).await, 200).await,
        without_password(&a)
    );

    // Clearing A's box link alone is not enough: forwarding.busy still points at the box.
    let res = app
        .patch(&a_url, &token, json!({"voicemail_box_id": null}))
        .await;
    let a2 = expect_json(res, 200).await;
    assert!(a2["voicemail_box_id"].is_null());
    assert_eq!(a2["forwarding"], a["forwarding"]);
    let p = assert_problem(app.delete(&vm_url, &token).await, 409, "conflict").await;
    assert!(!field_errors(&p).is_empty());
    // Forwarding is replaced whole.
    let res = app
        .patch(
            &a_url,
            &token,
            json!({"forwarding": {"no_answer": {"enabled": true, "destination": {"type": "hangup"}}},
                   "user_id": null}),
        )
        .await;
    let a3 = expect_json(res, 200).await;
    assert!(a3["forwarding"]["busy"].is_null(), "{a3}");
    assert!(a3["forwarding"]["unreachable"].is_null(), "{a3}");
    assert!(a3["user_id"].is_null());
    assert_eq!(app.delete(&vm_url, &token).await.status(), 204);

    // B forwards to itself and to A: B can still be deleted, and then A too.
    assert_eq!(app.delete(&b_url, &token).await.status(), 204);
    assert_eq!(app.delete(&a_url, &token).await.status(), 204);
    assert!(
        list_all(&app, &extensions_path(&tenant), &token)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn self_forwarding_extension_can_be_deleted() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Self").await;
    let e = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "600", "display_name": "Loop"}),
    )
    .await;
    let id = e["id"].as_str().unwrap();
    let url = ext_url(&tenant, &e["id"]);
    let res = app
        .patch(
            &url,
            &token,
            json!({"forwarding": {"busy": {"enabled": true, "destination": {"type": "extension", "id": id}}}}),
        )
        .await;
    expect_json(res, 200).await;
    assert_eq!(app.delete(&url, &token).await.status(), 204);
    // Its number is free again.
    create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "600", "display_name": "Again"}),
    )
    .await;
}

#[tokio::test]
async fn list_filters_and_pagination() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Filters").await;
    let (user, _) = app.create_user(&token, &tenant, "tenant_user").await;
    let mut ids = Vec::new();
    for n in 700..705 {
        let mut body = json!({"number": n.to_string(), "display_name": format!("E{n}")});
        if n % 2 == 0 {
            body["enabled"] = json!(false);
        }
        if n == 703 {
            body["user_id"] = json!(user);
        }
        ids.push(create_extension(&app, &token, &tenant, body).await["id"].clone());
    }
    let all = list_all(&app, &extensions_path(&tenant), &token).await;
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|e| e.get("sip_password").is_none()));
    let by_number = list_all(
        &app,
        &format!("{}?number=702", extensions_path(&tenant)),
        &token,
    )
    .await;
    assert_eq!(by_number.len(), 1);
    assert_eq!(by_number[0]["id"], ids[2]);
    let by_user = list_all(
        &app,
        &format!("{}?user_id={user}", extensions_path(&tenant)),
        &token,
    )
    .await;
    assert_eq!(by_user.len(), 1);
    assert_eq!(by_user[0]["number"], "703");
    let disabled = list_all(
        &app,
        &format!("{}?enabled=false", extensions_path(&tenant)),
        &token,
    )
    .await;
    assert_eq!(disabled.len(), 3);
    assert!(disabled.iter().all(|e| e["enabled"] == false));
    let enabled = list_all(
        &app,
        &format!("{}?enabled=true", extensions_path(&tenant)),
        &token,
    )
    .await;
    assert_eq!(enabled.len(), 2);
    assert!(
        list_all(
            &app,
            &format!("{}?number=799", extensions_path(&tenant)),
            &token
        )
        .await
        .is_empty()
    );
    let res = app
        .get(&format!("{}?bogus=1", extensions_path(&tenant)), &token)
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn who_may_read_and_write_extensions() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = app.tenant_with_admin("Roles").await;
    let (_, user) = app.create_user(&admin, &tenant, "tenant_user").await;
    let path = extensions_path(&tenant);
    let e = create_extension(
        &app,
        &admin,
        &tenant,
        json!({"number": "800", "display_name": "Admin made"}),
    )
    .await;
    let url = ext_url(&tenant, &e["id"]);

    // tenant_user: no reading, no writing.
    assert_problem(app.get(&path, &user).await, 403, "forbidden").await;
    assert_problem(app.get(&url, &user).await, 403, "forbidden").await;
    assert_problem(
        app.post(&path, &user, json!({"number": "801", "display_name": "x"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch(&url, &user, json!({"dnd": true})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&format!("{url}/reset-password"), &user, json!({}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.delete(&url, &user).await, 403, "forbidden").await;

    // Support: reads; writes only with a reason.
    let (_, support) = support_token(&app).await;
    assert_eq!(list_all(&app, &path, &support).await.len(), 1);
    assert_eq!(app.get(&url, &support).await.status(), 200);
    assert_problem(
        app.post(
            &path,
            &support,
            json!({"number": "802", "display_name": "x"}),
        )
        .await,
        403,
        "reason_required",
    )
    .await;
    assert_problem(
        app.post(&format!("{url}/reset-password"), &support, json!({}))
            .await,
        403,
        "reason_required",
    )
    .await;
    assert_problem(app.delete(&url, &support).await, 403, "reason_required").await;
    let res = app
        .req(Method::POST, &path, &support)
        .header("X-Acting-Reason", "Ticket #1: customer asked for 802")
        .json(&json!({"number": "802", "display_name": "By support"}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(res, 201).await["number"], "802");

    // Partner admin on a child tenant; platform admin anywhere.
    let partner = app.create_tenant(&app.admin, "Partner", None).await;
    let (_, partner_token) = app.create_user(&app.admin, &partner, "partner_admin").await;
    let child = app
        .create_tenant(&partner_token, "Child", Some(&partner))
        .await;
    let c = create_extension(
        &app,
        &partner_token,
        &child,
        json!({"number": "100", "display_name": "Child ext"}),
    )
    .await;
    create_extension(
        &app,
        &partner_token,
        &partner,
        json!({"number": "100", "display_name": "Own ext"}),
    )
    .await;
    let res = app
        .patch(
            &ext_url(&child, &c["id"]),
            &partner_token,
            json!({"dnd": true}),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["dnd"], true);
    create_extension(
        &app,
        &app.admin,
        &tenant,
        json!({"number": "803", "display_name": "Platform"}),
    )
    .await;
    assert_eq!(list_all(&app, &path, &admin).await.len(), 3);
}

#[tokio::test]
async fn mutations_are_audited_without_secrets() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Audit").await;
    add_domain(&app, &token, &tenant).await;
    let e = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "910", "display_name": "Audited"}),
    )
    .await;
    let id = e["id"].as_str().unwrap().to_owned();
    let url = ext_url(&tenant, &e["id"]);
    let first = e["sip_password"].as_str().unwrap().to_owned();
    expect_json(app.patch(&url, &token, json!({"dnd": true})).await, 200).await;
    let reset = expect_json(
        app.post(&format!("{url}/reset-password"), &token, json!({}))
            .await,
        200,
    )
    .await;
    let second = reset["sip_password"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&url, &token).await.status(), 204);

    let creds_gone = credentials_of(&app, &id).await;
    assert!(creds_gone.is_empty());
    let events = audit_events(&app, &format!("resource_id={id}")).await;
    let mut actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        vec![
            "extension.create",
            "extension.delete",
            "extension.reset_password",
            "extension.update"
        ]
    );
    for e in &events {
        assert_eq!(e["tenant_id"], tenant.as_str());
        assert_eq!(e["resource_type"], "extension");
    }
    let text = json!(events);
    assert_no_secrets(&text, &[&first, &second]);
    assert!(!text.to_string().contains("sip_password"));
    assert!(!text.to_string().contains("ha1"));
}

/// Outside calls may only present a number the tenant holds: the external caller ID must
/// be one of its DIDs, and the DID cannot be released while an extension presents it.
#[tokio::test]
async fn external_caller_id_is_a_did_of_the_tenant() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Caller ID Co").await;
    let (other, other_token) = app.tenant_with_admin("Caller ID other").await;
    let did = claim_did(&app, &token, &tenant, "+34911234567").await;
    claim_did(&app, &other_token, &other, "+34911234568").await;

    for number in ["+34911234569", "+34911234568"] {
        let res = app
            .post(
                &extensions_path(&tenant),
                &token,
                json!({"number": "100", "display_name": "A", "external_caller_id": number}),
            )
            .await;
        assert_field_error(
            &assert_problem(res, 422, "validation_failed").await,
            "external_caller_id",
            "not_a_tenant_did",
        );
    }
    assert!(
        list_all(&app, &extensions_path(&tenant), &token)
            .await
            .is_empty()
    );
    let ext = create_extension(
        &app,
        &token,
        &tenant,
        json!({"number": "100", "display_name": "A", "external_caller_id": "+34 911 23 45 67"}),
    )
    .await;
    assert_eq!(ext["external_caller_id"], "+34911234567");
    let ext_url = format!(
        "{}/{}",
        extensions_path(&tenant),
        ext["id"].as_str().unwrap()
    );
    let did_url = format!("/v1/tenants/{tenant}/dids/{did}");

    // The DID stays while the extension presents it, also after unrelated changes.
    let p = assert_problem(app.delete(&did_url, &token).await, 409, "conflict").await;
    assert!(p.to_string().contains(ext["id"].as_str().unwrap()), "{p}");
    expect_json(
        app.patch(&ext_url, &token, json!({"display_name": "Front desk"}))
            .await,
        200,
    )
    .await;
    assert_problem(app.delete(&did_url, &token).await, 409, "conflict").await;
    let res = app
        .patch(
            &ext_url,
            &token,
            json!({"external_caller_id": "+34911234568"}),
        )
        .await;
    assert_field_error(
        &assert_problem(res, 422, "validation_failed").await,
        "external_caller_id",
        "not_a_tenant_did",
    );
    expect_json(
        app.patch(&ext_url, &token, json!({"external_caller_id": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(app.delete(&did_url, &token).await.status(), 204);
}

/// A release racing an extension that starts presenting the DID: one of them wins, never
/// both (a released number still presented by a phone).
#[tokio::test]
async fn releasing_a_did_races_cleanly_with_its_use_as_caller_id() {
    let app = TestApp::spawn().await;
    let (tenant, token) = app.tenant_with_admin("Caller ID race").await;
    for i in 0..6 {
        let number = format!("+3491123460{i}");
        let did = claim_did(&app, &token, &tenant, &number).await;
        let did_path = format!("/v1/tenants/{tenant}/dids/{did}");
        let ext_path = extensions_path(&tenant);
        let release = app.delete(&did_path, &token);
        let create = app.post(
            &ext_path,
            &token,
            json!({"number": format!("30{i}"), "display_name": "Racer", "external_caller_id": number}),
        );
        let (released, created) = futures_util::join!(release, create);
        let outcome = (released.status().as_u16(), created.status().as_u16());
        assert!(
            matches!(outcome, (204, 422) | (409, 201)),
            "round {i}: release {} and create {} both or neither went through",
            outcome.0,
            outcome.1
        );
    }
}

/// `/v1/me/extensions`: users change do-not-disturb, forwarding and follow-me on their own
/// phones (nothing else, nobody else's), whatever their role.
#[tokio::test]
async fn users_change_their_own_phones_and_only_those() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = app.tenant_with_admin("Self service").await;
    let (user_id, user) = app.create_user(&admin, &tenant, "tenant_user").await;
    let (other_id, other) = app.create_user(&admin, &tenant, "tenant_user").await;
    let mine = create_extension(
        &app,
        &admin,
        &tenant,
        json!({"number": "701", "display_name": "Mine", "user_id": user_id}),
    )
    .await;
    let theirs = create_extension(
        &app,
        &admin,
        &tenant,
        json!({"number": "702", "display_name": "Theirs", "user_id": other_id}),
    )
    .await;
    create_extension(
        &app,
        &admin,
        &tenant,
        json!({"number": "703", "display_name": "Nobody's"}),
    )
    .await;

    let list = expect_json(app.get("/v1/me/extensions", &user).await, 200).await;
    let numbers: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["701"]);
    assert!(list["items"][0].get("sip_password").is_none());

    let own = format!("/v1/me/extensions/{}", mine["id"].as_str().unwrap());
    let forward = json!({"always": {"enabled": true,
        "destination": {"type": "external_number", "number": "+34910000001"}}});
    let res = app
        .patch(&own, &user, json!({"dnd": true, "forwarding": forward}))
        .await;
    assert_eq!(header(&res, "etag"), "\"2\"");
    let changed = expect_json(res, 200).await;
    assert_eq!(changed["dnd"], true);
    assert_eq!(
        changed["forwarding"]["always"]["destination"]["number"],
        "+34910000001"
    );
    // The admin sees the same change, and the audit log names the user.
    let seen = expect_json(app.get(&ext_url(&tenant, &mine["id"]), &admin).await, 200).await;
    assert_eq!(seen["dnd"], true);
    let events = audit_events(&app, &format!("tenant_id={tenant}&action=extension.update")).await;
    assert!(
        events
            .iter()
            .any(|e| e["actor_id"] == user_id.as_str() && e["actor_role"] == "tenant_user"),
        "{events:?}"
    );

    // Another user's phone, an unassigned one and an unknown id: 404, unchanged.
    for id in [
        theirs["id"].as_str().unwrap().to_owned(),
        Uuid::now_v7().to_string(),
    ] {
        assert_problem(
            app.patch(
                &format!("/v1/me/extensions/{id}"),
                &user,
                json!({"dnd": true}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
    let untouched = expect_json(app.get(&ext_url(&tenant, &theirs["id"]), &admin).await, 200).await;
    assert_eq!(untouched["dnd"], false);
    assert_eq!(untouched["version"], 1);

    // The admin's fields are not the user's; a bad destination is a field error; a stale
    // If-Match is refused. None of them changes anything.
    assert_problem(
        app.patch(&own, &user, json!({"number": "799"})).await,
        422,
        "validation_failed",
    )
    .await;
    let p = assert_problem(
        app.patch(
            &own,
            &user,
            json!({"forwarding": {"busy": {"enabled": true,
                "destination": {"type": "ring_group", "id": Uuid::now_v7()}}}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        field_errors(&p)
            .iter()
            .any(|(f, _)| f.starts_with("forwarding.busy")),
        "{p}"
    );
    let res = app
        .req(reqwest::Method::PATCH, &own, &user)
        .header("if-match", "\"1\"")
        .json(&json!({"dnd": false}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let after = expect_json(app.get(&ext_url(&tenant, &mine["id"]), &admin).await, 200).await;
    assert_eq!(after["version"], 2);
    assert_eq!(after["dnd"], true);

    // Another user of the tenant sees only their own; an API key and staff have no phones.
    let list = expect_json(app.get("/v1/me/extensions", &other).await, 200).await;
    assert_eq!(list["items"][0]["number"], "702");
    let key = create_api_key(&app, &admin, &tenant, "tenant_admin").await;
    let list = expect_json(
        app.get("/v1/me/extensions", key["key"].as_str().unwrap())
            .await,
        200,
    )
    .await;
    assert_eq!(list["items"], json!([]));
    let list = expect_json(app.get("/v1/me/extensions", &app.admin).await, 200).await;
    assert_eq!(list["items"], json!([]));
    assert_problem(
        app.patch(&own, &app.admin, json!({"dnd": false})).await,
        404,
        "not_found",
    )
    .await;

    // Another tenant's user cannot reach this phone either.
    let (_, outsider_admin) = app.tenant_with_admin("Outsider").await;
    assert_problem(
        app.patch(&own, &outsider_admin, json!({"dnd": false}))
            .await,
        404,
        "not_found",
    )
    .await;
}
