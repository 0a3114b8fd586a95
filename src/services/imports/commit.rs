//! Importing what the review selected: a client list's new clients, or an export's new
//! clients with every document (read from the export's stored archive) — one transaction,
//! all or nothing, with the invitations when asked. A second submit finds it done.

use super::ImportFiles;
use crate::db::DbConnection;
use crate::models::import_batch::{self, BatchStatus, OnCreated};
use crate::models::provider::Provider;
use crate::models::scope::OwnedBatch;
use crate::models::simplepractice_import;
use crate::services::Act;

/// How the import was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    Now,
    /// An earlier submit had done it: nothing was done now.
    AlreadyDone,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("No rows are selected, so there is nothing to import. Tick the clients to import (or choose “Import as a new client”), or cancel this import.")]
    NothingSelected,
    /// The rows cannot be imported as chosen (the message says why and what to do).
    #[error("{0}")]
    Conflict(String),
    /// The export's stored archive cannot be read any more.
    #[error("{0}")]
    Unreadable(String),
    /// The batch is not under review (still being checked, or cancelled).
    #[error("This import is not ready: its file is still being checked, or it was cancelled.")]
    NotReady,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<import_batch::CommitError> for CommitError {
    fn from(e: import_batch::CommitError) -> Self {
        match e {
            import_batch::CommitError::Conflict(m) => Self::Conflict(m),
            import_batch::CommitError::NotReady => Self::NotReady,
            import_batch::CommitError::Database(e) => Self::Database(e),
        }
    }
}

/// Imports the rows selected in the batch's review; with `invite`, each new client's
/// invitation is queued in the same transaction, and the upload is let go in it. On
/// SQLite the caller then runs `db::checkpoint` off the request (see
/// `db::bulk_write_transaction`).
pub fn commit(
    conn: &mut DbConnection,
    provider: &Provider,
    batch: &OwnedBatch,
    invite: bool,
    public_url: &str,
    files: &ImportFiles,
    act: Act<'_>,
) -> Result<Committed, CommitError> {
    let current = import_batch::reload(conn, batch)?;
    if current.status == BatchStatus::Imported {
        return Ok(Committed::AlreadyDone);
    }
    if current.rows_selected == 0 && current.rows_linked == 0 {
        return Err(CommitError::NothingSelected);
    }
    let inviting = crate::onboarding::inviting(provider, public_url);
    let on_created: OnCreated = if invite { Some(&inviting) } else { None };
    let already_done = if current.is_export() {
        use crate::import_jobs::{open_stored_export, StoredExport};
        let opened = open_stored_export(&files.uploads, &batch.id, &files.export_limits)?;
        let (mut zip, index) =
            match opened {
                StoredExport::Opened(opened) => *opened,
                // A second submit finds the first one done (and its file gone).
                _ if import_batch::reload(conn, batch)?.status == BatchStatus::Imported => {
                    return Ok(Committed::AlreadyDone);
                }
                StoredExport::Gone => return Err(CommitError::Unreadable(
                    "The export is no longer on the server. Nothing was imported. Upload it again."
                        .into(),
                )),
                StoredExport::Unreadable(message) => return Err(CommitError::Unreadable(message)),
            };
        simplepractice_import::commit_export(
            conn,
            batch,
            &mut zip,
            &index,
            on_created,
            files.storage_limit,
            act.now,
        )?
        .already_done
    } else {
        import_batch::commit(conn, batch, on_created, act.now)?.already_done
    };
    Ok(if already_done {
        Committed::AlreadyDone
    } else {
        Committed::Now
    })
}
