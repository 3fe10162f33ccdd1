//! What switches ask at call time. This module answers for a switch node (authenticated by
//! [`super::nodes::authenticate`]), never for a user: the tenant is found
//! from the SIP domain of the request, and only that tenant's rows are read.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    core::Core,
    entities::{domain, extension, extension_credential, voicemail_box},
    error::{DomainError, DomainResult},
    ids::TenantId,
    scope::{SystemScope, TenantRows},
};

/// Caller ID an extension presents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryCallerId {
    /// Name shown on internal calls (the display name unless set).
    pub internal_name: String,
    /// Number shown on internal calls (the extension number unless set).
    pub internal_number: String,
    /// E.164 number presented on outside calls, if any.
    pub external_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryVoicemail {
    pub box_id: Uuid,
    pub mailbox: String,
    pub enabled: bool,
    pub language: String,
}

/// What a media server needs to authenticate and place one SIP user: digests, never the
/// password.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryEntry {
    pub tenant_id: Uuid,
    pub domain: String,
    pub user: String,
    pub extension_id: Uuid,
    pub number: String,
    pub enabled: bool,
    /// md5(user:domain:password)
    pub ha1: String,
    /// md5(user@domain:domain:password)
    pub ha1b: String,
    pub caller_id: DirectoryCallerId,
    pub voicemail: Option<DirectoryVoicemail>,
    pub max_concurrent_calls: i32,
    pub dnd: bool,
    pub record_calls: bool,
}

/// The scope of the tenant serving a SIP domain, when the domain exists and the tenant
/// (and every tenant above it) is active: a suspended tenant's phones do not register or
/// call, nor those of a customer whose partner is suspended. All three cases are the same
/// 404, so a switch learns nothing about domains it does not serve.
pub(crate) async fn tenant_of_domain(
    core: &Core,
    name: &str,
) -> DomainResult<(SystemScope, domain::Model)> {
    let not_found = || DomainError::not_found("SIP domain");
    let name = crate::validate::Hostname::parse("domain", name).map_err(|_| not_found())?;
    let d = domain::Entity::find()
        .filter(domain::Column::Name.eq(name.as_str()))
        .one(&core.db)
        .await?
        .ok_or_else(not_found)?;
    let scope = SystemScope::active_by_id(&core.db, TenantId(d.tenant_id))
        .await?
        .ok_or_else(not_found)?;
    Ok((scope, d))
}

/// The directory entry of `user@domain`, or 404.
pub async fn entry(core: &Core, domain_name: &str, user: &str) -> DomainResult<DirectoryEntry> {
    let (scope, d) = tenant_of_domain(core, domain_name).await?;
    let not_found = || DomainError::not_found("SIP user");
    let ext = scope
        .select::<extension::Entity>()
        .filter(extension::Column::SipUsername.eq(user))
        .one(&core.db)
        .await?
        .ok_or_else(not_found)?;
    let cred = scope
        .select::<extension_credential::Entity>()
        .filter(extension_credential::Column::ExtensionId.eq(ext.id))
        .filter(extension_credential::Column::DomainId.eq(d.id))
        .one(&core.db)
        .await?
        .ok_or_else(not_found)?;
    let voicemail = match ext.voicemail_box_id {
        Some(id) => scope
            .select_by_id::<voicemail_box::Entity>(id)
            .one(&core.db)
            .await?
            .map(|b| DirectoryVoicemail {
                box_id: b.id,
                mailbox: b.mailbox,
                enabled: b.enabled,
                language: b.language,
            }),
        None => None,
    };
    Ok(DirectoryEntry {
        tenant_id: scope.tenant_id().0,
        domain: d.name,
        user: ext.sip_username.clone(),
        extension_id: ext.id,
        number: ext.number.clone(),
        enabled: ext.enabled,
        ha1: cred.ha1,
        ha1b: cred.ha1b,
        caller_id: DirectoryCallerId {
            internal_name: ext
                .caller_id_name
                .clone()
                .unwrap_or_else(|| ext.display_name.clone()),
            internal_number: ext
                .caller_id_number
                .clone()
                .unwrap_or_else(|| ext.number.clone()),
            external_number: ext.external_caller_id.clone(),
        },
        voicemail,
        max_concurrent_calls: ext.max_concurrent_calls,
        dnd: ext.dnd,
        record_calls: ext.record_calls,
    })
}
