//! Rating: which rate a dialled number takes, and what a call costs. Pure computation, no
//! I/O: the billing services load a deck version's rates into a [`RateIndex`] and ask it.
//!
//! # The cost of a call
//!
//! A rate has a price per minute, a connection fee, a minimum of billed seconds and two
//! billing increments: the first (the first `F` seconds are always billed whole) and the
//! next (each later `N` seconds, or part of them, are billed whole). Then:
//!
//! - **billed seconds** = 0 for a call of zero seconds; otherwise `max(minimum, F)` when the
//!   call lasted at most `F` seconds, else `max(minimum, F + ⌈(duration − F) / N⌉ × N)`;
//! - **cost** = connection fee + billed seconds × price per minute / 60, in micro-units
//!   (10⁻⁶ of the currency), the division rounded **half up, once**, at the end. A call of
//!   zero seconds (never answered) costs nothing: no connection fee either.
//!
//! Worked examples, at 0.012 per minute with a connection fee of 0.05 (micro-units in
//! brackets):
//!
//! | increments | minimum | duration | billed | cost |
//! |---|---|---|---|---|
//! | 30/6 | 0 | 0 s | 0 s | 0 |
//! | 30/6 | 0 | 1 s | 30 s | 0.05 + 30 × 0.012 / 60 = 0.056 (56,000) |
//! | 30/6 | 0 | 31 s | 36 s | 0.05 + 0.0072 = 0.0572 (57,200) |
//! | 60/60 | 0 | 61 s | 120 s | 0.05 + 0.024 = 0.074 (74,000) |
//! | 1/1 | 0 | 7 s | 7 s | 0.05 + 0.0014 = 0.0514 (51,400) |
//! | 6/6 | 60 | 7 s | 60 s | 0.05 + 0.012 = 0.062 (62,000) |
//!
//! and at 0.0001 per minute (100 micro-units), 1/1, no fee, 1 s: 100 / 60 = 1.67 → **2**
//! micro-units (half up); 3 s: 300 / 60 = 5 exactly.
//!
//! # Longest prefix
//!
//! A number takes the rate of the longest prefix of it that has a rate in effect at the
//! call's start (`effective_from` inclusive, `effective_until` exclusive); a longer prefix
//! whose rates are not in effect then is passed over for a shorter one. The index is a hash
//! map from (prefix length, prefix digits) packed in a `u64` to the prefix's rates, probed
//! from the longest possible prefix down: at most 15 probes. `tests/bench/rating.sh` chose
//! it over a digit trie (figures in the README).

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;

/// Longest prefix (and dialled number) considered: E.164 numbers have at most 15 digits.
pub const MAX_DIGITS: usize = 15;

/// How a call is billed: the numbers of the formula in the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tariff {
    /// Price per minute, in micro-units.
    pub per_minute: i64,
    /// Charged once for an answered call, in micro-units.
    pub connection_fee: i64,
    pub minimum_seconds: u32,
    /// Seconds billed whole at the start (at least 1).
    pub first_increment: u32,
    /// Seconds billed whole after the first increment (at least 1).
    pub next_increment: u32,
}

impl Tariff {
    /// Seconds billed for a call of `duration` seconds.
    pub fn billed_seconds(&self, duration: u32) -> u64 {
        if duration == 0 {
            return 0;
        }
        let first = u64::from(self.first_increment.max(1));
        let next = u64::from(self.next_increment.max(1));
        let d = u64::from(duration);
        let rounded = if d <= first {
            first
        } else {
            first + (d - first).div_ceil(next) * next
        };
        rounded.max(u64::from(self.minimum_seconds))
    }

    /// The cost of a call of `duration` seconds, in micro-units; `None` only if it would not
    /// fit an `i64` (a rate no deck accepts).
    pub fn cost(&self, duration: u32) -> Option<i64> {
        let billed = self.billed_seconds(duration);
        if billed == 0 {
            return Some(0);
        }
        // billed × per_minute / 60, half up: ⌊(2n + 60) / 120⌋ for n ≥ 0 (and symmetric
        // for a negative price, which only a refund deck would have).
        let n = i128::from(billed) * i128::from(self.per_minute);
        let usage = if n >= 0 {
            (2 * n + 60) / 120
        } else {
            -((-2 * n + 60) / 120)
        };
        i64::try_from(usage + i128::from(self.connection_fee)).ok()
    }
}

/// One rate of a deck version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// Digits only, 1-15 of them.
    pub prefix: String,
    pub destination: String,
    pub tariff: Tariff,
    pub effective_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub effective_until: Option<DateTime<Utc>>,
}

/// A rate as the index keeps it: 48 bytes, the destination named by its position in the
/// index's table of names.
#[derive(Debug, Clone, Copy)]
struct Packed {
    per_minute: i64,
    connection_fee: i64,
    /// Seconds since the epoch; `i64::MIN` / `i64::MAX` when open.
    from: i64,
    until: i64,
    minimum_seconds: u32,
    first_increment: u32,
    next_increment: u32,
    destination: u32,
}

impl Packed {
    fn tariff(&self) -> Tariff {
        Tariff {
            per_minute: self.per_minute,
            connection_fee: self.connection_fee,
            minimum_seconds: self.minimum_seconds,
            first_increment: self.first_increment,
            next_increment: self.next_increment,
        }
    }

    fn in_effect(&self, at: i64) -> bool {
        self.from <= at && at < self.until
    }
}

/// A prefix packed with its length, so `1` and `01` differ: `digits × 16 + length`; `None`
/// unless 1-15 ASCII digits.
pub fn key(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > MAX_DIGITS {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    Some(v * 16 + digits.len() as u64)
}

/// A matched prefix, rebuilt from its key: the index keeps no prefix text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    digits: [u8; MAX_DIGITS],
    len: u8,
}

impl Prefix {
    fn of(number: &[u8], len: usize) -> Self {
        let mut digits = [b'0'; MAX_DIGITS];
        digits[..len].copy_from_slice(&number[..len]);
        Self {
            digits,
            len: u8::try_from(len).unwrap_or(0),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    pub prefix: Prefix,
    pub destination: &'a str,
    pub tariff: Tariff,
}

/// Why a set of rates cannot be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// Not 1-15 digits.
    BadPrefix(String),
    /// Two rates of one prefix in effect at the same time.
    Overlap(String),
}

/// The rates of one deck version, by longest prefix.
#[derive(Debug, Default)]
pub struct RateIndex {
    /// Key → (first position in `rates`, how many): a prefix's rates, by `from`.
    prefixes: FxHashMap<u64, (u32, u32)>,
    rates: Vec<Packed>,
    destinations: Vec<Box<str>>,
}

impl RateIndex {
    /// Builds the index; refuses a malformed prefix and overlapping validity windows of one
    /// prefix (which rate would apply would be a guess).
    pub fn build(mut rates: Vec<Rate>) -> Result<Self, IndexError> {
        let mut keyed = Vec::with_capacity(rates.len());
        for r in rates.drain(..) {
            let k =
                key(r.prefix.as_bytes()).ok_or_else(|| IndexError::BadPrefix(r.prefix.clone()))?;
            keyed.push((k, r));
        }
        let secs = |t: Option<DateTime<Utc>>, open: i64| t.map_or(open, |t| t.timestamp());
        keyed.sort_by_key(|(k, r)| (*k, secs(r.effective_from, i64::MIN)));
        let mut index = Self::default();
        let mut names: FxHashMap<String, u32> = FxHashMap::default();
        index.prefixes.reserve(keyed.len());
        let mut previous: Option<(u64, i64)> = None;
        for (k, r) in keyed {
            let from = secs(r.effective_from, i64::MIN);
            let until = secs(r.effective_until, i64::MAX);
            if let Some((pk, p_until)) = previous
                && pk == k
                && from < p_until
            {
                return Err(IndexError::Overlap(r.prefix));
            }
            previous = Some((k, until));
            let next_name = u32::try_from(index.destinations.len()).unwrap_or(u32::MAX);
            let destination = *names.entry(r.destination.clone()).or_insert_with(|| {
                index
                    .destinations
                    .push(r.destination.clone().into_boxed_str());
                next_name
            });
            let at = u32::try_from(index.rates.len()).unwrap_or(u32::MAX);
            index
                .prefixes
                .entry(k)
                .and_modify(|(_, n)| *n += 1)
                .or_insert((at, 1));
            index.rates.push(Packed {
                per_minute: r.tariff.per_minute,
                connection_fee: r.tariff.connection_fee,
                from,
                until,
                minimum_seconds: r.tariff.minimum_seconds,
                first_increment: r.tariff.first_increment,
                next_increment: r.tariff.next_increment,
                destination,
            });
        }
        index.prefixes.shrink_to_fit();
        index.rates.shrink_to_fit();
        Ok(index)
    }

    /// The rate of the longest prefix of `number` in effect at `at`; `None` when no prefix
    /// has one (or the number is not digits: a leading `+` is ignored).
    pub fn lookup(&self, number: &str, at: DateTime<Utc>) -> Option<Match<'_>> {
        let digits = number.strip_prefix('+').unwrap_or(number).as_bytes();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let at = at.timestamp();
        let longest = digits.len().min(MAX_DIGITS);
        // The value of each leading run of digits, computed once.
        let mut values = [0u64; MAX_DIGITS + 1];
        for (i, d) in digits[..longest].iter().enumerate() {
            values[i + 1] = values[i] * 10 + u64::from(d - b'0');
        }
        for len in (1..=longest).rev() {
            let Some(&(start, count)) = self.prefixes.get(&(values[len] * 16 + len as u64)) else {
                continue;
            };
            let range = start as usize..(start + count) as usize;
            if let Some(i) = range.clone().find(|&i| self.rates[i].in_effect(at)) {
                let r = &self.rates[i];
                return Some(Match {
                    prefix: Prefix::of(digits, len),
                    destination: &self.destinations[r.destination as usize],
                    tariff: r.tariff(),
                });
            }
        }
        None
    }

    /// How many rates the index holds.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// Bytes the index holds on the heap (tables at capacity, destination names), for the
    /// benchmark's bytes-per-prefix figure.
    pub fn heap_bytes(&self) -> usize {
        let map = self.prefixes.capacity() * (std::mem::size_of::<(u64, (u32, u32))>() + 1);
        let rates = self.rates.capacity() * std::mem::size_of::<Packed>();
        let names = self.destinations.capacity() * std::mem::size_of::<Box<str>>()
            + self.destinations.iter().map(|d| d.len()).sum::<usize>();
        map + rates + names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn tariff(per_minute: i64, fee: i64, min: u32, first: u32, next: u32) -> Tariff {
        Tariff {
            per_minute,
            connection_fee: fee,
            minimum_seconds: min,
            first_increment: first,
            next_increment: next,
        }
    }

    /// The worked examples of the module documentation, and the increments the billing
    /// issue names: (tariff, duration, billed seconds, cost in micro-units).
    #[test]
    fn a_packed_rate_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), 48);
    }

    #[test]
    fn rating_vectors() {
        let t = |min, first, next| tariff(12_000, 50_000, min, first, next);
        let cases = [
            // zero duration: nothing billed, nothing charged (not even the fee)
            (t(0, 30, 6), 0, 0, 0),
            (t(60, 60, 60), 0, 0, 0),
            // 30/6
            (t(0, 30, 6), 1, 30, 56_000),
            (t(0, 30, 6), 30, 30, 56_000),
            (t(0, 30, 6), 31, 36, 57_200),
            (t(0, 30, 6), 36, 36, 57_200),
            (t(0, 30, 6), 37, 42, 58_400),
            // 60/60
            (t(0, 60, 60), 59, 60, 62_000),
            (t(0, 60, 60), 61, 120, 74_000),
            // 1/1
            (t(0, 1, 1), 7, 7, 51_400),
            (t(0, 1, 1), 3_600, 3_600, 770_000),
            // 6/6 with a minimum
            (t(60, 6, 6), 7, 60, 62_000),
            (t(60, 6, 6), 61, 66, 63_200),
        ];
        for (tar, duration, billed, cost) in cases {
            assert_eq!(tar.billed_seconds(duration), billed, "{tar:?} {duration}s");
            assert_eq!(tar.cost(duration), Some(cost), "{tar:?} {duration}s");
        }
    }

    #[test]
    fn the_division_rounds_half_up_once() {
        let t = tariff(100, 0, 0, 1, 1);
        assert_eq!(t.cost(1), Some(2), "100/60 = 1.67 → 2");
        assert_eq!(t.cost(3), Some(5), "300/60 = 5");
        // 0.5 exactly rounds up: 30 µ/min for 1 s = 0.5 µ.
        assert_eq!(tariff(30, 0, 0, 1, 1).cost(1), Some(1));
        // Below a half rounds down: 29 µ/min for 1 s = 0.483 µ.
        assert_eq!(tariff(29, 0, 0, 1, 1).cost(1), Some(0));
        // Rounded once over the whole call, never per increment: 10 µ/min, 1/1, 6 s =
        // 60/60 = 1, where six rounded seconds would be 6 × round(0.167) = 0.
        assert_eq!(tariff(10, 0, 0, 1, 1).cost(6), Some(1));
        assert_eq!(
            tariff(i64::MAX, 0, 0, 1, 1).cost(3_600),
            None,
            "overflow is refused"
        );
    }

    fn rate(prefix: &str, dest: &str, per_minute: i64) -> Rate {
        Rate {
            prefix: prefix.into(),
            destination: dest.into(),
            tariff: tariff(per_minute, 0, 0, 1, 1),
            effective_from: None,
            effective_until: None,
        }
    }

    #[test]
    fn the_longest_prefix_wins() {
        let index = RateIndex::build(vec![
            rate("34", "Spain", 10_000),
            rate("346", "Spain mobile", 30_000),
            rate("3491", "Madrid", 8_000),
            rate("1", "NANP", 5_000),
        ])
        .unwrap();
        let now = Utc::now();
        let found = |n: &str| {
            index
                .lookup(n, now)
                .map(|m| (m.prefix.as_str().to_owned(), m.destination.to_owned()))
        };
        assert_eq!(
            found("+34911234567"),
            Some(("3491".into(), "Madrid".into()))
        );
        assert_eq!(
            found("34612345678"),
            Some(("346".into(), "Spain mobile".into()))
        );
        assert_eq!(found("34812345678"), Some(("34".into(), "Spain".into())));
        assert_eq!(found("12125550100"), Some(("1".into(), "NANP".into())));
        assert_eq!(found("4420"), None);
        assert_eq!(
            found("34'; DROP TABLE rates;--"),
            None,
            "not digits: no rate"
        );
        assert_eq!(found(""), None);
        // Numbers longer than 15 digits are matched on their first 15.
        assert_eq!(
            found("3491123456789012345").map(|m| m.0),
            Some("3491".into())
        );
    }

    #[test]
    fn effective_dates_around_midnight() {
        let midnight = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let second = chrono::Duration::seconds(1);
        let mut old = rate("44", "UK old", 10_000);
        old.effective_until = Some(midnight);
        let mut new = rate("44", "UK new", 12_000);
        new.effective_from = Some(midnight);
        let mut promo = rate("447", "UK mobile promo", 1_000);
        promo.effective_from = Some(midnight);
        promo.effective_until = Some(midnight + chrono::Duration::days(1));
        let index = RateIndex::build(vec![old, new, promo]).unwrap();
        let dest = |n: &str, at| index.lookup(n, at).map(|m| m.destination.to_owned());
        assert_eq!(dest("4420", midnight - second).as_deref(), Some("UK old"));
        assert_eq!(
            dest("4420", midnight).as_deref(),
            Some("UK new"),
            "from is inclusive"
        );
        // Before the promotion the longer prefix has no rate in effect: the shorter one
        // applies; during it, the longer one; at its end (exclusive), the shorter again.
        assert_eq!(dest("44712", midnight - second).as_deref(), Some("UK old"));
        assert_eq!(dest("44712", midnight).as_deref(), Some("UK mobile promo"));
        assert_eq!(
            dest("44712", midnight + chrono::Duration::days(1)).as_deref(),
            Some("UK new")
        );
    }

    #[test]
    fn malformed_prefixes_and_overlapping_windows_are_refused() {
        for bad in ["", "12a", "+34", "1234567890123456"] {
            assert_eq!(
                RateIndex::build(vec![rate(bad, "x", 1)]).err(),
                Some(IndexError::BadPrefix(bad.into())),
                "{bad:?}"
            );
        }
        let midnight = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let mut a = rate("44", "a", 1);
        a.effective_until = Some(midnight + chrono::Duration::seconds(1));
        let mut b = rate("44", "b", 1);
        b.effective_from = Some(midnight);
        assert_eq!(
            RateIndex::build(vec![a, b]).err(),
            Some(IndexError::Overlap("44".into()))
        );
        // `1` and `01` are different prefixes.
        let index = RateIndex::build(vec![rate("1", "one", 1), rate("01", "zero-one", 2)]).unwrap();
        assert_eq!(
            index.lookup("0123", Utc::now()).map(|m| m.destination),
            Some("zero-one")
        );
        assert_eq!(
            index.lookup("123", Utc::now()).map(|m| m.destination),
            Some("one")
        );
    }
}
