//! Client-list imports: a batch per file with its analysis state and counts, and the
//! reviewed rows with the provider's decisions. Everything done to a batch takes its
//! [`OwnedBatch`] handle (the worker's comes from `unscoped`, for the batch it was handed).
//!
//! - this module: the batch itself (its row, creating it, the history);
//! - [`lifecycle`]: where a batch stands — queued, analysed, waiting for columns, failed,
//!   interrupted, expired, cancelled;
//! - [`rows`]: the reviewed rows an analysis stores, and the pages of them;
//! - [`review`]: the provider's decisions on those rows;
//! - [`commit`]: the one transaction that imports what was decided.

mod commit;
mod households;
mod lifecycle;
mod new_clients;
mod review;
mod rows;
#[cfg(test)]
mod tests;

pub use commit::*;
pub use households::*;
pub use lifecycle::*;
pub(in crate::models) use new_clients::insert_new_clients;
pub use review::*;
pub use rows::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{OwnedBatch, Scope};
use crate::db::schema::import_batches;
use crate::db::DbConnection;
use crate::import::matching::Status;
use crate::import::review::Kind;

/// Where a batch stands; stored as its snake_case name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum BatchStatus {
    /// Uploaded, waiting for a worker.
    Queued,
    /// A worker is reading and checking the file.
    Analysing,
    /// The columns must be picked by hand before the file can be read.
    NeedsColumns,
    /// Checked: its rows wait for the provider's review.
    Ready,
    /// The file cannot be imported (the batch's error says why).
    Failed,
    /// A restart cut the check short.
    Interrupted,
    Imported,
    /// Dropped by the provider, replaced, or expired: gone, as far as anyone can see.
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What the import history says of a batch in this state.
    pub fn label(self) -> &'static str {
        match self {
            Self::Imported => "Imported",
            Self::Ready => "Waiting for your review",
            Self::NeedsColumns => "Waiting for you to pick columns",
            Self::Queued | Self::Analysing => "Being checked",
            Self::Interrupted => "Interrupted by a restart: nothing imported",
            Self::Failed | Self::Cancelled => "Could not be imported",
        }
    }

    /// The analysis has not finished yet (it is waiting for or in a worker).
    pub fn in_progress(self) -> bool {
        matches!(self, Self::Queued | Self::Analysing)
    }
}

/// A stored status; one this version does not know (written by a newer one) reads as
/// failed, which offers nothing to do with the batch.
impl From<String> for BatchStatus {
    fn from(stored: String) -> Self {
        stored.parse().unwrap_or(Self::Failed)
    }
}

/// The origin of a batch the command line created (`caseload import`).
pub const CLI: &str = "cli";

pub const ROWS_PER_PAGE: i64 = 50;

/// The format of a SimplePractice complete data export.
pub const SIMPLEPRACTICE: &str = "simplepractice_zip";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_batches)]
pub struct ImportBatch {
    pub id: String,
    pub provider_id: String,
    pub file_name: String,
    pub origin: String,
    #[diesel(deserialize_as = String)]
    pub status: BatchStatus,
    pub format: Option<String>,
    pub layout: Option<String>,
    pub sheet: Option<String>,
    pub column_choice: Option<String>,
    pub progress_label: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub error: Option<String>,
    pub details: Option<String>,
    pub rows_total: i64,
    pub rows_new: i64,
    pub rows_existing: i64,
    pub rows_needs_review: i64,
    pub rows_invalid: i64,
    pub rows_duplicate: i64,
    pub rows_selected: i64,
    pub rows_linked: i64,
    pub imported_count: i64,
    pub linked_count: i64,
    pub documents_count: i64,
    pub clients_with_documents: i64,
    pub skipped_count: i64,
    pub invited: bool,
    pub outcome: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub imported_at: Option<NaiveDateTime>,
}

impl ImportBatch {
    /// How many rows have this status (all rows for `None`), as counted when stored.
    pub fn rows_with(&self, status: Option<Status>) -> i64 {
        match status {
            None => self.rows_total,
            Some(Status::New) => self.rows_new,
            Some(Status::Existing) => self.rows_existing,
            Some(Status::NeedsReview) => self.rows_needs_review,
            Some(Status::Invalid) => self.rows_invalid,
            Some(Status::DuplicateInFile) => self.rows_duplicate,
        }
    }

    /// Why the rows left out of an import were, with how many of each (status, count).
    pub fn skipped_reasons(&self) -> Vec<(Status, i64)> {
        let stored: Vec<(String, i64)> = self
            .outcome
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default();
        stored
            .into_iter()
            .filter_map(|(status, n)| Some((status.parse().ok()?, n)))
            .collect()
    }

    /// A SimplePractice export (clients with their documents), not a client list.
    pub fn is_export(&self) -> bool {
        self.format.as_deref() == Some(SIMPLEPRACTICE)
    }

    /// What is being imported: a client list or an export (their reviews differ).
    pub fn kind(&self) -> Kind {
        if self.is_export() {
            Kind::Export
        } else {
            Kind::List
        }
    }

    /// The analysis has not finished yet (it is waiting for or in a worker).
    pub fn in_progress(&self) -> bool {
        self.status.in_progress()
    }
}

/// The row of a batch whose handle proves whose it is.
pub(in crate::models) fn this(
    batch: &OwnedBatch,
) -> diesel::dsl::Filter<import_batches::table, diesel::dsl::Eq<import_batches::id, String>> {
    import_batches::table.filter(import_batches::id.eq(batch.id.clone()))
}

/// The batch as it is now.
pub fn reload(conn: &mut DbConnection, batch: &OwnedBatch) -> QueryResult<OwnedBatch> {
    let row = this(batch).select(ImportBatch::as_select()).first(conn)?;
    Ok(batch.sibling(row))
}

/// A new batch for a SimplePractice export, waiting for analysis.
pub fn create_export(
    conn: &mut DbConnection,
    scope: &Scope,
    file_name: &str,
    origin: &str,
    now: NaiveDateTime,
) -> QueryResult<OwnedBatch> {
    let batch = create(conn, scope, file_name, origin, now)?;
    diesel::update(this(&batch))
        .set(import_batches::format.eq(SIMPLEPRACTICE))
        .execute(conn)?;
    reload(conn, &batch)
}

/// A new batch, waiting for analysis. `file_name` is display text only.
pub fn create(
    conn: &mut DbConnection,
    scope: &Scope,
    file_name: &str,
    origin: &str,
    now: NaiveDateTime,
) -> QueryResult<OwnedBatch> {
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(import_batches::table)
        .values((
            import_batches::id.eq(&id),
            import_batches::provider_id.eq(scope.provider_id().as_str()),
            import_batches::file_name.eq(file_name),
            import_batches::origin.eq(origin),
            import_batches::status.eq(BatchStatus::Queued.as_str()),
            import_batches::progress_done.eq(0i64),
            import_batches::progress_total.eq(0i64),
            import_batches::rows_total.eq(0i64),
            import_batches::rows_new.eq(0i64),
            import_batches::rows_existing.eq(0i64),
            import_batches::rows_needs_review.eq(0i64),
            import_batches::rows_invalid.eq(0i64),
            import_batches::rows_duplicate.eq(0i64),
            import_batches::rows_selected.eq(0i64),
            import_batches::rows_linked.eq(0i64),
            import_batches::imported_count.eq(0i64),
            import_batches::linked_count.eq(0i64),
            import_batches::documents_count.eq(0i64),
            import_batches::clients_with_documents.eq(0i64),
            import_batches::skipped_count.eq(0i64),
            import_batches::invited.eq(false),
            import_batches::created_at.eq(now),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
    scope
        .batch(conn, &id)?
        .ok_or(diesel::result::Error::NotFound)
}

/// The provider's imports, newest first (cancelled ones left out).
pub fn history(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<ImportBatch>> {
    scope
        .import_batches()
        .filter(import_batches::status.ne(BatchStatus::Cancelled.as_str()))
        .order(import_batches::created_at.desc())
        .limit(200)
        .select(ImportBatch::as_select())
        .load(conn)
}
