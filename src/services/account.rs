//! A provider's own account: ending signed-in sessions (one, or all but this browser's)
//! and changing the password, which ends every session. Each end is in the audit trail.

use diesel::QueryResult;

use super::Act;
use crate::db::ids::ProviderId;
use crate::db::{write_transaction, DbConnection};
use crate::domain::client::FieldErrors;
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::failed_login;
use crate::models::provider::{self, Provider};
use crate::models::scope::Scope;
use crate::models::sign_in_session::{self, Lifetimes, Origin, Who};
use crate::passwords;

/// Records that one of a provider's own sessions was ended, and why.
fn record_session_ended(
    conn: &mut DbConnection,
    provider: &ProviderId,
    why: &str,
    act: Act<'_>,
) -> QueryResult<()> {
    audit::record_at(
        conn,
        AuditEntry {
            provider_id: provider,
            client_id: None,
            action: AuditAction::SessionEnded,
            subject: Some(why),
            ip: act.ip,
        },
        act.now,
    )
}

/// Signs out the session of this token (a copy of its cookie is signed out too); a
/// provider's is recorded in their audit trail.
pub fn sign_out(conn: &mut DbConnection, token: &str, act: Act<'_>) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        if let Some(row) = sign_in_session::end_token(conn, token)? {
            if row.client_id.is_none() {
                let provider = ProviderId(row.provider_id);
                record_session_ended(conn, &provider, "signed out", act)?;
            }
        }
        Ok(())
    })
}

/// Ends one of the provider's own sessions by its id; `false` when they have none such.
pub fn end_session(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
    act: Act<'_>,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        if !sign_in_session::end_providers(conn, scope, id)? {
            return Ok(false);
        }
        record_session_ended(conn, scope.provider_id(), "signed out from Settings", act)?;
        Ok(true)
    })
}

/// Ends every session of the provider but `keep`; returns how many ended.
pub fn end_other_sessions(
    conn: &mut DbConnection,
    scope: &Scope,
    keep: Option<&str>,
    why: &str,
    act: Act<'_>,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let ids = sign_in_session::end_provider_others(conn, scope, keep)?;
        for _ in &ids {
            record_session_ended(conn, scope.provider_id(), why, act)?;
        }
        Ok(ids.len())
    })
}

/// Why a password was not changed (by field), or the database failed.
#[derive(Debug)]
pub enum PasswordError {
    Invalid(FieldErrors),
    /// The new password could not be hashed (the message says why; nothing changed).
    Hash(String),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for PasswordError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(e)
    }
}

/// Changes the password when `current` is right (wrong guesses are limited like
/// sign-ins) and `new` is strong enough. Every session ends, `this_session`'s too (a copy
/// of its cookie must not live on); returns the token of this browser's new session.
/// The password form: the current password and the new one.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
}

pub fn change_password(
    conn: &mut DbConnection,
    provider: &Provider,
    change: PasswordChange<'_>,
    this_session: Option<&str>,
    origin: &Origin,
    lifetimes: Lifetimes,
    act: Act<'_>,
) -> Result<String, PasswordError> {
    let PasswordChange { current, new } = change;
    let id = provider.id();
    let mut errors = FieldErrors::new();
    let key = format!("password:{}", id.as_str());
    let attempt = match failed_login::begin(conn, &key, origin.ip.as_deref(), act.now)? {
        failed_login::Check::Locked(until) => {
            errors.insert(
                "current_password",
                failed_login::locked_message("wrong passwords", until, provider.zone()),
            );
            return Err(PasswordError::Invalid(errors));
        }
        failed_login::Check::Allowed(attempt) => attempt,
    };
    if passwords::verify(current, &provider.password_hash) {
        failed_login::succeeded(conn, attempt)?;
    } else {
        errors.insert(
            "current_password",
            "That is not your current password.".into(),
        );
    }
    if let Err(e) = passwords::check_strength(new) {
        errors.insert("new_password", e);
    }
    if !errors.is_empty() {
        return Err(PasswordError::Invalid(errors));
    }
    let hash = passwords::hash(new).map_err(PasswordError::Hash)?;
    let scope = Scope::of(provider);
    write_transaction(conn, |conn| {
        provider::update_password_hash(conn, &id, &hash)?;
        end_other_sessions(conn, &scope, this_session, "password changed", act)?;
        if let Some(this) = this_session {
            sign_in_session::end_providers(conn, &scope, this)?;
        }
        Ok(sign_in_session::start(
            conn,
            &Who::Provider(id.clone()),
            origin,
            act.now,
            lifetimes,
        )?)
    })
}
