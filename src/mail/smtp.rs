//! Outgoing email over SMTP: the one setting `CASELOAD_SMTP_URL` parsed into a blocking
//! lettre transport, one message (text + HTML) per send, and the retry schedule the outbox
//! follows after a failed attempt.
//!
//! Accepted URLs:
//! - `smtp://host[:port]` — plain SMTP, no TLS, no authentication (a local relay or a test
//!   sink); port 25 by default.
//! - `smtp://[user:pass@]host[:port]?tls=starttls` — STARTTLS is required before anything
//!   else is sent; port 587 by default.
//! - `smtps://[user:pass@]host[:port]` — implicit TLS; port 465 by default.
//!
//! The URL is read by the `url` crate. User name and password are percent-decoded (`%40`
//! for `@`, `%3A` for `:` ...): characters a URL reserves must be encoded. Errors never
//! repeat the password. Credentials over plain SMTP are refused: they would cross the
//! network in clear text.
//!
//! Everything here is blocking: call it from a worker thread or `web::block`, never on the
//! async executor.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, Message, SmtpTransport, Transport};

/// The setting this module reads; named in every configuration error.
const SETTING: &str = "CASELOAD_SMTP_URL";

/// How long one SMTP command (connect, each reply) may take before the attempt fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// One email ready to send: the outbox hands this over, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub from_name: String,
    pub from_address: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// A calendar file to attach as `session.ics` (text/calendar; method=PUBLISH).
    pub calendar_ics: Option<String>,
}

/// A configured SMTP transport. Cheap to share by reference; each `send` opens its own
/// connection.
#[derive(Clone)]
pub struct SmtpSender {
    transport: SmtpTransport,
    settings: SmtpSettings,
}

impl fmt::Debug for SmtpSender {
    // The transport holds the credentials: show only where mail goes and how.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("server", &self.settings.describe())
            .finish()
    }
}

impl SmtpSender {
    /// Parses `CASELOAD_SMTP_URL` and builds the transport. Nothing is sent and no
    /// connection is opened here.
    pub fn from_url(url: &str) -> Result<SmtpSender, String> {
        let settings = SmtpSettings::parse(url)?;
        let builder = match settings.security {
            Security::Plain => SmtpTransport::builder_dangerous(settings.host.as_str()),
            Security::StartTls => SmtpTransport::starttls_relay(&settings.host).map_err(|e| {
                format!(
                    "{SETTING}: cannot set up STARTTLS for {}: {e}",
                    settings.host
                )
            })?,
            Security::ImplicitTls => SmtpTransport::relay(&settings.host)
                .map_err(|e| format!("{SETTING}: cannot set up TLS for {}: {e}", settings.host))?,
        };
        let mut builder = builder.port(settings.port).timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            settings,
        })
    }

    /// Where mail goes, without credentials: `smtps://mail.example.com:465`.
    pub fn describe(&self) -> String {
        self.settings.describe()
    }

    /// Sends one multipart/alternative message (text, then HTML). The error is a short
    /// sentence for the outbox and the log: it names neither the recipient nor the body.
    pub fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        let message = message(email)?;
        self.transport.send(&message).map(|_| ()).map_err(|e| {
            format!(
                "could not send via {}: {}",
                self.settings.describe(),
                short(&e.to_string())
            )
        })
    }
}

/// The email as it goes on the wire: one multipart/alternative message (text, then HTML).
/// Every mailer builds it, so an address an SMTP server would never see is refused the
/// same way in tests. The error names neither the recipient nor the body.
pub(super) fn message(email: &OutgoingEmail) -> Result<Message, String> {
    let from_address: Address = email
        .from_address
        .trim()
        .parse()
        .map_err(|_| "the sender address is not a valid email address".to_string())?;
    let to: Address = email
        .to
        .trim()
        .parse()
        .map_err(|_| "the recipient address is not a valid email address".to_string())?;
    let from_name = email.from_name.trim();
    let from_name = (!from_name.is_empty()).then(|| from_name.to_string());
    let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let body = match &email.calendar_ics {
        None => body,
        Some(ics) => {
            let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                .map_err(|e| format!("could not build the email: {e}"))?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new("session.ics".to_string()).body(ics.clone(), calendar))
        }
    };
    Message::builder()
        .from(Mailbox::new(from_name, from_address))
        .to(Mailbox::new(None, to))
        .subject(email.subject.as_str())
        .multipart(body)
        .map_err(|e| format!("could not build the email: {e}"))
}

/// How long to wait after the `attempts`-th failed attempt before trying again; `None`
/// once the schedule is used up (give up and show the failure). Zero failed attempts means
/// no wait.
pub fn retry_delay(attempts: u32) -> Option<chrono::Duration> {
    match attempts {
        0 => Some(chrono::Duration::zero()),
        1 => Some(chrono::Duration::minutes(1)),
        2 => Some(chrono::Duration::minutes(5)),
        3 => Some(chrono::Duration::minutes(30)),
        4 => Some(chrono::Duration::hours(2)),
        5 => Some(chrono::Duration::hours(6)),
        6 => Some(chrono::Duration::hours(12)),
        _ => None,
    }
}

/// Keeps a server's reply to one line of reasonable length.
fn short(message: &str) -> String {
    const MAX: usize = 300;
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    ImplicitTls,
}

#[derive(Clone, PartialEq, Eq)]
struct SmtpSettings {
    security: Security,
    /// Without brackets for IPv6 literals (what the resolver and the TLS name check want).
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl SmtpSettings {
    /// Reads the URL with the `url` crate; what is ours is the policy: which schemes and
    /// options mean what, the default ports, no credentials over plain SMTP, and errors
    /// that name the setting but never repeat the URL (it may hold the password).
    fn parse(text: &str) -> Result<SmtpSettings, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!(
                "{SETTING} is empty; set it to smtp://host:port, \
                 smtp://user:password@host:587?tls=starttls or smtps://user:password@host"
            ));
        }
        let url = url::Url::parse(text).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => format!(
                "{SETTING} must start with smtp:// or smtps:// \
                 (for example smtps://user:password@mail.example.com)"
            ),
            url::ParseError::EmptyHost => {
                format!("{SETTING} has no host; write for example smtp://localhost:25")
            }
            url::ParseError::InvalidPort => {
                format!("{SETTING} has an invalid port; it must be a number from 1 to 65535")
            }
            // The parser's own words name the part, never its contents.
            other => format!("{SETTING} is not a valid address ({other})"),
        })?;
        let implicit_tls = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            _ => {
                return Err(format!(
                    "{SETTING} has an unknown scheme; it must start with smtp:// or smtps://"
                ))
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            // Without brackets: what the resolver and the TLS name check want.
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => {
                return Err(format!(
                    "{SETTING} has no host; write for example smtp://localhost:25"
                ))
            }
        };
        if !matches!(url.path(), "" | "/") {
            return Err(format!(
                "{SETTING} must not have a path after the host and port"
            ));
        }
        if url.fragment().is_some() {
            return Err(format!("{SETTING} must not contain '#' after the host"));
        }
        let credentials = credentials(&url)?;
        let mut starttls = false;
        for (key, value) in url.query_pairs() {
            match (
                key.to_ascii_lowercase().as_str(),
                value.to_ascii_lowercase().as_str(),
            ) {
                // lettre's own URLs say tls=required for what ours call starttls.
                ("tls", "starttls" | "required") if !implicit_tls => starttls = true,
                ("tls", "none") if !implicit_tls => starttls = false,
                ("tls", "implicit" | "wrapper") if implicit_tls => {}
                ("tls", _) if implicit_tls => {
                    return Err(format!(
                        "{SETTING}: smtps:// always uses implicit TLS; drop the ?tls= option \
                         or use smtp://...?tls=starttls"
                    ));
                }
                ("tls", _) => {
                    return Err(format!(
                        "{SETTING}: the tls option must be tls=starttls (or left out for plain SMTP)"
                    ));
                }
                _ => {
                    return Err(format!(
                        "{SETTING} has an unknown option; the only one is ?tls=starttls"
                    ));
                }
            }
        }
        let security = if implicit_tls {
            Security::ImplicitTls
        } else if starttls {
            Security::StartTls
        } else {
            Security::Plain
        };
        if security == Security::Plain && credentials.is_some() {
            return Err(format!(
                "{SETTING} has a user name and password over plain SMTP, which would send them \
                 unencrypted; add ?tls=starttls or use smtps://"
            ));
        }
        let port = match url.port() {
            Some(0) => {
                return Err(format!(
                    "{SETTING} has an invalid port; it must be a number from 1 to 65535"
                ))
            }
            Some(port) => port,
            None => match security {
                Security::Plain => 25,
                Security::StartTls => 587,
                Security::ImplicitTls => 465,
            },
        };
        Ok(SmtpSettings {
            security,
            host,
            port,
            credentials,
        })
    }

    fn describe(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.security {
            Security::Plain => format!("smtp://{host}:{}", self.port),
            Security::StartTls => format!("smtp://{host}:{}?tls=starttls", self.port),
            Security::ImplicitTls => format!("smtps://{host}:{}", self.port),
        }
    }
}

/// The percent-decoded user name and password, both or neither.
fn credentials(url: &url::Url) -> Result<Option<(String, String)>, String> {
    let decode = |part: &str, what: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| format!("{SETTING} has a badly percent-encoded {what}"))
    };
    let user = decode(url.username(), "user name")?;
    let password = match url.password() {
        Some(p) => Some(decode(p, "password")?),
        None => None,
    };
    match (user.is_empty(), password) {
        (true, None) => Ok(None),
        (false, None) => Err(format!(
            "{SETTING} has a user name but no password; write smtp://user:password@host"
        )),
        (true, Some(_)) => Err(format!("{SETTING} has a password but no user name")),
        (false, Some(p)) if p.is_empty() => {
            Err(format!("{SETTING} has a user name but an empty password"))
        }
        (false, Some(p)) => Ok(Some((user, p))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> SmtpSettings {
        SmtpSettings::parse(url).unwrap_or_else(|e| panic!("{url} should parse: {e}"))
    }

    fn parse_err(url: &str) -> String {
        match SmtpSettings::parse(url) {
            Ok(settings) => panic!("{url} should not parse, got {settings:?}"),
            Err(e) => {
                assert!(e.contains("CASELOAD_SMTP_URL"), "{e}");
                e
            }
        }
    }

    #[test]
    fn plain_smtp_with_port() {
        let s = parse("smtp://127.0.0.1:2525");
        assert_eq!(s.security, Security::Plain);
        assert_eq!(s.host, "127.0.0.1");
        assert_eq!(s.port, 2525);
        assert_eq!(s.credentials, None);
        assert_eq!(s.describe(), "smtp://127.0.0.1:2525");
    }

    #[test]
    fn plain_smtp_defaults_to_port_25_and_accepts_trailing_slash() {
        let s = parse(" smtp://localhost/ ");
        assert_eq!((s.host.as_str(), s.port), ("localhost", 25));
        assert_eq!(
            parse("SMTP://relay.internal?tls=none").security,
            Security::Plain
        );
    }

    #[test]
    fn starttls_with_credentials() {
        let s = parse("smtp://apikey:s3cret@smtp.example.com:587?tls=starttls");
        assert_eq!(s.security, Security::StartTls);
        assert_eq!(s.host, "smtp.example.com");
        assert_eq!(s.port, 587);
        assert_eq!(
            s.credentials,
            Some(("apikey".to_string(), "s3cret".to_string()))
        );
        assert_eq!(s.describe(), "smtp://smtp.example.com:587?tls=starttls");
        assert_eq!(parse("smtp://u:p@mail.example.com?tls=STARTTLS").port, 587);
    }

    #[test]
    fn smtps_defaults_to_465() {
        let s = parse("smtps://user:pw@mail.example.com");
        assert_eq!(s.security, Security::ImplicitTls);
        assert_eq!(s.port, 465);
        assert_eq!(parse("smtps://user:pw@mail.example.com:2465").port, 2465);
        assert_eq!(parse("smtps://mail.example.com").credentials, None);
    }

    #[test]
    fn user_and_password_are_percent_decoded() {
        let s = parse("smtps://me%40example.com:p%40ss%3Aw%2Frd%25@mail.example.com");
        assert_eq!(
            s.credentials,
            Some(("me@example.com".to_string(), "p@ss:w/rd%".to_string()))
        );
        // A password with characters a URL reserves must be percent-encoded; the README says so.
    }

    #[test]
    fn ipv6_hosts() {
        let s = parse("smtp://[::1]:2525");
        assert_eq!((s.host.as_str(), s.port), ("::1", 2525));
        assert_eq!(s.describe(), "smtp://[::1]:2525");
        assert_eq!(parse("smtps://[2001:db8::1]").port, 465);
    }

    #[test]
    fn bad_urls_are_refused_with_the_setting_named() {
        for url in [
            "",
            "mail.example.com:25",
            "http://mail.example.com",
            "smtp://",
            "smtp://:25",
            "smtp://host:0",
            "smtp://host:65536",
            "smtp://host:+25",
            "smtp://host:abc",
            "smtp://host:25/path",
            "smtp://host:25?tls=maybe",
            "smtp://host:25?foo=bar",
            "smtps://host?tls=starttls",
            "smtp://[::1",
            "smtp://[::1]x",
            "smtp://ho st:25",
            "smtp://host:25:26",
            "smtp://::1:25",
            "smtp://[nothost]:25",
            "smtp://host#x",
            "smtps://user@host",
            "smtps://:pw@host",
            "smtps://user:@host",
            "smtps://user:%ff@host",
        ] {
            parse_err(url);
        }
        assert!(parse_err("http://x").contains("unknown scheme"));
        assert!(parse_err("smtp://host:99999").contains("port"));
        assert!(parse_err("smtp://").contains("no host"));
    }

    #[test]
    fn credentials_over_plain_smtp_are_refused() {
        let e = parse_err("smtp://user:pw@host:25");
        assert!(e.contains("tls=starttls"), "{e}");
    }

    #[test]
    fn errors_never_contain_the_password() {
        let password = "Sup3rS3cretPw";
        for url in [
            format!("smtp://user:{password}@host:25"),
            format!("smtp://user:{password}@host:notaport?tls=starttls"),
            format!("smtp://user:{password}@:25?tls=starttls"),
            format!("smtp://user:{password}@host?tls=bogus"),
            format!("smtps://user:{password}@host/path"),
            format!("smtps://user:{password}%ff@host"),
            format!("ftp://user:{password}@host"),
            format!("{password}://user:{password}@host"),
            format!("user:{password}@host"),
            format!("smtps://user:{password}@host#frag"),
            format!("smtps://user:{password}@[::1"),
        ] {
            let e = match SmtpSender::from_url(&url) {
                Ok(sender) => panic!("{url} should not parse, got {sender:?}"),
                Err(e) => e,
            };
            assert!(e.contains("CASELOAD_SMTP_URL"), "{e}");
            assert!(!e.contains(password), "password leaked in: {e}");
        }
    }

    #[test]
    fn from_url_builds_every_kind_and_debug_hides_the_password() {
        let plain = SmtpSender::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(plain.describe(), "smtp://127.0.0.1:2525");
        let starttls =
            SmtpSender::from_url("smtp://u:hidden-pw@smtp.example.com:587?tls=starttls").unwrap();
        assert!(!format!("{starttls:?}").contains("hidden-pw"));
        let implicit = SmtpSender::from_url("smtps://u:hidden-pw@smtp.example.com").unwrap();
        assert_eq!(implicit.describe(), "smtps://smtp.example.com:465");
        assert!(!format!("{implicit:?}").contains("hidden-pw"));
    }

    #[test]
    fn send_refuses_bad_addresses_without_naming_them() {
        let sender = SmtpSender::from_url("smtp://127.0.0.1:9").unwrap();
        let mut email = OutgoingEmail {
            from_name: "Dr. Example".into(),
            from_address: "practice@example.com".into(),
            to: "not an address".into(),
            subject: "Hello".into(),
            text: "secret body".into(),
            html: "<p>secret body</p>".into(),
            calendar_ics: None,
        };
        let e = sender.send(&email).unwrap_err();
        assert!(e.contains("recipient"), "{e}");
        assert!(
            !e.contains("not an address") && !e.contains("secret body"),
            "{e}"
        );
        email.to = "client@example.com".into();
        email.from_address = "nope".into();
        assert!(sender.send(&email).unwrap_err().contains("sender"));
    }

    #[test]
    fn retry_schedule() {
        let m = chrono::Duration::minutes;
        let h = chrono::Duration::hours;
        assert_eq!(retry_delay(0), Some(chrono::Duration::zero()));
        assert_eq!(retry_delay(1), Some(m(1)));
        assert_eq!(retry_delay(2), Some(m(5)));
        assert_eq!(retry_delay(3), Some(m(30)));
        assert_eq!(retry_delay(4), Some(h(2)));
        assert_eq!(retry_delay(5), Some(h(6)));
        assert_eq!(retry_delay(6), Some(h(12)));
        assert_eq!(retry_delay(7), None);
        assert_eq!(retry_delay(8), None);
        assert_eq!(retry_delay(u32::MAX), None);
    }

    #[test]
    fn short_keeps_one_line() {
        assert_eq!(short("a\r\n  b"), "a b");
        assert_eq!(short(&"x".repeat(1000)).chars().count(), 301);
    }

    #[test]
    fn ics_a_calendar_file_travels_as_a_session_ics_attachment_beside_text_and_html() {
        let mut email = OutgoingEmail {
            from_name: "Dr. Example".into(),
            from_address: "practice@example.com".into(),
            to: "client@example.com".into(),
            subject: "Reminder".into(),
            text: "See you soon".into(),
            html: "<p>See you soon</p>".into(),
            calendar_ics: None,
        };
        let plain = String::from_utf8(message(&email).unwrap().formatted()).unwrap();
        assert!(plain.contains("multipart/alternative") && !plain.contains("multipart/mixed"));
        assert!(!plain.contains("text/calendar"));
        email.calendar_ics = Some("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".into());
        let with_file = String::from_utf8(message(&email).unwrap().formatted()).unwrap();
        let mixed = with_file.find("multipart/mixed").expect("mixed");
        let alternative = with_file
            .find("multipart/alternative")
            .expect("alternative");
        assert!(mixed < alternative, "{with_file}");
        assert!(
            with_file.contains("Content-Type: text/calendar; charset=utf-8; method=PUBLISH"),
            "{with_file}"
        );
        assert!(
            with_file.contains("Content-Disposition: attachment; filename=\"session.ics\""),
            "{with_file}"
        );
        assert!(with_file.contains("BEGIN:VCALENDAR"), "{with_file}");
    }
}
