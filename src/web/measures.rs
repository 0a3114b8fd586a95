//! A client's Measures tab: which questionnaires they are sent and how often (start,
//! pause, resume, stop, change), the ones waiting for an answer, the risk alerts to
//! resolve, each questionnaire's scores as a chart with its bands and as a table, every
//! completed questionnaire with its answers, the CSV download, and giving one in session.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::clients::{audit_view, ClientHeader};
use super::session::{self, ProtectedForm};
use super::{
    client_ip, fmt, form_status, render_status, see_other, AppState, CurrentProvider, PageContext,
};
use crate::domain::instrument::Instrument;
use crate::domain::measure_schedule::{Frequency, MAX_PER_CLIENT};
use crate::domain::score_chart::{self, Chart};
use crate::error::AppError;
use crate::models::assessment::{self, Assessment, EnteredBy};
use crate::models::measure_schedule::Schedule;
use crate::models::scope::OwnedClient;
use crate::services::measures::alerts;
use crate::services::measures::answering::{self, AdministerError, Given};
use crate::services::measures::results::{self, score_words, Series};
use crate::services::measures::schedules::{self, Ask};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients/{id}/measures", web::get().to(tab))
        .route("/clients/{id}/measures", web::post().to(start))
        .route(
            "/clients/{id}/measures/results.csv",
            web::get().to(download_csv),
        )
        .route(
            "/clients/{id}/measures/schedules/{schedule}",
            web::post().to(change),
        )
        .route(
            "/clients/{id}/measures/give/{code}",
            web::get().to(give_form),
        )
        .route("/clients/{id}/measures/give/{code}", web::post().to(give))
        .route(
            "/clients/{id}/measures/answers/{assessment}",
            web::get().to(answers),
        )
        .route(
            "/clients/{id}/measures/alerts/{alert}/resolve",
            web::post().to(resolve),
        );
}

/// A schedule in words, for the Overview tab ("PHQ-9 — every 2 weeks, next Dec 10, 2026").
pub fn schedule_summary(s: &Schedule) -> String {
    format!("{} — {}", s.instrument, schedule_state(s))
}

fn schedule_state(s: &Schedule) -> String {
    if let Some(at) = s.stopped_at {
        return format!("stopped {}", fmt::date(&at.date()));
    }
    let how = s.frequency().label().to_lowercase();
    if s.paused_at.is_some() {
        return format!("{how}, paused");
    }
    if s.is_finished() {
        return "sent once".into();
    }
    match s.next_send_on {
        Some(d) => format!("{how}, next on {}", fmt::date(&d)),
        None => how,
    }
}

struct ScheduleView {
    id: String,
    version: i64,
    code: String,
    state: String,
    frequency: &'static str,
    next_on: String,
    stopped: bool,
    paused: bool,
    finished: bool,
}

struct WaitingView {
    code: String,
    sent: String,
    until: String,
}

struct AlertView {
    id: String,
    raised: String,
    what: String,
    assessment_id: String,
    resolved: Option<(String, String, String)>,
}

struct ScoreRow {
    id: String,
    when: String,
    total: u32,
    result: String,
    subtotals: String,
    by: &'static str,
}

struct SeriesView {
    code: String,
    name: String,
    max: u32,
    chart: Chart,
    rows: Vec<ScoreRow>,
    change: Option<String>,
}

#[derive(Template)]
#[template(path = "clients/measures.html")]
struct MeasuresPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    error: Option<String>,
    archived: bool,
    open_alerts: Vec<AlertView>,
    resolved_alerts: Vec<AlertView>,
    schedules: Vec<ScheduleView>,
    running: usize,
    max: usize,
    startable: Vec<Instrument>,
    frequencies: Vec<Frequency>,
    picked: StartInput,
    waiting: Vec<WaitingView>,
    expired: Vec<WaitingView>,
    series: Vec<SeriesView>,
    instruments: Vec<Instrument>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct StartInput {
    instrument: String,
    frequency: String,
}

async fn tab(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    audit_view(&state, &req, &c, "measures").await?;
    measures_page(&state, &provider, page, c, None, StartInput::default()).await
}

async fn measures_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    c: OwnedClient,
    error: Option<String>,
    picked: StartInput,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    let (p, client) = (provider.0.clone(), c.clone());
    let m = state
        .db(move |conn| Ok(results::load(conn, &p, &client)?))
        .await?;
    let schedules: Vec<ScheduleView> = m
        .schedules
        .iter()
        .map(|s| ScheduleView {
            id: s.id.clone(),
            version: s.version,
            code: s.instrument.clone(),
            state: schedule_state(s),
            frequency: s.frequency().as_str(),
            next_on: s.next_send_on.map(|d| d.to_string()).unwrap_or_default(),
            stopped: s.stopped_at.is_some(),
            paused: s.paused_at.is_some(),
            finished: s.is_finished(),
        })
        .collect();
    let running_codes: Vec<&str> = m
        .schedules
        .iter()
        .filter(|s| s.stopped_at.is_none() && !s.is_finished())
        .map(|s| s.instrument.as_str())
        .collect();
    let startable = Instrument::all()
        .into_iter()
        .filter(|i| !running_codes.contains(&i.code.as_str()))
        .collect();
    let until = |a: &Assessment| {
        a.link_id
            .as_ref()
            .map(|_| {
                local.datetime(
                    &(a.created_at
                        + chrono::Duration::days(crate::domain::measure_schedule::LINK_VALID_DAYS)),
                )
            })
            .unwrap_or_default()
    };
    let waiting = m
        .waiting
        .iter()
        .map(|a| WaitingView {
            code: a.instrument.clone(),
            sent: local.datetime(&a.created_at),
            until: until(a),
        })
        .collect();
    let expired = m
        .expired
        .iter()
        .take(10)
        .map(|a| WaitingView {
            code: a.instrument.clone(),
            sent: local.datetime(&a.created_at),
            until: a.expired_at.map(|t| local.datetime(&t)).unwrap_or_default(),
        })
        .collect();
    let completed: Vec<&results::Completed> =
        m.series.iter().flat_map(|s| s.completed.iter()).collect();
    let alert_view = |a: &crate::models::risk_alert::RiskAlert| {
        let what = completed
            .iter()
            .find(|c| c.assessment.id == a.assessment_id)
            .and_then(|c| {
                let i = c.assessment.instrument()?;
                let item = i.risk_item?;
                let answer = c.assessment.answers().get(item - 1).copied().flatten()?;
                Some(format!(
                    "{} item {item} (thoughts of being better off dead or of hurting themselves) answered \"{}\"; total {} ({})",
                    i.code,
                    i.answers.get(answer as usize).cloned().unwrap_or_default(),
                    c.score.total,
                    c.result()
                ))
            })
            .unwrap_or_else(|| "A questionnaire answer about thoughts of self-harm".into());
        AlertView {
            id: a.id.clone(),
            raised: local.datetime(&a.raised_at),
            what,
            assessment_id: a.assessment_id.clone(),
            resolved: a.resolved_at.map(|t| {
                (
                    local.datetime(&t),
                    a.resolved_by.clone().unwrap_or_default(),
                    a.resolution.clone().unwrap_or_default(),
                )
            }),
        }
    };
    let (open_alerts, resolved_alerts): (Vec<AlertView>, Vec<AlertView>) = m
        .alerts
        .iter()
        .map(alert_view)
        .partition(|a| a.resolved.is_none());
    let series = m
        .series
        .iter()
        .map(|s| series_view(s, local, provider.0.pcl5_probable_from))
        .collect();
    let archived = c.archived_at.is_some();
    render_status(
        form_status(error.is_none()),
        &MeasuresPage {
            page: page.signed_in(provider),
            header: ClientHeader::of(local, &c),
            tab: "measures",
            error,
            archived,
            open_alerts,
            resolved_alerts,
            running: running_codes.len(),
            schedules,
            max: MAX_PER_CLIENT,
            startable,
            frequencies: Frequency::all().collect(),
            picked,
            waiting,
            expired,
            series,
            instruments: Instrument::all(),
        },
    )
}

fn series_view(s: &Series, local: fmt::Local, pcl5_probable_from: i32) -> SeriesView {
    let scores: Vec<(String, u32)> = s
        .completed
        .iter()
        .map(|c| {
            (
                local
                    .0
                    .local(&c.completed_at())
                    .format("%b %-d")
                    .to_string(),
                c.score.total,
            )
        })
        .collect();
    let cut = u32::try_from(pcl5_probable_from).unwrap_or(33);
    let change = s.change_since_first().map(|d| {
        let first = &s.completed[0];
        let word = match d {
            0 => "no change".to_string(),
            d if d < 0 => format!("down {}", -d),
            d => format!("up {d}"),
        };
        format!(
            "{word} since the first score ({} on {})",
            first.score.total,
            local.date(&first.completed_at())
        )
    });
    SeriesView {
        code: s.instrument.code.clone(),
        name: s.instrument.name.clone(),
        max: s.instrument.max_score,
        chart: score_chart::layout(&s.instrument, &scores, cut),
        rows: s
            .completed
            .iter()
            .rev()
            .map(|c| ScoreRow {
                id: c.assessment.id.clone(),
                when: local.datetime(&c.completed_at()),
                total: c.score.total,
                result: c.result(),
                subtotals: c
                    .score
                    .clusters
                    .iter()
                    .map(|(name, n)| format!("{name}: {n}"))
                    .collect::<Vec<_>>()
                    .join(" · "),
                by: match c.assessment.entered_by() {
                    Some(EnteredBy::Provider) => "You, in session",
                    _ => "The client",
                },
            })
            .collect(),
        change,
    }
}

fn act<'a>(ip: &'a Option<String>, now: chrono::NaiveDateTime) -> Act<'a> {
    Act {
        ip: ip.as_deref(),
        now,
    }
}

async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<StartInput>,
) -> Result<HttpResponse, AppError> {
    let Some(frequency) = Frequency::parse(&input.frequency) else {
        return measures_page(
            &state,
            &provider,
            page,
            c,
            Some("Choose how often to send it.".into()),
            input,
        )
        .await;
    };
    if c.archived_at.is_some() {
        return Err(AppError::BadRequest(
            "This client is archived: restore them before sending questionnaires.".into(),
        ));
    }
    let (ip, now, public_url) = (
        client_ip(&req),
        state.clock.now(),
        state.config.public_url.clone(),
    );
    let (p, client, code) = (provider.0.clone(), c.clone(), input.instrument.clone());
    let started = state
        .db(move |conn| {
            let picks = vec![(code, frequency)];
            let r = crate::db::write_transaction(conn, |conn| {
                schedules::start(conn, &p, &client, &picks, &public_url, act(&ip, now))
            });
            Ok(services::refused(r)?)
        })
        .await?;
    match started {
        Ok(()) => {
            let name = Instrument::find(&input.instrument)
                .map(|i| i.code)
                .unwrap_or_default();
            session::flash(
                &session,
                if frequency == Frequency::BeforeEachSession {
                    format!("{name} will be sent the day before each session.")
                } else {
                    format!("{name} was sent to the client. It is in Settings → Outbox until it is delivered.")
                },
            );
            Ok(see_other(&format!("/clients/{}/measures", c.id)))
        }
        Err(message) => measures_page(&state, &provider, page, c, Some(message), input).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeInput {
    /// "pause", "resume", "stop" or "set".
    action: String,
    version: i64,
    frequency: String,
    next_on: String,
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<ChangeInput>,
) -> Result<HttpResponse, AppError> {
    let schedule_id = req.match_info().query("schedule").to_string();
    let ask = match input.action.as_str() {
        "pause" => Ask::Pause,
        "resume" => Ask::Resume,
        "stop" => Ask::Stop,
        "set" => {
            let Some(f) = Frequency::parse(&input.frequency) else {
                return measures_page(&state, &provider, page, c, Some("Choose how often to send it.".into()), StartInput::default()).await;
            };
            let next = match input.next_on.trim() {
                "" => None,
                d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        return measures_page(
                            &state,
                            &provider,
                            page,
                            c,
                            Some("The next send day is not a date: pick one on the calendar (or type it as 2027-01-31).".into()),
                            StartInput::default(),
                        )
                        .await
                    }
                },
            };
            Ask::Set(f, next)
        }
        _ => return Err(AppError::BadRequest("That change is not one Caseload knows. Go back and use the buttons on the Measures tab.".into())),
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (p, client) = (provider.0.clone(), c.clone());
    let version = input.version;
    let outcome = state
        .db(move |conn| {
            let r = crate::db::write_transaction(conn, |conn| {
                schedules::change(conn, &p, &client, &schedule_id, version, ask, act(&ip, now))
            });
            Ok(services::refused(r)?)
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::flash(&session, "The change was saved.");
            Ok(see_other(&format!("/clients/{}/measures", c.id)))
        }
        Err(message) => {
            measures_page(
                &state,
                &provider,
                page,
                c,
                Some(message),
                StartInput::default(),
            )
            .await
        }
    }
}

async fn download_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (p, client) = (provider.0.clone(), c.clone());
    let text = state
        .db(move |conn| {
            Ok(crate::db::write_transaction(conn, |conn| {
                results::csv(conn, &p, &client, act(&ip, now))
            })?)
        })
        .await?;
    // No name in the file's name: downloads folders are not private.
    let name = format!("questionnaires-{}.csv", provider.today(&state.clock));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(text))
}

/// One item of a questionnaire as a form shows it.
pub struct ItemView {
    pub number: usize,
    pub text: String,
    pub answer: Option<u32>,
    pub missing: bool,
}

/// A questionnaire as a form shows it (the portal's and the in-session one).
pub struct QuestionnaireView {
    /// Prefix of its fields' names.
    pub key: String,
    pub code: String,
    pub name: String,
    pub time_frame: String,
    pub answers: Vec<String>,
    pub items: Vec<ItemView>,
    pub difficulty: Option<(String, Vec<String>)>,
    pub difficulty_answer: Option<u32>,
}

impl QuestionnaireView {
    pub fn of(
        key: &str,
        i: &Instrument,
        answers: &[Option<u32>],
        difficulty: Option<u32>,
        missing: &[usize],
    ) -> Self {
        QuestionnaireView {
            key: key.to_string(),
            code: i.code.clone(),
            name: i.name.clone(),
            time_frame: i.time_frame.clone(),
            answers: i.answers.clone(),
            items: i
                .items
                .iter()
                .enumerate()
                .map(|(n, text)| ItemView {
                    number: n + 1,
                    text: text.clone(),
                    answer: answers.get(n).copied().flatten(),
                    missing: missing.contains(&(n + 1)),
                })
                .collect(),
            difficulty: i
                .difficulty
                .as_ref()
                .map(|d| (d.question.clone(), d.answers.clone())),
            difficulty_answer: difficulty,
        }
    }

    /// Whether answer `value` is the one chosen for item `number` (templates ask).
    pub fn chosen(&self, item: &ItemView, value: &usize) -> bool {
        item.answer == u32::try_from(*value).ok()
    }

    pub fn difficulty_chosen(&self, value: &usize) -> bool {
        self.difficulty_answer == u32::try_from(*value).ok()
    }
}

/// Reads a questionnaire's answers from a form's fields: `{key}_{item}` and
/// `{key}_difficulty`, each a number; anything else is ignored.
pub fn given_from(fields: &[(String, String)], key: &str, items: usize) -> Given {
    let mut answers = vec![None; items];
    let mut difficulty = None;
    for (name, value) in fields {
        let Some(rest) = name.strip_prefix(key).and_then(|r| r.strip_prefix('_')) else {
            continue;
        };
        let Ok(v) = value.trim().parse::<u32>() else {
            continue;
        };
        if rest == "difficulty" {
            difficulty = Some(v);
        } else if let Some(slot) = rest
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| answers.get_mut(n))
        {
            *slot = Some(v);
        }
    }
    Given {
        answers,
        difficulty,
    }
}

#[derive(Template)]
#[template(path = "clients/measure_give.html")]
struct GivePage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    q: QuestionnaireView,
    error: Option<String>,
}

async fn give_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner().1;
    let instrument = Instrument::find(&code).ok_or(AppError::NotFound)?;
    audit_view(&state, &req, &c, "measures").await?;
    let local = fmt::Local::of(&provider.0);
    render_status(
        form_status(true),
        &GivePage {
            page: page.signed_in(&provider),
            header: ClientHeader::of(local, &c),
            tab: "measures",
            q: QuestionnaireView::of("q", &instrument, &[], None, &[]),
            error: None,
        },
    )
}

async fn give(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let code = req.match_info().query("code").to_string();
    let instrument = Instrument::find(&code).ok_or(AppError::NotFound)?;
    if c.archived_at.is_some() {
        return Err(AppError::BadRequest(
            "This client is archived: restore them before recording a questionnaire.".into(),
        ));
    }
    let given = given_from(&fields, "q", instrument.items.len());
    let (ip, now, public_url) = (
        client_ip(&req),
        state.clock.now(),
        state.config.public_url.clone(),
    );
    let (p, client, g, code2) = (
        provider.0.clone(),
        c.clone(),
        given.clone(),
        instrument.code.clone(),
    );
    let outcome = state
        .db(move |conn| {
            match answering::administer(conn, &p, &client, &code2, &g, &public_url, act(&ip, now)) {
                Ok(score) => Ok(Ok(score)),
                Err(AdministerError::Database(e)) => Err(e.into()),
                Err(AdministerError::Unknown(_)) => Err(AppError::NotFound),
                Err(AdministerError::Missing(items)) => Ok(Err(items)),
            }
        })
        .await?;
    match outcome {
        Ok(score) => {
            let alert = if score.risk {
                " Item 9 was answered above \"Not at all\": a risk alert was raised (see below)."
            } else {
                ""
            };
            session::flash(
                &session,
                format!(
                    "{} recorded as given in session: {} of {}{}.{alert}",
                    instrument.code,
                    score.total,
                    instrument.max_score,
                    match score_words(&score) {
                        w if w.is_empty() => String::new(),
                        w => format!(", {w}"),
                    }
                ),
            );
            Ok(see_other(&format!("/clients/{}/measures", c.id)))
        }
        Err(missing) => {
            let local = fmt::Local::of(&provider.0);
            let error = AdministerError::Missing(missing.clone()).to_string();
            render_status(
                form_status(false),
                &GivePage {
                    page: page.signed_in(&provider),
                    header: ClientHeader::of(local, &c),
                    tab: "measures",
                    q: QuestionnaireView::of(
                        "q",
                        &instrument,
                        &given.answers,
                        given.difficulty,
                        &missing,
                    ),
                    error: Some(error),
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "clients/measure_answers.html")]
struct AnswersPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    name: String,
    when: String,
    by: &'static str,
    total: u32,
    max: u32,
    result: String,
    subtotals: Vec<(String, u32)>,
    time_frame: String,
    rows: Vec<(usize, String, String, u32, bool)>,
    difficulty: Option<(String, String)>,
}

async fn answers(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner().1;
    let (ip, now, client) = (client_ip(&req), state.clock.now(), c.clone());
    let a = state
        .db(move |conn| {
            let a = assessment::find(conn, &client, &id)?.ok_or(AppError::NotFound)?;
            services::record(
                conn,
                &client,
                crate::models::audit::AuditAction::ClientViewed,
                Some("questionnaire"),
                act(&ip, now),
            )?;
            Ok(a)
        })
        .await?;
    let instrument = a.instrument().ok_or(AppError::NotFound)?;
    let answers: Option<Vec<u32>> = a.answers().into_iter().collect();
    let score = answers
        .as_ref()
        .filter(|_| a.completed_at.is_some())
        .and_then(|x| instrument.score(x, u32::try_from(provider.0.pcl5_probable_from).ok()))
        .ok_or(AppError::NotFound)?;
    let answers = answers.unwrap_or_default();
    let local = fmt::Local::of(&provider.0);
    render_status(
        form_status(true),
        &AnswersPage {
            page: page.signed_in(&provider),
            header: ClientHeader::of(local, &c),
            tab: "measures",
            name: instrument.name.clone(),
            when: a
                .completed_at
                .map(|t| local.datetime(&t))
                .unwrap_or_default(),
            by: match a.entered_by() {
                Some(EnteredBy::Provider) => "Entered by you in session, on the client's behalf",
                _ => "Answered by the client through their link",
            },
            total: score.total,
            max: instrument.max_score,
            result: score_words(&score),
            subtotals: score.clusters.clone(),
            time_frame: instrument.time_frame.clone(),
            rows: instrument
                .items
                .iter()
                .zip(answers.iter())
                .enumerate()
                .map(|(n, (text, a))| {
                    (
                        n + 1,
                        text.clone(),
                        instrument
                            .answers
                            .get(*a as usize)
                            .cloned()
                            .unwrap_or_default(),
                        *a,
                        instrument.risk_item == Some(n + 1) && *a > 0,
                    )
                })
                .collect(),
            difficulty: instrument.difficulty.as_ref().and_then(|d| {
                let chosen = a.difficulty.and_then(|x| usize::try_from(x).ok())?;
                Some((d.question.clone(), d.answers.get(chosen).cloned()?))
            }),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResolveInput {
    note: String,
}

async fn resolve(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<ResolveInput>,
) -> Result<HttpResponse, AppError> {
    let alert_id = req.match_info().query("alert").to_string();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (p, client) = (provider.0.clone(), c.clone());
    let outcome = state
        .db(move |conn| {
            let r = alerts::resolve(conn, &p, &client, &alert_id, &input.note, act(&ip, now));
            Ok(services::refused(r)?)
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::flash(&session, "The alert was resolved, and your note was kept.");
            Ok(see_other(&format!("/clients/{}/measures#alerts", c.id)))
        }
        Err(message) => {
            measures_page(
                &state,
                &provider,
                page,
                c,
                Some(message),
                StartInput::default(),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_their_fields_and_the_rest_ignored() {
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let g = given_from(
            &f(&[
                ("q_1", "2"),
                ("q_3", "0"),
                ("q_9", "x"),
                ("q_10", "1"),
                ("q_0", "1"),
                ("q_difficulty", "1"),
                ("other_2", "3"),
                ("csrf_token", "abc"),
            ]),
            "q",
            9,
        );
        assert_eq!(
            g.answers,
            [Some(2), None, Some(0), None, None, None, None, None, None]
        );
        assert_eq!(g.difficulty, Some(1));
    }
}
