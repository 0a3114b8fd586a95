//! Where a person's clock is: an IANA time zone. Instants are stored in UTC; everything a
//! person reads is in their zone (the provider's, or a client's from their telehealth
//! location). The zone rules come from `chrono-tz` (the IANA database), never from
//! hand-written offsets.

use std::str::FromStr;

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset as _, TimeZone as _,
};
use chrono_tz::Tz;

/// How a wall-clock time fits its day in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalFit {
    Exact,
    /// The clocks jumped over it (spring forward): it is held at the offset before the jump.
    Skipped,
    /// It happened twice (fall back): the first of the two is meant.
    Repeated,
}

/// An IANA time zone, such as `America/New_York`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    pub fn parse(name: &str) -> Result<Self, &'static str> {
        Tz::from_str(name.trim())
            .map(Zone)
            .map_err(|_| "Choose your time zone from the list (for example America/New_York).")
    }

    /// A stored name, or UTC when it is not (or no longer) a zone the database knows.
    pub fn or_utc(name: &str) -> Self {
        Self::parse(name).unwrap_or(Self::UTC)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The wall-clock time in this zone of an instant stored in UTC.
    pub fn local(&self, utc: &NaiveDateTime) -> DateTime<Tz> {
        self.0.from_utc_datetime(utc)
    }

    /// The calendar date in this zone at an instant stored in UTC: "today" is this at now.
    pub fn date_of(&self, utc: &NaiveDateTime) -> NaiveDate {
        self.local(utc).date_naive()
    }

    /// The instant (UTC) of a wall-clock time in this zone, and how it fits. Follows RFC
    /// 5545: a time skipped by a daylight-saving change is read with the offset before the
    /// change (02:30 on a spring-forward night is 03:30 daylight time); a time that happens
    /// twice is the first of the two.
    pub fn to_utc(&self, local: NaiveDateTime) -> (NaiveDateTime, LocalFit) {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => (t.naive_utc(), LocalFit::Exact),
            LocalResult::Ambiguous(first, _) => (first.naive_utc(), LocalFit::Repeated),
            LocalResult::None => {
                // The offset in force before the gap: that of the latest valid time before.
                let offset = (1..=48)
                    .map(|m| local - Duration::minutes(30 * m))
                    .find_map(|t| self.0.from_local_datetime(&t).earliest())
                    .map(|t| t.offset().fix().local_minus_utc())
                    .unwrap_or(0);
                (
                    local - Duration::seconds(i64::from(offset)),
                    LocalFit::Skipped,
                )
            }
        }
    }

    /// A client's zone from their telehealth location (the state's most populous zone).
    pub fn of_us_state(code: &str) -> Option<Zone> {
        let name = match code {
            "CT" | "DE" | "DC" | "FL" | "GA" | "ME" | "MD" | "MA" | "NH" | "NJ" | "NY" | "NC"
            | "OH" | "PA" | "RI" | "SC" | "VT" | "VA" | "WV" => "America/New_York",
            "KY" => "America/Kentucky/Louisville",
            "MI" => "America/Detroit",
            "IN" => "America/Indiana/Indianapolis",
            "AL" | "AR" | "IL" | "IA" | "KS" | "LA" | "MN" | "MS" | "MO" | "NE" | "ND" | "OK"
            | "SD" | "TN" | "TX" | "WI" => "America/Chicago",
            "CO" | "MT" | "NM" | "UT" | "WY" => "America/Denver",
            "ID" => "America/Boise",
            "AZ" => "America/Phoenix",
            "CA" | "NV" | "OR" | "WA" => "America/Los_Angeles",
            "AK" => "America/Anchorage",
            "HI" => "Pacific/Honolulu",
            "AS" => "Pacific/Pago_Pago",
            "GU" => "Pacific/Guam",
            "MP" => "Pacific/Saipan",
            "PR" => "America/Puerto_Rico",
            "VI" => "America/St_Thomas",
            _ => return None,
        };
        Zone::parse(name).ok()
    }
}

/// How a reader's clock writes the time of day: "9:30 AM" or "09:30".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HourClock {
    #[default]
    Twelve,
    TwentyFour,
}

impl HourClock {
    /// The stored setting (12 or 24); anything else is the 12-hour clock.
    pub fn from_hours(hours: i32) -> Self {
        if hours == 24 {
            Self::TwentyFour
        } else {
            Self::Twelve
        }
    }

    pub fn hours(self) -> i32 {
        match self {
            Self::Twelve => 12,
            Self::TwentyFour => 24,
        }
    }

    /// The clock a client reads: 12-hour in the United States, 24-hour elsewhere.
    pub fn for_clients_in(zone: Zone) -> Self {
        if zone.is_us() {
            Self::Twelve
        } else {
            Self::TwentyFour
        }
    }

    /// The strftime pattern of a time of day on this clock.
    pub fn pattern(self) -> &'static str {
        match self {
            Self::Twelve => "%-I:%M %p",
            Self::TwentyFour => "%H:%M",
        }
    }

    /// "9:30 AM" or "09:30".
    pub fn time(self, t: &impl chrono::Timelike) -> String {
        match self {
            Self::Twelve => {
                let (pm, hour) = t.hour12();
                format!("{hour}:{:02} {}", t.minute(), if pm { "PM" } else { "AM" })
            }
            Self::TwentyFour => format!("{:02}:{:02}", t.hour(), t.minute()),
        }
    }

    /// A span within one day: "9:00–9:45 AM", "11:30 AM–12:15 PM", or "09:00–09:45".
    pub fn span(self, start: &impl chrono::Timelike, end: &impl chrono::Timelike) -> String {
        match self {
            Self::Twelve if start.hour12().0 == end.hour12().0 => {
                let short = self.time(start);
                let short = short.trim_end_matches(" AM").trim_end_matches(" PM");
                format!("{short}–{}", self.time(end))
            }
            _ => format!("{}–{}", self.time(start), self.time(end)),
        }
    }
}

/// What people call the zones of the United States and a few others, by IANA name.
const SPOKEN_NAMES: &[(&str, &str)] = &[
    ("America/New_York", "Eastern Time"),
    ("America/Detroit", "Eastern Time"),
    ("America/Kentucky/Louisville", "Eastern Time"),
    ("America/Indiana/Indianapolis", "Eastern Time"),
    ("America/Toronto", "Eastern Time"),
    ("America/Chicago", "Central Time"),
    ("America/Winnipeg", "Central Time"),
    ("America/Denver", "Mountain Time"),
    ("America/Boise", "Mountain Time"),
    ("America/Edmonton", "Mountain Time"),
    ("America/Phoenix", "Arizona Time"),
    ("America/Los_Angeles", "Pacific Time"),
    ("America/Vancouver", "Pacific Time"),
    ("America/Anchorage", "Alaska Time"),
    ("Pacific/Honolulu", "Hawaii Time"),
    ("America/Puerto_Rico", "Atlantic Time"),
    ("America/St_Thomas", "Atlantic Time"),
    ("America/Halifax", "Atlantic Time"),
    ("Pacific/Guam", "Chamorro Time"),
    ("Pacific/Saipan", "Chamorro Time"),
    ("Pacific/Pago_Pago", "Samoa Time"),
    ("Europe/London", "UK time"),
    ("UTC", "UTC"),
];

/// The zones of the United States and its territories (those a client's state gives).
const US_ZONES: &[&str] = &[
    "America/New_York",
    "America/Detroit",
    "America/Kentucky/Louisville",
    "America/Indiana/Indianapolis",
    "America/Chicago",
    "America/Denver",
    "America/Boise",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/St_Thomas",
    "Pacific/Guam",
    "Pacific/Saipan",
    "Pacific/Pago_Pago",
];

impl Zone {
    /// The zone as people name it: "Eastern Time" for America/New_York; elsewhere its
    /// city ("Berlin time" for Europe/Berlin).
    pub fn spoken_name(&self) -> String {
        let name = self.name();
        if let Some((_, spoken)) = SPOKEN_NAMES.iter().find(|(n, _)| *n == name) {
            return (*spoken).to_string();
        }
        let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
        format!("{city} time")
    }

    /// An instant in full, as a client reads it: "Monday, December 7, 2026 at 9:00 AM
    /// Eastern Time".
    pub fn in_full(&self, utc: &NaiveDateTime, clock: HourClock) -> String {
        let local = self.local(utc);
        format!(
            "{} at {} {}",
            local.format("%A, %B %-d, %Y"),
            clock.time(&local),
            self.spoken_name()
        )
    }

    /// Whether the zone is one of the United States' (or its territories').
    pub fn is_us(&self) -> bool {
        US_ZONES.contains(&self.name())
    }
}

/// The zones a picker offers: the common US ones first, then every canonical IANA name.
pub fn choices() -> Vec<&'static str> {
    const FIRST: [&str; 8] = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "UTC",
    ];
    let rest = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|n| !FIRST.contains(n) && n.contains('/') && !n.starts_with("Etc/"));
    FIRST.into_iter().chain(rest).collect()
}

/// A wall-clock time as asked for, and the instant stored for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// As asked, in the zone.
    pub asked: NaiveDateTime,
    /// As stored, UTC.
    pub start: NaiveDateTime,
    pub fit: LocalFit,
}

impl Placed {
    /// Why the stored time differs from the one asked for, in words naming the time
    /// stored; `None` when the asked time exists once that day.
    pub fn note(&self, zone: Zone) -> Option<String> {
        let day = self.asked.format("%a %b %-d, %Y");
        let asked = self.asked.format("%H:%M");
        let stored = zone.local(&self.start).format("%H:%M %Z");
        match self.fit {
            LocalFit::Exact => None,
            LocalFit::Skipped => Some(format!(
                "On {day} the clocks go forward, so {asked} does not exist that day: that session starts at {stored}."
            )),
            LocalFit::Repeated => Some(format!(
                "On {day} the clocks go back, so {asked} happens twice that day: that session is at the first, {stored}."
            )),
        }
    }
}

/// The notes of every time stored other than asked, each a sentence after a space (empty
/// when none moved).
pub fn shift_notes<'a>(zone: Zone, placed: impl IntoIterator<Item = &'a Placed>) -> String {
    placed
        .into_iter()
        .filter_map(|p| p.note(zone))
        .map(|n| format!(" {n}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_on_daylight_saving_days_follow_rfc_5545() {
        let ny = Zone::parse("America/New_York").unwrap();
        // An ordinary winter and summer morning.
        assert_eq!(
            ny.to_utc(at("2026-01-05 10:00")),
            (at("2026-01-05 15:00"), LocalFit::Exact)
        );
        assert_eq!(
            ny.to_utc(at("2026-07-06 10:00")),
            (at("2026-07-06 14:00"), LocalFit::Exact)
        );
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 is read at EST, i.e. 03:30 EDT.
        assert_eq!(
            ny.to_utc(at("2026-03-08 02:30")),
            (at("2026-03-08 07:30"), LocalFit::Skipped)
        );
        assert_eq!(
            ny.local(&at("2026-03-08 07:30"))
                .format("%H:%M %Z")
                .to_string(),
            "03:30 EDT"
        );
        // 2026-11-01: 01:30 happens twice; the first (EDT) is meant.
        assert_eq!(
            ny.to_utc(at("2026-11-01 01:30")),
            (at("2026-11-01 05:30"), LocalFit::Repeated)
        );
        let la = Zone::parse("America/Los_Angeles").unwrap();
        assert_eq!(
            la.to_utc(at("2026-03-08 02:15")),
            (at("2026-03-08 10:15"), LocalFit::Skipped)
        );
    }
    use crate::domain::us_states::US_STATES;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn utc_instants_read_in_the_zone_across_daylight_saving() {
        let ny = Zone::parse("America/New_York").unwrap();
        assert_eq!(
            ny.local(&at("2026-07-01 14:00"))
                .format("%H:%M %Z")
                .to_string(),
            "10:00 EDT"
        );
        assert_eq!(
            ny.local(&at("2026-12-01 15:00"))
                .format("%H:%M %Z")
                .to_string(),
            "10:00 EST"
        );
        // 02:30 UTC on Dec 2 is still Dec 1 in New York.
        assert_eq!(
            ny.date_of(&at("2026-12-02 02:30")),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
    }

    #[test]
    fn zones_go_by_the_names_people_use_and_times_by_the_readers_clock() {
        let ny = Zone::parse("America/New_York").unwrap();
        assert_eq!(ny.spoken_name(), "Eastern Time");
        assert_eq!(
            Zone::parse("America/Los_Angeles").unwrap().spoken_name(),
            "Pacific Time"
        );
        assert_eq!(
            Zone::parse("Europe/Berlin").unwrap().spoken_name(),
            "Berlin time"
        );
        assert_eq!(
            Zone::parse("America/Argentina/Buenos_Aires")
                .unwrap()
                .spoken_name(),
            "Buenos Aires time"
        );
        for (code, name) in US_STATES {
            let zone = Zone::of_us_state(code).unwrap();
            assert!(zone.is_us(), "{name}");
            assert!(!zone.spoken_name().contains('/'), "{name}");
        }
        assert!(!Zone::parse("Europe/Berlin").unwrap().is_us());
        let t = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        let twelve = HourClock::for_clients_in(ny);
        assert_eq!(twelve, HourClock::Twelve);
        assert_eq!(twelve.time(&t("09:05")), "9:05 AM");
        assert_eq!(twelve.time(&t("00:30")), "12:30 AM");
        assert_eq!(twelve.time(&t("12:00")), "12:00 PM");
        assert_eq!(twelve.span(&t("09:00"), &t("09:45")), "9:00–9:45 AM");
        assert_eq!(twelve.span(&t("11:30"), &t("12:15")), "11:30 AM–12:15 PM");
        let day = HourClock::from_hours(24);
        assert_eq!(day.time(&t("09:05")), "09:05");
        assert_eq!(day.span(&t("09:00"), &t("09:45")), "09:00–09:45");
        assert_eq!(HourClock::from_hours(12), HourClock::Twelve);
        assert_eq!(HourClock::default(), HourClock::Twelve);
    }

    #[test]
    fn names_are_checked_and_a_bad_stored_one_falls_back_to_utc() {
        assert!(Zone::parse(" Europe/Berlin ").is_ok());
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert!(Zone::parse("").is_err());
        assert_eq!(Zone::or_utc("nonsense"), Zone::UTC);
    }

    #[test]
    fn every_us_state_and_territory_has_a_zone() {
        for (code, name) in US_STATES {
            assert!(Zone::of_us_state(code).is_some(), "{name}");
        }
        assert_eq!(Zone::of_us_state("XX"), None);
    }

    #[test]
    fn the_picker_offers_us_zones_first_and_each_name_once() {
        let c = choices();
        assert_eq!(c[0], "America/New_York");
        assert!(c.contains(&"Europe/London"));
        let mut sorted = c.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), c.len());
        assert!(c.iter().all(|n| Zone::parse(n).is_ok()));
    }

    #[test]
    fn a_time_stored_other_than_asked_says_when_it_is_and_why() {
        let ny = Zone::parse("America/New_York").unwrap();
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let place = |s: &str| {
            let (start, fit) = ny.to_utc(at(s));
            Placed {
                asked: at(s),
                start,
                fit,
            }
        };
        assert_eq!(
            place("2026-03-08 02:30").note(ny).as_deref(),
            Some("On Sun Mar 8, 2026 the clocks go forward, so 02:30 does not exist that day: that session starts at 03:30 EDT.")
        );
        assert_eq!(
            place("2026-11-01 01:30").note(ny).as_deref(),
            Some("On Sun Nov 1, 2026 the clocks go back, so 01:30 happens twice that day: that session is at the first, 01:30 EDT.")
        );
        assert_eq!(place("2026-03-09 02:30").note(ny), None);
        assert_eq!(
            shift_notes(ny, &[place("2026-03-01 02:30"), place("2026-03-08 02:30")]),
            " On Sun Mar 8, 2026 the clocks go forward, so 02:30 does not exist that day: that session starts at 03:30 EDT."
        );
    }
}
