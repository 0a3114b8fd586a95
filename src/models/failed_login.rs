//! Failed sign-ins (and wrong current passwords), counted per (key, address), per address
//! and per account: an attacker is slowed down without locking the owner out from
//! elsewhere — nor from a noisy address (behind a reverse proxy without
//! `CASELOAD_TRUST_PROXY`, every visitor is one address). The key is the email as typed
//! at sign-in (the portal's prefixed `portal:`), or `password:{provider id}` for the
//! change-password form. Asks for a password reset link are counted the same way in a
//! budget of their own: they never pause a sign-in.
//!
//! The check and the count are one step: `begin` records the attempt as a failure inside
//! the same write transaction that checked the limits, before the (slow) password check,
//! and `succeeded` withdraws it. Concurrent tries therefore cannot all slip past the check.

use crate::domain::time_zone::Zone;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::ids::new_row_id;
use crate::db::schema::failed_logins;
use crate::db::{take_turns, write_transaction, DbConnection, Turns};

/// Wrong tries for one key from one address within the window.
pub const MAX_FAILURES: i64 = 10;
/// Wrong tries from one address within the window, whatever the key: past it, the address
/// is noisy, and may try only accounts that are not under attack.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
/// Wrong tries for one account from any address within the window that make it under
/// attack: a noisy address may not try it then (a quiet one still may).
pub const MAX_ACCOUNT_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

/// What an attempt counts against: each has its own budget per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    SignIn,
    ResetAsk,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign_in",
            Purpose::ResetAsk => "reset_ask",
        }
    }
}

/// An attempt counted as a failure until `succeeded` says otherwise.
#[derive(Debug)]
pub struct Attempt {
    id: String,
    key: String,
    ip: String,
}

#[derive(Debug)]
pub enum Check {
    /// Go ahead and check the password.
    Allowed(Attempt),
    /// Paused until then; nothing was counted.
    Locked(NaiveDateTime),
}

/// Checks the sign-in limits for `key` from `ip` and, when not locked, counts this
/// attempt — in one write transaction, so that concurrent attempts are checked one after
/// another.
pub fn begin(
    conn: &mut DbConnection,
    key: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Check> {
    begin_for(conn, Purpose::SignIn, key, ip, now)
}

/// [`begin`] for an ask for a password reset link: counted in its own budget (every ask
/// counts; none is withdrawn).
pub fn begin_reset_ask(
    conn: &mut DbConnection,
    key: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Check> {
    begin_for(conn, Purpose::ResetAsk, key, ip, now)
}

fn begin_for(
    conn: &mut DbConnection,
    purpose: Purpose,
    key: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Check> {
    let ip = ip.unwrap_or("");
    write_transaction(conn, |conn| {
        take_turns(conn, Turns::FailedLogins)?;
        // Keep the table small: older attempts no longer count.
        diesel::delete(
            failed_logins::table.filter(failed_logins::attempted_at.lt(now - Duration::days(1))),
        )
        .execute(conn)?;
        let since = now - Duration::minutes(WINDOW_MINUTES);
        let recent = failed_logins::table
            .filter(failed_logins::purpose.eq(purpose.as_str()))
            .filter(failed_logins::attempted_at.gt(since))
            .order(failed_logins::attempted_at.desc())
            .select(failed_logins::attempted_at);
        let for_key: Vec<NaiveDateTime> = recent
            .filter(failed_logins::email_normalized.eq(key))
            .filter(failed_logins::ip.eq(ip))
            .limit(MAX_FAILURES)
            .load(conn)?;
        let for_address: Vec<NaiveDateTime> = recent
            .filter(failed_logins::ip.eq(ip))
            .limit(MAX_FAILURES_PER_ADDRESS)
            .load(conn)?;
        let mut until = open_again(&for_key, MAX_FAILURES);
        if let Some(address_open) = open_again(&for_address, MAX_FAILURES_PER_ADDRESS) {
            let paused = match purpose {
                Purpose::ResetAsk => Some(address_open),
                // A noisy address may still sign in to an account nobody is guessing at;
                // it waits while that account is under attack, or until it is quiet.
                Purpose::SignIn => {
                    let for_account: Vec<NaiveDateTime> = recent
                        .filter(failed_logins::email_normalized.eq(key))
                        .limit(MAX_ACCOUNT_FAILURES)
                        .load(conn)?;
                    open_again(&for_account, MAX_ACCOUNT_FAILURES)
                        .map(|account_open| account_open.min(address_open))
                }
            };
            until = until.max(paused);
        }
        if let Some(until) = until {
            return Ok(Check::Locked(until));
        }
        let id = new_row_id();
        diesel::insert_into(failed_logins::table)
            .values((
                failed_logins::id.eq(&id),
                failed_logins::email_normalized.eq(key),
                failed_logins::ip.eq(ip),
                failed_logins::attempted_at.eq(now),
                failed_logins::purpose.eq(purpose.as_str()),
            ))
            .execute(conn)?;
        Ok(Check::Allowed(Attempt {
            id,
            key: key.to_string(),
            ip: ip.to_string(),
        }))
    })
}

/// When a limit reached by `recent` (newest first, at most `max`) lets go: once the oldest
/// of them leaves the window.
fn open_again(recent: &[NaiveDateTime], max: i64) -> Option<NaiveDateTime> {
    if (recent.len() as i64) < max {
        return None;
    }
    recent
        .last()
        .map(|oldest| *oldest + Duration::minutes(WINDOW_MINUTES))
}

/// The password was right: the attempt does not count, nor do earlier failures for this
/// key from this address. (Failures from other addresses, and this address's failures for
/// other keys, still count.)
pub fn succeeded(conn: &mut DbConnection, attempt: Attempt) -> QueryResult<()> {
    diesel::delete(
        failed_logins::table
            .filter(failed_logins::email_normalized.eq(&attempt.key))
            .filter(failed_logins::ip.eq(&attempt.ip)),
    )
    .execute(conn)?;
    diesel::delete(failed_logins::table.find(&attempt.id))
        .execute(conn)
        .map(|_| ())
}

/// What a locked-out person reads: why, and when they may try again (in `zone`; UTC for
/// someone not signed in, whose zone is not known).
pub fn locked_message(what: &str, until: NaiveDateTime, zone: Zone) -> String {
    format!(
        "Too many {what} from this address in the last {WINDOW_MINUTES} minutes. To protect the account, trying is paused. Try again after {}.",
        zone.local(&until).format("%H:%M %Z")
    )
}
