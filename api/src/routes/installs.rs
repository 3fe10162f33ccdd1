//! `/v1/installs`: managed installs of Kamailio nodes on customers' hosts over SSH, and
//! `POST /v1/switch-nodes/{id}/upgrade`.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use bytes::Bytes;
use centralita_domain::{
    Core,
    authz::PlatformPermission,
    installs::{
        self, CreateInstall, InstallEventView, InstallEventsQuery, InstallListQuery, InstallPage,
        InstallView, NewHostKey,
    },
};
use futures_util::stream;
use uuid::Uuid;

use crate::{
    extract::{Auth, Body},
    problem::{ApiError, ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// Start a managed install (platform admin, or a partner for its own tenants). The answer
/// carries the install's public key: put it into the host's `authorized_keys`, and the
/// install connects (it retries an unreachable host with backoff). 422 for a target that is
/// not allowed (loopback, private, link-local, cloud metadata: unless
/// `install_allowed_targets` names it); 409 while another install on the host is queued
/// or running; 503 without `trunk_secret_key` (the private key is sealed with it).
#[utoipa::path(
    operation_id = "create_install",
    tag = "installs",
    request_body = CreateInstall,
    responses((status = 201, description = "Queued; authorize `public_key` on the host", body = InstallView,
        headers(("Location" = String), ("ETag" = String))), CommonErrors, WriteErrors,
        (status = 503, description = "No trunk_secret_key is configured", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/installs")]
pub async fn create(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<CreateInstall>,
) -> ApiResult<HttpResponse> {
    let view = installs::create(
        &core,
        &actor,
        body.parse_for_platform(&actor, PlatformPermission::ManageInstalls)?,
    )
    .await?;
    Ok(respond::created(
        format!("/v1/installs/{}", view.id),
        &view,
        Some(view.version),
    ))
}

/// List installs (platform staff: all; a partner: its own).
#[utoipa::path(
    operation_id = "list_installs",
    tag = "installs",
    params(InstallListQuery),
    responses((status = 200, description = "A page of installs", body = InstallPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/installs")]
pub async fn list(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<InstallListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &installs::list(&core, &actor, &query).await?,
        None,
    ))
}

/// Read an install: its state, progress and every step with its exit code and output.
#[utoipa::path(
    operation_id = "get_install",
    tag = "installs",
    params(("install_id" = Uuid, Path)),
    responses((status = 200, description = "The install", body = InstallView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/installs/{install_id}")]
pub async fn get(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = installs::get(&core, &actor, *path).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// The install's live step log as server-sent events: each event's `id` is the event's,
/// `event` its level (`info`, `output`, `error`), `data` an `InstallEvent` as JSON. Resume
/// with `Last-Event-ID` (or `?after=`; the header wins). Once the install has finished and every event is
/// sent, a last `end` event carries `{"status": …}` and the stream closes.
#[utoipa::path(
    operation_id = "stream_install_events",
    tag = "installs",
    params(("install_id" = Uuid, Path), InstallEventsQuery, ("Last-Event-ID" = Option<String>, Header)),
    responses((status = 200, description = "text/event-stream of InstallEvent", content_type = "text/event-stream", body = String), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/installs/{install_id}/events")]
pub async fn events(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    query: web::Query<InstallEventsQuery>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let install = installs::for_events(&core, &actor, *path).await?;
    // A reconnecting EventSource sends Last-Event-ID to the same URL: it wins over `after`.
    let after = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or(query.after)
        .unwrap_or(0);
    let core = core.into_inner();
    let id = install.id;
    // State: the last id sent, whether the stream is over, polls since the last bytes.
    let body = stream::unfold((after, false, 0u32), move |(mut last, over, mut idle)| {
        let core = core.clone();
        async move {
            if over {
                return None;
            }
            loop {
                let polled = match installs::reload(&core, id).await {
                    Ok(m) => installs::events_after(&core, &m, last).await,
                    Err(e) => Err(e),
                };
                let (items, finished) = match polled {
                    Ok(found) => found,
                    Err(e) => return Some((Err(ApiError(e)), (last, true, 0))),
                };
                if let Some(end) = items.last() {
                    last = end.id;
                    return Some((Ok(Bytes::from(frames(&items))), (last, false, 0)));
                }
                if let Some(status) = finished {
                    let end = format!(
                        "event: end\ndata: {}\n\n",
                        serde_json::json!({ "status": status })
                    );
                    return Some((Ok(Bytes::from(end)), (last, true, 0)));
                }
                idle += 1;
                if idle >= 30 {
                    // A comment every ~15 s keeps proxies from closing a quiet stream.
                    return Some((
                        Ok(Bytes::from_static(b": keep-alive\n\n")),
                        (last, false, 0),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Server-sent-event frames of `items`.
fn frames(items: &[InstallEventView]) -> String {
    let mut out = String::new();
    for e in items {
        let data = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
        out.push_str(&format!(
            "id: {}\nevent: {}\ndata: {data}\n\n",
            e.id, e.level
        ));
    }
    out
}

/// Stop a queued or running install before its next step (a step already running on the
/// host completes). 409 for a finished install.
#[utoipa::path(
    operation_id = "cancel_install",
    tag = "installs",
    params(("install_id" = Uuid, Path)),
    responses((status = 200, description = "Cancelled", body = InstallView), CommonErrors,
        (status = 409, description = "The install has finished", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/installs/{install_id}/cancel")]
pub async fn cancel(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = installs::cancel(&core, &actor, *path).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Resume a failed or cancelled install at its first step not yet succeeded. 409 unless it
/// failed or was cancelled, or while another install on the host is active.
#[utoipa::path(
    operation_id = "retry_install",
    tag = "installs",
    params(("install_id" = Uuid, Path)),
    responses((status = 202, description = "Queued again", body = InstallView), CommonErrors,
        (status = 409, description = "Not failed or cancelled, or the host is busy", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/installs/{install_id}/retry")]
pub async fn retry(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = installs::retry(&core, &actor, *path).await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Upgrade a node a managed install enrolled: runs packages, database, configuration,
/// service and health again, which brings the node to this version's config (restarting
/// Kamailio only when the config changed). Answers the install, queued. 409 for a node not
/// installed by Centralita or whose install is still active.
#[utoipa::path(
    operation_id = "upgrade_switch_node",
    tag = "installs",
    params(("node_id" = Uuid, Path)),
    responses((status = 202, description = "The upgrade, queued", body = InstallView), CommonErrors,
        (status = 409, description = "Not installed by a managed install, or its install is active", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/switch-nodes/{node_id}/upgrade")]
pub async fn upgrade(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let view = installs::upgrade(&core, &actor, *path).await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Set the host key an install expects (`SHA256:…`), after the host's keys changed (a
/// reinstall, a rotation): until then every connection to it, the node's reconciles
/// included, fails closed. Give the fingerprint read on the host itself
/// (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`). 409 while the install runs.
#[utoipa::path(
    operation_id = "set_install_host_key",
    tag = "installs",
    params(("install_id" = Uuid, Path)),
    request_body = NewHostKey,
    responses((status = 200, description = "The install, expecting the new key", body = InstallView), CommonErrors, WriteErrors,
        (status = 409, description = "The install is queued or running", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/v1/installs/{install_id}/host-key")]
pub async fn set_host_key(
    Auth(actor): Auth,
    core: web::Data<Core>,
    path: web::Path<Uuid>,
    body: Body<NewHostKey>,
) -> ApiResult<HttpResponse> {
    let view = installs::set_host_key(
        &core,
        &actor,
        *path,
        body.parse_for_platform(&actor, PlatformPermission::ManageInstalls)?,
    )
    .await?;
    Ok(respond::ok(&view, Some(view.version)))
}
