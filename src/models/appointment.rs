//! A provider's calendar entries, and the one way they are written: inside a transaction
//! that holds the provider's calendar, after checking every new entry against every entry
//! that holds its time — one range query for a whole series, not one per occurrence — so
//! that two people booking the same hour at the same moment get one entry and one refusal.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{Owned, Scope};
use crate::db::ids::new_row_id;
use crate::db::schema::{appointment_series, appointments, providers};
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::{earliest_overlapping_start, Kind, Span, Status};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appointments)]
pub struct Appointment {
    pub id: String,
    pub provider_id: String,
    pub kind: String,
    pub client_id: Option<String>,
    pub service_id: Option<String>,
    pub series_id: Option<String>,
    pub series_index: Option<i32>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub status: String,
    pub location: Option<String>,
    pub note: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub cpt_code: Option<String>,
    /// Comma-separated ICD-10 codes, as confirmed.
    pub diagnosis_codes: Option<String>,
    pub actual_start: Option<NaiveDateTime>,
    pub actual_end: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The fee a late cancellation or no-show carries under the policy of the day.
    pub fee_cents: Option<i32>,
    /// When the reminder for the session's current time was queued.
    pub reminder_queued_at: Option<NaiveDateTime>,
}

impl Appointment {
    pub fn span(&self) -> Span {
        Span {
            start: self.starts_at,
            end: self.ends_at,
        }
    }

    /// The stored status, typed (an unknown value reads as cancelled: it holds no time).
    pub fn state(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Cancelled)
    }

    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Unavailable)
    }
}

/// An entry to write.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub kind: Kind,
    pub status: Status,
    /// Must be this provider's client (the composite foreign key refuses any other).
    pub client_id: Option<String>,
    pub service_id: Option<String>,
    pub span: Span,
    pub location: Option<String>,
    pub note: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// A new entry that would overlap one already on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Which of the entries asked for (0-based, in the order given).
    pub index: usize,
    pub wanted: Span,
    /// The entry it would overlap.
    pub existing_id: String,
    pub existing: Span,
    /// What holds it: a waiting request is named as one, with "decline it and book".
    pub existing_status: Status,
}

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// Nothing was written; every conflict is listed.
    #[error("{} of these times overlap the calendar", .0.len())]
    Conflicts(Vec<Conflict>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// Nothing was written; every new time that overlaps the calendar is listed.
    #[error("{} of the new times overlap the calendar", .0.len())]
    Conflicts(Vec<Conflict>),
    /// Nothing was written: an entry was changed meanwhile (another tab, another person).
    #[error("an entry was changed meanwhile")]
    Changed,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Makes other writers of this provider's calendar wait until this transaction commits.
/// SQLite: `write_transaction` already holds the database's one write lock. PostgreSQL: a
/// row lock on the provider.
fn hold_calendar(conn: &mut DbConnection, scope: &Scope) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        providers::table
            .find(scope.provider_id().as_str())
            .select(providers::id)
            .for_update()
            .first::<String>(c)?;
    }
    Ok(())
}

/// The entries that hold their time in `[from, to)`.
fn holding_between(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Appointment>> {
    scope
        .appointments()
        .filter(appointments::starts_at.lt(to))
        .filter(appointments::starts_at.ge(earliest_overlapping_start(from)))
        .filter(appointments::ends_at.gt(from))
        .filter(appointments::status.eq_any(Status::HOLDING.map(Status::as_str)))
        .order(appointments::starts_at)
        .select(Appointment::as_select())
        .load(conn)
}

/// Every overlap of `wanted` (each entry that would hold time) with the calendar; one
/// query over the whole range.
pub fn conflicts(
    conn: &mut DbConnection,
    scope: &Scope,
    wanted: &[NewAppointment],
) -> QueryResult<Vec<Conflict>> {
    let spans: Vec<(usize, Span)> = wanted
        .iter()
        .enumerate()
        .filter(|(_, w)| w.status.holds_time())
        .map(|(i, w)| (i, w.span))
        .collect();
    overlaps(conn, scope, &spans, &[])
}

/// Every overlap of these spans (numbered by the caller) with the entries holding time,
/// leaving out the entries in `moving` (they are the ones being given these spans).
fn overlaps(
    conn: &mut DbConnection,
    scope: &Scope,
    spans: &[(usize, Span)],
    moving: &[&str],
) -> QueryResult<Vec<Conflict>> {
    let (Some(from), Some(to)) = (
        spans.iter().map(|(_, s)| s.start).min(),
        spans.iter().map(|(_, s)| s.end).max(),
    ) else {
        return Ok(Vec::new());
    };
    let mut existing = holding_between(conn, scope, from, to)?;
    existing.retain(|e| !moving.contains(&e.id.as_str()));
    let mut out = Vec::new();
    for (index, span) in spans {
        // `existing` is ordered by start: only those starting before this one ends matter.
        let end = existing.partition_point(|e| e.starts_at < span.end);
        if let Some(e) = existing[..end].iter().find(|e| e.span().overlaps(span)) {
            out.push(Conflict {
                index: *index,
                wanted: *span,
                existing_id: e.id.clone(),
                existing: e.span(),
                existing_status: e.state(),
            });
        }
    }
    Ok(out)
}

/// Writes the entries — all, or none when any would overlap the calendar. The check runs
/// inside the transaction that writes, with the calendar held.
pub fn book(
    conn: &mut DbConnection,
    scope: &Scope,
    wanted: &[NewAppointment],
    now: NaiveDateTime,
) -> Result<Vec<Owned<Appointment>>, BookError> {
    book_in(conn, scope, wanted, None, now)
}

/// What a series was asked to be (its occurrences are the rows).
pub struct NewSeries<'a> {
    pub frequency: &'a str,
    pub ends_after: Option<i32>,
    pub ends_on: Option<chrono::NaiveDate>,
    /// The wall-clock start, "HH:MM", in `time_zone`.
    pub local_time: String,
    pub time_zone: &'a str,
}

/// Books every occurrence of a series (numbered in order) with its rule, all or none.
pub fn book_series(
    conn: &mut DbConnection,
    scope: &Scope,
    series: &NewSeries<'_>,
    wanted: &[NewAppointment],
    now: NaiveDateTime,
) -> Result<Vec<Owned<Appointment>>, BookError> {
    write_transaction(conn, |conn| {
        let id = new_row_id();
        diesel::insert_into(appointment_series::table)
            .values((
                appointment_series::id.eq(&id),
                appointment_series::provider_id.eq(scope.provider_id().as_str()),
                appointment_series::frequency.eq(series.frequency),
                appointment_series::ends_after.eq(series.ends_after),
                appointment_series::ends_on.eq(series.ends_on),
                appointment_series::local_time.eq(&series.local_time),
                appointment_series::time_zone.eq(series.time_zone),
                appointment_series::created_at.eq(now),
            ))
            .execute(conn)?;
        book_in(conn, scope, wanted, Some(&id), now)
    })
}

fn book_in(
    conn: &mut DbConnection,
    scope: &Scope,
    wanted: &[NewAppointment],
    series: Option<&str>,
    now: NaiveDateTime,
) -> Result<Vec<Owned<Appointment>>, BookError> {
    write_transaction(conn, |conn| {
        hold_calendar(conn, scope)?;
        let found = conflicts(conn, scope, wanted)?;
        if !found.is_empty() {
            return Err(BookError::Conflicts(found));
        }
        let mut ids = Vec::with_capacity(wanted.len());
        for (index, w) in wanted.iter().enumerate() {
            let id = new_row_id();
            diesel::insert_into(appointments::table)
                .values((
                    appointments::id.eq(&id),
                    appointments::provider_id.eq(scope.provider_id().as_str()),
                    appointments::kind.eq(w.kind.as_str()),
                    appointments::client_id.eq(w.client_id.as_deref()),
                    appointments::service_id.eq(w.service_id.as_deref()),
                    appointments::starts_at.eq(w.span.start),
                    appointments::ends_at.eq(w.span.end),
                    appointments::status.eq(w.status.as_str()),
                    appointments::location.eq(w.location.as_deref()),
                    appointments::note.eq(w.note.as_deref()),
                    appointments::contact_name.eq(w.contact_name.as_deref()),
                    appointments::contact_phone.eq(w.contact_phone.as_deref()),
                    appointments::series_id.eq(series),
                    appointments::series_index.eq(series.map(|_| index as i32)),
                    appointments::version.eq(1i64),
                    appointments::created_at.eq(now),
                    appointments::updated_at.eq(now),
                ))
                .execute(conn)?;
            ids.push(id);
        }
        let rows = scope
            .appointments()
            .filter(appointments::id.eq_any(&ids))
            .order(appointments::starts_at)
            .select(Appointment::as_select())
            .load(conn)?;
        Ok(rows.into_iter().map(|a| scope.owns(a)).collect())
    })
}

/// Writes a booking request — a requested entry, which holds its time while it waits —
/// unless its time has been taken (or asked for) meanwhile: the same check, with the
/// calendar held, as for a booking.
pub fn request(
    conn: &mut DbConnection,
    scope: &Scope,
    wanted: &NewAppointment,
    now: NaiveDateTime,
) -> Result<Owned<Appointment>, BookError> {
    let mut asked = wanted.clone();
    asked.status = Status::Requested;
    let mut rows = book_in(conn, scope, &[asked], None, now)?;
    rows.pop()
        .ok_or(BookError::Database(diesel::result::Error::NotFound))
}

/// What a request for `span` would overlap, checked as [`request`] checks it, with the
/// calendar held until the caller's transaction ends: none when it may be asked for.
pub fn request_conflicts(
    conn: &mut DbConnection,
    scope: &Scope,
    span: Span,
) -> QueryResult<Vec<Conflict>> {
    hold_calendar(conn, scope)?;
    overlaps(conn, scope, &[(0, span)], &[])
}

/// Makes a request a scheduled session — unless its time is now taken (every overlap is
/// returned) or it is no longer a request at `expected_version`; checked and written with
/// the calendar held. A waiting request holds its time, so nothing else overlaps it; the
/// other requests returned (still open, for the caller to decline) are those made before
/// requests held their time.
pub fn accept(
    conn: &mut DbConnection,
    request: &Owned<Appointment>,
    expected_version: i64,
    now: NaiveDateTime,
) -> Result<Vec<Owned<Appointment>>, MoveError> {
    let scope = request.scope();
    write_transaction(conn, |conn| {
        hold_calendar(conn, scope)?;
        // Requests that overlap it (made before requests held time) are declined, not in
        // its way.
        let rivals = scope
            .appointments()
            .filter(appointments::status.eq(Status::Requested.as_str()))
            .filter(appointments::starts_at.lt(request.ends_at))
            .filter(appointments::ends_at.gt(request.starts_at))
            .filter(appointments::id.ne(request.id.as_str()))
            .order(appointments::created_at)
            .select(Appointment::as_select())
            .load(conn)?;
        let mut aside: Vec<&str> = rivals.iter().map(|r| r.id.as_str()).collect();
        aside.push(request.id.as_str());
        let found = overlaps(conn, scope, &[(0, request.span())], &aside)?;
        if !found.is_empty() {
            return Err(MoveError::Conflicts(found));
        }
        let n = diesel::update(
            scope
                .appointments()
                .filter(appointments::id.eq(request.id.as_str()))
                .filter(appointments::status.eq(Status::Requested.as_str()))
                .filter(appointments::version.eq(expected_version)),
        )
        .set((
            appointments::status.eq(Status::Scheduled.as_str()),
            appointments::version.eq(appointments::version + 1),
            appointments::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(MoveError::Changed);
        }
        Ok(rivals.into_iter().map(|a| request.sibling(a)).collect())
    })
}

/// The requests waiting for the provider's answer, soonest first.
pub fn open_requests(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<Appointment>> {
    scope
        .appointments()
        .filter(appointments::status.eq(Status::Requested.as_str()))
        .order((appointments::starts_at, appointments::created_at))
        .select(Appointment::as_select())
        .load(conn)
}

/// The spans that hold time in `[from, to)`: what the booking link cannot offer.
pub fn busy_between(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Span>> {
    Ok(holding_between(conn, scope, from, to)?
        .iter()
        .map(Appointment::span)
        .collect())
}

/// An open entry's new time and details.
pub struct Move<'a> {
    pub entry: &'a Owned<Appointment>,
    pub span: Span,
    pub service_id: Option<&'a str>,
    pub location: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// Gives each entry its new time and details — all, or none when any new time overlaps
/// the calendar (the entries being moved do not count against each other) or any entry
/// is no longer scheduled at the version it was read at. Each moved entry waits for a
/// reminder at its new time.
pub fn reschedule(
    conn: &mut DbConnection,
    scope: &Scope,
    moves: &[Move<'_>],
    now: NaiveDateTime,
) -> Result<(), MoveError> {
    write_transaction(conn, |conn| {
        hold_calendar(conn, scope)?;
        let spans: Vec<(usize, Span)> = moves.iter().map(|m| m.span).enumerate().collect();
        let moving: Vec<&str> = moves.iter().map(|m| m.entry.id.as_str()).collect();
        let found = overlaps(conn, scope, &spans, &moving)?;
        if !found.is_empty() {
            return Err(MoveError::Conflicts(found));
        }
        for m in moves {
            let moved = m.span != m.entry.span();
            let n = diesel::update(
                scope
                    .appointments()
                    .filter(appointments::id.eq(m.entry.id.as_str()))
                    .filter(appointments::status.eq(Status::Scheduled.as_str()))
                    .filter(appointments::version.eq(m.entry.version)),
            )
            .set((
                appointments::starts_at.eq(m.span.start),
                appointments::ends_at.eq(m.span.end),
                appointments::service_id.eq(m.service_id),
                appointments::location.eq(m.location),
                appointments::note.eq(m.note),
                appointments::version.eq(appointments::version + 1),
                appointments::updated_at.eq(now),
            ))
            .execute(conn)?;
            if n != 1 {
                return Err(MoveError::Changed);
            }
            if moved {
                diesel::update(
                    scope
                        .appointments()
                        .filter(appointments::id.eq(m.entry.id.as_str())),
                )
                .set(appointments::reminder_queued_at.eq(None::<NaiveDateTime>))
                .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// Makes `from` and the occurrences after it a series of their own (numbered from 0),
/// asked for at `local_time`; the earlier ones keep the old series, now ending before it.
pub fn split_series(
    conn: &mut DbConnection,
    from: &Owned<Appointment>,
    local_time: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (Some(old), Some(index)) = (&from.series_id, from.series_index) else {
        return Ok(());
    };
    let scope = from.scope();
    let rule: (String, Option<i32>, Option<chrono::NaiveDate>, String) = scope
        .appointment_series()
        .filter(appointment_series::id.eq(old))
        .select((
            appointment_series::frequency,
            appointment_series::ends_after,
            appointment_series::ends_on,
            appointment_series::time_zone,
        ))
        .first(conn)?;
    let (frequency, ends_after, ends_on, zone) = rule;
    let id = new_row_id();
    diesel::insert_into(appointment_series::table)
        .values((
            appointment_series::id.eq(&id),
            appointment_series::provider_id.eq(scope.provider_id().as_str()),
            appointment_series::frequency.eq(&frequency),
            appointment_series::ends_after.eq(ends_after.map(|n| n - index)),
            appointment_series::ends_on.eq(ends_on),
            appointment_series::local_time.eq(local_time),
            appointment_series::time_zone.eq(&zone),
            appointment_series::created_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        scope
            .appointments()
            .filter(appointments::series_id.eq(old))
            .filter(appointments::series_index.ge(index)),
    )
    .set((
        appointments::series_id.eq(&id),
        appointments::series_index.eq(appointments::series_index - index),
    ))
    .execute(conn)?;
    diesel::update(
        scope
            .appointment_series()
            .filter(appointment_series::id.eq(old)),
    )
    .set((
        appointment_series::ends_after.eq(Some(index)),
        appointment_series::ends_on.eq(None::<chrono::NaiveDate>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Records the wall-clock time a whole series is now asked for.
pub fn set_series_time(
    conn: &mut DbConnection,
    of: &Owned<Appointment>,
    local_time: &str,
) -> QueryResult<()> {
    let Some(series) = &of.series_id else {
        return Ok(());
    };
    diesel::update(
        of.scope()
            .appointment_series()
            .filter(appointment_series::id.eq(series)),
    )
    .set(appointment_series::local_time.eq(local_time))
    .execute(conn)?;
    Ok(())
}

/// The provider's entries overlapping `[from, to)`, whatever their status, by start.
pub fn between(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Appointment>> {
    scope
        .appointments()
        .filter(appointments::starts_at.lt(to))
        .filter(appointments::starts_at.ge(earliest_overlapping_start(from)))
        .filter(appointments::ends_at.gt(from))
        .order((appointments::starts_at, appointments::id))
        .select(Appointment::as_select())
        .load(conn)
}

/// One of the provider's entries, by id.
pub fn find(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
) -> QueryResult<Option<Owned<Appointment>>> {
    let row = scope
        .appointments()
        .filter(appointments::id.eq(id))
        .select(Appointment::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|a| scope.owns(a)))
}

/// What confirming a session records.
pub struct Confirmation<'a> {
    pub cpt_code: &'a str,
    pub diagnosis_codes: &'a [String],
    pub actual: Span,
    pub note: Option<&'a str>,
}

/// Records a session's confirmation: a scheduled one becomes confirmed (stamped `now`),
/// or a confirmed one gets its codes, real times and note corrected (its stamp kept).
/// `false` when it was no longer in that status at `expected_version` (another tab
/// changed it first). The 48-hour window for corrections is the caller's rule.
pub fn save_confirmation(
    conn: &mut DbConnection,
    appointment: &Owned<Appointment>,
    c: &Confirmation<'_>,
    expected_version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let (from, confirmed_at) = match appointment.confirmed_at {
        Some(at) => (Status::Confirmed, at),
        None => (Status::Scheduled, now),
    };
    let n = diesel::update(
        appointment
            .scope()
            .appointments()
            .filter(appointments::id.eq(appointment.id.as_str()))
            .filter(appointments::status.eq(from.as_str()))
            .filter(appointments::version.eq(expected_version)),
    )
    .set((
        appointments::status.eq(Status::Confirmed.as_str()),
        appointments::cpt_code.eq(c.cpt_code),
        appointments::diagnosis_codes.eq(c.diagnosis_codes.join(",")),
        appointments::actual_start.eq(c.actual.start),
        appointments::actual_end.eq(c.actual.end),
        appointments::note.eq(c.note),
        appointments::confirmed_at.eq(confirmed_at),
        appointments::version.eq(appointments::version + 1),
        appointments::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The diagnosis codes the provider confirmed most recently, newest first, each once —
/// offered when confirming the next session.
pub fn recent_diagnoses(
    conn: &mut DbConnection,
    scope: &Scope,
    limit: usize,
) -> QueryResult<Vec<String>> {
    let rows: Vec<Option<String>> = scope
        .appointments()
        .filter(appointments::status.eq(Status::Confirmed.as_str()))
        .filter(appointments::confirmed_at.is_not_null())
        .order(appointments::confirmed_at.desc())
        .select(appointments::diagnosis_codes)
        .limit(200)
        .load(conn)?;
    let mut out: Vec<String> = Vec::new();
    for code in rows.iter().flatten().flat_map(|c| c.split(',')) {
        if out.len() >= limit {
            break;
        }
        if !code.is_empty() && !out.iter().any(|c| c == code) {
            out.push(code.to_string());
        }
    }
    Ok(out)
}

/// Marks the session's reminder queued; `false` when it already was (another server's
/// sweep got there first), so that a reminder is queued once.
pub fn mark_reminded(
    conn: &mut DbConnection,
    appointment: &Owned<Appointment>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        appointment
            .scope()
            .appointments()
            .filter(appointments::id.eq(appointment.id.as_str()))
            .filter(appointments::reminder_queued_at.is_null()),
    )
    .set(appointments::reminder_queued_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// The diagnosis codes of the client's latest confirmed session, if any.
pub fn last_diagnosis(
    conn: &mut DbConnection,
    client: &super::scope::OwnedClient,
) -> QueryResult<Option<String>> {
    Ok(client
        .scope()
        .appointments()
        .filter(appointments::client_id.eq(client.id.as_str()))
        .filter(appointments::status.eq(Status::Confirmed.as_str()))
        .order(appointments::confirmed_at.desc())
        .select(appointments::diagnosis_codes)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// How an entry ends without taking place.
pub struct Closure<'a> {
    /// Cancelled, late-cancelled, no-show or declined.
    pub status: Status,
    pub reason: Option<&'a str>,
    /// "client" or "provider".
    pub by: &'a str,
    /// The fee it carries under the policy (late cancellations and no-shows).
    pub fee_cents: Option<i32>,
}

/// Ends a scheduled (or requested) entry as cancelled, late-cancelled, a no-show or
/// declined, with why and by whom; `false` when it was no longer open at
/// `expected_version`.
pub fn close(
    conn: &mut DbConnection,
    appointment: &Owned<Appointment>,
    closure: &Closure<'_>,
    expected_version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        appointment
            .scope()
            .appointments()
            .filter(appointments::id.eq(appointment.id.as_str()))
            .filter(appointments::status.eq_any(Status::OPEN.map(Status::as_str)))
            .filter(appointments::version.eq(expected_version)),
    )
    .set((
        appointments::status.eq(closure.status.as_str()),
        appointments::cancel_reason.eq(closure.reason),
        appointments::cancelled_by.eq(closure.by),
        appointments::fee_cents.eq(closure.fee_cents),
        appointments::version.eq(appointments::version + 1),
        appointments::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The still-open occurrences of `appointment`'s series: all of them, or (with
/// `following`) this one and those after it. Empty for an entry of no series.
pub fn open_in_series(
    conn: &mut DbConnection,
    appointment: &Owned<Appointment>,
    following: bool,
) -> QueryResult<Vec<Owned<Appointment>>> {
    let (Some(series), Some(index)) = (&appointment.series_id, appointment.series_index) else {
        return Ok(Vec::new());
    };
    let mut q = appointment
        .scope()
        .appointments()
        .filter(appointments::series_id.eq(series))
        .filter(appointments::status.eq_any(Status::OPEN.map(Status::as_str)))
        .into_boxed();
    if following {
        q = q.filter(appointments::series_index.ge(index));
    }
    let rows = q
        .order(appointments::series_index)
        .select(Appointment::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|a| appointment.sibling(a)).collect())
}

/// The client an entry is with (none for a consultation or a block).
pub fn client_of(
    conn: &mut DbConnection,
    entry: &Owned<Appointment>,
) -> QueryResult<Option<super::scope::OwnedClient>> {
    match &entry.client_id {
        Some(id) => entry
            .scope()
            .client(conn, &crate::db::ids::ClientId(id.clone())),
        None => Ok(None),
    }
}

/// The client's sessions, newest first.
pub fn for_client(
    conn: &mut DbConnection,
    client: &super::scope::OwnedClient,
) -> QueryResult<Vec<Appointment>> {
    client
        .scope()
        .appointments()
        .filter(appointments::client_id.eq(client.id.as_str()))
        .order((appointments::starts_at.desc(), appointments::id))
        .select(Appointment::as_select())
        .load(conn)
}

/// The client's scheduled sessions starting in `(from, to]`, by start.
pub fn client_sessions_starting(
    conn: &mut DbConnection,
    client: &super::scope::OwnedClient,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Appointment>> {
    client
        .scope()
        .appointments()
        .filter(appointments::client_id.eq(client.id.as_str()))
        .filter(appointments::kind.eq(Kind::Session.as_str()))
        .filter(appointments::status.eq(Status::Scheduled.as_str()))
        .filter(appointments::starts_at.gt(from))
        .filter(appointments::starts_at.le(to))
        .order(appointments::starts_at)
        .select(Appointment::as_select())
        .load(conn)
}

/// When the client's last session before `before` started (cancelled ones aside).
pub fn previous_session_start(
    conn: &mut DbConnection,
    client: &super::scope::OwnedClient,
    before: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    client
        .scope()
        .appointments()
        .filter(appointments::client_id.eq(client.id.as_str()))
        .filter(appointments::kind.eq(Kind::Session.as_str()))
        .filter(
            appointments::status.eq_any([Status::Scheduled.as_str(), Status::Confirmed.as_str()]),
        )
        .filter(appointments::starts_at.lt(before))
        .order(appointments::starts_at.desc())
        .select(appointments::starts_at)
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{at, conn, provider};

    fn block(start: &str, end: &str) -> NewAppointment {
        NewAppointment {
            kind: Kind::Unavailable,
            status: Status::Scheduled,
            client_id: None,
            service_id: None,
            span: Span {
                start: at(start),
                end: at(end),
            },
            location: None,
            note: None,
            contact_name: None,
            contact_phone: None,
        }
    }

    #[test]
    fn an_overlapping_booking_is_refused_whole_and_back_to_back_is_fine() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let now = at("2026-12-01 08:00");
        book(
            &mut c,
            &a,
            &[block("2026-12-02 09:00", "2026-12-02 10:00")],
            now,
        )
        .unwrap();
        // The second of three overlaps: nothing of the three is written.
        let wanted = [
            block("2026-12-02 08:00", "2026-12-02 09:00"),
            block("2026-12-02 09:30", "2026-12-02 10:30"),
            block("2026-12-02 10:00", "2026-12-02 11:00"),
        ];
        match book(&mut c, &a, &wanted, now) {
            Err(BookError::Conflicts(found)) => {
                assert_eq!(found.len(), 1);
                assert_eq!(found[0].index, 1);
                assert_eq!(found[0].existing.start, at("2026-12-02 09:00"));
            }
            other => panic!("expected conflicts, got {other:?}"),
        }
        assert_eq!(
            between(&mut c, &a, at("2026-12-02 00:00"), at("2026-12-03 00:00"))
                .unwrap()
                .len(),
            1
        );
        // Without the overlapping one, the other two fit around the first.
        let booked = book(&mut c, &a, &[wanted[0].clone(), wanted[2].clone()], now).unwrap();
        assert_eq!(booked.len(), 2);
        assert_eq!(booked[0].provider_id(), a.provider_id());
    }

    #[test]
    fn cancelled_entries_and_other_providers_hold_no_time() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let (_, b) = provider(&mut c, "b@example.com");
        let now = at("2026-12-01 08:00");
        let mut cancelled = block("2026-12-02 09:00", "2026-12-02 10:00");
        cancelled.status = Status::Cancelled;
        book(&mut c, &a, &[cancelled], now).unwrap();
        book(
            &mut c,
            &b,
            &[block("2026-12-02 09:00", "2026-12-02 10:00")],
            now,
        )
        .unwrap();
        book(
            &mut c,
            &a,
            &[block("2026-12-02 09:00", "2026-12-02 10:00")],
            now,
        )
        .unwrap();
        assert_eq!(
            between(&mut c, &a, at("2026-12-02 00:00"), at("2026-12-03 00:00"))
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            between(&mut c, &b, at("2026-12-02 00:00"), at("2026-12-03 00:00"))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_long_series_is_checked_in_one_pass_and_names_the_occurrence_that_collides() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let now = at("2026-12-01 08:00");
        let first = at("2027-01-05 10:00");
        let weekly: Vec<NewAppointment> = (0..300)
            .map(|i| {
                let start = first + chrono::Duration::weeks(i);
                let mut b = block("2027-01-05 10:00", "2027-01-05 10:50");
                b.span = Span {
                    start,
                    end: start + chrono::Duration::minutes(50),
                };
                b
            })
            .collect();
        let fortieth = weekly[39].span;
        book(
            &mut c,
            &a,
            &[block(
                &fortieth.start.format("%Y-%m-%d %H:%M").to_string(),
                &(fortieth.start + chrono::Duration::minutes(15))
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            )],
            now,
        )
        .unwrap();
        match book(&mut c, &a, &weekly, now) {
            Err(BookError::Conflicts(found)) => {
                assert_eq!(found.iter().map(|f| f.index).collect::<Vec<_>>(), [39]);
            }
            other => panic!("expected conflicts, got {other:?}"),
        }
    }
}
