//! "Forgot your password?" for providers and for the portal: the page that asks for an
//! email (the same answer whether or not an account uses it), and the page behind the
//! emailed link that sets a new one.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, ProtectedForm};
use super::{client_ip, form_status, render_status, see_other, AppState, PageContext};
use crate::error::AppError;
use crate::models::failed_login;
use crate::models::password_reset::VALID_MINUTES;
use crate::passwords;
use crate::services::password_reset::{self, Asked, LinkState, Side};
use crate::services::Act;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/password/forgot", web::get().to(provider_forgot))
        .route("/password/forgot", web::post().to(provider_ask))
        .route("/password/reset/{token}", web::get().to(provider_link))
        .route("/password/reset/{token}", web::post().to(provider_set))
        .route("/portal/password/forgot", web::get().to(portal_forgot))
        .route("/portal/password/forgot", web::post().to(portal_ask))
        .route("/portal/password/reset/{token}", web::get().to(portal_link))
        .route("/portal/password/reset/{token}", web::post().to(portal_set));
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ProviderForgotPage {
    page: PageContext,
    form: ForgotForm,
}

#[derive(Template)]
#[template(path = "portal/forgot.html")]
struct PortalForgotPage {
    page: PageContext,
    form: ForgotForm,
}

/// What a "forgot" page shows: the form, or the answer.
#[derive(Default)]
struct ForgotForm {
    email: String,
    /// "asked" once the form was sent.
    state: &'static str,
    error: Option<String>,
    minutes: i64,
    /// The server sends email (a provider's page says so when it does not).
    smtp: bool,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ProviderResetPage {
    page: PageContext,
    form: ResetForm,
}

#[derive(Template)]
#[template(path = "portal/reset.html")]
struct PortalResetPage {
    page: PageContext,
    form: ResetForm,
}

struct ResetForm {
    /// "valid", "used", "expired", "unknown".
    state: &'static str,
    error: Option<String>,
    action: String,
    forgot: &'static str,
    min_chars: usize,
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

fn forgot_form(state: &AppState) -> ForgotForm {
    ForgotForm {
        minutes: VALID_MINUTES,
        smtp: state.jobs.sends_email(),
        ..Default::default()
    }
}

async fn ask(
    req: &HttpRequest,
    state: &AppState,
    side: Side,
    typed: String,
) -> Result<ForgotForm, AppError> {
    let mut form = forgot_form(state);
    if side == Side::Provider && !form.smtp {
        // No email server: nothing could be sent, and the page already says what to do.
        return Ok(form);
    }
    if typed.trim().is_empty() {
        form.error = Some("Enter the email address you sign in with.".into());
        return Ok(form);
    }
    let (ip, now, public_url) = (
        client_ip(req),
        state.clock.now(),
        state.config.public_url.clone(),
    );
    let email = typed.clone();
    let started = std::time::Instant::now();
    let asked = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(password_reset::request(
                conn,
                side,
                &email,
                &public_url,
                act,
            )?)
        })
        .await?;
    // A link is made and queued only for an address in use: the answer waits the same.
    super::answer_no_sooner(started).await;
    match asked {
        Asked::Answered => form.state = "asked",
        Asked::Paused(until) => {
            form.error = Some(failed_login::locked_message(
                "requests",
                until,
                crate::domain::time_zone::Zone::UTC,
            ))
        }
    }
    form.email = typed;
    Ok(form)
}

async fn provider_forgot(
    state: web::Data<AppState>,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let form = forgot_form(&state);
    render_status(form_status(true), &ProviderForgotPage { page, form })
}

async fn provider_ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    ProtectedForm(input): ProtectedForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let form = ask(&req, &state, Side::Provider, input.email).await?;
    render_status(
        form_status(form.error.is_none()),
        &ProviderForgotPage { page, form },
    )
}

async fn portal_forgot(
    state: web::Data<AppState>,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let form = forgot_form(&state);
    render_status(form_status(true), &PortalForgotPage { page, form })
}

async fn portal_ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    ProtectedForm(input): ProtectedForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let form = ask(&req, &state, Side::Portal, input.email).await?;
    render_status(
        form_status(form.error.is_none()),
        &PortalForgotPage { page, form },
    )
}

async fn reset_form(
    state: &AppState,
    side: Side,
    token: String,
    error: Option<String>,
) -> Result<ResetForm, AppError> {
    let (now, t) = (state.clock.now(), token.clone());
    let link = state
        .db(move |conn| Ok(password_reset::link_state(conn, side, &t, now)?))
        .await?;
    let (action, forgot) = match side {
        Side::Provider => (format!("/password/reset/{token}"), "/password/forgot"),
        Side::Portal => (
            format!("/portal/password/reset/{token}"),
            "/portal/password/forgot",
        ),
    };
    Ok(ResetForm {
        state: match link {
            LinkState::Valid => "valid",
            LinkState::Used => "used",
            LinkState::Expired => "expired",
            LinkState::Unknown => "unknown",
        },
        error,
        action,
        forgot,
        min_chars: passwords::MIN_PASSWORD_CHARS,
    })
}

fn link_status(form: &ResetForm) -> actix_web::http::StatusCode {
    match form.state {
        "unknown" => actix_web::http::StatusCode::NOT_FOUND,
        _ => form_status(form.error.is_none()),
    }
}

async fn provider_link(
    state: web::Data<AppState>,
    page: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let form = reset_form(&state, Side::Provider, token.into_inner(), None).await?;
    render_status(link_status(&form), &ProviderResetPage { page, form })
}

async fn portal_link(
    state: web::Data<AppState>,
    page: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let form = reset_form(&state, Side::Portal, token.into_inner(), None).await?;
    render_status(link_status(&form), &PortalResetPage { page, form })
}

/// Sets the password; `Err` with the form to show again when it cannot be.
async fn set(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    side: Side,
    token: String,
    input: NewPasswordForm,
) -> Result<Result<HttpResponse, ResetForm>, AppError> {
    let problem = passwords::check_strength(&input.password)
        .err()
        .or_else(|| {
            (input.password != input.password_again).then(|| {
                "The two passwords are not the same. Type the same password twice.".to_string()
            })
        });
    if let Some(error) = problem {
        return Ok(Err(reset_form(state, side, token, Some(error)).await?));
    }
    let (ip, now, t) = (client_ip(req), state.clock.now(), token.clone());
    let done = state
        .db(move |conn| {
            let hash = passwords::hash(&input.password).map_err(AppError::internal)?;
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(password_reset::reset(conn, side, &t, &hash, act)?)
        })
        .await?;
    if !done {
        // Used or expired meanwhile: the page says which.
        return Ok(Err(reset_form(state, side, token, None).await?));
    }
    session::flash(
        session,
        "Your new password is set, and you were signed out everywhere. Sign in with it.",
    );
    Ok(Ok(see_other(match side {
        Side::Provider => "/login",
        Side::Portal => "/portal/login",
    })))
}

async fn provider_set(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    token: web::Path<String>,
    ProtectedForm(input): ProtectedForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    match set(
        &req,
        &state,
        &session,
        Side::Provider,
        token.into_inner(),
        input,
    )
    .await?
    {
        Ok(done) => Ok(done),
        Err(form) => render_status(link_status(&form), &ProviderResetPage { page, form }),
    }
}

async fn portal_set(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    token: web::Path<String>,
    ProtectedForm(input): ProtectedForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    match set(
        &req,
        &state,
        &session,
        Side::Portal,
        token.into_inner(),
        input,
    )
    .await?
    {
        Ok(done) => Ok(done),
        Err(form) => render_status(link_status(&form), &PortalResetPage { page, form }),
    }
}
