//! `/v1/switch/*`: what switch nodes ask at call time (node tokens only).

use actix_web::{HttpResponse, get, post, web};
use centralita_domain::{
    Core,
    services::{
        billing::{
            calls::{self, AuthorizeCall, CallCharge, CallDecision, EndCall},
            cdrs::{self, CdrBatch, CdrIngestReport},
        },
        ivr_menus,
        voicemail_messages::{
            VoicemailMessageView,
            intake::{self, VoicemailAudio, VoicemailMetadata},
        },
    },
    switch::{
        self,
        directory::DirectoryEntry,
        plan::{RoutePlan, RouteRequest},
    },
};

use crate::{
    extract::{Body, MultipartParts, SwitchNode, parse_json},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};
use uuid::Uuid;

/// What the asking node is configured with here: its id, name, media server and the
/// carriers' addresses (from the platform's trunks). Edges read it every few seconds, so a
/// node's settings are managed in one place.
#[utoipa::path(
    operation_id = "switch_node_self",
    tag = "switch",
    responses((status = 200, description = "The node's settings", body = switch::nodes::NodeSelf), CommonErrors),
    security(("switch_node" = []))
)]
#[get("/v1/switch/node")]
pub async fn node_self(node: SwitchNode, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &switch::nodes::node_self(&core, &node.0).await?,
        None,
    ))
}

/// What a media server needs to authenticate and place `user@domain`: HA1/HA1B digests
/// (never a password), caller ID, voicemail, limits. 404 for unknown users, domains, and
/// users of suspended tenants (or of tenants below a suspended partner).
#[utoipa::path(
    operation_id = "switch_directory",
    tag = "switch",
    params(("domain" = String, Path, description = "SIP domain (realm)"), ("user" = String, Path, description = "SIP username")),
    responses((status = 200, description = "The directory entry", body = DirectoryEntry), CommonErrors),
    security(("switch_node" = []))
)]
#[get("/v1/switch/directory/{domain}/{user}")]
pub async fn directory(
    _node: SwitchNode,
    core: web::Data<Core>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let entry = switch::directory::entry(&core, &path.0, &path.1).await?;
    Ok(respond::ok(&entry, None))
}

/// Resolve a call: given the SIP domain, the caller and the dialled number, the plan to
/// execute (who rings, in which order, and what happens on no answer, busy or
/// unreachable). Forwarding, do-not-disturb and follow-me are applied; loops end in a
/// `hangup` with reason `loop`. 404 for unknown domains and for suspended tenants (or
/// tenants below a suspended partner).
#[utoipa::path(
    operation_id = "switch_route",
    tag = "switch",
    request_body = RouteRequest,
    responses((status = 200, description = "The plan", body = RoutePlan), CommonErrors),
    security(("switch_node" = []))
)]
#[post("/v1/switch/route")]
pub async fn route(
    _node: SwitchNode,
    core: web::Data<Core>,
    body: Body<RouteRequest>,
) -> ApiResult<HttpResponse> {
    let answer = switch::route(&core, body.parse()?).await?;
    Ok(respond::json_bytes(answer))
}

/// The recorded greeting of an IVR menu, as named by a route plan's `recording` prompt
/// (its URL carries the recording's SHA-256: cache the audio by it). 404 when the menu's
/// greeting is no longer that recording.
#[utoipa::path(
    operation_id = "switch_ivr_greeting",
    tag = "switch",
    params(("ivr_menu_id" = Uuid, Path), ("sha256" = String, Path, description = "Hex SHA-256 of the recording, from the plan")),
    responses((status = 200, description = "The recording", content_type = "audio/*", body = super::Binary), CommonErrors),
    security(("switch_node" = []))
)]
#[get("/v1/switch/ivr-menus/{ivr_menu_id}/greeting/{sha256}")]
pub async fn ivr_greeting(
    _node: SwitchNode,
    core: web::Data<Core>,
    path: web::Path<(Uuid, String)>,
) -> ApiResult<HttpResponse> {
    let (content_type, bytes) =
        ivr_menus::greeting_audio_for_switch(&core, path.0, &path.1).await?;
    Ok(respond::audio(content_type, bytes, None))
}

/// The parts of a voicemail upload, as the OpenAPI document describes them.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart parts; the handler reads them by name"
)]
pub struct VoicemailUpload {
    /// `application/json`: where the message goes and what the switch knows of it.
    metadata: VoicemailMetadata,
    /// The recording: `audio/wav` (PCM, A-law or µ-law), `audio/mpeg` or `audio/ogg`, at
    /// most 20 MiB.
    audio: super::Binary,
}

/// Hand over a recorded voicemail message (`multipart/form-data` with the parts `metadata`,
/// JSON, and `audio`). The domain names the tenant and the mailbox is looked up among that
/// tenant's boxes only (404 otherwise, also for suspended tenants); a disabled box is 409.
/// The audio must really be audio (422 otherwise; 415 for other media types; 413 past
/// 20 MiB). The message and, when its box has addresses, its e-mail job are stored
/// together; nothing is stored on any error.
#[utoipa::path(
    operation_id = "switch_voicemail_intake",
    tag = "switch",
    request_body(content = VoicemailUpload, content_type = "multipart/form-data",
        encoding(("metadata" = (content_type = "application/json")), ("audio" = (content_type = "audio/wav, audio/mpeg, audio/ogg")))),
    responses((status = 201, description = "The stored message", body = VoicemailMessageView), CommonErrors, WriteErrors),
    security(("switch_node" = []))
)]
#[post("/v1/switch/voicemail")]
pub async fn voicemail(
    _node: SwitchNode,
    core: web::Data<Core>,
    mut parts: MultipartParts,
) -> ApiResult<HttpResponse> {
    let metadata = parts.take("metadata")?;
    let audio = parts.take("audio")?;
    parts.finish()?;
    let metadata: VoicemailMetadata = parse_json(&metadata.bytes)?;
    let upload = VoicemailAudio {
        content_type: &audio.content_type,
        bytes: &audio.bytes,
    };
    let (tenant, view) = intake::intake(&core, metadata, upload).await?;
    let location = format!(
        "/v1/tenants/{}/voicemail-boxes/{}/messages/{}",
        tenant.0, view.box_id, view.id
    );
    Ok(respond::created(location, &view, None))
}

/// Authorize a call before placing it: whether it may go out, for how long, at what rate
/// and through which trunks (least-cost order). An allowed outbound call holds the credit
/// its granted duration costs, so concurrent calls can never spend more than the account
/// has; calls to the tenant's own numbers are allowed without a hold. A decision that
/// cannot be made (database unreachable) is `deny` with reason `unavailable`: fail closed.
/// Asking again with the same `call_id` answers the same decision.
#[utoipa::path(
    operation_id = "switch_authorize_call",
    tag = "switch",
    request_body = AuthorizeCall,
    responses((status = 200, description = "The decision", body = CallDecision), CommonErrors, WriteErrors),
    security(("switch_node" = []))
)]
#[post("/v1/switch/calls")]
pub async fn authorize_call(
    node: SwitchNode,
    core: web::Data<Core>,
    body: Body<AuthorizeCall>,
) -> ApiResult<HttpResponse> {
    let decision = calls::authorize(&core, &node.0, body.parse()?).await?;
    Ok(respond::ok(&decision, None))
}

/// Report that an authorized call ended: it is rated at the rate it was granted, charged
/// to the account (one ledger transaction) and its hold released. Repeating it changes
/// nothing and answers the same charge. Only the node that authorized the call may end it
/// (404 otherwise).
#[utoipa::path(
    operation_id = "switch_end_call",
    tag = "switch",
    params(("call_id" = String, Path, description = "The call id given to `POST /v1/switch/calls`")),
    request_body = EndCall,
    responses((status = 200, description = "The charge", body = CallCharge), CommonErrors, WriteErrors),
    security(("switch_node" = []))
)]
#[post("/v1/switch/calls/{call_id}/end")]
pub async fn end_call(
    node: SwitchNode,
    core: web::Data<Core>,
    path: web::Path<String>,
    body: Body<EndCall>,
) -> ApiResult<HttpResponse> {
    let charge = calls::end(&core, &node.0, &path, body.parse()?).await?;
    Ok(respond::ok(&charge, None))
}

/// Report call detail records (1-1000 per request). Idempotent on (`call_id`, `leg`): a
/// record stored before answers `duplicate` and changes nothing, so a batch may be sent
/// again whole. Each outbound record is rated on ingest at every level of the reseller
/// chain and charged, unless its call was charged already (through
/// `POST /v1/switch/calls/{call_id}/end` or another leg): a call is never charged twice. A
/// record with no rate is stored `unrated` with the reason; one that cannot be stored
/// (unknown domain, bad field) is `refused` with the reason, the rest of the batch going on.
#[utoipa::path(
    operation_id = "switch_ingest_cdrs",
    tag = "switch",
    request_body = CdrBatch,
    responses((status = 200, description = "One result per record, in order", body = CdrIngestReport), CommonErrors, WriteErrors),
    security(("switch_node" = []))
)]
#[post("/v1/switch/cdrs")]
pub async fn ingest_cdrs(
    node: SwitchNode,
    core: web::Data<Core>,
    body: Body<CdrBatch, { cdrs::MAX_BATCH_BYTES }>,
) -> ApiResult<HttpResponse> {
    let report = cdrs::ingest(&core, &node.0, body.parse()?).await?;
    Ok(respond::ok(&report, None))
}
