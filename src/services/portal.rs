//! What a client does in their portal, and through the single-use link that sets it up:
//! choose a password (verifying their email), ask for a new link, give insurance or choose
//! private pay, acknowledge the practice's forms (a card: `onboarding::add_card`). Each is
//! one transaction with its audit entry (the client's own actions are marked as theirs).

use chrono::Duration;
use diesel::QueryResult;

use super::{record, Act};
use crate::db::ids::ClientId;
use crate::db::{write_transaction, DbConnection};
use crate::models::audit::AuditAction;
use crate::models::client::{self, InsuranceDetails, SaveClientError};
use crate::models::invitation::{self, TokenCheck};
use crate::models::portal_account::{self, ActingFor, OwnedAccount};
use crate::models::practice_form::{self, PracticeForm};
use crate::models::scope::OwnedClient;
use crate::models::{outbox, provider, sign_in_session, unscoped};
use crate::onboarding;

/// How long after one setup link another may be asked for.
pub const RENEW_MINUTES: i64 = 10;

/// Sets the password of the account of whoever the link was sent to (the client, or a
/// parent or guardian acting for them) through a valid link, used once; that verifies
/// their email and the client's account. The account's other portal sessions end and the
/// reminders stop. `None` when the link is not (or no longer) valid.
pub fn accept_invitation(
    conn: &mut DbConnection,
    token: &str,
    password_hash: &str,
    act: Act<'_>,
) -> QueryResult<Option<(OwnedAccount, ActingFor)>> {
    let now = act.now;
    write_transaction(conn, |conn| {
        let TokenCheck::Valid(inv) = invitation::check(conn, token, now)? else {
            return Ok(None);
        };
        if !invitation::mark_used(conn, &inv.id, now)? {
            return Ok(None);
        }
        let Some(c) = unscoped::client(conn, &ClientId(inv.client_id.clone()))? else {
            return Ok(None);
        };
        let (email, name) = match (&inv.recipient_email, &inv.recipient_name) {
            (Some(e), Some(n)) => (e.clone(), n.clone()),
            _ => (c.email_normalized.clone(), c.full_name()),
        };
        if email.is_empty() || c.archived_at.is_some() {
            return Ok(None);
        }
        let account = portal_account::ensure(conn, c.scope(), &email, &email, &name, now)?;
        // The link outlived the contact's right to act (removed since): it opens nothing.
        let Some(acting) = portal_account::acts_for(conn, &account, &c.client_id())? else {
            return Ok(None);
        };
        portal_account::set_password(conn, &account, password_hash, now)?;
        client::mark_account_verified(conn, &c, now)?;
        sign_in_session::end_account_all(conn, &account)?;
        outbox::cancel_pending(conn, &c, &[onboarding::INVITATION, onboarding::REMINDER])?;
        record(
            conn,
            &c,
            AuditAction::PortalAccountVerified,
            acting.on_behalf().map(|who| format!("by {who}")).as_deref(),
            act,
        )?;
        Ok(Some((account, acting)))
    })
}

/// What asking for a new link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// A new link is on its way to the address the practice has.
    Renewed,
    /// One was sent within [`RENEW_MINUTES`]; no other is sent yet.
    RecentlySent,
    /// The person it was sent to no longer sets up this client's account (or the client
    /// is archived): nothing is sent.
    NoLonger,
}

/// An expired or used link asks for a new one, sent to the same person at the address the
/// practice has (never to one the asker names) — whether or not they set a password since,
/// since a new link is also how they choose a new one. `None` when the link is unknown or
/// still valid. Returns the practice's name.
pub fn renew_invitation(
    conn: &mut DbConnection,
    token: &str,
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<Option<(String, Renewal)>> {
    let now = act.now;
    write_transaction(conn, |conn| {
        let inv = match invitation::check(conn, token, now)? {
            TokenCheck::Expired(i) | TokenCheck::Used(i) => i,
            TokenCheck::Valid(_) | TokenCheck::Unknown => return Ok(None),
        };
        let Some(c) = unscoped::client(conn, &ClientId(inv.client_id.clone()))? else {
            return Ok(None);
        };
        let Some(p) = provider::find(conn, c.provider_id())? else {
            return Ok(None);
        };
        let practice = p.practice_display_name();
        let to = inv
            .recipient_email
            .clone()
            .unwrap_or_else(|| c.email_normalized.clone());
        let person = onboarding::who_sets_up(conn, &p, &c, now)?
            .into_iter()
            .find(|r| r.email_normalized == to);
        let (Some(person), None) = (person, c.archived_at) else {
            return Ok(Some((practice, Renewal::NoLonger)));
        };
        // An old link in someone else's hands cannot keep revoking the current one.
        if invitation::issued_since(
            conn,
            &c,
            Some(&person),
            now - Duration::minutes(RENEW_MINUTES),
        )? {
            return Ok(Some((practice, Renewal::RecentlySent)));
        }
        onboarding::invite_one(conn, &p, &c, &person, (public_url, false), act)?;
        Ok(Some((practice, Renewal::Renewed)))
    })
}

/// The client opened their portal.
pub fn viewed(conn: &mut DbConnection, client: &OwnedClient, act: Act<'_>) -> QueryResult<()> {
    record(conn, client, AuditAction::PortalViewed, None, act)
}

/// The client downloaded the calendar file of one of their sessions.
pub fn calendar_file_downloaded(
    conn: &mut DbConnection,
    client: &OwnedClient,
    appointment_id: &str,
    act: Act<'_>,
) -> QueryResult<()> {
    record(
        conn,
        client,
        AuditAction::PortalCalendarFileDownloaded,
        Some(appointment_id),
        act,
    )
}

/// Insurance given (`Some`), or private pay chosen, in a form made from the details at
/// `expected_version`; refused (`Stale`) when they changed since.
pub fn choose_billing(
    conn: &mut DbConnection,
    client: &OwnedClient,
    insurance: Option<&InsuranceDetails>,
    expected_version: i64,
    by: Option<&str>,
    act: Act<'_>,
) -> Result<(), SaveClientError> {
    let subject = by.map(|who| format!("by {who}"));
    write_transaction(conn, |conn| {
        let action = match insurance {
            Some(d) => {
                client::set_insurance(conn, client, d, expected_version, act.now)?;
                AuditAction::PortalInsuranceAdded
            }
            None => {
                client::set_private_pay(conn, client, expected_version, act.now)?;
                AuditAction::PortalPrivatePayChosen
            }
        };
        record(conn, client, action, subject.as_deref(), act)?;
        Ok(())
    })
}

/// The client acknowledged these versions of the forms, signing with `typed_name`.
pub fn acknowledge_forms(
    conn: &mut DbConnection,
    client: &OwnedClient,
    forms: &[PracticeForm],
    typed_name: &str,
    by: Option<&str>,
    act: Act<'_>,
) -> QueryResult<()> {
    let subject = by.map(|who| format!("by {who}"));
    write_transaction(conn, |conn| {
        for f in forms {
            practice_form::acknowledge(conn, client, f, typed_name, by, act.ip, act.now)?;
        }
        client::mark_forms_acknowledged(conn, client, act.now)?;
        record(
            conn,
            client,
            AuditAction::PortalFormsAcknowledged,
            subject.as_deref(),
            act,
        )
    })
}
