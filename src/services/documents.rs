//! A provider attaches a file to a client's record, or opens one: the content checked
//! (kept types only), de-duplicated by SHA-256 per client, stored whole with its audit
//! entry in one transaction.

use std::io::Read;

use sha2::{Digest, Sha256};

use super::{record, Act};
use crate::db::ids::DocumentId;
use crate::db::{write_transaction, DbConnection};
use crate::domain::document::{DocumentKind, FileType};
use crate::models::audit::AuditAction;
use crate::models::document::{self, AddDocumentError, Document, NewDocument};
use crate::models::scope::{Owned, OwnedClient};

/// A file as the upload form brought it: streamed to a temporary file, not yet read.
pub struct Upload<'a> {
    pub kind: DocumentKind,
    /// Shown to people only, never used as a path.
    pub file_name: &'a str,
    pub document_date: Option<chrono::NaiveDate>,
    pub content: &'a mut dyn Read,
}

/// Why a file was not attached; nothing was saved.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("The file is empty. Choose the file again; if it is empty on your computer too, export it again from where it came from.")]
    Empty,
    #[error("Caseload keeps PDFs, images (PNG, JPEG, GIF, WebP) and plain-text files. This file is none of these; save or print it as a PDF and upload that.")]
    NotAKeptType,
    /// The same file (by content) is already in this client's record.
    #[error("This file is already attached to this client as \"{}\".", .0.file_name)]
    AlreadyAttached(Box<Document>),
    /// The file would take the practice's documents past the server's storage limit.
    #[error("{0}")]
    OverQuota(String),
    #[error("the uploaded file could not be read: {0}")]
    Unreadable(std::io::Error),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Attaches an uploaded file to the client, with its audit entry; refused when it would
/// take the practice's documents past `storage_limit` (`CASELOAD_MAX_STORAGE`).
pub fn upload(
    conn: &mut DbConnection,
    client: &OwnedClient,
    upload: Upload<'_>,
    storage_limit: Option<u64>,
    act: Act<'_>,
) -> Result<Document, UploadError> {
    let mut content = Vec::new();
    upload
        .content
        .read_to_end(&mut content)
        .map_err(UploadError::Unreadable)?;
    let Some(file_type) = FileType::detect(&content[..content.len().min(512)]) else {
        return Err(if content.is_empty() {
            UploadError::Empty
        } else {
            UploadError::NotAKeptType
        });
    };
    let sha256 = hex::encode(Sha256::digest(&content));
    let new = NewDocument {
        kind: upload.kind,
        file_name: upload.file_name,
        content_type: file_type.content_type(),
        sha256: &sha256,
        content: &content,
        document_date: upload.document_date,
        kind_detail: None,
    };
    write_transaction(conn, |conn| {
        let doc = match document::add(conn, client, &new, act.now) {
            Ok(d) => d,
            Err(AddDocumentError::AlreadyAttached(existing)) => {
                return Err(UploadError::AlreadyAttached(existing))
            }
            Err(AddDocumentError::Database(e)) => return Err(e.into()),
        };
        // Counted with the file in, inside the transaction: refused, it is not kept.
        let mut storage = document::storage(conn, client.scope(), storage_limit)?;
        if storage.passed_by(0) {
            storage.used -= doc.size_bytes;
            return Err(UploadError::OverQuota(storage.refusal(
                "This file is",
                doc.size_bytes,
                "Nothing was uploaded.",
            )));
        }
        record(
            conn,
            client,
            AuditAction::DocumentUploaded,
            Some(&doc.id),
            act,
        )?;
        Ok(doc)
    })
}

/// One of the client's documents with its content, the view recorded; `None` when the
/// client has no such document.
pub fn open(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &DocumentId,
    act: Act<'_>,
) -> diesel::QueryResult<Option<(Owned<Document>, Vec<u8>)>> {
    let Some(doc) = document::find(conn, client, id)? else {
        return Ok(None);
    };
    let content = document::content(conn, &doc)?;
    record(
        conn,
        client,
        AuditAction::DocumentViewed,
        Some(&doc.id),
        act,
    )?;
    Ok(Some((doc, content)))
}
