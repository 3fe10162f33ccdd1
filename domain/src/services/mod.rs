//! Domain services, one module per resource. Each public function takes the
//! [`crate::scope::TenantScope`] (or, at platform level, the [`crate::authz::Actor`]) first,
//! validates all input before it writes, and writes the change, its audit event and any job
//! in one transaction.
//!
//! - the tenant tree and who may sign in: [`tenants`], [`domains`], [`users`], [`api_keys`],
//!   [`auth`], [`audit`], [`idempotency`];
//! - PBX configuration: [`extensions`] (and [`extension_csv`]), [`voicemail_boxes`],
//!   [`voicemail_messages`];
//! - call flow: [`destinations`] (the typed union every routing field uses),
//!   [`dial_numbers`] (the shared number space), [`ring_groups`], [`ivr_menus`], [`queues`],
//!   [`conferences`], [`time_conditions`];
//! - carriers: [`trunks`], [`outbound_routes`], [`dids`];
//! - the switch surface: [`switch_nodes`] (registry, node tokens), [`switch`] (directory),
//!   [`routing`] (`POST /v1/switch/route`);
//! - background work: [`jobs`] (the outbox, the `Job` trait and registry), [`housekeeping`];
//! - shared plumbing: `versioned` (optimistic locking).

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod conferences;
pub mod destinations;
pub mod dial_numbers;
pub mod dids;
pub mod domains;
pub mod extension_csv;
pub mod extensions;
pub mod housekeeping;
pub mod idempotency;
pub mod ivr_menus;
pub mod job_admin;
pub mod jobs;
pub mod outbound_routes;
pub mod queues;
pub mod rate_decks;
pub mod ring_groups;
pub mod tenants;
pub mod time_conditions;
pub mod trunks;
pub mod users;
pub(crate) mod versioned;
pub mod voicemail_boxes;
pub mod voicemail_messages;

/// Current version check for `If-Match`: `None` means the client sent no precondition.
pub(crate) fn check_version(current: i64, if_match: Option<i64>) -> crate::error::DomainResult<()> {
    match if_match {
        Some(v) if v != current => Err(crate::error::DomainError::stale()),
        _ => Ok(()),
    }
}

/// A JSON column back into its typed value; a row that no longer parses is a server bug,
/// answered as a logged internal error (never replaced by a default).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    v: &serde_json::Value,
) -> crate::error::DomainResult<T> {
    T::deserialize(v).map_err(|e| {
        crate::error::DomainError::internal(format_args!("undecodable JSON column: {e}"))
    })
}

/// A nullable JSON column back into its typed value (see [`from_json`]).
pub(crate) fn from_json_opt<T: serde::de::DeserializeOwned>(
    v: Option<&serde_json::Value>,
) -> crate::error::DomainResult<Option<T>> {
    v.map(from_json).transpose()
}

/// A stored enumeration (a text column holding a variant's serde name) back into its type.
/// A value that names no variant is a server bug: a logged internal error naming `column`,
/// never a default (a status read as `available` would make a number claimable).
pub(crate) fn from_stored<T: serde::de::DeserializeOwned>(
    column: &str,
    raw: &str,
) -> crate::error::DomainResult<T> {
    use serde::de::{IntoDeserializer, value::Error};
    T::deserialize(IntoDeserializer::<Error>::into_deserializer(raw)).map_err(|e| {
        crate::error::DomainError::internal(format_args!("{column} holds {raw:?}: {e}"))
    })
}

/// A typed value as a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> crate::error::DomainResult<serde_json::Value> {
    serde_json::to_value(v).map_err(crate::error::DomainError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Colour {
        Red,
        DarkBlue,
    }

    #[test]
    fn stored_enumerations_parse_or_fail_as_internal() {
        assert_eq!(
            from_stored::<Colour>("t.c", "dark_blue").ok(),
            Some(Colour::DarkBlue)
        );
        assert_eq!(from_stored::<Colour>("t.c", "red").ok(), Some(Colour::Red));
        for bad in ["", "Red", "blue", "dark-blue"] {
            let err = from_stored::<Colour>("t.c", bad).err().map(|e| e.code);
            assert_eq!(err, Some(ErrorCode::Internal), "{bad:?}");
        }
    }

    #[test]
    fn json_columns_decode_or_fail_as_internal() {
        let ok: Option<Vec<u32>> = from_json(&serde_json::json!([1, 2])).ok();
        assert_eq!(ok, Some(vec![1, 2]));
        let bad = from_json::<Vec<u32>>(&serde_json::json!({"a": 1})).err();
        assert_eq!(bad.map(|e| e.code), Some(ErrorCode::Internal));
        assert_eq!(from_json_opt::<Vec<u32>>(None).ok(), Some(None));
    }
}
