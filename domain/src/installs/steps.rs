//! The steps of an install, and how one runs on the host.
//!
//! Each host-side step is a script of `deploy/kamailio/install/`, embedded in the binary
//! (so what runs on a host is exactly what this version ships, with nothing to fetch) and
//! sent on the standard input of `bash -s -- ARGS` under `timeout`, as root (`sudo -n` for
//! another user). Its arguments are Centralita's own values (the node key, ports, the
//! checked address), each [`quote`]d; nothing from a request reaches a shell unquoted.
//! Files a step needs are uploaded first with `install -D -m MODE /dev/stdin PATH`: the
//! content travels on the channel's standard input, never on a command line, so the node
//! database password in `node.env` and `db.password` shows up in no `ps` listing.
//!
//! Every script is idempotent (run twice, the second run changes nothing and says so), which
//! is what lets a job killed mid-step simply run the step again.
//!
//! On the host, a node lives under its key (12 hex digits of the install id), so several
//! nodes may share a host: `/var/lib/centralita-node/KEY` (scripts, config, `node.env`),
//! `/run/centralita-node-KEY` (runtime), database and role `centralita_node_KEY`.

use std::{collections::BTreeMap, time::Duration};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ssh::{ExecOutput, Lines, Session, SshError, quote};

/// The steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    /// OS family and version, root or sudo, free disk, the SIP and RPC ports free.
    Preflight,
    /// Kamailio, its PostgreSQL modules, and PostgreSQL for the node's local database.
    Packages,
    /// The node's Kamailio database, schema and role.
    Database,
    /// The node's config, rendered from `deploy/kamailio/` and checked with `kamailio -c`.
    Configuration,
    /// Kamailio running under systemd, or a supervisor where there is none.
    Service,
    /// JSON-RPC `core.version` on the host and a SIP OPTIONS from outside both answer.
    Health,
    /// The node registered as a switch node, and its first reconcile run.
    Enroll,
}

impl StepName {
    pub const ALL: [StepName; 7] = [
        Self::Preflight,
        Self::Packages,
        Self::Database,
        Self::Configuration,
        Self::Service,
        Self::Health,
        Self::Enroll,
    ];

    /// What an upgrade runs again: steps 2-6.
    pub const UPGRADE: [StepName; 5] = [
        Self::Packages,
        Self::Database,
        Self::Configuration,
        Self::Service,
        Self::Health,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Preflight => "preflight",
            Self::Packages => "packages",
            Self::Database => "database",
            Self::Configuration => "configuration",
            Self::Service => "service",
            Self::Health => "health",
            Self::Enroll => "enroll",
        }
    }

    /// How long the step's script may run on the host.
    pub(crate) const fn timeout(self) -> Duration {
        match self {
            Self::Packages => Duration::from_secs(900),
            Self::Database | Self::Configuration | Self::Service => Duration::from_secs(120),
            Self::Preflight | Self::Health | Self::Enroll => Duration::from_secs(60),
        }
    }
}

/// The scripts, embedded.
pub(crate) mod scripts {
    pub const PREFLIGHT: &str = include_str!("../../../deploy/kamailio/install/preflight.sh");
    pub const PACKAGES: &str = include_str!("../../../deploy/kamailio/install/packages.sh");
    pub const DATABASE: &str = include_str!("../../../deploy/kamailio/install/database.sh");
    pub const CONFIG: &str = include_str!("../../../deploy/kamailio/install/config.sh");
    pub const SERVICE: &str = include_str!("../../../deploy/kamailio/install/service.sh");
    pub const HEALTH: &str = include_str!("../../../deploy/kamailio/install/health.sh");
    /// The node's files from `deploy/kamailio/`.
    pub const KAMAILIO_CFG: &str = include_str!("../../../deploy/kamailio/kamailio.cfg");
    pub const START_SH: &str = include_str!("../../../deploy/kamailio/start.sh");
    pub const STOP_SH: &str = include_str!("../../../deploy/kamailio/stop.sh");
    pub const NODE_DB_SH: &str = include_str!("../../../deploy/kamailio/node-db.sh");
}

/// Where a node lives on its host, by its key.
pub(crate) struct NodePaths {
    pub key: String,
}

impl NodePaths {
    pub fn dir(&self) -> String {
        format!("/var/lib/centralita-node/{}", self.key)
    }

    pub fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.dir())
    }

    pub fn run_dir(&self) -> String {
        format!("/run/centralita-node-{}", self.key)
    }

    /// The node database's name, which is also its role's.
    pub fn database(&self) -> String {
        format!("centralita_node_{}", self.key)
    }
}

/// The most output kept of each stream of a step.
pub(crate) const OUTPUT_CAP: usize = 64 * 1024;

/// What a step's script did on the host.
#[derive(Debug, Clone)]
pub(crate) struct Ran {
    /// The exit code; `None` when the script was killed by a signal (its name in `output`).
    pub exit_code: Option<i32>,
    /// stdout then stderr, redacted, bounded.
    pub output: String,
    /// `result.NAME=VALUE` lines of stdout.
    pub result: BTreeMap<String, String>,
    /// The last line of stderr: the reason a failed script gives.
    pub reason: Option<String>,
}

impl Ran {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// Commands on one host, as root, with the install's secrets redacted from what comes back.
pub(crate) struct Remote<'a> {
    pub session: &'a Session,
    /// Prefix commands with `sudo -n` (the install logs in as another user than root).
    pub sudo: bool,
    /// Values never to show: replaced by `[redacted]` in every output kept.
    pub secrets: Vec<String>,
    /// Where a running script's output lines go as they come (unredacted: the receiver
    /// redacts with [`redact`] before anything is stored).
    pub live: Option<Lines>,
}

impl Remote<'_> {
    /// Adds `line` to the live log (when there is one): what Centralita itself found in a
    /// step, beside what the host printed.
    pub fn say(&self, line: &str) {
        if let Some(live) = &self.live {
            let _ = live.send(line.to_owned());
        }
    }

    fn prefix(&self) -> &'static str {
        if self.sudo { "sudo -n " } else { "" }
    }

    /// Writes `content` to `path` with `mode` (parent directories made 0700).
    pub async fn upload(&self, path: &str, mode: &str, content: &str) -> Result<Ran, SshError> {
        let dir = path.rsplit_once('/').map_or("/", |(d, _)| d);
        let command = format!(
            "{p}install -d -m 0700 {dir} && {p}install -m {mode} /dev/stdin {path}",
            p = self.prefix(),
            dir = quote(dir),
            mode = quote(mode),
            path = quote(path),
        );
        let out = self
            .session
            .exec(
                &command,
                Some(content.as_bytes().to_vec()),
                OUTPUT_CAP,
                Duration::from_secs(60),
            )
            .await?;
        Ok(self.ran(&out))
    }

    /// Uploads `files` (name in the node's directory, mode, content), then runs `script`;
    /// a failed upload is the step's answer.
    pub async fn step(
        &self,
        paths: &NodePaths,
        files: &[(&str, &str, &str)],
        script: &str,
        args: &[String],
        timeout: Duration,
    ) -> Result<Ran, SshError> {
        for (name, mode, content) in files {
            let up = self.upload(&paths.file(name), mode, content).await?;
            if !up.succeeded() {
                return Ok(up);
            }
        }
        self.script(script, args, timeout).await
    }

    /// Runs `script` with `args` under `timeout` (bounded on the host too: the script is
    /// killed there, not just abandoned here).
    pub async fn script(
        &self,
        script: &str,
        args: &[String],
        timeout: Duration,
    ) -> Result<Ran, SshError> {
        let secs = timeout.as_secs().max(1);
        let mut command = format!("{}timeout -k 10 {secs} bash -s --", self.prefix());
        for a in args {
            command.push(' ');
            command.push_str(&quote(a));
        }
        let out = self
            .session
            .exec_live(
                &command,
                Some(script.as_bytes().to_vec()),
                OUTPUT_CAP,
                timeout + Duration::from_secs(20),
                self.live.as_ref(),
            )
            .await?;
        Ok(self.ran(&out))
    }

    fn ran(&self, out: &ExecOutput) -> Ran {
        let stdout = redact(
            &self.secrets,
            &String::from_utf8_lossy(&out.stdout),
            out.truncated,
        );
        let stderr = redact(
            &self.secrets,
            &String::from_utf8_lossy(&out.stderr),
            out.truncated,
        );
        let mut result = BTreeMap::new();
        for line in stdout.lines() {
            if let Some((k, v)) = line
                .strip_prefix("result.")
                .and_then(|rest| rest.split_once('='))
            {
                result.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        let mut output = stdout;
        if !stderr.is_empty() {
            if !output.is_empty() && !output.ends_with('\n') {
                output.push('\n');
            }
            output.push_str(&stderr);
        }
        if out.truncated {
            output.push_str("\n[output truncated]");
        }
        if let Some(sig) = &out.exit_signal {
            output.push_str(&format!("\n[killed by signal {sig}]"));
        }
        let exit_code = out
            .exit_status
            .map(|c| i32::try_from(c).unwrap_or(i32::MAX));
        let reason = stderr
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| l.chars().take(500).collect())
            .or_else(|| match exit_code {
                Some(124) => Some("timed out on the host".to_owned()),
                _ => None,
            });
        Ran {
            exit_code,
            output,
            result,
            reason,
        }
    }
}

/// Removes every secret from `text`; with `cut`, also a secret's beginning left at the end
/// by truncation (output is bounded before it is redacted).
pub(crate) fn redact(secrets: &[String], text: &str, cut: bool) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), "[redacted]");
        if cut {
            for n in (1..s.len()).rev() {
                if s.is_char_boundary(n) && out.ends_with(&s[..n]) {
                    out.truncate(out.len() - n);
                    out.push_str("[redacted]");
                    break;
                }
            }
        }
    }
    out
}

/// The node's settings as `start.sh` reads them (`KAM_*`), one `KEY=value` line each. Every
/// value is Centralita's own: an IPv4 address, ports, paths under the node key, and a URL
/// whose password is letters and digits.
pub(crate) fn node_env(
    paths: &NodePaths,
    sip_addr: &str,
    sip_port: u16,
    rpc_port: u16,
    db_password: &str,
) -> String {
    let db = paths.database();
    format!(
        "# Generated by Centralita's managed install; rerun the install's upgrade instead of editing.\n\
         KAM_SIP_ADDR={sip_addr}\n\
         KAM_SIP_PORT={sip_port}\n\
         KAM_RPC_ADDR=127.0.0.1\n\
         KAM_RPC_PORT={rpc_port}\n\
         KAM_DB_URL=postgres://{db}:{db_password}@127.0.0.1:5432/{db}\n\
         KAM_RUN_DIR={run}\n\
         KAM_CFG={cfg}\n",
        run = paths.run_dir(),
        cfg = paths.file("kamailio.cfg"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_a_distinct_stored_name() {
        let names: std::collections::HashSet<_> =
            StepName::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), StepName::ALL.len());
        for s in StepName::ALL {
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, serde_json::json!(s.as_str()));
        }
    }

    #[test]
    fn secrets_are_redacted_whole_and_where_output_was_cut() {
        let secrets = vec!["Pa55word9xyz".to_owned()];
        assert_eq!(
            redact(
                &secrets,
                "url postgres://u:Pa55word9xyz@h and Pa55word9xyz",
                false
            ),
            "url postgres://u:[redacted]@h and [redacted]"
        );
        // Truncation left the first 7 characters at the end.
        assert_eq!(redact(&secrets, "tail: Pa55wor", true), "tail: [redacted]");
        assert_eq!(redact(&secrets, "tail: Pa55wor", false), "tail: Pa55wor");
    }

    #[test]
    fn node_env_holds_only_safe_values() {
        let paths = NodePaths {
            key: "0123456789ab".into(),
        };
        let env = node_env(&paths, "192.0.2.10", 5060, 5080, "Secret23");
        assert!(env.contains("KAM_DB_URL=postgres://centralita_node_0123456789ab:Secret23@"));
        assert!(env.contains("KAM_RUN_DIR=/run/centralita-node-0123456789ab\n"));
        for line in env.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                !line.contains(['"', '\'', ' ', '$', '`', '\\']),
                "unsafe character in {line}"
            );
        }
    }
}
