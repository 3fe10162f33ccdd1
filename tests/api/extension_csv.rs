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
        "2001,Ana,ana,true,,,'+12125550100,false,2,false"
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

/// Exports neutralise spreadsheet formulas (a `'` in front of `=`, `+`, `-`, `@`, tab, CR),
/// and the import takes the `'` off again: an export re-imports unchanged, E.164 caller IDs
/// included.
#[tokio::test]
async fn exports_neutralise_formulas_and_re_import_unchanged() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Formula Co").await;
    claim_did(&app, &admin, &t, "+12125550111").await;
    let csv = "number,display_name,caller_id_name,external_caller_id\n\
               2001,=cmd|' /C calc'!A0,@SUM(A1),+12125550111\n\
               2002,-Minus,+Plus,\n\
               2003,'=Quoted,Plain,\n";
    expect_json(import(&app, &admin, &t, csv, false).await, 200).await;
    let ana = &list_all(
        &app,
        &format!("/v1/tenants/{t}/extensions?number=2001"),
        &admin,
    )
    .await[0];
    assert_eq!(ana["display_name"], "=cmd|' /C calc'!A0", "stored as sent");
    let text = app
        .get(&format!("/v1/tenants/{t}/extensions/export"), &admin)
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1],
        "2001,'=cmd|' /C calc'!A0,2001,true,'@SUM(A1),,'+12125550111,false,4,false"
    );
    assert_eq!(lines[2], "2002,'-Minus,2002,true,'+Plus,,,false,4,false");
    // `'=Quoted` in a file is the neutralised form of `=Quoted`.
    assert_eq!(lines[3], "2003,'=Quoted,2003,true,Plain,,,false,4,false");
    for line in &lines[1..] {
        let first_cells = line.split(',').skip(1);
        for cell in first_cells {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} in {line:?}"
            );
        }
    }

    // The export, imported into another tenant holding the same DID, gives the same rows.
    let (t2, admin2) = app.tenant_with_admin("Formula Copy").await;
    let src: Vec<_> = list_all(&app, &format!("/v1/tenants/{t}/extensions"), &admin).await;
    // The DID moves: released by the first tenant (after its extension stops presenting it).
    let did = &list_all(&app, &format!("/v1/tenants/{t}/dids"), &admin).await[0];
    let ana_id = src.iter().find(|e| e["number"] == "2001").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_json(
        app.patch(
            &format!("/v1/tenants/{t}/extensions/{ana_id}"),
            &admin,
            json!({"external_caller_id": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        app.delete(
            &format!("/v1/tenants/{t}/dids/{}", did["id"].as_str().unwrap()),
            &admin
        )
        .await
        .status(),
        204
    );
    expect_json(
        app.post(
            &format!("/v1/tenants/{t2}/dids"),
            &admin2,
            json!({"number": "+12125550111"}),
        )
        .await,
        201,
    )
    .await;
    let report = expect_json(import(&app, &admin2, &t2, &text, false).await, 200).await;
    assert_eq!(report["created"].as_array().unwrap().len(), 3, "{report}");
    let copy = list_all(&app, &format!("/v1/tenants/{t2}/extensions"), &admin2).await;
    for field in ["number", "display_name", "caller_id_name", "sip_username"] {
        let mut a: Vec<String> = src.iter().map(|e| e[field].to_string()).collect();
        let mut b: Vec<String> = copy.iter().map(|e| e[field].to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{field}");
    }
    let ana2 = copy.iter().find(|e| e["number"] == "2001").unwrap();
    assert_eq!(ana2["external_caller_id"], "+12125550111");
}

/// An import larger than one batch writes every row, each with its number, digests and
/// audit event; a dry run of the same file then reports every row as a collision.
#[tokio::test]
async fn a_large_import_is_written_in_batches() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Bulk Co").await;
    add_domain(&app, &admin, &t).await;
    let rows = 1_234;
    let mut csv = String::from("number,display_name\n");
    for i in 0..rows {
        csv.push_str(&format!("{},Person {i}\n", 10_000 + i));
    }
    let dry = expect_json(import(&app, &admin, &t, &csv, true).await, 200).await;
    assert_eq!(dry["valid"], true);
    assert!(numbers(&app, &admin, &t).await.is_empty());
    let report = expect_json(import(&app, &admin, &t, &csv, false).await, 200).await;
    let created = report["created"].as_array().unwrap();
    assert_eq!(created.len(), rows);
    assert_eq!(created[rows - 1]["row"], rows + 1);
    assert_eq!(created[rows - 1]["number"], (10_000 + rows - 1).to_string());
    assert_eq!(numbers(&app, &admin, &t).await.len(), rows);
    let one = &list_all(
        &app,
        &format!("/v1/tenants/{t}/extensions?number=10500"),
        &admin,
    )
    .await[0];
    assert_eq!(
        one["sip_realms"].as_array().unwrap().len(),
        1,
        "digests written: {one}"
    );
    assert_eq!(
        audit_events(&app, "action=extension.create").await.len(),
        rows
    );
    // Every row now collides, and the dry run says so row by row.
    let again = expect_json(import(&app, &admin, &t, &csv, true).await, 200).await;
    assert_eq!(again["valid"], false);
    let errors = again["errors"].as_array().unwrap();
    assert_eq!(
        errors.len(),
        rows * 2,
        "number and sip_username of every row"
    );
    assert_eq!(errors[0]["field"], "rows[2].number");
    assert_eq!(errors[0]["code"], "conflict");
}
