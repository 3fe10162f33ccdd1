//! The one place where domain errors become HTTP answers: RFC 9457 `application/problem+json`
//! with the stable `code`, field `errors[]` and the `request_id` of the request.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use centralita_domain::{DomainError, ErrorCode, FieldError};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

tokio::task_local! {
    /// The id of the request being served, set by the request-id middleware for the whole
    /// life of the request so that error bodies built deep inside actix can carry it.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the problem type: `urn:centralita:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code; see the error table in the README.
    pub code: String,
    /// Field-level problems (empty when the problem is not about fields).
    pub errors: Vec<FieldError>,
    /// Quote this to support: it is on every log line of the request.
    pub request_id: Option<String>,
}

/// A domain error on its way out over HTTP.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub DomainError);

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(DomainError::new(code, detail))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let e = &self.0;
        let (code, status, title) = e.code.describe();
        let body = Problem {
            type_: format!("urn:centralita:problem:{code}"),
            title: title.to_owned(),
            status,
            detail: e.detail.clone(),
            code: code.to_owned(),
            errors: e.errors.clone(),
            request_id: current_request_id(),
        };
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json");
        if let Some(secs) = e.retry_after {
            res.insert_header(("Retry-After", secs.to_string()));
        }
        if let Some(allow) = &e.allow {
            res.insert_header(("Allow", allow.clone()));
        }
        if e.code == ErrorCode::Unauthenticated || e.code == ErrorCode::InvalidCredentials {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        res.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The error answers every authenticated route can give, for the OpenAPI document.
#[derive(IntoResponses)]
pub enum CommonErrors {
    /// Malformed JSON or query string.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Missing, expired or invalid credentials.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The role does not allow this, or the tenant is suspended.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource, or not visible to the caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Invalid field values, or unknown fields.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
}

/// Extra error answers of writes.
#[derive(IntoResponses)]
pub enum WriteErrors {
    /// A unique value is taken, or the resource is still referenced.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// `If-Match` does not match the current version.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Problem),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
}
