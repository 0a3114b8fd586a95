//! The booking link's free times with 5 years of history (30 sessions a week, about 7,800
//! sessions, and 8 weeks ahead already booked the same way) and 100 other providers'
//! sessions in the same database: the free slots for all 8 weeks offered (the queries
//! and the rule, in process), and the booking page for a week over HTTP on loopback (an
//! upper bound on server time). Goal: 8 weeks' free slots in under 30 ms median.
//!
//!   cargo bench --bench booking_slots                                 # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench booking_slots                               # PostgreSQL

mod support;

use std::time::Instant;

use caseload::domain::free_slots::WEEKS_AHEAD;
use caseload::models::scope::Scope;
use caseload::models::working_hours::{self, CalendarRules, Hours};
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
    // Weekdays 08:00–18:00, the shipped booking settings (the intake, 2 hours' notice).
    let scope = Scope::of(&history.provider);
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let hours: Vec<Hours> = (0..5)
        .map(|weekday| Hours {
            weekday,
            starts: t(8),
            ends: t(18),
        })
        .collect();
    let rules = CalendarRules {
        policy: caseload::domain::session_rules::CancellationPolicy::None,
        fee_cents: 0,
        reminder_hours: 24,
        video_link: None,
        office_address: None,
        booking_notice_hours: 2,
        booking_service_id: None,
        email_booking_requests: true,
    };
    working_hours::save(&mut conn, &scope, &hours, &rules).expect("hours");
    let token = caseload::models::booking::regenerate(&mut conn, &scope).expect("token");
    let provider = caseload::models::provider::find(&mut conn, &history.provider.id())
        .expect("provider")
        .expect("provider");
    let zone = provider.zone();
    let today = zone.date_of(&now);
    let last = today + Duration::weeks(WEEKS_AHEAD);

    let mut count = 0;
    let (median, p95) = support::time_requests(rounds(), || {
        let offer = caseload::services::booking::offer(&mut conn, &provider, (today, last), now)
            .expect("offer")
            .expect("a service");
        count = offer.offer().slots(today, last).len();
    });
    // Every weekday the seeded sessions leave 08:00, 12:00, 16:00 and 17:00 (and the
    // half hours that fit): the offer is never empty.
    assert!(count > 8 * 5, "{count} free times");
    drop(conn);
    drop(pool);

    let base = support::start_server(&bench);
    let http = reqwest::blocking::Client::new();
    println!("{:<44} {:>10} {:>10}", "", "median", "p95");
    println!(
        "{:<44} {median:>8.2}ms {p95:>8.2}ms",
        format!("free slots, 8 weeks ({count} times)")
    );
    // Next week, not this one: late on a Sunday this week has no free time left.
    for (label, week) in [("booking page, next week", 1), ("booking page, week 8", 8)] {
        let url = format!("{base}/book/{token}?week={week}");
        let (median, p95) = support::time_requests(rounds(), || {
            let r = http.get(&url).send().unwrap();
            assert_eq!(r.status(), 200);
            assert!(r.text().unwrap().contains("booking-times"));
        });
        println!("{label:<44} {median:>8.2}ms {p95:>8.2}ms");
    }
}
