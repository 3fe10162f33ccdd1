//! Credit holds on one account, placed together (PostgreSQL).
//!
//! Every call a tenant places holds credit on the same row: its billing account. A row can
//! be changed by one transaction at a time, and each change waits for the one before it to
//! commit (its WAL flush included), so calls of one busy account queue on that row lock no
//! matter how many connections ask. Worse, the more statements wait on the lock, the more
//! work PostgreSQL does per call (lock waits, wake-ups): with 8 connections on one account
//! the authorization benchmark made 3× fewer calls per second than with 4.
//!
//! So within a process, holds on one account are not sent side by side. The first call
//! finding an account idle starts a *drain* for it; calls arriving while a statement is in
//! flight wait in the account's queue, and the drain then places **all of them in one
//! statement**:
//!
//! ```sql
//! WITH held AS (UPDATE billing_accounts SET held_micros = held_micros + :sum_of_holds,
//!                      active_calls = active_calls + :calls
//!               WHERE id = :account AND balance + credit − held ≥ :sum_of_holds
//!                 AND active_calls ≤ :max_calls − :calls  RETURNING id)
//! INSERT INTO call_authorizations (…) SELECT :row_1 FROM held UNION ALL SELECT :row_2 FROM held …
//! ```
//!
//! one round trip and one commit for the lot, the same all-or-nothing statement a single
//! call uses (a batch of one is exactly that statement). If the batch as a whole does not
//! fit (the account can pay for some of the calls but not all, or the tenant would pass its
//! concurrent-call limit) or fails (one call id was already authorized: a unique
//! violation), its calls are placed one by one, in arrival order, which decides each exactly
//! as if they had come alone. A call therefore waits for at most the statement in flight and
//! its own batch's.
//!
//! Other processes' holds on the account still contend on the row, one statement per process
//! at a time. SQLite (one writer) and calls of a reseller chain (several accounts, one
//! transaction) do not come through here.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{
    core::Core,
    entities::call_authorization,
    error::{DomainError, DomainResult},
};

/// The queues of holds waiting per account (and concurrent-call limit, which a batch shares).
#[derive(Default)]
pub struct HoldCombiner {
    queues: Mutex<HashMap<Key, Vec<Pending>>>,
    statements: AtomicU64,
    alone: AtomicU64,
    batched: AtomicU64,
}

/// What a process's combiner has done since it started (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldStats {
    /// Statements sent (batches, and calls placed one by one, refused ones included).
    pub statements: u64,
    /// Holds placed by a statement of their own.
    pub placed_alone: u64,
    /// Holds placed by a statement shared with other calls.
    pub placed_batched: u64,
}

type Key = (Uuid, Option<i32>);

/// One call waiting for its hold.
struct Pending {
    row: call_authorization::ActiveModel,
    hold: i64,
    /// `Ok(true)`: held and recorded; `Ok(false)`: refused (credit or call limit); `Err`: the
    /// statement failed (a duplicate call id among them).
    reply: oneshot::Sender<Result<bool, DbErr>>,
}

impl HoldCombiner {
    pub fn stats(&self) -> HoldStats {
        HoldStats {
            statements: self.statements.load(Ordering::Relaxed),
            placed_alone: self.alone.load(Ordering::Relaxed),
            placed_batched: self.batched.load(Ordering::Relaxed),
        }
    }

    /// Places the hold of one call paid by one account (`hold` on `account`, counting the
    /// call against `max_calls`) and records the call's row, all or nothing.
    pub(crate) async fn place(
        &self,
        core: &Core,
        row: call_authorization::ActiveModel,
        account: Uuid,
        hold: i64,
        max_calls: Option<i32>,
    ) -> DomainResult<Result<bool, DbErr>> {
        let key = (account, max_calls);
        let (reply, answer) = oneshot::channel();
        let lead = {
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            let lead = !queues.contains_key(&key);
            queues
                .entry(key)
                .or_default()
                .push(Pending { row, hold, reply });
            lead
        };
        if lead {
            // Its own task: the drain answers every call queued behind this one, so it must
            // go on even if this request's future is dropped (its client went away).
            let core = core.clone();
            tokio::spawn(async move { core.holds.drain(&core, key).await });
        }
        answer
            .await
            .map_err(|_| DomainError::internal("the hold of a call was never answered"))
    }

    /// Places the queued holds of `key`, a batch at a time, until none are left; then the
    /// next call starts a drain of its own.
    async fn drain(&self, core: &Core, key: Key) {
        loop {
            let batch = {
                let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                match queues.get_mut(&key) {
                    Some(q) if !q.is_empty() => std::mem::take(q),
                    _ => {
                        queues.remove(&key);
                        return;
                    }
                }
            };
            place_batch(core, key, batch).await;
        }
    }
}

async fn place_batch(core: &Core, (account, max_calls): Key, batch: Vec<Pending>) {
    let total = batch
        .iter()
        .try_fold(0i64, |sum, p| sum.checked_add(p.hold));
    if let (true, Some(total)) = (batch.len() > 1, total) {
        let calls = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        let rows = batch.iter().map(|p| p.row.clone()).collect();
        if let Ok(true) = execute(core, rows, account, total, calls, max_calls).await {
            let counted = u64::try_from(batch.len()).unwrap_or(u64::MAX);
            core.holds.batched.fetch_add(counted, Ordering::Relaxed);
            for p in batch {
                let _ = p.reply.send(Ok(true));
            }
            return;
        }
        // Not all of them fit, or one failed: each on its own decides which.
    }
    for p in batch {
        let placed = execute(core, vec![p.row], account, p.hold, 1, max_calls).await;
        if let Ok(true) = placed {
            core.holds.alone.fetch_add(1, Ordering::Relaxed);
        }
        // A caller that went away no longer wants its answer; its hold stays until the call
        // is ended or expires, like any other.
        let _ = p.reply.send(placed);
    }
}

/// The one statement placing `hold` for `calls` calls and recording their `rows`; whether
/// it did (every row inserted).
async fn execute(
    core: &Core,
    rows: Vec<call_authorization::ActiveModel>,
    account: Uuid,
    hold: i64,
    calls: i64,
    max_calls: Option<i32>,
) -> Result<bool, DbErr> {
    let expected = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    core.holds.statements.fetch_add(1, Ordering::Relaxed);
    let stmt = super::calls::hold_and_record(rows, account, hold, calls, max_calls)
        .map_err(|e| DbErr::Custom(e.detail))?;
    let done = core
        .db
        .execute_raw(DbBackend::Postgres.build(&stmt))
        .await?;
    Ok(done.rows_affected() == expected)
}
