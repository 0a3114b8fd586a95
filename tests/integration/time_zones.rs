//! Times are stored in UTC and shown in the reader's zone: the provider's (chosen at
//! sign-up, changed in Settings), and a client's from their telehealth location.

use crate::onboarding::{outbox_links, path_of, verify};
use crate::support::*;

#[test]
fn sign_up_asks_for_a_time_zone_and_refuses_a_made_up_one() {
    let app = TestApp::spawn();
    let s = app.session();
    let (_, form) = s.get_text("/signup");
    let offered = select_attr(&form, "#time_zone option", "value");
    assert_eq!(offered[0], "America/New_York");
    assert!(offered.iter().any(|z| z == "Europe/Berlin"));
    assert_eq!(
        select_attr(&form, "#time_zone", "data-browser-zone").len(),
        1,
        "the browser's zone is picked when scripts run"
    );
    let fields = [
        ("first_name", "Elena"),
        ("last_name", "Rivera"),
        ("email", "dr.rivera@example.com"),
        ("password", PASSWORD),
        ("time_zone", "Mars/Olympus_Mons"),
    ];
    let r = s.submit("/signup", "/signup", &fields);
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .unwrap()
        .contains("Choose your time zone from the list"));
    let mut fields = fields.to_vec();
    fields[4] = ("time_zone", "America/Los_Angeles");
    let r = s.submit("/signup", "/signup", &fields);
    assert_eq!(r.status(), 303);
    let (_, settings) = s.get_text("/settings");
    assert_eq!(
        select_attr(&settings, "#time_zone option[selected]", "value"),
        ["America/Los_Angeles"]
    );
}

/// Puts an instant (UTC, `YYYY-MM-DD HH:MM`) on the client's audit events, as if they had
/// happened then. Events are stamped by the real clock; what is tested is how they read.
fn stamp_audit(app: &TestApp, action: &str, utc: &str) {
    use caseload::db::schema::audit_events;
    use diesel::prelude::*;
    let t = chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M").unwrap();
    diesel::update(audit_events::table.filter(audit_events::action.eq(action)))
        .set(audit_events::created_at.eq(t))
        .execute(&mut app.conn())
        .unwrap();
}

#[test]
fn the_provider_reads_times_in_their_zone_across_daylight_saving() {
    let app = TestApp::spawn();
    let s = app.signed_in(); // America/New_York
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    s.fill(
        &format!("/clients/{id}/edit"),
        &format!("/clients/{id}/edit"),
        &[("last_name", "King")],
    );
    stamp_audit(&app, "client.created", "2026-07-01 14:30"); // summer: 10:30 EDT
    stamp_audit(&app, "client.updated", "2026-12-01 15:30"); // winter: 10:30 EST
    let (_, activity) = s.get_text(&format!("/clients/{id}/activity"));
    assert!(activity.contains("Jul 1, 2026 10:30 AM EDT"), "{activity}");
    assert!(activity.contains("Dec 1, 2026 10:30 AM EST"), "{activity}");
    assert!(activity.contains("Times are in your time zone, Eastern Time"));

    // Another zone, chosen in Settings, changes every time shown.
    let r = s.fill(
        "/settings",
        "/settings/profile",
        &[("time_zone", "Europe/Berlin")],
    );
    assert_eq!(location(&r), "/settings");
    let (_, activity) = s.get_text(&format!("/clients/{id}/activity"));
    assert!(activity.contains("Jul 1, 2026 4:30 PM CEST"), "{activity}");
    assert!(activity.contains("Dec 1, 2026 4:30 PM CET"), "{activity}");
}

#[test]
fn today_is_the_providers_date_not_utcs() {
    let app = TestApp::spawn();
    // 02:00 UTC on Dec 2 is still Dec 1, 21:00, in New York: Dec 2 is in the future there.
    app.set_time("2026-12-02 02:00");
    let s = app.signed_in(); // America/New_York
    let r = s.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Baby"),
            ("last_name", "Lee"),
            ("email", "baby@example.com"),
            ("billing_type", "insurance"),
            ("date_of_birth", "2026-12-02"),
        ],
    );
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .unwrap()
        .contains("The date of birth is in the future"));
}

#[test]
fn a_client_reads_times_in_their_telehealth_locations_zone() {
    let app = TestApp::spawn();
    let provider = app.signed_in(); // America/New_York
    provider.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[("notify", "on"), ("telehealth_state", "CA")],
    );
    let client = verify(&app, &path_of(&outbox_links(&provider)[0]));
    let r = client.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[("billing_type", "private_pay")],
    );
    assert_eq!(location(&r), "/portal");
    let (_, forms) = client.get_text("/portal/forms");
    let ids = select_attr(&forms, "input[name=form_ids]", "value");
    let mut fields = vec![("typed_name", "Ada Lovelace")];
    fields.extend(ids.iter().map(|id| ("form_ids", id.as_str())));
    client.submit("/portal/forms", "/portal/forms", &fields);
    {
        use caseload::db::schema::{clients, form_acknowledgments};
        use diesel::prelude::*;
        let t =
            chrono::NaiveDateTime::parse_from_str("2026-12-01 20:00", "%Y-%m-%d %H:%M").unwrap();
        diesel::update(clients::table)
            .set(clients::forms_acknowledged_at.eq(t))
            .execute(&mut app.conn())
            .unwrap();
        diesel::update(form_acknowledgments::table)
            .set(form_acknowledgments::acknowledged_at.eq(t))
            .execute(&mut app.conn())
            .unwrap();
    }
    let (_, forms) = client.get_text("/portal/forms");
    assert!(forms.contains("Dec 1, 2026 12:00 PM PST"), "{forms}");
    // The provider reads the same moment in their own zone.
    let id = select_attr(&provider.get_text("/clients").1, "table.clients a", "href")[0].clone();
    let (_, billing) = provider.get_text(&format!("{id}/billing"));
    assert!(billing.contains("Dec 1, 2026 3:00 PM EST"), "{billing}");
}

#[test]
fn a_time_the_clocks_skip_is_confirmed_as_the_time_stored_for_a_series_and_a_move() {
    use crate::calendar::service_id;
    let app = TestApp::spawn();
    app.set_time("2026-02-20 14:00");
    let s = app.signed_in(); // America/New_York: the clocks go forward on Sunday, March 8.
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let service = service_id(&s, "90834");
    // A weekly series whose first start, 02:30 on March 8, does not exist.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", &service),
            ("date", "2026-03-08"),
            ("time", "02:30"),
            ("repeat", "weekly"),
            ("ends", "after"),
            ("count", "3"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, week) = s.get_text(&location(&r));
    assert!(
        week.contains("Scheduled 3 sessions: Ada Lovelace from Mar 8, 2026 3:30 AM EDT. On Sun Mar 8, 2026 the clocks go forward, so 02:30 does not exist that day: that session starts at 03:30 EDT."),
        "{week}"
    );
    assert!(
        !week.contains("02:30 EDT"),
        "a time that does not exist is never named"
    );

    // A one-off session too names the time stored.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", &service),
            ("date", "2026-03-08"),
            ("time", "05:00"),
        ],
    );
    assert_eq!(r.status(), 303);

    // Moving a session into the gap says where it went, and why.
    let (_, day) = s.get_text("/calendar?view=day&date=2026-03-08");
    let one_off = select_attr(&day, "td.busy .entry a", "href")
        .into_iter()
        .filter(|h| h.starts_with("/calendar/sessions/"))
        .max()
        .unwrap();
    // 02:00 for half an hour: held at 03:00 EDT, it ends as the series' 03:30 starts.
    let r = s.fill(
        &format!("{one_off}/edit"),
        &format!("{one_off}/edit"),
        &[
            ("date", "2026-03-08"),
            ("time", "02:00"),
            ("minutes", "30"),
            ("which", "this"),
        ],
    );
    let status = r.status();
    let (_, page) = s.get_text(&location(&r));
    assert_eq!(status, 303, "{page}");
    assert!(
        page.contains("The session was changed: it starts Mar 8, 2026 3:00 AM EDT. On Sun Mar 8, 2026 the clocks go forward, so 02:00 does not exist that day: that session starts at 03:00 EDT."),
        "{page}"
    );
}
