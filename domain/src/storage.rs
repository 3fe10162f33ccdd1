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
        data_dir.join(self.prefix())
    }
}

/// A fresh storage key for a file with extension `ext`.
pub fn new_key(ext: &str) -> String {
    format!("{}.{ext}", Uuid::now_v7())
}

/// The file of a storage key in the data directory (the embedded default's layout).
pub fn path(data_dir: &Path, area: Area, key: &str) -> DomainResult<PathBuf> {
    check_key(key)?;
    Ok(area.dir(data_dir).join(key))
}

fn check_key(key: &str) -> DomainResult<()> {
    let safe = !key.is_empty()
        && key.len() <= 100
        && !key.starts_with('.')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if safe {
        Ok(())
    } else {
        Err(DomainError::internal("unsafe storage key"))
    }
}

impl Area {
    /// The object-store prefix of this kind of file (the data directory's folder name).
    fn prefix(self) -> &'static str {
        match self {
            Area::Voicemail => "voicemail",
            Area::Greetings => "ivr-greetings",
        }
    }
}

/// Where stored files live: the data directory (the embedded default), or an
/// S3-compatible object store shared by every API and worker process (`storage_url`).
///
/// Built on `object_store`, the crate Apache Arrow and Delta Lake use for the same job; one
/// interface over both, so the services never know which one they write to.
#[derive(Clone)]
pub struct Files {
    store: std::sync::Arc<dyn object_store::ObjectStore>,
}

impl Files {
    /// The store the configuration names: `storage_url` and the `storage_s3_*` keys, with
    /// the usual `AWS_*` variables (or the instance's role) for what they leave unset.
    pub fn from_config(config: &crate::config::Config) -> DomainResult<Self> {
        use object_store::{aws::AmazonS3Builder, local::LocalFileSystem, prefix::PrefixStore};
        let store: std::sync::Arc<dyn object_store::ObjectStore> = match &config.storage_url {
            None => {
                std::fs::create_dir_all(&config.data_dir).map_err(DomainError::internal)?;
                std::sync::Arc::new(
                    LocalFileSystem::new_with_prefix(&config.data_dir)
                        .map_err(DomainError::internal)?,
                )
            }
            Some(url) => {
                let Some(rest) = url.strip_prefix("s3://") else {
                    return Err(DomainError::internal(
                        "storage_url must be s3://bucket[/prefix]",
                    ));
                };
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                let mut s3 = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(config.storage_s3_region.as_deref().unwrap_or("us-east-1"));
                if let Some(endpoint) = &config.storage_s3_endpoint {
                    // Path-style requests: what MinIO and most S3-compatible servers expect.
                    s3 = s3
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let (Some(id), Some(secret)) = (
                    &config.storage_s3_access_key_id,
                    &config.storage_s3_secret_access_key,
                ) {
                    s3 = s3.with_access_key_id(id).with_secret_access_key(secret);
                }
                let s3 = s3.build().map_err(DomainError::internal)?;
                let prefix = prefix.trim_matches('/');
                if prefix.is_empty() {
                    std::sync::Arc::new(s3)
                } else {
                    std::sync::Arc::new(PrefixStore::new(s3, prefix))
                }
            }
        };
        Ok(Self { store })
    }

    fn location(area: Area, key: &str) -> DomainResult<object_store::path::Path> {
        check_key(key)?;
        Ok(object_store::path::Path::from(format!(
            "{}/{key}",
            area.prefix()
        )))
    }

    /// Writes a new file.
    pub async fn write(&self, area: Area, key: &str, bytes: &[u8]) -> DomainResult<()> {
        let at = Self::location(area, key)?;
        self.store
            .put(&at, object_store::PutPayload::from(bytes.to_vec()))
            .await
            .map(|_| ())
            .map_err(DomainError::internal)
    }

    /// Reads a file; 404 naming `what` when it is gone.
    pub async fn read(&self, area: Area, key: &str, what: &str) -> DomainResult<Vec<u8>> {
        let at = Self::location(area, key)?;
        match self.store.get(&at).await {
            Ok(found) => Ok(found.bytes().await.map_err(DomainError::internal)?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => Err(DomainError::not_found(what)),
            Err(e) => Err(DomainError::internal(e)),
        }
    }

    /// Removes files no row names any more. A failure is logged, not returned: the change
    /// that dropped the rows is already committed.
    pub async fn remove<'a>(&self, area: Area, keys: impl IntoIterator<Item = &'a str>) {
        for key in keys {
            let Ok(at) = Self::location(area, key) else {
                tracing::warn!(key, "unsafe storage key not removed");
                continue;
            };
            match self.store.delete(&at).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(error = %e, key, ?area, "stored file not removed"),
            }
        }
    }

    /// Removes orphan files of every kind; gives how many went. Run by the worker's
    /// housekeeping; files are checked against the database in batches.
    pub async fn sweep_orphans<C: ConnectionTrait>(&self, db: &C) -> DomainResult<u64> {
        use futures_util::TryStreamExt;
        let mut removed = 0;
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(ORPHAN_AGE).map_err(DomainError::internal)?;
        for area in [Area::Voicemail, Area::Greetings] {
            let prefix = object_store::path::Path::from(area.prefix());
            let candidates: Vec<String> = self
                .store
                .list(Some(&prefix))
                .try_filter_map(|meta| async move {
                    Ok((meta.last_modified <= cutoff)
                        .then(|| meta.location.filename().map(str::to_owned))
                        .flatten())
                })
                .try_collect()
                .await
                .map_err(DomainError::internal)?;
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
                self.remove(area, orphans).await;
            }
        }
        Ok(removed)
    }
}

/// A file at least this old that no row names is an orphan: its row was never committed
/// (a crash between writing the file and committing). Younger files may still be waiting
/// for their transaction.
pub const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

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
