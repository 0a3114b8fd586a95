//! What a calendar entry is and where it stands: the kinds, the statuses with their one
//! label each, and the rule of which entries hold their time against others.

use chrono::NaiveDateTime;

/// What an entry on the calendar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    /// A session with a client, of one of the provider's services.
    Session,
    /// A phone call with a prospective client (a name and a number, no record).
    Consultation,
    /// Time the provider is not available.
    Unavailable,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Session => "Session",
            Self::Consultation => "Phone consultation",
            Self::Unavailable => "Unavailable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    /// Asked for through the booking link; the provider accepts or declines.
    Requested,
    Scheduled,
    /// It happened, and is billed with its codes.
    Confirmed,
    Cancelled,
    /// Cancelled by the client with less notice than the policy asks.
    LateCancelled,
    NoShow,
    /// A request the provider declined (or another request for its slot was accepted).
    Declined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Scheduled => "Scheduled",
            Self::Confirmed => "Confirmed",
            Self::Cancelled => "Cancelled",
            Self::LateCancelled => "Late cancellation",
            Self::NoShow => "No-show",
            Self::Declined => "Declined",
        }
    }

    /// Whether an entry in this status holds its time: nothing else may overlap it.
    pub fn holds_time(self) -> bool {
        matches!(self, Self::Scheduled | Self::Confirmed)
    }

    /// The statuses that hold time, as stored (for the overlap query).
    pub const HOLDING: [Status; 2] = [Status::Scheduled, Status::Confirmed];

    /// The statuses an entry may still be cancelled from.
    pub const OPEN: [Status; 2] = [Status::Scheduled, Status::Requested];
}

/// A span of time, UTC, end exclusive: one that ends at 10:00 does not overlap one that
/// starts at 10:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Span {
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn back_to_back_sessions_do_not_overlap_but_any_shared_minute_does() {
        let nine = Span {
            start: at("2026-12-02 09:00"),
            end: at("2026-12-02 10:00"),
        };
        let ten = Span {
            start: at("2026-12-02 10:00"),
            end: at("2026-12-02 10:45"),
        };
        let half_past_nine = Span {
            start: at("2026-12-02 09:30"),
            end: at("2026-12-02 09:40"),
        };
        assert!(!nine.overlaps(&ten) && !ten.overlaps(&nine));
        assert!(nine.overlaps(&half_past_nine) && half_past_nine.overlaps(&nine));
        assert!(nine.overlaps(&nine));
    }

    #[test]
    fn only_scheduled_and_confirmed_entries_hold_their_time() {
        for s in [
            Status::Requested,
            Status::Cancelled,
            Status::LateCancelled,
            Status::NoShow,
            Status::Declined,
        ] {
            assert!(!s.holds_time(), "{s:?}");
        }
        for s in Status::HOLDING {
            assert!(s.holds_time());
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::LateCancelled.as_str(), "late_cancelled");
        assert_eq!(Kind::parse("unavailable"), Some(Kind::Unavailable));
    }
}
