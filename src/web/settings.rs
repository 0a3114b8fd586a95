//! Settings: the provider's own account.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, EmptyForm, ProtectedForm};
use super::{fmt, render, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::client::FieldErrors;
use crate::domain::name::{optional_text, PersonName};
use crate::error::AppError;
use crate::models::practice_form::{self, FormKind, FormSave};
use crate::models::{booking, outbox, provider};
use crate::passwords;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(show))
        .route("/settings/profile", web::post().to(update_profile))
        .route("/settings/password", web::post().to(change_password))
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
}

impl SettingsPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn settings_page(
    page: PageContext,
    provider: &CurrentProvider,
    profile: Option<ProfileInput>,
    errors: FieldErrors,
) -> SettingsPage {
    let p = &provider.0;
    SettingsPage {
        page: page.signed_in(provider),
        email: p.email.clone(),
        member_since: fmt::date(&p.created_at.date()),
        profile: profile.unwrap_or_else(|| ProfileInput {
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            practice_name: p.practice_name.clone().unwrap_or_default(),
        }),
        errors,
        booking_link: None,
    }
}

async fn show(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let mut template = settings_page(page, &provider, None, FieldErrors::new());
    template.booking_link = provider
        .0
        .booking_token
        .as_ref()
        .map(|t| format!("{}/book/{t}", state.config.public_url));
    render(&template)
}

/// Creates the booking link, or replaces it: the old link stops working at once.
async fn regenerate_booking_link(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let had_one = provider.0.booking_token.is_some();
    let id = provider.id();
    state
        .db(move |conn| Ok(booking::regenerate(conn, &id)?))
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
    let id = provider.id();
    let emails = state
        .db(move |conn| Ok(outbox::for_provider(conn, &id, 200)?))
        .await?;
    let now = crate::models::now();
    let rows = emails
        .into_iter()
        .map(|e| OutboxRow {
            status: match e.status.as_str() {
                outbox::SENT => format!(
                    "Sent {}",
                    e.sent_at.as_ref().map(fmt::datetime).unwrap_or_default()
                ),
                outbox::FAILED => "Could not be sent".into(),
                outbox::CANCELLED => "Not needed any more".into(),
                _ if e.attempts > 0 => "Trying again".into(),
                _ if e.send_after > now => {
                    format!("Scheduled for {}", fmt::date(&e.send_after.date()))
                }
                _ if state.config.smtp_url.is_some() => "Sending".into(),
                _ => "Not sent: no email server".into(),
            },
            to: e.to_address,
            subject: e.subject,
            created: fmt::datetime(&e.created_at),
            send_after: (e.send_after > e.created_at).then(|| fmt::datetime(&e.send_after)),
            attempts: e.attempts,
            last_error: e.last_error,
            link: e.action_url,
            body: e.body_text,
        })
        .collect();
    render(&OutboxPage {
        page: page.signed_in(&provider),
        smtp: state.config.smtp_url.is_some(),
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
    fn of(f: practice_form::PracticeForm) -> Option<Self> {
        let kind = f.kind()?;
        Some(FormView {
            kind: kind.as_str(),
            title: kind.title(),
            version: f.version,
            updated: fmt::datetime(&f.created_at),
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
    let id = provider.id();
    let forms = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| Ok(practice_form::current(conn, &id)?))
        })
        .await?;
    let forms = forms.into_iter().filter_map(FormView::of).collect();
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
    let id = provider.id();
    let yours = body.clone();
    let outcome = state
        .db(move |conn| {
            let saved = practice_form::save(conn, &id, kind, &body, edit.version)?;
            let forms = match saved {
                FormSave::Saved(_) => Vec::new(),
                FormSave::Stale(_) => practice_form::current(conn, &id)?,
            };
            Ok((saved, forms))
        })
        .await?;
    let saved = match outcome {
        (FormSave::Saved(f), _) => f,
        (FormSave::Stale(newest), forms) => {
            let forms = forms
                .into_iter()
                .filter_map(FormView::of)
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
    let (Some(first), Some(last), Some(practice)) = (first, last, practice) else {
        return render(&settings_page(page, &provider, Some(input), errors));
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
            )?)
        })
        .await?;
    session::flash(&session, "Your details were saved.");
    Ok(see_other("/settings"))
}

async fn change_password(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<PasswordInput>,
) -> Result<HttpResponse, AppError> {
    let id = provider.id();
    let current_hash = provider.0.password_hash.clone();
    // Hashing takes tens of milliseconds: keep it off the async executor.
    let outcome = state
        .db(move |conn| {
            let mut errors = FieldErrors::new();
            if !passwords::verify(&input.current_password, &current_hash) {
                errors.insert(
                    "current_password",
                    "That is not your current password.".into(),
                );
            }
            if let Err(e) = passwords::check_strength(&input.new_password) {
                errors.insert("new_password", e);
            }
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
            let hash = passwords::hash(&input.new_password).map_err(AppError::internal)?;
            provider::update_password_hash(conn, &id, &hash)?;
            Ok(Ok(hash))
        })
        .await?;
    let new_hash = match outcome {
        Ok(hash) => hash,
        Err(errors) => return render(&settings_page(page, &provider, None, errors)),
    };
    // Other browsers signed in with the old password are signed out; this one stays.
    session::sign_in(&session, &provider.id(), &new_hash)?;
    session::flash(
        &session,
        "Your password was changed. Any other signed-in browsers were signed out.",
    );
    Ok(see_other("/settings"))
}
