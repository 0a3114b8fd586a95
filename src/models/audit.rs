//! The append-only audit trail of every view and change of a client's record. It holds
//! who, what, which client, when and from where — never the record's contents.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::ids::{new_row_id, ClientId, ProviderId};
use crate::db::schema::{audit_events, providers};
use crate::db::DbConnection;

/// What happened, stored as its dotted name (`client.viewed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
pub enum AuditAction {
    #[strum(serialize = "client.created")]
    ClientCreated,
    #[strum(serialize = "client.imported")]
    ClientImported,
    #[strum(serialize = "client.viewed")]
    ClientViewed,
    #[strum(serialize = "client.updated")]
    ClientUpdated,
    #[strum(serialize = "client.archived")]
    ClientArchived,
    #[strum(serialize = "client.restored")]
    ClientRestored,
    #[strum(serialize = "document.uploaded")]
    DocumentUploaded,
    #[strum(serialize = "document.imported")]
    DocumentImported,
    #[strum(serialize = "document.viewed")]
    DocumentViewed,
    #[strum(serialize = "client.invited")]
    InvitationSent,
    #[strum(serialize = "insurance.verified")]
    InsuranceVerified,
    #[strum(serialize = "insurance.problem_reported")]
    InsuranceProblemReported,
    #[strum(serialize = "payment_method.added")]
    PaymentMethodAdded,
    /// The client signed themselves up through the booking link.
    #[strum(serialize = "booking.signup")]
    BookingSignup,
    /// Someone used the booking link with this client's email.
    #[strum(serialize = "booking.email_matched")]
    BookingEmailMatched,
    /// The client asked for a session time through the booking link; the subject is the
    /// requested entry's id.
    #[strum(serialize = "booking.requested")]
    BookingRequested,
    /// The provider accepted a booking request: it is a scheduled session.
    #[strum(serialize = "booking.accepted")]
    BookingAccepted,
    /// The provider declined a booking request (or accepted another for its time).
    #[strum(serialize = "booking.declined")]
    BookingDeclined,
    #[strum(serialize = "portal.account_verified")]
    PortalAccountVerified,
    #[strum(serialize = "portal.viewed")]
    PortalViewed,
    #[strum(serialize = "portal.insurance_added")]
    PortalInsuranceAdded,
    #[strum(serialize = "portal.private_pay_chosen")]
    PortalPrivatePayChosen,
    #[strum(serialize = "portal.payment_method_added")]
    PortalPaymentMethodAdded,
    #[strum(serialize = "portal.forms_acknowledged")]
    PortalFormsAcknowledged,
    /// An email about the client was put in the outbox; the subject names its kind.
    #[strum(serialize = "email.queued")]
    EmailQueued,
    /// One of the provider's signed-in sessions was ended (no client involved).
    #[strum(serialize = "session.ended")]
    SessionEnded,
    /// A session with the client was put on the calendar; the subject is its id.
    #[strum(serialize = "appointment.scheduled")]
    AppointmentScheduled,
    /// The session took place and was confirmed with its codes.
    #[strum(serialize = "appointment.confirmed")]
    AppointmentConfirmed,
    /// Cancelled, late-cancelled or a no-show; the subject is its id.
    #[strum(serialize = "appointment.closed")]
    AppointmentClosed,
    /// Moved, or its service, place or note changed; the subject is its id.
    #[strum(serialize = "appointment.changed")]
    AppointmentChanged,
    /// A confirmed session's codes, times or note corrected (within 48 hours).
    #[strum(serialize = "appointment.amended")]
    AppointmentAmended,
    /// The client cancelled it from their portal.
    #[strum(serialize = "portal.appointment_cancelled")]
    PortalAppointmentCancelled,
    /// The client entered what they know of their plan (copay, deductible…).
    #[strum(serialize = "portal.plan_entered")]
    PortalPlanEntered,
    /// A Good Faith Estimate was issued to the client; the subject is its id.
    #[strum(serialize = "good_faith_estimate.issued")]
    GoodFaithEstimateIssued,
    /// The client asked for a Good Faith Estimate from their portal.
    #[strum(serialize = "portal.good_faith_estimate_requested")]
    PortalEstimateRequested,
    /// The client acknowledged receiving a Good Faith Estimate; the subject is its id.
    #[strum(serialize = "portal.good_faith_estimate_acknowledged")]
    PortalEstimateAcknowledged,
    /// The client downloaded a session's calendar file; the subject is its id.
    #[strum(serialize = "portal.calendar_file_downloaded")]
    PortalCalendarFileDownloaded,
    /// A questionnaire was started for the client; the subject names it and how often.
    #[strum(serialize = "measure.scheduled")]
    MeasureScheduled,
    /// A questionnaire's schedule was paused, resumed, stopped or changed; the subject says how.
    #[strum(serialize = "measure.changed")]
    MeasureChanged,
    /// The client completed a questionnaire through their link; the subject names it.
    #[strum(serialize = "portal.assessment_completed")]
    PortalAssessmentCompleted,
    /// The provider entered a questionnaire's answers in session, on the client's behalf.
    #[strum(serialize = "assessment.administered")]
    AssessmentAdministered,
    /// An answer raised a risk alert (PHQ-9 item 9 above 0); the subject is the alert's id.
    #[strum(serialize = "risk_alert.raised")]
    RiskAlertRaised,
    /// The provider resolved a risk alert with a note; the subject is the alert's id.
    #[strum(serialize = "risk_alert.resolved")]
    RiskAlertResolved,
    /// The provider downloaded the client's questionnaire results as CSV.
    #[strum(serialize = "assessment.results_downloaded")]
    AssessmentResultsDownloaded,
    /// A contact was added to the client's record; the subject names them and how.
    #[strum(serialize = "contact.added")]
    ContactAdded,
    #[strum(serialize = "contact.changed")]
    ContactChanged,
    #[strum(serialize = "contact.removed")]
    ContactRemoved,
    /// The provider sent the client (or whoever acts for them) a sign-in link.
    #[strum(serialize = "client.sign_in_link_sent")]
    SignInLinkSent,
    /// Someone asked for a link to set a new password (a provider's own, or a portal
    /// account's); no client is named.
    #[strum(serialize = "password.reset_requested")]
    PasswordResetRequested,
    /// A password was set through such a link; every session of its holder ended.
    #[strum(serialize = "password.reset")]
    PasswordReset,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// Who acted: the client themselves (portal, booking page) or the provider.
    pub fn by_client(self) -> bool {
        matches!(
            self,
            Self::BookingSignup
                | Self::BookingEmailMatched
                | Self::BookingRequested
                | Self::PortalAccountVerified
                | Self::PortalViewed
                | Self::PortalInsuranceAdded
                | Self::PortalPrivatePayChosen
                | Self::PortalPaymentMethodAdded
                | Self::PortalFormsAcknowledged
                | Self::PortalCalendarFileDownloaded
                | Self::PortalEstimateAcknowledged
                | Self::PortalPlanEntered
                | Self::PortalEstimateRequested
                | Self::PortalAssessmentCompleted
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
            Self::BookingRequested => "Asked for a session time through the booking link",
            Self::BookingAccepted => "Accepted a booking request",
            Self::BookingDeclined => "Declined a booking request",
            Self::GoodFaithEstimateIssued => "Issued a Good Faith Estimate",
            Self::PortalPlanEntered => "Entered their plan's details",
            Self::PortalEstimateRequested => "Asked for a Good Faith Estimate",
            Self::PortalEstimateAcknowledged => "Acknowledged receiving a Good Faith Estimate",
            Self::PortalAccountVerified => "Verified their account",
            Self::PortalViewed => "Opened their portal",
            Self::PortalInsuranceAdded => "Added insurance details",
            Self::PortalPrivatePayChosen => "Chose private pay",
            Self::PortalPaymentMethodAdded => "Added a card on file",
            Self::PortalFormsAcknowledged => "Acknowledged the practice's forms",
            Self::EmailQueued => "Email queued",
            Self::SessionEnded => "Ended a signed-in session",
            Self::AppointmentScheduled => "Scheduled a session",
            Self::AppointmentConfirmed => "Confirmed a session",
            Self::AppointmentClosed => "Cancelled a session or marked it a no-show",
            Self::AppointmentChanged => "Changed a session",
            Self::AppointmentAmended => "Corrected a confirmed session",
            Self::PortalAppointmentCancelled => "Cancelled a session from the portal",
            Self::PortalCalendarFileDownloaded => "Downloaded a session's calendar file",
            Self::MeasureScheduled => "Started sending a questionnaire",
            Self::MeasureChanged => "Changed when a questionnaire is sent",
            Self::PortalAssessmentCompleted => "Completed a questionnaire",
            Self::AssessmentAdministered => {
                "Entered a questionnaire's answers in session, for the client"
            }
            Self::RiskAlertRaised => "A questionnaire answer raised a risk alert",
            Self::RiskAlertResolved => "Resolved a risk alert",
            Self::AssessmentResultsDownloaded => "Downloaded the questionnaire results (CSV)",
            Self::ContactAdded => "Added a contact",
            Self::ContactChanged => "Changed a contact",
            Self::ContactRemoved => "Removed a contact",
            Self::SignInLinkSent => "Sent a sign-in link",
            Self::PasswordResetRequested => "A link to set a new password was asked for",
            Self::PasswordReset => "A new password was set through an emailed link",
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
                audit_events::provider_id.eq(provider.as_str().to_string()),
                audit_events::client_id.eq(Some(client.as_str().to_string())),
                audit_events::action.eq(action.as_str()),
                audit_events::subject.eq(Some(subject.to_string())),
                audit_events::ip.eq(None::<&'static str>),
                audit_events::created_at.eq(at),
            )
        })
        .collect();
    // Owned values, so that a full chunk's statement is prepared once.
    crate::db::insert_in_chunks!(conn, audit_events::table, rows, 4000);
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

/// Who did each of these things last, from the client's trail: the newest entry of each
/// action, with its subject ("by Maria Okafor, parent or guardian" for someone acting for
/// the client in the portal).
pub fn last_of(
    conn: &mut DbConnection,
    client: &super::scope::OwnedClient,
    actions: &[AuditAction],
) -> QueryResult<Vec<(AuditAction, Option<String>)>> {
    let names: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    let rows: Vec<(String, Option<String>)> = client
        .scope()
        .audit_events()
        .filter(audit_events::client_id.eq(client.id.as_str()))
        .filter(audit_events::action.eq_any(names))
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .select((audit_events::action, audit_events::subject))
        .load(conn)?;
    let mut out: Vec<(AuditAction, Option<String>)> = Vec::new();
    for (name, subject) in rows {
        if let Some(a) = AuditAction::parse(&name) {
            if !out.iter().any(|(seen, _)| *seen == a) {
                out.push((a, subject));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_stored_under_the_names_existing_rows_have() {
        for (action, stored) in [
            (AuditAction::ClientViewed, "client.viewed"),
            (AuditAction::InvitationSent, "client.invited"),
            (
                AuditAction::InsuranceProblemReported,
                "insurance.problem_reported",
            ),
            (
                AuditAction::PortalFormsAcknowledged,
                "portal.forms_acknowledged",
            ),
            (AuditAction::SessionEnded, "session.ended"),
        ] {
            assert_eq!(action.as_str(), stored);
            assert_eq!(AuditAction::parse(stored), Some(action));
        }
        assert_eq!(AuditAction::parse("client.deleted"), None);
    }
}
