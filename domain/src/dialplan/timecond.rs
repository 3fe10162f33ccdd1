//! Time conditions: "is it office hours (in the office's time zone) right now?", like FreePBX
//! time groups.
//!
//! A [`TimeCondition`] holds an IANA time zone and a list of [`TimeRule`]s. A rule has up to
//! five parts, each a list of ranges:
//!
//! | part | text forms | example |
//! |---|---|---|
//! | `weekdays` | `mon`…`sun` (or full names), ranges may wrap | `mon-fri`, `fri-mon`, `sat` |
//! | `times` | `HH:MM-HH:MM`, start inclusive, end exclusive; may wrap past midnight; `24:00` as an end | `09:00-17:30`, `22:00-06:00` |
//! | `dates` | `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD..YYYY-MM-DD` | `2026-12-25`, `2026-12-24..2026-12-26` |
//! | `month_days` | day of the month, ranges may wrap | `1-15`, `25-5`, `1` |
//! | `months` | `jan`…`dec` (or full names), ranges may wrap | `jan-mar`, `nov-feb` |
//!
//! **A rule matches when every part it gives matches** (a part matches when any of its ranges
//! does; an absent or empty part matches everything), and **the condition matches when any
//! rule matches**. Everything is evaluated on the local wall clock of the zone, so the
//! condition follows daylight-saving changes as the people in the office do:
//!
//! - on a spring-forward day the skipped local hour (02:00-03:00 in New York on 2026-03-08)
//!   never happens, so a range inside it matches no instant that day, and a range across it is
//!   an hour shorter in real time;
//! - on a fall-back day the repeated local hour happens twice, and a range covering it matches
//!   both times (an hour longer in real time).
//!
//! **Wrap-around times belong to the day they start.** With `mon-fri` and `22:00-06:00`, the
//! early hours of Saturday (Friday's night) match and the early hours of Monday (Sunday's
//! night) do not: for the after-midnight part of a wrapping range, the weekday, date,
//! month-day and month parts are checked against the previous day. (Asterisk's
//! `GotoIfTime` checks each part against the current day instead, which makes such a night
//! shift start on Sunday night; operators reading `mon-fri 22:00-06:00` mean the former.)
//!
//! **Holidays override through `exceptions`**, a second rule set in the same condition: the
//! condition matches when some rule matches and no exception does. "Office hours except
//! public holidays" is `rules: [mon-fri 09:00-17:00]`, `exceptions: [dates 2026-12-25, …]`.
//! When a holiday must go somewhere of its own (a "closed for the holidays" greeting rather
//! than the ordinary after-hours branch), use a separate holiday condition placed first
//! instead: its matched branch is the holiday greeting and its unmatched branch is the office
//! hours condition.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Most rules (and, separately, exceptions) in one condition.
pub const MAX_RULES: usize = 100;
/// Most ranges in one part of one rule: a few years of holidays fit.
pub const MAX_ITEMS_PER_PART: usize = 100;

/// What is wrong with one text form; see [`TimeParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseErrorKind {
    #[error("expected a time range such as 09:00-17:30")]
    TimeRangeSyntax,
    #[error("expected a time of day as HH:MM, such as 09:00")]
    TimeSyntax,
    #[error("the hour must be 00-23 (24:00 is allowed as the end of a range)")]
    Hour,
    #[error("the minutes must be 00-59")]
    Minute,
    #[error("start and end are the same time: leave the times out to cover the whole day")]
    EmptyTimeRange,
    #[error(
        "expected a weekday or weekday range such as mon-fri \
         (mon, tue, wed, thu, fri, sat, sun)"
    )]
    Weekday,
    #[error("expected a date YYYY-MM-DD or a date range YYYY-MM-DD..YYYY-MM-DD")]
    DateSyntax,
    #[error("{0} is not a day of the calendar")]
    NoSuchDate(String),
    #[error("the date range ends before it starts")]
    DescendingDates,
    #[error("expected a day of the month 1-31 or a range such as 1-15")]
    MonthDay,
    #[error("expected a month or month range such as jan-mar (jan, feb, … dec)")]
    Month,
}

/// A text form that does not parse, with the text it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?}: {kind}")]
pub struct TimeParseError {
    pub input: String,
    pub kind: TimeParseErrorKind,
}

fn parse_err(input: &str, kind: TimeParseErrorKind) -> TimeParseError {
    TimeParseError {
        input: input.to_owned(),
        kind,
    }
}

/// Splits `a-b` (or a single `a`) around one `-`, trimming spaces.
fn split_range<'s>(s: &'s str, separator: &str) -> Option<(&'s str, &'s str)> {
    match s.split_once(separator) {
        Some((a, b)) => Some((a.trim(), b.trim())),
        None => Some((s.trim(), s.trim())),
    }
    .filter(|(a, b)| !a.is_empty() && !b.is_empty())
}

/// Whether `x` lies in the inclusive range `first..=last`, which wraps when `first > last`.
fn in_cyclic(first: u32, last: u32, x: u32) -> bool {
    if first <= last {
        first <= x && x <= last
    } else {
        x >= first || x <= last
    }
}

macro_rules! text_serde {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = TimeParseError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> Self {
                v.to_string()
            }
        }
    };
}

/// An inclusive weekday range such as `mon-fri`; `fri-mon` wraps over the weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WeekdayRange {
    first: Weekday,
    last: Weekday,
}

const WEEKDAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "monday"),
    (Weekday::Tue, "tue", "tuesday"),
    (Weekday::Wed, "wed", "wednesday"),
    (Weekday::Thu, "thu", "thursday"),
    (Weekday::Fri, "fri", "friday"),
    (Weekday::Sat, "sat", "saturday"),
    (Weekday::Sun, "sun", "sunday"),
];

fn weekday_name(d: Weekday) -> &'static str {
    WEEKDAYS[d.num_days_from_monday() as usize].1
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    let s = s.to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .find(|(_, short, long)| s == *short || s == *long)
        .map(|(d, _, _)| *d)
}

impl WeekdayRange {
    /// The range from `first` to `last` inclusive, wrapping past Sunday when `last` comes
    /// before `first`.
    pub fn new(first: Weekday, last: Weekday) -> Self {
        Self { first, last }
    }

    pub fn contains(&self, day: Weekday) -> bool {
        in_cyclic(
            self.first.num_days_from_monday(),
            self.last.num_days_from_monday(),
            day.num_days_from_monday(),
        )
    }
}

impl FromStr for WeekdayRange {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || parse_err(s, TimeParseErrorKind::Weekday);
        let (a, b) = split_range(s, "-").ok_or_else(err)?;
        let first = parse_weekday(a).ok_or_else(err)?;
        let last = parse_weekday(b).ok_or_else(err)?;
        Ok(Self { first, last })
    }
}

impl fmt::Display for WeekdayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(weekday_name(self.first))?;
        if self.first != self.last {
            write!(f, "-{}", weekday_name(self.last))?;
        }
        Ok(())
    }
}

text_serde!(WeekdayRange);

/// A time-of-day range in minutes since midnight: start inclusive, end exclusive. When the
/// end is before the start the range wraps past midnight; start and end never coincide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    start: u16,
    end: u16,
}

/// Which local day the other parts of a rule are checked against for a time in a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    /// The range started today.
    Today,
    /// The after-midnight part of a wrapping range that started yesterday.
    Yesterday,
}

const MINUTES_PER_DAY: u16 = 24 * 60;

/// Parses `HH:MM` (or `H:MM`) into minutes since midnight; `24:00` only when `end`.
fn parse_clock(s: &str, end: bool) -> Result<u16, TimeParseErrorKind> {
    let (h, m) = s.split_once(':').ok_or(TimeParseErrorKind::TimeSyntax)?;
    let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || h.len() > 2 || !all_digits(m) || m.len() != 2 {
        return Err(TimeParseErrorKind::TimeSyntax);
    }
    let hour: u16 = h.parse().map_err(|_| TimeParseErrorKind::TimeSyntax)?;
    let minute: u16 = m.parse().map_err(|_| TimeParseErrorKind::TimeSyntax)?;
    if minute > 59 {
        return Err(TimeParseErrorKind::Minute);
    }
    match hour {
        0..=23 => Ok(hour * 60 + minute),
        24 if end && minute == 0 => Ok(MINUTES_PER_DAY),
        _ => Err(TimeParseErrorKind::Hour),
    }
}

impl TimeRange {
    /// Where `seconds` (since local midnight) falls, if inside the range.
    fn shift(&self, seconds: u32) -> Option<Shift> {
        let (start, end) = (u32::from(self.start) * 60, u32::from(self.end) * 60);
        if start < end {
            (start <= seconds && seconds < end).then_some(Shift::Today)
        } else if seconds >= start {
            Some(Shift::Today)
        } else if seconds < end {
            Some(Shift::Yesterday)
        } else {
            None
        }
    }
}

impl FromStr for TimeRange {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s
            .split_once('-')
            .map(|(a, b)| (a.trim(), b.trim()))
            .ok_or_else(|| parse_err(s, TimeParseErrorKind::TimeRangeSyntax))?;
        let start = parse_clock(a, false).map_err(|k| parse_err(s, k))?;
        let end = parse_clock(b, true).map_err(|k| parse_err(s, k))?;
        if start == end {
            return Err(parse_err(s, TimeParseErrorKind::EmptyTimeRange));
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| (m / 60, m % 60);
        let ((sh, sm), (eh, em)) = (hm(self.start), hm(self.end));
        write!(f, "{sh:02}:{sm:02}-{eh:02}:{em:02}")
    }
}

text_serde!(TimeRange);

/// An inclusive range of calendar dates (a single date when both ends are equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DateRange {
    first: NaiveDate,
    last: NaiveDate,
}

/// Parses exactly `YYYY-MM-DD`, so that `2026-1-5` or `26-01-05` are refused rather than
/// guessed at.
fn parse_date(s: &str) -> Result<NaiveDate, TimeParseErrorKind> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(TimeParseErrorKind::DateSyntax);
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(TimeParseErrorKind::DateSyntax);
    };
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| TimeParseErrorKind::NoSuchDate(s.to_owned()))
}

impl DateRange {
    /// The dates from `first` to `last` inclusive; `None` when `last` is before `first`.
    pub fn new(first: NaiveDate, last: NaiveDate) -> Option<Self> {
        (first <= last).then_some(Self { first, last })
    }

    pub fn single(date: NaiveDate) -> Self {
        Self {
            first: date,
            last: date,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }
}

impl FromStr for DateRange {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) =
            split_range(s, "..").ok_or_else(|| parse_err(s, TimeParseErrorKind::DateSyntax))?;
        let first = parse_date(a).map_err(|k| parse_err(s, k))?;
        let last = parse_date(b).map_err(|k| parse_err(s, k))?;
        Self::new(first, last).ok_or_else(|| parse_err(s, TimeParseErrorKind::DescendingDates))
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first.format("%Y-%m-%d"))?;
        if self.first != self.last {
            write!(f, "..{}", self.last.format("%Y-%m-%d"))?;
        }
        Ok(())
    }
}

text_serde!(DateRange);

/// An inclusive range of days of the month, 1-31; `25-5` wraps into the next month. Days a
/// month does not have (the 31st of April) simply never match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthDayRange {
    first: u8,
    last: u8,
}

impl MonthDayRange {
    pub fn contains(&self, day: u32) -> bool {
        in_cyclic(u32::from(self.first), u32::from(self.last), day)
    }
}

impl FromStr for MonthDayRange {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || parse_err(s, TimeParseErrorKind::MonthDay);
        let day = |x: &str| {
            x.parse::<u8>()
                .ok()
                .filter(|d| (1..=31).contains(d) && x.bytes().all(|b| b.is_ascii_digit()))
        };
        let (a, b) = split_range(s, "-").ok_or_else(err)?;
        let first = day(a).ok_or_else(err)?;
        let last = day(b).ok_or_else(err)?;
        Ok(Self { first, last })
    }
}

impl fmt::Display for MonthDayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if self.first != self.last {
            write!(f, "-{}", self.last)?;
        }
        Ok(())
    }
}

text_serde!(MonthDayRange);

/// An inclusive range of months; `nov-feb` wraps over the new year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthRange {
    /// 1-12.
    first: u8,
    /// 1-12.
    last: u8,
}

const MONTHS: [(&str, &str); 12] = [
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may", "may"),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
];

fn parse_month(s: &str) -> Option<u8> {
    let s = s.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|(short, long)| s == *short || s == *long)
        .and_then(|i| u8::try_from(i + 1).ok())
}

fn month_name(m: u8) -> &'static str {
    MONTHS
        .get(usize::from(m).wrapping_sub(1))
        .map_or("?", |(short, _)| short)
}

impl MonthRange {
    /// `month` as chrono counts it, 1-12.
    pub fn contains(&self, month: u32) -> bool {
        in_cyclic(u32::from(self.first), u32::from(self.last), month)
    }
}

impl FromStr for MonthRange {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || parse_err(s, TimeParseErrorKind::Month);
        let (a, b) = split_range(s, "-").ok_or_else(err)?;
        let first = parse_month(a).ok_or_else(err)?;
        let last = parse_month(b).ok_or_else(err)?;
        Ok(Self { first, last })
    }
}

impl fmt::Display for MonthRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(month_name(self.first))?;
        if self.first != self.last {
            write!(f, "-{}", month_name(self.last))?;
        }
        Ok(())
    }
}

text_serde!(MonthRange);

/// One rule of a time condition: every non-empty part must match (see the
/// [module documentation](self)). The default rule has no parts and matches always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TimeRuleRepr", into = "TimeRuleRepr")]
pub struct TimeRule {
    pub weekdays: Vec<WeekdayRange>,
    pub times: Vec<TimeRange>,
    pub dates: Vec<DateRange>,
    pub month_days: Vec<MonthDayRange>,
    pub months: Vec<MonthRange>,
}

/// Wire form of [`TimeRule`]: each part a list of text forms, absent meaning "any". Unknown
/// fields are refused, since a misspelt part silently ignored would match everything. Public
/// only as the OpenAPI schema of a rule (`TimeRule`); values are built by parsing.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TimeRule)]
pub struct TimeRuleRepr {
    /// Days of the week: `mon`…`sun` (or full names) or a range that may wrap (`mon-fri`,
    /// `fri-mon`). Absent: any day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100, example = json!(["mon-fri"]))]
    weekdays: Vec<String>,
    /// `HH:MM-HH:MM`, start inclusive, end exclusive, may wrap past midnight (`22:00-06:00`);
    /// `24:00` as an end. Absent: all day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100, example = json!(["09:00-17:30"]))]
    times: Vec<String>,
    /// `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD..YYYY-MM-DD`. Absent: any date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100, example = json!(["2026-12-24..2026-12-26"]))]
    dates: Vec<String>,
    /// Days of the month (`1`, `1-15`, `25-5` wraps). Absent: any day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100, example = json!(["1-15"]))]
    month_days: Vec<String>,
    /// `jan`…`dec` (or full names) or a range that may wrap (`nov-feb`). Absent: any month.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100, example = json!(["jan-mar"]))]
    months: Vec<String>,
}

fn texts<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// Parses one part's texts, naming `{path}{part}[i]` in errors.
fn parse_part<T: FromStr<Err = TimeParseError>>(
    path: &str,
    part: &str,
    items: &[String],
) -> Result<Vec<T>, TimeConditionError> {
    if items.len() > MAX_ITEMS_PER_PART {
        return Err(TimeConditionError::TooManyItems {
            field: format!("{path}{part}"),
        });
    }
    items
        .iter()
        .enumerate()
        .map(|(i, text)| {
            text.parse().map_err(|source| TimeConditionError::Invalid {
                field: format!("{path}{part}[{i}]"),
                source,
            })
        })
        .collect()
}

impl TimeRuleRepr {
    /// Validates into a rule; `path` prefixes the field names in errors (`rules[2].`).
    fn parse(&self, path: &str) -> Result<TimeRule, TimeConditionError> {
        Ok(TimeRule {
            weekdays: parse_part(path, "weekdays", &self.weekdays)?,
            times: parse_part(path, "times", &self.times)?,
            dates: parse_part(path, "dates", &self.dates)?,
            month_days: parse_part(path, "month_days", &self.month_days)?,
            months: parse_part(path, "months", &self.months)?,
        })
    }
}

impl TryFrom<TimeRuleRepr> for TimeRule {
    type Error = TimeConditionError;

    fn try_from(r: TimeRuleRepr) -> Result<Self, Self::Error> {
        r.parse("")
    }
}

impl From<TimeRule> for TimeRuleRepr {
    fn from(r: TimeRule) -> Self {
        (&r).into()
    }
}

impl From<&TimeRule> for TimeRuleRepr {
    fn from(r: &TimeRule) -> Self {
        Self {
            weekdays: texts(&r.weekdays),
            times: texts(&r.times),
            dates: texts(&r.dates),
            month_days: texts(&r.month_days),
            months: texts(&r.months),
        }
    }
}

impl TimeRule {
    /// Whether the rule matches at this local wall-clock time.
    pub fn matches_local(&self, local: NaiveDateTime) -> bool {
        let today = local.date();
        if self.times.is_empty() {
            return self.day_matches(today);
        }
        let seconds = local.time().num_seconds_from_midnight();
        self.times.iter().any(|range| match range.shift(seconds) {
            Some(Shift::Today) => self.day_matches(today),
            Some(Shift::Yesterday) => today.pred_opt().is_some_and(|d| self.day_matches(d)),
            None => false,
        })
    }

    /// Whether the day-level parts (all but `times`) match `day`.
    fn day_matches(&self, day: NaiveDate) -> bool {
        fn any<T>(items: &[T], f: impl Fn(&T) -> bool) -> bool {
            items.is_empty() || items.iter().any(f)
        }
        any(&self.weekdays, |r| r.contains(day.weekday()))
            && any(&self.dates, |r| r.contains(day))
            && any(&self.month_days, |r| r.contains(day.day()))
            && any(&self.months, |r| r.contains(day.month()))
    }

    fn item_count_ok(&self) -> Option<&'static str> {
        [
            ("weekdays", self.weekdays.len()),
            ("times", self.times.len()),
            ("dates", self.dates.len()),
            ("month_days", self.month_days.len()),
            ("months", self.months.len()),
        ]
        .into_iter()
        .find(|&(_, n)| n > MAX_ITEMS_PER_PART)
        .map(|(part, _)| part)
    }
}

impl fmt::Display for TimeRule {
    /// A one-line summary for logs and explanations, e.g. `weekdays=mon-fri times=09:00-17:00`
    /// (`always` for a rule without parts).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let repr = TimeRuleRepr::from(self);
        let parts = [
            ("weekdays", &repr.weekdays),
            ("times", &repr.times),
            ("dates", &repr.dates),
            ("month_days", &repr.month_days),
            ("months", &repr.months),
        ];
        let mut first = true;
        for (name, items) in parts.into_iter().filter(|(_, items)| !items.is_empty()) {
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "{name}={}", items.join(","))?;
            first = false;
        }
        if first {
            f.write_str("always")?;
        }
        Ok(())
    }
}

/// Why a time condition is invalid. [`TimeConditionError::field`] names the offending field
/// (`time_zone`, `rules`, `exceptions[0].dates[3]`…) for a field-level API error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeConditionError {
    #[error(
        "time_zone: unknown time zone {0:?}: use an IANA name such as Europe/Madrid or \
         America/New_York"
    )]
    UnknownTimeZone(String),
    #[error("rules: a time condition needs at least one rule")]
    NoRules,
    #[error("{field}: at most {MAX_RULES} entries are allowed")]
    TooManyRules { field: &'static str },
    #[error("{field}: at most {MAX_ITEMS_PER_PART} entries are allowed")]
    TooManyItems { field: String },
    #[error("{field}: {source}")]
    Invalid {
        field: String,
        #[source]
        source: TimeParseError,
    },
}

impl TimeConditionError {
    pub fn field(&self) -> String {
        match self {
            TimeConditionError::UnknownTimeZone(_) => "time_zone".to_owned(),
            TimeConditionError::NoRules => "rules".to_owned(),
            TimeConditionError::TooManyRules { field } => (*field).to_owned(),
            TimeConditionError::TooManyItems { field }
            | TimeConditionError::Invalid { field, .. } => field.clone(),
        }
    }

    /// The error as a field-level API error (code `invalid_time_condition`), its field under
    /// `prefix` when not empty.
    pub fn to_field_error(&self, prefix: &str) -> FieldError {
        let field = if prefix.is_empty() {
            self.field()
        } else {
            format!("{prefix}.{}", self.field())
        };
        FieldError::new(field, "invalid_time_condition", self.to_string())
    }
}

/// Parses an IANA time zone name (`Europe/Madrid`), exactly as the tz database spells it.
pub fn parse_time_zone(name: &str) -> Result<Tz, TimeConditionError> {
    name.parse::<Tz>()
        .map_err(|_| TimeConditionError::UnknownTimeZone(name.to_owned()))
}

/// A set of rules in one time zone, and exceptions that override them (see the
/// [module documentation](self)). Fields are private so every value has been validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TimeConditionRepr", into = "TimeConditionRepr")]
pub struct TimeCondition {
    time_zone: Tz,
    rules: Vec<TimeRule>,
    exceptions: Vec<TimeRule>,
}

/// Wire form of [`TimeCondition`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeConditionRepr {
    time_zone: String,
    rules: Vec<TimeRuleRepr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    exceptions: Vec<TimeRuleRepr>,
}

impl TryFrom<TimeConditionRepr> for TimeCondition {
    type Error = TimeConditionError;

    fn try_from(r: TimeConditionRepr) -> Result<Self, Self::Error> {
        let time_zone = parse_time_zone(&r.time_zone)?;
        let parse_all = |field: &'static str, list: &[TimeRuleRepr]| {
            if list.len() > MAX_RULES {
                return Err(TimeConditionError::TooManyRules { field });
            }
            list.iter()
                .enumerate()
                .map(|(i, rule)| rule.parse(&format!("{field}[{i}].")))
                .collect::<Result<Vec<_>, _>>()
        };
        let rules = parse_all("rules", &r.rules)?;
        let exceptions = parse_all("exceptions", &r.exceptions)?;
        Self::new(time_zone, rules, exceptions)
    }
}

impl From<TimeCondition> for TimeConditionRepr {
    fn from(c: TimeCondition) -> Self {
        Self {
            time_zone: c.time_zone.name().to_owned(),
            rules: c.rules.iter().map(Into::into).collect(),
            exceptions: c.exceptions.iter().map(Into::into).collect(),
        }
    }
}

/// The outcome of [`TimeCondition::explain`]: what `evaluate` decided and why, for the API's
/// `evaluate` endpoint and for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The instant on the zone's wall clock, as the rules saw it.
    pub local_time: DateTime<Tz>,
    /// Index of the first rule that matched.
    pub rule: Option<usize>,
    /// Index of the first exception that matched (computed even when no rule matched).
    pub exception: Option<usize>,
    /// A rule matched and no exception did.
    pub matched: bool,
}

impl TimeCondition {
    /// Builds a condition: at least one rule, at most [`MAX_RULES`] rules and exceptions, at
    /// most [`MAX_ITEMS_PER_PART`] entries per part.
    pub fn new(
        time_zone: Tz,
        rules: Vec<TimeRule>,
        exceptions: Vec<TimeRule>,
    ) -> Result<Self, TimeConditionError> {
        if rules.is_empty() {
            return Err(TimeConditionError::NoRules);
        }
        for (field, list) in [("rules", &rules), ("exceptions", &exceptions)] {
            if list.len() > MAX_RULES {
                return Err(TimeConditionError::TooManyRules { field });
            }
            if let Some((i, part)) = list
                .iter()
                .enumerate()
                .find_map(|(i, r)| r.item_count_ok().map(|part| (i, part)))
            {
                return Err(TimeConditionError::TooManyItems {
                    field: format!("{field}[{i}].{part}"),
                });
            }
        }
        Ok(Self {
            time_zone,
            rules,
            exceptions,
        })
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn rules(&self) -> &[TimeRule] {
        &self.rules
    }

    pub fn exceptions(&self) -> &[TimeRule] {
        &self.exceptions
    }

    /// Whether the condition holds at `at`: some rule matches the zone's local time and no
    /// exception does.
    pub fn evaluate(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.time_zone).naive_local();
        self.rules.iter().any(|r| r.matches_local(local))
            && !self.exceptions.iter().any(|r| r.matches_local(local))
    }

    /// Like [`evaluate`](Self::evaluate), saying which rule and exception matched.
    pub fn explain(&self, at: DateTime<Utc>) -> Evaluation {
        let local_time = at.with_timezone(&self.time_zone);
        let local = local_time.naive_local();
        let first = |list: &[TimeRule]| list.iter().position(|r| r.matches_local(local));
        let rule = first(&self.rules);
        let exception = first(&self.exceptions);
        Evaluation {
            local_time,
            rule,
            exception,
            matched: rule.is_some() && exception.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn cond(v: serde_json::Value) -> TimeCondition {
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    /// Asserts `evaluate` at each UTC instant, showing the local time on failure.
    fn check(c: &TimeCondition, cases: &[(&str, bool)]) {
        for &(instant, expected) in cases {
            let e = c.explain(at(instant));
            assert_eq!(
                c.evaluate(at(instant)),
                expected,
                "at {instant} (local {})",
                e.local_time
            );
            assert_eq!(e.matched, expected, "explain at {instant}");
        }
    }

    /// How many whole minutes in `[from, to)` the condition matches.
    fn matching_minutes(c: &TimeCondition, from: &str, to: &str) -> usize {
        let (mut t, end) = (at(from), at(to));
        let mut n = 0;
        while t < end {
            n += usize::from(c.evaluate(t));
            t += chrono::Duration::minutes(1);
        }
        n
    }

    #[test]
    fn text_forms_parse_to_canonical() {
        fn canon<T: FromStr<Err = TimeParseError> + fmt::Display>(s: &str) -> String {
            s.parse::<T>()
                .unwrap_or_else(|e| panic!("{s}: {e}"))
                .to_string()
        }
        let weekdays = [
            ("mon-fri", "mon-fri"),
            ("Mon-FRI", "mon-fri"),
            ("friday-monday", "fri-mon"),
            ("sat", "sat"),
            ("Sunday", "sun"),
            ("mon-mon", "mon"),
            (" mon - fri ", "mon-fri"),
        ];
        for (input, out) in weekdays {
            assert_eq!(canon::<WeekdayRange>(input), out, "{input:?}");
        }
        let times = [
            ("09:00-17:30", "09:00-17:30"),
            ("9:00-17:30", "09:00-17:30"),
            ("22:00-06:00", "22:00-06:00"),
            ("18:00-24:00", "18:00-24:00"),
            ("00:00-24:00", "00:00-24:00"),
            ("22:00-00:00", "22:00-00:00"),
            ("09:00 - 17:30", "09:00-17:30"),
        ];
        for (input, out) in times {
            assert_eq!(canon::<TimeRange>(input), out, "{input:?}");
        }
        let dates = [
            ("2026-12-25", "2026-12-25"),
            ("2026-12-24..2026-12-26", "2026-12-24..2026-12-26"),
            ("2026-12-25..2026-12-25", "2026-12-25"),
            ("2026-12-30..2027-01-02", "2026-12-30..2027-01-02"),
            ("2028-02-29", "2028-02-29"),
        ];
        for (input, out) in dates {
            assert_eq!(canon::<DateRange>(input), out, "{input:?}");
        }
        for (input, out) in [
            ("1-15", "1-15"),
            ("25-5", "25-5"),
            ("07", "7"),
            ("31", "31"),
        ] {
            assert_eq!(canon::<MonthDayRange>(input), out, "{input:?}");
        }
        let months = [
            ("jan-mar", "jan-mar"),
            ("Jan-MAR", "jan-mar"),
            ("november-february", "nov-feb"),
            ("may", "may"),
        ];
        for (input, out) in months {
            assert_eq!(canon::<MonthRange>(input), out, "{input:?}");
        }
    }

    #[test]
    fn bad_text_forms_are_refused_with_a_reason() {
        use TimeParseErrorKind as K;
        let times = [
            ("", K::TimeRangeSyntax),
            ("09:00", K::TimeRangeSyntax),
            ("9-17", K::TimeSyntax),
            ("0900-1700", K::TimeSyntax),
            ("09:00-17:0", K::TimeSyntax),
            ("09:00-017:00", K::TimeSyntax),
            ("-09:00-10:00", K::TimeSyntax),
            ("09:00-17:00-18:00", K::TimeSyntax),
            ("25:00-26:00", K::Hour),
            ("24:00-06:00", K::Hour),
            ("00:00-24:30", K::Hour),
            ("09:60-10:00", K::Minute),
            ("09:00-09:00", K::EmptyTimeRange),
            ("00:00-00:00", K::EmptyTimeRange),
        ];
        for (input, kind) in times {
            let err = input.parse::<TimeRange>().expect_err(input);
            assert_eq!(err.kind, kind, "{input:?}: {err}");
        }
        for input in ["", "mon-", "-fri", "monday-fry", "mon-tue-wed", "1-5", "mo"] {
            let err = input.parse::<WeekdayRange>().expect_err(input);
            assert_eq!(err.kind, K::Weekday, "{input:?}");
        }
        let dates = [
            ("2026-2-3", K::DateSyntax),
            ("26-02-03", K::DateSyntax),
            ("2026-12-24..", K::DateSyntax),
            ("2026/12/24", K::DateSyntax),
            ("2026-12-24-2026-12-26", K::DateSyntax),
            ("2026-02-30", K::NoSuchDate("2026-02-30".to_owned())),
            ("2026-13-01", K::NoSuchDate("2026-13-01".to_owned())),
            ("2027-02-29", K::NoSuchDate("2027-02-29".to_owned())),
            ("2026-12-26..2026-12-24", K::DescendingDates),
        ];
        for (input, kind) in dates {
            let err = input.parse::<DateRange>().expect_err(input);
            assert_eq!(err.kind, kind, "{input:?}");
        }
        for input in ["0", "32", "1-32", "a", "-5", "+5", ""] {
            let err = input.parse::<MonthDayRange>().expect_err(input);
            assert_eq!(err.kind, K::MonthDay, "{input:?}");
        }
        for input in ["1-3", "janu", "jan-", ""] {
            let err = input.parse::<MonthRange>().expect_err(input);
            assert_eq!(err.kind, K::Month, "{input:?}");
        }
        let err = "09:00-09:00".parse::<TimeRange>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"09:00-09:00\": start and end are the same time: leave the times out to cover \
             the whole day"
        );
    }

    #[test]
    fn condition_errors_name_the_field() {
        let err = |v: serde_json::Value| {
            let repr: TimeConditionRepr = serde_json::from_value(v).unwrap();
            TimeCondition::try_from(repr).unwrap_err()
        };
        let e = err(json!({"time_zone": "Europe/Madri", "rules": [{}]}));
        assert_eq!(
            e,
            TimeConditionError::UnknownTimeZone("Europe/Madri".to_owned())
        );
        assert_eq!(e.field(), "time_zone");
        assert_eq!(
            e.to_string(),
            "time_zone: unknown time zone \"Europe/Madri\": use an IANA name such as \
             Europe/Madrid or America/New_York"
        );
        // Names are matched exactly as the tz database spells them.
        assert!(parse_time_zone("europe/madrid").is_err());
        assert!(parse_time_zone("").is_err());
        assert_eq!(parse_time_zone("UTC").unwrap(), Tz::UTC);

        let e = err(json!({"time_zone": "UTC", "rules": []}));
        assert_eq!(
            (e.clone(), e.field()),
            (TimeConditionError::NoRules, "rules".to_owned())
        );

        let e = err(json!({"time_zone": "UTC", "rules": [
            {"times": ["09:00-17:00"]},
            {"weekdays": ["sat"], "times": ["10:00-14:00", "25:00-26:00"]},
        ]}));
        assert_eq!(e.field(), "rules[1].times[1]");
        assert_eq!(
            e.to_string(),
            "rules[1].times[1]: \"25:00-26:00\": the hour must be 00-23 (24:00 is allowed as \
             the end of a range)"
        );
        let fe = e.to_field_error("time_condition");
        assert_eq!(fe.field, "time_condition.rules[1].times[1]");
        assert_eq!(fe.code, "invalid_time_condition");

        let e = err(json!({"time_zone": "UTC", "rules": [{}],
            "exceptions": [{"dates": ["2026-12-25", "2026-12-31..2026-12-30"]}]}));
        assert_eq!(e.field(), "exceptions[0].dates[1]");

        let many_rules: Vec<_> = (0..=MAX_RULES).map(|_| json!({})).collect();
        let e = err(json!({"time_zone": "UTC", "rules": many_rules}));
        assert_eq!(e, TimeConditionError::TooManyRules { field: "rules" });

        let many_dates: Vec<_> = (0..=MAX_ITEMS_PER_PART).map(|_| "2026-12-25").collect();
        let e = err(json!({"time_zone": "UTC", "rules": [{}, {"dates": many_dates}]}));
        assert_eq!(e.field(), "rules[1].dates");

        // The programmatic constructor enforces the same limits.
        let rule = TimeRule {
            dates: vec![DateRange::single(NaiveDate::default()); MAX_ITEMS_PER_PART + 1],
            ..TimeRule::default()
        };
        let e = TimeCondition::new(Tz::UTC, vec![TimeRule::default()], vec![rule]).unwrap_err();
        assert_eq!(e.field(), "exceptions[0].dates");
        assert_eq!(
            TimeCondition::new(Tz::UTC, vec![], vec![]),
            Err(TimeConditionError::NoRules)
        );

        // Through serde the message survives, and a misspelt part is an error, not "any".
        let e = serde_json::from_value::<TimeCondition>(
            json!({"time_zone": "UTC", "rules": [{"times": ["9-17"]}]}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("rules[0].times[0]"), "{e}");
        assert!(
            serde_json::from_value::<TimeCondition>(
                json!({"time_zone": "UTC", "rules": [{"weekday": ["mon"]}]})
            )
            .is_err()
        );
        assert!(serde_json::from_value::<TimeCondition>(json!({"rules": [{}]})).is_err());
        let e = serde_json::from_value::<TimeRule>(json!({"times": ["08:00-08:00"]})).unwrap_err();
        assert!(e.to_string().contains("times[0]"), "{e}");
    }

    #[test]
    fn serde_round_trip_is_canonical() {
        let c = cond(json!({
            "time_zone": "America/New_York",
            "rules": [{"weekdays": ["Mon-Fri"], "times": ["9:00-17:30"]}],
            "exceptions": [{"dates": ["2026-12-25..2026-12-25"], "months": ["December"]}],
        }));
        assert_eq!(c.time_zone(), chrono_tz::America::New_York);
        assert_eq!(c.rules().len(), 1);
        assert_eq!(c.exceptions().len(), 1);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({
                "time_zone": "America/New_York",
                "rules": [{"weekdays": ["mon-fri"], "times": ["09:00-17:30"]}],
                "exceptions": [{"dates": ["2026-12-25"], "months": ["dec"]}],
            })
        );
        let again: TimeCondition =
            serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(again, c);
        // No exceptions: the field is left out.
        let plain = cond(json!({"time_zone": "UTC", "rules": [{}]}));
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            json!({"time_zone": "UTC", "rules": [{}]})
        );
        // Each range type is a string on the wire too.
        let r: TimeRange = serde_json::from_value(json!("22:00-06:00")).unwrap();
        assert_eq!(serde_json::to_value(r).unwrap(), json!("22:00-06:00"));
        assert!(serde_json::from_value::<WeekdayRange>(json!("funday")).is_err());
        assert_eq!(
            WeekdayRange::try_from("sat-sun".to_owned()).unwrap(),
            WeekdayRange::new(Weekday::Sat, Weekday::Sun)
        );
        assert_eq!(String::from(MonthRange::from_str("feb").unwrap()), "feb");
    }

    #[test]
    fn rule_display() {
        let rule: TimeRule = serde_json::from_value(json!({
            "weekdays": ["mon-thu", "fri"],
            "times": ["09:00-14:00", "16:00-19:00"],
        }))
        .unwrap();
        assert_eq!(
            rule.to_string(),
            "weekdays=mon-thu,fri times=09:00-14:00,16:00-19:00"
        );
        assert_eq!(TimeRule::default().to_string(), "always");
    }

    fn office_hours(zone: &str) -> TimeCondition {
        cond(
            json!({"time_zone": zone, "rules": [{"weekdays": ["mon-fri"], "times": ["09:00-17:00"]}]}),
        )
    }

    #[test]
    fn new_york_office_hours_across_spring_forward() {
        // Clocks jump 02:00 EST -> 03:00 EDT on Sunday 2026-03-08: local 09:00 is 14:00Z
        // before and 13:00Z after.
        check(
            &office_hours("America/New_York"),
            &[
                ("2026-03-06T13:59:59Z", false), // Fri 08:59:59 EST
                ("2026-03-06T14:00:00Z", true),  // Fri 09:00 EST
                ("2026-03-06T21:59:59Z", true),  // Fri 16:59:59 EST
                ("2026-03-06T22:00:00Z", false), // Fri 17:00 EST
                ("2026-03-07T15:00:00Z", false), // Sat
                ("2026-03-08T15:00:00Z", false), // Sun, the day of the change
                ("2026-03-09T12:59:59Z", false), // Mon 08:59:59 EDT
                ("2026-03-09T13:00:00Z", true),  // Mon 09:00 EDT
                ("2026-03-09T13:30:00Z", true),  // Mon 09:30 EDT (08:30 on a fixed -05:00)
                ("2026-03-09T20:59:59Z", true),  // Mon 16:59:59 EDT
                ("2026-03-09T21:00:00Z", false), // Mon 17:00 EDT
                ("2026-03-09T21:30:00Z", false), // Mon 17:30 EDT (16:30 on a fixed -05:00)
            ],
        );
    }

    #[test]
    fn new_york_office_hours_across_fall_back() {
        // Clocks go back 02:00 EDT -> 01:00 EST on Sunday 2026-11-01.
        check(
            &office_hours("America/New_York"),
            &[
                ("2026-10-30T12:59:59Z", false), // Fri 08:59:59 EDT
                ("2026-10-30T13:00:00Z", true),  // Fri 09:00 EDT
                ("2026-10-30T20:59:59Z", true),  // Fri 16:59:59 EDT
                ("2026-10-30T21:00:00Z", false), // Fri 17:00 EDT
                ("2026-11-01T15:00:00Z", false), // Sun, the day of the change
                ("2026-11-02T13:00:00Z", false), // Mon 08:00 EST (09:00 on a fixed -04:00)
                ("2026-11-02T13:59:59Z", false), // Mon 08:59:59 EST
                ("2026-11-02T14:00:00Z", true),  // Mon 09:00 EST
                ("2026-11-02T21:59:59Z", true),  // Mon 16:59:59 EST
                ("2026-11-02T22:00:00Z", false), // Mon 17:00 EST
            ],
        );
    }

    #[test]
    fn madrid_office_hours_across_both_changes() {
        // 2026-03-29: 02:00 CET -> 03:00 CEST; 2026-10-25: 03:00 CEST -> 02:00 CET.
        check(
            &office_hours("Europe/Madrid"),
            &[
                ("2026-03-27T07:59:59Z", false), // Fri 08:59:59 CET
                ("2026-03-27T08:00:00Z", true),  // Fri 09:00 CET
                ("2026-03-27T15:59:59Z", true),  // Fri 16:59:59 CET
                ("2026-03-27T16:00:00Z", false), // Fri 17:00 CET
                ("2026-03-30T06:59:59Z", false), // Mon 08:59:59 CEST
                ("2026-03-30T07:00:00Z", true),  // Mon 09:00 CEST
                ("2026-03-30T07:30:00Z", true),  // Mon 09:30 CEST
                ("2026-03-30T14:59:59Z", true),  // Mon 16:59:59 CEST
                ("2026-03-30T15:00:00Z", false), // Mon 17:00 CEST
                ("2026-10-23T06:59:59Z", false), // Fri 08:59:59 CEST
                ("2026-10-23T07:00:00Z", true),  // Fri 09:00 CEST
                ("2026-10-23T15:00:00Z", false), // Fri 17:00 CEST
                ("2026-10-26T07:00:00Z", false), // Mon 08:00 CET
                ("2026-10-26T07:59:59Z", false), // Mon 08:59:59 CET
                ("2026-10-26T08:00:00Z", true),  // Mon 09:00 CET
                ("2026-10-26T15:59:59Z", true),  // Mon 16:59:59 CET
                ("2026-10-26T16:00:00Z", false), // Mon 17:00 CET
            ],
        );
    }

    #[test]
    fn sunday_hours_on_the_days_of_the_change() {
        let c = cond(json!({"time_zone": "America/New_York",
            "rules": [{"weekdays": ["sun"], "times": ["09:00-17:00"]}]}));
        check(
            &c,
            &[
                ("2026-03-08T12:59:59Z", false), // 08:59:59 EDT
                ("2026-03-08T13:00:00Z", true),  // 09:00 EDT
                ("2026-03-08T20:59:59Z", true),  // 16:59:59 EDT
                ("2026-03-08T21:00:00Z", false), // 17:00 EDT
                ("2026-11-01T13:59:59Z", false), // 08:59:59 EST
                ("2026-11-01T14:00:00Z", true),  // 09:00 EST
                ("2026-11-01T22:00:00Z", false), // 17:00 EST
            ],
        );
        // Eight local hours are eight real hours on both days: the jumps are at night.
        assert_eq!(
            matching_minutes(&c, "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"),
            480
        );
        assert_eq!(
            matching_minutes(&c, "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"),
            480
        );
    }

    #[test]
    fn new_york_nonexistent_hour_on_spring_forward() {
        // The local day 2026-03-08 runs from 05:00Z to 04:00Z next day: 23 hours.
        let day = ("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z");
        let inside = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-03-08"], "times": ["02:00-03:00"]}]}));
        check(
            &inside,
            &[
                ("2026-03-08T06:59:59Z", false), // 01:59:59 EST
                ("2026-03-08T07:00:00Z", false), // 03:00 EDT: 02:xx never happens
            ],
        );
        assert_eq!(matching_minutes(&inside, day.0, day.1), 0);
        let half = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-03-08"], "times": ["02:30-02:45"]}]}));
        assert_eq!(matching_minutes(&half, day.0, day.1), 0);

        // A range across the gap is an hour shorter in real time.
        let across = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-03-08"], "times": ["01:00-03:30"]}]}));
        check(
            &across,
            &[
                ("2026-03-08T05:59:59Z", false), // 00:59:59 EST
                ("2026-03-08T06:00:00Z", true),  // 01:00 EST
                ("2026-03-08T06:59:59Z", true),  // 01:59:59 EST
                ("2026-03-08T07:00:00Z", true),  // 03:00 EDT
                ("2026-03-08T07:29:59Z", true),  // 03:29:59 EDT
                ("2026-03-08T07:30:00Z", false), // 03:30 EDT
            ],
        );
        assert_eq!(matching_minutes(&across, day.0, day.1), 90);

        // A range starting inside the gap starts when the clock lands at 03:00.
        let from_gap = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-03-08"], "times": ["02:30-04:00"]}]}));
        check(
            &from_gap,
            &[
                ("2026-03-08T06:59:59Z", false), // 01:59:59 EST
                ("2026-03-08T07:00:00Z", true),  // 03:00 EDT
                ("2026-03-08T07:59:59Z", true),  // 03:59:59 EDT
                ("2026-03-08T08:00:00Z", false), // 04:00 EDT
            ],
        );
        assert_eq!(matching_minutes(&from_gap, day.0, day.1), 60);
    }

    #[test]
    fn new_york_repeated_hour_on_fall_back() {
        // The local day 2026-11-01 runs from 04:00Z to 05:00Z next day: 25 hours; 01:xx
        // happens at 05:xxZ (EDT) and again at 06:xxZ (EST).
        let day = ("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z");
        let c = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-11-01"], "times": ["01:00-02:00"]}]}));
        check(
            &c,
            &[
                ("2026-11-01T04:59:59Z", false), // 00:59:59 EDT
                ("2026-11-01T05:00:00Z", true),  // 01:00 EDT
                ("2026-11-01T05:59:59Z", true),  // 01:59:59 EDT
                ("2026-11-01T06:00:00Z", true),  // 01:00 EST, again
                ("2026-11-01T06:59:59Z", true),  // 01:59:59 EST
                ("2026-11-01T07:00:00Z", false), // 02:00 EST
            ],
        );
        assert_eq!(matching_minutes(&c, day.0, day.1), 120);
        let quarter = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-11-01"], "times": ["01:15-01:45"]}]}));
        check(
            &quarter,
            &[
                ("2026-11-01T05:15:00Z", true),
                ("2026-11-01T05:50:00Z", false),
                ("2026-11-01T06:15:00Z", true),
                ("2026-11-01T06:50:00Z", false),
            ],
        );
        assert_eq!(matching_minutes(&quarter, day.0, day.1), 60);
        assert_eq!(
            c.explain(at("2026-11-01T06:30:00Z"))
                .local_time
                .to_rfc3339(),
            "2026-11-01T01:30:00-05:00"
        );
        assert_eq!(
            c.explain(at("2026-11-01T05:30:00Z"))
                .local_time
                .to_rfc3339(),
            "2026-11-01T01:30:00-04:00"
        );
    }

    #[test]
    fn madrid_nonexistent_and_repeated_hours() {
        let c = cond(json!({"time_zone": "Europe/Madrid",
            "rules": [{"dates": ["2026-03-29", "2026-10-25"], "times": ["02:00-03:00"]}]}));
        check(
            &c,
            &[
                ("2026-03-29T00:59:59Z", false), // 01:59:59 CET
                ("2026-03-29T01:00:00Z", false), // 03:00 CEST
                ("2026-10-24T23:59:59Z", false), // 01:59:59 CEST
                ("2026-10-25T00:00:00Z", true),  // 02:00 CEST
                ("2026-10-25T00:59:59Z", true),  // 02:59:59 CEST
                ("2026-10-25T01:00:00Z", true),  // 02:00 CET, again
                ("2026-10-25T01:59:59Z", true),  // 02:59:59 CET
                ("2026-10-25T02:00:00Z", false), // 03:00 CET
            ],
        );
        // Local 2026-03-29 is 23 hours long and has no 02:xx; local 2026-10-25 is 25 hours
        // long and has two.
        assert_eq!(
            matching_minutes(&c, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
            0
        );
        assert_eq!(
            matching_minutes(&c, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"),
            120
        );
    }

    #[test]
    fn night_shift_belongs_to_the_day_it_starts() {
        // Weekday nights in Madrid, around the spring change (Sun 2026-03-29).
        let c = cond(json!({"time_zone": "Europe/Madrid",
            "rules": [{"weekdays": ["mon-fri"], "times": ["22:00-06:00"]}]}));
        check(
            &c,
            &[
                ("2026-03-27T20:59:59Z", false), // Fri 21:59:59 CET
                ("2026-03-27T21:00:00Z", true),  // Fri 22:00 CET
                ("2026-03-28T04:59:59Z", true),  // Sat 05:59:59 CET: Friday's night
                ("2026-03-28T05:00:00Z", false), // Sat 06:00 CET
                ("2026-03-28T21:00:00Z", false), // Sat 22:00 CET: Saturday's night
                ("2026-03-29T03:00:00Z", false), // Sun 05:00 CEST: Saturday's night
                ("2026-03-29T20:00:00Z", false), // Sun 22:00 CEST: Sunday's night
                ("2026-03-30T01:00:00Z", false), // Mon 03:00 CEST: Sunday's night
                ("2026-03-30T19:59:59Z", false), // Mon 21:59:59 CEST
                ("2026-03-30T20:00:00Z", true),  // Mon 22:00 CEST
                ("2026-03-31T03:59:59Z", true),  // Tue 05:59:59 CEST: Monday's night
                ("2026-03-31T04:00:00Z", false), // Tue 06:00 CEST
            ],
        );
        // Every night, through both New York changes: eight local hours are seven real hours
        // on the spring night and nine on the autumn one.
        let nightly = cond(json!({"time_zone": "America/New_York",
            "rules": [{"times": ["22:00-06:00"]}]}));
        assert_eq!(
            matching_minutes(&nightly, "2026-03-08T00:00:00Z", "2026-03-08T14:00:00Z"),
            7 * 60
        );
        assert_eq!(
            matching_minutes(&nightly, "2026-11-01T00:00:00Z", "2026-11-01T14:00:00Z"),
            9 * 60
        );
        // A wrapping range on a date: New Year's Eve until 02:00 the next morning.
        let nye = cond(json!({"time_zone": "Europe/Madrid",
            "rules": [{"dates": ["2026-12-31"], "times": ["22:00-02:00"]}]}));
        check(
            &nye,
            &[
                ("2026-12-31T20:59:59Z", false), // 21:59:59
                ("2026-12-31T21:00:00Z", true),  // 22:00
                ("2027-01-01T00:59:59Z", true),  // 01:59:59 on Jan 1, the 31st's night
                ("2027-01-01T01:00:00Z", false), // 02:00
                ("2027-01-01T21:30:00Z", false), // 22:30 on Jan 1
            ],
        );
        // Ending at midnight, written either way.
        for times in ["18:00-24:00", "18:00-00:00"] {
            let evening = cond(json!({"time_zone": "UTC",
                "rules": [{"weekdays": ["fri"], "times": [times]}]}));
            check(
                &evening,
                &[
                    ("2026-03-06T17:59:59Z", false),
                    ("2026-03-06T18:00:00Z", true),
                    ("2026-03-06T23:59:59Z", true),
                    ("2026-03-07T00:00:00Z", false),
                ],
            );
        }
    }

    #[test]
    fn weekday_month_day_and_month_wrap_around() {
        let weekend = cond(json!({"time_zone": "UTC", "rules": [{"weekdays": ["fri-mon"]}]}));
        check(
            &weekend,
            &[
                ("2026-03-05T12:00:00Z", false), // Thu
                ("2026-03-06T12:00:00Z", true),  // Fri
                ("2026-03-07T12:00:00Z", true),  // Sat
                ("2026-03-08T12:00:00Z", true),  // Sun
                ("2026-03-09T12:00:00Z", true),  // Mon
                ("2026-03-10T12:00:00Z", false), // Tue
            ],
        );
        let winter_turn = cond(json!({"time_zone": "UTC",
            "rules": [{"month_days": ["25-5"], "months": ["nov-feb"]}]}));
        check(
            &winter_turn,
            &[
                ("2026-10-28T12:00:00Z", false), // month outside
                ("2026-11-24T12:00:00Z", false), // day outside
                ("2026-11-25T12:00:00Z", true),
                ("2026-12-28T12:00:00Z", true),
                ("2027-01-03T12:00:00Z", true),
                ("2027-01-06T12:00:00Z", false),
                ("2027-02-25T12:00:00Z", true),
                ("2027-03-01T12:00:00Z", false), // March
            ],
        );
        let thirty_first = cond(json!({"time_zone": "UTC", "rules": [{"month_days": ["31"]}]}));
        check(
            &thirty_first,
            &[
                ("2026-04-30T12:00:00Z", false),
                ("2026-05-31T12:00:00Z", true),
            ],
        );
        // Day parts are local: 23:30Z on the 30th is already the 31st in Madrid.
        let madrid = cond(json!({"time_zone": "Europe/Madrid", "rules": [{"month_days": ["31"]}]}));
        check(
            &madrid,
            &[
                ("2026-05-30T23:30:00Z", true),
                ("2026-05-31T22:30:00Z", false),
            ],
        );
    }

    #[test]
    fn any_rule_matches_and_an_empty_rule_always_does() {
        // A split shift: mornings every weekday, afternoons Monday to Thursday.
        let c = cond(json!({"time_zone": "Europe/Madrid", "rules": [
            {"weekdays": ["mon-fri"], "times": ["09:00-14:00"]},
            {"weekdays": ["mon-thu"], "times": ["16:00-19:00"]},
        ]}));
        check(
            &c,
            &[
                ("2026-06-04T14:30:00Z", true),  // Thu 16:30 CEST
                ("2026-06-05T14:30:00Z", false), // Fri 16:30 CEST
                ("2026-06-05T11:59:00Z", true),  // Fri 13:59 CEST
                ("2026-06-05T13:00:00Z", false), // Fri 15:00 CEST
            ],
        );
        assert_eq!(c.explain(at("2026-06-04T14:30:00Z")).rule, Some(1));
        // The same as one rule with lists: the parts are combined per range.
        let lists = cond(json!({"time_zone": "Europe/Madrid", "rules": [
            {"weekdays": ["mon-wed", "thu"], "times": ["09:00-14:00", "16:00-19:00"]},
        ]}));
        check(
            &lists,
            &[
                ("2026-06-04T14:30:00Z", true),
                ("2026-06-05T08:00:00Z", false),
            ],
        );
        let always = cond(json!({"time_zone": "Pacific/Auckland", "rules": [{}]}));
        check(
            &always,
            &[
                ("2026-01-01T00:00:00Z", true),
                ("2026-07-15T13:45:00Z", true),
            ],
        );
    }

    #[test]
    fn holidays_override_office_hours_through_exceptions() {
        let c = cond(json!({
            "time_zone": "Europe/Madrid",
            "rules": [{"weekdays": ["mon-fri"], "times": ["09:00-17:00"]}],
            "exceptions": [
                {"dates": ["2026-12-08", "2026-12-24..2026-12-26"]},
                {"dates": ["2026-12-31"], "times": ["14:00-24:00"]},
            ],
        }));
        check(
            &c,
            &[
                ("2026-12-07T09:00:00Z", true),  // Mon 10:00
                ("2026-12-08T09:00:00Z", false), // Tue 10:00, a holiday
                ("2026-12-23T09:00:00Z", true),  // Wed
                ("2026-12-24T09:00:00Z", false), // Thu, Christmas Eve
                ("2026-12-25T09:00:00Z", false), // Fri, Christmas
                ("2026-12-28T09:00:00Z", true),  // Mon
                ("2026-12-31T12:59:59Z", true),  // Thu 13:59:59, before the half day
                ("2026-12-31T13:00:00Z", false), // Thu 14:00, the half day off
            ],
        );
        let holiday = c.explain(at("2026-12-08T09:00:00Z"));
        assert_eq!(
            (holiday.rule, holiday.exception, holiday.matched),
            (Some(0), Some(0), false)
        );
        assert_eq!(holiday.local_time.to_rfc3339(), "2026-12-08T10:00:00+01:00");
        let half_day = c.explain(at("2026-12-31T13:00:00Z"));
        assert_eq!((half_day.rule, half_day.exception), (Some(0), Some(1)));
        // Saturday 26th: no rule matches anyway; the exception is still reported.
        let saturday = c.explain(at("2026-12-26T09:00:00Z"));
        assert_eq!(
            (saturday.rule, saturday.exception, saturday.matched),
            (None, Some(0), false)
        );
        let workday = c.explain(at("2026-12-07T09:00:00Z"));
        assert_eq!(
            (workday.rule, workday.exception, workday.matched),
            (Some(0), None, true)
        );
    }

    #[test]
    fn holidays_as_a_separate_condition_placed_first() {
        // The chaining alternative: a holiday condition decides first; only when it does not
        // match does the office-hours condition decide.
        let holidays = cond(json!({"time_zone": "America/New_York",
            "rules": [{"dates": ["2026-11-26", "2026-12-25"]}]}));
        let office = office_hours("America/New_York");
        let route = |instant: &str| {
            let t = at(instant);
            if holidays.evaluate(t) {
                "holiday greeting"
            } else if office.evaluate(t) {
                "reception"
            } else {
                "after hours"
            }
        };
        assert_eq!(route("2026-11-26T15:00:00Z"), "holiday greeting"); // Thanksgiving 10:00
        assert_eq!(route("2026-11-27T15:00:00Z"), "reception"); // Fri 10:00 EST
        assert_eq!(route("2026-11-27T23:00:00Z"), "after hours"); // Fri 18:00 EST
        // The holiday's local day, not the UTC day: 02:00Z on the 26th is still the 25th.
        assert_eq!(route("2026-11-26T02:00:00Z"), "after hours");
    }

    #[test]
    fn range_types_contain() {
        let r = DateRange::new(
            NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 26).unwrap(),
        )
        .unwrap();
        assert!(r.contains(NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()));
        assert!(!r.contains(NaiveDate::from_ymd_opt(2026, 12, 27).unwrap()));
        assert!(
            DateRange::new(
                NaiveDate::from_ymd_opt(2026, 12, 26).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            )
            .is_none()
        );
        let w = WeekdayRange::new(Weekday::Sat, Weekday::Sun);
        assert!(w.contains(Weekday::Sun) && !w.contains(Weekday::Mon));
        let c = TimeCondition::new(
            chrono_tz::Europe::Madrid,
            vec![TimeRule {
                weekdays: vec![w],
                ..TimeRule::default()
            }],
            vec![],
        )
        .unwrap();
        assert!(c.evaluate(at("2026-03-07T12:00:00Z")));
    }
}
