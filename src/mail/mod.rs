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

/// Who reads an email about a client: the client, or a contact who receives the client's
/// emails (a parent of a child client), greeted by name and told whom it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub first_name: String,
    /// The client's first name, when the reader is not the client.
    pub about: Option<String>,
}

impl Reader {
    pub fn client(first_name: &str) -> Self {
        Reader {
            first_name: first_name.to_string(),
            about: None,
        }
    }

    fn greeting(&self) -> String {
        format!("Hello {},", self.first_name)
    }

    /// "your" for the client, "Grace's" for whoever reads on her behalf.
    fn whose(&self) -> String {
        match &self.about {
            Some(name) => format!("{name}'s"),
            None => "your".to_string(),
        }
    }

    /// Renders `p`; to a contact, it first says whom the email is about.
    fn render(&self, mut p: Parts) -> Result<Rendered, askama::Error> {
        if let Some(name) = &self.about {
            p.paragraphs.insert(
                0,
                format!(
                    "This email is about {name}: it comes to you as {name}'s contact at {}.",
                    p.signature
                ),
            );
        }
        render(p)
    }
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

/// What setting up asks for, in the reader's words.
fn checklist(reader: &Reader) -> String {
    match &reader.about {
        None => "verify your account by choosing a password; add your insurance information (or choose to pay privately); add a form of billing (a credit, debit, HSA or FSA card); and read and acknowledge the practice's billing policy and privacy notice".to_string(),
        Some(name) => format!("choose a password for your own account (or sign in with the one you have); add {name}'s insurance information (or choose to pay privately); add a form of billing (a credit, debit, HSA or FSA card); and read and acknowledge the practice's billing policy and privacy notice on {name}'s behalf"),
    }
}

/// The invitation (and its reminders) to set up the client portal: to the client, or to a
/// parent or guardian who sets up the client's account (with their own, if they have none).
pub fn invitation(
    practice: &str,
    reader: &Reader,
    link: &str,
    expires: &str,
    reminder: bool,
) -> Result<Rendered, askama::Error> {
    let whose = reader.whose();
    render(Parts {
        subject: match (&reader.about, reminder) {
            (None, true) => format!("Reminder: finish setting up your account with {practice}"),
            (None, false) => format!("{practice} invites you to set up your client account"),
            (Some(name), true) => {
                format!("Reminder: finish setting up {name}'s account with {practice}")
            }
            (Some(name), false) => format!("{practice} invites you to set up {name}'s account"),
        },
        greeting: reader.greeting(),
        paragraphs: vec![
            match &reader.about {
                None => format!("{practice} uses Caseload to keep your appointments, billing and paperwork in one secure place."),
                Some(name) => format!("{practice} uses Caseload to keep appointments, billing and paperwork in one secure place. You are named as {name}'s parent or guardian (or as someone who acts for {name}), so the setting up is yours: you sign in with your own account, which also shows any other client you act for."),
            },
            format!(
                "Before {whose} first appointment can be confirmed, please {}. It takes about five minutes.",
                checklist(reader)
            ),
        ],
        action_label: if reader.about.is_some() {
            "Set up the account"
        } else {
            "Set up your account"
        },
        action_url: Some(link.to_string()),
        after: vec![format!(
            "This link can be used once and works until {expires}. If it has expired, open it anyway and ask for a new one. If you did not expect this email, you can ignore it."
        )],
        signature: practice.to_string(),
    })
}

/// What a client's record already holds, so that the welcome asks only for the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnRecord {
    pub phone: bool,
    pub date_of_birth: bool,
    /// Insurance on file, or paying privately.
    pub insurance: bool,
    pub card: bool,
    pub forms: bool,
}

/// "a, b and c".
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What finishing setting up still asks, given what the record holds, in the reader's words.
fn steps_left(reader: &Reader, on: &OnRecord) -> String {
    let whose = |own: &str| match &reader.about {
        None => own.to_string(),
        Some(name) => format!("{name}'s"),
    };
    let mut steps = vec![match &reader.about {
        None => "verify your account by choosing a password".to_string(),
        Some(_) => {
            "choose a password for your own account (or sign in with the one you have)".to_string()
        }
    }];
    if !on.insurance {
        steps.push(format!(
            "add {} insurance information (or choose to pay privately)",
            whose("your")
        ));
    }
    if !on.card {
        steps.push("add a form of billing (a credit, debit, HSA or FSA card)".to_string());
    }
    if !on.forms {
        steps.push(match &reader.about {
            None => "read and acknowledge the practice's billing policy and privacy notice"
                .to_string(),
            Some(name) => format!(
                "read and acknowledge the practice's billing policy and privacy notice on {name}'s behalf"
            ),
        });
    }
    listed(&steps)
}

/// To a client brought over from another system: the practice has moved to Caseload, and
/// here is where to finish setting up. It names what came over and asks only for the rest.
pub fn welcome(
    practice: &str,
    reader: &Reader,
    link: &str,
    expires: &str,
    on: &OnRecord,
) -> Result<Rendered, askama::Error> {
    let mut came = vec!["name".to_string()];
    if on.phone {
        came.push("phone number".to_string());
    }
    if on.date_of_birth {
        came.push("date of birth".to_string());
    }
    if on.insurance {
        came.push("insurance".to_string());
    }
    let details = match &reader.about {
        None => format!("Your {} came over with you", listed(&came)),
        Some(name) => format!("{name}'s {} came over", listed(&came)),
    };
    reader.render(Parts {
        subject: format!("{practice} has moved to a new client portal"),
        greeting: reader.greeting(),
        paragraphs: vec![
            format!("{practice} now keeps appointments, billing and paperwork in Caseload. {details}, so there is nothing to re-enter but a few things only you can give."),
            format!(
                "Before {} next appointment can be confirmed, please {}. It takes a few minutes.",
                reader.whose(),
                steps_left(reader, on)
            ),
        ],
        action_label: "Finish setting up",
        action_url: Some(link.to_string()),
        after: vec![format!(
            "This link can be used once and works until {expires}. If it has expired, open it anyway and ask for a new one. If you did not expect this email, you can ignore it."
        )],
        signature: practice.to_string(),
    })
}

/// A sign-in link the provider sent: it lets the reader choose a (new) password and sign
/// in, whatever state their account is in.
pub fn sign_in_link(
    practice: &str,
    reader: &Reader,
    link: &str,
    expires: &str,
) -> Result<Rendered, askama::Error> {
    let whose = reader.whose();
    reader.render(Parts {
        subject: format!("Your sign-in link for {practice}"),
        greeting: reader.greeting(),
        paragraphs: vec![format!(
            "{practice} sent you a link to sign in to {whose} client account. Open it to choose a password (a new one, if you had one) and continue where you left off."
        )],
        action_label: "Sign in",
        action_url: Some(link.to_string()),
        after: vec![format!(
            "The link can be used once and works until {expires}. If you did not expect this email, you can ignore it: nothing changes until the link is used."
        )],
        signature: practice.to_string(),
    })
}

/// A link to choose a new password, asked for on a sign-in page ("Forgot your password?").
pub fn password_reset(
    signature: &str,
    first_name: &str,
    link: &str,
    minutes: i64,
) -> Result<Rendered, askama::Error> {
    render(Parts {
        subject: "Choose a new password".to_string(),
        greeting: format!("Hello {first_name},"),
        paragraphs: vec![
            "Someone, probably you, asked for a link to choose a new password.".to_string(),
            "Choosing one signs you out everywhere you are signed in.".to_string(),
        ],
        action_label: "Choose a new password",
        action_url: Some(link.to_string()),
        after: vec![format!(
            "The link can be used once and works for {minutes} minutes. If you did not ask for it, ignore this email: your password stays as it is."
        )],
        signature: signature.to_string(),
    })
}

/// Sent when the provider could not verify the client's insurance.
pub fn insurance_problem(
    practice: &str,
    reader: &Reader,
    reason: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    reader.render(Parts {
        subject: format!("{practice} could not verify your insurance"),
        greeting: reader.greeting(),
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
    reader: &Reader,
    set_up: bool,
    link: &str,
) -> Result<Rendered, askama::Error> {
    let (account, action_url) = if set_up {
        (
            format!("You already have an account with {practice}, so no new one was made."),
            Some(link.to_string()),
        )
    } else {
        (
            format!("You are already {practice}'s client, so no new account was made. To set yours up, use the link in the invitation {practice} sent you, or ask them for a new one."),
            None,
        )
    };
    reader.render(Parts {
        subject: format!("Your account with {practice}"),
        greeting: reader.greeting(),
        paragraphs: vec![
            format!(
                "Someone, probably you, used {practice}'s booking page with this email address."
            ),
            account,
        ],
        action_label: "Sign in to your account",
        action_url,
        after: vec![
            "If this was not you, you can ignore this email; nothing has changed.".to_string(),
        ],
        signature: practice.to_string(),
    })
}

/// Someone used the booking page with this address to ask for a time: the address's
/// owner confirms it (and only then does the practice see it), or ignores the email.
pub fn confirm_booking_request(
    practice: &str,
    reader: &Reader,
    asked: &BookingAsked<'_>,
    link: &str,
) -> Result<Rendered, askama::Error> {
    reader.render(Parts {
        subject: format!("Confirm your request for a session with {practice}"),
        greeting: reader.greeting(),
        paragraphs: vec![
            format!(
                "Someone used {practice}'s booking page with this email address to ask for {} ({}), giving the name {}.",
                asked.time, asked.service, asked.typed_name
            ),
            format!(
                "If it was you, confirm the request: {practice} sees it only once you do. The link works until {}.",
                asked.expires
            ),
        ],
        action_label: "Confirm my request",
        action_url: Some(link.to_string()),
        after: vec!["If this was not you, ignore this email: nothing is booked, and nothing about your account has changed.".to_string()],
        signature: practice.to_string(),
    })
}

/// What a request to confirm asked for, as the email says it.
pub struct BookingAsked<'a> {
    /// "Tuesday, December 8, 2026 at 11:00 EST".
    pub time: &'a str,
    pub service: &'a str,
    pub typed_name: &'a str,
    /// When the link stops working, where the client is.
    pub expires: &'a str,
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
