//! Booking requests: the times clients asked for through the booking link, each accepted
//! (it becomes a scheduled session) or declined; the client is emailed either way.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session_page::load_session;
use crate::db::ids::ClientId;
use crate::error::AppError;
use crate::models::{appointment, client, service};
use crate::services::calendar::{AnswerError, Notify};
use crate::services::{self, Act};
use crate::web::session::{self, ProtectedForm};
use crate::web::{client_ip, fmt, render, see_other, AppState, CurrentProvider, PageContext};

struct RequestView {
    id: String,
    version: i64,
    client: String,
    when: String,
    service: String,
    place: String,
    asked: String,
    passed: bool,
}

#[derive(Template)]
#[template(path = "calendar/requests.html")]
struct RequestsPage {
    page: PageContext,
    requests: Vec<RequestView>,
    zone: String,
}

pub(super) async fn list_requests(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let scope = provider.scope();
    let (requests, names, services) = state
        .db(move |conn| {
            let requests = appointment::open_requests(conn, &scope)?;
            let ids: Vec<ClientId> = requests
                .iter()
                .filter_map(|a| a.client_id.clone().map(ClientId))
                .collect();
            let names: std::collections::HashMap<String, String> =
                client::find_many(conn, &scope, &ids)?
                    .into_iter()
                    .map(|c| (c.id.clone(), c.full_name()))
                    .collect();
            Ok((requests, names, service::by_id(conn, &scope)?))
        })
        .await?;
    let zone = provider.0.zone();
    let local = fmt::Local::of(&provider.0);
    let now = state.clock.now();
    let views = requests
        .iter()
        .map(|a| RequestView {
            id: a.id.clone(),
            version: a.version,
            client: a
                .client_id
                .as_ref()
                .and_then(|c| names.get(c).cloned())
                .unwrap_or_default(),
            when: local.datetime_span(&a.starts_at, &a.ends_at),
            service: a
                .service_id
                .as_ref()
                .and_then(|s| services.get(s))
                .map(|s| s.label())
                .unwrap_or_default(),
            place: a.location.clone().unwrap_or_default(),
            asked: local.datetime(&a.created_at),
            passed: a.starts_at <= now,
        })
        .collect();
    render(&RequestsPage {
        page: page.signed_in(&provider),
        requests: views,
        zone: zone.spoken_name(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AnswerInput {
    version: i64,
    /// Why it is declined; the client reads it.
    reason: String,
}

/// How the provider answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Decline,
}

pub(super) async fn accept_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<AnswerInput>,
) -> Result<HttpResponse, AppError> {
    let asked = (path.into_inner(), Answer::Accept);
    answer(req, state, provider, session, asked, input).await
}

pub(super) async fn decline_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<AnswerInput>,
) -> Result<HttpResponse, AppError> {
    let asked = (path.into_inner(), Answer::Decline);
    answer(req, state, provider, session, asked, input).await
}

async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    (id, how): (String, Answer),
    input: AnswerInput,
) -> Result<HttpResponse, AppError> {
    let (request, client, _) = load_session(&state, &provider, &id).await?;
    // The accepted session keeps the request's stored time: the confirmation names it.
    let booked = format!(
        "{}, {}",
        client.full_name(),
        fmt::Local::of(&provider.0).datetime_span(&request.starts_at, &request.ends_at)
    );
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let reason = super::clean_text(&input.reason, 500).map(|r| r.replace('\n', " "));
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
            let done = match how {
                Answer::Accept => {
                    services::calendar::accept(conn, &request, input.version, notify, act)
                }
                Answer::Decline => services::calendar::decline(
                    conn,
                    &request,
                    input.version,
                    reason.as_deref(),
                    notify,
                    act,
                )
                .map(|()| 0),
            };
            match done {
                Ok(declined) => Ok(Ok(declined)),
                Err(AnswerError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    let message = match (how, outcome) {
        (Answer::Accept, Ok(0)) => {
            format!("The request is accepted: {booked} is scheduled, and the client was emailed.")
        }
        (Answer::Accept, Ok(n)) => format!(
            "The request is accepted: {booked} is scheduled, and the client was emailed. {n} other {} for the same time {} declined, and {} emailed.",
            crate::domain::plural::plural(n, "request", "requests"),
            crate::domain::plural::plural(n, "was", "were"),
            crate::domain::plural::plural(n, "that client was", "those clients were"),
        ),
        (Answer::Decline, Ok(_)) => {
            "The request is declined, and the client was emailed the link to choose another time."
                .to_string()
        }
        (_, Err(e)) => e.to_string(),
    };
    session::flash(&session, message);
    Ok(see_other(&format!("/calendar/sessions/{id}")))
}
