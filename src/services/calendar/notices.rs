//! The emails a change to a client's sessions sends them, queued in the transaction that
//! made the change: only about sessions still ahead, each time in the client's zone.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::client_email::{queue_for, ClientEmail};
use crate::db::DbConnection;
use crate::domain::appointment::where_to_meet;
use crate::domain::time_zone::Zone;
use crate::mail::sessions::{self, SessionLine};
use crate::mail::Reader;
use crate::models::appointment::Appointment;
use crate::models::provider::Provider;
use crate::models::scope::OwnedClient;
use crate::models::service;

pub const SESSION_REMINDER: &str = "session_reminder";
pub const SESSION_MOVED: &str = "session_moved";
pub const SESSION_CANCELLED: &str = "session_cancelled";
pub const REQUEST_ACCEPTED: &str = "booking_accepted";
pub const REQUEST_DECLINED: &str = "booking_declined";
pub const SESSION_SCHEDULED: &str = "session_scheduled";
pub const REQUEST_ARRIVED: &str = "booking_request_arrived";

/// Who the emails come from, and where the client's portal is.
#[derive(Clone, Copy)]
pub struct Notify<'a> {
    pub provider: &'a Provider,
    pub public_url: &'a str,
}

impl Notify<'_> {
    fn portal(&self) -> String {
        format!("{}/portal/login", self.public_url)
    }

    fn place(&self, a: &Appointment) -> Option<String> {
        where_to_meet(a.location.as_deref(), self.provider.video_link.as_deref())
    }
}

/// "Tuesday, December 8, 2026 at 10:00 AM Eastern Time", in `zone`, on the clock of the
/// client's country.
pub fn client_time(zone: Zone, at: &NaiveDateTime) -> String {
    zone.in_full(
        at,
        crate::domain::time_zone::HourClock::for_clients_in(zone),
    )
}

/// How the client's emails name each session: the time in the client's zone, and the
/// service lower-case ("your psychotherapy, 45 minutes"), the names read once per email.
struct Lines {
    zone: Zone,
    services: std::collections::HashMap<String, String>,
}

impl Lines {
    fn for_client(
        conn: &mut DbConnection,
        notify: Notify<'_>,
        client: &OwnedClient,
    ) -> QueryResult<Self> {
        let services = service::by_id(conn, client.scope())?
            .into_iter()
            .map(|(id, s)| (id, s.name.to_lowercase()))
            .collect();
        Ok(Lines {
            zone: client.zone(notify.provider.zone()),
            services,
        })
    }

    fn line(&self, start: &NaiveDateTime, service_id: Option<&str>) -> SessionLine {
        SessionLine {
            when: client_time(self.zone, start),
            service: service_id
                .and_then(|id| self.services.get(id).cloned())
                .unwrap_or_else(|| "session".to_string()),
        }
    }
}

fn send(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    kind: &str,
    message: crate::client_email::Compose<'_>,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let portal = notify.portal();
    queue_for(
        conn,
        notify.provider,
        client,
        ClientEmail {
            kind,
            audit_as: kind,
            message,
            action_url: Some(&portal),
            send_after: now,
            queued_at: now,
        },
        ip,
    )
}

/// Tells the client their sessions moved: each (as it was, as it is now) that is still
/// ahead and whose time or place changed.
pub fn moved(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    changes: &[(Appointment, Appointment)],
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let names = Lines::for_client(conn, notify, client)?;
    let lines: Vec<(SessionLine, SessionLine)> = changes
        .iter()
        .filter(|(old, new)| {
            (old.starts_at != new.starts_at || old.location != new.location) && new.starts_at > now
        })
        .map(|(old, new)| {
            (
                names.line(&old.starts_at, old.service_id.as_deref()),
                names.line(&new.starts_at, new.service_id.as_deref()),
            )
        })
        .collect();
    let Some((_, last)) = changes.last() else {
        return Ok(());
    };
    if lines.is_empty() {
        return Ok(());
    }
    let practice = notify.provider.practice_display_name();
    let message = |reader: &Reader| {
        sessions::moved(
            &practice,
            reader,
            &lines,
            notify.place(last).as_deref(),
            &notify.portal(),
        )
    };
    send(conn, notify, client, SESSION_MOVED, &message, now, ip)
}

/// Tells the client these sessions (those still ahead) are cancelled, naming the fee a
/// late cancellation carries.
pub fn cancelled(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    sessions_cancelled: &[&Appointment],
    fee: Option<String>,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let names = Lines::for_client(conn, notify, client)?;
    let lines: Vec<SessionLine> = sessions_cancelled
        .iter()
        .filter(|a| a.starts_at > now)
        .map(|a| names.line(&a.starts_at, a.service_id.as_deref()))
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let practice = notify.provider.practice_display_name();
    let message = |reader: &Reader| {
        sessions::cancelled(&practice, reader, &lines, fee.as_deref(), &notify.portal())
    };
    send(conn, notify, client, SESSION_CANCELLED, &message, now, ip)
}

/// Tells the client their requested time is booked, with its calendar file.
pub fn request_accepted(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    session: &Appointment,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let what = Lines::for_client(conn, notify, client)?
        .line(&session.starts_at, session.service_id.as_deref());
    let practice = notify.provider.practice_display_name();
    let message = |reader: &Reader| {
        sessions::request_accepted(
            &practice,
            reader,
            &what,
            notify.place(session).as_deref(),
            &notify.portal(),
        )
    };
    let letter = Letter {
        kind: REQUEST_ACCEPTED,
        message: &message,
    };
    send_with_file(conn, notify, client, (session, &what), letter, now, ip)
}

/// Tells the client the time they asked for is not theirs, with the booking link to pick
/// another.
pub fn request_declined(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    session: &Appointment,
    reason: Option<&str>,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let what = Lines::for_client(conn, notify, client)?
        .line(&session.starts_at, session.service_id.as_deref());
    let practice = notify.provider.practice_display_name();
    let book_again = notify
        .provider
        .booking_token
        .as_ref()
        .map(|t| format!("{}/book/{t}", notify.public_url));
    let message = |reader: &Reader| {
        sessions::request_declined(&practice, reader, &what, reason, book_again.as_deref())
    };
    queue_for(
        conn,
        notify.provider,
        client,
        ClientEmail {
            kind: REQUEST_DECLINED,
            audit_as: REQUEST_DECLINED,
            message: &message,
            action_url: book_again.as_deref(),
            send_after: now,
            queued_at: now,
        },
        ip,
    )
}

/// Tells the client (or a minor's parents) about sessions the provider booked: those
/// still ahead, in one email listing each date in their zone, with one calendar file
/// holding them all.
pub fn scheduled(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    booked: &[Appointment],
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let ahead: Vec<&Appointment> = booked.iter().filter(|a| a.starts_at > now).collect();
    let Some(first) = ahead.first() else {
        return Ok(());
    };
    let names = Lines::for_client(conn, notify, client)?;
    let lines: Vec<SessionLine> = ahead
        .iter()
        .map(|a| names.line(&a.starts_at, a.service_id.as_deref()))
        .collect();
    let practice = notify.provider.practice_display_name();
    let place = notify.place(first);
    let message = |reader: &Reader| {
        sessions::scheduled(
            &practice,
            reader,
            &lines,
            place.as_deref(),
            &notify.portal(),
        )
    };
    let entries: Vec<_> = ahead
        .iter()
        .zip(&lines)
        .map(|(a, l)| {
            crate::calendar_files::client_session_entry(a, Some(&l.service), notify.provider)
        })
        .collect();
    let ics = crate::calendar_files::sessions_file(&entries, &notify.provider.zone(), now);
    let portal = notify.portal();
    crate::client_email::queue_with_calendar_file(
        conn,
        notify.provider,
        client,
        ClientEmail {
            kind: SESSION_SCHEDULED,
            audit_as: SESSION_SCHEDULED,
            message: &message,
            action_url: Some(&portal),
            send_after: now,
            queued_at: now,
        },
        ip,
        Some(&ics),
    )
}

/// Tells the provider someone asked for a time through the booking link (unless they
/// turned these emails off): the time in their zone, no name. Audited in the client's
/// trail like every email about a client.
pub fn request_arrived(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    request: &Appointment,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if !notify.provider.email_booking_requests {
        return Ok(());
    }
    // In the provider's zone, on their clock.
    let when = notify
        .provider
        .zone()
        .in_full(&request.starts_at, notify.provider.hour_clock());
    let link = format!("{}/calendar/requests", notify.public_url);
    let message = |reader: &Reader| sessions::request_arrived(&reader.first_name, &when, &link);
    crate::client_email::queue_to_provider(
        conn,
        notify.provider,
        client,
        ClientEmail {
            kind: REQUEST_ARRIVED,
            audit_as: REQUEST_ARRIVED,
            message: &message,
            action_url: Some(&link),
            send_after: now,
            queued_at: now,
        },
    )
}

/// One email's outbox kind and its text.
struct Letter<'a> {
    kind: &'a str,
    message: crate::client_email::Compose<'a>,
}

/// Queues a letter about one session with the session's calendar file attached.
fn send_with_file(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    (session, what): (&Appointment, &SessionLine),
    letter: Letter<'_>,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let Letter { kind, message } = letter;
    let entry =
        crate::calendar_files::client_session_entry(session, Some(&what.service), notify.provider);
    let ics = crate::calendar_files::session_file(&entry, &notify.provider.zone(), now);
    let portal = notify.portal();
    crate::client_email::queue_with_calendar_file(
        conn,
        notify.provider,
        client,
        ClientEmail {
            kind,
            audit_as: kind,
            message,
            action_url: Some(&portal),
            send_after: now,
            queued_at: now,
        },
        ip,
        Some(&ics),
    )
}

/// The reminder of one session, due now.
pub fn reminder(
    conn: &mut DbConnection,
    notify: Notify<'_>,
    client: &OwnedClient,
    session: &Appointment,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let what = Lines::for_client(conn, notify, client)?
        .line(&session.starts_at, session.service_id.as_deref());
    let practice = notify.provider.practice_display_name();
    let cost = crate::services::pricing::for_session_at(
        conn,
        notify.provider,
        client,
        (session.service_id.as_deref(), session.starts_at),
        now,
    )?
    .map(|e| match e.reasoning.split_once(": ") {
        Some((_, why)) if !e.is_exact() => format!("{} ({why})", e.amount()),
        _ => e.amount(),
    });
    let message = |reader: &Reader| {
        sessions::reminder(
            &practice,
            reader,
            &what,
            (notify.place(session).as_deref(), cost.as_deref()),
            &notify.portal(),
            true,
        )
    };
    // The session's calendar file travels with the reminder.
    let letter = Letter {
        kind: SESSION_REMINDER,
        message: &message,
    };
    send_with_file(conn, notify, client, (session, &what), letter, now, None)
}
