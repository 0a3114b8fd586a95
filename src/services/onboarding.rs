//! The provider's side of getting a client ready: (re)send the invitation or the welcome
//! email, enter insurance or a card on the client's behalf, and review the insurance
//! (verified, or not with a reason the client is emailed). Each is one transaction with
//! its audit entry.

use diesel::QueryResult;

use super::{record, Act};
use crate::db::{write_transaction, DbConnection};
use crate::domain::payment::StoredCard;
use crate::models::audit::AuditAction;
use crate::models::client::{self, InsuranceDetails, SaveClientError};
use crate::models::payment_method;
use crate::models::provider::Provider;
use crate::models::scope::OwnedClient;

/// Queues a fresh invitation (worded as a welcome to a client brought over from another
/// system, or not), earlier links revoked; `false` when none was queued because the client
/// has set up their account already or is archived.
pub fn send_invitation(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    welcome: bool,
    act: Act<'_>,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let c = client::reload(conn, client)?;
        crate::onboarding::send_invitation(conn, provider, &c, public_url, welcome, act.now, act.ip)
    })
}

/// Sends a single-use sign-in link to whoever sets up the client's account (the client,
/// or the contacts who act for them), whatever the account's state: it lets them choose a
/// (new) password. Audited; returns the names it went to (none: nobody can be reached).
pub fn send_sign_in_link(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<Vec<String>> {
    write_transaction(conn, |conn| {
        let names =
            crate::onboarding::sign_in_links(conn, provider, client, public_url, act.now, act.ip)?;
        if !names.is_empty() {
            record(conn, client, AuditAction::SignInLinkSent, None, act)?;
        }
        Ok(names)
    })
}

/// Saves insurance the provider entered, made from the details at `expected_version`;
/// refused (`Stale`) when they changed since (the client may have entered them).
pub fn enter_insurance(
    conn: &mut DbConnection,
    client: &OwnedClient,
    details: &InsuranceDetails,
    expected_version: i64,
    act: Act<'_>,
) -> Result<(), SaveClientError> {
    write_transaction(conn, |conn| {
        client::set_insurance(conn, client, details, expected_version, act.now)?;
        record(conn, client, AuditAction::ClientUpdated, None, act)?;
        Ok(())
    })
}

/// Why a review of the insurance was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("There is no insurance on file to review yet.")]
    NothingOnFile,
    #[error("There is no insurance on file to review any more; the client may have just changed it. Reload the page.")]
    ChangedMeanwhile,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The provider checked the insurance with the payer: verified (`problem` is `None`), or
/// not, and the client is emailed the reason to fix it.
pub fn review_insurance(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    problem: Option<&str>,
    public_url: &str,
    act: Act<'_>,
) -> Result<(), ReviewError> {
    write_transaction(conn, |conn| {
        let c = client::reload(conn, client)?;
        if c.insurance_added_at.is_none() {
            return Err(ReviewError::NothingOnFile);
        }
        if !client::review_insurance(conn, &c, problem, act.now)? {
            return Err(ReviewError::ChangedMeanwhile);
        }
        match problem {
            Some(reason) => {
                crate::onboarding::report_insurance_problem(
                    conn, provider, &c, reason, public_url, act.now, act.ip,
                )?;
                record(conn, &c, AuditAction::InsuranceProblemReported, None, act)?;
            }
            None => record(conn, &c, AuditAction::InsuranceVerified, None, act)?,
        }
        Ok(())
    })
}

/// Who entered a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedBy {
    Provider,
    /// In the portal: the client, or (named) someone acting for them.
    Portal(Option<String>),
}

/// A card entered for the client (as the processor left it), by them or the provider.
pub fn add_card(
    conn: &mut DbConnection,
    client: &OwnedClient,
    card: &StoredCard,
    by: AddedBy,
    act: Act<'_>,
) -> QueryResult<()> {
    let (who, action, on_behalf) = match by {
        AddedBy::Provider => ("provider", AuditAction::PaymentMethodAdded, None),
        AddedBy::Portal(by) => ("client", AuditAction::PortalPaymentMethodAdded, by),
    };
    let subject = on_behalf.map(|who| format!("by {who}"));
    write_transaction(conn, |conn| {
        payment_method::add(conn, client, card, who, act.now)?;
        record(conn, client, action, subject.as_deref(), act)
    })
}
