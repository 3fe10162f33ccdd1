//! CSV cells that are safe to open in a spreadsheet (OWASP "CSV injection"), and the way back.
//!
//! A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` as a formula (tab and CR
//! lead to the same once trimmed), so `=cmd|' /C calc'!A0` in a display name would run on the
//! machine of whoever opens an export. Every export writes through [`Writer`], which prefixes
//! such cells with `'`; every import reads cells through [`restore`], which takes that prefix
//! off again, so an export re-imports unchanged.
//!
//! E.164 numbers start with `+`: `+34911234567` is exported as `'+34911234567`. The
//! apostrophe keeps spreadsheets from turning the number into a formula (or a bare number
//! that lost its `+`), and the import accepts it. To keep the mapping exact, a cell that
//! already starts with apostrophes followed by one of those characters gets one more.

use crate::error::{DomainError, DomainResult};

/// A CSV document streamed a page at a time (exports of rate decks and CDRs).
pub type CsvStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = DomainResult<bytes::Bytes>> + Send>>;

/// Characters that make a spreadsheet treat a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` is apostrophes (perhaps none) followed by a trigger character.
fn is_formula_like(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(|c| TRIGGERS.contains(&c))
}

/// The cell as exported: `'` in front of anything a spreadsheet would run.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if is_formula_like(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The cell as imported: the inverse of [`neutralise`] (one `'` off a neutralised cell;
/// anything else as it is).
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_formula_like(rest) => rest,
        _ => cell,
    }
}

/// A CSV writer whose every cell goes through [`neutralise`]: the only way exports write.
pub struct Writer(csv::Writer<Vec<u8>>);

impl Writer {
    /// A writer starting with the header row `columns`.
    pub fn with_header(columns: &[&str]) -> DomainResult<Self> {
        let mut w = Self(csv::Writer::from_writer(Vec::new()));
        w.row(columns.iter().copied())?;
        Ok(w)
    }

    /// Writes one row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> DomainResult<()> {
        self.0
            .write_record(cells.into_iter().map(neutralise).map(|c| c.into_owned()))
            .map_err(DomainError::internal)
    }

    /// The CSV text.
    pub fn finish(self) -> DomainResult<String> {
        let bytes = self.0.into_inner().map_err(DomainError::internal)?;
        String::from_utf8(bytes).map_err(DomainError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        for (raw, exported) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+34911234567", "'+34911234567"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=already", "''=already"),
            ("Ana", "Ana"),
            ("'Til Dawn", "'Til Dawn"),
            ("", ""),
            ("1001", "1001"),
        ] {
            assert_eq!(neutralise(raw), exported, "{raw:?}");
            assert_eq!(restore(exported), raw, "{exported:?}");
        }
    }
}
