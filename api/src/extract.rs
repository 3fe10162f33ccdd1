//! Extractors: who is calling ([`Auth`]), which tenant they act on ([`Scope`]), and the
//! request's body and preconditions.
//!
//! [`Scope`] is the only way a handler obtains a [`TenantScope`]; it resolves the
//! `{tenant_id}` of the path against the principal and answers 404 for tenants the caller
//! cannot see. [`Body`] only *reads* the body: handlers parse it after the scope resolved,
//! so a request for another tenant's object is a 404 whatever its body says, and (with
//! [`Body::parse_for`]) after the permission check, so a forbidden write is a 403.

use std::{
    marker::PhantomData,
    net::{IpAddr, Ipv4Addr},
};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    dev::Payload,
    http::header,
    web::{self, Bytes},
};
use centralita_domain::{
    Core, DomainError, ErrorCode, FieldError,
    authz::{Actor, Grant, Permission, PlatformPermission, grant_platform},
    scope::TenantScope,
    services::auth,
};
use futures_util::{StreamExt, future::LocalBoxFuture};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::problem::{ApiError, current_request_id};

pub(crate) fn core(req: &HttpRequest) -> Result<web::Data<Core>, ApiError> {
    req.app_data::<web::Data<Core>>()
        .cloned()
        .ok_or_else(|| ApiError(DomainError::internal("Core missing from app data")))
}

/// The credentials of `Authorization: Bearer <token>`: the one parser of that header, for
/// user tokens, API keys, switch-node tokens and the metrics token alike. The scheme is
/// case-insensitive (RFC 7235 §2.1), separated from the token by spaces; `None` when the
/// header is absent, not ASCII, of another scheme, or carries an empty token.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    parse_bearer(req.headers().get(header::AUTHORIZATION)?.to_str().ok()?)
}

fn parse_bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// The 401 for a request without usable bearer credentials.
pub fn missing_bearer() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "Send a token in the Authorization header: Bearer <token>",
    )
}

/// The authenticated caller, from `Authorization: Bearer <JWT or API key>`.
pub struct Auth(pub Actor);

impl Auth {
    async fn from_request(req: HttpRequest) -> Result<Self, ApiError> {
        let core = core(&req)?;
        let token = bearer_token(&req).ok_or_else(missing_bearer)?;
        let principal = auth::authenticate(&core, token).await?;
        let reason = req
            .headers()
            .get("X-Acting-Reason")
            .and_then(|v| acting_reason(v.as_bytes()))
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .map(|r| r.chars().take(500).collect());
        Ok(Self(Actor {
            principal,
            request_id: current_request_id(),
            reason,
        }))
    }
}

/// The text of an `X-Acting-Reason` header. Free text: raw UTF-8 is accepted (`to_str`
/// would drop any non-ASCII reason), and so is RFC 8187's `UTF-8''<percent-encoded>` form,
/// which is how a browser sends one (`fetch` only sends Latin-1 header values). Control
/// characters (which decoding could let in: NUL, line breaks) are dropped, so the audit log
/// holds one line of text and a reason of nothing but them is no reason.
fn acting_reason(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    let decoded = match text.get(..7) {
        Some(charset) if charset.eq_ignore_ascii_case("UTF-8''") => {
            percent_encoding::percent_decode_str(&text[7..])
                .decode_utf8()
                .ok()?
                .into_owned()
        }
        _ => text.to_owned(),
    };
    Some(decoded.chars().filter(|c| !c.is_control()).collect())
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Self::from_request(req.clone()))
    }
}

/// The tenant of the path, checked against the caller.
pub struct Scope(pub TenantScope);

impl FromRequest for Scope {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Auth(actor) = Auth::from_request(req.clone()).await?;
            let tenant_id = req
                .match_info()
                .get("tenant_id")
                .and_then(|s| s.parse::<Uuid>().ok())
                .ok_or_else(|| ApiError(DomainError::not_found("tenant")))?;
            let core = core(&req)?;
            Ok(Scope(
                TenantScope::resolve(&core.db, actor, tenant_id).await?,
            ))
        })
    }
}

/// The configured largest body.
fn body_limit(req: &HttpRequest) -> usize {
    core(req)
        .map(|c| c.config.max_body_bytes)
        .unwrap_or(256 * 1024)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("The body must be at most {limit} bytes"),
    )
}

/// Reads a whole body, refusing it (413) as soon as it grows past `limit`.
async fn read_limited(mut payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::MalformedBody,
                format!("The body could not be read: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A JSON body, read (size and media type checked) but not yet parsed. Its size limit is
/// `max_body_bytes` of the configuration, or `FLOOR` bytes if larger (batch routes).
pub struct Body<T, const FLOOR: usize = 0> {
    bytes: Bytes,
    _type: PhantomData<T>,
}

impl<T: DeserializeOwned, const FLOOR: usize> Body<T, FLOOR> {
    /// Parses the body: syntax errors are 400, wrong types and unknown fields 422 with the
    /// offending field named.
    pub fn parse(&self) -> Result<T, ApiError> {
        parse_json(&self.bytes)
    }

    /// Parses the body of a write that needs `perm` in `scope`, checking the permission
    /// first: a forbidden write is a 403 whatever its body says.
    pub fn parse_for(&self, scope: &TenantScope, perm: Permission) -> Result<T, ApiError> {
        scope.authorize(perm)?;
        self.parse()
    }

    /// Parses the body of a platform-level write (outside any tenant) that needs `perm`,
    /// checking the role first: a forbidden write is a 403 whatever its body says.
    pub fn parse_for_platform(
        &self,
        actor: &Actor,
        perm: PlatformPermission,
    ) -> Result<T, ApiError> {
        match grant_platform(actor.principal.role, perm) {
            Grant::Allow => self.parse(),
            Grant::AllowWithReason | Grant::Deny => Err(ApiError(DomainError::forbidden(
                "Your role does not allow this platform operation",
            ))),
        }
    }

    /// The body in canonical form (keys sorted, no whitespace), for request fingerprints.
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::from_slice::<serde_json::Value>(&self.bytes)
            .ok()
            .and_then(|v| serde_json::to_vec(&v).ok())
            .unwrap_or_else(|| self.bytes.to_vec())
    }
}

/// Parses a request body in two steps: the JSON syntax first (anything malformed, trailing
/// data included, is 400), then the shape (not an object, unknown fields, missing fields and
/// wrong types are 422 naming the field). Checking the syntax on its own matters because
/// serde reports some type mismatches (a number where an enum is expected) as syntax errors,
/// and would accept an array in place of an object.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // The common case in one pass: an object whose text cannot hold a control character
    // parses straight into its type. Anything else, and any failure, takes the full path
    // below, which decides the error.
    if plainly_an_object(bytes)
        && let Ok(parsed) = serde_json::from_slice::<T>(bytes)
    {
        return Ok(parsed);
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedBody,
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(ApiError(DomainError::invalid(vec![FieldError::new(
            "",
            "invalid_type",
            "the body must be a JSON object",
        )])));
    }
    // Every text field of every body, in one place: no control characters (NUL, DEL, C1…).
    let control = centralita_domain::validate::control_characters(&value);
    if !control.is_empty() {
        return Err(ApiError(DomainError::invalid(control)));
    }
    // The bytes are parsed as they are first: that also refuses a key given twice, which a
    // `Value` would silently collapse. Only a body that fails and holds integral floats is
    // parsed again with those as integers.
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let first = serde_path_to_error::deserialize(de);
    let result = match first {
        Err(err)
            if !err.inner().to_string().starts_with("duplicate field")
                && integral_floats_as_integers(&mut value) =>
        {
            serde_path_to_error::deserialize(value)
        }
        other => other,
    };
    result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let field = if path == "." { String::new() } else { path };
        let msg = inner.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        let code = if msg.starts_with("unknown field") {
            "unknown_field"
        } else if msg.starts_with("missing field") {
            "required"
        } else {
            "invalid_type"
        };
        ApiError(DomainError::invalid(vec![FieldError::new(
            field, code, msg,
        )]))
    })
}

/// Whether `bytes`, if they are JSON, are an object none of whose strings can hold a control
/// character: the first thing in them is `{`, and they hold no escape (the only way to
/// write a C0 control in a valid JSON string), no DEL and no C1 control (U+0080-U+009F,
/// `C2 80`-`C2 9F` in UTF-8). Such a body needs neither the syntax-first parse nor the
/// control-character walk of [`parse_json`]: a typed parse that succeeds is the answer. (A
/// typed parse also refuses a key given twice, and would accept an array for a struct,
/// which the leading `{` rules out.)
fn plainly_an_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && !bytes.contains(&b'\\')
        && !bytes.contains(&0x7F)
        && !bytes
            .windows(2)
            .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
}

/// JSON Schema counts `143.0` an integer (its value is integral), so a client generated from
/// the document may send one for an integer field: turning every integral float of a body
/// into an integer lets every integer field of every body accept it. (No body has a float
/// field, and one would accept an integer anyway.) Tells whether anything changed.
fn integral_floats_as_integers(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else {
                return false;
            };
            // Within ±2^53, where every integer is exact in a float.
            if f.fract() != 0.0 || f.abs() > 9_007_199_254_740_992.0 {
                return false;
            }
            #[expect(
                clippy::cast_possible_truncation,
                reason = "integral and within ±2^53, so exact"
            )]
            let i = f as i64;
            *value = serde_json::Value::from(i);
            true
        }
        // Every element is visited (no short circuit): all of them are converted.
        serde_json::Value::Array(items) => {
            items
                .iter_mut()
                .map(integral_floats_as_integers)
                .filter(|c| *c)
                .count()
                > 0
        }
        serde_json::Value::Object(fields) => {
            fields
                .values_mut()
                .map(integral_floats_as_integers)
                .filter(|c| *c)
                .count()
                > 0
        }
        _ => false,
    }
}

impl<T: 'static, const FLOOR: usize> FromRequest for Body<T, FLOOR> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = body_limit(req).max(FLOOR);
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.essence_str() == "application/json" || m.suffix().is_some_and(|s| s == "json")
        });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            if !is_json {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Send the body as Content-Type: application/json",
                ));
            }
            Ok(Body {
                bytes: read_limited(payload, limit).await?,
                _type: PhantomData,
            })
        })
    }
}

/// `If-Match: "<version>"` (weak tags accepted; `*` matches any version).
pub struct IfMatch(pub Option<i64>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(raw) = req.headers().get(header::IF_MATCH) else {
            return std::future::ready(Ok(IfMatch(None)));
        };
        let raw = raw.to_str().unwrap_or("").trim();
        if raw == "*" {
            return std::future::ready(Ok(IfMatch(None)));
        }
        let tag = raw.trim_start_matches("W/").trim_matches('"');
        // An ETag we never issued can never match.
        std::future::ready(Ok(IfMatch(Some(tag.parse().unwrap_or(-1)))))
    }
}

/// The `Idempotency-Key` header, if sent.
pub struct IdempotencyHeader(pub Option<String>);

impl IdempotencyHeader {
    /// The request's key, if one was sent: the header's value within `owner`'s keys, with a
    /// fingerprint of the method, path and (canonical) body that makes two requests "the same".
    pub fn key(
        &self,
        owner: String,
        req: &HttpRequest,
        body: &[u8],
    ) -> Result<Option<centralita_domain::services::idempotency::IdempotencyKey>, ApiError> {
        let Some(k) = self.0.as_deref() else {
            return Ok(None);
        };
        let fingerprint: [&[u8]; 3] = [
            req.method().as_str().as_bytes(),
            req.path().as_bytes(),
            body,
        ];
        Ok(Some(
            centralita_domain::services::idempotency::IdempotencyKey::new(owner, k, &fingerprint)?,
        ))
    }
}

impl FromRequest for IdempotencyHeader {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req
            .headers()
            .get("Idempotency-Key")
            .map(|v| v.to_str().unwrap_or("\u{0}").to_owned());
        std::future::ready(Ok(IdempotencyHeader(key)))
    }
}

/// The client address for login limits: the TCP peer, or the client a trusted proxy names
/// in `X-Forwarded-For` (see `centralita_domain::ratelimit::TrustedProxies::client_ip`).
pub fn client_addr(req: &HttpRequest) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let Ok(core) = core(req) else {
        return peer;
    };
    let lines: Vec<Option<&str>> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().ok())
        .collect();
    core.config
        .trusted_proxies
        .client_ip(peer, lines.into_iter())
}

/// Query strings: unknown parameters and bad values are a 400 problem.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::new(
            ErrorCode::InvalidQuery,
            format!("The query string is not valid: {err}"),
        )
        .into()
    })
}

/// Path segments that fail to parse (an id that is not a UUID) name nothing: 404 — unless
/// the segment is a literal of another route (`PATCH …/extensions/export` reached the
/// `{extension_id}` route), which makes it a known path with a wrong method: 405.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| {
        req.app_data::<web::Data<crate::RouteTable>>()
            .and_then(|table| table.method_not_allowed(req))
            .unwrap_or_else(|| ApiError(DomainError::not_found("resource")))
            .into()
    })
}

/// A switch node, from `Authorization: Bearer sn_…`. The only way into `/v1/switch/*`:
/// user tokens and API keys are refused there, and node tokens everywhere else.
pub struct SwitchNode(pub std::sync::Arc<centralita_domain::entities::switch_node::Model>);

impl FromRequest for SwitchNode {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let core = core(&req)?;
            let token = bearer_token(&req).unwrap_or_default();
            let node = centralita_domain::switch::nodes::authenticate(&core, token).await?;
            Ok(SwitchNode(node))
        })
    }
}

/// A CSV body, read whole within the size limit. The media type and encoding are checked
/// by [`CsvBody::text`], after the handler resolved the scope: a request for another tenant
/// is a 404 whatever it sends.
pub struct CsvBody {
    bytes: Bytes,
    is_csv: bool,
}

impl CsvBody {
    pub fn text(self) -> Result<String, ApiError> {
        if !self.is_csv {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as Content-Type: text/csv",
            ));
        }
        String::from_utf8(self.bytes.to_vec())
            .map_err(|_| ApiError::new(ErrorCode::MalformedBody, "The CSV must be UTF-8"))
    }
}

impl FromRequest for CsvBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Imports are bulk by nature: their own (larger) limit, or the general one if larger.
        let limit = body_limit(req).max(centralita_domain::services::extension_csv::MAX_CSV_BYTES);
        let is_csv = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.essence_str() == "text/csv");
        let payload = payload.take();
        Box::pin(async move {
            Ok(CsvBody {
                bytes: read_limited(payload, limit).await?,
                is_csv,
            })
        })
    }
}

/// An audio upload (IVR greetings), read whole within the domain's greeting limit. The media
/// type is only recorded here; the domain checks it and the bytes after the scope resolved,
/// so a request for another tenant is a 404 whatever it sends.
pub struct AudioBody {
    pub content_type: String,
    pub bytes: Bytes,
}

impl FromRequest for AudioBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req
            .mime_type()
            .ok()
            .flatten()
            .map(|m| m.essence_str().to_ascii_lowercase())
            .unwrap_or_default();
        let payload = payload.take();
        Box::pin(async move {
            Ok(AudioBody {
                content_type,
                bytes: read_limited(
                    payload,
                    centralita_domain::services::ivr_menus::MAX_GREETING_BYTES,
                )
                .await?,
            })
        })
    }
}

/// One part of a `multipart/form-data` body.
pub struct Part {
    /// The part's media type (lowercase essence), empty when it declared none.
    pub content_type: String,
    pub bytes: Bytes,
}

/// A `multipart/form-data` body read whole, its parts by name, within `limit` bytes in all
/// (the voicemail intake's limit plus room for the metadata). A body of another media type
/// is 415; a broken body, a part without a name or a name given twice is 400. Which names
/// are required, and what they hold, is the handler's to check.
pub struct MultipartParts {
    parts: std::collections::HashMap<String, Part>,
}

impl MultipartParts {
    /// Takes the part `name`, or 422 naming it.
    pub fn take(&mut self, name: &str) -> Result<Part, ApiError> {
        self.parts.remove(name).ok_or_else(|| {
            ApiError(DomainError::field(
                name,
                "required",
                "this part is required",
            ))
        })
    }

    /// 422 for any part left after the handler took the ones it knows.
    pub fn finish(self) -> Result<(), ApiError> {
        let mut unknown: Vec<_> = self.parts.into_keys().collect();
        unknown.sort();
        match unknown.first() {
            None => Ok(()),
            Some(name) => Err(ApiError(DomainError::field(
                name,
                "unknown_part",
                "this part is not part of the upload",
            ))),
        }
    }
}

/// Read limit of multipart uploads: the largest voicemail recording plus 64 KiB for the
/// metadata and the part headers.
const MULTIPART_LIMIT: usize =
    centralita_domain::services::voicemail_messages::intake::MAX_VOICEMAIL_BYTES + 64 * 1024;

impl FromRequest for MultipartParts {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_multipart = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.essence_str() == "multipart/form-data");
        let multipart = actix_multipart::Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            if !is_multipart {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Send the upload as multipart/form-data",
                ));
            }
            read_parts(multipart, MULTIPART_LIMIT).await
        })
    }
}

async fn read_parts(
    mut multipart: actix_multipart::Multipart,
    limit: usize,
) -> Result<MultipartParts, ApiError> {
    let broken = |e: &dyn std::fmt::Display| {
        ApiError::new(
            ErrorCode::MalformedBody,
            format!("The multipart body could not be read: {e}"),
        )
    };
    let mut parts = std::collections::HashMap::new();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| broken(&e))?;
        let name = field
            .name()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| broken(&"a part has no name"))?
            .to_owned();
        let content_type = field
            .content_type()
            .map(|m| m.essence_str().to_ascii_lowercase())
            .unwrap_or_default();
        let mut buf = web::BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| broken(&e))?;
            total += chunk.len();
            if total > limit {
                return Err(too_large(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        let part = Part {
            content_type,
            bytes: buf.freeze(),
        };
        if parts.insert(name.clone(), part).is_some() {
            return Err(broken(&format_args!("the part {name:?} is given twice")));
        }
    }
    Ok(MultipartParts { parts })
}

#[cfg(test)]
mod tests {
    use super::parse_bearer;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "bEaReR abc",
            "Bearer   abc ",
        ] {
            assert_eq!(parse_bearer(header), Some("abc"), "{header:?}");
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_not_bearer_credentials() {
        for header in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Bearerabc",
            "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
            "Token abc",
            "Bearer abc def",
        ] {
            assert_eq!(parse_bearer(header), None, "{header:?}");
        }
    }
}
