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

/// Replays a stored idempotent answer byte for byte.
pub fn replay(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .insert_header(("Idempotent-Replayed", "true"))
        .content_type("application/json")
        .body(body)
}
