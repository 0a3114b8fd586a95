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
    /// The same weekday of each month: the 2nd Tuesday, or the last one for a 5th.
    MonthlyByWeekday,
}

impl Frequency {
    pub const ALL: [Frequency; 4] = [
        Frequency::Weekly,
        Frequency::EveryTwoWeeks,
        Frequency::EveryFourWeeks,
        Frequency::MonthlyByWeekday,
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
        }
    }
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
    let mut out = Vec::new();
    for index in 0.. {
        let Some(date) = nth_date(first.date(), rule.frequency, index) else {
            break;
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
            index,
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

/// The date of the `index`-th occurrence (0 is `first`).
fn nth_date(first: NaiveDate, frequency: Frequency, index: usize) -> Option<NaiveDate> {
    let i = i64::try_from(index).ok()?;
    match frequency {
        Frequency::Weekly => first.checked_add_signed(Duration::weeks(i)),
        Frequency::EveryTwoWeeks => first.checked_add_signed(Duration::weeks(2 * i)),
        Frequency::EveryFourWeeks => first.checked_add_signed(Duration::weeks(4 * i)),
        Frequency::MonthlyByWeekday => {
            let month = first
                .with_day(1)?
                .checked_add_months(Months::new(u32::try_from(index).ok()?))?;
            let weekday = first.weekday();
            match week_of_month(first) {
                WeekOfMonth::Nth(n) => {
                    NaiveDate::from_weekday_of_month_opt(month.year(), month.month(), weekday, n)
                }
                WeekOfMonth::Last => last_weekday_of_month(month, weekday),
            }
        }
    }
}

enum WeekOfMonth {
    Nth(u8),
    Last,
}

/// Which of its month's weekdays a date is: the 1st to 4th, or (a 5th) the last.
fn week_of_month(d: NaiveDate) -> WeekOfMonth {
    match (d.day() - 1) / 7 + 1 {
        n @ 1..=4 => WeekOfMonth::Nth(n as u8),
        _ => WeekOfMonth::Last,
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
        // A 5th Tuesday becomes the last Tuesday of months that have only four.
        assert_eq!(
            dates("2026-12-29 09:00", Frequency::MonthlyByWeekday, 3),
            ["2026-12-29", "2027-01-26", "2027-02-23"]
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
}
