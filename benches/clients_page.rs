//! Clients page with 100,000 clients: first page, a search, a filter, newest first.
//! Drives the real app over HTTP on loopback and reports the median and 95th percentile
//! of the whole request time (an upper bound on server time).
//!
//!   cargo bench --bench clients_page                                  # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench clients_page                                # PostgreSQL

use std::sync::mpsc;
use std::time::{Duration, Instant};

use caseload::config::{Config, FileSettings};
use caseload::db::{self, DatabaseUrl};
use caseload::domain::email::Email;
use caseload::domain::name::PersonName;
use caseload::models::{client, provider};
use caseload::{passwords, seed};
use diesel::{Connection, PgConnection, RunQueryDsl};

const CLIENTS: usize = 100_000;
const ROUNDS: usize = 200;
const PASSWORD: &str = "benchmark password";

fn main() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let admin = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let db_name = format!("caseload_bench_{}", std::process::id());
    let database_url = match &admin {
        Some(admin) => {
            let mut conn = PgConnection::establish(admin).expect("connect to BENCH_DATABASE_URL");
            diesel::sql_query(format!("CREATE DATABASE {db_name}"))
                .execute(&mut conn)
                .expect("create database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or_else(|| admin.clone());
            DatabaseUrl::Postgres(format!("{base}/{db_name}"))
        }
        None => DatabaseUrl::Sqlite(
            data_dir
                .path()
                .join("caseload.db")
                .to_string_lossy()
                .into_owned(),
        ),
    };
    println!(
        "backend: {}",
        if admin.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let pool = db::connect_and_migrate(&database_url, 2).expect("database");
    let mut conn = pool.get().expect("connection");
    let p = provider::create(
        &mut conn,
        provider::NewProvider {
            first_name: PersonName::parse("Bench", "first name").unwrap(),
            last_name: PersonName::parse("Mark", "last name").unwrap(),
            email: Email::parse("bench@example.com").unwrap(),
            password_hash: passwords::hash(PASSWORD).unwrap(),
        },
    )
    .expect("provider");
    let started = Instant::now();
    client::insert_many(&mut conn, &p.id(), &seed::demo_clients(CLIENTS, 42)).expect("seed");
    println!(
        "seeded {CLIENTS} clients in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let db::DbConnection::Postgres(c) = &mut *conn {
        diesel::sql_query("ANALYZE").execute(c).expect("analyze");
    }
    drop(conn);
    drop(pool);

    let mut config = Config::from_layers(FileSettings::default(), |_| None).expect("config");
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = data_dir.path().to_path_buf();
    config.database_url = database_url;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = caseload::build_app(config).expect("build_app");
            tx.send(app.port()).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    let base = format!("http://127.0.0.1:{}", rx.recv().unwrap());
    let http = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .get(format!("{base}/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let token = login
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "bench@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303, "sign in");

    println!(
        "{:<36} {:>10} {:>10} {:>8}",
        "page", "median", "p95", "rows"
    );
    for (label, path) in [
        ("first page", "/clients"),
        ("search \"garc\"", "/clients?q=garc"),
        ("search by phone \"415 555\"", "/clients?q=415+555"),
        ("filter Needs forms", "/clients?status=needs-forms"),
        (
            "filter Ready to schedule, page 20",
            "/clients?status=ready&page=20",
        ),
        ("newest first", "/clients?sort=added"),
    ] {
        let url = format!("{base}{path}");
        let mut times = Vec::with_capacity(ROUNDS);
        let mut rows = 0;
        for i in 0..ROUNDS + 10 {
            let t = Instant::now();
            let body = http.get(&url).send().unwrap().text().unwrap();
            let elapsed = t.elapsed();
            if i >= 10 {
                times.push(elapsed);
            }
            rows = body.matches("<tr>").count().saturating_sub(1);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{label:<36} {:>8.2}ms {:>8.2}ms {rows:>8}",
            ms(times[ROUNDS / 2]),
            ms(times[ROUNDS * 95 / 100])
        );
    }

    if let Some(admin) = admin {
        if let Ok(mut conn) = PgConnection::establish(&admin) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}
