//! What SQLite plans for the queries that run on every load of a page with a list: none
//! may read every row of a table that grows with the practice (clients, sessions, emails).
//! A benchmark at 100,000 rows measures the time; this catches the plan that makes the
//! time grow, on a handful of rows, the day a query changes. (It is how the Clients tab's
//! risk banner came to read every client on every page without anyone seeing it.)

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::db::DbConnection;

/// Every statement `run` sends, with SQLite's plan for it.
pub fn plans_of(
    conn: &mut DbConnection,
    run: impl FnOnce(&mut DbConnection),
) -> Vec<(String, Vec<String>)> {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorder = Recorder(seen.clone());
    conn.set_instrumentation(recorder);
    run(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let statements = seen.lock().map(|s| s.clone()).unwrap_or_default();
    statements
        .into_iter()
        .filter(|sql| sql.trim_start().to_uppercase().starts_with("SELECT"))
        .map(|sql| {
            let plan = explain(conn, &sql);
            (sql, plan)
        })
        .collect()
}

/// The plan lines that read every row of one of `tables`, or every row of a provider's:
/// a whole table or index ("SCAN clients"), or an index range on the provider alone
/// ("SEARCH clients USING INDEX … (provider_id=?)") unless the rows come in index order
/// and a LIMIT stops them (the first page of a list). Each with its statement.
pub fn unbounded_reads(plans: &[(String, Vec<String>)], tables: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (sql, plan) in plans {
        let stops_early =
            sql.contains(" LIMIT ") && !plan.iter().any(|l| l.contains("TEMP B-TREE FOR ORDER BY"));
        for line in plan {
            let reads_all = tables.iter().any(|t| {
                let whole = line == &format!("SCAN {t}") || line.starts_with(&format!("SCAN {t} "));
                let provider_wide =
                    line.starts_with(&format!("SEARCH {t} ")) && line.ends_with("(provider_id=?)");
                whole || (provider_wide && !stops_early)
            });
            if reads_all {
                found.push(format!(
                    "{line}\n    in {sql}\n    plan: {}",
                    plan.join(" / ")
                ));
            }
        }
    }
    found
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    id: i32,
    #[diesel(sql_type = Text)]
    detail: String,
}

fn explain(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    // Unbound parameters read as NULL: the plan does not depend on their values here.
    diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load::<PlanLine>(conn)
        .map(|lines| lines.into_iter().map(|l| l.detail).collect())
        .unwrap_or_else(|e| vec![format!("could not explain: {e}")])
}

struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            // A debug query reads "SQL -- binds: [...]".
            let text = query.to_string();
            let sql = text
                .split(" -- binds:")
                .next()
                .unwrap_or_default()
                .to_string();
            if let Ok(mut seen) = self.0.lock() {
                seen.push(sql);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::onboarding::OnboardingStatus;
    use crate::models::client::{self, ClientFilter, ClientQuery, ClientSort, CreateOptions};
    use crate::models::risk_alert;
    use crate::models::testing::{at, conn, details, provider};

    /// What one load of the Clients tab runs: the banner and the list, for each kind of
    /// page the tab shows.
    #[test]
    fn no_clients_tab_page_reads_every_client() {
        let mut c = conn();
        let (_, scope) = provider(&mut c, "p@example.com");
        // Enough clients for the planner's statistics to look like a real list's.
        client::insert_many(
            &mut c,
            &scope,
            &crate::seed::demo_clients(2_000, 7),
            at("2026-12-01 10:00"),
        )
        .unwrap();
        crate::db::refresh_statistics(&mut c).unwrap();
        for (i, phone) in ["(212) 555-0143", "(415) 555-0101", "(646) 555-0199"]
            .iter()
            .enumerate()
        {
            client::create(
                &mut c,
                &scope,
                &details(
                    "Ada",
                    &format!("Lovelace{i}"),
                    &format!("a{i}@example.com"),
                    |d| {
                        d.phone = phone.to_string();
                    },
                ),
                &CreateOptions::default(),
                at("2026-12-02 10:00"),
            )
            .unwrap();
        }
        let pages = [
            (None, ClientFilter::Active, ClientSort::Name),
            (None, ClientFilter::Active, ClientSort::NewestFirst),
            (None, ClientFilter::Archived, ClientSort::Name),
            (
                None,
                ClientFilter::Status(OnboardingStatus::ALL[0]),
                ClientSort::Name,
            ),
            (Some("love"), ClientFilter::Active, ClientSort::Name),
            (
                Some("a1@example"),
                ClientFilter::Active,
                ClientSort::NewestFirst,
            ),
            (Some("555-0143"), ClientFilter::Active, ClientSort::Name),
            (Some("415 555"), ClientFilter::Active, ClientSort::Name),
            (Some("212"), ClientFilter::Active, ClientSort::Name),
        ];
        for (search, filter, sort) in pages {
            let query = ClientQuery {
                search: search.map(str::to_string),
                filter,
                sort,
                page: 1,
            };
            let plans = plans_of(&mut c, |c| {
                risk_alert::open_for_provider(c, &scope).unwrap();
                client::list(c, &scope, &query).unwrap();
            });
            assert!(!plans.is_empty());
            let scans = unbounded_reads(&plans, &["clients"]);
            assert!(
                scans.is_empty(),
                "{search:?} {filter:?} reads every client:\n{}",
                scans.join("\n")
            );
        }
    }

    /// The phone search reads a copy of the digits that triggers keep in step: a changed
    /// or removed number is found by its new digits only, a deleted client not at all.
    #[test]
    fn the_phone_search_follows_every_change_of_a_number() {
        let mut c = conn();
        let (_, scope) = provider(&mut c, "p@example.com");
        let ada = client::create(
            &mut c,
            &scope,
            &details("Ada", "Lovelace", "ada@example.com", |d| {
                d.phone = "(212) 555-0143".into();
            }),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        let found = |c: &mut DbConnection, digits: &str| {
            client::list(
                c,
                &scope,
                &ClientQuery {
                    search: Some(digits.into()),
                    page: 1,
                    ..Default::default()
                },
            )
            .unwrap()
            .total
        };
        assert_eq!(found(&mut c, "555-0143"), 1);
        diesel::sql_query("UPDATE clients SET phone_digits = '7185550199' WHERE id = ?")
            .bind::<Text, _>(ada.id.as_str())
            .execute(&mut c)
            .unwrap();
        assert_eq!(found(&mut c, "555-0143"), 0);
        assert_eq!(found(&mut c, "5550199"), 1);
        diesel::sql_query("UPDATE clients SET phone_digits = NULL WHERE id = ?")
            .bind::<Text, _>(ada.id.as_str())
            .execute(&mut c)
            .unwrap();
        assert_eq!(found(&mut c, "5550199"), 0);
        diesel::sql_query("UPDATE clients SET phone_digits = '2125550143' WHERE id = ?")
            .bind::<Text, _>(ada.id.as_str())
            .execute(&mut c)
            .unwrap();
        assert_eq!(found(&mut c, "2125550143"), 1);
        diesel::sql_query("DELETE FROM clients WHERE id = ?")
            .bind::<Text, _>(ada.id.as_str())
            .execute(&mut c)
            .unwrap();
        let left: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM client_phone_search)",
        ))
        .get_result(&mut c)
        .unwrap();
        assert_eq!(left, 0);
    }

    /// The calendar's week reads that week, not every entry before it: a range on the
    /// start from both sides. (A range open below read all of a provider's history: five
    /// years of sessions for every week shown.)
    #[test]
    fn the_calendar_reads_only_the_range_it_shows() {
        use crate::domain::appointment::{Kind, Span, Status};
        use crate::models::appointment::{self, NewAppointment};
        let mut c = conn();
        let (_, scope) = provider(&mut c, "p@example.com");
        let session = |start: &str, minutes: i64| {
            let start = at(start);
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
        };
        // The longest entry there can be, starting the evening before the week shown.
        let long = session(
            "2026-12-06 20:00",
            crate::domain::appointment::LONGEST_ENTRY_MINUTES,
        );
        let old = session("2025-01-06 10:00", 50);
        appointment::book(&mut c, &scope, &[long, old], at("2026-12-01 10:00")).unwrap();
        let (from, to) = (at("2026-12-07 00:00"), at("2026-12-14 00:00"));
        let mut shown = 0;
        let plans = plans_of(&mut c, |c| {
            shown = appointment::between(c, &scope, from, to).unwrap().len();
            appointment::conflicts(c, &scope, &[session("2026-12-07 07:00", 60)]).unwrap();
        });
        assert_eq!(shown, 1, "the entry reaching into the week is shown");
        let open_below: Vec<_> = plans
            .iter()
            .filter(|(_, plan)| {
                plan.iter()
                    .any(|l| l.contains("starts_at<?") && !l.contains("starts_at>?"))
            })
            .collect();
        assert!(open_below.is_empty(), "{open_below:?}");
        let unbounded = unbounded_reads(&plans, &["appointments"]);
        assert!(unbounded.is_empty(), "{}", unbounded.join("\n"));
    }
}
