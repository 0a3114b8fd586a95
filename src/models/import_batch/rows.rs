//! The reviewed rows of a batch: stored when an analysis ends (with the batch's counts),
//! read a page at a time for the review.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::BatchStatus::{Analysing, Ready};
use super::ROWS_PER_PAGE;
use crate::db::schema::{clients, import_batches, import_rows};
use crate::db::{write_transaction, DbConnection};
use crate::domain::billing::BillingType;
use crate::import::analysis::Analysis;
use crate::import::evidence::Evidence;
use crate::import::extract::Candidate;
use crate::import::households::{self, Household};
use crate::import::matching::Status;
use crate::import::plan;
use crate::import::review::{Kind, ReviewRow};
use crate::models::scope::{OwnedBatch, Scope};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_rows)]
pub struct ImportRow {
    pub position: i64,
    pub source_row: i64,
    pub source: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub reasons: String,
    pub matched_client_id: Option<String>,
    pub selected: bool,
    pub linked_client_id: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub documents: Option<String>,
    pub takes_documents: bool,
    /// An export's card whose documents a namesake's card may claim too.
    pub shares_folder: bool,
    /// Stored `Evidence` for the matched client (JSON).
    pub evidence: Option<String>,
    pub preferred_name: Option<String>,
    pub billing_type: Option<String>,
    /// Inactive or discharged in the file: imported archived.
    pub archived: bool,
    /// The household the row belongs to, as JSON ([`Household`]).
    pub household: Option<String>,
}

/// A stored row status; one this version does not know (written by a newer one) reads as
/// missing information, which is never imported as it is.
impl From<String> for Status {
    fn from(stored: String) -> Self {
        stored.parse().unwrap_or(Status::Invalid)
    }
}

impl ImportRow {
    /// The row as the review's rules see it, in a review of this kind.
    pub fn rules(&self, kind: Kind) -> ReviewRow {
        ReviewRow {
            kind,
            status: self.status,
            has_match: self.matched_client_id.is_some(),
            shares_folder: self.shares_folder,
        }
    }

    /// The documents found for the row's person: (kind, count).
    pub fn document_counts(&self) -> Vec<(String, usize)> {
        self.documents
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
    }

    /// The household the row is a member of, or whose contact's card it is.
    pub fn household(&self) -> Option<Household> {
        self.household
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
    }

    /// The household this row is imported in as a member: one the provider chose.
    pub fn chosen_household(&self) -> Option<Household> {
        self.household()
            .filter(|h| h.chosen && h.members.contains(&self.position))
    }

    pub fn reasons(&self) -> Vec<String> {
        serde_json::from_str(&self.reasons).unwrap_or_default()
    }

    /// What speaks for and against the row being its matched client.
    pub fn evidence(&self) -> Option<Evidence> {
        Evidence::from_stored(self.evidence.as_deref())
    }

    pub(super) fn candidate(&self) -> Candidate {
        Candidate {
            row: usize::try_from(self.source_row).unwrap_or(0),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            date_of_birth: self.date_of_birth,
            date_problem: None,
            source: self.source.clone(),
            preferred_name: self.preferred_name.clone(),
            billing_type: self.billing_type.as_deref().and_then(BillingType::parse),
            archived: self.archived,
            contact: None,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = import_rows, treat_none_as_default_value = false)]
pub(in crate::models) struct NewImportRow<'a> {
    pub batch_id: &'a str,
    pub position: i64,
    pub source_row: i64,
    pub source: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub date_of_birth: Option<NaiveDate>,
    pub status: &'static str,
    pub reasons: String,
    pub matched_client_id: Option<&'a str>,
    pub selected: bool,
    pub linked_client_id: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub documents: Option<String>,
    pub takes_documents: bool,
    pub shares_folder: bool,
    pub evidence: Option<String>,
    pub preferred_name: Option<&'a str>,
    pub billing_type: Option<&'static str>,
    pub archived: bool,
    pub household: Option<String>,
}

/// A household as stored with its rows.
pub(in crate::models) fn household_json(h: &Household) -> Option<String> {
    serde_json::to_string(h).ok()
}

/// Stores a finished analysis: every reviewed row and the counts, in one transaction.
pub fn save_analysis(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    analysis: &Analysis,
    details: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    let summary = plan::Summary::of(&analysis.rows);
    let households = households::by_row(&analysis.households, analysis.rows.len());
    let rows: Vec<NewImportRow> = analysis
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = &r.candidate;
            NewImportRow {
                batch_id: id,
                position: i as i64 + 1,
                source_row: c.row as i64,
                source: c.source.as_deref(),
                first_name: c.first_name.as_deref(),
                last_name: c.last_name.as_deref(),
                email: c.email.as_deref(),
                phone: c.phone.as_deref(),
                date_of_birth: c.date_of_birth,
                status: r.status.as_str(),
                reasons: serde_json::to_string(&r.reasons).unwrap_or_else(|_| "[]".into()),
                matched_client_id: r.matched_client_id.as_deref(),
                selected: r.selected,
                linked_client_id: None,
                display_name: None,
                external_id: None,
                documents: None,
                takes_documents: false,
                shares_folder: false,
                evidence: Evidence::to_stored(r.evidence.as_ref()),
                preferred_name: c.preferred_name.as_deref(),
                billing_type: c.billing_type.map(BillingType::as_str),
                archived: c.archived,
                household: households[i].and_then(household_json),
            }
        })
        .collect();
    let head = StoredHead {
        format: analysis.format.as_str(),
        layout: analysis.layout,
        sheet: analysis.sheet.as_deref(),
        details,
        summary,
    };
    store_rows(conn, batch, &head, &rows, now)
}

/// What a finished analysis says about the batch as a whole.
pub(in crate::models) struct StoredHead<'a> {
    pub format: &'a str,
    pub layout: Option<&'a str>,
    pub sheet: Option<&'a str>,
    pub details: &'a str,
    pub summary: plan::Summary,
}

/// Marks a batch ready with its rows, in one transaction — only while it is being
/// analysed: a batch cancelled meanwhile stays cancelled (and `false` says so).
pub(in crate::models) fn store_rows(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    head: &StoredHead<'_>,
    rows: &[NewImportRow<'_>],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let id = batch.id.as_str();
    let summary = &head.summary;
    write_transaction(conn, |conn| {
        let n = diesel::update(
            import_batches::table
                .filter(import_batches::id.eq(id))
                .filter(import_batches::status.eq(Analysing.as_str())),
        )
        .set((
            import_batches::status.eq(Ready.as_str()),
            import_batches::error.eq(None::<String>),
            import_batches::format.eq(head.format),
            import_batches::layout.eq(head.layout),
            import_batches::sheet.eq(head.sheet),
            import_batches::details.eq(head.details),
            import_batches::rows_total.eq(summary.rows as i64),
            import_batches::rows_new.eq(summary.new as i64),
            import_batches::rows_existing.eq(summary.existing as i64),
            import_batches::rows_needs_review.eq(summary.needs_review as i64),
            import_batches::rows_invalid.eq(summary.invalid as i64),
            import_batches::rows_duplicate.eq(summary.duplicate_in_file as i64),
            import_batches::rows_selected.eq(rows.iter().filter(|r| r.selected).count() as i64),
            import_batches::rows_linked
                .eq(rows.iter().filter(|r| r.linked_client_id.is_some()).count() as i64),
            import_batches::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 0 {
            return Ok(false);
        }
        diesel::delete(import_rows::table.filter(import_rows::batch_id.eq(id))).execute(conn)?;
        // SQLite binds at most 32,766 parameters a statement: room for 32 columns (the
        // table has 24).
        for chunk in rows.chunks(32_766 / 32) {
            match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(import_rows::table)
                    .values(chunk)
                    .execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(import_rows::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        Ok(true)
    })
}

/// One page of a batch's rows, optionally of one status. How many rows there are is kept
/// with the batch (`ImportBatch::rows_with`): counting 100,000 rows per page would not do.
pub fn rows_page(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    status: Option<Status>,
    page: i64,
) -> QueryResult<Vec<ImportRow>> {
    let id = batch.id.as_str();
    let mut q = import_rows::table
        .filter(import_rows::batch_id.eq(id.to_string()))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(import_rows::status.eq(s.as_str()));
    }
    q.order(import_rows::position)
        .limit(ROWS_PER_PAGE)
        .offset(page.clamp(1, i64::MAX / ROWS_PER_PAGE).saturating_sub(1) * ROWS_PER_PAGE)
        .select(ImportRow::as_select())
        .load(conn)
}

/// Names of the provider's clients by id, for the rows that point at one.
pub fn client_names(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[String],
) -> QueryResult<Vec<(String, String, String, String)>> {
    scope
        .clients()
        .filter(clients::id.eq_any(ids))
        .select((
            clients::id,
            clients::first_name,
            clients::last_name,
            clients::email,
        ))
        .load(conn)
}
