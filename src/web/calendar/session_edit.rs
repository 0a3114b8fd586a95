//! Changing a scheduled session: its time, length, service, place or note — for this
//! session, this and the following ones of its series, or the whole series.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session_page::{load_session, which_of};
use super::{clean_text, form_status, parse_minutes, parse_start, ServiceOption};
use crate::domain::appointment::Status;
use crate::domain::client::FieldErrors;
use crate::error::AppError;
use crate::models::service;
use crate::services::calendar::{ChangeError, ChangeRequest, Notify};
use crate::services::{self, Act};
use crate::web::session::{self, ProtectedForm};
use crate::web::{client_ip, render_status, see_other, AppState, CurrentProvider, PageContext};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct EditInput {
    service: String,
    date: String,
    time: String,
    minutes: String,
    location: String,
    note: String,
    /// For a series: "this" (the default), "following" or "all".
    which: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "calendar/edit.html")]
struct EditPage {
    page: PageContext,
    id: String,
    client_name: String,
    input: EditInput,
    services: Vec<ServiceOption>,
    places: Vec<String>,
    in_series: bool,
    errors: FieldErrors,
    /// New times that collide with other entries, by date.
    collisions: Vec<String>,
    refusal: Option<String>,
    zone: String,
}

impl EditPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// Why the form is shown again, if it is.
enum Shown {
    Fresh,
    Invalid(FieldErrors),
    /// New times that collide, by date.
    Collides(Vec<String>),
    Refused(String),
}

async fn edit_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    id: &str,
    input: Option<EditInput>,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let (errors, collisions, refusal) = match shown {
        Shown::Fresh => (FieldErrors::new(), Vec::new(), None),
        Shown::Invalid(e) => (e, Vec::new(), None),
        Shown::Collides(c) => (FieldErrors::new(), c, None),
        Shown::Refused(r) => (FieldErrors::new(), Vec::new(), Some(r)),
    };
    let (a, c, _) = load_session(state, provider, id).await?;
    if a.state() != Status::Scheduled {
        return Ok(see_other(&format!("/calendar/sessions/{id}")));
    }
    let (scope, now) = (provider.scope(), state.clock.now());
    let services = state
        .db(move |conn| Ok(service::offered(conn, &scope, now)?))
        .await?;
    let zone = provider.0.zone();
    let input = input.unwrap_or_else(|| EditInput {
        service: a.service_id.clone().unwrap_or_default(),
        date: zone.local(&a.starts_at).format("%Y-%m-%d").to_string(),
        time: zone.local(&a.starts_at).format("%H:%M").to_string(),
        minutes: (a.ends_at - a.starts_at).num_minutes().to_string(),
        location: a.location.clone().unwrap_or_default(),
        note: a.note.clone().unwrap_or_default(),
        which: "this".into(),
        version: a.version,
    });
    let ok = errors.is_empty() && collisions.is_empty() && refusal.is_none();
    render_status(
        form_status(ok),
        &EditPage {
            page: page.signed_in(provider),
            id: a.id.clone(),
            client_name: c.full_name(),
            input,
            services: services.iter().map(|s| ServiceOption::of(s)).collect(),
            places: super::places(&provider.0),
            in_series: a.series_id.is_some(),
            errors,
            collisions,
            refusal,
            zone: zone.spoken_name(),
        },
    )
}

pub(super) async fn edit_session(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    edit_page(&state, &provider, page, &path, None, Shown::Fresh).await
}

/// Why a change wrote nothing: the new times that collide (in words), or another reason.
enum Refused {
    Collides(Vec<String>),
    Other(ChangeError),
}

pub(super) async fn save_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<EditInput>,
) -> Result<HttpResponse, AppError> {
    let (a, _, _) = load_session(&state, &provider, &path).await?;
    let mut errors = FieldErrors::new();
    let start = parse_start(&input.date, &input.time, &mut errors);
    let minutes = parse_minutes(&input.minutes, 480, &mut errors);
    if minutes.is_none() && !errors.contains_key("minutes") {
        errors.insert("minutes", super::minutes_error(480));
    }
    let (scope, service_id) = (provider.scope(), input.service.trim().to_string());
    let chosen = state
        .db(move |conn| Ok(service::find(conn, &scope, &service_id)?))
        .await?;
    if chosen.is_none() {
        errors.insert("service", "Choose one of your services.".into());
    }
    let (Some(local_start), Some(minutes), Some(chosen), true) =
        (start, minutes, chosen, errors.is_empty())
    else {
        let id = path.into_inner();
        return edit_page(
            &state,
            &provider,
            page,
            &id,
            Some(input),
            Shown::Invalid(errors),
        )
        .await;
    };
    let which = which_of(&input.which, &a);
    let zone = provider.0.zone();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let (location, note) = (
        clean_text(&input.location, 300),
        clean_text(&input.note, 2000),
    );
    let version = input.version;
    let outcome = state
        .db(move |conn| {
            let request = ChangeRequest {
                local_start,
                minutes,
                service: &chosen,
                location: location.as_deref().map(|l| l.trim()),
                note: note.as_deref(),
                which,
                expected_version: version,
            };
            let notify = Notify {
                provider: &me,
                public_url: &public_url,
            };
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let scope = a.scope().clone();
            match services::calendar::change_session(conn, zone, &a, request, notify, act) {
                Ok(n) => Ok(Ok(n)),
                Err(ChangeError::Database(e)) => Err(e.into()),
                Err(ChangeError::Collides(at)) => Ok(Err(Refused::Collides(
                    super::describe_collisions(conn, &scope, crate::web::fmt::Local::of(&me), &at)?,
                ))),
                Err(other) => Ok(Err(Refused::Other(other))),
            }
        })
        .await?;
    let id = path.into_inner();
    match outcome {
        Ok(changed) => {
            let local = crate::web::fmt::Local::of(&provider.0);
            let starts = changed
                .sessions
                .first()
                .map(|p| local.datetime(&p.start))
                .unwrap_or_default();
            let what = match changed.sessions.len() {
                1 => format!("The session was changed: it starts {starts}."),
                n => format!("{n} sessions of the series were changed: this one starts {starts}, the others at the same time on their dates."),
            };
            let what = format!(
                "{what}{}",
                crate::domain::time_zone::shift_notes(zone, &changed.sessions)
            );
            session::flash(
                &session,
                format!("{what} If a time or place changed, the client was emailed about each session still ahead."),
            );
            Ok(see_other(&format!("/calendar/sessions/{id}")))
        }
        Err(Refused::Collides(list)) => {
            edit_page(
                &state,
                &provider,
                page,
                &id,
                Some(input),
                Shown::Collides(list),
            )
            .await
        }
        Err(Refused::Other(other)) => {
            edit_page(
                &state,
                &provider,
                page,
                &id,
                Some(input),
                Shown::Refused(other.to_string()),
            )
            .await
        }
    }
}
