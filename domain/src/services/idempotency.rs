//! `Idempotency-Key`: a replayed POST returns the first answer; the same key with a different
//! body is refused (422).
//!
//! The stored answer is written in the same transaction as the change it describes, so a
//! crash can never leave a change without its record (or the reverse). Records are kept at
//! least 24 hours; the worker's housekeeping purges older ones.

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    entities::idempotency_key,
    error::{DomainError, DomainResult, ErrorCode},
    tokens::sha256_hex,
};

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 48;

/// A client's key for one request, with the request's fingerprint.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub owner: String,
    pub key: String,
    pub request_hash: String,
}

/// The first answer to a request, to replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

impl IdempotencyKey {
    /// `fingerprint` covers everything that makes two requests "the same": method, path and
    /// body bytes.
    pub fn new(owner: String, key: &str, fingerprint: &[&[u8]]) -> DomainResult<Self> {
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DomainError::field(
                "Idempotency-Key",
                "invalid_idempotency_key",
                "must be 1-255 visible ASCII characters",
            ));
        }
        let mut joined = String::new();
        for part in fingerprint {
            joined.push_str(&sha256_hex(&String::from_utf8_lossy(part)));
        }
        Ok(Self {
            owner,
            key: key.to_owned(),
            request_hash: sha256_hex(&joined),
        })
    }

    /// The stored answer for this key, if any; 422 if the key was used for another request.
    pub async fn replay<C: ConnectionTrait>(&self, db: &C) -> DomainResult<Option<StoredResponse>> {
        let found = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Owner.eq(self.owner.clone()))
            .filter(idempotency_key::Column::Key.eq(self.key.clone()))
            .one(db)
            .await?;
        match found {
            None => Ok(None),
            Some(row) if row.request_hash != self.request_hash => Err(DomainError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used with a different request",
            )),
            Some(row) => Ok(Some(StoredResponse {
                // A stored code out of range is a bug: never replayed as a made-up 200.
                status: u16::try_from(row.status_code).map_err(|e| {
                    DomainError::internal(format_args!(
                        "idempotency_keys.status_code holds {}: {e}",
                        row.status_code
                    ))
                })?,
                body: row.response_body,
            })),
        }
    }

    /// Stores the answer, inside the transaction of the change. A concurrent request with
    /// the same key loses on the unique index (if not already on the change's own unique
    /// values); the API then replays the winner's answer.
    pub async fn store<C: ConnectionTrait>(
        &self,
        db: &C,
        status: u16,
        body: &str,
    ) -> DomainResult<()> {
        let row = idempotency_key::ActiveModel {
            id: Set(Uuid::now_v7()),
            owner: Set(self.owner.clone()),
            key: Set(self.key.clone()),
            request_hash: Set(self.request_hash.clone()),
            status_code: Set(i32::from(status)),
            response_body: Set(body.to_owned()),
            created_at: Set(Utc::now()),
        };
        match idempotency_key::Entity::insert(row)
            .exec_without_returning(db)
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                Err(DomainError::new(
                    ErrorCode::IdempotencyInProgress,
                    "Another request with this Idempotency-Key completed first; retry to get its answer",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Deletes records older than the retention period; returns how many.
pub async fn purge<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    let cutoff = Utc::now() - Duration::hours(RETENTION_HOURS);
    let res = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
