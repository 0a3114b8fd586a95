//! Emails: the messages Caseload sends, and the pass that delivers the outbox through the
//! app's mailer.

pub mod good_faith;
pub mod mailer;
pub mod measures;
pub mod sessions;
pub mod smtp;

use std::time::Duration;

use askama::Template;

use crate::clock::Clock;
use crate::db::Pool;
use crate::models::{outbox, provider};
pub use mailer::{Mailer, MemoryMailer};
use smtp::OutgoingEmail;

/// A rendered message: subject, plain text and HTML.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The parts every email has; rendered once as text and once as (escaped) HTML.
#[derive(Template)]
#[template(path = "emails/email.txt")]
struct TextEmail<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    action_label: &'a str,
    action_url: Option<&'a str>,
    after: &'a [String],
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "emails/email.html")]
struct HtmlEmail<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    action_label: &'a str,
    action_url: Option<&'a str>,
    after: &'a [String],
    signature: &'a str,
}

struct Parts {
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    action_label: &'static str,
    action_url: Option<String>,
    after: Vec<String>,
    signature: String,
}

fn render(p: Parts) -> Result<Rendered, askama::Error> {
    let text = TextEmail {
        greeting: &p.greeting,
        paragraphs: &p.paragraphs,
        action_label: p.action_label,
        action_url: p.action_url.as_deref(),
        after: &p.after,
        signature: &p.signature,
    }
    .render()?;
    let html = HtmlEmail {
        greeting: &p.greeting,
        paragraphs: &p.paragraphs,
        action_label: p.action_label,
        action_url: p.action_url.as_deref(),
        after: &p.after,
        signature: &p.signature,
    }
    .render()?;
    Ok(Rendered {
        subject: p.subject,
        text,
        html,
    })
}

const CHECKLIST: &str = "verify your account by choosing a password; add your insurance information (or choose to pay privately); add a form of billing (a credit, debit, HSA or FSA card); and read and acknowledge the practice's billing policy and privacy notice";

/// The invitation (and its reminders) to set up the client portal.
pub fn invitation(
    practice: &str,
    first_name: &str,
    link: &str,
    expires: &str,
    reminder: bool,
) -> Result<Rendered, askama::Error> {
    render(Parts {
        subject: if reminder {
            format!("Reminder: finish setting up your account with {practice}")
        } else {
            format!("{practice} invites you to set up your client account")
        },
        greeting: format!("Hello {first_name},"),
        paragraphs: vec![
            format!("{practice} uses Caseload to keep your appointments, billing and paperwork in one secure place."),
            format!("Before your first appointment can be confirmed, please {CHECKLIST}. It takes about five minutes."),
        ],
        action_label: "Set up your account",
        action_url: Some(link.to_string()),
        after: vec![format!(
            "This link can be used once and works until {expires}. If it has expired, open it anyway and ask for a new one. If you did not expect this email, you can ignore it."
        )],
        signature: practice.to_string(),
    })
}

/// To a client brought over from another system: the practice has moved to Caseload, and
/// here is where to finish setting up.
pub fn welcome(
    practice: &str,
    first_name: &str,
    link: &str,
    expires: &str,
) -> Result<Rendered, askama::Error> {
    render(Parts {
        subject: format!("{practice} has moved to a new client portal"),
        greeting: format!("Hello {first_name},"),
        paragraphs: vec![
            format!("{practice} now keeps appointments, billing and paperwork in Caseload. Your details came over with you, so there is nothing to re-enter but a few things only you can give."),
            format!("Before your next appointment can be confirmed, please {CHECKLIST}. It takes about five minutes."),
        ],
        action_label: "Finish setting up",
        action_url: Some(link.to_string()),
        after: vec![format!(
            "This link can be used once and works until {expires}. If it has expired, open it anyway and ask for a new one. If you did not expect this email, you can ignore it."
        )],
        signature: practice.to_string(),
    })
}

/// Sent when the provider could not verify the client's insurance.
pub fn insurance_problem(
    practice: &str,
    first_name: &str,
    reason: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    render(Parts {
        subject: format!("{practice} could not verify your insurance"),
        greeting: format!("Hello {first_name},"),
        paragraphs: vec![
            format!("{practice} tried to verify the insurance details you gave, and could not. The reason given: {reason}"),
            "Please sign in and correct your insurance details, or choose to pay privately. Your appointments can be confirmed once this is sorted out.".to_string(),
        ],
        action_label: "Update your insurance",
        action_url: Some(link.to_string()),
        after: vec![],
        signature: practice.to_string(),
    })
}

/// Sent to a client who already has an account when someone signs up with their email
/// through the booking link.
pub fn already_a_client(
    practice: &str,
    first_name: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    render(Parts {
        subject: format!("Your account with {practice}"),
        greeting: format!("Hello {first_name},"),
        paragraphs: vec![
            format!("Someone, probably you, used {practice}'s booking page with this email address. You already have an account with {practice}, so no new one was made."),
        ],
        action_label: "Sign in to your account",
        action_url: Some(link.to_string()),
        after: vec!["If this was not you, you can ignore this email; nothing has changed.".to_string()],
        signature: practice.to_string(),
    })
}

/// How often a running server looks for due emails.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Emails one delivery pass claims at once.
pub const CLAIM_BATCH: i64 = 10;

/// One pass: claims what is due by `clock` for `holder` until `lease` from now, sends it
/// and records each attempt, stamped by the same clock. Returns how many were tried. Run
/// by `jobs` — on a thread in a running server, on demand in tests — on every instance:
/// the claim makes each email one instance's. An email is sent at most once per claim;
/// one whose sender died before recording the outcome is claimed again after the lease.
pub fn deliver_due(
    pool: &Pool,
    mailer: &Mailer,
    from_address: &str,
    clock: &Clock,
    holder: &str,
    lease: chrono::Duration,
) -> Result<usize, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = clock.now();
    let due = outbox::claim_due(&mut conn, holder, now, now + lease, CLAIM_BATCH)
        .map_err(|e| e.to_string())?;
    for email in &due {
        // A reminder cancelled since it was claimed (the client acted) is not sent.
        if !outbox::still_claimed(&mut conn, &email.id, holder).map_err(|e| e.to_string())? {
            continue;
        }
        let practice = provider::find(
            &mut conn,
            &crate::db::ids::ProviderId(email.provider_id.clone()),
        )
        .map_err(|e| e.to_string())?
        .map(|p| p.practice_display_name())
        .unwrap_or_else(|| "Caseload".into());
        let outcome = mailer.send(&OutgoingEmail {
            from_name: practice,
            from_address: from_address.to_string(),
            to: email.to_address.clone(),
            subject: email.subject.clone(),
            text: email.body_text.clone(),
            html: email.body_html.clone(),
            calendar_ics: email.calendar_ics.clone(),
        });
        if outcome.is_err() {
            // A server's refusal can quote the address: the error stays in the outbox row,
            // where the provider sees it, and out of the log.
            tracing::warn!(email_id = %email.id, attempt = email.attempts + 1, "email not delivered; see Settings → Outbox");
        }
        outbox::record_attempt(&mut conn, email, clock.now(), outcome, smtp::retry_delay)
            .map_err(|e| e.to_string())?;
    }
    Ok(due.len())
}
