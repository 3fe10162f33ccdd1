//! Operations: liveness, readiness and metrics. Unauthenticated, like every load balancer
//! and Prometheus expects; `/metrics` takes a bearer token when `metrics_token` is set.

use actix_web::{HttpRequest, HttpResponse, get, web};
use centralita_domain::{Core, ErrorCode, core::Readiness};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{
    extract::{bearer_token, missing_bearer},
    middleware::Metrics,
    problem::{ApiError, ApiResult, Problem},
};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`; from `/readyz` also `degraded`: serving, but Redis (configured) does not answer,
    /// so login limits and cache invalidation run on their fallbacks and workers poll.
    pub status: String,
}

fn alive() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Liveness: the process runs and answers HTTP. Consults no dependency, so an outage of the
/// database never gets every replica restarted at once; a supervisor restarts a process
/// only when this fails. (Readiness is `/readyz`.)
#[utoipa::path(operation_id = "livez", tag = "operations", responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    alive()
}

/// The same as `/livez`, under the older name monitors already poll.
#[utoipa::path(operation_id = "healthz", tag = "operations", responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    alive()
}

/// Readiness: this process should be sent traffic. The database answers and its schema has
/// every migration this binary knows (a new version's process waits for `centralita
/// migrate`); 503 otherwise, and a load balancer takes the process out until it passes
/// again. Redis down is `degraded`, still 200: the API serves without it.
#[utoipa::path(operation_id = "readyz", tag = "operations", responses(
    (status = 200, description = "Ready to serve", body = Health),
    (status = 503, description = "Not ready: the database is not reachable, or lacks migrations this version needs", body = Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(core: web::Data<Core>) -> ApiResult<HttpResponse> {
    let readiness = core.ready().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready");
        ApiError::new(ErrorCode::Unavailable, "Not ready to serve")
    })?;
    let status = match readiness {
        Readiness::Ready => "ok",
        Readiness::Degraded(why) => {
            tracing::warn!(reason = %why, "serving degraded");
            "degraded"
        }
    };
    Ok(HttpResponse::Ok().json(Health {
        status: status.into(),
    }))
}

/// Prometheus metrics: request counts and latency histograms by route and status. Open
/// unless `metrics_token` is configured; then only that bearer token reads them.
#[utoipa::path(operation_id = "metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
    (status = 401, description = "`metrics_token` is configured and the request does not carry it", body = Problem, content_type = "application/problem+json"),
))]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    core: web::Data<Core>,
    metrics: web::Data<Metrics>,
) -> ApiResult<HttpResponse> {
    if let Some(expected) = &core.config.metrics_token {
        let given = bearer_token(&req).ok_or_else(missing_bearer)?;
        // Digests compared, so the comparison's time says nothing about the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "That is not the metrics token",
            ));
        }
    }
    metrics.set_holds(core.holds.stats());
    // The job gauges are read from the database at scrape time; if it cannot be read, the
    // HTTP metrics are still served and the job gauges keep their last values.
    match centralita_domain::services::job_admin::queue_stats(&core).await {
        Ok(stats) => metrics.set_jobs(&stats),
        Err(e) => tracing::warn!(error = %e, "job metrics not refreshed"),
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render()))
}
