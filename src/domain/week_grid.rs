//! The week on the calendar as a table: a column per day, a row per half hour in the
//! provider's zone, each entry in the cell where it starts spanning the rows it lasts,
//! every free half hour a cell that adds a session there. Pure: the page renders it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::time_zone::Zone;

/// Minutes per row.
pub const SLOT_MINUTES: i64 = 30;
/// The hours always shown (wider when an entry lies outside them).
pub const DAY_FROM: u32 = 7;
pub const DAY_UNTIL: u32 = 20;

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Nothing here: adding a session starts at this wall-clock time.
    Free(NaiveDateTime),
    /// Entries start here (by their index in the input), and the cell spans `rows` rows.
    Busy { rows: usize, entries: Vec<usize> },
    /// Inside a busy cell above: the table has no cell here.
    Covered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub time: NaiveTime,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekGrid {
    pub days: Vec<NaiveDate>,
    pub rows: Vec<Row>,
}

/// The Monday of the week holding `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Lays out `spans` (UTC start and end of each entry) over the week starting `monday`.
pub fn layout(monday: NaiveDate, zone: Zone, spans: &[(NaiveDateTime, NaiveDateTime)]) -> WeekGrid {
    layout_days(monday, 7, zone, spans)
}

/// The same for `count` days from `first` (one, for the day view).
pub fn layout_days(
    first: NaiveDate,
    count: i64,
    zone: Zone,
    spans: &[(NaiveDateTime, NaiveDateTime)],
) -> WeekGrid {
    let days: Vec<NaiveDate> = (0..count).map(|d| first + Duration::days(d)).collect();
    // Each entry in wall-clock time, clipped to its start day.
    let local: Vec<(usize, NaiveDate, u32, u32)> = spans
        .iter()
        .enumerate()
        .filter_map(|(i, (start, end))| {
            let s = zone.local(start).naive_local();
            let e = zone.local(end).naive_local();
            let day = s.date();
            let first = slot_of(s.time());
            let last = if e.date() > day {
                slots_per_day()
            } else {
                slot_end(e.time())
            };
            days.contains(&day)
                .then_some((i, day, first, last.max(first + 1)))
        })
        .collect();
    let from = local
        .iter()
        .map(|(_, _, f, _)| *f)
        .chain([DAY_FROM * 60 / SLOT_MINUTES as u32])
        .min()
        .unwrap_or(0);
    let until = local
        .iter()
        .map(|(_, _, _, l)| *l)
        .chain([DAY_UNTIL * 60 / SLOT_MINUTES as u32])
        .max()
        .unwrap_or(slots_per_day());
    let mut rows: Vec<Row> = (from..until)
        .map(|slot| {
            let time = time_of(slot);
            Row {
                time,
                cells: days.iter().map(|d| Cell::Free(d.and_time(time))).collect(),
            }
        })
        .collect();
    for (i, day, first, last) in local {
        let col = days.iter().position(|d| *d == day).unwrap_or(0);
        let row = (first - from) as usize;
        // An entry starting inside another's span joins that cell.
        let host = (0..=row).rev().find(|r| {
            matches!(rows[*r].cells[col], Cell::Busy { .. }) && covers(&rows, *r, col, row)
        });
        match host {
            Some(r) => {
                if let Cell::Busy {
                    rows: span,
                    entries,
                } = &mut rows[r].cells[col]
                {
                    entries.push(i);
                    let needed = (last - from) as usize - r;
                    if needed > *span {
                        let old = *span;
                        *span = needed;
                        for below in rows.iter_mut().skip(r + old).take(needed - old) {
                            below.cells[col] = Cell::Covered;
                        }
                    }
                }
            }
            None => {
                let span = (last - first) as usize;
                rows[row].cells[col] = Cell::Busy {
                    rows: span,
                    entries: vec![i],
                };
                for below in rows.iter_mut().skip(row + 1).take(span - 1) {
                    below.cells[col] = Cell::Covered;
                }
            }
        }
    }
    WeekGrid { days, rows }
}

/// Whether the busy cell at `r` spans down to `row`.
fn covers(rows: &[Row], r: usize, col: usize, row: usize) -> bool {
    match &rows[r].cells[col] {
        Cell::Busy { rows: span, .. } => r + span > row,
        _ => false,
    }
}

fn slots_per_day() -> u32 {
    (24 * 60 / SLOT_MINUTES) as u32
}

fn slot_of(t: NaiveTime) -> u32 {
    (t.hour() * 60 + t.minute()) / SLOT_MINUTES as u32
}

/// The first slot at or after `t` (an entry ending 10:50 occupies the 10:30 slot).
fn slot_end(t: NaiveTime) -> u32 {
    (t.hour() * 60 + t.minute()).div_ceil(SLOT_MINUTES as u32)
}

fn time_of(slot: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(
        slot * SLOT_MINUTES as u32 / 60,
        slot * SLOT_MINUTES as u32 % 60,
        0,
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    #[test]
    fn the_week_starts_on_monday() {
        assert_eq!(
            week_start(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()),
            monday()
        );
        assert_eq!(week_start(monday()), monday());
        assert_eq!(
            week_start(NaiveDate::from_ymd_opt(2026, 12, 13).unwrap()),
            monday()
        );
    }

    #[test]
    fn an_entry_sits_where_it_starts_in_the_providers_zone_and_spans_its_length() {
        let ny = Zone::parse("America/New_York").unwrap();
        // Tuesday 10:00–10:50 EST.
        let grid = layout(
            monday(),
            ny,
            &[(at("2026-12-08 15:00"), at("2026-12-08 15:50"))],
        );
        assert_eq!(
            grid.rows.first().map(|r| r.time),
            NaiveTime::from_hms_opt(7, 0, 0)
        );
        assert_eq!(grid.rows.len(), 26, "07:00 to 20:00 by half hours");
        let ten = grid
            .rows
            .iter()
            .position(|r| r.time == NaiveTime::from_hms_opt(10, 0, 0).unwrap())
            .unwrap();
        assert_eq!(
            grid.rows[ten].cells[1],
            Cell::Busy {
                rows: 2,
                entries: vec![0]
            }
        );
        assert_eq!(grid.rows[ten + 1].cells[1], Cell::Covered);
        assert_eq!(
            grid.rows[ten + 2].cells[1],
            Cell::Free(at("2026-12-08 11:00"))
        );
        assert_eq!(grid.rows[ten].cells[0], Cell::Free(at("2026-12-07 10:00")));
    }

    #[test]
    fn early_late_and_overlapping_entries_widen_and_share_cells() {
        let utc = Zone::UTC;
        let grid = layout(
            monday(),
            utc,
            &[
                (at("2026-12-09 06:00"), at("2026-12-09 06:30")),
                (at("2026-12-09 09:00"), at("2026-12-09 10:00")),
                // Starts inside the one above (a cancelled session under a new one).
                (at("2026-12-09 09:30"), at("2026-12-09 10:30")),
                (at("2026-12-09 21:00"), at("2026-12-09 21:45")),
            ],
        );
        assert_eq!(
            grid.rows.first().map(|r| r.time),
            NaiveTime::from_hms_opt(6, 0, 0)
        );
        assert_eq!(
            grid.rows.last().map(|r| r.time),
            NaiveTime::from_hms_opt(21, 30, 0)
        );
        let nine = grid
            .rows
            .iter()
            .position(|r| r.time == NaiveTime::from_hms_opt(9, 0, 0).unwrap())
            .unwrap();
        assert_eq!(
            grid.rows[nine].cells[2],
            Cell::Busy {
                rows: 3,
                entries: vec![1, 2]
            }
        );
        assert_eq!(grid.rows[nine + 2].cells[2], Cell::Covered);
        assert!(matches!(grid.rows[nine + 3].cells[2], Cell::Free(_)));
        // Every row has one cell per day that is not covered or is covered: seven in all.
        assert!(grid.rows.iter().all(|r| r.cells.len() == 7));
        // The day view is the same grid for one day.
        let day = layout_days(
            NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
            1,
            utc,
            &[(at("2026-12-09 09:00"), at("2026-12-09 10:00"))],
        );
        assert!(day.rows.iter().all(|r| r.cells.len() == 1));
        assert!(day.rows.iter().any(|r| r.cells[0]
            == Cell::Busy {
                rows: 2,
                entries: vec![0]
            }));
    }

    #[test]
    fn entries_of_other_weeks_are_left_out() {
        let grid = layout(
            monday(),
            Zone::UTC,
            &[(at("2026-12-14 10:00"), at("2026-12-14 11:00"))],
        );
        assert!(grid
            .rows
            .iter()
            .all(|r| r.cells.iter().all(|c| matches!(c, Cell::Free(_)))));
    }
}
