//! Sending e-mail: the one [`Mailer`] a process holds, built from the `smtp_*` settings.
//!
//! With `smtp_host` set, messages go through lettre's pooled SMTP transport: STARTTLS
//! (required, never opportunistic), implicit TLS, or plain. Plain is refused at start-up
//! unless the host is a loopback address and no credentials are set: it exists for a relay
//! on the same machine, and a password must never cross a network in clear.
//!
//! Without `smtp_host` (the embedded default) each message is written as an `.eml` file into
//! `<data_dir>/outbox` by lettre's file transport, so a fresh install needs no mail server
//! and what would have been sent can be opened in any mail client.
//!
//! [`Mailer::send`] tells a temporary failure (connection refused, timeout, a 4xx answer:
//! worth retrying) from a permanent one (a 5xx answer, an unusable address: retrying cannot
//! help), and on success returns what the server answered, which the caller stores.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::Mailbox, transport::smtp::authentication::Credentials,
};

use crate::{
    config::{Config, SmtpTls},
    error::{DomainError, DomainResult, ErrorCode},
};

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// `host:port`, for the stored server answer.
        server: String,
    },
    Files {
        dir: PathBuf,
    },
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (the server is down, busy, or answered 4xx).
    #[error("{0}")]
    Temporary(String),
    /// Trying again cannot help (5xx answer, or the message cannot be built).
    #[error("{0}")]
    Permanent(String),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: never print it.
        match self {
            Self::Smtp { server, .. } => write!(f, "Mailer::Smtp({server})"),
            Self::Files { dir } => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    /// The mailer the configuration describes; an unsafe or incomplete SMTP setting is an
    /// error here, at start-up, not at the first voicemail.
    pub fn from_config(config: &Config) -> DomainResult<Self> {
        let Some(host) = config.smtp_host.as_deref() else {
            return Ok(Self::Files {
                dir: config.data_dir.join("outbox"),
            });
        };
        // Said in full: this stops the start-up, and the operator must see why.
        let bad = |detail: String| {
            DomainError::new(ErrorCode::Internal, format!("smtp settings: {detail}"))
        };
        let port = config.smtp_port.unwrap_or(match config.smtp_tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        });
        let credentials = match (&config.smtp_username, &config.smtp_password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.clone())),
            (None, None) => None,
            _ => {
                return Err(bad(
                    "set both smtp_username and smtp_password, or neither".into()
                ));
            }
        };
        let builder = match config.smtp_tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| bad(e.to_string()))?,
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| bad(e.to_string()))?
            }
            SmtpTls::None => {
                if !is_loopback(host) {
                    return Err(bad(format!(
                        "smtp_tls = none is only allowed for a relay on a loopback address, not {host}"
                    )));
                }
                if credentials.is_some() {
                    return Err(bad(
                        "smtp_tls = none never sends credentials: use starttls or tls".into(),
                    ));
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
        };
        let mut builder = builder
            .port(port)
            .timeout(Some(Duration::from_secs(config.smtp_timeout_secs.max(1))));
        if let Some(c) = credentials {
            builder = builder.credentials(c);
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            server: format!("{host}:{port}"),
        })
    }

    /// Sends `message`; the answer of the server that accepted it (or the file written).
    pub async fn send(&self, message: Message) -> Result<String, SendError> {
        match self {
            Self::Smtp { transport, server } => match transport.send(message).await {
                Ok(response) => {
                    let text: Vec<&str> = response.message().collect();
                    Ok(format!("{server}: {} {}", response.code(), text.join(" ")))
                }
                Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("{server}: {e}"))),
                Err(e) => Err(SendError::Temporary(format!("{server}: {e}"))),
            },
            Self::Files { dir } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| SendError::Temporary(format!("outbox: {e}")))?;
                let id = AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map_err(|e| SendError::Temporary(format!("outbox: {e}")))?;
                Ok(format!("written to outbox/{id}.eml"))
            }
        }
    }
}

/// Whether `host` names this machine: `localhost` or a loopback address.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Parses an address as the `From`/`To` of a message.
pub fn mailbox(raw: &str) -> Result<Mailbox, SendError> {
    raw.parse::<Mailbox>()
        .map_err(|e| SendError::Permanent(format!("unusable address {raw:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(host: &str, tls: SmtpTls, user: Option<&str>) -> Config {
        Config {
            smtp_host: Some(host.into()),
            smtp_tls: tls,
            smtp_username: user.map(Into::into),
            smtp_password: user.map(|_| "secret".into()),
            ..Config::default()
        }
    }

    // The SMTP pool starts a task: a runtime is needed.
    #[tokio::test]
    async fn plain_smtp_only_to_a_loopback_relay_and_without_credentials() {
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.53"] {
            assert!(
                Mailer::from_config(&config(host, SmtpTls::None, None)).is_ok(),
                "{host}"
            );
        }
        for host in ["mail.example.com", "10.0.0.5", "192.168.1.1"] {
            assert!(
                Mailer::from_config(&config(host, SmtpTls::None, None)).is_err(),
                "{host}"
            );
        }
        assert!(Mailer::from_config(&config("127.0.0.1", SmtpTls::None, Some("u"))).is_err());
        assert!(
            Mailer::from_config(&config("mail.example.com", SmtpTls::Starttls, Some("u"))).is_ok()
        );
    }

    // The SMTP pool starts a task: a runtime is needed.
    #[tokio::test]
    async fn a_username_without_a_password_is_refused() {
        let c = Config {
            smtp_password: None,
            ..config("mail.example.com", SmtpTls::Tls, Some("u"))
        };
        assert!(Mailer::from_config(&c).is_err());
    }

    // The SMTP pool starts a task: a runtime is needed.
    #[tokio::test]
    async fn no_host_writes_files_into_the_outbox() {
        let m = Mailer::from_config(&Config::default()).expect("mailer");
        assert!(matches!(m, Mailer::Files { dir } if dir.ends_with("outbox")));
    }

    // The SMTP pool starts a task: a runtime is needed.
    #[tokio::test]
    async fn the_debug_form_never_shows_credentials() {
        let m = Mailer::from_config(&config("mail.example.com", SmtpTls::Tls, Some("u")))
            .expect("mailer");
        assert!(!format!("{m:?}").contains("secret"));
    }
}
