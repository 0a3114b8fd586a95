//! The Sessions tab of a client's record.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::error::AppError;
use crate::models::appointment::{self, Appointment};
use crate::models::service::{self};
use crate::web::{fmt, render, AppState, CurrentProvider, PageContext};

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
    header: crate::web::clients::ClientHeader,
    tab: &'static str,
    upcoming: Vec<SessionRow>,
    past: Vec<SessionRow>,
    zone: String,
}

/// The Sessions tab of a client's record: upcoming (soonest first) and past.
pub(super) async fn client_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: crate::models::scope::OwnedClient,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    crate::web::clients::audit_view(&state, &req, &c, "sessions").await?;
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
        when: local.datetime_span(&a.starts_at, &a.ends_at),
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
        header: crate::web::clients::ClientHeader::of(local, &c),
        tab: "sessions",
        upcoming: upcoming.into_iter().map(row).collect(),
        past: past.into_iter().map(row).collect(),
        zone: local.0.spoken_name(),
    })
}
