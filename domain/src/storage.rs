//! Files kept for tenants in the data directory: voicemail audio and IVR greeting
//! recordings, each kind in its own folder.
//!
//! Files are named by keys generated here (`<uuid>.<ext>`), never by anything from a
//! request, and a key that is not of that shape is refused rather than joined into a path.
//! The database row that names a file is the truth: a file is written before its row is
//! committed and removed after the row is gone, so a failure leaves at worst an orphan file
//! (logged), never a row without its audio.

use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// The kinds of stored files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Voicemail messages' audio.
    Voicemail,
    /// IVR menus' recorded greetings.
    Greetings,
}

impl Area {
    /// The folder of this kind of file.
    pub fn dir(self, data_dir: &Path) -> PathBuf {
        data_dir.join(match self {
            Area::Voicemail => "voicemail",
            Area::Greetings => "ivr-greetings",
        })
    }
}

/// A fresh storage key for a file with extension `ext`.
pub fn new_key(ext: &str) -> String {
    format!("{}.{ext}", Uuid::now_v7())
}

/// The file of a storage key.
pub fn path(data_dir: &Path, area: Area, key: &str) -> DomainResult<PathBuf> {
    let safe = !key.is_empty()
        && key.len() <= 100
        && !key.starts_with('.')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !safe {
        return Err(DomainError::internal("unsafe storage key"));
    }
    Ok(area.dir(data_dir).join(key))
}

/// Writes a new file.
pub async fn write(data_dir: &Path, area: Area, key: &str, bytes: &[u8]) -> DomainResult<()> {
    let path = path(data_dir, area, key)?;
    tokio::fs::create_dir_all(area.dir(data_dir))
        .await
        .map_err(DomainError::internal)?;
    tokio::fs::write(&path, bytes)
        .await
        .map_err(DomainError::internal)
}

/// Reads a file; 404 naming `what` when it is gone.
pub async fn read(data_dir: &Path, area: Area, key: &str, what: &str) -> DomainResult<Vec<u8>> {
    match tokio::fs::read(path(data_dir, area, key)?).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(DomainError::not_found(what)),
        Err(e) => Err(DomainError::internal(e)),
    }
}

/// Removes files no row names any more. A failure is logged, not returned: the change
/// that dropped the rows is already committed.
pub async fn remove<'a>(data_dir: &Path, area: Area, keys: impl IntoIterator<Item = &'a str>) {
    for key in keys {
        let Ok(path) = path(data_dir, area, key) else {
            tracing::warn!(key, "unsafe storage key not removed");
            continue;
        };
        if let Err(e) = tokio::fs::remove_file(&path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, key, ?area, "stored file not removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_leave_their_folder() {
        let dir = Path::new("/data");
        let key = new_key("wav");
        assert_eq!(
            path(dir, Area::Greetings, &key).unwrap(),
            dir.join("ivr-greetings").join(&key)
        );
        for bad in [
            "",
            "../jwt.key",
            ".hidden",
            "a/b.wav",
            "x\0.wav",
            &"a".repeat(101),
        ] {
            assert!(path(dir, Area::Voicemail, bad).is_err(), "{bad:?}");
        }
    }
}
