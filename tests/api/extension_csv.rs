//! CSV export and import of extensions.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn import(
    app: &TestApp,
    token: &str,
    t: &str,
    csv: &str,
    dry_run: bool,
) -> reqwest::Response {
    app.req(
        Method::POST,
        &format!("/v1/tenants/{t}/extensions/import?dry_run={dry_run}"),
        token,
    )
    .header("content-type", "text/csv")
    .body(csv.to_owned())
    .send()
    .await
    .unwrap()
}

async fn numbers(app: &TestApp, token: &str, t: &str) -> Vec<String> {
    let mut n: Vec<String> = list_all(app, &format!("/v1/tenants/{t}/extensions"), token)
        .await
        .iter()
        .map(|e| e["number"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn import_then_export_round_trips() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("CSV Co").await;
    claim_did(&app, &admin, &t, "+12125550100").await;
    let csv = "number,display_name,sip_username,dnd,max_concurrent_calls,external_caller_id\n\
               2001,Ana,ana,false,2,+1 212 555 0100\n\
               2002,\"Ben, Jr.\",,yes,,\n";
    // Dry run: a report, nothing written.
    let report = expect_json(import(&app, &admin, &t, csv, true).await, 200).await;
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["valid"], true);
    assert_eq!(report["rows"], 2);
    assert_eq!(report["created"], json!([]));
    assert!(numbers(&app, &admin, &t).await.is_empty());

    let report = expect_json(import(&app, &admin, &t, csv, false).await, 200).await;
    assert_eq!(report["valid"], true);
    let created = report["created"].as_array().unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["row"], 2);
    assert!(created[0]["sip_password"].as_str().unwrap().len() >= 20);
    assert_eq!(numbers(&app, &admin, &t).await, ["2001", "2002"]);
    let ben = &list_all(
        &app,
        &format!("/v1/tenants/{t}/extensions?number=2002"),
        &admin,
    )
    .await[0];
    assert_eq!(ben["display_name"], "Ben, Jr.");
    assert_eq!(ben["dnd"], true);
    assert_eq!(ben["sip_username"], "2002");

    let res = app
        .get(&format!("/v1/tenants/{t}/extensions/export"), &admin)
        .await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "number,display_name,sip_username,enabled,caller_id_name,caller_id_number,external_caller_id,dnd,max_concurrent_calls,record_calls"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2001,Ana,ana,true,,,+12125550100,false,2,false"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2002,\"Ben, Jr.\",2002,true,,,,true,4,false"
    );
    assert!(!text.contains(created[0]["sip_password"].as_str().unwrap()));
    assert_eq!(audit_events(&app, "action=extension.create").await.len(), 2);
}

#[tokio::test]
async fn a_bad_row_rejects_the_whole_import_with_row_numbers() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Strict CSV").await;
    expect_json(
        app.post(
            &format!("/v1/tenants/{t}/extensions"),
            &admin,
            json!({"number": "3000", "display_name": "Existing"}),
        )
        .await,
        201,
    )
    .await;
    let csv = "number,display_name,dnd\n3001,Good,false\n0123,Bad number,maybe\n3001,Twice,\n3000,Collides,\n";
    let report = expect_json(import(&app, &admin, &t, csv, true).await, 200).await;
    assert_eq!(report["valid"], false);
    let fields: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for expected in [
        "rows[3].number",
        "rows[3].dnd",
        "rows[4].number",
        "rows[5].number",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    assert!(
        !fields.iter().any(|f| f.starts_with("rows[2].")),
        "{fields:?}"
    );
    let problem = assert_problem(
        import(&app, &admin, &t, csv, false).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        problem["errors"].as_array().unwrap().len(),
        report["errors"].as_array().unwrap().len()
    );
    assert_eq!(numbers(&app, &admin, &t).await, ["3000"], "all or nothing");

    // Header problems, media type, roles.
    let p = assert_problem(
        import(&app, &admin, &t, "number,colour\n3002,red\n", false).await,
        422,
        "validation_failed",
    )
    .await;
    let codes: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"unknown_column") && codes.contains(&"missing_column"),
        "{codes:?}"
    );
    let res = app
        .req(
            Method::POST,
            &format!("/v1/tenants/{t}/extensions/import"),
            &admin,
        )
        .json(&json!({"number": "3003"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    assert_problem(
        import(&app, &user, &t, "number,display_name\n3004,X\n", false).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(&format!("/v1/tenants/{t}/extensions/export"), &user)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(numbers(&app, &admin, &t).await, ["3000"]);
    let _: Value = Value::Null;
}
