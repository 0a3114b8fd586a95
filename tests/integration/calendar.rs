//! The calendar's guarantees that hold below any page: two bookings of one slot at the
//! same moment, from two connections, give one entry and one refusal — on SQLite and on
//! PostgreSQL alike.

use std::sync::{Arc, Barrier};

use caseload::domain::appointment::{Kind, Span, Status};
use caseload::models::appointment::{self, BookError, NewAppointment};
use caseload::models::provider;
use caseload::models::scope::Scope;

use crate::support::*;

fn slot(start: &str, minutes: i64) -> NewAppointment {
    let start = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M").unwrap();
    NewAppointment {
        kind: Kind::Unavailable,
        status: Status::Scheduled,
        client_id: None,
        service_id: None,
        span: Span {
            start,
            end: start + chrono::Duration::minutes(minutes),
        },
        location: None,
        note: None,
        contact_name: None,
        contact_phone: None,
    }
}

#[test]
fn two_bookings_of_one_slot_at_the_same_moment_give_one_entry() {
    let app = TestApp::spawn();
    app.signed_in();
    let p = provider::find_by_email(&mut app.conn(), "dr.rivera@example.com")
        .unwrap()
        .unwrap();
    let scope = Scope::of(&p);
    for round in 0..5 {
        let start = format!("2026-12-{:02} 10:00", 7 + round);
        let barrier = Arc::new(Barrier::new(2));
        let outcomes: Vec<Result<usize, String>> = [0, 30]
            .into_iter()
            .map(|offset| {
                let (barrier, scope) = (barrier.clone(), scope.clone());
                let mut conn = app.conn();
                // The second overlaps the first by half an hour.
                let mut wanted = slot(&start, 60);
                wanted.span.start += chrono::Duration::minutes(offset);
                wanted.span.end += chrono::Duration::minutes(offset);
                std::thread::spawn(move || {
                    barrier.wait();
                    match appointment::book(&mut conn, &scope, &[wanted], app_now()) {
                        Ok(b) => Ok(b.len()),
                        Err(BookError::Conflicts(c)) => Err(format!("{} conflict", c.len())),
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
                .any(|o| o.as_ref().err().map(String::as_str) == Some("1 conflict")),
            "round {round}: the loser is told of the conflict, not a database error: {outcomes:?}"
        );
    }
}

fn app_now() -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str("2026-12-02 08:00", "%Y-%m-%d %H:%M").unwrap()
}

/// The service id the form offers for a CPT code.
pub(crate) fn service_id(s: &Session, cpt: &str) -> String {
    let (_, html) = s.get_text("/calendar/new");
    let ids = select_attr(&html, "#service option", "value");
    let labels = select_text(&html, "#service option");
    ids.into_iter()
        .zip(labels)
        .find(|(_, l)| l.starts_with(cpt))
        .map(|(id, _)| id)
        .expect("the service is offered")
}

#[test]
fn a_session_added_in_a_free_slot_shows_in_the_week_at_the_providers_time() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    // From her profile, the form comes with her chosen.
    let (_, profile) = s.get_text(&format!("/clients/{ada}"));
    let schedule = format!("/calendar/new?client={ada}");
    assert!(profile.contains(&schedule), "{profile}");
    let (_, form) = s.get_text(&schedule);
    assert_eq!(
        select_attr(&form, "#client", "value"),
        ["Ada Lovelace <ada@example.com>"]
    );
    // The week shows free half hours that add a session there.
    let (code, week) = s.get_text("/calendar?date=2026-12-08");
    assert_eq!(code, 200);
    let adds = select_attr(&week, "td.free a", "href");
    assert!(
        adds.contains(&"/calendar/new?start=2026-12-08T10:00".to_string()),
        "{adds:?}"
    );
    let (_, form) = s.get_text("/calendar/new?start=2026-12-08T10:00");
    assert_eq!(select_attr(&form, "#date", "value"), ["2026-12-08"]);
    assert_eq!(select_attr(&form, "#time", "value"), ["10:00"]);
    let service = service_id(&s, "90834");
    let fields = [
        ("client", "Ada Lovelace <ada@example.com>"),
        ("service", service.as_str()),
        ("date", "2026-12-08"),
        ("time", "10:00"),
        ("minutes", ""),
        ("location", "Telehealth"),
        ("note", ""),
    ];
    let r = s.submit("/calendar/new", "/calendar/sessions", &fields);
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/calendar?date=2026-12-07");
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    assert!(
        week.contains("Scheduled: Ada Lovelace Dec 8, 2026 10:00 AM EST."),
        "{week}"
    );
    // 10:00–10:45 New York time (the service's 45 minutes), in Tuesday's column.
    let entries = select_text(&week, "td.busy .entry");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0].contains("10:00–10:45 AM")
            && entries[0].contains("Ada Lovelace")
            && entries[0].contains("90834"),
        "{entries:?}"
    );
    assert!(!select_attr(&week, "td.free a", "href")
        .contains(&"/calendar/new?start=2026-12-08T10:00".to_string()));
    assert!(week.contains("1 entry this week"), "{week}");
    // Ada has not finished setting up: the week says the session cannot be confirmed yet.
    assert!(entries[0].contains("Not ready to confirm"), "{entries:?}");

    // An overlapping one is refused, saying with what; nothing is written.
    let mut overlapping = fields;
    overlapping[3] = ("time", "10:30");
    let r = s.submit("/calendar/new", "/calendar/sessions", &overlapping);
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(
        html.contains("Nothing was scheduled: that time is taken."),
        "{html}"
    );
    assert!(
        html.contains("It overlaps another entry on Dec 8, 2026 10:00–10:45 AM EST."),
        "{html}"
    );
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    assert_eq!(select_text(&week, "td.busy .entry").len(), 1);
    // Back to back is fine.
    overlapping[3] = ("time", "10:45");
    assert_eq!(
        s.submit("/calendar/new", "/calendar/sessions", &overlapping)
            .status(),
        303
    );

    // Another provider sees none of it, and cannot book Ada.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    let (_, theirs) = other.get_text("/calendar?date=2026-12-08");
    assert!(select_text(&theirs, "td.busy .entry").is_empty());
    let mut as_other = fields;
    let their_service = service_id(&other, "90834");
    as_other[1] = ("service", their_service.as_str());
    let r = other.submit("/calendar/new", "/calendar/sessions", &as_other);
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("That client is not on your active list"));
    // Nor use the first provider's service.
    let mut wrong_service = fields;
    wrong_service[3] = ("time", "15:00");
    let r = other.submit("/calendar/new", "/calendar/sessions", &wrong_service);
    assert_eq!(r.status(), 422);
}

#[test]
fn a_session_at_a_time_the_clocks_skip_says_so() {
    let app = TestApp::spawn();
    app.set_time("2026-03-01 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90832");
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", service.as_str()),
            ("date", "2026-03-08"),
            ("time", "02:30"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    assert!(
        week.contains("Dec") || week.contains("Mar 8, 2026 3:30 AM EDT"),
        "{week}"
    );
    assert!(week.contains("does not exist that day"), "{week}");
    assert!(select_text(&week, "td.busy .entry")[0].contains("3:30–4:00 AM"));
}

#[test]
fn the_calendar_form_names_each_missing_field() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "nobody"),
            ("date", "tomorrow"),
            ("time", "25:00"),
            ("minutes", "3"),
        ],
    );
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    for message in [
        "Choose the client from the list",
        "Choose the service.",
        "Enter the date, for example",
        "Enter the start time, for example 10:00.",
        "Enter the length in minutes, from 5 to 480.",
    ] {
        assert!(html.contains(message), "{message}: {html}");
    }
    // Signed out, the calendar asks to sign in.
    let r = app.session().get("/calendar");
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login"));
}

#[test]
fn a_clients_sessions_tab_lists_upcoming_and_past_and_records_the_view() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90837");
    for date in ["2026-12-01", "2026-12-03", "2026-12-10"] {
        let r = s.submit(
            "/calendar/new",
            "/calendar/sessions",
            &[
                ("client", "Ada Lovelace <ada@example.com>"),
                ("service", service.as_str()),
                ("date", date),
                ("time", "09:00"),
                ("location", "Office, 12 Elm St"),
            ],
        );
        assert_eq!(r.status(), 303, "{date}");
    }
    let (code, tab) = s.get_text(&format!("/clients/{ada}/sessions"));
    assert_eq!(code, 200);
    let upcoming = select_text(&tab, "table.sessions-upcoming tbody tr");
    let past = select_text(&tab, "table.sessions-past tbody tr");
    assert_eq!(upcoming.len(), 2, "{upcoming:?}");
    assert!(
        upcoming[0].contains("Dec 3, 2026 9:00–10:00 AM EST")
            && upcoming[1].contains("Dec 10, 2026"),
        "{upcoming:?}"
    );
    assert!(
        upcoming[0].contains("90837")
            && upcoming[0].contains("Office, 12 Elm St")
            && upcoming[0].contains("Scheduled")
    );
    assert_eq!(past.len(), 1);
    assert!(past[0].contains("Dec 1, 2026"));
    let (_, activity) = s.get_text(&format!("/clients/{ada}/activity"));
    assert!(
        activity.contains("Viewed the record (sessions)"),
        "{activity}"
    );
    assert_eq!(
        activity.matches("Scheduled a session").count(),
        3,
        "{activity}"
    );
    // Another provider's client id is not found.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    assert_eq!(other.get(&format!("/clients/{ada}/sessions")).status(), 404);
}

#[test]
fn services_start_with_the_common_codes_and_the_provider_adds_their_own() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let (code, page) = s.get_text("/settings/services");
    assert_eq!(code, 200);
    let listed = select_text(&page, "table.services tbody tr");
    assert_eq!(listed.len(), 7, "{listed:?}");
    assert!(
        listed[2].contains("90834") && listed[2].contains("45 minutes"),
        "{listed:?}"
    );
    let r = s.submit(
        "/settings/services",
        "/settings/services",
        &[("name", ""), ("cpt_code", "9084"), ("minutes", "0")],
    );
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(html.contains("Give the service a name"), "{html}");
    assert!(html.contains("is not a CPT code"), "{html}");
    assert!(html.contains("from 5 to 480"), "{html}");
    let r = s.submit(
        "/settings/services",
        "/settings/services",
        &[
            ("name", "Couples session"),
            ("cpt_code", "90847"),
            ("minutes", "75"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = s.get_text("/settings/services");
    assert!(page.contains("“Couples session” was added to your services."));
    assert!(select_text(&page, "table.services tbody tr")
        .iter()
        .any(|r| r.contains("90847 · Couples session") && r.contains("75 minutes")));
    // It is offered when adding a session, and to no other provider.
    assert!(!service_id(&s, "90847").is_empty());
    let (_, form) = s.get_text("/calendar/new");
    assert!(form.contains("Couples session"));
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    let (_, theirs) = other.get_text("/settings/services");
    assert!(!theirs.contains("Couples session"));
}

pub(crate) fn schedule(s: &Session, service: &str, date: &str, time: &str) -> String {
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", service),
            ("date", date),
            ("time", time),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    // The newest entry's page (ids are time-ordered).
    select_attr(&week, "td.busy .entry a", "href")
        .into_iter()
        .filter(|h| h.starts_with("/calendar/sessions/"))
        .max()
        .expect("the session links to its page")
}

/// Posts a session page's form, with the version the page was made from.
pub(crate) fn post_form(
    s: &Session,
    session: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    let (_, page) = s.get_text(session);
    let version = select_attr(&page, "input[name=version]", "value")
        .pop()
        .unwrap_or_default();
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("version", version.as_str()));
    s.submit(session, &format!("{session}/{action}"), &all)
}

pub(crate) fn confirm(
    s: &Session,
    session: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    post_form(s, session, "confirm", fields)
}

#[test]
fn a_session_is_confirmed_after_it_took_place_only_when_the_client_is_ready() {
    use crate::onboarding::{complete_portal, outbox_links, path_of, verify};
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let service = service_id(&s, "90837");
    let session = schedule(&s, &service, "2026-12-08", "10:00");
    // Before it starts, there is nothing to confirm yet.
    let (_, page) = s.get_text(&session);
    assert!(page.contains("come back once it has started"), "{page}");
    let too_early = confirm(
        &s,
        &session,
        &[
            ("cpt_code", "90837"),
            ("diagnosis", "F41.1"),
            ("actual_start", "2026-12-08T10:00"),
            ("actual_end", "2026-12-08T11:00"),
        ],
    );
    assert_eq!(too_early.status(), 422);
    assert!(too_early
        .text()
        .unwrap()
        .contains("this one has not started yet"));
    // After it, the page lists what the client has still to do, and confirming is refused.
    app.set_time("2026-12-08 16:05");
    // Days later: the sign-in has long timed out.
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, page) = s.get_text(&session);
    for missing in [
        "has not verified their account",
        "insurance details are missing",
        "no form of billing",
        "has not acknowledged the billing policy",
    ] {
        assert!(page.contains(missing), "{missing}: {page}");
    }
    let fields = [
        ("cpt_code", "90837"),
        ("diagnosis", "F41.1"),
        ("actual_start", "2026-12-08T10:00"),
        ("actual_end", "2026-12-08T11:00"),
        ("note", ""),
    ];
    let refused = confirm(&s, &session, &fields);
    assert_eq!(refused.status(), 422);
    let html = refused.text().unwrap();
    assert!(
        html.contains(
            "This session cannot be confirmed yet. The client has not verified their account yet."
        ),
        "{html}"
    );
    assert!(select_text(&s.get_text(&session).1, ".session-status")[0].contains("Scheduled"));

    // The client gets ready; the provider verifies the insurance.
    let link = outbox_links(&s).remove(0);
    let client = verify(&app, &path_of(&link));
    complete_portal(&client);
    let r = s.submit(
        &format!("/clients/{ada}/billing"),
        &format!("/clients/{ada}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);

    // Ready now: the week no longer marks the session.
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    assert!(!week.contains("Not ready to confirm"), "{week}");
    // The codes are checked: 90837 needs 53 minutes; ICD-10 codes must be well formed.
    let mut short = fields;
    short[3] = ("actual_end", "2026-12-08T10:45");
    short[1] = ("diagnosis", "F41.1, banana");
    let r = confirm(&s, &session, &short);
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(
        html.contains(
            "90837 needs at least 53 minutes; this session ran 45 minutes. Bill it as 90834"
        ),
        "{html}"
    );
    assert!(html.contains("“banana” is not an ICD-10 code"), "{html}");
    let mut good = fields;
    good[1] = ("diagnosis", "f411 Z63.0");
    let (_, page) = s.get_text(&session);
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let mut with_version = good.to_vec();
    with_version.push(("version", version.as_str()));
    let r = s.submit(&session, &format!("{session}/confirm"), &with_version);
    assert_eq!(r.status(), 303);
    let (_, page) = s.get_text(&session);
    assert!(page.contains("The session is confirmed."));
    assert!(select_text(&page, ".session-status")[0].contains("Confirmed"));
    assert!(
        page.contains("90837 · F41.1, Z63.0 · Dec 8, 2026 10:00–11:00 AM EST"),
        "{page}"
    );
    // A second submit of the same form (made from the same version) changes nothing.
    let again = s.post_raw(
        &format!("{session}/confirm"),
        &s.csrf(&session),
        &with_version,
    );
    assert_eq!(again.status(), 422);
    assert!(again
        .text()
        .unwrap()
        .contains("This session was changed meanwhile"));
    let (_, activity) = s.get_text(&format!("/clients/{ada}/activity"));
    assert_eq!(
        activity.matches("Confirmed a session").count(),
        1,
        "{activity}"
    );
}

#[test]
fn a_session_can_be_cancelled_with_a_reason_or_marked_a_no_show() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    let first = schedule(&s, &service, "2026-12-08", "10:00");
    let r = post_form(
        &s,
        &first,
        "close",
        &[("how", "client"), ("reason", "Has the flu")],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = s.get_text(&first);
    assert!(page.contains("The session is marked: cancelled."), "{page}");
    assert!(
        page.contains("Cancelled (by the client): Has the flu"),
        "{page}"
    );
    // A cancelled session frees its time.
    let again = schedule(&s, &service, "2026-12-08", "10:00");
    assert_ne!(again, first);
    app.set_time("2026-12-08 16:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = post_form(&s, &again, "close", &[("how", "no_show"), ("reason", "")]);
    assert_eq!(r.status(), 303);
    assert!(s.get_text(&again).1.contains("No-show"));
    // Another provider cannot see or change it.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    assert_eq!(other.get(&again).status(), 404);
}

#[test]
fn working_hours_shade_the_week_and_the_policy_makes_a_late_cancellation() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    // A day that ends before it starts is refused, naming the day.
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("works_1", "on"),
            ("starts_1", "17:00"),
            ("ends_1", "09:00"),
            ("policy", "hours24"),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("Tuesday: the day must end after it starts."));
    // Tuesdays 09:00–17:00, and 24 hours' notice.
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("works_1", "on"),
            ("starts_1", "09:00"),
            ("ends_1", "17:00"),
            ("policy", "hours24"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, settings) = s.get_text("/settings/calendar");
    assert_eq!(
        select_attr(&settings, "input[name=works_1]", "checked").len(),
        1
    );
    assert!(select_attr(&settings, "input[name=works_2]", "checked").is_empty());
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    let working = select_attr(&week, "td.free:not(.off) a", "href");
    assert!(
        working.contains(&"/calendar/new?start=2026-12-08T09:00".to_string()),
        "{working:?}"
    );
    assert!(working.contains(&"/calendar/new?start=2026-12-08T16:30".to_string()));
    assert!(!working.contains(&"/calendar/new?start=2026-12-08T17:00".to_string()));
    assert!(
        !working.iter().any(|h| h.contains("2026-12-09")),
        "Wednesday is off"
    );
    assert!(select_attr(&week, "td.off a", "href")
        .contains(&"/calendar/new?start=2026-12-09T10:00".to_string()));

    // The client cancels a session 20 hours ahead: late, by the policy.
    let service = service_id(&s, "90834");
    let session = schedule(&s, &service, "2026-12-08", "10:00");
    app.set_time("2026-12-07 20:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = post_form(&s, &session, "close", &[("how", "client"), ("reason", "")]);
    assert_eq!(r.status(), 303);
    assert!(s
        .get_text(&session)
        .1
        .contains("Late cancellation (by the client)"));
}

#[test]
fn a_phone_consultation_and_blocked_time_hold_their_time_too() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = s.submit(
        "/calendar/other/new?kind=consultation",
        "/calendar/other",
        &[
            ("kind", "consultation"),
            ("contact_name", ""),
            ("contact_phone", "12"),
            ("date", "2026-12-08"),
            ("time", "09:00"),
            ("minutes", "15"),
        ],
    );
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(html.contains("Enter who is calling."), "{html}");
    let r = s.submit(
        "/calendar/other/new?kind=consultation",
        "/calendar/other",
        &[
            ("kind", "consultation"),
            ("contact_name", "Sam Prospect"),
            ("contact_phone", "(212) 555-0143"),
            ("date", "2026-12-08"),
            ("time", "09:00"),
            ("minutes", "15"),
        ],
    );
    assert_eq!(r.status(), 303);
    let r = s.submit(
        "/calendar/other/new?kind=unavailable",
        "/calendar/other",
        &[
            ("kind", "unavailable"),
            ("date", "2026-12-08"),
            ("time", "12:00"),
            ("minutes", "60"),
            ("note", "Lunch"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text("/calendar?date=2026-12-08");
    let entries = select_text(&week, "td.busy .entry");
    assert!(
        entries
            .iter()
            .any(|e| e.contains("9:00–9:15 AM") && e.contains("Sam Prospect (call (212) 555-0143)")),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e.contains("12:00–1:00 PM") && e.contains("Unavailable")),
        "{entries:?}"
    );
    // A session over the blocked hour is refused.
    let service = service_id(&s, "90834");
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", service.as_str()),
            ("date", "2026-12-08"),
            ("time", "12:30"),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("Nothing was scheduled: that time is taken."));
}

#[test]
fn the_day_and_month_views_show_the_same_sessions() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    for (date, time) in [
        ("2026-12-08", "10:00"),
        ("2026-12-08", "15:00"),
        ("2026-12-31", "09:00"),
        ("2027-01-04", "09:00"),
    ] {
        schedule(&s, &service, date, time);
    }
    let (code, day) = s.get_text("/calendar?view=day&date=2026-12-08");
    assert_eq!(code, 200);
    assert!(day.contains("Tuesday, December 8, 2026"), "{day}");
    assert_eq!(
        select_text(&day, "thead th").len(),
        2,
        "a time column and one day"
    );
    assert_eq!(select_text(&day, "td.busy .entry").len(), 2);
    assert!(
        select_attr(&day, "a", "href").contains(&"/calendar?view=day&date=2026-12-09".to_string())
    );
    let (code, month) = s.get_text("/calendar?view=month&date=2026-12-15");
    assert_eq!(code, 200);
    assert!(month.contains("3 sessions in December 2026"), "{month}");
    let counts: Vec<(String, String)> = select_attr(&month, "table.month td a", "href")
        .into_iter()
        .zip(select_text(&month, "table.month td a"))
        .filter(|(_, t)| t.contains("session"))
        .collect();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert_eq!(counts[0].0, "/calendar?view=day&date=2026-12-08");
    assert!(counts[0].1.contains("2 sessions"));
    assert!(counts[1].1.contains("1 session"));
    // January 4 lies in the grid's last week but belongs to the next month's count.
    assert!(select_attr(&month, "td.other-month a", "href")
        .contains(&"/calendar?view=day&date=2027-01-03".to_string()));
}

#[test]
fn a_weekly_series_keeps_its_time_across_dst_and_a_collision_on_its_40th_is_listed_first() {
    use caseload::db::schema::appointments;
    use diesel::prelude::*;
    let app = TestApp::spawn();
    app.set_time("2026-01-20 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    // The 40th Tuesday from Feb 3 is Nov 3 (after the clocks went back): block it.
    let r = s.submit(
        "/calendar/other/new?kind=unavailable",
        "/calendar/other",
        &[
            ("kind", "unavailable"),
            ("date", "2026-11-03"),
            ("time", "10:30"),
            ("minutes", "30"),
        ],
    );
    assert_eq!(r.status(), 303);
    let mut fields = vec![
        ("client", "Ada Lovelace <ada@example.com>"),
        ("service", service.as_str()),
        ("date", "2026-02-03"),
        ("time", "10:00"),
        ("repeat", "weekly"),
        ("ends", "after"),
        ("count", "45"),
    ];
    let r = s.submit("/calendar/new", "/calendar/sessions", &fields);
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(
        html.contains("Nothing was scheduled: 1 of the series"),
        "{html}"
    );
    assert_eq!(
        select_text(&html, ".collisions li"),
        ["Tue Nov 3, 2026 10:00 AM"]
    );
    let count = |app: &TestApp| -> i64 {
        appointments::table
            .filter(appointments::kind.eq("session"))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(
        count(&app),
        0,
        "nothing is written while any occurrence collides"
    );
    fields.push(("skip_conflicts", "yes"));
    let r = s.submit("/calendar/new", "/calendar/sessions", &fields);
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    assert!(week.contains("Scheduled 44 sessions: Ada Lovelace from Feb 3, 2026 10:00 AM EST. 1 date that collided was left out."), "{week}");
    assert_eq!(count(&app), 44);
    // Stored in UTC: 15:00 in winter, 14:00 in summer; the same 10:00 on the wall.
    let starts: Vec<chrono::NaiveDateTime> = appointments::table
        .filter(appointments::kind.eq("session"))
        .order(appointments::starts_at)
        .select(appointments::starts_at)
        .load(&mut app.conn())
        .unwrap();
    let hour = |t: &chrono::NaiveDateTime| t.format("%H:%M").to_string();
    assert_eq!(hour(&starts[0]), "15:00", "Feb 3 (EST)");
    assert_eq!(hour(&starts[5]), "14:00", "Mar 10 (EDT)");
    assert_eq!(hour(&starts[38]), "14:00", "Oct 27 (EDT)");
    assert_eq!(hour(&starts[39]), "15:00", "Nov 10 (EST; Nov 3 left out)");
    for (date, expect) in [
        ("2026-03-03", "10:00–10:45 AM"),
        ("2026-07-07", "10:00–10:45 AM"),
        ("2026-11-10", "10:00–10:45 AM"),
    ] {
        let (_, week) = s.get_text(&format!("/calendar?date={date}"));
        let entries = select_text(&week, "td.busy .entry");
        assert!(
            entries
                .iter()
                .any(|e| e.contains(expect) && e.contains("Ada Lovelace")),
            "{date}: {entries:?}"
        );
    }
    // A series with too many sessions is refused, saying the limit.
    let mut too_many = fields.clone();
    too_many[6] = ("count", "301");
    let r = s.submit("/calendar/new", "/calendar/sessions", &too_many);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("at most 300 sessions"));
}

#[test]
fn cancelling_this_and_following_or_the_whole_series_does_exactly_that() {
    use caseload::db::schema::appointments;
    use diesel::prelude::*;
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    let weekly = |start: &str| {
        let r = s.submit(
            "/calendar/new",
            "/calendar/sessions",
            &[
                ("client", "Ada Lovelace <ada@example.com>"),
                ("service", service.as_str()),
                ("date", start),
                ("time", "10:00"),
                ("repeat", "weekly"),
                ("ends", "after"),
                ("count", "5"),
            ],
        );
        assert_eq!(r.status(), 303);
    };
    weekly("2027-01-05");
    let statuses = |app: &TestApp| -> Vec<(i32, String)> {
        appointments::table
            .filter(appointments::series_index.is_not_null())
            .order((appointments::starts_at, appointments::series_index))
            .select((
                appointments::series_index.assume_not_null(),
                appointments::status,
            ))
            .load(&mut app.conn())
            .unwrap()
    };
    // The third occurrence's page, and cancelling it and the following.
    let (_, week) = s.get_text("/calendar?date=2027-01-19");
    let third = select_attr(&week, "td.busy .entry a", "href").remove(0);
    let (_, page) = s.get_text(&third);
    assert!(page.contains("This is session 3 of a series."), "{page}");
    let r = post_form(
        &s,
        &third,
        "close",
        &[
            ("how", "provider"),
            ("reason", "Moving away"),
            ("which", "following"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert!(s
        .get_text(&third)
        .1
        .contains("3 sessions of the series were cancelled."));
    let after: Vec<String> = statuses(&app).into_iter().map(|(_, st)| st).collect();
    assert_eq!(
        after,
        [
            "scheduled",
            "scheduled",
            "cancelled",
            "cancelled",
            "cancelled"
        ]
    );
    // The whole series: the two still scheduled.
    let (_, week) = s.get_text("/calendar?date=2027-01-05");
    let first = select_attr(&week, "td.busy .entry a", "href").remove(0);
    let r = post_form(
        &s,
        &first,
        "close",
        &[("how", "client"), ("reason", ""), ("which", "all")],
    );
    assert_eq!(r.status(), 303);
    assert!(s
        .get_text(&first)
        .1
        .contains("2 sessions of the series were cancelled."));
    assert!(statuses(&app).iter().all(|(_, st)| st == "cancelled"));
    // Only this one, in a new series, leaves the others alone.
    weekly("2027-03-02");
    let (_, week) = s.get_text("/calendar?date=2027-03-09");
    let second = select_attr(&week, "td.busy .entry a", "href")
        .into_iter()
        .max()
        .unwrap();
    let r = post_form(
        &s,
        &second,
        "close",
        &[("how", "provider"), ("reason", ""), ("which", "this")],
    );
    assert_eq!(r.status(), 303);
    let scheduled = statuses(&app)
        .iter()
        .filter(|(_, st)| st == "scheduled")
        .count();
    assert_eq!(scheduled, 4);
}

#[test]
fn the_client_sees_their_upcoming_sessions_in_their_portal() {
    use crate::onboarding::{outbox_links, path_of, verify};
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let client = verify(&app, &path_of(&outbox_links(&s).remove(0)));
    let (_, portal) = client.get_text("/portal");
    assert!(portal.contains("None scheduled."), "{portal}");
    let service = service_id(&s, "90834");
    let past = schedule(&s, &service, "2026-12-01", "10:00");
    let kept = schedule(&s, &service, "2026-12-09", "10:00");
    let cancelled = schedule(&s, &service, "2026-12-10", "10:00");
    let r = post_form(
        &s,
        &cancelled,
        "close",
        &[("how", "provider"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);
    assert_ne!(past, kept);
    let (_, portal) = client.get_text("/portal");
    let listed = select_text(&portal, "ul.upcoming-sessions li .when");
    assert_eq!(listed, ["Dec 9, 2026 10:00–10:45 AM EST"], "{portal}");
}

#[test]
fn monthly_from_a_fifth_weekday_says_what_it_means_and_lists_the_dates() {
    use caseload::db::schema::appointments;
    use diesel::prelude::*;
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    // Tuesday, December 29 is the month's fifth (and last) Tuesday: the form names both
    // readings.
    let (_, form) = s.get_text("/calendar/new?start=2026-12-29T10:00");
    let choices = select_text(&form, "#repeat option");
    assert!(
        choices
            .contains(&"Monthly on the fifth Tuesday (months without one are skipped)".to_string()),
        "{choices:?}"
    );
    assert!(
        choices.contains(&"Monthly on the last Tuesday".to_string()),
        "{choices:?}"
    );
    // A second Tuesday has no "last" reading.
    let (_, form) = s.get_text("/calendar/new?start=2026-12-08T10:00");
    let choices = select_text(&form, "#repeat option");
    assert!(
        choices.contains(&"Monthly on the second Tuesday".to_string()),
        "{choices:?}"
    );
    assert!(!choices.iter().any(|c| c.contains("last")), "{choices:?}");

    let monthly = |frequency: &str, date: &str| {
        s.fill(
            &format!("/calendar/new?start={date}T10:00"),
            "/calendar/sessions",
            &[
                ("client", "Ada Lovelace <ada@example.com>"),
                ("service", &service),
                ("repeat", frequency),
                ("ends", "after"),
                ("count", "3"),
            ],
        )
    };
    // The fifth Tuesday: months without one are skipped, never moved to the fourth.
    let r = monthly("monthly_by_weekday", "2026-12-29");
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    assert!(
        week.contains("Scheduled 3 sessions: Ada Lovelace from Dec 29, 2026 10:00 AM EST. The dates: Dec 29, 2026; Mar 30, 2027; Jun 29, 2027."),
        "{week}"
    );
    let starts: Vec<chrono::NaiveDateTime> = appointments::table
        .filter(appointments::kind.eq("session"))
        .order(appointments::starts_at)
        .select(appointments::starts_at)
        .load(&mut app.conn())
        .unwrap();
    let dates: Vec<String> = starts
        .iter()
        .map(|t| t.format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(dates, ["2026-12-29", "2027-03-30", "2027-06-29"]);
    // The last Tuesday of each month, chosen, at 11:00 beside them.
    let r = s.fill(
        "/calendar/new?start=2026-12-29T11:00",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", &service),
            ("repeat", "monthly_last_weekday"),
            ("ends", "after"),
            ("count", "3"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    assert!(
        week.contains("The dates: Dec 29, 2026; Jan 26, 2027; Feb 23, 2027."),
        "{week}"
    );
    // "The last" from a date that is not its month's last is refused, saying why.
    let r = monthly("monthly_last_weekday", "2026-12-08");
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("Dec 8, 2026 is not the last Tuesday of its month"));
}
