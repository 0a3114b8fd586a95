//! An upload becomes a batch: its file kept in the database under the batch's id (never
//! under the name it had on the provider's computer), where every instance's analysis
//! workers find it. When the file cannot be kept, or too many files wait already, the
//! batch says so and the file is let go.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::ImportFiles;
use crate::db::DbConnection;
use crate::domain::document::format_size;
use crate::import::review::Kind;
use crate::models::import_batch;
use crate::models::scope::{OwnedBatch, Scope};
use crate::services::Act;

/// Where a batch made from an upload says it came from.
const WEB: &str = "web";

/// A file as the upload form brought it, not yet kept.
pub struct Upload {
    pub kind: Kind,
    /// The name the file had (display text only, never a path).
    pub file_name: Option<String>,
    pub size: u64,
    /// The most this kind of upload may be (a setting).
    pub max_bytes: u64,
    /// The file as it arrived, read from its start.
    pub file: Box<dyn std::io::Read + Send>,
}

/// Why an upload did not become a batch, or its file was not kept.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{}", too_large(*.kind, *.max))]
    TooLarge { kind: Kind, max: u64 },
    /// The form was sent without a file.
    #[error("{}", match .0 {
        Kind::List => "Choose a file first: the client list exported from your current system.",
        Kind::Export => CHOOSE_EXPORT,
    })]
    NoFile(Kind),
    #[error("{}", match .0 {
        Kind::List => "The file is empty. Export the client list again and upload the new file.",
        Kind::Export => CHOOSE_EXPORT,
    })]
    Empty(Kind),
    /// The file could not be stored (the batch says so).
    #[error("the upload could not be kept: {0}")]
    NotKept(crate::import_jobs::StoreError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

const CHOOSE_EXPORT: &str =
    "Choose the export first: the .zip file SimplePractice made, or its folder.";

/// What an upload over the limit is told (also when the limit stops it mid-way).
pub fn too_large(kind: Kind, max: u64) -> String {
    match kind {
        Kind::List => format!(
            "Client lists can be at most {}. Nothing was imported. Export fewer columns, or split the list into two files.",
            format_size(max as i64)
        ),
        Kind::Export => format!(
            "Exports can be at most {} here. Nothing was imported. Ask whoever runs this server to raise CASELOAD_MAX_EXPORT_BYTES, or export fewer clients at a time (SimplePractice can export the clients of one clinician).",
            format_size(max as i64)
        ),
    }
}

/// Keeps an uploaded file as a new batch and queues its analysis; the batch's page then
/// shows how that goes (or that the server was busy).
pub fn upload(
    conn: &mut DbConnection,
    scope: &Scope,
    mut upload: Upload,
    files: &ImportFiles,
    act: Act<'_>,
) -> Result<OwnedBatch, UploadError> {
    let kind = upload.kind;
    if upload.size > upload.max_bytes {
        return Err(UploadError::TooLarge {
            kind,
            max: upload.max_bytes,
        });
    }
    if upload.size == 0 {
        return Err(if upload.file_name.as_deref().unwrap_or("").is_empty() {
            UploadError::NoFile(kind)
        } else {
            UploadError::Empty(kind)
        });
    }
    let batch = start(
        conn,
        scope,
        kind,
        &shown_name(upload.file_name.as_deref()),
        act,
    )?;
    if let Err(e) = files.uploads.store(conn, &batch.id, &mut upload.file) {
        not_kept(conn, &batch, files, act.now)?;
        return Err(UploadError::NotKept(e));
    }
    queue(conn, &batch, files, act.now)?;
    Ok(batch)
}

/// A new batch for an upload whose file is still arriving (an export's folder, streamed
/// into an archive): [`queue`] it once the file is whole, or say it was [`not_kept`].
pub fn start(
    conn: &mut DbConnection,
    scope: &Scope,
    kind: Kind,
    file_name: &str,
    act: Act<'_>,
) -> QueryResult<OwnedBatch> {
    match kind {
        Kind::List => import_batch::create(conn, scope, file_name, WEB, act.now),
        Kind::Export => import_batch::create_export(conn, scope, file_name, WEB, act.now),
    }
}

/// Hands a batch whose file is kept to the workers (of any instance); when too many files
/// wait already, the batch says so and its file is let go. Returns whether it was queued.
pub fn queue(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    files: &ImportFiles,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if import_batch::queue_for_analysis(conn, batch, now, crate::jobs::QUEUE_LENGTH)? {
        files.jobs.analysis_queued();
        return Ok(true);
    }
    files.uploads.remove(conn, &batch.id)?;
    import_batch::fail(
        conn,
        batch,
        "The server is busy checking other files. Nothing was imported. Upload the file again in a minute.",
        now,
    )?;
    Ok(false)
}

/// The upload's file could not be kept whole: the batch says so, and what arrived goes.
pub fn not_kept(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    files: &ImportFiles,
    now: NaiveDateTime,
) -> QueryResult<()> {
    files.uploads.remove(conn, &batch.id)?;
    let message = if batch.is_export() {
        "The uploaded export could not be kept on the server (its disk may be full). Nothing was imported. Tell whoever runs this server, then upload it again."
    } else {
        "The uploaded file could not be kept on the server (its disk may be full). Nothing was imported. Tell whoever runs this server, then upload the file again."
    };
    import_batch::fail(conn, batch, message, now)
}

/// The name the file had, as display text: its last part, printable, not too long.
pub fn shown_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or("");
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "uploaded file".into()
    } else {
        clean.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_display_text_only() {
        assert_eq!(shown_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            shown_name(Some("C:\\Users\\me\\clients.csv")),
            "clients.csv"
        );
        assert_eq!(shown_name(Some("a\u{0}b\nc.csv")), "abc.csv");
        assert_eq!(shown_name(None), "uploaded file");
    }

    #[test]
    fn an_empty_upload_says_what_to_choose() {
        assert!(UploadError::NoFile(Kind::List)
            .to_string()
            .starts_with("Choose a file first"));
        assert!(UploadError::Empty(Kind::List)
            .to_string()
            .starts_with("The file is empty"));
        assert_eq!(UploadError::Empty(Kind::Export).to_string(), CHOOSE_EXPORT);
        assert!(UploadError::TooLarge {
            kind: Kind::Export,
            max: 1024 * 1024
        }
        .to_string()
        .contains("CASELOAD_MAX_EXPORT_BYTES"));
    }
}
