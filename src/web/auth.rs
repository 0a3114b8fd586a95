//! Sign up, sign in, sign out.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, EmptyForm, ProtectedForm};
use super::{render, see_other, AppState, PageContext};
use crate::domain::client::FieldErrors;
use crate::domain::email::{self, Email};
use crate::domain::name::PersonName;
use crate::domain::time_zone::{self, Zone};
use crate::error::AppError;
use crate::models::sign_in_session::Who;
use crate::models::{failed_login, provider};
use crate::passwords;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup", web::get().to(signup_form))
        .route("/signup", web::post().to(signup))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignupInput {
    first_name: String,
    last_name: String,
    email: String,
    password: String,
    /// IANA name; the page picks the browser's when it can.
    time_zone: String,
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage {
    page: PageContext,
    open: bool,
    input: SignupInput,
    errors: FieldErrors,
    zones: Vec<&'static str>,
    chosen_zone: String,
}

impl SignupPage {
    fn new(page: PageContext, open: bool, input: SignupInput, errors: FieldErrors) -> Self {
        let chosen_zone = input.time_zone.clone();
        SignupPage {
            page,
            open,
            input,
            errors,
            zones: time_zone::choices(),
            chosen_zone,
        }
    }

    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// Sign-up is open while the server has no provider (the first sets it up), or by setting.
async fn signup_open(state: &AppState) -> Result<bool, AppError> {
    if state.config.open_signup {
        return Ok(true);
    }
    Ok(state.db(|conn| Ok(provider::count(conn)?)).await? == 0)
}

async fn signup_form(
    state: web::Data<AppState>,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let open = signup_open(&state).await?;
    render(&SignupPage::new(
        page,
        open,
        SignupInput::default(),
        FieldErrors::new(),
    ))
}

async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<SignupInput>,
) -> Result<HttpResponse, AppError> {
    if !signup_open(&state).await? {
        return render(&SignupPage::new(
            page,
            false,
            SignupInput::default(),
            FieldErrors::new(),
        ));
    }
    let mut errors = FieldErrors::new();
    let first = PersonName::parse(&input.first_name, "first name")
        .map_err(|e| errors.insert("first_name", e))
        .ok();
    let last = PersonName::parse(&input.last_name, "last name")
        .map_err(|e| errors.insert("last_name", e))
        .ok();
    let email = Email::parse(&input.email)
        .map_err(|e| errors.insert("email", e.to_string()))
        .ok();
    if let Err(e) = passwords::check_strength(&input.password) {
        errors.insert("password", e);
    }
    let zone = Zone::parse(&input.time_zone)
        .map_err(|e| errors.insert("time_zone", e.to_string()))
        .ok();
    let (Some(first_name), Some(last_name), Some(email), Some(time_zone), true) =
        (first, last, email, zone, errors.is_empty())
    else {
        let input = SignupInput {
            password: String::new(),
            ..input
        };
        return render(&SignupPage::new(page, true, input, errors));
    };
    let password = input.password.clone();
    let open_signup = state.config.open_signup;
    let created = state
        .db(move |conn| {
            let password_hash = passwords::hash(&password).map_err(AppError::internal)?;
            match provider::create_through_signup(
                conn,
                provider::NewProvider {
                    first_name,
                    last_name,
                    email,
                    password_hash,
                    time_zone,
                },
                open_signup,
            ) {
                Ok(p) => Ok(Ok(p)),
                Err(provider::CreateProviderError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    match created {
        // Someone else set the server up a moment ago.
        Err(provider::CreateProviderError::SignupClosed) => render(&SignupPage::new(
            page,
            false,
            SignupInput::default(),
            FieldErrors::new(),
        )),
        Ok(p) => {
            session::sign_in(&state, &req, &session, Who::Provider(p.id())).await?;
            session::flash(
                &session,
                "Welcome to Caseload. Your account is ready: add your first client below.",
            );
            Ok(see_other("/clients"))
        }
        Err(_) => {
            errors.insert(
                "email",
                "There is already an account with this email. Sign in instead.".into(),
            );
            let input = SignupInput {
                password: String::new(),
                ..input
            };
            render(&SignupPage::new(page, true, input, errors))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginInput {
    email: String,
    password: String,
    next: String,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: PageContext,
    email: String,
    next: String,
    error: Option<String>,
    signup_open: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    state: web::Data<AppState>,
    page: PageContext,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let signup_open = signup_open(&state).await?;
    render(&LoginPage {
        page,
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
        signup_open,
    })
}

/// Only a local path may follow sign-in, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and line breaks from a Location, so "/\t/x" would become "//x":
        // accept only visible ASCII.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/clients".to_string(),
    }
}

enum LoginOutcome {
    SignedIn(Box<provider::Provider>),
    WrongCredentials,
    Locked(chrono::NaiveDateTime),
}

/// What a pause says: why, and when to try again.
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<LoginInput>,
) -> Result<HttpResponse, AppError> {
    let email_norm = email::normalize(&input.email);
    let password = input.password.clone();
    let ip = super::client_ip(&req);
    let now = state.clock.now();
    let outcome = state
        .db(move |conn| {
            // Counted before the password is checked, in one step with the check.
            let attempt = match failed_login::begin(conn, &email_norm, ip.as_deref(), now)? {
                failed_login::Check::Locked(until) => return Ok(LoginOutcome::Locked(until)),
                failed_login::Check::Allowed(attempt) => attempt,
            };
            let found = provider::find_by_email(conn, &email_norm)?;
            let ok = match &found {
                Some(p) => passwords::verify(&password, &p.password_hash),
                None => {
                    passwords::verify_dummy(&password);
                    false
                }
            };
            match (ok, found) {
                (true, Some(p)) => {
                    failed_login::succeeded(conn, attempt)?;
                    Ok(LoginOutcome::SignedIn(Box::new(p)))
                }
                _ => Ok(LoginOutcome::WrongCredentials),
            }
        })
        .await?;
    let next = safe_next(Some(&input.next));
    let error = match outcome {
        LoginOutcome::SignedIn(p) => {
            session::sign_in(&state, &req, &session, Who::Provider(p.id())).await?;
            return Ok(see_other(&next));
        }
        LoginOutcome::WrongCredentials => {
            "That email and password don't match an account. Check both and try again.".to_string()
        }
        LoginOutcome::Locked(until) => {
            failed_login::locked_message("failed sign-ins", until, Zone::UTC)
        }
    };
    let signup_open = signup_open(&state).await?;
    render(&LoginPage {
        page,
        email: input.email,
        next,
        error: Some(error),
        signup_open,
    })
}

async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    ProtectedForm(_): ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    session::sign_out(&state, &req, &session).await?;
    Ok(see_other("/login"))
}
