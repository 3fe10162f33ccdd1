//! Users of a tenant: who can sign in, with which role.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::from_stored;
use crate::{
    authz::{Permission, Role},
    core::Core,
    entities::user,
    error::{DomainError, DomainResult, FieldError},
    pagination::PageRequest,
    scope::TenantScope,
    services::{
        audit, check_version,
        extensions::{self, CreateExtension, ExtensionCreated},
        versioned,
        voicemail_boxes::{self, CreateVoicemailBox, VoicemailBoxView},
    },
    validate::{Email, Errors, NewPassword, display_text},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Cannot sign in; existing sessions end at their next request.
    Disabled,
}

impl UserStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// The languages of the web app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    En,
    Es,
}

impl Locale {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }
}

/// What users change about themselves (`PATCH /v1/me`), whatever their role: the name
/// others see and the web app's language (`null`: follow the browser).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(value_type = Option<Locale>)]
    pub locale: Option<Option<Locale>>,
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// `null` for platform staff.
    pub tenant_id: Option<Uuid>,
    pub status: UserStatus,
    pub last_login_at: Option<DateTime<Utc>>,
    /// The web app's language the user chose; `null`: the browser's.
    pub locale: Option<Locale>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl UserView {
    /// The view of a stored row; a value that does not parse is a logged internal error,
    /// never a default.
    pub fn new(m: &user::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            email: m.email.clone(),
            display_name: m.display_name.clone(),
            role: from_stored("users.role", &m.role)?,
            tenant_id: m.tenant_id,
            status: from_stored("users.status", &m.status)?,
            last_login_at: m.last_login_at,
            locale: m
                .locale
                .as_deref()
                .map(|l| from_stored("users.locale", l))
                .transpose()?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(UserPage, UserView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// `partner_admin`, `tenant_admin` or `tenant_user`; at most the caller's own role.
    pub role: Role,
    /// 12-128 characters. Stored only as an argon2id hash.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    /// Also create the user's extension, in the same transaction (its `user_id` is set to
    /// the new user, its `voicemail_box_id` to the box below when both are given).
    pub extension: Option<CreateExtension>,
    /// Also create a voicemail box, in the same transaction.
    pub voicemail: Option<CreateVoicemailBox>,
}

/// The create answer: the user, and what was created with it. The extension's
/// `sip_password` is shown here once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserCreated {
    #[serde(flatten)]
    pub user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<ExtensionCreated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voicemail_box: Option<VoicemailBoxView>,
}

/// JSON merge patch of a user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// Sets a new password and signs the user out everywhere.
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub role: Option<Role>,
    pub email: Option<String>,
}

fn check_role(scope: &TenantScope, field: &str, role: Role) -> Result<(), FieldError> {
    if scope.actor().principal.role.may_grant(role) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "role_not_grantable",
            format!("your role cannot grant {}", role.as_str()),
        ))
    }
}

pub(crate) async fn ensure_email_free<C: ConnectionTrait>(db: &C, email: &str) -> DomainResult<()> {
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .count(db)
        .await?;
    if taken > 0 {
        Err(DomainError::taken("email", "is already registered"))
    } else {
        Ok(())
    }
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &UserListQuery,
) -> DomainResult<UserPage> {
    scope.authorize(Permission::UserRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<user::Entity>();
    if let Some(role) = query.role {
        select = select.filter(user::Column::Role.eq(role.as_str()));
    }
    if let Some(email) = &query.email {
        let wanted = Email::parse("email", email)
            .map(Email::into_inner)
            .unwrap_or_else(|_| email.trim().to_lowercase());
        select = select.filter(user::Column::Email.eq(wanted));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, user::Column::Id, |m| m.id)
        .await?;
    Ok(UserPage {
        items: rows
            .iter()
            .map(UserView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

/// Creates a user, and with it (one transaction: all or nothing) an extension and a
/// voicemail box when asked: one call where other platforms need several.
pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateUser,
) -> DomainResult<UserCreated> {
    scope.authorize(Permission::UserWrite)?;
    if input.extension.is_some() || input.voicemail.is_some() {
        scope.authorize(Permission::PbxWrite)?;
    }
    let mut errors = Errors::default();
    let email = errors.check(Email::parse("email", &input.email));
    let display_name = errors.check(display_text("display_name", &input.display_name));
    errors.check(check_role(scope, "role", input.role));
    let password = errors.check(NewPassword::parse("password", &input.password));
    let new_box = match input.voicemail {
        Some(v) => {
            let mut nested = Errors::default();
            let b = voicemail_boxes::prepare(core, v, "", &mut nested).await?;
            errors.nest("voicemail.", nested);
            b
        }
        None => None,
    };
    let new_ext = match input.extension {
        Some(e) => {
            let mut nested = Errors::default();
            if e.user_id.is_some() {
                nested.push(FieldError::new(
                    "user_id",
                    "not_allowed",
                    "is the user created by this request",
                ));
            }
            if e.voicemail_box_id.is_some() && new_box.is_some() {
                nested.push(FieldError::new(
                    "voicemail_box_id",
                    "not_allowed",
                    "is the voicemail box created by this request",
                ));
            }
            let x = extensions::prepare(scope, &core.db, e, &mut nested).await?;
            errors.nest("extension.", nested);
            x
        }
        None => None,
    };
    errors.finish()?;
    let (Some(email), Some(display_name), Some(password)) = (email, display_name, password) else {
        return Err(DomainError::internal("validated fields missing"));
    };
    ensure_email_free(&core.db, email.as_str()).await?;
    let hash = core.hasher.hash(password.expose().to_owned()).await?;

    let txn = core.begin().await?;
    ensure_email_free(&txn, email.as_str()).await?;
    let now = Utc::now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(Some(scope.tenant().id)),
        email: Set(email.into_inner()),
        display_name: Set(display_name),
        role: Set(input.role.as_str().into()),
        password_hash: Set(hash),
        status: Set(UserStatus::Active.as_str().into()),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        token_generation: Set(0),
        locale: Set(None),
    }
    .insert(&txn)
    .await?;
    let view = UserView::new(&model)?;
    audit::record_change(
        &txn,
        scope,
        "user.create",
        "user",
        model.id,
        None,
        Some(&view),
    )
    .await?;
    let voicemail_box = match new_box {
        Some(b) => Some(voicemail_boxes::insert(scope, &txn, b).await?),
        None => None,
    };
    let extension = match new_ext {
        Some(e) => {
            let e = e.link(model.id, voicemail_box.as_ref().map(|b| b.id));
            Some(extensions::insert(scope, &txn, e).await?)
        }
        None => None,
    };
    txn.commit().await?;
    Ok(UserCreated {
        user: view,
        extension,
        voicemail_box,
    })
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<UserView> {
    scope.authorize(Permission::UserRead)?;
    let m = scope.find::<user::Entity, _>(&core.db, id, "user").await?;
    UserView::new(&m)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateUser,
    if_match: Option<i64>,
) -> DomainResult<UserView> {
    scope.authorize(Permission::UserWrite)?;
    let mut errors = Errors::default();
    let display_name = input
        .display_name
        .as_deref()
        .and_then(|n| errors.check(display_text("display_name", n)));
    if let Some(role) = input.role {
        errors.check(check_role(scope, "role", role));
    }
    let password = input
        .password
        .as_deref()
        .and_then(|p| errors.check(NewPassword::parse("password", p)));
    errors.finish()?;
    let current = scope.find::<user::Entity, _>(&core.db, id, "user").await?;
    // Nobody edits a user who holds more than they could grant.
    let holder: Role = from_stored("users.role", &current.role)?;
    if !scope.actor().principal.role.may_grant(holder) {
        return Err(DomainError::forbidden(
            "This user's role is above what you may manage",
        ));
    }
    let hash = match password {
        Some(p) => Some(core.hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };

    let txn = core.begin().await?;
    let current = scope.find::<user::Entity, _>(&txn, id, "user").await?;
    check_version(current.version, if_match)?;
    let before = UserView::new(&current)?;
    let mut am: user::ActiveModel = current.clone().into();
    if let Some(n) = display_name {
        am.display_name.set_if_not_equals(n);
    }
    if let Some(r) = input.role {
        am.role.set_if_not_equals(r.as_str().into());
    }
    if let Some(s) = input.status {
        am.status.set_if_not_equals(s.as_str().into());
    }
    let sign_out =
        hash.is_some() || (am.status.is_set() && input.status == Some(UserStatus::Disabled));
    if let Some(h) = hash {
        am.password_hash = Set(h);
    }
    // A patch that changes nothing is not a change: no new version, no audit event.
    let Some(updated) = versioned::write_next_version(&txn, scope, &current, am, "user").await?
    else {
        return Ok(before);
    };
    if sign_out {
        crate::services::auth::end_all_sessions(&txn, id).await?;
    }
    let view = UserView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "user.update",
        "user",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn delete(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    if_match: Option<i64>,
) -> DomainResult<()> {
    scope.authorize(Permission::UserWrite)?;
    let txn = core.begin().await?;
    let current = scope.find::<user::Entity, _>(&txn, id, "user").await?;
    check_version(current.version, if_match)?;
    let holder: Role = from_stored("users.role", &current.role)?;
    if !scope.actor().principal.role.may_grant(holder) {
        return Err(DomainError::forbidden(
            "This user's role is above what you may manage",
        ));
    }
    versioned::delete::<user::Entity, _>(&txn, scope, id).await?;
    audit::record_change(
        &txn,
        scope,
        "user.delete",
        "user",
        id,
        Some(&UserView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
