//! Outbound routes: which trunks a tenant's outside calls leave through, and how the dialled
//! number is rewritten for them. Patterns use the FreePBX syntax of
//! [`crate::dialplan::pattern`]; routes are tried in ascending `position` (ties by id) and
//! the first that matches wins, exactly as [`choose_route`] does at call time — which
//! [`test`] exposes so operators can check a dial plan before a phone does.
//!
//! A route's trunks (its own or platform carrier trunks, in failover order) are mirrored in
//! `outbound_route_trunks`, the index that lets deleting a trunk answer 409 naming the routes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{from_json, to_json};
use crate::{
    authz::Permission,
    core::Core,
    dialplan::pattern::{DialPattern, MAX_STRIP, OutboundRule, choose_route},
    entities::{outbound_route, outbound_route_trunk},
    error::{DomainError, DomainResult, FieldError},
    ids::TenantId,
    kinds::ObjectKind,
    pagination::PageRequest,
    scope::{TenantRows, TenantScope},
    services::{audit, check_version, destinations, dids, trunks, versioned},
    validate::double_option,
    validate::{Errors, display_text},
};

/// Most trunks one route may fail over across.
pub const MAX_TRUNKS_PER_ROUTE: usize = 10;
/// Highest accepted `position`.
pub const MAX_POSITION: i32 = 1_000_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboundRouteView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// Routes are tried in ascending position (ties: oldest first); the first match wins.
    pub position: i32,
    /// Dial patterns in canonical form (see the pattern syntax in the README).
    pub patterns: Vec<String>,
    /// Leading digits removed after a pattern's `prefix|` part.
    pub strip: i32,
    /// Digits put in front of the number sent to the trunk.
    pub prepend: String,
    /// Trunks (the tenant's own or platform carrier trunks) in failover order.
    pub trunk_ids: Vec<Uuid>,
    /// Caller ID presented on calls through this route: a DID the tenant holds, E.164.
    pub caller_id_override: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl OutboundRouteView {
    /// The view of a stored row; a value that does not parse is a logged internal error,
    /// never a default.
    pub fn new(m: &outbound_route::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            tenant_id: m.tenant_id,
            name: m.name.clone(),
            position: m.position,
            patterns: from_json(&m.patterns)?,
            strip: m.strip,
            prepend: m.prepend.clone(),
            trunk_ids: from_json(&m.trunk_ids)?,
            caller_id_override: m.caller_id_override.clone(),
            enabled: m.enabled,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

crate::page_type!(OutboundRoutePage, OutboundRouteView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOutboundRoute {
    /// 1-200 characters, unique in the tenant.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// 0-1000000; default: after the last route.
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    /// 1-100 dial patterns, e.g. `["9|NXXNXXXXXX", "+1NXXNXXXXXX", "011."]`.
    #[schema(min_items = 1, max_items = 100)]
    pub patterns: Vec<String>,
    /// 0-32 (default 0).
    #[schema(minimum = 0, maximum = 32)]
    pub strip: Option<i32>,
    /// Digits, `*`, `#` and a leading `+` (default empty).
    pub prepend: Option<String>,
    /// 1-10 trunk ids in failover order: the tenant's own trunks or platform carrier trunks.
    #[schema(min_items = 1, max_items = 10)]
    pub trunk_ids: Vec<Uuid>,
    /// A DID the tenant holds, E.164 (422 `not_a_tenant_did` otherwise); the DID cannot be
    /// released while a route presents it.
    pub caller_id_override: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// JSON merge patch of an outbound route; `patterns` and `trunk_ids` replace the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOutboundRoute {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    #[schema(min_items = 1, max_items = 100)]
    pub patterns: Option<Vec<String>>,
    #[schema(minimum = 0, maximum = 32)]
    pub strip: Option<i32>,
    pub prepend: Option<String>,
    #[schema(min_items = 1, max_items = 10)]
    pub trunk_ids: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub caller_id_override: Option<Option<String>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboundRouteListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<u64>,
    /// Cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// Only routes using this trunk.
    pub trunk_id: Option<Uuid>,
}

/// A number to try against the tenant's enabled routes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTest {
    /// The number as a phone would dial it (digits, `*`, `#`, a leading `+`).
    pub number: String,
    /// The caller's number, for caller-ID-restricted patterns (`…/callerid`).
    pub caller: Option<String>,
}

/// Which route a dialled number takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteTestResult {
    /// Whether any enabled route matches.
    pub matched: bool,
    pub route_id: Option<Uuid>,
    pub route_name: Option<String>,
    /// The pattern (canonical form) that matched.
    pub pattern: Option<String>,
    /// The number sent to the trunks, after prefix, strip and prepend.
    pub number: Option<String>,
    /// Trunks in failover order.
    pub trunk_ids: Vec<Uuid>,
    /// Caller ID override of the route, if any.
    pub caller_id: Option<String>,
}

/// Parses every pattern, naming each bad one (`patterns[i]`, with the character position).
fn check_patterns(errors: &mut Errors, texts: &[String]) -> Option<Vec<DialPattern>> {
    let mut parsed = Vec::with_capacity(texts.len());
    let mut ok = true;
    for (i, text) in texts.iter().enumerate() {
        match DialPattern::parse(text) {
            Ok(p) => parsed.push(p),
            Err(e) => {
                ok = false;
                errors.push(e.to_field_error(&format!("patterns[{i}]")));
            }
        }
    }
    ok.then_some(parsed)
}

fn check_rule(
    errors: &mut Errors,
    patterns: Option<Vec<DialPattern>>,
    strip: i32,
    prepend: &str,
) -> Option<OutboundRule> {
    let strip = match usize::try_from(strip) {
        Ok(s) => s,
        Err(_) => {
            errors.push(FieldError::new(
                "strip",
                "invalid_outbound_rule",
                format!("must be 0-{MAX_STRIP}"),
            ));
            return None;
        }
    };
    // Without valid patterns the rest of the rule is still checked, against a placeholder.
    let (patterns, placeholder) = match patterns {
        Some(p) => (p, false),
        None => (
            DialPattern::parse("X").map(|p| vec![p]).unwrap_or_default(),
            true,
        ),
    };
    match OutboundRule::new(patterns, strip, prepend) {
        Ok(rule) => (!placeholder).then_some(rule),
        Err(e) => {
            errors.push(e.to_field_error(""));
            None
        }
    }
}

fn check_position(errors: &mut Errors, p: i32) {
    if !(0..=MAX_POSITION).contains(&p) {
        errors.push(FieldError::new(
            "position",
            "out_of_range",
            format!("must be 0-{MAX_POSITION}"),
        ));
    }
}

async fn check_trunks<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    errors: &mut Errors,
    ids: &[Uuid],
) -> DomainResult<()> {
    if ids.is_empty() || ids.len() > MAX_TRUNKS_PER_ROUTE {
        errors.push(FieldError::new(
            "trunk_ids",
            "invalid_length",
            format!("a route needs 1-{MAX_TRUNKS_PER_ROUTE} trunks"),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            errors.push(FieldError::new(
                format!("trunk_ids[{i}]"),
                "duplicate",
                "the trunk is already in the list",
            ));
        } else if trunks::usable_by(scope, db, *id).await?.is_none() {
            errors.push(FieldError::new(
                format!("trunk_ids[{i}]"),
                "unknown_trunk",
                "no trunk with this id in the tenant or among the platform's carrier trunks",
            ));
        }
    }
    Ok(())
}

/// Records the DID a route presents as its caller ID, so the DID is not released under it.
async fn write_caller_id_ref<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    id: Uuid,
    caller_id: Option<&(String, Uuid)>,
) -> DomainResult<()> {
    let refs: Vec<(String, ObjectKind, Uuid)> = caller_id
        .map(|(_, did_id)| ("caller_id_override".to_owned(), ObjectKind::Did, *did_id))
        .into_iter()
        .collect();
    destinations::replace_refs(db, tenant, ObjectKind::OutboundRoute, id, &refs).await
}

async fn ensure_name_free<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
    name: &str,
    except: Option<Uuid>,
) -> DomainResult<()> {
    let mut q = scope
        .select::<outbound_route::Entity>()
        .filter(outbound_route::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(outbound_route::Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(DomainError::taken(
            "name",
            "is already used by another route",
        ));
    }
    Ok(())
}

/// Rewrites the trunk index of a route.
async fn write_trunks<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    route_id: Uuid,
    ids: &[Uuid],
) -> DomainResult<()> {
    outbound_route_trunk::Entity::delete_many()
        .filter(outbound_route_trunk::Column::TenantId.eq(tenant_id))
        .filter(outbound_route_trunk::Column::RouteId.eq(route_id))
        .exec(db)
        .await?;
    let mut rows = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        rows.push(outbound_route_trunk::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            route_id: Set(route_id),
            trunk_id: Set(*id),
            position: Set(i32::try_from(i).map_err(DomainError::internal)?),
        });
    }
    if !rows.is_empty() {
        outbound_route_trunk::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn texts(rule: &OutboundRule) -> Vec<String> {
    rule.patterns().iter().map(ToString::to_string).collect()
}

pub async fn list(
    scope: &TenantScope,
    core: &Core,
    query: &OutboundRouteListQuery,
) -> DomainResult<OutboundRoutePage> {
    scope.authorize(Permission::PbxRead)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut select = scope.select::<outbound_route::Entity>();
    if let Some(n) = &query.name {
        select = select.filter(outbound_route::Column::Name.eq(n.clone()));
    }
    if let Some(e) = query.enabled {
        select = select.filter(outbound_route::Column::Enabled.eq(e));
    }
    if let Some(t) = query.trunk_id {
        let route_ids: Vec<Uuid> = outbound_route_trunk::Entity::find()
            .filter(outbound_route_trunk::Column::TenantId.eq(scope.tenant().id))
            .filter(outbound_route_trunk::Column::TrunkId.eq(t))
            .all(&core.db)
            .await?
            .into_iter()
            .map(|r| r.route_id)
            .collect();
        select = select.filter(outbound_route::Column::Id.is_in(route_ids));
    }
    let (rows, next_cursor) = page
        .fetch(&core.db, select, outbound_route::Column::Id, |m| m.id)
        .await?;
    Ok(OutboundRoutePage {
        items: rows
            .iter()
            .map(OutboundRouteView::new)
            .collect::<DomainResult<_>>()?,
        next_cursor,
    })
}

pub async fn create(
    scope: &TenantScope,
    core: &Core,
    input: CreateOutboundRoute,
) -> DomainResult<OutboundRouteView> {
    scope.authorize(Permission::PbxWrite)?;
    let tenant_id = scope.tenant().id;
    let txn = core.begin().await?;
    let mut errors = Errors::default();
    let name = errors.check(display_text("name", &input.name));
    if let Some(p) = input.position {
        check_position(&mut errors, p);
    }
    let patterns = check_patterns(&mut errors, &input.patterns);
    let strip = input.strip.unwrap_or(0);
    let prepend = input.prepend.clone().unwrap_or_default();
    let rule = check_rule(&mut errors, patterns, strip, &prepend);
    check_trunks(scope, &txn, &mut errors, &input.trunk_ids).await?;
    let caller_id = match input.caller_id_override.as_deref() {
        Some(raw) => {
            dids::check_caller_id(scope, &txn, &mut errors, "caller_id_override", raw).await?
        }
        None => None,
    };
    errors.finish()?;
    let (Some(name), Some(rule)) = (name, rule) else {
        return Err(DomainError::internal("validated route fields missing"));
    };
    ensure_name_free(scope, &txn, &name, None).await?;
    let position = match input.position {
        Some(p) => p,
        None => scope
            .select::<outbound_route::Entity>()
            .order_by_desc(outbound_route::Column::Position)
            .one(&txn)
            .await?
            .map_or(0, |last| last.position.saturating_add(1).min(MAX_POSITION)),
    };
    let now = Utc::now();
    let id = Uuid::now_v7();
    let model = outbound_route::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        name: Set(name),
        position: Set(position),
        patterns: Set(to_json(&texts(&rule))?),
        strip: Set(strip),
        prepend: Set(prepend),
        trunk_ids: Set(to_json(&input.trunk_ids)?),
        caller_id_override: Set(caller_id.as_ref().map(|(number, _)| number.clone())),
        enabled: Set(input.enabled.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    write_trunks(&txn, tenant_id, id, &input.trunk_ids).await?;
    write_caller_id_ref(&txn, scope.tenant_id(), id, caller_id.as_ref()).await?;
    let view = OutboundRouteView::new(&model)?;
    audit::record_change(
        &txn,
        scope,
        "outbound_route.create",
        "outbound_route",
        id,
        None,
        Some(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn get(scope: &TenantScope, core: &Core, id: Uuid) -> DomainResult<OutboundRouteView> {
    scope.authorize(Permission::PbxRead)?;
    let m = scope
        .find::<outbound_route::Entity, _>(&core.db, id, "outbound route")
        .await?;
    OutboundRouteView::new(&m)
}

pub async fn update(
    scope: &TenantScope,
    core: &Core,
    id: Uuid,
    input: UpdateOutboundRoute,
    if_match: Option<i64>,
) -> DomainResult<OutboundRouteView> {
    scope.authorize(Permission::PbxWrite)?;
    let tenant_id = scope.tenant().id;
    let txn = core.begin().await?;
    let current = scope
        .find::<outbound_route::Entity, _>(&txn, id, "outbound route")
        .await?;
    check_version(current.version, if_match)?;
    let before = OutboundRouteView::new(&current)?;

    let mut errors = Errors::default();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check(display_text("name", n)));
    if let Some(p) = input.position {
        check_position(&mut errors, p);
    }
    let pattern_texts = input.patterns.clone().unwrap_or(before.patterns.clone());
    let patterns = check_patterns(&mut errors, &pattern_texts);
    let strip = input.strip.unwrap_or(current.strip);
    let prepend = input.prepend.clone().unwrap_or(current.prepend.clone());
    let rule = check_rule(&mut errors, patterns, strip, &prepend);
    if let Some(ids) = &input.trunk_ids {
        check_trunks(scope, &txn, &mut errors, ids).await?;
    }
    let caller_id = match input.caller_id_override.as_ref() {
        Some(Some(raw)) => {
            Some(dids::check_caller_id(scope, &txn, &mut errors, "caller_id_override", raw).await?)
        }
        Some(None) => Some(None),
        None => None,
    };
    errors.finish()?;
    let Some(rule) = rule else {
        return Err(DomainError::internal("validated route rule missing"));
    };

    let mut am: outbound_route::ActiveModel = current.clone().into();
    if let Some(n) = name {
        if n != current.name {
            ensure_name_free(scope, &txn, &n, Some(id)).await?;
        }
        am.name.set_if_not_equals(n);
    }
    if let Some(p) = input.position {
        am.position.set_if_not_equals(p);
    }
    am.patterns.set_if_not_equals(to_json(&texts(&rule))?);
    am.strip.set_if_not_equals(strip);
    am.prepend.set_if_not_equals(prepend);
    if let Some(ids) = &input.trunk_ids {
        am.trunk_ids.set_if_not_equals(to_json(ids)?);
    }
    if let Some(c) = &caller_id {
        am.caller_id_override
            .set_if_not_equals(c.as_ref().map(|(number, _)| number.clone()));
    }
    if let Some(e) = input.enabled {
        am.enabled.set_if_not_equals(e);
    }
    let Some(updated) =
        versioned::write_next_version(&txn, scope, &current, am, "outbound route").await?
    else {
        return Ok(before);
    };
    if let Some(ids) = &input.trunk_ids {
        write_trunks(&txn, tenant_id, id, ids).await?;
    }
    if let Some(c) = &caller_id {
        write_caller_id_ref(&txn, scope.tenant_id(), id, c.as_ref()).await?;
    }
    let view = OutboundRouteView::new(&updated)?;
    audit::record_change(
        &txn,
        scope,
        "outbound_route.update",
        "outbound_route",
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
    scope.authorize(Permission::PbxWrite)?;
    let tenant_id = scope.tenant().id;
    let txn = core.begin().await?;
    let current = scope
        .find::<outbound_route::Entity, _>(&txn, id, "outbound route")
        .await?;
    check_version(current.version, if_match)?;
    write_trunks(&txn, tenant_id, id, &[]).await?;
    destinations::drop_refs_from(&txn, scope.tenant_id(), id).await?;
    versioned::delete::<outbound_route::Entity, _>(&txn, scope, id).await?;
    audit::record_change(
        &txn,
        scope,
        "outbound_route.delete",
        "outbound_route",
        id,
        Some(&OutboundRouteView::new(&current)?),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A stored route with its rule parsed, for [`choose_route`].
pub(crate) struct Candidate {
    model: outbound_route::Model,
    rule: OutboundRule,
    /// The route's trunks, decoded once when the route is loaded.
    pub(crate) trunk_ids: Vec<Uuid>,
}

impl AsRef<OutboundRule> for Candidate {
    fn as_ref(&self) -> &OutboundRule {
        &self.rule
    }
}

/// The tenant's enabled routes in the order calls try them (position, then id).
async fn enabled_routes<C: ConnectionTrait>(
    scope: &TenantScope,
    db: &C,
) -> DomainResult<Vec<Candidate>> {
    enabled_routes_of(scope, db).await
}

/// What a call to `number` takes: the route, the number sent, trunks in failover order,
/// the caller ID override; and whether the answer depends on the caller (routes with
/// caller-ID patterns). For the switch surface, which has a tenant but no actor.
pub(crate) async fn choose_for_switch<C: ConnectionTrait>(
    rows: &impl TenantRows,
    db: &C,
    number: &str,
    caller: &str,
) -> DomainResult<(Option<RouteTestResult>, bool)> {
    let routes = enabled_routes_of(rows, db).await?;
    Ok(choose_among(&routes, number, caller))
}

/// [`choose_for_switch`] over routes already loaded (call authorization keeps them cached).
pub(crate) fn choose_among(
    routes: &[Candidate],
    number: &str,
    caller: &str,
) -> (Option<RouteTestResult>, bool) {
    let caller_dependent = routes
        .iter()
        .any(|r| r.rule.patterns().iter().any(|p| p.has_caller_id()));
    let Some(choice) = choose_route(routes, number, Some(caller)) else {
        return (None, caller_dependent);
    };
    let route = &choice.route.model;
    (
        Some(RouteTestResult {
            matched: true,
            route_id: Some(route.id),
            route_name: Some(route.name.clone()),
            pattern: choice
                .route
                .rule
                .patterns()
                .get(choice.rewrite.pattern_index)
                .map(ToString::to_string),
            number: Some(choice.rewrite.number),
            trunk_ids: choice.route.trunk_ids.clone(),
            caller_id: route.caller_id_override.clone(),
        }),
        caller_dependent,
    )
}

/// The tenant's enabled routes, parsed, in the order calls try them.
pub(crate) async fn enabled_routes_of<C: ConnectionTrait>(
    scope: &impl TenantRows,
    db: &C,
) -> DomainResult<Vec<Candidate>> {
    let rows = scope
        .select::<outbound_route::Entity>()
        .filter(outbound_route::Column::Enabled.eq(true))
        .order_by_asc(outbound_route::Column::Position)
        .order_by_asc(outbound_route::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for model in rows {
        let texts: Vec<String> = from_json(&model.patterns)?;
        let strip = usize::try_from(model.strip).map_err(DomainError::internal)?;
        let rule = OutboundRule::from_texts(&texts, strip, model.prepend.clone())
            .map_err(DomainError::internal)?;
        let trunk_ids = from_json(&model.trunk_ids)?;
        out.push(Candidate {
            model,
            rule,
            trunk_ids,
        });
    }
    Ok(out)
}

/// Which enabled route `number` takes, and what is sent to the trunks.
pub async fn test(
    scope: &TenantScope,
    core: &Core,
    input: RouteTest,
) -> DomainResult<RouteTestResult> {
    scope.authorize(Permission::PbxRead)?;
    let mut errors = Errors::default();
    for (field, value) in [
        ("number", Some(&input.number)),
        ("caller", input.caller.as_ref()),
    ] {
        if let Some(v) = value {
            let ok = !v.is_empty()
                && v.len() <= 64
                && v.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && i == 0)
                });
            if !ok {
                errors.push(FieldError::new(
                    field,
                    "invalid_dialled_number",
                    "must be 1-64 characters: digits, * and #, with an optional leading +",
                ));
            }
        }
    }
    errors.finish()?;
    let routes = enabled_routes(scope, &core.db).await?;
    let Some(choice) = choose_route(&routes, &input.number, input.caller.as_deref()) else {
        return Ok(RouteTestResult {
            matched: false,
            route_id: None,
            route_name: None,
            pattern: None,
            number: None,
            trunk_ids: Vec::new(),
            caller_id: None,
        });
    };
    let route = &choice.route.model;
    Ok(RouteTestResult {
        matched: true,
        route_id: Some(route.id),
        route_name: Some(route.name.clone()),
        pattern: choice
            .route
            .rule
            .patterns()
            .get(choice.rewrite.pattern_index)
            .map(ToString::to_string),
        number: Some(choice.rewrite.number),
        trunk_ids: choice.route.trunk_ids.clone(),
        caller_id: route.caller_id_override.clone(),
    })
}
