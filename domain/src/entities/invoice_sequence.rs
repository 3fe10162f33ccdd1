use sea_orm::entity::prelude::*;

/// The last invoice number an issuer gave.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_sequences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub issuer_key: String,
    pub last_number: i64,
}

impl ActiveModelBehavior for ActiveModel {}
