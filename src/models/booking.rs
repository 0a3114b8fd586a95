//! The provider's public booking link, the sign-ups made through it, and the requests
//! made with an email already on the list, waiting to be confirmed by its owner.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;

use super::invitation;
use super::scope::{OwnedClient, Scope};
use crate::db::ids::new_row_id;
use crate::db::schema::{booking_confirmations, booking_requests, providers};
use crate::db::DbConnection;
use crate::models::provider::Provider;

/// Sign-ups one address may send per hour.
pub const MAX_PER_HOUR: i64 = 5;

fn new_token() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The provider's booking token, made on first use.
pub fn token(conn: &mut DbConnection, provider: &Provider) -> QueryResult<String> {
    match &provider.booking_token {
        Some(t) => Ok(t.clone()),
        None => regenerate(conn, &Scope::of(provider)),
    }
}

/// A new token; the old link stops working.
pub fn regenerate(conn: &mut DbConnection, scope: &Scope) -> QueryResult<String> {
    let t = new_token();
    diesel::update(providers::table.find(scope.provider_id().as_str()))
        .set(providers::booking_token.eq(&t))
        .execute(conn)?;
    Ok(t)
}

pub fn provider_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Provider>> {
    if token.len() != 36 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    providers::table
        .filter(providers::booking_token.eq(token))
        .select(Provider::as_select())
        .first(conn)
        .optional()
}

/// Whether this address has used up its sign-ups for the hour.
pub fn rate_limited(conn: &mut DbConnection, ip: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let recent: i64 = booking_requests::table
        .filter(booking_requests::ip.eq(ip))
        .filter(booking_requests::created_at.gt(now - Duration::hours(1)))
        .count()
        .get_result(conn)?;
    Ok(recent >= MAX_PER_HOUR)
}

pub fn record(
    conn: &mut DbConnection,
    scope: &Scope,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(booking_requests::table)
        .values((
            booking_requests::id.eq(new_row_id()),
            booking_requests::provider_id.eq(scope.provider_id().as_str()),
            booking_requests::ip.eq(ip),
            booking_requests::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How long a link to confirm a request stays usable.
pub const CONFIRM_VALID_HOURS: i64 = 48;

/// A request made with an email already on the list, waiting for the address's owner to
/// confirm it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = booking_confirmations)]
pub struct Unconfirmed {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    /// The name typed on the booking page (perhaps not the client's).
    pub typed_name: String,
    pub service_id: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub location: Option<String>,
    pub expires_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
}

/// What is asked, before it is confirmed.
pub struct NewUnconfirmed<'a> {
    pub typed_name: &'a str,
    pub service_id: &'a str,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub location: Option<&'a str>,
    pub ip: &'a str,
}

/// Keeps the request unconfirmed for `client`; returns the link's token (only its hash
/// is stored).
pub fn hold_unconfirmed(
    conn: &mut DbConnection,
    client: &OwnedClient,
    asked: &NewUnconfirmed<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = invitation::new_token();
    diesel::insert_into(booking_confirmations::table)
        .values((
            booking_confirmations::id.eq(new_row_id()),
            booking_confirmations::provider_id.eq(client.provider_id().as_str()),
            booking_confirmations::client_id.eq(client.id.as_str()),
            booking_confirmations::token_hash.eq(invitation::hash_token(&token)),
            booking_confirmations::typed_name.eq(asked.typed_name),
            booking_confirmations::service_id.eq(asked.service_id),
            booking_confirmations::starts_at.eq(asked.starts_at),
            booking_confirmations::ends_at.eq(asked.ends_at),
            booking_confirmations::location.eq(asked.location),
            booking_confirmations::ip.eq(asked.ip),
            booking_confirmations::created_at.eq(now),
            booking_confirmations::expires_at.eq(now + Duration::hours(CONFIRM_VALID_HOURS)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// What a confirmation link's token says.
#[derive(Debug)]
pub enum ConfirmCheck {
    Valid(Unconfirmed),
    Confirmed(Unconfirmed),
    /// Past its expiry, or its time has passed.
    Expired(Unconfirmed),
    Unknown,
}

pub fn check_unconfirmed(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<ConfirmCheck> {
    if token.len() > 200 {
        return Ok(ConfirmCheck::Unknown);
    }
    let found = booking_confirmations::table
        .filter(booking_confirmations::token_hash.eq(invitation::hash_token(token)))
        .select(Unconfirmed::as_select())
        .first(conn)
        .optional()?;
    Ok(match found {
        None => ConfirmCheck::Unknown,
        Some(u) if u.confirmed_at.is_some() => ConfirmCheck::Confirmed(u),
        Some(u) if u.expires_at <= now || u.starts_at <= now => ConfirmCheck::Expired(u),
        Some(u) => ConfirmCheck::Valid(u),
    })
}

/// Marks the request confirmed; false when another request confirmed it first.
pub fn mark_confirmed(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        booking_confirmations::table
            .filter(booking_confirmations::id.eq(id))
            .filter(booking_confirmations::confirmed_at.is_null()),
    )
    .set(booking_confirmations::confirmed_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}
