//! Token material: JWT access tokens (HS256) and opaque secrets (refresh tokens, API keys).
//!
//! Access tokens are short-lived and verified without a database read of the token itself;
//! refresh tokens and API keys are random 256-bit secrets stored only as SHA-256 digests.

use std::path::Path;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, ErrorCode};

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Uuid>,
    pub iat: u64,
    pub exp: u64,
    pub jti: Uuid,
    pub iss: String,
    /// The user's `token_generation` when the token was issued; the token ends when the
    /// user's generation moves on (logout, password change, ...). Tokens issued before the
    /// claim existed read as generation 0, the generation every user started at.
    #[serde(default)]
    pub generation: i64,
}

const ISSUER: &str = "centralita";

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> DomainResult<Self> {
        if secret.len() < 32 {
            return Err(DomainError::new(
                ErrorCode::Internal,
                "jwt_secret must be at least 32 bytes",
            ));
        }
        // Only HS256 is accepted: `alg: none` and algorithm-confusion tokens fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// Reads the key from `<data_dir>/jwt.key`, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("jwt.key");
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) => s.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir)?;
                let secret = random_token(48);
                write_private(&path, &secret)?;
                secret
            }
            Err(e) => return Err(e),
        };
        Self::from_secret(secret.as_bytes()).map_err(|e| std::io::Error::other(e.detail))
    }

    pub fn issue(&self, claims: &Claims) -> DomainResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(DomainError::internal)
    }

    pub fn verify(&self, token: &str) -> DomainResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                let detail = match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        "The access token has expired"
                    }
                    _ => "The access token is not valid",
                };
                DomainError::new(ErrorCode::Unauthenticated, detail)
            })
    }
}

/// Writes a file readable only by its owner.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())
}

/// `bytes` random bytes from the OS generator, base64url-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `bytes` random bytes from the OS generator, hex-encoded: for secrets that people copy
/// and secret scanners match, where base64's `-` and `_` get in the way.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two digests in constant time.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
