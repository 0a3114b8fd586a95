//! Server-side sessions: signing out, "sign out everywhere", a password change and the idle
//! timeout each end a session for real, so a copied cookie stops working too.

use caseload::db::schema::audit_events;
use chrono::Duration;
use diesel::prelude::*;

use crate::onboarding::{outbox_links, path_of, verify};
use crate::support::*;

fn new_client(app: &TestApp, provider: &Session) -> Session {
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let links = outbox_links(provider);
    verify(app, &path_of(links.last().expect("an invitation link")))
}

#[test]
fn a_copied_cookie_stops_working_when_the_provider_signs_out() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let thief = s.copy_cookies();
    assert_eq!(thief.get("/clients").status(), 200);
    let token = thief.csrf("/clients/new");
    let r = s.submit("/clients", "/logout", &[]);
    assert_eq!(location(&r), "/login");

    let r = thief.get("/clients");
    assert_eq!(r.status(), 303, "the copy no longer reads the client list");
    assert!(location(&r).starts_with("/login"));
    let r = thief.post_raw(
        "/clients/new",
        &token,
        &[
            ("first_name", "Eve"),
            ("last_name", "Mallory"),
            ("email", "eve@example.com"),
            ("billing_type", "insurance"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    let clients: i64 = caseload::db::schema::clients::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(clients, 0, "the copy changed nothing");
}

#[test]
fn a_copied_portal_cookie_stops_working_when_the_client_signs_out() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let client = new_client(&app, &provider);
    let thief = client.copy_cookies();
    assert_eq!(thief.get("/portal").status(), 200);
    let r = client.submit("/portal", "/portal/logout", &[]);
    assert_eq!(location(&r), "/portal/login");
    let r = thief.get("/portal");
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/portal/login");
    // The provider, signed in elsewhere, is not affected.
    assert_eq!(provider.get("/clients").status(), 200);
}

#[test]
fn an_idle_session_ends_after_thirty_minutes_and_activity_keeps_it_alive() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // Active every 20 minutes: still signed in after 40.
    app.advance(Duration::minutes(20));
    assert_eq!(s.get("/clients").status(), 200);
    app.advance(Duration::minutes(20));
    assert_eq!(s.get("/clients").status(), 200);
    // Then 31 minutes of nothing.
    app.advance(Duration::minutes(31));
    let r = s.get("/clients");
    assert_eq!(r.status(), 303, "an idle session ends");
    assert!(location(&r).starts_with("/login"));
    // Signing in again works.
    s.sign_in("dr.rivera@example.com", PASSWORD);
    assert_eq!(s.get("/clients").status(), 200);
}

#[test]
fn the_idle_timeout_is_a_setting_and_twelve_hours_stay_the_limit() {
    let app = TestApp::spawn_with(|c| c.session_idle_minutes = 5);
    let s = app.signed_in();
    app.advance(Duration::minutes(4));
    assert_eq!(s.get("/clients").status(), 200);
    app.advance(Duration::minutes(6));
    assert_eq!(s.get("/clients").status(), 303, "idle for 6 of 5 minutes");

    // However active, a sign-in lasts 12 hours.
    let s = app.session();
    s.sign_in("dr.rivera@example.com", PASSWORD);
    for _ in 0..(12 * 60 / 4 - 1) {
        app.advance(Duration::minutes(4));
        assert_eq!(s.get("/clients").status(), 200);
    }
    app.advance(Duration::minutes(4));
    assert_eq!(s.get("/clients").status(), 303, "12 hours after sign-in");
}

#[test]
fn the_portal_has_the_idle_timeout_too() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let client = new_client(&app, &provider);
    app.advance(Duration::minutes(29));
    assert_eq!(client.get("/portal").status(), 200);
    app.advance(Duration::minutes(31));
    let r = client.get("/portal");
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/portal/login");
}

#[test]
fn settings_lists_signed_in_browsers_and_ends_each() {
    let app = TestApp::spawn();
    let here = app.signed_in();
    let laptop = app.session_from("127.0.0.2");
    laptop.sign_in("dr.rivera@example.com", PASSWORD);
    let phone = app.session_from("127.0.0.3");
    phone.sign_in("dr.rivera@example.com", PASSWORD);

    let (_, html) = here.get_text("/settings");
    let rows = select_text(&html, "table.sessions tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().any(|r| r.contains("127.0.0.2")), "{rows:?}");
    assert!(rows.iter().any(|r| r.contains("127.0.0.3")), "{rows:?}");
    assert!(
        rows.iter().all(|r| r.contains("Firefox on Linux")),
        "{rows:?}"
    );
    assert_eq!(
        rows.iter().filter(|r| r.contains("This browser")).count(),
        1,
        "{rows:?}"
    );

    // End the laptop's session from here.
    let doc = scraper::Html::parse_document(&html);
    let row_sel = scraper::Selector::parse("table.sessions tbody tr").unwrap();
    let form_sel = scraper::Selector::parse("form").unwrap();
    let action = doc
        .select(&row_sel)
        .find(|r| r.text().collect::<String>().contains("127.0.0.2"))
        .and_then(|r| r.select(&form_sel).next())
        .and_then(|f| f.value().attr("action"))
        .expect("a sign-out button on the laptop's row")
        .to_string();
    let r = here.submit("/settings", &action, &[]);
    assert_eq!(r.status(), 303);
    assert_eq!(
        laptop.get("/clients").status(),
        303,
        "the laptop is signed out"
    );
    assert_eq!(phone.get("/clients").status(), 200);
    assert_eq!(here.get("/clients").status(), 200);
    let (_, html) = here.get_text("/settings");
    assert_eq!(select_text(&html, "table.sessions tbody tr").len(), 2);

    // Then everywhere else.
    let r = here.submit("/settings", "/settings/sessions/end-others", &[]);
    assert_eq!(r.status(), 303);
    assert_eq!(
        phone.get("/clients").status(),
        303,
        "the phone is signed out"
    );
    assert_eq!(here.get("/clients").status(), 200, "this browser stays");
    let (_, html) = here.get_text("/settings");
    assert_eq!(select_text(&html, "table.sessions tbody tr").len(), 1);

    let ended: i64 = audit_events::table
        .filter(audit_events::action.eq("session.ended"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(ended, 2, "each ended session is in the audit trail");

    // This browser's own row signs it out.
    let action = select_attr(&html, "table.sessions tbody form", "action");
    assert_eq!(action.len(), 1);
    let r = here.submit("/settings", &action[0], &[]);
    assert_eq!(location(&r), "/login");
    assert_eq!(here.get("/clients").status(), 303);
}

#[test]
fn signing_in_again_in_the_same_browser_replaces_its_session() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.sign_in("dr.rivera@example.com", PASSWORD);
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, html) = s.get_text("/settings");
    assert_eq!(select_text(&html, "table.sessions tbody tr").len(), 1);
}

#[test]
fn another_providers_session_cannot_be_ended() {
    let app = TestApp::spawn();
    let rivera = app.signed_in();
    let okafor = app.provider("sam.okafor@example.com", "Sam", "Okafor");
    let (_, html) = okafor.get_text("/settings");
    let action = select_attr(&html, "table.sessions tbody form", "action")
        .into_iter()
        .next()
        .expect("Okafor's own row");
    // Rivera posts Okafor's row: refused, nothing ended.
    let r = rivera.submit("/settings", &action, &[]);
    assert_eq!(r.status(), 404);
    assert_eq!(okafor.get("/clients").status(), 200);
}

#[test]
fn a_password_change_ends_a_copied_session_even_with_the_old_cookie() {
    let app = TestApp::spawn();
    let here = app.signed_in();
    let copy = here.copy_cookies();
    let elsewhere = app.session_from("127.0.0.2");
    elsewhere.sign_in("dr.rivera@example.com", PASSWORD);
    let r = here.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long password"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(here.get("/clients").status(), 200, "this browser stays");
    assert_eq!(
        copy.get("/clients").status(),
        303,
        "a copy of the old cookie is signed out"
    );
    assert_eq!(elsewhere.get("/clients").status(), 303);
    // The other browser's ending is in the audit trail; this browser's renewal is not.
    let ended: Vec<Option<String>> = audit_events::table
        .filter(audit_events::action.eq("session.ended"))
        .select(audit_events::subject)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(ended, [Some("password changed".to_string())]);
}
