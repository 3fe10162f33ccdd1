//! Outbound-route dial patterns, in the syntax operators know from FreePBX and Asterisk.
//!
//! Operators migrating from FreePBX paste their patterns as they are, so the syntax is theirs
//! rather than regular expressions; it is also far smaller, which keeps matching linear and
//! every pattern explainable in one sentence.
//!
//! # Syntax
//!
//! A pattern describes the whole number a user dials, one element per character:
//!
//! | element | matches |
//! |---|---|
//! | `0`-`9`, `*`, `#` | that character |
//! | `+` | a literal `+`, only as the very first character the user dials |
//! | `X` | any digit 0-9 |
//! | `Z` | any digit 1-9 |
//! | `N` | any digit 2-9 |
//! | `[1-5]`, `[135]`, `[1-35-7]` | one digit of the class (digits and ascending ranges only) |
//! | `.` | one or more further characters (only as the last element) |
//! | `!` | zero or more further characters (only as the last element) |
//!
//! `X`, `Z` and `N` are case-insensitive. `.` and `!` match any dialable character (`0-9`,
//! `*`, `#`, `+`). A dialled string holding anything else (spaces, letters) matches nothing.
//!
//! The full FreePBX rule form is `prepend+prefix|match/callerid`, every part but `match`
//! optional:
//!
//! - `prefix|match`: the user dials `prefix` then `match`; the prefix is **stripped** before
//!   the number goes to the trunk. `9|NXXNXXXXXX` is "dial 9 for an outside line, then a
//!   10-digit number"; the trunk receives the 10 digits. The prefix may use wildcards and
//!   classes but not `.`/`!`.
//! - `prepend+`: literal digits (`0-9`, `*`, `#`, and a leading `+`) put in front of the
//!   number sent to the trunk. `1+NXXNXXXXXX` sends `1` and the ten dialled digits. The
//!   separator is the first `+` that is not the first character of the pattern (a `+` anywhere
//!   but at the start of a dialled number is meaningless, so there is no ambiguity): `+1NXX` is
//!   a literal `+1` followed by `NXX`; `+34+|XXXXXXXXX` prepends `+34`.
//! - `/callerid`: the route applies only to calls whose caller ID matches this pattern (same
//!   syntax, no prefix or prepend). A call whose caller ID is unknown never matches it.
//!
//! [`DialPattern`]'s `Display` gives back the canonical text (upper-case letters, classes
//! normalised to merged ascending runs, empty parts left out), which parses to an equal
//! pattern; that is the form stored and returned by the API.
//!
//! # Rewriting and route choice
//!
//! An [`OutboundRule`] (one outbound route's patterns plus its own `strip` count and
//! `prepend`) turns a dialled number into the number sent to the trunk:
//!
//! 1. the first of its patterns that matches is used; the pattern's `prefix|` part is removed;
//! 2. then the rule's `strip` further leading characters are removed;
//! 3. then the rule's `prepend` followed by the pattern's `prepend+` are put in front.
//!
//! [`choose_route`] tries routes **in the order given and the first that matches wins**, as
//! in FreePBX: there is no "most specific pattern" ranking across routes, so operators order
//! routes from the most to the least specific (emergency numbers first, catch-all last). The
//! same holds for patterns inside one route.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Longest pattern text accepted, in characters: real patterns are under 30, and a bound keeps
/// stored rows and matching cost small.
pub const MAX_PATTERN_LEN: usize = 64;
/// Most patterns one outbound route may hold.
pub const MAX_PATTERNS_PER_RULE: usize = 100;
/// Most leading characters a rule may strip; more is certainly a typing mistake.
pub const MAX_STRIP: usize = 32;
/// Longest rule-level prepend.
pub const MAX_PREPEND_LEN: usize = 32;

/// One position of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Element {
    /// `0`-`9`, `*`, `#` or a leading `+`, as an ASCII byte.
    Literal(u8),
    /// `X`: 0-9.
    AnyDigit,
    /// `Z`: 1-9.
    NonZero,
    /// `N`: 2-9.
    TwoToNine,
    /// `[…]`: bit `d` set when digit `d` is in the class.
    Class(u16),
    /// `.`: one or more further characters.
    OneOrMore,
    /// `!`: zero or more further characters.
    ZeroOrMore,
}

impl Element {
    /// Whether this single-character element accepts `c`; the tail wildcards never get here.
    fn accepts(self, c: u8) -> bool {
        let digit = |lo: u8| c.is_ascii_digit() && c >= lo;
        match self {
            Element::Literal(l) => l == c,
            Element::AnyDigit => digit(b'0'),
            Element::NonZero => digit(b'1'),
            Element::TwoToNine => digit(b'2'),
            Element::Class(mask) => c.is_ascii_digit() && mask & (1 << (c - b'0')) != 0,
            Element::OneOrMore | Element::ZeroOrMore => is_dialable(c),
        }
    }

    fn write(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Literal(c) => write!(f, "{}", char::from(c)),
            Element::AnyDigit => f.write_str("X"),
            Element::NonZero => f.write_str("Z"),
            Element::TwoToNine => f.write_str("N"),
            Element::OneOrMore => f.write_str("."),
            Element::ZeroOrMore => f.write_str("!"),
            Element::Class(mask) => {
                f.write_str("[")?;
                let mut d = 0u8;
                while d < 10 {
                    if mask & (1 << d) == 0 {
                        d += 1;
                        continue;
                    }
                    let start = d;
                    while d + 1 < 10 && mask & (1 << (d + 1)) != 0 {
                        d += 1;
                    }
                    let (a, b) = (char::from(b'0' + start), char::from(b'0' + d));
                    match d - start {
                        0 => write!(f, "{a}")?,
                        1 => write!(f, "{a}{b}")?,
                        _ => write!(f, "{a}-{b}")?,
                    }
                    d += 1;
                }
                f.write_str("]")
            }
        }
    }
}

/// The characters a phone can dial and a pattern can match.
fn is_dialable(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'*' | b'#' | b'+')
}

/// Whether `elements` matches all of `s`, whose characters are already known to be dialable.
fn match_all(elements: &[Element], s: &[u8]) -> bool {
    for (i, e) in elements.iter().enumerate() {
        match e {
            Element::OneOrMore => return s.len() > i,
            Element::ZeroOrMore => return true,
            single => match s.get(i) {
                Some(&c) if single.accepts(c) => {}
                _ => return false,
            },
        }
    }
    s.len() == elements.len()
}

/// What went wrong in a pattern; see [`PatternError`] for where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternErrorKind {
    #[error("the pattern is empty")]
    Empty,
    #[error("the pattern is longer than {MAX_PATTERN_LEN} characters")]
    TooLong,
    #[error("unknown letter '{0}': the only wildcard letters are X (0-9), Z (1-9) and N (2-9)")]
    UnknownLetter(char),
    #[error(
        "unexpected character '{0}': a pattern holds digits, *, #, a leading +, X, Z, N, \
         [...] classes, and . or ! at the end"
    )]
    UnexpectedCharacter(char),
    #[error("'[' is never closed by ']'")]
    UnclosedClass,
    #[error("'[]' is an empty class")]
    EmptyClass,
    #[error("'{0}' inside [...]: a class holds only digits and ranges such as 1-5")]
    NonDigitInClass(char),
    #[error("'-' in a class needs a digit on each side, as in [1-5]")]
    DanglingDash,
    #[error("range {from}-{to} is descending: write {to}-{from}")]
    DescendingRange { from: char, to: char },
    #[error("']' without a matching '['")]
    UnmatchedCloseBracket,
    #[error("'{0}' must be the last character of the pattern")]
    WildcardNotLast(char),
    #[error("'{0}' cannot be used in the prefix before '|'")]
    WildcardInPrefix(char),
    #[error("'+' is only allowed as the first character of the dialled number")]
    MisplacedPlus,
    #[error("only one '|' may separate the prefix from the number")]
    MultiplePipes,
    #[error("only one '/' may introduce the caller ID pattern")]
    MultipleSlashes,
    #[error("nothing to match: the number part of the pattern is empty")]
    EmptyMatch,
    #[error("the caller ID pattern after '/' is empty")]
    EmptyCallerId,
    #[error("'{0}' cannot be prepended: only digits, *, # and a leading + can")]
    InvalidPrepend(char),
}

/// A pattern that does not parse, with the 1-based position of the offending character
/// (counted in characters, as an operator counts them in a form field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid dial pattern at character {position}: {kind}")]
pub struct PatternError {
    pub position: usize,
    pub kind: PatternErrorKind,
}

impl PatternError {
    fn at(index: usize, kind: PatternErrorKind) -> Self {
        Self {
            position: index + 1,
            kind,
        }
    }

    /// The error as a field-level API error (code `invalid_dial_pattern`).
    pub fn to_field_error(&self, field: &str) -> FieldError {
        FieldError::new(field, "invalid_dial_pattern", self.to_string())
    }
}

/// Checks digits to prepend: `0-9`, `*`, `#`, and `+` only as the first character. Returns the
/// index (within `s`) and character of the first offender.
fn check_prepend(s: &str) -> Result<(), (usize, char)> {
    for (i, c) in s.chars().enumerate() {
        let ok = c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && i == 0);
        if !ok {
            return Err((i, c));
        }
    }
    Ok(())
}

/// What a segment of the pattern may contain.
#[derive(Clone, Copy)]
struct SegmentRules {
    /// A `+` is accepted as the segment's first element.
    leading_plus: bool,
    /// `.` and `!` are accepted as the segment's last element.
    tail_wildcards: bool,
}

/// Parses `chars` (the segment starting at index `offset` of the whole pattern) into elements.
fn parse_segment(
    chars: &[char],
    offset: usize,
    rules: SegmentRules,
) -> Result<Vec<Element>, PatternError> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let at = |kind| PatternError::at(offset + i, kind);
        let element = match c {
            '0'..='9' | '*' | '#' => Element::Literal(c as u8),
            '+' if i == 0 && rules.leading_plus => Element::Literal(b'+'),
            '+' => return Err(at(PatternErrorKind::MisplacedPlus)),
            'X' | 'x' => Element::AnyDigit,
            'Z' | 'z' => Element::NonZero,
            'N' | 'n' => Element::TwoToNine,
            '.' | '!' => {
                if !rules.tail_wildcards {
                    return Err(at(PatternErrorKind::WildcardInPrefix(c)));
                }
                if i + 1 != chars.len() {
                    return Err(at(PatternErrorKind::WildcardNotLast(c)));
                }
                if c == '.' {
                    Element::OneOrMore
                } else {
                    Element::ZeroOrMore
                }
            }
            '[' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| i + 1 + p)
                    .ok_or_else(|| at(PatternErrorKind::UnclosedClass))?;
                let mask = parse_class(&chars[i + 1..close], offset + i + 1)?;
                if mask == 0 {
                    return Err(at(PatternErrorKind::EmptyClass));
                }
                i = close;
                Element::Class(mask)
            }
            ']' => return Err(at(PatternErrorKind::UnmatchedCloseBracket)),
            c if c.is_alphabetic() => return Err(at(PatternErrorKind::UnknownLetter(c))),
            c => return Err(at(PatternErrorKind::UnexpectedCharacter(c))),
        };
        out.push(element);
        i += 1;
    }
    Ok(out)
}

/// Parses the inside of `[...]` (starting at index `offset` of the pattern) into a digit mask.
fn parse_class(inner: &[char], offset: usize) -> Result<u16, PatternError> {
    let mut mask = 0u16;
    let mut i = 0;
    while let Some(&c) = inner.get(i) {
        let at = |i: usize, kind| PatternError::at(offset + i, kind);
        let digit = |i: usize| -> Result<u8, PatternError> {
            match inner.get(i) {
                Some(&d @ '0'..='9') => Ok(d as u8 - b'0'),
                Some('-') | None => Err(at(i.saturating_sub(1), PatternErrorKind::DanglingDash)),
                Some(&other) => Err(at(i, PatternErrorKind::NonDigitInClass(other))),
            }
        };
        if c == '-' {
            return Err(at(i, PatternErrorKind::DanglingDash));
        }
        let from = digit(i)?;
        if inner.get(i + 1) == Some(&'-') {
            let to = digit(i + 2)?;
            if to < from {
                return Err(at(
                    i,
                    PatternErrorKind::DescendingRange {
                        from: char::from(b'0' + from),
                        to: char::from(b'0' + to),
                    },
                ));
            }
            for d in from..=to {
                mask |= 1 << d;
            }
            i += 3;
        } else {
            mask |= 1 << from;
            i += 1;
        }
    }
    Ok(mask)
}

/// A parsed outbound dial pattern (see the [module documentation](self) for the syntax).
///
/// Built only by [`DialPattern::parse`], so every value is valid; stored and exchanged as its
/// canonical text (`Display`, serde as a string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DialPattern {
    /// Literal digits put in front of the number sent to the trunk.
    prepend: String,
    /// What the user dials first and the rewrite strips; fixed-length.
    prefix: Vec<Element>,
    /// The number proper.
    number: Vec<Element>,
    /// Caller ID restriction, when given.
    caller_id: Option<Vec<Element>>,
}

/// A successful match of a dialled number against one [`DialPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The part the user dialled that the pattern's `prefix|` strips (often empty).
    pub prefix: String,
    /// The dialled number without that prefix.
    pub number: String,
    /// What the pattern alone would send to the trunk: its `prepend+` followed by `number`.
    pub rewritten: String,
}

impl DialPattern {
    /// Parses a pattern in the FreePBX syntax described in the [module documentation](self).
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            return Err(PatternError::at(0, PatternErrorKind::Empty));
        }
        if chars.len() > MAX_PATTERN_LEN {
            return Err(PatternError::at(MAX_PATTERN_LEN, PatternErrorKind::TooLong));
        }
        let find_all = |wanted: char, within: &[char]| -> Vec<usize> {
            within
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c == wanted)
                .map(|(i, _)| i)
                .collect()
        };

        // `/callerid` first: everything after the one slash.
        let slashes = find_all('/', &chars);
        if let Some(&second) = slashes.get(1) {
            return Err(PatternError::at(second, PatternErrorKind::MultipleSlashes));
        }
        let (dial, caller_id) = match slashes.first() {
            Some(&s) => {
                let cid = &chars[s + 1..];
                if cid.is_empty() {
                    return Err(PatternError::at(s, PatternErrorKind::EmptyCallerId));
                }
                let rules = SegmentRules {
                    leading_plus: true,
                    tail_wildcards: true,
                };
                (&chars[..s], Some(parse_segment(cid, s + 1, rules)?))
            }
            None => (&chars[..], None),
        };

        // `prefix|` next: at most one pipe.
        let pipes = find_all('|', dial);
        if let Some(&second) = pipes.get(1) {
            return Err(PatternError::at(second, PatternErrorKind::MultiplePipes));
        }
        let pipe = pipes.first().copied();
        // The part that may hold `prepend+`: before the pipe, or everything when there is none.
        let head_end = pipe.unwrap_or(dial.len());
        let mut depth = 0u32;
        let mut separator = None;
        for (i, &c) in dial[..head_end].iter().enumerate() {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                '+' if i > 0 && depth == 0 => {
                    separator = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let prepend: String = match separator {
            Some(sep) => {
                let text: String = dial[..sep].iter().collect();
                check_prepend(&text)
                    .map_err(|(i, c)| PatternError::at(i, PatternErrorKind::InvalidPrepend(c)))?;
                text
            }
            None => String::new(),
        };
        let after_prepend = separator.map_or(0, |sep| sep + 1);

        let (prefix, number_start) = match pipe {
            Some(p) => {
                let rules = SegmentRules {
                    leading_plus: true,
                    tail_wildcards: false,
                };
                let prefix = parse_segment(&dial[after_prepend..p], after_prepend, rules)?;
                (prefix, p + 1)
            }
            None => (Vec::new(), after_prepend),
        };
        let number_chars = &dial[number_start..];
        if number_chars.is_empty() {
            let at = number_start.min(dial.len().saturating_sub(1));
            return Err(PatternError::at(at, PatternErrorKind::EmptyMatch));
        }
        let rules = SegmentRules {
            leading_plus: prefix.is_empty(),
            tail_wildcards: true,
        };
        let number = parse_segment(number_chars, number_start, rules)?;
        Ok(Self {
            prepend,
            prefix,
            number,
            caller_id,
        })
    }

    /// Matches a dialled number, with no caller ID known: a pattern restricted by caller ID
    /// (`…/callerid`) never matches here.
    pub fn matches(&self, dialled: &str) -> Option<Match> {
        self.matches_call(dialled, None)
    }

    /// Matches a dialled number placed by `caller` (its caller ID number, when known).
    pub fn matches_call(&self, dialled: &str, caller: Option<&str>) -> Option<Match> {
        let bytes = dialled.as_bytes();
        if bytes.is_empty() || !bytes.iter().all(|&c| is_dialable(c)) {
            return None;
        }
        if let Some(cid) = &self.caller_id {
            let caller = caller?.as_bytes();
            if !caller.iter().all(|&c| is_dialable(c)) || !match_all(cid, caller) {
                return None;
            }
        }
        let (head, rest) = bytes.split_at_checked(self.prefix.len())?;
        if !self.prefix.iter().zip(head).all(|(e, &c)| e.accepts(c)) {
            return None;
        }
        if !match_all(&self.number, rest) {
            return None;
        }
        // Every byte is ASCII, so these splits fall on character boundaries.
        let (prefix, number) = dialled.split_at(self.prefix.len());
        Some(Match {
            prefix: prefix.to_owned(),
            number: number.to_owned(),
            rewritten: format!("{}{number}", self.prepend),
        })
    }

    /// The literal digits this pattern puts in front of the number (`prepend+`), maybe empty.
    pub fn prepend(&self) -> &str {
        &self.prepend
    }

    /// Whether the pattern only applies to some callers (`/callerid`).
    pub fn has_caller_id(&self) -> bool {
        self.caller_id.is_some()
    }
}

impl fmt::Display for DialPattern {
    /// The canonical text, which parses back to an equal pattern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.prepend.is_empty() {
            write!(f, "{}+", self.prepend)?;
        }
        if !self.prefix.is_empty() {
            for e in &self.prefix {
                e.write(f)?;
            }
            f.write_str("|")?;
        }
        for e in &self.number {
            e.write(f)?;
        }
        if let Some(cid) = &self.caller_id {
            f.write_str("/")?;
            for e in cid {
                e.write(f)?;
            }
        }
        Ok(())
    }
}

impl FromStr for DialPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for DialPattern {
    type Error = PatternError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for DialPattern {
    type Error = PatternError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<DialPattern> for String {
    fn from(p: DialPattern) -> Self {
        p.to_string()
    }
}

/// Why an [`OutboundRule`] is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("an outbound route needs at least one dial pattern")]
    NoPatterns,
    #[error("an outbound route may have at most {MAX_PATTERNS_PER_RULE} dial patterns")]
    TooManyPatterns,
    #[error("patterns[{index}]: {source}")]
    Pattern {
        index: usize,
        #[source]
        source: PatternError,
    },
    #[error("strip may be at most {MAX_STRIP} digits")]
    StripTooLarge,
    #[error("prepend may be at most {MAX_PREPEND_LEN} characters")]
    PrependTooLong,
    #[error(
        "prepend: '{character}' at character {position} cannot be prepended: only digits, *, # \
         and a leading + can"
    )]
    InvalidPrepend { position: usize, character: char },
}

impl RuleError {
    /// The request field this error is about, relative to the rule object.
    pub fn field(&self) -> String {
        match self {
            RuleError::NoPatterns | RuleError::TooManyPatterns => "patterns".to_owned(),
            RuleError::Pattern { index, .. } => format!("patterns[{index}]"),
            RuleError::StripTooLarge => "strip".to_owned(),
            RuleError::PrependTooLong | RuleError::InvalidPrepend { .. } => "prepend".to_owned(),
        }
    }

    /// The error as a field-level API error, its field under `prefix` (e.g. `routes[2]`, or
    /// empty for a top-level rule).
    pub fn to_field_error(&self, prefix: &str) -> FieldError {
        let field = if prefix.is_empty() {
            self.field()
        } else {
            format!("{prefix}.{}", self.field())
        };
        let code = match self {
            RuleError::Pattern { .. } => "invalid_dial_pattern",
            _ => "invalid_outbound_rule",
        };
        FieldError::new(field, code, self.to_string())
    }
}

/// The number-matching part of one outbound route: its dial patterns, then how the matched
/// number is rewritten for the trunk (see the [module documentation](self) for the order).
///
/// Fields are private so that every value has been validated; serde goes through
/// [`OutboundRule::new`] as well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OutboundRuleRepr", into = "OutboundRuleRepr")]
pub struct OutboundRule {
    patterns: Vec<DialPattern>,
    strip: usize,
    prepend: String,
}

/// The wire form of [`OutboundRule`]: patterns as text, so errors name the pattern's index.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboundRuleRepr {
    patterns: Vec<String>,
    #[serde(default)]
    strip: usize,
    #[serde(default)]
    prepend: String,
}

impl TryFrom<OutboundRuleRepr> for OutboundRule {
    type Error = RuleError;

    fn try_from(r: OutboundRuleRepr) -> Result<Self, Self::Error> {
        Self::from_texts(&r.patterns, r.strip, r.prepend)
    }
}

impl From<OutboundRule> for OutboundRuleRepr {
    fn from(r: OutboundRule) -> Self {
        Self {
            patterns: r.patterns.iter().map(ToString::to_string).collect(),
            strip: r.strip,
            prepend: r.prepend,
        }
    }
}

impl AsRef<OutboundRule> for OutboundRule {
    fn as_ref(&self) -> &OutboundRule {
        self
    }
}

/// A dialled number rewritten by an [`OutboundRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// Index of the pattern (within the rule) that matched.
    pub pattern_index: usize,
    /// How that pattern matched.
    pub matched: Match,
    /// The number to send to the trunk.
    pub number: String,
}

impl OutboundRule {
    /// Builds a rule, checking the pattern count, `strip` and the digits in `prepend`.
    pub fn new(
        patterns: Vec<DialPattern>,
        strip: usize,
        prepend: impl Into<String>,
    ) -> Result<Self, RuleError> {
        let prepend = prepend.into();
        if patterns.is_empty() {
            return Err(RuleError::NoPatterns);
        }
        if patterns.len() > MAX_PATTERNS_PER_RULE {
            return Err(RuleError::TooManyPatterns);
        }
        if strip > MAX_STRIP {
            return Err(RuleError::StripTooLarge);
        }
        if prepend.chars().count() > MAX_PREPEND_LEN {
            return Err(RuleError::PrependTooLong);
        }
        check_prepend(&prepend).map_err(|(i, c)| RuleError::InvalidPrepend {
            position: i + 1,
            character: c,
        })?;
        Ok(Self {
            patterns,
            strip,
            prepend,
        })
    }

    /// Builds a rule from pattern texts, as the API receives them; a bad pattern's error
    /// names its index.
    pub fn from_texts<S: AsRef<str>>(
        patterns: &[S],
        strip: usize,
        prepend: impl Into<String>,
    ) -> Result<Self, RuleError> {
        if patterns.len() > MAX_PATTERNS_PER_RULE {
            return Err(RuleError::TooManyPatterns);
        }
        let parsed = patterns
            .iter()
            .enumerate()
            .map(|(index, p)| {
                DialPattern::parse(p.as_ref())
                    .map_err(|source| RuleError::Pattern { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(parsed, strip, prepend)
    }

    pub fn patterns(&self) -> &[DialPattern] {
        &self.patterns
    }

    /// Leading characters removed after the pattern's prefix.
    pub fn strip(&self) -> usize {
        self.strip
    }

    /// Digits put in front of the number (before the pattern's own prepend).
    pub fn prepend(&self) -> &str {
        &self.prepend
    }

    /// Rewrites `dialled` with the first pattern that matches it, or `None`.
    ///
    /// A pattern whose match is shorter than `strip`, or whose rewrite would leave nothing to
    /// send, does not apply (the next pattern is tried): a route told to strip more digits
    /// than were dialled was not meant for that number.
    pub fn rewrite(&self, dialled: &str, caller: Option<&str>) -> Option<Rewrite> {
        self.patterns
            .iter()
            .enumerate()
            .find_map(|(pattern_index, pattern)| {
                let matched = pattern.matches_call(dialled, caller)?;
                // The number is ASCII (checked by the match), so byte offsets are characters.
                let rest = matched.number.get(self.strip..)?;
                let number = format!("{}{}{rest}", self.prepend, pattern.prepend);
                (!number.is_empty()).then_some(Rewrite {
                    pattern_index,
                    matched,
                    number,
                })
            })
    }
}

/// The outbound route chosen for a call.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteChoice<'r, R> {
    /// Position of the route in the list given to [`choose_route`].
    pub index: usize,
    pub route: &'r R,
    /// Which pattern matched and the number to send to the trunk.
    pub rewrite: Rewrite,
}

/// Chooses the first route, in the order given, whose rule matches `dialled` (and `caller`,
/// for caller-ID-restricted patterns), with the number to send to its trunks.
///
/// Order is the only precedence: the caller passes enabled routes sorted by their configured
/// position. `R` is anything holding an [`OutboundRule`], so the API can pass its own route
/// records (trunks, caller ID override…) and get the matching one back.
pub fn choose_route<'r, R: AsRef<OutboundRule>>(
    routes: &'r [R],
    dialled: &str,
    caller: Option<&str>,
) -> Option<RouteChoice<'r, R>> {
    routes.iter().enumerate().find_map(|(index, route)| {
        route
            .as_ref()
            .rewrite(dialled, caller)
            .map(|rewrite| RouteChoice {
                index,
                route,
                rewrite,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> DialPattern {
        DialPattern::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn matching_table() {
        // (pattern, dialled, expected number after the pattern's own rewrite, or None)
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("NXXNXXXXXX", "2125551234", Some("2125551234")),
            ("NXXNXXXXXX", "1125551234", None),
            ("NXXNXXXXXX", "2121551234", None),
            ("NXXNXXXXXX", "212555123", None),
            ("NXXNXXXXXX", "21255512345", None),
            ("nxxnxxxxxx", "2125551234", Some("2125551234")),
            ("1NXXNXXXXXX", "12125551234", Some("12125551234")),
            ("1NXXNXXXXXX", "2125551234", None),
            ("1NXXNXXXXXX", "11125551234", None),
            ("011.", "011442071234567", Some("011442071234567")),
            ("011.", "0114", Some("0114")),
            ("011.", "011", None),
            ("011.", "012442071234567", None),
            ("[2-9]11", "911", Some("911")),
            ("[2-9]11", "411", Some("411")),
            ("[2-9]11", "111", None),
            ("[2-9]11", "011", None),
            ("[2-9]11", "9111", None),
            ("9|.", "912125551234", Some("12125551234")),
            ("9|.", "9", None),
            ("9|.", "812125551234", None),
            ("*67|X.", "*672125551234", Some("2125551234")),
            ("*67|X.", "*67*", None),
            ("*67|X.", "672125551234", None),
            ("+1NXX", "+1212", Some("+1212")),
            ("+1NXX", "1212", None),
            ("+1NXX", "+1112", None),
            ("!", "", None), // an empty dialled string never matches
            ("!", "1", Some("1")),
            ("!", "*#+0", Some("*#+0")),
            ("123!", "123", Some("123")),
            ("123!", "1234567", Some("1234567")),
            ("123!", "12", None),
            ("Z", "0", None),
            ("Z", "1", Some("1")),
            ("N", "1", None),
            ("N", "2", Some("2")),
            ("X", "0", Some("0")),
            ("X", "*", None),
            ("[135]", "3", Some("3")),
            ("[135]", "4", None),
            ("[1-35-7]", "2", Some("2")),
            ("[1-35-7]", "4", None),
            ("[1-35-7]", "6", Some("6")),
            ("[1-35-7]", "8", None),
            ("*98", "*98", Some("*98")),
            ("#1", "#1", Some("#1")),
            ("X.", "12 34", None),  // spaces are not dialable
            ("X.", "12a34", None),  // nor are letters
            ("X.", "12345é", None), // nor non-ASCII
            ("1+NXXNXXXXXX", "2125551234", Some("12125551234")),
            ("+34+|XXXXXXXXX", "912345678", Some("+34912345678")),
            ("00+9|Z.", "9612345678", Some("00612345678")),
            ("0|0X.", "00612345678", Some("0612345678")),
            ("XX|X", "123", Some("3")),
            ("XX|X", "12", None),
        ];
        for &(pattern, dialled, expected) in cases {
            let got = p(pattern).matches(dialled).map(|m| m.rewritten);
            assert_eq!(
                got.as_deref(),
                expected,
                "pattern {pattern:?} dialled {dialled:?}"
            );
        }
    }

    #[test]
    fn match_reports_prefix_and_number() {
        let m = p("9|NXXNXXXXXX").matches("92125551234").unwrap();
        assert_eq!(m.prefix, "9");
        assert_eq!(m.number, "2125551234");
        assert_eq!(m.rewritten, "2125551234");
        let m = p("1+9|NXXNXXXXXX").matches("92125551234").unwrap();
        assert_eq!(
            (m.prefix.as_str(), m.number.as_str(), m.rewritten.as_str()),
            ("9", "2125551234", "12125551234")
        );
        // The user must dial the prefix: the bare number does not match.
        assert!(p("9|NXXNXXXXXX").matches("2125551234").is_none());
    }

    #[test]
    fn caller_id_restriction() {
        let pat = p("X./2125551XXX");
        assert!(pat.has_caller_id());
        assert!(pat.matches_call("0044", Some("2125551000")).is_some());
        assert!(pat.matches_call("0044", Some("2125552000")).is_none());
        assert!(pat.matches_call("0044", Some("anonymous")).is_none());
        // No caller ID known: a restricted pattern never matches.
        assert!(pat.matches_call("0044", None).is_none());
        assert!(pat.matches("0044").is_none());
        // An unrestricted pattern ignores the caller.
        assert!(p("X.").matches_call("0044", Some("anonymous")).is_some());
        let open = p("9|X./+34.");
        assert_eq!(
            open.matches_call("9123", Some("+34600111222"))
                .map(|m| m.rewritten),
            Some("123".to_owned())
        );
    }

    #[test]
    fn invalid_patterns_name_the_position() {
        use PatternErrorKind as K;
        let long = "X".repeat(MAX_PATTERN_LEN + 1);
        let cases: Vec<(&str, usize, PatternErrorKind)> = vec![
            ("", 1, K::Empty),
            (&long, 65, K::TooLong),
            ("NXXQ", 4, K::UnknownLetter('Q')),
            ("12a", 3, K::UnknownLetter('a')),
            ("12 34", 3, K::UnexpectedCharacter(' ')),
            ("12-34", 3, K::UnexpectedCharacter('-')),
            ("1é", 2, K::UnknownLetter('é')),
            ("1[2-5", 2, K::UnclosedClass),
            ("1[]", 2, K::EmptyClass),
            ("1[5-2]", 3, K::DescendingRange { from: '5', to: '2' }),
            ("[1-35-2]", 5, K::DescendingRange { from: '5', to: '2' }),
            ("[1-]", 3, K::DanglingDash),
            ("[-5]", 2, K::DanglingDash),
            ("[1--5]", 3, K::DanglingDash),
            ("[1X]", 3, K::NonDigitInClass('X')),
            ("[1-X]", 4, K::NonDigitInClass('X')),
            ("[1[2]]", 3, K::NonDigitInClass('[')),
            ("12]", 3, K::UnmatchedCloseBracket),
            ("1.2", 2, K::WildcardNotLast('.')),
            ("..", 1, K::WildcardNotLast('.')),
            ("1!2", 2, K::WildcardNotLast('!')),
            ("9.|X", 2, K::WildcardInPrefix('.')),
            ("9|X+1", 4, K::MisplacedPlus),
            ("9|+1", 3, K::MisplacedPlus),
            ("9||X", 3, K::MultiplePipes),
            ("9|X|X", 4, K::MultiplePipes),
            ("X/1/2", 4, K::MultipleSlashes),
            ("9|", 2, K::EmptyMatch),
            ("1+", 2, K::EmptyMatch),
            ("1+9|", 4, K::EmptyMatch),
            ("X./", 3, K::EmptyCallerId),
            ("X/1.2", 4, K::WildcardNotLast('.')),
            ("X1+NXX", 1, K::InvalidPrepend('X')),
            ("1a+NXX", 2, K::InvalidPrepend('a')),
            ("1[2]+NXX", 2, K::InvalidPrepend('[')),
        ];
        for (pattern, position, kind) in cases {
            let err = DialPattern::parse(pattern).expect_err(pattern);
            assert_eq!(
                (err.position, &err.kind),
                (position, &kind),
                "pattern {pattern:?}: {err}"
            );
        }
    }

    #[test]
    fn error_messages_are_clear() {
        let err = DialPattern::parse("NXXQ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid dial pattern at character 4: unknown letter 'Q': the only wildcard \
             letters are X (0-9), Z (1-9) and N (2-9)"
        );
        let err = DialPattern::parse("[5-2]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid dial pattern at character 2: range 5-2 is descending: write 2-5"
        );
        let fe = err.to_field_error("patterns[0]");
        assert_eq!(fe.field, "patterns[0]");
        assert_eq!(fe.code, "invalid_dial_pattern");
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        let cases = [
            ("nxxnxxxxxx", "NXXNXXXXXX"),
            ("zX[9]", "ZX[9]"),
            ("[135]", "[135]"),
            ("[1-35-7]", "[1-35-7]"),
            ("[7-95-61-3]", "[1-35-9]"),
            ("[1122]", "[12]"),
            ("[0-9]", "[0-9]"),
            ("[0123]", "[0-3]"),
            ("|NXX", "NXX"),
            ("1+|NXX", "1+NXX"),
            ("9|.", "9|."),
            ("*67|x.", "*67|X."),
            ("+1NXX", "+1NXX"),
            ("+34+|XXXXXXXXX", "+34+XXXXXXXXX"),
            ("1+9|nxx/2125551xxx", "1+9|NXX/2125551XXX"),
            ("+|X.", "+|X."),
            ("++|X.", "++X."),
            ("+++1NXX", "+++1NXX"),
            ("!", "!"),
        ];
        for (input, canonical) in cases {
            let parsed = p(input);
            assert_eq!(parsed.to_string(), canonical, "input {input:?}");
            assert_eq!(p(canonical), parsed, "re-parse of {canonical:?}");
        }
        // The separator rules behind the odd-looking cases above.
        assert_eq!(
            p("+|X.").matches("+34").map(|m| m.rewritten).as_deref(),
            Some("34")
        );
        assert_eq!(
            p("++|X.").matches("34").map(|m| m.rewritten).as_deref(),
            Some("+34")
        );
        assert_eq!(
            p("+++1NXX")
                .matches("+1212")
                .map(|m| m.rewritten)
                .as_deref(),
            Some("++1212")
        );
    }

    /// Every string of up to four characters over the syntax's alphabet: parsing never
    /// panics, errors point inside the text, and what parses round-trips through `Display`.
    #[test]
    fn exhaustive_short_patterns_round_trip() {
        const ALPHABET: &[char] = &[
            '1', '9', '*', 'x', 'N', '+', '|', '/', '.', '!', '[', ']', '-',
        ];
        let mut texts = vec![String::new()];
        let (mut parsed, mut refused) = (0, 0);
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|t| ALPHABET.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for text in &texts {
                match DialPattern::parse(text) {
                    Ok(pattern) => {
                        parsed += 1;
                        let canonical = pattern.to_string();
                        let again = DialPattern::parse(&canonical)
                            .unwrap_or_else(|e| panic!("{text:?} -> {canonical:?}: {e}"));
                        assert_eq!(again, pattern, "{text:?} -> {canonical:?}");
                        assert_eq!(again.to_string(), canonical);
                    }
                    Err(e) => {
                        refused += 1;
                        assert!(
                            (1..=text.chars().count()).contains(&e.position),
                            "{text:?}: {e}"
                        );
                    }
                }
            }
        }
        assert!(
            parsed > 1000 && refused > 1000,
            "{parsed} parsed, {refused} refused"
        );
    }

    #[test]
    fn serde_as_string() {
        let parsed: DialPattern = serde_json::from_str(r#""9|nxxnxxxxxx""#).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), r#""9|NXXNXXXXXX""#);
        let err = serde_json::from_str::<DialPattern>(r#""9|NXQ""#).unwrap_err();
        assert!(err.to_string().contains("at character 5"), "{err}");
        assert_eq!(DialPattern::try_from("X.".to_owned()).unwrap(), p("X."));
        assert_eq!(String::from(p("x.")), "X.");
        assert_eq!("1NXX".parse::<DialPattern>().unwrap(), p("1NXX"));
    }

    #[test]
    fn rewrite_with_strip_and_prepend() {
        /// (patterns, strip, prepend, dialled, expected number to the trunk)
        type Case<'a> = (&'a [&'a str], usize, &'a str, &'a str, Option<&'a str>);
        let cases: &[Case] = &[
            (&["NXXNXXXXXX"], 0, "1", "2125551234", Some("12125551234")),
            (&["NXXNXXXXXX"], 0, "+1", "2125551234", Some("+12125551234")),
            (&["9|NXXNXXXXXX"], 0, "", "92125551234", Some("2125551234")),
            (&["9NXXNXXXXXX"], 1, "", "92125551234", Some("2125551234")),
            (
                &["9|1NXXNXXXXXX"],
                1,
                "+1",
                "912125551234",
                Some("+12125551234"),
            ),
            (&["00X."], 2, "+", "0034912345678", Some("+34912345678")),
            (&["011X."], 3, "+", "011442071234567", Some("+442071234567")),
            (
                &["1+NXXNXXXXXX"],
                0,
                "+",
                "2125551234",
                Some("+12125551234"),
            ),
            // A service code translated to a full number: all stripped, all prepended.
            (&["611"], 3, "+18005551234", "611", Some("+18005551234")),
            // Nothing would be left to send: the rule does not apply.
            (&["611"], 3, "", "611", None),
            // Strip longer than the dialled number: the rule does not apply.
            (&["X."], 5, "", "1234", None),
            (&["X."], 4, "", "12345", Some("5")),
            // The first pattern that matches (and can be rewritten) is used.
            (&["X.", "9|X."], 0, "", "9123", Some("9123")),
            (&["X", "9|X."], 2, "", "9123", Some("3")),
            (
                &["NXXNXXXXXX", "1NXXNXXXXXX"],
                0,
                "+1",
                "2125551234",
                Some("+12125551234"),
            ),
            (
                &["NXXNXXXXXX", "1NXXNXXXXXX"],
                1,
                "+1",
                "12125551234",
                Some("+12125551234"),
            ),
            (&["NXXNXXXXXX", "1NXXNXXXXXX"], 0, "+1", "5551234", None),
        ];
        for &(patterns, strip, prepend, dialled, expected) in cases {
            let rule = OutboundRule::from_texts(patterns, strip, prepend).unwrap();
            let got = rule.rewrite(dialled, None).map(|r| r.number);
            assert_eq!(
                got.as_deref(),
                expected,
                "{patterns:?} strip {strip} prepend {prepend:?} dialled {dialled:?}"
            );
        }
        let r = OutboundRule::from_texts(&["X", "9|X."], 0, "")
            .unwrap()
            .rewrite("9123", None)
            .unwrap();
        assert_eq!(r.pattern_index, 1);
        assert_eq!(r.matched.prefix, "9");
    }

    #[test]
    fn invalid_rules() {
        assert_eq!(OutboundRule::new(vec![], 0, ""), Err(RuleError::NoPatterns));
        let many: Vec<&str> = vec!["X"; MAX_PATTERNS_PER_RULE + 1];
        assert_eq!(
            OutboundRule::from_texts(&many, 0, ""),
            Err(RuleError::TooManyPatterns)
        );
        assert_eq!(
            OutboundRule::from_texts(&["X"], MAX_STRIP + 1, ""),
            Err(RuleError::StripTooLarge)
        );
        assert_eq!(
            OutboundRule::from_texts(&["X"], 0, "1".repeat(MAX_PREPEND_LEN + 1)),
            Err(RuleError::PrependTooLong)
        );
        assert_eq!(
            OutboundRule::from_texts(&["X"], 0, "1+2"),
            Err(RuleError::InvalidPrepend {
                position: 2,
                character: '+'
            })
        );
        assert_eq!(
            OutboundRule::from_texts(&["X"], 0, "12X"),
            Err(RuleError::InvalidPrepend {
                position: 3,
                character: 'X'
            })
        );
        let err = OutboundRule::from_texts(&["X.", "NX Q"], 0, "").unwrap_err();
        assert_eq!(err.field(), "patterns[1]");
        assert_eq!(
            err.to_string(),
            "patterns[1]: invalid dial pattern at character 3: unexpected character ' ': a \
             pattern holds digits, *, #, a leading +, X, Z, N, [...] classes, and . or ! at \
             the end"
        );
        let fe = err.to_field_error("routes[2]");
        assert_eq!(fe.field, "routes[2].patterns[1]");
        assert_eq!(fe.code, "invalid_dial_pattern");
        let fe = RuleError::StripTooLarge.to_field_error("");
        assert_eq!(
            (fe.field.as_str(), fe.code.as_str()),
            ("strip", "invalid_outbound_rule")
        );
        assert!(OutboundRule::from_texts(&["X"], 0, "+1*#").is_ok());
    }

    #[test]
    fn rule_serde() {
        let rule: OutboundRule = serde_json::from_str(
            r#"{"patterns":["9|nxxnxxxxxx","9|1NXXNXXXXXX"],"strip":0,"prepend":"+1"}"#,
        )
        .unwrap();
        assert_eq!(rule.patterns().len(), 2);
        assert_eq!(rule.prepend(), "+1");
        assert_eq!(rule.strip(), 0);
        assert_eq!(
            serde_json::to_string(&rule).unwrap(),
            r#"{"patterns":["9|NXXNXXXXXX","9|1NXXNXXXXXX"],"strip":0,"prepend":"+1"}"#
        );
        let minimal: OutboundRule = serde_json::from_str(r#"{"patterns":["X."]}"#).unwrap();
        assert_eq!((minimal.strip(), minimal.prepend()), (0, ""));
        let err =
            serde_json::from_str::<OutboundRule>(r#"{"patterns":["X","[9-1]"]}"#).unwrap_err();
        assert!(err.to_string().contains("patterns[1]"), "{err}");
        assert!(serde_json::from_str::<OutboundRule>(r#"{"patterns":[]}"#).is_err());
        assert!(
            serde_json::from_str::<OutboundRule>(r#"{"patterns":["X"],"strp":1}"#).is_err(),
            "a misspelt field must not be ignored"
        );
    }

    /// A route record as the API might hold it: the rule plus what the switch needs.
    #[derive(Debug, PartialEq, Eq)]
    struct Route {
        name: &'static str,
        rule: OutboundRule,
    }

    impl AsRef<OutboundRule> for Route {
        fn as_ref(&self) -> &OutboundRule {
            &self.rule
        }
    }

    fn route(name: &'static str, patterns: &[&str], strip: usize, prepend: &str) -> Route {
        Route {
            name,
            rule: OutboundRule::from_texts(patterns, strip, prepend).unwrap(),
        }
    }

    #[test]
    fn first_matching_route_in_order_wins() {
        let routes = vec![
            route("emergency", &["911", "9|911"], 0, ""),
            route("vip-intl", &["9|011./1000"], 0, ""),
            route("international", &["9|011."], 3, "+"),
            route("national", &["9|1NXXNXXXXXX", "9|NXXNXXXXXX"], 0, ""),
            route("everything", &["X."], 0, ""),
        ];
        /// (dialled, caller, expected (route, number))
        type Case<'a> = (&'a str, Option<&'a str>, Option<(&'a str, &'a str)>);
        let cases: &[Case] = &[
            ("911", None, Some(("emergency", "911"))),
            ("9911", None, Some(("emergency", "911"))),
            (
                "9011442071234567",
                None,
                Some(("international", "+442071234567")),
            ),
            (
                "9011442071234567",
                Some("1000"),
                Some(("vip-intl", "011442071234567")),
            ),
            ("912125551234", None, Some(("national", "12125551234"))),
            ("92125551234", None, Some(("national", "2125551234"))),
            ("2125551234", None, Some(("everything", "2125551234"))),
            ("*98", None, None),
            ("", None, None),
        ];
        for &(dialled, caller, expected) in cases {
            let got =
                choose_route(&routes, dialled, caller).map(|c| (c.route.name, c.rewrite.number));
            assert_eq!(
                got.as_ref().map(|(n, num)| (*n, num.as_str())),
                expected,
                "dialled {dialled:?} caller {caller:?}"
            );
        }
        // Order is the only precedence: a catch-all placed first shadows everything.
        let shadowed = vec![
            route("everything", &["!"], 0, ""),
            route("emergency", &["911"], 0, ""),
        ];
        let choice = choose_route(&shadowed, "911", None).unwrap();
        assert_eq!((choice.index, choice.route.name), (0, "everything"));
        // Plain rules work too.
        let rules = vec![OutboundRule::from_texts(&["NXX"], 0, "").unwrap()];
        assert_eq!(choose_route(&rules, "211", None).map(|c| c.index), Some(0));
        assert!(choose_route::<OutboundRule>(&[], "211", None).is_none());
    }
}
