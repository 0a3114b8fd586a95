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

/// Analyses cut short by a stop of the server: they will not finish, so say so.
pub fn interrupt_unfinished(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = import_batches::table
        .filter(import_batches::status.eq_any([Queued.as_str(), Analysing.as_str()]))
        .select(import_batches::id)
        .load(conn)?;
    for id in &ids {
        set_status(
            conn,
            id,
            Interrupted,
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
