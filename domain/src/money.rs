//! Exact money (rule 4 of `docs/ARCHITECTURE.md`): [`Decimal`] in code, integer micro-units (10⁻⁶) in the
//! database, decimal strings with an ISO 4217 code in JSON.
//!
//! Micro-units keep every stored amount an integer that SQLite and PostgreSQL hold exactly,
//! with room for sub-cent per-minute rates; `i64` micro-units reach ±9.2 × 10¹², far beyond
//! any fee.

use rust_decimal::Decimal;

use crate::error::FieldError;

/// Decimal places kept: micro-units.
pub const SCALE: u32 = 6;

/// Parses a non-negative amount written as a decimal string (`"1.50"`, `"0"`, `"12.345678"`)
/// into micro-units. More than six decimal places, signs, exponents and spaces are refused
/// rather than rounded: a price must mean exactly what was written.
pub fn parse_amount(field: &str, raw: &str) -> Result<i64, FieldError> {
    let err = |msg: &str| FieldError::new(field, "invalid_amount", msg);
    let shape_ok = !raw.is_empty()
        && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && raw.bytes().filter(|b| *b == b'.').count() <= 1
        && !raw.starts_with('.')
        && !raw.ends_with('.');
    if !shape_ok {
        return Err(err(
            "must be a non-negative decimal string such as \"1.50\"",
        ));
    }
    let value: Decimal = raw
        .parse()
        .map_err(|_| err("must be a non-negative decimal string such as \"1.50\""))?;
    if value.scale() > SCALE {
        return Err(err("may have at most 6 decimal places"));
    }
    let micros = value
        .checked_mul(Decimal::from(1_000_000))
        .and_then(|m| i64::try_from(m.trunc()).ok())
        .ok_or_else(|| err("is too large"))?;
    Ok(micros)
}

/// Micro-units as the decimal string the API shows: trailing zeros dropped, but at least two
/// decimal places (`1500000` → `"1.50"`, `1234567` → `"1.234567"`).
pub fn format_amount(micros: i64) -> String {
    let mut d = Decimal::new(micros, SCALE).normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// Checks an ISO 4217 currency code against the standard's list (`EUR`, `USD`); lower
/// case is accepted and upper-cased. Only circulating currencies pass: special codes
/// (gold `XAU`, test `XTS`, "no currency" `XXX`), fund codes (`USN`, `BOV`) and superseded
/// ones (`HRK`, now `EUR`) are refused — nobody is billed in them.
pub fn parse_currency(field: &str, raw: &str) -> Result<String, FieldError> {
    let upper = raw.trim().to_ascii_uppercase();
    match iso_currency::Currency::from_code(&upper) {
        Some(c) if c.flags().is_empty() && c.exponent().is_some() => Ok(upper),
        _ => Err(FieldError::new(
            field,
            "invalid_currency",
            "must be an ISO 4217 currency code, such as EUR",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_exactly() {
        for (text, micros, shown) in [
            ("0", 0, "0.00"),
            ("1.5", 1_500_000, "1.50"),
            ("1.50", 1_500_000, "1.50"),
            ("12.345678", 12_345_678, "12.345678"),
            ("0.000001", 1, "0.000001"),
            ("1000000", 1_000_000_000_000, "1000000.00"),
        ] {
            assert_eq!(parse_amount("f", text).unwrap(), micros, "{text}");
            assert_eq!(format_amount(micros), shown);
        }
    }

    #[test]
    fn bad_amounts_are_refused() {
        for bad in [
            "",
            "-1",
            "+1",
            "1e3",
            " 1",
            "1.",
            ".5",
            "1.2.3",
            "1,5",
            "0.0000001",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_amount("f", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn currencies() {
        assert_eq!(parse_currency("c", "eur").unwrap(), "EUR");
        assert_eq!(parse_currency("c", "JPY").unwrap(), "JPY");
        for bad in [
            "", "EU", "EURO", "E1R", "€", "ABC", "EUX", "XAU", "XTS", "XXX",
        ] {
            assert!(parse_currency("c", bad).is_err(), "{bad:?}");
        }
    }
}
