//! Encryption at rest for the few secrets Centralita must be able to read back: trunk
//! passwords, which are sent to carriers when registering or authenticating calls, and the
//! settings of Kamailio nodes (their database URL and JSON-RPC URL carry credentials).
//!
//! Everything else secret is hashed instead (rule 5 of `docs/ARCHITECTURE.md`); this is the one exception,
//! and it stays narrow: AES-256-GCM under one key from configuration (`trunk_secret_key`),
//! a fresh random nonce per value, and a versioned text form that fits a `TEXT` column:
//!
//! ```text
//! v1:<base64 96-bit nonce>:<base64 ciphertext with its 128-bit tag>
//! ```
//!
//! Base64 is the standard alphabet with padding. The version prefix lets a later format (or
//! key identifier, for rotation) be introduced while `v1` values still open. The prefix is
//! also authenticated as associated data, so a value cannot be re-labelled as another
//! version.
//!
//! The key is 32 bytes, written in configuration either as 64 hex digits (`openssl rand -hex
//! 32`) or as standard padded base64, 44 characters (`openssl rand -base64 32`). The two
//! cannot be confused: they have different lengths.
//!
//! With random 96-bit nonces one key may seal about 2³² values before the chance of a nonce
//! repeating reaches 2⁻³² (NIST SP 800-38D §8.3); trunk passwords are far fewer.

use std::fmt;

use aes_gcm::{
    Aes256Gcm, KeyInit,
    aead::{Aead, Nonce, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use rand::RngCore;

use crate::{
    core::Core,
    error::{DomainError, DomainResult, ErrorCode, FieldError},
};

const VERSION: &str = "v1";
/// Associated data of `v1` values: binds the ciphertext to its format version.
const AAD_V1: &[u8] = b"centralita-secretbox-v1";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a key could not be loaded or a value could not be sealed or opened.
///
/// No variant carries the key, the plaintext or the sealed value: errors end up in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretBoxError {
    #[error("the key must be 32 bytes written as 64 hex digits or 44 characters of padded base64")]
    InvalidKey,
    #[error("the key must not be all zeros")]
    WeakKey,
    #[error("the sealed value is not in the v1:<nonce>:<ciphertext> form")]
    Malformed,
    #[error("the sealed value has an unsupported format version")]
    UnsupportedVersion,
    /// Wrong key, or a value altered since it was sealed: GCM cannot tell which.
    #[error("the sealed value does not open with this key (wrong key or altered value)")]
    Undecryptable,
    #[error("the opened value is not UTF-8 text")]
    NotText,
    #[error("the value could not be encrypted")]
    EncryptFailed,
}

/// Every such failure is the platform's (misconfiguration or corrupted data), never the
/// caller's: an opaque 500, logged without secret material.
impl From<SecretBoxError> for DomainError {
    fn from(err: SecretBoxError) -> Self {
        DomainError::internal(format_args!("secretbox: {err}"))
    }
}

/// An AES-256-GCM key ready to seal and open values. `Debug` never shows the key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox { key: <redacted> }")
    }
}

impl SecretBox {
    /// The key in `trunk_secret_key`, or 503 saying what the operator must configure:
    /// `what` are the secrets being stored (e.g. "Trunk passwords"), `field` the request
    /// field that holds them, `meanwhile` what the caller can do without.
    pub fn configured(
        core: &Core,
        field: &str,
        what: &str,
        meanwhile: &str,
    ) -> DomainResult<SecretBox> {
        let unavailable = |detail: String| {
            let mut err = DomainError::new(ErrorCode::Unavailable, detail);
            err.errors.push(FieldError::new(
                field,
                "encryption_unavailable",
                format!(
                    "{} cannot be stored until the platform configures trunk_secret_key",
                    what.to_lowercase()
                ),
            ));
            err
        };
        let Some(key) = core.config.trunk_secret_key.as_deref() else {
            return Err(unavailable(format!(
                "{what} are stored encrypted, and this server has no encryption key \
                 (trunk_secret_key / CENTRALITA_TRUNK_SECRET_KEY) configured. Ask the platform \
                 operator to configure one; {meanwhile}."
            )));
        };
        SecretBox::from_key_str(key).map_err(|e| {
            tracing::error!(error = %e, "trunk_secret_key is unusable");
            unavailable(format!(
                "{what} are stored encrypted, and the configured trunk_secret_key is not \
                 a valid key. Ask the platform operator to fix it."
            ))
        })
    }

    /// Loads a key written as 64 hex digits or as padded base64 of 32 bytes (surrounding
    /// whitespace ignored). Any other length is refused rather than stretched or truncated:
    /// a short key would silently be a weak one. An all-zero key, the usual placeholder, is
    /// refused too.
    pub fn from_key_str(key: &str) -> Result<Self, SecretBoxError> {
        let key = key.trim();
        let bytes = if key.len() == 2 * KEY_LEN {
            hex::decode(key).map_err(|_| SecretBoxError::InvalidKey)?
        } else {
            B64.decode(key).map_err(|_| SecretBoxError::InvalidKey)?
        };
        if bytes.len() != KEY_LEN {
            return Err(SecretBoxError::InvalidKey);
        }
        if bytes.iter().all(|b| *b == 0) {
            return Err(SecretBoxError::WeakKey);
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretBoxError::InvalidKey)?;
        Ok(Self { cipher })
    }

    /// A new random key in the base64 form [`SecretBox::from_key_str`] reads, for setup
    /// tooling.
    pub fn generate_key() -> String {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        B64.encode(key)
    }

    /// Encrypts `plaintext` under a fresh random nonce: sealing the same text twice gives two
    /// different values.
    ///
    /// Fails only if AES-GCM refuses the input, which happens for plaintexts over 64 GiB: a
    /// `Result` rather than a panic path.
    pub fn seal(&self, plaintext: &str) -> Result<String, SecretBoxError> {
        let mut nonce_bytes = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce_bytes);
        let nonce = Nonce::<Aes256Gcm>::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: AAD_V1,
                },
            )
            .map_err(|_| SecretBoxError::EncryptFailed)?;
        Ok(format!(
            "{VERSION}:{}:{}",
            B64.encode(nonce_bytes),
            B64.encode(sealed)
        ))
    }

    /// Decrypts a value made by [`SecretBox::seal`] with the same key. Any alteration of the
    /// nonce, ciphertext, tag or version, and any other key, fails with an error; nothing
    /// here panics on bad input.
    pub fn open(&self, sealed: &str) -> Result<String, SecretBoxError> {
        let mut parts = sealed.split(':');
        let (Some(version), Some(nonce_b64), Some(ct_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretBoxError::Malformed);
        };
        if version != VERSION {
            return Err(SecretBoxError::UnsupportedVersion);
        }
        let nonce_vec = B64
            .decode(nonce_b64)
            .map_err(|_| SecretBoxError::Malformed)?;
        let nonce_bytes: [u8; NONCE_LEN] = nonce_vec
            .as_slice()
            .try_into()
            .map_err(|_| SecretBoxError::Malformed)?;
        let ciphertext = B64.decode(ct_b64).map_err(|_| SecretBoxError::Malformed)?;
        if ciphertext.len() < TAG_LEN {
            return Err(SecretBoxError::Malformed);
        }
        let plain = self
            .cipher
            .decrypt(
                &Nonce::<Aes256Gcm>::from(nonce_bytes),
                Payload {
                    msg: &ciphertext,
                    aad: AAD_V1,
                },
            )
            .map_err(|_| SecretBoxError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretBoxError::NotText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    // The same 32 bytes in base64: python3 -c 'import base64; print(base64.b64encode(bytes(range(32))).decode())'
    const B64_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const OTHER_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    fn sbox(key: &str) -> SecretBox {
        SecretBox::from_key_str(key).unwrap()
    }

    /// Rebuilds a sealed value with one of its parts altered by `f`.
    fn tamper(sealed: &str, part: usize, f: impl Fn(&mut Vec<u8>)) -> String {
        let mut parts: Vec<String> = sealed.split(':').map(str::to_owned).collect();
        let mut bytes = B64.decode(&parts[part]).unwrap();
        f(&mut bytes);
        parts[part] = B64.encode(bytes);
        parts.join(":")
    }

    #[test]
    fn round_trip() {
        let b = sbox(B64_KEY);
        for secret in ["", "s3cret", "pässwörd ✓", &"x".repeat(10_000), "a:b:c"] {
            let sealed = b.seal(secret).unwrap();
            assert!(sealed.starts_with("v1:"));
            assert!(!sealed.contains(secret) || secret.is_empty());
            assert_eq!(b.open(&sealed).unwrap(), secret);
        }
    }

    #[test]
    fn sealed_form_is_versioned_nonce_and_ciphertext() {
        let sealed = sbox(B64_KEY).seal("s3cret").unwrap();
        let parts: Vec<&str> = sealed.split(':').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "v1");
        assert_eq!(B64.decode(parts[1]).unwrap().len(), 12);
        assert_eq!(B64.decode(parts[2]).unwrap().len(), "s3cret".len() + 16);
    }

    #[test]
    fn hex_and_base64_keys_are_the_same_key() {
        let sealed = sbox(HEX_KEY).seal("s3cret").unwrap();
        assert_eq!(sbox(B64_KEY).open(&sealed).unwrap(), "s3cret");
        assert_eq!(
            sbox(&format!("  {}\n", HEX_KEY.to_uppercase()))
                .open(&sealed)
                .unwrap(),
            "s3cret"
        );
    }

    #[test]
    fn two_seals_of_the_same_text_differ() {
        let b = sbox(B64_KEY);
        let one = b.seal("s3cret").unwrap();
        let two = b.seal("s3cret").unwrap();
        assert_ne!(one, two);
        assert_ne!(one.split(':').nth(1), two.split(':').nth(1), "nonce reused");
    }

    #[test]
    fn tampering_is_detected() {
        let b = sbox(B64_KEY);
        let sealed = b.seal("s3cret").unwrap();
        let flips = [
            tamper(&sealed, 2, |ct| ct[0] ^= 1), // ciphertext
            tamper(&sealed, 2, |ct| *ct.last_mut().unwrap() ^= 1), // tag
            tamper(&sealed, 2, |ct| ct.truncate(ct.len() - 1)), // shortened tag
            tamper(&sealed, 2, |ct| ct.push(0)), // extended
            tamper(&sealed, 1, |n| n[0] ^= 1),   // nonce
        ];
        for bad in flips {
            assert_eq!(b.open(&bad), Err(SecretBoxError::Undecryptable), "{bad}");
        }
        let short_nonce = tamper(&sealed, 1, |n| n.truncate(11));
        assert_eq!(b.open(&short_nonce), Err(SecretBoxError::Malformed));
        let relabelled = sealed.replacen("v1:", "v2:", 1);
        assert_eq!(b.open(&relabelled), Err(SecretBoxError::UnsupportedVersion));
    }

    #[test]
    fn the_wrong_key_fails() {
        let sealed = sbox(B64_KEY).seal("s3cret").unwrap();
        assert_eq!(
            sbox(OTHER_KEY).open(&sealed),
            Err(SecretBoxError::Undecryptable)
        );
        let generated = SecretBox::generate_key();
        assert_eq!(
            sbox(&generated).open(&sealed),
            Err(SecretBoxError::Undecryptable)
        );
    }

    #[test]
    fn garbage_fails_cleanly() {
        let b = sbox(B64_KEY);
        for bad in [
            "",
            "v1",
            "v1:",
            "v1::",
            "v1:::",
            "s3cret",
            "v1:AAAAAAAAAAAAAAAA:",
            "v1:AAAAAAAAAAAAAAAA:AAAA",
            "v1:not base64!:AAAAAAAAAAAAAAAAAAAAAA==",
            "v1:AAAAAAAAAAAAAAAA:not base64!",
            "v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:extra",
            "v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA", // unpadded
            "v1:\u{1F4A9}:\u{1F4A9}",
        ] {
            assert_eq!(b.open(bad), Err(SecretBoxError::Malformed), "{bad:?}");
        }
        // Well-formed but never sealed: authentication fails.
        assert_eq!(
            b.open("v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA=="),
            Err(SecretBoxError::Undecryptable)
        );
        assert_eq!(b.open("v0:a:b"), Err(SecretBoxError::UnsupportedVersion));
    }

    #[test]
    fn keys_of_the_wrong_size_or_encoding_are_refused() {
        for bad in [
            "",
            "short",
            &HEX_KEY[..62],
            &format!("{HEX_KEY}00"),
            &HEX_KEY.replace('0', "g"),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", // 30 bytes
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==", // 34 bytes
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", // unpadded
            "a passphrase is not a key, however long it may be",
        ] {
            assert_eq!(
                SecretBox::from_key_str(bad).map(|_| ()),
                Err(SecretBoxError::InvalidKey),
                "{bad:?}"
            );
        }
        assert_eq!(
            SecretBox::from_key_str(&"0".repeat(64)).map(|_| ()),
            Err(SecretBoxError::WeakKey)
        );
    }

    #[test]
    fn generated_keys_load_and_differ() {
        let (a, b) = (SecretBox::generate_key(), SecretBox::generate_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 44);
        let sealed = sbox(&a).seal("x").unwrap();
        assert_eq!(sbox(&a).open(&sealed).unwrap(), "x");
    }

    #[test]
    fn debug_and_errors_show_no_key_material() {
        let shown = format!("{:?}", sbox(HEX_KEY));
        assert_eq!(shown, "SecretBox { key: <redacted> }");
        for fragment in ["000102", "AAECAw", "[0, 1, 2"] {
            assert!(!shown.contains(fragment));
        }
        let b = sbox(B64_KEY);
        let sealed = b.seal("s3cret").unwrap();
        let err = sbox(OTHER_KEY).open(&sealed).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("s3cret") && !text.contains(&sealed[3..]),
            "{text}"
        );
        let err = SecretBox::from_key_str(&HEX_KEY[..62]).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(&HEX_KEY[..10]));
    }

    #[test]
    fn failures_map_to_an_opaque_internal_error() {
        let err: DomainError = SecretBoxError::Undecryptable.into();
        assert_eq!(err.code, crate::error::ErrorCode::Internal);
        assert_eq!(err.detail, "An unexpected error occurred");
    }
}
