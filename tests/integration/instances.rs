//! Several instances on one database, as behind a reverse proxy: two real servers (each
//! with a data dir of its own, as on two machines) share the database, and a browser's
//! requests go to either. Every background job is claimed in the database, so each email
//! goes once, each file is checked once and each reminder is queued once, even when both
//! instances run their jobs at the same moment; a job an instance died holding is taken
//! over by the other once its lease ends. On SQLite and on PostgreSQL alike.

use caseload::db::schema::{email_attempts, import_batches, job_leases, outbox_emails};
use caseload::jobs::{
    ANALYSIS_LEASE_MINUTES, EMAIL_LEASE_MINUTES, SESSION_REMINDERS, SWEEP_LEASE_MINUTES,
};
use chrono::Duration;
use diesel::prelude::*;

use crate::calendar::service_id;
use crate::imports::upload;
use crate::support::*;

const PEOPLE: [(&str, &str); 8] = [
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Frances", "Allen"),
];

fn email_of(first: &str) -> String {
    format!("{}@example.com", first.to_lowercase())
}

/// The same browser, its requests sent to `base` (the cookie is the host's, whatever the
/// port, as behind one proxy address).
fn at(s: &mut Session, base: &str) {
    s.base = base.to_string();
}

/// Adds a session for `who` ("First Last <email>") on `date` at `time` (New York).
fn schedule_for(s: &Session, who: &str, service: &str, date: &str, time: &str) {
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", who),
            ("service", service),
            ("date", date),
            ("time", time),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
}

/// Emails in the outbox by status, with their recorded attempts.
fn outbox(app: &TestApp) -> Vec<(String, String, i32)> {
    let mut conn = app.conn();
    outbox_emails::table
        .order((
            outbox_emails::send_after.asc(),
            outbox_emails::created_at.asc(),
        ))
        .select((
            outbox_emails::to_address,
            outbox_emails::status,
            outbox_emails::attempts,
        ))
        .load(&mut conn)
        .unwrap()
}

fn attempts_recorded(app: &TestApp) -> i64 {
    let mut conn = app.conn();
    email_attempts::table.count().get_result(&mut conn).unwrap()
}

fn batch_status(app: &TestApp, batch: &str) -> String {
    let id = batch.trim_start_matches("/clients/import/");
    let mut conn = app.conn();
    import_batches::table
        .filter(import_batches::id.eq(id))
        .select(import_batches::status)
        .first(&mut conn)
        .unwrap()
}

#[test]
fn two_instances_send_each_email_once_check_each_file_once_and_serve_every_page() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-01 14:00");
    let a = app.base.clone();
    let b = app.another_instance();
    let mut s = app.signed_in();
    // Signed in on one instance is signed in on both (the session key and the sign-in
    // are in the database).
    at(&mut s, &b);
    assert_eq!(s.get("/clients").status(), 200, "signed in on the other");
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[("policy", "none"), ("reminder_hours", "24")],
    );
    assert_eq!(r.status(), 303);

    // Invitations, the clients added through both instances in turn.
    let mut ids = Vec::new();
    for (n, (first, last)) in PEOPLE.iter().enumerate() {
        at(&mut s, if n % 2 == 0 { &a } else { &b });
        ids.push(s.add_client(first, last, &email_of(first), &[("notify", "on")]));
    }
    let ran = app.run_jobs_at_once();
    assert_eq!(ran.len(), 2);
    let tried: usize = ran.iter().map(|r| r.deliveries).sum();
    assert_eq!(
        tried,
        PEOPLE.len(),
        "each email tried once, by one instance"
    );
    // Run again: nothing is left to send.
    assert!(app.run_jobs_at_once().iter().all(|r| r.deliveries == 0));
    let mut delivered: Vec<String> = app.mailbox().take().into_iter().map(|e| e.to).collect();
    delivered.sort();
    let mut expected: Vec<String> = PEOPLE.iter().map(|(f, _)| email_of(f)).collect();
    expected.sort();
    assert_eq!(delivered, expected, "every invitation exactly once");
    // Sent once each (the invitations' own reminders wait for their days).
    let rows = outbox(&app);
    let sent: Vec<_> = rows.iter().filter(|(_, st, _)| st == "sent").collect();
    assert_eq!(sent.len(), PEOPLE.len());
    assert!(
        sent.iter().all(|(_, _, attempts)| *attempts == 1),
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .all(|(_, st, _)| st == "sent" || st == "pending"));
    assert_eq!(attempts_recorded(&app), PEOPLE.len() as i64);

    // Reminders: sessions booked through both; each reminder queued and sent once.
    let service = service_id(&s, "90834");
    for (n, (first, last)) in PEOPLE.iter().take(4).enumerate() {
        at(&mut s, if n % 2 == 0 { &a } else { &b });
        let who = format!("{first} {last} <{}>", email_of(first));
        schedule_for(&s, &who, &service, "2026-12-10", &format!("1{n}:00"));
    }
    app.mailbox().take();
    // 24 hours before the first (10:00 in New York on the 10th).
    app.set_time("2026-12-09 15:00");
    app.advance(Duration::hours(3) + Duration::minutes(1));
    let ran = app.run_jobs_at_once();
    let queued: usize = ran.iter().map(|r| r.reminders).sum();
    assert_eq!(queued, 4, "{ran:?}");
    app.run_jobs_at_once();
    let reminders: Vec<String> = app
        .mailbox()
        .take()
        .into_iter()
        .filter(|e| e.subject.starts_with("Reminder: your session"))
        .map(|e| e.to)
        .collect();
    assert_eq!(reminders.len(), 4, "{reminders:?}");
    let mut distinct = reminders.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "one reminder each: {reminders:?}");

    // Imports: uploaded to one instance, checked by whichever worker claims it (once),
    // reviewed and imported on the other. (Days have passed: signed in again.)
    at(&mut s, &a);
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let first = upload(
        &s,
        "first.csv",
        b"First Name,Last Name,Email\nNia,Okafor,nia@example.com\n".to_vec(),
    );
    at(&mut s, &b);
    let second = upload(
        &s,
        "second.csv",
        b"First Name,Last Name,Email\nSam,Lee,sam@example.com\n".to_vec(),
    );
    let ran = app.run_jobs_at_once();
    let analyses: usize = ran.iter().map(|r| r.analyses).sum();
    assert_eq!(analyses, 2, "each file checked once: {ran:?}");
    assert_eq!(batch_status(&app, &first), "ready");
    assert_eq!(batch_status(&app, &second), "ready");
    for (batch, base) in [(&first, &b), (&second, &a)] {
        at(&mut s, base);
        let (_, status) = s.get_text(&format!("{batch}/status"));
        assert!(status.contains("\"ready\""), "{status}");
        let r = s.fill(batch, &format!("{batch}/review"), &[("action", "import")]);
        assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
        assert_eq!(batch_status(&app, batch), "imported");
    }
    assert!(app.run_jobs_at_once().iter().all(|r| r.analyses == 0));

    // Every page, from either instance.
    for base in [&a, &b] {
        at(&mut s, base);
        for page in [
            "/clients".to_string(),
            format!("/clients/{}", ids[0]),
            "/calendar".into(),
            "/settings".into(),
            "/settings/outbox".into(),
            "/settings/imports".into(),
            "/settings/backups".into(),
            first.clone(),
        ] {
            let (status, html) = s.get_text(&page);
            assert_eq!(status, 200, "{base}{page}");
            if page == "/clients" {
                assert!(html.contains("Nia") && html.contains("Sam"), "{html}");
            }
        }
    }
    // Signing out on one instance signs out on both.
    at(&mut s, &a);
    let r = s.submit("/clients", "/logout", &[]);
    assert_eq!(r.status(), 303);
    at(&mut s, &b);
    assert_eq!(
        s.get("/clients").status(),
        303,
        "signed out on the other too"
    );
}

#[test]
fn failed_sign_ins_count_on_every_instance() {
    let app = TestApp::spawn();
    let a = app.base.clone();
    let b = app.another_instance();
    app.signed_in();
    let mut s = app.session();
    for n in 0..caseload::models::failed_login::MAX_FAILURES {
        at(&mut s, if n % 2 == 0 { &a } else { &b });
        let r = s.submit(
            "/login",
            "/login",
            &[
                ("email", "dr.rivera@example.com"),
                ("password", "guess guess guess"),
            ],
        );
        assert_eq!(r.status(), 200, "try {n}");
        assert!(r.text().unwrap().contains("match"), "try {n}");
    }
    for base in [&a, &b] {
        at(&mut s, base);
        let r = s.submit(
            "/login",
            "/login",
            &[("email", "dr.rivera@example.com"), ("password", PASSWORD)],
        );
        let html = r.text().unwrap();
        assert!(html.contains("Too many failed sign-ins"), "{base}: {html}");
    }
}

#[test]
fn an_email_claimed_by_an_instance_that_died_is_sent_by_another_after_the_lease() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-01 14:00");
    app.another_instance();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    // An instance claimed the invitation and died before recording anything.
    let mut conn = app.conn();
    let now = app.clock.now();
    diesel::update(outbox_emails::table)
        .set((
            outbox_emails::claimed_by.eq("dead-host:1:deadbeef"),
            outbox_emails::lease_until.eq(now + Duration::minutes(EMAIL_LEASE_MINUTES)),
        ))
        .execute(&mut conn)
        .unwrap();
    app.run_jobs_at_once();
    assert!(app.mailbox().take().is_empty(), "its claim still holds");
    app.advance(Duration::minutes(EMAIL_LEASE_MINUTES) - Duration::seconds(1));
    app.run_jobs_at_once();
    assert!(app.mailbox().take().is_empty(), "one second before it ends");
    app.advance(Duration::seconds(1));
    let ran = app.run_jobs_at_once();
    assert_eq!(ran.iter().map(|r| r.deliveries).sum::<usize>(), 1);
    let sent = app.mailbox().take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "ada@example.com");
    let rows = outbox(&app);
    assert_eq!(
        rows[0],
        ("ada@example.com".to_string(), "sent".to_string(), 1),
        "{rows:?}"
    );
    assert_eq!(attempts_recorded(&app), 1);
    // Sent is sent: never again, whoever runs the jobs.
    app.advance(Duration::hours(1));
    app.run_jobs_at_once();
    assert!(app
        .mailbox()
        .take()
        .iter()
        .all(|e| !e.subject.contains("invites you")));
}

#[test]
fn a_sweep_held_by_an_instance_that_died_runs_elsewhere_after_the_lease() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-01 14:00");
    let other = app.another_instance();
    let mut s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = s.submit(
        "/settings/calendar",
        "/settings/calendar",
        &[("policy", "none"), ("reminder_hours", "24")],
    );
    assert_eq!(r.status(), 303);
    let service = service_id(&s, "90834");
    schedule_for(
        &s,
        "Ada Lovelace <ada@example.com>",
        &service,
        "2026-12-10",
        "10:00",
    );
    app.mailbox().take();
    // 24 hours before (15:00 UTC on the 9th), an instance took the reminders' lease and
    // died in the sweep.
    app.set_time("2026-12-09 15:00");
    let mut conn = app.conn();
    let now = app.clock.now();
    diesel::insert_into(job_leases::table)
        .values((
            job_leases::name.eq(SESSION_REMINDERS),
            job_leases::holder.eq("dead-host:1:deadbeef"),
            job_leases::lease_until.eq(now + Duration::minutes(SWEEP_LEASE_MINUTES)),
            job_leases::last_started_at.eq(now),
        ))
        .execute(&mut conn)
        .unwrap();
    let ran = app.run_jobs_at_once();
    assert_eq!(ran.iter().map(|r| r.reminders).sum::<usize>(), 0);
    // Only the booking's confirmation (queued when it was booked) goes out.
    let sent = app.mailbox().take();
    assert!(
        sent.iter().all(|e| e.subject.contains("is booked for")),
        "the dead holder's lease holds: {sent:?}"
    );
    app.advance(Duration::minutes(SWEEP_LEASE_MINUTES));
    let ran = app.run_jobs_at_once();
    assert_eq!(ran.iter().map(|r| r.reminders).sum::<usize>(), 1, "{ran:?}");
    let sent = app.mailbox().take();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].subject.starts_with("Reminder: your session"));
    // The lease was let go: the other instance alone runs the sweep next (nothing due).
    let mut jobs = app.instance_jobs();
    let on_other = jobs.pop().unwrap().run_due().unwrap();
    assert_eq!(on_other.reminders, 0);
    let holder: Option<String> = job_leases::table
        .filter(job_leases::name.eq(SESSION_REMINDERS))
        .select(job_leases::holder)
        .first(&mut conn)
        .unwrap();
    assert_eq!(holder, None);
    // Days have passed: signed in again, through the other instance.
    at(&mut s, &other);
    s.sign_in("dr.rivera@example.com", PASSWORD);
    assert_eq!(s.get("/calendar").status(), 200);
}

#[test]
fn a_file_an_instance_died_checking_is_checked_by_another_after_the_lease() {
    let app = TestApp::spawn();
    let other = app.another_instance();
    let mut s = app.signed_in();
    let batch = upload(
        &s,
        "clients.csv",
        b"First Name,Last Name,Email\nNia,Okafor,nia@example.com\n".to_vec(),
    );
    let id = batch.trim_start_matches("/clients/import/").to_string();
    // An instance's worker claimed it and died half-way.
    let mut conn = app.conn();
    let now = app.clock.now();
    diesel::update(import_batches::table.filter(import_batches::id.eq(&id)))
        .set((
            import_batches::status.eq("analysing"),
            import_batches::claimed_by.eq("dead-host:1:deadbeef"),
            import_batches::lease_until.eq(now + Duration::minutes(ANALYSIS_LEASE_MINUTES)),
            import_batches::analysis_attempts.eq(1),
        ))
        .execute(&mut conn)
        .unwrap();
    let ran = app.run_jobs_at_once();
    assert_eq!(ran.iter().map(|r| r.analyses).sum::<usize>(), 0);
    at(&mut s, &other);
    let (_, status) = s.get_text(&format!("{batch}/status"));
    assert!(status.contains("\"analysing\""), "{status}");
    app.advance(Duration::minutes(ANALYSIS_LEASE_MINUTES));
    let ran = app.run_jobs_at_once();
    assert_eq!(ran.iter().map(|r| r.analyses).sum::<usize>(), 1, "{ran:?}");
    let (_, status) = s.get_text(&format!("{batch}/status"));
    assert!(status.contains("\"ready\""), "{status}");
    let (_, html) = s.get_text(&batch);
    assert!(html.contains("Okafor"), "{html}");

    // A file whose checking stops every time (it kills the instance) is given up on
    // after the third try, with its page saying so, and its upload let go.
    let again = upload(
        &s,
        "again.csv",
        b"First Name,Last Name,Email\nSam,Lee,sam@example.com\n".to_vec(),
    );
    let again_id = again.trim_start_matches("/clients/import/").to_string();
    let now = app.clock.now();
    diesel::update(import_batches::table.filter(import_batches::id.eq(&again_id)))
        .set((
            import_batches::status.eq("analysing"),
            import_batches::claimed_by.eq("dead-host:1:deadbeef"),
            import_batches::lease_until.eq(now),
            import_batches::analysis_attempts.eq(3),
        ))
        .execute(&mut conn)
        .unwrap();
    app.run_jobs_at_once();
    let (_, html) = s.get_text(&again);
    assert!(
        html.contains("stopped before it finished, more than once"),
        "{html}"
    );
    assert!(!upload_kept(&app, &again_id));
}

#[test]
fn the_session_key_moves_from_the_data_dir_into_the_database_and_every_instance_uses_it() {
    let legacy = [7u8; 64];
    let app = TestApp::spawn_with(|config| {
        std::fs::create_dir_all(&config.data_dir).unwrap();
        std::fs::write(config.session_key_path(), hex::encode(legacy)).unwrap();
    });
    assert!(
        !app.config.session_key_path().exists(),
        "no copy of the key is left in the data dir"
    );
    let mut conn = app.conn();
    let stored = caseload::models::server_setting::get(
        &mut conn,
        caseload::models::server_setting::SESSION_KEY,
    )
    .unwrap();
    assert_eq!(
        stored.as_deref(),
        Some(hex::encode(legacy).as_str()),
        "the old key, so nobody was signed out by the upgrade"
    );
    let mut s = app.signed_in();
    let b = app.another_instance();
    at(&mut s, &b);
    let (status, html) = s.get_text("/clients");
    assert_eq!(status, 200, "the other instance reads the same cookie");
    assert!(html.contains("Elena Rivera"));
}

#[test]
fn an_export_uploaded_to_one_instance_is_checked_and_imported_with_its_documents_by_the_other() {
    use crate::simplepractice::{export_files, upload_export, zip_of};
    let app = TestApp::spawn();
    let b = app.another_instance();
    let mut s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    // Uploaded to the first instance; only the other instance's worker runs.
    let batch = upload_export(&s, "export.zip", zip_of(&export_files()));
    let jobs = app.instance_jobs();
    assert_eq!(jobs[1].run_due().unwrap().analyses, 1);
    assert_eq!(jobs[0].run_due().unwrap().analyses, 0);
    // Reviewed and imported through the other instance, which reads the export back.
    at(&mut s, &b);
    let (_, html) = s.get_text(&batch);
    assert!(html.contains("Nia Okafor"), "{html}");
    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&html),
        &[
            ("row", "1"),
            ("select", "1"),
            ("docs", "1"),
            ("row", "2"),
            ("select", "2"),
            ("docs", "2"),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["1"], "{done}");
    let documents: i64 = caseload::db::schema::documents::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert!(documents >= 5, "{documents}");
    let id = batch.trim_start_matches("/clients/import/");
    assert!(!upload_kept(&app, id), "let go once imported");
}
