//! Calendar entries as iCalendar (RFC 5545) text: one session's event, a client's file for
//! one session, and the provider's whole calendar as a subscribable feed. Times are written
//! at their wall-clock time in the provider's zone (`DTSTART;TZID=America/New_York:…`) with
//! the VTIMEZONE that RFC 5545 requires for that TZID, built from chrono-tz's rules over the
//! range the file covers. What goes in is decided by the caller: these functions write what
//! they are given, nothing more (no notes, diagnoses or phone numbers are ever asked for).

mod vtimezone;

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};

use crate::domain::appointment::{Place, Status};
use crate::domain::time_zone::Zone;

const PRODID: &str = "-//Caseload//Caseload calendar//EN";

/// One entry as a calendar file shows it; the caller has already chosen the words.
#[derive(Debug, Clone)]
pub struct CalendarEntry {
    /// The appointment's id: the event's UID is made from it, so it never changes.
    pub id: String,
    pub summary: String,
    pub location: Option<String>,
    /// UTC.
    pub starts_at: NaiveDateTime,
    /// UTC.
    pub ends_at: NaiveDateTime,
    pub status: Status,
    /// Raised by every change; the event's SEQUENCE is `version - 1`.
    pub version: i64,
}

/// The stable UID of an appointment's event.
pub fn uid(appointment_id: &str) -> String {
    format!("{appointment_id}@caseload")
}

/// How a calendar program should show an entry in this status: cancelled ones stay in the
/// feed as CANCELLED so subscribed calendars remove them.
pub fn event_status(status: Status) -> EventStatus {
    match status {
        Status::Scheduled | Status::Confirmed => EventStatus::Confirmed,
        Status::Requested => EventStatus::Tentative,
        Status::Cancelled | Status::LateCancelled | Status::NoShow | Status::Declined => {
            EventStatus::Cancelled
        }
    }
}

/// A person's initials as the feed shows them by default: "Jamie Rivera" → "J.R.".
pub fn initials(first: &str, last: &str) -> String {
    [first, last]
        .iter()
        .filter_map(|n| n.trim().chars().next())
        .flat_map(|c| c.to_uppercase().chain(std::iter::once('.')))
        .collect()
}

/// The event's LOCATION: the video link for telehealth (when the provider set one), else
/// the stored address.
pub fn location(stored: Option<&str>, video_link: Option<&str>) -> Option<String> {
    Place::of(stored).map(|place| match (place, video_link) {
        (Place::Video, Some(link)) => link.to_string(),
        (Place::Video, None) => "Video session".to_string(),
        (Place::Address(address), _) => address.to_string(),
    })
}

fn zoned(zone: &Zone, utc: &NaiveDateTime) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: zone.local(utc).naive_local(),
        tzid: zone.name().to_string(),
    }
}

/// One VEVENT for an entry, its times in `zone`; DTSTAMP is `now` (the app clock's).
pub fn session_event(entry: &CalendarEntry, zone: &Zone, now: NaiveDateTime) -> Event {
    let mut event = Event::new();
    event
        .uid(&uid(&entry.id))
        .timestamp(Utc.from_utc_datetime(&now))
        .sequence(u32::try_from(entry.version - 1).unwrap_or(0))
        .summary(&entry.summary)
        .starts(zoned(zone, &entry.starts_at))
        .ends(zoned(zone, &entry.ends_at))
        .status(event_status(entry.status));
    if let Some(l) = &entry.location {
        event.location(l);
    }
    event.done()
}

/// A whole calendar file with one session, for the client to add to their calendar.
pub fn session_file(entry: &CalendarEntry, zone: &Zone, now: NaiveDateTime) -> String {
    write_calendar(None, std::slice::from_ref(entry), zone, now)
}

/// A whole calendar file with several sessions (a new series), for the client.
pub fn sessions_file(entries: &[CalendarEntry], zone: &Zone, now: NaiveDateTime) -> String {
    write_calendar(None, entries, zone, now)
}

/// The provider's calendar as a feed: every entry given, cancelled ones included.
pub fn provider_feed(
    name: &str,
    entries: &[CalendarEntry],
    zone: &Zone,
    now: NaiveDateTime,
) -> String {
    write_calendar(Some(name), entries, zone, now)
}

fn write_calendar(
    name: Option<&str>,
    entries: &[CalendarEntry],
    zone: &Zone,
    now: NaiveDateTime,
) -> String {
    let mut header = Calendar::empty();
    header
        .append_property(("PRODID", PRODID))
        .append_property(("VERSION", "2.0"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"));
    if let Some(name) = name {
        header.name(name);
        header.append_property(("X-WR-TIMEZONE", zone.name()));
    }
    // The crate has no public VTIMEZONE component: the header is its text without the
    // closing line, then the time zone, then each event.
    let head = header.to_string();
    let mut out = head
        .strip_suffix("END:VCALENDAR\r\n")
        .unwrap_or(&head)
        .to_string();
    let from = entries.iter().map(|e| e.starts_at).min();
    let to = entries.iter().map(|e| e.ends_at).max();
    if let (Some(from), Some(to)) = (from, to) {
        out.push_str(&vtimezone::time_zone_definition(zone, from, to));
    }
    for entry in entries {
        if let Ok(text) = session_event(entry, zone, now).try_into_string() {
            out.push_str(&text);
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// How far back the feed reaches: a year of history, and everything ahead.
pub const FEED_HISTORY_DAYS: i64 = 366;

/// What a feed entry is called: the service (or kind) and the person, by initials unless
/// the provider chose full names. Nothing else about the client is written.
pub fn feed_summary(entry: &crate::models::calendar_feed::FeedEntry, full_names: bool) -> String {
    use crate::domain::appointment::Kind;
    let a = &entry.appointment;
    let who = entry.person.as_ref().map(|(first, last)| {
        if full_names {
            format!("{first} {last}").trim().to_string()
        } else {
            initials(first, last)
        }
    });
    let what = match a.kind() {
        Kind::Session => entry
            .service
            .clone()
            .unwrap_or_else(|| "Session".to_string()),
        Kind::Consultation => Kind::Consultation.label().to_string(),
        Kind::Unavailable => return Kind::Unavailable.label().to_string(),
    };
    match who.filter(|w| !w.is_empty()) {
        Some(w) => format!("{what} — {w}"),
        None => what,
    }
}

/// The provider's feed as served: a year back to everything ahead, cancelled entries
/// included (so subscribed calendars remove them), in the provider's zone.
pub fn build_provider_feed(
    conn: &mut crate::db::DbConnection,
    provider: &crate::models::provider::Provider,
    full_names: bool,
    now: NaiveDateTime,
) -> diesel::QueryResult<String> {
    let scope = crate::models::scope::Scope::of(provider);
    let rows = crate::models::calendar_feed::entries_since(
        conn,
        &scope,
        now - Duration::days(FEED_HISTORY_DAYS),
    )?;
    let video_link = provider.video_link.as_deref();
    let entries: Vec<CalendarEntry> = rows
        .iter()
        .map(|row| {
            let a = &row.appointment;
            CalendarEntry {
                id: a.id.clone(),
                summary: feed_summary(row, full_names),
                location: location(a.location.as_deref(), video_link),
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                status: a.state(),
                version: a.version,
            }
        })
        .collect();
    let name = format!("Caseload — {}", provider.practice_display_name());
    Ok(provider_feed(&name, &entries, &provider.zone(), now))
}

/// A client's file for one of their sessions: the service and the provider's name, the
/// place, and the time in the provider's zone.
pub fn client_session_entry(
    session: &crate::models::appointment::Appointment,
    service: Option<&str>,
    provider: &crate::models::provider::Provider,
) -> CalendarEntry {
    CalendarEntry {
        id: session.id.clone(),
        summary: format!(
            "{} with {}",
            service.unwrap_or("Session"),
            provider.practice_display_name()
        ),
        location: location(session.location.as_deref(), provider.video_link.as_deref()),
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        status: session.state(),
        version: session.version,
    }
}

#[cfg(test)]
mod tests {
    use super::vtimezone::{format_offset, time_zone_definition};
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn entry(status: Status, version: i64) -> CalendarEntry {
        CalendarEntry {
            id: "0193a1b2-appt".into(),
            summary: "Individual therapy — J.R.".into(),
            location: Some("12 Elm St, Suite 3".into()),
            starts_at: at("2027-03-10 15:00"),
            ends_at: at("2027-03-10 15:50"),
            status,
            version,
        }
    }

    fn ny() -> Zone {
        Zone::parse("America/New_York").unwrap()
    }

    #[test]
    fn ics_a_session_event_has_its_uid_sequence_status_and_zoned_times() {
        let text = session_file(&entry(Status::Scheduled, 3), &ny(), at("2027-03-01 12:00"));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
        for line in [
            "VERSION:2.0",
            "METHOD:PUBLISH",
            "UID:0193a1b2-appt@caseload",
            "SEQUENCE:2",
            "STATUS:CONFIRMED",
            "DTSTAMP:20270301T120000Z",
            // 15:00 UTC on 10 March 2027 is 10:00 EST, before the change on the 14th.
            "DTSTART;TZID=America/New_York:20270310T100000",
            "DTEND;TZID=America/New_York:20270310T105000",
            "LOCATION:12 Elm St\\, Suite 3",
            "BEGIN:VTIMEZONE",
            "TZID:America/New_York",
        ] {
            assert!(
                text.contains(&format!("{line}\r\n")),
                "{line} missing in\n{text}"
            );
        }
        assert!(text.find("BEGIN:VTIMEZONE") < text.find("BEGIN:VEVENT"));
    }

    #[test]
    fn ics_cancelled_late_cancelled_no_show_and_declined_are_cancelled_and_requests_tentative() {
        for s in [
            Status::Cancelled,
            Status::LateCancelled,
            Status::NoShow,
            Status::Declined,
        ] {
            assert_eq!(event_status(s), EventStatus::Cancelled, "{s:?}");
        }
        assert_eq!(event_status(Status::Requested), EventStatus::Tentative);
        assert_eq!(event_status(Status::Confirmed), EventStatus::Confirmed);
        let text = session_file(&entry(Status::NoShow, 1), &ny(), at("2027-03-01 12:00"));
        assert!(text.contains("STATUS:CANCELLED\r\n") && text.contains("SEQUENCE:0\r\n"));
    }

    #[test]
    fn ics_the_time_zone_lists_both_2027_changes_at_2am_local() {
        let text = time_zone_definition(&ny(), at("2027-01-05 15:00"), at("2027-12-20 16:00"));
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD"
            ),
            "{text}"
        );
        assert_eq!(text.matches("BEGIN:DAYLIGHT").count(), 1);
        // The offset in force at the start, then the two changes.
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 2);
        let utc = time_zone_definition(&Zone::UTC, at("2027-01-05 15:00"), at("2027-12-20 16:00"));
        assert_eq!(utc.matches("TZOFFSETTO:+0000").count(), 1, "{utc}");
    }

    #[test]
    fn ics_initials_and_locations() {
        assert_eq!(initials("Jamie", "Rivera"), "J.R.");
        assert_eq!(initials("élise", ""), "É.");
        assert_eq!(
            location(Some("telehealth"), Some("https://meet.example.com/r")).as_deref(),
            Some("https://meet.example.com/r")
        );
        assert_eq!(
            location(Some("Telehealth"), None).as_deref(),
            Some("Video session")
        );
        assert_eq!(location(Some(" "), None), None);
        assert_eq!(format_offset(19800), "+0530");
        assert_eq!(format_offset(-16200), "-0430");
    }

    #[test]
    fn ics_the_file_reads_back_with_the_crate_parser() {
        let text = provider_feed(
            "Caseload — Dr. Rivera",
            &[entry(Status::Scheduled, 1), entry(Status::Cancelled, 2)],
            &ny(),
            at("2027-03-01 12:00"),
        );
        let parsed: Calendar = text.parse().unwrap();
        assert_eq!(parsed.events().count(), 2);
        let first = parsed.events().next().unwrap();
        assert_eq!(first.get_summary(), Some("Individual therapy — J.R."));
        assert_eq!(first.get_location(), Some("12 Elm St, Suite 3"));
    }
}
