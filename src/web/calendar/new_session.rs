//! Adding a session, once or repeating, with every collision listed before anything is
//! written.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::*;
use crate::db::ids::ClientId;
use crate::domain::client::FieldErrors;
use crate::domain::time_zone::LocalFit;
use crate::domain::week_grid::{self};
use crate::error::AppError;
use crate::models::client;
use crate::models::scope::Owned;
use crate::models::service::{self, Service};
use crate::services::calendar::{ScheduleError, SessionRequest};
use crate::services::{self, Act};
use crate::web::session::{self, ProtectedForm};
use crate::web::{
    client_ip, fmt, render_status, see_other, AppState, CurrentProvider, PageContext,
};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct SessionInput {
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
pub(super) struct NewParams {
    start: String,
    client: String,
}

#[derive(Template)]
#[template(path = "calendar/new.html")]
struct NewPage {
    page: PageContext,
    input: SessionInput,
    clients: Vec<String>,
    services: Vec<ServiceOption>,
    errors: FieldErrors,
    zone: String,
    overlaps: Vec<String>,
    /// A series' occurrences that collide, by date; the form offers to leave them out.
    collisions: Vec<String>,
    frequencies: Vec<(&'static str, &'static str)>,
    /// Telehealth, and the office's address when the provider gave one.
    places: Vec<String>,
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
            places: super::places(&provider.0),
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
                .map(|s| ServiceOption::of(&s))
                .collect(),
            errors,
            zone: provider.0.zone().spoken_name(),
            overlaps,
        },
    )
}

pub(super) async fn new_session(
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
        location: crate::domain::appointment::TELEHEALTH.into(),
        ..Default::default()
    };
    if let Some(id) = ClientId::parse(&params.client) {
        let scope = provider.scope();
        let label = state
            .db(move |conn| {
                Ok(scope.client(conn, &id)?.map(|c| {
                    client::picker_label(c.first_name.as_str(), c.last_name.as_str(), &c.email)
                }))
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
/// What the form asked for, checked field by field.
struct Parsed {
    rule: Option<crate::domain::recurrence::Rule>,
    client_label: String,
    service_id: String,
    local_start: NaiveDateTime,
    minutes: Option<i64>,
    location: Option<String>,
    note: Option<String>,
}

fn parse(input: &SessionInput) -> Result<Parsed, FieldErrors> {
    let mut errors = FieldErrors::new();
    let client_label = Some(input.client.trim().to_string()).filter(|l| client::is_picker_label(l));
    if client_label.is_none() {
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
    match (client_label, start) {
        (Some(client_label), Some(local_start)) if errors.is_empty() => Ok(Parsed {
            rule,
            client_label,
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

pub(super) async fn create_session(
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
    let local = fmt::Local::of(&provider.0);
    let monday = week_grid::week_start(parsed.local_start.date());
    let skip = input.skip_conflicts == "yes";
    let outcome = state
        .db(move |conn| {
            let mut errors = FieldErrors::new();
            let found = match client::find_by_label(conn, &scope, &parsed.client_label)? {
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
                                "It overlaps another entry on {}.",
                                local.datetime_span(&f.existing.start, &f.existing.end)
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
