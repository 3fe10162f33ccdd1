use sea_orm::entity::prelude::*;

/// One ledger transaction about a tenant's account; its postings sum to zero.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `services::billing::ledger::TransactionKind`, as stored.
    pub kind: String,
    /// What it did to the tenant's balance (signed micro-units).
    pub amount_micros: i64,
    pub currency: String,
    pub description: Option<String>,
    /// Who posted it (a user or API key), when a person did.
    pub actor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
