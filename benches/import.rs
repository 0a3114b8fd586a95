//! Importing a 100,000-row client list against a provider who has 100,000 clients:
//! analysis (parse, validate, match) and its peak memory, the review page, the import
//! itself next to the database's own load of the same rows into Caseload's tables and
//! next to `sqlite3`'s `.import` (or PostgreSQL's `COPY`) into a table with only the
//! unique index, and a 100,000-row .xlsx next to calamine alone.
//!
//!   cargo bench --bench import                                        # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench import                                      # PostgreSQL
//!   XLSX_ONLY=1 cargo bench --bench import                            # the .xlsx part alone
//!
//! Needs the `sqlite3` and `psql` programs for the baselines (Debian: sqlite3,
//! postgresql-client).

mod support;

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use caseload::db::DbConnection;
use caseload::import::analysis;
use caseload::import::extract::ExtractOptions;
use caseload::import_jobs::{self, Outcome};
use caseload::models::{client, import_batch};
use caseload::seed;

/// The list's length under `cargo bench`; `cargo test --all-targets` runs a short smoke
/// pass of the same code instead.
fn rows() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        2_000
    }
}

fn seconds(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Samples RssAnon every few milliseconds until dropped; `peak()` is the highest seen.
struct AnonPeak {
    peak: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AnonPeak {
    fn start() -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let peak = std::sync::Arc::new(AtomicU64::new(0));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let now = (support::status_mb("RssAnon:") * 1024.0) as u64;
                p.fetch_max(now, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        });
        AnonPeak { peak, stop }
    }

    fn peak_mb(&self) -> f64 {
        self.peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for AnonPeak {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn list_csv(rows: usize) -> String {
    let mut csv = String::from("First Name,Last Name,Email,Mobile Phone,Date of Birth\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Jordan{i},Imported{},jordan.{i}@import.example.com,415555{:04},{:02}/{:02}/19{:02}\n",
            i % 977,
            i % 10_000,
            1 + i % 12,
            1 + i % 28,
            40 + i % 60
        ));
    }
    csv
}

/// Child mode: analyse the batch as the web worker does, in a fresh process, and report
/// the time and this process's peak memory.
fn measure_analysis(database_url: &str, batch_id: &str, file: &str) {
    let (mut conn, batch, p) = support::open_batch(database_url, batch_id);
    let bytes = std::fs::read(file).unwrap();
    let anon = AnonPeak::start();

    let t = Instant::now();
    let existing =
        client::for_matching(&mut conn, &caseload::models::scope::Scope::of(&p)).unwrap();
    let load = seconds(t);
    let t = Instant::now();
    let a = analysis::analyse(
        &bytes,
        &ExtractOptions::default(),
        &existing,
        chrono::Utc::now().date_naive(),
        &mut |_| {},
    )
    .unwrap();
    let pure = seconds(t);
    drop(a);
    let existing_count = existing.len();
    drop(existing);
    import_batch::start_analysis(&mut conn, &batch, caseload::models::now()).unwrap();
    let t = Instant::now();
    let clock = caseload::clock::Clock::system();
    let outcome =
        import_jobs::analyse_batch(&mut conn, &batch, &bytes, &clock, &mut |_, _| {}).unwrap();
    let whole = seconds(t);
    assert!(matches!(outcome, Outcome::Ready(_)));
    let existing = existing_count;
    println!("  loading the {existing} clients to match against: {load:.3} s");
    println!("  analysis (parse, validate, match):            {pure:.3} s");
    println!("  the worker's whole job (load, analyse, store the review rows): {whole:.3} s");
    println!(
        "  peak memory of that process: {:.0} MB resident in all (VmHWM), {:.0} MB of it heap (peak RssAnon; the rest is the database file mapped by SQLite)",
        support::status_mb("VmHWM:"),
        anon.peak_mb()
    );
}

/// How long the database itself takes to load the file into Caseload's own tables — the
/// clients table with its indexes and count trigger, and an audit row per client — in
/// one transaction: the floor under any import. Rolled back so the list is as it was, or
/// (SQLite, `kept_in`: a copy of the database made for it) committed as an import is —
/// with `synchronous = FULL`, as Caseload runs SQLite, so that it pays the same commit.
fn schema_floor(
    bench: &support::BenchDb,
    provider_id: &str,
    file: &std::path::Path,
    kept_in: Option<&std::path::Path>,
) -> f64 {
    let columns = "id, provider_id, first_name, last_name, email, email_normalized, phone, phone_e164, phone_digits, date_of_birth, billing_type, notify_requested, search_name, sort_name, created_at, updated_at";
    let audit = "id, provider_id, client_id, action, subject, ip, created_at";
    let (program, args, script) = if let Some(pg) = bench.postgres_url() {
        let script = format!(
            "BEGIN;
CREATE TEMP TABLE s (first_name TEXT, last_name TEXT, email TEXT, mobile TEXT, dob TEXT);
\\copy s FROM '{file}' CSV HEADER
WITH added AS (INSERT INTO clients ({columns}) SELECT gen_random_uuid()::text, '{provider_id}', first_name, last_name, email, lower(email), mobile, '+1' || mobile, mobile, to_date(dob, 'MM/DD/YYYY'), 'insurance', false, lower(first_name || ' ' || last_name), lower(last_name || ' ' || first_name), now(), now() FROM s RETURNING id, created_at)
INSERT INTO audit_events ({audit}) SELECT gen_random_uuid()::text, '{provider_id}', id, 'client.imported', 'floor', NULL, created_at FROM added;
ROLLBACK;
",
            file = file.display()
        );
        (
            "psql",
            vec![
                pg.to_string(),
                "-q".into(),
                "-v".into(),
                "ON_ERROR_STOP=1".into(),
            ],
            script,
        )
    } else {
        let finish = if kept_in.is_some() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        // As Caseload's import commits: into the log, which is written back into the
        // database file afterwards (`db::bulk_write_transaction`).
        let script = format!(
            "PRAGMA foreign_keys = ON;
PRAGMA synchronous = FULL;
PRAGMA wal_autocheckpoint = 0;
PRAGMA cache_size = -400000;
.bail on
BEGIN;
CREATE TEMP TABLE s (first_name TEXT, last_name TEXT, email TEXT, mobile TEXT, dob TEXT);
.import --csv --skip 1 {file} s
INSERT INTO clients ({columns}) SELECT lower(hex(randomblob(16))), '{provider_id}', first_name, last_name, email, lower(email), mobile, '+1' || mobile, mobile, dob, 'insurance', 0, lower(first_name || ' ' || last_name), lower(last_name || ' ' || first_name), datetime('now'), datetime('now') FROM s;
INSERT INTO audit_events ({audit}) SELECT lower(hex(randomblob(16))), '{provider_id}', c.id, 'client.imported', 'floor', NULL, c.created_at FROM s JOIN clients c ON c.provider_id = '{provider_id}' AND c.email_normalized = lower(s.email);
{finish};
",
            file = file.display()
        );
        let db = kept_in.map_or_else(
            || bench.url.connection_string().to_string(),
            |p| p.to_string_lossy().into_owned(),
        );
        ("sqlite3", vec![db], script)
    };
    run_script(program, &args, &script)
}

/// Runs `program args` with `script` on its standard input; the seconds from handing it
/// the script to its exit. It must succeed and print no error.
fn run_script(program: &str, args: &[String], script: &str) -> f64 {
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect(program);
    let t = Instant::now();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let took = seconds(t);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn main() {
    caseload::allocator::configure();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("measure-analysis") {
        measure_analysis(&args[2], &args[3], &args[4]);
        return;
    }
    let rows = rows();
    // The .xlsx part needs no database: alone, it runs in seconds.
    if std::env::var("XLSX_ONLY").is_ok() {
        xlsx_part(rows, &[]);
        return;
    }
    let bench = support::BenchDb::create();
    let pool = bench.pool();
    let mut conn = pool.get().expect("connection");
    let p = support::create_provider(&mut conn);
    let t = Instant::now();
    client::insert_many(
        &mut conn,
        &caseload::models::scope::Scope::of(&p),
        &seed::demo_clients(rows, 7),
        caseload::models::now(),
    )
    .expect("seed");
    println!("seeded {rows} existing clients in {:.1} s", seconds(t));
    if let DbConnection::Postgres(c) = &mut *conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("ANALYZE").execute(c).expect("analyze");
    }

    let file = bench.data_dir.path().join("list.csv");
    std::fs::write(&file, list_csv(rows)).unwrap();
    let batch = import_batch::create(
        &mut conn,
        &caseload::models::scope::Scope::of(&p),
        "list.csv",
        "web",
        caseload::models::now(),
    )
    .unwrap();

    println!("\n{rows}-row CSV against {rows} clients");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "measure-analysis",
            bench.url.connection_string(),
            &batch.id,
            &file.to_string_lossy(),
        ])
        .status()
        .unwrap();
    assert!(child.success());

    let base = support::start_server(&bench);
    let http = support::sign_in(&base);
    for (label, path) in [
        (
            "review page, first 50 rows",
            format!("/clients/import/{}", batch.id),
        ),
        (
            "review page, page 1,000",
            format!("/clients/import/{}?page=1000", batch.id),
        ),
        (
            "review page, filter New, page 500",
            format!("/clients/import/{}?show=new&page=500", batch.id),
        ),
    ] {
        let url = format!("{base}{path}");
        let (median, p95) = support::time_requests(50, || {
            let r = http.get(&url).send().unwrap();
            assert_eq!(r.status(), 200);
            r.text().unwrap();
        });
        println!("  {label:<40} median {median:.2} ms, p95 {p95:.2} ms (whole HTTP round trip)");
    }

    // The floor wanders by a sixth from one run to the next on a busy machine: the median
    // of three (each rolled back, so each meets the same list).
    let mut floors: Vec<f64> = (0..3)
        .map(|_| schema_floor(&bench, p.id().as_str(), &file, None))
        .collect();
    floors.sort_by(f64::total_cmp);
    let floor = floors[1];
    let floor_kept = (!bench.is_postgres()).then(|| {
        // A copy of the database as it is (its log written back first) takes the load.
        if let DbConnection::Sqlite(c) = &mut *conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .expect("checkpoint");
        }
        let (db, copy) = (
            bench.url.connection_string(),
            bench.data_dir.path().join("floor.db"),
        );
        std::fs::copy(db, &copy).expect("copy of the database");
        // What the checkpoint could not write back (a reader held it) goes with it.
        let log = copy.with_extension("db-wal");
        if std::path::Path::new(&format!("{db}-wal")).exists() {
            std::fs::copy(format!("{db}-wal"), &log).expect("copy of the log");
        }
        // Another connection on the copy, so that sqlite3 is not the last to close it and
        // does not write the log back before it exits.
        let holder = {
            use diesel::Connection;
            diesel::SqliteConnection::establish(&copy.to_string_lossy()).expect("open the copy")
        };
        let took = schema_floor(&bench, p.id().as_str(), &file, Some(&copy));
        drop(holder);
        let _ = std::fs::remove_file(&log);
        std::fs::remove_file(&copy).expect("remove the copy");
        took
    });

    let t = Instant::now();
    let outcome = import_batch::commit(&mut conn, &batch, None, caseload::models::now()).unwrap();
    let ours = seconds(t);
    assert_eq!(outcome.imported as usize, rows);
    let t = Instant::now();
    caseload::db::checkpoint(&mut conn).expect("checkpoint");
    let written_back = seconds(t);
    println!("  import of {rows} new clients (one transaction, with audit entries): {ours:.2} s");
    let parts = outcome.timings;
    let inside = parts.loading + parts.writing + parts.finishing;
    println!(
        "    reading the selected rows back {:.2} s; checking and writing clients and audit entries {:.2} s (their details prepared meanwhile on a second thread); counts, upload and rows let go {:.2} s; the rest, mostly the commit, {:.2} s",
        parts.loading.as_secs_f64(),
        parts.writing.as_secs_f64(),
        parts.finishing.as_secs_f64(),
        ours - inside.as_secs_f64()
    );
    if !bench.is_postgres() {
        println!("  then, on a thread of its own after the request: SQLite's log written back into the database file, {written_back:.2} s");
    }
    println!(
        "  the database's own load of the same rows into Caseload's clients table (its indexes, count trigger, an audit row each; rolled back): {floor:.2} s (median of {:.2}, {:.2}, {:.2} s) → ratio {:.2}×",
        floors[0],
        floors[1],
        floors[2],
        ours / floor
    );
    if let Some(kept) = floor_kept {
        println!(
            "  the same load committed as an import is (into a copy of the database; synchronous = FULL, the log written back afterwards): {kept:.2} s → ratio {:.2}×",
            ours / kept
        );
    }

    let table = "(first_name TEXT, last_name TEXT, email TEXT, mobile TEXT, dob TEXT)";
    let baseline = if let Some(pg) = bench.postgres_url() {
        let script = format!(
            "CREATE TABLE copy_baseline {table};
CREATE UNIQUE INDEX copy_baseline_email ON copy_baseline (email);
\\copy copy_baseline FROM '{}' CSV HEADER
",
            file.display()
        );
        let args = [
            pg.to_string(),
            "-q".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
        ];
        (
            "psql COPY into a table with a unique index",
            run_script("psql", &args, &script),
        )
    } else {
        let db = bench.data_dir.path().join("baseline.db");
        let script = format!(
            "CREATE TABLE t {table};\nCREATE UNIQUE INDEX t_email ON t (email);\n.import --csv --skip 1 {} t\n",
            file.display()
        );
        (
            "sqlite3 .import into a table with a unique index",
            run_script("sqlite3", &[db.to_string_lossy().into_owned()], &script),
        )
    };
    println!(
        "  {}: {:.2} s → ratio {:.2}×",
        baseline.0,
        baseline.1,
        ours / baseline.1
    );

    let existing =
        client::for_matching(&mut conn, &caseload::models::scope::Scope::of(&p)).unwrap();
    xlsx_part(rows, &existing);
}

fn xlsx_part(rows: usize, existing: &[caseload::import::matching::ExistingClient]) {
    println!("\n{rows}-row .xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "First Name",
        "Last Name",
        "Email",
        "Mobile Phone",
        "Date of Birth",
    ]
    .iter()
    .enumerate()
    {
        sheet.write(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        sheet.write(r, 0, format!("Casey{i}")).unwrap();
        sheet.write(r, 1, format!("Sheet{}", i % 977)).unwrap();
        sheet
            .write(r, 2, format!("casey.{i}@sheet.example.com"))
            .unwrap();
        sheet
            .write(r, 3, 4_155_550_000.0 + (i % 10_000) as f64)
            .unwrap();
        sheet.write(r, 4, 20_000.0 + (i % 20_000) as f64).unwrap();
    }
    let xlsx = book.save_to_buffer().unwrap();
    let calamine_alone = || {
        use calamine::Reader;
        let t = Instant::now();
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(&xlsx[..])).unwrap();
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).unwrap();
        assert!(range.height() > rows);
        seconds(t)
    };
    let our_read = || {
        let t = Instant::now();
        let table = caseload::import::xlsx::read_sheet(&xlsx, None, &|_| false).unwrap();
        assert_eq!(table.rows.len(), rows);
        seconds(t)
    };
    let our_analysis = |against: &[caseload::import::matching::ExistingClient]| {
        let t = Instant::now();
        let a = analysis::analyse(
            &xlsx,
            &ExtractOptions::default(),
            against,
            chrono::Utc::now().date_naive(),
            &mut |_| {},
        )
        .unwrap();
        let took = seconds(t);
        assert_eq!(a.rows.len(), rows);
        took
    };
    // Interleaved rounds: one run of each is at the mercy of the machine. The fastest
    // round is the time the work takes undisturbed; the median is shown beside it.
    let rounds = 7;
    let (mut calamine, mut read, mut alone, mut against) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        calamine.push(calamine_alone());
        read.push(our_read());
        alone.push(our_analysis(&existing[..0]));
        if !existing.is_empty() {
            against.push(our_analysis(existing));
        }
    }
    let fastest_and_median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2])
    };
    let calamine = fastest_and_median(calamine);
    println!("  fastest (median) of {rounds} interleaved rounds:");
    println!(
        "  calamine alone reading the sheet:      {:.3} s ({:.3} s)",
        calamine.0, calamine.1
    );
    let line = |label: &str, times: Vec<f64>| {
        let t = fastest_and_median(times);
        println!(
            "  {label:<38} {:.3} s ({:.3} s) → ratio {:.2}× ({:.2}×)",
            t.0,
            t.1,
            t.0 / calamine.0,
            t.1 / calamine.1
        );
    };
    line("our reading of the sheet into a table:", read);
    line("our analysis, against an empty list:", alone);
    if !existing.is_empty() {
        line(
            &format!("our analysis, against {} clients:", existing.len()),
            against,
        );
    }
}
