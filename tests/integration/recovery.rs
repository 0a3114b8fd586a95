//! Getting back in: "Forgot your password?" for providers and for the portal (a single-use
//! link for an hour, the same answer for an unknown address, throttled, every session
//! ended), the page without an email server, `caseload reset-password`, and the provider's
//! "Send sign-in link" whatever a client's state.

use std::io::Write;
use std::process::Stdio;

use caseload::db::schema::outbox_emails;
use diesel::prelude::*;

use crate::onboarding::path_of;
use crate::support::*;

const NEW_PASSWORD: &str = "a brand new password 42";

/// The reset links queued to an address, oldest first (paths).
fn reset_links(app: &TestApp, to: &str) -> Vec<String> {
    let rows: Vec<Option<String>> = outbox_emails::table
        .filter(outbox_emails::kind.eq("password_reset"))
        .filter(outbox_emails::to_address.eq(to))
        .order(outbox_emails::created_at)
        .select(outbox_emails::action_url)
        .load(&mut app.conn())
        .unwrap();
    rows.into_iter()
        .map(|u| path_of(&u.unwrap_or_default()))
        .collect()
}

fn ask(s: &Session, page: &str, email: &str) -> (u16, String) {
    let r = s.submit(page, page, &[("email", email)]);
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    (status, select_text(&text, "main").join(" "))
}

fn choose(s: &Session, link: &str, password: &str) -> reqwest::blocking::Response {
    s.submit(
        link,
        link,
        &[("password", password), ("password_again", password)],
    )
}

#[test]
fn a_provider_who_forgot_gets_a_single_use_link_for_an_hour_and_is_signed_out_everywhere() {
    let app = TestApp::spawn_with_mailer();
    let signed_in = app.signed_in();
    let elsewhere = app.session();
    elsewhere.sign_in("dr.rivera@example.com", PASSWORD);
    let visitor = app.session();
    let login = visitor.get_text("/login").1;
    assert!(select_attr(&login, "a", "href").contains(&"/password/forgot".to_string()));

    // The same answer whether or not the address is a provider's.
    let (status, known) = ask(&visitor, "/password/forgot", "Dr.Rivera@Example.com");
    let (_, unknown) = ask(&visitor, "/password/forgot", "nobody@example.com");
    assert_eq!(status, 200);
    assert_eq!(
        known.replace("Dr.Rivera@Example.com", "X"),
        unknown.replace("nobody@example.com", "X")
    );
    assert!(known.contains("a link to choose a new password is on its way"));
    let links = reset_links(&app, "dr.rivera@example.com");
    assert_eq!(links.len(), 1);
    assert_eq!(
        outbox_emails::table
            .filter(outbox_emails::kind.eq("password_reset"))
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        1,
        "nothing for an unknown address"
    );
    // A second ask within minutes sends nothing more (and says the same).
    ask(&visitor, "/password/forgot", "dr.rivera@example.com");
    assert_eq!(reset_links(&app, "dr.rivera@example.com").len(), 1);

    // The link sets a new password once; everyone signed in is signed out.
    let r = choose(&visitor, &links[0], "short");
    assert_eq!(r.status(), 422);
    let r = choose(&visitor, &links[0], NEW_PASSWORD);
    assert_eq!(location(&r), "/login");
    assert_eq!(
        location(&signed_in.get("/clients")),
        "/login?next=%2Fclients"
    );
    assert_eq!(
        location(&elsewhere.get("/clients")),
        "/login?next=%2Fclients"
    );
    let (status, used) = visitor.get_text(&links[0]);
    assert_eq!(status, 200);
    assert!(used.contains("This link was already used"));
    // The page has no form any more; a post made anyway is refused the same way.
    let token = visitor.csrf("/login");
    let r = visitor.post_raw(
        &links[0],
        &token,
        &[
            ("password", "another new password 99"),
            ("password_again", "another new password 99"),
        ],
    );
    assert!(r.text().unwrap().contains("This link was already used"));
    app.session().sign_in("dr.rivera@example.com", NEW_PASSWORD);

    // An hour later a fresh link has expired; a portal page does not take a provider's.
    app.advance(chrono::Duration::minutes(10));
    ask(&visitor, "/password/forgot", "dr.rivera@example.com");
    let fresh = reset_links(&app, "dr.rivera@example.com").pop().unwrap();
    let portal_page = fresh.replace("/password/reset/", "/portal/password/reset/");
    assert_eq!(visitor.get_text(&portal_page).0, 404);
    app.advance(chrono::Duration::minutes(61));
    let (_, expired) = visitor.get_text(&fresh);
    assert!(expired.contains("This link has expired"));
    assert_eq!(visitor.get_text("/password/reset/not-a-token").0, 404);
    // The email itself went out through the mailer.
    assert!(app
        .emails()
        .iter()
        .any(|e| e.to == "dr.rivera@example.com" && e.subject == "Choose a new password"));
}

#[test]
fn asking_again_and_again_is_paused_whatever_the_address() {
    let app = TestApp::spawn_with_mailer();
    app.signed_in();
    let visitor = app.session();
    for _ in 0..10 {
        assert_eq!(
            ask(&visitor, "/password/forgot", "nobody@example.com").0,
            200
        );
    }
    let (status, text) = ask(&visitor, "/password/forgot", "nobody@example.com");
    assert_eq!(status, 422);
    assert!(text.contains("Too many requests"), "{text}");
    // Another address from the same browser is still answered (the limit per address is
    // wider), and the known one gets its link.
    let (status, _) = ask(&visitor, "/password/forgot", "dr.rivera@example.com");
    assert_eq!(status, 200);
    assert_eq!(reset_links(&app, "dr.rivera@example.com").len(), 1);
}

#[test]
fn without_an_email_server_the_page_says_so_and_the_command_line_resets_it() {
    let app = TestApp::spawn();
    let signed_in = app.signed_in();
    let visitor = app.session();
    let (_, page) = visitor.get_text("/password/forgot");
    assert!(page.contains("caseload reset-password --email"), "{page}");
    assert!(
        select_attr(&page, "input[name=email]", "name").is_empty(),
        "no form"
    );
    let token = visitor.csrf("/login");
    let r = visitor.post_raw(
        "/password/forgot",
        &token,
        &[("email", "dr.rivera@example.com")],
    );
    assert!(r.text().unwrap().contains("has no email server"));
    assert!(reset_links(&app, "dr.rivera@example.com").is_empty());

    let mut child = crate::cli::caseload(&app)
        .args(["reset-password", "--email", "DR.RIVERA@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{NEW_PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("every sign-in of theirs ended"));
    assert_eq!(
        location(&signed_in.get("/clients")),
        "/login?next=%2Fclients"
    );
    app.session().sign_in("dr.rivera@example.com", NEW_PASSWORD);
    // An unknown provider is named, before any password is asked for.
    let out = crate::cli::caseload(&app)
        .args(["reset-password", "--email", "nobody@example.com"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no provider has the email nobody@example.com"));
}

#[test]
fn a_client_who_forgot_gets_a_link_and_the_provider_can_send_one_whatever_the_state() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let id = p.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let invite = crate::onboarding::outbox_links(&p).pop().unwrap();
    let ada = crate::onboarding::verify(&app, &path_of(&invite));
    let phone = app.session();
    phone.sign_in_portal("ada@example.com", "client password 123");

    // "Send me a new link" on the used invitation sends one — and says so truthfully.
    let visitor = app.session();
    let r = visitor.submit(
        &path_of(&invite),
        &format!("{}/renew", path_of(&invite)),
        &[],
    );
    assert!(r
        .text()
        .unwrap()
        .contains("A link was sent a few minutes ago"));
    app.advance(chrono::Duration::minutes(11));
    let r = visitor.submit(
        &path_of(&invite),
        &format!("{}/renew", path_of(&invite)),
        &[],
    );
    assert!(r.text().unwrap().contains("Check your email"));

    // The portal's own "forgot": the same answer for any address, a link for hers.
    let (_, known) = ask(&visitor, "/portal/password/forgot", "ada@example.com");
    let (_, unknown) = ask(&visitor, "/portal/password/forgot", "eve@example.com");
    assert_eq!(
        known.replace("ada@example.com", "X"),
        unknown.replace("eve@example.com", "X")
    );
    let link = reset_links(&app, "ada@example.com").pop().unwrap();
    assert!(link.starts_with("/portal/password/reset/"));
    // A provider's page does not take it.
    assert_eq!(visitor.get_text(&link.replace("/portal", "")).0, 404);
    let r = choose(&visitor, &link, NEW_PASSWORD);
    assert_eq!(location(&r), "/portal/login");
    // Both of her portal sign-ins ended.
    assert_eq!(location(&ada.get("/portal")), "/portal/login");
    assert_eq!(location(&phone.get("/portal")), "/portal/login");
    app.session()
        .sign_in_portal("ada@example.com", NEW_PASSWORD);

    // The provider sends her a sign-in link although she is verified; it sets a password.
    let r = p.submit(
        &format!("/clients/{id}"),
        &format!("/clients/{id}/sign-in-link"),
        &[],
    );
    assert_eq!(r.status(), 303);
    let (_, overview) = p.get_text(&format!("/clients/{id}"));
    assert!(overview.contains("A sign-in link went to Ada Lovelace"));
    let sent: Vec<Option<String>> = outbox_emails::table
        .filter(outbox_emails::kind.eq("sign_in_link"))
        .select(outbox_emails::action_url)
        .load(&mut app.conn())
        .unwrap();
    let sign_in = path_of(sent[0].as_deref().unwrap());
    let r = choose(&app.session(), &sign_in, "third password for ada");
    assert_eq!(location(&r), "/portal");
    app.session()
        .sign_in_portal("ada@example.com", "third password for ada");
    let (_, activity) = p.get_text(&format!("/clients/{id}/activity"));
    assert!(select_text(&activity, "td").contains(&"Sent a sign-in link".to_string()));
}
