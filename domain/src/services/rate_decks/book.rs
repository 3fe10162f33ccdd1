//! The rate book: each process's in-memory [`RateIndex`] per deck version, owned by
//! [`crate::Core`].
//!
//! A ready version never changes, so an index is keyed by the version's id and never goes
//! stale: which version a deck rates with is read from the database (the deck row) with the
//! rest of a call's data, and the book only turns that id into an index. A swap is therefore
//! seen by every process on its next call, with no message to lose; what a process must
//! avoid is building a big index on the call path, so [`RateBook::warm`] (run every second by
//! `serve` and `worker`) builds, in the background, the index of every deck's active version
//! and of its newest ready one (the likely next activation), and drops the rest. A version
//! nobody warmed (a rollback to an old one, a first call right after start-up) is built on
//! first use; concurrent first uses wait for one build.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{VersionStatus, rates_page, to_rate};
use crate::{
    entities::{rate_deck, rate_deck_version},
    error::{DomainError, DomainResult},
    rating::RateIndex,
};

/// One version's index.
pub struct Loaded {
    pub version_id: Uuid,
    pub index: RateIndex,
}

type Slot = Arc<OnceCell<Arc<Loaded>>>;

/// Indexes by version id.
#[derive(Default)]
pub struct RateBook {
    versions: Mutex<HashMap<Uuid, Slot>>,
}

impl RateBook {
    fn slot(&self, version_id: Uuid) -> DomainResult<Slot> {
        let mut map = self
            .versions
            .lock()
            .map_err(|_| DomainError::internal("rate book lock poisoned"))?;
        Ok(map.entry(version_id).or_default().clone())
    }

    /// The index of `version_id`, built now if this process has not built it yet.
    pub async fn index<C: ConnectionTrait>(
        &self,
        db: &C,
        version_id: Uuid,
    ) -> DomainResult<Arc<Loaded>> {
        let slot = self.slot(version_id)?;
        slot.get_or_try_init(|| load(db, version_id)).await.cloned()
    }

    /// Builds the indexes worth having ready (each deck's active and newest ready version)
    /// and drops the others.
    pub async fn warm<C: ConnectionTrait>(&self, db: &C) -> DomainResult<()> {
        let active: Vec<Option<Uuid>> = rate_deck::Entity::find()
            .select_only()
            .column(rate_deck::Column::ActiveVersionId)
            .into_tuple()
            .all(db)
            .await?;
        let ready: Vec<(Uuid, Uuid, i32)> = rate_deck_version::Entity::find()
            .select_only()
            .column(rate_deck_version::Column::DeckId)
            .column(rate_deck_version::Column::Id)
            .column(rate_deck_version::Column::Number)
            .filter(rate_deck_version::Column::Status.eq(VersionStatus::Ready.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        let mut newest: HashMap<Uuid, (i32, Uuid)> = HashMap::new();
        for (deck, id, number) in ready {
            let e = newest.entry(deck).or_insert((number, id));
            if number > e.0 {
                *e = (number, id);
            }
        }
        let keep: HashSet<Uuid> = active
            .into_iter()
            .flatten()
            .chain(newest.into_values().map(|(_, id)| id))
            .collect();
        if let Ok(mut map) = self.versions.lock() {
            map.retain(|id, _| keep.contains(id));
        }
        for id in keep {
            self.index(db, id).await?;
        }
        Ok(())
    }

    /// Versions held (built or being built).
    pub fn len(&self) -> usize {
        self.versions.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads a version's rates a page at a time and builds its index off the async threads.
async fn load<C: ConnectionTrait>(db: &C, version_id: Uuid) -> DomainResult<Arc<Loaded>> {
    let mut rates = Vec::new();
    let mut after = 0;
    loop {
        let page = rates_page(db, version_id, after).await?;
        let Some(last) = page.last().map(|r| r.line) else {
            break;
        };
        after = last;
        let full = page.len() as u64 == super::READ_PAGE;
        for m in page {
            rates.push(to_rate(m)?);
        }
        if !full {
            break;
        }
    }
    let index = tokio::task::spawn_blocking(move || RateIndex::build(rates))
        .await
        .map_err(|e| DomainError::internal(format!("building a rate index stopped: {e}")))?
        .map_err(|e| {
            DomainError::internal(format!("a stored deck version does not index: {e:?}"))
        })?;
    Ok(Arc::new(Loaded { version_id, index }))
}
