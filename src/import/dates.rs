//! Dates of birth as exports write them: ISO, US `MM/DD/YYYY`, European `dd.mm.yyyy`,
//! `YYYYMMDD`, vCard `--MMDD`. A file's slash dates are read the way its unambiguous rows
//! show (13/04/1990 can only be day-first), else the US way, and the caller says which.

use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    MonthFirst,
    DayFirst,
}

/// How the order of a file's slash dates was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvidence {
    /// No slash dates, or only unambiguous ones agreeing with the order.
    Clear,
    /// Some rows can only be read this way (e.g. 13/04/1990 → day first).
    ShownByRows,
    /// Every slash date fits both ways (03/04/1990): read the US way, and say so.
    AssumedUs,
    /// Rows disagree (some only month-first, some only day-first): read the US way; the
    /// others are reported.
    Conflicting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    Unreadable,
    InFuture,
    Before1900,
    /// A day and month with no year (a vCard `--0314`).
    NoYear,
}

impl DateProblem {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unreadable => "The date of birth could not be read; write it as MM/DD/YYYY.",
            Self::InFuture => "The date of birth is in the future; check the year.",
            Self::Before1900 => "The date of birth is before 1900; check the year.",
            Self::NoYear => "The date of birth has no year, so it was left out.",
        }
    }
}

/// The two numbers before the year in a slash date, if the value is one.
fn slash_parts(raw: &str) -> Option<(u32, u32, i32)> {
    let parts: Vec<&str> = raw.trim().split(['/', '-']).collect();
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    if a.len() > 2 || b.len() > 2 || !(y.len() == 4 || y.len() == 2) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?, y.parse().ok()?))
}

/// Decides the order of a file's slash dates from all its values.
pub fn detect_order<'a>(values: impl IntoIterator<Item = &'a str>) -> (DateOrder, OrderEvidence) {
    let (mut month_first, mut day_first, mut ambiguous) = (false, false, false);
    for v in values {
        if let Some((a, b, _)) = slash_parts(v) {
            match (a > 12, b > 12) {
                (true, false) => day_first = true,
                (false, true) => month_first = true,
                (false, false) => ambiguous = true,
                (true, true) => {}
            }
        }
    }
    match (month_first, day_first) {
        (true, true) => (DateOrder::MonthFirst, OrderEvidence::Conflicting),
        (false, true) => (DateOrder::DayFirst, OrderEvidence::ShownByRows),
        (true, false) => (DateOrder::MonthFirst, OrderEvidence::Clear),
        (false, false) if ambiguous => (DateOrder::MonthFirst, OrderEvidence::AssumedUs),
        (false, false) => (DateOrder::MonthFirst, OrderEvidence::Clear),
    }
}

fn two_digit_year(y: i32, today: NaiveDate) -> i32 {
    if y >= 100 {
        return y;
    }
    // A birth year: the most recent year ending in these digits that is not in the future.
    let century = today.year() / 100 * 100;
    if century + y > today.year() {
        century - 100 + y
    } else {
        century + y
    }
}

/// Reads one date of birth. Empty (and Outlook's "0/0/00") is no date.
pub fn parse_birth_date(
    raw: &str,
    order: DateOrder,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, DateProblem> {
    let t = raw.trim();
    if t.is_empty() || t == "0/0/00" || t == "00/00/0000" {
        return Ok(None);
    }
    if t.starts_with("--") {
        return Err(DateProblem::NoYear);
    }
    // ISO, with or without a time part.
    let date_part = t.split(['T', ' ']).next().unwrap_or(t);
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            (date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| NaiveDate::parse_from_str(date_part, "%Y%m%d").ok())
                .flatten()
        })
        .or_else(|| {
            // dd.mm.yyyy is day first wherever it is written.
            let parts: Vec<&str> = t.split('.').collect();
            match parts.as_slice() {
                [d, m, y] if y.len() == 4 || y.len() == 2 => {
                    let year = two_digit_year(y.parse().ok()?, today);
                    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
                }
                _ => None,
            }
        })
        .or_else(|| {
            let (a, b, y) = slash_parts(t)?;
            let year = two_digit_year(y, today);
            let (m, d) = match order {
                DateOrder::MonthFirst if a > 12 => (b, a),
                DateOrder::MonthFirst => (a, b),
                DateOrder::DayFirst if b > 12 => (a, b),
                DateOrder::DayFirst => (b, a),
            };
            NaiveDate::from_ymd_opt(year, m, d)
        })
        .ok_or(DateProblem::Unreadable)?;
    if date > today {
        return Err(DateProblem::InFuture);
    }
    if date.year() < 1900 {
        return Err(DateProblem::Before1900);
    }
    Ok(Some(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn every_common_form_is_read() {
        let us = DateOrder::MonthFirst;
        assert_eq!(
            parse_birth_date("1985-03-14", us, today()),
            Ok(d(1985, 3, 14))
        );
        assert_eq!(
            parse_birth_date("1985-03-14T00:00:00", us, today()),
            Ok(d(1985, 3, 14))
        );
        assert_eq!(
            parse_birth_date("03/14/1985", us, today()),
            Ok(d(1985, 3, 14))
        );
        assert_eq!(parse_birth_date("3/4/1985", us, today()), Ok(d(1985, 3, 4)));
        assert_eq!(
            parse_birth_date("14.03.1985", us, today()),
            Ok(d(1985, 3, 14))
        );
        assert_eq!(
            parse_birth_date("19220310", us, today()),
            Ok(d(1922, 3, 10))
        );
        assert_eq!(
            parse_birth_date("03/14/85", us, today()),
            Ok(d(1985, 3, 14))
        );
        assert_eq!(
            parse_birth_date("03/14/05", us, today()),
            Ok(d(2005, 3, 14))
        );
        assert_eq!(parse_birth_date("", us, today()), Ok(None));
        assert_eq!(parse_birth_date("0/0/00", us, today()), Ok(None));
    }

    #[test]
    fn problems_are_flagged_not_guessed() {
        let us = DateOrder::MonthFirst;
        assert_eq!(
            parse_birth_date("--0314", us, today()),
            Err(DateProblem::NoYear)
        );
        assert_eq!(
            parse_birth_date("2030-01-01", us, today()),
            Err(DateProblem::InFuture)
        );
        assert_eq!(
            parse_birth_date("1890-01-01", us, today()),
            Err(DateProblem::Before1900)
        );
        assert_eq!(
            parse_birth_date("sometime in May", us, today()),
            Err(DateProblem::Unreadable)
        );
        assert_eq!(
            parse_birth_date("02/30/1990", us, today()),
            Err(DateProblem::Unreadable)
        );
    }

    #[test]
    fn the_file_decides_the_order_of_ambiguous_dates() {
        assert_eq!(
            detect_order(["03/04/1990", "13/04/1990"]),
            (DateOrder::DayFirst, OrderEvidence::ShownByRows)
        );
        assert_eq!(
            detect_order(["03/04/1990", "04/13/1990"]),
            (DateOrder::MonthFirst, OrderEvidence::Clear)
        );
        assert_eq!(
            detect_order(["03/04/1990", "05/06/1991"]),
            (DateOrder::MonthFirst, OrderEvidence::AssumedUs)
        );
        assert_eq!(
            detect_order(["13/04/1990", "04/13/1990"]),
            (DateOrder::MonthFirst, OrderEvidence::Conflicting)
        );
        assert_eq!(
            detect_order(["1990-04-03"]),
            (DateOrder::MonthFirst, OrderEvidence::Clear)
        );
        assert_eq!(
            parse_birth_date("03/04/1990", DateOrder::DayFirst, today()),
            Ok(d(1990, 4, 3))
        );
        // In a day-first file a row that can only be month-first is still read right.
        assert_eq!(
            parse_birth_date("04/13/1990", DateOrder::DayFirst, today()),
            Ok(d(1990, 4, 13))
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let mut seed: u32 = 7;
        let alphabet: Vec<char> = "0123456789/.-T :--+ab\u{e9}\u{0663}".chars().collect();
        for _ in 0..20_000 {
            let len = (seed % 14) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    alphabet[(seed >> 16) as usize % alphabet.len()]
                })
                .collect();
            let _ = parse_birth_date(&s, DateOrder::MonthFirst, today());
            let _ = parse_birth_date(&s, DateOrder::DayFirst, today());
            let _ = detect_order([s.as_str()]);
        }
    }
}
