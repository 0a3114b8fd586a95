//! Where a person's clock is: an IANA time zone. Instants are stored in UTC; everything a
//! person reads is in their zone (the provider's, or a client's from their telehealth
//! location). The zone rules come from `chrono-tz` (the IANA database), never from
//! hand-written offsets.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;

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

#[cfg(test)]
mod tests {
    use super::*;
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
}
