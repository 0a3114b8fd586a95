//! The provider's decisions on the rows of a batch under review: select, link to a
//! client, correct an email (the row is then checked again), give a folder's documents.

use diesel::prelude::*;

use super::{reload, this, ImportBatch, ImportRow, READY};
use crate::db::ids::ClientId;
use crate::db::schema::{import_batches, import_rows};
use crate::db::{write_transaction, DbConnection};
use crate::domain::email::normalize;
use crate::import::matching::{self, Status};
use crate::models::now;
use crate::models::scope::{OwnedBatch, Scope};

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
) -> QueryResult<()> {
    let (scope, id) = (batch.scope(), batch.id.as_str());
    write_transaction(conn, |conn| {
        // Touching the batch first takes its lock: a second tab or an import waits, and a
        // batch no longer under review is left alone.
        let open = diesel::update(this(batch).filter(import_batches::status.eq(READY)))
            .set(import_batches::updated_at.eq(now()))
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
    crate::models::client::find_id_by_email(conn, scope, &normalize(email)).map(|c| c.is_some())
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
    let existing = crate::models::client::for_matching_one(
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
