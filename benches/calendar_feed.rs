//! The provider's calendar feed with 5 years of history (30 sessions a week, about 7,800
//! sessions) and 100 other providers' sessions in the same database: building the feed
//! in process (a year back to all ahead, with its VTIMEZONE), and the whole response over
//! HTTP on loopback (an upper bound on server time). Goal: median under 150 ms.
//!
//!   cargo bench --bench calendar_feed                                 # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench calendar_feed                               # PostgreSQL

mod support;

use std::time::Instant;

use caseload::models::calendar_feed;
use caseload::models::scope::Scope;
use diesel::prelude::*;

/// Weeks of history under `cargo bench`; `cargo test --all-targets` runs a smoke pass.
fn weeks_back() -> i64 {
    if std::env::args().any(|a| a == "--bench") {
        260
    } else {
        4
    }
}

fn rounds() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        50
    } else {
        3
    }
}

fn main() {
    use caseload::db::schema::providers;
    caseload::allocator::configure();
    let bench = support::BenchDb::create();
    let pool = bench.pool();
    let mut conn = pool.get().expect("connection");
    let now = caseload::models::now();
    let started = Instant::now();
    let history = support::seed_calendar(&mut conn, now.date(), weeks_back());
    println!(
        "seeded {} sessions (+{} of 100 other providers) in {:.1} s ({})",
        history.sessions,
        history.others,
        started.elapsed().as_secs_f64(),
        if bench.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    diesel::update(providers::table.find(&history.provider.id))
        .set(providers::time_zone.eq("America/New_York"))
        .execute(&mut *conn)
        .expect("zone");
    let provider = caseload::models::provider::find(&mut conn, &history.provider.id())
        .expect("provider")
        .expect("provider");
    let feed = calendar_feed::turn_on(&mut conn, &Scope::of(&provider), now).expect("feed");

    let mut events = 0;
    let (median, p95) = support::time_requests(rounds(), || {
        let text = caseload::calendar_files::build_provider_feed(&mut conn, &provider, false, now)
            .expect("feed");
        events = text.matches("BEGIN:VEVENT").count();
    });
    println!("{:<44} {:>10} {:>10}", "", "median", "p95");
    println!(
        "{:<44} {median:>8.2}ms {p95:>8.2}ms",
        format!("feed built in process ({events} events)")
    );
    assert!(events > 0, "the feed has the provider's entries");

    let base = support::start_server(&bench);
    let http = reqwest::blocking::Client::new();
    let url = format!("{base}/calendar/feed/{}.ics", feed.token);
    let (median, p95) = support::time_requests(rounds(), || {
        let r = http.get(&url).send().expect("GET");
        assert_eq!(r.status(), 200);
        r.bytes().expect("body");
    });
    println!(
        "{:<44} {median:>8.2}ms {p95:>8.2}ms",
        "GET /calendar/feed/{token}.ics"
    );
}
