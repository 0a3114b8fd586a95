//! Someone signs up through a provider's public booking link: a new client invited to
//! set up their account, with the time they picked, if any, put on the calendar as a
//! request for the provider to accept or decline. An email already on the list is not
//! trusted from an anonymous form: that address is sent a link to confirm the request,
//! which waits unconfirmed (naming nobody on the calendar) until it is followed; never a
//! duplicate client. Limited per address per hour; always audited; all of it or nothing.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::QueryResult;

use super::Act;
use crate::client_email::{queue_to_one, ClientEmail, Recipient};
use crate::db::ids::{ClientId, ProviderId};
use crate::db::write_transaction;
use crate::db::DbConnection;
use crate::domain::appointment::{Kind, Span, Status};
use crate::domain::client::ClientDetails;
use crate::domain::free_slots::{DayHours, Offer};
use crate::domain::time_zone::Zone;
use crate::mail;
use crate::models::appointment::{self, BookError, NewAppointment};
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::client::{self, CreateOptions, SaveClientError};
use crate::models::provider::Provider;
use crate::models::scope::{Owned, OwnedClient};
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
    /// With the booking link to choose again, when known.
    TimeTaken(Option<String>),
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
        let c = match client::create(conn, &scope, details, &options, now) {
            Ok(c) => c,
            Err(SaveClientError::EmailTaken { existing }) => {
                let c = scope
                    .client(conn, &existing)?
                    .ok_or(diesel::result::Error::NotFound)?;
                return known_address(conn, provider, &c, (details, time), public_url, act);
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
        onboarding::invite(conn, provider, &c, public_url, now, Some(ip))?;
        start_default_measures(conn, provider, &c, public_url, act)?;
        audit::record_at(
            conn,
            AuditEntry {
                provider_id: c.provider_id(),
                client_id: Some(&c.client_id()),
                action: AuditAction::BookingSignup,
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
                Err(BookError::Conflicts(_)) => return Err(Stop::TimeTaken(None)),
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
        Err(Stop::TimeTaken(_)) => Ok(SignUp::TimeTaken),
        Err(Stop::Database(e)) => Err(e),
    }
}

/// A sign-up with an email already on the list: an anonymous form proves nothing about
/// who typed it, so nothing is made for that client. With a time, the request waits
/// unconfirmed and the address is sent a link to confirm it (the calendar sees it only
/// then); without one, the address is told it already has an account. The time is checked
/// as a new client's would be, so the page answers the same either way.
fn known_address(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    (details, time): (&ClientDetails, Option<&PickedTime>),
    public_url: &str,
    act: Act<'_>,
) -> Result<SignUp, Stop> {
    let ip = act.ip.unwrap_or_default();
    super::record(conn, client, AuditAction::BookingEmailMatched, None, act)?;
    let Some(t) = time else {
        onboarding::tell_already_a_client(conn, provider, client, public_url, act.now, act.ip)?;
        return Ok(SignUp::Received);
    };
    if !appointment::request_conflicts(conn, client.scope(), t.span)?.is_empty() {
        return Err(Stop::TimeTaken(None));
    }
    let typed_name = format!(
        "{} {}",
        details.first_name.as_str(),
        details.last_name.as_str()
    );
    let token = booking::hold_unconfirmed(
        conn,
        client,
        &booking::NewUnconfirmed {
            typed_name: &typed_name,
            service_id: &t.service_id,
            starts_at: t.span.start,
            ends_at: t.span.end,
            location: t.location.as_deref(),
            ip,
        },
        act.now,
    )?;
    let zone = client.zone(provider.zone());
    let service = service::find(conn, client.scope(), &t.service_id)?
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "a session".into());
    // As the client reads times: their zone by its spoken name, a 12-hour clock in the US.
    let clock = crate::domain::time_zone::HourClock::for_clients_in(zone);
    let (time, expires) = (
        zone.in_full(&t.span.start, clock),
        zone.in_full(
            &(act.now + Duration::hours(booking::CONFIRM_VALID_HOURS)),
            clock,
        ),
    );
    let asked = mail::BookingAsked {
        time: &time,
        service: &service,
        typed_name: &typed_name,
        expires: &expires,
    };
    let practice = provider.practice_display_name();
    let link = format!("{public_url}/book/confirm/{token}");
    let message =
        |reader: &mail::Reader| mail::confirm_booking_request(&practice, reader, &asked, &link);
    // To the address typed (the client's own), whoever else receives their emails.
    let to = Recipient {
        email: client.email.clone(),
        email_normalized: client.email_normalized.clone(),
        name: client.full_name(),
        reader: mail::Reader::client(&client.first_name),
        contact_id: None,
    };
    let email = ClientEmail {
        kind: onboarding::CONFIRM_BOOKING,
        audit_as: onboarding::CONFIRM_BOOKING,
        message: &message,
        action_url: Some(&link),
        send_after: act.now,
        queued_at: act.now,
    };
    queue_to_one(conn, provider, client, &to, &email, act.ip, None)?;
    Ok(SignUp::Received)
}

/// What following a confirmation link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// On the calendar now, as the client's request: the time, in their zone.
    Requested(String),
    /// Confirmed before (this link's request is on the calendar already).
    AlreadyConfirmed,
    /// The time was taken meanwhile: nothing was made; the booking link to choose again.
    TimeTaken(Option<String>),
    /// The link is past its 48 hours, or the time has passed.
    Expired(Option<String>),
    Unknown,
}

/// The request waiting behind a confirmation link, as its page shows it: the practice,
/// and the time in the client's zone.
pub struct Waiting {
    pub practice: String,
    pub time: String,
}

/// What a confirmation link's page shows before it is used.
pub fn waiting(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Waiting, Confirmation>> {
    let u = match booking::check_unconfirmed(conn, token, now)? {
        booking::ConfirmCheck::Valid(u) => u,
        other => return Ok(Err(settled(conn, other)?)),
    };
    let Some((p, c)) = owner_of(conn, &u)? else {
        return Ok(Err(Confirmation::Unknown));
    };
    Ok(Ok(Waiting {
        practice: p.practice_display_name(),
        time: time_for(&p, &c, &u.starts_at),
    }))
}

/// The address's owner confirms: the request goes on the calendar as their request (its
/// time checked again, with the calendar held), once; audited as theirs.
pub fn confirm(conn: &mut DbConnection, token: &str, act: Act<'_>) -> QueryResult<Confirmation> {
    let done = write_transaction(conn, |conn| {
        let u = match booking::check_unconfirmed(conn, token, act.now)? {
            booking::ConfirmCheck::Valid(u) => u,
            other => return Ok(settled(conn, other)?),
        };
        let Some((p, c)) = owner_of(conn, &u)? else {
            return Ok(Confirmation::Unknown);
        };
        if !booking::mark_confirmed(conn, &u.id, act.now)? {
            return Ok(Confirmation::AlreadyConfirmed);
        }
        // The name typed on the page, for the provider, when it is not the client's.
        let note = (!u.typed_name.eq_ignore_ascii_case(&c.full_name()))
            .then(|| format!("Asked for through the booking link as {}.", u.typed_name));
        let wanted = NewAppointment {
            kind: Kind::Session,
            status: Status::Requested,
            client_id: Some(c.id.clone()),
            service_id: Some(u.service_id.clone()),
            span: Span {
                start: u.starts_at,
                end: u.ends_at,
            },
            location: u.location.clone(),
            note,
            contact_name: None,
            contact_phone: None,
        };
        let asked = match appointment::request(conn, c.scope(), &wanted, act.now) {
            Ok(a) => a,
            Err(BookError::Conflicts(_)) => return Err(Stop::TimeTaken(booking_link(&p))),
            Err(BookError::Database(e)) => return Err(e.into()),
        };
        super::record(
            conn,
            &c,
            AuditAction::BookingRequested,
            Some(&asked.id),
            act,
        )?;
        Ok(Confirmation::Requested(time_for(&p, &c, &u.starts_at)))
    });
    match done {
        Ok(c) => Ok(c),
        Err(Stop::TimeTaken(link)) => Ok(Confirmation::TimeTaken(link)),
        Err(Stop::Database(e)) => Err(e),
    }
}

/// What a link no longer valid says.
fn settled(conn: &mut DbConnection, check: booking::ConfirmCheck) -> QueryResult<Confirmation> {
    Ok(match check {
        booking::ConfirmCheck::Confirmed(_) => Confirmation::AlreadyConfirmed,
        booking::ConfirmCheck::Expired(u) => {
            let p = crate::models::provider::find(conn, &ProviderId(u.provider_id))?;
            Confirmation::Expired(p.as_ref().and_then(booking_link))
        }
        booking::ConfirmCheck::Valid(_) | booking::ConfirmCheck::Unknown => Confirmation::Unknown,
    })
}

fn owner_of(
    conn: &mut DbConnection,
    u: &booking::Unconfirmed,
) -> QueryResult<Option<(Provider, OwnedClient)>> {
    let Some(p) = crate::models::provider::find(conn, &ProviderId(u.provider_id.clone()))? else {
        return Ok(None);
    };
    let c = Scope::of(&p).client(conn, &ClientId(u.client_id.clone()))?;
    Ok(c.map(|c| (p, c)))
}

fn booking_link(p: &Provider) -> Option<String> {
    p.booking_token.as_ref().map(|t| format!("/book/{t}"))
}

/// "Tuesday, December 8, 2026 at 11:00 EST", where the client is.
fn time_for(p: &Provider, c: &OwnedClient, start: &NaiveDateTime) -> String {
    c.zone(p.zone())
        .local(start)
        .format("%A, %B %-d, %Y at %H:%M %Z")
        .to_string()
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
