//! Single-use links that let a client set up their portal account. Only a SHA-256 of the
//! token is stored; the token itself lives in the emailed link.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::scope::OwnedClient;
use crate::db::ids::new_row_id;
use crate::db::schema::client_invitations;
use crate::db::DbConnection;

pub const VALID_DAYS: i64 = 7;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = client_invitations)]
pub struct Invitation {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// Who it was sent to: `None` (links sent before families) means the client.
    pub recipient_email: Option<String>,
    pub recipient_name: Option<String>,
}

/// What a link's token says when it is opened.
#[derive(Debug)]
pub enum TokenCheck {
    Valid(Invitation),
    Used(Invitation),
    Expired(Invitation),
    Unknown,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Creates a fresh link for the client, to one person (the client, or a contact who acts
/// for them), and revokes any earlier unused one of that person's. Returns the token,
/// which exists nowhere else once the email is sent.
pub fn create(
    conn: &mut DbConnection,
    client: &OwnedClient,
    to: &crate::client_email::Recipient,
    now: NaiveDateTime,
) -> QueryResult<String> {
    diesel::update(
        client_invitations::table
            .filter(client_invitations::client_id.eq(client.id.as_str()))
            .filter(client_invitations::recipient_email.eq(&to.email_normalized))
            .filter(client_invitations::used_at.is_null())
            .filter(client_invitations::revoked_at.is_null()),
    )
    .set(client_invitations::revoked_at.eq(Some(now)))
    .execute(conn)?;
    if to.contact_id.is_none() {
        // Links sent before families were the client's own.
        diesel::update(
            client_invitations::table
                .filter(client_invitations::client_id.eq(client.id.as_str()))
                .filter(client_invitations::recipient_email.is_null())
                .filter(client_invitations::used_at.is_null())
                .filter(client_invitations::revoked_at.is_null()),
        )
        .set(client_invitations::revoked_at.eq(Some(now)))
        .execute(conn)?;
    }
    let token = new_token();
    diesel::insert_into(client_invitations::table)
        .values((
            client_invitations::id.eq(new_row_id()),
            client_invitations::provider_id.eq(client.provider_id().as_str()),
            client_invitations::client_id.eq(client.id.as_str()),
            client_invitations::token_hash.eq(hash_token(&token)),
            client_invitations::created_at.eq(now),
            client_invitations::expires_at.eq(now + Duration::days(VALID_DAYS)),
            client_invitations::recipient_email.eq(&to.email_normalized),
            client_invitations::recipient_name.eq(&to.name),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn check(conn: &mut DbConnection, token: &str, now: NaiveDateTime) -> QueryResult<TokenCheck> {
    if token.len() > 200 {
        return Ok(TokenCheck::Unknown);
    }
    let found = client_invitations::table
        .filter(client_invitations::token_hash.eq(hash_token(token)))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?;
    Ok(match found {
        None => TokenCheck::Unknown,
        Some(inv) if inv.used_at.is_some() || inv.revoked_at.is_some() => TokenCheck::Used(inv),
        Some(inv) if inv.expires_at <= now => TokenCheck::Expired(inv),
        Some(inv) => TokenCheck::Valid(inv),
    })
}

/// Marks the link used; false when another request used it first.
pub fn mark_used(
    conn: &mut DbConnection,
    invitation_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        client_invitations::table
            .filter(client_invitations::id.eq(invitation_id))
            .filter(client_invitations::used_at.is_null())
            .filter(client_invitations::revoked_at.is_null()),
    )
    .set(client_invitations::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every unused link of the client (their email changed, so old links point at
/// the wrong inbox).
pub fn revoke_unused(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        client_invitations::table
            .filter(client_invitations::client_id.eq(client.id.as_str()))
            .filter(client_invitations::used_at.is_null())
            .filter(client_invitations::revoked_at.is_null()),
    )
    .set(client_invitations::revoked_at.eq(Some(now)))
    .execute(conn)
}

/// Revokes the unused links of the client sent to this address (a contact who no longer
/// acts for them).
pub fn revoke_unused_to(
    conn: &mut DbConnection,
    client: &OwnedClient,
    email_normalized: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        client_invitations::table
            .filter(client_invitations::client_id.eq(client.id.as_str()))
            .filter(client_invitations::recipient_email.eq(email_normalized))
            .filter(client_invitations::used_at.is_null())
            .filter(client_invitations::revoked_at.is_null()),
    )
    .set(client_invitations::revoked_at.eq(Some(now)))
    .execute(conn)
}

/// Whether a link was issued for the client (to this person, or to anyone) since `since`: new links are not handed out
/// faster than that, so nobody can keep revoking a client's link from a public page.
pub fn issued_since(
    conn: &mut DbConnection,
    client: &OwnedClient,
    to: Option<&crate::client_email::Recipient>,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    let mut q = client_invitations::table
        .filter(client_invitations::client_id.eq(client.id.as_str()))
        .into_boxed();
    if let Some(to) = to {
        q = q.filter(client_invitations::recipient_email.eq(to.email_normalized.clone()));
    }
    q.filter(client_invitations::created_at.gt(since))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}
