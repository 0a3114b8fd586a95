//! Importing a SimplePractice export: its reviewed cards stored as a batch's rows (with
//! the choices of an earlier upload of the same export carried over), and the one
//! transaction that creates the new clients and attaches every document.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::audit::{self, AuditAction};
use super::document::{self, PendingDocument};
use super::import_batch::{
    finish_import, household_json, insert_new_clients, list_rows, reload, store_rows,
    take_for_import, this,
    BatchStatus::{Cancelled, Ready},
    CommitError, FinishedCounts, ImportRow, NewImportRow, OnCreated, StoredHead, Taken,
    SIMPLEPRACTICE,
};
use super::scope::{OwnedBatch, OwnedClient};
use crate::db::ids::ClientId;
use crate::db::schema::{import_batches, import_rows};
use crate::db::{bulk_write_transaction, write_transaction, DbConnection, PageCache};
use crate::domain::billing::BillingType;
use crate::domain::document::FileType;
use crate::import::archive::{self, ArchiveError};
use crate::import::matching::Status;
use crate::import::plan::Summary;
use crate::import::simplepractice::{ExportDocument, ExportIndex, ExportRow};

/// What a row of an earlier review of the same export said, for an unchanged client.
struct EarlierChoice {
    fields: (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDate>,
    ),
    status: Status,
    shares_folder: bool,
    selected: bool,
    linked: Option<String>,
    takes_documents: bool,
}

/// The choices of the provider's latest other export still under review, by card id; that
/// review is replaced by the new one (cancelled, its rows deleted).
fn take_earlier_choices(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
) -> QueryResult<(HashMap<String, EarlierChoice>, Option<String>)> {
    let scope = batch.scope();
    let earlier: Option<String> = scope
        .import_batches()
        .filter(import_batches::format.eq(SIMPLEPRACTICE))
        .filter(import_batches::status.eq(Ready.as_str()))
        .filter(import_batches::id.ne(batch.id.as_str()))
        .order(import_batches::created_at.desc())
        .select(import_batches::id)
        .first(conn)
        .optional()?;
    let Some(earlier) = earlier else {
        return Ok((HashMap::new(), None));
    };
    let rows: Vec<ImportRow> = import_rows::table
        .filter(import_rows::batch_id.eq(&earlier))
        .select(ImportRow::as_select())
        .load(conn)?;
    // Only a review still open is replaced (not one being imported this moment).
    let replaced = diesel::update(
        scope
            .import_batches()
            .filter(import_batches::id.eq(&earlier))
            .filter(import_batches::status.eq(Ready.as_str())),
    )
    .set((
        import_batches::status.eq(Cancelled.as_str()),
        import_batches::error.eq(Some("Replaced by a newer upload of the export.")),
    ))
    .execute(conn)?;
    if replaced == 0 {
        return Ok((HashMap::new(), None));
    }
    diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(&earlier))).execute(conn)?;
    let mut choices = HashMap::new();
    for r in rows {
        let Some(key) = r.external_id.clone() else {
            continue;
        };
        // A link is kept only to a client still on this provider's list.
        let linked = match r.linked_client_id {
            Some(c) => scope.client(conn, &ClientId(c.clone()))?.map(|_| c),
            None => None,
        };
        choices.insert(
            key,
            EarlierChoice {
                fields: (r.first_name, r.last_name, r.email, r.date_of_birth),
                status: r.status,
                shares_folder: r.shares_folder,
                selected: r.selected,
                linked,
                takes_documents: r.takes_documents,
            },
        );
    }
    Ok((choices, Some(earlier)))
}

/// What saving an export's review did.
pub struct SavedReview {
    /// False when the batch was cancelled meanwhile (nothing stored).
    pub stored: bool,
    /// An earlier review of the same export this one replaced: its upload can go.
    pub replaced: Option<String>,
}

/// Stores the reviewed cards of an export as the batch's rows (only while it is being
/// analysed); with `keep_earlier_choices`, the choices made on an earlier upload still
/// under review are kept for clients whose card did not change (and that review ends).
pub fn save_export_analysis(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    rows: &[ExportRow],
    details: &str,
    keep_earlier_choices: bool,
    now: NaiveDateTime,
) -> QueryResult<SavedReview> {
    write_transaction(conn, |conn| {
        let (earlier, replaced) = if keep_earlier_choices {
            take_earlier_choices(conn, batch)?
        } else {
            (HashMap::new(), None)
        };
        let reviewed: Vec<_> = rows.iter().map(|r| r.reviewed.clone()).collect();
        let summary = Summary::of(&reviewed);
        let stored: Vec<NewImportRow> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let c = &r.reviewed.candidate;
                let mut row = NewImportRow {
                    batch_id: &batch.id,
                    position: i as i64 + 1,
                    source_row: c.row as i64,
                    source: c.source.as_deref(),
                    first_name: c.first_name.as_deref(),
                    last_name: c.last_name.as_deref(),
                    email: c.email.as_deref(),
                    phone: c.phone.as_deref(),
                    date_of_birth: c.date_of_birth,
                    status: r.reviewed.status.as_str(),
                    reasons: serde_json::to_string(&r.reviewed.reasons)
                        .unwrap_or_else(|_| "[]".into()),
                    matched_client_id: r.reviewed.matched_client_id.as_deref(),
                    selected: r.reviewed.selected,
                    linked_client_id: None,
                    display_name: Some(r.display_name.as_str()),
                    external_id: r.simplepractice_id.as_deref(),
                    documents: serde_json::to_string(&r.documents).ok(),
                    takes_documents: r.takes_documents,
                    shares_folder: r.shares_folder,
                    evidence: crate::import::evidence::Evidence::to_stored(
                        r.reviewed.evidence.as_ref(),
                    ),
                    preferred_name: c.preferred_name.as_deref(),
                    billing_type: c.billing_type.map(BillingType::as_str),
                    archived: c.archived,
                    household: r.household.as_ref().and_then(household_json),
                };
                let unchanged = r
                    .simplepractice_id
                    .as_ref()
                    .and_then(|k| earlier.get(k))
                    // Unchanged: the same details, the same review, the same folder.
                    .filter(|e| {
                        e.fields
                            == (
                                c.first_name.clone(),
                                c.last_name.clone(),
                                c.email.clone(),
                                c.date_of_birth,
                            )
                            && e.status == r.reviewed.status
                            && e.shares_folder == r.shares_folder
                    });
                if let Some(e) = unchanged {
                    row.selected = e.selected;
                    row.linked_client_id = e.linked.as_deref();
                    row.takes_documents = e.takes_documents;
                }
                row
            })
            .collect();
        let head = StoredHead {
            format: SIMPLEPRACTICE,
            layout: Some("SimplePractice data export"),
            sheet: None,
            details,
            summary,
        };
        Ok(SavedReview {
            stored: store_rows(conn, batch, &head, &stored, now)?,
            replaced,
        })
    })
}

/// Selects every new client of an export under review ("Select all new clients"), but
/// not the cards with no records anywhere (guardians, emergency contacts).
pub fn select_all_new(conn: &mut DbConnection, batch: &OwnedBatch) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        let current = reload(conn, batch)?;
        if current.status != Ready {
            return Ok(());
        }
        let id = batch.id.as_str();
        let changed = diesel::update(
            import_rows::table
                .filter(import_rows::batch_id.eq(id))
                .filter(import_rows::status.eq(Status::New.as_str()))
                .filter(import_rows::selected.eq(false))
                // A guardian's or emergency contact's card has no records: left out.
                .filter(import_rows::documents.ne("[]")),
        )
        .set(import_rows::selected.eq(true))
        .execute(conn)?;
        diesel::update(this(batch))
            .set(import_batches::rows_selected.eq(current.rows_selected + changed as i64))
            .execute(conn)?;
        Ok(())
    })
}

/// How many bytes of documents are held before they are written.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Attaches documents to a client with one audit entry each; returns how many.
fn attach(
    conn: &mut DbConnection,
    client: &OwnedClient,
    docs: &[PendingDocument],
    now: chrono::NaiveDateTime,
) -> QueryResult<i64> {
    if docs.is_empty() {
        return Ok(0);
    }
    let ids = document::add_many(conn, client, docs, now)?;
    let client_id = client.client_id();
    let events: Vec<(&ClientId, &str)> = ids.iter().map(|d| (&client_id, d.as_str())).collect();
    audit::record_many(
        conn,
        client.provider_id(),
        AuditAction::DocumentImported,
        &events,
        now,
    )?;
    Ok(ids.len() as i64)
}

/// What an export's import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOutcome {
    pub imported: i64,
    pub clients_with_documents: i64,
    pub documents: i64,
    pub already_done: bool,
    /// Where the time went (for the benchmark).
    pub timings: ImportTimings,
}

/// Where an export's import spent its time: the reading thread and the writing one
/// work at once, so the parts add up to more than the whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportTimings {
    pub reading: ReadTimes,
    /// Database writes of documents, blobs and audit entries.
    pub writing: Duration,
}

/// How long the reading thread spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadTimes {
    /// Reading each document out of the archive (decompressing it, checking its CRC).
    pub decompressing: Duration,
    pub hashing: Duration,
}

/// One document read out of the archive, hashed and typed, for the writing thread.
struct ReadDocument<'a> {
    /// Which of the import's clients gets it.
    owner: usize,
    doc: &'a ExportDocument,
    content: Vec<u8>,
    sha256: String,
    content_type: &'static str,
}

/// What the reading thread hands over: documents read, or why it stopped.
type Chunk<'a> = Result<Vec<ReadDocument<'a>>, ArchiveError>;

/// How many bytes of documents the reading thread hands over at once. With two chunks
/// waiting at most, what is held stays small (a chunk may end with one large file).
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// What the import says if the reading thread stopped without a word (it cannot panic on
/// any input; this is for a bug).
const READER_STOPPED: &str =
    "The export could not be read to its end. Nothing was imported. Try the import again.";

/// Reads every planned document in turn — each one's bytes once, its CRC checked, its
/// SHA-256 and type taken — and hands them over in chunks; stops at the first error, or
/// when the writing side has stopped listening.
fn read_documents<'a, R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    plan: &[(usize, Vec<&'a ExportDocument>)],
    tx: SyncSender<Chunk<'a>>,
) -> ReadTimes {
    let mut times = ReadTimes::default();
    let mut chunk = Vec::new();
    let mut bytes = 0usize;
    for (owner, docs) in plan {
        for &doc in docs {
            let started = Instant::now();
            let content = match archive::read_entry(zip, &doc.entry) {
                Ok(content) => content,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return times;
                }
            };
            let read = Instant::now();
            times.decompressing += read - started;
            let sha256 = hex::encode(Sha256::digest(&content));
            times.hashing += read.elapsed();
            let content_type = FileType::detect(&content[..content.len().min(512)])
                .map(FileType::content_type)
                .unwrap_or("application/octet-stream");
            bytes += content.len();
            chunk.push(ReadDocument {
                owner: *owner,
                doc,
                content,
                sha256,
                content_type,
            });
            if bytes >= CHUNK_BYTES {
                if tx.send(Ok(std::mem::take(&mut chunk))).is_err() {
                    return times;
                }
                bytes = 0;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(Ok(chunk));
    }
    times
}

/// Creates the selected new clients and attaches their documents, and those of the
/// selected existing clients — one transaction, all or nothing. One thread reads each
/// document out of the archive and hashes it while this one writes the ones before
/// (see docs/decisions/2026-12-07-export-speed.md). A document a client already has
/// (same SHA-256) is not added again. An import that would take the practice's documents
/// past `storage_limit` (`CASELOAD_MAX_STORAGE`) is refused: before anything is read when
/// the new clients' documents alone would, or as soon as what is written does.
pub fn commit_export<R: Read + Seek + Send>(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    zip: &mut ZipArchive<R>,
    index: &ExportIndex,
    on_created: OnCreated<'_>,
    storage_limit: Option<u64>,
    now: chrono::NaiveDateTime,
) -> Result<ExportOutcome, CommitError> {
    let (scope, id) = (batch.scope(), batch.id.as_str());
    bulk_write_transaction(conn, PageCache::Default, |conn| {
        if let Taken::AlreadyDone(b) = take_for_import(conn, batch, now)? {
            return Ok(ExportOutcome {
                imported: b.imported_count,
                clients_with_documents: b.clients_with_documents,
                documents: b.documents_count,
                already_done: true,
                timings: ImportTimings::default(),
            });
        }
        let chosen: Vec<ImportRow> = import_rows::table
            .filter(import_rows::batch_id.eq(id))
            .filter(
                import_rows::selected
                    .eq(true)
                    .or(import_rows::linked_client_id.is_not_null()),
            )
            .order(import_rows::position)
            .select(ImportRow::as_select())
            .load(conn)?;
        let existing_client = |r: &ImportRow| {
            r.linked_client_id.clone().or_else(|| {
                (r.status == Status::Existing)
                    .then(|| r.matched_client_id.clone())
                    .flatten()
            })
        };
        let new_rows: Vec<&ImportRow> = chosen
            .iter()
            .filter(|r| existing_client(r).is_none())
            .collect();
        let ids = insert_new_clients(conn, batch, &new_rows, now)?;
        if let Some(after) = on_created {
            after(conn, &ids, now)?;
        }
        let mut created: HashMap<String, OwnedClient> =
            super::client::find_many(conn, scope, &ids)?
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect();
        let mut owners: Vec<(&ImportRow, OwnedClient, bool)> = Vec::with_capacity(chosen.len());
        for (r, c) in new_rows.iter().zip(&ids) {
            let c = created
                .remove(c.as_str())
                .ok_or(CommitError::Database(diesel::result::Error::NotFound))?;
            owners.push((r, c, true));
        }
        for r in &chosen {
            if let Some(c) = existing_client(r) {
                // Still this provider's client, inside this transaction.
                let Some(c) = scope.client(conn, &ClientId(c))? else {
                    return Err(CommitError::Conflict(format!(
                        "Card {} was matched to a client who is no longer on your list. Match it again, then import.",
                        r.source_row
                    )));
                };
                owners.push((r, c, false));
            }
        }
        let card_of = |r: &ImportRow| r.source.as_deref().and_then(|p| index.card_at(p));
        // A document namesakes share goes to the one client the provider chose.
        let mut taker: HashMap<&str, i64> = HashMap::new();
        let mut twice = Vec::new();
        for (r, ..) in &owners {
            let Some(card) = card_of(r).filter(|_| r.takes_documents) else {
                continue;
            };
            for (doc, shared) in index.documents_of(card) {
                if shared
                    && taker
                        .insert(doc.entry.path.as_str(), r.source_row)
                        .is_some_and(|other| other != r.source_row)
                {
                    twice.push(r.source_row);
                    break;
                }
            }
        }
        if !twice.is_empty() {
            twice.sort_unstable();
            twice.dedup();
            return Err(CommitError::Conflict(format!(
                "Cards {} would get the documents of a folder another selected client of the same name gets too. Choose one client per folder, then import again.",
                list_rows(&twice)
            )));
        }
        // What each client gets, in order; then the archive is read on one thread while
        // the database is written on this one.
        let plan: Vec<(usize, Vec<&ExportDocument>)> = owners
            .iter()
            .enumerate()
            .filter_map(|(i, (r, ..))| {
                let card = card_of(r)?;
                let docs: Vec<&ExportDocument> = index
                    .documents_of(card)
                    .filter(|(_, shared)| !shared || r.takes_documents)
                    .map(|(d, _)| d)
                    .collect();
                Some((i, docs))
            })
            .collect();
        // The storage the documents would take: a new client's are all added (no file
        // is one they have already), so those alone settle it before anything is read.
        let storage = document::storage(conn, scope, storage_limit)?;
        let planned = |new_only: bool| -> i64 {
            plan.iter()
                .filter(|(i, _)| !new_only || owners[*i].2)
                .flat_map(|(_, docs)| docs)
                .map(|d| i64::try_from(d.entry.size).unwrap_or(i64::MAX))
                .fold(0i64, i64::saturating_add)
        };
        let too_much = storage.refusal(
            "The documents of this import come to",
            planned(false),
            "Nothing was imported.",
        );
        if storage.passed_by(planned(true)) {
            return Err(CommitError::Conflict(too_much));
        }
        let mut stored_bytes = 0i64;
        let mut documents = 0i64;
        let mut existing_with_documents = std::collections::HashSet::new();
        let mut writing = Duration::ZERO;
        let mut timings = ImportTimings::default();
        let archive: &mut ZipArchive<R> = &mut *zip;
        let reading = std::thread::scope(|s| -> Result<ReadTimes, CommitError> {
            // Two chunks wait at most: the reader stays a little ahead, never far.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk<'_>>(2);
            let reader = s.spawn(move || read_documents(archive, &plan, tx));
            let mut current: Option<(usize, std::collections::HashSet<String>, i64)> = None;
            let mut pending: Vec<PendingDocument> = Vec::new();
            let mut pending_bytes = 0usize;
            let mut write_pending =
                |conn: &mut DbConnection, owner: usize, pending: &mut Vec<PendingDocument>| {
                    let t = Instant::now();
                    let added = attach(conn, &owners[owner].1, pending, now);
                    pending.clear();
                    writing += t.elapsed();
                    added
                };
            for chunk in rx {
                let chunk = chunk.map_err(|e| CommitError::Conflict(e.to_string()))?;
                for read in chunk {
                    if current.as_ref().map(|c| c.0) != Some(read.owner) {
                        if let Some((owner, _, added)) = current.take() {
                            let added = added + write_pending(conn, owner, &mut pending)?;
                            pending_bytes = 0;
                            documents += added;
                            let (_, client, is_new) = &owners[owner];
                            if !is_new && added > 0 {
                                existing_with_documents.insert(client.id.clone());
                            }
                        }
                        let have = document::hashes_of(conn, &owners[read.owner].1)?;
                        current = Some((read.owner, have, 0));
                    }
                    let Some((owner, have, added)) = current.as_mut() else {
                        continue;
                    };
                    // A file the client already has (from an earlier import, or twice in
                    // this export) is not added again.
                    if !have.insert(read.sha256.clone()) {
                        continue;
                    }
                    stored_bytes = stored_bytes.saturating_add(read.content.len() as i64);
                    if storage.passed_by(stored_bytes) {
                        return Err(CommitError::Conflict(too_much.clone()));
                    }
                    let (kind, kind_detail) = read.doc.kind.document_kind();
                    pending_bytes += read.content.len();
                    pending.push(PendingDocument {
                        kind,
                        kind_detail: kind_detail.map(str::to_string),
                        file_name: read.doc.file_name.clone(),
                        content_type: read.content_type,
                        sha256: read.sha256,
                        content: read.content,
                        document_date: read.doc.date,
                        imported_from: Some(document::FROM_SIMPLEPRACTICE),
                    });
                    // Written in batches of a few megabytes: few statements, little memory.
                    if pending_bytes >= BATCH_BYTES {
                        *added += write_pending(conn, *owner, &mut pending)?;
                        pending_bytes = 0;
                    }
                }
            }
            if let Some((owner, _, added)) = current.take() {
                let added = added + write_pending(conn, owner, &mut pending)?;
                documents += added;
                let (_, client, is_new) = &owners[owner];
                if !is_new && added > 0 {
                    existing_with_documents.insert(client.id.clone());
                }
            }
            reader
                .join()
                .map_err(|_| CommitError::Conflict(READER_STOPPED.into()))
        })?;
        timings.reading = reading;
        timings.writing = writing;
        let existing_with_documents = existing_with_documents.len() as i64;
        let rows_total = reload(conn, batch)?.rows_total;
        let imported = ids.len() as i64;
        let linked = owners.len() as i64 - imported;
        // Read to its end: the upload goes with the import, all or nothing.
        super::import_upload::delete(conn, id)?;
        finish_import(
            conn,
            batch,
            FinishedCounts {
                imported,
                linked,
                skipped: rows_total - imported - linked,
                documents,
                clients_with_documents: existing_with_documents,
                invited: on_created.is_some() && imported > 0,
                existing_can_be_skipped: true,
            },
        )?;
        Ok(ExportOutcome {
            imported,
            clients_with_documents: existing_with_documents,
            documents,
            already_done: false,
            timings,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::extract::Candidate;
    use crate::import::matching::Reviewed;
    use crate::models::client::{self, CreateOptions};
    use crate::models::import_batch::BatchStatus;
    use crate::models::import_batch::{
        create_export, decide, rows_page, start_analysis, RowDecision,
    };
    use crate::models::scope::Scope;
    use crate::models::testing::{at, conn, details, provider};

    fn now() -> chrono::NaiveDateTime {
        at("2026-12-02 12:00")
    }

    fn card(
        row: usize,
        first: &str,
        email: Option<&str>,
        status: Status,
        docs: usize,
    ) -> ExportRow {
        ExportRow {
            reviewed: Reviewed {
                candidate: Candidate {
                    row,
                    first_name: Some(first.into()),
                    last_name: Some("Okafor".into()),
                    email: email.map(str::to_string),
                    phone: None,
                    date_of_birth: None,
                    date_problem: None,
                    source: None,
                    contact: None,
                    ..Default::default()
                },
                status,
                selected: false,
                reasons: Vec::new(),
                matched_client_id: None,
                evidence: None,
            },
            display_name: format!("{first} Okafor"),
            simplepractice_id: Some(format!("card-{row}")),
            documents: (0..docs)
                .map(|_| ("Progress note".to_string(), 1))
                .collect(),
            takes_documents: true,
            shares_folder: false,
            household: None,
        }
    }

    fn export(
        conn: &mut DbConnection,
        scope: &Scope,
        cards: &[ExportRow],
        keep: bool,
    ) -> (OwnedBatch, SavedReview) {
        let batch =
            create_export(conn, scope, "export.zip", "web", at("2026-12-02 10:00")).unwrap();
        assert!(start_analysis(conn, &batch, now()).unwrap());
        let saved = save_export_analysis(conn, &batch, cards, "{}", keep, now()).unwrap();
        (reload(conn, &batch).unwrap(), saved)
    }

    fn rows(conn: &mut DbConnection, batch: &OwnedBatch) -> Vec<ImportRow> {
        rows_page(conn, batch, None, 1).unwrap()
    }

    #[test]
    fn select_all_new_leaves_out_the_cards_with_no_records() {
        let mut conn = conn();
        let (_, scope) = provider(&mut conn, "elena@example.com");
        let cards = [
            card(1, "Nia", Some("nia@example.com"), Status::New, 2),
            card(2, "Obi", Some("obi@example.com"), Status::New, 0),
            card(3, "Ife", None, Status::Invalid, 1),
        ];
        let (batch, saved) = export(&mut conn, &scope, &cards, false);
        assert!(saved.stored && saved.replaced.is_none());
        assert_eq!((batch.status, batch.rows_selected), (BatchStatus::Ready, 0));
        select_all_new(&mut conn, &batch).unwrap();
        let selected: Vec<bool> = rows(&mut conn, &batch).iter().map(|r| r.selected).collect();
        assert_eq!(
            selected,
            [true, false, false],
            "a guardian's card has no records"
        );
        assert_eq!(reload(&mut conn, &batch).unwrap().rows_selected, 1);
        // Pressed twice: counted once.
        select_all_new(&mut conn, &batch).unwrap();
        assert_eq!(reload(&mut conn, &batch).unwrap().rows_selected, 1);
    }

    #[test]
    fn a_new_upload_of_the_export_keeps_the_choices_for_unchanged_cards_and_replaces_the_review() {
        let mut conn = conn();
        let (_, scope) = provider(&mut conn, "elena@example.com");
        let options = CreateOptions {
            contact: None,
            notify: false,
            measures: Vec::new(),
        };
        let grace = client::create(
            &mut conn,
            &scope,
            &details("Grace", "Hopper", "family@example.com", |_| {}),
            &options,
            at("2026-12-01 09:00"),
        )
        .unwrap()
        .id
        .clone();
        let first = [
            card(1, "Nia", Some("nia@example.com"), Status::New, 1),
            card(2, "Ife", None, Status::Invalid, 1),
            card(3, "Ada", Some("ada@example.com"), Status::New, 1),
        ];
        let (earlier, _) = export(&mut conn, &scope, &first, true);
        let r = rows(&mut conn, &earlier);
        let choose = |row: &ImportRow, selected: bool, link_to: Option<String>| RowDecision {
            position: row.position,
            selected,
            link_to,
            email: None,
            takes_documents: true,
        };
        decide(
            &mut conn,
            &earlier,
            &[
                choose(&r[0], true, None),
                choose(&r[1], false, Some(grace.clone())),
                choose(&r[2], true, None),
            ],
            now().date(),
            now(),
        )
        .unwrap();

        // Ada's card changed (a new email); Nia's and Ife's did not.
        let second = [
            card(1, "Nia", Some("nia@example.com"), Status::New, 1),
            card(2, "Ife", None, Status::Invalid, 1),
            card(3, "Ada", Some("ada.new@example.com"), Status::New, 1),
        ];
        let (again, saved) = export(&mut conn, &scope, &second, true);
        assert_eq!(saved.replaced.as_deref(), Some(earlier.id.as_str()));
        let kept: Vec<(bool, Option<String>)> = rows(&mut conn, &again)
            .into_iter()
            .map(|r| (r.selected, r.linked_client_id))
            .collect();
        assert_eq!(
            kept,
            [(true, None), (false, Some(grace)), (false, None)],
            "choices kept for the unchanged cards only"
        );
        assert_eq!((again.rows_selected, again.rows_linked), (1, 1));
        let old = reload(&mut conn, &earlier).unwrap();
        assert_eq!(old.status, BatchStatus::Cancelled);
        assert!(rows(&mut conn, &earlier).is_empty());
    }
}
