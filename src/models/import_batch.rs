//! Client-list imports: a batch per file with its analysis state and counts, and the
//! reviewed rows with the provider's decisions. Everything done to a batch takes its
//! [`OwnedBatch`] handle (the worker's comes from `unscoped`, for the batch it was handed).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::scope::{OwnedBatch, Scope};
use crate::db::ids::ClientId;
use crate::db::schema::{audit_events, clients, import_batches, import_rows};
use crate::db::{write_transaction, DbConnection};
use crate::domain::email::normalize;
use crate::domain::onboarding::OnboardingFacts;
use crate::domain::plural::plural;
use crate::import::analysis::Analysis;
use crate::import::extract::Candidate;
use crate::import::matching::{self, Status};
use crate::import::plan;
use crate::models::audit::AuditAction;

pub const QUEUED: &str = "queued";
pub const ANALYSING: &str = "analysing";
pub const NEEDS_COLUMNS: &str = "needs_columns";
pub const READY: &str = "ready";
pub const FAILED: &str = "failed";
pub const INTERRUPTED: &str = "interrupted";
pub const IMPORTED: &str = "imported";
pub const CANCELLED: &str = "cancelled";

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
    pub status: String,
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
    pub fn rows_with(&self, status: Option<&str>) -> i64 {
        match status {
            None => self.rows_total,
            Some("new") => self.rows_new,
            Some("existing") => self.rows_existing,
            Some("needs_review") => self.rows_needs_review,
            Some("invalid") => self.rows_invalid,
            Some("duplicate_in_file") => self.rows_duplicate,
            Some(_) => 0,
        }
    }

    /// Why the rows left out of an import were, with how many of each (status, count).
    pub fn skipped_reasons(&self) -> Vec<(String, i64)> {
        self.outcome
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default()
    }

    /// A SimplePractice export (clients with their documents), not a client list.
    pub fn is_export(&self) -> bool {
        self.format.as_deref() == Some(SIMPLEPRACTICE)
    }

    /// The analysis has not finished yet (it is waiting for or in a worker).
    pub fn in_progress(&self) -> bool {
        self.status == QUEUED || self.status == ANALYSING
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_rows)]
pub struct ImportRow {
    pub position: i64,
    pub source_row: i64,
    pub source: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub status: String,
    pub reasons: String,
    pub matched_client_id: Option<String>,
    pub selected: bool,
    pub linked_client_id: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub documents: Option<String>,
    pub takes_documents: bool,
    /// An export's card whose documents a namesake's card may claim too.
    pub shares_folder: bool,
}

impl ImportRow {
    /// The documents found for the row's person: (kind, count).
    pub fn document_counts(&self) -> Vec<(String, usize)> {
        self.documents
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
    }

    pub fn reasons(&self) -> Vec<String> {
        serde_json::from_str(&self.reasons).unwrap_or_default()
    }

    fn candidate(&self) -> Candidate {
        Candidate {
            row: usize::try_from(self.source_row).unwrap_or(0),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            date_of_birth: self.date_of_birth,
            date_problem: None,
            source: self.source.clone(),
        }
    }
}

/// The row of a batch whose handle proves whose it is.
pub(super) fn this(
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
            import_batches::status.eq(QUEUED),
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
        .filter(import_batches::status.ne(CANCELLED))
        .order(import_batches::created_at.desc())
        .limit(200)
        .select(ImportBatch::as_select())
        .load(conn)
}

fn set_status(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(import_batches::table.filter(import_batches::id.eq(id)))
        .set((
            import_batches::status.eq(status),
            import_batches::error.eq(error),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The worker took the batch: only a queued one (a cancelled batch stays cancelled).
pub fn start_analysis(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    let n = diesel::update(
        import_batches::table
            .filter(import_batches::id.eq(id))
            .filter(import_batches::status.eq(QUEUED)),
    )
    .set((
        import_batches::status.eq(ANALYSING),
        import_batches::progress_done.eq(0i64),
        import_batches::progress_total.eq(0i64),
        import_batches::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_progress(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    label: &str,
    done: usize,
    total: usize,
) -> QueryResult<()> {
    let id = batch.id.as_str();
    diesel::update(
        import_batches::table
            .filter(import_batches::id.eq(id))
            .filter(import_batches::status.eq(ANALYSING)),
    )
    .set((
        import_batches::progress_label.eq(label),
        import_batches::progress_done.eq(done as i64),
        import_batches::progress_total.eq(total as i64),
    ))
    .execute(conn)
    .map(|_| ())
}

/// The file cannot be imported; `message` says why and what to do.
/// Only a batch still being checked (or waiting) fails: a cancelled one stays cancelled.
pub fn fail(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    message: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let id = batch.id.as_str();
    diesel::update(
        import_batches::table
            .filter(import_batches::id.eq(id))
            .filter(import_batches::status.eq_any([QUEUED, ANALYSING, READY])),
    )
    .set((
        import_batches::status.eq(FAILED),
        import_batches::error.eq(message),
        import_batches::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|_| ())
}

/// The columns must be picked by hand; `details` holds the headers and first rows.
pub fn ask_for_columns(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    message: &str,
    format: &str,
    details: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let id = batch.id.as_str();
    diesel::update(
        import_batches::table
            .filter(import_batches::id.eq(id))
            .filter(import_batches::status.eq(ANALYSING)),
    )
    .set((
        import_batches::status.eq(NEEDS_COLUMNS),
        import_batches::error.eq(message),
        import_batches::format.eq(format),
        import_batches::details.eq(details),
        import_batches::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Analyses cut short by a stop of the server: they will not finish, so say so.
pub fn interrupt_unfinished(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = import_batches::table
        .filter(import_batches::status.eq_any([QUEUED, ANALYSING]))
        .select(import_batches::id)
        .load(conn)?;
    for id in &ids {
        set_status(
            conn,
            id,
            INTERRUPTED,
            Some("The server restarted while this file was being checked, so the check did not finish. Nothing was imported. Upload the file again."),
            now,
        )?;
    }
    Ok(ids)
}

/// Imports left waiting for review or for columns longer than `days` before `now`:
/// cancelled, with their rows, so a forgotten upload does not keep people's details.
/// Returns their ids.
pub fn expire_abandoned(
    conn: &mut DbConnection,
    days: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let before = now - chrono::Duration::days(days);
    let ids: Vec<String> = import_batches::table
        .filter(import_batches::status.eq_any([READY, NEEDS_COLUMNS]))
        .filter(import_batches::updated_at.lt(before))
        .select(import_batches::id)
        .load(conn)?;
    for id in &ids {
        write_transaction(conn, |conn| {
            diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id)))
                .execute(conn)?;
            set_status(
                conn,
                id,
                CANCELLED,
                Some("Left unreviewed for too long; cancelled."),
                now,
            )
        })?;
    }
    Ok(ids)
}

/// Imports started from the command line that did not finish (the process was killed
/// or the commit failed) and are older than `hours`: no page leads anyone back to finish
/// them, so their rows (people's details) are deleted, and those still waiting are
/// cancelled. Returns the ids of the batches cancelled.
pub fn expire_unfinished_cli(
    conn: &mut DbConnection,
    hours: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let before = now - chrono::Duration::hours(hours);
    let stale: Vec<(String, String)> = import_batches::table
        .filter(import_batches::origin.eq(CLI))
        .filter(import_batches::status.eq_any([
            QUEUED,
            ANALYSING,
            READY,
            NEEDS_COLUMNS,
            INTERRUPTED,
            FAILED,
        ]))
        .filter(import_batches::updated_at.lt(before))
        .select((import_batches::id, import_batches::status))
        .load(conn)?;
    let mut cancelled = Vec::new();
    for (id, status) in &stale {
        let waiting = [QUEUED, ANALYSING, READY, NEEDS_COLUMNS].contains(&status.as_str());
        write_transaction(conn, |conn| {
            diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id)))
                .execute(conn)?;
            if waiting {
                set_status(
                    conn,
                    id,
                    CANCELLED,
                    Some("Started from the command line and not finished; cancelled."),
                    now,
                )?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        if waiting {
            cancelled.push(id.clone());
        }
    }
    Ok(cancelled)
}

/// Asks for a fresh analysis with another sheet or hand-picked columns.
pub fn reanalyse(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    sheet: Option<&str>,
    column_choice: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    write_transaction(conn, |conn| {
        let n = diesel::update(
            this(batch).filter(import_batches::status.eq_any([READY, NEEDS_COLUMNS])),
        )
        .set((
            import_batches::status.eq(QUEUED),
            import_batches::sheet.eq(sheet),
            import_batches::column_choice.eq(column_choice),
            import_batches::error.eq(None::<String>),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 1 {
            diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id)))
                .execute(conn)?;
        }
        Ok(n == 1)
    })
}

/// Drops a batch that was not imported, with its rows.
pub fn cancel(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    write_transaction(conn, |conn| {
        let n = diesel::update(this(batch).filter(import_batches::status.ne(IMPORTED)))
            .set((
                import_batches::status.eq(CANCELLED),
                import_batches::updated_at.eq(now),
            ))
            .execute(conn)?;
        if n == 1 {
            diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id)))
                .execute(conn)?;
        }
        Ok(n == 1)
    })
}

#[derive(Insertable)]
#[diesel(table_name = import_rows, treat_none_as_default_value = false)]
pub(super) struct NewImportRow<'a> {
    pub batch_id: &'a str,
    pub position: i64,
    pub source_row: i64,
    pub source: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub date_of_birth: Option<NaiveDate>,
    pub status: &'static str,
    pub reasons: String,
    pub matched_client_id: Option<&'a str>,
    pub selected: bool,
    pub linked_client_id: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub documents: Option<String>,
    pub takes_documents: bool,
    pub shares_folder: bool,
}

/// Stores a finished analysis: every reviewed row and the counts, in one transaction.
pub fn save_analysis(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    analysis: &Analysis,
    details: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    let summary = plan::Summary::of(&analysis.rows);
    let rows: Vec<NewImportRow> = analysis
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = &r.candidate;
            NewImportRow {
                batch_id: id,
                position: i as i64 + 1,
                source_row: c.row as i64,
                source: c.source.as_deref(),
                first_name: c.first_name.as_deref(),
                last_name: c.last_name.as_deref(),
                email: c.email.as_deref(),
                phone: c.phone.as_deref(),
                date_of_birth: c.date_of_birth,
                status: r.status.as_str(),
                reasons: serde_json::to_string(&r.reasons).unwrap_or_else(|_| "[]".into()),
                matched_client_id: r.matched_client_id.as_deref(),
                selected: r.selected,
                linked_client_id: None,
                display_name: None,
                external_id: None,
                documents: None,
                takes_documents: false,
                shares_folder: false,
            }
        })
        .collect();
    let head = StoredHead {
        format: analysis.format.as_str(),
        layout: analysis.layout,
        sheet: analysis.sheet.as_deref(),
        details,
        summary,
    };
    store_rows(conn, batch, &head, &rows, now)
}

/// What a finished analysis says about the batch as a whole.
pub(super) struct StoredHead<'a> {
    pub format: &'a str,
    pub layout: Option<&'a str>,
    pub sheet: Option<&'a str>,
    pub details: &'a str,
    pub summary: plan::Summary,
}

/// Marks a batch ready with its rows, in one transaction — only while it is being
/// analysed: a batch cancelled meanwhile stays cancelled (and `false` says so).
pub(super) fn store_rows(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    head: &StoredHead<'_>,
    rows: &[NewImportRow<'_>],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    let summary = &head.summary;
    write_transaction(conn, |conn| {
        let n = diesel::update(
            import_batches::table
                .filter(import_batches::id.eq(id))
                .filter(import_batches::status.eq(ANALYSING)),
        )
        .set((
            import_batches::status.eq(READY),
            import_batches::error.eq(None::<String>),
            import_batches::format.eq(head.format),
            import_batches::layout.eq(head.layout),
            import_batches::sheet.eq(head.sheet),
            import_batches::details.eq(head.details),
            import_batches::rows_total.eq(summary.rows as i64),
            import_batches::rows_new.eq(summary.new as i64),
            import_batches::rows_existing.eq(summary.existing as i64),
            import_batches::rows_needs_review.eq(summary.needs_review as i64),
            import_batches::rows_invalid.eq(summary.invalid as i64),
            import_batches::rows_duplicate.eq(summary.duplicate_in_file as i64),
            import_batches::rows_selected.eq(rows.iter().filter(|r| r.selected).count() as i64),
            import_batches::rows_linked
                .eq(rows.iter().filter(|r| r.linked_client_id.is_some()).count() as i64),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 0 {
            return Ok(false);
        }
        diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id))).execute(conn)?;
        // 19 columns: 1,500 rows stay under SQLite's limit of bound parameters.
        for chunk in rows.chunks(1500) {
            match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(import_rows::table)
                    .values(chunk)
                    .execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(import_rows::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        Ok(true)
    })
}

/// One page of a batch's rows, optionally of one status. How many rows there are is kept
/// with the batch (`ImportBatch::rows_with`): counting 100,000 rows per page would not do.
pub fn rows_page(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    status: Option<&str>,
    page: i64,
) -> QueryResult<Vec<ImportRow>> {
    let id = batch.id.as_str();
    let mut q = import_rows::table
        .filter(import_rows::batch_id.eq(id.to_string()))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(import_rows::status.eq(s.to_string()));
    }
    q.order(import_rows::position)
        .limit(ROWS_PER_PAGE)
        .offset(page.clamp(1, i64::MAX / ROWS_PER_PAGE).saturating_sub(1) * ROWS_PER_PAGE)
        .select(ImportRow::as_select())
        .load(conn)
}

/// Names of the provider's clients by id, for the rows that point at one.
pub fn client_names(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[String],
) -> QueryResult<Vec<(String, String, String, String)>> {
    scope
        .clients()
        .filter(clients::id.eq_any(ids))
        .select((
            clients::id,
            clients::first_name,
            clients::last_name,
            clients::email,
        ))
        .load(conn)
}

/// What the provider decided for one row on the review page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDecision {
    pub position: i64,
    /// Import as a new client.
    pub selected: bool,
    /// "This is that existing client": nothing is imported for the row.
    pub link_to: Option<String>,
    /// A corrected email address, when the provider typed one.
    pub email: Option<String>,
    /// A SimplePractice export's row gets its (shared) folder's documents.
    pub takes_documents: bool,
}

/// Saves the decisions for rows of a batch that is ready for review. A corrected email is
/// checked again against the list and the file, as the analysis would; a row is only
/// selected when it could be imported, and only linked to the client it matched.
pub fn decide(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    decisions: &[RowDecision],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (scope, id) = (batch.scope(), batch.id.as_str());
    write_transaction(conn, |conn| {
        // Touching the batch first takes its lock: a second tab or an import waits, and a
        // batch no longer under review is left alone.
        let open = diesel::update(this(batch).filter(import_batches::status.eq(READY)))
            .set(import_batches::updated_at.eq(now))
            .execute(conn)?;
        if open == 0 {
            return Ok(());
        }
        let current = reload(conn, batch)?;
        let export = current.is_export();
        // One decision per row, whatever the form repeated.
        let mut seen = std::collections::HashSet::new();
        let decisions: Vec<&RowDecision> = decisions
            .iter()
            .filter(|d| seen.insert(d.position))
            .collect();
        let positions: Vec<i64> = decisions.iter().map(|d| d.position).collect();
        let rows: Vec<ImportRow> = import_rows::table
            .filter(import_rows::batch_id.eq(id))
            .filter(import_rows::position.eq_any(&positions))
            .select(ImportRow::as_select())
            .load(conn)?;
        let mut counts = Counts::of(&current);
        for d in decisions {
            let Some(row) = rows.iter().find(|r| r.position == d.position) else {
                continue;
            };
            counts.take(
                row.status.as_str(),
                row.selected,
                row.linked_client_id.is_some(),
            );
            let mut row = row.clone();
            let corrected = d
                .email
                .as_deref()
                .map(crate::domain::email::address_in)
                .filter(|e| !e.is_empty() && Some(*e) != row.email.as_deref());
            if let Some(email) = corrected {
                if row.status == Status::Invalid.as_str()
                    || row.status == Status::NeedsReview.as_str()
                {
                    row = review_again(conn, batch, row, email)?;
                }
            }
            // In an export, existing clients are selected to receive their documents, and
            // an uncertain card may be matched by hand to any client on the list.
            let (selected, linked) = if row.status == Status::New.as_str()
                || (export && row.status == Status::Existing.as_str())
            {
                (d.selected, None)
            } else if row.status == Status::NeedsReview.as_str()
                || (export && row.status == Status::Invalid.as_str())
            {
                let link = match d.link_to.clone() {
                    Some(l) if export => scope.client(conn, &ClientId(l.clone()))?.map(|_| l),
                    Some(l) => Some(l).filter(|l| row.matched_client_id.as_ref() == Some(l)),
                    None => None,
                };
                // Importing as new needs an email no client has (the list keeps one per
                // address); repeats within the file are caught when importing.
                let wanted =
                    link.is_none() && d.selected && row.status == Status::NeedsReview.as_str();
                let can_be_new = wanted && !email_taken(conn, scope, row.email.as_deref())?;
                (can_be_new, link)
            } else {
                (false, None)
            };
            diesel::update(
                import_rows::table
                    .filter(import_rows::batch_id.eq(id))
                    .filter(import_rows::position.eq(row.position)),
            )
            .set((
                import_rows::email.eq(&row.email),
                import_rows::status.eq(&row.status),
                import_rows::reasons.eq(&row.reasons),
                import_rows::matched_client_id.eq(&row.matched_client_id),
                import_rows::selected.eq(selected),
                import_rows::linked_client_id.eq(&linked),
                import_rows::takes_documents.eq(if export {
                    d.takes_documents
                } else {
                    row.takes_documents
                }),
            ))
            .execute(conn)?;
            counts.add(row.status.as_str(), selected, linked.is_some());
        }
        counts.save(conn, id)
    })
}

/// The batch's per-status and per-choice counts, kept up to date as rows change.
struct Counts {
    by_status: [(&'static str, i64); 5],
    selected: i64,
    linked: i64,
}

impl Counts {
    fn of(b: &ImportBatch) -> Self {
        Counts {
            by_status: [
                (Status::New.as_str(), b.rows_new),
                (Status::Existing.as_str(), b.rows_existing),
                (Status::NeedsReview.as_str(), b.rows_needs_review),
                (Status::Invalid.as_str(), b.rows_invalid),
                (Status::DuplicateInFile.as_str(), b.rows_duplicate),
            ],
            selected: b.rows_selected,
            linked: b.rows_linked,
        }
    }

    fn change(&mut self, status: &str, selected: bool, linked: bool, by: i64) {
        if let Some((_, n)) = self.by_status.iter_mut().find(|(s, _)| *s == status) {
            *n += by;
        }
        self.selected += i64::from(selected) * by;
        self.linked += i64::from(linked) * by;
    }

    fn take(&mut self, status: &str, selected: bool, linked: bool) {
        self.change(status, selected, linked, -1);
    }

    fn add(&mut self, status: &str, selected: bool, linked: bool) {
        self.change(status, selected, linked, 1);
    }

    fn save(&self, conn: &mut DbConnection, id: &str) -> QueryResult<()> {
        let n = |i: usize| self.by_status[i].1;
        diesel::update(import_batches::table.filter(import_batches::id.eq(id)))
            .set((
                import_batches::rows_new.eq(n(0)),
                import_batches::rows_existing.eq(n(1)),
                import_batches::rows_needs_review.eq(n(2)),
                import_batches::rows_invalid.eq(n(3)),
                import_batches::rows_duplicate.eq(n(4)),
                import_batches::rows_selected.eq(self.selected),
                import_batches::rows_linked.eq(self.linked),
            ))
            .execute(conn)
            .map(|_| ())
    }
}

fn email_taken(conn: &mut DbConnection, scope: &Scope, email: Option<&str>) -> QueryResult<bool> {
    let Some(email) = email else {
        return Ok(false);
    };
    super::client::find_id_by_email(conn, scope, &normalize(email)).map(|c| c.is_some())
}

/// One row reviewed again with a corrected email: against the clients it could be (same
/// email or same name) and against the other rows of the file.
fn review_again(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    mut row: ImportRow,
    email: &str,
) -> QueryResult<ImportRow> {
    let batch_id = batch.id.as_str();
    let norm = normalize(email);
    let existing = super::client::for_matching_one(
        conn,
        batch.scope(),
        &norm,
        row.first_name.as_deref().unwrap_or(""),
        row.last_name.as_deref().unwrap_or(""),
    )?;
    // Notes about the row itself, not about whom it matches, stay.
    let kept_notes: Vec<String> = row
        .reasons()
        .into_iter()
        .filter(|r| {
            r.contains("date of birth")
                || r.contains(crate::import::simplepractice::SHARED_FOLDER)
                || r.starts_with(crate::import::simplepractice::NO_RECORDS)
        })
        .collect();
    let mut candidate = row.candidate();
    candidate.email = Some(email.to_string());
    let Some(mut reviewed) = matching::review(vec![candidate], &existing).pop() else {
        return Ok(row);
    };
    let other_rows: Vec<(i64, i64, Option<String>)> = import_rows::table
        .filter(import_rows::batch_id.eq(batch_id))
        .filter(import_rows::position.ne(row.position))
        .filter(import_rows::email.is_not_null())
        .select((
            import_rows::position,
            import_rows::source_row,
            import_rows::email,
        ))
        .load(conn)?;
    if let Some((_, source_row, _)) = other_rows
        .iter()
        .find(|(_, _, e)| e.as_deref().map(normalize).as_deref() == Some(norm.as_str()))
    {
        if reviewed.status == Status::New {
            reviewed.status = Status::NeedsReview;
            reviewed.reasons.insert(
                0,
                format!("Row {source_row} has the same email address; Caseload keeps one client per email address."),
            );
        }
    }
    for note in kept_notes {
        if !reviewed.reasons.contains(&note) {
            reviewed.reasons.push(note);
        }
    }
    // A card whose documents a namesake may claim stays to be reviewed.
    if row.shares_folder && matches!(reviewed.status, Status::New | Status::Existing) {
        reviewed.status = Status::NeedsReview;
    }
    row.email = Some(email.to_string());
    row.status = reviewed.status.as_str().to_string();
    row.reasons = serde_json::to_string(&reviewed.reasons).unwrap_or_else(|_| "[]".into());
    row.matched_client_id = reviewed.matched_client_id;
    Ok(row)
}

/// Why an import could not be written; nothing was.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("{0}")]
    Conflict(String),
    #[error("This import is not ready: its file is still being checked, or it was cancelled.")]
    NotReady,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitOutcome {
    pub imported: i64,
    pub linked: i64,
    pub skipped: i64,
    /// The batch had been imported already (a second submit): nothing was done now.
    pub already_done: bool,
}

pub(super) fn list_rows(rows: &[i64]) -> String {
    let mut shown: Vec<String> = rows.iter().take(10).map(|r| r.to_string()).collect();
    if rows.len() > 10 {
        shown.push(format!("and {} more", rows.len() - 10));
    }
    shown.join(", ")
}

/// Whether `take_for_import` took the batch now, or found it imported already.
pub enum Taken {
    Now,
    AlreadyDone(Box<ImportBatch>),
}

/// Marks a batch under review imported, first thing in the import's transaction: that
/// update is the lock, so a second submit waits here, then finds the batch imported.
pub(super) fn take_for_import(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    now: NaiveDateTime,
) -> Result<Taken, CommitError> {
    let took = diesel::update(this(batch).filter(import_batches::status.eq(READY)))
        .set((
            import_batches::status.eq(IMPORTED),
            import_batches::imported_at.eq(now),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
    if took == 1 {
        return Ok(Taken::Now);
    }
    let b = reload(conn, batch)?.into_row();
    if b.status == IMPORTED {
        Ok(Taken::AlreadyDone(Box::new(b)))
    } else {
        Err(CommitError::NotReady)
    }
}

/// The rows the provider selected, in file order.
pub(super) fn selected_rows(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
) -> QueryResult<Vec<ImportRow>> {
    let id = batch.id.as_str();
    import_rows::table
        .filter(import_rows::batch_id.eq(id))
        .filter(import_rows::selected.eq(true))
        .order(import_rows::position)
        .select(ImportRow::as_select())
        .load(conn)
}

/// Inserts `rows` as new clients with their audit entries, after checking that each is
/// valid, that no two share an email and that no client on the list has one of them;
/// returns their ids in the same order.
pub(super) fn insert_new_clients(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    rows: &[&ImportRow],
    now: NaiveDateTime,
) -> Result<Vec<ClientId>, CommitError> {
    let mut to_add = Vec::with_capacity(rows.len());
    let mut unusable = Vec::new();
    let mut first_by_email = std::collections::HashMap::new();
    let mut repeated = Vec::new();
    for r in rows {
        match plan::details_from(
            r.first_name.as_deref(),
            r.last_name.as_deref(),
            r.email.as_deref(),
            r.phone.as_deref(),
            r.date_of_birth,
        ) {
            Some(d) => {
                if first_by_email
                    .insert(d.email.normalized().to_string(), r.source_row)
                    .is_some()
                {
                    repeated.push(r.source_row);
                }
                to_add.push((d, OnboardingFacts::default()));
            }
            None => unusable.push(r.source_row),
        }
    }
    if !unusable.is_empty() {
        return Err(CommitError::Conflict(format!(
            "{} {} {} a valid name or email address. Unselect {} or correct the email, then import again.",
            plural(unusable.len(), "Row", "Rows"),
            list_rows(&unusable),
            plural(unusable.len(), "lacks", "lack"),
            plural(unusable.len(), "it", "them"),
        )));
    }
    if !repeated.is_empty() {
        return Err(CommitError::Conflict(format!(
            "{} {} {} the same email address as another selected row. Keep one of each, then import again.",
            plural(repeated.len(), "Row", "Rows"),
            list_rows(&repeated),
            plural(repeated.len(), "has", "have"),
        )));
    }
    // Clients added since the review (another import, another tab) keep their email.
    let emails: Vec<String> = first_by_email.keys().cloned().collect();
    let mut taken = Vec::new();
    for chunk in emails.chunks(5000) {
        let found: Vec<String> = batch
            .scope()
            .clients()
            .filter(clients::email_normalized.eq_any(chunk))
            .select(clients::email_normalized)
            .load(conn)?;
        taken.extend(found.iter().filter_map(|e| first_by_email.get(e).copied()));
    }
    if !taken.is_empty() {
        taken.sort_unstable();
        return Err(CommitError::Conflict(format!(
            "{} {} now {} the email of a client on your list (added since this file was checked). Nothing was imported. Upload the file again for a fresh review.",
            plural(taken.len(), "Row", "Rows"),
            list_rows(&taken),
            plural(taken.len(), "has", "have"),
        )));
    }
    let ids = super::client::insert_many(conn, batch.scope(), &to_add, now).map_err(|e| match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            CommitError::Conflict("Another import added some of these clients at the same moment. Nothing was imported from this file. Upload it again for a fresh review.".into())
        }
        other => other.into(),
    })?;
    record_imported(conn, batch, &ids, now)?;
    Ok(ids)
}

/// What the caller does, inside the import's transaction, for the clients an import
/// creates (the web flow and the CLI queue their invitations): the import itself knows
/// nothing of onboarding, so models never depend on it.
pub type OnCreated<'a> =
    Option<&'a dyn Fn(&mut DbConnection, &[ClientId], NaiveDateTime) -> QueryResult<()>>;

/// Stores what the import did and deletes the rows: the counts say what happened; the
/// rows (people left out too) are not kept.
pub(super) fn finish_import(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    counts: FinishedCounts,
) -> QueryResult<()> {
    let id = batch.id.as_str();
    let skipped =
        serde_json::to_string(&skipped_reasons(conn, id, counts.existing_can_be_skipped)?)
            .unwrap_or_default();
    diesel::update(import_batches::table.filter(import_batches::id.eq(id)))
        .set((
            import_batches::imported_count.eq(counts.imported),
            import_batches::linked_count.eq(counts.linked),
            import_batches::skipped_count.eq(counts.skipped),
            import_batches::documents_count.eq(counts.documents),
            import_batches::clients_with_documents.eq(counts.clients_with_documents),
            import_batches::invited.eq(counts.invited),
            import_batches::outcome.eq(skipped),
        ))
        .execute(conn)?;
    diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id))).execute(conn)?;
    Ok(())
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FinishedCounts {
    pub imported: i64,
    pub linked: i64,
    pub skipped: i64,
    pub documents: i64,
    pub clients_with_documents: i64,
    pub invited: bool,
    /// An export's existing clients are chosen too (to get documents): left unchecked,
    /// they were skipped.
    pub existing_can_be_skipped: bool,
}

/// Writes every selected row as a new client, with its audit entry (and what `on_created`
/// does for them), and marks the batch imported — one transaction, all or nothing. A second
/// call finds the batch imported and writes nothing.
pub fn commit(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    on_created: OnCreated<'_>,
    now: NaiveDateTime,
) -> Result<CommitOutcome, CommitError> {
    let id = batch.id.as_str();
    write_transaction(conn, |conn| {
        if let Taken::AlreadyDone(b) = take_for_import(conn, batch, now)? {
            return Ok(CommitOutcome {
                imported: b.imported_count,
                linked: b.linked_count,
                skipped: b.skipped_count,
                already_done: true,
            });
        }
        let selected = selected_rows(conn, batch)?;
        let rows: Vec<&ImportRow> = selected.iter().collect();
        let ids = insert_new_clients(conn, batch, &rows, now)?;
        if let Some(after) = on_created {
            after(conn, &ids, now)?;
        }
        let rows_total = reload(conn, batch)?.rows_total;
        let linked: i64 = import_rows::table
            .filter(import_rows::batch_id.eq(id))
            .filter(
                import_rows::linked_client_id
                    .is_not_null()
                    .or(import_rows::status.eq(Status::Existing.as_str())),
            )
            .count()
            .get_result(conn)?;
        let imported = ids.len() as i64;
        let outcome = CommitOutcome {
            imported,
            linked,
            skipped: rows_total - imported - linked,
            already_done: false,
        };
        finish_import(
            conn,
            batch,
            FinishedCounts {
                imported,
                linked,
                skipped: outcome.skipped,
                invited: on_created.is_some() && imported > 0,
                ..Default::default()
            },
        )?;
        Ok(outcome)
    })
}

/// The clients an import created (its audit entries say which), for the welcome email.
pub fn imported_clients(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
) -> QueryResult<Vec<super::scope::OwnedClient>> {
    let ids: Vec<Option<String>> = batch
        .scope()
        .audit_events()
        .filter(audit_events::action.eq(AuditAction::ClientImported.as_str()))
        .filter(audit_events::subject.eq(format!("import:{}", batch.id)))
        .select(audit_events::client_id)
        .load(conn)?;
    let ids: Vec<ClientId> = ids.into_iter().flatten().map(ClientId).collect();
    super::client::find_many(conn, batch.scope(), &ids)
}

/// One audit entry per imported client, written in batches like the clients themselves.
pub(super) fn record_imported(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    ids: &[ClientId],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let subject = format!("import:{}", batch.id);
    let events: Vec<(&ClientId, &str)> = ids.iter().map(|c| (c, subject.as_str())).collect();
    super::audit::record_many(
        conn,
        batch.provider_id(),
        AuditAction::ClientImported,
        &events,
        at,
    )
}

/// Why the rows that were not imported were left out, with how many of each; called by
/// `commit` for the batch it holds.
fn skipped_reasons(
    conn: &mut DbConnection,
    id: &str,
    existing_can_be_skipped: bool,
) -> QueryResult<Vec<(String, i64)>> {
    let leave_out = if existing_can_be_skipped {
        ""
    } else {
        Status::Existing.as_str()
    };
    import_rows::table
        .filter(import_rows::batch_id.eq(id))
        .filter(import_rows::selected.eq(false))
        .filter(import_rows::linked_client_id.is_null())
        .filter(import_rows::status.ne(leave_out))
        .group_by(import_rows::status)
        .select((import_rows::status, diesel::dsl::count_star()))
        .order(import_rows::status)
        .load(conn)
}
