use sea_orm::entity::prelude::*;

/// A line of an invoice.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub invoice_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// `calls`, `did_fees`, `adjustments`.
    pub kind: String,
    pub description: String,
    /// Calls, numbers or transactions the line sums.
    pub quantity: i64,
    pub amount_micros: i64,
}

impl ActiveModelBehavior for ActiveModel {}
