//! A provider's changes to their clients: add (always audited, with the invitation when
//! asked, in the same transaction), edit (refused when made from an older version), view
//! (every view of a record is in its activity log), archive and restore.

use diesel::QueryResult;

use super::{record, Act};
use crate::db::{write_transaction, DbConnection};
use crate::domain::client::ClientDetails;
use crate::domain::client_edit::{changed_fields, DetailValues};
use crate::models::audit::AuditAction;
use crate::models::client::{self, Client, CreateOptions, SaveClientError};
use crate::models::provider::Provider;
use crate::models::scope::{OwnedClient, Scope};

/// Records that the provider looked at `tab` of the client's record.
pub fn view(
    conn: &mut DbConnection,
    client: &OwnedClient,
    tab: &str,
    act: Act<'_>,
) -> QueryResult<()> {
    record(conn, client, AuditAction::ClientViewed, Some(tab), act)
}

/// Adds a client: stored with their contact (a child's parent or guardian), audited,
/// (when `options.notify`) invited and sent the questionnaires picked, all or nothing.
/// An email another client of this provider has is refused (`EmailTaken`), and so is a
/// client nobody could be reached through (`EmailNeeded`).
pub fn create(
    conn: &mut DbConnection,
    provider: &Provider,
    details: &ClientDetails,
    options: &CreateOptions,
    public_url: &str,
    act: Act<'_>,
) -> Result<OwnedClient, SaveClientError> {
    write_transaction(conn, |conn| {
        let reachable = details.email.is_some()
            || options
                .contact
                .as_ref()
                .is_some_and(|d| d.acts_for && d.email.is_some());
        if !reachable {
            return Err(SaveClientError::EmailNeeded);
        }
        let c = client::create(conn, &Scope::of(provider), details, options, act.now)?;
        record(conn, &c, AuditAction::ClientCreated, None, act)?;
        if let Some(d) = &options.contact {
            super::contacts::add(conn, &c, d, act)?;
        }
        if options.notify {
            crate::onboarding::invite(conn, provider, &c, public_url, act.now, act.ip)?;
        }
        super::measures::schedules::start(conn, provider, &c, &options.measures, public_url, act)
            .map_err(|e| match e {
            super::measures::schedules::ScheduleError::Database(e) => SaveClientError::Database(e),
            // The form offers only shipped questionnaires, each once.
            _ => SaveClientError::Database(diesel::result::Error::RollbackTransaction),
        })?;
        Ok(c)
    })
}

/// Saves an edit made from the details at `expected_version` (the form's values were
/// `submitted`): the changed fields are audited, and a changed email revokes the links
/// and reminders sent to the old one. Refused, with nothing saved, when the email is
/// another client's or the details changed since (`Stale`).
pub fn update(
    conn: &mut DbConnection,
    client: &OwnedClient,
    details: &ClientDetails,
    submitted: &DetailValues,
    expected_version: i64,
    act: Act<'_>,
) -> Result<(), SaveClientError> {
    write_transaction(conn, |conn| {
        if details.email.is_none()
            && !crate::models::contact::for_client(conn, client)?
                .iter()
                .any(|c| c.acts_for && c.email.is_some())
        {
            return Err(SaveClientError::EmailNeeded);
        }
        let before = client::update(conn, client, details, expected_version, act.now)?;
        if crate::domain::email::normalize(&before.email) != details.email_normalized() {
            crate::onboarding::email_changed(conn, client, act.now)?;
        }
        let changed = changed_fields(&before.detail_values(), submitted).join(", ");
        record(
            conn,
            client,
            AuditAction::ClientUpdated,
            Some(&changed),
            act,
        )?;
        Ok(())
    })
}

/// Archives (or restores) a client; their record is kept either way.
pub fn set_archived(
    conn: &mut DbConnection,
    client: &OwnedClient,
    archived: bool,
    act: Act<'_>,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        client::set_archived(conn, client, archived, act.now)?;
        let action = if archived {
            AuditAction::ClientArchived
        } else {
            AuditAction::ClientRestored
        };
        record(conn, client, action, None, act)
    })
}

/// The client as they are now, with the view of `tab` recorded: a form shown again after
/// a refused save shows the record, which is a view too.
pub fn current(
    conn: &mut DbConnection,
    client: &OwnedClient,
    tab: &str,
    act: Act<'_>,
) -> QueryResult<Client> {
    let now = client::reload(conn, client)?;
    view(conn, client, tab, act)?;
    Ok(now.into_row())
}
