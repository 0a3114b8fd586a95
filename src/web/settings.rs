//! Settings: the provider's own account.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, ProtectedForm};
use super::{fmt, render, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::client::FieldErrors;
use crate::domain::name::{optional_text, PersonName};
use crate::error::AppError;
use crate::models::provider;
use crate::passwords;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(show))
        .route("/settings/profile", web::post().to(update_profile))
        .route("/settings/password", web::post().to(change_password));
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
    }
}

async fn show(provider: CurrentProvider, page: PageContext) -> Result<HttpResponse, AppError> {
    render(&settings_page(page, &provider, None, FieldErrors::new()))
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
