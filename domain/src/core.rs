//! [`Core`]: everything a domain operation needs (database, configuration, keys, limiter),
//! built once at start-up and shared by the API and the worker.

use std::{sync::Arc, time::Duration};

use redis::aio::ConnectionManager;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::{
    config::Config,
    error::{DomainError, DomainResult},
    password::PasswordHasher,
    ratelimit::Limiter,
    tokens::TokenKeys,
};

pub struct CoreInner {
    pub db: DatabaseConnection,
    pub config: Config,
    pub keys: TokenKeys,
    pub hasher: PasswordHasher,
    pub limiter: Limiter,
    pub redis: Option<ConnectionManager>,
    /// Answers of `POST /v1/switch/route`, invalidated per tenant (see [`crate::switch::cache`]).
    pub route_cache: crate::switch::cache::SwitchCache<crate::switch::plan::RoutePlan>,
    /// Switch nodes by token digest (see `switch::nodes::authenticate`).
    pub node_cache: crate::switch::cache::SwitchCache<crate::entities::switch_node::Model>,
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct Core(Arc<CoreInner>);

impl std::ops::Deref for Core {
    type Target = CoreInner;
    fn deref(&self) -> &CoreInner {
        &self.0
    }
}

/// Opens the database named by the configuration. SQLite gets WAL and one writer; PostgreSQL
/// a pool. `search_path` (PostgreSQL only) lets tests give each run its own schema.
pub async fn connect(
    config: &Config,
    search_path: Option<&str>,
) -> DomainResult<DatabaseConnection> {
    let url = config.effective_database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(DomainError::internal)?;
    }
    let mut opts = ConnectOptions::new(url.clone());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("postgres") {
        opts.max_connections(config.database_max_connections)
            .min_connections(1);
        if let Some(schema) = search_path {
            opts.set_schema_search_path(schema.to_owned());
        }
    }
    let db = Database::connect(opts)
        .await
        .map_err(DomainError::internal)?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        )
        .await
        .map_err(DomainError::internal)?;
    }
    Ok(db)
}

impl Core {
    /// Builds the core from configuration: connects (and, for `serve`, migrates) the
    /// database, loads or creates the signing key, connects Redis when configured.
    pub async fn build(config: Config, db: DatabaseConnection) -> DomainResult<Self> {
        let keys = match &config.jwt_secret {
            Some(secret) => TokenKeys::from_secret(secret.as_bytes())?,
            None => TokenKeys::load_or_create(&config.data_dir).map_err(DomainError::internal)?,
        };
        let redis = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).map_err(DomainError::internal)?;
                Some(
                    ConnectionManager::new(client)
                        .await
                        .map_err(DomainError::internal)?,
                )
            }
            None => None,
        };
        if let Some(url) = &config.redis_url {
            let client = redis::Client::open(url.as_str()).map_err(DomainError::internal)?;
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            crate::switch::cache::set_publisher(tx);
            let channel = format!("{}pbx-changed", config.redis_prefix);
            tokio::spawn(crate::switch::cache::run_redis_bridge(client, channel, rx));
        }
        let limiter = match &redis {
            Some(conn) => Limiter::redis(conn.clone(), config.redis_prefix.clone()),
            None => Limiter::memory(),
        };
        Ok(Self(Arc::new(CoreInner {
            db,
            hasher: PasswordHasher::new(config.password_hash_concurrency),
            config,
            keys,
            limiter,
            redis,
            route_cache: Default::default(),
            node_cache: Default::default(),
        })))
    }

    /// Readiness: the database answers, and Redis too when configured.
    pub async fn ready(&self) -> Result<(), String> {
        self.db.ping().await.map_err(|e| format!("database: {e}"))?;
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            let _: String = redis::cmd("PING")
                .query_async(&mut conn)
                .await
                .map_err(|e| format!("redis: {e}"))?;
        }
        Ok(())
    }
}
