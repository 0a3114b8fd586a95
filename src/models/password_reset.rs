//! Single-use links to set a new password after forgetting it: a provider's own, or a
//! portal account's. Each works for an hour; only a SHA-256 of its token is kept, and a new
//! link replaces any earlier unused one.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::portal_account::OwnedAccount;
use crate::db::ids::{new_row_id, ProviderId};
use crate::db::schema::password_resets;
use crate::db::DbConnection;

pub const VALID_MINUTES: i64 = 60;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: String,
    pub provider_id: String,
    /// `None`: the provider's own password.
    pub account_id: Option<String>,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// Whose password a link resets.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    Provider(&'a ProviderId),
    Account(&'a OwnedAccount),
}

impl Holder<'_> {
    fn ids(&self) -> (String, Option<String>) {
        match self {
            Holder::Provider(p) => (p.as_str().to_string(), None),
            Holder::Account(a) => (a.provider_id().as_str().to_string(), Some(a.id.clone())),
        }
    }
}

/// What a link's token is now.
#[derive(Debug)]
pub enum Check {
    Valid(PasswordReset),
    /// Used, or replaced by a newer one.
    Used,
    Expired,
    Unknown,
}

/// The links of `holder` (this module's one filter by provider: a link names its holder,
/// and the paths that read it have nobody signed in).
fn of_holder<'a>(holder: Holder<'_>) -> password_resets::BoxedQuery<'a, crate::db::MultiBackend> {
    let (provider, account) = holder.ids();
    let q = password_resets::table
        .filter(password_resets::provider_id.eq(provider))
        .into_boxed();
    match account {
        Some(a) => q.filter(password_resets::account_id.eq(a)),
        None => q.filter(password_resets::account_id.is_null()),
    }
}

/// A new link for `holder`; earlier unused ones stop working. Returns the token.
pub fn create(
    conn: &mut DbConnection,
    holder: Holder<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let unused: Vec<String> = of_holder(holder)
        .filter(password_resets::used_at.is_null())
        .select(password_resets::id)
        .load(conn)?;
    diesel::update(password_resets::table.filter(password_resets::id.eq_any(unused)))
        .set(password_resets::used_at.eq(now))
        .execute(conn)?;
    let token = super::invitation::new_token();
    let (provider, account) = holder.ids();
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::id.eq(new_row_id()),
            password_resets::provider_id.eq(provider),
            password_resets::account_id.eq(account),
            password_resets::token_hash.eq(super::invitation::hash_token(&token)),
            password_resets::created_at.eq(now),
            password_resets::expires_at.eq(now + Duration::minutes(VALID_MINUTES)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Whether a link was made for `holder` since `since` (a second one waits).
pub fn sent_since(
    conn: &mut DbConnection,
    holder: Holder<'_>,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    let n: i64 = of_holder(holder)
        .filter(password_resets::created_at.gt(since))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn check(conn: &mut DbConnection, token: &str, now: NaiveDateTime) -> QueryResult<Check> {
    if token.len() > 100 {
        return Ok(Check::Unknown);
    }
    let row = password_resets::table
        .filter(password_resets::token_hash.eq(super::invitation::hash_token(token)))
        .select(PasswordReset::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Check::Unknown,
        Some(r) if r.used_at.is_some() => Check::Used,
        Some(r) if r.expires_at <= now => Check::Expired,
        Some(r) => Check::Valid(r),
    })
}

/// Uses a link once; `false` if it was used meanwhile.
pub fn mark_used(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        password_resets::table
            .filter(password_resets::id.eq(id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}
