//! The append-only audit trail of every view and change of a client's record. It holds
//! who, what, which client, when and from where — never the record's contents.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::ids::{new_row_id, ClientId, ProviderId};
use crate::db::schema::{audit_events, providers};
use crate::db::DbConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    ClientCreated,
    ClientImported,
    ClientViewed,
    ClientUpdated,
    ClientArchived,
    ClientRestored,
    DocumentUploaded,
    DocumentImported,
    DocumentViewed,
    InvitationSent,
    InsuranceVerified,
    InsuranceProblemReported,
    PaymentMethodAdded,
    /// The client signed themselves up through the booking link.
    BookingSignup,
    /// Someone used the booking link with this client's email.
    BookingEmailMatched,
    PortalAccountVerified,
    PortalViewed,
    PortalInsuranceAdded,
    PortalPrivatePayChosen,
    PortalPaymentMethodAdded,
    PortalFormsAcknowledged,
    /// An email about the client was put in the outbox; the subject names its kind.
    EmailQueued,
    /// One of the provider's signed-in sessions was ended (no client involved).
    SessionEnded,
}

impl AuditAction {
    const ALL: [AuditAction; 23] = [
        Self::ClientCreated,
        Self::ClientImported,
        Self::ClientViewed,
        Self::ClientUpdated,
        Self::ClientArchived,
        Self::ClientRestored,
        Self::DocumentUploaded,
        Self::DocumentImported,
        Self::DocumentViewed,
        Self::InvitationSent,
        Self::InsuranceVerified,
        Self::InsuranceProblemReported,
        Self::PaymentMethodAdded,
        Self::BookingSignup,
        Self::BookingEmailMatched,
        Self::PortalAccountVerified,
        Self::PortalViewed,
        Self::PortalInsuranceAdded,
        Self::PortalPrivatePayChosen,
        Self::PortalPaymentMethodAdded,
        Self::PortalFormsAcknowledged,
        Self::EmailQueued,
        Self::SessionEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCreated => "client.created",
            Self::ClientImported => "client.imported",
            Self::ClientViewed => "client.viewed",
            Self::ClientUpdated => "client.updated",
            Self::ClientArchived => "client.archived",
            Self::ClientRestored => "client.restored",
            Self::DocumentUploaded => "document.uploaded",
            Self::DocumentImported => "document.imported",
            Self::DocumentViewed => "document.viewed",
            Self::InvitationSent => "client.invited",
            Self::InsuranceVerified => "insurance.verified",
            Self::InsuranceProblemReported => "insurance.problem_reported",
            Self::PaymentMethodAdded => "payment_method.added",
            Self::BookingSignup => "booking.signup",
            Self::BookingEmailMatched => "booking.email_matched",
            Self::PortalAccountVerified => "portal.account_verified",
            Self::PortalViewed => "portal.viewed",
            Self::PortalInsuranceAdded => "portal.insurance_added",
            Self::PortalPrivatePayChosen => "portal.private_pay_chosen",
            Self::PortalPaymentMethodAdded => "portal.payment_method_added",
            Self::PortalFormsAcknowledged => "portal.forms_acknowledged",
            Self::EmailQueued => "email.queued",
            Self::SessionEnded => "session.ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Who acted: the client themselves (portal, booking page) or the provider.
    pub fn by_client(self) -> bool {
        matches!(
            self,
            Self::BookingSignup
                | Self::BookingEmailMatched
                | Self::PortalAccountVerified
                | Self::PortalViewed
                | Self::PortalInsuranceAdded
                | Self::PortalPrivatePayChosen
                | Self::PortalPaymentMethodAdded
                | Self::PortalFormsAcknowledged
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ClientCreated => "Added the client",
            Self::ClientImported => "Added the client by importing a file",
            Self::ClientViewed => "Viewed the record",
            Self::ClientUpdated => "Changed the details",
            Self::ClientArchived => "Archived the client",
            Self::ClientRestored => "Restored the client",
            Self::DocumentUploaded => "Uploaded a document",
            Self::DocumentImported => "Imported a document from a SimplePractice export",
            Self::DocumentViewed => "Opened a document",
            Self::InvitationSent => "Sent an invitation",
            Self::InsuranceVerified => "Marked the insurance verified",
            Self::InsuranceProblemReported => "Marked the insurance unverified and told the client",
            Self::PaymentMethodAdded => "Added a card on file",
            Self::BookingSignup => "Signed up through the booking link",
            Self::BookingEmailMatched => "Booking link used with this email",
            Self::PortalAccountVerified => "Verified their account",
            Self::PortalViewed => "Opened their portal",
            Self::PortalInsuranceAdded => "Added insurance details",
            Self::PortalPrivatePayChosen => "Chose private pay",
            Self::PortalPaymentMethodAdded => "Added a card on file",
            Self::PortalFormsAcknowledged => "Acknowledged the practice's forms",
            Self::EmailQueued => "Email queued",
            Self::SessionEnded => "Ended a signed-in session",
        }
    }
}

/// One event to record. `subject` says which part of the record: a tab or a document id.
pub struct AuditEntry<'a> {
    pub provider_id: &'a ProviderId,
    pub client_id: Option<&'a ClientId>,
    pub action: AuditAction,
    pub subject: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub fn record(conn: &mut DbConnection, entry: AuditEntry<'_>) -> QueryResult<()> {
    record_at(conn, entry, super::now())
}

pub fn record_at(
    conn: &mut DbConnection,
    entry: AuditEntry<'_>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(new_row_id()),
            audit_events::provider_id.eq(entry.provider_id.as_str()),
            audit_events::client_id.eq(entry.client_id.map(ClientId::as_str)),
            audit_events::action.eq(entry.action.as_str()),
            audit_events::subject.eq(entry.subject),
            audit_events::ip.eq(entry.ip),
            audit_events::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records one `action` for many clients at once (an import's clients or documents):
/// `(client, subject)` pairs, in multi-row inserts.
pub fn record_many(
    conn: &mut DbConnection,
    provider: &ProviderId,
    action: AuditAction,
    events: &[(&ClientId, &str)],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let rows: Vec<_> = events
        .iter()
        .map(|(client, subject)| {
            (
                audit_events::id.eq(new_row_id()),
                audit_events::provider_id.eq(provider.as_str()),
                audit_events::client_id.eq(Some(client.as_str())),
                audit_events::action.eq(action.as_str()),
                audit_events::subject.eq(Some(*subject)),
                audit_events::ip.eq(None::<&str>),
                audit_events::created_at.eq(at),
            )
        })
        .collect();
    for chunk in rows.chunks(4000) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(audit_events::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(audit_events::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct AuditEventRow {
    pub action: String,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub provider_first_name: String,
    pub provider_last_name: String,
}

/// The newest events of one client of this provider.
pub fn for_client(
    conn: &mut DbConnection,
    client: &super::scope::OwnedClient,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .inner_join(providers::table)
        .filter(audit_events::client_id.eq(client.id.as_str()))
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select((
            audit_events::action,
            audit_events::subject,
            audit_events::ip,
            audit_events::created_at,
            providers::first_name,
            providers::last_name,
        ))
        .load(conn)
}
