//! Calendar files read back by an independent parser (Python's `icalendar`): the provider's
//! feed keeps a weekly 10:00 at 10:00 across both daylight-saving changes in New York and
//! Los Angeles, keeps its UIDs, raises SEQUENCE on a change, marks cancelled sessions,
//! names clients by initials or in full, stops at a replaced address and never shows
//! another provider's sessions; a client's .ics is their own session's only.

use std::io::Write;
use std::process::{Command, Stdio};

use diesel::prelude::*;

use crate::calendar::{post_form, schedule, service_id};
use crate::support::*;

/// Prints each event of the calendar on stdin as JSON, its times in the zone named by
/// the first argument.
const READ_EVENTS: &str = r#"
import json, sys
from zoneinfo import ZoneInfo
import icalendar
zone = ZoneInfo(sys.argv[1])
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
out = []
for e in cal.walk("VEVENT"):
    start = e["DTSTART"].dt
    end = e["DTEND"].dt
    out.append({
        "uid": str(e["UID"]),
        "sequence": int(e.get("SEQUENCE", 0)),
        "status": str(e.get("STATUS", "")),
        "summary": str(e.get("SUMMARY", "")),
        "location": str(e.get("LOCATION", "")),
        "start": start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "end": end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "start_utc": start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M"),
    })
print(json.dumps(out))
"#;

#[derive(Debug, Clone, serde::Deserialize)]
struct Event {
    uid: String,
    sequence: i64,
    status: String,
    summary: String,
    start: String,
    end: String,
    start_utc: String,
}

fn read_events(ics: &str, zone: &str) -> Vec<Event> {
    let mut child = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(READ_EVENTS)
        .arg(zone)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (Debian package python3-icalendar)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused the file: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Turns the feed on from its settings page and returns its path.
fn turn_on_feed(s: &Session) -> String {
    let r = s.submit(
        "/settings/calendar/feed",
        "/settings/calendar/feed",
        &[("action", "on")],
    );
    assert_eq!(r.status(), 303);
    feed_path(s).expect("the page shows the address once the feed is on")
}

fn feed_path(s: &Session) -> Option<String> {
    let (_, page) = s.get_text("/settings/calendar/feed");
    let url = select_attr(&page, "#feed_url", "value").pop()?;
    let at = url.find("/calendar/feed/")?;
    Some(url[at..].to_string())
}

/// Fetches the feed as a calendar program would: no sign-in.
fn fetch(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.session().get(path);
    let code = r.status().as_u16();
    if code == 200 {
        let headers = r.headers();
        assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
        assert_eq!(headers["cache-control"], "private");
    }
    (code, r.text().unwrap())
}

fn set_zone(app: &TestApp, email: &str, zone: &str) {
    use caseload::db::schema::providers;
    diesel::update(providers::table.filter(providers::email.eq(email)))
        .set(providers::time_zone.eq(zone))
        .execute(&mut app.conn())
        .unwrap();
}

#[test]
fn calendar_feed_a_weekly_10am_stays_at_10am_across_both_2027_changes_in_new_york_and_los_angeles()
{
    for zone in ["America/New_York", "America/Los_Angeles"] {
        let app = TestApp::spawn();
        app.set_time("2027-02-20 14:00");
        let s = app.signed_in();
        set_zone(&app, "dr.rivera@example.com", zone);
        s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
        let service = service_id(&s, "90834");
        // Tuesdays from March 2 to November 30, 2027: across March 14 and November 7.
        let r = s.submit(
            "/calendar/new",
            "/calendar/sessions",
            &[
                ("client", "Ada Lovelace <ada@example.com>"),
                ("service", service.as_str()),
                ("date", "2027-03-02"),
                ("time", "10:00"),
                ("repeat", "weekly"),
                ("ends", "after"),
                ("count", "40"),
            ],
        );
        assert_eq!(r.status(), 303, "{zone}");
        let path = turn_on_feed(&s);
        let (code, ics) = fetch(&app, &path);
        assert_eq!(code, 200);
        assert!(
            ics.contains(&format!("DTSTART;TZID={zone}:20270302T100000")),
            "{ics}"
        );
        let events = read_events(&ics, zone);
        assert_eq!(events.len(), 40, "{zone}");
        for e in &events {
            assert!(e.start.ends_with(" 10:00"), "{zone}: {e:?}");
            assert!(e.end.ends_with(" 10:45"), "{zone}: {e:?}");
            assert_eq!(e.status, "CONFIRMED");
            assert_eq!(e.summary, "Psychotherapy, 45 minutes — A.L.", "{e:?}");
        }
        let first = &events[0];
        let last = &events[39];
        assert_eq!(first.start, "2027-03-02 10:00");
        assert_eq!(last.start, "2027-11-30 10:00");
        // The instants differ by the change: standard time before, daylight after.
        let (winter, summer) = if zone == "America/New_York" {
            ("2027-03-02 15:00", "2027-03-16 14:00")
        } else {
            ("2027-03-02 18:00", "2027-03-16 17:00")
        };
        assert_eq!(first.start_utc, winter);
        assert_eq!(events[2].start_utc, summer);
        assert!(events.iter().any(|e| e.start == "2027-11-09 10:00"));
    }
}

#[test]
fn calendar_feed_follows_changes_and_cancellations_names_clients_and_stops_at_a_replaced_address() {
    use caseload::db::schema::appointments;
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    let moved = schedule(&s, &service, "2026-12-09", "10:00");
    let cancelled = schedule(&s, &service, "2026-12-10", "11:00");
    let kept = schedule(&s, &service, "2026-12-11", "09:00");
    let id_of = |page: &str| page.rsplit('/').next().unwrap().to_string();
    // Another provider's session in the same database.
    let other = app.provider("dr.other@example.com", "Sam", "Other");
    other.add_client("Bea", "Bishop", "bea@example.com", &[]);
    let other_service = service_id(&other, "90834");
    let r = other.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Bea Bishop <bea@example.com>"),
            ("service", other_service.as_str()),
            ("date", "2026-12-09"),
            ("time", "10:00"),
        ],
    );
    assert_eq!(r.status(), 303);
    let other_path = turn_on_feed(&other);

    let path = turn_on_feed(&s);
    assert_eq!(feed_path(&s).as_deref(), Some(path.as_str()));
    let token = path
        .trim_start_matches("/calendar/feed/")
        .trim_end_matches(".ics");
    assert!(token.len() >= 43, "{token}");
    let (_, first_fetch) = fetch(&app, &path);
    let before = read_events(&first_fetch, "America/New_York");
    let (_, second_fetch) = fetch(&app, &path);
    let again = read_events(&second_fetch, "America/New_York");
    let uids = |events: &[Event]| events.iter().map(|e| e.uid.clone()).collect::<Vec<_>>();
    assert_eq!(
        uids(&before),
        uids(&again),
        "UIDs are stable between fetches"
    );
    assert_eq!(
        uids(&before),
        [&moved, &cancelled, &kept].map(|p| format!("{}@caseload", id_of(p)))
    );
    assert!(before
        .iter()
        .all(|e| e.sequence == 0 && e.status == "CONFIRMED"));
    assert!(
        before.iter().all(|e| e.summary.ends_with(" — A.L.")),
        "{before:?}"
    );
    assert!(before.iter().all(|e| !e.summary.contains("Lovelace")));
    // The other provider's feed has only their own session.
    let (_, theirs) = fetch(&app, &other_path);
    let theirs = read_events(&theirs, "America/New_York");
    assert_eq!(theirs.len(), 1);
    assert!(!uids(&before).contains(&theirs[0].uid));
    assert_eq!(theirs[0].summary, "Psychotherapy, 45 minutes — B.B.");

    // Cancel one through its page; move another by writing the row as the edit form does
    // (a new time and a raised version), so this test does not depend on that form.
    let r = post_form(
        &s,
        &cancelled,
        "close",
        &[("how", "provider"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);
    let moved_id = id_of(&moved);
    diesel::update(appointments::table.find(&moved_id))
        .set((
            appointments::starts_at.eq(at("2026-12-09 17:00")),
            appointments::ends_at.eq(at("2026-12-09 17:45")),
            appointments::version.eq(appointments::version + 1),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let (_, after) = fetch(&app, &path);
    let after = read_events(&after, "America/New_York");
    assert_eq!(uids(&after).len(), 3);
    let find = |events: &[Event], page: &str| {
        let uid = format!("{}@caseload", id_of(page));
        events.iter().find(|e| e.uid == uid).cloned().unwrap()
    };
    let m = find(&after, &moved);
    assert_eq!(
        (m.start.as_str(), m.end.as_str()),
        ("2026-12-09 12:00", "2026-12-09 12:45")
    );
    assert!(m.sequence > find(&before, &moved).sequence);
    let c = find(&after, &cancelled);
    assert_eq!(c.status, "CANCELLED");
    assert!(c.sequence > 0);
    assert_eq!(find(&after, &kept).status, "CONFIRMED");

    // Full names when the provider chooses them.
    let r = s.submit(
        "/settings/calendar/feed",
        "/settings/calendar/feed",
        &[("action", "names"), ("names", "full")],
    );
    assert_eq!(r.status(), 303);
    let (_, named) = fetch(&app, &path);
    let named = read_events(&named, "America/New_York");
    assert!(
        named
            .iter()
            .all(|e| e.summary == "Psychotherapy, 45 minutes — Ada Lovelace"),
        "{named:?}"
    );

    // A new address: the old one stops at once.
    let r = s.submit(
        "/settings/calendar/feed",
        "/settings/calendar/feed",
        &[("action", "replace")],
    );
    assert_eq!(r.status(), 303);
    let new_path = feed_path(&s).unwrap();
    assert_ne!(new_path, path);
    assert_eq!(fetch(&app, &path).0, 404);
    assert_eq!(fetch(&app, &new_path).0, 200);
    assert_eq!(
        fetch(&app, &format!("/calendar/feed/{}.ics", "A".repeat(43))).0,
        404
    );
    // Off: no address works, and the page offers to turn it on again.
    let r = s.submit(
        "/settings/calendar/feed",
        "/settings/calendar/feed",
        &[("action", "off")],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(fetch(&app, &new_path).0, 404);
    assert_eq!(feed_path(&s), None);
    // The other provider's feed is untouched.
    assert_eq!(fetch(&app, &other_path).0, 200);
}

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

#[test]
fn calendar_file_the_portal_gives_a_client_their_own_sessions_file_only() {
    use crate::onboarding::{outbox_links, path_of, verify};
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    s.add_client("Bea", "Bishop", "bea@example.com", &[]);
    let client = verify(&app, &path_of(&outbox_links(&s).remove(0)));
    let service = service_id(&s, "90834");
    let ada_session = schedule(&s, &service, "2026-12-09", "10:00");
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Bea Bishop <bea@example.com>"),
            ("service", service.as_str()),
            ("date", "2026-12-10"),
            ("time", "10:00"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    let bea_session = select_attr(&week, "td.busy .entry a", "href")
        .into_iter()
        .filter(|h| h.starts_with("/calendar/sessions/"))
        .max()
        .unwrap();
    let id_of = |page: &str| page.rsplit('/').next().unwrap().to_string();
    let (_, portal) = client.get_text("/portal");
    let links = select_attr(&portal, "a.calendar-file", "href");
    let own = format!("/portal/sessions/{}.ics", id_of(&ada_session));
    assert_eq!(links, std::slice::from_ref(&own), "{portal}");
    let r = client.get(&own);
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"session-2026-12-09.ics\""
    );
    let ics = r.text().unwrap();
    let events = read_events(&ics, "America/New_York");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].start, "2026-12-09 10:00");
    assert_eq!(events[0].uid, format!("{}@caseload", id_of(&ada_session)));
    assert!(events[0].summary.contains("Elena Rivera"), "{events:?}");
    assert!(
        !ics.contains("Bishop") && !ics.contains("Lovelace"),
        "{ics}"
    );
    // Another client's session, and a made-up id: not found.
    let theirs = format!("/portal/sessions/{}.ics", id_of(&bea_session));
    assert_eq!(client.get(&theirs).status(), 404);
    assert_eq!(client.get("/portal/sessions/nope.ics").status(), 404);
    // Signed out: no file.
    assert_ne!(app.session().get(&own).status(), 200);
    // The download is in the client's audit trail.
    let (_, trail) = s.get_text(&format!(
        "/clients/{}/activity",
        client_id(&app, "ada@example.com")
    ));
    assert!(
        select_text(&trail, "td[data-label=What]")
            .contains(&"Downloaded a session's calendar file".to_string()),
        "{trail}"
    );
}

fn client_id(app: &TestApp, email: &str) -> String {
    use caseload::db::schema::clients;
    clients::table
        .filter(clients::email.eq(email))
        .select(clients::id)
        .first(&mut app.conn())
        .unwrap()
}

#[test]
fn calendar_file_a_reminder_carries_the_sessions_file_at_its_time() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-01 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[("policy", "none"), ("reminder_hours", "24")],
    );
    assert_eq!(r.status(), 303);
    let service = service_id(&s, "90834");
    let session = schedule(&s, &service, "2026-12-10", "15:00");
    app.set_time("2026-12-09 20:00"); // 15:00 in New York, 24 hours ahead
    app.run_jobs();
    let sent: Vec<_> = app
        .mailbox()
        .delivered()
        .into_iter()
        .filter(|e| e.subject.starts_with("Reminder: your session"))
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .text
            .contains("The calendar file attached adds it to your calendar."),
        "{}",
        sent[0].text
    );
    let ics = sent[0]
        .calendar_ics
        .as_deref()
        .expect("the .ics is attached");
    let events = read_events(ics, "America/New_York");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].start, "2026-12-10 15:00");
    assert_eq!(events[0].end, "2026-12-10 15:45");
    assert_eq!(
        events[0].uid,
        format!("{}@caseload", session.rsplit('/').next().unwrap())
    );
    assert_eq!(events[0].status, "CONFIRMED");
}
