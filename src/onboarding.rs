//! Getting a client ready for their first appointment: the invitation and its reminders,
//! built from the models and the mail messages, each inside the caller's transaction.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use crate::client_email::{queue_for, queue_to_one, setting_up, ClientEmail, Recipient};
use crate::db::DbConnection;
use crate::mail;
use crate::models::client;
use crate::models::provider::Provider;
use crate::models::scope::{OwnedClient, Scope};
use crate::models::{contact, invitation, outbox};

pub const INVITATION: &str = "invitation";
pub const REMINDER: &str = "invitation_reminder";
pub const INSURANCE_PROBLEM: &str = "insurance_problem";
pub const ALREADY_A_CLIENT: &str = "already_a_client";
pub const SIGN_IN_LINK: &str = "sign_in_link";
pub const CONFIRM_BOOKING: &str = "booking_confirm";

/// Days after the invitation when reminders go out, unless the client has acted.
pub const REMINDER_DAYS: [i64; 2] = [2, 5];

/// What the audit trail calls each kind of email (a welcome is an invitation worded for a
/// client brought over from another system).
pub fn email_kind_label(subject: &str) -> &'static str {
    match subject {
        INVITATION => "invitation",
        WELCOME => "welcome (invitation)",
        REMINDER => "invitation reminder",
        INSURANCE_PROBLEM => "insurance could not be verified",
        ALREADY_A_CLIENT => "booking link used with their address",
        SIGN_IN_LINK => "sign-in link",
        CONFIRM_BOOKING => "booking request to confirm",
        crate::services::measures::REQUEST_EMAIL => "questionnaires to answer",
        crate::services::measures::REMINDER_EMAIL => "questionnaire reminder",
        crate::services::measures::RISK_ALERT_EMAIL => "risk alert, to the provider",
        _ => "other",
    }
}

/// The audit trail's name for a welcome; in the outbox it is an invitation.
pub const WELCOME: &str = "welcome";

/// Queues the invitation (and its reminders) with a fresh single-use link, replacing any
/// earlier one, and records that the client was invited.
pub fn invite(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<bool> {
    invite_as(conn, provider, client, public_url, now, false, ip)
}

/// Queues an invitation for each of these clients (an import's new clients), inside the
/// caller's transaction.
pub fn invite_all(
    conn: &mut DbConnection,
    provider: &Provider,
    ids: &[crate::db::ids::ClientId],
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    for c in client::find_many(conn, &Scope::of(provider), ids)? {
        invite(conn, provider, &c, public_url, now, None)?;
    }
    Ok(())
}

/// [`invite_all`] as what an import does for the clients it creates
/// (`import_batch::OnCreated`).
pub fn inviting<'a>(
    provider: &'a Provider,
    public_url: &'a str,
) -> impl Fn(&mut DbConnection, &[crate::db::ids::ClientId], NaiveDateTime) -> QueryResult<()> + 'a
{
    move |conn, ids, now| invite_all(conn, provider, ids, public_url, now)
}

/// Queues a fresh invitation (worded as a welcome to a client brought over from another
/// system, or not) and records it in the audit trail, unless the client has already set
/// up their account or is archived. Returns whether one was queued.
pub fn send_invitation(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    welcome: bool,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<bool> {
    if client.account_verified_at.is_some() || client.archived_at.is_some() {
        return Ok(false);
    }
    invite_as(conn, provider, client, public_url, now, welcome, ip)
}

/// Who would receive an invitation now: the client (not a minor) and the contacts who act
/// for them, each with an email. Empty: nobody can set up the account yet.
pub fn who_sets_up(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<Vec<Recipient>> {
    let contacts = contact::for_client(conn, client)?;
    let today = client.zone(provider.zone()).date_of(&now);
    Ok(setting_up(client, &contacts, today))
}

/// Queues, to each person who sets up the client's account, their own single-use link
/// with its reminders (replacing earlier ones), and records that the client was invited.
/// Returns whether anyone was invited (a minor with no parent or guardian who acts for
/// them, or a client with no email and no such contact, is not).
fn invite_as(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    now: NaiveDateTime,
    welcome: bool,
    ip: Option<&str>,
) -> QueryResult<bool> {
    let people = who_sets_up(conn, provider, client, now)?;
    outbox::cancel_pending(conn, client, &[INVITATION, REMINDER])?;
    if people.is_empty() {
        return Ok(false);
    }
    for person in &people {
        let act = crate::services::Act { ip, now };
        invite_one(conn, provider, client, person, (public_url, welcome), act)?;
    }
    client::mark_invited(conn, client, now)?;
    Ok(true)
}

/// Queues one person's invitation (or, with `welcome`, the welcome) with its own link and
/// its reminders.
pub fn invite_one(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    person: &Recipient,
    (public_url, welcome): (&str, bool),
    act: crate::services::Act<'_>,
) -> QueryResult<()> {
    let (now, ip) = (act.now, act.ip);
    // The date the link stops working, where the client is.
    let expires = client
        .zone(provider.zone())
        .date_of(&(now + Duration::days(invitation::VALID_DAYS)))
        .format("%B %-d, %Y")
        .to_string();
    let practice = provider.practice_display_name();
    let facts = client.onboarding_facts();
    let on_record = mail::OnRecord {
        phone: client.phone.is_some(),
        date_of_birth: client.date_of_birth.is_some(),
        insurance: facts.insurance_added_at.is_some()
            || client.billing() == Some(crate::domain::billing::BillingType::PrivatePay),
        card: facts.payment_method_added_at.is_some(),
        forms: facts.forms_acknowledged_at.is_some(),
    };
    outbox::cancel_pending_to(
        conn,
        client,
        &[INVITATION, REMINDER],
        &person.email_normalized,
    )?;
    let token = invitation::create(conn, client, person, now)?;
    let link = format!("{public_url}/portal/invite/{token}");
    for (kind, after, reminder) in [
        (INVITATION, 0, false),
        (REMINDER, REMINDER_DAYS[0], true),
        (REMINDER, REMINDER_DAYS[1], true),
    ] {
        let as_welcome = welcome && !reminder;
        let message = |reader: &mail::Reader| {
            if as_welcome {
                mail::welcome(&practice, reader, &link, &expires, &on_record)
            } else {
                mail::invitation(&practice, reader, &link, &expires, reminder)
            }
        };
        let email = ClientEmail {
            kind,
            audit_as: if as_welcome { WELCOME } else { kind },
            message: &message,
            action_url: Some(&link),
            send_after: now + Duration::days(after),
            queued_at: now,
        };
        queue_to_one(conn, provider, client, person, &email, ip, None)?;
    }
    Ok(())
}

/// A sign-in link (no reminders) to each person who sets up the client's account, their
/// earlier unused links replaced. Returns their names.
pub fn sign_in_links(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<Vec<String>> {
    let people = who_sets_up(conn, provider, client, now)?;
    let practice = provider.practice_display_name();
    let expires = client
        .zone(provider.zone())
        .date_of(&(now + Duration::days(invitation::VALID_DAYS)))
        .format("%B %-d, %Y")
        .to_string();
    for person in &people {
        outbox::cancel_pending_to(
            conn,
            client,
            &[INVITATION, REMINDER],
            &person.email_normalized,
        )?;
        let token = invitation::create(conn, client, person, now)?;
        let link = format!("{public_url}/portal/invite/{token}");
        let message =
            |reader: &mail::Reader| mail::sign_in_link(&practice, reader, &link, &expires);
        let email = ClientEmail {
            kind: SIGN_IN_LINK,
            audit_as: SIGN_IN_LINK,
            message: &message,
            action_url: Some(&link),
            send_after: now,
            queued_at: now,
        };
        queue_to_one(conn, provider, client, person, &email, ip, None)?;
    }
    Ok(people.into_iter().map(|p| p.name).collect())
}

/// Tells the client their insurance could not be verified, and why.
pub fn report_insurance_problem(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    reason: &str,
    public_url: &str,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let link = format!("{public_url}/portal/insurance");
    let practice = provider.practice_display_name();
    let message = |reader: &mail::Reader| mail::insurance_problem(&practice, reader, reason, &link);
    let email = ClientEmail {
        kind: INSURANCE_PROBLEM,
        audit_as: INSURANCE_PROBLEM,
        message: &message,
        action_url: Some(&link),
        send_after: now,
        queued_at: now,
    };
    queue_for(conn, provider, client, email, ip)
}

/// Someone used the booking link, without picking a time, with the email of an existing
/// client: tell that address it already has an account (how to sign in, or to set it up
/// from the invitation it was sent). Nothing else: a public page neither invites nor
/// revokes anything.
pub fn tell_already_a_client(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    public_url: &str,
    now: NaiveDateTime,
    ip: Option<&str>,
) -> QueryResult<()> {
    let set_up = client.account_verified_at.is_some();
    let link = format!("{public_url}/portal/login");
    let practice = provider.practice_display_name();
    let message = |reader: &mail::Reader| mail::already_a_client(&practice, reader, set_up, &link);
    let email = ClientEmail {
        kind: ALREADY_A_CLIENT,
        audit_as: ALREADY_A_CLIENT,
        message: &message,
        action_url: set_up.then_some(link.as_str()),
        send_after: now,
        queued_at: now,
    };
    queue_for(conn, provider, client, email, ip)
}

/// The client's email changed: links and reminders sent to the old address stop working.
pub fn email_changed(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<()> {
    invitation::revoke_unused(conn, client, now)?;
    outbox::cancel_pending(conn, client, &[INVITATION, REMINDER]).map(|_| ())
}
