//! Failed-login counters: fixed windows per key, in-process by default, in Redis when
//! configured so that limits hold across API replicas.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use redis::aio::ConnectionManager;

use crate::error::{DomainError, DomainResult};

pub enum Limiter {
    Memory(Mutex<HashMap<String, (u32, Instant)>>),
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
}

impl Limiter {
    pub fn memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    pub fn redis(conn: ConnectionManager, prefix: String) -> Self {
        Self::Redis { conn, prefix }
    }

    /// How many failures `key` has in the current window, and seconds until it ends.
    pub async fn failures(&self, key: &str, window: Duration) -> DomainResult<(u32, u64)> {
        match self {
            Self::Memory(map) => {
                let map = map.lock().map_err(DomainError::internal)?;
                Ok(match map.get(key) {
                    Some((n, start)) if start.elapsed() < window => {
                        (*n, (window - start.elapsed()).as_secs().max(1))
                    }
                    _ => (0, 0),
                })
            }
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let full = format!("{prefix}ratelimit:{key}");
                let (n, ttl): (Option<u32>, i64) = redis::pipe()
                    .get(&full)
                    .ttl(&full)
                    .query_async(&mut conn)
                    .await
                    .map_err(DomainError::internal)?;
                Ok((n.unwrap_or(0), ttl.max(1) as u64))
            }
        }
    }

    /// Counts one failure against `key`.
    pub async fn record_failure(&self, key: &str, window: Duration) -> DomainResult<()> {
        match self {
            Self::Memory(map) => {
                let mut map = map.lock().map_err(DomainError::internal)?;
                if map.len() > 100_000 {
                    map.retain(|_, (_, start)| start.elapsed() < window);
                }
                let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
                if entry.1.elapsed() >= window {
                    *entry = (0, Instant::now());
                }
                entry.0 += 1;
                Ok(())
            }
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let full = format!("{prefix}ratelimit:{key}");
                // NX: the window starts at the first failure and is not extended by later ones.
                let _: () = redis::pipe()
                    .incr(&full, 1)
                    .ignore()
                    .cmd("EXPIRE")
                    .arg(&full)
                    .arg(window.as_secs())
                    .arg("NX")
                    .ignore()
                    .query_async(&mut conn)
                    .await
                    .map_err(DomainError::internal)?;
                Ok(())
            }
        }
    }

    /// Forgets the failures of `key` (after a successful login).
    pub async fn reset(&self, key: &str) -> DomainResult<()> {
        match self {
            Self::Memory(map) => {
                map.lock().map_err(DomainError::internal)?.remove(key);
                Ok(())
            }
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let _: () = redis::cmd("DEL")
                    .arg(format!("{prefix}ratelimit:{key}"))
                    .query_async(&mut conn)
                    .await
                    .map_err(DomainError::internal)?;
                Ok(())
            }
        }
    }
}
