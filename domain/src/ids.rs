//! Newtype IDs: a `TenantId` can't be passed where another object's `Uuid` is expected.
//!
//! Only the tenant has one today, because the tenant id is the one that crosses every
//! layer (scopes, cache keys, audit, dial-number reservations). Add a newtype here when
//! another id starts travelling between modules side by side with others.
//!
//! All IDs are UUIDv7: unguessable enough for URLs, ordered by creation time so that cursor
//! pagination by ID is also pagination by age.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    )*};
}

id_type!(TenantId);
