//! Bulk work that keeps every database hold short: imports of thousands of rows today
//! (extension CSV), hundreds of thousands tomorrow (rate decks).
//!
//! The recipe every bulk operation follows:
//!
//! 1. validate every row in memory, with no connection held;
//! 2. read what the rows could collide with in chunks ([`read_chunked`]: one query per
//!    [`READ_CHUNK`] keys, each on its own short connection hold, never one query per row);
//! 3. write in batches ([`write_batches`]: [`BATCH_ROWS`] rows per transaction, multi-row
//!    `INSERT`s through [`insert_all`]), so between two batches other requests get the pool
//!    (and, on SQLite, the single writer).
//!
//! All or nothing still holds, seen from outside once the operation returns: everything is
//! validated before the first write, so a batch can only fail on a concurrent change (a
//! number taken meanwhile: a unique index refuses it) or on the database itself, and then
//! the batches already committed are undone, newest first, each in its own transaction.
//! Between the first and the last batch, other requests may see a partial import; a process
//! that dies in that window leaves whole, audited batches behind (a re-run reports their rows
//! as taken).

use std::future::Future;

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Iterable};

use crate::{
    core::Core,
    error::{DomainError, DomainResult, ErrorCode},
    tx::Tx,
};

/// Rows written per transaction: big enough that statements amortise, small enough that a
/// batch holds the database for milliseconds.
pub const BATCH_ROWS: usize = 500;

/// Keys per `IN (…)` list of a chunked read.
pub const READ_CHUNK: usize = 500;

/// Bind parameters one statement may carry: SQLite allows 32,766, PostgreSQL 65,535.
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` with multi-row `INSERT` statements, as many rows per statement as the
/// bind-parameter limit allows for the table's column count.
pub async fn insert_all<A, C>(db: &C, rows: Vec<A>) -> DomainResult<()>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (MAX_PARAMS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Runs `read` once per [`READ_CHUNK`] keys and concatenates the answers: a lookup of
/// thousands of keys in a handful of queries, none of them holding a connection for long.
pub async fn read_chunked<K, T, F, Fut>(keys: &[K], mut read: F) -> DomainResult<Vec<T>>
where
    K: Clone,
    F: FnMut(Vec<K>) -> Fut,
    Fut: Future<Output = DomainResult<Vec<T>>>,
{
    let mut out = Vec::new();
    for chunk in keys.chunks(READ_CHUNK) {
        out.extend(read(chunk.to_vec()).await?);
    }
    Ok(out)
}

/// One kind of bulk write: how a batch is written, and how a committed batch is undone.
pub trait BatchWrite: Sync {
    /// One row to write, validated.
    type Row: Send;
    /// What a committed batch produced: enough to report it and to undo it.
    type Written: Send + Sync;

    /// Writes one batch inside `txn` (the caller commits).
    fn write(
        &self,
        txn: &Tx,
        rows: Vec<Self::Row>,
    ) -> impl Future<Output = DomainResult<Self::Written>> + Send;

    /// Removes what [`BatchWrite::write`] committed, inside `txn`.
    fn undo(
        &self,
        txn: &Tx,
        written: &Self::Written,
    ) -> impl Future<Output = DomainResult<()>> + Send;
}

/// Writes `rows` in batches of [`BATCH_ROWS`], one transaction each. When a batch fails, the
/// batches already committed are undone (newest first) and the batch's error is returned:
/// nothing of the operation remains.
pub async fn write_batches<W: BatchWrite>(
    core: &Core,
    writer: &W,
    rows: Vec<W::Row>,
) -> DomainResult<Vec<W::Written>> {
    let mut done: Vec<W::Written> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<W::Row> = rows.by_ref().take(BATCH_ROWS).collect();
        match write_one(core, writer, batch).await {
            Ok(written) => done.push(written),
            Err(err) => {
                undo_all(core, writer, &done).await?;
                return Err(err);
            }
        }
        // Let requests queued on the pool (or on SQLite's writer) in before the next batch.
        tokio::task::yield_now().await;
    }
    Ok(done)
}

async fn write_one<W: BatchWrite>(
    core: &Core,
    writer: &W,
    batch: Vec<W::Row>,
) -> DomainResult<W::Written> {
    let txn = core.begin().await?;
    let written = writer.write(&txn, batch).await?;
    txn.commit().await?;
    Ok(written)
}

/// Undoes committed batches, newest first. A busy database is waited for (a few tries): an
/// undo that gives up leaves a partial write behind, which is worth some patience.
async fn undo_all<W: BatchWrite>(core: &Core, writer: &W, done: &[W::Written]) -> DomainResult<()> {
    for written in done.iter().rev() {
        let mut tries = 0;
        loop {
            let attempt = async {
                let txn = core.begin().await?;
                writer.undo(&txn, written).await?;
                txn.commit().await?;
                Ok::<_, DomainError>(())
            }
            .await;
            match attempt {
                Ok(()) => break,
                Err(e) if e.code == ErrorCode::Unavailable && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
                }
                Err(e) => {
                    return Err(DomainError::internal(format!(
                        "a bulk write failed and undoing its committed batches failed too: {e}"
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records what it writes and undoes; fails on the batch holding `fail_on`.
    struct Recorder {
        fail_on: usize,
        log: Mutex<Vec<String>>,
    }

    impl BatchWrite for Recorder {
        type Row = usize;
        type Written = (usize, usize);

        async fn write(&self, _txn: &Tx, rows: Vec<usize>) -> DomainResult<(usize, usize)> {
            let (first, last) = (rows[0], rows[rows.len() - 1]);
            if rows.contains(&self.fail_on) {
                return Err(DomainError::conflict("taken meanwhile"));
            }
            self.log
                .lock()
                .unwrap()
                .push(format!("write {first}-{last}"));
            Ok((first, last))
        }

        async fn undo(&self, _txn: &Tx, w: &(usize, usize)) -> DomainResult<()> {
            self.log
                .lock()
                .unwrap()
                .push(format!("undo {}-{}", w.0, w.1));
            Ok(())
        }
    }

    async fn core() -> Core {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        let config = crate::config::Config {
            jwt_secret: Some("a-test-signing-key-of-at-least-32-bytes".into()),
            ..Default::default()
        };
        Core::build(config, db).await.unwrap()
    }

    #[tokio::test]
    async fn rows_are_written_in_batches() {
        let rec = Recorder {
            fail_on: usize::MAX,
            log: Mutex::default(),
        };
        let done = write_batches(&core().await, &rec, (0..1200).collect())
            .await
            .unwrap();
        assert_eq!(done, [(0, 499), (500, 999), (1000, 1199)]);
    }

    #[tokio::test]
    async fn a_failing_batch_undoes_the_committed_ones_newest_first() {
        let rec = Recorder {
            fail_on: 1100,
            log: Mutex::default(),
        };
        let err = write_batches(&core().await, &rec, (0..1600).collect())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert_eq!(
            *rec.log.lock().unwrap(),
            ["write 0-499", "write 500-999", "undo 500-999", "undo 0-499"]
        );
    }
}
