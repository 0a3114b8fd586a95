//! Good Faith Estimates (the No Surprises Act, 45 CFR 149.610) for uninsured and self-pay
//! clients: when one is due, what it must hold, and the identifiers it names (NPI with its
//! check digit, TIN). Pure: the Billing tab, the page, the PDF and the tests ask it.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A National Provider Identifier: 10 digits, the last a Luhn check digit computed over
/// the first nine with the prefix 80840 (CMS's rule).
pub fn parse_npi(raw: &str) -> Result<String, &'static str> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("An NPI is 10 digits, for example 1234567893.");
    }
    if !npi_check_digit_holds(&digits) {
        return Err("This NPI's last digit does not match the others (its check digit): check it against your NPPES record.");
    }
    Ok(digits)
}

fn npi_check_digit_holds(npi: &str) -> bool {
    let with_prefix = format!("80840{npi}");
    let mut sum = 0;
    for (i, b) in with_prefix.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// A Taxpayer Identification Number: an EIN (12-3456789) or an SSN (123-45-6789), kept
/// as its 9 digits.
pub fn parse_tin(raw: &str) -> Result<String, &'static str> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let only_allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    if digits.len() != 9 || !only_allowed {
        return Err("A TIN is 9 digits: your EIN (12-3456789) or, if you bill under it, your SSN.");
    }
    Ok(digits)
}

/// "12-3456789".
pub fn tin_display(digits: &str) -> String {
    if digits.len() == 9 {
        format!("{}-{}", &digits[..2], &digits[2..])
    } else {
        digits.to_string()
    }
}

fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The business day `n` business days after `from` (weekends skipped; federal holidays
/// are not counted out, so the deadline errs early).
pub fn business_days_after(from: NaiveDate, n: u32) -> NaiveDate {
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d += Duration::days(1);
        if is_business_day(d) {
            left -= 1;
        }
    }
    d
}

/// Business days from `from` to `to`, `to` counted and `from` not.
pub fn business_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d += Duration::days(1);
        if is_business_day(d) {
            n += 1;
        }
    }
    n
}

/// When the estimate for a session booked on `booked_on` for `session_on` is due: within
/// 1 business day when booked at least 3 business days ahead, within 3 when at least 10
/// ahead; `None` when booked sooner (the rule asks nothing then, though one may still be
/// given).
pub fn due_by(booked_on: NaiveDate, session_on: NaiveDate) -> Option<NaiveDate> {
    match business_days_between(booked_on, session_on) {
        n if n >= 10 => Some(business_days_after(booked_on, 3)),
        n if n >= 3 => Some(business_days_after(booked_on, 1)),
        _ => None,
    }
}

/// How often the expected sessions recur after the scheduled ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    None,
    Weekly,
    EveryTwoWeeks,
    Monthly,
}

impl Frequency {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "weekly" => Some(Self::Weekly),
            "every_2_weeks" => Some(Self::EveryTwoWeeks),
            "monthly" => Some(Self::Monthly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Weekly => "weekly",
            Self::EveryTwoWeeks => "every_2_weeks",
            Self::Monthly => "monthly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "only the sessions scheduled",
            Self::Weekly => "weekly",
            Self::EveryTwoWeeks => "every 2 weeks",
            Self::Monthly => "monthly",
        }
    }

    /// Sessions in `months` months at this frequency.
    pub fn sessions_in(self, months: u32) -> u32 {
        match self {
            Self::None => 0,
            Self::Weekly => (months * 52).div_ceil(12),
            Self::EveryTwoWeeks => (months * 26).div_ceil(12),
            Self::Monthly => months,
        }
    }
}

/// One expected service on an estimate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    pub service: String,
    pub cpt_code: String,
    /// The ICD-10 codes known, comma-separated (empty when none yet).
    pub diagnosis: String,
    pub quantity: u32,
    pub unit_cents: i32,
}

impl Line {
    pub fn total_cents(&self) -> i64 {
        i64::from(self.unit_cents) * i64::from(self.quantity)
    }

    /// "90834 Psychotherapy, 45 minutes (diagnosis F41.1): 13 × $150.00", as the page
    /// and the PDF print it.
    pub fn describe(&self) -> String {
        let diagnosis = if self.diagnosis.is_empty() {
            "diagnosis not yet known".to_string()
        } else {
            format!("diagnosis {}", self.diagnosis)
        };
        format!(
            "{} {} ({diagnosis}): {} × {}",
            self.cpt_code,
            self.service,
            self.quantity,
            super::money::dollars(self.unit_cents)
        )
    }
}

/// The statements every Good Faith Estimate carries (after CMS's model notice).
pub const DISCLAIMERS: [&str; 5] = [
    "You have the right to receive a Good Faith Estimate explaining how much your medical care will cost. Under the law, health care providers need to give patients who don't have insurance or who are not using insurance an estimate of the bill for medical items and services.",
    "You have the right to receive a Good Faith Estimate for the total expected cost of any non-emergency items or services. This includes related costs like medical tests, prescription drugs, equipment, and hospital fees.",
    "This estimate is not a contract, and it does not require you to obtain the services listed. It is based on the information known when it was made; the items, services and charges may change if your care changes.",
    "If you receive a bill that is at least $400 more than this Good Faith Estimate, you can dispute the bill. You may start a dispute resolution process with the U.S. Department of Health and Human Services (HHS) within 120 calendar days of the date on the bill; there is a $25 fee. Save a copy or picture of this Good Faith Estimate.",
    "For questions or more information about your right to a Good Faith Estimate, visit www.cms.gov/nosurprises or call 1-800-985-3059.",
];

/// What an issued estimate says, kept as it was issued (the PDF says the same).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sheet {
    pub client_name: String,
    /// "03/14/1985".
    pub client_dob: String,
    pub provider_name: String,
    pub practice: String,
    pub npi: String,
    /// As printed ("12-3456789").
    pub tin: String,
    pub address: String,
    /// "December 2, 2026".
    pub issued_on: String,
    pub covers: String,
    /// "The 3 sessions scheduled, and weekly sessions through …".
    pub expected: String,
    pub lines: Vec<Line>,
}

impl Sheet {
    pub fn total_cents(&self) -> i64 {
        self.lines.iter().map(Line::total_cents).sum()
    }

    /// The estimate as printable blocks, every required element in order.
    pub fn blocks(&self) -> Vec<crate::pdf::Block> {
        use crate::pdf::Block;
        let money = |c: i64| super::money::dollars(c);
        let mut b = vec![
            Block::Title("Good Faith Estimate".into()),
            Block::Text(format!(
                "Issued {} · covers {}",
                self.issued_on, self.covers
            )),
            Block::Heading("Patient".into()),
            Block::Text(format!("Name: {}", self.client_name)),
            Block::Text(format!("Date of birth: {}", self.client_dob)),
            Block::Heading("Provider".into()),
            Block::Text(format!("Name: {}", self.provider_name)),
        ];
        if !self.practice.is_empty() && self.practice != self.provider_name {
            b.push(Block::Text(format!("Practice: {}", self.practice)));
        }
        b.extend([
            Block::Text(format!("NPI: {}", self.npi)),
            Block::Text(format!("TIN: {}", self.tin)),
            Block::Text(format!("Address: {}", self.address)),
            Block::Heading("Expected services".into()),
            Block::Text(self.expected.clone()),
        ]);
        for l in &self.lines {
            b.push(Block::Row(l.describe(), money(l.total_cents())));
        }
        b.push(Block::Row(
            "Total expected charges".into(),
            money(self.total_cents()),
        ));
        b.push(Block::Heading("Your rights".into()));
        b.extend(DISCLAIMERS.iter().map(|d| Block::Text((*d).to_string())));
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_npi_must_carry_its_check_digit() {
        // CMS's worked example: 123456789 has check digit 3.
        assert_eq!(parse_npi("1234567893"), Ok("1234567893".to_string()));
        assert_eq!(parse_npi(" 1234567893 "), Ok("1234567893".to_string()));
        for wrong in ["1234567890", "1234567891", "1234567894"] {
            assert!(
                parse_npi(wrong).unwrap_err().contains("check digit"),
                "{wrong}"
            );
        }
        for malformed in ["123456789", "12345678931", "12345678a3", ""] {
            assert!(
                parse_npi(malformed).unwrap_err().contains("10 digits"),
                "{malformed}"
            );
        }
        // Real-shaped NPIs, each with a valid check digit.
        for ok in ["1245319599", "1003000126", "1861495376"] {
            assert!(parse_npi(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_tin_is_nine_digits() {
        assert_eq!(parse_tin("12-3456789"), Ok("123456789".to_string()));
        assert_eq!(parse_tin("123-45-6789"), Ok("123456789".to_string()));
        assert!(parse_tin("12-345678").is_err());
        assert!(parse_tin("12-34567X9").is_err());
        assert_eq!(tin_display("123456789"), "12-3456789");
    }

    #[test]
    fn the_deadline_follows_how_far_ahead_the_session_is_booked() {
        // Booked Wednesday December 2, 2026.
        let booked = d("2026-12-02");
        assert_eq!(
            due_by(booked, d("2026-12-04")),
            None,
            "2 business days ahead"
        );
        assert_eq!(
            due_by(booked, d("2026-12-07")),
            Some(d("2026-12-03")),
            "3 ahead: 1 day"
        );
        assert_eq!(
            due_by(booked, d("2026-12-15")),
            Some(d("2026-12-03")),
            "9 ahead"
        );
        assert_eq!(
            due_by(booked, d("2026-12-16")),
            Some(d("2026-12-07")),
            "10 ahead: 3 days"
        );
        // From a Friday, the next business day is Monday.
        assert_eq!(business_days_after(d("2026-12-04"), 1), d("2026-12-07"));
    }

    #[test]
    fn a_frequency_gives_the_sessions_in_the_months_covered() {
        assert_eq!(Frequency::Weekly.sessions_in(12), 52);
        assert_eq!(Frequency::Weekly.sessions_in(3), 13);
        assert_eq!(Frequency::EveryTwoWeeks.sessions_in(12), 26);
        assert_eq!(Frequency::Monthly.sessions_in(6), 6);
        assert_eq!(Frequency::None.sessions_in(12), 0);
    }
}
