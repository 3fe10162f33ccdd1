//! SSH to a customer's host, for managed installs: the key pair an install logs in with,
//! the host-key check, and running one command with bounded output.
//!
//! Centralita never handles a password for a customer's host. Each install gets its own
//! Ed25519 key pair ([`InstallKey::generate`]): the customer puts the public half (one
//! `authorized_keys` line) on the host, and the private half is kept sealed and only ever
//! decoded here, in memory, to log in.
//!
//! The host is identified by its host key's SHA-256 fingerprint, written the way
//! `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it (`SHA256:…`). A connection
//! either checks the key against an expected fingerprint ([`HostKeyCheck::Expect`]: the one
//! the customer gave, or the one pinned on first contact) or accepts whatever the host
//! presents and reports it to be pinned ([`HostKeyCheck::FirstUse`]). A mismatch fails
//! before anything is sent to the host: no authentication, no command. Ed25519 host keys
//! are asked for first, so the fingerprint to give is the Ed25519 one.
//!
//! Commands run through the remote user's shell, so every value placed in one is quoted
//! with [`quote`]; the commands themselves are Centralita's own, never text from a request.
//! A command's output is kept up to a bound (the rest is counted, not stored) and the
//! command has a deadline. russh has no deadline of its own for connecting, logging in or
//! running, so each is wrapped here; a command that outlives its deadline is abandoned by
//! closing its channel (the remote side should bound itself too, e.g. with `timeout`).
//!
//! [`target`] decides which hosts may be reached at all.

pub mod target;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use rand::RngCore;
use russh::{
    ChannelMsg,
    client::{self, AuthResult},
    keys::{
        HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate,
        ssh_key::{LineEnding, private::Ed25519Keypair},
    },
};

/// A fresh install's key pair.
pub struct InstallKey {
    /// The public key as one `authorized_keys` line (`ssh-ed25519 AAAA… comment`).
    pub authorized_key: String,
    /// The private key in OpenSSH's format; to be sealed before it is stored.
    pub private_openssh: String,
    /// The public key's fingerprint (`SHA256:…`), as the host's `sshd` logs it.
    pub fingerprint: String,
}

impl InstallKey {
    /// A new Ed25519 key pair; `comment` ends the `authorized_keys` line (say, which install).
    pub fn generate(comment: &str) -> Result<Self, SshError> {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
        seed.fill(0);
        key.set_comment(comment);
        let public = key.public_key();
        Ok(Self {
            authorized_key: public.to_openssh().map_err(SshError::key)?,
            private_openssh: key
                .to_openssh(LineEnding::LF)
                .map_err(SshError::key)?
                .to_string(),
            fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
        })
    }
}

/// How the host's key is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// The host must present the key with this fingerprint (`SHA256:…`).
    Expect(String),
    /// Any key is accepted, and its fingerprint reported to be pinned.
    FirstUse,
}

/// Where to log in.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub user: &'a str,
}

/// Why an SSH step failed; each message is safe to show (no key material, no output).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    #[error("could not connect to {target}: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("the host presented key {presented}, not the expected {expected}")]
    HostKeyMismatch { expected: String, presented: String },
    #[error("the host refused the install's key for user {user}")]
    AuthRejected {
        user: String,
        /// The host's key, which passed the check before logging in was tried: an install
        /// pins it now, so a host answering later with another key is refused.
        host_key: String,
    },
    #[error("{what} took longer than {seconds} s")]
    Timeout { what: &'static str, seconds: u64 },
    #[error("the install's key cannot be used: {0}")]
    Key(String),
    #[error("SSH failed: {0}")]
    Protocol(String),
}

impl SshError {
    fn key(e: impl std::fmt::Display) -> Self {
        Self::Key(e.to_string())
    }

    fn protocol(e: impl std::fmt::Display) -> Self {
        Self::Protocol(e.to_string())
    }
}

/// Deadlines of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// TCP connect, key exchange and host-key check.
    pub connect: Duration,
    /// Logging in.
    pub auth: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(20),
            auth: Duration::from_secs(20),
        }
    }
}

/// What one command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status, if the command exited (not when it was killed by a signal).
    pub exit_status: Option<u32>,
    /// The signal that ended it, if one did.
    pub exit_signal: Option<String>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Whether output beyond the bound was dropped.
    pub truncated: bool,
}

impl ExecOutput {
    /// Whether the command exited with status 0.
    pub fn succeeded(&self) -> bool {
        self.exit_status == Some(0)
    }
}

/// The host-key check, run by russh during the key exchange.
struct Checker {
    check: HostKeyCheck,
    /// What the host presented, for the caller to pin or report.
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        // Host certificates are never asked for; one arriving anyway is refused.
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            return Ok(false);
        };
        let presented = key.fingerprint(HashAlg::Sha256).to_string();
        let matches = match &self.check {
            HostKeyCheck::FirstUse => true,
            HostKeyCheck::Expect(expected) => same_fingerprint(expected, &presented),
        };
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(presented);
        Ok(matches)
    }
}

/// Fingerprints compare without base64 padding (`ssh-keygen` prints none, some tools do).
fn same_fingerprint(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('=') == b.trim().trim_end_matches('=')
}

/// A logged-in connection to a host.
pub struct Session {
    handle: Arc<client::Handle<Checker>>,
    /// The fingerprint of the key the host presented (and passed the check).
    pub host_key: String,
}

impl Session {
    /// Connects, checks the host key, and logs in as `target.user` with the install's
    /// private key (OpenSSH format).
    pub async fn connect(
        target: Target<'_>,
        private_openssh: &str,
        check: &HostKeyCheck,
        deadlines: Deadlines,
    ) -> Result<Self, SshError> {
        let key = PrivateKey::from_openssh(private_openssh).map_err(SshError::key)?;
        let config = Arc::new(client::Config {
            // A long silent command (a package install) is kept alive by keepalives, whose
            // answers count as activity; a host that stops answering them is given up on.
            inactivity_timeout: Some(Duration::from_secs(600)),
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 4,
            nodelay: true,
            ..Default::default()
        });
        let seen = Arc::new(Mutex::new(None));
        let checker = Checker {
            check: check.clone(),
            seen: seen.clone(),
        };
        let described = format!("{}:{}", target.host, target.port);
        let connected = tokio::time::timeout(
            deadlines.connect,
            client::connect(config, (target.host, target.port), checker),
        )
        .await;
        let presented = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut handle = match connected {
            Err(_) => {
                return Err(SshError::Timeout {
                    what: "connecting",
                    seconds: deadlines.connect.as_secs(),
                });
            }
            Ok(Err(russh::Error::UnknownKey)) => {
                return Err(match (check, presented) {
                    (HostKeyCheck::Expect(expected), Some(presented)) => {
                        SshError::HostKeyMismatch {
                            expected: expected.clone(),
                            presented,
                        }
                    }
                    _ => SshError::Protocol("the host presented a certificate".into()),
                });
            }
            Ok(Err(russh::Error::IO(e))) => {
                return Err(SshError::Unreachable {
                    target: described,
                    reason: e.to_string(),
                });
            }
            Ok(Err(e)) => return Err(SshError::protocol(e)),
            Ok(Ok(handle)) => handle,
        };
        let host_key = presented.ok_or_else(|| SshError::Protocol("no host key seen".into()))?;
        let auth = tokio::time::timeout(
            deadlines.auth,
            handle.authenticate_publickey(
                target.user,
                // The hash algorithm only matters for RSA keys; ours are Ed25519.
                PrivateKeyWithHashAlg::new(Arc::new(key), None),
            ),
        )
        .await
        .map_err(|_| SshError::Timeout {
            what: "logging in",
            seconds: deadlines.auth.as_secs(),
        })?
        .map_err(SshError::protocol)?;
        if let AuthResult::Failure { .. } = auth {
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, "", "en")
                .await;
            return Err(SshError::AuthRejected {
                user: target.user.to_owned(),
                host_key,
            });
        }
        Ok(Self {
            handle: Arc::new(handle),
            host_key,
        })
    }

    /// Runs `command` (through the remote user's shell), feeding it `stdin` if given, and
    /// keeps at most `cap` bytes of each of stdout and stderr. Fails on `deadline`.
    pub async fn exec(
        &self,
        command: &str,
        stdin: Option<Vec<u8>>,
        cap: usize,
        deadline: Duration,
    ) -> Result<ExecOutput, SshError> {
        self.exec_live(command, stdin, cap, deadline, None).await
    }

    /// [`Session::exec`], also sending each complete line of output to `lines` as it
    /// arrives (at most [`LIVE_LINES`] lines, each cut at 1,000 bytes): what a long step
    /// prints is seen while it runs, not only when it ends.
    pub async fn exec_live(
        &self,
        command: &str,
        stdin: Option<Vec<u8>>,
        cap: usize,
        deadline: Duration,
        lines: Option<&Lines>,
    ) -> Result<ExecOutput, SshError> {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(SshError::protocol)?;
        channel
            .exec(true, command)
            .await
            .map_err(SshError::protocol)?;
        let (mut read, write) = channel.split();
        // The input is written while the output is read: russh delivers a channel's
        // messages through a bounded queue, and a writer that never reads stalls the whole
        // connection once it fills.
        let writer = async {
            if let Some(data) = stdin {
                write.data_bytes(data).await.map_err(SshError::protocol)?;
            }
            write.eof().await.map_err(SshError::protocol)
        };
        let reader = async {
            let mut out = ExecOutput::default();
            let mut live = LiveLines::new(lines);
            while let Some(msg) = read.wait().await {
                match msg {
                    ChannelMsg::Data { data } => {
                        keep(&mut out.stdout, &data, cap, &mut out.truncated);
                        live.feed(0, &data);
                    }
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        keep(&mut out.stderr, &data, cap, &mut out.truncated);
                        live.feed(1, &data);
                    }
                    ChannelMsg::ExitStatus { exit_status } => out.exit_status = Some(exit_status),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        out.exit_signal = Some(format!("{signal_name:?}"));
                    }
                    ChannelMsg::Failure => {
                        return Err(SshError::Protocol(
                            "the host refused to run a command".into(),
                        ));
                    }
                    // Eof comes before the exit status; Close ends the loop (wait() is None).
                    _ => {}
                }
            }
            live.flush();
            Ok(out)
        };
        let ran = tokio::time::timeout(deadline, async { tokio::try_join!(writer, reader) }).await;
        match ran {
            Ok(Ok(((), out))) => Ok(out),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                let _ = write.close().await;
                Err(SshError::Timeout {
                    what: "the command",
                    seconds: deadline.as_secs(),
                })
            }
        }
    }

    /// Forwards a local port to `host:port` as seen from the remote host (`ssh -L`): every
    /// connection accepted on `127.0.0.1:<local_port>` here becomes a `direct-tcpip` channel
    /// to it. What a node keeps on its loopback (its database, its JSON-RPC) is reached this
    /// way, without opening a port on the node to the Internet. The forward stops when the
    /// returned value is dropped.
    pub async fn forward(&self, host: &str, port: u16) -> Result<Forward, SshError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(SshError::protocol)?;
        let local_port = listener.local_addr().map_err(SshError::protocol)?.port();
        let handle = self.handle.clone();
        let host = host.to_owned();
        let task = tokio::spawn(async move {
            // The connections' tasks live in this set, dropped (aborted) with the forward.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut local, peer)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                let handle = handle.clone();
                let host = host.clone();
                connections.spawn(async move {
                    let channel = match handle
                        .channel_open_direct_tcpip(
                            host.clone(),
                            u32::from(port),
                            peer.ip().to_string(),
                            u32::from(peer.port()),
                        )
                        .await
                    {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::warn!(error = %e, %host, port, "SSH forward refused");
                            return;
                        }
                    };
                    let mut remote = channel.into_stream();
                    let _ = tokio::io::copy_bidirectional(&mut local, &mut remote).await;
                });
            }
        });
        Ok(Forward { local_port, task })
    }

    /// Ends the connection.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// A local port forwarded through a [`Session`]; stops accepting when dropped.
pub struct Forward {
    /// Connect to `127.0.0.1:local_port` to reach the remote side.
    pub local_port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where [`Session::exec_live`] sends output lines.
pub type Lines = tokio::sync::mpsc::UnboundedSender<String>;

/// The most lines one command sends live.
pub const LIVE_LINES: usize = 500;

/// Splits two output streams into lines for a [`Lines`] sink, bounded.
struct LiveLines<'a> {
    sink: Option<&'a Lines>,
    partial: [Vec<u8>; 2],
    sent: usize,
}

impl<'a> LiveLines<'a> {
    fn new(sink: Option<&'a Lines>) -> Self {
        Self {
            sink,
            partial: [Vec::new(), Vec::new()],
            sent: 0,
        }
    }

    fn feed(&mut self, stream: usize, data: &[u8]) {
        if self.sink.is_none() || self.sent >= LIVE_LINES {
            return;
        }
        self.partial[stream].extend_from_slice(data);
        while let Some(at) = self.partial[stream].iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial[stream].drain(..=at).collect();
            self.send(&line);
        }
        // A line with no end in sight is sent in pieces rather than held without bound.
        let buf = &mut self.partial[stream];
        if buf.len() > 1000 {
            let line: Vec<u8> = std::mem::take(buf);
            self.send(&line);
        }
    }

    fn send(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(&line[..line.len().min(1000)]);
        let text = text.trim_end();
        if let Some(sink) = self.sink
            && !text.is_empty()
            && self.sent < LIVE_LINES
        {
            self.sent += 1;
            let _ = sink.send(text.to_owned());
        }
    }

    fn flush(&mut self) {
        for stream in 0..2 {
            let line = std::mem::take(&mut self.partial[stream]);
            if !line.is_empty() {
                self.send(&line);
            }
        }
    }
}

fn keep(buf: &mut Vec<u8>, data: &[u8], cap: usize, truncated: &mut bool) {
    let room = cap.saturating_sub(buf.len());
    if data.len() > room {
        *truncated = true;
    }
    buf.extend_from_slice(&data[..data.len().min(room)]);
}

/// `value` as one word of a POSIX shell command, whatever it holds.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_every_value_one_word() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's; rm -rf /"), r"'it'\''s; rm -rf /'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(id) `id` \"x\""), "'$(id) `id` \"x\"'");
    }

    #[test]
    fn a_generated_key_reads_back_and_names_its_fingerprint() {
        let key = InstallKey::generate("centralita-install-test").unwrap();
        assert!(key.authorized_key.starts_with("ssh-ed25519 AAAA"));
        assert!(key.authorized_key.ends_with(" centralita-install-test"));
        assert!(key.fingerprint.starts_with("SHA256:"));
        let back = PrivateKey::from_openssh(&key.private_openssh).unwrap();
        assert_eq!(
            back.public_key().fingerprint(HashAlg::Sha256).to_string(),
            key.fingerprint
        );
        let other = InstallKey::generate("x").unwrap();
        assert_ne!(other.fingerprint, key.fingerprint);
    }

    #[test]
    fn fingerprints_compare_with_or_without_padding() {
        assert!(same_fingerprint("SHA256:abc", "SHA256:abc="));
        assert!(!same_fingerprint("SHA256:abc", "SHA256:abd"));
    }
}
