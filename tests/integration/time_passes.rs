//! What happens as days pass, on the app's clock: reminders, setup links that expire,
//! sign-ins swept, imports left behind. The test moves the clock and runs the app's
//! background jobs on demand (`TestApp::run_jobs`); nothing runs by itself.

use caseload::db::schema::{client_invitations, import_batches, import_rows, sign_in_sessions};
use caseload::mail::smtp::OutgoingEmail;
use caseload::models::invitation::VALID_DAYS;
use caseload::onboarding::REMINDER_DAYS;
use chrono::Duration;
use diesel::prelude::*;

use crate::imports::{analysed, upload};
use crate::onboarding::{invite_link, outbox_links, path_of, verify};
use crate::support::*;

const LIST: &str =
    "First Name,Last Name,Email\nNia,Okafor,nia@example.com\nSam,Lee,sam@example.com\n";

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// The emails delivered since the last look, as (recipient, subject).
fn delivered(app: &TestApp) -> Vec<(String, String)> {
    app.emails()
        .into_iter()
        .map(|e| (e.to, e.subject))
        .collect()
}

fn assert_none_delivered(app: &TestApp, why: &str) {
    let emails = delivered(app);
    assert!(emails.is_empty(), "{why}: {emails:?}");
}

#[test]
fn reminders_go_out_two_and_five_days_after_the_invitation_and_not_before() {
    assert_eq!(REMINDER_DAYS, [2, 5], "the schedule this test follows");
    let app = TestApp::spawn_with_mailer();
    // A working day's afternoon in New York, the provider's zone: nothing near a night.
    app.set_time("2026-12-07 18:00");
    let provider = app.signed_in();
    provider.fill(
        "/settings",
        "/settings/profile",
        &[
            ("first_name", "Elena"),
            ("last_name", "Rivera"),
            ("practice_name", "Harbor Counseling"),
        ],
    );
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let invitation = app.emails();
    assert_eq!(invitation.len(), 1, "the invitation at once, nothing more");
    assert_eq!(
        invitation[0].subject,
        "Harbor Counseling invites you to set up your client account"
    );
    let link = invite_link(&invitation[0].text);
    let reminder = (
        "ada@example.com",
        "Reminder: finish setting up your account with Harbor Counseling",
    );
    fn sent(emails: &[OutgoingEmail]) -> Vec<(&str, &str)> {
        emails
            .iter()
            .map(|e| (e.to.as_str(), e.subject.as_str()))
            .collect()
    }

    app.advance(days(2) - Duration::minutes(1));
    assert_none_delivered(&app, "no reminder before two days");
    app.advance(Duration::minutes(1));
    let first = app.emails();
    assert_eq!(
        sent(&first),
        [reminder],
        "the first reminder after two days"
    );
    assert_eq!(invite_link(&first[0].text), link, "with the same link");

    app.advance(days(3) - Duration::minutes(1));
    assert_none_delivered(&app, "no second reminder before five days");
    app.advance(Duration::minutes(1));
    let second = app.emails();
    assert_eq!(
        sent(&second),
        [reminder],
        "the second reminder after five days"
    );
    assert_eq!(invite_link(&second[0].text), link);
    let (_, page) = app.session().get_text(&path_of(&link));
    assert!(
        page.contains("Choose a password"),
        "the link still works on day five"
    );

    app.advance(days(60));
    assert_none_delivered(&app, "two reminders in all");
}

#[test]
fn no_reminder_goes_to_a_client_who_has_set_up_their_account() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-07 18:00");
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    provider.add_client("Grace", "Hopper", "grace@example.com", &[("notify", "on")]);
    let invitations = app.emails();
    let link_of = |to: &str| {
        invite_link(
            &invitations
                .iter()
                .find(|e| e.to == to)
                .expect("an invitation")
                .text,
        )
    };
    // Ada sets up her account the next day; Grace only after her first reminder.
    app.advance(days(1));
    verify(&app, &path_of(&link_of("ada@example.com")));
    app.advance(days(1));
    let reminders = delivered(&app);
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0].0, "grace@example.com");
    app.advance(Duration::hours(1));
    verify(&app, &path_of(&link_of("grace@example.com")));
    app.advance(days(10));
    assert_none_delivered(&app, "neither gets another reminder");
    provider.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert_eq!(
        select_text(&outbox, "table.outbox td:nth-child(3)")
            .iter()
            .filter(|s| s.as_str() == "Not needed any more")
            .count(),
        3,
        "Ada's two reminders and Grace's second"
    );
}

#[test]
fn a_setup_link_works_for_seven_days_then_says_it_expired_and_how_to_get_a_new_one() {
    assert_eq!(VALID_DAYS, 7);
    let app = TestApp::spawn();
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = path_of(&outbox_links(&provider).remove(0));
    let client = app.session();

    app.advance(days(VALID_DAYS) - Duration::minutes(1));
    let (status, html) = client.get_text(&link);
    assert_eq!(status, 200);
    assert!(html.contains("Choose a password"), "still valid: {html}");

    app.advance(Duration::minutes(1));
    let (status, html) = client.get_text(&link);
    assert_eq!(status, 200);
    assert!(html.contains("This link has expired"), "{html}");
    assert!(
        html.contains("Setup links work for 7 days. Ask for a new one"),
        "it says what to do: {html}"
    );
    // Choosing a password through it does nothing.
    let r = client.submit(
        &link,
        &link,
        &[
            ("password", "client password 123"),
            ("password_again", "client password 123"),
        ],
    );
    assert_eq!(location(&r), link, "back to the page that says it expired");
    assert_eq!(client.get("/portal").status(), 303, "not signed in");

    // Asking for a new one sends a fresh link, which works.
    let r = client.submit(&link, &format!("{link}/renew"), &[]);
    assert!(r.text().unwrap().contains("A new setup link is on its way"));
    provider.sign_in("dr.rivera@example.com", PASSWORD);
    let fresh = path_of(&outbox_links(&provider).remove(0));
    assert_ne!(fresh, link);
    let expires: Vec<chrono::NaiveDateTime> = client_invitations::table
        .order(client_invitations::created_at)
        .select(client_invitations::expires_at)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        expires.last(),
        Some(&(app.clock.now() + days(VALID_DAYS))),
        "seven days from now on the app's clock"
    );
    verify(&app, &fresh);
}

#[test]
fn an_ended_sign_in_is_deleted_when_next_used_or_at_anyones_next_sign_in() {
    let app = TestApp::spawn();
    let here = app.signed_in();
    let laptop = app.session_from("127.0.0.2");
    laptop.sign_in("dr.rivera@example.com", PASSWORD);
    let phone = app.session_from("127.0.0.3");
    phone.sign_in("dr.rivera@example.com", PASSWORD);
    let addresses = || -> Vec<Option<String>> {
        sign_in_sessions::table
            .order(sign_in_sessions::ip)
            .select(sign_in_sessions::ip)
            .load(&mut app.conn())
            .unwrap()
    };
    assert_eq!(addresses().len(), 3);

    // Past the idle timeout, a sign-in that is used again goes ...
    app.advance(Duration::minutes(31));
    assert_eq!(phone.get("/clients").status(), 303);
    assert_eq!(
        addresses(),
        [Some("127.0.0.1".to_string()), Some("127.0.0.2".to_string())]
    );
    // ... or anyone signs in (every ended one goes, with its address).
    here.sign_in("dr.rivera@example.com", PASSWORD);
    assert_eq!(addresses(), [Some("127.0.0.1".to_string())]);
    let (_, settings) = here.get_text("/settings");
    assert_eq!(select_text(&settings, "table.sessions tbody tr").len(), 1);
    assert_eq!(laptop.get("/clients").status(), 303);
}

/// The batch's status and how many rows it keeps.
fn status_and_rows(app: &TestApp, id: &str) -> (String, i64) {
    let mut conn = app.conn();
    let status = import_batches::table
        .filter(import_batches::id.eq(id))
        .select(import_batches::status)
        .first::<String>(&mut conn)
        .unwrap();
    let rows = import_rows::table
        .filter(import_rows::batch_id.eq(id))
        .count()
        .get_result::<i64>(&mut conn)
        .unwrap();
    (status, rows)
}

#[test]
fn an_import_left_unreviewed_for_thirty_days_is_cancelled_with_its_rows_and_file() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(&s, "clients.csv", LIST.as_bytes().to_vec());
    analysed(&app, &s, &batch);
    let id = batch.trim_start_matches("/clients/import/").to_string();
    assert_eq!(status_and_rows(&app, &id), ("ready".into(), 2));
    assert!(upload_kept(&app, &id));

    app.advance(days(30) - Duration::minutes(1));
    app.run_jobs();
    assert_eq!(
        status_and_rows(&app, &id),
        ("ready".into(), 2),
        "29 days on"
    );
    assert!(upload_kept(&app, &id));

    app.advance(Duration::minutes(2));
    app.run_jobs();
    assert_eq!(status_and_rows(&app, &id), ("cancelled".into(), 0));
    assert!(!upload_kept(&app, &id), "the file is deleted too");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    assert_eq!(s.get(&batch).status(), 404);
    let (_, history) = s.get_text("/settings/imports");
    assert!(!history.contains("clients.csv"), "{history}");
}

#[test]
fn each_review_of_an_import_starts_its_thirty_days_again() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(&s, "clients.csv", LIST.as_bytes().to_vec());
    analysed(&app, &s, &batch);
    let id = batch.trim_start_matches("/clients/import/").to_string();

    app.advance(days(20));
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = s.fill(&batch, &format!("{batch}/review"), &[("action", "save")]);
    assert_eq!(r.status(), 303);
    app.advance(days(29));
    app.run_jobs();
    assert_eq!(
        status_and_rows(&app, &id),
        ("ready".into(), 2),
        "49 days after the upload, 29 after the last review"
    );
    app.advance(days(1) + Duration::minutes(1));
    app.run_jobs();
    assert_eq!(status_and_rows(&app, &id), ("cancelled".into(), 0));
}

/// A batch as a killed `caseload import` leaves it at the app's present time: analysed,
/// its rows stored, never imported.
fn left_by_the_command_line(app: &TestApp, origin: &str) -> String {
    use caseload::db::schema::providers;
    use caseload::models::import_batch;
    let mut conn = app.conn();
    let provider_id: String = providers::table
        .select(providers::id)
        .first(&mut conn)
        .unwrap();
    let provider =
        caseload::models::provider::find(&mut conn, &caseload::db::ids::ProviderId(provider_id))
            .unwrap()
            .unwrap();
    let scope = caseload::models::scope::Scope::of(&provider);
    let now = app.clock.now();
    let batch = import_batch::create(&mut conn, &scope, "list.csv", origin, now).unwrap();
    import_batch::start_analysis(&mut conn, &batch, now).unwrap();
    let analysed = caseload::import::analysis::analyse(
        LIST.as_bytes(),
        &Default::default(),
        &[],
        now.date(),
        &mut |_| {},
    )
    .unwrap();
    import_batch::save_analysis(&mut conn, &batch, &analysed, "{}", now).unwrap();
    batch.id.clone()
}

#[test]
fn an_import_the_command_line_left_unfinished_is_cancelled_after_a_day() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let cli = left_by_the_command_line(&app, "cli");
    let web = left_by_the_command_line(&app, "web");

    app.advance(Duration::hours(24) - Duration::minutes(1));
    app.run_jobs();
    assert_eq!(status_and_rows(&app, &cli), ("ready".into(), 2));

    app.advance(Duration::minutes(2));
    app.run_jobs();
    assert_eq!(
        status_and_rows(&app, &cli),
        ("cancelled".into(), 0),
        "no page leads back to it: its rows go after a day"
    );
    assert_eq!(
        status_and_rows(&app, &web),
        ("ready".into(), 2),
        "a web upload waits 30 days for its review"
    );
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, history) = s.get_text("/settings/imports");
    assert_eq!(
        history.matches("list.csv").count(),
        1,
        "only the web upload is listed: {history}"
    );
}
