//! Every email about a client passes through here: queued in the outbox inside the
//! caller's transaction, and recorded in the client's audit trail.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::mail;
use crate::models::outbox;
use crate::models::provider::Provider;
use crate::models::scope::OwnedClient;

/// One email to queue for a client.
pub struct ClientEmail<'a> {
    /// The outbox's kind.
    pub kind: &'a str,
    /// The audit trail's name for it (a welcome is an invitation in the outbox).
    pub audit_as: &'a str,
    pub message: &'a mail::Rendered,
    pub action_url: Option<&'a str>,
    pub send_after: NaiveDateTime,
    /// When it was queued (now, on the app's clock).
    pub queued_at: NaiveDateTime,
}

/// Queues a rendered message to the client and records it in the client's audit trail
/// (with the address of whoever caused it, when a person did): every email about a client
/// passes through here.
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
    queue_to(
        conn,
        provider,
        client,
        &client.email,
        email,
        ip,
        calendar_ics,
    )
}

/// An email to the provider about a client (a risk alert): audited in the client's trail
/// like every email about them.
pub fn queue_to_provider(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    email: ClientEmail<'_>,
) -> QueryResult<()> {
    queue_to(conn, provider, client, &provider.email, email, None, None)
}

fn queue_to(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    to: &str,
    email: ClientEmail<'_>,
    ip: Option<&str>,
    calendar_ics: Option<&str>,
) -> QueryResult<()> {
    let ClientEmail {
        kind,
        audit_as,
        message,
        action_url,
        send_after,
        queued_at,
    } = email;
    crate::models::audit::record_at(
        conn,
        crate::models::audit::AuditEntry {
            provider_id: &provider.id(),
            client_id: Some(&client.client_id()),
            action: crate::models::audit::AuditAction::EmailQueued,
            subject: Some(audit_as),
            ip,
        },
        queued_at,
    )?;
    outbox::queue(
        conn,
        &outbox::NewEmail {
            provider_id: &provider.id(),
            client_id: Some(&client.client_id()),
            kind,
            to,
            subject: &message.subject,
            text: &message.text,
            html: &message.html,
            action_url,
            send_after,
            queued_at,
            calendar_ics,
        },
    )
    .map(|_| ())
}

pub fn render_error(e: askama::Error) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(e))
}
