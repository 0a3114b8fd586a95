//! For the models' own unit tests: a fresh, migrated in-memory SQLite database and the
//! rows most tests start from. (The integration tests run the same queries on both
//! backends through the real server.)

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::{self, DatabaseUrl, DbConnection};
use crate::domain::client::{ClientDetails, ClientInput};
use crate::domain::email::Email;
use crate::domain::name::PersonName;
use crate::domain::time_zone::Zone;

use super::provider::{self, NewProvider, Provider};
use super::scope::Scope;

pub fn conn() -> DbConnection {
    let mut conn = db::establish(&DatabaseUrl::Sqlite(":memory:".into())).unwrap();
    db::run_migrations(&mut conn).unwrap();
    conn
}

pub fn provider(conn: &mut DbConnection, email: &str) -> (Provider, Scope) {
    let p = provider::create(
        conn,
        NewProvider {
            first_name: PersonName::parse("Elena", "first name").unwrap(),
            last_name: PersonName::parse("Rivera", "last name").unwrap(),
            email: Email::parse(email).unwrap(),
            // Never checked here: no test signs in.
            password_hash: "not a hash".into(),
            time_zone: Zone::parse("America/New_York").unwrap(),
        },
    )
    .unwrap();
    let scope = Scope::of(&p);
    (p, scope)
}

pub fn at(t: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap()
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

/// A client's details as a form would give them; `extra` adjusts the input.
pub fn details(
    first: &str,
    last: &str,
    email: &str,
    extra: impl FnOnce(&mut ClientInput),
) -> ClientDetails {
    let mut input = ClientInput {
        first_name: first.into(),
        last_name: last.into(),
        email: email.into(),
        billing_type: "private_pay".into(),
        ..Default::default()
    };
    extra(&mut input);
    ClientDetails::parse(&input, today()).unwrap()
}
