//! Voicemail intake (`POST /v1/switch/voicemail`) and voicemail-to-email: the embedded
//! outbox (`.eml` files), a real SMTP server (aiosmtpd on loopback), an SMTP outage, and
//! every way an upload can be wrong.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::common::*;
use centralita_domain::config::SmtpTls;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};

/// A tenant with a domain and a voicemail box, and a node token.
struct Setup {
    tenant: String,
    admin: String,
    domain: String,
    box_id: String,
    node: String,
}

const MAILBOX: &str = "2001";
const RECIPIENT: &str = "ana@customer.example.com";

async fn setup(app: &TestApp, box_body: Value) -> Setup {
    let (tenant, admin) = app.tenant_with_admin("Voicemail Co").await;
    let domain = add_domain(app, &admin, &tenant).await;
    let mut body = json!({"mailbox": MAILBOX, "pin": "739164", "emails": [RECIPIENT]});
    body.as_object_mut()
        .unwrap()
        .extend(box_body.as_object().unwrap().clone());
    let b = expect_json(app.post(&boxes_path(&tenant), &admin, body).await, 201).await;
    Setup {
        tenant,
        admin,
        domain,
        box_id: b["id"].as_str().unwrap().to_owned(),
        node: switch_node_token(app).await,
    }
}

impl Setup {
    fn messages(&self) -> String {
        format!("{}/{}/messages", boxes_path(&self.tenant), self.box_id)
    }

    async fn post(&self, app: &TestApp, audio: Vec<u8>) -> Value {
        let res = post_voicemail(
            app,
            &self.node,
            &voicemail_metadata(&self.domain, MAILBOX),
            "audio/wav",
            audio,
        )
        .await;
        expect_json(res, 201).await
    }

    /// Polls the message until its e-mail status is `status` (at most `secs` seconds).
    async fn email_becomes(&self, app: &TestApp, id: &str, status: &str, secs: u64) -> Value {
        let path = format!("{}/{id}", self.messages());
        let mut last = Value::Null;
        for _ in 0..secs * 10 {
            let res = app.get(&path, &self.admin).await;
            if res.status() == 200 {
                last = res.json().await.unwrap();
                if last["email"]["status"] == status {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the e-mail of {id} did not become {status}: {last}");
    }

    /// Polls until the message is gone (deleted after its e-mail), at most `secs` seconds.
    async fn message_goes(&self, app: &TestApp, id: &str, secs: u64) {
        let path = format!("{}/{id}", self.messages());
        for _ in 0..secs * 10 {
            if app.get(&path, &self.admin).await.status() == 404 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{id} was not deleted after its e-mail");
    }
}

/// The `.eml` files in the app's outbox.
fn outbox(app: &TestApp) -> Vec<PathBuf> {
    files_in(&app.core.config.data_dir.join("outbox"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// The parts of a delivered e-mail a test looks at.
struct Delivered {
    to: Vec<String>,
    subject: String,
    text: String,
    html: String,
    attachment: Option<(String, Vec<u8>)>,
    message_id: String,
}

fn read_email(raw: &[u8]) -> Delivered {
    let m = MessageParser::default().parse(raw).expect("an e-mail");
    let to = m
        .to()
        .unwrap()
        .iter()
        .map(|a| a.address().unwrap().to_owned())
        .collect();
    let attachment = m.attachments().next().map(|a| {
        (
            a.attachment_name().unwrap_or_default().to_owned(),
            a.contents().to_vec(),
        )
    });
    Delivered {
        to,
        subject: m.subject().unwrap_or_default().to_owned(),
        text: m.body_text(0).unwrap_or_default().into_owned(),
        html: m.body_html(0).unwrap_or_default().into_owned(),
        attachment,
        message_id: m.message_id().unwrap_or_default().to_owned(),
    }
}

#[tokio::test]
async fn a_voicemail_is_stored_and_emailed_with_its_recording() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"language": "en"})).await;
    let audio = wav(16_000);
    let res = post_voicemail(
        &app,
        &s.node,
        &voicemail_metadata(&s.domain, MAILBOX),
        "audio/wav",
        audio.clone(),
    )
    .await;
    let location = header(&res, "location");
    let msg = expect_json(res, 201).await;
    let id = msg["id"].as_str().unwrap();
    assert_eq!(location, format!("{}/{id}", s.messages()));
    assert_eq!(msg["email"]["status"], "queued");
    assert_eq!(msg["caller_id_name"], "Ana García");
    assert_eq!(msg["duration_secs"], 65);
    assert_eq!(msg["size_bytes"], audio.len());

    // The audio reads back byte for byte.
    let res = app.get(&format!("{location}/audio"), &s.admin).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), audio);

    let sent = s.email_becomes(&app, id, "sent", 20).await;
    assert_eq!(sent["email"]["attempts"], 1);
    assert!(sent["email"]["sent_at"].is_string());
    let reply = sent["email"]["server_reply"].as_str().unwrap();
    assert!(reply.starts_with("written to outbox/"), "{reply}");

    let files = outbox(&app);
    assert_eq!(files.len(), 1, "{files:?}");
    let e = read_email(&std::fs::read(&files[0]).unwrap());
    assert_eq!(e.to, vec![RECIPIENT]);
    assert_eq!(
        e.subject,
        "New voicemail from Ana García (+34911234567) (1:05)"
    );
    assert!(e.text.contains("You have a new voicemail"), "{}", e.text);
    assert!(
        e.html.contains("<td>Ana García (+34911234567)</td>"),
        "{}",
        e.html
    );
    let (name, bytes) = e.attachment.expect("the recording is attached");
    assert!(name.ends_with("-+34911234567.wav"), "{name}");
    assert_eq!(
        bytes, audio,
        "the attachment is the recording, byte for byte"
    );
    assert_eq!(e.message_id, format!("voicemail-{id}@centralita.invalid"));

    // The tenant sees the job that sent it.
    let jobs = list_all(
        &app,
        &format!("/v1/tenants/{}/jobs?kind=voicemail.email", s.tenant),
        &s.admin,
    )
    .await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["status"], "succeeded");
}

#[tokio::test]
async fn spanish_boxes_get_spanish_email_and_no_attachment_unless_asked() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"language": "es-mx", "attach_audio": false})).await;
    let mut meta = voicemail_metadata(&s.domain, MAILBOX);
    meta["caller_name"] = Value::Null;
    meta["duration_secs"] = json!(7);
    let msg = expect_json(
        post_voicemail(&app, &s.node, &meta, "audio/x-wav", wav(100)).await,
        201,
    )
    .await;
    s.email_becomes(&app, msg["id"].as_str().unwrap(), "sent", 20)
        .await;
    let e = read_email(&std::fs::read(&outbox(&app)[0]).unwrap());
    assert_eq!(e.subject, "Nuevo mensaje de voz de +34911234567 (0:07)");
    assert!(
        e.text.contains("Tiene un nuevo mensaje de voz"),
        "{}",
        e.text
    );
    assert!(e.html.contains("lang=\"es\""), "{}", e.html);
    assert!(e.attachment.is_none());
}

#[tokio::test]
async fn a_box_without_addresses_keeps_the_message_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"emails": []})).await;
    let msg = s.post(&app, wav(100)).await;
    assert_eq!(msg["email"]["status"], "not_requested");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(outbox(&app).is_empty());
    let jobs = list_all(&app, &format!("/v1/tenants/{}/jobs", s.tenant), &s.admin).await;
    assert!(jobs.iter().all(|j| j["kind"] != "voicemail.email"));
}

#[tokio::test]
async fn delete_after_email_deletes_once_the_email_is_accepted() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"delete_after_email": true})).await;
    let msg = s.post(&app, wav(800)).await;
    s.message_goes(&app, msg["id"].as_str().unwrap(), 20).await;
    assert_eq!(
        outbox(&app).len(),
        1,
        "deleted only after the e-mail was written"
    );
    let audio_dir = app.core.config.data_dir.join("voicemail");
    assert!(files_in(&audio_dir).is_empty(), "the audio is gone too");
}

/// Messages and audio files stored so far: what a refused upload must not change.
async fn stored(app: &TestApp, s: &Setup) -> (usize, usize) {
    let messages = list_all(app, &s.messages(), &s.admin).await.len();
    let files = files_in(&app.core.config.data_dir.join("voicemail")).len();
    (messages, files)
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_store_nothing() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let meta = || voicemail_metadata(&s.domain, MAILBOX);
    let with = |field: &str, v: Value| {
        let mut m = meta();
        m[field] = v;
        m
    };
    // (what, metadata, audio media type, audio, status, code)
    type Case<'a> = (&'a str, Value, &'a str, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "text, not audio",
            meta(),
            "audio/wav",
            b"hello, this is text".to_vec(),
            422,
            "validation_failed",
        ),
        (
            "a WAV header without samples",
            meta(),
            "audio/wav",
            wav(0),
            422,
            "validation_failed",
        ),
        (
            "WAV bytes declared as MP3",
            meta(),
            "audio/mpeg",
            wav(100),
            422,
            "validation_failed",
        ),
        (
            "a media type that is not audio",
            meta(),
            "text/plain",
            wav(100),
            415,
            "unsupported_media_type",
        ),
        (
            "too large",
            meta(),
            "audio/wav",
            wav(10_500_000),
            413,
            "payload_too_large",
        ),
        (
            "unknown mailbox",
            with("mailbox", json!("2999")),
            "audio/wav",
            wav(100),
            404,
            "not_found",
        ),
        (
            "unknown domain",
            with("domain", json!("nowhere.example.com")),
            "audio/wav",
            wav(100),
            404,
            "not_found",
        ),
        (
            "mailbox not a number",
            with("mailbox", json!("2001' OR 1=1 --")),
            "audio/wav",
            wav(100),
            422,
            "validation_failed",
        ),
        (
            "negative duration",
            with("duration_secs", json!(-1)),
            "audio/wav",
            wav(100),
            422,
            "validation_failed",
        ),
        (
            "a message from the future",
            with("received_at", json!("2999-01-01T00:00:00Z")),
            "audio/wav",
            wav(100),
            422,
            "validation_failed",
        ),
        (
            "control characters in the caller",
            with("caller_name", json!("Ana\r\nBcc: x@evil.example")),
            "audio/wav",
            wav(100),
            422,
            "validation_failed",
        ),
        (
            "an unknown metadata field",
            with("sneaky", json!(1)),
            "audio/wav",
            wav(100),
            422,
            "validation_failed",
        ),
    ];
    for (what, metadata, content_type, audio, status, code) in cases {
        let res = post_voicemail(&app, &s.node, &metadata, content_type, audio).await;
        assert_eq!(res.status(), status, "{what}");
        assert_problem(res, status, code).await;
    }

    // Broken or incomplete multipart bodies.
    let send = |form: reqwest::multipart::Form| {
        app.client
            .post(app.url("/v1/switch/voicemail"))
            .bearer_auth(&s.node)
            .multipart(form)
            .send()
    };
    let meta_part = || {
        reqwest::multipart::Part::text(meta().to_string())
            .mime_str("application/json")
            .unwrap()
    };
    let audio_part = || {
        reqwest::multipart::Part::bytes(wav(100))
            .mime_str("audio/wav")
            .unwrap()
    };
    let p = assert_problem(
        send(reqwest::multipart::Form::new().part("audio", audio_part()))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "metadata", "required");
    let p = assert_problem(
        send(
            reqwest::multipart::Form::new()
                .part("metadata", meta_part())
                .part("audio", audio_part())
                .part("extra", audio_part()),
        )
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_field_error(&p, "extra", "unknown_part");
    assert_problem(
        send(
            reqwest::multipart::Form::new()
                .part("metadata", reqwest::multipart::Part::text("{\"domain\": "))
                .part("audio", audio_part()),
        )
        .await
        .unwrap(),
        400,
        "malformed_body",
    )
    .await;
    assert_problem(
        app.client
            .post(app.url("/v1/switch/voicemail"))
            .bearer_auth(&s.node)
            .json(&meta())
            .send()
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        app.client
            .post(app.url("/v1/switch/voicemail"))
            .bearer_auth(&s.node)
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body("--XYZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}")
            .send()
            .await
            .unwrap(),
        400,
        "malformed_body",
    )
    .await;

    assert_eq!(stored(&app, &s).await, (0, 0), "nothing was stored");
    let jobs = list_all(&app, &format!("/v1/tenants/{}/jobs", s.tenant), &s.admin).await;
    assert!(jobs.is_empty(), "{jobs:?}");
}

#[tokio::test]
async fn only_active_switch_nodes_may_deliver() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let post = |token: String| {
        let meta = voicemail_metadata(&s.domain, MAILBOX);
        let app = &app;
        async move { post_voicemail(app, &token, &meta, "audio/wav", wav(100)).await }
    };
    // No token, a user's token, a made-up token.
    assert_problem(post(String::new()).await, 401, "unauthenticated").await;
    assert_problem(post(s.admin.clone()).await, 401, "unauthenticated").await;
    assert_problem(post("cn_node_nope".into()).await, 401, "unauthenticated").await;

    let node = expect_json(
        app.post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "edge-vm", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        )
        .await,
        201,
    )
    .await;
    let token = node["token"].as_str().unwrap().to_owned();
    let path = format!("/v1/switch-nodes/{}", node["id"].as_str().unwrap());
    assert_eq!(post(token.clone()).await.status(), 201);
    expect_json(
        app.patch(&path, &app.admin, json!({"status": "disabled"}))
            .await,
        200,
    )
    .await;
    assert_problem(post(token.clone()).await, 401, "unauthenticated").await;
    assert_eq!(app.delete(&path, &app.admin).await.status(), 204);
    assert_problem(post(token).await, 401, "unauthenticated").await;
    assert_eq!(
        stored(&app, &s).await.0,
        1,
        "only the active node's message"
    );
}

#[tokio::test]
async fn the_domain_names_the_tenant_and_its_state_counts() {
    let app = TestApp::spawn().await;
    let a = setup(&app, json!({})).await;
    // Tenant B has the same mailbox number, and a mailbox A does not have.
    let (tb, b_admin) = app.tenant_with_admin("Other Co").await;
    let b_domain = add_domain(&app, &b_admin, &tb).await;
    let b_box = create_box(&app, &b_admin, &tb, MAILBOX).await;
    create_box(&app, &b_admin, &tb, "3001").await;

    let to = |domain: &str, mailbox: &str| voicemail_metadata(domain, mailbox);
    let m = expect_json(
        post_voicemail(&app, &a.node, &to(&b_domain, MAILBOX), "audio/wav", wav(10)).await,
        201,
    )
    .await;
    assert_eq!(m["box_id"], b_box["id"], "B's domain reaches B's box");
    assert_eq!(
        stored(&app, &a).await.0,
        0,
        "not A's box of the same number"
    );
    // B's mailbox under A's domain does not exist.
    assert_problem(
        post_voicemail(&app, &a.node, &to(&a.domain, "3001"), "audio/wav", wav(10)).await,
        404,
        "not_found",
    )
    .await;
    // A's admin cannot read B's message.
    let b_msgs = format!(
        "{}/{}/messages",
        boxes_path(&tb),
        b_box["id"].as_str().unwrap()
    );
    assert_problem(app.get(&b_msgs, &a.admin).await, 404, "not_found").await;

    // A disabled box refuses; a suspended tenant is unknown.
    expect_json(
        app.patch(
            &format!("{}/{}", boxes_path(&a.tenant), a.box_id),
            &a.admin,
            json!({"enabled": false}),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        post_voicemail(&app, &a.node, &to(&a.domain, MAILBOX), "audio/wav", wav(10)).await,
        409,
        "conflict",
    )
    .await;
    expect_json(
        app.patch(
            &format!("/v1/tenants/{tb}"),
            &app.admin,
            json!({"status": "suspended"}),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        post_voicemail(&app, &a.node, &to(&b_domain, MAILBOX), "audio/wav", wav(10)).await,
        404,
        "not_found",
    )
    .await;
}

/// An SMTP server on loopback: aiosmtpd storing what it accepts in a maildir. Killed on drop.
struct SmtpSink {
    child: Child,
}

impl SmtpSink {
    /// Whether aiosmtpd can run here; without it the SMTP tests are skipped, unless
    /// `CENTRALITA_TEST_REQUIRE_PEERS` is set (as `.ci/run` does), when they fail.
    fn available() -> bool {
        let ok = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok && std::env::var_os("CENTRALITA_TEST_REQUIRE_PEERS").is_some() {
            panic!("aiosmtpd is required (pip install aiosmtpd)");
        }
        if !ok {
            eprintln!("SKIPPED: aiosmtpd is not installed (pip install aiosmtpd)");
        }
        ok
    }

    async fn start(port: u16, maildir: &Path) -> Self {
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { child };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn smtp_app(port: u16) -> TestApp {
    TestApp::spawn_with(|c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = Some(port);
        c.smtp_tls = SmtpTls::None;
        c.smtp_from = "PBX Voicemail <voicemail@pbx.example.com>".into();
    })
    .await
}

#[tokio::test]
async fn voicemail_email_goes_through_a_real_smtp_server() {
    if !SmtpSink::available() {
        return;
    }
    let port = free_port();
    let tmp = tempfile::tempdir().unwrap();
    // aiosmtpd creates the maildir, and only when it does not exist yet.
    let maildir = tmp.path().join("mail");
    let _smtp = SmtpSink::start(port, &maildir).await;
    let app = smtp_app(port).await;
    let s = setup(&app, json!({})).await;
    let audio = wav(40_000);
    let msg = s.post(&app, audio.clone()).await;
    let sent = s
        .email_becomes(&app, msg["id"].as_str().unwrap(), "sent", 20)
        .await;
    let reply = sent["email"]["server_reply"].as_str().unwrap();
    assert!(
        reply.starts_with(&format!("127.0.0.1:{port}: 250")),
        "{reply}"
    );
    let delivered = files_in(&maildir.join("new"));
    assert_eq!(delivered.len(), 1);
    let e = read_email(&std::fs::read(&delivered[0]).unwrap());
    assert_eq!(e.to, vec![RECIPIENT]);
    assert_eq!(
        e.subject,
        "New voicemail from Ana García (+34911234567) (1:05)"
    );
    assert_eq!(e.attachment.unwrap().1, audio, "byte-identical attachment");
    assert!(outbox(&app).is_empty(), "nothing went to the file outbox");
}

#[tokio::test]
async fn an_smtp_outage_is_retried_and_the_email_arrives_exactly_once() {
    if !SmtpSink::available() {
        return;
    }
    let port = free_port();
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("mail");
    let app = smtp_app(port).await;
    let s = setup(&app, json!({"delete_after_email": true})).await;
    let msg = s.post(&app, wav(800)).await;
    let id = msg["id"].as_str().unwrap();

    // Nothing listens: the attempt fails, says why, and the message is kept.
    let retrying = s.email_becomes(&app, id, "retrying", 20).await;
    assert!(retrying["email"]["attempts"].as_i64().unwrap() >= 1);
    let error = retrying["email"]["last_error"].as_str().unwrap();
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");

    // The server comes back: the next retry delivers, once.
    let _smtp = SmtpSink::start(port, &maildir).await;
    s.message_goes(&app, id, 30).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        files_in(&maildir.join("new")).len(),
        1,
        "exactly one e-mail"
    );
    let jobs = list_all(
        &app,
        &format!("/v1/tenants/{}/jobs?kind=voicemail.email", s.tenant),
        &s.admin,
    )
    .await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["status"], "succeeded");
    assert!(jobs[0]["attempts"].as_i64().unwrap() >= 2);
}
