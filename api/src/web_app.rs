//! The web app (`web/`, built by `build.rs`) embedded in the binary and served at `/`.
//!
//! Every `GET` that no API route answers lands here: a file of the build is served as is
//! (hashed `assets/*` cached for a year, everything else revalidated by ETag), and any
//! other page path gets `index.html`, so the app's own router shows `/extensions/…` after a
//! reload. Paths under the API's prefixes are never the app's: they keep their problem+json
//! 404, so a client with a typo in a route gets an error, not a page of HTML.
//!
//! Pages carry a strict Content-Security-Policy: scripts, styles and connections only from
//! this origin, no inline script, no framing. Voicemail audio and greetings are fetched with
//! the access token and played from `blob:` URLs, which is why `media-src` allows them.

use std::{borrow::Cow, path::Path};

use actix_web::{HttpRequest, HttpResponse, http::header};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "$CENTRALITA_WEB_EMBED_DIR"]
struct Assets;

/// The policy of every page and file of the app.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Prefixes that belong to the API (or its docs and probes), never to the app.
const API_PREFIXES: &[&str] = &[
    "/v1/",
    "/v1",
    "/docs",
    "/openapi.json",
    "/livez",
    "/readyz",
    "/metrics",
];

/// A file of the app: its bytes, SHA-256 and media type.
struct File {
    data: Cow<'static, [u8]>,
    sha256: [u8; 32],
    mime: String,
}

/// Looks `name` up in the app: the embedded build, or, when the `web_dir` setting names a
/// directory, a build on disk there (a development aid: end-to-end tests of a changed app,
/// `npm run build` and a restart, without recompiling the server). Only plain relative
/// names are looked up on disk: no `..`, no absolute paths.
fn lookup(web_dir: Option<&Path>, name: &str) -> Option<File> {
    if let Some(dir) = web_dir {
        let relative = Path::new(name);
        if !relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            return None;
        }
        let data = std::fs::read(dir.join(relative)).ok()?;
        return Some(File {
            sha256: Sha256::digest(&data).into(),
            mime: mime_guess::from_path(name)
                .first_or_octet_stream()
                .essence_str()
                .to_owned(),
            data: Cow::Owned(data),
        });
    }
    Assets::get(name).map(|f| File {
        sha256: f.metadata.sha256_hash(),
        mime: f.metadata.mimetype().to_owned(),
        data: f.data,
    })
}

/// The app's answer for `req`, or `None` when the path is not the app's (an API path, a
/// method other than GET/HEAD, or a missing file with an extension).
pub fn serve(req: &HttpRequest) -> Option<HttpResponse> {
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD
    {
        return None;
    }
    let path = req.path();
    if API_PREFIXES
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{}/", p.trim_end_matches('/'))))
    {
        return None;
    }
    let file = path.trim_start_matches('/');
    let core = crate::extract::core(req).ok();
    let web_dir = core.as_ref().and_then(|c| c.config.web_dir.as_deref());
    if let Some(found) = lookup(web_dir, file).filter(|_| !file.is_empty()) {
        let immutable = file.starts_with("assets/");
        return Some(respond(req, file, found, immutable));
    }
    // A missing file (it has an extension) is a 404, not the app: a browser asking for an
    // old bundle must not get HTML where it expects a script.
    if file
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        return None;
    }
    lookup(web_dir, "index.html").map(|index| respond(req, "index.html", index, false))
}

fn respond(req: &HttpRequest, name: &str, file: File, immutable: bool) -> HttpResponse {
    let etag = format!("\"{}\"", hex_prefix(&file.sha256));
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    if unchanged {
        return res.finish();
    }
    let mime = mime_for(name, &file);
    res.insert_header((header::CONTENT_TYPE, mime));
    if req.method() == actix_web::http::Method::HEAD {
        return res.finish();
    }
    res.body(file.data.into_owned())
}

fn mime_for(name: &str, file: &File) -> String {
    let mime = file.mime.as_str();
    if name.ends_with(".html") || mime.starts_with("text/") || mime.ends_with("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
