//! The booking link offers the provider's free times; a picked time is a request on the
//! calendar that the provider accepts (re-checked inside the transaction, other requests
//! for it declined) or declines, the client emailed either way.

use std::sync::{Arc, Barrier};

use caseload::db::schema::{appointments, audit_events, clients};
use caseload::models::scope::Scope;
use caseload::models::{appointment, provider};
use caseload::services::calendar::{AnswerError, Notify};
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
    assert!(page.contains("Times are in America/New_York, at least 2 hours ahead"));
    assert!(page.contains("first session (Psychiatric diagnostic evaluation (intake), 60 minutes)"));
    let today = offered(&page);
    assert_eq!(
        today.first().map(String::as_str),
        Some("Wednesday, December 2 at 11:00"),
        "two hours' notice: {today:?}"
    );
    assert!(!today.iter().any(|t| t.contains("16:30")), "60 minutes fit");
    assert!(today.contains(&"Wednesday, December 2 at 16:00".to_string()));

    // Next week: the 10:00–10:45 session takes every hour that would overlap it.
    let (_, next) = visitor.get_text(&format!("{link}?week=1"));
    let tuesday: Vec<String> = offered(&next)
        .into_iter()
        .filter(|t| t.starts_with("Tuesday"))
        .collect();
    assert_eq!(
        &tuesday[..3],
        [
            "Tuesday, December 8 at 09:00",
            "Tuesday, December 8 at 11:00",
            "Tuesday, December 8 at 11:30"
        ]
    );
    // Eight weeks out and no further.
    let (_, last) = visitor.get_text(&format!("{link}?week=8"));
    assert!(select_text(&last, ".booking-weeks a")
        .iter()
        .all(|a| !a.contains("Later")));
    assert!(offered(&last).contains(&"Tuesday, January 26 at 09:00".to_string()));
    assert!(!offered(&last).iter().any(|t| t.contains("February 2")));

    let pick = time_link(&next, "Tuesday, December 8 at 11:00");
    let (_, details) = visitor.get_text(&pick);
    assert!(
        details.contains("Tuesday, December 8, 2026 at 11:00 EST"),
        "{details}"
    );
    let r = sign_up_for(&visitor, &pick, "Nia", "nia@example.com");
    assert_eq!(r.status(), 200);
    let done = r.text().unwrap();
    assert_eq!(select_text(&done, "h1"), ["Check your email"]);
    assert!(
        done.contains("You asked for Tuesday, December 8, 2026 at 11:00 EST"),
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
    let first_mail = app.emails();
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
    assert!(requests.contains("Dec 8, 2026 11:00 EST–12:00"));
    // The requested time is still offered: a request holds no time until accepted.
    let (_, next) = visitor.get_text(&format!("{link}?week=1"));
    assert!(offered(&next).contains(&"Tuesday, December 8 at 11:00".to_string()));

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
        .contains("is booked for Tuesday, December 8, 2026 at 11:00 EST"));
    assert!(mail[0].calendar_ics.is_some(), "with its calendar file");
    let (_, portal) = nia.get_text("/portal");
    let upcoming = select_text(&portal, ".upcoming-sessions li");
    assert!(!upcoming[0].contains("Asked for"), "{upcoming:?}");
    assert!(upcoming[0].contains("Add to your calendar"));
    // Now it holds its time: the booking link no longer offers it.
    let (_, next) = visitor.get_text(&format!("{link}?week=1"));
    assert!(!offered(&next).contains(&"Tuesday, December 8 at 11:00".to_string()));
    assert!(!offered(&next).contains(&"Tuesday, December 8 at 11:30".to_string()));
}

#[test]
fn two_requests_for_one_time_accepting_one_declines_the_other_and_both_are_emailed() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    let pick = time_link(&next, "Tuesday, December 8 at 11:00");
    let half_past = time_link(&next, "Tuesday, December 8 at 11:30");
    assert_eq!(
        sign_up_for(&app.session(), &pick, "Nia", "nia@example.com").status(),
        200
    );
    let omar = app.session_from("127.0.0.2");
    assert_eq!(
        sign_up_for(&omar, &half_past, "Omar", "omar@example.com").status(),
        200
    );
    let later = time_link(&next, "Tuesday, December 8 at 14:00");
    let pia = app.session_from("127.0.0.3");
    assert_eq!(
        sign_up_for(&pia, &later, "Pia", "pia@example.com").status(),
        200
    );
    app.emails();
    let (_, requests) = s.get_text("/calendar/requests");
    assert_eq!(select_text(&requests, "tbody th").len(), 3);

    let nia = entries_of(&app, "nia@example.com").remove(0).0;
    let omar = entries_of(&app, "omar@example.com").remove(0).0;
    let (_, page) = s.get_text(&format!("/calendar/sessions/{nia}"));
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let r = s.submit(
        "/calendar/requests",
        &format!("/calendar/requests/{nia}/accept"),
        &[("version", &version)],
    );
    let (_, page) = s.get_text(&location(&r));
    assert!(
        page.contains("1 other request for the same time was declined"),
        "{page}"
    );
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "scheduled");
    assert_eq!(entries_of(&app, "omar@example.com")[0].1, "declined");
    assert_eq!(
        entries_of(&app, "pia@example.com")[0].1,
        "requested",
        "another time"
    );
    let mut mail = app.emails();
    mail.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(mail.len(), 2);
    assert_eq!(mail[0].to, "nia@example.com");
    assert!(mail[0].subject.contains("is booked for"));
    assert_eq!(mail[1].to, "omar@example.com");
    assert!(mail[1].subject.contains("is not available"));
    assert!(mail[1]
        .text
        .contains("another client booked this time first"));
    assert!(
        mail[1].text.contains(&link),
        "the link to choose another time"
    );
    let audited: Vec<String> = audit_events::table
        .filter(audit_events::subject.eq(&omar))
        .order(audit_events::id)
        .select(audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(audited, ["booking.requested", "booking.declined"]);

    // Accepting the declined one changes nothing.
    let r = s.submit(
        "/calendar/requests",
        &format!("/calendar/requests/{omar}/accept"),
        &[("version", "2")],
    );
    let (_, page) = s.get_text(&location(&r));
    assert!(
        page.contains("no longer free") || page.contains("answered meanwhile"),
        "{page}"
    );
    assert_eq!(entries_of(&app, "omar@example.com")[0].1, "declined");

    // Declining, with a note, emails the client the note.
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
    let (_, requests) = s.get_text("/calendar/requests");
    assert!(requests.contains("No requests wait for your answer."));
}

#[test]
fn accepting_a_request_whose_time_was_filled_meanwhile_is_refused() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    let pick = time_link(&next, "Tuesday, December 8 at 11:00");
    sign_up_for(&app.session(), &pick, "Nia", "nia@example.com");
    // The provider books the hour for someone else before answering.
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    schedule(&s, &service, "2026-12-08", "11:30");
    app.emails();
    let nia = entries_of(&app, "nia@example.com").remove(0).0;
    let session = format!("/calendar/sessions/{nia}");
    let (_, page) = s.get_text(&session);
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let r = s.submit(
        &session,
        &format!("/calendar/requests/{nia}/accept"),
        &[("version", &version)],
    );
    let (_, page) = s.get_text(&location(&r));
    assert!(page.contains("This time is no longer free"), "{page}");
    assert_eq!(entries_of(&app, "nia@example.com")[0].1, "requested");
    assert!(app.emails().is_empty(), "nothing was sent");

    // A time typed into the address that is not offered is refused, and so is a post of one.
    let visitor = app.session();
    let (_, page) = visitor.get_text(&format!("{link}?time=2026-12-08T16:30"));
    assert!(page.contains("That time has just been taken or is no longer offered"));
    let r = sign_up_for(
        &visitor,
        &format!("{link}?time=none"),
        "Zed",
        "zed@example.com",
    );
    assert_eq!(r.status(), 200, "signing up without a time still works");
    assert!(entries_of(&app, "zed@example.com").is_empty());
    let token = visitor.csrf(&format!("{link}?time=none"));
    let r = visitor.post_raw(
        &link,
        &token,
        &[
            ("first_name", "Yan"),
            ("last_name", "Example"),
            ("email", "yan@example.com"),
            ("billing_type", "private_pay"),
            ("time", "2026-12-08T16:30"),
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
        &time_link(&next, "Tuesday, December 8 at 11:00"),
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
    assert!(offered(&next).contains(&"Tuesday, December 8 at 16:00".to_string()));
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
fn two_accepts_of_overlapping_requests_at_the_same_moment_give_one_session() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let link = open_for_booking(&s);
    let (_, next) = app.session().get_text(&format!("{link}?week=1"));
    let p = provider::find_by_email(&mut app.conn(), "dr.rivera@example.com")
        .unwrap()
        .unwrap();
    let scope = Scope::of(&p);
    for (round, (a, b)) in [("09:00", "09:30"), ("13:00", "13:30"), ("15:00", "15:30")]
        .into_iter()
        .enumerate()
    {
        let first = format!("a{round}@example.com");
        let second = format!("b{round}@example.com");
        let label = |t: &str| format!("Tuesday, December 8 at {t}");
        let (ann, bo) = (
            app.session_from(&format!("127.0.1.{round}")),
            app.session_from(&format!("127.0.2.{round}")),
        );
        sign_up_for(&ann, &time_link(&next, &label(a)), "Ann", &first);
        sign_up_for(&bo, &time_link(&next, &label(b)), "Bo", &second);
        let ids = [
            entries_of(&app, &first).remove(0).0,
            entries_of(&app, &second).remove(0).0,
        ];
        let barrier = Arc::new(Barrier::new(2));
        let outcomes: Vec<Result<usize, String>> = ids
            .iter()
            .map(|id| {
                let (barrier, scope, p) = (barrier.clone(), scope.clone(), p.clone());
                let mut conn = app.conn();
                let request = appointment::find(&mut conn, &scope, id).unwrap().unwrap();
                std::thread::spawn(move || {
                    let notify = Notify {
                        provider: &p,
                        public_url: "http://example.test",
                    };
                    let act = Act {
                        ip: None,
                        now: chrono::NaiveDateTime::parse_from_str(
                            "2026-12-02 14:00",
                            "%Y-%m-%d %H:%M",
                        )
                        .unwrap(),
                    };
                    barrier.wait();
                    let version = request.version;
                    match caseload::services::calendar::accept(
                        &mut conn, &request, version, notify, act,
                    ) {
                        Ok(n) => Ok(n),
                        Err(AnswerError::Taken(_)) => Err("taken".to_string()),
                        Err(AnswerError::Changed) => Err("changed".to_string()),
                        Err(e) => Err(format!("other: {e}")),
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
            outcomes.iter().all(|o| match o {
                Ok(_) => true,
                Err(e) => e == "taken" || e == "changed",
            }),
            "round {round}: the loser is refused, not a database error: {outcomes:?}"
        );
        let scheduled: i64 = appointments::table
            .filter(appointments::id.eq_any(&ids))
            .filter(appointments::status.eq("scheduled"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        assert_eq!(scheduled, 1, "round {round}");
    }
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
    let eleven = time_link(&next, "Tuesday, December 8 at 11:00");
    let one = time_link(&next, "Tuesday, December 8 at 13:00");

    // A stranger types Ada's address (and another name); a newcomer types their own.
    let stranger = sign_up_for(&app.session(), &eleven, "Mallory", "ADA@example.com");
    let newcomer = sign_up_for(&app.session(), &one, "Nia", "nia@example.com");
    assert_eq!(stranger.status(), 200);
    assert_eq!(newcomer.status(), 200);
    let (stranger, newcomer) = (stranger.text().unwrap(), newcomer.text().unwrap());
    assert_eq!(
        select_text(&stranger, "main")
            .join(" ")
            .replace("11:00", "13:00"),
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
        .contains("Tuesday, December 8, 2026 at 11:00 EST"));
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
