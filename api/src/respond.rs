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

/// 201 with `Location` and the created resource.
pub fn created<T: Serialize>(location: String, body: &T, version: Option<i64>) -> HttpResponse {
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", location));
    if let Some(v) = version {
        res.insert_header(("ETag", etag(v)));
    }
    res.json(body)
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
