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
        if !email_address::EmailAddress::is_valid(typed)
            || !typed.rsplit('@').next().is_some_and(|d| d.contains('.'))
        {
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
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
