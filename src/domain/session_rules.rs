//! When things happen around a session: when its reminder goes out (never in the client's
//! night), and whether a client's cancellation was in time under the practice's policy.

use chrono::{Duration, NaiveDateTime, NaiveTime, Timelike};

use super::time_zone::Zone;

/// No reminder reaches a client from this hour …
pub const QUIET_FROM: u32 = 21;
/// … until this one, in their zone.
pub const QUIET_UNTIL: u32 = 8;

/// When the reminder for a session starting at `start` (UTC) goes out: `lead` before it,
/// or, when that falls in the client's quiet hours, earlier — at 20:00 their time the
/// evening before the quiet hours began.
pub fn reminder_at(start: NaiveDateTime, lead: Duration, zone: Zone) -> NaiveDateTime {
    let due = start - lead;
    let local = zone.local(&due).naive_local();
    let evening = |date: chrono::NaiveDate| {
        let at = date.and_time(NaiveTime::from_hms_opt(QUIET_FROM - 1, 0, 0).unwrap_or_default());
        zone.to_utc(at).0
    };
    match local.hour() {
        h if h >= QUIET_FROM => evening(local.date()),
        h if h < QUIET_UNTIL => evening(local.date() - Duration::days(1)),
        _ => due,
    }
}

/// The practice's cancellation policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum CancellationPolicy {
    /// Any cancellation is a plain cancellation.
    #[default]
    None,
    /// Cancelling less than 24 hours ahead is a late cancellation.
    Hours24,
    Hours48,
}

impl CancellationPolicy {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// How much notice a cancellation needs, if any.
    pub fn notice(self) -> Option<Duration> {
        match self {
            Self::None => None,
            Self::Hours24 => Some(Duration::hours(24)),
            Self::Hours48 => Some(Duration::hours(48)),
        }
    }

    /// Whether a client cancelling at `at` a session starting at `start` cancels late.
    pub fn is_late(self, at: NaiveDateTime, start: NaiveDateTime) -> bool {
        self.notice().is_some_and(|notice| start - at < notice)
    }

    /// Whether the client may cancel it themselves (in the portal) at `at`: before it
    /// starts, and not late — a late cancellation, which carries a fee, goes through the
    /// practice.
    pub fn client_may_cancel(self, at: NaiveDateTime, start: NaiveDateTime) -> bool {
        at < start && !self.is_late(at, start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn reminders_never_reach_a_client_at_night() {
        let ny = Zone::parse("America/New_York").unwrap();
        let day = Duration::hours(24);
        // 10:00 EST session: the reminder goes 24 hours before, 10:00 the day before.
        assert_eq!(
            reminder_at(at("2026-12-10 15:00"), day, ny),
            at("2026-12-09 15:00")
        );
        // 07:00 EST session: 07:00 the day before is quiet; 20:00 two evenings before.
        assert_eq!(
            reminder_at(at("2026-12-10 12:00"), day, ny),
            at("2026-12-09 01:00")
        );
        // 22:00 EST session: 22:00 the day before is quiet; 20:00 that evening.
        assert_eq!(
            reminder_at(at("2026-12-11 03:00"), day, ny),
            at("2026-12-10 01:00")
        );
        // Just before the quiet hours is fine.
        assert_eq!(
            reminder_at(at("2026-12-11 01:59"), day, ny),
            at("2026-12-10 01:59")
        );
        // In the client's zone, not the practice's: 07:00 in Los Angeles.
        let la = Zone::parse("America/Los_Angeles").unwrap();
        assert_eq!(
            reminder_at(at("2026-12-10 15:00"), day, la),
            at("2026-12-09 04:00")
        );
    }

    #[test]
    fn a_cancellation_is_late_only_inside_the_policys_notice() {
        let start = at("2026-12-10 15:00");
        assert!(!CancellationPolicy::None.is_late(at("2026-12-10 14:59"), start));
        assert!(!CancellationPolicy::Hours24.is_late(at("2026-12-09 15:00"), start));
        assert!(CancellationPolicy::Hours24.is_late(at("2026-12-09 15:01"), start));
        assert!(CancellationPolicy::Hours48.is_late(at("2026-12-09 15:00"), start));
        assert!(!CancellationPolicy::Hours48.is_late(at("2026-12-08 15:00"), start));
        assert!(CancellationPolicy::Hours24.client_may_cancel(at("2026-12-09 15:00"), start));
        assert!(!CancellationPolicy::Hours24.client_may_cancel(at("2026-12-09 15:01"), start));
        assert!(CancellationPolicy::None.client_may_cancel(at("2026-12-10 14:59"), start));
        assert!(!CancellationPolicy::None.client_may_cancel(start, start));
        assert_eq!(
            CancellationPolicy::parse("hours24"),
            Some(CancellationPolicy::Hours24)
        );
    }
}
