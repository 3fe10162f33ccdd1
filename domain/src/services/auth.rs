//! Authentication: password login, rotating refresh tokens, bearer-token checks, and the
//! creation of platform staff (CLI and first start).

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QuerySelect,
    RelationDef,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    authz::{Principal, PrincipalKind, Role},
    core::Core,
    entities::{api_key, refresh_token, tenant, user},
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
    ratelimit::LoginThrottle,
    services::{
        api_keys::KEY_PREFIX,
        from_stored,
        tenants::TenantStatus,
        users::{UpdateMe, UserView},
    },
    tokens::{Claims, digests_equal, random_token, sha256_hex},
    validate::{Email, Errors, NewPassword, display_text},
};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Tokens issued by login and refresh.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenPair {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque, single-use: exchange it at `/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// What a browser session gets at sign-in and at each refresh: the access token only. The
/// refresh token travels in an `HttpOnly` cookie that no script (of any origin) can read, so
/// a script injected into the page could at worst use the short-lived access token while the
/// page is open, never carry a session away.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionTokens {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl TokenPair {
    /// Splits the pair for a browser: the part a script may hold, and the refresh token
    /// that goes into the cookie.
    pub fn into_session(self) -> (SessionTokens, String) {
        (
            SessionTokens {
                access_token: self.access_token,
                token_type: self.token_type,
                expires_in: self.expires_in,
            },
            self.refresh_token,
        )
    }
}

/// The caller, as `GET /v1/me` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub role: Role,
    pub tenant_id: Option<Uuid>,
    /// Present when the caller is a user.
    pub user: Option<UserView>,
}

fn invalid_credentials() -> DomainError {
    DomainError::new(
        ErrorCode::InvalidCredentials,
        "The e-mail or password is wrong",
    )
}

/// Refuses principals whose tenant, or any tenant above it, is suspended.
async fn tenant_path_if_active<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> DomainResult<String> {
    let own = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::new(ErrorCode::Unauthenticated, "The account no longer exists")
        })?;
    active_path(db, &own).await
}

/// The tenant's path, if neither it nor any tenant above it is suspended.
pub(crate) async fn active_path<C: ConnectionTrait>(
    db: &C,
    own: &tenant::Model,
) -> DomainResult<String> {
    if chain_active(db, own).await? {
        Ok(own.path.clone())
    } else {
        Err(DomainError::new(
            ErrorCode::TenantSuspended,
            "The tenant is suspended",
        ))
    }
}

/// Whether the tenant and every tenant above it are active. A status that does not parse
/// is a logged internal error, not "active".
pub(crate) async fn chain_active<C: ConnectionTrait>(
    db: &C,
    own: &tenant::Model,
) -> DomainResult<bool> {
    let status: TenantStatus = from_stored("tenants.status", &own.status)?;
    if status != TenantStatus::Active {
        return Ok(false);
    }
    let ancestors: Vec<Uuid> = own
        .path
        .split('/')
        .filter_map(|s| s.parse().ok())
        .filter(|id| *id != own.id)
        .collect();
    if ancestors.is_empty() {
        return Ok(true);
    }
    let blocked = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ancestors))
        .filter(tenant::Column::Status.ne(TenantStatus::Active.as_str()))
        .count(db)
        .await?;
    Ok(blocked == 0)
}

/// A user with its tenant, in one round trip: this runs on every authenticated request.
async fn user_with_tenant<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> DomainResult<Option<(user::Model, Option<tenant::Model>)>> {
    let rel: RelationDef = user::Entity::belongs_to(tenant::Entity)
        .from(user::Column::TenantId)
        .to(tenant::Column::Id)
        .into();
    Ok(user::Entity::find_by_id(id)
        .select_also(tenant::Entity)
        .join(JoinType::LeftJoin, rel)
        .one(db)
        .await?)
}

/// Checks a user row is allowed to act, giving its principal. `tenant` is the user's
/// tenant when the caller already loaded it.
async fn user_principal<C: ConnectionTrait>(db: &C, u: &user::Model) -> DomainResult<Principal> {
    user_principal_with(db, u, None).await
}

async fn user_principal_with<C: ConnectionTrait>(
    db: &C,
    u: &user::Model,
    tenant: Option<tenant::Model>,
) -> DomainResult<Principal> {
    if u.status != "active" {
        return Err(DomainError::new(
            ErrorCode::Unauthenticated,
            "The account is disabled",
        ));
    }
    let role =
        Role::parse(&u.role).ok_or_else(|| DomainError::internal("unknown role in database"))?;
    let tenant_path = match (u.tenant_id, tenant) {
        (Some(_), Some(t)) => Some(active_path(db, &t).await?),
        (Some(t), None) => Some(tenant_path_if_active(db, t).await?),
        (None, _) => None,
    };
    Ok(Principal {
        kind: PrincipalKind::User,
        id: u.id,
        role,
        tenant_id: u.tenant_id.map(TenantId),
        tenant_path,
    })
}

async fn issue_pair<C: ConnectionTrait>(
    core: &Core,
    db: &C,
    u: &user::Model,
    family: Uuid,
) -> DomainResult<TokenPair> {
    let now = Utc::now();
    let ttl = core.config.access_token_ttl_secs;
    let iat = u64::try_from(now.timestamp()).unwrap_or(0);
    let access_token = core.keys.issue(&Claims {
        sub: u.id,
        role: u.role.clone(),
        tid: u.tenant_id,
        iat,
        exp: iat + ttl,
        jti: Uuid::now_v7(),
        iss: "centralita".into(),
        generation: u.token_generation,
    })?;
    let refresh = format!("rt_{}", random_token(32));
    let refresh_ttl = i64::try_from(core.config.refresh_token_ttl_secs).unwrap_or(i64::MAX / 2);
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(u.id),
        family_id: Set(family),
        token_hash: Set(sha256_hex(&refresh)),
        expires_at: Set(now + chrono::Duration::seconds(refresh_ttl)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: ttl,
    })
}

/// Password login, throttled per (account, client address) pair and per client address,
/// and slowed down per account (see [`crate::ratelimit`]).
pub async fn login(core: &Core, input: LoginRequest, client: IpAddr) -> DomainResult<TokenPair> {
    // Normalised as stored (lower case, IDNA host), so an address signs in however it is
    // spelled; one that could never be stored just fails to match.
    let email = Email::parse("email", &input.email)
        .map(Email::into_inner)
        .unwrap_or_else(|_| input.email.trim().to_lowercase());
    let throttle = LoginThrottle::new(&core.config, &email, client);
    throttle.check(&core.limiter).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .one(&core.db)
        .await?;
    let ok = core
        .hasher
        .verify(
            input.password,
            found.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let user = match (ok, found) {
        (true, Some(u)) => u,
        _ => {
            let delay = throttle.failed(&core.limiter).await?;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return Err(invalid_credentials());
        }
    };
    user_principal(&core.db, &user).await?;
    throttle.succeeded(&core.limiter).await?;
    let txn = core.begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Some(Utc::now()).into())
        .filter(user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let pair = issue_pair(core, &txn, &user, Uuid::now_v7()).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Exchanges a refresh token for a new pair. A token is single-use: presenting one that was
/// already exchanged means it was stolen (or the client is confused), so the whole family
/// is revoked and every holder must log in again.
pub async fn refresh(core: &Core, input: RefreshRequest) -> DomainResult<TokenPair> {
    let invalid = || DomainError::new(ErrorCode::Unauthenticated, "The refresh token is not valid");
    let hash = sha256_hex(&input.refresh_token);
    let txn = core.begin().await?;
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if row.used_at.is_some() || row.revoked_at.is_some() {
        revoke_family(&txn, row.family_id).await?;
        // The thief may hold an access token from the stolen refresh token: end those too.
        end_access_tokens(&txn, row.user_id).await?;
        txn.commit().await?;
        tracing::warn!(family = %row.family_id, user = %row.user_id, "refresh token reuse: family revoked");
        return Err(invalid());
    }
    if row.expires_at <= now {
        return Err(invalid());
    }
    // Claim the token atomically: of two concurrent exchanges only one wins.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Some(now).into())
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        revoke_family(&txn, row.family_id).await?;
        end_access_tokens(&txn, row.user_id).await?;
        txn.commit().await?;
        return Err(invalid());
    }
    let u = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    user_principal(&txn, &u).await?;
    let pair = issue_pair(core, &txn, &u, row.family_id).await?;
    txn.commit().await?;
    Ok(pair)
}

async fn revoke_family<C: ConnectionTrait>(db: &C, family: Uuid) -> DomainResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Some(Utc::now()).into())
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every refresh token of a user and ends their access tokens: after a password
/// change or reset, or when the user is disabled, every login of theirs is over.
pub(crate) async fn end_all_sessions<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> DomainResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Some(Utc::now()).into())
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    end_access_tokens(db, user_id).await
}

/// Ends every access token issued to the user so far: they carry the generation this moves
/// past. Holders of a live refresh token get a fresh access token at their next refresh.
async fn end_access_tokens<C: ConnectionTrait>(db: &C, user_id: Uuid) -> DomainResult<()> {
    user::Entity::update_many()
        .col_expr(
            user::Column::TokenGeneration,
            Expr::col(user::Column::TokenGeneration).add(1),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the login the refresh token belongs to: its refresh tokens (the family) are
/// revoked, and the user's access tokens end with it. An access token does not say which
/// login it came from, so the user's *other* logins lose their access token too, but keep
/// their refresh token: they continue after one refresh, while the logged-out login cannot.
/// Unknown tokens are ignored, so logout is idempotent and reveals nothing.
pub async fn logout(core: &Core, input: RefreshRequest) -> DomainResult<()> {
    let hash = sha256_hex(&input.refresh_token);
    let txn = core.begin().await?;
    if let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&txn)
        .await?
    {
        revoke_family(&txn, row.family_id).await?;
        end_access_tokens(&txn, row.user_id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Turns a bearer token (JWT or API key) into a principal, or 401.
pub async fn authenticate(core: &Core, bearer: &str) -> DomainResult<Principal> {
    if let Some(rest) = bearer.strip_prefix(KEY_PREFIX) {
        return authenticate_key(core, bearer, rest).await;
    }
    let claims = core.keys.verify(bearer)?;
    let (u, tenant) = user_with_tenant(&core.db, claims.sub)
        .await?
        .ok_or_else(|| {
            DomainError::new(ErrorCode::Unauthenticated, "The account no longer exists")
        })?;
    if claims.generation != u.token_generation {
        return Err(DomainError::new(
            ErrorCode::Unauthenticated,
            "The access token has ended (logout or password change); refresh or log in again",
        ));
    }
    user_principal_with(&core.db, &u, tenant).await
}

async fn authenticate_key(core: &Core, full: &str, rest: &str) -> DomainResult<Principal> {
    let invalid = || DomainError::new(ErrorCode::Unauthenticated, "The API key is not valid");
    let (prefix, _) = rest.split_once('_').ok_or_else(invalid)?;
    let key = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(&core.db)
        .await?
        .ok_or_else(invalid)?;
    if !digests_equal(&key.secret_hash, &sha256_hex(full)) {
        return Err(invalid());
    }
    let now = Utc::now();
    if key.revoked_at.is_some() {
        return Err(DomainError::new(
            ErrorCode::Unauthenticated,
            "The API key has been revoked",
        ));
    }
    if key.expires_at.is_some_and(|t| t <= now) {
        return Err(DomainError::new(
            ErrorCode::Unauthenticated,
            "The API key has expired",
        ));
    }
    let tenant_path = tenant_path_if_active(&core.db, key.tenant_id).await?;
    // Record use at minute resolution: a write per request would cost more than the request.
    if key
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::seconds(60))
    {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Some(now).into())
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&core.db)
            .await?;
    }
    Ok(Principal {
        kind: PrincipalKind::ApiKey,
        id: key.id,
        role: Role::parse(&key.role)
            .ok_or_else(|| DomainError::internal("unknown role in database"))?,
        tenant_id: Some(TenantId(key.tenant_id)),
        tenant_path: Some(tenant_path),
    })
}

pub async fn me(core: &Core, principal: &Principal) -> DomainResult<MeView> {
    let user = match principal.kind {
        PrincipalKind::User => user::Entity::find_by_id(principal.id)
            .one(&core.db)
            .await?
            .map(|u| UserView::new(&u))
            .transpose()?,
        PrincipalKind::ApiKey => None,
    };
    Ok(MeView {
        kind: principal.kind,
        id: principal.id,
        role: principal.role,
        tenant_id: principal.tenant_id.map(|t| t.0),
        user,
    })
}

/// Changes the caller's own name or web-app language (`PATCH /v1/me`). Users only: an API
/// key has no profile. Not audited: it changes nothing anyone else relies on.
pub async fn update_me(
    core: &Core,
    principal: &Principal,
    input: UpdateMe,
) -> DomainResult<MeView> {
    if principal.kind != PrincipalKind::User {
        return Err(DomainError::forbidden(
            "An API key has no profile to change",
        ));
    }
    let mut errors = Errors::default();
    let display_name = input
        .display_name
        .as_deref()
        .and_then(|n| errors.check(display_text("display_name", n)));
    errors.finish()?;
    let current = user::Entity::find_by_id(principal.id)
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("user"))?;
    let mut am: user::ActiveModel = current.clone().into();
    if let Some(n) = display_name {
        am.display_name.set_if_not_equals(n);
    }
    if let Some(locale) = input.locale {
        am.locale
            .set_if_not_equals(locale.map(|l| l.as_str().to_owned()));
    }
    if am.is_changed() {
        am.version = Set(current.version + 1);
        am.updated_at = Set(Utc::now());
        am.update(&core.db).await?;
    }
    me(core, principal).await
}

/// Creates a platform staff user (`centralita admin create-user`, and the first admin).
/// Not reachable over HTTP: staff are made by whoever runs the servers.
pub async fn create_staff_user(
    core: &Core,
    email: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> DomainResult<UserView> {
    let mut errors = Errors::default();
    let email = errors.check(Email::parse("email", email));
    let display_name = errors.check(display_text("display_name", display_name));
    let password = errors.check(NewPassword::parse("password", password));
    if !role.is_staff() {
        errors.push(crate::error::FieldError::new(
            "role",
            "not_staff",
            "staff users are platform_admin or support",
        ));
    }
    errors.finish()?;
    let (Some(email), Some(display_name), Some(password)) = (email, display_name, password) else {
        return Err(DomainError::internal("validated fields missing"));
    };
    crate::services::users::ensure_email_free(&core.db, email.as_str()).await?;
    let hash = core.hasher.hash(password.expose().to_owned()).await?;
    let now = Utc::now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(None),
        email: Set(email.into_inner()),
        display_name: Set(display_name),
        role: Set(role.as_str().into()),
        password_hash: Set(hash),
        status: Set("active".into()),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        token_generation: Set(0),
        locale: Set(None),
    }
    .insert(&core.db)
    .await?;
    UserView::new(&model)
}

/// On an empty database, creates the first platform admin. Returns the generated password
/// when none was configured, for the caller to print once.
pub async fn bootstrap_admin(core: &Core) -> DomainResult<Option<(String, Option<String>)>> {
    let any = user::Entity::find().count(&core.db).await?;
    if any > 0 {
        return Ok(None);
    }
    let email = core
        .config
        .bootstrap_admin_email
        .clone()
        .unwrap_or_else(|| "admin@centralita.localhost".into());
    let (password, generated) = match &core.config.bootstrap_admin_password {
        Some(p) => (p.clone(), None),
        None => {
            let p = random_token(18);
            (p.clone(), Some(p))
        }
    };
    create_staff_user(
        core,
        &email,
        "Platform admin",
        Role::PlatformAdmin,
        &password,
    )
    .await?;
    Ok(Some((email, generated)))
}

/// Deletes refresh tokens that expired more than a day ago (housekeeping).
pub async fn purge_expired_refresh_tokens<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    let res = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(Utc::now() - chrono::Duration::days(1)))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
