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

/// A confirmation as the provider filled it in.
pub struct ConfirmRequest<'a> {
    pub cpt_code: &'a str,
    /// ICD-10 codes separated by commas or spaces.
    pub diagnosis: &'a str,
    /// The real start and end, wall-clock in the provider's zone.
    pub actual_start: NaiveDateTime,
    pub actual_end: NaiveDateTime,
    pub note: Option<&'a str>,
    pub expected_version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// Fields to correct (by field name).
    #[error("some fields need attention")]
    Invalid(crate::domain::client::FieldErrors),
    /// What the client has still to do, in words.
    #[error("the client is not ready")]
    NotReady(Vec<&'static str>),
    #[error("A session is confirmed after it took place; this one has not started yet.")]
    TooEarly,
    #[error("This session was changed meanwhile (confirmed or cancelled in another tab). Reload it to see where it stands.")]
    NotOpen,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Confirms that a session took place: only after its start, only when the client is
/// ready (the readiness rule's every missing step is listed), with a CPT code whose time
/// range fits the real length and at least one well-formed ICD-10 code.
pub fn confirm_session(
    conn: &mut DbConnection,
    zone: Zone,
    session: &Owned<Appointment>,
    request: ConfirmRequest<'_>,
    act: Act<'_>,
) -> Result<(), ConfirmError> {
    use crate::domain::billing_codes::{check_minutes, parse_cpt, parse_icd10};
    if act.now < session.starts_at {
        return Err(ConfirmError::TooEarly);
    }
    let mut errors = crate::domain::client::FieldErrors::new();
    let cpt = parse_cpt(request.cpt_code)
        .map_err(|e| errors.insert("cpt_code", e))
        .ok();
    let codes: Vec<&str> = request
        .diagnosis
        .split([',', ' ', ';'])
        .filter(|c| !c.trim().is_empty())
        .collect();
    let mut diagnosis = Vec::new();
    if codes.is_empty() {
        errors.insert(
            "diagnosis",
            "Enter at least one diagnosis code (ICD-10), for example F41.1.".into(),
        );
    }
    for c in codes {
        match parse_icd10(c) {
            Ok(code) => diagnosis.push(code),
            Err(e) => {
                errors.insert("diagnosis", e);
            }
        }
    }
    let actual = Span {
        start: zone.to_utc(request.actual_start).0,
        end: zone.to_utc(request.actual_end).0,
    };
    let minutes = (actual.end - actual.start).num_minutes();
    if minutes <= 0 {
        errors.insert("actual_end", "The session must end after it starts.".into());
    } else if let Some(cpt) = &cpt {
        if let Err(e) = check_minutes(cpt, u32::try_from(minutes).unwrap_or(u32::MAX)) {
            errors.insert("cpt_code", e);
        }
    }
    if !errors.is_empty() {
        return Err(ConfirmError::Invalid(errors));
    }
    let cpt = cpt.unwrap_or_default();
    write_transaction(conn, |conn| {
        let client = match &session.client_id {
            Some(id) => session
                .scope()
                .client(conn, &crate::db::ids::ClientId(id.clone()))?,
            None => None,
        };
        let Some(client) = client else {
            return Err(ConfirmError::NotOpen);
        };
        if let Err(missing) =
            crate::domain::onboarding::can_confirm_appointment(&client.onboarding_facts())
        {
            return Err(ConfirmError::NotReady(
                missing.into_iter().map(|m| m.describe()).collect(),
            ));
        }
        let confirmation = appointment::Confirmation {
            cpt_code: &cpt,
            diagnosis_codes: &diagnosis,
            actual,
            note: request.note,
        };
        if !appointment::confirm(
            conn,
            session,
            &confirmation,
            request.expected_version,
            act.now,
        )? {
            return Err(ConfirmError::NotOpen);
        }
        record(
            conn,
            &client,
            AuditAction::AppointmentConfirmed,
            Some(&session.id),
            act,
        )?;
        Ok(())
    })
}

/// How a scheduled session ended without taking place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The client cancelled: late or not, by the practice's policy.
    ByClient,
    ByProvider,
    NoShow,
}

/// Which occurrences of a series a change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    This,
    ThisAndFollowing,
    WholeSeries,
}

/// Cancels a session (or marks it a no-show) with the reason; returns the status it
/// got. `None` when it was no longer scheduled at `expected_version`.
pub fn close_session(
    conn: &mut DbConnection,
    policy: crate::domain::session_rules::CancellationPolicy,
    session: &Owned<Appointment>,
    how: Closing,
    reason: Option<&str>,
    expected_version: i64,
    act: Act<'_>,
) -> diesel::QueryResult<Option<Status>> {
    let (status, by) = match how {
        Closing::ByClient if policy.is_late(act.now, session.starts_at) => {
            (Status::LateCancelled, "client")
        }
        Closing::ByClient => (Status::Cancelled, "client"),
        Closing::ByProvider => (Status::Cancelled, "provider"),
        Closing::NoShow => (Status::NoShow, "client"),
    };
    write_transaction(conn, |conn| {
        if !appointment::close(conn, session, status, reason, by, expected_version, act.now)? {
            return Ok(None);
        }
        if let Some(id) = &session.client_id {
            if let Some(client) = session
                .scope()
                .client(conn, &crate::db::ids::ClientId(id.clone()))?
            {
                record(
                    conn,
                    &client,
                    AuditAction::AppointmentClosed,
                    Some(&session.id),
                    act,
                )?;
            }
        }
        Ok(Some(status))
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
    /// Nothing was written: these occurrences (wall-clock starts) collide.
    #[error("some occurrences overlap the calendar")]
    Collides(Vec<NaiveDateTime>),
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
    pub scheduled: usize,
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
            return Err(SeriesError::Collides(skipped));
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
        Ok(SeriesOutcome {
            scheduled: booked.len(),
            skipped,
        })
    })
}

/// Cancels occurrences of a series: this one and the following, or all still open (each
/// with the reason, each in the client's audit trail); returns how many. The clicked one
/// must still be open at `expected_version`, else nothing changes (`None`).
pub fn close_series(
    conn: &mut DbConnection,
    session: &Owned<Appointment>,
    which: Which,
    reason: Option<&str>,
    by: &str,
    expected_version: i64,
    act: Act<'_>,
) -> diesel::QueryResult<Option<usize>> {
    write_transaction(conn, |conn| {
        let current = appointment::find(conn, session.scope(), &session.id)?;
        if current
            .as_ref()
            .is_none_or(|c| c.version != expected_version || c.state() != Status::Scheduled)
        {
            return Ok(None);
        }
        let targets = appointment::open_in_series(conn, session, which == Which::ThisAndFollowing)?;
        let client = match &session.client_id {
            Some(id) => session
                .scope()
                .client(conn, &crate::db::ids::ClientId(id.clone()))?,
            None => None,
        };
        let mut n = 0;
        for t in &targets {
            if appointment::close(conn, t, Status::Cancelled, reason, by, t.version, act.now)? {
                n += 1;
                if let Some(c) = &client {
                    record(conn, c, AuditAction::AppointmentClosed, Some(&t.id), act)?;
                }
            }
        }
        Ok(Some(n))
    })
}
