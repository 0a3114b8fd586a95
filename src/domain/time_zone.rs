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
