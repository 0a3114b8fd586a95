//! The calendar: the week as a table in the provider's zone (every free half hour adds a
//! session there), adding a session, a session's page (confirm, cancel), a client's Sessions
//! tab, and Settings → Calendar and → Services.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use super::session::{self, ProtectedForm};
use super::{
    client_ip, fmt, render, render_status, see_other, AppState, CurrentProvider, PageContext,
};
use crate::db::ids::ClientId;
use crate::domain::appointment::Status;
use crate::domain::client::FieldErrors;
use crate::domain::time_zone::LocalFit;
use crate::domain::week_grid::{self, Cell};
use crate::error::AppError;
use crate::models::appointment::{self, Appointment};
use crate::models::client;
use crate::models::scope::Owned;
use crate::models::service::{self, Service};
use crate::services::calendar::{ConfirmError, ScheduleError, SessionRequest};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/calendar", web::get().to(week))
        .route("/calendar/new", web::get().to(new_session))
        .route("/calendar/sessions", web::post().to(create_session))
        .route("/calendar/other/new", web::get().to(new_other))
        .route("/calendar/other", web::post().to(create_other))
        .route("/clients/{id}/sessions", web::get().to(client_sessions))
        .route("/calendar/sessions/{id}", web::get().to(show_session))
        .route(
            "/calendar/sessions/{id}/confirm",
            web::post().to(confirm_session),
        )
        .route(
            "/calendar/sessions/{id}/close",
            web::post().to(close_session),
        )
        .route("/settings/calendar", web::get().to(show_calendar_settings))
        .route("/settings/calendar", web::post().to(save_calendar_settings))
        .route("/settings/services", web::get().to(show_services))
        .route("/settings/services", web::post().to(add_service));
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WeekParams {
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
    zone: &'static str,
    date: String,
    previous: String,
    next: String,
    today: String,
    count: usize,
    /// "week" or "day".
    view: &'static str,
}

/// The Monday of the week asked for (today's when none or an unreadable one was).
fn asked_week(raw: &str, today: NaiveDate) -> NaiveDate {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").unwrap_or(today);
    week_grid::week_start(date)
}

async fn week(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    params: web::Query<WeekParams>,
) -> Result<HttpResponse, AppError> {
    let zone = provider.0.zone();
    let today = provider.today(&state.clock);
    if params.view == "month" {
        return month(&state, &provider, page, &params.date, today).await;
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
    let (entries, names, services, hours) = state
        .db(move |conn| {
            let hours = crate::models::working_hours::of(conn, &scope)?;
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
            Ok((entries, names, services, hours))
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
    let local = fmt::Local(zone);
    let entry_view = |a: &Appointment| {
        let start = zone.local(&a.starts_at);
        let end = zone.local(&a.ends_at);
        EntryView {
            time: format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
            title: a
                .client_id
                .as_ref()
                .and_then(|c| names.get(c).map(|(n, _)| n.clone()))
                .or_else(|| {
                    a.contact_name.as_ref().map(|n| {
                        format!("{n} (call {})", a.contact_phone.clone().unwrap_or_default())
                    })
                })
                .unwrap_or_else(|| a.kind().label().to_string()),
            detail: a
                .service_id
                .as_ref()
                .and_then(|s| services.get(s).cloned())
                .unwrap_or_default(),
            status: a.state().label(),
            holds: a.state().holds_time(),
            href: a
                .client_id
                .as_ref()
                .map(|_| format!("/calendar/sessions/{}", a.id)),
            not_ready: a.state() == Status::Scheduled
                && a.client_id
                    .as_ref()
                    .and_then(|c| names.get(c))
                    .is_some_and(|(_, ready)| !ready),
        }
    };
    let rows = grid
        .rows
        .iter()
        .map(|r| RowView {
            time: r.time.format("%H:%M").to_string(),
            cells: r
                .cells
                .iter()
                .map(|c| match c {
                    Cell::Free(at) => CellView {
                        kind: if working(at) { "free" } else { "free off" },
                        rows: 1,
                        add_href: format!("/calendar/new?start={}", at.format("%Y-%m-%dT%H:%M")),
                        add_label: format!("Add a session {}", at.format("%A, %B %-d at %H:%M")),
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
        zone: local.0.name(),
        date: monday.format("%Y-%m-%d").to_string(),
        previous: (monday - Duration::days(count))
            .format("%Y-%m-%d")
            .to_string(),
        next: (monday + Duration::days(count))
            .format("%Y-%m-%d")
            .to_string(),
        view: if day_view { "day" } else { "week" },
        today: today.format("%Y-%m-%d").to_string(),
        count: entries
            .iter()
            .filter(|a| a.state() == Status::Scheduled || a.state() == Status::Confirmed)
            .count(),
    })
}

// ---------- adding a session ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct SessionInput {
    client: String,
    service: String,
    date: String,
    time: String,
    minutes: String,
    location: String,
    note: String,
    /// Empty: does not repeat; else a recurrence frequency.
    repeat: String,
    /// "after" (a count) or "on" (a date).
    ends: String,
    count: String,
    until: String,
    /// The provider saw the colliding dates and chose to leave them out.
    skip_conflicts: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewParams {
    start: String,
    client: String,
}

struct ServiceOption {
    id: String,
    label: String,
    minutes: i32,
}

#[derive(Template)]
#[template(path = "calendar/new.html")]
struct NewPage {
    page: PageContext,
    input: SessionInput,
    clients: Vec<String>,
    services: Vec<ServiceOption>,
    errors: FieldErrors,
    zone: &'static str,
    overlaps: Vec<String>,
    /// A series' occurrences that collide, by date; the form offers to leave them out.
    collisions: Vec<String>,
    frequencies: Vec<(&'static str, &'static str)>,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

const CLIENT_CHOICES: i64 = 5_000;

async fn form_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    input: SessionInput,
    errors: FieldErrors,
    overlaps: Vec<String>,
    collisions: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let (scope, now) = (provider.scope(), state.clock.now());
    let (clients, services) = state
        .db(move |conn| {
            let clients = client::match_labels(conn, &scope, CLIENT_CHOICES)?;
            let services = service::offered(conn, &scope, now)?;
            Ok((clients, services))
        })
        .await?;
    let status = form_status(errors.is_empty() && overlaps.is_empty() && collisions.is_empty());
    render_status(
        status,
        &NewPage {
            collisions,
            frequencies: crate::domain::recurrence::Frequency::ALL
                .iter()
                .map(|f| (f.as_str(), f.label()))
                .collect(),
            page: page.signed_in(provider),
            input,
            clients,
            services: services
                .into_iter()
                .map(|s| ServiceOption {
                    id: s.id.clone(),
                    label: s.label(),
                    minutes: s.minutes,
                })
                .collect(),
            errors,
            zone: provider.0.zone().name(),
            overlaps,
        },
    )
}

async fn new_session(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    params: web::Query<NewParams>,
) -> Result<HttpResponse, AppError> {
    let start = NaiveDateTime::parse_from_str(params.start.trim(), "%Y-%m-%dT%H:%M").ok();
    let mut input = SessionInput {
        date: start
            .map(|s| s.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| provider.today(&state.clock).format("%Y-%m-%d").to_string()),
        time: start
            .map(|s| s.format("%H:%M").to_string())
            .unwrap_or_default(),
        location: "Telehealth".into(),
        ..Default::default()
    };
    if let Some(id) = ClientId::parse(&params.client) {
        let scope = provider.scope();
        let label = state
            .db(move |conn| {
                Ok(scope
                    .client(conn, &id)?
                    .map(|c| format!("{} <{}>", c.full_name(), c.email)))
            })
            .await?;
        input.client = label.unwrap_or_default();
    }
    form_page(
        &state,
        &provider,
        page,
        input,
        FieldErrors::new(),
        Vec::new(),
        Vec::new(),
    )
    .await
}

/// The forms' date and start time (wall-clock), each unreadable one named in `errors`.
fn parse_start(date: &str, time: &str, errors: &mut FieldErrors) -> Option<NaiveDateTime> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        errors.insert("date", "Enter the date, for example 2026-12-08.".into());
    }
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M").ok();
    if time.is_none() {
        errors.insert("time", "Enter the start time, for example 10:00.".into());
    }
    Some(date?.and_time(time?))
}

/// A length in minutes from 5 to `max`; empty is `None` with no error (the caller says
/// whether one is needed), anything else out of range is named in `errors`.
fn parse_minutes(raw: &str, max: i64, errors: &mut FieldErrors) -> Option<i64> {
    match raw.trim() {
        "" => None,
        m => match m.parse::<i64>() {
            Ok(n) if (5..=max).contains(&n) => Some(n),
            _ => {
                errors.insert("minutes", minutes_error(max));
                None
            }
        },
    }
}

fn minutes_error(max: i64) -> String {
    format!("Enter the length in minutes, from 5 to {max}.")
}

/// Typed text without control characters (a note keeps its line breaks), at most `max`
/// characters; `None` when nothing is left.
fn clean_text(s: &str, max: usize) -> Option<String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(max)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// 200 for a form shown fresh, 422 for one shown again with what to correct.
fn form_status(ok: bool) -> actix_web::http::StatusCode {
    if ok {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// What the form asked for, checked field by field.
struct Parsed {
    rule: Option<crate::domain::recurrence::Rule>,
    client_email: String,
    service_id: String,
    local_start: NaiveDateTime,
    minutes: Option<i64>,
    location: Option<String>,
    note: Option<String>,
}

fn parse(input: &SessionInput) -> Result<Parsed, FieldErrors> {
    let mut errors = FieldErrors::new();
    let client_email = client::email_in_label(&input.client).map(str::to_string);
    if client_email.is_none() {
        errors.insert(
            "client",
            "Choose the client from the list (start typing their name).".into(),
        );
    }
    if input.service.trim().is_empty() {
        errors.insert("service", "Choose the service.".into());
    }
    let start = parse_start(&input.date, &input.time, &mut errors);
    let minutes = parse_minutes(&input.minutes, 480, &mut errors);
    let rule = match input.repeat.trim() {
        "" => None,
        f => {
            use crate::domain::recurrence::{End, Frequency, Rule};
            let frequency = Frequency::parse(f);
            if frequency.is_none() {
                errors.insert("repeat", "Choose how often the session repeats.".into());
            }
            let end = if input.ends == "on" {
                match NaiveDate::parse_from_str(input.until.trim(), "%Y-%m-%d") {
                    Ok(d) => Some(End::On(d)),
                    Err(_) => {
                        errors.insert(
                            "until",
                            "Enter the date of the last session, for example 2027-06-30.".into(),
                        );
                        None
                    }
                }
            } else {
                match input.count.trim().parse::<usize>() {
                    Ok(n) => Some(End::After(n)),
                    Err(_) => {
                        errors.insert(
                            "count",
                            "Enter how many sessions in all, from 2 to 300.".into(),
                        );
                        None
                    }
                }
            };
            frequency
                .zip(end)
                .map(|(frequency, end)| Rule { frequency, end })
        }
    };
    match (client_email, start) {
        (Some(client_email), Some(local_start)) if errors.is_empty() => Ok(Parsed {
            rule,
            client_email,
            service_id: input.service.trim().to_string(),
            local_start,
            minutes,
            location: clean_text(&input.location, 300),
            note: clean_text(&input.note, 2000),
        }),
        _ => Err(errors),
    }
}

enum Outcome {
    Scheduled {
        when: String,
        fit: LocalFit,
    },
    Series {
        count: usize,
        first: String,
        skipped: usize,
    },
    Collides(Vec<String>),
    Invalid(FieldErrors),
    Overlaps(Vec<String>),
}

async fn create_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<SessionInput>,
) -> Result<HttpResponse, AppError> {
    let parsed = match parse(&input) {
        Ok(p) => p,
        Err(errors) => {
            return form_page(
                &state,
                &provider,
                page,
                input,
                errors,
                Vec::new(),
                Vec::new(),
            )
            .await
        }
    };
    let zone = provider.0.zone();
    let (scope, ip, now) = (provider.scope(), client_ip(&req), state.clock.now());
    let local = fmt::Local(zone);
    let monday = week_grid::week_start(parsed.local_start.date());
    let skip = input.skip_conflicts == "yes";
    let outcome = state
        .db(move |conn| {
            let mut errors = FieldErrors::new();
            let norm = crate::domain::email::normalize(&parsed.client_email);
            let found = match client::find_id_by_email(conn, &scope, &norm)? {
                Some(id) => scope.client(conn, &id)?,
                None => None,
            };
            let Some(c) = found.filter(|c| c.archived_at.is_none()) else {
                errors.insert(
                    "client",
                    "That client is not on your active list. Choose one from the list.".into(),
                );
                return Ok(Outcome::Invalid(errors));
            };
            let Some(svc): Option<Owned<Service>> =
                service::find(conn, &scope, &parsed.service_id)?
            else {
                errors.insert("service", "Choose one of your services.".into());
                return Ok(Outcome::Invalid(errors));
            };
            let minutes = parsed.minutes.unwrap_or(i64::from(svc.minutes));
            let request = SessionRequest {
                client: &c,
                service: &svc,
                local_start: parsed.local_start,
                minutes,
                location: parsed.location,
                note: parsed.note,
            };
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            if let Some(rule) = parsed.rule {
                use crate::services::calendar::{SeriesError, SeriesRequest};
                let series = SeriesRequest {
                    first: request,
                    rule,
                    skip_conflicts: skip,
                };
                return match services::calendar::schedule_series(conn, zone, series, act) {
                    Ok(done) => Ok(Outcome::Series {
                        count: done.scheduled,
                        first: format!(
                            "{} from {} {}",
                            c.full_name(),
                            parsed.local_start.format("%b %-d, %Y %H:%M"),
                            zone.local(&zone.to_utc(parsed.local_start).0).format("%Z")
                        ),
                        skipped: done.skipped.len(),
                    }),
                    Err(SeriesError::Collides(at)) => Ok(Outcome::Collides(
                        at.iter().map(|t| t.format("%a %b %-d, %Y %H:%M").to_string()).collect(),
                    )),
                    Err(SeriesError::NothingLeft) => Ok(Outcome::Overlaps(vec![
                        "Every session of the series overlaps another entry.".into(),
                    ])),
                    Err(SeriesError::Rule(e)) => {
                        let mut errors = FieldErrors::new();
                        errors.insert("repeat", e.to_string());
                        Ok(Outcome::Invalid(errors))
                    }
                    Err(SeriesError::Schedule(ScheduleError::Overlaps(_))) => Ok(Outcome::Overlaps(vec![
                        "Another entry was added at one of these times just now. Check the calendar and try again.".into(),
                    ])),
                    Err(SeriesError::Schedule(ScheduleError::Mismatch)) => Err(AppError::NotFound),
                    Err(SeriesError::Schedule(ScheduleError::Database(e))) => Err(e.into()),
                };
            }
            match services::calendar::schedule_session(conn, zone, request, act) {
                Ok((booked, fit)) => Ok(Outcome::Scheduled {
                    when: format!("{} {}", c.full_name(), local.datetime(&booked.starts_at)),
                    fit,
                }),
                Err(ScheduleError::Overlaps(found)) => Ok(Outcome::Overlaps(
                    found
                        .iter()
                        .map(|f| {
                            format!(
                                "It overlaps another entry on {}–{}.",
                                local.datetime(&f.existing.start),
                                zone.local(&f.existing.end).format("%H:%M")
                            )
                        })
                        .collect(),
                )),
                Err(ScheduleError::Mismatch) => Err(AppError::NotFound),
                Err(ScheduleError::Database(e)) => Err(e.into()),
            }
        })
        .await?;
    match outcome {
        Outcome::Scheduled { when, fit } => {
            let note = match fit {
                LocalFit::Exact => String::new(),
                LocalFit::Skipped => " That time does not exist that day (the clocks go forward), so it starts an hour later by the clock.".into(),
                LocalFit::Repeated => " That time happens twice that day (the clocks go back); it is the first of the two.".into(),
            };
            session::flash(&session, format!("Scheduled: {when}.{note}"));
            Ok(see_other(&format!(
                "/calendar?date={}",
                monday.format("%Y-%m-%d")
            )))
        }
        Outcome::Series {
            count,
            first,
            skipped,
        } => {
            let left_out = match skipped {
                0 => String::new(),
                n => format!(
                    " {n} {} that collided {} left out.",
                    if n == 1 { "date" } else { "dates" },
                    if n == 1 { "was" } else { "were" }
                ),
            };
            session::flash(
                &session,
                format!("Scheduled {count} sessions: {first}.{left_out}"),
            );
            Ok(see_other(&format!(
                "/calendar?date={}",
                monday.format("%Y-%m-%d")
            )))
        }
        Outcome::Collides(list) => {
            form_page(
                &state,
                &provider,
                page,
                input,
                FieldErrors::new(),
                Vec::new(),
                list,
            )
            .await
        }
        Outcome::Invalid(errors) => {
            form_page(
                &state,
                &provider,
                page,
                input,
                errors,
                Vec::new(),
                Vec::new(),
            )
            .await
        }
        Outcome::Overlaps(list) => {
            form_page(
                &state,
                &provider,
                page,
                input,
                FieldErrors::new(),
                list,
                Vec::new(),
            )
            .await
        }
    }
}

// ---------- a client's sessions ----------

struct SessionRow {
    when: String,
    service: String,
    status: &'static str,
    location: String,
}

#[derive(Template)]
#[template(path = "clients/sessions.html")]
struct ClientSessionsPage {
    page: PageContext,
    header: super::clients::ClientHeader,
    tab: &'static str,
    upcoming: Vec<SessionRow>,
    past: Vec<SessionRow>,
    zone: &'static str,
}

/// The Sessions tab of a client's record: upcoming (soonest first) and past.
async fn client_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: crate::models::scope::OwnedClient,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local(provider.0.zone());
    super::clients::audit_view(&state, &req, &c, "sessions").await?;
    let (client, scope, now) = (c.clone(), provider.scope(), state.clock.now());
    let (sessions, services) = state
        .db(move |conn| {
            let sessions = appointment::for_client(conn, &client)?;
            let services: HashMap<String, String> = service::by_id(conn, &scope)?
                .into_iter()
                .map(|(id, s)| (id, s.label()))
                .collect();
            Ok((sessions, services))
        })
        .await?;
    let row = |a: &Appointment| SessionRow {
        when: format!(
            "{}–{}",
            local.datetime(&a.starts_at),
            local.0.local(&a.ends_at).format("%H:%M")
        ),
        service: a
            .service_id
            .as_ref()
            .and_then(|s| services.get(s).cloned())
            .unwrap_or_default(),
        status: a.state().label(),
        location: a.location.clone().unwrap_or_default(),
    };
    let (mut upcoming, past): (Vec<&Appointment>, Vec<&Appointment>) =
        sessions.iter().partition(|a| a.ends_at > now);
    upcoming.reverse();
    render(&ClientSessionsPage {
        page: page.signed_in(&provider),
        header: super::clients::ClientHeader::of(local, &c),
        tab: "sessions",
        upcoming: upcoming.into_iter().map(row).collect(),
        past: past.into_iter().map(row).collect(),
        zone: local.0.name(),
    })
}

// ---------- Settings → Services ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ServiceInput {
    name: String,
    cpt_code: String,
    minutes: String,
}

#[derive(Template)]
#[template(path = "settings/services.html")]
struct ServicesPage {
    page: PageContext,
    services: Vec<ServiceOption>,
    input: ServiceInput,
    errors: FieldErrors,
}

impl ServicesPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn services_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    input: ServiceInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (scope, now) = (provider.scope(), state.clock.now());
    let services = state
        .db(move |conn| Ok(service::offered(conn, &scope, now)?))
        .await?;
    let status = form_status(errors.is_empty());
    render_status(
        status,
        &ServicesPage {
            page: page.signed_in(provider),
            services: services
                .into_iter()
                .map(|s| ServiceOption {
                    id: s.id.clone(),
                    label: s.label(),
                    minutes: s.minutes,
                })
                .collect(),
            input,
            errors,
        },
    )
}

async fn show_services(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    services_page(
        &state,
        &provider,
        page,
        ServiceInput::default(),
        FieldErrors::new(),
    )
    .await
}

async fn add_service(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<ServiceInput>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let name: String = input
        .name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if name.is_empty() {
        errors.insert(
            "name",
            "Give the service a name, for example “Couples session”.".into(),
        );
    }
    let code = crate::domain::billing_codes::parse_cpt(&input.cpt_code)
        .map_err(|e| errors.insert("cpt_code", e))
        .ok();
    let minutes = match input.minutes.trim().parse::<i32>() {
        Ok(m) if (5..=480).contains(&m) => Some(m),
        _ => {
            errors.insert(
                "minutes",
                "Enter the usual length in minutes, from 5 to 480.".into(),
            );
            None
        }
    };
    let (Some(code), Some(minutes), true) = (code, minutes, errors.is_empty()) else {
        return services_page(&state, &provider, page, input, errors).await;
    };
    let (scope, now) = (provider.scope(), state.clock.now());
    let saved_name = name.clone();
    state
        .db(move |conn| {
            Ok(service::add(
                conn,
                &scope,
                &saved_name,
                &code,
                minutes,
                now,
            )?)
        })
        .await?;
    session::flash(&session, format!("“{name}” was added to your services."));
    Ok(see_other("/settings/services"))
}

// ---------- one session: confirm, cancel ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ConfirmInput {
    cpt_code: String,
    diagnosis: String,
    actual_start: String,
    actual_end: String,
    note: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "calendar/session.html")]
struct SessionPage {
    page: PageContext,
    id: String,
    client_name: String,
    client_href: String,
    when: String,
    service: String,
    location: String,
    note: String,
    status: &'static str,
    /// Open to confirm or cancel (scheduled).
    open: bool,
    /// It has started: confirming is possible.
    started: bool,
    /// Its place in a series ("3 of 10"), when it is one.
    in_series: Option<String>,
    /// What the client has still to do before a session can be confirmed.
    not_ready: Vec<&'static str>,
    confirmed: Option<String>,
    closed: Option<String>,
    input: ConfirmInput,
    errors: FieldErrors,
    refusal: Option<String>,
    zone: &'static str,
    version: i64,
}

impl SessionPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn load_session(
    state: &AppState,
    provider: &CurrentProvider,
    id: &str,
) -> Result<
    (
        Owned<Appointment>,
        crate::models::scope::OwnedClient,
        Option<Owned<Service>>,
    ),
    AppError,
> {
    let (scope, id) = (provider.scope(), id.to_string());
    state
        .db(move |conn| {
            let a = appointment::find(conn, &scope, &id)?.ok_or(AppError::NotFound)?;
            let client_id = a
                .client_id
                .clone()
                .map(ClientId)
                .ok_or(AppError::NotFound)?;
            let c = scope.client(conn, &client_id)?.ok_or(AppError::NotFound)?;
            let s = match &a.service_id {
                Some(sid) => service::find(conn, &scope, sid)?,
                None => None,
            };
            Ok((a, c, s))
        })
        .await
}

async fn session_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    id: &str,
    input: Option<ConfirmInput>,
    errors: FieldErrors,
    refusal: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (a, c, s) = load_session(state, provider, id).await?;
    let zone = provider.0.zone();
    let local = fmt::Local(zone);
    let now = state.clock.now();
    let hm = |t: &NaiveDateTime| zone.local(t).format("%Y-%m-%dT%H:%M").to_string();
    let input = input.unwrap_or_else(|| ConfirmInput {
        cpt_code: s.as_ref().map(|s| s.cpt_code.clone()).unwrap_or_default(),
        actual_start: hm(&a.starts_at),
        actual_end: hm(&a.ends_at),
        version: a.version,
        ..Default::default()
    });
    let not_ready = crate::domain::onboarding::can_confirm_appointment(&c.onboarding_facts())
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(crate::domain::onboarding::Missing::describe)
        .collect();
    let status = form_status(errors.is_empty() && refusal.is_none());
    render_status(
        status,
        &SessionPage {
            page: page.signed_in(provider),
            id: a.id.clone(),
            client_name: c.full_name(),
            client_href: format!("/clients/{}", c.id),
            when: format!(
                "{}–{}",
                local.datetime(&a.starts_at),
                zone.local(&a.ends_at).format("%H:%M")
            ),
            service: s.map(|s| s.label()).unwrap_or_default(),
            location: a.location.clone().unwrap_or_default(),
            note: a.note.clone().unwrap_or_default(),
            status: a.state().label(),
            open: a.state() == Status::Scheduled,
            started: now >= a.starts_at,
            in_series: a
                .series_index
                .map(|i| format!("session {} of a series", i + 1)),
            not_ready,
            confirmed: a.confirmed_at.map(|_| {
                format!(
                    "{} · {} · {}–{}",
                    a.cpt_code.clone().unwrap_or_default(),
                    a.diagnosis_codes
                        .clone()
                        .unwrap_or_default()
                        .replace(',', ", "),
                    a.actual_start
                        .map(|t| local.datetime(&t))
                        .unwrap_or_default(),
                    a.actual_end
                        .map(|t| zone.local(&t).format("%H:%M").to_string())
                        .unwrap_or_default()
                )
            }),
            closed: a.cancelled_by.as_ref().map(|by| {
                let reason = a
                    .cancel_reason
                    .clone()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!("{} (by the {by}){reason}", a.state().label())
            }),
            input,
            errors,
            refusal,
            zone: zone.name(),
            version: a.version,
        },
    )
}

async fn show_session(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    session_page(
        &state,
        &provider,
        page,
        &path,
        None,
        FieldErrors::new(),
        None,
    )
    .await
}

async fn confirm_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<ConfirmInput>,
) -> Result<HttpResponse, AppError> {
    let (a, _, _) = load_session(&state, &provider, &path).await?;
    let parse = |raw: &str| NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").ok();
    let mut errors = FieldErrors::new();
    let start = parse(&input.actual_start);
    if start.is_none() {
        errors.insert(
            "actual_start",
            "Enter when the session really started.".into(),
        );
    }
    let end = parse(&input.actual_end);
    if end.is_none() {
        errors.insert("actual_end", "Enter when the session really ended.".into());
    }
    let (Some(start), Some(end)) = (start, end) else {
        return session_page(&state, &provider, page, &path, Some(input), errors, None).await;
    };
    let zone = provider.0.zone();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let form = input.clone();
    let outcome = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let note = Some(form.note.trim()).filter(|n| !n.is_empty());
            let request = crate::services::calendar::ConfirmRequest {
                cpt_code: &form.cpt_code,
                diagnosis: &form.diagnosis,
                actual_start: start,
                actual_end: end,
                note,
                expected_version: form.version,
            };
            match services::calendar::confirm_session(conn, zone, &a, request, act) {
                Ok(()) => Ok(Ok(())),
                Err(ConfirmError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::flash(&session, "The session is confirmed.");
            Ok(see_other(&format!("/calendar/sessions/{}", path.as_str())))
        }
        Err(ConfirmError::Invalid(errors)) => {
            session_page(&state, &provider, page, &path, Some(input), errors, None).await
        }
        Err(ConfirmError::NotReady(missing)) => {
            let why = format!(
                "This session cannot be confirmed yet. {}",
                missing.join(" ")
            );
            session_page(
                &state,
                &provider,
                page,
                &path,
                Some(input),
                FieldErrors::new(),
                Some(why),
            )
            .await
        }
        Err(other) => {
            session_page(
                &state,
                &provider,
                page,
                &path,
                Some(input),
                FieldErrors::new(),
                Some(other.to_string()),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CloseInput {
    how: String,
    reason: String,
    version: i64,
    /// For a series: "this" (the default), "following" or "all".
    which: String,
}

async fn close_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<CloseInput>,
) -> Result<HttpResponse, AppError> {
    use crate::services::calendar::Closing;
    let how = match input.how.as_str() {
        "client" => Closing::ByClient,
        "provider" => Closing::ByProvider,
        "no_show" => Closing::NoShow,
        _ => {
            return Err(AppError::BadRequest(
                "Choose who cancelled, or that the client did not come.".into(),
            ))
        }
    };
    let (a, _, _) = load_session(&state, &provider, &path).await?;
    let (ip, now, policy) = (
        client_ip(&req),
        state.clock.now(),
        provider.0.cancellation_policy(),
    );
    use crate::services::calendar::Which;
    let which = match input.which.as_str() {
        "following" if a.series_id.is_some() => Which::ThisAndFollowing,
        "all" if a.series_id.is_some() => Which::WholeSeries,
        _ => Which::This,
    };
    if which != Which::This {
        if how == Closing::NoShow {
            return Err(AppError::BadRequest(
                "A no-show is marked for one session only. Choose “Only this session”.".into(),
            ));
        }
        let by = if how == Closing::ByClient {
            "client"
        } else {
            "provider"
        };
        let reason: String = input
            .reason
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(500)
            .collect();
        let version = input.version;
        let closed = state
            .db(move |conn| {
                let act = Act {
                    ip: ip.as_deref(),
                    now,
                };
                let reason = Some(reason.as_str()).filter(|r| !r.is_empty());
                Ok(services::calendar::close_series(
                    conn, &a, which, reason, by, version, act,
                )?)
            })
            .await?;
        session::flash(
            &session,
            match closed {
                Some(n) => format!("{n} {} of the series {} cancelled.", if n == 1 { "session" } else { "sessions" }, if n == 1 { "was" } else { "were" }),
                None => "Nothing changed: this session was changed meanwhile (in another tab). Here is where it stands.".to_string(),
            },
        );
        return Ok(see_other(&format!("/calendar/sessions/{}", path.as_str())));
    }
    let reason: String = input
        .reason
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect();
    let closed = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let reason = Some(reason.as_str()).filter(|r| !r.is_empty());
            Ok(services::calendar::close_session(
                conn,
                policy,
                &a,
                how,
                reason,
                input.version,
                act,
            )?)
        })
        .await?;
    session::flash(
        &session,
        match closed {
            Some(status) => format!("The session is marked: {}.", status.label().to_lowercase()),
            None => "Nothing changed: this session was changed meanwhile (in another tab). Here is where it stands.".to_string(),
        },
    );
    Ok(see_other(&format!("/calendar/sessions/{}", path.as_str())))
}

// ---------- Settings → Calendar ----------

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

struct DayHours {
    index: usize,
    name: &'static str,
    works: bool,
    starts: String,
    ends: String,
}

#[derive(Template)]
#[template(path = "settings/calendar.html")]
struct CalendarSettingsPage {
    page: PageContext,
    days: Vec<DayHours>,
    policy: &'static str,
    errors: Vec<String>,
}

async fn show_calendar_settings(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let scope = provider.scope();
    let hours = state
        .db(move |conn| Ok(crate::models::working_hours::of(conn, &scope)?))
        .await?;
    let days = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let h = hours.iter().find(|h| h.weekday as usize == i);
            DayHours {
                index: i,
                name,
                works: h.is_some(),
                starts: h
                    .map(|h| h.starts.format("%H:%M").to_string())
                    .unwrap_or_else(|| "09:00".into()),
                ends: h
                    .map(|h| h.ends.format("%H:%M").to_string())
                    .unwrap_or_else(|| "17:00".into()),
            }
        })
        .collect();
    render(&CalendarSettingsPage {
        page: page.signed_in(&provider),
        days,
        policy: provider.0.cancellation_policy().as_str(),
        errors: Vec::new(),
    })
}

async fn save_calendar_settings(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::session_rules::CancellationPolicy;
    use crate::models::working_hours::Hours;
    let field = |name: String| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let mut errors = Vec::new();
    let mut hours = Vec::new();
    let mut shown = Vec::new();
    for (i, name) in WEEKDAYS.iter().enumerate() {
        let works = field(format!("works_{i}")).is_some();
        let starts = field(format!("starts_{i}")).unwrap_or_default();
        let ends = field(format!("ends_{i}")).unwrap_or_default();
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
        if works {
            match (t(&starts), t(&ends)) {
                (Some(s), Some(e)) if e > s => hours.push(Hours {
                    weekday: i as u32,
                    starts: s,
                    ends: e,
                }),
                (Some(_), Some(_)) => {
                    errors.push(format!("{name}: the day must end after it starts."))
                }
                _ => errors.push(format!(
                    "{name}: enter the hours as HH:MM, for example 09:00 and 17:00."
                )),
            }
        }
        shown.push(DayHours {
            index: i,
            name,
            works,
            starts,
            ends,
        });
    }
    let policy = field("policy".into()).and_then(|p| CancellationPolicy::parse(&p));
    if policy.is_none() {
        errors.push("Choose a cancellation policy.".into());
    }
    let Some(policy) = policy.filter(|_| errors.is_empty()) else {
        return render_status(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            &CalendarSettingsPage {
                page: page.signed_in(&provider),
                days: shown,
                policy: provider.0.cancellation_policy().as_str(),
                errors,
            },
        );
    };
    let scope = provider.scope();
    state
        .db(move |conn| {
            Ok(crate::models::working_hours::save(
                conn, &scope, &hours, policy,
            )?)
        })
        .await?;
    session::flash(&session, "Your calendar settings were saved.");
    Ok(see_other("/settings/calendar"))
}

// ---------- a consultation or an unavailable block ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct OtherInput {
    kind: String,
    contact_name: String,
    contact_phone: String,
    date: String,
    time: String,
    minutes: String,
    note: String,
}

#[derive(Template)]
#[template(path = "calendar/other.html")]
struct OtherPage {
    page: PageContext,
    consultation: bool,
    input: OtherInput,
    errors: FieldErrors,
    overlaps: Vec<String>,
    zone: &'static str,
}

impl OtherPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn other_page(
    provider: &CurrentProvider,
    page: PageContext,
    input: OtherInput,
    errors: FieldErrors,
    overlaps: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let status = form_status(errors.is_empty() && overlaps.is_empty());
    render_status(
        status,
        &OtherPage {
            page: page.signed_in(provider),
            consultation: input.kind == "consultation",
            input,
            errors,
            overlaps,
            zone: provider.0.zone().name(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OtherParams {
    kind: String,
    start: String,
}

async fn new_other(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    params: web::Query<OtherParams>,
) -> Result<HttpResponse, AppError> {
    let start = NaiveDateTime::parse_from_str(params.start.trim(), "%Y-%m-%dT%H:%M").ok();
    let consultation = params.kind == "consultation";
    let input = OtherInput {
        kind: if consultation {
            "consultation"
        } else {
            "unavailable"
        }
        .into(),
        date: start
            .map(|s| s.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| provider.today(&state.clock).format("%Y-%m-%d").to_string()),
        time: start
            .map(|s| s.format("%H:%M").to_string())
            .unwrap_or_default(),
        minutes: if consultation { "15" } else { "60" }.into(),
        ..Default::default()
    };
    other_page(&provider, page, input, FieldErrors::new(), Vec::new())
}

async fn create_other(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<OtherInput>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::appointment::Kind;
    let mut errors = FieldErrors::new();
    let kind = match input.kind.as_str() {
        "consultation" => Kind::Consultation,
        _ => Kind::Unavailable,
    };
    let (name, phone) = (
        clean_text(&input.contact_name, 120).map(|n| n.replace('\n', " ")),
        clean_text(&input.contact_phone, 40),
    );
    let phone = match (kind, phone) {
        (Kind::Consultation, Some(p)) => match crate::domain::phone::Phone::parse(&p) {
            Ok(_) => Some(p),
            Err(e) => {
                errors.insert("contact_phone", e.to_string());
                None
            }
        },
        (Kind::Consultation, None) => {
            errors.insert("contact_phone", "Enter the number to call.".into());
            None
        }
        _ => None,
    };
    if kind == Kind::Consultation && name.is_none() {
        errors.insert("contact_name", "Enter who is calling.".into());
    }
    let start = parse_start(&input.date, &input.time, &mut errors);
    let minutes = parse_minutes(&input.minutes, 720, &mut errors);
    if minutes.is_none() {
        errors
            .entry("minutes")
            .or_insert_with(|| minutes_error(720));
    }
    let (Some(local_start), Some(minutes), true) = (start, minutes, errors.is_empty()) else {
        return other_page(&provider, page, input, errors, Vec::new());
    };
    let zone = provider.0.zone();
    let local = fmt::Local(zone);
    let (scope, now) = (provider.scope(), state.clock.now());
    let entry = crate::services::calendar::OtherEntry {
        kind,
        local_start,
        minutes,
        contact_name: name,
        contact_phone: phone,
        note: clean_text(&input.note, 2000),
    };
    let outcome = state
        .db(move |conn| {
            let act = Act { ip: None, now };
            match services::calendar::add_entry(conn, &scope, zone, entry, act) {
                Ok((a, _)) => Ok(Ok(local.datetime(&a.starts_at))),
                Err(ScheduleError::Overlaps(found)) => Ok(Err(found
                    .iter()
                    .map(|f| {
                        format!(
                            "It overlaps another entry on {}.",
                            local.datetime(&f.existing.start)
                        )
                    })
                    .collect::<Vec<_>>())),
                Err(ScheduleError::Mismatch) => Err(AppError::NotFound),
                Err(ScheduleError::Database(e)) => Err(e.into()),
            }
        })
        .await?;
    match outcome {
        Ok(when) => {
            session::flash(&session, format!("Added: {} at {when}.", kind.label()));
            Ok(see_other(&format!(
                "/calendar?date={}",
                local_start.format("%Y-%m-%d")
            )))
        }
        Err(overlaps) => other_page(&provider, page, input, FieldErrors::new(), overlaps),
    }
}

// ---------- the month overview ----------

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
    zone: &'static str,
}

/// The month holding `raw` (today's by default): each day with how many sessions hold
/// time in it, a link to its day view.
async fn month(
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
        zone: zone.name(),
    })
}
