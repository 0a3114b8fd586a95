//! Two instances on one database (issue 17's goals):
//!
//! 1. 1,000 queued emails delivered (to the in-memory mailer) by one instance, then 1,000
//!    more by two instances running their delivery passes at the same time: the two take
//!    under twice the time one takes, and no email goes twice. Each instance's pass is
//!    the one its delivery thread runs (claim a few due emails, send, record), called on
//!    demand so that the time is the work's, not a polling interval's.
//! 2. The Clients tab with 100,000 clients, its first page requested alternately from
//!    both instances and from one alone (whole requests over HTTP on loopback, an upper
//!    bound on server time): the same median.
//!
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench instances                                   # PostgreSQL
//!   cargo bench --bench instances                                     # SQLite, to compare

mod support;

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Instant;

use caseload::clock::Clock;
use caseload::config::{Config, FileSettings};
use caseload::db::ids::ProviderId;
use caseload::jobs::{self, Jobs};
use caseload::mail::{Mailer, MemoryMailer};
use caseload::models::{client, outbox};
use caseload::seed;

fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Emails per run, clients in the list, timed requests: a smoke pass under `cargo test`.
fn sizes() -> (usize, usize, usize) {
    if full() {
        (1_000, 100_000, 200)
    } else {
        (50, 500, 5)
    }
}

/// An instance on the benchmark's database with a mailbox of its own, its jobs run on
/// demand; returns its jobs and the mailbox.
fn instance(bench: &support::BenchDb) -> (Jobs, MemoryMailer) {
    let mut config = Config::from_layers(FileSettings::default(), |_| None).expect("config");
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = bench.data_dir.path().to_path_buf();
    config.database_url = bench.url.clone();
    let mailbox = MemoryMailer::new();
    let runtime = caseload::Runtime {
        clock: Clock::system(),
        mailer: Some(Mailer::Memory(mailbox.clone())),
        jobs: jobs::Mode::OnDemand,
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = caseload::build_app_with(config, runtime).expect("build_app");
            tx.send(app.jobs()).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    (rx.recv().unwrap(), mailbox)
}

/// Queues `n` emails due now, each to its own address.
fn queue_emails(pool: &caseload::db::Pool, provider: &ProviderId, run: &str, n: usize) {
    let mut conn = pool.get().unwrap();
    let now = caseload::models::now();
    caseload::db::write_transaction(&mut conn, |conn| {
        for k in 0..n {
            let to = format!("{run}-{k}@example.com");
            outbox::queue(
                conn,
                &outbox::NewEmail {
                    provider_id: provider,
                    client_id: None,
                    kind: "notice",
                    to: &to,
                    subject: "Your appointment",
                    text: "Hello,\n\nA note from the practice.\n",
                    html: "<p>Hello,</p><p>A note from the practice.</p>",
                    action_url: None,
                    send_after: now,
                    queued_at: now,
                    calendar_ics: None,
                },
            )?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

/// Delivers everything due with `instances` running at once; returns the seconds taken
/// and the addresses each delivered.
fn deliver(instances: &[(Jobs, MemoryMailer)]) -> (f64, Vec<Vec<String>>) {
    for (_, m) in instances {
        m.take();
    }
    let started = Instant::now();
    let threads: Vec<_> = instances
        .iter()
        .map(|(j, _)| {
            let j = j.clone();
            std::thread::spawn(move || j.run_due().expect("jobs"))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let took = started.elapsed().as_secs_f64();
    let each = instances
        .iter()
        .map(|(_, m)| m.take().into_iter().map(|e| e.to).collect())
        .collect();
    (took, each)
}

fn main() {
    caseload::allocator::configure();
    let (emails, clients, rounds) = sizes();
    let bench = support::BenchDb::create();
    let pool = bench.pool();
    let p = {
        let mut conn = pool.get().expect("connection");
        support::create_provider(&mut conn)
    };
    let a = instance(&bench);
    let b = instance(&bench);

    // 1. Emails. A warm-up (connections, caches), then three runs of each, interleaved;
    //    the medians are compared.
    queue_emails(&pool, &p.id(), "warm", emails / 10);
    deliver(&[a.clone(), b.clone()]);
    let (mut ones, mut twos) = (Vec::new(), Vec::new());
    let mut duplicates = 0;
    let mut split = Vec::new();
    for run in 0..3 {
        queue_emails(&pool, &p.id(), &format!("one{run}"), emails);
        let (took, got) = deliver(std::slice::from_ref(&a));
        assert_eq!(got[0].len(), emails, "one instance delivered them all");
        ones.push(took);
        queue_emails(&pool, &p.id(), &format!("two{run}"), emails);
        let (took, got) = deliver(&[a.clone(), b.clone()]);
        let all: Vec<&String> = got.iter().flatten().collect();
        let distinct: BTreeSet<&String> = all.iter().copied().collect();
        assert_eq!(distinct.len(), emails, "every email delivered");
        duplicates += all.len() - distinct.len();
        split.push(format!("{}+{}", got[0].len(), got[1].len()));
        twos.push(took);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.total_cmp(y));
        v[v.len() / 2]
    };
    let shown = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (one_runs, two_runs) = (shown(&ones), shown(&twos));
    let (one, two) = (median(&mut ones), median(&mut twos));
    println!("{emails} queued emails delivered to the in-memory mailer (median of 3 runs):");
    println!("  one instance                 {one:>8.3} s   (runs: {one_runs} s)");
    println!(
        "  two instances at once        {two:>8.3} s   (runs: {two_runs} s; emails each: {}); {:.2}× one's time; {duplicates} sent twice",
        split.join(", "),
        two / one
    );
    assert_eq!(duplicates, 0, "no email delivered twice");
    assert!(
        two < 2.0 * one || !full(),
        "two instances took {:.2}× one's time",
        two / one
    );

    // 2. The Clients tab, at 100,000 clients.
    {
        let mut conn = pool.get().expect("connection");
        let started = Instant::now();
        client::insert_many(
            &mut conn,
            &caseload::models::scope::Scope::of(&p),
            &seed::demo_clients(clients, 42),
            caseload::models::now(),
        )
        .expect("seed");
        println!(
            "seeded {clients} clients in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if let caseload::db::DbConnection::Postgres(c) = &mut *conn {
            use diesel::RunQueryDsl;
            diesel::sql_query("ANALYZE").execute(c).expect("analyze");
        }
    }
    drop(pool);
    let first = support::start_server(&bench);
    let second = support::start_server(&bench);
    // Signed in on one; the same cookie reaches both (its key is in the database).
    let http = support::sign_in(&first);
    let get = |base: &str| {
        let body = http
            .get(format!("{base}/clients"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(
            body.contains("<table class=\"clients"),
            "signed in on {base}"
        );
    };
    let (one_median, one_p95) = support::time_requests(rounds, || get(&first));
    let mut turn = 0usize;
    let (both_median, both_p95) = support::time_requests(rounds, || {
        turn += 1;
        get(if turn.is_multiple_of(2) {
            &first
        } else {
            &second
        });
    });
    println!("the Clients tab's first page with {clients} clients:");
    println!("  one instance                 median {one_median:>7.2} ms   p95 {one_p95:>7.2} ms");
    println!(
        "  two, alternately             median {both_median:>7.2} ms   p95 {both_p95:>7.2} ms"
    );
}
