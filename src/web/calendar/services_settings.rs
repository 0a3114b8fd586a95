//! Settings → Services: what the provider offers, with CPT code and usual length.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::*;
use crate::domain::client::FieldErrors;
use crate::error::AppError;
use crate::models::service::{self};
use crate::web::session::{self, ProtectedForm};
use crate::web::{render_status, see_other, AppState, CurrentProvider, PageContext};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ServiceInput {
    name: String,
    cpt_code: String,
    minutes: String,
}

#[derive(Template)]
#[template(path = "settings/services.html")]
struct ServicesPage {
    page: PageContext,
    services: Vec<ServiceOption>,
    input: ServiceInput,
    errors: FieldErrors,
}

impl ServicesPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn services_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    input: ServiceInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (scope, now) = (provider.scope(), state.clock.now());
    let services = state
        .db(move |conn| Ok(service::offered(conn, &scope, now)?))
        .await?;
    let status = form_status(errors.is_empty());
    render_status(
        status,
        &ServicesPage {
            page: page.signed_in(provider),
            services: services
                .into_iter()
                .map(|s| ServiceOption::of(&s))
                .collect(),
            input,
            errors,
        },
    )
}

pub(super) async fn show_services(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    services_page(
        &state,
        &provider,
        page,
        ServiceInput::default(),
        FieldErrors::new(),
    )
    .await
}

pub(super) async fn add_service(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<ServiceInput>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    let name: String = input
        .name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if name.is_empty() {
        errors.insert(
            "name",
            "Give the service a name, for example “Couples session”.".into(),
        );
    }
    let code = crate::domain::billing_codes::parse_cpt(&input.cpt_code)
        .map_err(|e| errors.insert("cpt_code", e))
        .ok();
    let minutes = match input.minutes.trim().parse::<i32>() {
        Ok(m) if (5..=480).contains(&m) => Some(m),
        _ => {
            errors.insert(
                "minutes",
                "Enter the usual length in minutes, from 5 to 480.".into(),
            );
            None
        }
    };
    let (Some(code), Some(minutes), true) = (code, minutes, errors.is_empty()) else {
        return services_page(&state, &provider, page, input, errors).await;
    };
    let (scope, now) = (provider.scope(), state.clock.now());
    let saved_name = name.clone();
    state
        .db(move |conn| {
            Ok(service::add(
                conn,
                &scope,
                &saved_name,
                &code,
                minutes,
                now,
            )?)
        })
        .await?;
    session::flash(&session, format!("“{name}” was added to your services."));
    Ok(see_other("/settings/services"))
}
