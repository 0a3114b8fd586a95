//! The pages with a list beside the Clients tab, each with 100,000 rows behind it: the
//! Outbox (100,000 emails), Settings → Imports, the calendar's week, month and waiting
//! requests (100,000 sessions: 30 a week for 64 years), and a client's profile — with
//! 100,000 clients on the list. Whole requests over HTTP on loopback (an upper bound on
//! server time); median and 95th percentile. (The calendar with 5 years of sessions, and
//! the check of a series against it, have their own benchmark, `calendar`.)
//!
//!   cargo bench --bench list_pages                                    # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench list_pages                                  # PostgreSQL

mod support;

use std::time::Instant;

use caseload::db::ids::ProviderId;
use caseload::models::scope::Scope;
use caseload::models::{client, outbox};
use caseload::seed;
use diesel::Connection;

/// Rows of each kind under `cargo bench`; `cargo test --all-targets` runs a smoke pass.
fn rows() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        500
    }
}

/// Weeks of sessions, 30 a week: 100,020 sessions under `cargo bench`.
fn weeks() -> i64 {
    if std::env::args().any(|a| a == "--bench") {
        3_334
    } else {
        4
    }
}

fn rounds() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        5
    }
}

fn main() {
    caseload::allocator::configure();
    let bench = support::BenchDb::create();
    let pool = bench.pool();
    let mut conn = pool.get().expect("connection");
    let started = Instant::now();
    let now = caseload::models::now();
    let history = support::seed_calendar(&mut conn, now.date(), weeks());
    let p = history.provider;
    let scope = Scope::of(&p);
    client::insert_many(&mut conn, &scope, &seed::demo_clients(rows(), 42), now).expect("clients");
    let provider_id: ProviderId = p.id();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for i in 0..rows() {
            let to = format!("client{i}@example.com");
            let at = now - chrono::Duration::minutes(i as i64);
            outbox::queue(
                conn,
                &outbox::NewEmail {
                    provider_id: &provider_id,
                    client_id: None,
                    kind: "session_reminder",
                    to: &to,
                    subject: "Your session tomorrow",
                    text: "A reminder of your session tomorrow at 10:00.",
                    html: "<p>A reminder of your session tomorrow at 10:00.</p>",
                    action_url: None,
                    send_after: at,
                    queued_at: at,
                    calendar_ics: None,
                },
            )?;
        }
        Ok(())
    })
    .expect("emails");
    caseload::db::refresh_statistics(&mut conn).expect("statistics");
    if let caseload::db::DbConnection::Postgres(c) = &mut *conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("ANALYZE").execute(c).expect("analyze");
    }
    let some_client = client::list(
        &mut conn,
        &scope,
        &client::ClientQuery {
            page: 1,
            ..Default::default()
        },
    )
    .expect("list")
    .rows
    .remove(0)
    .id;
    println!(
        "seeded {} clients, {} emails and {} sessions in {:.1} s",
        rows(),
        rows(),
        history.sessions,
        started.elapsed().as_secs_f64()
    );
    drop(conn);
    drop(pool);

    let base = support::start_server(&bench);
    let http = support::sign_in(&base);
    println!("{:<36} {:>10} {:>10}", "page", "median", "p95");
    for (label, path) in [
        ("Settings → Outbox", "/settings/outbox".to_string()),
        ("Settings → Imports", "/settings/imports".to_string()),
        ("Settings", "/settings".to_string()),
        ("calendar, this week", "/calendar".to_string()),
        ("calendar, month", "/calendar?view=month".to_string()),
        ("booking requests", "/calendar/requests".to_string()),
        ("a client's profile", format!("/clients/{some_client}")),
    ] {
        let url = format!("{base}{path}");
        let (median, p95) = support::time_requests(rounds(), || {
            let r = http.get(&url).send().expect("request");
            assert!(r.status().is_success(), "{label}: {}", r.status());
            r.text().expect("body");
        });
        println!("{label:<36} {median:>8.2}ms {p95:>8.2}ms");
    }
}
