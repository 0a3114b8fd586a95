/// A first or last name: trimmed, kept as typed (no forced capitalisation), Unicode intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

pub const MAX_NAME_CHARS: usize = 100;

impl PersonName {
    pub fn parse(input: &str, what: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(format!("Enter the {what}."));
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "The {what} is too long ({MAX_NAME_CHARS} characters at most)."
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(format!(
                "The {what} contains a control character; retype it."
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Optional free text (insurance company, member id): trimmed, empty means absent.
pub fn optional_text(input: &str, what: &str, max_chars: usize) -> Result<Option<String>, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(format!(
            "The {what} contains a control character; retype it."
        ));
    }
    if trimmed.chars().count() > max_chars {
        return Err(format!(
            "The {what} is too long ({max_chars} characters at most)."
        ));
    }
    Ok(Some(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_names_as_typed() {
        assert_eq!(
            PersonName::parse("  de la Cruz ", "last name")
                .unwrap()
                .as_str(),
            "de la Cruz"
        );
        assert_eq!(
            PersonName::parse("Zoë", "first name").unwrap().as_str(),
            "Zoë"
        );
        assert!(PersonName::parse("   ", "first name").is_err());
        assert!(PersonName::parse(&"x".repeat(101), "first name").is_err());
    }
}
