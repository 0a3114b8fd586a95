//! Someone signs up through a provider's public booking link: a new client invited to
//! set up their account, or (for an email already on the list) that client told, never
//! a duplicate — with the time they picked, if any, put on the calendar as a request for
//! the provider to accept or decline. Limited per address per hour; always audited; all
//! of it or nothing.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::QueryResult;

use super::Act;
use crate::db::write_transaction;
use crate::db::DbConnection;
use crate::domain::appointment::{Kind, Span, Status};
use crate::domain::client::ClientDetails;
use crate::domain::free_slots::{DayHours, Offer};
use crate::domain::time_zone::Zone;
use crate::models::appointment::{self, BookError, NewAppointment};
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::client::{self, CreateOptions, SaveClientError};
use crate::models::provider::Provider;
use crate::models::scope::Owned;
use crate::models::service::{self, Service};
use crate::models::working_hours;
use crate::models::{booking, scope::Scope};
use crate::onboarding;

/// What a sign-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    /// Done (a new client, or the existing one told); the page says the same either way.
    Received,
    /// This address has used up its sign-ups for the hour: nothing was made.
    RateLimited,
    /// The time picked was taken a moment ago: nothing was made.
    TimeTaken,
}

/// The time a person picked on the booking page (already checked against the offer).
#[derive(Debug, Clone)]
pub struct PickedTime {
    pub span: Span,
    pub service_id: String,
    pub location: Option<String>,
}

/// What the booking link offers now: the service, and what its free times rest on.
pub struct BookingOffer {
    pub service: Owned<Service>,
    pub hours: Vec<DayHours>,
    /// What holds time on the days asked about.
    pub busy: Vec<Span>,
    pub zone: Zone,
    pub now: NaiveDateTime,
    pub notice: Duration,
}

impl BookingOffer {
    pub fn offer(&self) -> Offer<'_> {
        Offer {
            zone: self.zone,
            hours: &self.hours,
            busy: &self.busy,
            now: self.now,
            notice: self.notice,
            length: Duration::minutes(i64::from(self.service.minutes)),
        }
    }
}

/// The provider's offer for the days `from..=to` (their zone); none when they offer no
/// service at all.
pub fn offer(
    conn: &mut DbConnection,
    provider: &Provider,
    (from, to): (NaiveDate, NaiveDate),
    now: NaiveDateTime,
) -> QueryResult<Option<BookingOffer>> {
    let Some(service) = service::for_booking(conn, provider, now)? else {
        return Ok(None);
    };
    let scope = Scope::of(provider);
    let zone = provider.zone();
    // A day's UTC bounds lie within a day of its local midnights, whatever the zone.
    let start = from.and_time(NaiveTime::MIN) - Duration::days(1);
    let end = (to + Duration::days(2)).and_time(NaiveTime::MIN);
    Ok(Some(BookingOffer {
        hours: working_hours::of(conn, &scope)?,
        busy: appointment::busy_between(conn, &scope, start, end)?,
        service,
        zone,
        now,
        notice: Duration::hours(i64::from(provider.booking_notice_hours.max(0))),
    }))
}

/// Why a sign-up wrote nothing, inside its transaction.
enum Stop {
    TimeTaken,
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Database(e)
    }
}

/// What a sign-up is: who, and the time they picked.
pub struct SignUpRequest<'a> {
    pub details: &'a ClientDetails,
    pub time: Option<&'a PickedTime>,
}

pub fn sign_up(
    conn: &mut DbConnection,
    provider: &Provider,
    request: SignUpRequest<'_>,
    public_url: &str,
    ip: &str,
    act: Act<'_>,
) -> QueryResult<SignUp> {
    let SignUpRequest { details, time } = request;
    let now = act.now;
    let done = write_transaction(conn, |conn| {
        if booking::rate_limited(conn, ip, now)? {
            return Ok(SignUp::RateLimited);
        }
        let scope = Scope::of(provider);
        booking::record(conn, &scope, ip, now)?;
        let options = CreateOptions {
            notify: true,
            contact: None,
            measures: Vec::new(),
        };
        let (c, action) = match client::create(conn, &scope, details, &options, now) {
            Ok(c) => {
                onboarding::invite(conn, provider, &c, public_url, now, Some(ip))?;
                start_default_measures(conn, provider, &c, public_url, act)?;
                (c, AuditAction::BookingSignup)
            }
            Err(SaveClientError::EmailTaken { existing }) => {
                let c = scope
                    .client(conn, &existing)?
                    .ok_or(diesel::result::Error::NotFound)?;
                onboarding::notify_existing_client(conn, provider, &c, public_url, now, Some(ip))?;
                (c, AuditAction::BookingEmailMatched)
            }
            // A new client has no earlier version to be stale against, and the page
            // requires an email.
            Err(
                SaveClientError::NotFound
                | SaveClientError::Stale { .. }
                | SaveClientError::EmailNeeded,
            ) => return Err(diesel::result::Error::NotFound.into()),
            Err(SaveClientError::Database(e)) => return Err(e.into()),
        };
        audit::record_at(
            conn,
            AuditEntry {
                provider_id: c.provider_id(),
                client_id: Some(&c.client_id()),
                action,
                subject: None,
                ip: Some(ip),
            },
            now,
        )?;
        if let Some(t) = time {
            let wanted = NewAppointment {
                kind: Kind::Session,
                status: Status::Requested,
                client_id: Some(c.id.clone()),
                service_id: Some(t.service_id.clone()),
                span: t.span,
                location: t.location.clone(),
                note: None,
                contact_name: None,
                contact_phone: None,
            };
            let asked = match appointment::request(conn, &scope, &wanted, now) {
                Ok(a) => a,
                Err(BookError::Conflicts(_)) => return Err(Stop::TimeTaken),
                Err(BookError::Database(e)) => return Err(e.into()),
            };
            super::record(
                conn,
                &c,
                AuditAction::BookingRequested,
                Some(&asked.id),
                Act { ip: Some(ip), now },
            )?;
            let notify = super::calendar::Notify {
                provider,
                public_url,
            };
            super::calendar::notices::request_arrived(conn, notify, &c, &asked, now)?;
        }
        Ok(SignUp::Received)
    });
    match done {
        Ok(outcome) => Ok(outcome),
        Err(Stop::TimeTaken) => Ok(SignUp::TimeTaken),
        Err(Stop::Database(e)) => Err(e),
    }
}

/// The questionnaires the provider sends every booking-link sign-up (Settings →
/// Questionnaires); one that no longer ships is skipped.
fn start_default_measures(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &crate::models::scope::OwnedClient,
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<()> {
    use crate::services::measures::schedules::{start, ScheduleError};
    let picks: Vec<_> = crate::domain::measure_schedule::parse_defaults(&provider.signup_measures)
        .into_iter()
        .filter(|(code, _)| crate::domain::instrument::Instrument::find(code).is_some())
        .collect();
    match start(conn, provider, client, &picks, public_url, act) {
        Ok(()) => Ok(()),
        Err(ScheduleError::Database(e)) => Err(e),
        Err(other) => {
            tracing::warn!(problem = %other, "a booking sign-up's questionnaires were not started");
            Ok(())
        }
    }
}
