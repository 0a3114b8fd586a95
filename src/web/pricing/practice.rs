//! Settings → Practice: the identifiers a Good Faith Estimate names — the provider's NPI
//! (checked with its check digit), TIN and billing address.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::good_faith::{parse_npi, parse_tin, tin_display};
use crate::error::AppError;
use crate::models::provider;
use crate::web::session::{self, ProtectedForm};
use crate::web::{form_status, render_status, see_other, AppState, CurrentProvider, PageContext};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct PracticeInput {
    npi: String,
    tin: String,
    billing_address: String,
}

#[derive(Template)]
#[template(path = "settings/practice.html")]
struct PracticePage {
    page: PageContext,
    input: PracticeInput,
    errors: Vec<String>,
}

pub(super) async fn show_practice(
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let p = &provider.0;
    let input = PracticeInput {
        npi: p.npi.clone().unwrap_or_default(),
        tin: p.tin.as_deref().map(tin_display).unwrap_or_default(),
        billing_address: p.billing_address.clone().unwrap_or_default(),
    };
    render_status(
        form_status(true),
        &PracticePage {
            page: page.signed_in(&provider),
            input,
            errors: Vec::new(),
        },
    )
}

pub(super) async fn save_practice(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<PracticeInput>,
) -> Result<HttpResponse, AppError> {
    let mut errors = Vec::new();
    let optional = |raw: &str| (!raw.trim().is_empty()).then(|| raw.trim().to_string());
    let npi = match optional(&input.npi) {
        Some(raw) => parse_npi(&raw)
            .map(Some)
            .map_err(|e| errors.push(format!("NPI: {e}")))
            .ok(),
        None => Some(None),
    };
    let tin = match optional(&input.tin) {
        Some(raw) => parse_tin(&raw)
            .map(Some)
            .map_err(|e| errors.push(format!("TIN: {e}")))
            .ok(),
        None => Some(None),
    };
    let address = crate::web::clean_text(&input.billing_address, 300);
    let (Some(npi), Some(tin), true) = (npi, tin, errors.is_empty()) else {
        return render_status(
            form_status(false),
            &PracticePage {
                page: page.signed_in(&provider),
                input,
                errors,
            },
        );
    };
    let scope = provider.scope();
    state
        .db(move |conn| {
            Ok(provider::set_practice_identifiers(
                conn,
                &scope,
                npi.as_deref(),
                tin.as_deref(),
                address.as_deref(),
            )?)
        })
        .await?;
    session::flash(&session, "Your practice details were saved.");
    Ok(see_other("/settings/practice"))
}
