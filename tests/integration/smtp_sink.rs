//! A tiny SMTP server for tests (std only): it accepts every message on 127.0.0.1 and keeps
//! it in memory. Point the app at it with `CASELOAD_SMTP_URL=smtp://127.0.0.1:{port}`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEmail {
    /// The envelope sender (MAIL FROM), without the angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO), without the angle brackets.
    pub to: Vec<String>,
    /// The raw message as sent after DATA (headers and body, CRLF line ends, dots
    /// un-stuffed, without the final "." line).
    pub data: String,
}

impl ReceivedEmail {
    /// The message with its text and HTML parts decoded (see [`decoded_text`]).
    pub fn decoded(&self) -> String {
        decoded_text(&self.data)
    }
}

/// A running sink. It stops accepting connections when dropped.
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<ReceivedEmail>>>,
    stopping: Arc<AtomicBool>,
}

impl SmtpSink {
    /// Binds 127.0.0.1 on a free port and serves each connection in its own thread.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("SMTP sink address").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        {
            let messages = Arc::clone(&messages);
            let stopping = Arc::clone(&stopping);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let messages = Arc::clone(&messages);
                    thread::spawn(move || {
                        // A broken connection only ends that conversation.
                        let _ = serve(stream, &messages);
                    });
                }
            });
        }
        SmtpSink {
            port,
            messages,
            stopping,
        }
    }

    /// The URL for `CASELOAD_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedEmail> {
        self.messages.lock().expect("SMTP sink lock").clone()
    }

    /// Waits until at least `count` messages have arrived and returns all of them; panics
    /// on timeout, listing what did arrive.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedEmail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            if Instant::now() >= deadline {
                let summary: Vec<String> = messages
                    .iter()
                    .map(|m| format!("  from {} to {:?}: {}", m.from, m.to, subject_of(&m.data)))
                    .collect();
                panic!(
                    "SMTP sink on port {}: expected at least {count} message(s) within {:?}, \
                     got {}{}{}",
                    self.port,
                    timeout,
                    messages.len(),
                    if summary.is_empty() { "" } else { ":\n" },
                    summary.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn subject_of(raw: &str) -> String {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.get(..8)
                .filter(|h| h.eq_ignore_ascii_case("subject:"))
                .map(|_| decode_header_value(l[8..].trim()))
        })
        .unwrap_or_else(|| "(no subject)".to_string())
}

/// Reads one line without its line end; `None` at end of stream.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if reader.read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// The address between `<` and `>` after `MAIL FROM:` / `RCPT TO:` (parameters ignored).
fn path_argument(rest: &str) -> String {
    let rest = rest.trim();
    match (rest.find('<'), rest.find('>')) {
        (Some(open), Some(close)) if open < close => rest[open + 1..close].to_string(),
        _ => rest.split_whitespace().next().unwrap_or("").to_string(),
    }
}

fn serve(stream: TcpStream, messages: &Mutex<Vec<ReceivedEmail>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| -> std::io::Result<()> {
        writer.write_all(text.as_bytes())?;
        writer.write_all(b"\r\n")?;
        writer.flush()
    };
    reply("220 caseload-test-sink ESMTP ready")?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    while let Some(line) = read_line(&mut reader)? {
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");
        match verb {
            "EHLO" => {
                reply("250-caseload-test-sink greets you\r\n250-8BITMIME\r\n250 SIZE 52428800")?
            }
            "HELO" => reply("250 caseload-test-sink")?,
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                from = Some(path_argument(&line["MAIL FROM:".len()..]));
                to.clear();
                reply("250 OK")?;
            }
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if from.is_none() {
                    reply("503 MAIL FROM first")?;
                } else {
                    to.push(path_argument(&line["RCPT TO:".len()..]));
                    reply("250 OK")?;
                }
            }
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    reply("503 MAIL FROM and RCPT TO first")?;
                    continue;
                }
                reply("354 End data with <CR><LF>.<CR><LF>")?;
                let mut data = String::new();
                loop {
                    let Some(line) = read_line(&mut reader)? else {
                        return Ok(()); // connection closed mid-message: nothing stored
                    };
                    if line == "." {
                        break;
                    }
                    let line = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(line);
                    data.push_str("\r\n");
                }
                messages
                    .lock()
                    .expect("SMTP sink lock")
                    .push(ReceivedEmail {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                    });
                reply("250 OK: queued")?;
            }
            "RSET" => {
                from = None;
                to.clear();
                reply("250 OK")?;
            }
            "NOOP" => reply("250 OK")?,
            "QUIT" => {
                reply("221 Bye")?;
                break;
            }
            _ => reply("502 Command not implemented")?,
        }
    }
    let _ = reader.get_ref().shutdown(Shutdown::Both);
    Ok(())
}

// ---- decoding ------------------------------------------------------------------------

/// The message with every text part decoded, so a test can search it for a sentence or a
/// URL: quoted-printable soft breaks and `=XX` escapes and base64 bodies are decoded,
/// multipart bodies are walked part by part, and RFC 2047 encoded words in headers
/// (`=?utf-8?b?...?=`) are decoded. Line ends become `\n`. Not a full MIME parser: good
/// enough for what lettre sends.
pub fn decoded_text(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let mut out = String::new();
    decode_entity(&raw, &mut out, 0);
    out
}

fn decode_entity(entity: &str, out: &mut String, depth: usize) {
    let (header_block, body) = if let Some(body) = entity.strip_prefix('\n') {
        ("", body)
    } else {
        entity.split_once("\n\n").unwrap_or((entity, ""))
    };
    let headers = unfold_headers(header_block);
    for (name, value) in &headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&decode_header_value(value));
        out.push('\n');
    }
    out.push('\n');

    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
    };
    let content_type = header("Content-Type").unwrap_or("text/plain");
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();

    if media_type.starts_with("multipart/") && depth < 10 {
        if let Some(boundary) = content_type_param(content_type, "boundary") {
            for part in split_multipart(body, &boundary) {
                decode_entity(part, out, depth + 1);
                out.push('\n');
            }
            return;
        }
    }

    let encoding = header("Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => decode_quoted_printable(body),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .unwrap_or_else(|_| body.as_bytes().to_vec())
        }
        _ => body.as_bytes().to_vec(),
    };
    out.push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n"));
}

/// Header lines with continuation lines joined (the leading whitespace kept as one space).
fn unfold_headers(block: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim_start());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

fn content_type_param(content_type: &str, wanted: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case(wanted)
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

/// The parts between `--boundary` lines, up to `--boundary--`.
fn split_multipart<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut offset: usize = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == delimiter || trimmed == format!("{delimiter}--") {
            if let Some(start) = current {
                // Drop the line end that belongs to the delimiter.
                let end = offset.saturating_sub(1).max(start);
                parts.push(&body[start..end]);
            }
            if trimmed.ends_with("--") && trimmed != delimiter {
                return parts;
            }
            current = Some(offset + line.len());
        }
        offset += line.len();
    }
    if let Some(start) = current {
        parts.push(&body[start.min(body.len())..]);
    }
    parts
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable: `=` at a line end is a soft break, `=XX` a byte; anything else as is.
fn decode_quoted_printable(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            // Soft line break: '=' then optional trailing whitespace then a line end.
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if j < bytes.len() && (bytes[j] == b'\n' || bytes[j] == b'\r') {
                if bytes[j] == b'\r' && bytes.get(j + 1) == Some(&b'\n') {
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            if j == bytes.len() {
                break;
            }
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`); whitespace between two encoded
/// words is dropped, as the RFC says. Charsets other than UTF-8/ASCII are read as UTF-8.
fn decode_header_value(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        let Some(decoded_len) = encoded_word(candidate) else {
            out.push_str(before);
            out.push_str("=?");
            rest = &candidate[2..];
            last_was_word = false;
            continue;
        };
        let (decoded, len) = decoded_len;
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&decoded);
        rest = &candidate[len..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// The decoded text of the encoded word at the start of `s` and its length in `s`.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (_charset, after_charset) = inner.split_once('?')?;
    let (encoding, after_encoding) = after_charset.split_once('?')?;
    let end = after_encoding.find("?=")?;
    let text = &after_encoding[..end];
    if text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .ok()?,
        "Q" | "q" => decode_quoted_printable(&text.replace('_', " ")),
        _ => return None,
    };
    let len = s.len() - after_encoding.len() + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), len))
}

// ---- self-tests ----------------------------------------------------------------------

#[test]
fn sink_receives_a_message_from_lettre() {
    use caseload::mail::smtp::{OutgoingEmail, SmtpSender};

    let sink = SmtpSink::start();
    let sender = SmtpSender::from_url(&sink.url()).expect("sink URL parses");
    let long_url = format!(
        "https://caseload.example.com/invite/{}?token={}",
        "a".repeat(40),
        "Zz9-_".repeat(12)
    );
    let text = format!(
        "Dear Jordan,\n\nRenée invited you to Caseload — please finish your intake.\n\
         Open {long_url} to start.\n.\n..leading dots survive\n"
    );
    let html = format!(
        "<p>Dear Jordan,</p><p>Renée invited you to Caseload — please finish your intake.</p>\
         <p><a href=\"{long_url}\">Start</a></p>"
    );
    sender
        .send(&OutgoingEmail {
            from_name: "Renée Adams, LCSW".into(),
            from_address: "practice@example.com".into(),
            to: "jordan@example.com".into(),
            subject: "Your intake forms — Caseload".into(),
            text,
            html,
        })
        .expect("send to the sink");

    let messages = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.from, "practice@example.com");
    assert_eq!(message.to, vec!["jordan@example.com".to_string()]);
    assert!(
        message.data.contains("multipart/alternative"),
        "{}",
        message.data
    );

    let decoded = decoded_text(&message.data);
    assert!(
        decoded.contains("Subject: Your intake forms — Caseload"),
        "{decoded}"
    );
    assert!(decoded.contains("Renée Adams, LCSW"), "{decoded}");
    assert!(decoded.contains("text/plain"), "{decoded}");
    assert!(decoded.contains("text/html"), "{decoded}");
    assert!(
        decoded.contains("Renée invited you to Caseload — please finish your intake."),
        "{decoded}"
    );
    assert!(
        decoded.contains(&format!("Open {long_url} to start.")),
        "{decoded}"
    );
    assert!(
        decoded.contains(&format!("href=\"{long_url}\"")),
        "{decoded}"
    );
    assert!(
        decoded.contains("\n.\n..leading dots survive\n"),
        "{decoded}"
    );
}

#[test]
fn required_starttls_fails_against_a_plain_server_and_sends_nothing() {
    use caseload::mail::smtp::{OutgoingEmail, SmtpSender};

    let sink = SmtpSink::start();
    let url = format!(
        "smtp://user:hunter2secret@127.0.0.1:{}?tls=starttls",
        sink.port
    );
    let sender = SmtpSender::from_url(&url).expect("URL parses");
    let error = sender
        .send(&OutgoingEmail {
            from_name: "Practice".into(),
            from_address: "practice@example.com".into(),
            to: "client@example.com".into(),
            subject: "Hello".into(),
            text: "private body".into(),
            html: "<p>private body</p>".into(),
        })
        .expect_err("the sink offers no STARTTLS");
    assert!(
        !error.contains("hunter2secret") && !error.contains("private body"),
        "{error}"
    );
    assert!(error.contains("127.0.0.1"), "{error}");
    assert!(sink.messages().is_empty());
}

#[test]
fn sink_handles_a_hand_written_session() {
    let sink = SmtpSink::start();
    let stream = TcpStream::connect(("127.0.0.1", sink.port)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut expect = |send: &str, code: &str| {
        if !send.is_empty() {
            writer.write_all(send.as_bytes()).unwrap();
        }
        // Read a possibly multi-line reply ("250-..." lines, then "250 ...").
        loop {
            let line = read_line(&mut reader).unwrap().unwrap();
            assert!(
                line.starts_with(code),
                "after {send:?} expected {code}, got {line:?}"
            );
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
    };
    expect("", "220");
    expect("HELO test\r\n", "250");
    expect("EHLO test\r\n", "250");
    expect("NOOP\r\n", "250");
    expect("DATA\r\n", "503");
    expect("MAIL FROM:<a@example.com> SIZE=10\r\n", "250");
    expect("RSET\r\n", "250");
    expect("MAIL FROM:<a@example.com>\r\n", "250");
    expect("RCPT TO:<b@example.com>\r\n", "250");
    expect("RCPT TO:<c@example.com>\r\n", "250");
    expect("DATA\r\n", "354");
    expect(
        "Subject: =?utf-8?b?SGVsbG8gd29ybGQ=?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSoft=\r\n break =C3=A9\r\n..dot\r\n.\r\n",
        "250",
    );
    expect("QUIT\r\n", "221");

    let messages = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(messages[0].from, "a@example.com");
    assert_eq!(messages[0].to, vec!["b@example.com", "c@example.com"]);
    assert!(
        messages[0].data.ends_with("=C3=A9\r\n.dot\r\n"),
        "{:?}",
        messages[0].data
    );
    let decoded = messages[0].decoded();
    assert!(decoded.contains("Subject: Hello world\n"), "{decoded}");
    assert!(decoded.contains("Soft break é\n.dot\n"), "{decoded}");
}

#[test]
fn decoded_text_handles_base64_parts() {
    let text =
        base64::engine::general_purpose::STANDARD.encode("Visit https://example.com/x — thanks");
    let raw = format!(
        "From: a@example.com\r\nContent-Type: multipart/alternative;\r\n boundary=\"XYZ\"\r\n\r\n\
         --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n{}\r\n--XYZ\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>\r\n--XYZ--\r\n",
        &text[..20],
        &text[20..]
    );
    let decoded = decoded_text(&raw);
    assert!(
        decoded.contains("Visit https://example.com/x — thanks"),
        "{decoded}"
    );
    assert!(decoded.contains("<p>Hi</p>"), "{decoded}");
}
