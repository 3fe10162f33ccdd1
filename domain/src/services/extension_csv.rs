//! Bulk CSV export and import of extensions.
//!
//! The import is all or nothing, with a dry run that reports exactly what a real import
//! would refuse. It follows the recipe of [`crate::bulk`], so that 10,000 rows take well
//! under a second and no transaction holds the database for long (one tenant's import must
//! not stall the others): every row is validated in memory with the checks of a single
//! create; collisions with existing numbers, SIP usernames and the tenant's DIDs are looked up
//! in chunks; then the rows are written in batches of [`crate::bulk::BATCH_ROWS`], each in its
//! own short transaction. A batch can only fail on a concurrent change (a number taken
//! meanwhile) or the database itself; the batches already written are then undone and the
//! import answers the error, having created nothing. A dry run stops before the first write.
//!
//! Cells go through [`crate::csv_cells`] both ways: exports neutralise spreadsheet formulas,
//! imports take that neutralisation off, so an export re-imports unchanged.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    authz::Permission,
    bulk::{self, BatchWrite},
    core::Core,
    csv_cells,
    entities::{dial_number, extension},
    error::{DomainError, DomainResult, ErrorCode, FieldError},
    kinds::ObjectKind,
    numbering::E164,
    scope::TenantScope,
    services::extensions::{self, CreateExtension, NewExtension},
    tx::Tx,
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
pub const MAX_ROWS: usize = 10_000;

/// Largest CSV body an import takes (10,000 rows of every column fit), whatever the
/// general body limit.
pub const MAX_CSV_BYTES: usize = 4 * 1024 * 1024;

/// The tenant's extensions as CSV, ordered by number.
pub async fn export(scope: &TenantScope, core: &Core) -> DomainResult<String> {
    scope.authorize(Permission::PbxRead)?;
    let rows = scope
        .select::<extension::Entity>()
        .order_by_asc(extension::Column::Number)
        .all(&core.db)
        .await?;
    let mut w = csv_cells::Writer::with_header(&COLUMNS)?;
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
        w.row(record.iter().map(String::as_str))?;
    }
    w.finish()
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

/// A row that passed the in-memory checks, waiting for the collision lookups.
struct Candidate {
    line: usize,
    extension: NewExtension,
    /// The external caller ID (E.164), which must be a DID the tenant holds.
    caller_id: Option<String>,
}

/// Every row of the file, checked in memory.
struct Parsed {
    rows: usize,
    candidates: Vec<Candidate>,
    /// Problems by line, with their `rows[<line>].` prefix already applied.
    errors: Vec<(usize, FieldError)>,
}

/// Reads and checks the CSV in memory: the header, each row's fields (the checks of a single
/// create), and the numbers and usernames the file uses twice.
fn parse(text: &str) -> DomainResult<Parsed> {
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
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let col = |record: &csv::StringRecord, name: &str| -> String {
        index
            .get(name)
            .and_then(|i| record.get(*i))
            .map(csv_cells::restore)
            .unwrap_or("")
            .to_owned()
    };

    let mut parsed = Parsed {
        rows: 0,
        candidates: Vec::new(),
        errors: Vec::new(),
    };
    let mut seen_numbers: HashMap<String, usize> = HashMap::new();
    let mut seen_usernames: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        parsed.rows += 1;
        if parsed.rows > MAX_ROWS {
            return Err(DomainError::field(
                "rows",
                "too_many_rows",
                format!("at most {MAX_ROWS} rows per import"),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                parsed.errors.push((
                    line,
                    FieldError::new(format!("rows[{line}]"), "invalid_csv", e.to_string()),
                ));
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
        let caller_id = non_empty(&col(&record, "external_caller_id"))
            .and_then(|raw| row.check(E164::parse("external_caller_id", &raw)))
            .map(E164::into_inner);
        let input = CreateExtension {
            number,
            display_name: col(&record, "display_name"),
            user_id: None,
            enabled: parse_bool(&mut row, "enabled".into(), &col(&record, "enabled")),
            sip_username: non_empty(&col(&record, "sip_username")),
            caller_id_name: non_empty(&col(&record, "caller_id_name")),
            caller_id_number: non_empty(&col(&record, "caller_id_number")),
            external_caller_id: None,
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
        let extension = extensions::prepare_plain(input, &mut row);
        if let Some(e) = &extension
            && let Some(first) = seen_usernames.insert(e.sip_username().to_owned(), line)
        {
            row.push(FieldError::new(
                "sip_username",
                "duplicate_in_file",
                format!("also on line {first}"),
            ));
        }
        if !row.is_empty() {
            let prefix = format!("rows[{line}].");
            let mut nested = Errors::default();
            nested.nest(&prefix, row);
            parsed
                .errors
                .extend(nested.into_vec().into_iter().map(|e| (line, e)));
            continue;
        }
        if let Some(extension) = extension {
            parsed.candidates.push(Candidate {
                line,
                extension,
                caller_id,
            });
        }
    }
    Ok(parsed)
}

/// Finds the rows that collide with the tenant's data (numbers, SIP usernames) or present a
/// number the tenant does not hold, with one query per chunk of rows; gives the rows ready
/// to write.
async fn check_collisions(
    scope: &TenantScope,
    core: &Core,
    candidates: Vec<Candidate>,
    errors: &mut Vec<(usize, FieldError)>,
) -> DomainResult<Vec<(usize, NewExtension)>> {
    let tenant_id = scope.tenant().id;
    let numbers: Vec<String> = candidates
        .iter()
        .map(|c| c.extension.number().to_owned())
        .collect();
    let taken: HashMap<String, (ObjectKind, Uuid)> = bulk::read_chunked(&numbers, |chunk| async {
        Ok(dial_number::Entity::find()
            .filter(dial_number::Column::TenantId.eq(tenant_id))
            .filter(dial_number::Column::Number.is_in(chunk))
            .all(&core.db)
            .await?)
    })
    .await?
    .into_iter()
    .map(|d| (d.number, (d.owner_type, d.owner_id)))
    .collect();
    let usernames: Vec<String> = candidates
        .iter()
        .map(|c| c.extension.sip_username().to_owned())
        .collect();
    let used: HashSet<String> = bulk::read_chunked(&usernames, |chunk| async {
        Ok(scope
            .select::<extension::Entity>()
            .filter(extension::Column::SipUsername.is_in(chunk))
            .all(&core.db)
            .await?)
    })
    .await?
    .into_iter()
    .map(|e| e.sip_username)
    .collect();
    let mut presented: Vec<String> = candidates
        .iter()
        .filter_map(|c| c.caller_id.clone())
        .collect();
    presented.sort();
    presented.dedup();
    let held: HashMap<String, Uuid> = bulk::read_chunked(&presented, |chunk| async {
        Ok(extensions::held_dids(scope, &core.db, chunk, false)
            .await?
            .into_iter()
            .collect())
    })
    .await?
    .into_iter()
    .collect();

    let mut ready = Vec::with_capacity(candidates.len());
    for c in candidates {
        let field = |name: &str| format!("rows[{}].{name}", c.line);
        let mut ok = true;
        if let Some((owner_type, owner_id)) = taken.get(c.extension.number()) {
            errors.push((
                c.line,
                FieldError::new(
                    field("number"),
                    "conflict",
                    format!(
                        "The number {} is already used by {owner_type} {owner_id}",
                        c.extension.number()
                    ),
                ),
            ));
            ok = false;
        }
        if used.contains(c.extension.sip_username()) {
            errors.push((
                c.line,
                FieldError::new(
                    field("sip_username"),
                    "conflict",
                    "sip_username is already used in this tenant",
                ),
            ));
            ok = false;
        }
        let mut extension = c.extension;
        if let Some(number) = c.caller_id {
            match held.get(&number) {
                Some(did_id) => extension = extension.presenting(number, *did_id),
                None => {
                    errors.push((
                        c.line,
                        FieldError::new(
                            field("external_caller_id"),
                            "not_a_tenant_did",
                            "must be a DID this tenant holds (claim it first)",
                        ),
                    ));
                    ok = false;
                }
            }
        }
        if ok {
            ready.push((c.line, extension));
        }
    }
    Ok(ready)
}

/// The import's batches: extensions written with their numbers, digests, references and
/// audit events; undone by removing them again.
struct ExtensionBatches<'a> {
    scope: &'a TenantScope,
}

impl BatchWrite for ExtensionBatches<'_> {
    type Row = (usize, NewExtension);
    type Written = Vec<ImportedExtension>;

    async fn write(&self, txn: &Tx, rows: Vec<Self::Row>) -> DomainResult<Self::Written> {
        let (lines, extensions): (Vec<usize>, Vec<NewExtension>) = rows.into_iter().unzip();
        let created = extensions::insert_batch(self.scope, txn, extensions).await?;
        Ok(lines
            .into_iter()
            .zip(created)
            .map(|(row, c)| ImportedExtension {
                row,
                id: c.extension.id,
                number: c.extension.number,
                sip_password: c.sip_password,
            })
            .collect())
    }

    async fn undo(&self, txn: &Tx, written: &Self::Written) -> DomainResult<()> {
        let ids: Vec<Uuid> = written.iter().map(|e| e.id).collect();
        extensions::remove_batch(self.scope, txn, &ids).await
    }
}

/// Imports extensions from CSV text; `dry_run` validates everything and writes nothing.
pub async fn import(
    scope: &TenantScope,
    core: &Core,
    text: String,
    dry_run: bool,
) -> DomainResult<ImportReport> {
    scope.authorize(Permission::PbxWrite)?;
    // Checking thousands of rows is CPU work: off the async workers, which serve other
    // requests meanwhile.
    let Parsed {
        rows,
        candidates,
        mut errors,
    } = tokio::task::spawn_blocking(move || parse(&text))
        .await
        .map_err(DomainError::internal)??;
    let ready = check_collisions(scope, core, candidates, &mut errors).await?;
    // Row order, as the file reads (a row's own problems keep their order).
    errors.sort_by_key(|(line, _)| *line);
    let errors: Vec<FieldError> = errors.into_iter().map(|(_, e)| e).collect();
    let valid = errors.is_empty();
    if !valid && !dry_run {
        return Err(DomainError::invalid(errors));
    }
    if dry_run {
        return Ok(ImportReport {
            dry_run,
            rows,
            valid,
            created: Vec::new(),
            errors,
        });
    }
    let created = bulk::write_batches(core, &ExtensionBatches { scope }, ready)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::Conflict {
                DomainError::conflict(format!(
                    "{} Nothing was imported; check the file again (a dry run lists the \
                     collisions) and retry.",
                    e.detail
                ))
            } else {
                e
            }
        })?;
    Ok(ImportReport {
        dry_run,
        rows,
        valid,
        created: created.into_iter().flatten().collect(),
        errors: Vec::new(),
    })
}
