//! The provider's public booking link and the requests made through it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;

use super::scope::Scope;
use crate::db::ids::new_row_id;
use crate::db::schema::{booking_requests, providers};
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
