use sea_orm::entity::prelude::*;

/// A number of the platform's DID inventory. `tenant_id` is set while a tenant holds it
/// (status `assigned`), `NULL` otherwise.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// E.164, canonical.
    pub number: String,
    /// ISO 3166-1 alpha-2 region, when the numbering plan names one.
    pub country: Option<String>,
    pub number_type: String,
    /// The platform carrier trunk the number arrives on.
    pub carrier_trunk_id: Uuid,
    pub setup_fee_micros: i64,
    pub monthly_fee_micros: i64,
    pub currency: String,
    /// available | reserved | assigned
    pub status: String,
    pub tenant_id: Option<Uuid>,
    /// Inbound destination (a `Destination` union), set by the holding tenant.
    pub destination: Option<Json>,
    pub assigned_at: Option<DateTimeUtc>,
    pub released_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
