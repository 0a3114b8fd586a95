//! How often a client is sent a questionnaire, and the dates that follow from it. Days are
//! the client's own (their zone); a recurring send goes out at 9:00 on its day, so it keeps
//! its wall-clock time across daylight-saving changes.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::time_zone::Zone;

/// At most this many questionnaires run for one client at a time.
pub const MAX_PER_CLIENT: usize = 6;
/// A link can be answered for this long …
pub const LINK_VALID_DAYS: i64 = 4;
/// … and is reminded of once, this long after it was sent, if still unanswered.
pub const REMIND_AFTER_DAYS: i64 = 2;

/// The local time a scheduled send goes out on its day.
pub fn send_hour() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum Frequency {
    Once,
    Weekly,
    Every2Weeks,
    Every4Weeks,
    /// Sent the day before each scheduled session.
    BeforeEachSession,
}

impl Frequency {
    pub fn all() -> impl Iterator<Item = Frequency> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Weekly => "weekly",
            Self::Every2Weeks => "every_2_weeks",
            Self::Every4Weeks => "every_4_weeks",
            Self::BeforeEachSession => "before_session",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::all().find(|f| f.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Once => "Once",
            Self::Weekly => "Every week",
            Self::Every2Weeks => "Every 2 weeks",
            Self::Every4Weeks => "Every 4 weeks",
            Self::BeforeEachSession => "Before each session (the day before)",
        }
    }

    fn interval_days(self) -> Option<i64> {
        match self {
            Self::Weekly => Some(7),
            Self::Every2Weeks => Some(14),
            Self::Every4Weeks => Some(28),
            Self::Once | Self::BeforeEachSession => None,
        }
    }

    /// The day of the next send after one on `sent_on`; `None` when nothing follows by date
    /// (a single send, or sends that follow the sessions).
    pub fn next_after(self, sent_on: NaiveDate) -> Option<NaiveDate> {
        self.interval_days().map(|d| sent_on + Duration::days(d))
    }

    /// The first send day of a schedule started on `today`: at once, except for sends that
    /// follow the sessions.
    pub fn first_send(self, today: NaiveDate) -> Option<NaiveDate> {
        (self != Self::BeforeEachSession).then_some(today)
    }
}

/// When a send due on `day` goes out (UTC): 9:00 that day on the client's clock (the first
/// valid time after, on a day the clocks skip 9:00).
pub fn send_time(day: NaiveDate, zone: Zone) -> NaiveDateTime {
    zone.to_utc(day.and_time(send_hour())).0
}

/// The day a "before each session" questionnaire goes out for a session starting at
/// `start` (UTC): the day before, on the client's clock.
pub fn day_before(start: &NaiveDateTime, zone: Zone) -> NaiveDate {
    zone.date_of(start) - Duration::days(1)
}

/// The questionnaires a booking-link sign-up is sent, as Settings stores them
/// ("PHQ-9:every_2_weeks,GAD-7:once"); entries that no longer read are skipped.
pub fn parse_defaults(stored: &str) -> Vec<(String, Frequency)> {
    stored
        .split(',')
        .filter_map(|entry| {
            let (code, freq) = entry.split_once(':')?;
            let code = code.trim();
            (!code.is_empty()).then(|| Frequency::parse(freq).map(|f| (code.to_string(), f)))?
        })
        .collect()
}

pub fn format_defaults(picks: &[(String, Frequency)]) -> String {
    picks
        .iter()
        .map(|(code, f)| format!("{code}:{}", f.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        day(y, m, d).and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn recurring_sends_step_by_days_across_month_and_year_ends() {
        assert_eq!(
            Frequency::Weekly.next_after(day(2026, 1, 28)),
            Some(day(2026, 2, 4))
        );
        assert_eq!(
            Frequency::Every4Weeks.next_after(day(2026, 1, 31)),
            Some(day(2026, 2, 28))
        );
        assert_eq!(
            Frequency::Every2Weeks.next_after(day(2026, 12, 24)),
            Some(day(2027, 1, 7))
        );
        assert_eq!(
            Frequency::Every2Weeks.next_after(day(2028, 2, 20)),
            Some(day(2028, 3, 5))
        );
        assert_eq!(Frequency::Once.next_after(day(2026, 1, 1)), None);
        assert_eq!(
            Frequency::BeforeEachSession.next_after(day(2026, 1, 1)),
            None
        );
        assert_eq!(
            Frequency::Once.first_send(day(2026, 5, 1)),
            Some(day(2026, 5, 1))
        );
        assert_eq!(
            Frequency::BeforeEachSession.first_send(day(2026, 5, 1)),
            None
        );
    }

    #[test]
    fn a_weekly_send_keeps_nine_in_the_morning_across_daylight_saving() {
        let ny = Zone::parse("America/New_York").unwrap();
        // Daylight time ends on 1 November 2026: 9:00 is 13:00 UTC before, 14:00 after.
        let before = day(2026, 10, 27);
        let after = Frequency::Weekly.next_after(before).unwrap();
        assert_eq!(send_time(before, ny), utc(2026, 10, 27, 13));
        assert_eq!(send_time(after, ny), utc(2026, 11, 3, 14));
        // And it starts again on 14 March 2027.
        let spring = Frequency::Every2Weeks.next_after(day(2027, 3, 7)).unwrap();
        assert_eq!(send_time(day(2027, 3, 7), ny), utc(2027, 3, 7, 14));
        assert_eq!(send_time(spring, ny), utc(2027, 3, 21, 13));
    }

    #[test]
    fn before_a_session_means_the_day_before_on_the_clients_clock() {
        let la = Zone::parse("America/Los_Angeles").unwrap();
        // 02:00 UTC on 10 March is still 9 March, 18:00, in Los Angeles.
        assert_eq!(day_before(&utc(2026, 3, 10, 2), la), day(2026, 3, 8));
        assert_eq!(day_before(&utc(2026, 3, 1, 20), la), day(2026, 2, 28));
    }

    #[test]
    fn booking_defaults_round_trip_and_skip_what_does_not_read() {
        let picks = vec![
            ("PHQ-9".to_string(), Frequency::Every2Weeks),
            ("GAD-7".to_string(), Frequency::Once),
        ];
        let stored = format_defaults(&picks);
        assert_eq!(stored, "PHQ-9:every_2_weeks,GAD-7:once");
        assert_eq!(parse_defaults(&stored), picks);
        assert_eq!(
            parse_defaults("PHQ-9:fortnightly,:once,,GAD-2:weekly").len(),
            1
        );
        assert!(parse_defaults("").is_empty());
    }
}
