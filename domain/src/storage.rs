//! Files kept for tenants in the data directory: voicemail audio and IVR greeting
//! recordings, each kind in its own folder.
//!
//! Files are named by keys generated here (`<uuid>.<ext>`), never by anything from a
//! request, and a key that is not of that shape is refused rather than joined into a path.
//! The database row that names a file is the truth: a file is written before its row is
//! committed and removed after the row is gone, so a failure leaves at worst an orphan file
//! (logged), never a row without its audio; the worker's housekeeping sweeps orphans
//! ([`sweep_orphans`]).

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    entities::{ivr_menu, voicemail_message},
    error::{DomainError, DomainResult},
};

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

/// A file at least this old that no row names is an orphan: its row was never committed
/// (a crash between writing the file and committing). Younger files may still be waiting
/// for their transaction.
pub const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes orphan files of every kind; gives how many went. Run by the worker's
/// housekeeping; files are checked against the database in batches.
pub async fn sweep_orphans<C: ConnectionTrait>(db: &C, data_dir: &Path) -> DomainResult<u64> {
    let mut removed = 0;
    for area in [Area::Voicemail, Area::Greetings] {
        let candidates = old_files(&area.dir(data_dir), ORPHAN_AGE).await?;
        for batch in candidates.chunks(500) {
            let known = known_keys(db, area, batch).await?;
            let orphans: Vec<&str> = batch
                .iter()
                .filter(|k| !known.contains(*k))
                .map(String::as_str)
                .collect();
            if !orphans.is_empty() {
                tracing::info!(count = orphans.len(), ?area, "removing orphan files");
            }
            removed += orphans.len() as u64;
            remove(data_dir, area, orphans).await;
        }
    }
    Ok(removed)
}

/// The keys of files in `dir` last modified at least `age` ago.
async fn old_files(dir: &Path, age: std::time::Duration) -> DomainResult<Vec<String>> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(DomainError::internal(e)),
    };
    let now = std::time::SystemTime::now();
    let mut keys = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(DomainError::internal)? {
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|d| d >= age);
        if meta.is_file()
            && old
            && let Some(name) = entry.file_name().to_str()
        {
            keys.push(name.to_owned());
        }
    }
    Ok(keys)
}

/// Which of `keys` a row names.
async fn known_keys<C: ConnectionTrait>(
    db: &C,
    area: Area,
    keys: &[String],
) -> DomainResult<HashSet<String>> {
    let keys = keys.iter().cloned();
    Ok(match area {
        Area::Voicemail => voicemail_message::Entity::find()
            .filter(voicemail_message::Column::StorageKey.is_in(keys))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.storage_key)
            .collect(),
        Area::Greetings => ivr_menu::Entity::find()
            .filter(ivr_menu::Column::GreetingStorageKey.is_in(keys))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|m| m.greeting_storage_key)
            .collect(),
    })
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
