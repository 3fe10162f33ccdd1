//! DIDs: the platform's inventory of inbound numbers (`/v1/dids`), which tenants claim,
//! point at a destination and release (`/v1/tenants/{t}/dids`).
//!
//! - Platform admins manage the inventory; support staff read it; partner admins read the
//!   numbers held by tenants of their subtree (without the carrier trunk, a platform detail);
//!   everyone else is refused (403).
//! - A tenant claims an `available` number (409 for a reserved or assigned one), with
//!   `Idempotency-Key` making retries safe. The claim and the release each write a row of
//!   `did_assignments`, the history the billing issue charges setup and monthly fees from.
//! - Fees are exact: decimal strings in JSON, micro-units in the database ([`crate::money`]).
//!
//! Two audiences, two files: [`inventory`] is the platform's side (`/v1/dids`, platform
//! and support staff, partners reading their customers' numbers), [`claims`] the tenant's
//! (`/v1/tenants/{t}/dids`). The types both speak live here.

mod claims;
mod inventory;

pub(crate) use claims::{check_caller_id, held, release_all_of};
pub use claims::{claim, get, list, release, update};
pub(crate) use inventory::using_trunk;
pub use inventory::{
    authorize_platform_write, platform_create, platform_delete, platform_get, platform_list,
    platform_update,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    entities::did,
    error::{DomainError, DomainResult},
    money::format_amount,
    numbering::NumberType,
    services::{destinations::Destination, from_json_opt, from_stored},
    validate::double_option,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DidStatus {
    /// In inventory, free for any tenant to claim.
    Available,
    /// Held back by the platform: not claimable.
    Reserved,
    /// Held by a tenant.
    Assigned,
}

impl DidStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Reserved => "reserved",
            Self::Assigned => "assigned",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DidView {
    pub id: Uuid,
    /// E.164.
    pub number: String,
    /// ISO 3166-1 region of the number, when its numbering plan names one.
    pub country: Option<String>,
    pub number_type: NumberType,
    /// The platform carrier trunk the number arrives on (shown to platform staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_trunk_id: Option<Uuid>,
    /// One-off fee charged when a tenant claims the number, as a decimal string.
    pub setup_fee: String,
    /// Monthly fee while a tenant holds the number, as a decimal string.
    pub monthly_fee: String,
    /// ISO 4217 code of both fees.
    pub currency: String,
    pub status: DidStatus,
    /// The tenant holding the number (status `assigned`).
    pub tenant_id: Option<Uuid>,
    /// Where inbound calls to the number go; set by the holding tenant.
    pub destination: Option<Destination>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// When the number was last released by a tenant.
    pub released_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl DidView {
    /// The view of a stored row; a row whose status, number type or destination does not
    /// parse is a logged internal error (an unreadable status must never read as
    /// `available`, which would make the number claimable).
    fn new(m: &did::Model, show_carrier: bool) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            number: m.number.clone(),
            country: m.country.clone(),
            number_type: NumberType::from_name(&m.number_type).ok_or_else(|| {
                DomainError::internal(format_args!("dids.number_type holds {:?}", m.number_type))
            })?,
            carrier_trunk_id: show_carrier.then_some(m.carrier_trunk_id),
            setup_fee: format_amount(m.setup_fee_micros),
            monthly_fee: format_amount(m.monthly_fee_micros),
            currency: m.currency.clone(),
            status: from_stored("dids.status", &m.status)?,
            tenant_id: m.tenant_id,
            destination: from_json_opt(m.destination.as_ref())?,
            assigned_at: m.assigned_at,
            released_at: m.released_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(DidPage, DidView);

/// A number to add to the inventory.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDid {
    /// E.164, e.g. `+34 911 234 567`; unique in the inventory.
    pub number: String,
    /// A platform carrier trunk.
    pub carrier_trunk_id: Uuid,
    /// Non-negative decimal string, at most 6 decimal places (default "0").
    pub setup_fee: Option<String>,
    /// Non-negative decimal string, at most 6 decimal places (default "0").
    pub monthly_fee: Option<String>,
    /// ISO 4217 code of both fees.
    pub currency: String,
    /// `available` (default) or `reserved`.
    pub status: Option<DidStatus>,
}

/// JSON merge patch of an inventory number. `status` moves a number not held by a tenant
/// between `available` and `reserved`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDid {
    pub carrier_trunk_id: Option<Uuid>,
    pub setup_fee: Option<String>,
    pub monthly_fee: Option<String>,
    pub currency: Option<String>,
    pub status: Option<DidStatus>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DidListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub status: Option<DidStatus>,
    pub tenant_id: Option<Uuid>,
    /// ISO 3166-1 region, e.g. `ES`.
    pub country: Option<String>,
    /// Exact E.164 number.
    pub number: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantDidListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact E.164 number.
    pub number: Option<String>,
}

/// Which inventory number to claim: exactly one of `did_id` and `number`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDid {
    pub did_id: Option<Uuid>,
    /// E.164.
    pub number: Option<String>,
}

/// JSON merge patch of a tenant's DID: `destination: null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantDid {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Destination>)]
    pub destination: Option<Option<Destination>>,
}
