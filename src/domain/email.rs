use std::fmt;

/// An email address as typed (trimmed) plus the normalised form used for uniqueness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    typed: String,
    normalized: String,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let typed = input.trim();
        if typed.is_empty() {
            return Err("Enter an email address.");
        }
        if typed.len() > 254 {
            return Err("This email address is too long (254 characters at most).");
        }
        if typed.contains('<') || typed.contains('>') {
            return Err(
                "Enter the email address alone, without a name (for example name@example.com).",
            );
        }
        if !is_plain_address(typed) {
            return Err("This doesn't look like an email address. Check it for typos (for example name@example.com).");
        }
        Ok(Self {
            typed: typed.to_string(),
            normalized: normalize(typed),
        })
    }

    pub fn as_typed(&self) -> &str {
        &self.typed
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    pub fn into_normalized(self) -> String {
        self.normalized
    }
}

/// A plain `local@domain.tld`: no display name, no quoted local part, no IP literal, no
/// comments. Those are valid RFC 5322 but a mail server or a person cannot be relied on to
/// read them the same way, and they would let one mailbox be typed in many forms.
fn is_plain_address(text: &str) -> bool {
    let options = email_address::Options {
        minimum_sub_domains: 2,
        allow_domain_literal: false,
        allow_display_text: false,
        allow_long_local_parts: false,
    };
    let Ok(parsed) = email_address::EmailAddress::parse_with_options(text, options) else {
        return false;
    };
    // The crate still accepts a quoted local part ("a b"@example.com) and comments.
    parsed.as_str() == text
        && !parsed.local_part().starts_with('"')
        && !text.contains(['(', ')', ' ', '"', '\\'])
}

/// The address in a cell as people and address books write it: `Ann Lee <ann@example.org>`,
/// `<ann@example.org>` or `mailto:ann@example.org` give `ann@example.org`; anything else
/// is returned trimmed, to be checked by [`Email::parse`].
pub fn address_in(cell: &str) -> &str {
    let t = cell.trim();
    let inner = match (t.rfind('<'), t.ends_with('>')) {
        (Some(open), true) => &t[open + 1..t.len() - 1],
        _ => t,
    };
    let inner = inner.trim();
    match inner.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => inner[7..].trim(),
        _ => inner,
    }
}

/// Trimmed and lower-cased. `+tags` are kept: families share inboxes with `parent+1@...`.
pub fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.typed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let e = Email::parse("  Ada.Lovelace+1@Example.COM ").unwrap();
        assert_eq!(e.as_typed(), "Ada.Lovelace+1@Example.COM");
        assert_eq!(e.normalized(), "ada.lovelace+1@example.com");
    }

    #[test]
    fn rejects_bad_addresses() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "Ann Lee <ann@example.org>",
            "<ann@example.org>",
            "\"ann lee\"@example.org",
            "\"ann\"@example.org",
            "ann@[192.168.0.1]",
            "ann@[IPv6:::1]",
            "ann(comment)@example.org",
            "ann..lee@example.org",
            ".ann@example.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn accepts_plain_addresses() {
        for good in [
            "ann@example.org",
            "ann.lee+family@mail.example.co.uk",
            "o'brien@example.com",
            "zoë@exämple.de",
        ] {
            assert!(Email::parse(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn a_display_name_gets_its_own_message() {
        assert_eq!(
            Email::parse("Ann Lee <ann@example.org>").unwrap_err(),
            "Enter the email address alone, without a name (for example name@example.com)."
        );
    }

    #[test]
    fn finds_the_address_in_what_address_books_write() {
        assert_eq!(address_in("Ann Lee <ann@example.org>"), "ann@example.org");
        assert_eq!(
            address_in(" \"Lee, Ann\" < ann@example.org > "),
            "ann@example.org"
        );
        assert_eq!(address_in("mailto:ann@example.org"), "ann@example.org");
        assert_eq!(address_in("MAILTO:ann@example.org"), "ann@example.org");
        assert_eq!(address_in("ann@example.org"), "ann@example.org");
        assert_eq!(address_in("not an address"), "not an address");
        assert_eq!(address_in("<>"), "");
        assert_eq!(address_in("é<"), "é<");
    }
}
