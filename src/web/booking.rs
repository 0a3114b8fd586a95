//! The provider's public booking link: a new client picks one of the provider's free
//! times (week by week, up to 8 weeks out) and signs up; the time goes on the calendar as
//! a request. The page answers the same whether or not the email is already a client's,
//! so it reveals nobody.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDateTime};
use serde::Deserialize;

use super::session::{EmptyForm, ProtectedForm};
use super::{answer_no_sooner, client_ip, render_status, AppState, PageContext};
use crate::domain::appointment::{Span, TELEHEALTH};
use crate::domain::client::{ClientDetails, ClientInput, FieldErrors};
use crate::domain::free_slots::WEEKS_AHEAD;
use crate::domain::us_states::US_STATES;
use crate::domain::week_grid::week_start;
use crate::error::AppError;
use crate::models::booking;
use crate::models::provider::Provider;
use crate::services::booking::{Confirmation, PickedTime, SignUp, SignUpRequest};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/book/{token}", web::get().to(form))
        .route("/book/{token}", web::post().to(submit))
        .route("/book/confirm/{token}", web::get().to(confirm_page))
        .route("/book/confirm/{token}", web::post().to(confirm));
}

/// How a picked time travels in the page's links and form: its UTC start.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M";
/// What `time` says when the person would rather be contacted than pick a time.
const NO_TIME: &str = "none";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BookingInput {
    #[serde(flatten)]
    client: ClientInput,
    /// The picked start (UTC, [`TIME_FORMAT`]), or [`NO_TIME`].
    time: String,
    /// "video" or "office".
    place: String,
    /// A field people never see; anything in it came from a bot.
    website: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BookingQuery {
    /// Weeks after this one (0 to 8).
    week: i64,
    time: String,
}

/// One offered time, as a link.
struct SlotLink {
    label: String,
    value: String,
}

struct DayOffer {
    label: String,
    slots: Vec<SlotLink>,
}

/// A week of free times to choose from.
struct WeekChoice {
    heading: String,
    days: Vec<DayOffer>,
    earlier: Option<i64>,
    later: Option<i64>,
}

/// What the page shows besides the sign-up fields.
enum Step {
    /// Choosing a time from this week.
    Choose(WeekChoice),
    /// Signing up, with this time picked (or none, to be contacted).
    Details(Option<SlotLink>),
    /// Done: what was asked for, if a time.
    Done(Option<String>),
}

#[derive(Template)]
#[template(path = "booking/form.html")]
struct BookingPage {
    page: PageContext,
    token: String,
    practice: String,
    step: Step,
    /// "Psychiatric diagnostic evaluation (intake), 60 minutes".
    service: String,
    zone: String,
    notice_hours: i32,
    /// Nothing at all is open in the weeks offered.
    none_open: bool,
    /// The time picked was taken or is no longer offered.
    taken: bool,
    office_address: Option<String>,
    input: ClientInput,
    place: String,
    errors: FieldErrors,
    states: &'static [(&'static str, &'static str)],
    limited: bool,
}

impl BookingPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn practice_for(state: &AppState, token: String) -> Result<Provider, AppError> {
    state
        .db(move |conn| booking::provider_by_token(conn, &token)?.ok_or(AppError::NotFound))
        .await
}

/// The week's free times (`week` weeks after the provider's current week), and whether
/// any time at all is open in the weeks offered; `None` when no service is offered.
async fn week_of_times(
    state: &AppState,
    provider: &Provider,
    week: i64,
) -> Result<Option<(WeekChoice, bool, String)>, AppError> {
    let now = state.clock.now();
    let zone = provider.zone();
    let this_monday = week_start(zone.date_of(&now));
    let week = week.clamp(0, WEEKS_AHEAD);
    let monday = this_monday + Duration::weeks(week);
    let p = provider.clone();
    let found = state
        .db(move |conn| {
            let Some(offer) = services::booking::offer(
                conn,
                &p,
                (this_monday, this_monday + Duration::weeks(WEEKS_AHEAD + 1)),
                now,
            )?
            else {
                return Ok(None);
            };
            let o = offer.offer();
            let any_open = !o.slots(this_monday, o.last_day()).is_empty();
            let slots = o.slots(monday, monday + Duration::days(6));
            Ok(Some((slots, any_open, service_label(&offer.service))))
        })
        .await?;
    let Some((slots, any_open, service)) = found else {
        return Ok(None);
    };
    let mut days: Vec<DayOffer> = Vec::new();
    for s in slots {
        let local = zone.local(&s.start);
        let label = local.format("%A, %B %-d").to_string();
        let link = SlotLink {
            label: crate::domain::time_zone::HourClock::for_clients_in(zone).time(&local),
            value: s.start.format(TIME_FORMAT).to_string(),
        };
        match days.last_mut() {
            Some(d) if d.label == label => d.slots.push(link),
            _ => days.push(DayOffer {
                label,
                slots: vec![link],
            }),
        }
    }
    let choice = WeekChoice {
        heading: format!(
            "Week of {} {}",
            monday.format("%B %-d"),
            if monday.year() != this_monday.year() {
                monday.year().to_string()
            } else {
                String::new()
            }
        )
        .trim_end()
        .to_string(),
        days,
        earlier: (week > 0).then(|| week - 1),
        later: (week < WEEKS_AHEAD).then(|| week + 1),
    };
    Ok(Some((choice, any_open, service)))
}

/// "Psychiatric diagnostic evaluation (intake), 60 minutes"; a name that gives its length
/// already ("Psychotherapy, 45 minutes") as it is.
fn service_label(s: &crate::models::service::Service) -> String {
    if s.name.contains("minute") {
        s.name.clone()
    } else {
        format!("{}, {} minutes", s.name, s.minutes)
    }
}

/// The picked time, when it is still one of the times offered.
async fn still_offered(
    state: &AppState,
    provider: &Provider,
    raw: &str,
) -> Result<Option<(PickedTime, String)>, AppError> {
    let Ok(start) = NaiveDateTime::parse_from_str(raw.trim(), TIME_FORMAT) else {
        return Ok(None);
    };
    let (p, now) = (provider.clone(), state.clock.now());
    let day = provider.zone().date_of(&start);
    state
        .db(move |conn| {
            let Some(offer) = services::booking::offer(conn, &p, (day, day), now)? else {
                return Ok(None);
            };
            if !offer.offer().offers(start) {
                return Ok(None);
            }
            let span = Span {
                start,
                end: start + Duration::minutes(i64::from(offer.service.minutes)),
            };
            let label = service_label(&offer.service);
            Ok(Some((
                PickedTime {
                    span,
                    service_id: offer.service.id.clone(),
                    location: None,
                },
                label,
            )))
        })
        .await
}

/// "Monday, December 7, 2026 at 10:00 AM Eastern Time".
fn picked_label(provider: &Provider, start: &NaiveDateTime) -> String {
    crate::services::calendar::notices::client_time(provider.zone(), start)
}

fn page_for(provider: &Provider, page: PageContext, token: String, step: Step) -> BookingPage {
    BookingPage {
        page,
        token,
        practice: provider.practice_display_name(),
        step,
        service: String::new(),
        zone: provider.zone().spoken_name(),
        notice_hours: provider.booking_notice_hours,
        none_open: false,
        taken: false,
        office_address: provider.office_address.clone(),
        input: ClientInput {
            billing_type: "insurance".into(),
            ..Default::default()
        },
        place: "video".into(),
        errors: FieldErrors::new(),
        states: US_STATES,
        limited: false,
    }
}

/// The page that chooses a time: this week's, or (with nothing open at all) the sign-up
/// form straight away, to be contacted.
async fn choosing(
    state: &AppState,
    provider: &Provider,
    mut page: BookingPage,
    week: i64,
) -> Result<BookingPage, AppError> {
    match week_of_times(state, provider, week).await? {
        Some((choice, true, service)) => {
            page.step = Step::Choose(choice);
            page.service = service;
        }
        Some((_, false, service)) => {
            page.step = Step::Details(None);
            page.service = service;
            page.none_open = true;
        }
        None => {
            page.step = Step::Details(None);
            page.none_open = true;
        }
    }
    Ok(page)
}

async fn form(
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
    query: web::Query<BookingQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let p = practice_for(&state, token.clone()).await?;
    let mut shown = page_for(&p, page, token, Step::Done(None));
    if query.time == NO_TIME {
        shown.step = Step::Details(None);
        return render_status(StatusCode::OK, &shown);
    }
    if !query.time.is_empty() {
        if let Some((picked, service)) = still_offered(&state, &p, &query.time).await? {
            shown.step = Step::Details(Some(SlotLink {
                label: picked_label(&p, &picked.span.start),
                value: query.time.clone(),
            }));
            shown.service = service;
            return render_status(StatusCode::OK, &shown);
        }
        shown.taken = true;
    }
    let shown = choosing(&state, &p, shown, query.week).await?;
    render_status(StatusCode::OK, &shown)
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
    ProtectedForm(form): ProtectedForm<BookingInput>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let p = practice_for(&state, token.clone()).await?;
    let ip = client_ip(&req).unwrap_or_default();
    // A bot that filled the hidden field sees the usual answer and nothing is made.
    if !form.website.trim().is_empty() {
        let done = page_for(&p, page, token, Step::Done(None));
        return render_status(StatusCode::OK, &done);
    }
    let mut shown = page_for(&p, page, token, Step::Done(None));
    let picked = if form.time.is_empty() || form.time == NO_TIME {
        None
    } else {
        match still_offered(&state, &p, &form.time).await? {
            Some((mut picked, service)) => {
                picked.location = Some(match (form.place.as_str(), &p.office_address) {
                    ("office", Some(address)) => address.clone(),
                    _ => TELEHEALTH.to_string(),
                });
                shown.service = service;
                Some(picked)
            }
            None => {
                shown.taken = true;
                shown.input = form.client;
                let week = week_of(&p, &form.time, state.clock.now());
                let again = choosing(&state, &p, shown, week).await?;
                return render_status(StatusCode::CONFLICT, &again);
            }
        }
    };
    let slot = picked.as_ref().map(|t| SlotLink {
        label: picked_label(&p, &t.span.start),
        value: form.time.clone(),
    });
    let now = state.clock.now();
    let parsed = ClientDetails::parse(&form.client, p.zone().date_of(&now)).and_then(|d| {
        if d.email.is_some() {
            return Ok(d);
        }
        let mut errors = FieldErrors::new();
        errors.insert(
            "email",
            "Enter your email: it is where the practice answers you.".into(),
        );
        Err(errors)
    });
    let details = match parsed {
        Ok(d) => d,
        Err(errors) => {
            shown.step = Step::Details(slot);
            shown.input = form.client;
            shown.place = form.place;
            shown.errors = errors;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &shown);
        }
    };
    let public_url = state.config.public_url.clone();
    let provider = p.clone();
    let asked = picked.clone();
    let started = std::time::Instant::now();
    let outcome = state
        .db(move |conn| {
            let act = Act { ip: Some(&ip), now };
            let request = SignUpRequest {
                details: &details,
                time: asked.as_ref(),
            };
            Ok(services::booking::sign_up(
                conn,
                &provider,
                request,
                &public_url,
                &ip,
                act,
            )?)
        })
        .await?;
    // A known email and a new one do different work: the answer waits the same either way.
    answer_no_sooner(started).await;
    match outcome {
        SignUp::Received => {
            shown.step = Step::Done(slot.map(|s| s.label));
            render_status(StatusCode::OK, &shown)
        }
        SignUp::RateLimited => {
            shown.step = Step::Details(slot);
            shown.input = form.client;
            shown.place = form.place;
            shown.limited = true;
            render_status(StatusCode::TOO_MANY_REQUESTS, &shown)
        }
        SignUp::TimeTaken => {
            shown.taken = true;
            shown.input = form.client;
            let again = choosing(&state, &p, shown, week_of(&p, &form.time, now)).await?;
            render_status(StatusCode::CONFLICT, &again)
        }
    }
}

/// What a confirmation link's page says.
enum ConfirmState {
    /// Not yet used: the time asked for, and the button.
    Waiting(String),
    Requested(String),
    AlreadyConfirmed,
    TimeTaken(Option<String>),
    Expired(Option<String>),
    Unknown,
}

#[derive(Template)]
#[template(path = "booking/confirm.html")]
struct ConfirmPage {
    page: PageContext,
    token: String,
    /// The practice's name in a sentence ("the practice" when the link names none).
    practice: String,
    brand: String,
    state: ConfirmState,
}

impl ConfirmPage {
    fn new(
        page: PageContext,
        token: String,
        practice: Option<String>,
        state: ConfirmState,
    ) -> Self {
        ConfirmPage {
            page,
            token,
            brand: practice.clone().unwrap_or_else(|| "Caseload".into()),
            practice: practice.unwrap_or_else(|| "the practice".into()),
            state,
        }
    }
}

fn confirm_answer(
    page: PageContext,
    token: String,
    practice: Option<String>,
    done: Confirmation,
) -> Result<HttpResponse, AppError> {
    let (status, state) = match done {
        Confirmation::Requested(time) => (StatusCode::OK, ConfirmState::Requested(time)),
        Confirmation::AlreadyConfirmed => (StatusCode::OK, ConfirmState::AlreadyConfirmed),
        Confirmation::TimeTaken(link) => (StatusCode::CONFLICT, ConfirmState::TimeTaken(link)),
        Confirmation::Expired(link) => (StatusCode::GONE, ConfirmState::Expired(link)),
        Confirmation::Unknown => (StatusCode::NOT_FOUND, ConfirmState::Unknown),
    };
    render_status(status, &ConfirmPage::new(page, token, practice, state))
}

/// The page behind the link emailed to an address already on the list: the request it
/// waits to confirm (a link scanner that opens it confirms nothing).
async fn confirm_page(
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (t, now) = (token.clone(), state.clock.now());
    let found = state
        .db(move |conn| Ok(services::booking::waiting(conn, &t, now)?))
        .await?;
    match found {
        Ok(w) => render_status(
            StatusCode::OK,
            &ConfirmPage::new(page, token, Some(w.practice), ConfirmState::Waiting(w.time)),
        ),
        Err(done) => confirm_answer(page, token, None, done),
    }
}

async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
    ProtectedForm(_): ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let ip = client_ip(&req);
    let (t, now) = (token.clone(), state.clock.now());
    let (practice, done) = state
        .db(move |conn| {
            let practice = services::booking::waiting(conn, &t, now)?
                .ok()
                .map(|w| w.practice);
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok((practice, services::booking::confirm(conn, &t, act)?))
        })
        .await?;
    confirm_answer(page, token, practice, done)
}

/// The week (after the provider's current one) a picked time lies in; this week when it
/// does not read as a time.
fn week_of(provider: &Provider, raw: &str, now: NaiveDateTime) -> i64 {
    let zone = provider.zone();
    let monday = |t: &NaiveDateTime| week_start(zone.date_of(t));
    NaiveDateTime::parse_from_str(raw.trim(), TIME_FORMAT)
        .map(|start| (monday(&start) - monday(&now)).num_weeks())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picked_time_and_place_come_through_with_the_details() {
        let form: BookingInput = serde_html_form::from_bytes(
            b"csrf_token=x&time=2026-12-08T16%3A00&website=&first_name=Nia&place=office",
        )
        .unwrap();
        assert_eq!(form.time, "2026-12-08T16:00");
        assert_eq!(form.place, "office");
        assert_eq!(form.client.first_name, "Nia");
    }
}
