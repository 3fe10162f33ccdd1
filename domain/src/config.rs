//! Runtime configuration: an optional TOML file overlaid by `CENTRALITA_*` environment variables.
//!
//! Every key has a default that yields the embedded mode (SQLite in the data directory, no
//! Redis, in-process worker), so `centralita serve` runs with no configuration at all. The keys
//! are documented in the README; keep both lists in step.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::{Deserialize, Serialize};

use crate::ratelimit::{IpNets, TrustedProxies};

/// Output format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite file, the generated signing key and the mail outbox.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; default: `sqlite://<data_dir>/centralita.db`.
    pub database_url: Option<String>,
    /// Maximum pooled database connections (PostgreSQL; SQLite always uses one writer).
    pub database_max_connections: u32,
    /// How long a request waits for a free database connection (or, on SQLite, for the
    /// writer) before it is answered 503 `unavailable` with `Retry-After`, in seconds.
    pub database_acquire_timeout_secs: u64,
    /// `redis://...`; when set, rate limits and worker wake-ups go through Redis.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key this process writes, so several deployments can share a server.
    pub redis_prefix: String,
    /// HMAC key for access tokens (at least 32 bytes); default: generated into the data directory.
    pub jwt_secret: Option<String>,
    /// Bearer token `/metrics` requires; none: `/metrics` is open (bind the API to a private
    /// address, or set this, before exposing it).
    pub metrics_token: Option<String>,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, in seconds.
    pub refresh_token_ttl_secs: u64,
    /// Failed logins of one account from one client address within `login_window_secs`
    /// before that address is refused for that account (429); the owner elsewhere is not.
    pub login_max_failures_per_account_address: u32,
    /// Failed logins from one client address (any accounts) within `login_window_secs`
    /// before that address is refused (429).
    pub login_max_failures_per_address: u32,
    /// Failed logins of one account from all addresses within `login_window_secs` beyond
    /// which each further failure is answered a second later per failure (at most
    /// [`crate::ratelimit::MAX_ACCOUNT_DELAY_SECS`]): a slow-down, never a lock.
    pub login_account_slowdown_after: u32,
    /// Window of the failed-login counters, in seconds.
    pub login_window_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (addresses or CIDR blocks);
    /// from any other peer the header is ignored. Empty: the TCP peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// Concurrent password hash computations (each takes 19 MiB and a core for tens of ms).
    pub password_hash_concurrency: usize,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Log line format: `text` or `json`.
    pub log_format: LogFormat,
    /// E-mail of the first platform admin, created by `serve` on an empty database.
    pub bootstrap_admin_email: Option<String>,
    /// Password of that admin; when absent a strong one is generated and printed once.
    pub bootstrap_admin_password: Option<String>,
    /// HTTP worker threads (default: one per core).
    pub http_workers: Option<usize>,
    /// Whether `serve` runs the job worker in-process.
    pub embedded_worker: bool,
    /// Serve the web app from this directory (a `vite build` output) instead of the copy
    /// built into the binary: for working on the app against a running server and for its
    /// end-to-end tests, without recompiling. Production leaves it unset.
    pub web_dir: Option<std::path::PathBuf>,
    /// Where stored files (voicemail audio, IVR greetings) live: none, the data directory;
    /// `s3://bucket[/prefix]`, an S3-compatible object store shared by every process.
    pub storage_url: Option<String>,
    /// The S3-compatible server (MinIO, Ceph, …): `https://host:port`; none, AWS itself.
    pub storage_s3_endpoint: Option<String>,
    /// The bucket's region (default `us-east-1`).
    pub storage_s3_region: Option<String>,
    /// Access key; none, the `AWS_*` variables or the instance's role.
    pub storage_s3_access_key_id: Option<String>,
    /// Secret key (never logged).
    pub storage_s3_secret_access_key: Option<String>,
    /// Where a standalone worker (`centralita worker`) answers `/livez` and `/readyz`, for
    /// its supervisor (Kubernetes probes, a load balancer's checks); none: no HTTP at all.
    pub worker_probe_listen: Option<SocketAddr>,
    /// Seconds a worker holds a job without renewing it (it renews three times per lease):
    /// also how long the job of a worker that died waits before another worker takes it.
    pub job_lease_secs: u64,
    /// Longest call `POST /v1/switch/calls` grants, in seconds (default 14,400: four
    /// hours), however much credit an account has; the credit hold covers it.
    pub max_call_seconds: u32,
    /// Seconds after a call's granted duration before the hold of a call no switch ended is
    /// released (default 300).
    pub hold_grace_secs: u32,
    /// Whether a carrier trunk whose buy rate for a number exceeds the tenant's sell rate
    /// may carry the call (default false: such trunks are left out).
    pub allow_negative_margin: bool,
    /// Digit prefixes no tenant's call reaches unless its spend policy allows the prefix
    /// (toll fraud: satellite networks, international premium and shared-cost services).
    pub fraud_deny_prefixes: Vec<String>,
    /// AES-256-GCM key that encrypts trunk passwords at rest (they must be sent to carriers,
    /// so they cannot be hashed): 32 bytes as 64 hex digits or 44 characters of base64
    /// (`openssl rand -base64 32`). Never generated: losing it makes every stored trunk
    /// password unreadable, so it must be set and backed up deliberately.
    pub trunk_secret_key: Option<String>,
    /// SMTP server voicemail e-mails go through; none: each e-mail is written as an `.eml`
    /// file into `<data_dir>/outbox` (the embedded default needs no mail server).
    pub smtp_host: Option<String>,
    /// SMTP port; default 587 for `starttls`, 465 for `tls`, 25 for `none`.
    pub smtp_port: Option<u16>,
    /// `starttls` (upgrade required), `tls` (implicit TLS) or `none` (plain: allowed only
    /// towards a relay on a loopback address, and never with credentials).
    pub smtp_tls: SmtpTls,
    /// SMTP user name (with `smtp_password`).
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<String>,
    /// The `From` of voicemail e-mails (`Name <address>` or an address).
    pub smtp_from: String,
    /// How long one SMTP conversation may take, in seconds.
    pub smtp_timeout_secs: u64,
    /// Addresses and CIDR blocks a managed install may reach although they are loopback,
    /// link-local, cloud-metadata, private or otherwise reserved (see
    /// [`crate::ssh::target`]); empty: only public addresses.
    pub install_allowed_targets: IpNets,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS; the upgrade is required.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for a relay on the same host.
    None,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 16,
            database_acquire_timeout_secs: 5,
            redis_url: None,
            redis_prefix: "centralita:".into(),
            jwt_secret: None,
            metrics_token: None,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            login_max_failures_per_account_address: 5,
            login_max_failures_per_address: 20,
            login_account_slowdown_after: 10,
            login_window_secs: 300,
            trusted_proxies: TrustedProxies::default(),
            password_hash_concurrency: 2,
            max_body_bytes: 256 * 1024,
            log_format: LogFormat::Text,
            bootstrap_admin_email: None,
            bootstrap_admin_password: None,
            http_workers: None,
            worker_probe_listen: None,
            web_dir: None,
            storage_url: None,
            storage_s3_endpoint: None,
            storage_s3_region: None,
            storage_s3_access_key_id: None,
            storage_s3_secret_access_key: None,
            embedded_worker: true,
            job_lease_secs: crate::services::jobs::DEFAULT_LEASE_SECS,
            max_call_seconds: 14_400,
            hold_grace_secs: 300,
            allow_negative_margin: false,
            fraud_deny_prefixes: crate::services::billing::policy::DEFAULT_FRAUD_PREFIXES
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            trunk_secret_key: None,
            smtp_host: None,
            smtp_port: None,
            smtp_tls: SmtpTls::default(),
            smtp_username: None,
            smtp_password: None,
            smtp_from: "Centralita Voicemail <voicemail@centralita.invalid>".into(),
            smtp_timeout_secs: 30,
            install_allowed_targets: IpNets::default(),
        }
    }
}

impl Config {
    /// Loads defaults, then the TOML file (if given), then `CENTRALITA_*` variables.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(figment::providers::Serialized::defaults(Config::default()));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        // Unknown keys are refused (a typo must not silently fall back to a default), except
        // the variables that are not configuration keys: `CENTRALITA_CONFIG` (the file),
        // `CENTRALITA_ADMIN_PASSWORD` (an `admin create-user` argument) and the test
        // suite's `CENTRALITA_TEST_*`.
        fig = fig.merge(Env::prefixed("CENTRALITA_").filter(|key| {
            let key = key.as_str();
            !key.eq_ignore_ascii_case("config")
                && !key.eq_ignore_ascii_case("admin_password")
                && !key.to_ascii_lowercase().starts_with("test_")
        }));
        fig.extract().map_err(Box::new)
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("centralita.db").display()
            ),
        }
    }
}
