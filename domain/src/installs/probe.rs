//! The health step's SIP OPTIONS, sent to a new node from outside its host: the proof that
//! phones can reach it, which a check run on the host itself cannot give.
//!
//! The edge config answers an OPTIONS addressed to the node itself (no user part) with
//! `200 Keepalive` before any authentication (`deploy/kamailio/kamailio.cfg`, REQINIT). The
//! probe sends one over UDP, retransmitting on RFC 3261's timer A schedule (500 ms,
//! doubling) within a deadline, and accepts only an answer to its own transaction (same
//! branch and Call-ID).

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use rand::RngCore;
use tokio::{net::UdpSocket, time::Instant};

/// What the node answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsAnswer {
    pub status: u16,
    pub reason: String,
    /// The `Server` header, if any.
    pub server: Option<String>,
}

fn token() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Sends an OPTIONS to `sip:ADDRESS:PORT` and waits for a final answer until `deadline`.
pub async fn options(
    address: IpAddr,
    port: u16,
    deadline: Duration,
) -> Result<OptionsAnswer, String> {
    let bind: SocketAddr = match address {
        IpAddr::V4(a) if a.is_loopback() => (a, 0).into(),
        IpAddr::V4(_) => ([0, 0, 0, 0], 0).into(),
        IpAddr::V6(_) => ([0u16; 8], 0).into(),
    };
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    let node = SocketAddr::new(address, port);
    socket
        .connect(node)
        .await
        .map_err(|e| format!("cannot reach {node}: {e}"))?;
    let local = socket
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let branch = format!("z9hG4bK-centralita-{}", token());
    let call_id = format!("{}@centralita-install", token());
    let host = match address {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let local_host = match local.ip() {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let request = format!(
        "OPTIONS sip:{host}:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local_host}:{lport};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:health@{local_host}>;tag={tag}\r\n\
         To: <sip:{host}:{port}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Accept: application/sdp\r\n\
         User-Agent: Centralita install health\r\n\
         Content-Length: 0\r\n\r\n",
        lport = local.port(),
        tag = token(),
    );
    let end = Instant::now() + deadline;
    let mut interval = Duration::from_millis(500);
    let mut buf = vec![0u8; 65_535];
    loop {
        socket
            .send(request.as_bytes())
            .await
            .map_err(|e| format!("cannot send to {node}: {e}"))?;
        let wait_until = (Instant::now() + interval).min(end);
        while let Ok(got) = tokio::time::timeout_at(wait_until, socket.recv(&mut buf)).await {
            // ICMP port unreachable shows up as an error on a connected socket: nothing
            // listens there (yet); keep trying until the deadline.
            let Ok(n) = got else { break };
            if let Some(answer) = parse(&buf[..n], &branch, &call_id)
                && answer.status >= 200
            {
                return Ok(answer);
            }
        }
        if Instant::now() >= end {
            return Err(format!(
                "no SIP answer from {node} within {} s",
                deadline.as_secs()
            ));
        }
        tokio::time::sleep_until(wait_until).await;
        interval = (interval * 2).min(Duration::from_secs(4));
    }
}

/// The status of a response to our transaction, or `None` for anything else.
fn parse(datagram: &[u8], branch: &str, call_id: &str) -> Option<OptionsAnswer> {
    let text = std::str::from_utf8(datagram).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    if parts.next()? != "SIP/2.0" {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let reason = parts.next().unwrap_or("").to_owned();
    let mut ours_branch = false;
    let mut ours_call = false;
    let mut server = None;
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "via" | "v" => ours_branch |= value.contains(branch),
            "call-id" | "i" => ours_call |= value == call_id,
            "server" => server = Some(value.to_owned()),
            _ => {}
        }
    }
    (ours_branch && ours_call).then_some(OptionsAnswer {
        status,
        reason,
        server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_to_our_transaction_count() {
        let ok = "SIP/2.0 200 Keepalive\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK-x;rport=1\r\n\
                  Call-ID: c1@h\r\nServer: Centralita edge\r\nContent-Length: 0\r\n\r\n";
        let a = parse(ok.as_bytes(), "z9hG4bK-x", "c1@h").unwrap();
        assert_eq!(a.status, 200);
        assert_eq!(a.reason, "Keepalive");
        assert_eq!(a.server.as_deref(), Some("Centralita edge"));
        assert!(parse(ok.as_bytes(), "z9hG4bK-y", "c1@h").is_none());
        assert!(parse(ok.as_bytes(), "z9hG4bK-x", "c2@h").is_none());
        assert!(parse(b"OPTIONS sip:x SIP/2.0\r\n\r\n", "z9hG4bK-x", "c1@h").is_none());
    }

    #[tokio::test]
    async fn silence_is_an_error_within_the_deadline() {
        // A bound UDP socket that never answers.
        let quiet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = quiet.local_addr().unwrap().port();
        let err = options(
            "127.0.0.1".parse().unwrap(),
            port,
            Duration::from_millis(700),
        )
        .await
        .unwrap_err();
        assert!(err.contains("no SIP answer"), "{err}");
    }
}
