//! Operations: liveness, readiness and metrics. Unauthenticated, like every load balancer
//! and Prometheus expects.

use actix_web::{HttpResponse, get, web};
use centralita_domain::{Core, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    middleware::Metrics,
    problem::{ApiError, ApiResult, Problem},
};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(operation_id = "healthz", tag = "operations", responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers, and Redis too when configured.
#[utoipa::path(operation_id = "readyz", tag = "operations", responses(
    (status = 200, description = "Ready to serve", body = Health),
    (status = 503, description = "A dependency (database, Redis) is not reachable", body = Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(core: web::Data<Core>) -> ApiResult<HttpResponse> {
    core.ready().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready");
        ApiError::new(ErrorCode::Unavailable, "A dependency is not reachable")
    })?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
    }))
}

/// Prometheus metrics: request counts and latency histograms by route and status.
#[utoipa::path(operation_id = "metrics", tag = "operations", responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}
