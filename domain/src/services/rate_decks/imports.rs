//! Rate-deck imports: a CSV of up to [`MAX_IMPORT_BYTES`] (millions of rows) becomes a new
//! deck version, or, as a dry run, a list of every bad line.
//!
//! The request only stores: the body is read as it arrives and written to
//! `rate_import_chunks` a [`CHUNK_BYTES`] piece at a time (never whole in memory, each piece
//! its own short write), then a `rate_deck.import` job is queued and the answer is 202 with
//! the import to poll (`GET …/imports/{import_id}`). The chunks live in the database, not on
//! a local disk, so any worker process can run the job.
//!
//! The job streams the chunks back through `csv` on a blocking thread (parsing is CPU work;
//! the async side only moves bytes and writes), validates every row ([`crate::rate_csv`]) and
//! finds duplicates (one prefix with overlapping effective dates) by sorting compact keys
//! once the file is read. An apply writes the new version's rates in batches of
//! [`WRITE_BATCH`] rows, each its own transaction, while it reads; the version stays
//! `importing` — invisible to rating — until the last batch is in. **Any bad row and nothing
//! is applied**: the partial version is deleted and the import ends `rejected`, with its bad
//! lines readable. A good import ends `succeeded`: the version is `ready`, and active if the
//! import asked for it (`?activate=true`), otherwise activated later (or never).
//!
//! A retried job starts over: it deletes what an earlier attempt wrote (its version, its
//! errors) before reading the file again.

use std::{
    io::Read,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{DeckOwner, VersionStatus, switch_to};
use crate::{
    core::Core,
    entities::{
        job, rate, rate_deck, rate_deck_version, rate_import, rate_import_chunk, rate_import_error,
    },
    error::{DomainError, DomainResult, ErrorCode},
    ids::TenantId,
    rate_csv::Header,
    rating::{Rate, key},
    services::{
        audit, from_stored,
        job_admin::JobProgress,
        jobs::{self, Job, JobContext},
    },
    switch::cache::CacheKey,
};

/// Largest CSV an import takes: 256 MiB, about four million rows.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Bytes per stored piece of an upload.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// Rates written per transaction.
pub const WRITE_BATCH: usize = 5_000;

/// Bad lines shown per page of an import's view.
const ERRORS_PER_PAGE: u64 = 100;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and report the bad ones; apply nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Make the new version the active one as soon as it is ready.
    #[serde(default)]
    pub activate: bool,
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// The upload is arriving.
    Receiving,
    Queued,
    Running,
    /// Every row is valid; applied (a new version) unless a dry run.
    Succeeded,
    /// Bad rows (listed in `errors`): nothing applied.
    Rejected,
    /// The import could not run to its end (see `failure`); nothing applied.
    Failed,
}

impl ImportStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Receiving => "receiving",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    const fn finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Rejected | Self::Failed)
    }
}

/// A bad line of the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportErrorView {
    /// Line number in the file (the header is line 1).
    pub line: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateImportView {
    pub id: Uuid,
    pub deck_id: Uuid,
    /// The job doing it (also listed under the jobs routes).
    pub job_id: Option<Uuid>,
    pub dry_run: bool,
    pub activate: bool,
    pub status: ImportStatus,
    pub size_bytes: i64,
    /// Data rows read (set when the import ends).
    pub rows: i64,
    /// Rows refused (set when the import ends).
    pub bad_rows: i64,
    /// The version it made, once it made one.
    pub version: Option<i32>,
    /// Why it failed, for `failed`.
    pub failure: Option<String>,
    /// Bytes of the file read so far (`done` of `total`), as the job last reported.
    pub progress: Option<JobProgress>,
    /// A page of bad lines in line order, from `?after_line=`.
    pub errors: Vec<ImportErrorView>,
    /// Pass as `after_line` for the next page of bad lines; absent on the last.
    pub next_after_line: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportViewQuery {
    /// Show bad lines after this line number (pages of 100).
    #[param(minimum = 0)]
    pub after_line: Option<i64>,
}

/// Starts an import: stores the body as it arrives, then queues the job. `body_is_csv` is
/// whether the request said `Content-Type: text/csv`.
pub async fn start<S, E>(
    owner: DeckOwner<'_>,
    core: &Core,
    deck_id: Uuid,
    query: &ImportQuery,
    body_is_csv: bool,
    mut body: S,
) -> DomainResult<RateImportView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    owner.authorize(true)?;
    let deck = owner.find(&core.db, deck_id).await?;
    if !body_is_csv {
        return Err(DomainError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the rates as Content-Type: text/csv",
        ));
    }
    let now = Utc::now();
    let import = rate_import::Model {
        id: Uuid::now_v7(),
        deck_id,
        tenant_id: deck.tenant_id,
        job_id: None,
        dry_run: query.dry_run,
        activate: query.activate && !query.dry_run,
        status: ImportStatus::Receiving.as_str().into(),
        size_bytes: 0,
        rows: 0,
        bad_rows: 0,
        version_id: None,
        failure: None,
        created_by: Some(owner.actor().principal.id),
        created_at: now,
        finished_at: None,
    };
    rate_import::Entity::insert(rate_import::ActiveModel::from(import.clone()))
        .exec_without_returning(&core.db)
        .await?;
    let received = receive(core, import.id, &mut body).await;
    let size = match received {
        Ok(size) => size,
        Err(e) => {
            // The chunks go with it (ON DELETE CASCADE).
            if let Err(cleanup) = rate_import::Entity::delete_by_id(import.id)
                .exec(&core.db)
                .await
            {
                tracing::warn!(error = %cleanup, "could not remove an abandoned rate import");
            }
            return Err(e);
        }
    };

    let txn = core.begin().await?;
    let job = RateImport {
        import_id: import.id,
        tenant_id: deck.tenant_id,
    };
    let queued = jobs::enqueue(&txn, &job, None).await?;
    rate_import::Entity::update_many()
        .col_expr(
            rate_import::Column::Status,
            ImportStatus::Queued.as_str().into(),
        )
        .col_expr(rate_import::Column::SizeBytes, size.into())
        .col_expr(rate_import::Column::JobId, Some(queued.id).into())
        .filter(rate_import::Column::Id.eq(import.id))
        .exec(&txn)
        .await?;
    let stored = rate_import::Model {
        status: ImportStatus::Queued.as_str().into(),
        size_bytes: size,
        job_id: Some(queued.id),
        ..import
    };
    let v = view(&txn, &stored, &ImportViewQuery::default()).await?;
    audit::record_change(
        &txn,
        &owner,
        if query.dry_run {
            "rate_deck.import_check"
        } else {
            "rate_deck.import"
        },
        "rate_deck",
        deck_id,
        None,
        Some(&v),
    )
    .await?;
    txn.commit().await?;
    // Wake a worker now rather than at its next poll.
    queued.wake(core).await;
    Ok(v)
}

/// Stores the body in pieces; answers its size.
async fn receive<S, E>(core: &Core, import_id: Uuid, body: &mut S) -> DomainResult<i64>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut buf = BytesMut::with_capacity(CHUNK_BYTES);
    let mut size: u64 = 0;
    let mut seq = 0;
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| {
            DomainError::new(
                ErrorCode::MalformedBody,
                format!("The upload broke off: {e}"),
            )
        })?;
        size += piece.len() as u64;
        if size > MAX_IMPORT_BYTES {
            return Err(DomainError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "A rate import takes at most {} MiB",
                    MAX_IMPORT_BYTES / 1024 / 1024
                ),
            ));
        }
        buf.extend_from_slice(&piece);
        while buf.len() >= CHUNK_BYTES {
            let chunk = buf.split_to(CHUNK_BYTES).freeze();
            store_chunk(core, import_id, seq, chunk).await?;
            seq += 1;
        }
    }
    if !buf.is_empty() {
        store_chunk(core, import_id, seq, buf.freeze()).await?;
    }
    if size == 0 {
        return Err(DomainError::field(
            "body",
            "empty",
            "the CSV is empty: it needs a header and rows",
        ));
    }
    i64::try_from(size).map_err(DomainError::internal)
}

async fn store_chunk(core: &Core, import_id: Uuid, seq: i32, data: Bytes) -> DomainResult<()> {
    rate_import_chunk::Entity::insert(rate_import_chunk::ActiveModel {
        import_id: Set(import_id),
        seq: Set(seq),
        data: Set(data.to_vec()),
    })
    .exec_without_returning(&core.db)
    .await?;
    Ok(())
}

async fn view<C: ConnectionTrait>(
    db: &C,
    m: &rate_import::Model,
    query: &ImportViewQuery,
) -> DomainResult<RateImportView> {
    let progress = match m.job_id {
        None => None,
        Some(j) => job::Entity::find_by_id(j)
            .one(db)
            .await?
            .map(|j| JobProgress {
                done: j.progress_done,
                total: j.progress_total,
                message: j.progress_message,
            }),
    };
    let version = match m.version_id {
        None => None,
        Some(v) => {
            rate_deck_version::Entity::find_by_id(v)
                .select_only()
                .column(rate_deck_version::Column::Number)
                .into_tuple()
                .one(db)
                .await?
        }
    };
    let after = query.after_line.unwrap_or(0);
    let mut errors: Vec<ImportErrorView> = rate_import_error::Entity::find()
        .filter(rate_import_error::Column::ImportId.eq(m.id))
        .filter(rate_import_error::Column::Line.gt(after))
        .order_by_asc(rate_import_error::Column::Line)
        .limit(ERRORS_PER_PAGE + 1)
        .all(db)
        .await?
        .into_iter()
        .map(|e| ImportErrorView {
            line: e.line,
            reason: e.reason,
        })
        .collect();
    let more = errors.len() as u64 > ERRORS_PER_PAGE;
    errors.truncate(ERRORS_PER_PAGE as usize);
    Ok(RateImportView {
        id: m.id,
        deck_id: m.deck_id,
        job_id: m.job_id,
        dry_run: m.dry_run,
        activate: m.activate,
        status: from_stored("rate_imports.status", &m.status)?,
        size_bytes: m.size_bytes,
        rows: m.rows,
        bad_rows: m.bad_rows,
        version,
        failure: m.failure.clone(),
        progress,
        next_after_line: if more {
            errors.last().map(|e| e.line)
        } else {
            None
        },
        errors,
        created_at: m.created_at,
        finished_at: m.finished_at,
    })
}

/// `GET …/rate-decks/{deck_id}/imports/{import_id}`.
pub async fn get(
    owner: DeckOwner<'_>,
    core: &Core,
    deck_id: Uuid,
    import_id: Uuid,
    query: &ImportViewQuery,
) -> DomainResult<RateImportView> {
    owner.authorize(false)?;
    owner.find(&core.db, deck_id).await?;
    let import = rate_import::Entity::find_by_id(import_id)
        .filter(rate_import::Column::DeckId.eq(deck_id))
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("rate import"))?;
    view(&core.db, &import, query).await
}

/// The job that checks and applies an import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateImport {
    pub import_id: Uuid,
    /// The deck's owner: a partner sees its imports among its jobs.
    pub tenant_id: Option<Uuid>,
}

impl Job for RateImport {
    const KIND: &'static str = "rate_deck.import";
    const MAX_ATTEMPTS: i32 = 3;

    fn tenant(&self) -> Option<TenantId> {
        self.tenant_id.map(TenantId)
    }

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        let result = run_import(ctx, self.import_id).await;
        if let Err(e) = &result
            && ctx.is_last_attempt()
        {
            finish_failed(ctx.core, self.import_id, &e.to_string()).await?;
        }
        result
    }
}

async fn set_status(core: &Core, id: Uuid, status: ImportStatus) -> DomainResult<()> {
    rate_import::Entity::update_many()
        .col_expr(rate_import::Column::Status, status.as_str().into())
        .filter(rate_import::Column::Id.eq(id))
        .exec(&core.db)
        .await?;
    Ok(())
}

/// Undoes whatever an attempt wrote: its version (the rates go with it) and its errors.
async fn clear_attempt(core: &Core, import: &rate_import::Model) -> DomainResult<()> {
    rate_import_error::Entity::delete_many()
        .filter(rate_import_error::Column::ImportId.eq(import.id))
        .exec(&core.db)
        .await?;
    rate_deck_version::Entity::delete_many()
        .filter(rate_deck_version::Column::ImportId.eq(import.id))
        .filter(rate_deck_version::Column::Status.eq(VersionStatus::Importing.as_str()))
        .exec(&core.db)
        .await?;
    Ok(())
}

async fn finish_failed(core: &Core, id: Uuid, why: &str) -> DomainResult<()> {
    if let Some(import) = rate_import::Entity::find_by_id(id).one(&core.db).await? {
        clear_attempt(core, &import).await?;
    }
    rate_import::Entity::update_many()
        .col_expr(
            rate_import::Column::Status,
            ImportStatus::Failed.as_str().into(),
        )
        .col_expr(
            rate_import::Column::Failure,
            Some(why.chars().take(500).collect::<String>()).into(),
        )
        .col_expr(rate_import::Column::VersionId, Option::<Uuid>::None.into())
        .col_expr(rate_import::Column::FinishedAt, Some(Utc::now()).into())
        .filter(rate_import::Column::Id.eq(id))
        .exec(&core.db)
        .await?;
    rate_import_chunk::Entity::delete_many()
        .filter(rate_import_chunk::Column::ImportId.eq(id))
        .exec(&core.db)
        .await?;
    Ok(())
}

/// Creates the version an apply writes into: the deck's next number (a concurrent import
/// taking the same number makes the unique index refuse one; it tries the next).
async fn new_version(
    core: &Core,
    import: &rate_import::Model,
) -> DomainResult<rate_deck_version::Model> {
    let mut tries = 0;
    loop {
        let last: Option<i32> = rate_deck_version::Entity::find()
            .select_only()
            .column_as(rate_deck_version::Column::Number.max(), "n")
            .filter(rate_deck_version::Column::DeckId.eq(import.deck_id))
            .into_tuple::<Option<i32>>()
            .one(&core.db)
            .await?
            .flatten();
        let v = rate_deck_version::Model {
            id: Uuid::now_v7(),
            deck_id: import.deck_id,
            number: last.unwrap_or(0) + 1,
            status: VersionStatus::Importing.as_str().into(),
            rate_count: 0,
            import_id: Some(import.id),
            created_at: Utc::now(),
            ready_at: None,
            activated_at: None,
        };
        match rate_deck_version::Entity::insert(rate_deck_version::ActiveModel::from(v.clone()))
            .exec_without_returning(&core.db)
            .await
        {
            Ok(_) => {
                rate_import::Entity::update_many()
                    .col_expr(rate_import::Column::VersionId, Some(v.id).into())
                    .filter(rate_import::Column::Id.eq(import.id))
                    .exec(&core.db)
                    .await?;
                return Ok(v);
            }
            Err(e) if tries < 5 => {
                tracing::debug!(error = %e, "version number taken, trying the next");
                tries += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What the parsing thread sends back.
enum Parsed {
    /// Valid rows, with their line numbers.
    Rates(Vec<(i32, Rate)>),
    /// A bad line and why.
    Bad(i64, String),
}

/// What the parsing thread found once the file was read.
struct Summary {
    rows: u64,
    /// Overlapping duplicates, found only once every row was seen.
    duplicates: Vec<(i64, String)>,
}

async fn run_import(ctx: &JobContext<'_>, id: Uuid) -> DomainResult<()> {
    let core = ctx.core;
    let Some(import) = rate_import::Entity::find_by_id(id).one(&core.db).await? else {
        return Ok(()); // its deck was deleted
    };
    let status: ImportStatus = from_stored("rate_imports.status", &import.status)?;
    if status.finished() {
        return Ok(());
    }
    clear_attempt(core, &import).await?;
    set_status(core, id, ImportStatus::Running).await?;
    let version = if import.dry_run {
        None
    } else {
        Some(new_version(core, &import).await?)
    };
    let chunks = rate_import_chunk::Entity::find()
        .filter(rate_import_chunk::Column::ImportId.eq(id))
        .count(&core.db)
        .await?;
    let total = u64::try_from(import.size_bytes).unwrap_or(0);

    // Bytes flow: database → `feed` → channel → parsing thread; rows flow back.
    let (chunk_tx, chunk_rx) = mpsc::channel::<Bytes>(2);
    let (row_tx, mut row_rx) = mpsc::channel::<Parsed>(4);
    let read = Arc::new(AtomicU64::new(0));
    let parser = {
        let read = read.clone();
        tokio::task::spawn_blocking(move || parse(ChannelReader::new(chunk_rx, read), &row_tx))
    };
    let feed = async move {
        for seq in 0..chunks {
            let chunk = rate_import_chunk::Entity::find()
                .filter(rate_import_chunk::Column::ImportId.eq(id))
                .filter(rate_import_chunk::Column::Seq.eq(i32::try_from(seq).unwrap_or(i32::MAX)))
                .one(&core.db)
                .await?
                .ok_or_else(|| DomainError::internal("a piece of the rate import is missing"))?;
            if chunk_tx.send(Bytes::from(chunk.data)).await.is_err() {
                break; // the parser stopped (a broken file); it reports why
            }
        }
        Ok::<_, DomainError>(())
    };
    let mut bad: Vec<(i64, String)> = Vec::new();
    let mut written: u64 = 0;
    let consume = async {
        let mut last_report = std::time::Instant::now();
        while let Some(msg) = row_rx.recv().await {
            match msg {
                Parsed::Bad(line, why) => bad.push((line, why)),
                Parsed::Rates(rows) => {
                    // Once a row is bad nothing is applied: stop writing, keep checking.
                    if let (Some(v), true) = (&version, bad.is_empty()) {
                        written += rows.len() as u64;
                        write_rates(core, v.id, rows).await?;
                    }
                }
            }
            if last_report.elapsed() >= std::time::Duration::from_millis(500) {
                last_report = std::time::Instant::now();
                ctx.progress(
                    read.load(Ordering::Relaxed),
                    Some(total),
                    &format!("{} bad rows so far", bad.len()),
                )
                .await?;
            }
        }
        Ok::<_, DomainError>(())
    };
    let (fed, consumed) = tokio::join!(feed, consume);
    let summary = parser
        .await
        .map_err(|e| DomainError::internal(format!("the rate parser stopped: {e}")))?;
    fed?;
    consumed?;
    bad.extend(summary.duplicates);
    bad.sort_by_key(|(line, _)| *line);
    bad.dedup_by_key(|(line, _)| *line);
    ctx.progress(total, Some(total), "checked").await?;
    finish(core, &import, version, summary.rows, bad, written).await
}

/// Writes the import's outcome.
async fn finish(
    core: &Core,
    import: &rate_import::Model,
    version: Option<rate_deck_version::Model>,
    rows: u64,
    bad: Vec<(i64, String)>,
    written: u64,
) -> DomainResult<()> {
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let bad_rows = as_i64(bad.len() as u64);
    let errors: Vec<rate_import_error::ActiveModel> = bad
        .into_iter()
        .map(|(line, reason)| rate_import_error::ActiveModel {
            import_id: Set(import.id),
            line: Set(line),
            reason: Set(reason),
        })
        .collect();
    for batch in errors.chunks(WRITE_BATCH) {
        crate::bulk::insert_all(&core.db, batch.to_vec()).await?;
    }
    let now = Utc::now();
    let txn = core.db.begin().await?;
    // The owner of a deck this import activates: what the swap makes stale in the switch
    // cache (call setups and route plans hold which version is active).
    let mut swapped = None;
    let status = if bad_rows > 0 {
        if version.is_some() {
            clear_versions(&txn, import.id).await?;
        }
        ImportStatus::Rejected
    } else {
        if let Some(v) = &version {
            rate_deck_version::Entity::update_many()
                .col_expr(
                    rate_deck_version::Column::Status,
                    VersionStatus::Ready.as_str().into(),
                )
                .col_expr(rate_deck_version::Column::RateCount, as_i64(written).into())
                .col_expr(rate_deck_version::Column::ReadyAt, Some(now).into())
                .filter(rate_deck_version::Column::Id.eq(v.id))
                .exec(&txn)
                .await?;
            if import.activate {
                let deck = rate_deck::Entity::find_by_id(import.deck_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| DomainError::not_found("rate deck"))?;
                switch_to(&txn, &deck, v, now).await?;
                swapped = Some(deck.tenant_id.map_or(CacheKey::Platform, |t| {
                    CacheKey::Tenant(crate::ids::TenantId(t))
                }));
            }
        }
        ImportStatus::Succeeded
    };
    rate_import::Entity::update_many()
        .col_expr(rate_import::Column::Status, status.as_str().into())
        .col_expr(rate_import::Column::Rows, as_i64(rows).into())
        .col_expr(rate_import::Column::BadRows, bad_rows.into())
        .col_expr(rate_import::Column::FinishedAt, Some(now).into())
        .col_expr(
            rate_import::Column::VersionId,
            if status == ImportStatus::Succeeded {
                version.map(|v| v.id)
            } else {
                None
            }
            .into(),
        )
        .filter(rate_import::Column::Id.eq(import.id))
        .exec(&txn)
        .await?;
    rate_import_chunk::Entity::delete_many()
        .filter(rate_import_chunk::Column::ImportId.eq(import.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if let Some(key) = swapped {
        core.switch_cache.changed(&[key]).await;
    }
    Ok(())
}

async fn clear_versions<C: ConnectionTrait>(db: &C, import_id: Uuid) -> DomainResult<()> {
    rate_deck_version::Entity::delete_many()
        .filter(rate_deck_version::Column::ImportId.eq(import_id))
        .filter(rate_deck_version::Column::Status.eq(VersionStatus::Importing.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

async fn write_rates(core: &Core, version_id: Uuid, rows: Vec<(i32, Rate)>) -> DomainResult<()> {
    let models: Vec<rate::ActiveModel> = rows
        .into_iter()
        .map(|(line, r)| rate::ActiveModel {
            version_id: Set(version_id),
            line: Set(line),
            prefix: Set(r.prefix),
            destination: Set(r.destination),
            per_minute_micros: Set(r.tariff.per_minute),
            connection_fee_micros: Set(r.tariff.connection_fee),
            minimum_seconds: Set(i32::try_from(r.tariff.minimum_seconds).unwrap_or(i32::MAX)),
            first_increment: Set(i32::try_from(r.tariff.first_increment).unwrap_or(i32::MAX)),
            next_increment: Set(i32::try_from(r.tariff.next_increment).unwrap_or(i32::MAX)),
            effective_from: Set(r.effective_from),
            effective_until: Set(r.effective_until),
        })
        .collect();
    let txn = core.db.begin().await?;
    crate::bulk::insert_all(&txn, models).await?;
    txn.commit().await?;
    // Let requests waiting for the pool (or SQLite's writer) in between batches.
    tokio::task::yield_now().await;
    Ok(())
}

/// The upload's pieces as one `Read`, for the parsing thread; counts the bytes read.
struct ChannelReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
    read: Arc<AtomicU64>,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<Bytes>, read: Arc<AtomicU64>) -> Self {
        Self {
            rx,
            current: Bytes::new(),
            read,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(next) => self.current = next,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The input, ending with a line break: its own last one, or one added after its last byte.
struct FinalNewline<R> {
    inner: R,
    last: Option<u8>,
    done: bool,
}

impl<R> FinalNewline<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            last: None,
            done: false,
        }
    }
}

impl<R: Read> Read for FinalNewline<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if let Some(last) = buf.get(..n).and_then(<[u8]>::last) {
            self.last = Some(*last);
            return Ok(n);
        }
        self.done = true;
        match (self.last, buf.first_mut()) {
            (Some(last), Some(first)) if last != b'\n' => {
                *first = b'\n';
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// One validated row's place, for finding duplicates: packed prefix, validity window, line.
struct Seen {
    key: u64,
    from: i64,
    until: i64,
    line: i64,
}

/// Reads the whole file on a blocking thread, sending valid rows in batches and every bad
/// line back as it goes; duplicates are found at the end.
fn parse(reader: impl Read, out: &mpsc::Sender<Parsed>) -> Summary {
    let mut summary = Summary {
        rows: 0,
        duplicates: Vec::new(),
    };
    // Line numbers: csv's own record position is where it started looking for the record (on
    // a blank line before it, or on the `\n` of the CRLF before it), so a record's line is
    // counted back from its end instead. Records end at `\n` only (the `\r` of a CRLF stays
    // in the last cell, which is trimmed) and the file always ends with one
    // ([`FinalNewline`]), so every record is read with its `\n`: the line after it, less one
    // and less the line breaks quoted inside its cells, is the line the record starts on.
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(FinalNewline::new(reader));
    let header = match csv.byte_headers() {
        Ok(h) => Header::parse(h.iter()),
        Err(e) => Err(format!("the header cannot be read: {e}")),
    };
    let header = match header {
        Ok(h) => h,
        Err(why) => {
            let _ = out.blocking_send(Parsed::Bad(1, why));
            return summary;
        }
    };
    let mut seen: Vec<Seen> = Vec::new();
    let mut batch: Vec<(i32, Rate)> = Vec::with_capacity(WRITE_BATCH);
    let mut record = csv::ByteRecord::new();
    loop {
        let line = i64::try_from(csv.position().line()).unwrap_or(i64::MAX);
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A broken quote or the like: the rest of the file cannot be trusted.
                let _ = out.blocking_send(Parsed::Bad(line, format!("unreadable CSV: {e}")));
                break;
            }
        }
        let breaks = record.as_slice().iter().filter(|b| **b == b'\n').count() as u64;
        let line = csv
            .position()
            .line()
            .checked_sub(1 + breaks)
            .map_or(line, |l| i64::try_from(l).unwrap_or(i64::MAX));
        // A line of nothing but blanks (a CRLF file's empty line is a lone `\r`) is a blank
        // line, skipped as csv skips an empty one.
        if record.len() == 1 && record.as_slice().trim_ascii().is_empty() {
            continue;
        }
        summary.rows += 1;
        match header.row(&record) {
            Ok(rate) => {
                let secs = |t: Option<DateTime<Utc>>, open| t.map_or(open, |t| t.timestamp());
                seen.push(Seen {
                    key: key(rate.prefix.as_bytes()).unwrap_or(0),
                    from: secs(rate.effective_from, i64::MIN),
                    until: secs(rate.effective_until, i64::MAX),
                    line,
                });
                batch.push((i32::try_from(line).unwrap_or(i32::MAX), rate));
                if batch.len() == WRITE_BATCH
                    && out
                        .blocking_send(Parsed::Rates(std::mem::take(&mut batch)))
                        .is_err()
                {
                    return summary;
                }
            }
            Err(why) => {
                if out.blocking_send(Parsed::Bad(line, why)).is_err() {
                    return summary;
                }
            }
        }
    }
    if !batch.is_empty() {
        let _ = out.blocking_send(Parsed::Rates(batch));
    }
    // One prefix twice with overlapping windows: which rate applies would be a guess.
    // In order of start, a window overlaps an earlier-starting one of its prefix exactly when
    // it starts before the furthest end seen so far, so each is compared with the row
    // reaching furthest (its neighbour may end early: a day inside a year after another day).
    seen.sort_unstable_by_key(|s| (s.key, s.from, s.line));
    let mut reach: Option<&Seen> = None;
    for s in &seen {
        let Some(r) = reach.filter(|r| r.key == s.key) else {
            reach = Some(s);
            continue;
        };
        if s.from < r.until {
            let (first, later) = if r.line < s.line { (r, s) } else { (s, r) };
            summary.duplicates.push((
                later.line,
                format!(
                    "duplicate prefix: line {} has the same prefix for an overlapping period",
                    first.line
                ),
            ));
        }
        if s.until > r.until {
            reach = Some(s);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rates parsed (with their line numbers), the bad lines with their reasons, and
    /// the summary's row count.
    type Parsed3 = (Vec<(i32, Rate)>, Vec<(i64, String)>, u64);

    fn run(text: &str) -> Parsed3 {
        let (tx, mut rx) = mpsc::channel(1024);
        let summary = parse(text.as_bytes(), &tx);
        drop(tx);
        let (mut rates, mut bad) = (Vec::new(), Vec::new());
        while let Ok(m) = rx.try_recv() {
            match m {
                Parsed::Rates(r) => rates.extend(r),
                Parsed::Bad(l, w) => bad.push((l, w)),
            }
        }
        bad.extend(summary.duplicates);
        bad.sort();
        (rates, bad, summary.rows)
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        // A quoted line break spans lines 7-8: the record is line 7 (and bad: a destination
        // has no control characters), the next one line 9.
        let (rates, bad, rows) = run(
            "prefix,destination,rate\n34,Spain,0.01\n3x,Bad,0.01\n\n44,UK,-1\n34,Spain again,0.02\n1,\"NANP\nquoted\",0.005\n1,NANP,0.005\n",
        );
        assert_eq!(rows, 6);
        assert_eq!(rates.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [2, 6, 9]);
        let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 5, 6, 7], "{bad:?}");
        assert!(bad[2].1.contains("line 2"), "{bad:?}");
        assert!(bad[3].1.contains("control characters"), "{bad:?}");
    }

    #[test]
    fn lines_are_the_file_s_with_crlf_blank_lines_and_no_final_line_break() {
        let lines = [
            "prefix,rate,destination",
            "34,0.01,Spain",
            "",
            "3x,0.01,Bad",
            "  ",
            "1,0.005,\"NANP",
            "quoted\"",
            "44,0.01,UK",
            "x,1,Last",
        ];
        for eol in ["\n", "\r\n"] {
            let (rates, bad, rows) = run(&lines.join(eol));
            assert_eq!(rows, 5, "{eol:?}");
            let good: Vec<(i32, &str)> = rates
                .iter()
                .map(|(l, r)| (*l, r.destination.as_str()))
                .collect();
            assert_eq!(good, [(2, "Spain"), (8, "UK")], "{eol:?}");
            let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
            assert_eq!(lines, [4, 6, 9], "{eol:?}: {bad:?}");
        }
    }

    #[test]
    fn a_bad_header_is_line_one_and_stops_the_file() {
        let (rates, bad, _) = run("prefix,destination,rate,colour\n34,Spain,0.01,red\n");
        assert!(rates.is_empty());
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1);
        assert!(bad[0].1.contains("colour"));
    }

    #[test]
    fn a_window_inside_an_earlier_long_one_is_a_duplicate_even_when_not_next_to_it() {
        // Line 2 covers 2027; lines 3 and 4 each a day of it (and not each other).
        let (_, bad, _) = run("prefix,destination,rate,effective_from,effective_until\n\
             44,UK,0.01,2027-01-01,2028-01-01\n\
             44,UK,0.02,2027-02-01,2027-02-02\n\
             44,UK,0.03,2027-03-01,2027-03-02\n");
        assert_eq!(
            bad.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [3, 4],
            "{bad:?}"
        );
        assert!(bad.iter().all(|(_, why)| why.contains("line 2")), "{bad:?}");
    }

    #[test]
    fn windows_that_do_not_overlap_are_not_duplicates() {
        let (_, bad, _) = run(
            "prefix,destination,rate,effective_from,effective_until\n44,UK,0.01,,2027-01-01\n44,UK,0.02,2027-01-01,\n",
        );
        assert!(bad.is_empty(), "{bad:?}");
    }
}
