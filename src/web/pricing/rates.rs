//! Settings → Rates: the private-pay rate per service, and per insurance company the
//! allowed amount per CPT code (typed from the provider's fee schedule). Saved whole.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::money::{dollars, parse_dollars};
use crate::error::AppError;
use crate::models::pricing::{self, RateSheet};
use crate::models::service;
use crate::web::session::{self, ProtectedForm};
use crate::web::{fmt, render_status, see_other, AppState, CurrentProvider, PageContext};

struct ServiceRate {
    id: String,
    label: String,
    rate: String,
}

struct PayerRow {
    name: String,
    /// One per code, in `codes` order: (field name, typed amount, entered on).
    cells: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "settings/rates.html")]
struct RatesPage {
    page: PageContext,
    services: Vec<ServiceRate>,
    codes: Vec<String>,
    payers: Vec<PayerRow>,
    errors: Vec<String>,
}

/// A cell's field name: by the payer's key, so that a payer added meanwhile (a new
/// client's insurance) cannot shift an amount onto another payer.
fn allowed_field(payer_key: &str, code: &str) -> String {
    format!("allowed|{payer_key}|{code}")
}

fn amount_text(cents: Option<i32>) -> String {
    cents
        .map(|c| dollars(c).trim_start_matches('$').to_string())
        .unwrap_or_default()
}

/// The sheet as saved: every service, every payer the provider works with.
async fn rates_page(
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    typed: Option<&[(String, String)]>,
    errors: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let (scope, now) = (provider.scope(), state.clock.now());
    let (offered, payers, amounts) = state
        .db(move |conn| {
            Ok((
                service::offered(conn, &scope, now)?,
                pricing::payers(conn, &scope)?,
                pricing::allowed_amounts(conn, &scope)?,
            ))
        })
        .await?;
    let local = fmt::Local::of(&provider.0);
    let field =
        |name: &str| typed.and_then(|t| t.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()));
    let mut codes: Vec<String> = offered.iter().map(|s| s.cpt_code.clone()).collect();
    codes.dedup();
    let services = offered
        .iter()
        .map(|s| ServiceRate {
            id: s.id.clone(),
            label: s.label(),
            rate: field(&format!("rate_{}", s.id)).unwrap_or_else(|| amount_text(s.rate_cents)),
        })
        .collect();
    let payers = payers
        .into_iter()
        .map(|name| {
            let key = pricing::payer_key(&name);
            let cells = codes
                .iter()
                .map(|code| {
                    let name = allowed_field(&key, code);
                    let saved = amounts.get(&(key.clone(), code.clone()));
                    (
                        name.clone(),
                        field(&name).unwrap_or_else(|| amount_text(saved.map(|a| a.cents))),
                        saved.map(|a| local.date(&a.updated_at)).unwrap_or_default(),
                    )
                })
                .collect();
            PayerRow { name, cells }
        })
        .collect();
    render_status(
        crate::web::form_status(errors.is_empty()),
        &RatesPage {
            page: page.signed_in(provider),
            services,
            codes,
            payers,
            errors,
        },
    )
}

pub(super) async fn show_rates(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    rates_page(&state, &provider, page, None, Vec::new()).await
}

pub(super) async fn save_rates(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (scope, now) = (provider.scope(), state.clock.now());
    let (offered, payers) = state
        .db(move |conn| {
            Ok((
                service::offered(conn, &scope, now)?,
                pricing::payers(conn, &scope)?,
            ))
        })
        .await?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let mut amount = |raw: String, what: &str| match raw.as_str() {
        "" => None,
        typed => match parse_dollars(typed, super::MAX_CENTS) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(format!("{what}: {e}"));
                None
            }
        },
    };
    let service_rates: Vec<(String, Option<i32>)> = offered
        .iter()
        .map(|s| {
            let rate = amount(field(&format!("rate_{}", s.id)), &s.label());
            (s.id.clone(), rate)
        })
        .collect();
    let mut codes: Vec<String> = offered.iter().map(|s| s.cpt_code.clone()).collect();
    codes.dedup();
    let mut allowed = Vec::new();
    for payer in &payers {
        for code in &codes {
            let raw = field(&allowed_field(&pricing::payer_key(payer), code));
            let cents = amount(raw, &format!("{payer}, {code}"));
            allowed.push((payer.clone(), code.clone(), cents));
        }
    }
    if !errors.is_empty() {
        return rates_page(&state, &provider, page, Some(&fields), errors).await;
    }
    let scope = provider.scope();
    let sheet = RateSheet {
        service_rates,
        allowed,
    };
    state
        .db(move |conn| Ok(pricing::save_rates(conn, &scope, &sheet, now)?))
        .await?;
    session::flash(&session, "Your rates were saved.");
    Ok(see_other("/settings/rates"))
}
