//! The calendar with 5 years of history (30 sessions a week, about 7,800 sessions) and
//! 100 other providers' sessions in the same database: the week view, the month view
//! (whole requests over HTTP on loopback, an upper bound on server time), and checking a
//! 300-occurrence weekly series against the calendar (the one range query and the
//! comparison, as booking runs it).
//!
//!   cargo bench --bench calendar                                      # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench calendar                                    # PostgreSQL

mod support;

use std::time::Instant;

use caseload::domain::appointment::{Kind, Span, Status};
use caseload::domain::time_zone::Zone;
use caseload::models::appointment::{self, NewAppointment};
use caseload::models::scope::Scope;
use chrono::{Duration, NaiveTime};

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
    let today = caseload::models::now().date();
    let started = Instant::now();
    let history = support::seed_calendar(&mut conn, today, weeks_back());
    println!(
        "seeded {} sessions (+{} of 100 other providers) in {:.1} s",
        history.sessions,
        history.others,
        started.elapsed().as_secs_f64()
    );

    // A weekly series of 300 at 12:00 from this Monday, one of them over a session.
    let zone = Zone::parse("America/New_York").unwrap();
    let scope = Scope::of(&history.provider);
    let mut series: Vec<NewAppointment> = (0..300)
        .map(|k| {
            let local = (history.this_monday + Duration::weeks(k))
                .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap());
            let start = zone.to_utc(local).0;
            NewAppointment {
                kind: Kind::Session,
                status: Status::Scheduled,
                client_id: None,
                service_id: None,
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
    let busy = zone
        .to_utc(
            (history.this_monday + Duration::weeks(2))
                .and_time(NaiveTime::from_hms_opt(10, 30, 0).unwrap()),
        )
        .0;
    series[2].span = Span {
        start: busy,
        end: busy + Duration::minutes(50),
    };
    let mut found = 0;
    let (median, p95) = support::time_requests(rounds(), || {
        found = appointment::conflicts(&mut conn, &scope, &series)
            .expect("conflicts")
            .len();
    });
    assert_eq!(found, 1, "the one occurrence over a session is found");
    drop(conn);
    drop(pool);

    let base = support::start_server(&bench);
    let http = support::sign_in(&base);
    println!("{:<44} {:>10} {:>10}", "", "median", "p95");
    println!(
        "{:<44} {median:>8.2}ms {p95:>8.2}ms",
        "conflict check, 300 weekly occurrences"
    );
    let week = history.this_monday.format("%Y-%m-%d");
    let last_year =
        (history.this_monday - Duration::weeks(52.min(weeks_back()))).format("%Y-%m-%d");
    for (label, path, expect) in [
        (
            "week view, this week",
            format!("/calendar?date={week}"),
            "entry",
        ),
        (
            "week view, a year ago",
            format!("/calendar?date={last_year}"),
            "entry",
        ),
        (
            "day view",
            format!("/calendar?view=day&date={week}"),
            "entry",
        ),
        (
            "month view",
            format!("/calendar?view=month&date={week}"),
            "session",
        ),
    ] {
        let url = format!("{base}{path}");
        let (median, p95) = support::time_requests(rounds(), || {
            let r = http.get(&url).send().unwrap();
            assert_eq!(r.status(), 200);
            assert!(r.text().unwrap().contains(expect));
        });
        println!("{label:<44} {median:>8.2}ms {p95:>8.2}ms");
    }
}
