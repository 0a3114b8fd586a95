//! Use cases: each thing a person does to a provider's data, as one function below the
//! web layer, inside one transaction, with the audit entry and the emails it always
//! brings. Handlers parse the request, call one of these and render what it decided; the
//! command line calls the same functions.

pub mod account;
pub mod booking;
pub mod calendar;
pub mod clients;
pub mod contacts;
pub mod documents;
pub mod good_faith;
pub mod imports;
pub mod measures;
pub mod onboarding;
pub mod password_reset;
pub mod portal;
pub mod pricing;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::scope::OwnedClient;

/// A use case's error: a refusal the person can act on (its text says what to do), or the
/// database failing (`NotFound` among them: a row of another provider's, or gone).
pub trait Refusal: std::fmt::Display + Sized {
    /// The database error inside, or the refusal itself.
    fn database(self) -> Result<diesel::result::Error, Self>;
}

/// Done, or refused with a message for the page; a database failure stays an error.
pub fn refused<T, E: Refusal>(r: Result<T, E>) -> Result<Result<T, String>, diesel::result::Error> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) => match e.database() {
            Ok(db) => Err(db),
            Err(refusal) => Ok(Err(refusal.to_string())),
        },
    }
}

/// Who acted, from where, and when: what every change records.
#[derive(Debug, Clone, Copy)]
pub struct Act<'a> {
    /// The address the request came from (none for the command line and the workers).
    pub ip: Option<&'a str>,
    pub now: NaiveDateTime,
}

/// Records `action` in the client's audit trail, with `subject` (a tab, a document's id…).
pub(crate) fn record(
    conn: &mut DbConnection,
    client: &OwnedClient,
    action: AuditAction,
    subject: Option<&str>,
    act: Act<'_>,
) -> QueryResult<()> {
    audit::record_at(
        conn,
        AuditEntry {
            provider_id: client.provider_id(),
            client_id: Some(&client.client_id()),
            action,
            subject,
            ip: act.ip,
        },
        act.now,
    )
}
