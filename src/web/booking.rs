//! The provider's public booking link: a new client signs themselves up. The page answers
//! the same whether or not the email is already a client's, so it reveals nobody.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::ProtectedForm;
use super::{client_ip, render, AppState, PageContext};
use crate::domain::client::{ClientDetails, ClientInput, FieldErrors};
use crate::domain::us_states::US_STATES;
use crate::error::AppError;
use crate::models::booking;
use crate::services::booking::SignUp;
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/book/{token}", web::get().to(form))
        .route("/book/{token}", web::post().to(submit));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BookingInput {
    #[serde(flatten)]
    client: ClientInput,
    /// A field people never see; anything in it came from a bot.
    website: String,
}

#[derive(Template)]
#[template(path = "booking/form.html")]
struct BookingPage {
    page: PageContext,
    token: String,
    practice: String,
    input: ClientInput,
    errors: FieldErrors,
    states: &'static [(&'static str, &'static str)],
    done: bool,
    limited: bool,
}

impl BookingPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn practice_for(
    state: &AppState,
    token: String,
) -> Result<crate::models::provider::Provider, AppError> {
    state
        .db(move |conn| booking::provider_by_token(conn, &token)?.ok_or(AppError::NotFound))
        .await
}

async fn form(
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let p = practice_for(&state, token.clone()).await?;
    let input = ClientInput {
        billing_type: "insurance".into(),
        ..Default::default()
    };
    render(&BookingPage {
        page,
        token,
        practice: p.practice_display_name(),
        input,
        errors: FieldErrors::new(),
        states: US_STATES,
        done: false,
        limited: false,
    })
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
    ProtectedForm(form): ProtectedForm<BookingInput>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let p = practice_for(&state, token.clone()).await?;
    let practice = p.practice_display_name();
    let ip = client_ip(&req).unwrap_or_default();
    let page_for = |page, input, errors, done, limited| BookingPage {
        page,
        token: token.clone(),
        practice: practice.clone(),
        input,
        errors,
        states: US_STATES,
        done,
        limited,
    };
    // A bot that filled the hidden field sees the usual answer and nothing is made.
    if !form.website.trim().is_empty() {
        return render(&page_for(
            page,
            ClientInput::default(),
            FieldErrors::new(),
            true,
            false,
        ));
    }
    let now = state.clock.now();
    let details = match ClientDetails::parse(&form.client, p.zone().date_of(&now)) {
        Ok(d) => d,
        Err(errors) => return render(&page_for(page, form.client, errors, false, false)),
    };
    let public_url = state.config.public_url.clone();
    let provider = p.clone();
    let limited = state
        .db(move |conn| {
            let act = Act { ip: Some(&ip), now };
            let outcome =
                services::booking::sign_up(conn, &provider, &details, &public_url, &ip, act)?;
            Ok(outcome == SignUp::RateLimited)
        })
        .await?;
    if limited {
        let page = page_for(page, form.client, FieldErrors::new(), false, true);
        return super::render_status(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &page);
    }
    render(&page_for(
        page,
        ClientInput::default(),
        FieldErrors::new(),
        true,
        false,
    ))
}
