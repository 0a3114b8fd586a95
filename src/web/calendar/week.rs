//! The week (and day) as a table in the provider's zone: every free half hour adds a
//! session there, working hours shaded, sessions that cannot be confirmed yet marked.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use crate::db::ids::ClientId;
use crate::domain::appointment::Status;
use crate::domain::week_grid::{self, Cell};
use crate::error::AppError;
use crate::models::appointment::{self, Appointment};
use crate::models::client;
use crate::models::service::{self};
use crate::web::{fmt, render, AppState, CurrentProvider, PageContext};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WeekParams {
    date: String,
    /// week (the default), day or month.
    view: String,
}

struct EntryView {
    time: String,
    title: String,
    detail: String,
    status: &'static str,
    holds: bool,
    /// A booking request waiting for the provider's answer (it holds its time meanwhile).
    waiting: bool,
    href: Option<String>,
    /// A session whose client could not be confirmed yet (onboarding unfinished).
    not_ready: bool,
}

struct CellView {
    /// "free", "busy" or "covered".
    kind: &'static str,
    rows: usize,
    add_href: String,
    add_label: String,
    entries: Vec<EntryView>,
}

struct RowView {
    time: String,
    cells: Vec<CellView>,
}

#[derive(Template)]
#[template(path = "calendar/week.html")]
struct WeekPage {
    page: PageContext,
    title: String,
    days: Vec<String>,
    rows: Vec<RowView>,
    zone: String,
    date: String,
    previous: String,
    next: String,
    today: String,
    /// "3 entries this week (1 waits for your answer)": every entry the table shows.
    summary: String,
    /// "week" or "day".
    view: &'static str,
    /// Booking requests waiting for an answer (any week).
    requests: usize,
}

/// The Monday of the week asked for (today's when none or an unreadable one was).
fn asked_week(raw: &str, today: NaiveDate) -> NaiveDate {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").unwrap_or(today);
    week_grid::week_start(date)
}

pub(super) async fn week(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    params: web::Query<WeekParams>,
) -> Result<HttpResponse, AppError> {
    let zone = provider.0.zone();
    let today = provider.today(&state.clock);
    if params.view == "month" {
        return super::month::month(&state, &provider, page, &params.date, today).await;
    }
    let day_view = params.view == "day";
    let (monday, count) = if day_view {
        let date = NaiveDate::parse_from_str(params.date.trim(), "%Y-%m-%d").unwrap_or(today);
        (date, 1)
    } else {
        (asked_week(&params.date, today), 7)
    };
    let from = zone.to_utc(monday.and_time(NaiveTime::MIN)).0;
    let to = zone
        .to_utc((monday + Duration::days(count)).and_time(NaiveTime::MIN))
        .0;
    let scope = provider.scope();
    let (entries, names, services, (hours, requests)) = state
        .db(move |conn| {
            let hours = crate::models::working_hours::of(conn, &scope)?;
            let requests = appointment::open_requests(conn, &scope)?.len();
            let entries = appointment::between(conn, &scope, from, to)?;
            let ids: Vec<ClientId> = entries
                .iter()
                .filter_map(|a| a.client_id.clone().map(ClientId))
                .collect();
            let names: HashMap<String, (String, bool)> = client::find_many(conn, &scope, &ids)?
                .into_iter()
                .map(|c| {
                    let facts = c.onboarding_facts();
                    let ready = crate::domain::onboarding::can_confirm_appointment(&facts).is_ok();
                    (c.id.clone(), (c.full_name(), ready))
                })
                .collect();
            let services: HashMap<String, String> = service::by_id(conn, &scope)?
                .into_iter()
                .map(|(id, s)| (id, s.cpt_code))
                .collect();
            Ok((entries, names, services, (hours, requests)))
        })
        .await?;
    let working = |at: &NaiveDateTime| {
        use chrono::Datelike;
        let day = at.date().weekday().num_days_from_monday();
        hours
            .iter()
            .any(|h| h.weekday == day && at.time() >= h.starts && at.time() < h.ends)
    };
    let spans: Vec<(NaiveDateTime, NaiveDateTime)> =
        entries.iter().map(|a| (a.starts_at, a.ends_at)).collect();
    let grid = week_grid::layout_days(monday, count, zone, &spans);
    let local = fmt::Local::of(&provider.0);
    let entry_view = |a: &Appointment| EntryView {
        time: local.span(&a.starts_at, &a.ends_at),
        title: a
            .client_id
            .as_ref()
            .and_then(|c| names.get(c).map(|(n, _)| n.clone()))
            .or_else(|| {
                a.contact_name
                    .as_ref()
                    .map(|n| format!("{n} (call {})", a.contact_phone.clone().unwrap_or_default()))
            })
            .unwrap_or_else(|| a.kind().label().to_string()),
        detail: a
            .service_id
            .as_ref()
            .and_then(|s| services.get(s).cloned())
            .unwrap_or_default(),
        status: match a.state() {
            Status::Requested => "Requested: waits for your answer",
            other => other.label(),
        },
        holds: a.state().holds_time(),
        waiting: a.state() == Status::Requested,
        href: a
            .client_id
            .as_ref()
            .map(|_| format!("/calendar/sessions/{}", a.id)),
        not_ready: a.state() == Status::Scheduled
            && a.client_id
                .as_ref()
                .and_then(|c| names.get(c))
                .is_some_and(|(_, ready)| !ready),
    };
    let rows = grid
        .rows
        .iter()
        .map(|r| RowView {
            time: local.1.time(&r.time),
            cells: r
                .cells
                .iter()
                .map(|c| match c {
                    Cell::Free(at) => CellView {
                        kind: if working(at) { "free" } else { "free off" },
                        rows: 1,
                        add_href: format!("/calendar/new?start={}", at.format("%Y-%m-%dT%H:%M")),
                        add_label: format!(
                            "Add a session {} at {}",
                            at.format("%A, %B %-d"),
                            local.1.time(at)
                        ),
                        entries: Vec::new(),
                    },
                    Cell::Busy { rows, entries: at } => CellView {
                        kind: "busy",
                        rows: *rows,
                        add_href: String::new(),
                        add_label: String::new(),
                        entries: at
                            .iter()
                            .filter_map(|i| entries.get(*i))
                            .map(entry_view)
                            .collect(),
                    },
                    Cell::Covered => CellView {
                        kind: "covered",
                        rows: 0,
                        add_href: String::new(),
                        add_label: String::new(),
                        entries: Vec::new(),
                    },
                })
                .collect(),
        })
        .collect();
    let last = monday + Duration::days(count - 1);
    render(&WeekPage {
        page: page.signed_in(&provider),
        title: if day_view {
            monday.format("%A, %B %-d, %Y").to_string()
        } else {
            format!("{} – {}", fmt::date(&monday), fmt::date(&last))
        },
        days: grid
            .days
            .iter()
            .map(|d| d.format("%a %b %-d").to_string())
            .collect(),
        rows,
        zone: local.0.spoken_name(),
        date: monday.format("%Y-%m-%d").to_string(),
        previous: (monday - Duration::days(count))
            .format("%Y-%m-%d")
            .to_string(),
        next: (monday + Duration::days(count))
            .format("%Y-%m-%d")
            .to_string(),
        view: if day_view { "day" } else { "week" },
        today: today.format("%Y-%m-%d").to_string(),
        requests,
        summary: summary(&entries, if day_view { "day" } else { "week" }),
    })
}

/// How many entries the table shows, and how many of them wait for an answer or no
/// longer hold their time (cancelled, declined).
fn summary(entries: &[Appointment], view: &str) -> String {
    use crate::domain::plural::plural;
    let waiting = entries
        .iter()
        .filter(|a| a.state() == Status::Requested)
        .count();
    let released = entries.iter().filter(|a| !a.state().holds_time()).count();
    let mut parts = Vec::new();
    if waiting > 0 {
        parts.push(format!(
            "{waiting} {} for your answer",
            plural(waiting, "waits", "wait")
        ));
    }
    if released > 0 {
        parts.push(format!("{released} cancelled or declined"));
    }
    let n = entries.len();
    let mut out = format!("{n} {} this {view}", plural(n, "entry", "entries"));
    if !parts.is_empty() {
        out.push_str(&format!(" ({})", parts.join(", ")));
    }
    out
}
