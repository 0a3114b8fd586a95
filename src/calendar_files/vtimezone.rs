//! The VTIMEZONE block RFC 5545 requires for each TZID a file uses, built from chrono-tz's
//! rules over the range the file covers (the icalendar crate has no such component).

use chrono::{Duration, NaiveDateTime, Offset, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use crate::domain::time_zone::Zone;

/// The offset in force at an instant: seconds east of UTC, its abbreviation, and whether
/// it is daylight saving time.
fn offset_at(tz: Tz, utc: NaiveDateTime) -> (i32, String, bool) {
    let offset = tz.offset_from_utc_datetime(&utc);
    (
        offset.fix().local_minus_utc(),
        offset.abbreviation().unwrap_or("").to_string(),
        !offset.dst_offset().is_zero(),
    )
}

/// `-0500`, or `+053000`-style when seconds are needed.
pub(super) fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// One observance (STANDARD or DAYLIGHT) starting at `onset` (UTC), from `before` to
/// `after`.
fn observance(onset: NaiveDateTime, before: i32, after: &(i32, String, bool)) -> String {
    let kind = if after.2 { "DAYLIGHT" } else { "STANDARD" };
    // DTSTART is the onset's wall-clock time under the offset in force before it.
    let local = onset + Duration::seconds(i64::from(before));
    let mut s = format!(
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
        local.format("%Y%m%dT%H%M%S"),
        format_offset(before),
        format_offset(after.0)
    );
    if !after.1.is_empty()
        && after
            .1
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
    {
        s.push_str(&format!("TZNAME:{}\r\n", after.1));
    }
    s.push_str(&format!("END:{kind}\r\n"));
    s
}

/// The VTIMEZONE for `zone` covering `[from, to]` (UTC): the offset in force a day before
/// `from`, then every change of offset up to a day after `to`, each found to the second.
pub fn time_zone_definition(zone: &Zone, from: NaiveDateTime, to: NaiveDateTime) -> String {
    let tz: Tz = zone.name().parse().unwrap_or(Tz::UTC);
    let start = from - Duration::days(1);
    let end = to + Duration::days(1);
    let first = offset_at(tz, start);
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", zone.name());
    out.push_str(&observance(start, first.0, &first));
    let mut current = first;
    let mut day = start;
    while day < end {
        let next = day + Duration::days(1);
        let later = offset_at(tz, next);
        if later.0 != current.0 || later.2 != current.2 {
            // The first second with the new offset, between `day` and `next`.
            let (mut lo, mut hi) = (day, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                let o = offset_at(tz, mid);
                if o.0 == current.0 && o.2 == current.2 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let changed = offset_at(tz, hi);
            out.push_str(&observance(hi, current.0, &changed));
            current = changed;
        }
        day = next;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}
