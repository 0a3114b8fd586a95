//! Importing a batch: the selected rows become clients (with their audit entries) and the
//! batch is marked imported, in one transaction; a second submit finds it done.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::BatchStatus::{Imported, Ready};
use super::{insert_new_clients, reload, this, ImportBatch, ImportRow};
use crate::db::ids::ClientId;
use crate::db::schema::{audit_events, import_batches, import_rows};
use crate::db::{bulk_write_transaction, write_transaction, DbConnection, PageCache};
use crate::import::matching::Status;
use crate::models::audit::AuditAction;
use crate::models::scope::OwnedBatch;

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
    pub timings: CommitTimings,
}

/// Where an import's time went inside its transaction (the commit is the rest), for the
/// benchmark's breakdown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitTimings {
    /// Reading the selected rows back.
    pub loading: std::time::Duration,
    /// Checking and writing the clients and their audit entries (the rows' details are
    /// prepared meanwhile on another thread).
    pub writing: std::time::Duration,
    /// The counts, the upload and the rows let go.
    pub finishing: std::time::Duration,
}

pub(in crate::models) fn list_rows(rows: &[i64]) -> String {
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
pub(in crate::models) fn take_for_import(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    now: NaiveDateTime,
) -> Result<Taken, CommitError> {
    let took = diesel::update(this(batch).filter(import_batches::status.eq(Ready.as_str())))
        .set((
            import_batches::status.eq(Imported.as_str()),
            import_batches::imported_at.eq(now),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
    if took == 1 {
        return Ok(Taken::Now);
    }
    let b = reload(conn, batch)?.into_row();
    if b.status == Imported {
        Ok(Taken::AlreadyDone(Box::new(b)))
    } else {
        Err(CommitError::NotReady)
    }
}

/// The rows the provider selected, in file order.
pub(in crate::models) fn selected_rows(
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

/// What the caller does, inside the import's transaction, for the clients an import
/// creates (the web flow and the CLI queue their invitations): the import itself knows
/// nothing of onboarding, so models never depend on it.
pub type OnCreated<'a> =
    Option<&'a dyn Fn(&mut DbConnection, &[ClientId], NaiveDateTime) -> QueryResult<()>>;

/// Stores what the import did and deletes the rows that became (or were) clients: the
/// counts say what happened, and the rows left out stay, with their reasons, for the
/// confirmation to list (and to download) until the provider deletes the list.
pub(in crate::models) fn finish_import(
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
    let done_with = import_rows::selected
        .eq(true)
        .or(import_rows::linked_client_id.is_not_null());
    if counts.existing_can_be_skipped {
        diesel::delete(
            import_rows::table
                .filter(import_rows::batch_id.eq(id))
                .filter(done_with),
        )
        .execute(conn)?;
    } else {
        // A list's rows already on the list were left as they are: not left out.
        diesel::delete(
            import_rows::table
                .filter(import_rows::batch_id.eq(id))
                .filter(done_with.or(import_rows::status.eq(Status::Existing.as_str()))),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The rows an import left out, in file order: `limit` of them from `offset`.
pub fn left_out_rows(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<ImportRow>> {
    // Only an import's: a batch under review has rows too, none of them left out yet.
    if reload(conn, batch)?.status != Imported {
        return Ok(Vec::new());
    }
    import_rows::table
        .filter(import_rows::batch_id.eq(batch.id.as_str()))
        .order(import_rows::position)
        .offset(offset.max(0))
        .limit(limit.max(0))
        .select(ImportRow::as_select())
        .load(conn)
}

/// Deletes the list of rows an import left out (the counts stay); `false` when the batch
/// was not imported.
pub fn forget_left_out(conn: &mut DbConnection, batch: &OwnedBatch) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        if reload(conn, batch)?.status != Imported {
            return Ok(false);
        }
        diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(batch.id.as_str())))
            .execute(conn)?;
        Ok(true)
    })
}

#[derive(Debug, Default, Clone, Copy)]
pub(in crate::models) struct FinishedCounts {
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
    bulk_write_transaction(conn, PageCache::Large, |conn| {
        if let Taken::AlreadyDone(b) = take_for_import(conn, batch, now)? {
            return Ok(CommitOutcome {
                imported: b.imported_count,
                linked: b.linked_count,
                skipped: b.skipped_count,
                already_done: true,
                timings: CommitTimings::default(),
            });
        }
        let mut timings = CommitTimings::default();
        let started = std::time::Instant::now();
        let selected = selected_rows(conn, batch)?;
        let rows: Vec<&ImportRow> = selected.iter().collect();
        timings.loading = started.elapsed();
        let started = std::time::Instant::now();
        let ids = insert_new_clients(conn, batch, &rows, now)?;
        if let Some(after) = on_created {
            after(conn, &ids, now)?;
        }
        timings.writing = started.elapsed();
        let started = std::time::Instant::now();
        let rows_total = reload(conn, batch)?.rows_total;
        // Each row is counted once: imported (selected), or left as the client it is,
        // or skipped; so no count is ever negative.
        let linked: i64 = import_rows::table
            .filter(import_rows::batch_id.eq(id))
            .filter(import_rows::selected.eq(false))
            .filter(
                import_rows::linked_client_id
                    .is_not_null()
                    .or(import_rows::status.eq(Status::Existing.as_str())),
            )
            .count()
            .get_result(conn)?;
        let imported = ids.len() as i64;
        // The upload goes with the import, all or nothing.
        crate::models::import_upload::delete(conn, id)?;
        let outcome = CommitOutcome {
            imported,
            linked,
            skipped: rows_total - imported - linked,
            already_done: false,
            timings,
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
        Ok(CommitOutcome {
            timings: CommitTimings {
                finishing: started.elapsed(),
                ..outcome.timings
            },
            ..outcome
        })
    })
}

/// The clients an import created (its audit entries say which), for the welcome email.
pub fn imported_clients(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
) -> QueryResult<Vec<crate::models::scope::OwnedClient>> {
    let ids: Vec<Option<String>> = batch
        .scope()
        .audit_events()
        .filter(audit_events::action.eq(AuditAction::ClientImported.as_str()))
        .filter(audit_events::subject.eq(format!("import:{}", batch.id)))
        .select(audit_events::client_id)
        .load(conn)?;
    let ids: Vec<ClientId> = ids.into_iter().flatten().map(ClientId).collect();
    crate::models::client::find_many(conn, batch.scope(), &ids)
}

/// The clients of `clients` who were sent a welcome email, with when the last one was
/// queued (the audit trail records each).
pub fn welcomed_at(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    clients: &[crate::models::scope::OwnedClient],
    welcome: &str,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    let mut out = Vec::new();
    let ids: Vec<&str> = clients.iter().map(|c| c.id.as_str()).collect();
    for chunk in ids.chunks(5000) {
        let found: Vec<(Option<String>, Option<NaiveDateTime>)> = batch
            .scope()
            .audit_events()
            .filter(audit_events::action.eq(AuditAction::EmailQueued.as_str()))
            .filter(audit_events::subject.eq(welcome))
            .filter(audit_events::client_id.eq_any(chunk))
            .group_by(audit_events::client_id)
            .select((
                audit_events::client_id,
                diesel::dsl::max(audit_events::created_at),
            ))
            .load(conn)?;
        out.extend(found.into_iter().filter_map(|(id, at)| Some((id?, at?))));
    }
    Ok(out)
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
