//! Recurring sessions: a rule (how often, until when) expanded into its occurrences at
//! the same wall-clock time in the provider's zone, so that a 10:00 weekly session stays
//! at 10:00 across daylight-saving changes (the UTC instant moves instead). Each
//! occurrence is stored as a row of its own; the rule is kept to say what the series was.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Weekday};

use super::time_zone::{LocalFit, Zone};

/// The most occurrences one series may have.
pub const MAX_OCCURRENCES: usize = 300;

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Frequency {
    Weekly,
    EveryTwoWeeks,
    EveryFourWeeks,
    /// The same weekday of each month, counted from the start (RFC 5545's BYDAY=2TU): the
    /// 2nd Tuesday; from a 5th, the 5th, months without one skipped (BYDAY=5TU).
    MonthlyByWeekday,
    /// The last such weekday of each month (BYDAY=-1TU): offered when the first date is
    /// the last of its month.
    MonthlyLastWeekday,
}

impl Frequency {
    pub const ALL: [Frequency; 5] = [
        Frequency::Weekly,
        Frequency::EveryTwoWeeks,
        Frequency::EveryFourWeeks,
        Frequency::MonthlyByWeekday,
        Frequency::MonthlyLastWeekday,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Weekly => "Every week",
            Self::EveryTwoWeeks => "Every 2 weeks",
            Self::EveryFourWeeks => "Every 4 weeks",
            Self::MonthlyByWeekday => "Monthly on the same weekday",
            Self::MonthlyLastWeekday => "Monthly on the last such weekday",
        }
    }

    /// What the rule means from this first date, in words: "Monthly on the second
    /// Tuesday"; `None` when it cannot start there (the last weekday from one that is not
    /// the last of its month).
    pub fn label_from(self, first: NaiveDate) -> Option<String> {
        let day = weekday_name(first.weekday());
        match self {
            Self::MonthlyByWeekday => {
                let n = nth_of_month(first);
                let skipped = if n == 5 {
                    " (months without one are skipped)"
                } else {
                    ""
                };
                Some(format!(
                    "Monthly on the {} {day}{skipped}",
                    ORDINALS[usize::from(n - 1)]
                ))
            }
            Self::MonthlyLastWeekday => {
                is_last_of_month(first).then(|| format!("Monthly on the last {day}"))
            }
            other => Some(other.label().to_string()),
        }
    }
}

const ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Which of its month's such weekdays a date is, 1 to 5.
fn nth_of_month(d: NaiveDate) -> u8 {
    // At most 5: day 29–31 is the 5th.
    ((d.day() - 1) / 7 + 1) as u8
}

/// Whether a date is the last such weekday of its month.
fn is_last_of_month(d: NaiveDate) -> bool {
    d.checked_add_signed(Duration::days(7))
        .is_none_or(|next| next.month() != d.month())
}

/// When a series stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// After this many occurrences (the first included).
    After(usize),
    /// On this date (in the provider's zone), inclusive.
    On(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub frequency: Frequency,
    pub end: End,
}

/// Why a rule cannot be expanded; each says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("A series needs at least 2 sessions. To add one session, choose “Does not repeat”.")]
    TooFew,
    #[error("A series can have at most {MAX_OCCURRENCES} sessions; this one would have {0}. End it sooner, or add a second series later.")]
    TooMany(usize),
    #[error("The series must end after its first session (on or after {0}).")]
    EndsBeforeStart(NaiveDate),
    #[error("{} is not the last {} of its month. Choose “Monthly on the same weekday”, or a first date in the month's last week.", .0.format("%b %-d, %Y"), .1)]
    NotLastOfMonth(NaiveDate, &'static str),
}

/// One occurrence of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// 0 for the first.
    pub index: usize,
    /// The wall-clock start in the provider's zone, as asked.
    pub local_start: NaiveDateTime,
    pub start_utc: NaiveDateTime,
    /// Whether that wall-clock time exists that day (see [`Zone::to_utc`]).
    pub fit: LocalFit,
}

/// How far a monthly series may look for its dates: a 5th weekday comes at least every
/// few months, so this only stops a rule that never matches.
const MAX_MONTHS: usize = 12 * 100;

/// Every occurrence of a series starting at `first` (wall-clock, in `zone`).
pub fn expand(first: NaiveDateTime, zone: Zone, rule: Rule) -> Result<Vec<Occurrence>, RuleError> {
    let limit = match rule.end {
        End::After(n) if n < 2 => return Err(RuleError::TooFew),
        End::After(n) if n > MAX_OCCURRENCES => return Err(RuleError::TooMany(n)),
        End::After(n) => n,
        End::On(last) if last <= first.date() => {
            return Err(RuleError::EndsBeforeStart(first.date() + Duration::days(1)))
        }
        End::On(_) => MAX_OCCURRENCES + 1,
    };
    if rule.frequency == Frequency::MonthlyLastWeekday && !is_last_of_month(first.date()) {
        return Err(RuleError::NotLastOfMonth(
            first.date(),
            weekday_name(first.date().weekday()),
        ));
    }
    let mut out = Vec::new();
    for step in 0..MAX_MONTHS.max(limit) {
        let date = match nth_date(first.date(), rule.frequency, step) {
            Step::Date(d) => d,
            Step::Skip => continue,
            Step::End => break,
        };
        if let End::On(last) = rule.end {
            if date > last {
                break;
            }
        }
        if out.len() == limit {
            break;
        }
        let local_start = date.and_time(first.time());
        let (start_utc, fit) = zone.to_utc(local_start);
        out.push(Occurrence {
            index: out.len(),
            local_start,
            start_utc,
            fit,
        });
    }
    match out.len() {
        n if n > MAX_OCCURRENCES => Err(RuleError::TooMany(n)),
        n if n < 2 => Err(RuleError::TooFew),
        _ => Ok(out),
    }
}

/// A step of a rule: its date, none this month (a 5th weekday in a month of four), or past
/// the calendar's end.
enum Step {
    Date(NaiveDate),
    Skip,
    End,
}

/// The date of the rule's `step`-th week or month (0 is `first`).
fn nth_date(first: NaiveDate, frequency: Frequency, step: usize) -> Step {
    let Ok(i) = i64::try_from(step) else {
        return Step::End;
    };
    let weeks = |n: i64| match first.checked_add_signed(Duration::weeks(n * i)) {
        Some(d) => Step::Date(d),
        None => Step::End,
    };
    let month = u32::try_from(step)
        .ok()
        .and_then(|m| first.with_day(1)?.checked_add_months(Months::new(m)));
    match frequency {
        Frequency::Weekly => weeks(1),
        Frequency::EveryTwoWeeks => weeks(2),
        Frequency::EveryFourWeeks => weeks(4),
        Frequency::MonthlyByWeekday => match month {
            Some(m) => NaiveDate::from_weekday_of_month_opt(
                m.year(),
                m.month(),
                first.weekday(),
                nth_of_month(first),
            )
            .map_or(Step::Skip, Step::Date),
            None => Step::End,
        },
        Frequency::MonthlyLastWeekday => {
            match month.and_then(|m| last_weekday_of_month(m, first.weekday())) {
                Some(d) => Step::Date(d),
                None => Step::End,
            }
        }
    }
}

fn last_weekday_of_month(month_start: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let next = month_start.checked_add_months(Months::new(1))?;
    let mut d = next.pred_opt()?;
    while d.weekday() != weekday {
        d = d.pred_opt()?;
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn weekly(n: usize) -> Rule {
        Rule {
            frequency: Frequency::Weekly,
            end: End::After(n),
        }
    }

    #[test]
    fn a_weekly_session_keeps_its_wall_clock_time_across_both_changes() {
        for (zone, winter, summer) in [
            ("America/New_York", 15, 14),
            ("America/Los_Angeles", 18, 17),
        ] {
            let zone = Zone::parse(zone).unwrap();
            // Tuesdays at 10:00 from February to December 2026 (DST: Mar 8, Nov 1).
            let all = expand(at("2026-02-03 10:00"), zone, weekly(45)).unwrap();
            assert_eq!(all.len(), 45);
            for o in &all {
                assert_eq!(o.local_start.format("%a %H:%M").to_string(), "Tue 10:00");
                assert_eq!(
                    zone.local(&o.start_utc).format("%H:%M").to_string(),
                    "10:00"
                );
                assert_eq!(o.fit, LocalFit::Exact);
                let summer_time = o.local_start.date()
                    > NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()
                    && o.local_start.date() < NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
                let hour = o.start_utc.format("%H").to_string().parse::<u32>().unwrap();
                assert_eq!(hour, if summer_time { summer } else { winter }, "{o:?}");
            }
        }
    }

    #[test]
    fn a_time_that_does_not_exist_or_happens_twice_is_marked() {
        let ny = Zone::parse("America/New_York").unwrap();
        // Sundays at 02:30: 2026-03-08 has no 02:30; held at EST, it is 03:30 EDT.
        let all = expand(at("2026-03-01 02:30"), ny, weekly(3)).unwrap();
        assert_eq!(all[1].fit, LocalFit::Skipped);
        assert_eq!(
            ny.local(&all[1].start_utc).format("%H:%M").to_string(),
            "03:30"
        );
        assert_eq!(all[2].fit, LocalFit::Exact);
        // Sundays at 01:30: 2026-11-01 has it twice; the first (EDT) is meant.
        let all = expand(at("2026-10-25 01:30"), ny, weekly(2)).unwrap();
        assert_eq!(all[1].fit, LocalFit::Repeated);
        assert_eq!(all[1].start_utc, at("2026-11-01 05:30"));
    }

    #[test]
    fn every_frequency_lands_on_the_right_dates() {
        let utc = Zone::UTC;
        let dates = |first: &str, frequency, n| {
            expand(
                at(first),
                utc,
                Rule {
                    frequency,
                    end: End::After(n),
                },
            )
            .unwrap()
            .iter()
            .map(|o| o.local_start.format("%Y-%m-%d").to_string())
            .collect::<Vec<_>>()
        };
        assert_eq!(
            dates("2026-12-29 09:00", Frequency::EveryTwoWeeks, 3),
            ["2026-12-29", "2027-01-12", "2027-01-26"]
        );
        assert_eq!(
            dates("2026-12-01 09:00", Frequency::EveryFourWeeks, 2),
            ["2026-12-01", "2026-12-29"]
        );
        // The 2nd Tuesday of each month.
        assert_eq!(
            dates("2026-12-08 09:00", Frequency::MonthlyByWeekday, 3),
            ["2026-12-08", "2027-01-12", "2027-02-09"]
        );
        // A 5th Tuesday: the 5th, months without one skipped (BYDAY=5TU) …
        assert_eq!(
            dates("2026-12-29 09:00", Frequency::MonthlyByWeekday, 4),
            ["2026-12-29", "2027-03-30", "2027-06-29", "2027-08-31"]
        );
        // … or the last Tuesday of every month (BYDAY=-1TU), as the provider chooses.
        assert_eq!(
            dates("2026-12-29 09:00", Frequency::MonthlyLastWeekday, 3),
            ["2026-12-29", "2027-01-26", "2027-02-23"]
        );
        // A 4th Tuesday that is its month's last may be either.
        assert_eq!(
            dates("2027-02-23 09:00", Frequency::MonthlyByWeekday, 2),
            ["2027-02-23", "2027-03-23"]
        );
        assert_eq!(
            dates("2027-02-23 09:00", Frequency::MonthlyLastWeekday, 2),
            ["2027-02-23", "2027-03-30"]
        );
    }

    #[test]
    fn a_series_ends_on_its_date_or_count_and_stays_within_the_limit() {
        let utc = Zone::UTC;
        let until = |d: &str| Rule {
            frequency: Frequency::Weekly,
            end: End::On(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
        };
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, until("2026-12-22"))
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, until("2026-12-21"))
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, weekly(300))
                .unwrap()
                .len(),
            300
        );
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, weekly(301)),
            Err(RuleError::TooMany(301))
        );
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, until("2040-01-01")),
            Err(RuleError::TooMany(301))
        );
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, weekly(1)),
            Err(RuleError::TooFew)
        );
        assert!(matches!(
            expand(at("2026-12-01 09:00"), utc, until("2026-12-01")),
            Err(RuleError::EndsBeforeStart(_))
        ));
        // An end date before the second occurrence leaves one session: not a series.
        assert_eq!(
            expand(at("2026-12-01 09:00"), utc, until("2026-12-05")),
            Err(RuleError::TooFew)
        );
    }

    #[test]
    fn frequencies_are_stored_by_name() {
        for f in Frequency::ALL {
            assert_eq!(Frequency::parse(f.as_str()), Some(f));
        }
        assert_eq!(Frequency::EveryTwoWeeks.as_str(), "every_two_weeks");
    }

    #[test]
    fn the_monthly_rules_say_what_the_first_date_means() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let fifth = d("2026-12-29");
        assert_eq!(
            Frequency::MonthlyByWeekday.label_from(fifth).as_deref(),
            Some("Monthly on the fifth Tuesday (months without one are skipped)")
        );
        assert_eq!(
            Frequency::MonthlyLastWeekday.label_from(fifth).as_deref(),
            Some("Monthly on the last Tuesday")
        );
        let second = d("2026-12-08");
        assert_eq!(
            Frequency::MonthlyByWeekday.label_from(second).as_deref(),
            Some("Monthly on the second Tuesday")
        );
        assert_eq!(Frequency::MonthlyLastWeekday.label_from(second), None);
        assert_eq!(
            expand(
                at("2026-12-08 09:00"),
                Zone::UTC,
                Rule {
                    frequency: Frequency::MonthlyLastWeekday,
                    end: End::After(3)
                }
            ),
            Err(RuleError::NotLastOfMonth(second, "Tuesday"))
        );
        // Until a date: a 5th weekday's months are found however far apart.
        let until = expand(
            at("2026-12-29 09:00"),
            Zone::UTC,
            Rule {
                frequency: Frequency::MonthlyByWeekday,
                end: End::On(d("2027-12-31")),
            },
        )
        .unwrap();
        assert_eq!(until.len(), 5);
        assert_eq!(until.last().map(|o| o.index), Some(4));
    }
}
