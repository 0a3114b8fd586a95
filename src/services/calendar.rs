//! Putting sessions on the provider's calendar: a session with a client, of one of the
//! provider's services, at a wall-clock time in the provider's zone. Written only when it
//! overlaps nothing that holds its time (checked inside the writing transaction), and
//! recorded in the client's audit trail.

use chrono::{Duration, NaiveDateTime};

use super::{record, Act};
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::{Kind, Span, Status};
use crate::domain::time_zone::{LocalFit, Zone};
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
        Ok((booked, fit))
    })
}
