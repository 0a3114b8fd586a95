//! Amounts of money, kept as whole cents (US dollars): written as "$75.00", read from what
//! a person types ("75", "75.5", "$1,250.00").

/// "$1,250.00" for 125000 (a session's cents, or an estimate's total).
pub fn dollars(cents: impl Into<i64>) -> String {
    let cents: i64 = cents.into();
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// An amount from 0 to `max_cents`, as typed; the message says what to enter.
pub fn parse_dollars(raw: &str, max_cents: i32) -> Result<i32, String> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let refuse = || {
        format!(
            "Enter an amount in dollars, for example 75 or 75.50, up to {}.",
            dollars(max_cents)
        )
    };
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || (digits(fraction) && fraction.len() <= 2)) {
        return Err(refuse());
    }
    let whole: i64 = whole.parse().map_err(|_| refuse())?;
    let fraction: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| refuse())? * 10,
        _ => fraction.parse().map_err(|_| refuse())?,
    };
    let cents = whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(fraction))
        .filter(|c| *c <= i64::from(max_cents))
        .ok_or_else(refuse)?;
    i32::try_from(cents).map_err(|_| refuse())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_cents_and_thousands() {
        assert_eq!(dollars(7500), "$75.00");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(125_000), "$1,250.00");
        assert_eq!(dollars(100_000_000), "$1,000,000.00");
        assert_eq!(dollars(-2550), "-$25.50");
    }

    #[test]
    fn typed_amounts_are_read_or_refused_plainly() {
        let max = 100_000;
        assert_eq!(parse_dollars("75", max), Ok(7500));
        assert_eq!(parse_dollars(" $75.5 ", max), Ok(7550));
        assert_eq!(parse_dollars("1,000.00", max), Ok(100_000));
        assert_eq!(parse_dollars("0", max), Ok(0));
        for bad in [
            "",
            "abc",
            "-5",
            "7.555",
            "1e3",
            "$",
            "1000.01",
            "99999999999999",
        ] {
            let e = parse_dollars(bad, max).unwrap_err();
            assert!(e.contains("up to $1,000.00"), "{bad}: {e}");
        }
    }
}
