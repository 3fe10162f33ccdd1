//! Which hosts a managed install may reach.
//!
//! An install has a worker open an SSH connection, from inside the platform's network, to
//! a host the requester names. Unchecked, that is a way in (server-side request forgery):
//! `169.254.169.254` is a cloud's metadata service, which hands out the instance's
//! credentials; loopback and private addresses are the platform's own services. So a
//! target must be a public address unless the operator allow-lists it
//! (`install_allowed_targets`: tests allow `127.0.0.1`).
//!
//! A hostname is resolved when the target is checked, and **every** address it resolves to
//! must pass; the install then connects to the address that was checked
//! ([`CheckedTarget::address`]), never to the name again, so a DNS answer that changes
//! later ("rebinding") cannot move it onto a refused address. (Hostname resolution is not
//! unit-tested here: the tests send nothing beyond loopback, DNS included.)

use std::{net::IpAddr, str::FromStr, sync::LazyLock};

use crate::{
    error::{DomainError, DomainResult, FieldError},
    ratelimit::{IpNet, IpNets},
    validate::{Errors, host_or_address},
};

/// Blocks that are not a customer's host, most specific first, with what they are.
const RESERVED: &[(&str, &str)] = &[
    ("169.254.169.254/32", "a cloud metadata service"),
    ("fd00:ec2::254/128", "a cloud metadata service"),
    ("0.0.0.0/8", "an unspecified address"),
    ("::/128", "an unspecified address"),
    ("127.0.0.0/8", "a loopback address"),
    ("::1/128", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("fe80::/10", "a link-local address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a private address (carrier-grade NAT)"),
    ("fc00::/7", "a private address"),
    ("224.0.0.0/4", "a multicast address"),
    ("ff00::/8", "a multicast address"),
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("2001:db8::/32", "a documentation address"),
    ("192.0.0.0/24", "a reserved address"),
    ("198.18.0.0/15", "a reserved address"),
    ("240.0.0.0/4", "a reserved address"),
    ("100::/64", "a reserved address"),
    // 6to4 and NAT64 carry an IPv4 address inside: refused rather than unpacked.
    ("2002::/16", "a reserved address (6to4)"),
    ("64:ff9b::/96", "a reserved address (NAT64)"),
];

static BLOCKS: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
    RESERVED
        .iter()
        .filter_map(|(net, what)| IpNet::from_str(net).ok().map(|n| (n, *what)))
        .collect()
});

/// What `ip` is, if it is not a public address.
pub fn reserved(ip: IpAddr) -> Option<&'static str> {
    let ip = ip.to_canonical();
    BLOCKS
        .iter()
        .find(|(net, _)| net.contains(ip))
        .map(|(_, what)| *what)
}

/// Whether an address checked earlier may still be reached: the allow-list may have
/// changed since (an operator removed a private block), and every later connection (a
/// retry, an upgrade, a reconcile) obeys today's configuration, not the one at creation.
pub fn still_allowed(address: IpAddr, allowed: &IpNets) -> Result<(), String> {
    match reserved(address) {
        Some(what) if !allowed.contains(address.to_canonical()) => Err(format!(
            "{address} is {what}, and install_allowed_targets no longer names it"
        )),
        Some(_) | None => Ok(()),
    }
}

/// A target that passed: the host as given (normalised) and the address to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTarget {
    pub host: String,
    pub address: IpAddr,
    pub port: u16,
}

/// Checks an install target: `host` (an IP address or a hostname, which is resolved) and
/// `port`; 422 naming the field when the host is malformed, does not resolve, or resolves
/// to an address that is reserved and not in `allowed`.
pub async fn check(host: &str, port: u16, allowed: &IpNets) -> DomainResult<CheckedTarget> {
    let mut errors = Errors::default();
    if port == 0 {
        errors.push(FieldError::new(
            "ssh_port",
            "out_of_range",
            "must be 1-65535",
        ));
    }
    let given = host_or_address(&mut errors, "host", host);
    let parsed = match given.as_deref().map(str::parse::<IpAddr>) {
        Some(Ok(ip)) => Some((ip.to_canonical().to_string(), vec![ip.to_canonical()])),
        Some(Err(_)) => {
            let name = given.unwrap_or_default();
            let resolved: Vec<IpAddr> = match tokio::net::lookup_host((name.as_str(), port)).await {
                Ok(found) => found.map(|a| a.ip().to_canonical()).collect(),
                Err(_) => Vec::new(),
            };
            if resolved.is_empty() {
                errors.push(FieldError::new(
                    "host",
                    "unresolvable_host",
                    format!("`{name}` does not resolve to an address"),
                ));
            }
            Some((name, resolved))
        }
        None => None,
    };
    let (name, addresses) = parsed.unwrap_or_default();
    for ip in &addresses {
        if let Some(what) = reserved(*ip)
            && !allowed.contains(*ip)
        {
            errors.push(FieldError::new(
                "host",
                "target_not_allowed",
                format!(
                    "{ip} is {what}; installs reach such addresses only when \
                     install_allowed_targets names them"
                ),
            ));
        }
    }
    errors.finish()?;
    // Every address passed; connect to an IPv4 one where there is one (the edge node
    // listens on IPv4), else the first.
    let address = addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or(addresses.first())
        .copied()
        .ok_or_else(|| DomainError::internal("a checked target without an address"))?;
    Ok(CheckedTarget {
        host: name,
        address,
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_reserved_block_parses() {
        assert_eq!(BLOCKS.len(), RESERVED.len());
    }

    #[test]
    fn reserved_addresses_are_named_and_public_ones_pass() {
        for (addr, what) in [
            ("169.254.169.254", "a cloud metadata service"),
            ("fd00:ec2::254", "a cloud metadata service"),
            ("127.0.0.1", "a loopback address"),
            ("127.8.9.10", "a loopback address"),
            ("::1", "a loopback address"),
            ("::ffff:127.0.0.1", "a loopback address"),
            ("169.254.1.1", "a link-local address"),
            ("fe80::1", "a link-local address"),
            ("10.1.2.3", "a private address"),
            ("172.31.255.255", "a private address"),
            ("192.168.0.1", "a private address"),
            ("::ffff:192.168.0.1", "a private address"),
            ("fd12:3456::1", "a private address"),
            ("0.0.0.0", "an unspecified address"),
            ("::", "an unspecified address"),
            ("239.1.1.1", "a multicast address"),
            ("255.255.255.255", "a reserved address"),
        ] {
            assert_eq!(reserved(ip(addr)), Some(what), "{addr}");
        }
        for public in [
            "8.8.8.8",
            "172.32.0.1",
            "1.1.1.1",
            "2a00:1450:4003::1",
            "100.128.0.1",
        ] {
            assert_eq!(reserved(ip(public)), None, "{public}");
        }
    }

    #[tokio::test]
    async fn a_target_is_refused_unless_public_or_allowed() {
        let none = IpNets::default();
        let public = check("8.8.8.8", 22, &none).await.unwrap();
        assert_eq!((public.address, public.port), (ip("8.8.8.8"), 22));
        let refused = check("127.0.0.1", 2222, &none).await.unwrap_err();
        assert_eq!(refused.errors[0].field, "host");
        assert_eq!(refused.errors[0].code, "target_not_allowed");
        let meta = check(" 169.254.169.254 ", 22, &none).await.unwrap_err();
        assert!(meta.errors[0].message.contains("cloud metadata"));
        let allowed: IpNets = "127.0.0.1".parse().unwrap();
        let ok = check("127.0.0.1", 2222, &allowed).await.unwrap();
        assert_eq!(ok.address, ip("127.0.0.1"));
        // The allow-list names addresses, not everything reserved.
        assert!(check("127.0.0.2", 22, &allowed).await.is_err());
        assert!(check("169.254.169.254", 22, &allowed).await.is_err());
        let zero = check("8.8.8.8", 0, &none).await.unwrap_err();
        assert_eq!(zero.errors[0].field, "ssh_port");
        for bad in ["", "not a host", "-x.example.com", "x..example.com"] {
            let e = check(bad, 22, &none).await.unwrap_err();
            assert_eq!(e.errors[0].code, "invalid_host", "{bad}");
        }
    }
}
