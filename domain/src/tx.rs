//! [`Tx`]: the transaction every write runs in, which also collects what the write makes
//! stale in the switch cache and announces it once the write is committed.
//!
//! Services open it with [`crate::Core::begin`] and pass `&txn` wherever a connection goes
//! (it is a [`ConnectionTrait`]). [`crate::services::audit::record`] takes a `&Tx` and adds
//! the changed tenant's [`CacheKey`] (every mutation writes an audit event), so a write
//! cannot forget to invalidate; [`Tx::commit`] commits, then bumps. A transaction dropped
//! without commit rolls back and announces nothing.
//!
//! The audit event also tells the transaction when the write changes what Kamailio nodes
//! serve (a domain, an extension, a tenant): [`Tx::commit`] then queues the nodes'
//! reconciles inside the transaction, before it commits (rule 2, the outbox), and wakes the
//! workers after.

use std::sync::Mutex;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};

use crate::{core::Core, switch::cache::CacheKey, switch::provisioning};

pub struct Tx {
    txn: DatabaseTransaction,
    core: Core,
    changed: Mutex<Vec<CacheKey>>,
    /// Whose provisioning this write changes: tenants (`Some`), or everything (`None`).
    reprovision: Mutex<Vec<Option<uuid::Uuid>>>,
}

impl Tx {
    pub(crate) fn new(txn: DatabaseTransaction, core: Core) -> Self {
        Self {
            txn,
            core,
            changed: Mutex::default(),
            reprovision: Mutex::default(),
        }
    }

    /// Notes that this write changes what switch nodes serve for `tenant` (and the tenants
    /// below it), or for everyone (`None`): their reconciles are queued when it commits.
    pub fn reprovisions(&self, tenant: Option<uuid::Uuid>) {
        match self.reprovision.lock() {
            Ok(mut scopes) => {
                if !scopes.contains(&tenant) {
                    scopes.push(tenant);
                }
            }
            Err(poisoned) => poisoned.into_inner().push(None),
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

    /// Queues the reconciles this write needs, commits, then announces the changes
    /// collected and wakes the workers.
    pub async fn commit(self) -> Result<(), DbErr> {
        let scopes = match self.reprovision.lock() {
            Ok(scopes) => scopes.clone(),
            Err(_) => vec![None],
        };
        let queued = if scopes.is_empty() {
            Vec::new()
        } else {
            provisioning::job::enqueue_all(&self, &scopes)
                .await
                .map_err(|e| DbErr::Custom(format!("queueing node reconciles: {e}")))?
        };
        let Self {
            txn, core, changed, ..
        } = self;
        txn.commit().await?;
        for q in queued {
            q.wake(&core).await;
        }
        let cache = &core.switch_cache;
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
