//! The one table of error codes, and the error type every domain operation returns.
//!
//! The API maps a [`DomainError`] to an RFC 9457 problem document in exactly one place
//! (`centralita_api::problem`); the `code` strings here are part of the public contract, so
//! they are never renamed, only added.

use serde::Serialize;
use utoipa::ToSchema;

/// Stable, machine-readable error codes with their HTTP status and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
pub enum ErrorCode {
    ValidationFailed,
    MalformedBody,
    InvalidQuery,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    ReasonRequired,
    TenantSuspended,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    IdempotencyKeyReused,
    IdempotencyInProgress,
    RateLimited,
    Internal,
    Unavailable,
}

impl ErrorCode {
    /// Every code, for documentation and exhaustive tests.
    pub const ALL: [ErrorCode; 19] = [
        Self::ValidationFailed,
        Self::MalformedBody,
        Self::InvalidQuery,
        Self::Unauthenticated,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::ReasonRequired,
        Self::TenantSuspended,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::PreconditionFailed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::IdempotencyKeyReused,
        Self::IdempotencyInProgress,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
    ];

    /// `(code, HTTP status, title)`: the whole table in one place.
    pub const fn describe(self) -> (&'static str, u16, &'static str) {
        match self {
            Self::ValidationFailed => ("validation_failed", 422, "The request is not valid"),
            Self::MalformedBody => ("malformed_body", 400, "The request body is malformed"),
            Self::InvalidQuery => ("invalid_query", 400, "The query string is not valid"),
            Self::Unauthenticated => ("unauthenticated", 401, "Authentication required"),
            Self::InvalidCredentials => ("invalid_credentials", 401, "Invalid credentials"),
            Self::Forbidden => ("forbidden", 403, "Not allowed"),
            Self::ReasonRequired => (
                "reason_required",
                403,
                "Support staff must state a reason to act inside a tenant",
            ),
            Self::TenantSuspended => ("tenant_suspended", 403, "The tenant is suspended"),
            Self::NotFound => ("not_found", 404, "Not found"),
            Self::MethodNotAllowed => ("method_not_allowed", 405, "Method not allowed"),
            Self::Conflict => ("conflict", 409, "Conflict"),
            Self::PreconditionFailed => (
                "precondition_failed",
                412,
                "The resource has changed since it was read",
            ),
            Self::PayloadTooLarge => ("payload_too_large", 413, "The request body is too large"),
            Self::UnsupportedMediaType => (
                "unsupported_media_type",
                415,
                "The request body's media type is not accepted here (the detail names the ones that are)",
            ),
            Self::IdempotencyKeyReused => (
                "idempotency_key_reused",
                422,
                "The Idempotency-Key was already used with a different request",
            ),
            Self::IdempotencyInProgress => (
                "idempotency_in_progress",
                409,
                "A request with this Idempotency-Key is still being processed",
            ),
            Self::RateLimited => ("rate_limited", 429, "Too many requests"),
            Self::Internal => ("internal", 500, "Internal server error"),
            Self::Unavailable => ("unavailable", 503, "Service unavailable"),
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.describe().0
    }

    pub const fn status(self) -> u16 {
        self.describe().1
    }

    pub const fn title(self) -> &'static str {
        self.describe().2
    }
}

/// One problem with one input field; `field` is a JSON pointer-ish dotted path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The error of every domain operation. `detail` is safe to show to the caller; internal
/// causes are logged where they happen and never carried here.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {detail}", code.as_str())]
pub struct DomainError {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds until a rate-limited caller may retry.
    pub retry_after: Option<u64>,
    /// Methods allowed on the path, for 405 answers.
    pub allow: Option<String>,
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, detail)
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self {
            errors,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    /// 409 for a unique value already in use, naming the field.
    pub fn taken(field: &str, message: &str) -> Self {
        let mut err = Self::conflict(format!("{field} {message}"));
        err.errors.push(FieldError::new(field, "taken", message));
        err
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn stale() -> Self {
        Self::new(
            ErrorCode::PreconditionFailed,
            "If-Match does not match the current version; read the resource again",
        )
    }

    /// 503 with `Retry-After`: a dependency is saturated, the request may succeed later.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(BUSY_RETRY_AFTER_SECS),
            ..Self::new(ErrorCode::Unavailable, detail)
        }
    }

    /// An unexpected failure: logged here with its cause, answered as an opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "An unexpected error occurred")
    }
}

/// Seconds a caller is told to wait when the database is saturated: long enough for a
/// queue of short transactions to drain, short enough not to matter to a person.
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// Whether a database error means "saturated, try again", not "broken": the pool had no
/// connection free within its acquire timeout, SQLite's writer stayed busy past its busy
/// timeout (`database is locked`, `SQLITE_BUSY`/`SQLITE_LOCKED` and their extended codes),
/// or PostgreSQL could not take a lock (`55P03`).
fn is_busy(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};
    let sqlx_err = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx_err.as_ref() {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if code == "55P03" {
                return true;
            }
            // SQLite reports its (extended) result code as a number; the primary code is
            // the low byte: 5 = SQLITE_BUSY, 6 = SQLITE_LOCKED.
            code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
        }
        _ => false,
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_busy(&err) {
            tracing::warn!(error = %err, "database saturated; answering 503");
            return Self::unavailable(
                "The database is busy; retry after the number of seconds in Retry-After",
            );
        }
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                Self::conflict("A resource with the same unique value already exists")
            }
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::conflict("The resource is still referenced by other resources")
            }
            _ => Self::internal(err),
        }
    }
}
