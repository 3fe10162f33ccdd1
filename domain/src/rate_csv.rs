//! The rate-deck CSV: its columns, and one row turned into a [`Rate`] or the reason it is
//! bad. Pure: the import job ([`crate::services::billing::imports`]) streams the file through
//! `csv` and asks here about each record; the export writes the same columns, so an export
//! re-imports unchanged.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `prefix` | yes | 1-15 digits (a leading `+` or `'+` is taken off) |
//! | `destination` | yes | 1-200 characters, no control characters |
//! | `rate` | yes | price per minute, a decimal string, 0 to [`MAX_RATE`] |
//! | `connection_fee` | no (0) | charged once per answered call, 0 to [`MAX_FEE`] |
//! | `minimum_seconds` | no (0) | 0-3600 |
//! | `first_increment` | no (60) | seconds, 1-3600 |
//! | `next_increment` | no (60) | seconds, 1-3600 |
//! | `effective_from` | no (always) | RFC 3339 (`2027-01-01T00:00:00Z`) or a date (`2027-01-01`, midnight UTC), inclusive |
//! | `effective_until` | no (never ends) | same, exclusive, after `effective_from` |
//!
//! The header names the columns (any order, each once); an unknown column refuses the file.
//! Amounts follow [`crate::money::parse_amount`]: at most six decimals, no sign, no exponent.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    money::{format_amount, parse_amount},
    rating::{MAX_DIGITS, Rate, Tariff},
};

/// The columns, in the order the export writes them.
pub const COLUMNS: [&str; 9] = [
    "prefix",
    "destination",
    "rate",
    "connection_fee",
    "minimum_seconds",
    "first_increment",
    "next_increment",
    "effective_from",
    "effective_until",
];

/// Columns a file must have.
const REQUIRED: [usize; 3] = [0, 1, 2];

/// Highest price per minute a deck accepts: 100 units of its currency. Premium numbers cost a
/// few units a minute; anything above this is a typo (a misplaced decimal point), refused.
pub const MAX_RATE: i64 = 100_000_000;

/// Highest connection fee: 100 units.
pub const MAX_FEE: i64 = 100_000_000;

/// Longest increment and minimum, in seconds: an hour.
pub const MAX_SECONDS: u32 = 3_600;

/// Increment used when the file has no increment columns: per minute, the common default.
pub const DEFAULT_INCREMENT: u32 = 60;

/// Where each column sits in the file's records.
#[derive(Debug, Clone)]
pub struct Header {
    at: [Option<usize>; COLUMNS.len()],
    width: usize,
}

impl Header {
    /// Reads the header record; a missing required column, an unknown or repeated one is the
    /// whole file's error.
    pub fn parse<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, String> {
        let mut at = [None; COLUMNS.len()];
        let mut width = 0;
        for (i, raw) in fields.into_iter().enumerate() {
            width += 1;
            let name = String::from_utf8_lossy(raw).trim().to_ascii_lowercase();
            // A byte-order mark some spreadsheets write before the first column.
            let name = name.trim_start_matches('\u{feff}');
            let Some(c) = COLUMNS.iter().position(|c| *c == name) else {
                return Err(format!(
                    "unknown column \"{}\" (the columns are: {})",
                    name.chars().take(40).collect::<String>(),
                    COLUMNS.join(", ")
                ));
            };
            if at[c].replace(i).is_some() {
                return Err(format!("column \"{name}\" appears twice"));
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .filter(|c| at[**c].is_none())
            .map(|c| COLUMNS[*c])
            .collect();
        if !missing.is_empty() {
            return Err(format!("missing column(s): {}", missing.join(", ")));
        }
        Ok(Self { at, width })
    }

    /// Turns one record into a rate, or says what is wrong with it (the first problem).
    pub fn row(&self, record: &csv::ByteRecord) -> Result<Rate, String> {
        if record.len() != self.width {
            return Err(format!(
                "has {} fields, the header has {}",
                record.len(),
                self.width
            ));
        }
        let cell = |c: usize| -> Result<Option<&str>, String> {
            match self.at[c].and_then(|i| record.get(i)) {
                None => Ok(None),
                Some(raw) => {
                    let text = std::str::from_utf8(raw)
                        .map_err(|_| format!("{} is not UTF-8", COLUMNS[c]))?
                        .trim();
                    Ok((!text.is_empty()).then_some(text))
                }
            }
        };
        let prefix = prefix(cell(0)?.unwrap_or_default())?;
        let destination = destination(cell(1)?.unwrap_or_default())?;
        let per_minute = amount("rate", cell(2)?, None, MAX_RATE)?;
        let connection_fee = amount("connection_fee", cell(3)?, Some(0), MAX_FEE)?;
        let minimum_seconds = seconds("minimum_seconds", cell(4)?, 0, 0)?;
        let first_increment = seconds("first_increment", cell(5)?, DEFAULT_INCREMENT, 1)?;
        let next_increment = seconds("next_increment", cell(6)?, DEFAULT_INCREMENT, 1)?;
        let effective_from = instant("effective_from", cell(7)?)?;
        let effective_until = instant("effective_until", cell(8)?)?;
        if let (Some(f), Some(u)) = (effective_from, effective_until)
            && u <= f
        {
            return Err("effective_until must be after effective_from".into());
        }
        Ok(Rate {
            prefix,
            destination,
            tariff: Tariff {
                per_minute,
                connection_fee,
                minimum_seconds,
                first_increment,
                next_increment,
            },
            effective_from,
            effective_until,
        })
    }
}

fn prefix(raw: &str) -> Result<String, String> {
    let digits = raw.trim_start_matches('\'');
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty() {
        return Err("prefix is empty".into());
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("prefix must be digits only".into());
    }
    if digits.len() > MAX_DIGITS {
        return Err(format!("prefix is longer than {MAX_DIGITS} digits"));
    }
    Ok(digits.to_owned())
}

fn destination(raw: &str) -> Result<String, String> {
    let name = crate::csv_cells::restore(raw);
    if name.is_empty() {
        return Err("destination is empty".into());
    }
    if name.chars().count() > 200 {
        return Err("destination is longer than 200 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("destination has control characters".into());
    }
    Ok(name.to_owned())
}

fn amount(column: &str, raw: Option<&str>, default: Option<i64>, max: i64) -> Result<i64, String> {
    let Some(raw) = raw else {
        return default.ok_or_else(|| format!("{column} is empty"));
    };
    if raw.starts_with('-') {
        return Err(format!("{column} is negative"));
    }
    let micros = parse_amount(column, raw).map_err(|e| format!("{column} {}", e.message))?;
    if micros > max {
        return Err(format!(
            "{column} {raw} is above the most a deck accepts ({})",
            format_amount(max)
        ));
    }
    Ok(micros)
}

fn seconds(column: &str, raw: Option<&str>, default: u32, min: u32) -> Result<u32, String> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.parse::<u32>() {
        Ok(n) if (min..=MAX_SECONDS).contains(&n) => Ok(n),
        _ => Err(format!(
            "{column} must be a whole number of seconds from {min} to {MAX_SECONDS}"
        )),
    }
}

fn instant(column: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Some(t.and_utc()));
    }
    Err(format!(
        "{column} must be RFC 3339 (2027-01-01T00:00:00Z) or a date (2027-01-01)"
    ))
}

/// The cells of a rate as the export writes them (the [`COLUMNS`] order).
pub fn cells(r: &Rate) -> [String; COLUMNS.len()] {
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    [
        r.prefix.clone(),
        crate::csv_cells::neutralise(&r.destination).into_owned(),
        format_amount(r.tariff.per_minute),
        format_amount(r.tariff.connection_fee),
        r.tariff.minimum_seconds.to_string(),
        r.tariff.first_increment.to_string(),
        r.tariff.next_increment.to_string(),
        time(r.effective_from),
        time(r.effective_until),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &str) -> Result<Header, String> {
        Header::parse(cols.split(',').map(str::as_bytes))
    }

    fn row(h: &Header, line: &str) -> Result<Rate, String> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let mut rec = csv::ByteRecord::new();
        r.read_byte_record(&mut rec).unwrap();
        h.row(&rec)
    }

    #[test]
    fn headers() {
        assert!(header("prefix,destination,rate").is_ok());
        assert!(header("\u{feff}Rate, Prefix ,destination").is_ok());
        assert!(
            header("prefix,destination,rate,colour")
                .unwrap_err()
                .contains("unknown column \"colour\"")
        );
        assert!(header("prefix,rate").unwrap_err().contains("destination"));
        assert!(
            header("prefix,destination,rate,prefix")
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn a_full_row_and_the_defaults() {
        let h = header(&COLUMNS.join(",")).unwrap();
        let r = row(
            &h,
            "34,Spain,0.012,0.05,60,30,6,2027-01-01,2027-02-01T00:00:00Z",
        )
        .unwrap();
        assert_eq!(r.prefix, "34");
        assert_eq!(r.tariff.per_minute, 12_000);
        assert_eq!(r.tariff.connection_fee, 50_000);
        assert_eq!(
            (
                r.tariff.minimum_seconds,
                r.tariff.first_increment,
                r.tariff.next_increment
            ),
            (60, 30, 6)
        );
        assert_eq!(
            r.effective_from.unwrap().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        let h = header("prefix,destination,rate").unwrap();
        let r = row(&h, "'+44,'=UK,1").unwrap();
        assert_eq!((r.prefix.as_str(), r.destination.as_str()), ("44", "=UK"));
        assert_eq!(
            (
                r.tariff.first_increment,
                r.tariff.next_increment,
                r.tariff.connection_fee
            ),
            (60, 60, 0)
        );
        // The export's cells read back to the same rate.
        let line = cells(&r).map(|c| format!("\"{c}\"")).join(",");
        let back = row(&header(&COLUMNS.join(",")).unwrap(), &line).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn bad_rows_say_why() {
        let h = header(&COLUMNS.join(",")).unwrap();
        let cases = [
            ("3a,X,1,,,,,,", "digits only"),
            (",X,1,,,,,,", "prefix is empty"),
            ("1234567890123456,X,1,,,,,,", "longer than 15"),
            ("34'; DROP TABLE rates;--,X,1,,,,,,", "digits only"),
            ("34,,1,,,,,,", "destination is empty"),
            ("34,X,-0.01,,,,,,", "rate is negative"),
            ("34,X,1e3,,,,,,", "rate must be"),
            ("34,X,100.000001,,,,,,", "above the most"),
            ("34,X,1,-1,,,,,", "connection_fee is negative"),
            ("34,X,1,,,0,,,", "first_increment must be"),
            ("34,X,1,,,,3601,,", "next_increment must be"),
            ("34,X,1,,,,,yesterday,", "effective_from must be"),
            ("34,X,1,,,,,2027-01-02,2027-01-01", "after effective_from"),
            ("34,X,1", "has 3 fields"),
            ("34,X,1,0.1234567,,,,,", "6 decimal"),
        ];
        for (line, why) in cases {
            let err = row(&h, line).unwrap_err();
            assert!(err.contains(why), "{line}: {err}");
        }
    }
}
