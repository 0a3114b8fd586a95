//! Every email goes here first, in the same transaction as the change that caused it. The
//! delivery job (`crate::jobs`) sends what is due when the app has a mailer; otherwise the
//! provider sees each message under Settings → Outbox and can copy its link.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::scope::{OwnedClient, Scope};
use crate::db::ids::{new_row_id, ClientId, ProviderId};
use crate::db::schema::{email_attempts, outbox_emails};
use crate::db::DbConnection;

/// Where an email stands; stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting to be sent (now, later, or again after a failure).
    Pending,
    Sent,
    /// Given up on after the last retry.
    Failed,
    /// Not needed any more (the client acted, or a newer email replaced it).
    Cancelled,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

use EmailStatus::{Cancelled, Failed, Pending, Sent};

/// An email to queue.
pub struct NewEmail<'a> {
    pub provider_id: &'a ProviderId,
    pub client_id: Option<&'a ClientId>,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// The one link the message is about, shown for copying while it is unsent.
    pub action_url: Option<&'a str>,
    pub send_after: NaiveDateTime,
    pub queued_at: NaiveDateTime,
    /// One calendar file to attach (a session's .ics), sent as `session.ics`.
    pub calendar_ics: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_emails)]
pub struct OutboxEmail {
    pub id: String,
    pub provider_id: String,
    pub client_id: Option<String>,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub action_url: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub send_after: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub calendar_ics: Option<String>,
}

impl OutboxEmail {
    /// The stored status, typed (a value this version does not know reads as failed).
    pub fn state(&self) -> EmailStatus {
        self.status.parse().unwrap_or(Failed)
    }
}

pub fn queue(conn: &mut DbConnection, email: &NewEmail<'_>) -> QueryResult<String> {
    let id = new_row_id();
    diesel::insert_into(outbox_emails::table)
        .values((
            outbox_emails::id.eq(&id),
            outbox_emails::provider_id.eq(email.provider_id.as_str()),
            outbox_emails::client_id.eq(email.client_id.map(ClientId::as_str)),
            outbox_emails::kind.eq(email.kind),
            outbox_emails::to_address.eq(email.to),
            outbox_emails::subject.eq(email.subject),
            outbox_emails::body_text.eq(email.text),
            outbox_emails::body_html.eq(email.html),
            outbox_emails::action_url.eq(email.action_url),
            outbox_emails::status.eq(Pending.as_str()),
            outbox_emails::attempts.eq(0),
            outbox_emails::send_after.eq(email.send_after),
            outbox_emails::next_attempt_at.eq(email.send_after),
            outbox_emails::created_at.eq(email.queued_at),
            outbox_emails::calendar_ics.eq(email.calendar_ics),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Cancels a client's pending emails of the given kinds (reminders once they have acted).
pub fn cancel_pending(
    conn: &mut DbConnection,
    client: &OwnedClient,
    kinds: &[&str],
) -> QueryResult<usize> {
    diesel::update(
        outbox_emails::table
            .filter(outbox_emails::client_id.eq(client.id.as_str()))
            .filter(outbox_emails::kind.eq_any(kinds))
            .filter(outbox_emails::status.eq(Pending.as_str())),
    )
    .set(outbox_emails::status.eq(Cancelled.as_str()))
    .execute(conn)
}

/// [`cancel_pending`], of the emails to one address only (one person's invitation).
pub fn cancel_pending_to(
    conn: &mut DbConnection,
    client: &OwnedClient,
    kinds: &[&str],
    to_normalized: &str,
) -> QueryResult<usize> {
    let ids: Vec<(String, String)> = outbox_emails::table
        .filter(outbox_emails::client_id.eq(client.id.as_str()))
        .filter(outbox_emails::kind.eq_any(kinds))
        .filter(outbox_emails::status.eq(Pending.as_str()))
        .select((outbox_emails::id, outbox_emails::to_address))
        .load(conn)?;
    let ids: Vec<String> = ids
        .into_iter()
        .filter(|(_, to)| crate::domain::email::normalize(to) == to_normalized)
        .map(|(id, _)| id)
        .collect();
    diesel::update(outbox_emails::table.filter(outbox_emails::id.eq_any(ids)))
        .set(outbox_emails::status.eq(Cancelled.as_str()))
        .execute(conn)
}

/// The provider's emails, newest first.
pub fn for_provider(
    conn: &mut DbConnection,
    scope: &Scope,
    limit: i64,
) -> QueryResult<Vec<OutboxEmail>> {
    scope
        .outbox_emails()
        .order((
            outbox_emails::created_at.desc(),
            outbox_emails::send_after.asc(),
            outbox_emails::id.asc(),
        ))
        .limit(limit)
        .select(OutboxEmail::as_select())
        .load(conn)
}

pub fn for_client(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<Vec<OutboxEmail>> {
    outbox_emails::table
        .filter(outbox_emails::client_id.eq(client.id.as_str()))
        .order((outbox_emails::created_at.desc(), outbox_emails::id.desc()))
        .select(OutboxEmail::as_select())
        .load(conn)
}

/// Claims up to `limit` emails due by `now`, oldest first, for `holder` until
/// `lease_until`: no other instance takes them meanwhile. An email claimed by an instance
/// that died (its lease ended with no attempt recorded) is due again. On PostgreSQL the
/// rows are locked and other instances skip them (`FOR UPDATE SKIP LOCKED`), so two
/// delivery passes share the due emails out instead of waiting on each other; SQLite's
/// write lock takes the passes in turn.
pub fn claim_due(
    conn: &mut DbConnection,
    holder: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxEmail>> {
    let due = || {
        outbox_emails::table
            .filter(outbox_emails::status.eq(Pending.as_str()))
            .filter(outbox_emails::next_attempt_at.le(now))
            .filter(
                outbox_emails::lease_until
                    .is_null()
                    .or(outbox_emails::lease_until.le(now)),
            )
            .order(outbox_emails::next_attempt_at.asc())
    };
    // Most passes find nothing: a plain read says so without taking any lock.
    let any: Option<String> = due().select(outbox_emails::id).first(conn).optional()?;
    if any.is_none() {
        return Ok(Vec::new());
    }
    crate::db::write_transaction(conn, |conn| {
        let due = due().limit(limit).select(outbox_emails::id);
        let ids: Vec<String> = match conn {
            DbConnection::Postgres(c) => due.for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox_emails::table.filter(outbox_emails::id.eq_any(&ids)))
            .set((
                outbox_emails::claimed_by.eq(holder),
                outbox_emails::lease_until.eq(lease_until),
            ))
            .execute(conn)?;
        outbox_emails::table
            .filter(outbox_emails::id.eq_any(&ids))
            .order((
                outbox_emails::next_attempt_at.asc(),
                outbox_emails::id.asc(),
            ))
            .select(OutboxEmail::as_select())
            .load(conn)
    })
}

/// Whether the email still waits to be sent by `holder`: it may have been cancelled since
/// it was claimed (the client acted), or — should the holder have run past its lease —
/// taken over by another instance.
pub fn still_claimed(conn: &mut DbConnection, id: &str, holder: &str) -> QueryResult<bool> {
    outbox_emails::table
        .filter(outbox_emails::id.eq(id))
        .filter(outbox_emails::status.eq(Pending.as_str()))
        .filter(outbox_emails::claimed_by.eq(holder))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n == 1)
}

/// Records one delivery attempt. A sent email drops its link: it has reached the client,
/// and the database keeps no usable token longer than it must.
pub fn record_attempt(
    conn: &mut DbConnection,
    email: &OutboxEmail,
    now: NaiveDateTime,
    outcome: Result<(), String>,
    retry_after: impl Fn(u32) -> Option<Duration>,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let attempts = email.attempts + 1;
        diesel::insert_into(email_attempts::table)
            .values((
                email_attempts::id.eq(new_row_id()),
                email_attempts::email_id.eq(&email.id),
                email_attempts::attempted_at.eq(now),
                email_attempts::succeeded.eq(outcome.is_ok()),
                email_attempts::error.eq(outcome.as_ref().err()),
            ))
            .execute(conn)?;
        // A failure only changes a still-pending row (one cancelled meanwhile stays
        // cancelled); a success is recorded even then, because the email did go out.
        let target = outbox_emails::table.filter(outbox_emails::id.eq(&email.id));
        match outcome {
            Ok(()) => {
                let target = target
                    .filter(outbox_emails::status.eq_any([Pending.as_str(), Cancelled.as_str()]));
                let redact = |body: &str| match &email.action_url {
                    Some(url) => body.replace(url.as_str(), "[link removed after sending]"),
                    None => body.to_string(),
                };
                diesel::update(target)
                    .set((
                        outbox_emails::status.eq(Sent.as_str()),
                        outbox_emails::attempts.eq(attempts),
                        outbox_emails::sent_at.eq(Some(now)),
                        outbox_emails::last_error.eq(None::<String>),
                        outbox_emails::body_text.eq(redact(&email.body_text)),
                        outbox_emails::body_html.eq(redact(&email.body_html)),
                        outbox_emails::action_url.eq(None::<String>),
                        outbox_emails::claimed_by.eq(None::<String>),
                        outbox_emails::lease_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
            }
            Err(error) => {
                let (status, next) = match retry_after(attempts as u32) {
                    Some(delay) => (Pending.as_str(), now + delay),
                    None => (Failed.as_str(), now),
                };
                diesel::update(target.filter(outbox_emails::status.eq(Pending.as_str())))
                    .set((
                        outbox_emails::status.eq(status),
                        outbox_emails::attempts.eq(attempts),
                        outbox_emails::next_attempt_at.eq(next),
                        outbox_emails::last_error.eq(Some(error)),
                        outbox_emails::claimed_by.eq(None::<String>),
                        outbox_emails::lease_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_stored_under_the_names_existing_rows_have() {
        for (status, stored) in [
            (Pending, "pending"),
            (Sent, "sent"),
            (Failed, "failed"),
            (Cancelled, "cancelled"),
        ] {
            assert_eq!(status.as_str(), stored);
            assert_eq!(stored.parse::<EmailStatus>().ok(), Some(status));
        }
        assert!("queued".parse::<EmailStatus>().is_err());
    }
}
