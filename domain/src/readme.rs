//! The README's reference tables agree with the code: the error-code table with
//! [`ErrorCode`], the configuration table with the keys of [`Config`]. Both sides are read,
//! neither is a second hand-written list.

use std::collections::{BTreeMap, BTreeSet};

use strum::VariantArray;

use crate::{config::Config, error::ErrorCode};

const README: &str = include_str!("../../README.md");

/// The body rows of the README table whose header row starts with `| {first} |`, as cells
/// with surrounding backticks removed.
fn table(first: &str) -> Vec<Vec<String>> {
    let header = format!("| {first} |");
    let mut lines = README.lines().skip_while(|l| !l.starts_with(&header));
    assert!(
        lines.next().is_some(),
        "README has no table headed {header}"
    );
    lines
        .skip(1) // the |---| separator
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn error_code_table_matches_the_code() {
    let readme: BTreeMap<String, u16> = table("code")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].parse().unwrap_or(0)))
        .collect();
    let code: BTreeMap<String, u16> = ErrorCode::VARIANTS
        .iter()
        .map(|c| (c.as_str().to_owned(), c.status()))
        .collect();
    assert_eq!(
        readme, code,
        "README error-code table (left) vs ErrorCode (right)"
    );
}

#[test]
fn configuration_table_lists_exactly_the_config_keys() {
    // Rows not named CENTRALITA_* (RUST_LOG) are environment, not configuration keys.
    let readme: BTreeSet<String> = table("variable")
        .into_iter()
        .filter_map(|row| {
            row[0]
                .strip_prefix("CENTRALITA_")
                .map(str::to_ascii_lowercase)
        })
        .collect();
    let serde_json::Value::Object(keys) =
        serde_json::to_value(Config::default()).unwrap_or_default()
    else {
        panic!("Config does not serialize to an object");
    };
    let code: BTreeSet<String> = keys.keys().cloned().collect();
    assert_eq!(
        readme, code,
        "README configuration table (left) vs Config (right)"
    );
}
