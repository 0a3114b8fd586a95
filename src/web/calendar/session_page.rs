//! One session: its page, confirming it after it took place (and correcting that for 48
//! hours), cancelling it (or part of its series) or marking a no-show.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::form_status;
use crate::db::ids::ClientId;
use crate::domain::appointment::Status;
use crate::domain::client::FieldErrors;
use crate::domain::money::dollars;
use crate::error::AppError;
use crate::models::appointment::{self, Appointment};
use crate::models::audit::AuditAction;
use crate::models::scope::{Owned, OwnedClient};
use crate::models::service::{self, Service};
use crate::services::calendar::{
    locks_at, CancelError, Cancellation, Closing, ConfirmError, ConfirmRequest, Notify, Which,
};
use crate::services::{self, Act};
use crate::web::session::{self, ProtectedForm};
use crate::web::{
    client_ip, fmt, render_status, see_other, AppState, CurrentProvider, PageContext,
};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ConfirmInput {
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
    /// Open to change, confirm or cancel (scheduled).
    open: bool,
    /// Asked for through the booking link: to accept or decline.
    requested: bool,
    /// It has started: confirming is possible.
    started: bool,
    /// Its place in a series ("3 of 10"), when it is one.
    in_series: Option<String>,
    /// What the client has still to do before a session can be confirmed.
    not_ready: Vec<&'static str>,
    confirmed: Option<String>,
    /// Until when the confirmation may be corrected; `None` once locked.
    correctable_until: Option<String>,
    /// When the confirmation locked, once it has.
    locked_since: Option<String>,
    closed: Option<String>,
    input: ConfirmInput,
    errors: FieldErrors,
    refusal: Option<String>,
    /// The provider's recently used diagnosis codes, offered when confirming.
    recent_codes: Vec<String>,
    /// What a client's late cancellation costs under the policy, when anything.
    late_fee: Option<String>,
    zone: String,
    version: i64,
    /// Questionnaires completed since the client's previous session and before this one:
    /// (what, score and meaning, when, link to the answers).
    questionnaires: Vec<(String, String, String, String)>,
}

impl SessionPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The provider's session named in the path, with its client and service (another
/// provider's id, or an entry with no client, is a 404).
pub(super) async fn load_session(
    state: &AppState,
    provider: &CurrentProvider,
    id: &str,
) -> Result<(Owned<Appointment>, OwnedClient, Option<Owned<Service>>), AppError> {
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
    req: &HttpRequest,
    provider: &CurrentProvider,
    page: PageContext,
    id: &str,
    input: Option<ConfirmInput>,
    errors: FieldErrors,
    refusal: Option<String>,
) -> Result<HttpResponse, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("app state missing"))?;
    let (a, c, s) = load_session(state, provider, id).await?;
    let (scope, client) = (provider.scope(), c.clone());
    let (p, starts_at, ip) = (provider.0.clone(), a.starts_at, client_ip(req));
    let now = state.clock.now();
    let (recent_codes, last_codes, questionnaires) = state
        .db(move |conn| {
            let act = crate::services::Act {
                ip: ip.as_deref(),
                now,
            };
            Ok((
                appointment::recent_diagnoses(conn, &scope, 8)?,
                appointment::last_diagnosis(conn, &client)?,
                crate::services::measures::results::before_session(
                    conn, &p, &client, starts_at, act,
                )?,
            ))
        })
        .await?;
    let zone = provider.0.zone();
    let local = fmt::Local::of(&provider.0);
    let hm = |t: &NaiveDateTime| zone.local(t).format("%Y-%m-%dT%H:%M").to_string();
    let confirmed = a.state() == Status::Confirmed;
    let input = input.unwrap_or_else(|| {
        if confirmed {
            ConfirmInput {
                cpt_code: a.cpt_code.clone().unwrap_or_default(),
                diagnosis: a
                    .diagnosis_codes
                    .clone()
                    .unwrap_or_default()
                    .replace(',', ", "),
                actual_start: a.actual_start.map(|t| hm(&t)).unwrap_or_default(),
                actual_end: a.actual_end.map(|t| hm(&t)).unwrap_or_default(),
                note: a.note.clone().unwrap_or_default(),
                version: a.version,
            }
        } else {
            ConfirmInput {
                cpt_code: s.as_ref().map(|s| s.cpt_code.clone()).unwrap_or_default(),
                // The client's diagnosis rarely changes between sessions.
                diagnosis: last_codes.unwrap_or_default().replace(',', ", "),
                actual_start: hm(&a.starts_at),
                actual_end: hm(&a.ends_at),
                note: a.note.clone().unwrap_or_default(),
                version: a.version,
            }
        }
    });
    let not_ready = crate::domain::onboarding::can_confirm_appointment(&c.onboarding_facts())
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(crate::domain::onboarding::Missing::describe)
        .collect();
    let lock = locks_at(&a);
    let status = form_status(errors.is_empty() && refusal.is_none());
    let policy = provider.0.cancellation_policy();
    render_status(
        status,
        &SessionPage {
            page: page.signed_in(provider),
            id: a.id.clone(),
            client_name: c.full_name(),
            client_href: format!("/clients/{}", c.id),
            when: local.datetime_span(&a.starts_at, &a.ends_at),
            service: s.map(|s| s.label()).unwrap_or_default(),
            location: a.location.clone().unwrap_or_default(),
            note: a.note.clone().unwrap_or_default(),
            status: a.state().label(),
            open: a.state() == Status::Scheduled,
            requested: a.state() == Status::Requested,
            started: now >= a.starts_at,
            in_series: a
                .series_index
                .map(|i| format!("session {} of a series", i + 1)),
            not_ready,
            confirmed: a.confirmed_at.map(|_| {
                format!(
                    "{} · {} · {}",
                    a.cpt_code.clone().unwrap_or_default(),
                    a.diagnosis_codes
                        .clone()
                        .unwrap_or_default()
                        .replace(',', ", "),
                    match (a.actual_start, a.actual_end) {
                        (Some(start), Some(end)) => local.datetime_span(&start, &end),
                        (Some(start), None) => local.datetime(&start),
                        _ => String::new(),
                    }
                )
            }),
            correctable_until: lock
                .filter(|at| confirmed && now < *at)
                .map(|at| local.datetime(&at)),
            locked_since: lock
                .filter(|at| confirmed && now >= *at)
                .map(|at| local.datetime(&at)),
            closed: a.cancelled_by.as_ref().map(|by| {
                let reason = a
                    .cancel_reason
                    .clone()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                let fee = a
                    .fee_cents
                    .map(|f| format!(" — fee {} under your policy", dollars(f)))
                    .unwrap_or_default();
                format!("{} (by the {by}){reason}{fee}", a.state().label())
            }),
            input,
            errors,
            refusal,
            recent_codes,
            late_fee: (policy.notice().is_some() && provider.0.cancellation_fee_cents > 0)
                .then(|| dollars(provider.0.cancellation_fee_cents)),
            zone: zone.spoken_name(),
            version: a.version,
            questionnaires: questionnaires
                .iter()
                .map(|q| {
                    let result = q.result();
                    (
                        q.assessment.instrument.clone(),
                        if result.is_empty() {
                            q.score.total.to_string()
                        } else {
                            format!("{} ({result})", q.score.total)
                        },
                        local.datetime(&q.completed_at()),
                        format!("/clients/{}/measures/answers/{}", c.id, q.assessment.id),
                    )
                })
                .collect(),
        },
    )
}

pub(super) async fn show_session(
    req: HttpRequest,
    provider: CurrentProvider,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    session_page(&req, &provider, page, &path, None, FieldErrors::new(), None).await
}

/// Whether the form confirms a session or corrects a confirmation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Confirming {
    First,
    Correction,
}

/// A confirmation (or a correction of one) as submitted for the session `id`.
struct Submission {
    id: String,
    input: ConfirmInput,
    what: Confirming,
}

async fn confirm_or_amend(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    submission: Submission,
) -> Result<HttpResponse, AppError> {
    let Submission { id, input, what } = submission;
    let id = id.as_str();
    let (a, _, _) = load_session(&state, &provider, id).await?;
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
        return session_page(&req, &provider, page, id, Some(input), errors, None).await;
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
            let note = super::clean_text(&form.note, 2000);
            let request = ConfirmRequest {
                cpt_code: &form.cpt_code,
                diagnosis: &form.diagnosis,
                actual_start: start,
                actual_end: end,
                note: note.as_deref(),
                expected_version: form.version,
            };
            let done = match what {
                Confirming::First => {
                    services::calendar::confirm_session(conn, zone, &a, request, act)
                }
                Confirming::Correction => {
                    services::calendar::amend_confirmation(conn, zone, &a, request, act)
                }
            };
            match done {
                Ok(()) => Ok(Ok(())),
                Err(ConfirmError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    let refusal = match outcome {
        Ok(()) => {
            session::flash(
                &session,
                match what {
                    Confirming::First => "The session is confirmed. You can correct it for 48 hours; then it is locked.",
                    Confirming::Correction => "The confirmation was corrected.",
                },
            );
            return Ok(see_other(&format!("/calendar/sessions/{id}")));
        }
        Err(ConfirmError::Invalid(errors)) => {
            return session_page(&req, &provider, page, id, Some(input), errors, None).await
        }
        Err(ConfirmError::NotReady(missing)) => format!(
            "This session cannot be confirmed yet. {}",
            missing.join(" ")
        ),
        Err(other) => other.to_string(),
    };
    session_page(
        &req,
        &provider,
        page,
        id,
        Some(input),
        FieldErrors::new(),
        Some(refusal),
    )
    .await
}

pub(super) async fn confirm_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<ConfirmInput>,
) -> Result<HttpResponse, AppError> {
    let submission = Submission {
        id: path.into_inner(),
        input,
        what: Confirming::First,
    };
    confirm_or_amend(req, state, provider, page, session, submission).await
}

pub(super) async fn amend_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<ConfirmInput>,
) -> Result<HttpResponse, AppError> {
    let submission = Submission {
        id: path.into_inner(),
        input,
        what: Confirming::Correction,
    };
    confirm_or_amend(req, state, provider, page, session, submission).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CloseInput {
    how: String,
    reason: String,
    version: i64,
    /// For a series: "this" (the default), "following" or "all".
    which: String,
}

/// "this", "following" or "all" as asked on a session of a series (one alone has only
/// itself).
pub(super) fn which_of(raw: &str, a: &Appointment) -> Which {
    match raw {
        "following" if a.series_id.is_some() => Which::ThisAndFollowing,
        "all" if a.series_id.is_some() => Which::WholeSeries,
        _ => Which::This,
    }
}

pub(super) async fn close_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<CloseInput>,
) -> Result<HttpResponse, AppError> {
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
    let which = which_of(&input.which, &a);
    let (ip, now) = (client_ip(&req), state.clock.now());
    let a_start = a.starts_at;
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let reason = super::clean_text(&input.reason, 500).map(|r| r.replace('\n', " "));
    let closed = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let notify = Notify {
                provider: &me,
                public_url: &public_url,
            };
            let request = Cancellation {
                how,
                which,
                reason: reason.as_deref(),
                expected_version: input.version,
                audit_as: AuditAction::AppointmentClosed,
                refuse_late: false,
            };
            match services::calendar::cancel(conn, &a, request, notify, act) {
                Ok(done) => Ok(Ok(done)),
                Err(CancelError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    let message = match closed {
        Ok(done) if done.count > 1 => format!(
            "{} sessions of the series were cancelled. The client was emailed about those still ahead.",
            done.count
        ),
        Ok(done) => {
            let fee = done
                .fee_cents
                .map(|f| format!(" The fee under your policy: {}.", dollars(f)))
                .unwrap_or_default();
            let emailed = if how == Closing::NoShow || a_start <= now {
                ""
            } else {
                " The client was emailed."
            };
            format!(
                "The session is marked: {}.{fee}{emailed}",
                done.status.label().to_lowercase()
            )
        }
        Err(e) => e.to_string(),
    };
    session::flash(&session, message);
    Ok(see_other(&format!("/calendar/sessions/{}", path.as_str())))
}
