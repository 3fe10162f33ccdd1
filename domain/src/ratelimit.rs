//! Login throttling: who the client is, what counts against whom, and the failure counters
//! that hold it (fixed windows per key, in-process by default, in Redis when configured so
//! that limits hold across API replicas).
//!
//! The design, after what identity providers do (Microsoft's "smart lockout", Auth0's
//! brute-force protection): a lockout must stop a guesser without letting anyone lock the
//! owner out. So the hard limits are per **(account, client address)** pair, and per
//! **client address** (a sprayer trying many accounts); both answer 429, the right password
//! included, so a locked guesser learns nothing. An account's failures from *all* addresses
//! together only **slow down** its failed attempts: beyond a threshold each wrong password is
//! answered a little later (one second per failure above it, at most
//! [`MAX_ACCOUNT_DELAY_SECS`]); the right password is never refused nor delayed by it, so
//! an attacker elsewhere cannot lock the owner out. A successful login clears its pair's
//! counter, not the account's (the owner signing in must not hand a sprayer a fresh budget).
//!
//! The client address is the TCP peer unless that peer is a configured trusted proxy; then
//! it is the right-most address of `X-Forwarded-For` that is not a trusted proxy itself,
//! since every address left of it was written by the client and can be anything. IPv6
//! clients are counted per /64 network, the block a single subscriber is handed.

use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    str::FromStr,
    sync::Mutex,
    time::{Duration, Instant},
};

use redis::aio::ConnectionManager;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{
    config::Config,
    error::{DomainError, DomainResult, ErrorCode},
    tokens::sha256_hex,
};

/// Failure counters: in-process, or in Redis (shared by every API replica) when configured.
///
/// Redis is an accelerator, not the truth (rule 2): when it cannot be reached, the counters
/// fall back to this process's own, so logins keep working and a guesser is still limited
/// (per replica) instead of every login failing or every guess being allowed.
pub struct Limiter {
    local: Mutex<HashMap<String, (u32, Instant)>>,
    shared: Option<Shared>,
}

struct Shared {
    conn: ConnectionManager,
    prefix: String,
}

/// The longest a counter operation waits for Redis before using the local counters.
const REDIS_WAIT: Duration = Duration::from_secs(1);

impl Shared {
    fn key(&self, key: &str) -> String {
        format!("{}ratelimit:{key}", self.prefix)
    }

    async fn run<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Option<T> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(REDIS_WAIT, pipe.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "login counters: Redis failed, using this process's");
                None
            }
            Err(_) => {
                tracing::warn!("login counters: Redis did not answer, using this process's");
                None
            }
        }
    }
}

impl Limiter {
    pub fn memory() -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    pub fn redis(conn: ConnectionManager, prefix: String) -> Self {
        Self {
            shared: Some(Shared { conn, prefix }),
            ..Self::memory()
        }
    }

    /// How many failures `key` has in the current window, and seconds until it ends.
    pub async fn failures(&self, key: &str, window: Duration) -> DomainResult<(u32, u64)> {
        if let Some(shared) = &self.shared {
            let full = shared.key(key);
            let mut pipe = redis::pipe();
            pipe.get(&full).ttl(&full);
            if let Some((n, ttl)) = shared.run::<(Option<u32>, i64)>(&pipe).await {
                return Ok((n.unwrap_or(0), u64::try_from(ttl.max(1)).unwrap_or(1)));
            }
        }
        let map = self.local.lock().map_err(DomainError::internal)?;
        Ok(match map.get(key) {
            Some((n, start)) if start.elapsed() < window => {
                (*n, (window - start.elapsed()).as_secs().max(1))
            }
            _ => (0, 0),
        })
    }

    /// Counts one failure against `key`, answering how many it has now in the window.
    pub async fn record_failure(&self, key: &str, window: Duration) -> DomainResult<u32> {
        if let Some(shared) = &self.shared {
            let full = shared.key(key);
            let mut pipe = redis::pipe();
            // NX: the window starts at the first failure and is not extended by later ones.
            pipe.incr(&full, 1)
                .cmd("EXPIRE")
                .arg(&full)
                .arg(window.as_secs())
                .arg("NX")
                .ignore();
            if let Some((n,)) = shared.run::<(u32,)>(&pipe).await {
                return Ok(n);
            }
        }
        let mut map = self.local.lock().map_err(DomainError::internal)?;
        if map.len() > 100_000 {
            map.retain(|_, (_, start)| start.elapsed() < window);
        }
        let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= window {
            *entry = (0, Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
        Ok(entry.0)
    }

    /// Forgets the failures of `key` (after a successful login).
    pub async fn reset(&self, key: &str) -> DomainResult<()> {
        if let Some(shared) = &self.shared {
            let mut pipe = redis::pipe();
            pipe.del(shared.key(key)).ignore();
            // A reset Redis missed only leaves a counter that expires with its window.
            let _: Option<()> = shared.run(&pipe).await;
        }
        self.local
            .lock()
            .map_err(DomainError::internal)?
            .remove(key);
        Ok(())
    }
}

/// The longest an account-wide slowdown delays one failed attempt.
pub const MAX_ACCOUNT_DELAY_SECS: u64 = 5;

/// The counters one login attempt is checked against and counted in.
pub struct LoginThrottle {
    /// Failures of this account from this client address: a hard limit.
    pair: String,
    /// Failures from this client address, whatever the account: a hard limit.
    address: String,
    /// Failures of this account from every address: only slows failed attempts down.
    account: String,
    max_per_pair: u32,
    max_per_address: u32,
    slowdown_after: u32,
    window: Duration,
}

impl LoginThrottle {
    /// The counters of an attempt at `email` (already normalised) from `client`. The e-mail
    /// enters the keys as a digest, so neither memory nor Redis holds the addresses.
    pub fn new(config: &Config, email: &str, client: IpAddr) -> Self {
        let account = sha256_hex(email);
        let address = address_key(client);
        Self {
            pair: format!("login:pair:{account}:{address}"),
            address: format!("login:addr:{address}"),
            account: format!("login:account:{account}"),
            max_per_pair: config.login_max_failures_per_account_address,
            max_per_address: config.login_max_failures_per_address,
            slowdown_after: config.login_account_slowdown_after,
            window: Duration::from_secs(config.login_window_secs),
        }
    }

    /// Refuses the attempt (429 with `Retry-After`) when its pair or its address is over
    /// the limit, before the password is looked at: a locked-out guesser learns nothing.
    pub async fn check(&self, limiter: &Limiter) -> DomainResult<()> {
        for (key, max) in [
            (&self.pair, self.max_per_pair),
            (&self.address, self.max_per_address),
        ] {
            let (failures, retry) = limiter.failures(key, self.window).await?;
            if failures >= max {
                let mut err = DomainError::new(
                    ErrorCode::RateLimited,
                    "Too many failed logins; wait before trying again",
                );
                err.retry_after = Some(retry);
                return Err(err);
            }
        }
        Ok(())
    }

    /// Counts a failed attempt everywhere, answering how long to hold its answer back.
    pub async fn failed(&self, limiter: &Limiter) -> DomainResult<Duration> {
        limiter.record_failure(&self.pair, self.window).await?;
        limiter.record_failure(&self.address, self.window).await?;
        let account = limiter.record_failure(&self.account, self.window).await?;
        Ok(account_delay(account, self.slowdown_after))
    }

    /// A successful login clears its pair's counter only (see the module doc).
    pub async fn succeeded(&self, limiter: &Limiter) -> DomainResult<()> {
        limiter.reset(&self.pair).await
    }
}

/// The delay of a failed attempt at an account that has `failures` in the window.
fn account_delay(failures: u32, slowdown_after: u32) -> Duration {
    let beyond = u64::from(failures.saturating_sub(slowdown_after));
    Duration::from_secs(beyond.min(MAX_ACCOUNT_DELAY_SECS))
}

/// The per-address counter of `ip`: the address itself for IPv4, its /64 for IPv6 (one
/// host is handed a whole /64, so counting single IPv6 addresses would count nothing).
fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(bits))
        }
    }
}

/// An address block, `10.0.0.0/8` or `2001:db8::/32`; a bare address is its own block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_matches(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_matches(net: u128, ip: u128, prefix: u8, width: u8) -> bool {
    let host_bits = u32::from(width - prefix);
    let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
    let width_mask = u128::MAX >> (128 - u32::from(width));
    (net ^ ip) & mask & width_mask == 0
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("`{s}` is not an IP address or CIDR block");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return Err(bad());
        }
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A list of addresses and CIDR blocks as configured: in TOML an array or one string, in
/// the environment one string separated by commas or spaces. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpNets(Vec<IpNet>);

/// The reverse proxies whose `X-Forwarded-For` is believed (`trusted_proxies`); empty, the
/// TCP peer is the client.
pub type TrustedProxies = IpNets;

impl IpNets {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// (As `trusted_proxies`.) The client behind a request from `peer` carrying the `X-Forwarded-For` header lines
    /// `forwarded_for` (in order; `None` for a line that is not text). Walking from the
    /// right, every hop that is a trusted proxy hands over to the address it reports; the
    /// first hop that is not trusted is the client. A hop that reports something that is
    /// not an address stops the walk at that hop.
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl DoubleEndedIterator<Item = Option<&'a str>>,
    ) -> IpAddr {
        let mut current = peer.to_canonical();
        if !self.contains(current) {
            return current;
        }
        for line in forwarded_for.rev() {
            let Some(line) = line else { return current };
            for entry in line.rsplit(',') {
                match parse_hop(entry) {
                    Some(ip) => current = ip,
                    None => return current,
                }
                if !self.contains(current) {
                    return current;
                }
            }
        }
        current
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

impl FromStr for IpNets {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(IpNet::from_str)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl<'de> Deserialize<'de> for IpNets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let text = match Raw::deserialize(d)? {
            Raw::One(s) => s,
            Raw::Many(v) => v.join(","),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for IpNets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn proxies(s: &str) -> TrustedProxies {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn client(trusted: &str, peer: &str, xff: &[&str]) -> IpAddr {
        proxies(trusted).client_ip(ip(peer), xff.iter().map(|l| Some(*l)))
    }

    #[test]
    fn blocks_contain_their_addresses() {
        let nets = proxies("10.0.0.0/8, 192.168.1.7 2001:db8::/32,::1");
        for inside in [
            "10.1.2.3",
            "192.168.1.7",
            "2001:db8:1::5",
            "::1",
            "::ffff:10.9.9.9",
        ] {
            assert!(nets.contains(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "192.168.1.8", "2001:db9::1", "::2", "0.0.0.0"] {
            assert!(!nets.contains(ip(outside)), "{outside}");
        }
        assert!(proxies("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!proxies("0.0.0.0/0").contains(ip("::2")));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/x",
            "1.2.3",
        ] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(
            client("", "203.0.113.9", &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        // A peer that is not a trusted proxy cannot speak for anyone else.
        assert_eq!(
            client("10.0.0.0/8", "203.0.113.9", &["198.51.100.1"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.2", &["198.51.100.1"]),
            ip("198.51.100.1")
        );
        // Through two trusted hops.
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.2", &["198.51.100.1, 10.0.0.3"]),
            ip("198.51.100.1")
        );
        // Ports and IPv4-mapped addresses are understood.
        assert_eq!(
            client("10.0.0.0/8", "::ffff:10.0.0.2", &["198.51.100.1:4242"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            client("::1", "::1", &["[2001:db8::7]:443"]),
            ip("2001:db8::7")
        );
        // No header: the proxy itself.
        assert_eq!(client("10.0.0.0/8", "10.0.0.2", &[]), ip("10.0.0.2"));
    }

    #[test]
    fn spoofed_left_entries_are_ignored() {
        // The client wrote `1.1.1.1, 2.2.2.2` itself; the proxy appended the real address.
        assert_eq!(
            client(
                "10.0.0.0/8",
                "10.0.0.2",
                &["1.1.1.1, 2.2.2.2, 198.51.100.1"]
            ),
            ip("198.51.100.1")
        );
        // Also when the proxy adds its own header line rather than appending.
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.2", &["1.1.1.1", "198.51.100.1"]),
            ip("198.51.100.1")
        );
        // A client claiming to be a trusted proxy gets no further than its real address.
        assert_eq!(
            client(
                "10.0.0.0/8",
                "10.0.0.2",
                &["1.1.1.1, 10.0.0.9, 198.51.100.1"]
            ),
            ip("198.51.100.1")
        );
        // Garbage from a hop stops the walk at the hop that reported it.
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.2", &["not-an-ip"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            proxies("10.0.0.0/8").client_ip(ip("10.0.0.2"), [None].into_iter()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        assert_eq!(address_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(address_key(ip("192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn account_wide_failures_only_add_a_bounded_delay() {
        assert_eq!(account_delay(3, 10), Duration::ZERO);
        assert_eq!(account_delay(10, 10), Duration::ZERO);
        assert_eq!(account_delay(11, 10), Duration::from_secs(1));
        assert_eq!(account_delay(13, 10), Duration::from_secs(3));
        assert_eq!(
            account_delay(u32::MAX, 10),
            Duration::from_secs(MAX_ACCOUNT_DELAY_SECS)
        );
    }

    #[test]
    fn trusted_proxies_read_from_a_string_or_a_list() {
        let from_list: TrustedProxies =
            serde_json::from_str(r#"["10.0.0.0/8", "::1"]"#).unwrap_or_default();
        let from_text: TrustedProxies =
            serde_json::from_str(r#""10.0.0.0/8, ::1""#).unwrap_or_default();
        assert_eq!(from_list, from_text);
        assert_eq!(from_list, proxies("10.0.0.0/8 ::1"));
        assert_eq!(
            serde_json::to_string(&from_list).ok().as_deref(),
            Some(r#"["10.0.0.0/8","::1/128"]"#)
        );
        assert!(serde_json::from_str::<TrustedProxies>(r#""10.0.0.0/99""#).is_err());
    }
}
