//! Extensions: a number in the tenant's dialable space, the SIP account a phone registers
//! with, and what happens to calls (forwarding, do-not-disturb, follow-me, voicemail).
//!
//! The SIP password is generated here, shown once (in the create answer and by
//! `reset-password`), and stored only as HA1/HA1B digests, one pair per SIP domain of the
//! tenant (the realm). A domain added later has no digests until the password is reset:
//! the plaintext needed to compute them is, by design, nowhere.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{from_json, to_json};
use crate::{
    authz::{Actor, Permission, PrincipalKind, owns_phone},
    core::Core,
    entities::{
        audit_event, destination_ref, dial_number, did, domain, extension, extension_credential,
        user, voicemail_box,
    },
    error::{DomainError, DomainResult, FieldError},
    kinds::ObjectKind,
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, check_version,
        destinations::{self, Destination, Refs},
        dial_numbers, dids, versioned,
    },
    sip::{SipUsername, digests, generate_sip_password},
    switch::cache::CacheKey,
    tx::Tx,
    validate::double_option,
    validate::{DialNumber, Errors, display_text},
};

/// One forwarding rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardRule {
    pub enabled: bool,
    pub destination: Destination,
}

/// Call forwarding: unconditional, on busy, on no answer, when the phone is unreachable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Forwarding {
    pub always: Option<ForwardRule>,
    pub busy: Option<ForwardRule>,
    pub no_answer: Option<ForwardRule>,
    pub unreachable: Option<ForwardRule>,
}

impl Forwarding {
    fn rules_mut(&mut self) -> [(&'static str, &mut Option<ForwardRule>); 4] {
        [
            ("always", &mut self.always),
            ("busy", &mut self.busy),
            ("no_answer", &mut self.no_answer),
            ("unreachable", &mut self.unreachable),
        ]
    }
}

/// One follow-me step: ring `destination` for `ring_seconds`, then go on to the next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowMeStep {
    pub destination: Destination,
    /// 5-300 seconds.
    #[schema(minimum = 5, maximum = 300)]
    pub ring_seconds: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: Uuid,
    pub number: String,
    pub display_name: String,
    /// The user this extension belongs to, if any.
    pub user_id: Option<Uuid>,
    pub enabled: bool,
    /// The SIP username phones register with (realm: each SIP domain of the tenant).
    pub sip_username: String,
    /// SIP domains the current password has digests for.
    pub sip_realms: Vec<String>,
    /// Caller ID shown on internal calls (default: display name and number).
    pub caller_id_name: Option<String>,
    pub caller_id_number: Option<String>,
    /// Caller ID number presented on outside calls: a DID the tenant holds, E.164.
    pub external_caller_id: Option<String>,
    /// Do not disturb: calls go straight to the busy treatment.
    pub dnd: bool,
    pub forwarding: Forwarding,
    pub follow_me: Vec<FollowMeStep>,
    pub max_concurrent_calls: i32,
    pub record_calls: bool,
    pub voicemail_box_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl ExtensionView {
    /// The view of a stored row; a forwarding or follow-me column that does not decode is a
    /// logged internal error, never an empty default (which would silently drop the rules).
    fn new(m: &extension::Model, realms: Vec<String>) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            number: m.number.clone(),
            display_name: m.display_name.clone(),
            user_id: m.user_id,
            enabled: m.enabled,
            sip_username: m.sip_username.clone(),
            sip_realms: realms,
            caller_id_name: m.caller_id_name.clone(),
            caller_id_number: m.caller_id_number.clone(),
            external_caller_id: m.external_caller_id.clone(),
            dnd: m.dnd,
            forwarding: from_json(&m.forwarding)?,
            follow_me: from_json(&m.follow_me)?,
            max_concurrent_calls: m.max_concurrent_calls,
            record_calls: m.record_calls,
            voicemail_box_id: m.voicemail_box_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// The create answer (and `reset-password`'s): the only times the SIP password is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExtensionCreated {
    #[serde(flatten)]
    pub extension: ExtensionView,
    /// The SIP password. Store it now: only its digests are kept.
    pub sip_password: String,
}

crate::page_type!(ExtensionPage, ExtensionView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExtension {
    /// 2-15 digits, not starting with 0; unique in the tenant's dialable numbers.
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    pub user_id: Option<Uuid>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Default: the number.
    pub sip_username: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub caller_id_name: Option<String>,
    #[schema(pattern = "^[1-9][0-9]{1,14}$")]
    pub caller_id_number: Option<String>,
    /// A DID the tenant holds, E.164 (422 `not_a_tenant_did` otherwise); the DID cannot be
    /// released while an extension presents it.
    pub external_caller_id: Option<String>,
    pub dnd: Option<bool>,
    pub forwarding: Option<Forwarding>,
    #[schema(max_items = 10)]
    pub follow_me: Option<Vec<FollowMeStep>>,
    /// 1-100 (default 4).
    #[schema(minimum = 1, maximum = 100)]
    pub max_concurrent_calls: Option<i32>,
    pub record_calls: Option<bool>,
    pub voicemail_box_id: Option<Uuid>,
}

/// JSON merge patch of an extension. `forwarding` and `follow_me`, when present, replace
/// the whole value; `null` in a nullable field clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExtension {
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub caller_id_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^[1-9][0-9]{1,14}$")]
    pub caller_id_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub external_caller_id: Option<Option<String>>,
    pub dnd: Option<bool>,
    pub forwarding: Option<Forwarding>,
    #[schema(max_items = 10)]
    pub follow_me: Option<Vec<FollowMeStep>>,
    #[schema(minimum = 1, maximum = 100)]
    pub max_concurrent_calls: Option<i32>,
    pub record_calls: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub voicemail_box_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExtensionListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact number.
    pub number: Option<String>,
    pub user_id: Option<Uuid>,
    pub enabled: Option<bool>,
}

/// Every routing field of an extension, checked against the tenant; gives the references
/// to record.
async fn check_routing<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    forwarding: &mut Forwarding,
    follow_me: &mut [FollowMeStep],
) -> Refs {
    let mut refs = Vec::new();
    for (name, rule) in forwarding.rules_mut() {
        if let Some(rule) = rule {
            let field = format!("forwarding.{name}.destination");
            if errors
                .check(destinations::check(scope, db, &field, &mut rule.destination).await)
                .is_some()
                && let Some((t, id)) = rule.destination.target()
            {
                refs.push((format!("forwarding.{name}"), t, id));
            }
        }
    }
    if follow_me.len() > 10 {
        errors.push(FieldError::new("follow_me", "too_many", "at most 10 steps"));
    }
    for (i, step) in follow_me.iter_mut().enumerate() {
        let field = format!("follow_me[{i}].destination");
        if !(5..=300).contains(&step.ring_seconds) {
            errors.push(FieldError::new(
                format!("follow_me[{i}].ring_seconds"),
                "out_of_range",
                "must be 5-300 seconds",
            ));
        }
        if errors
            .check(destinations::check(scope, db, &field, &mut step.destination).await)
            .is_some()
            && let Some((t, id)) = step.destination.target()
        {
            refs.push((format!("follow_me[{i}]"), t, id));
        }
    }
    refs
}

async fn check_user<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    id: Uuid,
) -> DomainResult<()> {
    let n = scope
        .select::<user::Entity>()
        .filter(user::Column::Id.eq(id))
        .count(db)
        .await?;
    if n == 0 {
        errors.push(FieldError::new(
            "user_id",
            "unknown_user",
            "no user with this id in the tenant",
        ));
    }
    Ok(())
}

async fn check_box<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    id: Uuid,
) -> DomainResult<()> {
    let n = scope
        .select::<voicemail_box::Entity>()
        .filter(voicemail_box::Column::Id.eq(id))
        .count(db)
        .await?;
    if n == 0 {
        errors.push(FieldError::new(
            "voicemail_box_id",
            "unknown_voicemail_box",
            "no voicemail box with this id in the tenant",
        ));
    }
    Ok(())
}

fn check_max_calls(errors: &mut Errors, n: i32) {
    if !(1..=100).contains(&n) {
        errors.push(FieldError::new(
            "max_concurrent_calls",
            "out_of_range",
            "must be 1-100",
        ));
    }
}

fn optional_text(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    raw.and_then(|v| errors.check(display_text(field, v)))
}

fn internal_caller_number(errors: &mut Errors, raw: Option<&str>) -> Option<String> {
    raw.and_then(|v| {
        errors
            .check(DialNumber::parse("caller_id_number", v))
            .map(DialNumber::into_inner)
    })
}

/// (Re)writes the digests of `ext` for every domain of the tenant.
async fn write_credentials<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    ext_id: Uuid,
    username: &str,
    password: &str,
) -> DomainResult<Vec<String>> {
    extension_credential::Entity::delete_many()
        .filter(extension_credential::Column::TenantId.eq(scope.tenant().id))
        .filter(extension_credential::Column::ExtensionId.eq(ext_id))
        .exec(db)
        .await?;
    let domains = scope.select::<domain::Entity>().all(db).await?;
    let (rows, realms) = credential_rows(scope, &domains, ext_id, username, password);
    crate::bulk::insert_all(db, rows).await?;
    Ok(realms)
}

/// The digest rows of one extension's password, one per SIP domain (realm), and the sorted
/// realms.
fn credential_rows(
    scope: &TenantScope,
    domains: &[domain::Model],
    ext_id: Uuid,
    username: &str,
    password: &str,
) -> (Vec<extension_credential::ActiveModel>, Vec<String>) {
    let rows = domains
        .iter()
        .map(|d| {
            let dg = digests(username, &d.name, password);
            extension_credential::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(scope.tenant().id),
                extension_id: Set(ext_id),
                domain_id: Set(d.id),
                username: Set(username.to_owned()),
                realm: Set(d.name.clone()),
                ha1: Set(dg.ha1),
                ha1b: Set(dg.ha1b),
            }
        })
        .collect();
    let mut realms: Vec<String> = domains.iter().map(|d| d.name.clone()).collect();
    realms.sort();
    (rows, realms)
}

async fn realms_of<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    ext_id: Uuid,
) -> DomainResult<Vec<String>> {
    let mut realms: Vec<String> = extension_credential::Entity::find()
        .filter(extension_credential::Column::TenantId.eq(scope.tenant().id))
        .filter(extension_credential::Column::ExtensionId.eq(ext_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.realm)
        .collect();
    realms.sort();
    Ok(realms)
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &ExtensionListQuery,
) -> DomainResult<ExtensionPage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<extension::Entity>();
    if let Some(n) = &query.number {
        select = select.filter(extension::Column::Number.eq(n.clone()));
    }
    if let Some(u) = query.user_id {
        select = select.filter(extension::Column::UserId.eq(u));
    }
    if let Some(e) = query.enabled {
        select = select.filter(extension::Column::Enabled.eq(e));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, extension::Column::Id, |m| m.id)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let creds = extension_credential::Entity::find()
        .filter(extension_credential::Column::TenantId.eq(scope.tenant().id))
        .filter(extension_credential::Column::ExtensionId.is_in(ids))
        .all(&core.db)
        .await?;
    let items = rows
        .iter()
        .map(|m| {
            let mut realms: Vec<String> = creds
                .iter()
                .filter(|c| c.extension_id == m.id)
                .map(|c| c.realm.clone())
                .collect();
            realms.sort();
            ExtensionView::new(m, realms)
        })
        .collect::<DomainResult<_>>()?;
    Ok(ExtensionPage { items, next_cursor })
}

/// Validated extension input, ready to insert.
pub(crate) struct NewExtension {
    number: DialNumber,
    display_name: String,
    user_id: Option<Uuid>,
    enabled: bool,
    sip_username: String,
    caller_id_name: Option<String>,
    caller_id_number: Option<String>,
    external_caller_id: Option<String>,
    dnd: bool,
    forwarding: Forwarding,
    follow_me: Vec<FollowMeStep>,
    max_concurrent_calls: i32,
    record_calls: bool,
    voicemail_box_id: Option<Uuid>,
    refs: Refs,
}

impl NewExtension {
    /// The dialable number.
    pub(crate) fn number(&self) -> &str {
        self.number.as_str()
    }

    /// The SIP username.
    pub(crate) fn sip_username(&self) -> &str {
        &self.sip_username
    }

    /// Presents `number` (E.164), the tenant's DID `did_id`, as the external caller ID.
    pub(crate) fn presenting(mut self, number: String, did_id: Uuid) -> Self {
        self.external_caller_id = Some(number);
        self.refs
            .push(("external_caller_id".into(), ObjectKind::Did, did_id));
        self
    }

    /// The row to insert, as id `id` of `tenant_id`, created `now`.
    fn model(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> DomainResult<extension::Model> {
        Ok(extension::Model {
            id,
            tenant_id,
            number: self.number.as_str().to_owned(),
            display_name: self.display_name.clone(),
            user_id: self.user_id,
            enabled: self.enabled,
            sip_username: self.sip_username.clone(),
            caller_id_name: self.caller_id_name.clone(),
            caller_id_number: self.caller_id_number.clone(),
            external_caller_id: self.external_caller_id.clone(),
            dnd: self.dnd,
            forwarding: to_json(&self.forwarding)?,
            follow_me: to_json(&self.follow_me)?,
            max_concurrent_calls: self.max_concurrent_calls,
            record_calls: self.record_calls,
            voicemail_box_id: self.voicemail_box_id,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// Links the extension to a user and a voicemail box created in the same request.
    pub(crate) fn link(mut self, user_id: Uuid, box_id: Option<Uuid>) -> Self {
        self.user_id = Some(user_id);
        if let Some(b) = box_id {
            self.voicemail_box_id = Some(b);
            self.refs
                .push(("voicemail_box_id".into(), ObjectKind::VoicemailBox, b));
        }
        self
    }
}

/// Validates a create request, collecting every field error. `user_id` and
/// `voicemail_box_id` may name objects created earlier in the same transaction.
pub(crate) async fn prepare<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    mut input: CreateExtension,
    errors: &mut Errors,
) -> DomainResult<Option<NewExtension>> {
    let mut forwarding = input.forwarding.take().unwrap_or_default();
    let mut follow_me = input.follow_me.take().unwrap_or_default();
    let external_caller_id = input.external_caller_id.take();
    let (user_id, box_id) = (input.user_id.take(), input.voicemail_box_id.take());
    let plain = prepare_plain(input, errors);
    let external_caller_id = match external_caller_id.as_deref() {
        Some(raw) => dids::check_caller_id(scope, db, errors, "external_caller_id", raw).await?,
        None => None,
    };
    if let Some(u) = user_id {
        check_user(scope, db, errors, u).await?;
    }
    if let Some(b) = box_id {
        check_box(scope, db, errors, b).await?;
    }
    let mut refs = check_routing(scope, db, errors, &mut forwarding, &mut follow_me).await;
    let Some(mut e) = plain else {
        return Ok(None);
    };
    if let Some(b) = box_id {
        refs.push(("voicemail_box_id".into(), ObjectKind::VoicemailBox, b));
    }
    e.refs = refs;
    if let Some((number, did_id)) = external_caller_id {
        e = e.presenting(number, did_id);
    }
    e.user_id = user_id;
    e.voicemail_box_id = box_id;
    e.forwarding = forwarding;
    e.follow_me = follow_me;
    Ok(Some(e))
}

/// The checks of a create that need no database (syntax, lengths, ranges): what a bulk
/// import runs on every row in memory. The extension it gives references nothing yet —
/// `user_id`, `voicemail_box_id`, `external_caller_id`, forwarding and follow-me of `input`
/// are ignored; [`prepare`] (or the import's bulk lookups) checks and sets them.
pub(crate) fn prepare_plain(input: CreateExtension, errors: &mut Errors) -> Option<NewExtension> {
    let number = errors.check(DialNumber::parse("number", &input.number));
    let display_name = errors.check(display_text("display_name", &input.display_name));
    let sip_username = errors.check(SipUsername::or_extension(
        "sip_username",
        input.sip_username.as_deref(),
        &input.number,
    ));
    let caller_id_name = optional_text(errors, "caller_id_name", input.caller_id_name.as_deref());
    let caller_id_number = internal_caller_number(errors, input.caller_id_number.as_deref());
    let max_concurrent_calls = input.max_concurrent_calls.unwrap_or(4);
    check_max_calls(errors, max_concurrent_calls);
    let (Some(number), Some(display_name), Some(sip_username)) =
        (number, display_name, sip_username)
    else {
        return None;
    };
    Some(NewExtension {
        number,
        display_name,
        user_id: None,
        enabled: input.enabled.unwrap_or(true),
        sip_username: sip_username.into_inner(),
        caller_id_name,
        caller_id_number,
        external_caller_id: None,
        dnd: input.dnd.unwrap_or(false),
        forwarding: Forwarding::default(),
        follow_me: Vec::new(),
        max_concurrent_calls,
        record_calls: input.record_calls.unwrap_or(false),
        voicemail_box_id: None,
        refs: Vec::new(),
    })
}

/// Inserts a prepared extension (number reserved, credentials, references, audit) inside
/// the caller's transaction.
pub(crate) async fn insert(
    scope: &TenantScope,
    db: &Tx,
    e: NewExtension,
) -> DomainResult<ExtensionCreated> {
    let tenant_id = scope.tenant().id;
    let id = Uuid::now_v7();
    // Checked again (and locked) in the writing transaction: a compound create validates
    // before it opens one, and the DID may have been released meanwhile.
    if let Some(n) = &e.external_caller_id {
        let mut errors = Errors::default();
        dids::check_caller_id(scope, db, &mut errors, "external_caller_id", n).await?;
        errors.finish()?;
    }
    dial_numbers::reserve(db, scope.tenant_id(), &e.number, ObjectKind::Extension, id).await?;
    let username_taken = scope
        .select::<extension::Entity>()
        .filter(extension::Column::SipUsername.eq(e.sip_username.clone()))
        .count(db)
        .await?;
    if username_taken > 0 {
        return Err(DomainError::taken(
            "sip_username",
            "is already used in this tenant",
        ));
    }
    let model = extension::ActiveModel::from(e.model(tenant_id, id, Utc::now())?)
        .reset_all()
        .insert(db)
        .await?;
    destinations::replace_refs(db, scope.tenant_id(), ObjectKind::Extension, id, &e.refs).await?;
    let password = generate_sip_password();
    let realms = write_credentials(scope, db, id, &e.sip_username, &password).await?;
    let view = ExtensionView::new(&model, realms)?;
    audit::record_change(
        db,
        scope,
        "extension.create",
        "extension",
        id,
        None,
        Some(&view),
    )
    .await?;
    Ok(ExtensionCreated {
        extension: view,
        sip_password: password,
    })
}

/// Inserts many prepared extensions inside the caller's transaction with multi-row
/// statements: the bulk form of [`insert`], for imports. Collisions were looked up before,
/// in chunks; a number or username taken since fails the batch on the unique indexes (409),
/// and so does a presented DID released since (the DIDs are locked for the transaction).
pub(crate) async fn insert_batch(
    scope: &TenantScope,
    db: &Tx,
    rows: Vec<NewExtension>,
) -> DomainResult<Vec<ExtensionCreated>> {
    let tenant_id = scope.tenant().id;
    let mut presented: Vec<String> = rows
        .iter()
        .filter_map(|e| e.external_caller_id.clone())
        .collect();
    presented.sort();
    presented.dedup();
    if held_dids(scope, db, presented.clone(), true).await?.len() < presented.len() {
        return Err(DomainError::conflict(
            "A DID presented as external caller ID was released meanwhile",
        ));
    }
    let domains = scope.select::<domain::Entity>().all(db).await?;
    let now = Utc::now();
    let (mut models, mut numbers, mut creds, mut refs, mut created) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in rows {
        let id = Uuid::now_v7();
        let model = e.model(tenant_id, id, now)?;
        numbers.push(dial_number::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            number: Set(e.number.as_str().to_owned()),
            owner_type: Set(ObjectKind::Extension),
            owner_id: Set(id),
        });
        let password = generate_sip_password();
        let (rows, realms) = credential_rows(scope, &domains, id, &e.sip_username, &password);
        creds.extend(rows);
        refs.extend(destinations::ref_rows(
            scope.tenant_id(),
            ObjectKind::Extension,
            id,
            &e.refs,
        ));
        created.push(ExtensionCreated {
            extension: ExtensionView::new(&model, realms)?,
            sip_password: password,
        });
        models.push(extension::ActiveModel::from(model).reset_all());
    }
    let changes = created
        .iter()
        .map(|c| {
            audit::Change::new(
                Some(tenant_id),
                "extension.create",
                "extension",
                c.extension.id,
                None,
                Some(&c.extension),
            )
        })
        .collect::<DomainResult<Vec<_>>>()?;
    crate::bulk::insert_all(db, models).await?;
    crate::bulk::insert_all(db, numbers).await?;
    crate::bulk::insert_all(db, refs).await?;
    crate::bulk::insert_all(db, creds).await?;
    audit::record_many(db, scope.actor(), changes).await?;
    Ok(created)
}

/// Removes extensions [`insert_batch`] created (with their numbers, digests, references and
/// creation events): the undo of a batch whose import failed later, so that the import
/// leaves nothing behind.
pub(crate) async fn remove_batch(scope: &TenantScope, db: &Tx, ids: &[Uuid]) -> DomainResult<()> {
    let tenant_id = scope.tenant().id;
    extension_credential::Entity::delete_many()
        .filter(extension_credential::Column::TenantId.eq(tenant_id))
        .filter(extension_credential::Column::ExtensionId.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    destination_ref::Entity::delete_many()
        .filter(destination_ref::Column::TenantId.eq(tenant_id))
        .filter(destination_ref::Column::FromId.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    dial_number::Entity::delete_many()
        .filter(dial_number::Column::TenantId.eq(tenant_id))
        .filter(dial_number::Column::OwnerId.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    extension::Entity::delete_many()
        .filter(extension::Column::TenantId.eq(tenant_id))
        .filter(extension::Column::Id.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    // The import did not happen: its creation events go like a rolled-back transaction's.
    audit_event::Entity::delete_many()
        .filter(audit_event::Column::TenantId.eq(tenant_id))
        .filter(audit_event::Column::Action.eq("extension.create"))
        .filter(audit_event::Column::ResourceId.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    db.invalidates(CacheKey::Tenant(scope.tenant_id()));
    Ok(())
}

/// The tenant's DIDs among `numbers` (E.164), by number. `lock` locks them for the rest of
/// the caller's transaction (PostgreSQL), like [`dids::check_caller_id`].
pub(crate) async fn held_dids<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    numbers: Vec<String>,
    lock: bool,
) -> DomainResult<std::collections::HashMap<String, Uuid>> {
    if numbers.is_empty() {
        return Ok(Default::default());
    }
    let mut select = scope
        .select::<did::Entity>()
        .filter(did::Column::Number.is_in(numbers));
    if lock {
        select = select.lock_exclusive();
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.number, d.id))
        .collect())
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateExtension,
) -> DomainResult<ExtensionCreated> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let mut errors = Errors::default();
    let prepared = prepare(scope, &txn, input, &mut errors).await?;
    errors.finish()?;
    let Some(e) = prepared else {
        return Err(DomainError::internal("validated extension missing"));
    };
    let created = insert(scope, &txn, e).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<ExtensionView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<extension::Entity, _>(&core.db, id, "extension")
        .await?;
    let realms = realms_of(scope, &core.db, id).await?;
    ExtensionView::new(&m, realms)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateExtension,
    if_match: Option<i64>,
) -> DomainResult<ExtensionView> {
    scope.authorize(Permission::PbxWrite)?;
    write_update(scope, core, id, input, if_match, |_| Ok(())).await
}

/// The update itself, once the caller is allowed: `allowed` sees the stored row first (the
/// self-service path checks that the phone is the caller's).
async fn write_update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateExtension,
    if_match: Option<i64>,
    allowed: impl FnOnce(&extension::Model) -> DomainResult<()>,
) -> DomainResult<ExtensionView> {
    let txn = core.begin().await?;
    let current = scope
        .find::<extension::Entity, _>(&txn, id, "extension")
        .await?;
    allowed(&current)?;
    check_version(current.version, if_match)?;
    let realms = realms_of(scope, &txn, id).await?;
    let before = ExtensionView::new(&current, realms.clone())?;

    let mut errors = Errors::default();
    let display_name = optional_text(&mut errors, "display_name", input.display_name.as_deref());
    let caller_id_name = input
        .caller_id_name
        .map(|v| optional_text(&mut errors, "caller_id_name", v.as_deref()));
    let caller_id_number = input
        .caller_id_number
        .map(|v| internal_caller_number(&mut errors, v.as_deref()));
    // A new value must be a DID of the tenant; the kept one only needs its reference
    // rewritten (a PATCH of another field never fails on it).
    let external_caller_id = match input.external_caller_id.as_ref() {
        Some(Some(raw)) => {
            Some(dids::check_caller_id(scope, &txn, &mut errors, "external_caller_id", raw).await?)
        }
        Some(None) => Some(None),
        None => None,
    };
    let caller_did = match (&external_caller_id, &current.external_caller_id) {
        (Some(Some((_, did_id))), _) => Some(*did_id),
        (None, Some(kept)) => dids::held(scope, &txn, kept).await?,
        _ => None,
    };
    if let Some(n) = input.max_concurrent_calls {
        check_max_calls(&mut errors, n);
    }
    if let Some(Some(u)) = input.user_id {
        check_user(scope, &txn, &mut errors, u).await?;
    }
    if let Some(Some(b)) = input.voicemail_box_id {
        check_box(scope, &txn, &mut errors, b).await?;
    }
    let mut forwarding = input
        .forwarding
        .clone()
        .unwrap_or(before.forwarding.clone());
    let mut follow_me = input.follow_me.clone().unwrap_or(before.follow_me.clone());
    let mut refs = check_routing(scope, &txn, &mut errors, &mut forwarding, &mut follow_me).await;
    let box_id = input.voicemail_box_id.unwrap_or(current.voicemail_box_id);
    if let Some(b) = box_id {
        refs.push(("voicemail_box_id".into(), ObjectKind::VoicemailBox, b));
    }
    let external_caller_id = external_caller_id.map(|v| v.map(|(number, _)| number));
    if let Some(did_id) = caller_did {
        refs.push(("external_caller_id".into(), ObjectKind::Did, did_id));
    }
    errors.finish()?;

    let mut am: extension::ActiveModel = current.clone().into();
    if let Some(n) = display_name {
        am.display_name.set_if_not_equals(n);
    }
    if let Some(u) = input.user_id {
        am.user_id.set_if_not_equals(u);
    }
    if let Some(e) = input.enabled {
        am.enabled.set_if_not_equals(e);
    }
    if let Some(v) = caller_id_name {
        am.caller_id_name.set_if_not_equals(v);
    }
    if let Some(v) = caller_id_number {
        am.caller_id_number.set_if_not_equals(v);
    }
    if let Some(v) = external_caller_id {
        am.external_caller_id.set_if_not_equals(v);
    }
    if let Some(v) = input.dnd {
        am.dnd.set_if_not_equals(v);
    }
    am.forwarding.set_if_not_equals(to_json(&forwarding)?);
    am.follow_me.set_if_not_equals(to_json(&follow_me)?);
    if let Some(v) = input.max_concurrent_calls {
        am.max_concurrent_calls.set_if_not_equals(v);
    }
    if let Some(v) = input.record_calls {
        am.record_calls.set_if_not_equals(v);
    }
    am.voicemail_box_id.set_if_not_equals(box_id);
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "extension").await?
    else {
        return Ok(before);
    };
    destinations::replace_refs(&txn, scope.tenant_id(), ObjectKind::Extension, id, &refs).await?;
    let view = ExtensionView::new(&updated, realms)?;
    audit::record_change(
        &txn,
        scope,
        "extension.update",
        "extension",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// What users change on their own phones (`PATCH /v1/me/extensions/{id}`): whether it
/// rings, where calls go instead, and what rings after it. The number, caller IDs, voicemail
/// box and limits stay with the tenant's admins. `forwarding` and `follow_me`, when present,
/// replace the whole value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOwnExtension {
    pub dnd: Option<bool>,
    pub forwarding: Option<Forwarding>,
    #[schema(max_items = 10)]
    pub follow_me: Option<Vec<FollowMeStep>>,
}

/// The tenant of a user acting on their own phones; principals without a tenant (platform
/// staff) have no phones here.
async fn own_scope(core: &Core, actor: &Actor) -> DomainResult<Option<TenantScope>> {
    let Some(tenant) = actor.principal.tenant_id else {
        return Ok(None);
    };
    Ok(Some(
        TenantScope::resolve(&core.db, actor.clone(), tenant.0).await?,
    ))
}

/// A signed-in user's phones in their tenant: the one way self-service reads (voicemail,
/// call history) learn what is theirs.
pub(crate) struct OwnPhones {
    pub scope: TenantScope,
    /// Their extensions' numbers, as calls name them.
    pub numbers: Vec<String>,
    /// The voicemail boxes their extensions use.
    pub boxes: Vec<Uuid>,
}

/// The caller's phones, or `None` for principals that have none: platform staff (no
/// tenant) and API keys (no person). The owner is [`owns_phone`]'s: the extension's user.
pub(crate) async fn own_phones(core: &Core, actor: &Actor) -> DomainResult<Option<OwnPhones>> {
    if actor.principal.kind != PrincipalKind::User {
        return Ok(None);
    }
    let Some(scope) = own_scope(core, actor).await? else {
        return Ok(None);
    };
    let rows = scope
        .select::<extension::Entity>()
        .filter(extension::Column::UserId.eq(actor.principal.id))
        .all(&core.db)
        .await?;
    let numbers = rows.iter().map(|m| m.number.clone()).collect();
    let mut boxes: Vec<Uuid> = rows.iter().filter_map(|m| m.voicemail_box_id).collect();
    boxes.sort_unstable();
    boxes.dedup();
    Ok(Some(OwnPhones {
        scope,
        numbers,
        boxes,
    }))
}

/// The caller's own phones (extensions assigned to them, by number; at most 100, so one
/// page), for `GET /v1/me/extensions`.
pub async fn list_own(core: &Core, actor: &Actor) -> DomainResult<ExtensionPage> {
    let empty = || ExtensionPage {
        items: Vec::new(),
        next_cursor: None,
    };
    let Some(scope) = own_scope(core, actor).await? else {
        return Ok(empty());
    };
    if actor.principal.kind != PrincipalKind::User {
        return Ok(empty());
    }
    let rows = scope
        .select::<extension::Entity>()
        .filter(extension::Column::UserId.eq(actor.principal.id))
        .order_by_asc(extension::Column::Number)
        .limit(100)
        .all(&core.db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for m in &rows {
        views.push(ExtensionView::new(
            m,
            realms_of(&scope, &core.db, m.id).await?,
        )?);
    }
    Ok(ExtensionPage {
        items: views,
        next_cursor: None,
    })
}

/// Changes the personal settings of one of the caller's own phones. Another user's phone,
/// or one of another tenant, is a 404 like a missing one.
pub async fn update_own(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    input: UpdateOwnExtension,
    if_match: Option<i64>,
) -> DomainResult<ExtensionView> {
    let scope = own_scope(core, actor)
        .await?
        .ok_or_else(|| DomainError::not_found("extension"))?;
    let input = UpdateExtension {
        dnd: input.dnd,
        forwarding: input.forwarding,
        follow_me: input.follow_me,
        ..UpdateExtension::default()
    };
    let principal = actor.principal.clone();
    write_update(&scope, core, id, input, if_match, move |row| {
        if owns_phone(&principal, row.user_id) {
            Ok(())
        } else {
            Err(DomainError::not_found("extension"))
        }
    })
    .await
}

/// Generates a new SIP password and replaces the digests (for every current domain).
pub async fn reset_password(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
) -> DomainResult<ExtensionCreated> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    let current = scope
        .find::<extension::Entity, _>(&txn, id, "extension")
        .await?;
    let password = generate_sip_password();
    let realms = write_credentials(scope, &txn, id, &current.sip_username, &password).await?;
    let view = ExtensionView::new(&current, realms)?;
    audit::record(
        &txn,
        scope.actor(),
        audit::Change {
            tenant_id: Some(scope.tenant().id),
            action: "extension.reset_password",
            resource_type: "extension",
            resource_id: id,
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ExtensionCreated {
        extension: view,
        sip_password: password,
    })
}

/// Deletes an extension; 409 listing the referrers while anything points at it.
pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::PbxWrite)?;
    let txn = core.begin().await?;
    // Read before the delete: the digests, and with them the realms, go with the row.
    let realms = realms_of(scope, &txn, id).await?;
    let gone =
        versioned::delete_call_flow::<extension::Entity, _>(&txn, scope, id, "extension", if_match)
            .await?;
    let before = ExtensionView::new(&gone, realms)?;
    audit::record_change(
        &txn,
        scope,
        "extension.delete",
        "extension",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
