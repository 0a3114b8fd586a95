//! The calendar: the week as a table in the provider's zone (every free half hour adds a
//! session there), adding a session, a session's page (confirm, cancel), a client's Sessions
//! tab, and Settings → Calendar and → Services.

mod calendar_settings;
mod client_sessions;
mod feed;
mod month;
mod new_session;
mod other_entry;
mod requests;
mod services_settings;
mod session_edit;
mod session_page;
mod week;

use actix_web::web;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::domain::client::FieldErrors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/calendar", web::get().to(week::week))
        .route("/calendar/new", web::get().to(new_session::new_session))
        .route(
            "/calendar/sessions",
            web::post().to(new_session::create_session),
        )
        .route("/calendar/other/new", web::get().to(other_entry::new_other))
        .route("/calendar/other", web::post().to(other_entry::create_other))
        .route("/calendar/requests", web::get().to(requests::list_requests))
        .route(
            "/calendar/requests/{id}/accept",
            web::post().to(requests::accept_request),
        )
        .route(
            "/calendar/requests/{id}/decline",
            web::post().to(requests::decline_request),
        )
        .route(
            "/calendar/requests/{id}/decline-and-book",
            web::post().to(new_session::decline_and_book),
        )
        .route(
            "/clients/{id}/sessions",
            web::get().to(client_sessions::client_sessions),
        )
        .route(
            "/calendar/sessions/{id}",
            web::get().to(session_page::show_session),
        )
        .route(
            "/calendar/sessions/{id}/confirm",
            web::post().to(session_page::confirm_session),
        )
        .route(
            "/calendar/sessions/{id}/amend",
            web::post().to(session_page::amend_session),
        )
        .route(
            "/calendar/sessions/{id}/edit",
            web::get().to(session_edit::edit_session),
        )
        .route(
            "/calendar/sessions/{id}/edit",
            web::post().to(session_edit::save_session),
        )
        .route(
            "/calendar/sessions/{id}/close",
            web::post().to(session_page::close_session),
        )
        .route(
            "/settings/calendar",
            web::get().to(calendar_settings::show_calendar_settings),
        )
        .route(
            "/settings/calendar",
            web::post().to(calendar_settings::save_calendar_settings),
        )
        .route(
            "/settings/calendar/feed",
            web::get().to(feed::show_feed_settings),
        )
        .route("/settings/calendar/feed", web::post().to(feed::change_feed))
        .route(
            "/calendar/feed/{token}.ics",
            web::get().to(feed::serve_feed),
        )
        .route(
            "/settings/services",
            web::get().to(services_settings::show_services),
        )
        .route(
            "/settings/services",
            web::post().to(services_settings::add_service),
        );
}

struct ServiceOption {
    id: String,
    label: String,
    minutes: i32,
}

/// The places a session form offers: telehealth, and the office's address if given.
fn places(provider: &crate::models::provider::Provider) -> Vec<String> {
    let mut places = vec![crate::domain::appointment::TELEHEALTH.to_string()];
    places.extend(provider.office_address.clone());
    places
}

impl ServiceOption {
    fn of(s: &crate::models::service::Service) -> Self {
        Self {
            id: s.id.clone(),
            label: s.label(),
            minutes: s.minutes,
        }
    }
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

use crate::web::{clean_text, form_status};

/// A waiting booking request that a refused time overlaps: the form offers to decline it
/// and book.
pub(super) struct WaitingRequest {
    id: String,
    version: i64,
    /// The client who asked, by name.
    client: String,
    /// "Dec 8, 2026 11:00 AM–12:00 PM EST".
    when: String,
}

/// Why a time was refused, in words, one line per overlap; a waiting booking request is
/// named as one (whose, and when), and the first of them is returned to be offered for
/// declining.
fn describe_overlaps(
    conn: &mut crate::db::DbConnection,
    scope: &crate::models::scope::Scope,
    local: crate::web::fmt::Local,
    found: &[crate::models::appointment::Conflict],
) -> diesel::QueryResult<(Vec<String>, Option<WaitingRequest>)> {
    use crate::domain::appointment::Status;
    use crate::models::appointment;
    let mut lines = Vec::with_capacity(found.len());
    let mut waiting = None;
    for f in found {
        let when = local.datetime_span(&f.existing.start, &f.existing.end);
        let request = match f.existing_status {
            Status::Requested => appointment::find(conn, scope, &f.existing_id)?,
            _ => None,
        };
        let Some(request) = request else {
            lines.push(format!("It overlaps another entry on {when}."));
            continue;
        };
        let client = appointment::client_of(conn, &request)?
            .map(|c| c.full_name())
            .unwrap_or_else(|| "a client".to_string());
        lines.push(format!(
            "It overlaps {client}'s booking request for {when}, which waits for your answer: the time is held for them until you decline it."
        ));
        waiting.get_or_insert(WaitingRequest {
            id: request.id.clone(),
            version: request.version,
            client,
            when,
        });
    }
    Ok((lines, waiting))
}

/// A series' (or a series move's) dates that collide, as the form lists them: the
/// wall-clock start, and whose booking request it would overlap when it is one.
fn describe_collisions(
    conn: &mut crate::db::DbConnection,
    scope: &crate::models::scope::Scope,
    local: crate::web::fmt::Local,
    found: &[(NaiveDateTime, crate::models::appointment::Conflict)],
) -> diesel::QueryResult<Vec<String>> {
    let mut out = Vec::with_capacity(found.len());
    for (at, conflict) in found {
        let when = format!("{} {}", at.format("%a %b %-d, %Y"), local.1.time(at));
        let (_, waiting) = describe_overlaps(conn, scope, local, std::slice::from_ref(conflict))?;
        out.push(match waiting {
            Some(w) => format!(
                "{when}: {}'s booking request, waiting for your answer",
                w.client
            ),
            None => when,
        });
    }
    Ok(out)
}
