//! Changing scheduled sessions: a new time, length, service, place or note, for one
//! session or for this and the following ones of its series or the whole series. Every
//! new time is checked against the calendar in one query before anything is written, and
//! each occurrence keeps its wall-clock time in the provider's zone.

use chrono::{Duration, NaiveDateTime};

use super::super::{record, Act};
use super::notices::{self, Notify};
use super::Which;
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::{Span, Status};
use crate::domain::time_zone::{LocalFit, Placed, Zone};
use crate::models::appointment::{self, Appointment, Conflict, Move, MoveError};
use crate::models::audit::AuditAction;
use crate::models::scope::Owned;
use crate::models::service::Service;

/// The session as the provider wants it now; for a series, the clicked occurrence's new
/// date and time, which the others follow (same weekday shift, same wall-clock time).
pub struct ChangeRequest<'a> {
    pub local_start: NaiveDateTime,
    pub minutes: i64,
    pub service: &'a Owned<Service>,
    pub location: Option<&'a str>,
    pub note: Option<&'a str>,
    pub which: Which,
    pub expected_version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Nothing was written: these new times (wall-clock, provider's zone) collide, each
    /// with what it would overlap.
    #[error("some of the new times overlap the calendar")]
    Collides(Vec<(NaiveDateTime, Conflict)>),
    #[error("This session was changed meanwhile (in another tab, or by someone else). Nothing was saved; reload it to see where it stands.")]
    Changed,
    #[error("Only a scheduled session can be changed; this one is {0}.")]
    NotScheduled(&'static str),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What a change did: each session changed, the time asked for and the time stored (the
/// clicked one first).
pub struct Changed {
    pub sessions: Vec<Placed>,
}

/// Changes the session (or part of its series) as asked; returns the sessions changed. The client is emailed about every session still ahead whose time or place
/// changed; each change is in their audit trail.
pub fn change_session(
    conn: &mut DbConnection,
    zone: Zone,
    session: &Owned<Appointment>,
    request: ChangeRequest<'_>,
    notify: Notify<'_>,
    act: Act<'_>,
) -> Result<Changed, ChangeError> {
    let scope = session.scope();
    write_transaction(conn, |conn| {
        let current = appointment::find(conn, scope, &session.id)?.ok_or(ChangeError::Changed)?;
        if current.version != request.expected_version {
            return Err(ChangeError::Changed);
        }
        if current.state() != Status::Scheduled {
            return Err(ChangeError::NotScheduled(current.state().label()));
        }
        let targets = match request.which {
            Which::This => vec![current.clone()],
            Which::ThisAndFollowing | Which::WholeSeries => {
                let mut open = appointment::open_in_series(
                    conn,
                    &current,
                    request.which == Which::ThisAndFollowing,
                )?;
                // A series change is about the sessions still ahead (and the one asked
                // about): one that took place waits to be confirmed at its own time.
                open.retain(|a| {
                    a.state() == Status::Scheduled && (a.id == current.id || a.starts_at > act.now)
                });
                open
            }
        };
        // The others follow the clicked one: moved by as many days, to its new time.
        let clicked_date = zone.date_of(&current.starts_at);
        let days = (request.local_start.date() - clicked_date).num_days();
        let time = request.local_start.time();
        let planned: Vec<(Span, NaiveDateTime, LocalFit)> = targets
            .iter()
            .map(|t| {
                let local = if t.id == current.id {
                    request.local_start
                } else {
                    (zone.date_of(&t.starts_at) + Duration::days(days)).and_time(time)
                };
                let (start, fit) = zone.to_utc(local);
                let span = Span {
                    start,
                    end: start + Duration::minutes(request.minutes),
                };
                (span, local, fit)
            })
            .collect();
        let moves: Vec<Move<'_>> = targets
            .iter()
            .zip(&planned)
            .map(|(t, (span, _, _))| Move {
                entry: t,
                span: *span,
                service_id: Some(request.service.id.as_str()),
                location: request.location,
                note: request.note,
            })
            .collect();
        match appointment::reschedule(conn, scope, &moves, act.now) {
            Ok(()) => {}
            Err(MoveError::Conflicts(found)) => {
                return Err(ChangeError::Collides(
                    found.into_iter().map(|c| (planned[c.index].1, c)).collect(),
                ))
            }
            Err(MoveError::Changed) => return Err(ChangeError::Changed),
            Err(MoveError::Database(e)) => return Err(e.into()),
        }
        let new_time = request.local_start.format("%H:%M").to_string();
        match request.which {
            Which::ThisAndFollowing if current.series_index.is_some_and(|i| i > 0) => {
                appointment::split_series(conn, &current, &new_time, act.now)?
            }
            Which::ThisAndFollowing | Which::WholeSeries => {
                appointment::set_series_time(conn, &current, &new_time)?
            }
            Which::This => {}
        }
        let client = appointment::client_of(conn, &current)?;
        if let Some(client) = &client {
            let mut changes = Vec::with_capacity(targets.len());
            for (t, m) in targets.iter().zip(&moves) {
                record(
                    conn,
                    client,
                    AuditAction::AppointmentChanged,
                    Some(&t.id),
                    act,
                )?;
                // As it is now: what the move wrote.
                let mut after = Appointment::clone(t);
                after.starts_at = m.span.start;
                after.ends_at = m.span.end;
                after.service_id = m.service_id.map(str::to_string);
                after.location = m.location.map(str::to_string);
                changes.push((Appointment::clone(t), after));
            }
            notices::moved(conn, notify, client, &changes, act.now, act.ip)?;
        }
        let mut sessions: Vec<Placed> = targets
            .iter()
            .zip(&planned)
            .map(|(_, (span, asked, fit))| Placed {
                asked: *asked,
                start: span.start,
                fit: *fit,
            })
            .collect();
        // The clicked one first: the confirmation names its time.
        if let Some(i) = targets.iter().position(|t| t.id == current.id) {
            let clicked = sessions.remove(i);
            sessions.insert(0, clicked);
        }
        Ok(Changed { sessions })
    })
}
