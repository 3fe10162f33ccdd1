//! The switch-surface cache and its invalidation.
//!
//! Switch answers (`route`, later `directory`) are cached per process, tagged with the
//! tenant's *generation*. Every mutation writes an audit event (rule 7), and
//! [`crate::services::audit::record`] calls [`tenant_changed`], which bumps the tenant's
//! generation: every cached answer of that tenant is stale from then on, without scanning
//! the cache. With Redis configured the bump is published on `<prefix>pbx-changed`, and every
//! process bumps its own generation when it hears it, so replicas invalidate too.
//!
//! The bump happens inside the writing transaction, a moment before its commit; an answer
//! computed in that moment from the old rows could be cached under the new generation. So
//! every change bumps twice: at once, and again [`SETTLE`] later, when the transaction has
//! committed. The time-to-live bounds what is left (a lost Redis message, a transaction
//! slower than `SETTLE`) to [`TTL`].

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex, OnceLock},
    time::Duration,
};

use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

/// Longest an answer is served from the cache.
pub const TTL: Duration = Duration::from_secs(300);

/// When the second bump of a change happens.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Most answers kept per process.
pub const CAPACITY: u64 = 200_000;

static GENERATIONS: LazyLock<Mutex<HashMap<Uuid, u64>>> = LazyLock::new(Default::default);
static PUBLISHER: OnceLock<UnboundedSender<Uuid>> = OnceLock::new();

/// The current generation of a tenant's configuration.
pub fn generation(tenant: Uuid) -> u64 {
    GENERATIONS
        .lock()
        .map(|g| g.get(&tenant).copied().unwrap_or(0))
        .unwrap_or(u64::MAX)
}

/// Bumps the tenant's generation here, without telling other processes (for messages
/// received from them).
pub fn bump_local(tenant: Uuid) {
    if let Ok(mut g) = GENERATIONS.lock() {
        *g.entry(tenant).or_insert(0) += 1;
    }
}

/// Something in the tenant's configuration changed: stale answers everywhere, now and
/// once more after [`SETTLE`].
pub fn tenant_changed(tenant: Uuid) {
    announce(tenant);
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            tokio::time::sleep(SETTLE).await;
            announce(tenant);
        });
    }
}

fn announce(tenant: Uuid) {
    bump_local(tenant);
    if let Some(tx) = PUBLISHER.get() {
        let _ = tx.send(tenant);
    }
}

/// Installs the sender that forwards local changes to Redis (once per process).
pub fn set_publisher(tx: UnboundedSender<Uuid>) {
    let _ = PUBLISHER.set(tx);
}

/// A cache of answers of type `V`, each tagged with its tenant and generation.
pub struct SwitchCache<V: Clone + Send + Sync + 'static> {
    entries: moka::sync::Cache<String, (Uuid, u64, Arc<V>)>,
}

impl<V: Clone + Send + Sync + 'static> Default for SwitchCache<V> {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
        }
    }
}

impl<V: Clone + Send + Sync + 'static> SwitchCache<V> {
    /// The cached answer for `key`, unless its tenant changed since it was stored.
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let (tenant, generation_at, value) = self.entries.get(key)?;
        (generation(tenant) == generation_at).then_some(value)
    }

    /// Stores an answer computed while the tenant was at `generation_at` (read it *before*
    /// computing, so a change during the computation makes the entry stale at once).
    pub fn put(&self, key: String, tenant: Uuid, generation_at: u64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        self.entries
            .insert(key, (tenant, generation_at, value.clone()));
        value
    }
}

/// Forwards local changes to Redis and applies the changes other processes publish.
/// Runs until the process ends; reconnects after errors.
pub async fn run_redis_bridge(
    client: redis::Client,
    channel: String,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Uuid>,
) {
    let publish = {
        let client = client.clone();
        let channel = channel.clone();
        async move {
            while let Some(tenant) = rx.recv().await {
                match client.get_multiplexed_async_connection().await {
                    Ok(mut conn) => {
                        let sent: Result<i64, _> = redis::cmd("PUBLISH")
                            .arg(&channel)
                            .arg(tenant.to_string())
                            .query_async(&mut conn)
                            .await;
                        if let Err(e) = sent {
                            tracing::warn!(error = %e, "could not publish a configuration change");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not publish a configuration change")
                    }
                }
            }
        }
    };
    let subscribe = async move {
        loop {
            match client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if pubsub.subscribe(&channel).await.is_ok() {
                        use futures_util::StreamExt;
                        let mut stream = pubsub.on_message();
                        while let Some(msg) = stream.next().await {
                            if let Ok(text) = msg.get_payload::<String>()
                                && let Ok(tenant) = text.parse::<Uuid>()
                            {
                                bump_local(tenant);
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "configuration-change subscription failed"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::join!(publish, subscribe);
}
