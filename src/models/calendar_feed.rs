//! The provider's private calendar feed: whether it is on, the secret token in its address,
//! and how clients are named in it; and the entries it publishes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;

use super::appointment::Appointment;
use super::scope::Scope;
use crate::db::schema::{calendar_feeds, clients, services};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_feeds)]
pub struct CalendarFeed {
    pub provider_id: String,
    pub token: String,
    pub full_names: bool,
    pub created_at: NaiveDateTime,
}

/// 32 random bytes, URL-safe: the address is the only secret of the feed.
fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a path segment could be a feed token at all (43 URL-safe characters).
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn of(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Option<CalendarFeed>> {
    scope
        .calendar_feeds()
        .select(CalendarFeed::as_select())
        .first(conn)
        .optional()
}

/// Turns the feed on (a feed already on keeps its address).
pub fn turn_on(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
) -> QueryResult<CalendarFeed> {
    if let Some(feed) = of(conn, scope)? {
        return Ok(feed);
    }
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::provider_id.eq(scope.provider_id().as_str()),
            calendar_feeds::token.eq(new_token()),
            calendar_feeds::full_names.eq(false),
            calendar_feeds::created_at.eq(now),
        ))
        .execute(conn)?;
    of(conn, scope)?.ok_or(diesel::result::Error::NotFound)
}

/// A new address; the old one stops working at once. `false` when the feed is off.
pub fn replace_token(conn: &mut DbConnection, scope: &Scope) -> QueryResult<bool> {
    let n = diesel::update(scope.calendar_feeds())
        .set(calendar_feeds::token.eq(new_token()))
        .execute(conn)?;
    Ok(n > 0)
}

pub fn turn_off(conn: &mut DbConnection, scope: &Scope) -> QueryResult<()> {
    diesel::delete(scope.calendar_feeds()).execute(conn)?;
    Ok(())
}

/// `false` when the feed is off.
pub fn set_full_names(conn: &mut DbConnection, scope: &Scope, full: bool) -> QueryResult<bool> {
    let n = diesel::update(scope.calendar_feeds())
        .set(calendar_feeds::full_names.eq(full))
        .execute(conn)?;
    Ok(n > 0)
}

/// One entry of the feed with the names it is shown by.
pub struct FeedEntry {
    pub appointment: Appointment,
    /// The client's first and last name (a session), or a consultation's contact name.
    pub person: Option<(String, String)>,
    pub service: Option<String>,
}

/// The provider's entries ending after `from`, soonest first, with their client's name
/// and service: three queries, whatever the number of entries.
pub fn entries_since(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDateTime,
) -> QueryResult<Vec<FeedEntry>> {
    use crate::db::schema::appointments;
    use rustc_hash::FxHashMap;
    let rows: Vec<Appointment> = scope
        .appointments()
        .filter(appointments::ends_at.gt(from))
        .order(appointments::starts_at)
        .select(Appointment::as_select())
        .load(conn)?;
    let names: FxHashMap<String, (String, String)> = scope
        .clients()
        .select((clients::id, clients::first_name, clients::last_name))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, first, last)| (id, (first, last)))
        .collect();
    let service_names: FxHashMap<String, String> = scope
        .services()
        .select((services::id, services::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| {
            let person = match (&a.client_id, &a.contact_name) {
                (Some(id), _) => names.get(id).cloned(),
                (None, Some(contact)) => {
                    let mut parts = contact.split_whitespace();
                    let first = parts.next().unwrap_or("").to_string();
                    let last = parts.last().unwrap_or("").to_string();
                    Some((first, last))
                }
                (None, None) => None,
            };
            let service = a
                .service_id
                .as_ref()
                .and_then(|id| service_names.get(id).cloned());
            FeedEntry {
                appointment: a,
                person,
                service,
            }
        })
        .collect())
}
