//! Password hashing (argon2id, OWASP parameters) on a bounded blocking pool.
//!
//! Each hash takes 19 MiB and tens of milliseconds of a core. A semaphore bounds how many run
//! at once and `spawn_blocking` keeps them off the async executor, so a login flood queues
//! behind the semaphore instead of starving every other request.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
};
use tokio::sync::Semaphore;

use crate::error::{DomainError, DomainResult};

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

fn argon2() -> DomainResult<Argon2<'static>> {
    // OWASP: m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).map_err(DomainError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub async fn hash(&self, password: String) -> DomainResult<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(DomainError::internal)?;
        tokio::task::spawn_blocking(move || {
            argon2()?
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(DomainError::internal)
        })
        .await
        .map_err(DomainError::internal)?
    }

    /// `Ok(true)` when `password` matches `hash`. Pass `None` for an unknown account: a
    /// dummy hash is verified anyway, so response time does not reveal which e-mails exist.
    pub async fn verify(&self, password: String, hash: Option<String>) -> DomainResult<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(DomainError::internal)?;
        tokio::task::spawn_blocking(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let parsed = PasswordHash::new(&hash).map_err(DomainError::internal)?;
            let ok = argon2()?
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(ok && known)
        })
        .await
        .map_err(DomainError::internal)?
    }
}

/// argon2id hash of a random string with the production parameters, for unknown accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2yK1TH0iHWzGcf/WWc9pE9hQbMEwO0N+S0V1OVd1Yt4";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let hasher = PasswordHasher::new(1);
        let h = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong".into(), Some(h)).await.unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
    }
}
