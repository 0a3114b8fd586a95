//! Getting back in after forgetting a password: a provider's own, or a portal account's.
//! Asking emails a single-use link (an hour) when an account uses the address — and says
//! the same whether or not one does; asking is throttled like sign-ins, in a budget of its
//! own (it never pauses a sign-in), and a second link within a few minutes is not sent. Setting a new password through the link ends every
//! session of its holder. The command line's reset (no email server) is here too.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use crate::db::ids::ProviderId;
use crate::db::{write_transaction, DbConnection};
use crate::domain::email;
use crate::mail;
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::password_reset::{self, Check, Holder, VALID_MINUTES};
use crate::models::portal_account::{self, OwnedAccount};
use crate::models::provider::{self, Provider};
use crate::models::scope::Scope;
use crate::models::{failed_login, outbox, sign_in_session};
use crate::services::Act;

/// The outbox's kind of these emails.
pub const RESET_EMAIL: &str = "password_reset";
/// A second link is not sent sooner than this after the first.
pub const RESEND_MINUTES: i64 = 5;

/// Whose sign-in page asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Provider,
    Portal,
}

impl Side {
    fn path(self) -> &'static str {
        match self {
            Side::Provider => "/password/reset/",
            Side::Portal => "/portal/password/reset/",
        }
    }
}

/// What asking did, as the page may say it: the same answer for any address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Answered,
    /// Too many asks from this address: paused until then (nothing was looked up).
    Paused(NaiveDateTime),
}

/// Someone typed `typed_email` on a "Forgot your password?" page.
pub fn request(
    conn: &mut DbConnection,
    side: Side,
    typed_email: &str,
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<Asked> {
    let normalized = email::normalize(typed_email);
    let key = format!("reset:{side:?}:{normalized}");
    // Every ask counts, found or not: the limit is on asking, not on failing.
    if let failed_login::Check::Locked(until) =
        failed_login::begin_reset_ask(conn, &key, act.ip, act.now)?
    {
        return Ok(Asked::Paused(until));
    }
    write_transaction(conn, |conn| {
        match side {
            Side::Provider => {
                if let Some(p) = provider::find_by_email(conn, &normalized)? {
                    let id = p.id();
                    let who = Addressee {
                        holder: Holder::Provider(&id),
                        provider_id: &id,
                        to: &p.email,
                        first_name: &p.first_name,
                        signature: "Caseload",
                    };
                    send(conn, who, side, public_url, act)?;
                }
            }
            Side::Portal => {
                for account in portal_account::with_email(conn, &normalized)? {
                    let practice = provider::find(conn, account.provider_id())?
                        .map(|p| p.practice_display_name())
                        .unwrap_or_else(|| "Caseload".into());
                    let who = Addressee {
                        holder: Holder::Account(&account),
                        provider_id: account.provider_id(),
                        to: &account.email,
                        first_name: account.name.split_whitespace().next().unwrap_or(""),
                        signature: &practice,
                    };
                    send(conn, who, side, public_url, act)?;
                }
            }
        }
        Ok(Asked::Answered)
    })
}

/// Whom a link goes to, and how the email greets and signs.
struct Addressee<'a> {
    holder: Holder<'a>,
    provider_id: &'a ProviderId,
    to: &'a str,
    first_name: &'a str,
    signature: &'a str,
}

fn send(
    conn: &mut DbConnection,
    who: Addressee<'_>,
    side: Side,
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<()> {
    let Addressee {
        holder,
        provider_id,
        to,
        first_name,
        signature,
    } = who;
    if password_reset::sent_since(conn, holder, act.now - Duration::minutes(RESEND_MINUTES))? {
        return Ok(());
    }
    let token = password_reset::create(conn, holder, act.now)?;
    let link = format!("{public_url}{}{token}", side.path());
    let message = mail::password_reset(signature, first_name, &link, VALID_MINUTES)
        .map_err(crate::client_email::render_error)?;
    outbox::queue(
        conn,
        &outbox::NewEmail {
            provider_id,
            client_id: None,
            kind: RESET_EMAIL,
            to,
            subject: &message.subject,
            text: &message.text,
            html: &message.html,
            action_url: Some(&link),
            send_after: act.now,
            queued_at: act.now,
            calendar_ics: None,
        },
    )?;
    audit::record_at(
        conn,
        AuditEntry {
            provider_id,
            client_id: None,
            action: AuditAction::PasswordResetRequested,
            subject: Some(match side {
                Side::Provider => "provider",
                Side::Portal => "portal account",
            }),
            ip: act.ip,
        },
        act.now,
    )
}

/// What a link's page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Valid,
    Used,
    Expired,
    Unknown,
}

/// The state of a link opened on `side`'s page (a provider's link on the portal's page,
/// or the other way round, is unknown there).
pub fn link_state(
    conn: &mut DbConnection,
    side: Side,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<LinkState> {
    Ok(match password_reset::check(conn, token, now)? {
        Check::Valid(r) if r.account_id.is_some() == (side == Side::Portal) => LinkState::Valid,
        Check::Valid(_) | Check::Unknown => LinkState::Unknown,
        Check::Used => LinkState::Used,
        Check::Expired => LinkState::Expired,
    })
}

/// Sets the new password through a valid link (used once) and ends every session of its
/// holder; `false` when the link is not (or no longer) valid.
pub fn reset(
    conn: &mut DbConnection,
    side: Side,
    token: &str,
    password_hash: &str,
    act: Act<'_>,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let Check::Valid(r) = password_reset::check(conn, token, act.now)? else {
            return Ok(false);
        };
        if r.account_id.is_some() != (side == Side::Portal)
            || !password_reset::mark_used(conn, &r.id, act.now)?
        {
            return Ok(false);
        }
        let provider_id = ProviderId(r.provider_id.clone());
        match &r.account_id {
            None => {
                provider::update_password_hash(conn, &provider_id, password_hash)?;
                let Some(p) = provider::find(conn, &provider_id)? else {
                    return Ok(false);
                };
                sign_in_session::end_provider_others(conn, &Scope::of(&p), None)?;
            }
            Some(account_id) => {
                let Some(account) = portal_account::find(conn, account_id)? else {
                    return Ok(false);
                };
                set_account_password(conn, &account, password_hash, act.now)?;
            }
        }
        audit::record_at(
            conn,
            AuditEntry {
                provider_id: &provider_id,
                client_id: None,
                action: AuditAction::PasswordReset,
                subject: Some(match side {
                    Side::Provider => "provider",
                    Side::Portal => "portal account",
                }),
                ip: act.ip,
            },
            act.now,
        )?;
        Ok(true)
    })
}

fn set_account_password(
    conn: &mut DbConnection,
    account: &OwnedAccount,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    portal_account::set_password(conn, account, password_hash, now)?;
    sign_in_session::end_account_all(conn, account).map(|_| ())
}

/// `caseload reset-password`: the provider's new password set on the server itself (for a
/// server with no email), every session of theirs ended. `None`: no provider has it.
pub fn reset_on_server(
    conn: &mut DbConnection,
    typed_email: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Provider>> {
    write_transaction(conn, |conn| {
        let Some(p) = provider::find_by_email(conn, &email::normalize(typed_email))? else {
            return Ok(None);
        };
        provider::update_password_hash(conn, &p.id(), password_hash)?;
        sign_in_session::end_provider_others(conn, &Scope::of(&p), None)?;
        audit::record_at(
            conn,
            AuditEntry {
                provider_id: &p.id(),
                client_id: None,
                action: AuditAction::PasswordReset,
                subject: Some("on the server (caseload reset-password)"),
                ip: None,
            },
            now,
        )?;
        Ok(Some(p))
    })
}
