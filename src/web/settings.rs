//! Settings: the provider's own account.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, EmptyForm, ProtectedForm};
use super::{fmt, render, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::client::FieldErrors;
use crate::domain::name::{optional_text, PersonName};
use crate::domain::time_zone::{self, HourClock, Zone};
use crate::error::AppError;
use crate::models::outbox::EmailStatus;
use crate::models::practice_form::{self, FormKind, FormSave};
use crate::models::sign_in_session::{self, Who};
use crate::models::{booking, outbox, provider};
use crate::services::account::{PasswordChange, PasswordError};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(show))
        .route("/settings/profile", web::post().to(update_profile))
        .route("/settings/password", web::post().to(change_password))
        .route(
            "/settings/sessions/end-others",
            web::post().to(end_other_sessions),
        )
        .route("/settings/sessions/{id}/end", web::post().to(end_session))
        .route(
            "/settings/booking-link",
            web::post().to(regenerate_booking_link),
        )
        .route("/settings/outbox", web::get().to(outbox_page))
        .route("/settings/forms", web::get().to(forms_page))
        .route("/settings/forms/{kind}", web::post().to(save_form));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProfileInput {
    first_name: String,
    last_name: String,
    practice_name: String,
    time_zone: String,
    /// "12" or "24": the clock the provider's pages write times on.
    clock_hours: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordInput {
    current_password: String,
    new_password: String,
}

#[derive(Template)]
#[template(path = "settings/show.html")]
struct SettingsPage {
    page: PageContext,
    email: String,
    member_since: String,
    profile: ProfileInput,
    errors: FieldErrors,
    booking_link: Option<String>,
    sessions: Vec<SessionRow>,
    idle_minutes: i64,
    zones: Vec<&'static str>,
}

/// One signed-in browser, as Settings lists it.
struct SessionRow {
    id: String,
    browser: String,
    signed_in: String,
    last_active: String,
    address: String,
    current: bool,
}

impl SettingsPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The Settings page, with the booking link and the signed-in browsers.
async fn settings_page(
    state: &AppState,
    session: &Session,
    page: PageContext,
    provider: &CurrentProvider,
    profile: Option<ProfileInput>,
    errors: FieldErrors,
) -> Result<SettingsPage, AppError> {
    let local = fmt::Local::of(&provider.0);
    let p = &provider.0;
    let current = session::current_provider_session_id(session);
    let (scope, now, lifetimes) = (provider.scope(), state.clock.now(), state.lifetimes());
    let rows = state
        .db(move |conn| {
            Ok(sign_in_session::list_for_provider(
                conn, &scope, now, lifetimes,
            )?)
        })
        .await?;
    let sessions = rows
        .into_iter()
        .map(|r| SessionRow {
            current: current.as_deref() == Some(r.id.as_str()),
            browser: crate::domain::user_agent::describe(r.user_agent.as_deref().unwrap_or("")),
            signed_in: local.datetime(&r.created_at),
            last_active: local.datetime(&r.last_seen_at),
            address: r.ip.unwrap_or_else(|| "unknown".into()),
            id: r.id,
        })
        .collect();
    Ok(SettingsPage {
        page: page.signed_in(provider),
        email: p.email.clone(),
        member_since: local.date(&p.created_at),
        zones: time_zone::choices(),
        profile: profile.unwrap_or_else(|| ProfileInput {
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            practice_name: p.practice_name.clone().unwrap_or_default(),
            time_zone: p.zone().name().to_string(),
            clock_hours: p.hour_clock().hours().to_string(),
        }),
        errors,
        booking_link: p
            .booking_token
            .as_ref()
            .map(|t| format!("{}/book/{t}", state.config.public_url)),
        sessions,
        idle_minutes: state.config.session_idle_minutes,
    })
}

async fn show(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    render(&settings_page(&state, &session, page, &provider, None, FieldErrors::new()).await?)
}

/// Ends one of the provider's signed-in sessions (this browser's too: that signs out).
async fn end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    path: web::Path<String>,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let target = path.into_inner();
    let current = session::current_provider_session_id(&session);
    let (scope, ip, now) = (provider.scope(), super::client_ip(&req), state.clock.now());
    let row_id = target.clone();
    let ended = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::account::end_session(conn, &scope, &row_id, act)?)
        })
        .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    if current.as_deref() == Some(target.as_str()) {
        session.purge();
        return Ok(see_other("/login"));
    }
    session::flash(&session, "That browser was signed out.");
    Ok(see_other("/settings#sessions"))
}

/// Ends every session of the provider but this browser's.
async fn end_other_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let current = session::current_provider_session_id(&session);
    let (scope, ip, now) = (provider.scope(), super::client_ip(&req), state.clock.now());
    let ended = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let why = "signed out everywhere else";
            Ok(services::account::end_other_sessions(
                conn,
                &scope,
                current.as_deref(),
                why,
                act,
            )?)
        })
        .await?;
    session::flash(
        &session,
        match ended {
            0 => "No other browser was signed in.".to_string(),
            1 => "The other browser was signed out.".to_string(),
            n => format!("The {n} other browsers were signed out."),
        },
    );
    Ok(see_other("/settings#sessions"))
}

/// Creates the booking link, or replaces it: the old link stops working at once.
async fn regenerate_booking_link(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let had_one = provider.0.booking_token.is_some();
    let scope = provider.scope();
    state
        .db(move |conn| Ok(booking::regenerate(conn, &scope)?))
        .await?;
    session::flash(
        &session,
        if had_one {
            "Your booking link was replaced. The old link no longer works; share the new one."
        } else {
            "Your booking link is ready. Share it on your website or in your email signature."
        },
    );
    Ok(see_other("/settings#booking"))
}

struct OutboxRow {
    to: String,
    subject: String,
    status: String,
    created: String,
    send_after: Option<String>,
    attempts: i32,
    last_error: Option<String>,
    link: Option<String>,
    body: String,
}

#[derive(Template)]
#[template(path = "settings/outbox.html")]
struct OutboxPage {
    page: PageContext,
    smtp: bool,
    rows: Vec<OutboxRow>,
}

async fn outbox_page(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    let scope = provider.scope();
    let emails = state
        .db(move |conn| Ok(outbox::for_provider(conn, &scope, 200)?))
        .await?;
    let now = state.clock.now();
    let rows = emails
        .into_iter()
        .map(|e| OutboxRow {
            status: match e.state() {
                EmailStatus::Sent => format!(
                    "Sent {}",
                    e.sent_at
                        .as_ref()
                        .map(|t| local.datetime(t))
                        .unwrap_or_default()
                ),
                EmailStatus::Failed => "Could not be sent".into(),
                EmailStatus::Cancelled => "Not needed any more".into(),
                _ if e.attempts > 0 => "Trying again".into(),
                _ if e.send_after > now => {
                    format!("Scheduled for {}", local.date(&e.send_after))
                }
                _ if state.jobs.sends_email() => "Sending".into(),
                _ => "Not sent: no email server".into(),
            },
            to: e.to_address,
            subject: e.subject,
            created: local.datetime(&e.created_at),
            send_after: (e.send_after > e.created_at).then(|| local.datetime(&e.send_after)),
            attempts: e.attempts,
            last_error: e.last_error,
            link: e.action_url,
            body: e.body_text,
        })
        .collect();
    render(&OutboxPage {
        page: page.signed_in(&provider),
        smtp: state.jobs.sends_email(),
        rows,
    })
}

struct FormView {
    kind: &'static str,
    title: &'static str,
    version: i32,
    updated: String,
    /// The text in the box: the version on file, or the provider's refused edit.
    body: String,
    /// Set when an edit was refused because this version was saved meanwhile: the text
    /// now on file, shown beside the provider's own (which stays in the box).
    saved_meanwhile: Option<String>,
}

impl FormView {
    fn of(local: fmt::Local, f: practice_form::PracticeForm) -> Option<Self> {
        let kind = f.kind()?;
        Some(FormView {
            kind: kind.as_str(),
            title: kind.title(),
            version: f.version,
            updated: local.datetime(&f.created_at),
            body: f.body,
            saved_meanwhile: None,
        })
    }
}

#[derive(Template)]
#[template(path = "settings/forms.html")]
struct FormsPage {
    page: PageContext,
    forms: Vec<FormView>,
}

async fn forms_page(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let scope = provider.scope();
    let forms = state
        .db(move |conn| Ok(practice_form::current(conn, &scope)?))
        .await?;
    let local = fmt::Local::of(&provider.0);
    let forms = forms
        .into_iter()
        .filter_map(|f| FormView::of(local, f))
        .collect();
    render(&FormsPage {
        page: page.signed_in(&provider),
        forms,
    })
}

#[derive(Deserialize)]
struct FormEdit {
    body: String,
    /// The version the edit was made from.
    #[serde(default)]
    version: i32,
}

async fn save_form(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(edit): ProtectedForm<FormEdit>,
) -> Result<HttpResponse, AppError> {
    let kind = FormKind::parse(&path).ok_or(AppError::NotFound)?;
    let body = edit.body.replace("\r\n", "\n").trim().to_string();
    if body.chars().count() < 20 {
        session::flash(
            &session,
            format!(
                "The {} was not saved: it is too short to be the practice's text.",
                kind.title().to_lowercase()
            ),
        );
        return Ok(see_other("/settings/forms"));
    }
    if body.chars().count() > 50_000 {
        session::flash(
            &session,
            format!(
                "The {} was not saved: it is longer than 50,000 characters.",
                kind.title().to_lowercase()
            ),
        );
        return Ok(see_other("/settings/forms"));
    }
    let scope = provider.scope();
    let yours = body.clone();
    let outcome = state
        .db(move |conn| {
            let saved = practice_form::save(conn, &scope, kind, &body, edit.version)?;
            let forms = match saved {
                FormSave::Saved(_) => Vec::new(),
                FormSave::Stale(_) => practice_form::current(conn, &scope)?,
            };
            Ok((saved, forms))
        })
        .await?;
    let saved = match outcome {
        (FormSave::Saved(f), _) => f,
        (FormSave::Stale(newest), forms) => {
            let local = fmt::Local::of(&provider.0);
            let forms = forms
                .into_iter()
                .filter_map(|f| FormView::of(local, f))
                .map(|mut v| {
                    if v.version == newest.version && v.kind == kind.as_str() {
                        v.saved_meanwhile = Some(std::mem::replace(&mut v.body, yours.clone()));
                    }
                    v
                })
                .collect();
            return render(&FormsPage {
                page: page.signed_in(&provider),
                forms,
            });
        }
    };
    session::flash(
        &session,
        format!(
            "{} saved as version {}. Clients acknowledge this version from now on.",
            kind.title(),
            saved.version
        ),
    );
    Ok(see_other("/settings/forms"))
}

async fn update_profile(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<ProfileInput>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let first = PersonName::parse(&input.first_name, "first name")
        .map_err(|e| errors.insert("first_name", e))
        .ok();
    let last = PersonName::parse(&input.last_name, "last name")
        .map_err(|e| errors.insert("last_name", e))
        .ok();
    let practice = optional_text(&input.practice_name, "practice name", 200)
        .map_err(|e| errors.insert("practice_name", e))
        .ok();
    let zone = Zone::parse(&input.time_zone)
        .map_err(|e| errors.insert("time_zone", e.to_string()))
        .ok();
    let clock = match input.clock_hours.trim() {
        "" => Some(provider.0.hour_clock()),
        "12" => Some(HourClock::Twelve),
        "24" => Some(HourClock::TwentyFour),
        _ => {
            errors.insert(
                "clock_hours",
                "Choose the 12-hour or the 24-hour clock.".into(),
            );
            None
        }
    };
    let (Some(first), Some(last), Some(practice), Some(zone), Some(clock)) =
        (first, last, practice, zone, clock)
    else {
        return render(
            &settings_page(&state, &session, page, &provider, Some(input), errors).await?,
        );
    };
    let id = provider.id();
    state
        .db(move |conn| {
            Ok(provider::update_profile(
                conn,
                &id,
                &first,
                &last,
                practice.as_deref(),
                zone,
                clock,
            )?)
        })
        .await?;
    session::flash(&session, "Your details were saved.");
    Ok(see_other("/settings"))
}

async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<PasswordInput>,
) -> Result<HttpResponse, AppError> {
    let me = provider.0.clone();
    let origin = session::origin(&req);
    let current = session::current_provider_session_id(&session);
    let (now, lifetimes) = (state.clock.now(), state.lifetimes());
    // Hashing takes tens of milliseconds: keep it off the async executor.
    let outcome = state
        .db(move |conn| {
            let act = Act {
                ip: origin.ip.as_deref(),
                now,
            };
            let changed = services::account::change_password(
                conn,
                &me,
                PasswordChange {
                    current: &input.current_password,
                    new: &input.new_password,
                },
                current.as_deref(),
                &origin,
                lifetimes,
                act,
            );
            match changed {
                Ok(token) => Ok(Ok(token)),
                Err(PasswordError::Invalid(errors)) => Ok(Err(errors)),
                Err(PasswordError::Hash(e)) => Err(AppError::internal(e)),
                Err(PasswordError::Database(e)) => Err(e.into()),
            }
        })
        .await?;
    let token = match outcome {
        Ok(token) => token,
        Err(errors) => {
            return render(&settings_page(&state, &session, page, &provider, None, errors).await?)
        }
    };
    session::set_token(&session, &Who::Provider(provider.id()), &token)?;
    session::flash(
        &session,
        "Your password was changed. Any other signed-in browsers were signed out.",
    );
    Ok(see_other("/settings"))
}
