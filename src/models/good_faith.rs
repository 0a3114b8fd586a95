//! The Good Faith Estimates issued to a client: what each covered and its total, the PDF
//! in the client's documents, and when the client acknowledged receiving it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::scope::{Owned, OwnedClient};
use crate::db::ids::new_row_id;
use crate::db::schema::{good_faith_estimates, good_faith_requests};
use crate::db::DbConnection;
use crate::domain::good_faith::Sheet;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = good_faith_estimates)]
pub struct GoodFaithEstimate {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub document_id: String,
    pub issued_at: NaiveDateTime,
    pub covers_from: NaiveDate,
    pub covers_until: NaiveDate,
    pub frequency: String,
    pub total_cents: i64,
    /// JSON: read through [`GoodFaithEstimate::sheet`].
    pub sheet: String,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_ip: Option<String>,
}

impl GoodFaithEstimate {
    /// What it said when issued.
    pub fn sheet(&self) -> Sheet {
        serde_json::from_str(&self.sheet).unwrap_or_else(|_| Sheet {
            client_name: String::new(),
            client_dob: String::new(),
            provider_name: String::new(),
            practice: String::new(),
            npi: String::new(),
            tin: String::new(),
            address: String::new(),
            issued_on: String::new(),
            covers: String::new(),
            expected: "This estimate could not be read; its PDF is in the client's documents."
                .into(),
            lines: Vec::new(),
        })
    }

    /// Whether it covers `day` (a session on that day needs no new one).
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.covers_from <= day && day <= self.covers_until
    }
}

pub struct NewEstimate<'a> {
    pub document_id: &'a str,
    pub covers_from: NaiveDate,
    pub covers_until: NaiveDate,
    pub frequency: &'a str,
    pub sheet: &'a Sheet,
}

pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    new: &NewEstimate<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_row_id();
    let total: i64 = new.sheet.total_cents();
    let sheet = serde_json::to_string(new.sheet)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(good_faith_estimates::table)
        .values((
            good_faith_estimates::id.eq(&id),
            good_faith_estimates::provider_id.eq(client.provider_id().as_str()),
            good_faith_estimates::client_id.eq(client.id.as_str()),
            good_faith_estimates::document_id.eq(new.document_id),
            good_faith_estimates::issued_at.eq(now),
            good_faith_estimates::covers_from.eq(new.covers_from),
            good_faith_estimates::covers_until.eq(new.covers_until),
            good_faith_estimates::frequency.eq(new.frequency),
            good_faith_estimates::total_cents.eq(total),
            good_faith_estimates::sheet.eq(sheet),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The client's estimates, newest first.
pub fn for_client(
    conn: &mut DbConnection,
    client: &OwnedClient,
) -> QueryResult<Vec<GoodFaithEstimate>> {
    client
        .scope()
        .good_faith_estimates()
        .filter(good_faith_estimates::client_id.eq(client.id.as_str()))
        .order(good_faith_estimates::issued_at.desc())
        .select(GoodFaithEstimate::as_select())
        .load(conn)
}

/// One of the client's estimates, by id.
pub fn find(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &str,
) -> QueryResult<Option<Owned<GoodFaithEstimate>>> {
    let row = client
        .scope()
        .good_faith_estimates()
        .filter(good_faith_estimates::client_id.eq(client.id.as_str()))
        .filter(good_faith_estimates::id.eq(id))
        .select(GoodFaithEstimate::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|g| client.sibling(g)))
}

/// Records the client's acknowledgment of receipt (the first one counts); `false` when it
/// was acknowledged before.
pub fn acknowledge(
    conn: &mut DbConnection,
    estimate: &Owned<GoodFaithEstimate>,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        estimate
            .scope()
            .good_faith_estimates()
            .filter(good_faith_estimates::id.eq(estimate.id.as_str()))
            .filter(good_faith_estimates::acknowledged_at.is_null()),
    )
    .set((
        good_faith_estimates::acknowledged_at.eq(now),
        good_faith_estimates::acknowledged_ip.eq(ip),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records the client's request for an estimate.
pub fn request(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(good_faith_requests::table)
        .values((
            good_faith_requests::id.eq(new_row_id()),
            good_faith_requests::provider_id.eq(client.provider_id().as_str()),
            good_faith_requests::client_id.eq(client.id.as_str()),
            good_faith_requests::requested_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// When the client last asked for an estimate, if they did.
pub fn last_request(
    conn: &mut DbConnection,
    client: &OwnedClient,
) -> QueryResult<Option<NaiveDateTime>> {
    client
        .scope()
        .good_faith_requests()
        .filter(good_faith_requests::client_id.eq(client.id.as_str()))
        .select(diesel::dsl::max(good_faith_requests::requested_at))
        .first(conn)
}
