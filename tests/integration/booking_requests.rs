//! The booking link offers the provider's free times; a picked time is a request on the
//! calendar that the provider accepts (re-checked inside the transaction, other requests
//! for it declined) or declines, the client emailed either way.

use std::sync::{Arc, Barrier};

use caseload::db::schema::{appointments, audit_events, clients};
use caseload::models::scope::Scope;
use caseload::models::{appointment, provider};
use caseload::services::Act;
use diesel::prelude::*;

use crate::calendar::{schedule, service_id};
use crate::onboarding::path_of;
use crate::support::*;

/// Tuesdays and Wednesdays 09:00–17:00 (New York), and the booking link's path.
pub(crate) fn open_for_booking(s: &Session) -> String {
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("works_1", "on"),
            ("starts_1", "09:00"),
            ("ends_1", "17:00"),
            ("works_2", "on"),
            ("starts_2", "09:00"),
            ("ends_2", "17:00"),
            ("policy", "none"),
            ("office_address", "12 Elm St, Suite 3"),
        ],
    );
    assert_eq!(r.status(), 303);
    s.submit("/settings", "/settings/booking-link", &[]);
    let (_, settings) = s.get_text("/settings");
    path_of(&select_attr(&settings, "#booking_link", "value").remove(0))
}

/// The times a booking page offers, as "Tuesday, December 8 at 09:00".
fn offered(html: &str) -> Vec<String> {
    select_attr(html, ".booking-times a", "aria-label")
}

/// The booking page's link for a time, e.g. "Tuesday, December 8 at 11:00".
fn time_link(html: &str, label: &str) -> String {
    let labels = select_attr(html, ".booking-times a", "aria-label");
    let hrefs = select_attr(html, ".booking-times a", "href");
    labels
        .into_iter()
        .zip(hrefs)
        .find(|(l, _)| l == label)
        .map(|(_, h)| h)
        .unwrap_or_else(|| panic!("{label} is offered in {html}"))
}

/// Signs up on a picked time's page; returns the response.
pub(crate) fn sign_up_for(
    visitor: &Session,
    time_page: &str,
    first: &str,
    email: &str,
) -> reqwest::blocking::Response {
    let path = time_page.split('?').next().unwrap_or_default().to_string();
    visitor.fill(
        time_page,
        &path,
        &[
            ("first_name", first),
            ("last_name", "Example"),
            ("email", email),
            ("billing_type", "private_pay"),
            ("telehealth_state", "NY"),
            ("date_of_birth", "1990-01-02"),
            // The hidden field bots fill (the form helper would send "on").
            ("website", ""),
        ],
    )
}

fn entries_of(app: &TestApp, email: &str) -> Vec<(String, String)> {
    appointments::table
        .inner_join(clients::table.on(clients::id.nullable().eq(appointments::client_id)))
        .filter(clients::email.eq(email))
        .select((appointments::id, appointments::status))
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn a_new_client_picks_a_free_time_and_the_provider_accepts_it() {
    let app = TestApp::spawn_with_mailer();
    // Wednesday December 2, 09:00 in New York.
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    schedule(&s, &service, "2026-12-08", "10:00");

    let visitor = app.session();
    let (status, page) = visitor.get_text(&link);
    assert_eq!(status, 200);
    assert!(page.contains("Times are in Eastern Time, at least 2 hours ahead"));
    assert!(page.contains("first session (Psychiatric diagnostic evaluation (intake), 60 minutes)"));
    let today = offered(&page);
    assert_eq!(
        today.first().map(String::as_str),
        Some("Wednesday, December 2 at 11:00 AM"),
        "two hours' notice: {today:?}"
    );
    assert!(
        !today.iter().any(|t| t.contains("4:30 PM")),
        "60 minutes fit"
    );
    assert!(today.contains(&"Wednesday, December 2 at 4:00 PM".to_string()));

    // Next week: the 10:00–10:45 session takes every hour that would overlap it.
    let (_, next) = visitor.get_text(&format!("{link}?week=1"));
    let tuesday: Vec<String> = offered(&next)
        .into_iter()
        .filter(|t| t.starts_with("Tuesday"))
        .collect();
    assert_eq!(
        &tuesday[..3],
        [
            "Tuesday, December 8 at 9:00 AM",
            "Tuesday, December 8 at 11:00 AM",
            "Tuesday, December 8 at 11:30 AM"
        ]
    );
    // Eight weeks out and no further.
    let (_, last) = visitor.get_text(&format!("{link}?week=8"));
    assert!(select_text(&last, ".booking-weeks a")
        .iter()
        .all(|a| !a.contains("Later")));
    assert!(offered(&last).contains(&"Tuesday, January 26 at 9:00 AM".to_string()));
    assert!(!offered(&last).iter().any(|t| t.contains("February 2")));

    let pick = time_link(&next, "Tuesday, December 8 at 11:00 AM");
    let (_, details) = visitor.get_text(&pick);
    assert!(
        details.contains("Tuesday, December 8, 2026 at 11:00 AM Eastern Time"),
        "{details}"
    );
    let r = sign_up_for(&visitor, &pick, "Nia", "nia@example.com");
    assert_eq!(r.status(), 200);
    let done = r.text().unwrap();
    assert_eq!(select_text(&done, "h1"), ["Check your email"]);
    assert!(
        done.contains("You asked for Tuesday, December 8, 2026 at 11:00 AM Eastern Time"),
        "{done}"
    );
    let asked = entries_of(&app, "nia@example.com");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].1, "requested");
    let id = asked[0].0.clone();
    let audited: Vec<String> = audit_events::table
        .filter(audit_events::subject.eq(&id))
        .select(audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(audited, ["booking.requested"]);
    // Only the invitation so far: the time is not the client's until it is accepted.
    let first_mail: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|m| m.to == "nia@example.com")
        .collect();
    assert_eq!(first_mail.len(), 1);
    let nia = crate::onboarding::verify(
        &app,
        &path_of(&crate::onboarding::invite_link(&first_mail[0].text)),
    );
    let (_, portal) = nia.get_text("/portal");
    let upcoming = select_text(&portal, ".upcoming-sessions li");
    assert_eq!(upcoming.len(), 1, "{portal}");
    assert!(upcoming[0].contains("Asked for") && upcoming[0].contains("has not accepted"));
    assert!(select_attr(&portal, ".upcoming-sessions form", "action").is_empty());

    // The provider sees it on the calendar and in the requests.
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    assert!(week.contains("1 booking request waits for your answer"));
    assert!(select_text(&week, "td.busy .entry")
        .iter()
        .any(|e| e.contains("Nia Example") && e.contains("Requested")));
    let (_, requests) = s.get_text("/calendar/requests");
    assert!(requests.contains("Nia Example"));
    assert!(requests.contains("Dec 8, 2026 11:00 AM–12:00 PM EST"));
    // A waiting request holds its time: the booking link no longer offers it.
    let (_, next) = visitor.get_text(&format!("{link}?week=1"));
    assert!(!offered(&next).contains(&"Tuesday, December 8 at 11:00 AM".to_string()));
    assert!(!offered(&next).contains(&"Tuesday, December 8 at 11:30 AM".to_string()));

    let session = format!("/calendar/sessions/{id}");
    let r = s.submit(
        "/calendar/requests",
        "/calendar/requests/no-such-request/accept",
        &[("version", "1")],
    );
    assert_eq!(r.status(), 404, "an unknown request");
    let (_, page) = s.get_text(&session);
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let r = s.submit(
        &session,
        &format!("/calendar/requests/{id}/accept"),
        &[("version", &version)],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = s.get_text(&location(&r));
    assert!(page.contains("The request is accepted"), "{page}");
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "scheduled");
    let mail = app.emails();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, "nia@example.com");
    assert!(mail[0]
        .subject
        .contains("is booked for Tuesday, December 8, 2026 at 11:00 AM Eastern Time"));
    assert!(mail[0].calendar_ics.is_some(), "with its calendar file");
    let (_, portal) = nia.get_text("/portal");
    let upcoming = select_text(&portal, ".upcoming-sessions li");
    assert!(!upcoming[0].contains("Asked for"), "{upcoming:?}");
    assert!(upcoming[0].contains("Add to your calendar"));
    // Now it holds its time: the booking link no longer offers it.
    let (_, next) = visitor.get_text(&format!("{link}?week=1"));
    assert!(!offered(&next).contains(&"Tuesday, December 8 at 11:00 AM".to_string()));
    assert!(!offered(&next).contains(&"Tuesday, December 8 at 11:30 AM".to_string()));
}

#[test]
fn a_waiting_request_holds_its_time_against_a_second_request() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    // Both pages were opened before anyone asked: both offer 11:00 and 11:30.
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    let pick = time_link(&next, "Tuesday, December 8 at 11:00 AM");
    let half_past = time_link(&next, "Tuesday, December 8 at 11:30 AM");
    assert_eq!(
        sign_up_for(&app.session(), &pick, "Nia", "nia@example.com").status(),
        200
    );
    // A second request for an hour already asked for is told the time is taken: on
    // opening it, and on sending it.
    let omar = app.session_from("127.0.0.2");
    let (_, page) = omar.get_text(&half_past);
    assert!(
        page.contains("That time has just been taken or is no longer offered"),
        "{page}"
    );
    let time = half_past
        .split("time=")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let token = omar.csrf(&format!("{link}?time=none"));
    let r = omar.post_raw(
        &link,
        &token,
        &[
            ("first_name", "Omar"),
            ("last_name", "Example"),
            ("email", "omar@example.com"),
            ("billing_type", "private_pay"),
            ("time", &time),
        ],
    );
    assert_eq!(r.status(), 409);
    let page = r.text().unwrap();
    assert!(
        page.contains("That time has just been taken or is no longer offered"),
        "{page}"
    );
    assert!(entries_of(&app, "omar@example.com").is_empty());
    let later = time_link(&next, "Tuesday, December 8 at 2:00 PM");
    let pia = app.session_from("127.0.0.3");
    assert_eq!(
        sign_up_for(&pia, &later, "Pia", "pia@example.com").status(),
        200
    );
    app.emails();
    let (_, requests) = s.get_text("/calendar/requests");
    assert_eq!(select_text(&requests, "tbody th").len(), 2);

    // The week shows each request as waiting, not struck through like a cancellation, and
    // counts what it shows.
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    assert_eq!(select_text(&week, ".entry.waiting").len(), 2, "{week}");
    assert!(select_text(&week, ".entry.released").is_empty());
    assert!(
        week.contains("2 entries this week (2 wait for your answer)"),
        "{week}"
    );

    let nia = entries_of(&app, "nia@example.com").remove(0).0;
    let (_, page) = s.get_text(&format!("/calendar/sessions/{nia}"));
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let r = s.submit(
        "/calendar/requests",
        &format!("/calendar/requests/{nia}/accept"),
        &[("version", &version)],
    );
    let (_, page) = s.get_text(&location(&r));
    assert!(
        page.contains(
            "The request is accepted: Nia Example, Dec 8, 2026 11:00 AM–12:00 PM EST is scheduled"
        ),
        "the confirmation names the time: {page}"
    );
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "scheduled");
    assert_eq!(
        entries_of(&app, "pia@example.com")[0].1,
        "requested",
        "another time"
    );
    let mail = app.emails();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, "nia@example.com");
    assert!(mail[0].subject.contains("is booked for"));

    // Accepting it again changes nothing.
    let r = s.submit(
        "/calendar/requests",
        &format!("/calendar/requests/{nia}/accept"),
        &[("version", &version)],
    );
    let (_, page) = s.get_text(&location(&r));
    assert!(page.contains("answered meanwhile"), "{page}");

    // Declining, with a note, emails the client the note and frees the time.
    let pia = entries_of(&app, "pia@example.com").remove(0).0;
    let (_, page) = s.get_text(&format!("/calendar/sessions/{pia}"));
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let r = s.submit(
        "/calendar/requests",
        &format!("/calendar/requests/{pia}/decline"),
        &[
            ("version", &version),
            ("reason", "I am away that afternoon"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(entries_of(&app, "pia@example.com")[0].1, "declined");
    let mail = app.emails();
    assert_eq!(mail.len(), 1);
    assert!(mail[0]
        .text
        .contains("Their note: I am away that afternoon"));
    assert!(
        mail[0].text.contains(&link),
        "the link to choose another time"
    );
    let audited: Vec<String> = audit_events::table
        .filter(audit_events::subject.eq(&pia))
        .order(audit_events::id)
        .select(audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(audited, ["booking.requested", "booking.declined"]);
    let (_, requests) = s.get_text("/calendar/requests");
    assert!(requests.contains("No requests wait for your answer."));
    let (_, again) = app.session().get_text(&format!("{link}?week=1"));
    assert!(offered(&again).contains(&"Tuesday, December 8 at 2:00 PM".to_string()));
}

#[test]
fn booking_over_a_waiting_request_is_refused_naming_it_and_decline_and_book_is_one_click() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    let pick = time_link(&next, "Tuesday, December 8 at 11:00 AM");
    sign_up_for(&app.session(), &pick, "Nia", "nia@example.com");
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    app.emails();
    // The provider's own form books over the waiting request: refused, naming it.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", &service),
            ("date", "2026-12-08"),
            ("time", "11:30"),
        ],
    );
    assert_eq!(r.status(), 422);
    let page = r.text().unwrap();
    let why = select_text(&page, ".alert li");
    assert_eq!(
        why,
        ["It overlaps Nia Example's booking request for Dec 8, 2026 11:00 AM–12:00 PM EST, which waits for your answer: the time is held for them until you decline it."],
        "{page}"
    );
    assert!(entries_of(&app, "ada@example.com").is_empty());
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "requested");
    // A series over it lists that date as the request's.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", &service),
            ("date", "2026-12-08"),
            ("time", "11:30"),
            ("repeat", "weekly"),
            ("ends", "after"),
            ("count", "2"),
        ],
    );
    assert_eq!(r.status(), 422);
    assert_eq!(
        select_text(&r.text().unwrap(), ".collisions li"),
        ["Tue Dec 8, 2026 11:30 AM: Nia Example's booking request, waiting for your answer"]
    );
    // A block over it is refused the same way.
    let r = s.submit(
        "/calendar/other/new?kind=unavailable",
        "/calendar/other",
        &[
            ("kind", "unavailable"),
            ("date", "2026-12-08"),
            ("time", "11:00"),
            ("minutes", "30"),
        ],
    );
    assert!(
        r.text()
            .unwrap()
            .contains("booking request for Dec 8, 2026 11:00 AM"),
        "a block"
    );

    // "Decline it and book" is one click: the request is declined (Nia emailed the link to
    // choose again) and Ada's session is booked, both in one transaction.
    let nia = entries_of(&app, "nia@example.com").remove(0).0;
    let action = format!("/calendar/requests/{nia}/decline-and-book");
    assert!(
        select_attr(&page, "form", "action").contains(&action),
        "{page}"
    );
    let r = s.fill_from(&page, &action, &[]);
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    assert!(
        week.contains("Scheduled: Ada Lovelace Dec 8, 2026 11:30 AM EST"),
        "{week}"
    );
    assert!(week.contains("The booking request it overlapped is declined"));
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "declined");
    assert_eq!(entries_of(&app, "ada@example.com")[0].1, "scheduled");
    let mail = app.emails();
    let to_nia: Vec<_> = mail.iter().filter(|m| m.to == "nia@example.com").collect();
    assert_eq!(to_nia.len(), 1);
    assert!(to_nia[0].subject.contains("is not available"));
    assert!(to_nia[0].text.contains(&link));

    // The same click again (the request already answered) declines and books nothing.
    let r = s.fill_from(&page, &action, &[("time", "13:00")]);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("answered meanwhile"));
    assert_eq!(entries_of(&app, "ada@example.com").len(), 1);
    // Another provider's request is not found.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    let r = other.submit("/calendar/new", &action, &[("request_version", "2")]);
    assert_eq!(r.status(), 404);

    // A time typed into the address that is not offered is refused, and so is a post of one.
    let visitor = app.session();
    let (_, page) = visitor.get_text(&format!("{link}?time=2026-12-08T11:30"));
    assert!(page.contains("That time has just been taken or is no longer offered"));
    let token = visitor.csrf(&format!("{link}?time=none"));
    let r = visitor.post_raw(
        &link,
        &token,
        &[
            ("first_name", "Yan"),
            ("last_name", "Example"),
            ("email", "yan@example.com"),
            ("billing_type", "private_pay"),
            ("time", "2026-12-08T11:30"),
        ],
    );
    assert_eq!(r.status(), 409);
    let clients_named_yan: i64 = clients::table
        .filter(clients::first_name.eq("Yan"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(clients_named_yan, 0, "nothing is made");
}

#[test]
fn another_providers_request_is_not_found_and_answers_need_the_form_token() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    sign_up_for(
        &app.session(),
        &time_link(&next, "Tuesday, December 8 at 11:00 AM"),
        "Nia",
        "nia@example.com",
    );
    let nia = entries_of(&app, "nia@example.com").remove(0).0;
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    assert_eq!(
        other.get(&format!("/calendar/sessions/{nia}")).status(),
        404
    );
    let r = other.submit(
        "/calendar/requests",
        &format!("/calendar/requests/{nia}/accept"),
        &[("version", "1")],
    );
    assert_eq!(r.status(), 404);
    let (_, theirs) = other.get_text("/calendar/requests");
    assert!(!theirs.contains("Nia"));
    // Without the form's token, nothing is answered.
    let r = s.post_raw(
        &format!("/calendar/requests/{nia}/accept"),
        "not-the-token",
        &[("version", "1")],
    );
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "requested");
}

#[test]
fn the_booking_link_offers_the_chosen_service_with_the_chosen_notice() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let service = service_id(&s, "90834");
    let r = s.fill(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("booking_service", &service),
            ("booking_notice_hours", "24"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = app.session().get_text(&link);
    assert!(page.contains("at least 24 hours ahead"));
    assert!(page.contains("45 minutes"));
    // Wednesday's times are all within a day; 45 minutes fit from 16:15, but the grid is
    // every half hour, so 16:00 is the last.
    let times = offered(&page);
    assert!(
        !times.iter().any(|t| t.starts_with("Wednesday")),
        "{times:?}"
    );
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    assert!(offered(&next).contains(&"Tuesday, December 8 at 4:00 PM".to_string()));
    let r = s.fill(
        "/settings/calendar",
        "/settings/calendar",
        &[("booking_service", "someone-elses")],
    );
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("Booking link: choose one of your services."));
}

#[test]
fn a_time_taken_inside_the_sign_up_transaction_makes_nothing() {
    use caseload::domain::appointment::Span;
    use caseload::domain::client::{ClientDetails, ClientInput};
    use caseload::services::booking::{self, PickedTime, SignUp, SignUpRequest};
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90791");
    schedule(&s, &service, "2026-12-08", "11:00");
    let mut conn = app.conn();
    let p = provider::find_by_email(&mut conn, "dr.rivera@example.com")
        .unwrap()
        .unwrap();
    let at = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap();
    let input = ClientInput {
        first_name: "Nia".into(),
        last_name: "Example".into(),
        email: "nia@example.com".into(),
        billing_type: "private_pay".into(),
        ..Default::default()
    };
    let details = ClientDetails::parse(&input, at("2026-12-02 14:00").date()).unwrap();
    let time = PickedTime {
        span: Span {
            start: at("2026-12-08 16:30"),
            end: at("2026-12-08 17:30"),
        },
        service_id: service.clone(),
        location: None,
    };
    let outcome = booking::sign_up(
        &mut conn,
        &p,
        SignUpRequest {
            details: &details,
            time: Some(&time),
        },
        "http://example.test",
        "203.0.113.9",
        Act {
            ip: None,
            now: at("2026-12-02 14:00"),
        },
    )
    .unwrap();
    assert_eq!(outcome, SignUp::TimeTaken);
    let made: i64 = clients::table
        .filter(clients::email.eq("nia@example.com"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(made, 0, "no client without the time they asked for");
}

#[test]
fn a_request_and_a_booking_of_one_time_at_the_same_moment_give_one_entry() {
    use caseload::domain::appointment::{Kind, Span, Status};
    use caseload::models::appointment::{BookError, NewAppointment};
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    app.signed_in();
    let p = provider::find_by_email(&mut app.conn(), "dr.rivera@example.com")
        .unwrap()
        .unwrap();
    let scope = Scope::of(&p);
    let at = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap();
    let now = at("2026-12-02 14:00");
    for round in 0..4 {
        let start = at(&format!("2026-12-{:02} 15:00", 8 + round));
        let barrier = Arc::new(Barrier::new(2));
        // The client's request, and the provider's booking half an hour into it (odd
        // rounds: two requests).
        let outcomes: Vec<Result<(), String>> = [(0, true), (30, round % 2 == 1)]
            .into_iter()
            .map(|(offset, is_request)| {
                let (barrier, scope) = (barrier.clone(), scope.clone());
                let mut conn = app.conn();
                let begin = start + chrono::Duration::minutes(offset);
                let wanted = NewAppointment {
                    kind: Kind::Unavailable,
                    status: Status::Scheduled,
                    client_id: None,
                    service_id: None,
                    span: Span {
                        start: begin,
                        end: begin + chrono::Duration::minutes(60),
                    },
                    location: None,
                    note: None,
                    contact_name: None,
                    contact_phone: None,
                };
                std::thread::spawn(move || {
                    barrier.wait();
                    let done = if is_request {
                        appointment::request(&mut conn, &scope, &wanted, now).map(|_| ())
                    } else {
                        appointment::book(&mut conn, &scope, &[wanted], now).map(|_| ())
                    };
                    match done {
                        Ok(()) => Ok(()),
                        Err(BookError::Conflicts(_)) => Err("taken".to_string()),
                        Err(BookError::Database(e)) => Err(format!("database: {e}")),
                    }
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| !matches!(o, Err(e) if e != "taken")),
            "round {round}: the loser is refused, not a database error: {outcomes:?}"
        );
        let holding: i64 = appointments::table
            .filter(appointments::starts_at.ge(start))
            .filter(appointments::starts_at.lt(start + chrono::Duration::hours(2)))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(holding, 1, "round {round}");
    }
}

#[test]
fn the_provider_is_emailed_when_a_request_arrives_unless_they_turned_it_off() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    sign_up_for(
        &app.session(),
        &time_link(&next, "Tuesday, December 8 at 11:00 AM"),
        "Nia",
        "nia@example.com",
    );
    let mail = app.emails();
    let to_provider: Vec<_> = mail
        .iter()
        .filter(|m| m.to == "dr.rivera@example.com")
        .collect();
    assert_eq!(to_provider.len(), 1, "{mail:?}");
    let notice = to_provider[0];
    assert_eq!(
        notice.subject,
        "A booking request for Tuesday, December 8, 2026 at 11:00 AM Eastern Time"
    );
    assert!(notice.text.contains("/calendar/requests"));
    assert!(
        !notice.text.contains("Nia") && !notice.subject.contains("Nia"),
        "it names no one: {}",
        notice.text
    );
    let audited: i64 = audit_events::table
        .filter(audit_events::subject.eq("booking_request_arrived"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1, "an email about a client is audited");

    // Turned off in Settings → Calendar: none.
    let r = s.fill(
        "/settings/calendar",
        "/settings/calendar",
        &[("email_booking_requests", "")],
    );
    assert_eq!(r.status(), 303);
    let (_, settings) = s.get_text("/settings/calendar");
    assert!(select_attr(
        &settings,
        "input[name=email_booking_requests][checked]",
        "value"
    )
    .is_empty());
    sign_up_for(
        &app.session_from("127.0.0.5"),
        &time_link(&next, "Tuesday, December 8 at 2:00 PM"),
        "Omar",
        "omar@example.com",
    );
    let mail = app.emails();
    assert!(!mail.is_empty(), "the client is still invited");
    assert!(
        mail.iter().all(|m| m.to != "dr.rivera@example.com"),
        "{mail:?}"
    );
}

/// The link in an email to confirm a booking request, as a path.
fn confirm_link(text: &str) -> String {
    let start = text.find("/book/confirm/").expect("a link to confirm");
    let token: String = text[start + "/book/confirm/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("/book/confirm/{token}")
}

#[test]
fn a_clients_email_on_the_booking_link_waits_for_that_address_to_confirm() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    s.get_text("/clients"); // the page that says she was added
    app.run_jobs();
    app.emails();
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    let eleven = time_link(&next, "Tuesday, December 8 at 11:00 AM");
    let one = time_link(&next, "Tuesday, December 8 at 1:00 PM");

    // A stranger types Ada's address (and another name); a newcomer types their own.
    let stranger = sign_up_for(&app.session(), &eleven, "Mallory", "ADA@example.com");
    let newcomer = sign_up_for(&app.session(), &one, "Nia", "nia@example.com");
    assert_eq!(stranger.status(), 200);
    assert_eq!(newcomer.status(), 200);
    let (stranger, newcomer) = (stranger.text().unwrap(), newcomer.text().unwrap());
    assert_eq!(
        select_text(&stranger, "main")
            .join(" ")
            .replace("11:00 AM", "1:00 PM"),
        select_text(&newcomer, "main").join(" "),
        "the page reads the same whether the email is known or not"
    );

    // Nothing names Ada until her address confirms: no request of hers, none shown.
    assert!(entries_of(&app, "ada@example.com").is_empty());
    let (_, requests) = s.get_text("/calendar/requests");
    assert!(requests.contains("Nia Example"));
    assert!(
        !requests.contains("Ada") && !requests.contains("Mallory"),
        "{requests}"
    );
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    assert!(!week.contains("Ada Lovelace") && !week.contains("Mallory"));
    let names: Vec<String> = clients::table
        .order(clients::first_name)
        .select(clients::first_name)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(names, ["Ada", "Nia"], "no duplicate of Ada");

    // Ada's address gets one email, to confirm: no fresh invitation, no reminders.
    app.run_jobs();
    let to_ada: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|m| m.to == "ada@example.com")
        .collect();
    assert_eq!(to_ada.len(), 1, "{to_ada:?}");
    assert!(to_ada[0].subject.starts_with("Confirm your request"));
    assert!(to_ada[0].text.contains("giving the name Mallory Example"));
    assert!(to_ada[0]
        .text
        .contains("Tuesday, December 8, 2026 at 11:00 AM Eastern Time"));
    assert!(!to_ada[0].text.contains("/portal/invite/"));
    let confirm = confirm_link(&to_ada[0].text);

    // Opening the link confirms nothing (a mail scanner may open it); the button does.
    let ada = app.session();
    let (status, page) = ada.get_text(&confirm);
    assert_eq!(status, 200);
    assert!(
        page.contains("Tuesday, December 8, 2026 at 11:00 EST"),
        "{page}"
    );
    assert!(entries_of(&app, "ada@example.com").is_empty());
    let r = ada.submit(&confirm, &confirm, &[]);
    assert_eq!(r.status(), 200);
    assert_eq!(
        select_text(&r.text().unwrap(), "h1"),
        ["Your request is confirmed"]
    );
    let asked = entries_of(&app, "ada@example.com");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].1, "requested");
    let (_, requests) = s.get_text("/calendar/requests");
    assert!(requests.contains("Ada Lovelace"), "{requests}");
    let (_, session) = s.get_text(&format!("/calendar/sessions/{}", asked[0].0));
    assert!(
        session.contains("Asked for through the booking link as Mallory Example."),
        "the name typed is kept for the provider"
    );
    let audited: Vec<String> = audit_events::table
        .filter(audit_events::subject.eq(&asked[0].0))
        .select(audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(audited, ["booking.requested"]);
    // Once only (the page has no button now; a second post, as from another tab).
    let r = ada.post_raw(&confirm, &csrf_in(&page), &[]);
    assert!(r.text().unwrap().contains("confirmed already"));
    assert_eq!(entries_of(&app, "ada@example.com").len(), 1);
    assert_eq!(app.session().get_text("/book/confirm/not-a-token").0, 404);

    // Days later, still nothing more to Ada's address.
    app.advance(chrono::Duration::days(6));
    app.run_jobs();
    assert!(app.emails().iter().all(|m| m.to != "ada@example.com"));
}
