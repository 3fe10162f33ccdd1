//! Small helpers that shape successful answers (JSON, `ETag`, `Location`).

use actix_web::{HttpResponse, http::StatusCode};
use serde::Serialize;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// 200 with a JSON body, and an `ETag` when the resource is versioned.
pub fn ok<T: Serialize>(body: &T, version: Option<i64>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    if let Some(v) = version {
        res.insert_header(("ETag", etag(v)));
    }
    res.json(body)
}

/// 200 with a body already serialized to JSON (a cached answer).
pub fn json_bytes(body: actix_web::web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// 201 with `Location` and the created resource.
pub fn created<T: Serialize>(location: String, body: &T, version: Option<i64>) -> HttpResponse {
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", location));
    if let Some(v) = version {
        res.insert_header(("ETag", etag(v)));
    }
    res.json(body)
}

/// 200 with stored audio. Clients' uploads are served from the API's origin, so the
/// browser must not sniff them into something else (`nosniff`); `download`, when given,
/// names the file for a `Content-Disposition: attachment`.
pub fn audio(content_type: String, bytes: Vec<u8>, download: Option<&str>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header(("X-Content-Type-Options", "nosniff"));
    if let Some(name) = download {
        let ext = match content_type.as_str() {
            "audio/mpeg" => "mp3",
            "audio/ogg" => "ogg",
            _ => "wav",
        };
        res.insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}.{ext}\""),
        ));
    }
    res.content_type(content_type).body(bytes)
}

pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Replays a stored idempotent answer byte for byte. The headers of a create (`Location`
/// under `collection`, and `ETag`) are derived again from the stored body's `id` and
/// `version`, so a replay looks exactly like the first answer.
pub fn replay(status: u16, body: String, collection: &str) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    res.insert_header(("Idempotent-Replayed", "true"));
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
        if let Some(id) = v.get("id").and_then(|id| id.as_str()) {
            res.insert_header(("Location", format!("{collection}/{id}")));
        }
        if let Some(version) = v.get("version").and_then(serde_json::Value::as_i64) {
            res.insert_header(("ETag", etag(version)));
        }
    }
    res.content_type("application/json").body(body)
}

/// The flow of every POST that honours `Idempotency-Key`: a stored answer is replayed;
/// otherwise `create` runs (it stores its answer in its own transaction). When it loses a
/// race to a concurrent request with the same key — the winner's row makes it fail with a
/// 409 (`conflict` on the unique value, or `idempotency_in_progress` on the key) — the
/// winner has committed by then, so its answer is replayed instead: every retry of one
/// request gets the same answer.
pub async fn idempotent<F, Fut>(
    core: &centralita_domain::Core,
    key: Option<centralita_domain::services::idempotency::IdempotencyKey>,
    collection: &str,
    create: F,
) -> crate::problem::ApiResult<HttpResponse>
where
    F: FnOnce(Option<centralita_domain::services::idempotency::IdempotencyKey>) -> Fut,
    Fut: std::future::Future<Output = crate::problem::ApiResult<HttpResponse>>,
{
    let Some(key) = key else {
        return create(None).await;
    };
    if let Some(stored) = key.replay(&core.db).await? {
        return Ok(replay(stored.status, stored.body, collection));
    }
    match create(Some(key.clone())).await {
        Err(e) if e.0.code.status() == 409 => match key.replay(&core.db).await? {
            Some(stored) => Ok(replay(stored.status, stored.body, collection)),
            None => Err(e),
        },
        answer => answer,
    }
}
