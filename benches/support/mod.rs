//! What the benchmarks share: a fresh database (SQLite in a temp dir, or PostgreSQL when
//! BENCH_DATABASE_URL names a server), a provider, the real server, a signed-in client.
#![allow(dead_code)]

use std::sync::mpsc;

use caseload::config::{Config, FileSettings};
use caseload::db::{self, DatabaseUrl};
use caseload::domain::email::Email;
use caseload::domain::name::PersonName;
use caseload::models::provider::{self, Provider};
use caseload::passwords;
use diesel::{Connection, PgConnection, RunQueryDsl};

pub const PASSWORD: &str = "benchmark password";
pub const EMAIL: &str = "bench@example.com";

pub struct BenchDb {
    pub data_dir: tempfile::TempDir,
    pub url: DatabaseUrl,
    admin: Option<(String, String)>,
}

impl BenchDb {
    pub fn create() -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let admin = std::env::var("BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let db_name = format!("caseload_bench_{}", std::process::id());
        let url = match &admin {
            Some(admin) => {
                let mut conn =
                    PgConnection::establish(admin).expect("connect to BENCH_DATABASE_URL");
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
        BenchDb {
            data_dir,
            url,
            admin: admin.map(|a| (a, db_name)),
        }
    }

    pub fn pool(&self) -> db::Pool {
        db::connect_and_migrate(&self.url, 2).expect("database")
    }

    pub fn is_postgres(&self) -> bool {
        self.admin.is_some()
    }

    /// The server's own URL for `psql` (PostgreSQL only).
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.url {
            DatabaseUrl::Postgres(u) => Some(u),
            DatabaseUrl::Sqlite(_) => None,
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.admin {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

pub fn create_provider(conn: &mut db::DbConnection) -> Provider {
    provider::create(
        conn,
        provider::NewProvider {
            first_name: PersonName::parse("Bench", "first name").unwrap(),
            last_name: PersonName::parse("Mark", "last name").unwrap(),
            email: Email::parse(EMAIL).unwrap(),
            password_hash: passwords::hash(PASSWORD).unwrap(),
            time_zone: caseload::domain::time_zone::Zone::UTC,
        },
    )
    .expect("provider")
}

/// Starts the real app on the benchmark's database; returns its base URL.
pub fn start_server(db: &BenchDb) -> String {
    let mut config = Config::from_layers(FileSettings::default(), |_| None).expect("config");
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = db.data_dir.path().to_path_buf();
    config.database_url = db.url.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = caseload::build_app(config).expect("build_app");
            tx.send(app.port()).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    format!("http://127.0.0.1:{}", rx.recv().unwrap())
}

/// A browser-like client signed in as the benchmark's provider.
pub fn sign_in(base: &str) -> reqwest::blocking::Client {
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
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303, "sign in");
    http
}

/// Median and 95th percentile of `rounds` timed calls (after 10 to warm up), in ms.
pub fn time_requests(rounds: usize, mut call: impl FnMut()) -> (f64, f64) {
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds + 10 {
        let t = std::time::Instant::now();
        call();
        if i >= 10 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[rounds / 2], times[rounds * 95 / 100])
}

/// For a benchmark's child process: a connection to the benchmark's database, and the
/// import batch it is to work on with its provider, found as the import worker finds them.
pub fn open_batch(
    database_url: &str,
    batch_id: &str,
) -> (
    db::PooledConnection,
    caseload::models::scope::OwnedBatch,
    Provider,
) {
    let url = DatabaseUrl::parse(database_url).unwrap();
    let pool = db::connect_and_migrate(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let batch = caseload::models::unscoped::batch_for_worker(&mut conn, batch_id)
        .unwrap()
        .unwrap();
    let p = provider::find(&mut conn, batch.provider_id())
        .unwrap()
        .unwrap();
    (conn, batch, p)
}

/// A field of /proc/self/status in MB (Linux): VmHWM is the peak resident size, RssAnon
/// the heap and stacks now (without file pages such as SQLite's memory-mapped database).
pub fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// What [`seed_calendar`] made.
pub struct CalendarHistory {
    /// The benchmark provider (America/New_York), with 5 years of sessions behind `today`
    /// and 8 weeks ahead: 30 a week, Monday to Friday at 09, 10, 11, 13, 14 and 15.
    pub provider: Provider,
    pub sessions: usize,
    /// Sessions of the 100 other providers in the same database.
    pub others: usize,
    /// The Monday of the week holding `today` (weeks are seeded from it).
    pub this_monday: chrono::NaiveDate,
}

/// Seeds the calendar benchmarks' database: the provider's history as above, ending 8
/// weeks after `today`, and 100 other providers with 78 sessions each. `weeks_back` is
/// 260 (5 years) for a real run; the smoke pass under `cargo test` seeds a few.
pub fn seed_calendar(
    conn: &mut db::DbConnection,
    today: chrono::NaiveDate,
    weeks_back: i64,
) -> CalendarHistory {
    use caseload::domain::appointment::{Kind, Span, Status};
    use caseload::domain::time_zone::Zone;
    use caseload::models::appointment::{self, NewAppointment};
    use caseload::models::scope::Scope;
    use caseload::models::{client, service};
    use chrono::{Datelike, Duration, NaiveTime};
    use diesel::prelude::*;

    let p = create_provider(conn);
    diesel::update(caseload::db::schema::providers::table)
        .set(caseload::db::schema::providers::time_zone.eq("America/New_York"))
        .execute(conn)
        .expect("zone");
    let p = provider::find(conn, &p.id()).unwrap().unwrap();
    let zone = Zone::parse("America/New_York").unwrap();
    let now = caseload::models::now();
    let seed_clients = |conn: &mut db::DbConnection, scope: &Scope, n: usize, seed: u64| {
        client::insert_many(conn, scope, &caseload::seed::demo_clients(n, seed), now)
            .expect("clients");
        use caseload::db::schema::clients;
        clients::table
            .filter(clients::provider_id.eq(scope.provider_id().as_str()))
            .select(clients::id)
            .load::<String>(conn)
            .expect("ids")
    };
    let scope = Scope::of(&p);
    let clients = seed_clients(conn, &scope, 40, 7);
    let services = service::offered(conn, &scope, now).expect("services");
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let hours = [9, 10, 11, 13, 14, 15];
    let mut sessions = 0;
    for week in -weeks_back..8 {
        let monday = this_monday + Duration::weeks(week);
        let mut wanted = Vec::with_capacity(30);
        for day in 0..5 {
            for (slot, hour) in hours.iter().enumerate() {
                let local = (monday + Duration::days(day))
                    .and_time(NaiveTime::from_hms_opt(*hour, 0, 0).unwrap());
                let start = zone.to_utc(local).0;
                let n = (day as usize) * hours.len() + slot;
                let past = local.date() < today;
                wanted.push(NewAppointment {
                    kind: Kind::Session,
                    status: if past {
                        Status::Confirmed
                    } else {
                        Status::Scheduled
                    },
                    client_id: Some(clients[n % clients.len()].clone()),
                    service_id: Some(services[2 + n % 2].id.clone()),
                    span: Span {
                        start,
                        end: start + Duration::minutes(50),
                    },
                    location: Some("Telehealth".into()),
                    note: None,
                    contact_name: None,
                    contact_phone: None,
                });
            }
        }
        sessions += appointment::book(conn, &scope, &wanted, now)
            .expect("a week of sessions")
            .len();
    }
    let mut others = 0;
    for i in 0..100 {
        let other = provider::create(
            conn,
            provider::NewProvider {
                first_name: PersonName::parse("Other", "first name").unwrap(),
                last_name: PersonName::parse("Provider", "last name").unwrap(),
                email: Email::parse(&format!("other{i}@example.com")).unwrap(),
                password_hash: "not a real hash".into(),
                time_zone: Zone::parse("America/New_York").unwrap(),
            },
        )
        .expect("other provider");
        let scope = Scope::of(&other);
        let theirs = seed_clients(conn, &scope, 1, 100 + i as u64);
        let service = service::offered(conn, &scope, now)
            .expect("services")
            .remove(0);
        let wanted: Vec<NewAppointment> = (0..78)
            .map(|k| {
                // Every third week over the same years, at the bench provider's hours.
                let local = (this_monday + Duration::weeks(8 - 3 * k) + Duration::days(k % 5))
                    .and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap());
                let start = zone.to_utc(local).0;
                NewAppointment {
                    kind: Kind::Session,
                    status: Status::Scheduled,
                    client_id: Some(theirs[0].clone()),
                    service_id: Some(service.id.clone()),
                    span: Span {
                        start,
                        end: start + Duration::minutes(50),
                    },
                    location: None,
                    note: None,
                    contact_name: None,
                    contact_phone: None,
                }
            })
            .collect();
        others += appointment::book(conn, &scope, &wanted, now)
            .expect("other sessions")
            .len();
    }
    if let db::DbConnection::Postgres(c) = conn {
        diesel::sql_query("ANALYZE").execute(c).expect("analyze");
    }
    CalendarHistory {
        provider: p,
        sessions,
        others,
        this_monday,
    }
}
