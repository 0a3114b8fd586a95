//! Server-side sign-in sessions: one row per sign-in, a provider's or a client's in the
//! portal. The browser's cookie carries a random token; the row's id is the token's
//! SHA-256, so a copy of the table signs nobody in. Ending a session deletes its row,
//! after which a copied cookie is worth nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;

use super::portal_account::OwnedAccount;
use super::scope::Scope;
use crate::db::ids::{ClientId, ProviderId};
use crate::db::schema::sign_in_sessions;
use crate::db::DbConnection;

/// How long a sign-in lasts at most, however active.
pub const LIFETIME_HOURS: i64 = 12;
/// `last_seen_at` is written at most this often, not on every request.
pub const TOUCH_SECONDS: i64 = 60;
const USER_AGENT_CHARS: usize = 400;

/// When sessions end: `absolute` after sign-in, or after `idle` without a request.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub absolute: Duration,
    pub idle: Duration,
}

impl Lifetimes {
    pub fn with_idle_minutes(idle_minutes: i64) -> Self {
        Self {
            absolute: Duration::hours(LIFETIME_HOURS),
            idle: Duration::minutes(idle_minutes),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sign_in_sessions)]
pub struct SignInSession {
    pub id: String,
    pub provider_id: String,
    pub client_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A portal sign-in's account (the client's own, or a parent's acting for them).
    pub account_id: Option<String>,
}

impl SignInSession {
    pub fn ended_by_time(&self, now: NaiveDateTime, lifetimes: Lifetimes) -> bool {
        now >= self.created_at + lifetimes.absolute || now >= self.last_seen_at + lifetimes.idle
    }
}

/// Whose sign-in: a provider's own, or a portal account's acting for one client at a time
/// (kept apart: one never passes for the other).
#[derive(Debug, Clone)]
pub enum Who {
    Provider(ProviderId),
    /// The practice, the account, and the client it acts for now.
    Portal(ProviderId, String, ClientId),
}

/// Where a sign-in came from, as shown in Settings.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The row id of a cookie's token.
pub fn token_id(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session and returns the token for the cookie. Sessions that ended by time are
/// deleted on the way.
pub fn start(
    conn: &mut DbConnection,
    who: &Who,
    origin: &Origin,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
) -> QueryResult<String> {
    delete_ended_by_time(conn, now, lifetimes)?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let (provider_id, account_id, client_id) = match who {
        Who::Provider(p) => (p.as_str(), None, None),
        Who::Portal(p, a, c) => (p.as_str(), Some(a.as_str()), Some(c.as_str())),
    };
    let user_agent: Option<String> = origin
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(USER_AGENT_CHARS).collect());
    diesel::insert_into(sign_in_sessions::table)
        .values((
            sign_in_sessions::id.eq(token_id(&token)),
            sign_in_sessions::provider_id.eq(provider_id),
            sign_in_sessions::client_id.eq(client_id),
            sign_in_sessions::created_at.eq(now),
            sign_in_sessions::last_seen_at.eq(now),
            sign_in_sessions::ip.eq(origin.ip.as_deref()),
            sign_in_sessions::user_agent.eq(user_agent),
            sign_in_sessions::account_id.eq(account_id),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Which kind of session a page accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Client,
}

/// The live session of this token, if it is one of `kind`: one that ended by time is
/// deleted instead, and a live one's `last_seen_at` moves on (at most once a minute).
pub fn find_live(
    conn: &mut DbConnection,
    token: &str,
    kind: Kind,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
) -> QueryResult<Option<SignInSession>> {
    let id = token_id(token);
    let Some(mut row) = sign_in_sessions::table
        .find(&id)
        .select(SignInSession::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if (kind == Kind::Client) != (row.client_id.is_some() && row.account_id.is_some()) {
        return Ok(None);
    }
    if row.ended_by_time(now, lifetimes) {
        diesel::delete(sign_in_sessions::table.find(&id)).execute(conn)?;
        return Ok(None);
    }
    if now - row.last_seen_at >= Duration::seconds(TOUCH_SECONDS) {
        diesel::update(sign_in_sessions::table.find(&id))
            .set(sign_in_sessions::last_seen_at.eq(now))
            .execute(conn)?;
        row.last_seen_at = now;
    }
    Ok(Some(row))
}

/// Ends the session of this token (signing out); returns it if there was one.
pub fn end_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<SignInSession>> {
    let id = token_id(token);
    let row = sign_in_sessions::table
        .find(&id)
        .select(SignInSession::as_select())
        .first(conn)
        .optional()?;
    diesel::delete(sign_in_sessions::table.find(&id)).execute(conn)?;
    Ok(row)
}

/// Ends one of this provider's own sessions by its id; false when they have none such.
pub fn end_providers(conn: &mut DbConnection, scope: &Scope, id: &str) -> QueryResult<bool> {
    diesel::delete(
        scope
            .sign_in_sessions()
            .filter(sign_in_sessions::id.eq(id))
            .filter(sign_in_sessions::client_id.is_null()),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Ends every session of this provider's own except `keep` (by id); returns the ids ended.
pub fn end_provider_others(
    conn: &mut DbConnection,
    scope: &Scope,
    keep: Option<&str>,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = scope
        .sign_in_sessions()
        .filter(sign_in_sessions::client_id.is_null())
        .filter(sign_in_sessions::id.ne(keep.unwrap_or("")))
        .select(sign_in_sessions::id)
        .load(conn)?;
    diesel::delete(sign_in_sessions::table.filter(sign_in_sessions::id.eq_any(&ids)))
        .execute(conn)?;
    Ok(ids)
}

/// Ends every portal session of this account (its password changed).
pub fn end_account_all(conn: &mut DbConnection, account: &OwnedAccount) -> QueryResult<usize> {
    diesel::delete(
        sign_in_sessions::table.filter(sign_in_sessions::account_id.eq(account.id.as_str())),
    )
    .execute(conn)
}

/// A portal sign-in now acts for another client (the account may: the caller checked).
pub fn switch_client(conn: &mut DbConnection, token: &str, client: &ClientId) -> QueryResult<bool> {
    let n = diesel::update(
        sign_in_sessions::table
            .find(token_id(token))
            .filter(sign_in_sessions::account_id.is_not_null()),
    )
    .set(sign_in_sessions::client_id.eq(client.as_str()))
    .execute(conn)?;
    Ok(n == 1)
}

/// The provider's own live sessions, the most recently active first.
pub fn list_for_provider(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
) -> QueryResult<Vec<SignInSession>> {
    let rows: Vec<SignInSession> = scope
        .sign_in_sessions()
        .filter(sign_in_sessions::client_id.is_null())
        .order((
            sign_in_sessions::last_seen_at.desc(),
            sign_in_sessions::id.asc(),
        ))
        .select(SignInSession::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| !r.ended_by_time(now, lifetimes))
        .collect())
}

/// Deletes the sessions that ended by time (the idle timeout or the 12 hours).
pub fn delete_ended_by_time(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
) -> QueryResult<usize> {
    diesel::delete(
        sign_in_sessions::table.filter(
            sign_in_sessions::last_seen_at
                .le(now - lifetimes.idle)
                .or(sign_in_sessions::created_at.le(now - lifetimes.absolute)),
        ),
    )
    .execute(conn)
}
