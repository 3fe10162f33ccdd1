use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extension_credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub extension_id: Uuid,
    pub domain_id: Uuid,
    pub username: String,
    /// The SIP domain name, which is the digest realm.
    pub realm: String,
    /// md5(username:realm:password)
    pub ha1: String,
    /// md5(username@realm:realm:password)
    pub ha1b: String,
}

impl ActiveModelBehavior for ActiveModel {}
