//! Kamailio provisioning: making what a Kamailio node serves equal to what Centralita says.
//!
//! A node serves SIP domains (its `domain` table, whose `did` column holds the tenant) and
//! subscribers (its `subscriber` table: username, domain, `ha1`, `ha1b`; never a password).
//! The **desired** state is computed from Centralita's database: the domains of active
//! tenants (a tenant below a suspended partner is not active), and one subscriber per
//! credential of an enabled extension of those tenants. A **reconcile** ([`job`]) reads what
//! the node has, applies the difference in one transaction of the node's database, then asks
//! Kamailio over JSON-RPC to reload its cached domain table and to end the live registrations
//! of every subscriber that went away (`ul.rm`): a deleted extension or a suspended tenant
//! stops registering and calling at once, not at the next re-registration.
//!
//! Centralita remembers what it last applied to each node ([`Snapshot`]: one digest per
//! entry, never the HA1s themselves). That is how a difference is told apart:
//!
//! - a **change**: Centralita's state moved since the last apply (the node is behind);
//! - **drift**: the node no longer holds what Centralita applied (a row edited or deleted by
//!   hand). `GET /v1/switch-nodes/{id}/plan` reports both; the next reconcile repairs both
//!   and counts the drift it repaired.
//!
//! The snapshot is written as soon as the node transaction commits (the node then holds those
//! rows), together with markers of the JSON-RPC calls still owed (`x:reload`, `x:end:<aor>`);
//! the markers go once the calls succeeded. A reconcile interrupted anywhere is simply done
//! again: its own rows are not mistaken for drift, and the calls it owed are made (`ul.rm` of
//! an absent AoR is harmless).
//!
//! This module is the pure part: states, the diff, the plan. [`node`] talks to the node's
//! database and JSON-RPC; [`job`] is the reconcile job, the plan and the enqueue hook.

pub mod job;
pub mod node;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A subscriber's identity: `(username, domain)`.
pub type Aor = (String, String);

/// What a node serves, or should serve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeState {
    /// Domain name → `did` (the tenant id).
    pub domains: BTreeMap<String, String>,
    /// `(username, domain)` → `(ha1, ha1b)`.
    pub subscribers: BTreeMap<Aor, (String, String)>,
}

impl NodeState {
    /// Every entry of this state with its digest, as a [`Snapshot`] stores them.
    pub fn entries(&self) -> HashMap<String, String> {
        let domains = self
            .domains
            .iter()
            .map(|(name, did)| (domain_entry(name), did.clone()));
        let subscribers = self.subscribers.iter().map(|((u, d), (ha1, ha1b))| {
            (
                subscriber_entry(u, d),
                hex::encode(Sha256::digest(format!("{ha1}:{ha1b}"))),
            )
        });
        domains.chain(subscribers).collect()
    }
}

fn domain_entry(name: &str) -> String {
    format!("d:{name}")
}

fn subscriber_entry(user: &str, domain: &str) -> String {
    format!("s:{user}@{domain}")
}

/// Snapshot marker: the domain reload is owed.
pub const PENDING_RELOAD: &str = "x:reload";
/// Snapshot marker prefix: ending the registrations of `<aor>` is owed.
pub const PENDING_END: &str = "x:end:";
/// Prefix of every marker (not an entry of the node).
pub const PENDING: &str = "x:";

/// What Centralita last applied to a node: entry → digest. `None` when nothing was ever
/// applied (no drift can be told then).
pub type Snapshot = Option<HashMap<String, String>>;

/// The difference between the desired state and a node, and what applying it involves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Domains to insert or update (name, did).
    pub domain_upserts: Vec<(String, String)>,
    pub domains_added: Vec<String>,
    pub domains_changed: Vec<String>,
    pub domains_removed: Vec<String>,
    /// Subscribers to insert or update.
    pub subscriber_upserts: Vec<(Aor, (String, String))>,
    pub subscribers_added: Vec<Aor>,
    pub subscribers_changed: Vec<Aor>,
    pub subscribers_removed: Vec<Aor>,
    /// Whether Kamailio must reload its domain table after the apply.
    pub reload_domains: bool,
    /// AoRs (`user@domain`) whose live registrations end.
    pub registrations_to_end: Vec<String>,
    /// Entries on the node that differ from what Centralita last applied.
    pub drift: Vec<String>,
}

impl Diff {
    /// Whether applying changes nothing on the node (no row, no reload, no registration).
    pub fn is_empty(&self) -> bool {
        self.domain_upserts.is_empty()
            && self.domains_removed.is_empty()
            && self.subscriber_upserts.is_empty()
            && self.subscribers_removed.is_empty()
            && !self.reload_domains
            && self.registrations_to_end.is_empty()
    }

    /// The markers of the JSON-RPC calls this diff owes once its rows are on the node.
    pub fn pending(&self) -> Vec<String> {
        let reload = self.reload_domains.then(|| PENDING_RELOAD.to_owned());
        reload
            .into_iter()
            .chain(
                self.registrations_to_end
                    .iter()
                    .map(|aor| format!("{PENDING_END}{aor}")),
            )
            .collect()
    }

    /// The rows the node transaction writes.
    pub fn row_count(&self) -> usize {
        self.domain_upserts.len()
            + self.domains_removed.len()
            + self.subscriber_upserts.len()
            + self.subscribers_removed.len()
    }

    /// What the API shows of it.
    pub fn plan(&self) -> Plan {
        let aors = |v: &[Aor]| v.iter().map(|(u, d)| format!("{u}@{d}")).collect();
        Plan {
            domains: Changes {
                add: self.domains_added.clone(),
                change: self.domains_changed.clone(),
                remove: self.domains_removed.clone(),
            },
            subscribers: Changes {
                add: aors(&self.subscribers_added),
                change: aors(&self.subscribers_changed),
                remove: aors(&self.subscribers_removed),
            },
            reload_domains: self.reload_domains,
            registrations_to_end: self.registrations_to_end.clone(),
            drift: self.drift.clone(),
        }
    }
}

/// Rows added, changed and removed, by name.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Changes {
    pub add: Vec<String>,
    pub change: Vec<String>,
    pub remove: Vec<String>,
}

/// What a reconcile of a node would do now (`GET /v1/switch-nodes/{id}/plan`). Named
/// `ReconcilePlan` in the OpenAPI document: `Plan` is the call plan of the switch surface,
/// and two schemas of one name silently replace each other.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
#[schema(as = ReconcilePlan)]
pub struct Plan {
    /// SIP domains (rows of the node's `domain` table).
    pub domains: Changes,
    /// Subscribers, as `user@domain` (rows of the node's `subscriber` table).
    pub subscribers: Changes,
    /// Whether Kamailio's cached domain table is reloaded.
    pub reload_domains: bool,
    /// Live registrations (`user@domain`) that are ended (`ul.rm`).
    pub registrations_to_end: Vec<String>,
    /// Rows changed on the node behind Centralita's back since its last apply (a domain
    /// name or `user@domain`); the reconcile repairs them.
    pub drift: Vec<String>,
}

/// The difference that makes `node` equal to `desired`, given what was last applied.
pub fn diff(desired: &NodeState, node: &NodeState, applied: &Snapshot) -> Diff {
    let mut d = Diff::default();
    for (name, did) in &desired.domains {
        match node.domains.get(name) {
            None => d.domains_added.push(name.clone()),
            Some(have) if have != did => d.domains_changed.push(name.clone()),
            Some(_) => continue,
        }
        d.domain_upserts.push((name.clone(), did.clone()));
    }
    d.domains_removed = node
        .domains
        .keys()
        .filter(|name| !desired.domains.contains_key(*name))
        .cloned()
        .collect();
    for (aor, digests) in &desired.subscribers {
        match node.subscribers.get(aor) {
            None => d.subscribers_added.push(aor.clone()),
            Some(have) if have != digests => d.subscribers_changed.push(aor.clone()),
            Some(_) => continue,
        }
        d.subscriber_upserts.push((aor.clone(), digests.clone()));
    }
    d.subscribers_removed = node
        .subscribers
        .keys()
        .filter(|aor| !desired.subscribers.contains_key(*aor))
        .cloned()
        .collect();

    // Registrations to end: every subscriber that is on the node or was applied to it, and
    // is not desired (a removal whose `ul.rm` failed last time is still found this way).
    let mut ending: BTreeSet<String> = d
        .subscribers_removed
        .iter()
        .map(|(u, dom)| format!("{u}@{dom}"))
        .collect();
    let desired_entries = desired.entries();
    if let Some(applied) = applied {
        for entry in applied.keys() {
            if let Some(aor) = entry.strip_prefix("s:")
                && !desired_entries.contains_key(entry)
            {
                ending.insert(aor.to_owned());
            }
            if let Some(aor) = entry.strip_prefix(PENDING_END) {
                ending.insert(aor.to_owned());
            }
        }
    }
    d.registrations_to_end = ending.into_iter().collect();

    // Domains are cached by Kamailio: reload when the table changes, or when the last
    // apply's reload may not have happened (the applied set differs from the desired one).
    let applied_domains: BTreeSet<&String> = applied
        .iter()
        .flat_map(|a| a.keys())
        .filter(|e| e.starts_with("d:"))
        .collect();
    let desired_domains: BTreeSet<String> =
        desired.domains.keys().map(|n| domain_entry(n)).collect();
    d.reload_domains = !d.domain_upserts.is_empty()
        || !d.domains_removed.is_empty()
        || applied_domains != desired_domains.iter().collect()
        || applied
            .as_ref()
            .is_some_and(|a| a.contains_key(PENDING_RELOAD));

    if let Some(applied) = applied {
        let on_node = node.entries();
        let mut drift: BTreeSet<String> = BTreeSet::new();
        for (entry, digest) in &on_node {
            if applied.get(entry) != Some(digest) {
                drift.insert(entry_name(entry));
            }
        }
        for entry in applied.keys() {
            if !entry.starts_with(PENDING) && !on_node.contains_key(entry) {
                drift.insert(entry_name(entry));
            }
        }
        d.drift = drift.into_iter().collect();
    }
    d
}

/// The name an entry is shown by: the domain, or `user@domain`.
fn entry_name(entry: &str) -> String {
    entry
        .strip_prefix("d:")
        .or_else(|| entry.strip_prefix("s:"))
        .unwrap_or(entry)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(domains: &[(&str, &str)], subs: &[(&str, &str, &str)]) -> NodeState {
        NodeState {
            domains: domains
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect(),
            subscribers: subs
                .iter()
                .map(|(u, d, h)| {
                    (
                        ((*u).to_owned(), (*d).to_owned()),
                        ((*h).to_owned(), format!("{h}b")),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn a_first_apply_adds_everything_and_reports_no_drift() {
        let want = state(&[("a.test", "T1")], &[("1001", "a.test", "h1")]);
        let d = diff(&want, &NodeState::default(), &None);
        assert_eq!(d.domains_added, vec!["a.test"]);
        assert_eq!(d.subscribers_added, vec![("1001".into(), "a.test".into())]);
        assert!(d.reload_domains);
        assert!(d.drift.is_empty() && d.registrations_to_end.is_empty());
    }

    #[test]
    fn an_applied_state_has_an_empty_diff() {
        let want = state(&[("a.test", "T1")], &[("1001", "a.test", "h1")]);
        let d = diff(&want, &want, &Some(want.entries()));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(d.plan(), Plan::default());
    }

    #[test]
    fn removals_end_registrations_and_changes_are_not_drift() {
        let before = state(
            &[("a.test", "T1")],
            &[("1001", "a.test", "h1"), ("1002", "a.test", "h2")],
        );
        let want = state(&[("a.test", "T1")], &[("1001", "a.test", "new")]);
        let d = diff(&want, &before, &Some(before.entries()));
        assert_eq!(
            d.subscribers_changed,
            vec![("1001".into(), "a.test".into())]
        );
        assert_eq!(
            d.subscribers_removed,
            vec![("1002".into(), "a.test".into())]
        );
        assert_eq!(d.registrations_to_end, vec!["1002@a.test"]);
        assert!(!d.reload_domains, "no domain changed");
        assert!(d.drift.is_empty(), "Centralita moved, not the node");
    }

    #[test]
    fn rows_changed_on_the_node_are_drift() {
        let want = state(
            &[("a.test", "T1"), ("b.test", "T2")],
            &[("1001", "a.test", "h1")],
        );
        // By hand: a ha1 edited, a domain deleted, a stray subscriber inserted.
        let node = state(
            &[("a.test", "T1")],
            &[("1001", "a.test", "hacked"), ("9999", "a.test", "x")],
        );
        let d = diff(&want, &node, &Some(want.entries()));
        assert_eq!(d.drift, vec!["1001@a.test", "9999@a.test", "b.test"]);
        assert_eq!(d.domains_added, vec!["b.test"]);
        assert_eq!(
            d.subscribers_changed,
            vec![("1001".into(), "a.test".into())]
        );
        assert_eq!(d.registrations_to_end, vec!["9999@a.test"]);
        assert!(d.reload_domains);
    }

    #[test]
    fn owed_calls_are_made_and_own_rows_are_not_drift() {
        // The last reconcile wrote its rows and its snapshot, then JSON-RPC failed.
        let want = state(&[("a.test", "T1")], &[("1002", "a.test", "h2")]);
        let mut applied = want.entries();
        applied.insert(PENDING_RELOAD.into(), String::new());
        applied.insert(format!("{PENDING_END}1001@a.test"), String::new());
        let d = diff(&want, &want, &Some(applied));
        assert_eq!(d.row_count(), 0);
        assert!(d.drift.is_empty(), "{:?}", d.drift);
        assert!(d.reload_domains);
        assert_eq!(d.registrations_to_end, vec!["1001@a.test"]);
        assert_eq!(
            d.pending(),
            vec![
                PENDING_RELOAD.to_owned(),
                format!("{PENDING_END}1001@a.test")
            ]
        );
    }

    #[test]
    fn an_interrupted_apply_is_finished_by_the_next_one() {
        // The node transaction of the last reconcile committed (1002 and b.test gone) but
        // neither the reload nor ul.rm ran, so the snapshot still names them.
        let old = state(
            &[("a.test", "T1"), ("b.test", "T2")],
            &[("1001", "a.test", "h1"), ("1002", "a.test", "h2")],
        );
        let want = state(&[("a.test", "T1")], &[("1001", "a.test", "h1")]);
        let d = diff(&want, &want, &Some(old.entries()));
        assert_eq!(d.row_count(), 0);
        assert!(d.reload_domains, "the domain reload is redone");
        assert_eq!(d.registrations_to_end, vec!["1002@a.test"]);
    }
}
