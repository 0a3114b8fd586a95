//! Documents in a client's record. Contents live in `blobs`, keyed by SHA-256, so the same
//! file is stored once and a document commits or rolls back with the rest of its change.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::scope::{Owned, OwnedClient, Scope};
use crate::db::ids::DocumentId;
use crate::db::schema::{blobs, documents};
use crate::db::DbConnection;
use crate::domain::document::DocumentKind;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    pub id: String,
    pub client_id: String,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub document_date: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    /// A questionnaire's code ("GAD").
    pub kind_detail: Option<String>,
    /// The import it came from (`"simplepractice"`); none for a file added by hand.
    pub imported_from: Option<String>,
}

/// What a document imported from a SimplePractice export records as its origin.
pub const FROM_SIMPLEPRACTICE: &str = "simplepractice";

impl Document {
    pub fn kind(&self) -> Option<DocumentKind> {
        DocumentKind::parse(&self.kind)
    }

    pub fn kind_label(&self) -> String {
        let label = self.kind().map(DocumentKind::label).unwrap_or("Document");
        match &self.kind_detail {
            Some(detail) => format!("{label} ({detail})"),
            None => label.to_string(),
        }
    }
}

pub struct NewDocument<'a> {
    pub kind: DocumentKind,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub document_date: Option<NaiveDate>,
    pub kind_detail: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddDocumentError {
    #[error("this file is already attached to the client")]
    AlreadyAttached(Box<Document>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

pub fn list_for_client(
    conn: &mut DbConnection,
    client: &OwnedClient,
) -> QueryResult<Vec<Document>> {
    documents::table
        .filter(documents::client_id.eq(client.id.as_str()))
        .order((documents::created_at.desc(), documents::id.desc()))
        .select(Document::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &DocumentId,
) -> QueryResult<Option<Owned<Document>>> {
    let row = documents::table
        .filter(documents::client_id.eq(client.id.as_str()))
        .filter(documents::id.eq(id.as_str()))
        .select(Document::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|d| client.sibling(d)))
}

/// How many bytes a practice's documents take: the sum of their sizes, read from an
/// index that holds (provider, size), so no document (and no content) is read.
pub fn storage_used(conn: &mut DbConnection, scope: &Scope) -> QueryResult<i64> {
    scope
        .documents()
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(documents.size_bytes), 0) AS BIGINT)",
        ))
        .first(conn)
}

/// A practice's storage: what its documents take, against the server's `limit`.
pub fn storage(
    conn: &mut DbConnection,
    scope: &Scope,
    limit: Option<u64>,
) -> QueryResult<crate::domain::document::Storage> {
    Ok(crate::domain::document::Storage {
        used: storage_used(conn, scope)?,
        limit,
    })
}

pub fn content(conn: &mut DbConnection, doc: &Document) -> QueryResult<Vec<u8>> {
    blobs::table
        .find(&doc.sha256)
        .select(blobs::content)
        .first(conn)
}

/// Attaches a file to a client. Call inside the transaction of the change it belongs to.
pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    new: &NewDocument<'_>,
    now: NaiveDateTime,
) -> Result<Document, AddDocumentError> {
    let existing = documents::table
        .filter(documents::client_id.eq(client.id.as_str()))
        .filter(documents::sha256.eq(new.sha256))
        .select(Document::as_select())
        .first(conn)
        .optional()?;
    if let Some(doc) = existing {
        return Err(AddDocumentError::AlreadyAttached(Box::new(doc)));
    }
    let have_blob = blobs::table
        .find(new.sha256)
        .select(blobs::sha256)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if !have_blob {
        diesel::insert_into(blobs::table)
            .values((
                blobs::sha256.eq(new.sha256),
                blobs::size_bytes.eq(new.content.len() as i64),
                blobs::content.eq(new.content),
            ))
            .execute(conn)?;
    }
    let doc = Document {
        id: DocumentId::generate().0,
        client_id: client.id.clone(),
        kind: new.kind.as_str().to_string(),
        file_name: new.file_name.to_string(),
        content_type: new.content_type.to_string(),
        size_bytes: new.content.len() as i64,
        sha256: new.sha256.to_string(),
        document_date: new.document_date,
        created_at: now,
        kind_detail: new.kind_detail.map(str::to_string),
        imported_from: None,
    };
    diesel::insert_into(documents::table)
        .values((
            documents::id.eq(&doc.id),
            documents::provider_id.eq(client.provider_id().as_str()),
            documents::client_id.eq(&doc.client_id),
            documents::kind.eq(&doc.kind),
            documents::file_name.eq(&doc.file_name),
            documents::content_type.eq(&doc.content_type),
            documents::size_bytes.eq(doc.size_bytes),
            documents::sha256.eq(&doc.sha256),
            documents::document_date.eq(doc.document_date),
            documents::created_at.eq(doc.created_at),
            documents::kind_detail.eq(&doc.kind_detail),
        ))
        .execute(conn)?;
    Ok(doc)
}

/// A document to attach in a batch, with its content.
pub struct PendingDocument {
    pub kind: DocumentKind,
    pub kind_detail: Option<String>,
    pub file_name: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub content: Vec<u8>,
    /// None when the source gives no date (shown as such, never as the import's day).
    pub document_date: Option<NaiveDate>,
    /// The import it comes from (see [`FROM_SIMPLEPRACTICE`]).
    pub imported_from: Option<&'static str>,
}

/// The SHA-256 of every document a client has, to leave out files they already have.
pub fn hashes_of(
    conn: &mut DbConnection,
    client: &OwnedClient,
) -> QueryResult<std::collections::HashSet<String>> {
    documents::table
        .filter(documents::client_id.eq(client.id.as_str()))
        .select(documents::sha256)
        .load::<String>(conn)
        .map(|v| v.into_iter().collect())
}

/// Attaches many documents to one client in a few statements (blobs stored once, the
/// ones already stored skipped); the caller has left out what the client already has.
/// Returns the new documents' ids. Call inside the transaction of the change.
pub fn add_many(
    conn: &mut DbConnection,
    client: &OwnedClient,
    docs: &[PendingDocument],
    now: NaiveDateTime,
) -> QueryResult<Vec<DocumentId>> {
    let mut seen = std::collections::HashSet::new();
    let blobs_rows: Vec<_> = docs
        .iter()
        .filter(|d| seen.insert(d.sha256.as_str()))
        .map(|d| {
            (
                blobs::sha256.eq(d.sha256.as_str()),
                blobs::size_bytes.eq(d.content.len() as i64),
                blobs::content.eq(d.content.as_slice()),
            )
        })
        .collect();
    // A blob another client (or another import) already stored is kept as it is.
    for chunk in blobs_rows.chunks(64) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(blobs::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(blobs::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
    }
    let ids: Vec<DocumentId> = docs.iter().map(|_| DocumentId::generate()).collect();
    let rows: Vec<_> = docs
        .iter()
        .zip(&ids)
        .map(|(d, id)| {
            (
                documents::id.eq(id.as_str()),
                documents::provider_id.eq(client.provider_id().as_str()),
                documents::client_id.eq(client.id.as_str()),
                documents::kind.eq(d.kind.as_str()),
                documents::file_name.eq(d.file_name.as_str()),
                documents::content_type.eq(d.content_type),
                documents::size_bytes.eq(d.content.len() as i64),
                documents::sha256.eq(d.sha256.as_str()),
                documents::document_date.eq(d.document_date),
                documents::created_at.eq(now),
                documents::kind_detail.eq(d.kind_detail.as_deref()),
                documents::imported_from.eq(d.imported_from),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(documents::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(documents::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(ids)
}
