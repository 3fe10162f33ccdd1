//! Longest-prefix lookup and in-memory rating, for `tests/bench/rating.sh`: the index of
//! `centralita_domain::rating` against a digit trie (the usual structure, Kazoo's among
//! others) built from the same prefixes in the same run. Prints figures; asserts nothing
//! but that both structures agree.

use std::time::Instant;

use centralita_domain::rating::{Rate, RateIndex, Tariff};
use chrono::Utc;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// A digit trie: ten children per node, and the rate position of a prefix ending there.
struct Trie {
    nodes: Vec<([u32; 10], u32)>,
}

impl Trie {
    const NONE: u32 = u32::MAX;

    fn build(prefixes: &[String]) -> Self {
        let mut t = Trie {
            nodes: vec![([Self::NONE; 10], Self::NONE)],
        };
        for (i, p) in prefixes.iter().enumerate() {
            let mut at = 0usize;
            for d in p.bytes() {
                let c = usize::from(d - b'0');
                if t.nodes[at].0[c] == Self::NONE {
                    t.nodes.push(([Self::NONE; 10], Self::NONE));
                    t.nodes[at].0[c] = (t.nodes.len() - 1) as u32;
                }
                at = t.nodes[at].0[c] as usize;
            }
            t.nodes[at].1 = i as u32;
        }
        t.nodes.shrink_to_fit();
        t
    }

    fn lookup(&self, number: &str) -> Option<u32> {
        let mut at = 0usize;
        let mut best = None;
        for d in number.bytes().take(15) {
            let next = self.nodes[at].0[usize::from(d - b'0')];
            if next == Self::NONE {
                break;
            }
            at = next as usize;
            if self.nodes[at].1 != Self::NONE {
                best = Some(self.nodes[at].1);
            }
        }
        best
    }

    fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<([u32; 10], u32)>()
    }
}

fn deck(n: usize, rng: &mut StdRng) -> Vec<String> {
    let mut set = std::collections::HashSet::with_capacity(n);
    while set.len() < n {
        let len = rng.random_range(2..=9);
        let mut p = String::with_capacity(len);
        p.push(char::from(b'1' + rng.random_range(0..9u8)));
        for _ in 1..len {
            p.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        set.insert(p);
    }
    let mut v: Vec<String> = set.into_iter().collect();
    v.sort();
    v
}

fn numbers(prefixes: &[String], n: usize, rng: &mut StdRng) -> Vec<String> {
    (0..n)
        .map(|i| {
            // Nine in ten numbers start with a deck prefix; the rest are random.
            let mut s = if i % 10 == 0 {
                String::new()
            } else {
                prefixes[rng.random_range(0..prefixes.len())].clone()
            };
            while s.len() < 12 {
                s.push(char::from(b'0' + rng.random_range(0..10u8)));
            }
            s
        })
        .collect()
}

/// Median over batches of the mean time per lookup, in nanoseconds.
fn median_ns(numbers: &[String], mut f: impl FnMut(&str) -> bool) -> (f64, usize) {
    let mut per_batch = Vec::new();
    let mut hits = 0;
    for batch in numbers.chunks(1_000) {
        let t = Instant::now();
        for n in batch {
            if f(n) {
                hits += 1;
            }
        }
        per_batch.push(t.elapsed().as_nanos() as f64 / batch.len() as f64);
    }
    per_batch.sort_by(f64::total_cmp);
    (per_batch[per_batch.len() / 2], hits)
}

fn main() {
    let mut rng = StdRng::seed_from_u64(8);
    let now = Utc::now();
    for size in [100_000usize, 500_000] {
        let prefixes = deck(size, &mut rng);
        let rates: Vec<Rate> = prefixes
            .iter()
            .enumerate()
            .map(|(i, p)| Rate {
                prefix: p.clone(),
                destination: format!("Destination {}", i % 2_000),
                tariff: Tariff {
                    per_minute: 1_000 + (i as i64 % 50_000),
                    connection_fee: 0,
                    minimum_seconds: 0,
                    first_increment: 30,
                    next_increment: 6,
                },
                effective_from: None,
                effective_until: None,
            })
            .collect();
        let t = Instant::now();
        let index = RateIndex::build(rates).unwrap_or_default();
        let build = t.elapsed();
        let trie = Trie::build(&prefixes);
        let sample = numbers(&prefixes, 1_000_000, &mut rng);
        // Both structures agree on every number.
        for n in sample.iter().take(100_000) {
            let a = index.lookup(n, now).map(|m| m.prefix.as_str().to_owned());
            let b = trie.lookup(n).map(|i| prefixes[i as usize].clone());
            assert_eq!(a, b, "{n}");
        }
        let (hash_ns, hits) = median_ns(&sample, |n| index.lookup(n, now).is_some());
        let (trie_ns, trie_hits) = median_ns(&sample, |n| trie.lookup(n).is_some());
        assert_eq!(hits, trie_hits);
        println!(
            "== {size} prefixes (built in {:.0} ms)",
            build.as_secs_f64() * 1e3
        );
        println!(
            "  hash index (chosen):  median {hash_ns:7.0} ns/lookup   {:5.1} bytes/prefix (rates and names included)",
            index.heap_bytes() as f64 / size as f64
        );
        println!(
            "  digit trie (baseline): median {trie_ns:7.0} ns/lookup   {:5.1} bytes/prefix (nodes only, no rates)",
            trie.heap_bytes() as f64 / size as f64
        );
        if size == 100_000 {
            // Rating 1M calls in memory: lookup and cost, random durations.
            let durations: Vec<u32> = (0..sample.len())
                .map(|_| rng.random_range(0..3_600))
                .collect();
            let t = Instant::now();
            let mut total: i64 = 0;
            let mut rated = 0usize;
            for (n, d) in sample.iter().zip(&durations) {
                if let Some(m) = index.lookup(n, now)
                    && let Some(c) = m.tariff.cost(*d)
                {
                    total = total.wrapping_add(c);
                    rated += 1;
                }
            }
            let took = t.elapsed();
            println!(
                "  rating 1,000,000 calls in memory: {:.2} s on one core ({rated} rated, checksum {total})",
                took.as_secs_f64()
            );
        }
    }
}
