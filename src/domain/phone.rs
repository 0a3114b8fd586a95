/// A phone number as typed, plus its E.164 form when it parses (US default region) and
/// the bare digits used for searching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub typed: String,
    pub e164: Option<String>,
    pub digits: String,
}

impl Phone {
    /// Empty input means no phone. Input with no digits at all is refused; anything else is
    /// kept as typed even when it does not parse (extensions, foreign formats).
    pub fn parse(input: &str) -> Result<Option<Self>, &'static str> {
        let typed = input.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        if typed.chars().count() > 40 {
            return Err("This phone number is too long (40 characters at most).");
        }
        if typed.chars().any(char::is_control) {
            return Err("The phone number contains a control character; retype it.");
        }
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 3 {
            return Err("Enter a phone number with its area code, for example (555) 555-0102.");
        }
        let e164 = phonenumber::parse(Some(phonenumber::country::Id::US), typed)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|n| n.format().mode(phonenumber::Mode::E164).to_string());
        Ok(Some(Self {
            typed: typed.to_string(),
            e164,
            digits: search_digits(&digits),
        }))
    }
}

/// Digits as searched: a US number without its leading country code 1, so "555 0102"
/// and "+1 555..." both find it.
pub fn search_digits(digits: &str) -> String {
    if digits.len() == 11 && digits.starts_with('1') {
        digits[1..].to_string()
    } else {
        digits.to_string()
    }
}

/// A phone as every page shows it: a US number in one national format, "(415) 555-2671",
/// however it was typed or imported; anything else (an extension, a foreign number, a
/// short local number) as it was typed.
pub fn shown(typed: &str) -> String {
    let typed = typed.trim();
    let plain = typed
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let foreign = typed.starts_with('+') && !typed.starts_with("+1");
    let national = search_digits(&digits);
    if !plain || foreign || national.len() != 10 {
        return typed.to_string();
    }
    format!(
        "({}) {}-{}",
        &national[..3],
        &national[3..6],
        &national[6..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_numbers_are_shown_in_one_national_format() {
        for typed in [
            "4155552671",
            "415.555.2671",
            "+1 415 555 2671",
            "1-415-555-2671",
            " (415)555-2671 ",
        ] {
            assert_eq!(shown(typed), "(415) 555-2671", "{typed}");
        }
        assert_eq!(shown("555-0102 ext 4"), "555-0102 ext 4");
        assert_eq!(shown("+44 20 7946 0958"), "+44 20 7946 0958");
        assert_eq!(shown("555-0102"), "555-0102");
    }

    #[test]
    fn us_numbers_get_e164() {
        let p = Phone::parse("(415) 555-2671").unwrap().unwrap();
        assert_eq!(p.typed, "(415) 555-2671");
        assert_eq!(p.e164.as_deref(), Some("+14155552671"));
        assert_eq!(p.digits, "4155552671");
        let p = Phone::parse("+1 415 555 2671").unwrap().unwrap();
        assert_eq!(p.e164.as_deref(), Some("+14155552671"));
        assert_eq!(p.digits, "4155552671");
    }

    #[test]
    fn unparseable_numbers_are_kept_as_typed() {
        let p = Phone::parse("555-0102 ext 4").unwrap().unwrap();
        assert_eq!(p.typed, "555-0102 ext 4");
        assert_eq!(p.e164, None);
        assert!(Phone::parse("").unwrap().is_none());
        assert!(Phone::parse("call me").is_err());
    }
}
