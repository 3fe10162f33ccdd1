//! Control characters (C0 with NUL, DEL, C1) are refused in every text field of every JSON
//! body, nested ones included; line feeds only where a field holds several lines.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn control_characters_are_refused_in_every_text_field() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Control chars").await;
    let cases = [
        (
            format!("/v1/tenants/{t}/users"),
            json!({"email": "x\u{0}@example.com", "display_name": "X", "role": "tenant_user", "password": PASSWORD}),
            "email",
        ),
        (
            "/v1/tenants".to_owned(),
            json!({"name": "Acme\u{7}Bell"}),
            "name",
        ),
        (
            format!("/v1/tenants/{t}/domains"),
            json!({"name": "pbx\u{85}.example.com"}),
            "name",
        ),
        (
            format!("/v1/tenants/{t}/extensions"),
            json!({"number": "2001", "display_name": "Ana\u{7f}"}),
            "display_name",
        ),
        (
            format!("/v1/tenants/{t}/voicemail-boxes"),
            json!({"mailbox": "2001", "pin": "480613", "emails": ["ok@example.com", "a\u{1b}@example.com"]}),
            "emails[1]",
        ),
        (
            format!("/v1/tenants/{t}/ivr-menus"),
            json!({"number": "500", "name": "Main", "greeting": {"type": "text", "text": "Hello\u{0}"}}),
            "greeting.text",
        ),
    ];
    for (path, body, field) in &cases {
        let p = assert_problem(
            app.post(path, admin_or_root(&app, path, &admin), body.clone())
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_field_error(&p, field, "invalid_characters");
    }
    // Nothing was created.
    assert!(
        list_all(&app, &format!("/v1/tenants/{t}/extensions"), &admin)
            .await
            .is_empty()
    );
    assert!(
        list_all(&app, &format!("/v1/tenants/{t}/ivr-menus"), &admin)
            .await
            .is_empty()
    );
    assert_eq!(
        list_all(&app, &format!("/v1/tenants/{t}/users"), &admin)
            .await
            .len(),
        1
    );

    // A PATCH too, and a multi-line field keeps its line feeds.
    let ext = create_extension(
        &app,
        &admin,
        &t,
        json!({"number": "2002", "display_name": "Ben"}),
    )
    .await;
    let p = assert_problem(
        app.patch(
            &format!("/v1/tenants/{t}/extensions/{}", ext["id"].as_str().unwrap()),
            &admin,
            json!({"caller_id_name": "Ben\nTwo lines"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "caller_id_name", "invalid_characters");
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/ivr-menus"),
            &admin,
            json!({"number": "501", "name": "Main", "direct_dial": true, "greeting": {"type": "text", "text": "Welcome.\nFor sales, press 1."}}),
        )
        .await,
        201,
    )
    .await;
}

/// Tenants are created by the platform admin; everything else by the tenant's admin.
fn admin_or_root<'a>(app: &'a TestApp, path: &str, admin: &'a str) -> &'a str {
    if path == "/v1/tenants" {
        &app.admin
    } else {
        admin
    }
}
