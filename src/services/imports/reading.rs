//! A file read again: another sheet of a workbook, or the columns picked by hand when its
//! headers said too little. The batch goes back to the workers with its stored upload.

use chrono::NaiveDateTime;

use super::{upload, ImportFiles};
use crate::db::DbConnection;
use crate::import::columns::ManualColumns;
use crate::models::import_batch;
use crate::models::scope::OwnedBatch;

/// How to read the file this time.
pub enum Reading {
    /// This sheet of the workbook (the columns are found again).
    Sheet(String),
    /// These columns, on the sheet read last.
    Columns(ManualColumns),
}

/// Why the file is not read again.
#[derive(Debug, thiserror::Error)]
pub enum ReadingError {
    #[error(
        "Choose the columns with first and last names (or the one column with the whole name)."
    )]
    NoNames,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Sends the batch back to a worker to be read as asked; a batch no longer waiting for
/// review or columns is left as it is.
pub fn reanalyse(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    reading: Reading,
    files: &ImportFiles,
    now: NaiveDateTime,
) -> Result<(), ReadingError> {
    let (sheet, columns) = match reading {
        Reading::Sheet(sheet) => (Some(sheet), None),
        Reading::Columns(choice) => {
            let names = (choice.first_name.is_some() && choice.last_name.is_some())
                || choice.full_name.is_some();
            if !names {
                return Err(ReadingError::NoNames);
            }
            let json = serde_json::to_string(&choice).unwrap_or_default();
            (batch.sheet.clone(), Some(json))
        }
    };
    if import_batch::reanalyse(conn, batch, sheet.as_deref(), columns.as_deref(), now)? {
        upload::queue(conn, batch, files, now)?;
    }
    Ok(())
}
