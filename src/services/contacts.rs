//! A client's contacts, changed by the provider: added, changed (from the version the form
//! showed) or removed, each audited. A contact who no longer acts for the client loses the
//! portal access that came with it at once (the portal checks on every request), and any
//! unused setup link sent to them stops working.

use diesel::QueryResult;

use super::{record, Act};
use crate::db::{write_transaction, DbConnection};
use crate::models::audit::AuditAction;
use crate::models::contact::{self, Contact, ContactDetails};
use crate::models::invitation;
use crate::models::scope::OwnedClient;

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("This contact was changed by someone else meanwhile. Look at it again and repeat your change if it is still needed.")]
    Stale,
    #[error("{0} has no email of their own, and this is the only contact who receives their emails and acts for them with an email. Add another such contact first, or give {0} an email.")]
    LastWayToReach(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl crate::services::Refusal for ContactError {
    fn database(self) -> Result<diesel::result::Error, Self> {
        match self {
            Self::Database(e) => Ok(e),
            other => Err(other),
        }
    }
}

/// How a contact is described in the audit trail (their role, never their details).
fn described(d: &ContactDetails) -> String {
    let mut s = d.relationship.label().to_lowercase();
    if d.acts_for {
        s.push_str(", acts for the client");
    }
    if d.receives_emails {
        s.push_str(", receives their emails");
    }
    s
}

/// Whether the client can still be reached (and act) without this contact: they have an
/// email of their own, or another contact acts for them with one.
fn reachable_without(
    conn: &mut DbConnection,
    client: &OwnedClient,
    without: &str,
) -> QueryResult<bool> {
    if client.own_email().is_some() {
        return Ok(true);
    }
    Ok(contact::for_client(conn, client)?
        .iter()
        .any(|c| c.id != without && c.acts_for && c.email.is_some()))
}

pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    d: &ContactDetails,
    act: Act<'_>,
) -> QueryResult<String> {
    write_transaction(conn, |conn| {
        let id = contact::add(conn, client, d, act.now)?;
        record(
            conn,
            client,
            AuditAction::ContactAdded,
            Some(&described(d)),
            act,
        )?;
        Ok(id)
    })
}

pub fn change(
    conn: &mut DbConnection,
    client: &OwnedClient,
    contact_id: &str,
    version: i64,
    d: &ContactDetails,
    act: Act<'_>,
) -> Result<(), ContactError> {
    write_transaction(conn, |conn| {
        let c = contact::find(conn, client, contact_id)?.ok_or(diesel::result::Error::NotFound)?;
        let still_acts = d.acts_for && d.email.is_some();
        if !still_acts && !reachable_without(conn, client, &c.id)? {
            return Err(ContactError::LastWayToReach(client.first_name.clone()));
        }
        if !contact::update(conn, &c, version, d)? {
            return Err(ContactError::Stale);
        }
        if lost_access(&c, d) {
            revoke_links(conn, client, &c, act)?;
        }
        record(
            conn,
            client,
            AuditAction::ContactChanged,
            Some(&described(d)),
            act,
        )?;
        Ok(())
    })
}

pub fn remove(
    conn: &mut DbConnection,
    client: &OwnedClient,
    contact_id: &str,
    act: Act<'_>,
) -> Result<(), ContactError> {
    write_transaction(conn, |conn| {
        let c = contact::find(conn, client, contact_id)?.ok_or(diesel::result::Error::NotFound)?;
        if !reachable_without(conn, client, &c.id)? {
            return Err(ContactError::LastWayToReach(client.first_name.clone()));
        }
        contact::remove(conn, &c)?;
        revoke_links(conn, client, &c, act)?;
        record(
            conn,
            client,
            AuditAction::ContactRemoved,
            Some(&c.relationship().label().to_lowercase()),
            act,
        )?;
        Ok(())
    })
}

/// The contact acted for the client (or had this email) and no longer does.
fn lost_access(before: &Contact, after: &ContactDetails) -> bool {
    before.acts_for
        && (!after.acts_for
            || after.email.as_ref().map(|e| e.normalized()) != before.email_normalized.as_deref())
}

fn revoke_links(
    conn: &mut DbConnection,
    client: &OwnedClient,
    c: &Contact,
    act: Act<'_>,
) -> QueryResult<()> {
    if let Some(email) = &c.email_normalized {
        invitation::revoke_unused_to(conn, client, email, act.now)?;
    }
    Ok(())
}
