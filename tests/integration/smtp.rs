//! The one test of the real SMTP path: the app delivers an invitation through lettre to a
//! real SMTP server on this machine — aiosmtpd, from Debian's `python3-aiosmtpd` (`.ci/run`
//! installs it) — which keeps every message in a maildir that the test reads. Every other
//! test of email uses the in-memory mailer (`TestApp::spawn_with_mailer`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use caseload::db::schema::outbox_emails;
use caseload::mail::smtp::{OutgoingEmail, SmtpSender};
use diesel::prelude::*;
use mailparse::MailHeaderMap;

use crate::onboarding::invite_link;
use crate::support::*;

/// A real SMTP server in a child process, storing what it receives in a maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let python = std::env::var("AIOSMTPD_PYTHON").unwrap_or_else(|_| {
            // Debian's python3-aiosmtpd belongs to Debian's own Python.
            if std::path::Path::new("/usr/bin/python3").exists() {
                "/usr/bin/python3".into()
            } else {
                "python3".into()
            }
        });
        // A port found free may be taken before the server binds it: then try another.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let dir = tempfile::tempdir().expect("a folder for the maildir");
            let mut child = Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-d"])
                .arg("-l")
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                // A folder not there yet: the handler creates it as a maildir.
                .arg(dir.path().join("mail"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3 runs (apt-get install python3-aiosmtpd)");
            let stderr = child.stderr.take().expect("the server's stderr");
            let mut lines = BufReader::new(stderr).lines();
            // It says so once its socket listens; it exits (ending the lines) if it cannot.
            let mut said = Vec::new();
            let listening = lines.by_ref().map_while(Result::ok).any(|line| {
                said.push(line.clone());
                line.contains("Server is listening")
            });
            if listening {
                // Keep reading what it logs, so that it never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return SmtpServer { child, port, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                !said.iter().any(|l| l.contains("No module named aiosmtpd")),
                "aiosmtpd is missing: apt-get install python3-aiosmtpd ({said:?})"
            );
        }
        panic!("the SMTP server did not start");
    }

    /// Every message received so far, as it arrived (headers and MIME body).
    fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path().join("mail").join("new"))
            .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read(f).expect("a stored message"))
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_invitation_goes_out_over_real_smtp() {
    let server = SmtpServer::start();
    let url = format!("smtp://127.0.0.1:{}", server.port);
    let app = TestApp::spawn_with(move |c| {
        c.smtp_url = Some(url);
        c.smtp_from = "practice@example.com".into();
    });
    let provider = app.signed_in();
    provider.fill(
        "/settings",
        "/settings/profile",
        &[
            ("first_name", "Elena"),
            ("last_name", "Rivera"),
            ("practice_name", "Harbor Counseling"),
        ],
    );
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert!(outbox.contains("Sending"), "{outbox}");
    assert!(
        server.messages().is_empty(),
        "nothing is sent until jobs run"
    );

    // One delivery pass: the server has the message once lettre's send returned.
    assert_eq!(app.run_jobs().deliveries, 1);
    let messages = server.messages();
    assert_eq!(messages.len(), 1, "the invitation; its reminders wait");
    let mail = mailparse::parse_mail(&messages[0]).expect("a MIME message");
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    assert_eq!(header("X-MailFrom"), "practice@example.com");
    assert_eq!(header("X-RcptTo"), "ada@example.com");
    assert_eq!(header("To"), "ada@example.com");
    let from = mail
        .headers
        .get_first_header("From")
        .expect("a From header");
    match &mailparse::addrparse_header(from).expect("an address")[..] {
        [mailparse::MailAddr::Single(sender)] => {
            assert_eq!(sender.display_name.as_deref(), Some("Harbor Counseling"));
            assert_eq!(sender.addr, "practice@example.com");
        }
        other => panic!("one sender: {other:?}"),
    }
    assert_eq!(
        header("Subject"),
        "Harbor Counseling invites you to set up your client account"
    );
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let parts: Vec<(String, String)> = mail
        .subparts
        .iter()
        .map(|p| (p.ctype.mimetype.clone(), p.get_body().expect("a part")))
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].0.as_str(), parts[1].0.as_str()),
        ("text/plain", "text/html")
    );
    let (text, html) = (&parts[0].1, &parts[1].1);
    assert!(text.contains("Hello Ada,"), "{text}");
    assert!(text.contains("add your insurance information"), "{text}");
    let link = invite_link(text);
    assert!(
        link.starts_with(&app.base),
        "links use the public URL: {link}"
    );
    assert!(html.contains(&link), "{html}");

    // The outbox records the delivery, and the sent email no longer holds the link.
    let (status, action_url): (String, Option<String>) = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .select((outbox_emails::status, outbox_emails::action_url))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((status.as_str(), action_url), ("sent", None));
    let (_, overview) = provider.get_text(&format!("/clients/{id}"));
    assert!(overview.contains("Invitation emailed"), "{overview}");
    // The link in the email works.
    let client = crate::onboarding::verify(&app, &crate::onboarding::path_of(&link));
    assert_eq!(client.get("/portal").status(), 200);

    // Where STARTTLS is required and the server offers none, nothing is sent, and the
    // error names the server but neither the password nor the message.
    let sender = SmtpSender::from_url(&format!(
        "smtp://user:hunter2secret@127.0.0.1:{}?tls=starttls",
        server.port
    ))
    .expect("URL parses");
    let error = sender
        .send(&OutgoingEmail {
            from_name: "Practice".into(),
            from_address: "practice@example.com".into(),
            to: "client@example.com".into(),
            subject: "Hello".into(),
            text: "private body".into(),
            html: "<p>private body</p>".into(),
            calendar_ics: None,
        })
        .expect_err("the server offers no STARTTLS");
    assert!(
        !error.contains("hunter2secret") && !error.contains("private body"),
        "{error}"
    );
    assert!(error.contains("127.0.0.1"), "{error}");
    assert_eq!(server.messages().len(), 1, "nothing more arrived");
}
