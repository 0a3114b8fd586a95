//! Issue "Trust": private files, plain email addresses everywhere they enter, every email
//! about a client in the audit trail, and truthful pages.

use caseload::db::schema::audit_events;
use diesel::prelude::*;

use crate::onboarding::{outbox_links, path_of};
use crate::support::*;

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_every_file_in_it_are_private_and_old_modes_are_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let dir = app.data_dir.path();
    let check = |why: &str| {
        assert_eq!(mode(dir), 0o700, "{why}: the data directory");
        for entry in walk(dir) {
            let expected = if entry.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode(&entry), expected, "{why}: {}", entry.display());
        }
    };
    check("a new install");
    if !app.config.database_url.is_postgres() {
        for f in ["caseload.db", "caseload.db-wal", "caseload.db-shm"] {
            assert!(dir.join(f).exists(), "{f} exists");
        }
    }
    // An install made before the rule: everything readable by all.
    for entry in walk(dir).into_iter().chain([dir.to_path_buf()]) {
        let m = if entry.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(m)).unwrap();
    }
    let base = app.restart();
    let again = Session::new(&base);
    again.sign_in("dr.rivera@example.com", PASSWORD);
    check("after a restart");
}

#[cfg(unix)]
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn only_plain_addresses_are_accepted_by_the_client_form() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ann", "Lee", "ann@example.org", &[]);
    for (typed, says) in [
        ("Ann Lee <ann@example.org>", "without a name"),
        ("\"ann\"@example.org", "doesn't look like an email"),
        ("ann@[192.168.0.1]", "doesn't look like an email"),
    ] {
        let r = s.submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("email", typed),
                ("billing_type", "insurance"),
            ],
        );
        assert_eq!(r.status(), 200, "{typed} is refused");
        let page = r.text().unwrap();
        assert!(
            select_text(&page, ".error")
                .iter()
                .any(|e| e.contains(says)),
            "{typed}: {page}"
        );
    }
}

#[test]
fn an_import_takes_the_address_out_of_a_name_and_address_cell() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ann", "Lee", "ann@example.org", &[]);
    let file = app.data_dir.path().join("clients.csv");
    std::fs::write(
        &file,
        "First Name,Last Name,Email\n\
         Nia,Okafor,Nia Okafor <nia@example.com>\n\
         Ann,Lee,\"Lee, Ann\" <ANN@example.org>\n\
         Sam,Kim,sam@[192.168.0.1]\n",
    )
    .unwrap();
    let out = crate::cli::caseload(&app)
        .arg("import")
        .arg(&file)
        .args(["--provider", "dr.rivera@example.com", "--dry-run", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["clients"].as_array().unwrap();
    assert_eq!(rows[0]["status"], "new");
    assert_eq!(rows[0]["email"], "nia@example.com");
    assert_eq!(
        rows[1]["status"], "existing",
        "the address behind the name is the client's: one address, one client"
    );
    assert_eq!(rows[2]["status"], "invalid", "an IP literal is refused");
}

fn queued_email_audits(app: &TestApp) -> Vec<String> {
    audit_events::table
        .filter(audit_events::action.eq("email.queued"))
        .order(audit_events::id)
        .select(audit_events::subject)
        .load::<Option<String>>(&mut app.conn())
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn every_email_queued_about_a_client_is_in_their_audit_trail() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // Added with "notify": the invitation and its two reminders.
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    assert_eq!(
        queued_email_audits(&app),
        ["invitation", "invitation_reminder", "invitation_reminder"]
    );
    let (_, activity) = s.get_text(&format!("/clients/{id}/activity"));
    assert!(activity.contains("Email queued: invitation"), "{activity}");

    // Signed up through the booking link.
    s.submit("/settings", "/settings/booking-link", &[]);
    let (_, settings) = s.get_text("/settings");
    let link = path_of(&select_attr(&settings, "#booking_link", "value")[0]);
    let visitor = app.session();
    visitor.submit(
        &link,
        &link,
        &[
            ("first_name", "Nia"),
            ("last_name", "Okafor"),
            ("email", "nia@example.com"),
            ("billing_type", "private_pay"),
            ("telehealth_state", "CA"),
            ("date_of_birth", "1990-01-02"),
            ("phone", "(415) 555-0100"),
        ],
    );
    let booked: i64 = audit_events::table
        .filter(audit_events::action.eq("email.queued"))
        .filter(audit_events::client_id.ne(id.as_str()))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(booked, 3, "the booking sign-up's invitation and reminders");
}

#[test]
fn asking_again_for_a_new_link_says_truthfully_that_one_was_just_sent() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let path = path_of(&outbox_links(&provider)[0]);
    // Expire the link, as after 7 days.
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
    use caseload::db::schema::client_invitations as inv;
    diesel::update(inv::table)
        .set((
            inv::created_at.eq(past - chrono::Duration::days(7)),
            inv::expires_at.eq(past),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let anon = app.session();
    let r = anon.submit(&path, &format!("{path}/renew"), &[]);
    assert!(r.text().unwrap().contains("A new setup link is on its way"));
    let before = outbox_links(&provider).len();
    // The old link again, minutes later: nothing is sent, and the page says so.
    let r = anon.submit(&path, &format!("{path}/renew"), &[]);
    let page = r.text().unwrap();
    assert!(page.contains("A link was sent a few minutes ago"), "{page}");
    assert!(!page.contains("is on its way"));
    assert_eq!(outbox_links(&provider).len(), before, "no new email");
}

#[test]
fn error_pages_use_the_one_layout_and_send_each_reader_to_their_own_start_page() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let client = crate::onboarding::verify(&app, &path_of(&outbox_links(&provider)[0]));

    let (status, html) = client.get_text("/portal/no-such-page");
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    assert_eq!(
        select_text(&html, "a.skip-link"),
        ["Skip to content"],
        "the layout"
    );
    assert!(
        !html.contains("your clients"),
        "a client is not sent to a provider's list"
    );
    assert_eq!(select_attr(&html, "main a.button", "href"), ["/"]);
    assert_eq!(location(&client.get("/")), "/portal");
    assert_eq!(location(&provider.get("/")), "/clients");
    assert_eq!(location(&app.session().get("/")), "/login");

    // The portal's pages are the same layout with the portal's header.
    let (_, portal) = client.get_text("/portal");
    assert_eq!(select_text(&portal, "a.skip-link"), ["Skip to content"]);
    assert_eq!(select_attr(&portal, "body", "class"), ["portal"]);
    assert!(select_text(&portal, "title")[0].ends_with("· Client portal"));
}
