//! Putting sessions, consultations and blocks on the calendar, once or repeating.

use chrono::{Duration, NaiveDateTime};

use super::super::{record, Act};
use super::notices::{self, Notify};
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::{Kind, Span, Status};
use crate::domain::time_zone::{LocalFit, Placed, Zone};
use crate::models::appointment::{self, Appointment, BookError, Conflict, NewAppointment};
use crate::models::audit::AuditAction;
use crate::models::scope::{Owned, OwnedClient};
use crate::models::service::Service;

/// A session as the provider asked for it.
pub struct SessionRequest<'a> {
    pub client: &'a OwnedClient,
    pub service: &'a Owned<Service>,
    /// Wall-clock start in the provider's zone.
    pub local_start: NaiveDateTime,
    pub minutes: i64,
    pub location: Option<String>,
    pub note: Option<String>,
    /// Who tells the client (or a minor's parents) about it.
    pub notify: Notify<'a>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// Nothing was written: the time overlaps these.
    #[error("the time overlaps the calendar")]
    Overlaps(Vec<Conflict>),
    #[error("The client and the service belong to different practices.")]
    Mismatch,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Schedules one session; returns it and how its wall-clock time fitted the day.
pub fn schedule_session(
    conn: &mut DbConnection,
    zone: Zone,
    request: SessionRequest<'_>,
    act: Act<'_>,
) -> Result<(Owned<Appointment>, LocalFit), ScheduleError> {
    let SessionRequest {
        client,
        service,
        local_start,
        minutes,
        location,
        note,
        notify,
    } = request;
    if client.scope() != service.scope() {
        return Err(ScheduleError::Mismatch);
    }
    let (start, fit) = zone.to_utc(local_start);
    let wanted = NewAppointment {
        kind: Kind::Session,
        status: Status::Scheduled,
        client_id: Some(client.id.clone()),
        service_id: Some(service.id.clone()),
        span: Span {
            start,
            end: start + Duration::minutes(minutes),
        },
        location,
        note,
        contact_name: None,
        contact_phone: None,
    };
    write_transaction(conn, |conn| {
        let booked = match appointment::book(conn, client.scope(), &[wanted], act.now) {
            Ok(mut b) if !b.is_empty() => b.remove(0),
            Ok(_) => return Err(ScheduleError::Database(diesel::result::Error::NotFound)),
            Err(BookError::Conflicts(c)) => return Err(ScheduleError::Overlaps(c)),
            Err(BookError::Database(e)) => return Err(e.into()),
        };
        record(
            conn,
            client,
            AuditAction::AppointmentScheduled,
            Some(&booked.id),
            act,
        )?;
        let written = [Appointment::clone(&booked)];
        notices::scheduled(conn, notify, client, &written, act.now, act.ip)?;
        Ok((booked, fit))
    })
}

/// A phone consultation with a prospective client (no record), or time the provider is
/// unavailable, at a wall-clock time in the provider's zone; refused when it overlaps.
pub struct OtherEntry {
    pub kind: Kind,
    pub local_start: NaiveDateTime,
    pub minutes: i64,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub note: Option<String>,
}

pub fn add_entry(
    conn: &mut DbConnection,
    scope: &crate::models::scope::Scope,
    zone: Zone,
    entry: OtherEntry,
    act: Act<'_>,
) -> Result<(Owned<Appointment>, LocalFit), ScheduleError> {
    let (start, fit) = zone.to_utc(entry.local_start);
    let wanted = NewAppointment {
        kind: entry.kind,
        status: Status::Scheduled,
        client_id: None,
        service_id: None,
        span: Span {
            start,
            end: start + Duration::minutes(entry.minutes),
        },
        location: None,
        note: entry.note,
        contact_name: entry.contact_name,
        contact_phone: entry.contact_phone,
    };
    match appointment::book(conn, scope, &[wanted], act.now) {
        Ok(mut b) if !b.is_empty() => Ok((b.remove(0), fit)),
        Ok(_) => Err(ScheduleError::Database(diesel::result::Error::NotFound)),
        Err(BookError::Conflicts(c)) => Err(ScheduleError::Overlaps(c)),
        Err(BookError::Database(e)) => Err(e.into()),
    }
}

/// A repeating session: what the first one is, the rule, and whether to leave out the
/// occurrences that collide (the provider saw the list and chose to).
pub struct SeriesRequest<'a> {
    pub first: SessionRequest<'a>,
    pub rule: crate::domain::recurrence::Rule,
    pub skip_conflicts: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("{0}")]
    Rule(#[from] crate::domain::recurrence::RuleError),
    /// Nothing was written: these occurrences (wall-clock starts) collide, each with what
    /// it would overlap.
    #[error("some occurrences overlap the calendar")]
    Collides(Vec<(NaiveDateTime, Conflict)>),
    #[error("every occurrence overlaps the calendar; nothing was scheduled")]
    NothingLeft,
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

impl From<diesel::result::Error> for SeriesError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Schedule(ScheduleError::Database(e))
    }
}

/// What scheduling a series did.
pub struct SeriesOutcome {
    /// Each session scheduled, in order: the time asked for and the time stored.
    pub scheduled: Vec<Placed>,
    /// The wall-clock starts left out because they collided.
    pub skipped: Vec<NaiveDateTime>,
}

/// Schedules every occurrence of a series at its wall-clock time, after checking all of
/// them against the calendar in one query: nothing is written while any collides, unless
/// the provider chose to leave those out.
pub fn schedule_series(
    conn: &mut DbConnection,
    zone: Zone,
    request: SeriesRequest<'_>,
    act: Act<'_>,
) -> Result<SeriesOutcome, SeriesError> {
    use crate::domain::recurrence::{expand, End};
    let SeriesRequest {
        first,
        rule,
        skip_conflicts,
    } = request;
    if first.client.scope() != first.service.scope() {
        return Err(ScheduleError::Mismatch.into());
    }
    let occurrences = expand(first.local_start, zone, rule)?;
    let wanted: Vec<NewAppointment> = occurrences
        .iter()
        .map(|o| NewAppointment {
            kind: Kind::Session,
            status: Status::Scheduled,
            client_id: Some(first.client.id.clone()),
            service_id: Some(first.service.id.clone()),
            span: Span {
                start: o.start_utc,
                end: o.start_utc + Duration::minutes(first.minutes),
            },
            location: first.location.clone(),
            note: first.note.clone(),
            contact_name: None,
            contact_phone: None,
        })
        .collect();
    let scope = first.client.scope();
    write_transaction(conn, |conn| {
        let collisions = appointment::conflicts(conn, scope, &wanted)?;
        let colliding: Vec<usize> = collisions.iter().map(|c| c.index).collect();
        let skipped: Vec<NaiveDateTime> = colliding
            .iter()
            .map(|i| occurrences[*i].local_start)
            .collect();
        if !colliding.is_empty() && !skip_conflicts {
            return Err(SeriesError::Collides(
                collisions
                    .into_iter()
                    .map(|c| (occurrences[c.index].local_start, c))
                    .collect(),
            ));
        }
        let keep: Vec<NewAppointment> = wanted
            .iter()
            .enumerate()
            .filter(|(i, _)| !colliding.contains(i))
            .map(|(_, w)| w.clone())
            .collect();
        if keep.is_empty() {
            return Err(SeriesError::NothingLeft);
        }
        let (ends_after, ends_on) = match rule.end {
            End::After(n) => (i32::try_from(n).ok(), None),
            End::On(d) => (None, Some(d)),
        };
        let series = appointment::NewSeries {
            frequency: rule.frequency.as_str(),
            ends_after,
            ends_on,
            local_time: first.local_start.format("%H:%M").to_string(),
            time_zone: zone.name(),
        };
        let booked = match appointment::book_series(conn, scope, &series, &keep, act.now) {
            Ok(b) => b,
            Err(BookError::Conflicts(c)) => return Err(ScheduleError::Overlaps(c).into()),
            Err(BookError::Database(e)) => return Err(ScheduleError::Database(e).into()),
        };
        for b in &booked {
            record(
                conn,
                first.client,
                AuditAction::AppointmentScheduled,
                Some(&b.id),
                act,
            )?;
        }
        let written: Vec<Appointment> = booked.iter().map(|b| Appointment::clone(b)).collect();
        notices::scheduled(conn, first.notify, first.client, &written, act.now, act.ip)?;
        let scheduled = occurrences
            .iter()
            .enumerate()
            .filter(|(i, _)| !colliding.contains(i))
            .map(|(_, o)| Placed {
                asked: o.local_start,
                start: o.start_utc,
                fit: o.fit,
            })
            .collect();
        Ok(SeriesOutcome { scheduled, skipped })
    })
}
