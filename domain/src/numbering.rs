//! Telephone numbers in E.164 form, validated against real numbering plans.
//!
//! DIDs, external caller IDs and carrier numbers are stored and compared in one canonical
//! form (`+34911234567`), so that "the same number written twice" is one row and one route.
//! Validation uses the `phonenumber` crate, a port of Google's libphonenumber whose metadata
//! (per-country number patterns and lengths) is compiled into the binary: a number is accepted
//! only when it belongs to an allocated range of its country's numbering plan, which catches
//! typos that a length check would let through (`+1 212 055 0123`: no NANP exchange starts
//! with 0).
//!
//! Field error codes (stable, part of the API contract):
//!
//! | code | meaning |
//! |---|---|
//! | `e164_missing_plus` | the number does not start with `+` and a country code |
//! | `e164_invalid_characters` | something other than digits and `space - . ( )` after the `+` |
//! | `e164_unknown_country_code` | no country or network uses that calling code |
//! | `e164_invalid_length` | too few or too many digits for the country |
//! | `e164_invalid_number` | the right length, but not a number the country's plan allocates |

use std::fmt;

use phonenumber::{Mode, PhoneNumber, metadata::DATABASE};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// E.164 allows at most 15 digits, country code included.
const MAX_DIGITS: usize = 15;

/// Room for every regular expression of the numbering metadata (about 2,300 number
/// patterns, 1,200 leading-digit patterns and 800 format patterns, fewer once shared
/// sources are counted once); see [`hold_every_pattern`].
const PATTERN_CACHE_CAPACITY: usize = 8_192;

/// Longest raw input considered at all: generous for formatting characters, and it keeps
/// absurd inputs away from the parser.
const MAX_INPUT_CHARS: usize = 40;

/// The metadata region id libphonenumber gives to non-geographic calling codes (+800, +883…);
/// UN M.49 "World", not an ISO 3166 country.
const NON_GEOGRAPHIC_REGION: &str = "001";

/// A valid international telephone number in canonical E.164 form (`+` and digits only).
///
/// Built only by [`E164::parse`], so holding one means the number was valid in its country's
/// numbering plan when parsed. The country and number type are resolved once at parse time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct E164 {
    number: String,
    country: Option<&'static str>,
    number_type: NumberType,
}

/// A number's country (`None` for non-geographic codes) and line type.
pub type Classified = (Option<&'static str>, NumberType);

/// Classifications answered by [`classify_digits`], by digit string.
const CLASSIFIED_CAPACITY: usize = 100_000;

/// The country and line type of the number `+digits`, or `None` when it is not a valid
/// number. Remembered per process: call authorization asks for every call, and
/// libphonenumber's own cache of compiled patterns holds only 100 of the thousands its
/// metadata has, so classifying numbers of many countries recompiles regular expressions
/// over and over (measured as about a sixth of the authorization's CPU). The answer for a
/// digit string never changes while the binary (its metadata) does not.
pub fn classify_digits(digits: &str) -> Option<Classified> {
    static CLASSIFIED: std::sync::LazyLock<quick_cache::sync::Cache<String, Option<Classified>>> =
        std::sync::LazyLock::new(|| quick_cache::sync::Cache::new(CLASSIFIED_CAPACITY));
    if let Some(known) = CLASSIFIED.get(digits) {
        return known;
    }
    let found = E164::parse("number", &format!("+{digits}"))
        .ok()
        .map(|n| (n.country, n.number_type));
    CLASSIFIED.insert(digits.to_owned(), found);
    found
}

/// Gives `phonenumber`'s cache of compiled patterns room for the whole metadata, once per
/// process.
///
/// The crate compiles its metadata's regular expressions lazily into one LRU cache that it
/// creates with room for 100; classifying a number consults a dozen patterns of each region
/// its calling code may belong to, so numbers of a handful of countries (and +1 alone has
/// 25 regions) evict each other's patterns and every parse recompiles dozens of them: in
/// the authorization benchmark that compilation was most of a call's CPU whenever a number
/// had not been classified before, and the p99. The cache sits behind an
/// `Arc<Mutex<…>>` the crate hands out (`Database::cache`), so it is swapped for a larger
/// one before the first parse; patterns are still compiled only when first used.
fn hold_every_pattern() {
    static ENLARGED: std::sync::Once = std::sync::Once::new();
    ENLARGED.call_once(|| match DATABASE.cache().lock() {
        Ok(mut cache) => *cache = regex_cache::RegexCache::new(PATTERN_CACHE_CAPACITY),
        // Poisoned: a panic inside the crate while matching. The small cache still works.
        Err(_) => tracing::error!("the numbering pattern cache is poisoned; left at its size"),
    });
}

impl E164 {
    /// Parses a number written in international form: a leading `+`, the country calling code
    /// and the national number, optionally formatted with spaces, dashes, dots and parentheses
    /// (`+1 (212) 736-5000`, `+44 (0) 20 7946 0958`).
    ///
    /// Numbers without `+` are refused rather than guessed: `0034…`, `011…` or a national
    /// `91 123 45 67` only mean something relative to where they are dialled from, and a DID
    /// inventory must not depend on that. Letters are refused too, although libphonenumber
    /// would translate vanity spellings (`1-800-FLOWERS`), because in a stored number they are
    /// far more likely to be a mistake than intent; so are extensions (`ext. 5`).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        hold_every_pattern();
        let err = |code: &str, msg: &str| FieldError::new(field, code, msg);
        let trimmed = raw.trim();
        let Some(rest) = trimmed.strip_prefix('+') else {
            return Err(err(
                "e164_missing_plus",
                "must start with + and the country code, like +34 911 234 567",
            ));
        };
        if trimmed.chars().count() > MAX_INPUT_CHARS {
            return Err(err(
                "e164_invalid_length",
                "is too long to be a phone number",
            ));
        }
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return Err(err(
                "e164_invalid_characters",
                "may contain only digits, spaces, dashes, dots and parentheses after the +",
            ));
        }
        let digits = rest.chars().filter(char::is_ascii_digit).count();
        if digits > MAX_DIGITS {
            return Err(err(
                "e164_invalid_length",
                "has more than the 15 digits E.164 allows",
            ));
        }
        let parsed = phonenumber::parse(None, trimmed).map_err(|e| match e {
            phonenumber::ParseError::InvalidCountryCode => err(
                "e164_unknown_country_code",
                "does not start with a country calling code in use",
            ),
            phonenumber::ParseError::TooLong => err(
                "e164_invalid_length",
                "has too many digits for its country code",
            ),
            _ => err(
                "e164_invalid_length",
                "has too few digits for its country code",
            ),
        })?;
        if parsed.extension().is_some() {
            // Unreachable with the character set above; kept so a parser change cannot
            // silently drop part of the input.
            return Err(err(
                "e164_invalid_characters",
                "must not carry an extension",
            ));
        }
        // With its leading zeros: they are significant in some plans (Italy).
        let national = parsed.national().to_string();
        let not_in_plan = || {
            if length_possible(parsed.code().value(), &national) {
                err(
                    "e164_invalid_number",
                    "is not a valid number in its country's numbering plan",
                )
            } else {
                err(
                    "e164_invalid_length",
                    "has the wrong number of digits for its country",
                )
            }
        };
        let meta = region_metadata(&parsed, &national).ok_or_else(not_in_plan)?;
        let number_type = classify(meta, &national);
        if number_type == NumberType::Unknown || !parsed.is_valid() {
            return Err(not_in_plan());
        }
        let country = Some(meta.id()).filter(|id| *id != NON_GEOGRAPHIC_REGION);
        Ok(Self {
            number: parsed.format().mode(Mode::E164).to_string(),
            country,
            number_type,
        })
    }

    /// The canonical form, `+` followed by digits: `+34911234567`.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn into_inner(self) -> String {
        self.number
    }

    /// The ISO 3166-1 alpha-2 code of the country or territory the number belongs to (`"ES"`,
    /// `"US"`, `"CA"`, `"JE"`): for calling codes shared by several territories (+1, +44, +7)
    /// the numbering plan decides, not the code alone.
    ///
    /// `None` for non-geographic numbers (+800 universal freephone, +870 Inmarsat, +881/+882/
    /// +883 international networks): they are valid E.164 numbers but belong to no country.
    pub fn country(&self) -> Option<&str> {
        self.country
    }

    /// What kind of line the numbering plan says this is.
    pub fn number_type(&self) -> NumberType {
        self.number_type
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

impl Serialize for E164 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.number)
    }
}

/// The type of a number according to its country's numbering plan.
///
/// Where the plan does not tell fixed lines from mobiles (the NANP: US, Canada…), the answer
/// is `fixed_line_or_mobile`. Classes libphonenumber knows but that never describe a full
/// diallable E.164 number (emergency, short codes…) are folded into `unknown`, which a parsed
/// [`E164`] never carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    FixedLine,
    Mobile,
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    Uan,
    Voicemail,
    Unknown,
}

impl NumberType {
    /// Every type, for documentation and exhaustive tests.
    pub const ALL: [NumberType; 12] = [
        Self::FixedLine,
        Self::Mobile,
        Self::FixedLineOrMobile,
        Self::TollFree,
        Self::PremiumRate,
        Self::SharedCost,
        Self::Voip,
        Self::PersonalNumber,
        Self::Pager,
        Self::Uan,
        Self::Voicemail,
        Self::Unknown,
    ];

    /// The snake_case name, as in JSON; convenient for a text column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FixedLine => "fixed_line",
            Self::Mobile => "mobile",
            Self::FixedLineOrMobile => "fixed_line_or_mobile",
            Self::TollFree => "toll_free",
            Self::PremiumRate => "premium_rate",
            Self::SharedCost => "shared_cost",
            Self::Voip => "voip",
            Self::PersonalNumber => "personal_number",
            Self::Pager => "pager",
            Self::Uan => "uan",
            Self::Voicemail => "voicemail",
            Self::Unknown => "unknown",
        }
    }

    /// The inverse of [`NumberType::as_str`], for reading a stored value back.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The metadata of the region a number belongs to.
///
/// `phonenumber` 0.3.10's own `PhoneNumber::metadata` (and so `number_type` and
/// `country().id()`) looks regions up by the national number *without* its leading zeros,
/// which answers nothing for Italian fixed lines (`+39 06…`) although `is_valid` (which keeps
/// the zeros) accepts them. This mirrors the library's region selection with the zeros kept:
/// the only region of the calling code; else the first whose leading-digits pattern matches;
/// else the first (main country first) whose plan recognises the number.
fn region_metadata(number: &PhoneNumber, national: &str) -> Option<&'static phonenumber::Metadata> {
    let regions = DATABASE.by_code(&number.code().value())?;
    if let [only] = regions.as_slice() {
        return Some(*only);
    }
    regions
        .into_iter()
        .find(|meta| match meta.leading_digits() {
            Some(pattern) => pattern.find(national).is_some_and(|m| m.start() == 0),
            None => classify(meta, national) != NumberType::Unknown,
        })
}

/// Whether any region of the calling code has numbers of this length, to tell "wrong
/// length" from "right length, unallocated range" in error answers. The metadata keeps
/// lengths per number type (the general descriptor's list is empty), so all are consulted.
fn length_possible(code: u16, national: &str) -> bool {
    use phonenumber::Type;
    let Ok(len) = u16::try_from(national.len()) else {
        return false;
    };
    let kinds = [
        Type::FixedLine,
        Type::Mobile,
        Type::TollFree,
        Type::PremiumRate,
        Type::SharedCost,
        Type::PersonalNumber,
        Type::Voip,
        Type::Pager,
        Type::Uan,
        Type::Voicemail,
    ];
    DATABASE.by_code(&code).is_some_and(|regions| {
        regions.iter().any(|meta| {
            let d = meta.descriptors();
            std::iter::once(d.general())
                .chain(kinds.iter().filter_map(|kind| d.get(*kind)))
                .any(|desc| desc.possible_length().contains(&len))
        })
    })
}

/// The number type, by the same rules and in the same order as libphonenumber (the special
/// services first, since their ranges may overlap the generic fixed-line pattern).
fn classify(meta: &phonenumber::Metadata, national: &str) -> NumberType {
    let d = meta.descriptors();
    if !d.general().is_match(national) {
        return NumberType::Unknown;
    }
    let matches = |desc: Option<&phonenumber::metadata::Descriptor>| {
        desc.is_some_and(|desc| desc.is_match(national))
    };
    let special = [
        (d.premium_rate(), NumberType::PremiumRate),
        (d.toll_free(), NumberType::TollFree),
        (d.shared_cost(), NumberType::SharedCost),
        (d.voip(), NumberType::Voip),
        (d.personal_number(), NumberType::PersonalNumber),
        (d.pager(), NumberType::Pager),
        (d.uan(), NumberType::Uan),
        (d.voicemail(), NumberType::Voicemail),
    ];
    if let Some((_, kind)) = special.into_iter().find(|(desc, _)| matches(*desc)) {
        return kind;
    }
    if matches(d.fixed_line()) {
        let same_pattern = d.fixed_line().map(|f| f.national_number().as_str())
            == d.mobile().map(|m| m.national_number().as_str());
        if same_pattern || matches(d.mobile()) {
            return NumberType::FixedLineOrMobile;
        }
        return NumberType::FixedLine;
    }
    if matches(d.mobile()) {
        return NumberType::Mobile;
    }
    NumberType::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> E164 {
        match E164::parse("number", raw) {
            Ok(n) => n,
            Err(e) => panic!("{raw:?} should be valid: {e:?}"),
        }
    }

    fn code_of(raw: &str) -> String {
        match E164::parse("number", raw) {
            Ok(n) => panic!("{raw:?} should be refused, got {n:?}"),
            Err(e) => {
                assert_eq!(e.field, "number");
                e.code
            }
        }
    }

    /// Numbers of many countries (and several regions of +1 and +44) leave more patterns
    /// compiled than the crate's own cache of 100 could hold, so classifying them again
    /// compiles nothing. (Other tests of this process parse numbers concurrently, so only
    /// the lower bound is asserted.)
    #[test]
    fn the_pattern_cache_keeps_the_patterns_of_many_countries() {
        let numbers = [
            "+12125550123",
            "+14165550123",
            "+18765550123",
            "+16045550123",
            "+34911234567",
            "+34612345678",
            "+33142685300",
            "+33612345678",
            "+4930123456",
            "+4915123456789",
            "+390612345678",
            "+393123456789",
            "+442079460958",
            "+447400123456",
            "+441534123456",
            "+5511987654321",
            "+525512345678",
            "+81312345678",
            "+61212345678",
            "+27211234567",
            "+31201234567",
            "+32212345678",
            "+41441234567",
            "+46812345678",
            "+4721234567",
            "+358912345678",
            "+48221234567",
            "+351211234567",
            "+302101234567",
            "+35312345678",
        ];
        let classify = || {
            numbers
                .iter()
                .filter(|n| E164::parse("n", n).is_ok())
                .count()
        };
        let valid = classify();
        assert!(valid >= 25, "only {valid} of the sample are valid numbers");
        let compiled = || DATABASE.cache().lock().map(|c| c.len()).unwrap_or(0);
        assert_eq!(classify(), valid);
        let held = compiled();
        assert!(held > 100, "only {held} patterns held");
    }

    #[test]
    fn valid_numbers_from_several_countries() {
        // (input, canonical, country, type): all checked against the crate's metadata.
        let cases = [
            (
                "+1 212-555-0123",
                "+12125550123",
                "US",
                NumberType::FixedLineOrMobile,
            ),
            (
                "+1 (212) 736-5000",
                "+12127365000",
                "US",
                NumberType::FixedLineOrMobile,
            ),
            (
                "+1 800 555 0199",
                "+18005550199",
                "US",
                NumberType::TollFree,
            ),
            (
                "+1-800-275-2273",
                "+18002752273",
                "US",
                NumberType::TollFree,
            ),
            (
                "+1 900 234 5678",
                "+19002345678",
                "US",
                NumberType::PremiumRate,
            ),
            (
                "+1 416 555 0123",
                "+14165550123",
                "CA",
                NumberType::FixedLineOrMobile,
            ),
            (
                "+1 787 555 0123",
                "+17875550123",
                "PR",
                NumberType::FixedLineOrMobile,
            ),
            (
                "+34 911 23 45 67",
                "+34911234567",
                "ES",
                NumberType::FixedLine,
            ),
            (
                "+34 91 123 45 67",
                "+34911234567",
                "ES",
                NumberType::FixedLine,
            ),
            (
                "+34 (91) 123-45-67",
                "+34911234567",
                "ES",
                NumberType::FixedLine,
            ),
            ("+34 612 34 56 78", "+34612345678", "ES", NumberType::Mobile),
            (
                "+34 900 123 456",
                "+34900123456",
                "ES",
                NumberType::TollFree,
            ),
            (
                "+34 803 123 456",
                "+34803123456",
                "ES",
                NumberType::PremiumRate,
            ),
            (
                "+34 901 123 456",
                "+34901123456",
                "ES",
                NumberType::SharedCost,
            ),
            ("+34 511 123 456", "+34511123456", "ES", NumberType::Uan),
            (
                "+44 20 7946 0958",
                "+442079460958",
                "GB",
                NumberType::FixedLine,
            ),
            (
                "+44 (0) 20 7946 0958",
                "+442079460958",
                "GB",
                NumberType::FixedLine,
            ),
            ("+44 7400 123456", "+447400123456", "GB", NumberType::Mobile),
            (
                "+44 800 123 4567",
                "+448001234567",
                "GB",
                NumberType::TollFree,
            ),
            ("+44 56 1234 5678", "+445612345678", "GB", NumberType::Voip),
            (
                "+44 70 1234 5678",
                "+447012345678",
                "GB",
                NumberType::PersonalNumber,
            ),
            ("+44 76 2345 6789", "+447623456789", "GB", NumberType::Pager),
            (
                "+44 1534 123456",
                "+441534123456",
                "JE",
                NumberType::FixedLine,
            ),
            (
                "+49 30 12345678",
                "+493012345678",
                "DE",
                NumberType::FixedLine,
            ),
            (
                "+33 1 42 68 53 00",
                "+33142685300",
                "FR",
                NumberType::FixedLine,
            ),
            (
                "+33 6 12 34 56 78",
                "+33612345678",
                "FR",
                NumberType::Mobile,
            ),
            (
                "+55 11 91234-5678",
                "+5511912345678",
                "BR",
                NumberType::Mobile,
            ),
            (
                "+81 3-1234-5678",
                "+81312345678",
                "JP",
                NumberType::FixedLine,
            ),
            (
                "+61 2 9876 5432",
                "+61298765432",
                "AU",
                NumberType::FixedLine,
            ),
            (
                "+7 495 123 45 67",
                "+74951234567",
                "RU",
                NumberType::FixedLine,
            ),
            ("+7 700 123 4567", "+77001234567", "KZ", NumberType::Mobile),
            (
                "+353 1 234 5678",
                "+35312345678",
                "IE",
                NumberType::FixedLine,
            ),
            (
                "+41 44 668 18 00",
                "+41446681800",
                "CH",
                NumberType::FixedLine,
            ),
        ];
        for (raw, canonical, country, kind) in cases {
            let n = ok(raw);
            assert_eq!(n.as_str(), canonical, "{raw}");
            assert_eq!(n.country(), Some(country), "{raw}");
            assert_eq!(n.number_type(), kind, "{raw}");
            assert_eq!(n.to_string(), canonical);
        }
    }

    #[test]
    fn leading_zero_national_numbers_resolve_their_country() {
        // Italian fixed lines keep their 0 internationally; the crate's own lookup loses it.
        let rome = ok("+39 06 1234 5678");
        assert_eq!(rome.as_str(), "+390612345678");
        assert_eq!(rome.country(), Some("IT"));
        assert_eq!(rome.number_type(), NumberType::FixedLine);
        assert_eq!(ok("+39 02 1234 5678").country(), Some("IT"));
        let mobile = ok("+39 333 123 4567");
        assert_eq!(
            (mobile.country(), mobile.number_type()),
            (Some("IT"), NumberType::Mobile)
        );
        // Vatican City shares +39 and is told apart by its leading digits.
        assert_eq!(ok("+39 06 698 12345").country(), Some("VA"));
    }

    #[test]
    fn classification_agrees_with_the_library_where_the_library_is_right() {
        // Without leading zeros the crate's own `number_type` is correct: ours must match it.
        for raw in [
            "+12125550123",
            "+18005550199",
            "+19002345678",
            "+15002345678",
            "+34911234567",
            "+34612345678",
            "+34901123456",
            "+447012345678",
            "+445512345678",
            "+883510012345678",
            "+80012345678",
        ] {
            let ours = ok(raw).number_type();
            let theirs = phonenumber::parse(None, raw)
                .unwrap()
                .number_type(&DATABASE);
            assert_eq!(
                serde_json::to_value(theirs).unwrap(),
                serde_json::to_value(ours).unwrap(),
                "{raw}"
            );
        }
    }

    #[test]
    fn non_geographic_numbers_have_no_country() {
        let freephone = ok("+800 1234 5678");
        assert_eq!(freephone.as_str(), "+80012345678");
        assert_eq!(freephone.country(), None);
        assert_eq!(freephone.number_type(), NumberType::TollFree);
        let inum = ok("+883 5100 1234 5678");
        assert_eq!(inum.country(), None);
        assert_eq!(inum.number_type(), NumberType::Voip);
    }

    #[test]
    fn formatting_is_normalised() {
        for raw in [
            "+34911234567",
            " +34 911 234 567 ",
            "+34-91-123-45-67",
            "+34.91.123.45.67",
            "+34 (91) 123 45 67",
        ] {
            assert_eq!(ok(raw).as_str(), "+34911234567", "{raw}");
        }
        assert_eq!(ok("+34 911 234 567"), ok("+34911234567"));
    }

    #[test]
    fn a_plus_is_required() {
        for raw in [
            "34911234567",
            "0034911234567",
            "011 1 212 555 0123",
            "911 23 45 67",
            "tel:+34911234567",
            "",
            "   ",
        ] {
            assert_eq!(code_of(raw), "e164_missing_plus", "{raw:?}");
        }
    }

    #[test]
    fn letters_and_stray_characters_are_refused() {
        for raw in [
            "+1 800 FLOWERS",
            "+1 212 555 0123 ext 5",
            "+34 91 123 45 6x",
            "++34911234567",
            "+34911234567+",
            "+34/911234567",
            "+34_911_234_567",
            "+34 911 234 567;ext=1",
            "+34 ٩١١٢٣٤٥٦٧",
            "+３４９１１２３４５６７",
        ] {
            assert_eq!(code_of(raw), "e164_invalid_characters", "{raw:?}");
        }
    }

    #[test]
    fn unknown_country_codes_are_refused() {
        for raw in ["+999 123 4567", "+28 1234 5678", "+0 123 4567"] {
            assert_eq!(code_of(raw), "e164_unknown_country_code", "{raw:?}");
        }
    }

    #[test]
    fn wrong_lengths_are_refused() {
        for raw in [
            "+",
            "+1",
            "+12",
            "+1 212",
            "+34 91",
            "+34 91 123 45 6",
            "+34 91 123 45 678",
            "+1 800 555 01999",
            "+44 20 7946 0958 123",
            "+4420794609581234567",
            &format!("+34 {} 911 234 567", " ".repeat(40)),
        ] {
            assert_eq!(code_of(raw), "e164_invalid_length", "{raw:?}");
        }
    }

    #[test]
    fn right_length_but_unallocated_numbers_are_refused() {
        for raw in [
            "+1 212 055 0123", // NANP exchange codes never start with 0
            "+1 012 345 6789", // nor do area codes
            "+34 805 123 456", // 9 digits, but 805 is no Spanish range
            "+34 905 123 456",
        ] {
            assert_eq!(code_of(raw), "e164_invalid_number", "{raw:?}");
        }
    }

    #[test]
    fn parser_never_panics_on_odd_input() {
        for raw in [
            "+;phone-context=",
            "+dwPAA;phone-context=AA",
            "+\u{1F4A9}",
            "+()",
            "+- - -",
            "+000000000000000",
            "+0",
            "+(((((1)))))",
            "+1..........................",
        ] {
            assert!(E164::parse("number", raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn number_types_serialise_in_snake_case() {
        for kind in NumberType::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().to_owned())
            );
            assert_eq!(NumberType::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(NumberType::from_name("emergency"), None);
        assert_eq!(
            serde_json::to_value(ok("+34911234567")).unwrap(),
            serde_json::json!("+34911234567")
        );
    }
}
