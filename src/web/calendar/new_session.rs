//! Adding a session, once or repeating, with every collision listed before anything is
//! written.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::session_page::load_session;
use super::*;
use crate::db::ids::ClientId;
use crate::domain::client::FieldErrors;
use crate::domain::time_zone::{shift_notes, Placed};
use crate::domain::week_grid::{self};
use crate::error::AppError;
use crate::models::client;
use crate::models::scope::Owned;
use crate::models::service::{self, Service};
use crate::services::calendar::{AnswerError, Notify, ScheduleError, SessionRequest};
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
    /// "Decline it and book": the version of the waiting request the provider saw.
    request_version: String,
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
    /// The waiting booking request the time overlaps, offered to be declined.
    waiting: Option<WaitingRequest>,
    /// A series' occurrences that collide, by date; the form offers to leave them out.
    collisions: Vec<String>,
    /// Each repeat rule and what it means from the form's date.
    frequencies: Vec<(&'static str, String)>,
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
    (overlaps, waiting): (Vec<String>, Option<WaitingRequest>),
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
            frequencies: frequency_choices(&input),
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
            waiting,
        },
    )
}

/// The repeat rules, each named for the form's date ("Monthly on the fifth Tuesday (months
/// without one are skipped)"); "the last Tuesday" only when the date is its month's last
/// (or it was chosen).
fn frequency_choices(input: &SessionInput) -> Vec<(&'static str, String)> {
    use crate::domain::recurrence::Frequency;
    let date = NaiveDate::parse_from_str(input.date.trim(), "%Y-%m-%d").ok();
    Frequency::ALL
        .iter()
        .filter_map(|f| {
            let label = match date {
                Some(d) => f.label_from(d),
                None => Some(f.label().to_string()),
            };
            match label {
                Some(l) => Some((f.as_str(), l)),
                None if input.repeat == f.as_str() => Some((f.as_str(), f.label().to_string())),
                None => None,
            }
        })
        .collect()
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
        (Vec::new(), None),
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
        /// "Ada Lovelace Dec 8, 2026 10:00 EST": the time stored.
        when: String,
        placed: Placed,
    },
    Series {
        /// "Ada Lovelace from Mar 1, 2026 02:30 EST".
        first: String,
        scheduled: Vec<Placed>,
        skipped: usize,
        /// A monthly rule's dates are not obvious from the first: the confirmation lists them.
        list_dates: bool,
    },
    Collides(Vec<String>),
    Invalid(FieldErrors),
    Overlaps(Vec<String>, Option<WaitingRequest>),
}

impl Outcome {
    fn booked(&self) -> bool {
        matches!(self, Outcome::Scheduled { .. } | Outcome::Series { .. })
    }
}

/// Books what the form asked for, inside the caller's connection: a session or a series,
/// or the reason nothing was written.
fn book_from_form(
    conn: &mut crate::db::DbConnection,
    scope: &crate::models::scope::Scope,
    zone: crate::domain::time_zone::Zone,
    (parsed, skip): (Parsed, bool),
    (notify, act): (Notify<'_>, Act<'_>),
) -> Result<Outcome, AppError> {
    let local = fmt::Local::of(notify.provider);
    let mut errors = FieldErrors::new();
    let found = match client::find_by_label(conn, scope, &parsed.client_label)? {
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
    let Some(svc): Option<Owned<Service>> = service::find(conn, scope, &parsed.service_id)? else {
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
        notify,
    };
    if let Some(rule) = parsed.rule {
        use crate::domain::recurrence::Frequency;
        use crate::services::calendar::{SeriesError, SeriesRequest};
        let series = SeriesRequest {
            first: request,
            rule,
            skip_conflicts: skip,
        };
        return match services::calendar::schedule_series(conn, zone, series, act) {
            Ok(done) => Ok(Outcome::Series {
                first: format!(
                    "{} from {}",
                    c.full_name(),
                    done.scheduled
                        .first()
                        .map(|p| local.datetime(&p.start))
                        .unwrap_or_default(),
                ),
                scheduled: done.scheduled,
                skipped: done.skipped.len(),
                list_dates: matches!(
                    rule.frequency,
                    Frequency::MonthlyByWeekday | Frequency::MonthlyLastWeekday
                ),
            }),
            Err(SeriesError::Collides(at)) => Ok(Outcome::Collides(describe_collisions(
                conn, scope, local, &at,
            )?)),
            Err(SeriesError::NothingLeft) => Ok(Outcome::Overlaps(
                vec!["Every session of the series overlaps another entry.".into()],
                None,
            )),
            Err(SeriesError::Rule(e)) => {
                let mut errors = FieldErrors::new();
                errors.insert("repeat", e.to_string());
                Ok(Outcome::Invalid(errors))
            }
            Err(SeriesError::Schedule(ScheduleError::Overlaps(_))) => Ok(Outcome::Overlaps(
                vec!["Another entry was added at one of these times just now. Check the calendar and try again.".into()],
                None,
            )),
            Err(SeriesError::Schedule(ScheduleError::Mismatch)) => Err(AppError::NotFound),
            Err(SeriesError::Schedule(ScheduleError::Database(e))) => Err(e.into()),
        };
    }
    match services::calendar::schedule_session(conn, zone, request, act) {
        Ok((booked, fit)) => Ok(Outcome::Scheduled {
            when: format!("{} {}", c.full_name(), local.datetime(&booked.starts_at)),
            placed: Placed {
                asked: parsed.local_start,
                start: booked.starts_at,
                fit,
            },
        }),
        Err(ScheduleError::Overlaps(found)) => {
            let (lines, waiting) = describe_overlaps(conn, scope, local, &found)?;
            Ok(Outcome::Overlaps(lines, waiting))
        }
        Err(ScheduleError::Mismatch) => Err(AppError::NotFound),
        Err(ScheduleError::Database(e)) => Err(e.into()),
    }
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
            return show_outcome(
                &state,
                &provider,
                (page, &session),
                input,
                Outcome::Invalid(errors),
                "",
            )
            .await
        }
    };
    let zone = provider.0.zone();
    let (scope, ip, now) = (provider.scope(), client_ip(&req), state.clock.now());
    let skip = input.skip_conflicts == "yes";
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let outcome = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let notify = Notify {
                provider: &me,
                public_url: &public_url,
            };
            book_from_form(conn, &scope, zone, (parsed, skip), (notify, act))
        })
        .await?;
    show_outcome(&state, &provider, (page, &session), input, outcome, "").await
}

/// Why "decline it and book" wrote nothing (the decline is undone with the booking).
enum Undone {
    Outcome(Outcome),
    Answer(AnswerError),
    App(AppError),
}

impl From<diesel::result::Error> for Undone {
    fn from(e: diesel::result::Error) -> Self {
        Undone::App(e.into())
    }
}

/// "Decline it and book": declines the waiting request the time overlaps (the client is
/// emailed the booking link to choose another time) and books the time asked for, both
/// or neither.
pub(super) async fn decline_and_book(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<SessionInput>,
) -> Result<HttpResponse, AppError> {
    let (request, _, _) = load_session(&state, &provider, &path.into_inner()).await?;
    let parsed = match parse(&input) {
        Ok(p) => p,
        Err(errors) => {
            return show_outcome(
                &state,
                &provider,
                (page, &session),
                input,
                Outcome::Invalid(errors),
                "",
            )
            .await
        }
    };
    let version = input.request_version.trim().parse::<i64>().unwrap_or(-1);
    let zone = provider.0.zone();
    let (scope, ip, now) = (provider.scope(), client_ip(&req), state.clock.now());
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let skip = input.skip_conflicts == "yes";
    let done = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let notify = Notify {
                provider: &me,
                public_url: &public_url,
            };
            let both = crate::db::write_transaction(conn, |conn| {
                services::calendar::decline(conn, &request, version, None, notify, act)
                    .map_err(Undone::Answer)?;
                match book_from_form(conn, &scope, zone, (parsed, skip), (notify, act)) {
                    Ok(o) if o.booked() => Ok(o),
                    Ok(o) => Err(Undone::Outcome(o)),
                    Err(e) => Err(Undone::App(e)),
                }
            });
            match both {
                Ok(o) => Ok(Ok(o)),
                Err(Undone::Outcome(o)) => Ok(Ok(o)),
                Err(Undone::Answer(AnswerError::Database(e))) => Err(e.into()),
                Err(Undone::Answer(e)) => Ok(Err(e)),
                Err(Undone::App(e)) => Err(e),
            }
        })
        .await?;
    match done {
        Ok(outcome) => {
            let also = " The booking request it overlapped is declined, and the client was emailed the link to choose another time.";
            show_outcome(&state, &provider, (page, &session), input, outcome, also).await
        }
        Err(e) => {
            let why = match e {
                AnswerError::Changed => "The booking request was answered meanwhile (in another tab), so nothing was declined or scheduled. Schedule the time again below.".to_string(),
                other => other.to_string(),
            };
            let refused = Outcome::Overlaps(vec![why], None);
            show_outcome(&state, &provider, (page, &session), input, refused, "").await
        }
    }
}

/// The page after a booking: the week with what was scheduled (the confirmation ending
/// with `also`), or the form again saying why nothing was.
async fn show_outcome(
    state: &AppState,
    provider: &CurrentProvider,
    (page, session): (PageContext, &Session),
    input: SessionInput,
    outcome: Outcome,
    also: &str,
) -> Result<HttpResponse, AppError> {
    let monday = NaiveDate::parse_from_str(input.date.trim(), "%Y-%m-%d")
        .map(week_grid::week_start)
        .unwrap_or_else(|_| provider.today(&state.clock));
    match outcome {
        Outcome::Scheduled { when, placed } => {
            let note = shift_notes(provider.0.zone(), &[placed]);
            session::flash(session, format!("Scheduled: {when}.{note}{also}"));
            Ok(see_other(&format!(
                "/calendar?date={}",
                monday.format("%Y-%m-%d")
            )))
        }
        Outcome::Series {
            first,
            scheduled,
            skipped,
            list_dates,
        } => {
            let count = scheduled.len();
            let zone = provider.0.zone();
            let moved = shift_notes(zone, &scheduled);
            let dates = if list_dates {
                let local = fmt::Local::of(&provider.0);
                let all: Vec<String> = scheduled.iter().map(|p| local.date(&p.start)).collect();
                format!(" The dates: {}.", all.join("; "))
            } else {
                String::new()
            };
            let left_out = match skipped {
                0 => String::new(),
                n => format!(
                    " {n} {} that collided {} left out.",
                    if n == 1 { "date" } else { "dates" },
                    if n == 1 { "was" } else { "were" }
                ),
            };
            session::flash(
                session,
                format!("Scheduled {count} sessions: {first}.{dates}{moved}{left_out}{also}"),
            );
            Ok(see_other(&format!(
                "/calendar?date={}",
                monday.format("%Y-%m-%d")
            )))
        }
        Outcome::Collides(list) => {
            form_page(
                state,
                provider,
                page,
                input,
                FieldErrors::new(),
                (Vec::new(), None),
                list,
            )
            .await
        }
        Outcome::Invalid(errors) => {
            form_page(
                state,
                provider,
                page,
                input,
                errors,
                (Vec::new(), None),
                Vec::new(),
            )
            .await
        }
        Outcome::Overlaps(list, waiting) => {
            form_page(
                state,
                provider,
                page,
                input,
                FieldErrors::new(),
                (list, waiting),
                Vec::new(),
            )
            .await
        }
    }
}
