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

    /// Whether an entry in this status holds its time: nothing else may overlap it. A
    /// request waiting for the provider's answer holds it too, so that the client is never
    /// told "you asked for Monday at 12:30" while that hour goes to someone else.
    pub fn holds_time(self) -> bool {
        matches!(self, Self::Requested | Self::Scheduled | Self::Confirmed)
    }

    /// The statuses that hold time, as stored (for the overlap query).
    pub const HOLDING: [Status; 3] = [Status::Requested, Status::Scheduled, Status::Confirmed];

    /// The statuses an entry may still be cancelled from.
    pub const OPEN: [Status; 2] = [Status::Scheduled, Status::Requested];
}

/// How a telehealth session's place is stored; anything else in `location` is an address.
pub const TELEHEALTH: &str = "Telehealth";

/// The longest any calendar entry may last (unavailable time; a session is at most 8
/// hours). It bounds the search for entries overlapping a range: only those starting at
/// most this long before the range can reach into it, so a week's view reads that week
/// and not every session before it.
pub const LONGEST_ENTRY_MINUTES: i64 = 720;

/// The earliest start of an entry that can overlap a range starting at `from`.
pub fn earliest_overlapping_start(from: NaiveDateTime) -> NaiveDateTime {
    from - chrono::Duration::minutes(LONGEST_ENTRY_MINUTES)
}

/// Where a session happens, read from its stored `location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// By video, at the provider's link (read when needed, so a new link reaches every
    /// later message and the feed).
    Video,
    Address(&'a str),
}

impl<'a> Place<'a> {
    /// The place a stored location names, if any.
    pub fn of(location: Option<&'a str>) -> Option<Self> {
        match location.map(str::trim) {
            Some(l) if l.eq_ignore_ascii_case(TELEHEALTH) => Some(Self::Video),
            Some("") | None => None,
            Some(address) => Some(Self::Address(address)),
        }
    }
}

/// Where the client goes for a session, in words: the video link for telehealth, else
/// the address.
pub fn where_to_meet(location: Option<&str>, video_link: Option<&str>) -> Option<String> {
    Place::of(location).map(|place| match (place, video_link) {
        (Place::Video, Some(link)) => format!("By video: {link}"),
        (Place::Video, None) => "By video (your provider will send the link)".to_string(),
        (Place::Address(address), _) => format!("At {address}"),
    })
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
    fn waiting_requests_and_scheduled_and_confirmed_entries_hold_their_time() {
        for s in [
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

    #[test]
    fn a_telehealth_session_names_the_video_link_and_an_office_one_its_address() {
        let link = Some("https://meet.example.com/rivera");
        assert_eq!(
            where_to_meet(Some("telehealth"), link).as_deref(),
            Some("By video: https://meet.example.com/rivera")
        );
        assert_eq!(
            where_to_meet(Some(TELEHEALTH), None).as_deref(),
            Some("By video (your provider will send the link)")
        );
        assert_eq!(
            where_to_meet(Some("12 Elm St, Suite 3"), link).as_deref(),
            Some("At 12 Elm St, Suite 3")
        );
        assert_eq!(where_to_meet(None, link), None);
    }
}
