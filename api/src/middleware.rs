//! Request id, access log and Prometheus metrics, in one middleware so that every response
//! and every log line of a request carry the same id.

use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tracing::Instrument;
use uuid::Uuid;

use crate::problem::REQUEST_ID;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Request counters and latency histograms by route template and status.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    jobs: IntGaugeVec,
    oldest_due: Gauge,
    hold_statements: IntCounter,
    holds_placed: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests served"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["method", "route", "status"],
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new(
                "jobs",
                "Jobs in the outbox by kind and status, read at scrape time",
            ),
            &["kind", "status"],
        )?;
        let oldest_due = Gauge::new(
            "jobs_oldest_due_age_seconds",
            "How long the oldest due job (queued or failed, not yet claimed) has waited",
        )?;
        let hold_statements = IntCounter::new(
            "call_hold_statements_total",
            "Statements that placed (or tried to place) call authorizations' credit holds",
        )?;
        let holds_placed = IntCounterVec::new(
            Opts::new(
                "call_holds_placed_total",
                "Credit holds placed, by whether their statement held one call or several",
            ),
            &["statement"],
        )?;
        registry.register(Box::new(hold_statements.clone()))?;
        registry.register(Box::new(holds_placed.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(oldest_due.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            jobs,
            oldest_due,
            hold_statements,
            holds_placed,
        })
    }

    /// Sets the job gauges from a fresh read of the outbox; kinds and statuses that have no
    /// job any more disappear.
    pub fn set_jobs(&self, stats: &centralita_domain::services::job_admin::QueueStats) {
        self.jobs.reset();
        for (kind, status, n) in &stats.counts {
            self.jobs
                .with_label_values(&[kind.as_str(), status.as_str()])
                .set(*n);
        }
        self.oldest_due.set(stats.oldest_due_age_seconds);
    }

    /// Brings the hold counters up to the combiner's (which only ever grow).
    pub fn set_holds(&self, stats: centralita_domain::services::billing::holds::HoldStats) {
        let raise = |c: &IntCounter, to: u64| c.inc_by(to.saturating_sub(c.get()));
        raise(&self.hold_statements, stats.statements);
        raise(
            &self.holds_placed.with_label_values(&["single"]),
            stats.placed_alone,
        );
        raise(
            &self.holds_placed.with_label_values(&["batch"]),
            stats.placed_batched,
        );
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// The method as a metrics label: the standard methods by name, anything else `OTHER`, so
/// requests with made-up methods cannot add series (labels are kept forever).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(m, _)| m == method)
        .map_or("OTHER", |(_, name)| name)
}

/// An id is accepted from the client when it is short and printable; otherwise we make one.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    (!v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| v.to_owned())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let id = incoming_id(&req).unwrap_or_else(|| Uuid::now_v7().to_string());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let method_label = method_label(req.method());
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let result = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span.clone()))
        .await;
    let elapsed = started.elapsed();
    let mut res = result?;
    let status = res.status().as_u16();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    if let Some(m) = metrics {
        let labels = [method_label, route.as_str(), &status.to_string()];
        m.requests.with_label_values(&labels).inc();
        m.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            route = %route,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    Ok(res)
}

/// The request id, for handlers that want it.
#[derive(Clone)]
pub struct RequestId(pub String);
