//! Someone signs up through a provider's public booking link: a new client invited to
//! set up their account, or (for an email already on the list) that client told, never
//! a duplicate. Limited per address per hour; always audited.

use diesel::QueryResult;

use super::Act;
use crate::db::write_transaction;
use crate::db::DbConnection;
use crate::domain::client::ClientDetails;
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::client::{self, CreateOptions, SaveClientError};
use crate::models::provider::Provider;
use crate::models::{booking, scope::Scope};
use crate::onboarding;

/// What a sign-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    /// Done (a new client, or the existing one told); the page says the same either way.
    Received,
    /// This address has used up its sign-ups for the hour: nothing was made.
    RateLimited,
}

pub fn sign_up(
    conn: &mut DbConnection,
    provider: &Provider,
    details: &ClientDetails,
    public_url: &str,
    ip: &str,
    act: Act<'_>,
) -> QueryResult<SignUp> {
    let now = act.now;
    write_transaction(conn, |conn| {
        if booking::rate_limited(conn, ip, now)? {
            return Ok(SignUp::RateLimited);
        }
        let scope = Scope::of(provider);
        booking::record(conn, &scope, ip, now)?;
        let options = CreateOptions {
            notify: true,
            assessments: vec![],
        };
        let (c, action) = match client::create(conn, &scope, details, &options, now) {
            Ok(c) => {
                onboarding::invite(conn, provider, &c, public_url, now, Some(ip))?;
                (c, AuditAction::BookingSignup)
            }
            Err(SaveClientError::EmailTaken { existing }) => {
                let c = scope
                    .client(conn, &existing)?
                    .ok_or(diesel::result::Error::NotFound)?;
                onboarding::notify_existing_client(conn, provider, &c, public_url, now, Some(ip))?;
                (c, AuditAction::BookingEmailMatched)
            }
            // A new client has no earlier version to be stale against.
            Err(SaveClientError::NotFound | SaveClientError::Stale { .. }) => {
                return Err(diesel::result::Error::NotFound)
            }
            Err(SaveClientError::Database(e)) => return Err(e),
        };
        audit::record_at(
            conn,
            AuditEntry {
                provider_id: c.provider_id(),
                client_id: Some(&c.client_id()),
                action,
                subject: None,
                ip: Some(ip),
            },
            now,
        )?;
        Ok(SignUp::Received)
    })
}
