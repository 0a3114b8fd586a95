//! Settings → Calendar: working hours per weekday, the cancellation policy, reminders,
//! places, and what the booking link offers.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveTime;

use crate::domain::money::dollars;
use crate::error::AppError;
use crate::web::session::{self, ProtectedForm};
use crate::web::{render, render_status, see_other, AppState, CurrentProvider, PageContext};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

struct DayHours {
    index: usize,
    name: &'static str,
    works: bool,
    starts: String,
    ends: String,
}

#[derive(Template)]
#[template(path = "settings/calendar.html")]
struct CalendarSettingsPage {
    page: PageContext,
    days: Vec<DayHours>,
    rules: RulesInput,
    reminder_choices: &'static [(i32, &'static str)],
    notice_choices: &'static [(i32, &'static str)],
    services: Vec<super::ServiceOption>,
    errors: Vec<String>,
}

/// The calendar rules as the form shows them.
struct RulesInput {
    policy: String,
    fee: String,
    reminder_hours: i32,
    video_link: String,
    office_address: String,
    booking_notice_hours: i32,
    /// The service's id, or empty for the intake.
    booking_service: String,
    /// Email me when a booking request arrives.
    email_booking_requests: bool,
}

const NOTICE_CHOICES: &[(i32, &str)] = &[
    (1, "1 hour"),
    (2, "2 hours"),
    (4, "4 hours"),
    (12, "12 hours"),
    (24, "24 hours"),
    (48, "48 hours"),
    (72, "72 hours"),
];

/// The services the booking link may offer.
async fn service_options(
    state: &AppState,
    provider: &CurrentProvider,
) -> Result<Vec<super::ServiceOption>, AppError> {
    let (scope, now) = (provider.scope(), state.clock.now());
    let offered = state
        .db(move |conn| Ok(crate::models::service::offered(conn, &scope, now)?))
        .await?;
    Ok(offered
        .iter()
        .map(|s| super::ServiceOption::of(s))
        .collect())
}

const REMINDER_CHOICES: &[(i32, &str)] = &[
    (0, "No reminders"),
    (2, "2 hours before"),
    (12, "12 hours before"),
    (24, "24 hours before"),
    (48, "48 hours before"),
    (72, "72 hours before"),
];

pub(super) async fn show_calendar_settings(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let scope = provider.scope();
    let hours = state
        .db(move |conn| Ok(crate::models::working_hours::of(conn, &scope)?))
        .await?;
    let days = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let h = hours.iter().find(|h| h.weekday as usize == i);
            DayHours {
                index: i,
                name,
                works: h.is_some(),
                starts: h
                    .map(|h| h.starts.format("%H:%M").to_string())
                    .unwrap_or_else(|| "09:00".into()),
                ends: h
                    .map(|h| h.ends.format("%H:%M").to_string())
                    .unwrap_or_else(|| "17:00".into()),
            }
        })
        .collect();
    let p = &provider.0;
    let rules = RulesInput {
        policy: p.cancellation_policy().as_str().to_string(),
        fee: if p.cancellation_fee_cents > 0 {
            dollars(p.cancellation_fee_cents)
                .trim_start_matches('$')
                .to_string()
        } else {
            String::new()
        },
        reminder_hours: p.reminder_hours,
        video_link: p.video_link.clone().unwrap_or_default(),
        office_address: p.office_address.clone().unwrap_or_default(),
        booking_notice_hours: p.booking_notice_hours,
        booking_service: p.booking_service_id.clone().unwrap_or_default(),
        email_booking_requests: p.email_booking_requests,
    };
    let services = service_options(&state, &provider).await?;
    render(&CalendarSettingsPage {
        page: page.signed_in(&provider),
        days,
        rules,
        reminder_choices: REMINDER_CHOICES,
        notice_choices: NOTICE_CHOICES,
        services,
        errors: Vec::new(),
    })
}

/// The largest cancellation fee the form takes ($1,000.00).
const MAX_FEE_CENTS: i32 = 100_000;

pub(super) async fn save_calendar_settings(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::session_rules::CancellationPolicy;
    use crate::models::working_hours::{CalendarRules, Hours};
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let mut errors = Vec::new();
    let mut hours = Vec::new();
    let mut shown = Vec::new();
    for (i, name) in WEEKDAYS.iter().enumerate() {
        let works = field(&format!("works_{i}")).is_some();
        let starts = field(&format!("starts_{i}")).unwrap_or_default();
        let ends = field(&format!("ends_{i}")).unwrap_or_default();
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
        if works {
            match (t(&starts), t(&ends)) {
                (Some(s), Some(e)) if e > s => hours.push(Hours {
                    weekday: i as u32,
                    starts: s,
                    ends: e,
                }),
                (Some(_), Some(_)) => {
                    errors.push(format!("{name}: the day must end after it starts."))
                }
                _ => errors.push(format!(
                    "{name}: enter the hours as HH:MM, for example 09:00 and 17:00."
                )),
            }
        }
        shown.push(DayHours {
            index: i,
            name,
            works,
            starts,
            ends,
        });
    }
    let rules = RulesInput {
        policy: field("policy").unwrap_or_default(),
        fee: field("fee").unwrap_or_default(),
        // A form from before reminders were a setting keeps the current choice.
        reminder_hours: match field("reminder_hours") {
            Some(h) => h.parse().unwrap_or(-1),
            None => provider.0.reminder_hours,
        },
        video_link: field("video_link").unwrap_or_default(),
        office_address: field("office_address").unwrap_or_default(),
        // A form from before the booking settings keeps the current ones.
        booking_notice_hours: match field("booking_notice_hours") {
            Some(h) => h.parse().unwrap_or(-1),
            None => provider.0.booking_notice_hours,
        },
        booking_service: field("booking_service")
            .unwrap_or_else(|| provider.0.booking_service_id.clone().unwrap_or_default()),
        // An unticked box sends nothing: the form says it holds the box; one from before
        // the setting keeps the current choice.
        email_booking_requests: match field("email_booking_requests_shown") {
            Some(_) => field("email_booking_requests").as_deref() == Some("yes"),
            None => provider.0.email_booking_requests,
        },
    };
    let policy = CancellationPolicy::parse(&rules.policy);
    if policy.is_none() {
        errors.push("Choose a cancellation policy.".into());
    }
    let fee_cents = match rules.fee.as_str() {
        "" => Some(0),
        typed => crate::domain::money::parse_dollars(typed, MAX_FEE_CENTS)
            .map_err(|e| errors.push(format!("Cancellation fee: {e}")))
            .ok(),
    };
    if fee_cents.is_some_and(|f| f > 0) && policy == Some(CancellationPolicy::None) {
        errors.push("Cancellation fee: a fee needs a policy (24 or 48 hours' notice) that says when it applies. Choose one, or leave the fee empty.".into());
    }
    if !REMINDER_CHOICES
        .iter()
        .any(|(h, _)| *h == rules.reminder_hours)
    {
        errors.push("Choose when reminders go out.".into());
    }
    let video_link = match rules.video_link.as_str() {
        "" => Some(None),
        link => match url::Url::parse(link) {
            Ok(u) if u.scheme() == "https" && link.len() <= 500 => Some(Some(link.to_string())),
            _ => {
                errors.push("Video link: paste the full https:// address of your video room, for example https://zoom.us/j/1234567890.".into());
                None
            }
        },
    };
    if !NOTICE_CHOICES
        .iter()
        .any(|(h, _)| *h == rules.booking_notice_hours)
    {
        errors.push("Booking link: choose how much notice it needs.".into());
    }
    let services = service_options(&state, &provider).await?;
    let booking_service_id = match rules.booking_service.as_str() {
        "" => None,
        id if services.iter().any(|s| s.id == id) => Some(id.to_string()),
        _ => {
            errors.push("Booking link: choose one of your services.".into());
            None
        }
    };
    let office_address: Option<String> = super::clean_text(&rules.office_address, 300);
    let (Some(policy), Some(fee_cents), Some(video_link), true) =
        (policy, fee_cents, video_link, errors.is_empty())
    else {
        return render_status(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            &CalendarSettingsPage {
                page: page.signed_in(&provider),
                days: shown,
                rules,
                reminder_choices: REMINDER_CHOICES,
                notice_choices: NOTICE_CHOICES,
                services,
                errors,
            },
        );
    };
    let saved = CalendarRules {
        policy,
        fee_cents,
        reminder_hours: rules.reminder_hours,
        video_link,
        office_address,
        booking_notice_hours: rules.booking_notice_hours,
        booking_service_id,
        email_booking_requests: rules.email_booking_requests,
    };
    let scope = provider.scope();
    state
        .db(move |conn| {
            Ok(crate::models::working_hours::save(
                conn, &scope, &hours, &saved,
            )?)
        })
        .await?;
    session::flash(&session, "Your calendar settings were saved.");
    Ok(see_other("/settings/calendar"))
}
