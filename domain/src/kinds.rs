//! [`ObjectKind`]: the kinds of tenant object that the dialable-number space
//! (`dial_numbers.owner_type`) and the reference index (`destination_refs.from_type` /
//! `to_type`) record, and that audit events name as their resource type.
//!
//! One enum instead of string literals spelled in every service: a typo no longer compiles,
//! a `match` over kinds is exhaustive (a new kind makes the compiler list every place that
//! must learn it), and a stored value that names no kind fails to read (a logged internal
//! error) instead of being taken for some default kind.

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

/// A kind of tenant object, stored as its snake_case name.
///
/// As a sea-orm column type it makes reading a row with an unknown name fail (the query
/// answers a `DbErr`, which the domain turns into a logged internal error).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ObjectKind {
    #[sea_orm(string_value = "extension")]
    Extension,
    #[sea_orm(string_value = "voicemail_box")]
    VoicemailBox,
    #[sea_orm(string_value = "ring_group")]
    RingGroup,
    #[sea_orm(string_value = "ivr_menu")]
    IvrMenu,
    #[sea_orm(string_value = "queue")]
    Queue,
    #[sea_orm(string_value = "time_condition")]
    TimeCondition,
    #[sea_orm(string_value = "conference")]
    Conference,
    /// A DID held by the tenant (it routes to a destination).
    #[sea_orm(string_value = "did")]
    Did,
    /// An outbound route (its fallback is a destination).
    #[sea_orm(string_value = "outbound_route")]
    OutboundRoute,
}

impl ObjectKind {
    /// Every kind, for exhaustive tests and documentation.
    pub const ALL: [ObjectKind; 9] = [
        Self::Extension,
        Self::VoicemailBox,
        Self::RingGroup,
        Self::IvrMenu,
        Self::Queue,
        Self::TimeCondition,
        Self::Conference,
        Self::Did,
        Self::OutboundRoute,
    ];

    /// The stored (and audit) name of the kind.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Extension => "extension",
            Self::VoicemailBox => "voicemail_box",
            Self::RingGroup => "ring_group",
            Self::IvrMenu => "ivr_menu",
            Self::Queue => "queue",
            Self::TimeCondition => "time_condition",
            Self::Conference => "conference",
            Self::Did => "did",
            Self::OutboundRoute => "outbound_route",
        }
    }

    /// The kind in words, for messages ("no ring group with this id").
    pub fn label(self) -> &'static str {
        match self {
            Self::Extension => "extension",
            Self::VoicemailBox => "voicemail box",
            Self::RingGroup => "ring group",
            Self::IvrMenu => "IVR menu",
            Self::Queue => "queue",
            Self::TimeCondition => "time condition",
            Self::Conference => "conference",
            Self::Did => "DID",
            Self::OutboundRoute => "outbound route",
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored name that is no [`ObjectKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown object kind {0:?}")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for ObjectKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

impl TryFrom<&str> for ObjectKind {
    type Error = UnknownKind;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        assert_eq!(ObjectKind::ALL.len(), ObjectKind::iter().count());
        for kind in ObjectKind::ALL {
            assert_eq!(kind.as_str().parse::<ObjectKind>(), Ok(kind));
            assert_eq!(kind.to_value(), kind.as_str());
            assert_eq!(
                ObjectKind::try_from_value(&kind.to_value()).ok(),
                Some(kind)
            );
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.as_str().into()))
            );
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        for bad in [
            "",
            "Extension",
            "ring-group",
            "conference ",
            "trunk",
            "unknown",
        ] {
            assert_eq!(bad.parse::<ObjectKind>(), Err(UnknownKind(bad.into())));
            assert!(ObjectKind::try_from(bad).is_err());
            assert!(ObjectKind::try_from_value(&bad.to_owned()).is_err());
        }
    }
}
