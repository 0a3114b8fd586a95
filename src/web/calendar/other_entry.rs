//! A phone consultation with a prospective client, or an unavailable block.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::*;
use crate::domain::client::FieldErrors;
use crate::error::AppError;
use crate::services::calendar::ScheduleError;
use crate::services::{self, Act};
use crate::web::session::{self, ProtectedForm};
use crate::web::{fmt, render_status, see_other, AppState, CurrentProvider, PageContext};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct OtherInput {
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
    zone: String,
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
            zone: provider.0.zone().spoken_name(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct OtherParams {
    kind: String,
    start: String,
}

pub(super) async fn new_other(
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

pub(super) async fn create_other(
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
    let minutes = parse_minutes(
        &input.minutes,
        crate::domain::appointment::LONGEST_ENTRY_MINUTES,
        &mut errors,
    );
    if minutes.is_none() {
        errors
            .entry("minutes")
            .or_insert_with(|| minutes_error(crate::domain::appointment::LONGEST_ENTRY_MINUTES));
    }
    let (Some(local_start), Some(minutes), true) = (start, minutes, errors.is_empty()) else {
        return other_page(&provider, page, input, errors, Vec::new());
    };
    let zone = provider.0.zone();
    let local = fmt::Local::of(&provider.0);
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
                Ok((a, fit)) => {
                    let placed = crate::domain::time_zone::Placed {
                        asked: local_start,
                        start: a.starts_at,
                        fit,
                    };
                    Ok(Ok(format!(
                        "{}.{}",
                        local.datetime(&a.starts_at),
                        crate::domain::time_zone::shift_notes(zone, &[placed])
                    )))
                }
                Err(ScheduleError::Overlaps(found)) => {
                    Ok(Err(describe_overlaps(conn, &scope, local, &found)?.0))
                }
                Err(ScheduleError::Mismatch) => Err(AppError::NotFound),
                Err(ScheduleError::Database(e)) => Err(e.into()),
            }
        })
        .await?;
    match outcome {
        Ok(when) => {
            session::flash(&session, format!("Added: {} at {when}", kind.label()));
            Ok(see_other(&format!(
                "/calendar?date={}",
                local_start.format("%Y-%m-%d")
            )))
        }
        Err(overlaps) => other_page(&provider, page, input, FieldErrors::new(), overlaps),
    }
}
