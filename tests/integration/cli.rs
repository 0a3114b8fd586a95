//! The `caseload` binary itself: start-up errors, create-provider, seed-demo.

use std::io::Write;
use std::process::{Command, Stdio};

use caseload::db::schema::clients;
use diesel::prelude::*;

use crate::support::*;

pub(crate) fn caseload(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caseload"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CASELOAD_DATA_DIR", app.data_dir.path())
        .env("DATABASE_URL", app.config.database_url.connection_string())
        .env("RUST_LOG", "warn")
        .current_dir(app.data_dir.path());
    cmd
}

#[test]
fn a_bad_setting_stops_start_up_with_one_clear_line() {
    let app = TestApp::spawn();
    let out = caseload(&app)
        .env("DATABASE_URL", "mysql://root@localhost/caseload")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("DATABASE_URL has an unsupported scheme"),
        "{err}"
    );

    // A data dir that cannot be created (its parent is a file).
    let blocker = app.data_dir.path().join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    let out = caseload(&app)
        .env("CASELOAD_DATA_DIR", blocker.join("data"))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("set CASELOAD_DATA_DIR to a folder this user can write"),
        "{err}"
    );

    let out = caseload(&app)
        .env("CASELOAD_LISTEN", "localhost")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("CASELOAD_LISTEN must be an address and port"));
}

#[test]
fn an_unreachable_postgres_fails_fast_with_the_real_error() {
    let app = TestApp::spawn();
    let started = std::time::Instant::now();
    let out = caseload(&app)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open the database postgres://nobody@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 20, "no 30-second pool wait");
}

#[test]
fn create_provider_reads_the_password_from_stdin_and_they_can_sign_in() {
    let app = TestApp::spawn();
    let mut child = caseload(&app)
        .args([
            "create-provider",
            "--email",
            "dr.okafor@example.com",
            "--first-name",
            "Sam",
            "--last-name",
            "Okafor",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created the provider Sam Okafor"));
    app.session().sign_in("dr.okafor@example.com", PASSWORD);

    // Too short a password is refused, and so is the same email again.
    let mut child = caseload(&app)
        .args([
            "create-provider",
            "--email",
            "new@example.com",
            "--first-name",
            "A",
            "--last-name",
            "B",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let mut child = caseload(&app)
        .args([
            "create-provider",
            "--email",
            "DR.OKAFOR@example.com",
            "--first-name",
            "Sam",
            "--last-name",
            "Okafor",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a provider with this email already exists")
    );
}

#[test]
fn seed_demo_fills_a_providers_list() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let out = caseload(&app)
        .args([
            "seed-demo",
            "--provider",
            "dr.rivera@example.com",
            "--clients",
            "75",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        clients::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        75
    );
    let (_, html) = s.get_text("/clients");
    assert!(html.contains("of 75 clients"));
    let out = caseload(&app)
        .args([
            "seed-demo",
            "--provider",
            "nobody@example.com",
            "--clients",
            "5",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no provider has the email nobody@example.com"));
}

#[test]
fn settings_come_from_caseload_toml_and_mistakes_in_it_are_named() {
    let app = TestApp::spawn();
    std::fs::write(
        app.data_dir.path().join("caseload.toml"),
        "listen = \"127.0.0.1:0\"\nopen_signupp = true\n",
    )
    .unwrap();
    let out = caseload(&app).arg("migrate").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("caseload.toml is not valid") && err.contains("open_signupp"),
        "{err}"
    );

    std::fs::write(
        app.data_dir.path().join("caseload.toml"),
        "max_document_bytes = 0\n",
    )
    .unwrap();
    let out = caseload(&app).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("CASELOAD_MAX_DOCUMENT_BYTES must be more than 0"));

    std::fs::write(
        app.data_dir.path().join("caseload.toml"),
        "db_pool_size = 2\n",
    )
    .unwrap();
    let out = caseload(&app).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is up to date"));
}

/// Runs the real server binary, does the things that carry client data (add a client,
/// search for them, open them), and checks that none of it reached the log.
#[test]
fn the_server_log_holds_no_client_data() {
    let app = TestApp::spawn();
    app.provider("dr.rivera@example.com", "Elena", "Rivera");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = caseload(&app)
        .env("CASELOAD_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    // The log is read as it is written: the server says when it listens.
    let stderr = server.stderr.take().unwrap();
    let (running, said_running) = std::sync::mpsc::channel();
    let log_reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut log = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("Caseload is running at") {
                let _ = running.send(());
            }
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    said_running
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the server says it is running");
    let s = Session::new(&base);
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let id = s.add_client(
        "Zebulon",
        "Quartermaine",
        "zq@example.com",
        &[
            ("phone", "415-555-2671"),
            ("insurance_member_id", "MEMBER778899"),
        ],
    );
    s.get(&format!("/clients/{id}"));
    s.get("/clients?q=Quartermaine");
    let billing = format!("/clients/{id}/billing");
    let r = s.submit(
        &billing,
        &format!("/clients/{id}/payment-method"),
        &[
            ("kind", "card"),
            ("number", "4242424242424242"),
            ("expiry", "12/39"),
            ("cvc", "987"),
            ("zip", "94110"),
        ],
    );
    assert_eq!(r.status(), 303);
    s.submit(
        &billing,
        &format!("/clients/{id}/payment-method"),
        &[
            ("kind", "card"),
            ("number", "4000056655665557"),
            ("expiry", "01/20"),
            ("cvc", "123"),
            ("zip", "1"),
        ],
    );
    s.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Bad"),
            ("last_name", "Input"),
            ("email", "not-an-email"),
        ],
    );
    server.kill().unwrap();
    let out = server.wait_with_output().unwrap();
    let log = format!(
        "{}{}",
        log_reader.join().unwrap(),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(log.contains("GET /clients"), "requests are logged: {log}");
    for secret in [
        "Zebulon",
        "Quartermaine",
        "zq@example.com",
        "415-555-2671",
        "MEMBER778899",
        "not-an-email",
    ] {
        assert!(!log.contains(secret), "{secret} reached the log:\n{log}");
    }
}

#[test]
fn import_reviews_a_list_then_imports_the_new_clients_once() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let file = app.data_dir.path().join("clients.csv");
    std::fs::write(
        &file,
        "\u{feff}First Name,Last Name,Email,Mobile Phone,Date of Birth,Insurance Company\r\n\
         Nia,Okafor,nia@example.com,(415) 555-0102,03/14/1985,Aetna\r\n\
         Ada,Lovelace,ADA@example.com,,,\r\n\
         Sam,,sam@example.com,,,\r\n\
         Nia,Okafor,nia@example.com,,,\r\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut cmd = caseload(&app);
        cmd.arg("import")
            .arg(&file)
            .args(["--provider", "dr.rivera@example.com"])
            .args(args);
        cmd.output().unwrap()
    };
    let out = run(&["--dry-run", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(report["format"], "csv");
    assert_eq!(
        report["summary"],
        serde_json::json!({"rows": 4, "new": 1, "existing": 1, "needs_review": 0, "invalid": 1, "duplicate_in_file": 1})
    );
    let nia = &report["clients"][0];
    assert_eq!(nia["row"], 2);
    assert_eq!(nia["status"], "new");
    assert_eq!(nia["selected"], true);
    assert_eq!(nia["date_of_birth"], "1985-03-14");
    assert_eq!(nia["matched_client_id"], serde_json::Value::Null);
    assert_eq!(report["clients"][1]["status"], "existing");
    assert!(report["clients"][1]["matched_client_id"].is_string());
    assert_eq!(report["clients"][2]["reasons"][0], "No last name.");
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Insurance and payment columns are not imported: Insurance Company"));
    assert_eq!(
        clients::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        1,
        "a dry run writes nothing"
    );

    let out = run(&["--invite"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("Imported 1 new client and queued their invitations"));
    let (_, list) = s.get_text("/clients");
    assert_eq!(listed_names(&list), ["Ada Lovelace", "Nia Okafor"]);
    assert!(s.get_text("/settings/outbox").1.contains("nia@example.com"));
    let (_, history) = s.get_text("/settings/imports");
    assert!(
        history.contains("clients.csv") && history.contains("by command line"),
        "the CLI's imports are in the history too: {history}"
    );

    // The same file again adds nobody.
    let out = run(&[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Imported 0 new clients"));
    assert_eq!(
        clients::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        2
    );

    // A file that is not a list fails with one line that says what to do.
    std::fs::write(&file, [0xD0, 0xCF, 0x11, 0xE0, 0, 0, 0, 0]).unwrap();
    let out = run(&[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap_or("")
            .contains("save it as .xlsx or as CSV"),
        "{err}"
    );
}

#[test]
fn the_json_report_carries_every_field_the_import_keeps() {
    let app = TestApp::spawn();
    app.signed_in();
    let file = app.data_dir.path().join("family.csv");
    std::fs::write(
        &file,
        "First Name,Last Name,Preferred Name,Email,Billing Type,Status,Guardian,Guardian Email,Guardian Phone\n\
         Robert,Okafor,Bob,okafor.family@example.com,Self-pay,Inactive,Maria Okafor,maria@example.com,555-555-0144\n\
         Grace,Okafor,,okafor.family@example.com,Insurance,Active,,,\n",
    )
    .unwrap();
    let out = caseload(&app)
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
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let (bob, grace) = (&report["clients"][0], &report["clients"][1]);
    assert_eq!(bob["preferred_name"], "Bob");
    assert_eq!(bob["billing_type"], "private_pay");
    assert_eq!(bob["archived"], true);
    assert_eq!(
        bob["contact"],
        serde_json::json!({"name": "Maria Okafor", "email": "maria@example.com", "phone": "555-555-0144"})
    );
    assert_eq!(grace["preferred_name"], serde_json::Value::Null);
    assert_eq!(grace["billing_type"], "insurance");
    assert_eq!(grace["archived"], false);
    assert_eq!(grace["contact"], serde_json::Value::Null);
    // They share an address: the household the review offers, with its contact.
    for person in [bob, grace] {
        assert_eq!(person["household"]["members"], serde_json::json!([1, 2]));
        assert_eq!(person["household"]["contact_name"], "Maria Okafor");
        assert_eq!(person["household"]["email"], "okafor.family@example.com");
    }
}

#[test]
fn import_refuses_a_file_over_the_upload_limit_before_reading_it() {
    let app = TestApp::spawn();
    let _s = app.signed_in();
    let file = app.data_dir.path().join("big.csv");
    let mut csv = String::from("First Name,Last Name,Email\n");
    for i in 0..100 {
        csv.push_str(&format!("Ann{i},Lee,ann{i}@example.com\n"));
    }
    std::fs::write(&file, &csv).unwrap();
    let out = caseload(&app)
        .env("CASELOAD_MAX_IMPORT_BYTES", "1KB")
        .arg("import")
        .arg(&file)
        .args(["--provider", "dr.rivera@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Caseload reads client lists of at most 1 KB")
            && err.contains("CASELOAD_MAX_IMPORT_BYTES"),
        "{err}"
    );
    assert_eq!(
        clients::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        0
    );
}

#[test]
fn import_applies_the_web_limits_on_what_a_file_holds() {
    let app = TestApp::spawn();
    let _s = app.signed_in();
    let file = app.data_dir.path().join("wide.csv");
    let mut csv = (0..300)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push_str("\nAnn\n");
    std::fs::write(&file, &csv).unwrap();
    let out = caseload(&app)
        .arg("import")
        .arg(&file)
        .args(["--provider", "dr.rivera@example.com", "--dry-run"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Row 1 has 300 columns; Caseload reads at most 200."),
        "{err}"
    );
}

/// A batch as a killed `caseload import` leaves it: analysed, its rows stored, never
/// imported; and as old as `hours`.
fn left_behind(app: &TestApp, origin: &str, hours: i64) -> String {
    use caseload::db::schema::{import_batches, providers};
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
    let now = caseload::models::now();
    let batch = import_batch::create(&mut conn, &scope, "list.csv", origin, now).unwrap();
    import_batch::start_analysis(&mut conn, &batch, now).unwrap();
    let analysed = caseload::import::analysis::analyse(
        b"First Name,Last Name,Email\nNia,Okafor,nia@example.com\nSam,Lee,sam@example.com\n",
        &Default::default(),
        &[],
        chrono::Utc::now().date_naive(),
        &mut |_| {},
    )
    .unwrap();
    import_batch::save_analysis(&mut conn, &batch, &analysed, "{}", now).unwrap();
    let then = chrono::Utc::now().naive_utc() - chrono::Duration::hours(hours);
    diesel::update(import_batches::table.filter(import_batches::id.eq(&batch.id)))
        .set(import_batches::updated_at.eq(then))
        .execute(&mut conn)
        .unwrap();
    batch.id.clone()
}

fn status_and_rows(app: &TestApp, id: &str) -> (String, i64) {
    use caseload::db::schema::{import_batches, import_rows};
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
fn a_killed_import_from_the_command_line_keeps_no_ones_details_past_a_day() {
    let app = TestApp::spawn();
    let _s = app.signed_in();
    let stale_cli = left_behind(&app, "cli", 25);
    let fresh_cli = left_behind(&app, "cli", 1);
    let web = left_behind(&app, "web", 25);
    assert_eq!(status_and_rows(&app, &stale_cli), ("ready".into(), 2));
    // At start-up the server expires it ...
    app.restart();
    assert_eq!(status_and_rows(&app, &stale_cli), ("cancelled".into(), 0));
    assert_eq!(status_and_rows(&app, &fresh_cli), ("ready".into(), 2));
    // ... and not a web upload waiting for its review (that waits 30 days).
    assert_eq!(status_and_rows(&app, &web), ("ready".into(), 2));
    // The next `caseload import` expires one too, server or no server.
    let another = left_behind(&app, "cli", 30);
    let file = app.data_dir.path().join("one.csv");
    std::fs::write(&file, "First Name,Last Name\nAda,Lovelace\n").unwrap();
    let out = caseload(&app)
        .arg("import")
        .arg(&file)
        .args(["--provider", "dr.rivera@example.com", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(status_and_rows(&app, &another), ("cancelled".into(), 0));
}
