//! `/v1/tenants/{tenant_id}/time-conditions`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use centralita_domain::{
    Core,
    authz::Permission,
    services::time_conditions::{
        self, CreateTimeCondition, EvaluateQuery, EvaluationView, TimeConditionListQuery,
        TimeConditionPage, TimeConditionView, UpdateTimeCondition,
    },
};
use uuid::Uuid;

use crate::{
    extract::{Body, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// List the tenant's time conditions.
#[utoipa::path(
    operation_id = "list_time_conditions",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), TimeConditionListQuery),
    responses((status = 200, description = "A page of time conditions", body = TimeConditionPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/time-conditions")]
pub async fn list(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<TimeConditionListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &time_conditions::list(&scope, &core, &query).await?,
        None,
    ))
}

/// Create a time condition: a schedule in an IANA time zone, evaluated on the zone's wall
/// clock (correct across DST changes), choosing between two destinations.
#[utoipa::path(
    operation_id = "create_time_condition",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path)),
    request_body = CreateTimeCondition,
    responses((status = 201, description = "Created", body = TimeConditionView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/time-conditions")]
pub async fn create(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateTimeCondition>,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = time_conditions::create(&scope, &core, input).await?;
    let location = format!(
        "/v1/tenants/{}/time-conditions/{}",
        scope.tenant_id(),
        view.id
    );
    Ok(respond::created(location, &view, Some(view.version)))
}

/// Read a time condition.
#[utoipa::path(
    operation_id = "get_time_condition",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("condition_id" = Uuid, Path)),
    responses((status = 200, description = "The time condition", body = TimeConditionView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/time-conditions/{condition_id}")]
pub async fn get(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let view = time_conditions::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Which branch applies at `?at=` (RFC 3339; now when absent), and why.
#[utoipa::path(
    operation_id = "evaluate_time_condition",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("condition_id" = Uuid, Path), EvaluateQuery),
    responses((status = 200, description = "The evaluation", body = EvaluationView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/time-conditions/{condition_id}/evaluate")]
pub async fn evaluate(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<EvaluateQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &time_conditions::evaluate(&scope, &core, path.1, query.at).await?,
        None,
    ))
}

/// Change a time condition (JSON merge patch; `schedule` replaces the whole schedule;
/// `If-Match` honoured).
#[utoipa::path(
    operation_id = "update_time_condition",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("condition_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateTimeCondition,
    responses((status = 200, description = "Updated", body = TimeConditionView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/time-conditions/{condition_id}")]
pub async fn update(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<UpdateTimeCondition>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::PbxWrite)?;
    let view = time_conditions::update(&scope, &core, path.1, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Delete a time condition; 409 listing the referrers while anything points at it.
#[utoipa::path(
    operation_id = "delete_time_condition",
    tag = "call-flow",
    params(("tenant_id" = Uuid, Path), ("condition_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Deleted"), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[delete("/v1/tenants/{tenant_id}/time-conditions/{condition_id}")]
pub async fn delete(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    time_conditions::delete(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::no_content())
}
