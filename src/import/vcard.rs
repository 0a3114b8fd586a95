//! A tolerant reader of vCard 2.1, 3.0 and 4.0 files, for importing a therapist's client
//! list from an address book export (Outlook, Android, Google, Apple, SimplePractice).
//!
//! Only what the import needs is read: names (N, FN), e-mail addresses, phone numbers and
//! the birthday as written. Everything else (addresses, photos, X-* extensions) is skipped
//! without confusing the parser. `parse` never panics, and memory stays linear in the
//! input: a single unfolded logical line is capped at [`MAX_LOGICAL_LINE`] bytes.
//!
//! Pure std + `encoding_rs`: no HTTP, no SQL.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

use super::limits::{LimitError, ReadLimits};

/// Longest logical (unfolded) line kept, in bytes; the rest of the line is dropped.
pub const MAX_LOGICAL_LINE: usize = 1024 * 1024;

/// One contact card, as read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VCard {
    /// 1-based position of the card in the file.
    pub index: usize,
    /// 1-based line where `BEGIN:VCARD` stands.
    pub line: usize,
    /// From N (given part); None if absent or empty.
    pub first_name: Option<String>,
    /// From N (family part); None if absent or empty.
    pub last_name: Option<String>,
    /// FN; None if absent or empty.
    pub full_name: Option<String>,
    /// EMAIL properties, in file order.
    pub emails: Vec<Entry>,
    /// TEL properties, in file order.
    pub phones: Vec<Entry>,
    /// BDAY value as written (after unescaping), not parsed.
    pub birthday: Option<String>,
    /// NICKNAME's first value: what the person goes by.
    pub nickname: Option<String>,
    /// The card has no `END:VCARD`: the file ends, or the next card begins, first.
    pub cut_off: bool,
}

/// One e-mail address or phone number with its type parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub value: String,
    /// Lower-case type names, e.g. "cell", "home", "pref", "internet".
    pub types: Vec<String>,
    pub preferred: bool,
}

impl VCard {
    /// A card with no name, email address, phone number or birthday is nobody.
    pub fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.last_name.is_none()
            && self.full_name.is_none()
            && self.emails.is_empty()
            && self.phones.is_empty()
            && self.birthday.is_none()
    }

    /// The preferred e-mail address, else the first one.
    pub fn preferred_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.preferred)
            .or_else(|| self.emails.first())
            .map(|e| e.value.as_str())
    }

    /// The preferred phone number, then a mobile one, then the first one.
    pub fn preferred_phone(&self) -> Option<&str> {
        self.phones
            .iter()
            .find(|e| e.preferred)
            .or_else(|| {
                self.phones
                    .iter()
                    .find(|e| e.types.iter().any(|t| t == "cell" || t == "mobile"))
            })
            .or_else(|| self.phones.first())
            .map(|e| e.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VCardError {
    /// The bytes hold no `BEGIN:VCARD`.
    NoCards,
    /// Cards, but none with a name, an email address, a phone number or a birthday.
    OnlyEmptyCards { count: usize },
    /// Over one of the limits on what a file may hold.
    Limit(LimitError),
}

impl fmt::Display for VCardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VCardError::NoCards => f.write_str(
                "No contact cards were found in this file. Export your contacts from your \
                 address book as a vCard (.vcf) file and try again.",
            ),
            VCardError::OnlyEmptyCards { count } => write!(
                f,
                "The file's {} contact card{} hold{} no names, email addresses or phone \
                 numbers, so there is no one to import. Check that the export included your \
                 clients' details, then upload the new file.",
                super::limits::thousands(*count),
                if *count == 1 { "" } else { "s" },
                if *count == 1 { "s" } else { "" }
            ),
            VCardError::Limit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for VCardError {}

/// Reads every card in `bytes`. Cards missing `END:VCARD` are returned with what was
/// read and marked [`VCard::cut_off`]; empty cards are left out. Fails when there is no
/// `BEGIN:VCARD` at all, when every card is empty, or when the file goes over a limit.
pub fn parse(bytes: &[u8]) -> Result<Vec<VCard>, VCardError> {
    parse_with(bytes, &ReadLimits::STANDARD)
}

/// [`parse`] with other limits (the tests use small ones).
pub fn parse_with(bytes: &[u8], limits: &ReadLimits) -> Result<Vec<VCard>, VCardError> {
    // A whole file in UTF-16 (rare, but some Windows tools write it): transcode first.
    let transcoded: Vec<u8>;
    let bytes = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        transcoded = UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
            .into_bytes();
        &transcoded[..]
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        transcoded = UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
            .into_bytes();
        &transcoded[..]
    } else {
        bytes
    };

    let mut cards = Cards {
        limits,
        kept: Vec::new(),
        seen: 0,
        error: None,
    };
    let mut current: Option<CardBuilder> = None;
    for_each_logical_line(bytes, |line, buf| {
        let Some(prop) = parse_property(buf) else {
            return true;
        };
        let is_vcard = || trim_bytes(prop.value).eq_ignore_ascii_case(b"VCARD");
        match prop.name.as_str() {
            "BEGIN" if is_vcard() => {
                if let Some(mut b) = current.take() {
                    b.card.cut_off = true;
                    cards.finish(b);
                }
                cards.seen += 1;
                current = Some(CardBuilder::new(line, cards.seen));
            }
            "END" if is_vcard() => {
                if let Some(b) = current.take() {
                    cards.finish(b);
                }
            }
            _ => {
                if let Some(b) = current.as_mut() {
                    if let Err(e) = b.apply(&prop, limits) {
                        cards.error = Some(e);
                    }
                }
            }
        }
        cards.error.is_none()
    });
    if let Some(mut b) = current.take() {
        b.card.cut_off = true;
        cards.finish(b);
    }
    if let Some(e) = cards.error {
        return Err(VCardError::Limit(e));
    }
    if cards.seen == 0 {
        Err(VCardError::NoCards)
    } else if cards.kept.is_empty() {
        Err(VCardError::OnlyEmptyCards { count: cards.seen })
    } else {
        Ok(cards.kept)
    }
}

/// The cards kept so far (never more than the limit allows; empty ones are dropped).
struct Cards<'a> {
    limits: &'a ReadLimits,
    kept: Vec<VCard>,
    /// Every `BEGIN:VCARD` so far, empty cards too.
    seen: usize,
    error: Option<LimitError>,
}

impl Cards<'_> {
    fn finish(&mut self, b: CardBuilder) {
        let card = b.finish();
        if card.is_empty() || self.error.is_some() {
            return;
        }
        if self.kept.len() >= self.limits.max_rows {
            self.error = Some(LimitError::TooManyCards {
                limit: self.limits.max_rows,
            });
            return;
        }
        self.kept.push(card);
    }
}

// ---------------------------------------------------------------------------------------
// Cards

struct CardBuilder {
    card: VCard,
    email_ranks: Vec<Option<u32>>,
    phone_ranks: Vec<Option<u32>>,
}

impl CardBuilder {
    fn new(line: usize, index: usize) -> Self {
        CardBuilder {
            card: VCard {
                line,
                index,
                ..VCard::default()
            },
            email_ranks: Vec::new(),
            phone_ranks: Vec::new(),
        }
    }

    fn apply(&mut self, prop: &Property<'_>, limits: &ReadLimits) -> Result<(), LimitError> {
        match prop.name.as_str() {
            "N" | "FN" | "EMAIL" | "TEL" | "BDAY" | "NICKNAME" => {}
            _ => return Ok(()),
        }
        // Binary-encoded text is not something an address book writes for these fields.
        if prop.encoding == ValueEncoding::Base64 {
            return Ok(());
        }
        if prop.value.len() > limits.max_cell_bytes {
            return Err(LimitError::CardValueTooLong {
                card: self.card.index,
                line: self.card.line,
                limit: limits.max_cell_bytes,
            });
        }
        let entries = match prop.name.as_str() {
            "EMAIL" => self.card.emails.len(),
            "TEL" => self.card.phones.len(),
            _ => 0,
        };
        if entries >= limits.max_card_entries {
            return Err(LimitError::TooManyCardEntries {
                card: self.card.index,
                line: self.card.line,
                limit: limits.max_card_entries,
            });
        }
        let text = decode_value(prop);
        match prop.name.as_str() {
            "N" => {
                if self.card.first_name.is_some() || self.card.last_name.is_some() {
                    return Ok(());
                }
                let parts = split_unescaped_semicolons(&text);
                self.card.last_name = parts.first().and_then(|p| non_empty(&unescape(p)));
                self.card.first_name = parts.get(1).and_then(|p| non_empty(&unescape(p)));
            }
            "FN" if self.card.full_name.is_none() => {
                self.card.full_name = non_empty(&unescape(&text));
            }
            "BDAY" if self.card.birthday.is_none() => {
                self.card.birthday = non_empty(&unescape(&text));
            }
            // NICKNAME may list several, comma-separated; the first is the one in use.
            "NICKNAME" if self.card.nickname.is_none() => {
                let first = text.split(',').next().unwrap_or_default();
                self.card.nickname = non_empty(&unescape(first));
            }
            "EMAIL" => {
                let value = unescape(&text);
                let value = strip_prefix_ci(value.trim(), "mailto:");
                if let Some(value) = non_empty(value) {
                    self.card.emails.push(prop.entry(value));
                    self.email_ranks.push(prop.pref_rank);
                }
            }
            "TEL" => {
                let value = unescape(&text);
                let value = strip_prefix_ci(value.trim(), "tel:");
                if let Some(value) = non_empty(value) {
                    self.card.phones.push(prop.entry(value));
                    self.phone_ranks.push(prop.pref_rank);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> VCard {
        mark_ranked_preferred(&mut self.card.emails, &self.email_ranks);
        mark_ranked_preferred(&mut self.card.phones, &self.phone_ranks);
        self.card
    }
}

/// vCard 4.0 `PREF=n`: the lowest n is the most preferred.
fn mark_ranked_preferred(entries: &mut [Entry], ranks: &[Option<u32>]) {
    let Some(best) = ranks.iter().flatten().min().copied() else {
        return;
    };
    for (entry, rank) in entries.iter_mut().zip(ranks) {
        if *rank == Some(best) {
            entry.preferred = true;
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_owned())
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> &'a str {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => s.get(prefix.len()..).unwrap_or(s),
        _ => s,
    }
}

// ---------------------------------------------------------------------------------------
// Properties

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ValueEncoding {
    #[default]
    Plain,
    QuotedPrintable,
    Base64,
}

#[derive(Debug)]
struct Property<'a> {
    /// Upper-case name without its group (`item1.TEL` -> `TEL`).
    name: String,
    types: Vec<String>,
    pref_type: bool,
    pref_rank: Option<u32>,
    encoding: ValueEncoding,
    charset: Option<String>,
    value: &'a [u8],
}

impl Property<'_> {
    fn entry(&self, value: String) -> Entry {
        Entry {
            value,
            types: self.types.clone(),
            preferred: self.pref_type,
        }
    }

    fn add_type(&mut self, raw: &str) {
        let t = unquote(raw.trim()).trim().to_ascii_lowercase();
        if t.is_empty() {
            return;
        }
        if t == "pref" {
            self.pref_type = true;
        }
        if !self.types.contains(&t) {
            self.types.push(t);
        }
    }
}

/// Splits `NAME;PARAM;PARAM:value`. None when the line has no colon.
fn parse_property(buf: &[u8]) -> Option<Property<'_>> {
    let colon = find_value_colon(buf)?;
    let header = String::from_utf8_lossy(buf.get(..colon)?);
    let value = buf.get(colon + 1..)?;
    let parts = split_outside_quotes(&header, ';');
    let mut parts = parts.into_iter();
    let full_name = parts.next()?.trim().trim_start_matches('\u{feff}');
    let name = full_name
        .rsplit('.')
        .next()
        .unwrap_or(full_name)
        .trim()
        .to_ascii_uppercase();
    let mut prop = Property {
        name,
        types: Vec::new(),
        pref_type: false,
        pref_rank: None,
        encoding: ValueEncoding::Plain,
        charset: None,
        value,
    };
    for param in parts {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        match param.split_once('=') {
            Some((key, val)) => {
                let val = unquote(val.trim());
                match key.trim().to_ascii_uppercase().as_str() {
                    "TYPE" => {
                        for t in val.split(',') {
                            prop.add_type(t);
                        }
                    }
                    "PREF" => prop.pref_rank = Some(val.trim().parse().unwrap_or(1)),
                    "ENCODING" => prop.encoding = encoding_from(val),
                    "CHARSET" => prop.charset = Some(val.trim().to_owned()),
                    _ => {}
                }
            }
            None => match encoding_from(param) {
                ValueEncoding::Plain => match param.to_ascii_uppercase().as_str() {
                    "8BIT" | "7BIT" => {}
                    _ => prop.add_type(param),
                },
                enc => prop.encoding = enc,
            },
        }
    }
    Some(prop)
}

fn encoding_from(s: &str) -> ValueEncoding {
    let s = s.trim();
    if s.eq_ignore_ascii_case("QUOTED-PRINTABLE") {
        ValueEncoding::QuotedPrintable
    } else if s.eq_ignore_ascii_case("BASE64") || s.eq_ignore_ascii_case("B") {
        ValueEncoding::Base64
    } else {
        ValueEncoding::Plain
    }
}

/// The first colon outside double quotes (4.0 parameters may quote values with colons);
/// falls back to the first colon anywhere when quotes are unbalanced.
fn find_value_colon(buf: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b':' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    buf.iter().position(|&b| b == b':')
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            out.push(s.get(start..i).unwrap_or(""));
            start = i + c.len_utf8();
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out
}

fn unquote(s: &str) -> &str {
    let s = s.strip_prefix('"').unwrap_or(s);
    s.strip_suffix('"').unwrap_or(s)
}

// ---------------------------------------------------------------------------------------
// Values

/// Transfer-decodes (quoted-printable) and charset-decodes a value. Escapes are kept.
fn decode_value(prop: &Property<'_>) -> String {
    let bytes: Cow<'_, [u8]> = match prop.encoding {
        ValueEncoding::QuotedPrintable => Cow::Owned(decode_quoted_printable(prop.value)),
        _ => Cow::Borrowed(prop.value),
    };
    decode_charset(&bytes, prop.charset.as_deref())
}

/// A known CHARSET decodes via encoding_rs; otherwise (or when labelled UTF-8) valid
/// UTF-8 is taken as is and anything else is read as Windows-1252.
fn decode_charset(bytes: &[u8], charset: Option<&str>) -> String {
    if let Some(enc) = charset.and_then(|label| Encoding::for_label(label.trim().as_bytes())) {
        if enc != UTF_8 {
            return enc.decode_without_bom_handling(bytes).0.into_owned();
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'=' {
            let hi = input.get(i + 1).copied().and_then(hex_val);
            let lo = input.get(i + 2).copied().and_then(hex_val);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
            if i + 1 >= input.len() {
                // A dangling soft break at the very end.
                i += 1;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Undoes `\n` `\N` `\,` `\;` `\:` `\\`; any other backslash is kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(e @ (',' | ';' | ':' | '\\')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a structured value (N) on `;` that is not escaped; parts keep their escapes.
fn split_unescaped_semicolons(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ';' {
            out.push(s.get(start..i).unwrap_or(""));
            start = i + 1;
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out
}

// ---------------------------------------------------------------------------------------
// Lines

/// Physical lines with their 1-based numbers. Line ends: CR LF, LF, CR, and CR CR LF
/// (seen in an iPhone export) counted as one.
struct PhysicalLines<'a> {
    rest: &'a [u8],
    number: usize,
}

impl<'a> Iterator for PhysicalLines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let rest = self.rest;
        let Some(end) = rest.iter().position(|&b| b == b'\r' || b == b'\n') else {
            self.rest = &[];
            return Some((self.number, rest));
        };
        let line = rest.get(..end).unwrap_or(&[]);
        let after = rest.get(end..).unwrap_or(&[]);
        let skip = if after.starts_with(b"\r\r\n") {
            3
        } else if after.starts_with(b"\r\n") {
            2
        } else {
            1
        };
        self.rest = after.get(skip..).unwrap_or(&[]);
        Some((self.number, line))
    }
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or(&[])
}

fn push_capped(buf: &mut Vec<u8>, more: &[u8]) {
    let room = MAX_LOGICAL_LINE.saturating_sub(buf.len());
    buf.extend_from_slice(more.get(..room.min(more.len())).unwrap_or(&[]));
}

fn is_card_boundary(line: &[u8]) -> bool {
    let t = trim_bytes(line);
    let starts = |p: &[u8]| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    starts(b"BEGIN:VCARD") || starts(b"END:VCARD")
}

fn is_base64_line(line: &[u8]) -> bool {
    let t = trim_bytes(line);
    !t.is_empty()
        && t.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b' ' | b'\t'))
}

/// A QP value continues on the next line when it ends with `=` (a soft line break).
fn ends_with_soft_break(buf: &[u8]) -> bool {
    buf.iter().rev().find(|&&b| b != b' ' && b != b'\t') == Some(&b'=')
}

fn strip_soft_break(buf: &mut Vec<u8>) {
    while matches!(buf.last(), Some(b' ' | b'\t')) {
        buf.pop();
    }
    if buf.last() == Some(&b'=') {
        buf.pop();
    }
}

/// Joins physical lines into logical ones and hands each to `f` with the number of the
/// line it starts on:
/// - a line starting with one space or TAB continues the previous one (that one
///   character is removed);
/// - in a QUOTED-PRINTABLE property, a value ending with `=` continues on the next line
///   as written (vCard 2.1 soft line breaks are not indented);
/// - in a BASE64 property, following unindented lines of base64 characters belong to it
///   (vCard 2.1 photos end with a blank line) and are dropped.
fn for_each_logical_line(bytes: &[u8], mut f: impl FnMut(usize, &[u8]) -> bool) {
    let mut cur: Vec<u8> = Vec::new();
    let mut cur_line = 0usize;
    let mut open = false;
    // (quoted-printable, base64) for the open line, worked out once per logical line.
    let mut header: Option<(bool, bool)> = None;

    let lines = PhysicalLines {
        rest: bytes,
        number: 0,
    };
    for (number, raw) in lines {
        let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        if open && matches!(raw.first(), Some(b' ' | b'\t')) {
            push_capped(&mut cur, raw.get(1..).unwrap_or(&[]));
            continue;
        }
        if open {
            let (qp, b64) = *header.get_or_insert_with(|| match parse_property(&cur) {
                Some(p) => (
                    p.encoding == ValueEncoding::QuotedPrintable,
                    p.encoding == ValueEncoding::Base64,
                ),
                None => (false, false),
            });
            if qp && ends_with_soft_break(&cur) && !is_card_boundary(raw) {
                strip_soft_break(&mut cur);
                push_capped(&mut cur, raw);
                continue;
            }
            if b64 && is_base64_line(raw) {
                continue;
            }
            if !f(cur_line, &cur) {
                return;
            }
            cur.clear();
            open = false;
            header = None;
        }
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        push_capped(&mut cur, raw);
        cur_line = number;
        open = true;
    }
    if open {
        f(cur_line, &cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> VCard {
        let cards = parse(bytes).expect("cards");
        assert_eq!(cards.len(), 1, "{cards:#?}");
        cards.into_iter().next().expect("one card")
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    fn entry(value: &str, types: &[&str], preferred: bool) -> Entry {
        Entry {
            value: value.to_owned(),
            types: types.iter().map(|t| t.to_string()).collect(),
            preferred,
        }
    }

    fn outlook_21() -> Vec<u8> {
        let mut v: Vec<u8> = Vec::new();
        v.extend_from_slice(b"BEGIN:VCARD\r\nVERSION:2.1\r\n");
        v.extend_from_slice(b"N;LANGUAGE=en-us:Lovelace;Ada;Augusta;Ms.\r\n");
        v.extend_from_slice(b"FN:Ada Lovelace\r\n");
        v.extend_from_slice(b"TEL;WORK;VOICE:(555) 555-0100\r\n");
        v.extend_from_slice(b"TEL;CELL;VOICE:(555) 555-0101\r\n");
        v.extend_from_slice(b"EMAIL;PREF;INTERNET:ada@example.com\r\n");
        v.extend_from_slice(b"ADR;HOME;ENCODING=QUOTED-PRINTABLE:;;12 Analytical Way=0D=0A=\r\n");
        v.extend_from_slice(b"Apt 3;London;;;UK\r\n");
        v.extend_from_slice(b"X-MS-OL-DESIGN;CHARSET=utf-8:<card xmlns=\"http://schemas\">");
        v.extend_from_slice("x".repeat(5000).as_bytes());
        v.extend_from_slice(b"</card>\r\n");
        v.extend_from_slice(b"PHOTO;TYPE=JPEG;ENCODING=BASE64:\r\n");
        v.extend_from_slice(b"  /9j/4AAQSkZJRgABAQEAYABgAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL\r\n");
        v.extend_from_slice(b"  DBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/\r\n");
        v.extend_from_slice(b"\r\n");
        v.extend_from_slice(b"BDAY:19220310\r\n");
        v.extend_from_slice(b"NOTE:Prefers Ren\xe9e as a contact\r\n");
        v.extend_from_slice(b"END:VCARD\r\n");
        v
    }

    #[test]
    fn outlook_21_bare_params_qp_long_lines_and_photo() {
        let c = one(&outlook_21());
        assert_eq!(c.index, 1);
        assert_eq!(c.line, 1);
        assert_eq!(c.first_name, s("Ada"));
        assert_eq!(c.last_name, s("Lovelace"));
        assert_eq!(c.full_name, s("Ada Lovelace"));
        assert_eq!(c.birthday, s("19220310"));
        assert_eq!(
            c.phones,
            vec![
                entry("(555) 555-0100", &["work", "voice"], false),
                entry("(555) 555-0101", &["cell", "voice"], false),
            ]
        );
        assert_eq!(
            c.emails,
            vec![entry("ada@example.com", &["pref", "internet"], true)]
        );
        assert_eq!(c.preferred_phone(), Some("(555) 555-0101"));
        assert_eq!(c.preferred_email(), Some("ada@example.com"));
    }

    #[test]
    fn outlook_raw_windows_1252_without_charset() {
        let c = one(b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:M\xfcller;Ren\xe9e\r\nFN:Ren\xe9e M\xfcller\r\nEND:VCARD\r\n");
        assert_eq!(c.first_name, s("Renée"));
        assert_eq!(c.last_name, s("Müller"));
        assert_eq!(c.full_name, s("Renée Müller"));
    }

    #[test]
    fn windows_1252_quoted_printable_without_charset() {
        let c = one(b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:Ren=E9e =\r\nM=FCller\r\nEND:VCARD\r\n");
        assert_eq!(c.full_name, s("Renée Müller"));
    }

    #[test]
    fn android_21_qp_utf8_soft_break_inside_character_and_cards_without_names() {
        let data = b"BEGIN:VCARD\r\nVERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Garc=C3=AD=\r\na;Jos=C3=\r\n=A9;;;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9 Garc=C3=ADa\r\n\
TEL;CELL:555-555-0102\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:2.1\r\nTEL;HOME:555-555-0103\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:2.1\r\nN:;Grace;;;\r\nFN:Grace\r\nEND:VCARD\r\n";
        let cards = parse(data).expect("cards");
        assert_eq!(cards.len(), 3);
        assert_eq!(cards[0].first_name, s("José"));
        assert_eq!(cards[0].last_name, s("García"));
        assert_eq!(cards[0].full_name, s("José García"));
        assert_eq!(cards[1].index, 2);
        assert_eq!(cards[1].line, 9);
        assert_eq!(cards[1].first_name, None);
        assert_eq!(cards[1].last_name, None);
        assert_eq!(cards[1].full_name, None);
        assert_eq!(cards[1].preferred_phone(), Some("555-555-0103"));
        assert_eq!(cards[2].index, 3);
        assert_eq!(cards[2].first_name, s("Grace"));
        assert_eq!(cards[2].last_name, None);
    }

    #[test]
    fn google_30_folding_escapes_groups_and_blank_lines() {
        let data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mary Anne O'Brien-Smith\\, PhD\r\n\
N:O'Brien-Smith;Mary\r\n  Anne;;;PhD\r\n\
EMAIL;TYPE=INTERNET;TYPE=HOME:mary@exa\r\n mple.com\r\n\
item1.TEL:+1 555-555-0104\r\nitem1.X-ABLabel:Pager\r\n\
ADR;TYPE=HOME:;;12 Main St\\, Springfield\\, IL 62701;;;;\r\n\
NOTE:Line one\\nLine two\\; more \\\\ done\r\n\
BDAY:1960-09-10\r\nEND:VCARD\r\n\r\n\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nN:Semi\\;colon;Bob\\,Jr;;;\r\nEND:VCARD\r\n";
        let cards = parse(data).expect("cards");
        assert_eq!(cards.len(), 2);
        let c = &cards[0];
        assert_eq!(c.full_name, s("Mary Anne O'Brien-Smith, PhD"));
        assert_eq!(c.first_name, s("Mary Anne"));
        assert_eq!(c.last_name, s("O'Brien-Smith"));
        assert_eq!(
            c.emails,
            vec![entry("mary@example.com", &["internet", "home"], false)]
        );
        assert_eq!(c.phones, vec![entry("+1 555-555-0104", &[], false)]);
        assert_eq!(c.birthday, s("1960-09-10"));
        assert_eq!(cards[1].line, 16);
        assert_eq!(cards[1].last_name, s("Semi;colon"));
        assert_eq!(cards[1].first_name, s("Bob,Jr"));
    }

    #[test]
    fn unescape_handles_all_escapes() {
        assert_eq!(unescape(r"a\,b\;c\nd\Ne\\f\:g\x\"), "a,b;c\nd\ne\\f:g\\x\\");
        let c = one(b"BEGIN:VCARD\nVERSION:3.0\nFN:A\\nB \\\\ C\nEND:VCARD\n");
        assert_eq!(c.full_name, s("A\nB \\ C"));
    }

    fn apple_30() -> Vec<u8> {
        let mut v: Vec<u8> = Vec::new();
        for line in [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "PRODID:-//Apple Inc.//iPhone OS 17.0//EN",
            "N:Hopper;Grace;Brewster;;",
            "FN:Grace Hopper",
            "item1.EMAIL;type=INTERNET;type=pref:grace@example.com",
            "item1.X-ABLabel:_$!<Other>!$_",
            "EMAIL;type=INTERNET;type=WORK:ghopper@example.com",
            "TEL;type=HOME;type=VOICE:555-555-0105",
            "TEL;type=CELL;type=VOICE;type=pref:555-555-0106",
            "BDAY;value=date:1985-03-14",
            "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAASABIAAD/4QBMRXhpZgAATU0AKgAAAAgAAYdp",
            "  AAQAAAABAAAAGgAAAAAAA6ABAAMAAAABAAEAAKACAAQAAAABAAAAKKADAAQAAAABAAAAKAAAAAD/",
            "  7QA4UGhvdG9zaG9wIDMuMAA4QklNBAQAAAAAAAA4QklNBCUAAAAAABDUHYzZjwCyBOmACZjs+EJ+",
            "END:VCARD",
        ] {
            v.extend_from_slice(line.as_bytes());
            v.extend_from_slice(b"\r\r\n");
        }
        v
    }

    #[test]
    fn apple_30_cr_cr_lf_repeated_lower_case_types_and_folded_photo() {
        let c = one(&apple_30());
        assert_eq!(c.first_name, s("Grace"));
        assert_eq!(c.last_name, s("Hopper"));
        assert_eq!(c.birthday, s("1985-03-14"));
        assert_eq!(
            c.emails,
            vec![
                entry("grace@example.com", &["internet", "pref"], true),
                entry("ghopper@example.com", &["internet", "work"], false),
            ]
        );
        assert_eq!(c.preferred_phone(), Some("555-555-0106"));
        assert_eq!(c.phones[1].types, vec!["cell", "voice", "pref"]);
    }

    #[test]
    fn vcard_40_pref_uri_and_partial_birthday() {
        let c = one(b"BEGIN:VCARD\nVERSION:4.0\nFN:Alan Turing\n\
EMAIL;TYPE=work:alan@work.example.com\nEMAIL;PREF=2:alan2@example.com\nEMAIL;PREF=1;TYPE=home:alan@example.com\n\
TEL;VALUE=uri;TYPE=\"voice,home\":tel:+1-555-555-0102\nTEL;VALUE=uri;PREF=1;TYPE=cell:tel:+1-555-555-0107\n\
BDAY:--0314\nEND:VCARD\n");
        assert_eq!(c.full_name, s("Alan Turing"));
        assert_eq!(c.first_name, None);
        assert_eq!(c.last_name, None);
        assert_eq!(c.birthday, s("--0314"));
        assert_eq!(c.preferred_email(), Some("alan@example.com"));
        assert!(!c.emails[1].preferred, "PREF=2 loses to PREF=1");
        assert_eq!(
            c.phones,
            vec![
                entry("+1-555-555-0102", &["voice", "home"], false),
                entry("+1-555-555-0107", &["cell"], true),
            ]
        );
        assert_eq!(c.preferred_phone(), Some("+1-555-555-0107"));
    }

    #[test]
    fn simplepractice_30_card() {
        let c = one(
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\n\
ADR;TYPE=home:;;1 Main St;Springfield;IL;62701;US\r\nTEL;TYPE=mobile:5555550102\r\n\
TEL;TYPE=work:(555) 555-0103\r\nEMAIL;TYPE=home:ada@example.com\r\nBDAY:19151210\r\nEND:VCARD\r\n",
        );
        assert_eq!(c.first_name, s("Ada"));
        assert_eq!(c.last_name, s("Lovelace"));
        assert_eq!(c.preferred_phone(), Some("5555550102"));
        assert_eq!(c.preferred_email(), Some("ada@example.com"));
        assert_eq!(c.birthday, s("19151210"));
    }

    #[test]
    fn bom_and_case_insensitive_names() {
        let c = one(b"\xEF\xBB\xBFbegin:vcard\nversion:3.0\nn:Doe;Jane\nfn:Jane Doe\nEmail;Type=Home:jane@example.com\ntel;TYPE=Cell:555\nbday:2000-01-01\nend:vcard\n");
        assert_eq!(c.line, 1);
        assert_eq!(c.first_name, s("Jane"));
        assert_eq!(c.full_name, s("Jane Doe"));
        assert_eq!(c.emails, vec![entry("jane@example.com", &["home"], false)]);
        assert_eq!(c.phones, vec![entry("555", &["cell"], false)]);
        assert_eq!(c.birthday, s("2000-01-01"));
    }

    #[test]
    fn every_line_ending_gives_the_same_cards_and_lines() {
        let base = "BEGIN:VCARD\nVERSION:3.0\nFN:Jane\n Doe\nEND:VCARD\n\nBEGIN:VCARD\nFN:John\nEND:VCARD\n";
        let expected = parse(base.as_bytes()).expect("lf");
        assert_eq!(expected[0].full_name, s("JaneDoe"));
        assert_eq!(expected[1].line, 7);
        for eol in ["\r\n", "\r", "\r\r\n"] {
            let data = base.replace('\n', eol);
            assert_eq!(parse(data.as_bytes()).expect("cards"), expected, "{eol:?}");
        }
    }

    #[test]
    fn unfolding_removes_exactly_one_whitespace_character() {
        let c = one(b"BEGIN:VCARD\nFN:Mary\n  Anne\n\tSmith\nEND:VCARD\n");
        assert_eq!(c.full_name, s("Mary AnneSmith"));
    }

    #[test]
    fn charset_labels_go_through_encoding_rs() {
        let c = one(b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Zo=EB\r\n\
N;CHARSET=windows-1252:Br\xf6nte;Zo\xeb\r\nEMAIL;CHARSET=utf-8:zoe@example.com\r\nEND:VCARD\r\n");
        assert_eq!(c.full_name, s("Zoë"));
        assert_eq!(c.last_name, s("Brönte"));
        assert_eq!(c.first_name, s("Zoë"));
        // Unknown label: fall back to UTF-8, then Windows-1252.
        let c = one(b"BEGIN:VCARD\nFN;CHARSET=nonsense:Andr\xc3\xa9\nEND:VCARD\n");
        assert_eq!(c.full_name, s("André"));
    }

    #[test]
    fn comma_type_lists_and_quoted_params() {
        let c = one(b"BEGIN:VCARD\nEMAIL;TYPE=INTERNET,HOME,PREF:a@example.com\nEMAIL;TYPE=\"work,internet\":b@example.com\nEND:VCARD\n");
        assert_eq!(
            c.emails,
            vec![
                entry("a@example.com", &["internet", "home", "pref"], true),
                entry("b@example.com", &["work", "internet"], false),
            ]
        );
    }

    #[test]
    fn preferred_phone_order() {
        let c = one(b"BEGIN:VCARD\nTEL;TYPE=home:1\nTEL;TYPE=mobile:2\nEND:VCARD\n");
        assert_eq!(c.preferred_phone(), Some("2"));
        let c = one(b"BEGIN:VCARD\nTEL;TYPE=home:1\nTEL;TYPE=work:2\nEND:VCARD\n");
        assert_eq!(c.preferred_phone(), Some("1"));
        assert_eq!(c.preferred_email(), None);
        let c = one(b"BEGIN:VCARD\nTEL;CELL:1\nTEL;PREF;WORK:2\nEMAIL:x@example.com\nEMAIL;PREF:y@example.com\nEND:VCARD\n");
        assert_eq!(c.preferred_phone(), Some("2"));
        assert_eq!(c.preferred_email(), Some("y@example.com"));
    }

    #[test]
    fn empty_values_are_dropped_and_values_trimmed() {
        let c = one(b"BEGIN:VCARD\nN:  ;  ;;;\nFN:   \nEMAIL:\nTEL: \nTEL;VALUE=uri:tel:\nEMAIL:  pad@example.com  \nBDAY:\nEND:VCARD\n");
        assert_eq!(c.first_name, None);
        assert_eq!(c.last_name, None);
        assert_eq!(c.full_name, None);
        assert_eq!(c.birthday, None);
        assert!(c.phones.is_empty());
        assert_eq!(c.emails, vec![entry("pad@example.com", &[], false)]);
    }

    #[test]
    fn missing_end_at_eof_and_missing_end_before_next_begin() {
        let cards = parse(b"BEGIN:VCARD\nFN:One\nBEGIN:VCARD\nFN:Two\nTEL:555").expect("cards");
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].full_name, s("One"));
        assert_eq!(cards[1].full_name, s("Two"));
        assert_eq!(cards[1].phones, vec![entry("555", &[], false)]);
        assert_eq!((cards[1].index, cards[1].line), (2, 3));
    }

    #[test]
    fn properties_outside_cards_are_ignored() {
        let c = one(b"FN:Stray\nBEGIN:VCARD\nFN:Inside\nEND:VCARD\nFN:After\n");
        assert_eq!(c.full_name, s("Inside"));
        assert_eq!(c.line, 2);
    }

    #[test]
    fn qp_soft_break_does_not_swallow_end_of_card() {
        let cards = parse(
            b"BEGIN:VCARD\nFN;QUOTED-PRINTABLE:Ann=\nEND:VCARD\nBEGIN:VCARD\nFN:Bo\nEND:VCARD\n",
        )
        .expect("cards");
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].full_name, s("Ann"));
        assert_eq!(cards[1].full_name, s("Bo"));
    }

    #[test]
    fn unindented_21_base64_block_is_skipped() {
        let c = one(b"BEGIN:VCARD\r\nVERSION:2.1\r\nPHOTO;JPEG;BASE64:\r\n/9j/4AAQSkZJRgABAQEAYABgAAD\r\nDBkSEw8UHRofHh0aHBwg==\r\n\r\nFN:After Photo\r\nEND:VCARD\r\n");
        assert_eq!(c.full_name, s("After Photo"));
    }

    #[test]
    fn no_cards_error_and_message() {
        assert_eq!(parse(b""), Err(VCardError::NoCards));
        assert_eq!(
            parse(b"Name,Email\nAda,ada@example.com\n"),
            Err(VCardError::NoCards)
        );
        assert_eq!(parse(b"\xEF\xBB\xBF\r\n"), Err(VCardError::NoCards));
        let msg = VCardError::NoCards.to_string();
        assert!(msg.contains("No contact cards were found"), "{msg}");
        assert!(msg.contains("vCard (.vcf)"), "{msg}");
    }

    #[test]
    fn utf16_file_is_transcoded() {
        let text = "BEGIN:VCARD\r\nFN:Zoë\r\nEND:VCARD\r\n";
        let mut le = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(one(&le).full_name, s("Zoë"));
    }

    #[test]
    fn long_logical_lines_are_capped() {
        // A property that is not kept (a note) may be long: its line is capped.
        let mut data = b"BEGIN:VCARD\nNOTE:".to_vec();
        data.extend(std::iter::repeat_n(b'a', 3 * MAX_LOGICAL_LINE));
        data.extend_from_slice(b"\n");
        for _ in 0..100_000 {
            data.extend_from_slice(b" bbbbbbbbbb\n");
        }
        data.extend_from_slice(b"TEL:555\nEND:VCARD\n");
        let c = one(&data);
        assert_eq!(c.phones.len(), 1);
        // A name that long is refused, naming the card and the limit.
        let mut data = b"BEGIN:VCARD\nTEL:1\nEND:VCARD\nBEGIN:VCARD\nFN:".to_vec();
        data.extend(std::iter::repeat_n(b'a', 3 * MAX_LOGICAL_LINE));
        data.extend_from_slice(b"\nEND:VCARD\n");
        let e = parse(&data).unwrap_err();
        assert_eq!(
            e,
            VCardError::Limit(LimitError::CardValueTooLong {
                card: 2,
                line: 4,
                limit: crate::import::limits::MAX_CELL_BYTES
            })
        );
        assert!(e.to_string().contains("Card 2 (line 4)"), "{e}");
    }

    #[test]
    fn empty_cards_are_not_kept_and_cut_off_cards_are_marked() {
        let cards = parse(
            b"BEGIN:VCARD\nEND:VCARD\nBEGIN:VCARD\nFN:Ann Lee\nBEGIN:VCARD\nVERSION:3.0\nEND:VCARD\nBEGIN:VCARD\nFN:Bo Ng\n",
        )
        .unwrap();
        let got: Vec<_> = cards
            .iter()
            .map(|c| (c.index, c.line, c.full_name.as_deref(), c.cut_off))
            .collect();
        assert_eq!(
            got,
            [(2, 3, Some("Ann Lee"), true), (4, 8, Some("Bo Ng"), true)]
        );
        assert_eq!(
            parse(&b"BEGIN:VCARD\r\n".repeat(1000)),
            Err(VCardError::OnlyEmptyCards { count: 1000 })
        );
    }

    #[test]
    fn cards_and_their_entries_are_capped() {
        let small = ReadLimits {
            max_rows: 2,
            max_card_entries: 3,
            ..ReadLimits::STANDARD
        };
        let three = b"BEGIN:VCARD\nFN:A\nEND:VCARD\n".repeat(3);
        assert_eq!(
            parse_with(&three, &small),
            Err(VCardError::Limit(LimitError::TooManyCards { limit: 2 }))
        );
        let mut many = b"BEGIN:VCARD\nFN:A\n".to_vec();
        many.extend(b"EMAIL:a@example.com\n".repeat(4));
        assert_eq!(
            parse_with(&many, &small),
            Err(VCardError::Limit(LimitError::TooManyCardEntries {
                card: 1,
                line: 1,
                limit: 3
            }))
        );
    }

    #[test]
    fn many_soft_breaks_stay_linear() {
        let mut data = b"BEGIN:VCARD\nTEL:555\nFN;ENCODING=QUOTED-PRINTABLE:=".to_vec();
        for _ in 0..200_000 {
            data.extend_from_slice(b"\n=");
        }
        data.extend_from_slice(b"\nEND:VCARD\n");
        let c = one(&data);
        assert_eq!(c.full_name, None);
    }

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
        fn below(&mut self, n: usize) -> usize {
            self.next() as usize % n.max(1)
        }
    }

    #[test]
    fn never_panics_on_generated_inputs() {
        let fixtures: Vec<Vec<u8>> = vec![
            outlook_21(),
            apple_30(),
            b"BEGIN:VCARD\nVERSION:4.0\nFN:A\nTEL;VALUE=uri;PREF=1:tel:+1\nN:\\;;\\\nEND:VCARD\n"
                .to_vec(),
            b"BEGIN:VCARD\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=\r\n=A9;=\r\nEND:VCARD"
                .to_vec(),
        ];
        // Every truncation of one fixture.
        let outlook = outlook_21();
        for end in 0..=outlook.len() {
            let _ = parse(&outlook[..end]);
        }
        let apple = apple_30();
        for end in 0..=apple.len() {
            let _ = parse(&apple[end..]);
        }
        let mut rng = Lcg(0x5eed);
        // Random bytes, biased towards the characters the parser cares about.
        let alphabet = b"=;:\\\"., \t\r\nABCDEFNTLPbegin:vcardQUOTED-PRINTABLE0123456789\xc3\xa9\xff\xef\xbb\xbf";
        for _ in 0..3000 {
            let len = rng.below(300);
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(4) == 0 {
                        rng.next() as u8
                    } else {
                        alphabet[rng.below(alphabet.len())]
                    }
                })
                .collect();
            let _ = parse(&data);
            let mut with_card = b"BEGIN:VCARD\nFN:x\n".to_vec();
            with_card.extend_from_slice(&data);
            assert!(parse(&with_card).is_ok());
        }
        // Mutations of the fixtures: byte flips, insertions, deletions.
        for _ in 0..2000 {
            let mut data = fixtures[rng.below(fixtures.len())].clone();
            for _ in 0..1 + rng.below(8) {
                let pos = rng.below(data.len() + 1);
                match rng.below(3) {
                    0 if pos < data.len() => data[pos] = rng.next() as u8,
                    1 => data.insert(pos, alphabet[rng.below(alphabet.len())]),
                    _ if pos < data.len() => {
                        data.remove(pos);
                    }
                    _ => {}
                }
            }
            let _ = parse(&data);
        }
        // Lines made only of the separator characters.
        for ch in [b'=', b';', b':', b'\\'] {
            for n in 0..20 {
                let mut data = b"BEGIN:VCARD\nN;ENCODING=QUOTED-PRINTABLE:".to_vec();
                for _ in 0..n {
                    data.extend(std::iter::repeat_n(ch, n));
                    data.push(b'\n');
                }
                let _ = parse(&data);
                let line: Vec<u8> = std::iter::repeat_n(ch, n).collect();
                let _ = parse(&line);
            }
        }
    }
}
