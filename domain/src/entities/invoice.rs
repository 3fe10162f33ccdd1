use sea_orm::entity::prelude::*;

/// An invoice of one account for one billing period.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    /// Who issues it: `tenant:<parent id>` or `platform`; numbers count per issuer.
    pub issuer_key: String,
    /// Given when issued, from the issuer's gap-free sequence (`2026-000001`).
    pub number: Option<String>,
    /// `draft`, `issued`, `paid` or `void`.
    pub status: String,
    pub period_start: Date,
    /// Exclusive.
    pub period_end: Date,
    pub currency: String,
    pub subtotal_micros: i64,
    pub tax_rate_micros: i64,
    pub tax_micros: i64,
    pub total_micros: i64,
    pub paid_micros: i64,
    pub issued_at: Option<DateTimeUtc>,
    pub due_on: Option<Date>,
    pub voided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
