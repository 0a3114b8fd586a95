//! Every email about a client passes through here: addressed to whoever receives the
//! client's emails (the client, and contacts who receive them — a minor's go to their
//! parents or guardians only), worded for each reader, queued in the outbox inside the
//! caller's transaction, and recorded in the client's audit trail.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::mail::{self, Reader};
use crate::models::contact::{self, Contact};
use crate::models::outbox;
use crate::models::provider::Provider;
use crate::models::scope::OwnedClient;

/// Builds a message for one reader.
pub type Compose<'a> = &'a dyn Fn(&Reader) -> Result<mail::Rendered, askama::Error>;

/// One email to queue for a client.
pub struct ClientEmail<'a> {
    /// The outbox's kind.
    pub kind: &'a str,
    /// The audit trail's name for it (a welcome is an invitation in the outbox).
    pub audit_as: &'a str,
    pub message: Compose<'a>,
    pub action_url: Option<&'a str>,
    pub send_after: NaiveDateTime,
    /// When it was queued (now, on the app's clock).
    pub queued_at: NaiveDateTime,
}

/// Someone an email about a client goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub email_normalized: String,
    /// Their full name.
    pub name: String,
    pub reader: Reader,
    /// The contact, when it is not the client.
    pub contact_id: Option<String>,
}

fn client_recipient(client: &OwnedClient) -> Option<Recipient> {
    client.own_email().map(|e| Recipient {
        email: e.to_string(),
        email_normalized: client.email_normalized.clone(),
        name: client.full_name(),
        reader: Reader::client(&client.first_name),
        contact_id: None,
    })
}

fn contact_recipient(client: &OwnedClient, c: &Contact) -> Option<Recipient> {
    let (email, normalized) = (c.email.clone()?, c.email_normalized.clone()?);
    Some(Recipient {
        email,
        email_normalized: normalized,
        name: c.name.clone(),
        reader: Reader {
            first_name: c.first_name().to_string(),
            about: Some(client.first_name.clone()),
        },
        contact_id: Some(c.id.clone()),
    })
}

/// Whoever receives the client's emails: the client's own address (not a minor's), and
/// each contact who receives them — each address once.
pub fn recipients(
    client: &OwnedClient,
    contacts: &[Contact],
    today: chrono::NaiveDate,
) -> Vec<Recipient> {
    let own = (!client.is_minor(today))
        .then(|| client_recipient(client))
        .flatten();
    let others = contacts
        .iter()
        .filter(|c| c.receives_emails)
        .filter_map(|c| contact_recipient(client, c));
    dedup(own.into_iter().chain(others).collect())
}

/// Whoever sets up the client's account and may act for them: the client themselves (not
/// a minor), and each contact who acts for them with an email — each address once.
pub fn setting_up(
    client: &OwnedClient,
    contacts: &[Contact],
    today: chrono::NaiveDate,
) -> Vec<Recipient> {
    let own = (!client.is_minor(today))
        .then(|| client_recipient(client))
        .flatten();
    let others = contacts
        .iter()
        .filter(|c| c.acts_for)
        .filter_map(|c| contact_recipient(client, c));
    dedup(own.into_iter().chain(others).collect())
}

fn dedup(mut all: Vec<Recipient>) -> Vec<Recipient> {
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| seen.insert(r.email_normalized.clone()));
    all
}

/// Queues a message to each of the client's recipients (worded for each) and records it
/// in the client's audit trail (with the address of whoever caused it, when a person did):
/// every email about a client passes through here. Nobody to send to: nothing is queued.
pub fn queue_for(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    email: ClientEmail<'_>,
    ip: Option<&str>,
) -> QueryResult<()> {
    queue_with_calendar_file(conn, provider, client, email, ip, None)
}

/// [`queue_for`], the email carrying one calendar file (a session's .ics) as an attachment.
pub fn queue_with_calendar_file(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    email: ClientEmail<'_>,
    ip: Option<&str>,
    calendar_ics: Option<&str>,
) -> QueryResult<()> {
    let contacts = contact::for_client(conn, client)?;
    let today = client.zone(provider.zone()).date_of(&email.queued_at);
    for r in recipients(client, &contacts, today) {
        queue_to_one(conn, provider, client, &r, &email, ip, calendar_ics)?;
    }
    Ok(())
}

/// Queues the email to one recipient (an invitation's own link goes to each person).
pub fn queue_to_one(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    to: &Recipient,
    email: &ClientEmail<'_>,
    ip: Option<&str>,
    calendar_ics: Option<&str>,
) -> QueryResult<()> {
    let message = (email.message)(&to.reader).map_err(render_error)?;
    let letter = Letter {
        to: &to.email,
        message: &message,
        ip,
        calendar_ics,
    };
    queue_to(conn, provider, client, email, letter)
}

/// One rendered message on its way to one address.
struct Letter<'a> {
    to: &'a str,
    message: &'a mail::Rendered,
    /// Whoever caused it (for the audit trail), when a person did.
    ip: Option<&'a str>,
    calendar_ics: Option<&'a str>,
}

/// An email to the provider about a client (a risk alert): audited in the client's trail
/// like every email about them.
pub fn queue_to_provider(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    email: ClientEmail<'_>,
) -> QueryResult<()> {
    let message = (email.message)(&Reader::client(&provider.first_name)).map_err(render_error)?;
    let letter = Letter {
        to: &provider.email,
        message: &message,
        ip: None,
        calendar_ics: None,
    };
    queue_to(conn, provider, client, &email, letter)
}

fn queue_to(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    email: &ClientEmail<'_>,
    letter: Letter<'_>,
) -> QueryResult<()> {
    let Letter {
        to,
        message,
        ip,
        calendar_ics,
    } = letter;
    crate::models::audit::record_at(
        conn,
        crate::models::audit::AuditEntry {
            provider_id: &provider.id(),
            client_id: Some(&client.client_id()),
            action: crate::models::audit::AuditAction::EmailQueued,
            subject: Some(email.audit_as),
            ip,
        },
        email.queued_at,
    )?;
    outbox::queue(
        conn,
        &outbox::NewEmail {
            provider_id: &provider.id(),
            client_id: Some(&client.client_id()),
            kind: email.kind,
            to,
            subject: &message.subject,
            text: &message.text,
            html: &message.html,
            action_url: email.action_url,
            send_after: email.send_after,
            queued_at: email.queued_at,
            calendar_ics,
        },
    )
    .map(|_| ())
}

pub fn render_error(e: askama::Error) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(e))
}
