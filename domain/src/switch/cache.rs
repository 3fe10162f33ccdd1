//! The switch-surface cache and its invalidation, owned by [`crate::Core`].
//!
//! Switches ask on every call setup, so answers are cached per process: the serialized
//! route answer (the bytes the handler sends) and the node a token belongs to. Each entry is
//! stamped with the *generation* of the [`CacheKey`] it was computed from (and of
//! [`CacheKey::Platform`]); a change bumps the generation, and every entry stamped with the
//! old one is stale from then on, without scanning the cache.
//!
//! Changes are announced **after commit**: a writing service opens its transaction with
//! [`crate::Core::begin`], which gives a [`crate::tx::Tx`]; the audit event every mutation
//! writes adds the key of the tenant it is about (or [`CacheKey::Platform`]), and
//! [`crate::tx::Tx::commit`] commits, then bumps. A reader stamps *before* computing, so an
//! answer computed from rows a commit is replacing carries the old generation and is stale
//! as soon as the bump lands. With Redis configured the bump is also published on
//! `<prefix>pbx-changed` through the core's one connection, and each process's subscriber
//! bumps its own generations; the subscriber stops when its cache (its `Core`) is dropped.
//! The time-to-live bounds what a lost Redis message can leave to [`TTL`].
//!
//! A process with Redis configured serves cached answers only while its subscription
//! stands: when Redis goes away it cannot hear the others' changes, so it answers from the
//! database every time (slower, never stale) until it has resubscribed, which stales
//! everything cached before. Its own commits still try to publish, but briefly
//! ([`PUBLISH_TIMEOUT_UNHEARD`]), so an outage does not add seconds to every write.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use redis::aio::ConnectionManager;

use crate::{entities::switch_node, ids::TenantId, services::billing::calls::CallSetup};

/// Longest an answer is served from the cache.
pub const TTL: Duration = Duration::from_secs(300);

/// Most answers kept per process (per kind of answer).
pub const CAPACITY: usize = 200_000;

/// Longest a commit waits to publish its change on Redis before logging and going on.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// The same while this process's own subscription is down: Redis is most likely down too.
const PUBLISH_TIMEOUT_UNHEARD: Duration = Duration::from_millis(200);

/// What a change makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// One tenant's configuration: the answers about its calls.
    Tenant(TenantId),
    /// Platform resources (switch nodes, carrier trunks, the DID inventory, platform staff):
    /// every answer, of every tenant, and every node authentication. Platform changes are
    /// rare, so they are not told apart.
    Platform,
}

impl CacheKey {
    /// The key as published on Redis.
    fn message(self) -> String {
        match self {
            Self::Tenant(t) => format!("tenant:{}", t.0),
            Self::Platform => "platform".into(),
        }
    }

    /// A key published by [`Self::message`]; `None` for anything else.
    fn parse(message: &str) -> Option<Self> {
        match message.split_once(':') {
            Some(("tenant", id)) => id.parse().ok().map(|id| Self::Tenant(TenantId(id))),
            None if message == "platform" => Some(Self::Platform),
            _ => None,
        }
    }
}

/// The generation of every key that changed since this process started (absent: 0).
#[derive(Default)]
struct Generations(RwLock<HashMap<CacheKey, u64>>);

impl Generations {
    fn get(&self, key: CacheKey) -> u64 {
        self.0
            .read()
            .map(|g| g.get(&key).copied().unwrap_or(0))
            // A poisoned lock: a generation nothing was stamped with, so nothing is served.
            .unwrap_or(u64::MAX)
    }

    fn bump(&self, key: CacheKey) {
        if let Ok(mut g) = self.0.write() {
            *g.entry(key).or_insert(0) += 1;
        }
    }

    fn stamp(&self, keys: impl IntoIterator<Item = CacheKey>) -> Stamp {
        Stamp {
            at: keys.into_iter().map(|k| (k, self.get(k))).collect(),
            platform_at: self.get(CacheKey::Platform),
        }
    }

    fn current(&self, s: &Stamp) -> bool {
        self.get(CacheKey::Platform) == s.platform_at
            && s.at.iter().all(|(key, at)| self.get(*key) == *at)
    }
}

/// The generations an answer was computed at: take it *before* reading the rows.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// Usually one key; the tenants of a reseller chain for what depends on all of them.
    at: Arc<[(CacheKey, u64)]>,
    platform_at: u64,
}

/// Answers of one kind, by request key.
///
/// A `quick_cache` (CLOCK-Pro eviction, no background work, a lookup is a hash and a probe)
/// rather than `moka`: on a cache hit the lookup is most of the route's own work, and
/// moka's per-read bookkeeping measured as several times the rest of it. The time-to-live
/// is checked on read.
struct Answers<V: Clone + Send + Sync + 'static>(quick_cache::sync::Cache<String, Entry<V>>);

#[derive(Clone)]
struct Entry<V> {
    stamp: Stamp,
    at: Instant,
    value: V,
}

impl<V: Clone + Send + Sync + 'static> Answers<V> {
    fn new() -> Self {
        Self(quick_cache::sync::Cache::new(CAPACITY))
    }

    fn get(&self, generations: &Generations, heard: bool, key: &str) -> Option<V> {
        if !heard {
            return None;
        }
        let e = self.0.get(key)?;
        (generations.current(&e.stamp) && e.at.elapsed() < TTL).then_some(e.value)
    }

    fn insert(&self, key: String, stamp: Stamp, value: V) {
        self.0.insert(
            key,
            Entry {
                stamp,
                at: Instant::now(),
                value,
            },
        );
    }
}

/// Where changes are published, and the subscriber that hears the other processes'.
struct Bridge {
    conn: ConnectionManager,
    channel: String,
    subscriber: tokio::task::AbortHandle,
    /// Whether the subscription stands, so that the other processes' changes are heard.
    listening: Arc<AtomicBool>,
}

/// The cache of one [`crate::Core`]: route answers, node authentications, the generations
/// they are checked against, and the Redis bridge when configured.
pub struct SwitchCache {
    generations: Arc<Generations>,
    routes: Answers<Bytes>,
    nodes: Answers<Arc<switch_node::Model>>,
    calls: Answers<Arc<CallSetup>>,
    bridge: Option<Bridge>,
}

impl Drop for SwitchCache {
    fn drop(&mut self) {
        if let Some(b) = &self.bridge {
            b.subscriber.abort();
        }
    }
}

impl SwitchCache {
    /// A cache of this process only.
    pub fn local() -> Self {
        Self {
            generations: Arc::default(),
            routes: Answers::new(),
            nodes: Answers::new(),
            calls: Answers::new(),
            bridge: None,
        }
    }

    /// A cache that publishes its changes on `<prefix>pbx-changed` through `conn`, and
    /// subscribes (through `client`) to the other processes' until it is dropped.
    pub fn with_redis(client: redis::Client, conn: ConnectionManager, prefix: &str) -> Self {
        let mut cache = Self::local();
        let channel = format!("{prefix}pbx-changed");
        let listening = Arc::new(AtomicBool::new(false));
        let subscriber = tokio::spawn(subscribe(
            client,
            channel.clone(),
            cache.generations.clone(),
            listening.clone(),
        ))
        .abort_handle();
        cache.bridge = Some(Bridge {
            conn,
            channel,
            subscriber,
            listening,
        });
        cache
    }

    /// Whether cached answers may be served: always for a process of its own, and with
    /// Redis only while the subscription to the other processes' changes stands.
    fn heard(&self) -> bool {
        self.bridge
            .as_ref()
            .is_none_or(|b| b.listening.load(Ordering::Acquire))
    }

    /// The generations to stamp an answer about `key` with.
    pub fn stamp(&self, key: CacheKey) -> Stamp {
        self.generations.stamp([key])
    }

    /// The generations to stamp an answer that depends on all of `keys` with.
    pub fn stamp_all(&self, keys: impl IntoIterator<Item = CacheKey>) -> Stamp {
        self.generations.stamp(keys)
    }

    /// The serialized route answer for `key`, unless what it was computed from changed.
    pub fn route(&self, key: &str) -> Option<Bytes> {
        self.routes.get(&self.generations, self.heard(), key)
    }

    pub fn put_route(&self, key: String, stamp: Stamp, answer: Bytes) {
        self.routes.insert(key, stamp, answer);
    }

    /// The node authenticated by a token digest, unless the registry changed since.
    pub fn node(&self, digest: &str) -> Option<Arc<switch_node::Model>> {
        self.nodes.get(&self.generations, self.heard(), digest)
    }

    pub fn put_node(&self, digest: String, stamp: Stamp, node: Arc<switch_node::Model>) {
        self.nodes.insert(digest, stamp, node);
    }

    /// What the outbound calls of a SIP domain's tenant are decided from, unless any tenant
    /// of its chain (or the platform) changed since.
    pub(crate) fn call_setup(&self, domain: &str) -> Option<Arc<CallSetup>> {
        self.calls.get(&self.generations, self.heard(), domain)
    }

    pub(crate) fn put_call_setup(&self, domain: String, stamp: Stamp, setup: Arc<CallSetup>) {
        self.calls.insert(domain, stamp, setup);
    }

    /// Committed changes: stale here at once, and in the other processes when Redis carries
    /// the message (a failure to publish is logged; the TTL bounds its effect).
    pub async fn changed(&self, keys: &[CacheKey]) {
        if keys.is_empty() {
            return;
        }
        for key in keys {
            self.generations.bump(*key);
        }
        let Some(bridge) = &self.bridge else {
            return;
        };
        let message = keys
            .iter()
            .map(|k| k.message())
            .collect::<Vec<_>>()
            .join(" ");
        let mut conn = bridge.conn.clone();
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(&bridge.channel).arg(message);
        let timeout = if bridge.listening.load(Ordering::Acquire) {
            PUBLISH_TIMEOUT
        } else {
            PUBLISH_TIMEOUT_UNHEARD
        };
        match tokio::time::timeout(timeout, publish.query_async::<i64>(&mut conn)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not publish a configuration change"),
            Err(_) => tracing::warn!("publishing a configuration change timed out"),
        }
    }
}

/// Applies the changes other processes publish, until aborted; resubscribes after errors.
async fn subscribe(
    client: redis::Client,
    channel: String,
    generations: Arc<Generations>,
    listening: Arc<AtomicBool>,
) {
    use futures_util::StreamExt;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if pubsub.subscribe(&channel).await.is_ok() {
                    // Changes published before this moment (at start-up, or while the
                    // subscription was down) were not heard: whatever was cached meanwhile
                    // may be stale, so it all goes once the subscription stands.
                    generations.bump(CacheKey::Platform);
                    listening.store(true, Ordering::Release);
                    let mut stream = pubsub.on_message();
                    while let Some(msg) = stream.next().await {
                        let text = msg.get_payload::<String>().unwrap_or_default();
                        for word in text.split(' ') {
                            match CacheKey::parse(word) {
                                Some(key) => generations.bump(key),
                                None => {
                                    // From another version of Centralita, perhaps: staling
                                    // everything is always correct.
                                    tracing::warn!(message = %word, "unknown configuration-change message");
                                    generations.bump(CacheKey::Platform);
                                }
                            }
                        }
                    }
                    // The connection ended: nothing is heard until the next subscription.
                    listening.store(false, Ordering::Release);
                    tracing::warn!("configuration-change subscription lost; serving uncached");
                }
            }
            Err(e) => tracing::warn!(error = %e, "configuration-change subscription failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let t = CacheKey::Tenant(TenantId(uuid::Uuid::now_v7()));
        assert_eq!(CacheKey::parse(&t.message()), Some(t));
        assert_eq!(
            CacheKey::parse(&CacheKey::Platform.message()),
            Some(CacheKey::Platform)
        );
        assert_eq!(CacheKey::parse("tenant:nope"), None);
        assert_eq!(CacheKey::parse("nodes"), None);
    }

    #[tokio::test]
    async fn a_change_stales_its_tenant_and_a_platform_change_everything() {
        let cache = SwitchCache::local();
        let (a, b) = (
            CacheKey::Tenant(TenantId(uuid::Uuid::now_v7())),
            CacheKey::Tenant(TenantId(uuid::Uuid::now_v7())),
        );
        cache.put_route("a".into(), cache.stamp(a), Bytes::from_static(b"A"));
        cache.put_route("b".into(), cache.stamp(b), Bytes::from_static(b"B"));
        cache.changed(&[a]).await;
        assert_eq!(cache.route("a"), None);
        assert_eq!(cache.route("b"), Some(Bytes::from_static(b"B")));
        cache.changed(&[CacheKey::Platform]).await;
        assert_eq!(cache.route("b"), None);
    }

    #[tokio::test]
    async fn an_answer_computed_across_a_change_is_never_served() {
        let cache = SwitchCache::local();
        let a = CacheKey::Tenant(TenantId(uuid::Uuid::now_v7()));
        let stamp = cache.stamp(a);
        cache.changed(&[a]).await; // the commit lands while the answer is computed
        cache.put_route("a".into(), stamp, Bytes::from_static(b"old"));
        assert_eq!(cache.route("a"), None);
    }

    #[tokio::test]
    async fn two_caches_share_nothing() {
        let (one, two) = (SwitchCache::local(), SwitchCache::local());
        let a = CacheKey::Tenant(TenantId(uuid::Uuid::now_v7()));
        two.put_route("a".into(), two.stamp(a), Bytes::from_static(b"A"));
        one.changed(&[a]).await;
        assert_eq!(two.route("a"), Some(Bytes::from_static(b"A")));
    }

    /// A cache with the Redis bridge, when the suite runs with Redis.
    async fn redis_cache(prefix: &str) -> Option<SwitchCache> {
        let url = std::env::var("CENTRALITA_TEST_REDIS_URL").ok()?;
        let client = redis::Client::open(url).unwrap();
        let conn = ConnectionManager::new(client.clone()).await.unwrap();
        Some(SwitchCache::with_redis(client, conn, prefix))
    }

    #[tokio::test]
    async fn a_change_reaches_another_process_and_the_subscriber_ends_with_its_cache() {
        let prefix = format!("centralita-test:{}:", uuid::Uuid::now_v7().simple());
        let (Some(one), Some(two)) = (redis_cache(&prefix).await, redis_cache(&prefix).await)
        else {
            println!("skipped: CENTRALITA_TEST_REDIS_URL is not set");
            return;
        };
        let a = CacheKey::Tenant(TenantId(uuid::Uuid::now_v7()));
        // Nothing is served from `two` until its subscription stands.
        for _ in 0..200 {
            if two.heard() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        two.put_route("a".into(), two.stamp(a), Bytes::from_static(b"A"));
        assert_eq!(two.route("a"), Some(Bytes::from_static(b"A")));
        // `one` may not be connected yet: publish until the change arrives.
        let mut tries = 0;
        while two.route("a").is_some() {
            tries += 1;
            assert!(tries < 100, "the change never arrived");
            one.changed(&[a]).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let subscriber = two.bridge.as_ref().unwrap().subscriber.clone();
        assert!(!subscriber.is_finished());
        drop(two);
        for _ in 0..100 {
            if subscriber.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            subscriber.is_finished(),
            "the subscriber outlived its cache"
        );
    }

    /// A process whose subscription does not stand (Redis down, or not reached yet) cannot
    /// hear the others' changes, so it serves nothing from its cache; a write of its own
    /// does not wait the full publish timeout either.
    #[tokio::test]
    async fn a_cache_that_hears_nothing_serves_nothing() {
        let Ok(url) = std::env::var("CENTRALITA_TEST_REDIS_URL") else {
            println!("skipped: CENTRALITA_TEST_REDIS_URL is not set");
            return;
        };
        let live = redis::Client::open(url).unwrap();
        let conn = ConnectionManager::new(live).await.unwrap();
        // The subscriber's server: a loopback port nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let deaf = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        let prefix = format!("centralita-test:{}:", uuid::Uuid::now_v7().simple());
        let cache = SwitchCache::with_redis(deaf, conn, &prefix);
        let a = CacheKey::Tenant(TenantId(uuid::Uuid::now_v7()));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!cache.heard());
        cache.put_route("a".into(), cache.stamp(a), Bytes::from_static(b"A"));
        assert_eq!(cache.route("a"), None);
        let started = std::time::Instant::now();
        cache.changed(&[a]).await;
        assert!(started.elapsed() < PUBLISH_TIMEOUT);
        // A cache of one process alone always serves.
        let local = SwitchCache::local();
        local.put_route("a".into(), local.stamp(a), Bytes::from_static(b"A"));
        assert_eq!(local.route("a"), Some(Bytes::from_static(b"A")));
    }
}
