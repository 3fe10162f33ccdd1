//! [`Tx`]: the transaction every write runs in, which also collects what the write makes
//! stale in the switch cache and announces it once the write is committed.
//!
//! Services open it with [`crate::Core::begin`] and pass `&txn` wherever a connection goes
//! (it is a [`ConnectionTrait`]). [`crate::services::audit::record`] takes a `&Tx` and adds
//! the changed tenant's [`CacheKey`] (every mutation writes an audit event), so a write
//! cannot forget to invalidate; [`Tx::commit`] commits, then bumps. A transaction dropped
//! without commit rolls back and announces nothing.

use std::sync::{Arc, Mutex};

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};

use crate::switch::cache::{CacheKey, SwitchCache};

pub struct Tx {
    txn: DatabaseTransaction,
    cache: Arc<SwitchCache>,
    changed: Mutex<Vec<CacheKey>>,
}

impl Tx {
    pub(crate) fn new(txn: DatabaseTransaction, cache: Arc<SwitchCache>) -> Self {
        Self {
            txn,
            cache,
            changed: Mutex::default(),
        }
    }

    /// Notes that this write makes answers about `key` stale, from its commit on.
    pub fn invalidates(&self, key: CacheKey) {
        if let Ok(mut keys) = self.changed.lock()
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }

    /// Rolls back: nothing changed, nothing to announce.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// Commits, then announces the changes collected.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Self {
            txn,
            cache,
            changed,
        } = self;
        txn.commit().await?;
        let keys = match changed.into_inner() {
            Ok(keys) => keys,
            // Poisoned while collecting: the keys are unknown, so everything goes.
            Err(_) => vec![CacheKey::Platform],
        };
        cache.changed(&keys).await;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
