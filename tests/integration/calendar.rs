//! The calendar's guarantees that hold below any page: two bookings of one slot at the
//! same moment, from two connections, give one entry and one refusal — on SQLite and on
//! PostgreSQL alike.

use std::sync::{Arc, Barrier};

use caseload::domain::appointment::{Kind, Span, Status};
use caseload::models::appointment::{self, BookError, NewAppointment};
use caseload::models::provider;
use caseload::models::scope::Scope;

use crate::support::*;

fn slot(start: &str, minutes: i64) -> NewAppointment {
    let start = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M").unwrap();
    NewAppointment {
        kind: Kind::Unavailable,
        status: Status::Scheduled,
        client_id: None,
        service_id: None,
        span: Span {
            start,
            end: start + chrono::Duration::minutes(minutes),
        },
        location: None,
        note: None,
        contact_name: None,
        contact_phone: None,
    }
}

#[test]
fn two_bookings_of_one_slot_at_the_same_moment_give_one_entry() {
    let app = TestApp::spawn();
    app.signed_in();
    let p = provider::find_by_email(&mut app.conn(), "dr.rivera@example.com")
        .unwrap()
        .unwrap();
    let scope = Scope::of(&p);
    for round in 0..5 {
        let start = format!("2026-12-{:02} 10:00", 7 + round);
        let barrier = Arc::new(Barrier::new(2));
        let outcomes: Vec<Result<usize, String>> = [0, 30]
            .into_iter()
            .map(|offset| {
                let (barrier, scope) = (barrier.clone(), scope.clone());
                let mut conn = app.conn();
                // The second overlaps the first by half an hour.
                let mut wanted = slot(&start, 60);
                wanted.span.start += chrono::Duration::minutes(offset);
                wanted.span.end += chrono::Duration::minutes(offset);
                std::thread::spawn(move || {
                    barrier.wait();
                    match appointment::book(&mut conn, &scope, &[wanted], app_now()) {
                        Ok(b) => Ok(b.len()),
                        Err(BookError::Conflicts(c)) => Err(format!("{} conflict", c.len())),
                        Err(BookError::Database(e)) => Err(format!("database: {e}")),
                    }
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .any(|o| o.as_ref().err().map(String::as_str) == Some("1 conflict")),
            "round {round}: the loser is told of the conflict, not a database error: {outcomes:?}"
        );
    }
}

fn app_now() -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str("2026-12-02 08:00", "%Y-%m-%d %H:%M").unwrap()
}
