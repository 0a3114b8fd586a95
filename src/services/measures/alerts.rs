//! Resolving a risk alert: the provider says what was done; who, when and the note are
//! kept and audited, and the banners go.

use crate::db::{write_transaction, DbConnection};
use crate::models::audit::AuditAction;
use crate::models::provider::Provider;
use crate::models::risk_alert;
use crate::models::scope::OwnedClient;
use crate::services::{record, Act};

/// The longest note kept.
pub const MAX_NOTE: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("Say what was done (a safety check, a call, a plan…) before resolving the alert.")]
    NoNote,
    #[error("The note is too long: keep it under {MAX_NOTE} characters.")]
    TooLong,
    #[error("This alert was already resolved.")]
    AlreadyResolved,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl crate::services::Refusal for ResolveError {
    fn database(self) -> Result<diesel::result::Error, Self> {
        match self {
            Self::Database(e) => Ok(e),
            other => Err(other),
        }
    }
}

pub fn resolve(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    alert_id: &str,
    note: &str,
    act: Act<'_>,
) -> Result<(), ResolveError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ResolveError::NoNote);
    }
    if note.chars().count() > MAX_NOTE {
        return Err(ResolveError::TooLong);
    }
    write_transaction(conn, |conn| {
        let alert =
            risk_alert::find_open(conn, client, alert_id)?.ok_or(ResolveError::AlreadyResolved)?;
        if !risk_alert::resolve(conn, &alert, &provider.full_name(), note, act.now)? {
            return Err(ResolveError::AlreadyResolved);
        }
        record(
            conn,
            client,
            AuditAction::RiskAlertResolved,
            Some(alert_id),
            act,
        )?;
        Ok(())
    })
}
