//! The import jobs, run outside the request by [`crate::jobs`]: the analysis of one
//! uploaded batch (read the stored upload, run the pure pipeline, write its state and
//! progress to the database, so that a page can show progress and survive a reload), and
//! the expiry of abandoned imports. Every time they stamp comes from the app's clock.
//! The CLI runs the same `analyse_batch` in its own thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::db::{DbConnection, Pool};
use crate::import::analysis::{self, Analysis, Step};
use crate::import::archive::ArchiveLimits;
use crate::import::columns::ManualColumns;
use crate::import::extract::{ExtractError, ExtractOptions};
use crate::import::simplepractice::{self, ExportError, ExportIndex};
use crate::models::import_batch::{self, ImportBatch};
use crate::models::scope::OwnedBatch;
use crate::models::unscoped;
use crate::models::{client, simplepractice_import};

/// Where uploads wait between analysis and import: one file per batch, named by the
/// batch's id (never by the name the file had on the provider's computer).
#[derive(Debug, Clone)]
pub struct UploadStore {
    dir: PathBuf,
}

impl UploadStore {
    pub fn new(data_dir: &Path) -> Self {
        UploadStore {
            dir: data_dir.join("imports"),
        }
    }

    pub fn prepare(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)
    }

    pub fn path(&self, batch_id: &str) -> PathBuf {
        // Batch ids are UUIDs we generate; anything else never names a file.
        let safe: String = batch_id
            .chars()
            .filter(|c| c.is_ascii_hexdigit() || *c == '-')
            .collect();
        self.dir.join(format!("{safe}.upload"))
    }

    pub fn remove(&self, batch_id: &str) {
        let _ = std::fs::remove_file(self.path(batch_id));
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

/// Opens a stored export for reading: the archive, checked, and its index of cards and
/// documents. The file is read in place; documents are not unpacked.
pub fn open_export(
    path: &Path,
    limits: &ArchiveLimits,
) -> Result<(zip::ZipArchive<std::fs::File>, ExportIndex), ExportError> {
    let file = std::fs::File::open(path)
        .map_err(|_| ExportError::Archive(crate::import::archive::ArchiveError::Corrupt))?;
    let mut zip = crate::import::archive::open(file)?;
    let index = simplepractice::read_export(&mut zip, limits)?;
    Ok((zip, index))
}

/// What the review page says about an export as a whole, as stored with the batch.
pub fn export_notes(index: &ExportIndex) -> String {
    serde_json::to_string(&crate::import::analysis::FileNotes {
        unreadable_cards: index.unreadable_cards.clone(),
        unclaimed_documents: index.unclaimed(),
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
    let path = uploads.path(&batch.id);
    let _ = import_batch::set_progress(
        conn,
        batch,
        "Reading the export's folders and client cards",
        0,
        0,
    );
    let index = match open_export(&path, limits) {
        Ok((_, index)) => index,
        Err(e) => {
            let message = e.to_string();
            import_batch::fail(conn, batch, &message, clock.now())?;
            return Ok(Outcome::Failed(message));
        }
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
        uploads.remove(replaced);
    }
    if !saved.stored {
        return Ok(Outcome::Failed("The import was cancelled.".into()));
    }
    Ok(Outcome::Exported(rows.len()))
}

/// Imports left unreviewed this long are cancelled, rows and file deleted.
pub const ABANDONED_AFTER_DAYS: i64 = 30;
/// Imports the command line started and did not finish: no page leads back to them.
pub const CLI_UNFINISHED_AFTER_HOURS: i64 = 24;

/// Cancels abandoned imports (their rows and uploads deleted): those left unreviewed for
/// [`ABANDONED_AFTER_DAYS`] before `now`, and those the command line left unfinished for
/// [`CLI_UNFINISHED_AFTER_HOURS`].
pub fn expire(
    conn: &mut DbConnection,
    uploads: &UploadStore,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    for id in import_batch::expire_abandoned(conn, ABANDONED_AFTER_DAYS, now)? {
        uploads.remove(&id);
    }
    for id in import_batch::expire_unfinished_cli(conn, CLI_UNFINISHED_AFTER_HOURS, now)? {
        uploads.remove(&id);
    }
    Ok(())
}

/// At start-up: analyses an earlier run left unfinished will not finish (nothing of them
/// was written), so they are marked interrupted and their uploads removed.
pub fn interrupt_unfinished(
    conn: &mut DbConnection,
    uploads: &UploadStore,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    for id in import_batch::interrupt_unfinished(conn, now)? {
        uploads.remove(&id);
    }
    Ok(())
}

/// How often a running analysis writes its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Analyses one queued batch to the end (a failure, even a panic, fails the batch and
/// says so on its page).
pub fn run_job(
    pool: &Pool,
    uploads: &UploadStore,
    id: &str,
    export_limits: &ArchiveLimits,
    clock: &Clock,
) {
    let Ok(mut conn) = pool.get() else {
        tracing::error!("import worker: no database connection");
        return;
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), diesel::result::Error> {
        let Some(batch) = unscoped::batch_for_worker(&mut conn, id)? else {
            return Ok(());
        };
        if !import_batch::start_analysis(&mut conn, &batch, clock.now())? {
            return Ok(());
        }
        if batch.is_export() {
            if let Outcome::Failed(_) =
                analyse_export_batch(&mut conn, &batch, uploads, export_limits, clock)?
            {
                uploads.remove(id);
            }
            return Ok(());
        }
        let bytes = match std::fs::read(uploads.path(id)) {
            Ok(b) => b,
            Err(_) => {
                return import_batch::fail(
                    &mut conn,
                    &batch,
                    "The uploaded file is no longer on the server. Nothing was imported. Upload the file again.",
                    clock.now(),
                );
            }
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
        };
        let outcome = analyse_batch(&mut conn, &batch, &bytes, clock, &mut progress)?;
        if let Outcome::Failed(_) = outcome {
            uploads.remove(id);
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
        uploads.remove(id);
    }
}
