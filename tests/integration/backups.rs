//! Backups a clinician can trust, through the real command line while the real server
//! runs: a backup taken while an import is being written holds every committed import
//! whole (clients, documents, audit rows) and nothing of the one in flight; a restore
//! goes only into an empty data directory or database; without pg_dump the message names
//! it and its package; the daily backup switched on in Settings runs once a day on one
//! instance and keeps the newest N. On SQLite and on PostgreSQL alike.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use caseload::db::schema::{audit_events, blobs, clients, documents, import_batches};
use caseload::db::DbConnection;
use chrono::Duration;
use diesel::prelude::*;

use crate::cli::caseload;
use crate::imports::{analysed, upload};
use crate::simplepractice::{export_files, upload_export, zip_of};
use crate::support::*;

/// The ids in a table, as a set.
fn ids(conn: &mut DbConnection) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let c: Vec<String> = clients::table.select(clients::id).load(conn).unwrap();
    let d: Vec<String> = documents::table.select(documents::id).load(conn).unwrap();
    let a: Vec<String> = audit_events::table
        .select(audit_events::id)
        .load(conn)
        .unwrap();
    (
        c.into_iter().collect(),
        d.into_iter().collect(),
        a.into_iter().collect(),
    )
}

/// `caseload` run against another installation: its data dir and database.
fn caseload_at(data_dir: &std::path::Path, url: &caseload::db::DatabaseUrl) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caseload"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CASELOAD_DATA_DIR", data_dir)
        .env("DATABASE_URL", url.connection_string())
        .env("RUST_LOG", "warn")
        .current_dir(data_dir);
    cmd
}

fn backup_name(app: &TestApp) -> &'static str {
    if app.config.database_url.is_postgres() {
        "practice.pgdump"
    } else {
        "practice.sqlite3"
    }
}

#[test]
fn a_backup_during_an_import_restores_every_committed_import_and_nothing_of_the_one_in_flight() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // Committed before: a SimplePractice export (Ada, an existing client, gets her
    // documents; Nia comes in new with hers) and a client list.
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let export = upload_export(&s, "export.zip", zip_of(&export_files()));
    let html = analysed(&app, &s, &export);
    let r = s.post_raw(
        &format!("{export}/review"),
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
    let list = upload(
        &s,
        "list.csv",
        b"First Name,Last Name,Email\nSam,Lee,sam@example.com\nKim,Park,kim@example.com\n".to_vec(),
    );
    let html = analysed(&app, &s, &list);
    let r = s.fill(&list, &format!("{list}/review"), &[("action", "import")]);
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    drop(html);

    // In flight: a third import being written, its transaction open while the backup
    // runs. (The import's own code, in a transaction the test holds open.)
    let in_flight = upload(
        &s,
        "late.csv",
        b"First Name,Last Name,Email\nLate,Arrival,late@example.com\nNot,Yet,notyet@example.com\n"
            .to_vec(),
    );
    analysed(&app, &s, &in_flight);
    // Imported, audited, with documents: the state the backup must hold.
    let mut conn = app.conn();
    let before = ids(&mut conn);
    assert_eq!(before.0.len(), 4, "Ada, Nia, Sam and Kim");
    assert!(
        before.1.len() >= 5,
        "the export's documents: {}",
        before.1.len()
    );
    assert!(!before.2.is_empty(), "audit rows");
    let in_flight_id = in_flight.trim_start_matches("/clients/import/").to_string();
    let url = app.config.database_url.clone();
    let (written, go_on) = (mpsc::channel::<()>(), mpsc::channel::<()>());
    let (tell_written, wait_written) = written;
    let (tell_go_on, wait_go_on) = go_on;
    let writer = std::thread::spawn(move || {
        let mut conn = caseload::db::establish(&url).unwrap();
        caseload::db::write_transaction(&mut conn, |conn| {
            let batch = caseload::models::unscoped::batch_for_worker(conn, &in_flight_id)?
                .expect("the batch");
            let outcome =
                caseload::models::import_batch::commit(conn, &batch, None, caseload::models::now())
                    .map_err(|_| diesel::result::Error::RollbackTransaction)?;
            assert_eq!(outcome.imported, 2);
            tell_written.send(()).unwrap();
            wait_go_on.recv().unwrap();
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    });
    wait_written.recv().unwrap();

    // The backup, by the command line, while the server runs and the import is unwritten.
    let file = app.data_dir.path().join(backup_name(&app));
    let mut child = caseload(&app)
        .arg("backup")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert!(said.starts_with("Backed up "), "{said}");
    // The copy is whole: the import in flight now commits.
    tell_go_on.send(()).unwrap();
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup is private to the server's user");
    }
    let after = ids(&mut conn);
    assert_eq!(
        after.0.len(),
        6,
        "the late import did commit, after the backup"
    );

    // Restored into a fresh installation.
    let fresh = FreshDatabase::new();
    let out = caseload_at(fresh.data_dir.path(), &fresh.url)
        .arg("restore")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut restored = fresh.conn();
    let got = ids(&mut restored);
    assert_eq!(
        got.0, before.0,
        "every committed client, none of the late import's"
    );
    assert_eq!(got.1, before.1, "every document");
    assert_eq!(
        got.2, before.2,
        "every audit row, none of the late import's"
    );
    let late: i64 = clients::table
        .filter(clients::last_name.eq_any(["Arrival", "Yet"]))
        .count()
        .get_result(&mut restored)
        .unwrap();
    assert_eq!(late, 0);
    // Each document's content came along.
    let missing: i64 = documents::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            blobs::table.filter(blobs::sha256.eq(documents::sha256)),
        )))
        .count()
        .get_result(&mut restored)
        .unwrap();
    assert_eq!(missing, 0);
    let status: String = import_batches::table
        .filter(import_batches::file_name.eq("late.csv"))
        .select(import_batches::status)
        .first(&mut restored)
        .unwrap();
    assert_eq!(
        status, "ready",
        "the late import is waiting in the backup, not done"
    );

    // Settings says when the last backup was taken.
    let (_, page) = s.get_text("/settings/backups");
    let last = select_text(&page, "p.last-backup").join(" ");
    assert!(last.starts_with("Taken"), "{last}");
    assert!(last.contains(backup_name(&app)), "{last}");
}

#[test]
fn a_restore_never_writes_over_a_database_that_holds_data() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let file = app.data_dir.path().join(backup_name(&app));
    let out = caseload(&app).arg("backup").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Into the installation it came from: refused, untouched.
    let out = caseload(&app).arg("restore").arg(&file).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("already holds data"), "{err}");
    assert!(err.contains("clients"), "{err}");
    assert!(err.contains("Nothing was changed"), "{err}");
    assert_eq!(s.get("/clients").status(), 200);
    let (_, html) = s.get_text("/clients");
    assert!(html.contains("Lovelace"));

    // A backup never writes over a file either.
    let out = caseload(&app).arg("backup").arg(&file).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists"), "{err}");

    // A file that is no backup is named as such.
    let not_a_backup = app.data_dir.path().join("notes.txt");
    std::fs::write(&not_a_backup, "not a database").unwrap();
    let fresh = FreshDatabase::new();
    let out = caseload_at(fresh.data_dir.path(), &fresh.url)
        .arg("restore")
        .arg(&not_a_backup)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a Caseload backup"), "{err}");

    // A fresh installation that was started once (its tables there, empty) takes it.
    let mut conn = fresh.conn();
    caseload::db::run_migrations(&mut conn).unwrap();
    drop(conn);
    let out = caseload_at(fresh.data_dir.path(), &fresh.url)
        .arg("restore")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: i64 = clients::table
        .count()
        .get_result(&mut fresh.conn())
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn without_pg_dump_a_postgresql_backup_names_the_tool_and_its_package() {
    let app = TestApp::spawn();
    let no_tools = tempfile::tempdir().unwrap();
    let out = caseload(&app)
        .env("PATH", no_tools.path())
        .env("DATABASE_URL", "postgres://caseload@127.0.0.1:1/caseload")
        .arg("backup")
        .arg(app.data_dir.path().join("x.pgdump"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("pg_dump"), "{err}");
    assert!(err.contains("postgresql-client"), "{err}");
    assert!(!app.data_dir.path().join("x.pgdump").exists());
    // And a restore names pg_restore.
    let dump = app.data_dir.path().join("y.pgdump");
    std::fs::write(&dump, b"PGDMP\x01\x0e\x00").unwrap();
    let out = caseload(&app)
        .env("PATH", no_tools.path())
        .env("DATABASE_URL", "postgres://caseload@127.0.0.1:1/caseload")
        .arg("restore")
        .arg(&dump)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pg_restore") && err.contains("postgresql-client"),
        "{err}"
    );
}

#[test]
fn the_daily_backup_runs_once_a_day_on_one_instance_and_keeps_the_newest() {
    // The instances share the backup folder, as the README asks.
    let app = TestApp::spawn_with(|c| c.backup_dir = Some(c.data_dir.join("shared-backups")));
    app.set_time("2026-12-07 03:00");
    app.another_instance();
    let s = app.signed_in();
    let (_, page) = s.get_text("/settings/backups");
    assert!(page.contains("No backup has been taken yet"), "{page}");
    assert_eq!(
        app.run_jobs_at_once()
            .iter()
            .map(|r| r.backups)
            .sum::<usize>(),
        0,
        "off until switched on"
    );
    let r = s.fill(
        "/settings/backups",
        "/settings/backups",
        &[("daily", "on"), ("keep", "0")],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("from 1 to 365"));
    let r = s.fill(
        "/settings/backups",
        "/settings/backups",
        &[("daily", "on"), ("keep", "2")],
    );
    assert_eq!(r.status(), 303);

    let dir = app.config.backups_dir();
    let files = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let failures = || -> Vec<String> {
        let mut conn = app.conn();
        caseload::models::backup::recent(&mut conn, 10)
            .unwrap()
            .into_iter()
            .filter_map(|b| b.error)
            .collect()
    };
    for day in 0..3 {
        let ran = app.run_jobs_at_once();
        assert_eq!(failures(), Vec::<String>::new(), "day {day}");
        assert_eq!(
            ran.iter().map(|r| r.backups).sum::<usize>(),
            1,
            "day {day}: one backup, by one instance"
        );
        assert!(
            app.run_jobs_at_once().iter().all(|r| r.backups == 0),
            "once a day"
        );
        app.advance(Duration::hours(23));
        assert!(app.run_jobs_at_once().iter().all(|r| r.backups == 0));
        app.advance(Duration::hours(1));
    }
    let ext = if app.config.database_url.is_postgres() {
        "pgdump"
    } else {
        "sqlite3"
    };
    assert_eq!(
        files(),
        [
            format!("caseload-daily-20261208-030000.{ext}"),
            format!("caseload-daily-20261209-030000.{ext}"),
        ],
        "the newest two"
    );
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, page) = s.get_text("/settings/backups");
    let last = select_text(&page, "p.last-backup").join(" ");
    assert!(last.contains("Dec 8, 2026 10:00 PM EST"), "{last}");
    assert!(last.contains("Daily backup"), "{last}");
    assert_eq!(select_text(&page, "table.backups tbody tr").len(), 3);
}

#[test]
fn a_backup_into_a_folder_that_does_not_exist_says_so() {
    let app = TestApp::spawn();
    let missing = app.data_dir.path().join("missing").join("folder");
    let out = caseload(&app)
        .arg("backup")
        .arg(missing.join(backup_name(&app)))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("the folder {} does not exist", missing.display())),
        "{err}"
    );
    assert!(!err.contains(".partial"), "{err}");
    // A file where the folder should be is named as such.
    let file = app.data_dir.path().join("notes.txt");
    std::fs::write(&file, "x").unwrap();
    let out = caseload(&app)
        .arg("backup")
        .arg(file.join(backup_name(&app)))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a file, not a folder"), "{err}");
}
