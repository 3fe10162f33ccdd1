//! Bulk CSV export and import of extensions.
//!
//! The import runs every row through the same validation and insertion as a single create,
//! inside one transaction: a dry run does all of it and rolls back, so it finds exactly the
//! problems a real import would (collisions with existing numbers included); a real import
//! commits only when every row is valid — all or nothing.

use sea_orm::QueryOrder;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    authz::Permission,
    core::Core,
    entities::extension,
    error::{DomainError, DomainResult, ErrorCode, FieldError},
    scope::TenantScope,
    services::extensions::{self, CreateExtension},
    validate::Errors,
};

/// Columns of the CSV, in export order; imports need `number` and `display_name`, the rest
/// are optional and may come in any order.
pub const COLUMNS: [&str; 10] = [
    "number",
    "display_name",
    "sip_username",
    "enabled",
    "caller_id_name",
    "caller_id_number",
    "external_caller_id",
    "dnd",
    "max_concurrent_calls",
    "record_calls",
];

/// Most rows one import takes.
pub const MAX_ROWS: usize = 5000;

/// The tenant's extensions as CSV, ordered by number.
pub async fn export(scope: &TenantScope, core: &Core) -> DomainResult<String> {
    scope.authorize(Permission::PbxRead)?;
    let rows = scope
        .select::<extension::Entity>()
        .order_by_asc(extension::Column::Number)
        .all(&core.db)
        .await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(DomainError::internal)?;
    for e in rows {
        let record = [
            e.number,
            e.display_name,
            e.sip_username,
            e.enabled.to_string(),
            e.caller_id_name.unwrap_or_default(),
            e.caller_id_number.unwrap_or_default(),
            e.external_caller_id.unwrap_or_default(),
            e.dnd.to_string(),
            e.max_concurrent_calls.to_string(),
            e.record_calls.to_string(),
        ];
        w.write_record(&record).map_err(DomainError::internal)?;
    }
    let bytes = w.into_inner().map_err(DomainError::internal)?;
    String::from_utf8(bytes).map_err(DomainError::internal)
}

/// One extension an import created, with its SIP password (shown this once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportedExtension {
    /// CSV line number (the header is line 1).
    pub row: usize,
    pub id: Uuid,
    pub number: String,
    pub sip_password: String,
}

/// The answer of an import or a dry run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read.
    pub rows: usize,
    /// True when every row is valid (a real import then committed).
    pub valid: bool,
    /// What a real import created (empty for a dry run).
    pub created: Vec<ImportedExtension>,
    /// Every problem, with its row (`rows[3].number`: line 3, column `number`).
    pub errors: Vec<FieldError>,
}

fn parse_bool(errors: &mut Errors, field: String, raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => {
            errors.push(FieldError::new(
                field,
                "invalid_boolean",
                "must be true or false",
            ));
            None
        }
    }
}

fn non_empty(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Imports extensions from CSV text; `dry_run` validates everything and writes nothing.
pub async fn import(
    scope: &TenantScope,
    core: &Core,
    text: &str,
    dry_run: bool,
) -> DomainResult<ImportReport> {
    scope.authorize(Permission::PbxWrite)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| DomainError::field("rows[1]", "invalid_csv", e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let mut header_errors = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            header_errors.push(FieldError::new(
                "rows[1]",
                "unknown_column",
                format!("unknown column {h:?}; columns are {}", COLUMNS.join(", ")),
            ));
        }
    }
    for required in ["number", "display_name"] {
        if !headers.iter().any(|h| h == required) {
            header_errors.push(FieldError::new(
                "rows[1]",
                "missing_column",
                format!("the {required} column is required"),
            ));
        }
    }
    if !header_errors.is_empty() {
        return Err(DomainError::invalid(header_errors));
    }
    let col = |record: &csv::StringRecord, name: &str| -> String {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .unwrap_or("")
            .to_owned()
    };

    let txn = core.begin().await?;
    let mut errors = Errors::default();
    let mut error_count = 0usize;
    let mut created = Vec::new();
    let mut rows = 0usize;
    let mut seen_numbers = std::collections::HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        rows += 1;
        if rows > MAX_ROWS {
            return Err(DomainError::field(
                "rows",
                "too_many_rows",
                format!("at most {MAX_ROWS} rows per import"),
            ));
        }
        let prefix = format!("rows[{line}].");
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(
                    format!("rows[{line}]"),
                    "invalid_csv",
                    e.to_string(),
                ));
                error_count += 1;
                continue;
            }
        };
        let mut row = Errors::default();
        let number = col(&record, "number");
        if let Some(first) = seen_numbers.insert(number.clone(), line) {
            row.push(FieldError::new(
                "number",
                "duplicate_in_file",
                format!("also on line {first}"),
            ));
        }
        let max_calls = match non_empty(&col(&record, "max_concurrent_calls")) {
            Some(v) => match v.parse::<i32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    row.push(FieldError::new(
                        "max_concurrent_calls",
                        "invalid_integer",
                        "must be a whole number",
                    ));
                    None
                }
            },
            None => None,
        };
        let input = CreateExtension {
            number,
            display_name: col(&record, "display_name"),
            user_id: None,
            enabled: parse_bool(&mut row, "enabled".into(), &col(&record, "enabled")),
            sip_username: non_empty(&col(&record, "sip_username")),
            caller_id_name: non_empty(&col(&record, "caller_id_name")),
            caller_id_number: non_empty(&col(&record, "caller_id_number")),
            external_caller_id: non_empty(&col(&record, "external_caller_id")),
            dnd: parse_bool(&mut row, "dnd".into(), &col(&record, "dnd")),
            forwarding: None,
            follow_me: None,
            max_concurrent_calls: max_calls,
            record_calls: parse_bool(
                &mut row,
                "record_calls".into(),
                &col(&record, "record_calls"),
            ),
            voicemail_box_id: None,
        };
        let prepared = extensions::prepare(scope, &txn, input, &mut row).await?;
        let row_errors = row.len();
        if row_errors > 0 {
            error_count += row_errors;
            errors.nest(&prefix, row);
            continue;
        }
        let Some(prepared) = prepared else {
            continue;
        };
        // Collisions with existing numbers and usernames are found by the same checks a
        // single create makes, before any statement fails.
        match extensions::insert(scope, &txn, prepared).await {
            Ok(c) => created.push(ImportedExtension {
                row: line,
                id: c.extension.id,
                number: c.extension.number,
                sip_password: c.sip_password,
            }),
            Err(e) if e.code == ErrorCode::Conflict => {
                error_count += 1;
                let field = e
                    .errors
                    .first()
                    .map(|f| f.field.clone())
                    .unwrap_or_else(|| "number".into());
                errors.push(FieldError::new(
                    format!("{prefix}{field}"),
                    "conflict",
                    e.detail,
                ));
            }
            Err(e) => return Err(e),
        }
    }
    let valid = error_count == 0;
    if dry_run || !valid {
        txn.rollback().await?;
        if !dry_run {
            return Err(errors
                .finish()
                .err()
                .unwrap_or_else(|| DomainError::internal("invalid import without errors")));
        }
        return Ok(ImportReport {
            dry_run,
            rows,
            valid,
            created: Vec::new(),
            errors: errors.into_vec(),
        });
    }
    txn.commit().await?;
    Ok(ImportReport {
        dry_run,
        rows,
        valid,
        created,
        errors: Vec::new(),
    })
}
