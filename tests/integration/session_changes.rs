//! After a session is on the calendar: moving it (alone, with the following ones of its
//! series, or the whole series), the emails that tell the client, the fee a late
//! cancellation carries, the 48 hours a confirmation may be corrected, reminders that
//! never reach a client at night, and cancelling from the client's portal.

use caseload::db::schema::appointments;
use diesel::prelude::*;

use crate::calendar::{confirm, post_form, schedule, service_id};
use crate::onboarding::{complete_portal, outbox_links, path_of, verify};
use crate::support::*;

const ADA: &str = "Ada Lovelace <ada@example.com>";

fn weekly(s: &Session, service: &str, start: &str, time: &str, count: &str) {
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", ADA),
            ("service", service),
            ("date", start),
            ("time", time),
            ("repeat", "weekly"),
            ("ends", "after"),
            ("count", count),
            ("location", "Telehealth"),
        ],
    );
    assert_eq!(r.status(), 303);
}

/// Every session's (series index, wall-clock start in New York, status), in order.
fn occurrences(app: &TestApp) -> Vec<(Option<i32>, String, String)> {
    let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
    appointments::table
        .filter(appointments::kind.eq("session"))
        .order(appointments::starts_at)
        .select((
            appointments::series_index,
            appointments::starts_at,
            appointments::status,
        ))
        .load::<(Option<i32>, chrono::NaiveDateTime, String)>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|(i, t, st)| {
            (
                i,
                t.and_utc()
                    .with_timezone(&ny)
                    .format("%a %Y-%m-%d %H:%M")
                    .to_string(),
                st,
            )
        })
        .collect()
}

fn session_on(s: &Session, date: &str) -> String {
    let (_, week) = s.get_text(&format!("/calendar?view=day&date={date}"));
    select_attr(&week, "td.busy .entry a", "href")
        .into_iter()
        .find(|h| h.starts_with("/calendar/sessions/"))
        .unwrap_or_else(|| panic!("a session on {date}: {week}"))
}

fn edit(s: &Session, session: &str, changes: &[(&str, &str)]) -> reqwest::blocking::Response {
    s.fill(
        &format!("{session}/edit"),
        &format!("{session}/edit"),
        changes,
    )
}

#[test]
fn moving_this_the_following_or_the_whole_series_moves_exactly_those_at_their_wall_clock_time() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2027-02-20 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    // Six Tuesdays at 10:00 from March 2, across the change to summer time on March 14.
    weekly(&s, &service, "2027-03-02", "10:00", "6");
    let before = occurrences(&app);
    assert_eq!(before.len(), 6);
    assert!(
        before.iter().all(|(_, t, _)| t.ends_with("10:00")),
        "{before:?}"
    );

    // Only the second: to Wednesday 14:00. The others stay.
    let second = session_on(&s, "2027-03-09");
    let r = edit(
        &s,
        &second,
        &[("which", "this"), ("date", "2027-03-10"), ("time", "14:00")],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let now = occurrences(&app);
    assert_eq!(now.len(), 6, "nothing duplicated");
    assert_eq!(now[1].1, "Wed 2027-03-10 14:00");
    assert_eq!(now[0].1, "Tue 2027-03-02 10:00");
    assert_eq!(now[2].1, "Tue 2027-03-16 10:00");

    // The fourth and the following: to 11:00, the same Tuesdays, after the DST change.
    let fourth = session_on(&s, "2027-03-23");
    let r = edit(&s, &fourth, &[("which", "following"), ("time", "11:00")]);
    assert_eq!(r.status(), 303);
    let now = occurrences(&app);
    let times: Vec<&str> = now.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(
        times,
        [
            "Tue 2027-03-02 10:00",
            "Wed 2027-03-10 14:00",
            "Tue 2027-03-16 10:00",
            "Tue 2027-03-23 11:00",
            "Tue 2027-03-30 11:00",
            "Tue 2027-04-06 11:00"
        ]
    );
    // They became a series of their own: the earlier part's "whole series" leaves them be.
    let indexes: Vec<Option<i32>> = now.iter().map(|(i, _, _)| *i).collect();
    assert_eq!(
        indexes,
        [Some(0), Some(1), Some(2), Some(0), Some(1), Some(2)]
    );
    let first = session_on(&s, "2027-03-02");
    let r = edit(&s, &first, &[("which", "all"), ("time", "09:00")]);
    assert_eq!(r.status(), 303);
    let times: Vec<String> = occurrences(&app).into_iter().map(|(_, t, _)| t).collect();
    assert_eq!(
        times,
        [
            "Tue 2027-03-02 09:00",
            "Wed 2027-03-10 09:00",
            "Tue 2027-03-16 09:00",
            "Tue 2027-03-23 11:00",
            "Tue 2027-03-30 11:00",
            "Tue 2027-04-06 11:00"
        ]
    );
    // Once one has taken place, "the whole series" means the sessions still ahead.
    app.set_time("2027-03-24 12:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let fifth = session_on(&s, "2027-03-30");
    let r = edit(&s, &fifth, &[("which", "all"), ("time", "12:00")]);
    assert_eq!(r.status(), 303);
    let times: Vec<String> = occurrences(&app).into_iter().map(|(_, t, _)| t).collect();
    assert_eq!(
        &times[3..],
        [
            "Tue 2027-03-23 11:00",
            "Tue 2027-03-30 12:00",
            "Tue 2027-04-06 12:00"
        ]
    );
    // The week shows the new times, in the provider's zone.
    let (_, week) = s.get_text("/calendar?date=2027-03-16");
    assert!(
        select_text(&week, "td.busy .entry")
            .iter()
            .any(|e| e.contains("9:00–9:45 AM")),
        "{week}"
    );

    // Ada was emailed each time, in her zone, with the old and new times.
    app.run_jobs();
    let moved: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|e| e.subject.contains("has changed"))
        .collect();
    assert_eq!(
        moved.len(),
        4,
        "{:?}",
        moved.iter().map(|e| &e.subject).collect::<Vec<_>>()
    );
    assert!(
        moved[0].text.contains(
            "on Tuesday, March 9, 2027 at 10:00 AM Eastern Time has moved to Wednesday, March 10, 2027 at 2:00 PM Eastern Time"
        ),
        "{}",
        moved[0].text
    );
    assert!(
        moved[1].text.contains("3 of your sessions"),
        "{}",
        moved[1].text
    );
    assert!(
        moved[1].text.contains(
            "Tuesday, March 23, 2027 at 10:00 AM Eastern Time → Tuesday, March 23, 2027 at 11:00 AM Eastern Time"
        ),
        "{}",
        moved[1].text
    );
    let (_, activity) = s.get_text(&format!("/clients/{}/activity", client_id(&app)));
    assert_eq!(
        activity.matches("Changed a session").count(),
        1 + 3 + 3 + 2,
        "{activity}"
    );
}

fn client_id(app: &TestApp) -> String {
    use caseload::db::schema::clients;
    clients::table
        .select(clients::id)
        .first(&mut app.conn())
        .unwrap()
}

#[test]
fn a_move_onto_a_taken_time_changes_nothing_and_lists_the_dates() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2027-02-20 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    weekly(&s, &service, "2027-03-02", "10:00", "4");
    // Block Tuesday March 23 at 11:00; moving the whole series to 11:00 collides there.
    let r = s.submit(
        "/calendar/other/new?kind=unavailable",
        "/calendar/other",
        &[
            ("kind", "unavailable"),
            ("date", "2027-03-23"),
            ("time", "11:15"),
            ("minutes", "30"),
        ],
    );
    assert_eq!(r.status(), 303);
    let first = session_on(&s, "2027-03-02");
    let before = occurrences(&app);
    let r = edit(&s, &first, &[("which", "all"), ("time", "11:00")]);
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    assert!(html.contains("Nothing was changed"), "{html}");
    assert_eq!(
        select_text(&html, ".collisions li"),
        ["Tue Mar 23, 2027 11:00 AM"]
    );
    assert_eq!(occurrences(&app), before);
    // A session moved within its own old time (a longer one) does not collide with itself.
    let r = edit(&s, &first, &[("which", "this"), ("minutes", "60")]);
    assert_eq!(r.status(), 303);
    // A form made from an older version changes nothing.
    let (_, form) = s.get_text(&format!("{first}/edit"));
    let r = s.fill_from(&form, &format!("{first}/edit"), &[("time", "08:00")]);
    assert_eq!(r.status(), 303);
    let r = s.fill_from(&form, &format!("{first}/edit"), &[("time", "07:00")]);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("changed meanwhile"));
    assert_eq!(occurrences(&app)[0].1, "Tue 2027-03-02 08:00");
    // Another provider's session: not found.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    assert_eq!(other.get(&format!("{first}/edit")).status(), 404);
}

#[test]
fn a_late_cancellation_carries_the_fee_and_the_client_is_told() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[("policy", "none"), ("fee", "75"), ("reminder_hours", "24")],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("a fee needs a policy"));
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("policy", "hours24"),
            ("fee", "seventy"),
            ("reminder_hours", "24"),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("Enter an amount in dollars"));
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("policy", "hours24"),
            ("fee", "$75"),
            ("reminder_hours", "24"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, settings) = s.get_text("/settings/calendar");
    assert_eq!(select_attr(&settings, "#fee", "value"), ["75.00"]);
    let service = service_id(&s, "90834");
    let early = schedule(&s, &service, "2026-12-08", "10:00");
    let late = schedule(&s, &service, "2026-12-08", "14:00");
    // Two days ahead: a plain cancellation, no fee.
    app.set_time("2026-12-06 14:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = post_form(&s, &early, "close", &[("how", "client"), ("reason", "")]);
    assert_eq!(r.status(), 303);
    let page = s.get_text(&early).1;
    assert!(
        page.contains("Cancelled (by the client)") && !page.contains("fee"),
        "{page}"
    );
    // Twenty hours ahead: late, with the fee.
    app.set_time("2026-12-07 23:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = post_form(&s, &late, "close", &[("how", "client"), ("reason", "")]);
    assert_eq!(r.status(), 303);
    let page = s.get_text(&late).1;
    assert!(
        page.contains("The fee under your policy: $75.00."),
        "{page}"
    );
    assert!(
        page.contains("Late cancellation (by the client) — fee $75.00"),
        "{page}"
    );
    app.run_jobs();
    let cancelled: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|e| e.subject.contains("is cancelled"))
        .collect();
    assert_eq!(cancelled.len(), 2);
    assert!(!cancelled[0].text.contains("fee"));
    assert!(
        cancelled[1]
            .text
            .contains("on Tuesday, December 8, 2026 at 2:00 PM Eastern Time is cancelled")
            && cancelled[1]
                .text
                .contains("late-cancellation fee of $75.00"),
        "{}",
        cancelled[1].text
    );
}

/// Ada, fully set up and her insurance verified: her sessions can be confirmed.
fn ready_client(app: &TestApp, s: &Session) -> String {
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(s).remove(0);
    let client = verify(app, &path_of(&link));
    complete_portal(&client);
    let r = s.submit(
        &format!("/clients/{ada}/billing"),
        &format!("/clients/{ada}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);
    ada
}

#[test]
fn a_confirmation_may_be_corrected_for_48_hours_then_it_is_locked() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = ready_client(&app, &s);
    let service = service_id(&s, "90837");
    let session = schedule(&s, &service, "2026-12-08", "10:00");
    app.set_time("2026-12-08 16:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = confirm(
        &s,
        &session,
        &[
            ("cpt_code", "90837"),
            ("diagnosis", "F41.1"),
            ("actual_start", "2026-12-08T10:00"),
            ("actual_end", "2026-12-08T11:00"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = s.get_text(&session);
    assert!(page.contains("You can correct it for 48 hours"), "{page}");
    assert!(page.contains("until Dec 10, 2026 11:00 AM EST"), "{page}");
    // The next session of hers offers the code she was given, and the provider's recent codes.
    let next = schedule(&s, &service, "2026-12-08", "08:00");
    let (_, next_page) = s.get_text(&next);
    assert_eq!(select_attr(&next_page, "#diagnosis", "value"), ["F41.1"]);
    assert_eq!(
        select_attr(&next_page, "button[data-code]", "data-code"),
        ["F41.1"]
    );
    // Within the 48 hours: corrected, checked like a confirmation.
    app.set_time("2026-12-10 15:59");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let bad = post_form(
        &s,
        &session,
        "amend",
        &[
            ("cpt_code", "90837"),
            ("diagnosis", "F41.1"),
            ("actual_start", "2026-12-08T10:00"),
            ("actual_end", "2026-12-08T10:40"),
        ],
    );
    assert_eq!(bad.status(), 422);
    assert!(bad
        .text()
        .unwrap()
        .contains("90837 needs at least 53 minutes"));
    let r = post_form(
        &s,
        &session,
        "amend",
        &[
            ("cpt_code", "90834"),
            ("diagnosis", "F41.1, F32.A"),
            ("actual_start", "2026-12-08T10:00"),
            ("actual_end", "2026-12-08T10:45"),
            ("note", "Corrected the length"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = s.get_text(&session);
    assert!(page.contains("The confirmation was corrected."));
    assert!(
        page.contains("90834 · F41.1, F32.A · Dec 8, 2026 10:00–10:45 AM EST"),
        "{page}"
    );
    // From 48 hours after confirming: locked, and refused.
    app.set_time("2026-12-10 16:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, page) = s.get_text(&session);
    assert!(
        page.contains("Locked since Dec 10, 2026 11:00 AM EST"),
        "{page}"
    );
    assert!(select_attr(&page, "form", "action")
        .iter()
        .all(|a| !a.ends_with("/amend")));
    let token = s.csrf(&session);
    let r = s.post_raw(
        &format!("{session}/amend"),
        &token,
        &[
            ("cpt_code", "90832"),
            ("diagnosis", "F41.1"),
            ("actual_start", "2026-12-08T10:00"),
            ("actual_end", "2026-12-08T10:30"),
            ("version", "3"),
        ],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("confirmation is locked"));
    assert!(s.get_text(&session).1.contains("90834 · F41.1, F32.A"));
    let (_, activity) = s.get_text(&format!("/clients/{ada}/activity"));
    assert_eq!(activity.matches("Corrected a confirmed session").count(), 1);
}

#[test]
fn each_missing_step_of_onboarding_is_named_until_none_is_left() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let service = service_id(&s, "90834");
    let session = schedule(&s, &service, "2026-12-02", "08:00");
    let fields = [
        ("cpt_code", "90834"),
        ("diagnosis", "F41.1"),
        ("actual_start", "2026-12-02T08:00"),
        ("actual_end", "2026-12-02T08:45"),
    ];
    let refusal = |s: &Session| -> String {
        let r = confirm(s, &session, &fields);
        assert_eq!(r.status(), 422);
        select_text(&r.text().unwrap(), ".alert").join(" ")
    };
    let all = [
        "has not verified their account",
        "insurance details are missing",
        "no form of billing",
        "has not acknowledged the billing policy",
    ];
    let check = |s: &Session, left: &[&str]| {
        let why = refusal(s);
        for m in all {
            assert_eq!(why.contains(m), left.contains(&m), "{m}: {why}");
        }
    };
    check(&s, &all);
    let link = outbox_links(&s).remove(0);
    let client = verify(&app, &path_of(&link));
    check(&s, &all[1..]);
    let r = client.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[
            ("billing_type", "insurance"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W987654321"),
            ("holder_name", "Ada Lovelace"),
            ("date_of_birth", "1985-03-14"),
        ],
    );
    assert_eq!(location(&r), "/portal");
    // Added but not yet verified by the provider.
    let why = refusal(&s);
    assert!(why.contains("insurance has not been verified"), "{why}");
    complete_portal(&client);
    let why = refusal(&s);
    assert!(why.contains("insurance has not been verified"), "{why}");
    assert!(
        !why.contains("no form of billing") && !why.contains("acknowledged"),
        "{why}"
    );
    let r = s.submit(
        &format!("/clients/{ada}/billing"),
        &format!("/clients/{ada}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(confirm(&s, &session, &fields).status(), 303);
}

/// Schedules Ada from the form as it comes (telehealth, the first service), at a slot.
fn schedule_by_video(s: &Session, date: &str, time: &str) -> String {
    let form = format!("/calendar/new?start={date}T{time}");
    let (_, html) = s.get_text(&form);
    assert_eq!(select_attr(&html, "#location", "value"), ["Telehealth"]);
    let service = select_attr(&html, "#service option", "value").remove(1);
    let r = s.fill(
        &form,
        "/calendar/sessions",
        &[("client", ADA), ("service", service.as_str())],
    );
    assert_eq!(r.status(), 303);
    let (_, day) = s.get_text(&format!("/calendar?view=day&date={date}"));
    // The newest entry (ids are time-ordered).
    select_attr(&day, "td.busy .entry a", "href")
        .into_iter()
        .filter(|h| h.starts_with("/calendar/sessions/"))
        .max()
        .expect("the new session")
}

#[test]
fn a_reminder_goes_before_each_session_but_never_in_the_clients_night() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-01 14:00");
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("policy", "none"),
            ("reminder_hours", "24"),
            ("video_link", "https://meet.example.com/rivera"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, settings) = s.get_text("/settings/calendar");
    assert_eq!(
        select_attr(&settings, "#video_link", "value"),
        ["https://meet.example.com/rivera"]
    );
    // 07:30 on Thursday: 24 hours before is in the night; it goes at 20:00 on Tuesday.
    let early = schedule_by_video(&s, "2026-12-10", "07:30");
    // 15:00 on Thursday: at 15:00 on Wednesday.
    schedule_by_video(&s, "2026-12-10", "15:00");
    let reminders = |app: &TestApp| -> Vec<caseload::mail::smtp::OutgoingEmail> {
        app.run_jobs();
        app.mailbox()
            .delivered()
            .into_iter()
            .filter(|e| e.subject.starts_with("Reminder: your session"))
            .collect()
    };
    app.set_time("2026-12-09 00:59"); // 19:59 in New York on Tuesday
    assert!(reminders(&app).is_empty());
    app.set_time("2026-12-09 01:00");
    let sent = reminders(&app);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .subject
            .contains("Thursday, December 10, 2026 at 7:30 AM Eastern Time"),
        "{}",
        sent[0].subject
    );
    assert!(
        sent[0]
            .text
            .contains("By video: https://meet.example.com/rivera"),
        "{}",
        sent[0].text
    );
    assert_eq!(sent[0].to, "ada@example.com");
    // Sent once, however often the jobs run.
    assert_eq!(reminders(&app).len(), 1);
    app.set_time("2026-12-09 19:59");
    assert_eq!(reminders(&app).len(), 1);
    app.set_time("2026-12-09 20:00");
    assert_eq!(reminders(&app).len(), 2);
    // A session moved after its reminder gets one for its new time; a cancelled one none.
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = edit(
        &s,
        &early,
        &[("which", "this"), ("date", "2026-12-11"), ("time", "12:00")],
    );
    assert_eq!(r.status(), 303);
    let later = schedule_by_video(&s, "2026-12-11", "16:00");
    let r = post_form(&s, &later, "close", &[("how", "provider"), ("reason", "")]);
    assert_eq!(r.status(), 303);
    app.set_time("2026-12-10 17:00");
    let sent = reminders(&app);
    assert_eq!(
        sent.len(),
        3,
        "{:?}",
        sent.iter().map(|e| &e.subject).collect::<Vec<_>>()
    );
    assert!(sent[2]
        .subject
        .contains("Friday, December 11, 2026 at 12:00 PM Eastern Time"));
    app.set_time("2026-12-10 22:00");
    assert_eq!(reminders(&app).len(), 3);
    // Reminders off: none.
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[("policy", "none"), ("reminder_hours", "0")],
    );
    assert_eq!(r.status(), 303);
    schedule_by_video(&s, "2026-12-14", "10:00");
    app.set_time("2026-12-14 14:00");
    assert_eq!(reminders(&app).len(), 3);
}

#[test]
fn the_client_cancels_in_their_portal_only_while_the_policy_allows() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[
            ("policy", "hours24"),
            ("fee", "50"),
            ("reminder_hours", "24"),
        ],
    );
    assert_eq!(r.status(), 303);
    s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(&s).remove(0);
    let client = verify(&app, &path_of(&link));
    let service = service_id(&s, "90834");
    // 23 hours ahead (08:00 EST is 13:00 UTC), and a week ahead.
    let soon = schedule(&s, &service, "2026-12-03", "08:00");
    let later = schedule(&s, &service, "2026-12-09", "10:00");
    let (_, portal) = client.get_text("/portal");
    let items = select_text(&portal, ".upcoming-sessions li");
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        items[0].contains("less than 24 hours ahead: to cancel, contact"),
        "{items:?}"
    );
    assert!(items[0].contains("fee of $50.00"));
    let forms = select_attr(&portal, ".upcoming-sessions form", "action");
    let id = |href: &str| href.rsplit('/').next().unwrap().to_string();
    assert_eq!(forms, [format!("/portal/sessions/{}/cancel", id(&later))]);
    // Posting for the late one anyway is refused; for the other, done and emailed.
    let token = csrf_in(&portal);
    let r = client.post_raw(
        &format!("/portal/sessions/{}/cancel", id(&soon)),
        &token,
        &[("version", "1")],
    );
    assert_eq!(r.status(), 303);
    assert!(client
        .get_text("/portal")
        .1
        .contains("too late to cancel this session online"));
    let token = csrf_in(&client.get_text("/portal").1);
    let r = client.post_raw(&forms[0], &token, &[("version", "1")]);
    assert_eq!(r.status(), 303);
    let (_, portal) = client.get_text("/portal");
    assert!(portal.contains("Your session is cancelled."), "{portal}");
    assert_eq!(select_text(&portal, ".upcoming-sessions li").len(), 1);
    let page = s.get_text(&later).1;
    assert!(
        page.contains("Cancelled (by the client): Cancelled by the client in the portal"),
        "{page}"
    );
    assert!(s.get_text(&soon).1.contains("Scheduled"));
    app.run_jobs();
    assert!(app
        .emails()
        .iter()
        .any(|e| e.subject.contains("is cancelled")
            && e.text.contains("December 9, 2026 at 10:00 AM Eastern Time")));
    // Another client's session id is not theirs to cancel.
    let token = csrf_in(&client.get_text("/portal").1);
    let r = client.post_raw("/portal/sessions/nope/cancel", &token, &[("version", "1")]);
    assert_eq!(r.status(), 404);
    let (_, activity) = s.get_text(&format!("/clients/{}/activity", client_id(&app)));
    assert!(
        activity.contains("Cancelled a session from the portal"),
        "{activity}"
    );
}

#[test]
fn a_weekly_series_in_los_angeles_keeps_its_time_across_both_changes_in_the_views() {
    use caseload::db::schema::providers;
    let app = TestApp::spawn();
    app.set_time("2027-02-20 14:00");
    let s = app.signed_in();
    diesel::update(providers::table)
        .set(providers::time_zone.eq("America/Los_Angeles"))
        .execute(&mut app.conn())
        .unwrap();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    // Every 4 weeks from March 2, 2027 at 09:00: across March 14 and November 7.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", ADA),
            ("service", service.as_str()),
            ("date", "2027-03-02"),
            ("time", "09:00"),
            ("repeat", "every_four_weeks"),
            ("ends", "after"),
            ("count", "11"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let utc: Vec<String> = appointments::table
        .filter(appointments::kind.eq("session"))
        .order(appointments::starts_at)
        .select(appointments::starts_at)
        .load::<chrono::NaiveDateTime>(&mut app.conn())
        .unwrap()
        .iter()
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .collect();
    assert_eq!(utc.len(), 11);
    assert_eq!(utc[0], "03-02 17:00", "PST is UTC-8");
    assert_eq!(utc[1], "03-30 16:00", "PDT is UTC-7");
    assert_eq!(utc[8], "10-12 16:00", "still PDT");
    assert_eq!(utc[9], "11-09 17:00", "PST again after November 7");
    for (date, zone) in [
        ("2027-03-02", "PST"),
        ("2027-03-30", "PDT"),
        ("2027-10-12", "PDT"),
        ("2027-11-09", "PST"),
    ] {
        let (_, day) = s.get_text(&format!("/calendar?view=day&date={date}"));
        let entries = select_text(&day, "td.busy .entry");
        assert!(
            entries.iter().any(|e| e.contains("9:00–9:45 AM")),
            "{date}: {entries:?}"
        );
        let session = session_on(&s, date);
        let (_, page) = s.get_text(&session);
        assert!(
            page.contains(&format!("9:00–9:45 AM {zone}")),
            "{date}: {page}"
        );
    }
}

#[test]
fn booking_a_session_or_a_series_tells_the_client_or_a_minors_parents_in_their_zone() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in(); // America/New_York
    s.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[("telehealth_state", "CA")],
    );
    s.add_client(
        "Lily",
        "Okafor",
        "lily@example.com",
        &[
            ("date_of_birth", "2015-04-02"),
            ("guardian_name", "Maria Okafor"),
            ("guardian_relationship", "parent_guardian"),
            ("guardian_email", "maria@example.com"),
        ],
    );
    let service = service_id(&s, "90834");
    app.emails();
    let book = |client: &str, date: &str, extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("client", client),
            ("service", service.as_str()),
            ("date", date),
            ("time", "10:00"),
            ("location", "Telehealth"),
        ];
        fields.extend_from_slice(extra);
        let r = s.submit("/calendar/new", "/calendar/sessions", &fields);
        assert_eq!(r.status(), 303);
    };
    // One session: the client reads it in their zone (California), with its calendar file.
    book(ADA, "2026-12-08", &[]);
    let mail = app.emails();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].to, "ada@example.com");
    assert!(
        mail[0]
            .subject
            .contains("is booked for Tuesday, December 8, 2026 at 7:00 AM Pacific Time"),
        "{}",
        mail[0].subject
    );
    let ics = mail[0].calendar_ics.clone().expect("a calendar file");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    assert!(
        ics.contains("DTSTART;TZID=America/New_York:20261208T100000"),
        "{ics}"
    );

    // A series: one email listing every date, one file holding them all.
    book(
        ADA,
        "2026-12-15",
        &[("repeat", "weekly"), ("ends", "after"), ("count", "3")],
    );
    let mail = app.emails();
    assert_eq!(mail.len(), 1, "one email for the series: {mail:?}");
    for day in ["December 15", "December 22", "December 29"] {
        assert!(
            mail[0]
                .text
                .contains(&format!("Tuesday, {day}, 2026 at 7:00 AM Pacific Time")),
            "{}",
            mail[0].text
        );
    }
    assert!(mail[0].subject.contains("3 sessions"));
    let ics = mail[0].calendar_ics.clone().expect("a calendar file");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);

    // A minor's go to their parent, not to the child.
    book("Lily Okafor <lily@example.com>", "2026-12-09", &[]);
    let mail = app.emails();
    let to: Vec<&str> = mail.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["maria@example.com"]);
    assert!(mail[0].text.contains("Lily"), "{}", mail[0].text);
    // Each is in the client's audit trail.
    let queued: i64 = caseload::db::schema::audit_events::table
        .filter(caseload::db::schema::audit_events::subject.eq("session_scheduled"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(queued, 3);
}
