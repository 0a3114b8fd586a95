//! Failed sign-ins, kept per email so that password guessing is slowed down.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::ids::new_row_id;
use crate::db::schema::failed_logins;
use crate::db::DbConnection;

pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;

/// When sign-in for this email opens again, if it is locked now.
pub fn locked_until(
    conn: &mut DbConnection,
    email_normalized: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let recent: Vec<NaiveDateTime> = failed_logins::table
        .filter(failed_logins::email_normalized.eq(email_normalized))
        .filter(failed_logins::attempted_at.gt(since))
        .order(failed_logins::attempted_at.desc())
        .select(failed_logins::attempted_at)
        .limit(MAX_FAILURES)
        .load(conn)?;
    if (recent.len() as i64) < MAX_FAILURES {
        return Ok(None);
    }
    // Open again once the oldest of the last MAX_FAILURES attempts leaves the window.
    Ok(recent
        .last()
        .map(|oldest| *oldest + Duration::minutes(WINDOW_MINUTES)))
}

pub fn record(
    conn: &mut DbConnection,
    email_normalized: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(failed_logins::table)
        .values((
            failed_logins::id.eq(new_row_id()),
            failed_logins::email_normalized.eq(email_normalized),
            failed_logins::attempted_at.eq(now),
        ))
        .execute(conn)?;
    // Keep the table small: older attempts no longer count.
    diesel::delete(
        failed_logins::table
            .filter(failed_logins::email_normalized.eq(email_normalized))
            .filter(failed_logins::attempted_at.lt(now - Duration::days(1))),
    )
    .execute(conn)?;
    Ok(())
}

pub fn clear(conn: &mut DbConnection, email_normalized: &str) -> QueryResult<()> {
    diesel::delete(
        failed_logins::table.filter(failed_logins::email_normalized.eq(email_normalized)),
    )
    .execute(conn)
    .map(|_| ())
}
