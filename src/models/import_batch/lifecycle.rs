//! Where a batch stands: taken by a worker, its progress, failed, waiting for columns,
//! interrupted by a restart, expired, sent back for another reading, or cancelled.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::BatchStatus::{
    self, Analysing, Cancelled, Failed, Imported, Interrupted, NeedsColumns, Queued, Ready,
};
use super::{this, CLI};
use crate::db::schema::{import_batches, import_rows};
use crate::db::{write_transaction, DbConnection};
use crate::models::scope::OwnedBatch;

fn set_status(
    conn: &mut DbConnection,
    id: &str,
    status: BatchStatus,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(import_batches::table.filter(import_batches::id.eq(id)))
        .set((
            import_batches::status.eq(status.as_str()),
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
            .filter(import_batches::status.eq(Queued.as_str())),
    )
    .set((
        import_batches::status.eq(Analysing.as_str()),
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
            .filter(import_batches::status.eq(Analysing.as_str())),
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
            .filter(import_batches::status.eq_any([
                Queued.as_str(),
                Analysing.as_str(),
                Ready.as_str(),
            ])),
    )
    .set((
        import_batches::status.eq(Failed.as_str()),
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
            .filter(import_batches::status.eq(Analysing.as_str())),
    )
    .set((
        import_batches::status.eq(NeedsColumns.as_str()),
        import_batches::error.eq(message),
        import_batches::format.eq(format),
        import_batches::details.eq(details),
        import_batches::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Marks a batch whose file is kept as waiting for a worker of any instance, unless
/// `max_waiting` others wait already (the server is busy). Returns whether it waits.
pub fn queue_for_analysis(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    now: NaiveDateTime,
    max_waiting: usize,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let waiting: i64 = import_batches::table
            .filter(import_batches::status.eq(Queued.as_str()))
            .filter(import_batches::analysis_due_at.is_not_null())
            .filter(import_batches::id.ne(batch.id.as_str()))
            .count()
            .get_result(conn)?;
        if waiting >= max_waiting as i64 {
            return Ok(false);
        }
        let n = diesel::update(this(batch).filter(import_batches::status.eq(Queued.as_str())))
            .set((
                import_batches::analysis_due_at.eq(now),
                import_batches::analysis_attempts.eq(0),
                import_batches::claimed_by.eq(None::<String>),
                import_batches::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(n == 1)
    })
}

/// Checks of one file that may stop unfinished (its instance died: a crash, a restart,
/// memory run out) before the file is given up on.
pub const MAX_ANALYSIS_ATTEMPTS: i32 = 3;

/// What [`claim_analysis`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This batch is the caller's to analyse now (its status is `analysing`).
    Analyse(String),
    /// This batch's checking stopped too often; it is marked interrupted, its upload
    /// is the caller's to let go.
    GivenUp(String),
}

/// Takes the next file waiting for analysis — queued, or being checked by an instance
/// whose claim ended without news (it died) — for `holder` until `lease_until`. Imports
/// run by the command line are its own, never a worker's. On PostgreSQL the row is locked
/// and others skip it (`FOR UPDATE SKIP LOCKED`); SQLite's write lock takes workers in turn.
pub fn claim_analysis(
    conn: &mut DbConnection,
    holder: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<Claim>> {
    let claimable = || {
        import_batches::table
            .filter(import_batches::origin.ne(CLI))
            .filter(
                import_batches::status
                    .eq(Queued.as_str())
                    .and(import_batches::analysis_due_at.le(now))
                    .or(import_batches::status
                        .eq(Analysing.as_str())
                        .and(import_batches::lease_until.le(now))),
            )
            .order(import_batches::analysis_due_at.asc())
    };
    // Idle workers ask often: a plain read says "nothing" without taking any lock.
    let any: Option<String> = claimable()
        .select(import_batches::id)
        .first(conn)
        .optional()?;
    if any.is_none() {
        return Ok(None);
    }
    write_transaction(conn, |conn| {
        let waiting = claimable()
            .limit(1)
            .select((import_batches::id, import_batches::analysis_attempts));
        let next: Option<(String, i32)> = match conn {
            DbConnection::Postgres(c) => waiting.for_update().skip_locked().first(c).optional()?,
            DbConnection::Sqlite(c) => waiting.first(c).optional()?,
        };
        let Some((id, attempts)) = next else {
            return Ok(None);
        };
        if attempts >= MAX_ANALYSIS_ATTEMPTS {
            set_status(
                conn,
                &id,
                Interrupted,
                Some("Checking this file stopped before it finished, more than once (the server restarted or ran out of memory). Nothing was imported. Upload the file again; if it keeps happening, tell whoever runs this server."),
                now,
            )?;
            return Ok(Some(Claim::GivenUp(id)));
        }
        diesel::update(import_batches::table.filter(import_batches::id.eq(&id)))
            .set((
                import_batches::status.eq(Analysing.as_str()),
                import_batches::claimed_by.eq(holder),
                import_batches::lease_until.eq(lease_until),
                import_batches::analysis_attempts.eq(attempts + 1),
                import_batches::progress_done.eq(0i64),
                import_batches::progress_total.eq(0i64),
                import_batches::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(Some(Claim::Analyse(id)))
    })
}

/// Keeps `holder`'s claim on a batch it is still checking; false when another worker
/// took it over meanwhile.
pub fn renew_claim(
    conn: &mut DbConnection,
    id: &str,
    holder: &str,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        import_batches::table
            .filter(import_batches::id.eq(id))
            .filter(import_batches::status.eq(Analysing.as_str()))
            .filter(import_batches::claimed_by.eq(holder)),
    )
    .set(import_batches::lease_until.eq(lease_until))
    .execute(conn)
    .map(|n| n == 1)
}

/// Uploads through the web that never finished arriving (the instance taking them
/// stopped) and are older than `hours`: cancelled. Returns their ids.
pub fn expire_never_queued(
    conn: &mut DbConnection,
    hours: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let before = now - chrono::Duration::hours(hours);
    let ids: Vec<String> = import_batches::table
        .filter(import_batches::origin.ne(CLI))
        .filter(import_batches::status.eq(Queued.as_str()))
        .filter(import_batches::analysis_due_at.is_null())
        .filter(import_batches::updated_at.lt(before))
        .select(import_batches::id)
        .load(conn)?;
    for id in &ids {
        set_status(
            conn,
            id,
            Cancelled,
            Some(
                "The upload did not finish arriving. Nothing was imported. Upload the file again.",
            ),
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
        .filter(import_batches::status.eq_any([Ready.as_str(), NeedsColumns.as_str()]))
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
                Cancelled,
                Some("Left unreviewed for too long; cancelled."),
                now,
            )
        })?;
    }
    Ok(ids)
}

/// The rows an import left out (people who are not clients) are deleted `days` after the
/// import, as "Delete this list" would; the counts stay. Returns how many batches lost
/// their list.
pub fn expire_left_out(
    conn: &mut DbConnection,
    days: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let before = now - chrono::Duration::days(days);
    let imported = import_batches::table
        .filter(import_batches::status.eq(Imported.as_str()))
        .filter(import_batches::imported_at.lt(before))
        .select(import_batches::id);
    let batches: Vec<String> = import_rows::table
        .filter(import_rows::batch_id.eq_any(imported))
        .select(import_rows::batch_id)
        .distinct()
        .load(conn)?;
    for chunk in batches.chunks(500) {
        diesel::delete(import_rows::table.filter(import_rows::batch_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(batches.len())
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
            Queued.as_str(),
            Analysing.as_str(),
            Ready.as_str(),
            NeedsColumns.as_str(),
            Interrupted.as_str(),
            Failed.as_str(),
        ]))
        .filter(import_batches::updated_at.lt(before))
        .select((import_batches::id, import_batches::status))
        .load(conn)?;
    let mut cancelled = Vec::new();
    for (id, status) in stale {
        let waiting = [Queued, Analysing, Ready, NeedsColumns].contains(&BatchStatus::from(status));
        write_transaction(conn, |conn| {
            diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(&id)))
                .execute(conn)?;
            if waiting {
                set_status(
                    conn,
                    &id,
                    Cancelled,
                    Some("Started from the command line and not finished; cancelled."),
                    now,
                )?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        if waiting {
            cancelled.push(id);
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
            this(batch)
                .filter(import_batches::status.eq_any([Ready.as_str(), NeedsColumns.as_str()])),
        )
        .set((
            import_batches::status.eq(Queued.as_str()),
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
        let n = diesel::update(this(batch).filter(import_batches::status.ne(Imported.as_str())))
            .set((
                import_batches::status.eq(Cancelled.as_str()),
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
