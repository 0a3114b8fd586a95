//! The month overview: each day with how many sessions hold time in it.

use std::collections::HashMap;

use actix_web::HttpResponse;
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveTime};

use crate::domain::week_grid::{self};
use crate::error::AppError;
use crate::models::appointment::{self};
use crate::web::{render, AppState, CurrentProvider, PageContext};

struct MonthDay {
    date: String,
    day: u32,
    in_month: bool,
    is_today: bool,
    sessions: usize,
}

#[derive(Template)]
#[template(path = "calendar/month.html")]
struct MonthPage {
    page: PageContext,
    title: String,
    weeks: Vec<Vec<MonthDay>>,
    previous: String,
    next: String,
    today: String,
    total: usize,
    zone: String,
}

/// The month holding `raw` (today's by default): each day with how many sessions hold
/// time in it, a link to its day view.
pub(super) async fn month(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    raw: &str,
    today: NaiveDate,
) -> Result<HttpResponse, AppError> {
    use chrono::{Datelike, Months};
    let zone = provider.0.zone();
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").unwrap_or(today);
    let first = date.with_day(1).unwrap_or(date);
    let next_month = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let grid_start = week_grid::week_start(first);
    let grid_end = week_grid::week_start(next_month - Duration::days(1)) + Duration::days(7);
    let from = zone.to_utc(grid_start.and_time(NaiveTime::MIN)).0;
    let to = zone.to_utc(grid_end.and_time(NaiveTime::MIN)).0;
    let scope = provider.scope();
    let entries = state
        .db(move |conn| Ok(appointment::between(conn, &scope, from, to)?))
        .await?;
    let mut per_day: HashMap<NaiveDate, usize> = HashMap::new();
    for a in entries
        .iter()
        .filter(|a| a.state().holds_time() && a.client_id.is_some())
    {
        *per_day.entry(zone.date_of(&a.starts_at)).or_default() += 1;
    }
    let mut weeks = Vec::new();
    let mut day = grid_start;
    while day < grid_end {
        let week = (0..7)
            .map(|i| {
                let d = day + Duration::days(i);
                MonthDay {
                    date: d.format("%Y-%m-%d").to_string(),
                    day: d.day(),
                    in_month: d.month() == first.month(),
                    is_today: d == today,
                    sessions: per_day.get(&d).copied().unwrap_or(0),
                }
            })
            .collect();
        weeks.push(week);
        day += Duration::days(7);
    }
    let total = per_day
        .iter()
        .filter(|(d, _)| d.month() == first.month())
        .map(|(_, n)| n)
        .sum();
    render(&MonthPage {
        page: page.signed_in(provider),
        title: first.format("%B %Y").to_string(),
        weeks,
        previous: first
            .checked_sub_months(Months::new(1))
            .unwrap_or(first)
            .format("%Y-%m-%d")
            .to_string(),
        next: next_month.format("%Y-%m-%d").to_string(),
        today: today.format("%Y-%m-%d").to_string(),
        total,
        zone: zone.spoken_name(),
    })
}
