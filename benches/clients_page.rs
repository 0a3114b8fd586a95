//! Clients page with 100,000 clients: first page, a search, a filter, newest first.
//! Drives the real app over HTTP on loopback and reports the median and 95th percentile
//! of the whole request time (an upper bound on server time).
//!
//!   cargo bench --bench clients_page                                  # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench clients_page                                # PostgreSQL

mod support;

use std::time::Instant;

use caseload::models::client;
use caseload::seed;

const CLIENTS: usize = 100_000;
const ROUNDS: usize = 200;

fn main() {
    caseload::allocator::configure();
    let bench = support::BenchDb::create();
    let pool = bench.pool();
    let mut conn = pool.get().expect("connection");
    let p = support::create_provider(&mut conn);
    let started = Instant::now();
    client::insert_many(
        &mut conn,
        &caseload::models::scope::Scope::of(&p),
        &seed::demo_clients(CLIENTS, 42),
        caseload::models::now(),
    )
    .expect("seed");
    println!(
        "seeded {CLIENTS} clients in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let caseload::db::DbConnection::Postgres(c) = &mut *conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("ANALYZE").execute(c).expect("analyze");
    }
    drop(conn);
    drop(pool);

    let base = support::start_server(&bench);
    let http = support::sign_in(&base);

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
        let mut rows = 0;
        let (median, p95) = support::time_requests(ROUNDS, || {
            let body = http.get(&url).send().unwrap().text().unwrap();
            rows = body.matches("<tr>").count().saturating_sub(1);
        });
        println!("{label:<36} {median:>8.2}ms {p95:>8.2}ms {rows:>8}");
    }
}
