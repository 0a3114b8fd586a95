//! Answering the times clients asked for through the booking link. Accepting makes the
//! request a scheduled session after re-checking its time with the calendar held, and
//! declines every other request for that time; the client is emailed either way.

use super::super::{record, Act};
use super::notices::{self, Notify};
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::Status;
use crate::models::appointment::{self, Appointment, Closure, Conflict, MoveError};
use crate::models::audit::AuditAction;
use crate::models::scope::Owned;

/// Why a request's time is no longer the client's, told to them.
const TAKEN_BY_ANOTHER: &str = "another client booked this time first";

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("This time is no longer free: it overlaps another session or block. Decline the request, and the client is emailed the link to choose another time.")]
    Taken(Vec<Conflict>),
    #[error("This request's time has passed. Decline it, and the client is emailed the link to choose another time.")]
    Passed,
    #[error("Nothing changed: this request was answered meanwhile (in another tab). Here is where it stands.")]
    Changed,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<MoveError> for AnswerError {
    fn from(e: MoveError) -> Self {
        match e {
            MoveError::Conflicts(c) => AnswerError::Taken(c),
            MoveError::Changed => AnswerError::Changed,
            MoveError::Database(e) => AnswerError::Database(e),
        }
    }
}

/// Accepts the request: returns how many other requests for its time were declined.
pub fn accept(
    conn: &mut DbConnection,
    request: &Owned<Appointment>,
    expected_version: i64,
    notify: Notify<'_>,
    act: Act<'_>,
) -> Result<usize, AnswerError> {
    if request.starts_at <= act.now {
        return Err(AnswerError::Passed);
    }
    write_transaction(conn, |conn| {
        let rivals = appointment::accept(conn, request, expected_version, act.now)?;
        let accepted = appointment::find(conn, request.scope(), &request.id)?
            .ok_or(diesel::result::Error::NotFound)?;
        let client = client_of(conn, &accepted)?;
        record(
            conn,
            &client,
            AuditAction::BookingAccepted,
            Some(&accepted.id),
            act,
        )?;
        notices::request_accepted(conn, notify, &client, &accepted, act.now, act.ip)?;
        for rival in &rivals {
            close_declined(conn, rival, Some(TAKEN_BY_ANOTHER), notify, act)?;
        }
        Ok(rivals.len())
    })
}

/// Declines the request, with an optional note the client reads.
pub fn decline(
    conn: &mut DbConnection,
    request: &Owned<Appointment>,
    expected_version: i64,
    reason: Option<&str>,
    notify: Notify<'_>,
    act: Act<'_>,
) -> Result<(), AnswerError> {
    if request.state() != Status::Requested || request.version != expected_version {
        return Err(AnswerError::Changed);
    }
    write_transaction(conn, |conn| {
        close_declined(conn, request, reason, notify, act)
    })
}

fn close_declined(
    conn: &mut DbConnection,
    request: &Owned<Appointment>,
    reason: Option<&str>,
    notify: Notify<'_>,
    act: Act<'_>,
) -> Result<(), AnswerError> {
    let closure = Closure {
        status: Status::Declined,
        reason,
        by: "provider",
        fee_cents: None,
    };
    // Only a request is declined: a scheduled session is cancelled on its own page.
    if request.state() != Status::Requested
        || !appointment::close(conn, request, &closure, request.version, act.now)?
    {
        return Err(AnswerError::Changed);
    }
    let client = client_of(conn, request)?;
    record(
        conn,
        &client,
        AuditAction::BookingDeclined,
        Some(&request.id),
        act,
    )?;
    notices::request_declined(conn, notify, &client, request, reason, act.now, act.ip)?;
    Ok(())
}

/// A request's client (every request has one: the booking link signs them up).
fn client_of(
    conn: &mut DbConnection,
    entry: &Owned<Appointment>,
) -> diesel::QueryResult<crate::models::scope::OwnedClient> {
    appointment::client_of(conn, entry)?.ok_or(diesel::result::Error::NotFound)
}
