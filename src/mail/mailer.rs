//! Where delivered email goes: to an SMTP server over lettre (a running server with
//! `CASELOAD_SMTP_URL`), or into a mailbox in memory that a test reads — and can tell to
//! refuse, so that the retries can be tested too. Without either, the app has no mailer
//! and emails wait in Settings → Outbox for the provider to copy their links.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::smtp::{self, OutgoingEmail, SmtpSender};

/// Sends one email. Blocking: call it from a job, never on the async executor.
#[derive(Debug, Clone)]
pub enum Mailer {
    /// Boxed: the transport is large, and a mailer is made once.
    Smtp(Box<SmtpSender>),
    Memory(MemoryMailer),
}

impl Mailer {
    /// The mailer the settings ask for: SMTP when `CASELOAD_SMTP_URL` is set, none when
    /// it is not.
    pub fn from_smtp_url(url: Option<&str>) -> Result<Option<Mailer>, String> {
        url.map(|u| SmtpSender::from_url(u).map(|s| Mailer::Smtp(Box::new(s))))
            .transpose()
    }

    /// Sends `email`; the error is a short sentence for the outbox that names neither the
    /// recipient nor the body.
    pub fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        match self {
            Mailer::Smtp(sender) => sender.send(email),
            Mailer::Memory(mailbox) => mailbox.send(email),
        }
    }
}

/// A mailbox in memory: every email "delivered" is kept, in order, for the test to read.
/// Clones share the same mailbox.
#[derive(Clone, Default)]
pub struct MemoryMailer(Arc<Mutex<Mailbox>>);

#[derive(Default)]
struct Mailbox {
    delivered: Vec<OutgoingEmail>,
    refusing: Option<String>,
}

impl fmt::Debug for MemoryMailer {
    // The messages hold client names and links: show only how many there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mailbox = self.lock();
        f.debug_struct("MemoryMailer")
            .field("delivered", &mailbox.delivered.len())
            .field("refusing", &mailbox.refusing.is_some())
            .finish()
    }
}

impl MemoryMailer {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mailbox> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds the message as SMTP would (a bad address fails the same way), then keeps
    /// it — unless the mailbox was told to refuse.
    pub fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        smtp::message(email)?;
        let mut mailbox = self.lock();
        if let Some(reason) = &mailbox.refusing {
            return Err(reason.clone());
        }
        mailbox.delivered.push(email.clone());
        Ok(())
    }

    /// Every email delivered so far, oldest first.
    pub fn delivered(&self) -> Vec<OutgoingEmail> {
        self.lock().delivered.clone()
    }

    /// Every email delivered since the last call, oldest first; the mailbox is emptied.
    pub fn take(&self) -> Vec<OutgoingEmail> {
        std::mem::take(&mut self.lock().delivered)
    }

    /// From now on every send fails with `reason`, as a server that is down or refuses.
    pub fn refuse(&self, reason: &str) {
        self.lock().refusing = Some(reason.to_string());
    }

    /// Sends succeed again.
    pub fn accept(&self) {
        self.lock().refusing = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str) -> OutgoingEmail {
        OutgoingEmail {
            from_name: "Harbor Counseling".into(),
            from_address: "caseload@example.com".into(),
            to: to.into(),
            subject: "Hello".into(),
            text: "private body".into(),
            html: "<p>private body</p>".into(),
            calendar_ics: None,
        }
    }

    #[test]
    fn the_memory_mailer_keeps_what_it_delivers_and_refuses_when_told() {
        let mailbox = MemoryMailer::new();
        let mailer = Mailer::Memory(mailbox.clone());
        mailer.send(&email("ada@example.com")).unwrap();
        mailbox.refuse("421 try again later");
        assert_eq!(
            mailer.send(&email("grace@example.com")),
            Err("421 try again later".to_string())
        );
        mailbox.accept();
        mailer.send(&email("grace@example.com")).unwrap();
        let to: Vec<String> = mailbox.take().into_iter().map(|e| e.to).collect();
        assert_eq!(to, ["ada@example.com", "grace@example.com"]);
        assert!(mailbox.delivered().is_empty());
    }

    #[test]
    fn the_memory_mailer_refuses_what_smtp_would_and_debug_shows_no_message() {
        let mailbox = MemoryMailer::new();
        let error = mailbox.send(&email("not an address")).unwrap_err();
        assert!(!error.contains("not an address"), "{error}");
        mailbox.send(&email("ada@example.com")).unwrap();
        let debug = format!("{:?}", Mailer::Memory(mailbox));
        assert!(
            !debug.contains("ada@") && !debug.contains("private"),
            "{debug}"
        );
    }

    #[test]
    fn without_a_url_there_is_no_mailer() {
        assert!(Mailer::from_smtp_url(None).unwrap().is_none());
        assert!(matches!(
            Mailer::from_smtp_url(Some("smtp://127.0.0.1:2525")),
            Ok(Some(Mailer::Smtp(_)))
        ));
        assert!(Mailer::from_smtp_url(Some("http://nope")).is_err());
    }
}
