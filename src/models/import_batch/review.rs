//! The provider's decisions on the rows of a batch under review: select, link to a
//! client, correct an email (the row is then checked again), give a folder's documents.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::BatchStatus::Ready;
use super::{household_json, reload, this, ImportBatch, ImportRow};
use crate::db::ids::ClientId;
use crate::db::schema::{import_batches, import_rows};
use crate::db::{write_transaction, DbConnection};
use crate::domain::email::normalize;
use crate::import::households::{Household, PARENT_GUARDIAN};
use crate::import::matching::{self, Status};
use crate::import::review::{Choice, Kind, Link};
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

/// Saves the decisions for rows of a batch that is ready for review, by the review's
/// rules ([`crate::import::review`]): a choice a row does not offer is not taken. A
/// corrected email is checked again against the list and the file, as the analysis
/// would; a link is kept only to a client of the provider's list. An email given to a
/// minor (under 18 on `today`) is their parent's: see [`minors_contact`].
pub fn decide(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    decisions: &[RowDecision],
    today: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (scope, id) = (batch.scope(), batch.id.as_str());
    write_transaction(conn, |conn| {
        // Touching the batch first takes its lock: a second tab or an import waits, and a
        // batch no longer under review is left alone.
        let open = diesel::update(this(batch).filter(import_batches::status.eq(Ready.as_str())))
            .set(import_batches::updated_at.eq(now))
            .execute(conn)?;
        if open == 0 {
            return Ok(());
        }
        let current = reload(conn, batch)?;
        let kind = current.kind();
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
            counts.change(row.status, row.selected, row.linked_client_id.is_some(), -1);
            let mut row = row.clone();
            let mut rules = row.rules(kind);
            let corrected = d
                .email
                .as_deref()
                .map(crate::domain::email::address_in)
                .filter(|e| !e.is_empty() && Some(*e) != row.email.as_deref());
            if let Some(email) = corrected.filter(|_| rules.offers().email) {
                row = review_again(conn, batch, row, email)?;
                rules = rules.corrected(row.status, row.matched_client_id.is_some());
                if let Some(h) = minors_contact(conn, scope, &row, email, today)? {
                    row.household = household_json(&h);
                }
            }
            let link = match d.link_to.as_deref() {
                None => Link::None,
                Some(l) if row.matched_client_id.as_deref() == Some(l) => Link::Matched,
                Some(l) => match scope.client(conn, &ClientId(l.to_string()))? {
                    Some(_) => Link::Other,
                    None => Link::None,
                },
            };
            let choice = Choice {
                import: d.selected,
                link,
                takes_documents: d.takes_documents,
            };
            let outcome = if row.chosen_household().is_some() {
                // A member of a chosen household is imported without the shared address
                // as their own: ticked or not, nothing else.
                crate::import::review::Outcome {
                    selected: d.selected,
                    linked: false,
                    takes_documents: Some(d.takes_documents).filter(|_| kind == Kind::Export),
                }
            } else {
                rules.apply(&choice, || email_taken(conn, scope, row.email.as_deref()))?
            };
            let linked = if outcome.linked {
                d.link_to.clone()
            } else {
                None
            };
            diesel::update(
                import_rows::table
                    .filter(import_rows::batch_id.eq(id))
                    .filter(import_rows::position.eq(row.position)),
            )
            .set((
                import_rows::email.eq(&row.email),
                import_rows::status.eq(row.status.as_str()),
                import_rows::reasons.eq(&row.reasons),
                import_rows::matched_client_id.eq(&row.matched_client_id),
                import_rows::evidence.eq(&row.evidence),
                import_rows::selected.eq(outcome.selected),
                import_rows::linked_client_id.eq(&linked),
                import_rows::takes_documents
                    .eq(outcome.takes_documents.unwrap_or(row.takes_documents)),
                import_rows::household.eq(&row.household),
            ))
            .execute(conn)?;
            counts.change(row.status, outcome.selected, linked.is_some(), 1);
        }
        counts.save(conn, id)
    })
}

/// The batch's per-status and per-choice counts, kept up to date as rows change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    new: i64,
    existing: i64,
    needs_review: i64,
    invalid: i64,
    duplicate: i64,
    selected: i64,
    linked: i64,
}

impl Counts {
    fn of(b: &ImportBatch) -> Self {
        Counts {
            new: b.rows_new,
            existing: b.rows_existing,
            needs_review: b.rows_needs_review,
            invalid: b.rows_invalid,
            duplicate: b.rows_duplicate,
            selected: b.rows_selected,
            linked: b.rows_linked,
        }
    }

    fn of_status(&mut self, status: Status) -> &mut i64 {
        match status {
            Status::New => &mut self.new,
            Status::Existing => &mut self.existing,
            Status::NeedsReview => &mut self.needs_review,
            Status::Invalid => &mut self.invalid,
            Status::DuplicateInFile => &mut self.duplicate,
        }
    }

    /// A row of this status and these choices leaves (`by` -1) or joins (+1) the counts.
    fn change(&mut self, status: Status, selected: bool, linked: bool, by: i64) {
        *self.of_status(status) += by;
        self.selected += i64::from(selected) * by;
        self.linked += i64::from(linked) * by;
    }

    fn save(&self, conn: &mut DbConnection, id: &str) -> QueryResult<()> {
        diesel::update(import_batches::table.filter(import_batches::id.eq(id)))
            .set((
                import_batches::rows_new.eq(self.new),
                import_batches::rows_existing.eq(self.existing),
                import_batches::rows_needs_review.eq(self.needs_review),
                import_batches::rows_invalid.eq(self.invalid),
                import_batches::rows_duplicate.eq(self.duplicate),
                import_batches::rows_selected.eq(self.selected),
                import_batches::rows_linked.eq(self.linked),
            ))
            .execute(conn)
            .map(|_| ())
    }
}

/// A minor's row given an email on the review page: the address is a parent's (or
/// guardian's), as on the Add-client form, where a minor's emails go. The row becomes a
/// household of one, chosen: imported with no email of its own, the address its
/// contact's, named after the client whose address it is (or as the provider types it on
/// the page; the import asks until then). "Decide row by row" keeps the address theirs.
/// `None` for an adult, or a row that shares its address with others in the file.
fn minors_contact(
    conn: &mut DbConnection,
    scope: &Scope,
    row: &ImportRow,
    email: &str,
    today: NaiveDate,
) -> QueryResult<Option<Household>> {
    let minor = row
        .date_of_birth
        .is_some_and(|dob| crate::domain::client::age_on(dob, today) < 18);
    let of_the_file = row
        .household()
        .is_some_and(|h| h.members != [row.position] || !h.contact_rows.is_empty());
    if !minor || of_the_file {
        return Ok(None);
    }
    let owner = match crate::models::client::find_id_by_email(conn, scope, &normalize(email))? {
        Some(id) => scope
            .client(conn, &id)?
            .map(|c| (c.id.clone(), c.full_name())),
        None => None,
    };
    Ok(Some(Household {
        id: row.position,
        email: email.to_string(),
        members: vec![row.position],
        names: vec![(
            row.first_name.clone().unwrap_or_default(),
            row.last_name.clone().unwrap_or_default(),
        )],
        contact_rows: Vec::new(),
        contact_name: owner.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
        contact_phone: None,
        relationship: PARENT_GUARDIAN.to_string(),
        listed_owner: owner,
        chosen: true,
    }))
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
            // A date of birth that could not be read (not a match's "same date of birth").
            r.starts_with("The date of birth")
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
    row.status = reviewed.status;
    row.reasons = serde_json::to_string(&reviewed.reasons).unwrap_or_else(|_| "[]".into());
    row.matched_client_id = reviewed.matched_client_id;
    row.evidence = crate::import::evidence::Evidence::to_stored(reviewed.evidence.as_ref());
    Ok(row)
}
