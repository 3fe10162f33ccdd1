//! A Kamailio node as the reconcile sees it: its database (the schema of the Debian
//! package's SQL files: `domain`, `subscriber`) and its JSON-RPC over HTTP.
//!
//! Every statement is parameterised; names and digests are data, never SQL. The node's URLs
//! carry credentials: errors name the node's host and what failed, never the URL.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Diff, NodeState};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// Where a Kamailio node's database and JSON-RPC are. Sealed at rest, never returned.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KamailioSettings {
    /// `postgres://user:password@host:port/database` of the node's Kamailio database.
    #[schema(min_length = 1, max_length = 1000)]
    pub db_url: String,
    /// The node's JSON-RPC over HTTP, e.g. `http://127.0.0.1:5080/RPC`.
    #[schema(min_length = 1, max_length = 1000)]
    pub rpc_url: String,
}

impl std::fmt::Debug for KamailioSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KamailioSettings { .. }")
    }
}

impl KamailioSettings {
    /// Checks both URLs: a PostgreSQL URL naming a host and a database, an HTTP(S) URL
    /// naming a host. Field errors under `kamailio.`.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let db_ok = reqwest::Url::parse(&self.db_url).is_ok_and(|u| {
            matches!(u.scheme(), "postgres" | "postgresql")
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.path().len() > 1
        });
        if !db_ok || self.db_url.len() > 1000 {
            errors.push(FieldError::new(
                "kamailio.db_url",
                "invalid_url",
                "must be postgres://user[:password]@host[:port]/database",
            ));
        }
        let rpc_ok = reqwest::Url::parse(&self.rpc_url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
        if !rpc_ok || self.rpc_url.len() > 1000 {
            errors.push(FieldError::new(
                "kamailio.rpc_url",
                "invalid_url",
                "must be http(s)://host[:port]/path of the node's JSON-RPC",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// `host:port` of each URL, for messages that must not show credentials.
    fn db_host(&self) -> String {
        host_of(&self.db_url)
    }

    fn rpc_host(&self) -> String {
        host_of(&self.rpc_url)
    }
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(
        |_| "?".into(),
        |u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("?"),
                u.port_or_known_default().unwrap_or(0)
            )
        },
    )
}

/// A failure talking to the node: an operator-facing message without credentials.
fn node_error(what: &str, host: &str, cause: &dyn std::fmt::Display, url: &str) -> DomainError {
    let mut text = cause.to_string().replace(url, "***");
    if let Some(password) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
        .filter(|p| !p.is_empty())
    {
        text = text.replace(&password, "***");
    }
    DomainError::new(ErrorCode::Unavailable, format!("{what} ({host}): {text}"))
}

/// An error with its chain of causes (reqwest's own message omits "connection refused").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An open connection to a node's database.
pub struct NodeDb {
    conn: DatabaseConnection,
    settings: KamailioSettings,
}

impl NodeDb {
    pub async fn connect(settings: &KamailioSettings) -> DomainResult<Self> {
        let mut opts = ConnectOptions::new(settings.db_url.clone());
        opts.max_connections(1)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        let conn = Database::connect(opts).await.map_err(|e| {
            node_error(
                "cannot reach the node database",
                &settings.db_host(),
                &e,
                &settings.db_url,
            )
        })?;
        Ok(Self {
            conn,
            settings: settings.clone(),
        })
    }

    fn fail(&self, what: &str, e: &dyn std::fmt::Display) -> DomainError {
        node_error(what, &self.settings.db_host(), e, &self.settings.db_url)
    }

    /// What the node serves now: all of it (`dids` `None`), or the domains whose `did` is
    /// one of `dids` or whose name is in `names`, with their subscribers.
    pub async fn read(&self, dids: Option<&[String]>, names: &[String]) -> DomainResult<NodeState> {
        let mut state = NodeState::default();
        let domains = match dids {
            None => Statement::from_string(
                DbBackend::Postgres,
                "SELECT domain, COALESCE(did, '') AS did FROM domain",
            ),
            Some(dids) => Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT domain, COALESCE(did, '') AS did FROM domain \
                 WHERE did = ANY(string_to_array($1, ',')) \
                 OR domain = ANY(string_to_array($2, ','))",
                [dids.join(",").into(), names.join(",").into()],
            ),
        };
        let rows = self
            .conn
            .query_all_raw(domains)
            .await
            .map_err(|e| self.fail("cannot read the node's domains", &e))?;
        for row in rows {
            let name: String = row
                .try_get("", "domain")
                .map_err(|e| self.fail("bad domain row", &e))?;
            let did: String = row
                .try_get("", "did")
                .map_err(|e| self.fail("bad domain row", &e))?;
            state.domains.insert(name, did);
        }
        let subscribers = match dids {
            None => Statement::from_string(
                DbBackend::Postgres,
                "SELECT username, domain, ha1, ha1b FROM subscriber",
            ),
            Some(_) => {
                let mut scoped: Vec<&str> = names.iter().map(String::as_str).collect();
                scoped.extend(state.domains.keys().map(String::as_str));
                Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT username, domain, ha1, ha1b FROM subscriber \
                     WHERE domain = ANY(string_to_array($1, ','))",
                    [scoped.join(",").into()],
                )
            }
        };
        let rows = self
            .conn
            .query_all_raw(subscribers)
            .await
            .map_err(|e| self.fail("cannot read the node's subscribers", &e))?;
        for row in rows {
            let get = |col: &str| -> DomainResult<String> {
                row.try_get("", col)
                    .map_err(|e| self.fail("bad subscriber row", &e))
            };
            state.subscribers.insert(
                (get("username")?, get("domain")?),
                (get("ha1")?, get("ha1b")?),
            );
        }
        Ok(state)
    }

    /// Writes the rows of `diff` in one transaction of the node's database.
    pub async fn apply(&self, diff: &Diff) -> DomainResult<()> {
        let txn = self
            .conn
            .begin()
            .await
            .map_err(|e| self.fail("cannot open a node transaction", &e))?;
        let run = |sql: &'static str, values: Vec<sea_orm::Value>| {
            Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
        };
        for (user, domain) in &diff.subscribers_removed {
            txn.execute_raw(run(
                "DELETE FROM subscriber WHERE username = $1 AND domain = $2",
                vec![user.clone().into(), domain.clone().into()],
            ))
            .await
            .map_err(|e| self.fail("cannot remove a subscriber", &e))?;
        }
        for name in &diff.domains_removed {
            txn.execute_raw(run(
                "DELETE FROM domain WHERE domain = $1",
                vec![name.clone().into()],
            ))
            .await
            .map_err(|e| self.fail("cannot remove a domain", &e))?;
        }
        for (name, did) in &diff.domain_upserts {
            txn.execute_raw(run(
                "INSERT INTO domain (domain, did, last_modified) VALUES ($1, $2, now()) \
                 ON CONFLICT (domain) DO UPDATE SET did = EXCLUDED.did, last_modified = now()",
                vec![name.clone().into(), did.clone().into()],
            ))
            .await
            .map_err(|e| self.fail("cannot write a domain", &e))?;
        }
        for ((user, domain), (ha1, ha1b)) in &diff.subscriber_upserts {
            txn.execute_raw(run(
                "INSERT INTO subscriber (username, domain, password, ha1, ha1b) \
                 VALUES ($1, $2, '', $3, $4) \
                 ON CONFLICT (username, domain) DO UPDATE \
                 SET password = '', ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b",
                vec![
                    user.clone().into(),
                    domain.clone().into(),
                    ha1.clone().into(),
                    ha1b.clone().into(),
                ],
            ))
            .await
            .map_err(|e| self.fail("cannot write a subscriber", &e))?;
        }
        txn.commit()
            .await
            .map_err(|e| self.fail("cannot commit the node transaction", &e))
    }

    pub async fn close(self) {
        let _ = self.conn.close().await;
    }

    /// The live registrations (`location` rows not yet expired) of users of `domains`,
    /// at most `limit`, soonest to expire last. usrloc writes them back every
    /// `timer_interval` (30 s), so a registration shows up to that late.
    pub async fn registrations(
        &self,
        domains: &[String],
        limit: u64,
    ) -> DomainResult<Vec<LocationRow>> {
        let rows = self
            .conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT username, domain, contact, COALESCE(received, '') AS received,                  COALESCE(user_agent, '') AS user_agent, expires                  FROM location WHERE domain = ANY(string_to_array($1, ','))                  AND expires > now() ORDER BY username, expires DESC LIMIT $2",
                [domains.join(",").into(), (limit as i64).into()],
            ))
            .await
            .map_err(|e| self.fail("cannot read the node's registrations", &e))?;
        rows.into_iter()
            .map(|row| {
                let get = |col: &str| -> DomainResult<String> {
                    row.try_get("", col)
                        .map_err(|e| self.fail("bad location row", &e))
                };
                let expires: chrono::NaiveDateTime = row
                    .try_get("", "expires")
                    .map_err(|e| self.fail("bad location row", &e))?;
                Ok(LocationRow {
                    username: get("username")?,
                    domain: get("domain")?,
                    contact: get("contact")?,
                    received: get("received")?,
                    user_agent: get("user_agent")?,
                    expires: expires.and_utc(),
                })
            })
            .collect()
    }
}

/// One contact of a registered phone, as the node's `location` table holds it.
#[derive(Debug, Clone)]
pub struct LocationRow {
    pub username: String,
    pub domain: String,
    pub contact: String,
    /// Where the REGISTER really came from (behind NAT), when it differs from the contact.
    pub received: String,
    pub user_agent: String,
    pub expires: chrono::DateTime<chrono::Utc>,
}

/// The calls a node holds now, read from it live.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NodeCalls {
    /// Calls being set up: routed or ringing, not answered yet.
    pub setting_up: i64,
    /// Calls answered and going on.
    pub in_progress: i64,
    /// Every call (dialog) the node holds.
    pub total: i64,
    /// When the node was asked.
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// The node's JSON-RPC over HTTP.
pub struct Rpc {
    client: reqwest::Client,
    settings: KamailioSettings,
}

#[derive(Deserialize)]
struct RpcAnswer {
    error: Option<RpcError>,
    result: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RpcError {
    code: Option<i64>,
    message: Option<String>,
}

impl Rpc {
    pub fn new(settings: &KamailioSettings) -> DomainResult<Self> {
        // No idle connections: Kamailio's xhttp closes each connection after its reply
        // without saying so, and a reused one fails the next call.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(0)
            .build()
            .map_err(DomainError::internal)?;
        Ok(Self {
            client,
            settings: settings.clone(),
        })
    }

    /// Calls `method` with `params`; an error answer is an error.
    async fn call(&self, method: &str, params: serde_json::Value) -> DomainResult<()> {
        self.call_for(method, params).await.map(|_| ())
    }

    /// Calls `method` with `params`; answers its `result` (null when it has none).
    async fn call_for(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> DomainResult<serde_json::Value> {
        let host = self.settings.rpc_host();
        let secret = &self.settings.rpc_url;
        let body =
            serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
        let res = self
            .client
            .post(&self.settings.rpc_url)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                node_error(
                    &format!("JSON-RPC {method} failed"),
                    &host,
                    &with_causes(&e),
                    secret,
                )
            })?;
        let status = res.status();
        let text = res
            .text()
            .await
            .map_err(|e| node_error(&format!("JSON-RPC {method} failed"), &host, &e, secret))?;
        let answer: Option<RpcAnswer> = serde_json::from_str(&text).ok();
        match answer {
            Some(RpcAnswer {
                error: None,
                result,
            }) if status.is_success() => Ok(result.unwrap_or_default()),
            Some(RpcAnswer { error: Some(e), .. }) => Err(node_error(
                &format!("JSON-RPC {method} answered an error"),
                &host,
                &format_args!(
                    "{} {}",
                    e.code.unwrap_or_default(),
                    e.message.unwrap_or_default()
                ),
                secret,
            )),
            _ => Err(node_error(
                &format!("JSON-RPC {method} answered HTTP {status}"),
                &host,
                &text.chars().take(200).collect::<String>(),
                secret,
            )),
        }
    }

    /// Makes Kamailio re-read its `domain` table (it caches it).
    pub async fn reload_domains(&self) -> DomainResult<()> {
        self.call("domain.reload", serde_json::json!([])).await
    }

    /// The node's dialogs by state (`dlg.stats_active`, from the dialog module, which only
    /// an edge that routes calls loads).
    pub async fn active_calls(&self) -> DomainResult<NodeCalls> {
        let v = self
            .call_for("dlg.stats_active", serde_json::json!([]))
            .await?;
        let count = |k: &str| {
            v.get(k).and_then(serde_json::Value::as_i64).ok_or_else(|| {
                DomainError::internal(format!("dlg.stats_active answered without {k}: {v}"))
            })
        };
        Ok(NodeCalls {
            setting_up: count("starting")? + count("connecting")?,
            in_progress: count("answering")? + count("ongoing")?,
            total: count("all")?,
            read_at: chrono::Utc::now(),
        })
    }

    /// Ends the live registrations of `aor` (`user@domain`); harmless when there are none.
    pub async fn end_registrations(&self, aor: &str) -> DomainResult<()> {
        self.call("ul.rm", serde_json::json!(["location", aor]))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(db: &str, rpc: &str) -> KamailioSettings {
        KamailioSettings {
            db_url: db.into(),
            rpc_url: rpc.into(),
        }
    }

    #[test]
    fn urls_are_checked() {
        let ok = settings(
            "postgres://kam:pw@10.0.0.5:5432/kamailio",
            "http://127.0.0.1:5080/RPC",
        );
        assert!(ok.validate().is_ok());
        for (db, rpc, field) in [
            ("mysql://kam@h/db", "http://h/RPC", "kamailio.db_url"),
            ("postgres://h", "http://h/RPC", "kamailio.db_url"),
            ("not a url", "http://h/RPC", "kamailio.db_url"),
            ("postgres://h/db", "ftp://h/RPC", "kamailio.rpc_url"),
            ("postgres://h/db", "h:5080", "kamailio.rpc_url"),
        ] {
            let errors = settings(db, rpc).validate().expect_err(db);
            assert_eq!(errors[0].field, field, "{db} {rpc}");
        }
    }

    #[test]
    fn errors_and_debug_never_show_the_password() {
        let s = settings("postgres://kam:s3cret@db.example:5433/k", "http://h/RPC");
        assert_eq!(format!("{s:?}"), "KamailioSettings { .. }");
        let e = node_error(
            "cannot reach",
            &s.db_host(),
            &"failed for postgres://kam:s3cret@db.example:5433/k (password s3cret)",
            &s.db_url,
        );
        assert!(!e.detail.contains("s3cret"), "{}", e.detail);
        assert!(e.detail.contains("db.example:5433"), "{}", e.detail);
    }
}
