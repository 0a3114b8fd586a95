//! The import jobs, run outside the request by [`crate::jobs`]: the analysis of one
//! uploaded batch (read the stored upload, run the pure pipeline, write its state and
//! progress to the database, so that a page can show progress and survive a reload), and
//! the expiry of abandoned imports. Every time they stamp comes from the app's clock.
//! The CLI runs the same `analyse_batch` in its own thread.

use std::io::{Read, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::db::{DatabaseUrl, DbConnection, Pool};
use crate::import::analysis::{self, Analysis, Step};
use crate::import::archive::ArchiveLimits;
use crate::import::columns::ManualColumns;
use crate::import::extract::{ExtractError, ExtractOptions};
use crate::import::simplepractice::{self, ExportError, ExportIndex};
use crate::models::import_batch::{self, ImportBatch};
use crate::models::import_upload::PartsReader;
use crate::models::scope::OwnedBatch;
use crate::models::unscoped;
use crate::models::{client, import_upload, simplepractice_import};

/// Where uploads wait between analysis and import: in the database, in parts of
/// [`PART_BYTES`], under the batch's id (never the name the file had on the provider's
/// computer), so that every instance on the database reaches them — the one that took
/// the upload, the one whose worker checks it and the one that imports it may all differ.
/// A client list is read back whole; an export is read as an archive straight from its
/// parts, through a connection of its own ([`import_upload::PartsReader`]).
#[derive(Debug, Clone)]
pub struct UploadStore {
    tmp: PathBuf,
    database: DatabaseUrl,
}

/// The size of one stored part of an upload.
pub const PART_BYTES: usize = 4 * 1024 * 1024;

/// Why an upload could not be stored or read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the file could not be read or written: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl UploadStore {
    /// `tmp_dir`: this instance's folder for temporary files (the data dir's `tmp/`);
    /// `database`: where the uploads are kept, for the connections that read exports.
    pub fn new(tmp_dir: &Path, database: &DatabaseUrl) -> Self {
        UploadStore {
            tmp: tmp_dir.to_path_buf(),
            database: database.clone(),
        }
    }

    pub fn prepare(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.tmp)
    }

    /// Stores everything `file` holds as the upload of `batch_id`, part by part (each its
    /// own short write, so that a large export does not hold the database's write lock);
    /// returns its size. On failure what was stored is removed.
    pub fn store(
        &self,
        conn: &mut DbConnection,
        batch_id: &str,
        file: &mut dyn Read,
    ) -> Result<u64, StoreError> {
        let stored = self.store_parts(conn, batch_id, file);
        if stored.is_err() {
            let _ = import_upload::delete(conn, batch_id);
        }
        stored
    }

    fn store_parts(
        &self,
        conn: &mut DbConnection,
        batch_id: &str,
        file: &mut dyn Read,
    ) -> Result<u64, StoreError> {
        let mut size = 0u64;
        let mut buf = vec![0u8; PART_BYTES];
        for part in 0.. {
            let mut filled = 0;
            while filled < buf.len() {
                match file.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if filled == 0 && part > 0 {
                break;
            }
            import_upload::add_part(conn, batch_id, part, &buf[..filled])?;
            size += filled as u64;
            if filled < buf.len() {
                break;
            }
        }
        Ok(size)
    }

    /// The whole upload of `batch_id`, or `None` when none is kept.
    pub fn read(&self, conn: &mut DbConnection, batch_id: &str) -> QueryResult<Option<Vec<u8>>> {
        let parts = import_upload::parts(conn, batch_id)?;
        if parts == 0 {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        for k in 0..parts {
            match import_upload::part(conn, batch_id, k)? {
                Some(p) => bytes.extend_from_slice(&p),
                None => return Ok(None),
            }
        }
        Ok(Some(bytes))
    }

    /// The upload of `batch_id` as a file to read and seek in, read from the database part
    /// by part through a connection of its own (so that the import's transaction can write
    /// on its connection while another thread reads); `None` when none is kept.
    pub fn open_reader(&self, batch_id: &str) -> QueryResult<Option<PartsReader>> {
        // The caller sees a connection that cannot be opened as the database error it is.
        let mut conn = crate::db::establish(&self.database)
            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
        // Read, not mapped: a second map of the database file would add its 256 MB to the
        // memory of the process importing.
        if let DbConnection::Sqlite(c) = &mut conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute("PRAGMA mmap_size = 0")?;
        }
        PartsReader::open(conn, batch_id, PART_BYTES)
    }

    /// Lets the upload of `batch_id` go (imported, cancelled, failed or expired).
    pub fn remove(&self, conn: &mut DbConnection, batch_id: &str) -> QueryResult<()> {
        import_upload::delete(conn, batch_id).map(|_| ())
    }

    /// Whether an upload is kept for `batch_id`.
    pub fn holds(&self, conn: &mut DbConnection, batch_id: &str) -> QueryResult<bool> {
        Ok(import_upload::parts(conn, batch_id)? > 0)
    }

    /// Uploads an older version kept as files in `dir` (`DATA_DIR/imports`): those of
    /// imports still waiting move into the database, the rest are deleted, and so is the
    /// folder once empty. Returns how many moved.
    pub fn adopt_files(&self, conn: &mut DbConnection, dir: &Path) -> Result<usize, StoreError> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(0);
        };
        let mut moved = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".upload"))
                .map(str::to_string)
            else {
                continue;
            };
            use import_batch::BatchStatus::{Analysing, NeedsColumns, Queued, Ready};
            let waiting = unscoped::batch_for_worker(conn, &id)?
                .is_some_and(|b| matches!(b.status, Queued | Analysing | Ready | NeedsColumns));
            if waiting && !self.holds(conn, &id)? {
                let mut file = std::fs::File::open(&path)?;
                match self.store(conn, &id, &mut file) {
                    Ok(_) => moved += 1,
                    // Another instance on the same data dir moved it first.
                    Err(StoreError::Database(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    ))) => {}
                    Err(e) => return Err(e),
                }
            }
            let _ = std::fs::remove_file(&path);
        }
        let _ = std::fs::remove_dir(dir);
        Ok(moved)
    }
}

/// What the column-picking screen needs, kept with the batch.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ColumnsNeeded {
    pub headers: Vec<String>,
    pub preview: Vec<Vec<String>>,
}

/// How a batch should be read: its sheet and any columns picked by hand.
pub fn options_of(batch: &ImportBatch) -> ExtractOptions {
    ExtractOptions {
        sheet: batch.sheet.clone(),
        columns: batch
            .column_choice
            .as_deref()
            .and_then(|c| serde_json::from_str::<ManualColumns>(c).ok()),
    }
}

/// The outcome of one analysis, as stored.
#[derive(Debug)]
pub enum Outcome {
    Ready(Box<Analysis>),
    /// An export's cards were reviewed (this many).
    Exported(usize),
    NeedsColumns(String),
    Failed(String),
}

/// Analyses `bytes` for `batch` and stores the result. `progress` hears each step;
/// `clock` says what day it is (for dates of birth in the future) and stamps the result.
pub fn analyse_batch(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    bytes: &[u8],
    clock: &Clock,
    progress: &mut dyn FnMut(&mut DbConnection, Step),
) -> Result<Outcome, diesel::result::Error> {
    let existing = client::for_matching(conn, batch.scope())?;
    let today = clock.now().date();
    let options = options_of(batch);
    let result = {
        let mut tell = |s: Step| progress(conn, s);
        analysis::analyse(bytes, &options, &existing, today, &mut tell)
    };
    match result {
        Ok(a) => {
            progress(
                conn,
                Step::Checking {
                    done: a.rows.len(),
                    total: a.rows.len(),
                },
            );
            let notes = serde_json::to_string(&a.notes).unwrap_or_default();
            if !import_batch::save_analysis(conn, batch, &a, &notes, clock.now())? {
                return Ok(Outcome::Failed("The import was cancelled.".into()));
            }
            Ok(Outcome::Ready(Box::new(a)))
        }
        Err(e @ ExtractError::MissingColumns { .. }) => {
            let message = e.to_string();
            let ExtractError::MissingColumns {
                headers, preview, ..
            } = e
            else {
                return Ok(Outcome::Failed(message));
            };
            let details =
                serde_json::to_string(&ColumnsNeeded { headers, preview }).unwrap_or_default();
            let format = crate::import::extract::detect(bytes)
                .map(|f| f.as_str())
                .unwrap_or("csv");
            import_batch::ask_for_columns(conn, batch, &message, format, &details, clock.now())?;
            Ok(Outcome::NeedsColumns(message))
        }
        Err(e) => {
            let message = e.to_string();
            import_batch::fail(conn, batch, &message, clock.now())?;
            Ok(Outcome::Failed(message))
        }
    }
}

/// Opens an export file for reading: the archive, checked, and its index of cards and
/// documents. The file is read in place; documents are not unpacked.
pub fn open_export(
    path: &Path,
    limits: &ArchiveLimits,
) -> Result<(zip::ZipArchive<std::fs::File>, ExportIndex), ExportError> {
    let file = std::fs::File::open(path)
        .map_err(|_| ExportError::Archive(crate::import::archive::ArchiveError::Corrupt))?;
    open_export_file(file, limits)
}

/// [`open_export`] on a file already open, or on an upload read where it is kept.
pub fn open_export_file<R: Read + Seek>(
    mut file: R,
    limits: &ArchiveLimits,
) -> Result<(zip::ZipArchive<R>, ExportIndex), ExportError> {
    let corrupt = || ExportError::Archive(crate::import::archive::ArchiveError::Corrupt);
    // The first bytes, to name a file that is no archive at all (a client list).
    let mut head = Vec::with_capacity(8192);
    (&mut file)
        .take(8192)
        .read_to_end(&mut head)
        .map_err(|_| corrupt())?;
    file.rewind().map_err(|_| corrupt())?;
    let mut zip = match crate::import::archive::open(file) {
        Ok(zip) => zip,
        Err(e) => return Err(simplepractice::not_an_archive(&head).unwrap_or(e.into())),
    };
    let index = simplepractice::read_export(&mut zip, limits)?;
    Ok((zip, index))
}

/// What became of reading a batch's stored export back.
pub enum StoredExport {
    Opened(Box<(zip::ZipArchive<PartsReader>, ExportIndex)>),
    /// No upload is kept for the batch (imported, cancelled or expired meanwhile).
    Gone,
    /// It is kept but is not a readable export (the message says why).
    Unreadable(String),
}

/// Reads a batch's stored export back and opens it.
pub fn open_stored_export(
    uploads: &UploadStore,
    batch_id: &str,
    limits: &ArchiveLimits,
) -> QueryResult<StoredExport> {
    let Some(file) = uploads.open_reader(batch_id)? else {
        return Ok(StoredExport::Gone);
    };
    Ok(match open_export_file(file, limits) {
        Ok(opened) => StoredExport::Opened(Box::new(opened)),
        Err(e) => StoredExport::Unreadable(e.to_string()),
    })
}

/// What the review page says about an export as a whole, as stored with the batch.
pub fn export_notes(index: &ExportIndex) -> String {
    serde_json::to_string(&crate::import::analysis::FileNotes {
        unreadable_cards: index.unreadable_cards.clone(),
        unclaimed_documents: index.unclaimed(),
        unclaimed_paths: index.unclaimed_paths(),
        ..Default::default()
    })
    .unwrap_or_default()
}

/// Analyses a stored SimplePractice export for `batch` and stores the review.
pub fn analyse_export_batch(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    uploads: &UploadStore,
    limits: &ArchiveLimits,
    clock: &Clock,
) -> Result<Outcome, diesel::result::Error> {
    let _ = import_batch::set_progress(
        conn,
        batch,
        "Reading the export's folders and client cards",
        0,
        0,
    );
    let index = match open_stored_export(uploads, &batch.id, limits) {
        Ok(StoredExport::Opened(opened)) => opened.1,
        Ok(StoredExport::Gone) => {
            import_batch::fail(conn, batch, GONE, clock.now())?;
            return Ok(Outcome::Failed(GONE.into()));
        }
        Ok(StoredExport::Unreadable(message)) => {
            import_batch::fail(conn, batch, &message, clock.now())?;
            return Ok(Outcome::Failed(message));
        }
        Err(e) => return Err(e),
    };
    let existing = client::for_matching(conn, batch.scope())?;
    let rows = simplepractice::review_export(&index, &existing, clock.now().date());
    let details = export_notes(&index);
    let saved = simplepractice_import::save_export_analysis(
        conn,
        batch,
        &rows,
        &details,
        true,
        clock.now(),
    )?;
    if let Some(replaced) = &saved.replaced {
        uploads.remove(conn, replaced)?;
    }
    if !saved.stored {
        return Ok(Outcome::Failed("The import was cancelled.".into()));
    }
    Ok(Outcome::Exported(rows.len()))
}

/// Imports left unreviewed this long are cancelled, rows and file deleted.
pub const ABANDONED_AFTER_DAYS: i64 = 30;

/// The list of rows an import left out is kept this long after the import, then deleted.
pub const LEFT_OUT_KEPT_DAYS: i64 = 30;
/// Imports the command line started and did not finish: no page leads back to them.
pub const CLI_UNFINISHED_AFTER_HOURS: i64 = 24;

/// Uploads that never finished arriving (the instance taking them stopped) are let go
/// after this long.
pub const UNQUEUED_AFTER_HOURS: i64 = 24;

/// Cancels abandoned imports (their rows and uploads deleted): those left unreviewed for
/// [`ABANDONED_AFTER_DAYS`] before `now`, those the command line left unfinished for
/// [`CLI_UNFINISHED_AFTER_HOURS`], and uploads that never finished arriving; deletes the
/// lists of rows imports left out after [`LEFT_OUT_KEPT_DAYS`]; and gives up
/// on files whose checking stopped too often (see `import_batch::claim_analysis`).
pub fn expire(
    conn: &mut DbConnection,
    uploads: &UploadStore,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    for id in import_batch::expire_abandoned(conn, ABANDONED_AFTER_DAYS, now)? {
        uploads.remove(conn, &id)?;
    }
    for id in import_batch::expire_unfinished_cli(conn, CLI_UNFINISHED_AFTER_HOURS, now)? {
        uploads.remove(conn, &id)?;
    }
    for id in import_batch::expire_never_queued(conn, UNQUEUED_AFTER_HOURS, now)? {
        uploads.remove(conn, &id)?;
    }
    import_batch::expire_left_out(conn, LEFT_OUT_KEPT_DAYS, now)?;
    Ok(())
}

/// What a batch whose upload is gone says.
const GONE: &str =
    "The uploaded file is no longer on the server. Nothing was imported. Upload the file again.";

/// How often a running analysis writes its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Who runs an analysis, and for how long its claim holds without news.
#[derive(Debug, Clone, Copy)]
pub struct Worker<'a> {
    /// The instance's name in the database's leases.
    pub holder: &'a str,
    pub lease: chrono::Duration,
}

/// Analyses one batch this instance's worker claimed (`import_batch::claim_analysis`) to
/// the end, renewing the claim as it goes; a failure, even a panic, fails the batch and
/// says so on its page.
pub fn run_job(
    pool: &Pool,
    uploads: &UploadStore,
    id: &str,
    export_limits: &ArchiveLimits,
    clock: &Clock,
    worker: Worker<'_>,
) {
    let Ok(mut conn) = pool.get() else {
        tracing::error!("import worker: no database connection");
        return;
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), diesel::result::Error> {
        let Some(batch) = unscoped::batch_for_worker(&mut conn, id)? else {
            return Ok(());
        };
        if batch.status != import_batch::BatchStatus::Analysing {
            return Ok(());
        }
        if batch.is_export() {
            if let Outcome::Failed(_) =
                analyse_export_batch(&mut conn, &batch, uploads, export_limits, clock)?
            {
                let_go_if_ended(&mut conn, uploads, &batch)?;
            }
            return Ok(());
        }
        let Some(bytes) = uploads.read(&mut conn, id)? else {
            return import_batch::fail(&mut conn, &batch, GONE, clock.now());
        };
        let mut last: Option<Instant> = None;
        let mut progress = |conn: &mut DbConnection, step: Step| {
            if last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
                return;
            }
            last = Some(Instant::now());
            let (done, total) = match step {
                Step::Reading => (0, 0),
                Step::Checking { done, total } => (done, total),
            };
            let _ = import_batch::set_progress(conn, &batch, step.label(), done, total);
            let _ = import_batch::renew_claim(
                conn,
                &batch.id,
                worker.holder,
                clock.now() + worker.lease,
            );
        };
        let outcome = analyse_batch(&mut conn, &batch, &bytes, clock, &mut progress)?;
        if let Outcome::Failed(_) = outcome {
            let_go_if_ended(&mut conn, uploads, &batch)?;
        }
        Ok(())
    }));
    let failed = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "import analysis failed");
            true
        }
        Err(_) => {
            tracing::error!("import analysis panicked");
            true
        }
    };
    if let (true, Ok(Some(batch))) = (failed, unscoped::batch_for_worker(&mut conn, id)) {
        let _ = import_batch::fail(
            &mut conn,
            &batch,
            "Caseload could not finish checking this file, and nothing was imported. Try again; if it keeps happening, tell whoever runs this server (the details are in its log).",
            clock.now(),
        );
        let _ = let_go_if_ended(&mut conn, uploads, &batch);
    }
}

/// Lets a batch's upload go once the batch has ended (failed or cancelled) — not when
/// another worker took it over meanwhile and finished it.
fn let_go_if_ended(
    conn: &mut DbConnection,
    uploads: &UploadStore,
    batch: &OwnedBatch,
) -> QueryResult<()> {
    use import_batch::BatchStatus::{Cancelled, Failed, Interrupted};
    let now = import_batch::reload(conn, batch)?;
    if matches!(now.status, Failed | Cancelled | Interrupted) {
        uploads.remove(conn, &batch.id)?;
    }
    Ok(())
}
