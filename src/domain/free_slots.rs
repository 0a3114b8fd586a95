//! The times the booking link offers: each half hour of the provider's working hours (in
//! their zone, at wall-clock time) where a session of the offered length fits before the
//! day's hours end, overlaps nothing that holds its time, starts at least the notice
//! ahead, and lies within the weeks offered. Pure: the page and the check at booking both
//! ask it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::appointment::Span;
use super::time_zone::{LocalFit, Zone};
use super::week_grid::SLOT_MINUTES;

/// How far ahead the booking link offers times.
pub const WEEKS_AHEAD: i64 = 8;

/// One weekday's working hours (weekday 0 is Monday), wall-clock in the provider's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHours {
    pub weekday: u32,
    pub starts: NaiveTime,
    pub ends: NaiveTime,
}

/// What the offer rests on.
pub struct Offer<'a> {
    pub zone: Zone,
    pub hours: &'a [DayHours],
    /// Entries that hold their time (UTC), in any order.
    pub busy: &'a [Span],
    pub now: NaiveDateTime,
    pub notice: Duration,
    pub length: Duration,
}

impl Offer<'_> {
    /// The last day times are offered on: the provider's today plus the weeks ahead.
    pub fn last_day(&self) -> NaiveDate {
        self.zone.date_of(&self.now) + Duration::weeks(WEEKS_AHEAD)
    }

    /// The free slots (UTC spans, in order) on the days `from..=to` in the provider's
    /// zone, clipped to the days offered.
    pub fn slots(&self, from: NaiveDate, to: NaiveDate) -> Vec<Span> {
        let to = to.min(self.last_day());
        let earliest = self.now + self.notice;
        let mut busy: Vec<Span> = self.busy.to_vec();
        busy.sort_by_key(|s| s.start);
        let mut out = Vec::new();
        let mut day = from.max(self.zone.date_of(&self.now));
        while day <= to {
            let weekday = day.weekday().num_days_from_monday();
            for h in self.hours.iter().filter(|h| h.weekday == weekday) {
                let mut local = day.and_time(h.starts);
                while local + self.length <= day.and_time(h.ends) {
                    // A time the clocks skip or repeat is not offered: the client could
                    // not be sure which hour they booked.
                    let (start, fit) = self.zone.to_utc(local);
                    if fit == LocalFit::Exact && start >= earliest {
                        let span = Span {
                            start,
                            end: start + self.length,
                        };
                        let until = busy.partition_point(|b| b.start < span.end);
                        if !busy[..until].iter().any(|b| b.overlaps(&span)) {
                            out.push(span);
                        }
                    }
                    local += Duration::minutes(SLOT_MINUTES);
                }
            }
            day += Duration::days(1);
        }
        out
    }

    /// Whether `start` is one of the slots offered (a booking re-asks this, so a time
    /// typed into the address or taken meanwhile is refused).
    pub fn offers(&self, start: NaiveDateTime) -> bool {
        let day = self.zone.date_of(&start);
        self.slots(day, day).iter().any(|s| s.start == start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn weekdays_nine_to_five() -> Vec<DayHours> {
        (0..5)
            .map(|weekday| DayHours {
                weekday,
                starts: t(9, 0),
                ends: t(17, 0),
            })
            .collect()
    }

    fn offer<'a>(hours: &'a [DayHours], busy: &'a [Span], now: &str) -> Offer<'a> {
        Offer {
            zone: Zone::parse("America/New_York").unwrap(),
            hours,
            busy,
            now: at(now),
            notice: Duration::hours(2),
            length: Duration::minutes(60),
        }
    }

    fn local_starts(o: &Offer<'_>, slots: &[Span]) -> Vec<String> {
        slots
            .iter()
            .map(|s| o.zone.local(&s.start).format("%a %H:%M").to_string())
            .collect()
    }

    #[test]
    fn a_working_day_offers_each_half_hour_where_the_session_fits_before_the_end() {
        let hours = weekdays_nine_to_five();
        // Sunday evening: Monday is wholly ahead.
        let o = offer(&hours, &[], "2026-12-07 00:00");
        let monday = o.slots(d("2026-12-07"), d("2026-12-07"));
        let starts = local_starts(&o, &monday);
        assert_eq!(starts.first().map(String::as_str), Some("Mon 09:00"));
        assert_eq!(starts.last().map(String::as_str), Some("Mon 16:00"));
        assert_eq!(starts.len(), 15, "09:00, 09:30, … 16:00");
        assert!(
            o.slots(d("2026-12-12"), d("2026-12-13")).is_empty(),
            "weekend"
        );
    }

    #[test]
    fn sessions_and_blocks_take_their_time_out_and_back_to_back_is_fine() {
        let hours = weekdays_nine_to_five();
        // 10:00–11:00 New York (15:00–16:00 UTC) is taken.
        let busy = [Span {
            start: at("2026-12-07 15:00"),
            end: at("2026-12-07 16:00"),
        }];
        let o = offer(&hours, &busy, "2026-12-07 00:00");
        let starts = local_starts(&o, &o.slots(d("2026-12-07"), d("2026-12-07")));
        assert!(
            starts.contains(&"Mon 09:00".to_string()),
            "ends as it starts"
        );
        assert!(!starts.contains(&"Mon 09:30".to_string()));
        assert!(!starts.contains(&"Mon 10:00".to_string()));
        assert!(!starts.contains(&"Mon 10:30".to_string()));
        assert!(starts.contains(&"Mon 11:00".to_string()));
    }

    #[test]
    fn nothing_sooner_than_the_notice_nor_past_the_weeks_offered() {
        let hours = weekdays_nine_to_five();
        // Monday 10:15 New York: with 2 hours' notice the first time is 12:30.
        let o = offer(&hours, &[], "2026-12-07 15:15");
        let starts = local_starts(&o, &o.slots(d("2026-12-01"), d("2026-12-07")));
        assert_eq!(starts.first().map(String::as_str), Some("Mon 12:30"));
        assert_eq!(o.last_day(), d("2027-02-01"));
        assert!(!o.slots(d("2027-02-01"), d("2027-02-01")).is_empty());
        assert!(o.slots(d("2027-02-02"), d("2027-02-10")).is_empty());
        assert!(
            !o.offers(at("2026-12-07 16:00")),
            "11:00, within the notice"
        );
        assert!(o.offers(at("2026-12-07 17:30")), "12:30");
        assert!(!o.offers(at("2026-12-07 17:40")), "not on the half hour");
    }

    #[test]
    fn times_keep_their_wall_clock_across_daylight_saving_and_skipped_ones_are_not_offered() {
        // Sunday hours 01:00–04:00 on the spring-forward night (March 14, 2027).
        let hours = [DayHours {
            weekday: 6,
            starts: t(1, 0),
            ends: t(4, 0),
        }];
        let mut o = offer(&hours, &[], "2027-03-01 00:00");
        o.length = Duration::minutes(30);
        let starts = local_starts(&o, &o.slots(d("2027-03-14"), d("2027-03-14")));
        assert_eq!(starts, ["Sun 01:00", "Sun 01:30", "Sun 03:00", "Sun 03:30"]);
        // A Monday 10:00 before and after the change is 10:00 New York either way.
        let week = weekdays_nine_to_five();
        let mut o = offer(&week, &[], "2027-03-01 00:00");
        o.length = Duration::minutes(60);
        let before = o.slots(d("2027-03-08"), d("2027-03-08"));
        let after = o.slots(d("2027-03-15"), d("2027-03-15"));
        assert_eq!(before[2].start, at("2027-03-08 15:00"), "10:00 EST");
        assert_eq!(after[2].start, at("2027-03-15 14:00"), "10:00 EDT");
    }

    #[test]
    fn the_repeated_hour_of_the_autumn_change_is_not_offered() {
        let hours = [DayHours {
            weekday: 6,
            starts: t(0, 0),
            ends: t(3, 0),
        }];
        let mut o = offer(&hours, &[], "2026-10-20 00:00");
        o.length = Duration::minutes(30);
        let starts = local_starts(&o, &o.slots(d("2026-11-01"), d("2026-11-01")));
        // 01:00 and 01:30 happen twice on November 1, 2026.
        assert_eq!(starts, ["Sun 00:00", "Sun 00:30", "Sun 02:00", "Sun 02:30"]);
    }
}
