//! The provider's side of onboarding: send or resend the invitation, review insurance,
//! and enter insurance or a card on the client's behalf.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::portal::{parse_insurance, process_card, CardForm};
use super::session::{self, EmptyForm, ProtectedForm};
use super::{client_ip, see_other, AppState, CurrentProvider};
use crate::error::AppError;
use crate::models::client::SaveClientError;
use crate::models::scope::OwnedClient;
use crate::services::onboarding::{AddedBy, ReviewError};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients/{id}/invitation", web::post().to(invite))
        .route("/clients/{id}/welcome", web::post().to(welcome))
        .route("/clients/{id}/insurance", web::post().to(enter_insurance))
        .route(
            "/clients/{id}/insurance/review",
            web::post().to(review_insurance),
        )
        .route("/clients/{id}/payment-method", web::post().to(add_card));
}

/// The welcome email for a client brought over from another system: an invitation that
/// says the practice has moved.
async fn welcome(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    client: OwnedClient,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = client.id.clone();
    let name = send_invitation(&req, &state, &provider, client, true).await?;
    session::flash(
        &session,
        match name {
            Some(n) => format!(
                "A welcome email for {n} is in the outbox, with a link to finish setting up."
            ),
            None => {
                "No email was queued: this client has already set up their account (they sign in with their password), or is archived."
                    .to_string()
            }
        },
    );
    Ok(see_other(&format!("/clients/{id}/billing")))
}

async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    client: OwnedClient,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = client.id.clone();
    let name = send_invitation(&req, &state, &provider, client, false).await?;
    session::flash(
        &session,
        match name {
            Some(n) => {
                format!("A new invitation for {n} is in the outbox; earlier links no longer work.")
            }
            None => {
                "No email was queued: this client has already verified their account (they sign in with their password), or is archived."
                    .to_string()
            }
        },
    );
    Ok(see_other(&format!("/clients/{id}")))
}

/// Queues a fresh invitation (worded as a welcome, or not) unless the client has already
/// verified their account; returns their name when one was queued.
async fn send_invitation(
    req: &HttpRequest,
    state: &AppState,
    provider: &CurrentProvider,
    client: OwnedClient,
    welcome: bool,
) -> Result<Option<String>, AppError> {
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let (ip, now) = (client_ip(req), state.clock.now());
    let name = client.full_name();
    let sent = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::onboarding::send_invitation(
                conn,
                &me,
                &client,
                &public_url,
                welcome,
                act,
            )?)
        })
        .await?;
    Ok(sent.then_some(name))
}

#[derive(Deserialize)]
struct InsuranceForm {
    #[serde(default)]
    insurance_company: String,
    #[serde(default)]
    insurance_member_id: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    holder_date_of_birth: String,
    /// The version of the client's details the form was made from.
    #[serde(default)]
    version: i64,
}

async fn enter_insurance(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    client: OwnedClient,
    ProtectedForm(form): ProtectedForm<InsuranceForm>,
) -> Result<HttpResponse, AppError> {
    let back = format!("/clients/{}/billing", client.id);
    let details = match parse_insurance(
        &form.insurance_company,
        &form.insurance_member_id,
        (&form.holder_name, &form.holder_date_of_birth),
        &form.date_of_birth,
        provider.today(&state.clock),
    ) {
        Ok(d) => d,
        Err(errors) => {
            // A notice names what to fix; the tab shows the form again.
            session::flash(
                &session,
                format!(
                    "The insurance was not saved: {}",
                    errors.values().cloned().collect::<Vec<_>>().join(" ")
                ),
            );
            return Ok(see_other(&back));
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let version = form.version;
    let saved = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            match services::onboarding::enter_insurance(conn, &client, &details, version, act) {
                Ok(()) => Ok(true),
                Err(SaveClientError::Stale { .. }) => Ok(false),
                Err(SaveClientError::Database(e)) => Err(e.into()),
                Err(_) => Err(AppError::NotFound),
            }
        })
        .await?;
    session::flash(
        &session,
        if saved {
            "The insurance details were saved. Verify them with the payer, then mark them verified below."
        } else {
            "The insurance was not saved: this client's details changed since you opened the page (the client may have entered them in their portal). Check what is on file below and enter the insurance again if it is still needed."
        },
    );
    Ok(see_other(&back))
}

#[derive(Deserialize)]
struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn review_insurance(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    client: OwnedClient,
    ProtectedForm(form): ProtectedForm<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    let back = format!("/clients/{}/billing", client.id);
    let reason = form
        .reason
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(500)
        .collect::<String>();
    let problem = match form.decision.as_str() {
        "verified" => None,
        "unverified" if !reason.is_empty() => Some(reason),
        "unverified" => {
            session::flash(&session, "Say what is wrong (for example: typo in member ID, plan terminated) so that the client can fix it.");
            return Ok(see_other(&back));
        }
        _ => {
            return Err(AppError::BadRequest(
                "Choose verified or not verified.".into(),
            ))
        }
    };
    let (me, public_url) = (provider.0.clone(), state.config.public_url.clone());
    let (ip, now) = (client_ip(&req), state.clock.now());
    let told = problem.is_some();
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let reviewed = services::onboarding::review_insurance(
                conn,
                &me,
                &client,
                problem.as_deref(),
                &public_url,
                act,
            );
            match reviewed {
                Ok(()) => Ok(()),
                Err(ReviewError::Database(e)) => Err(e.into()),
                Err(refused) => Err(AppError::BadRequest(refused.to_string())),
            }
        })
        .await?;
    session::flash(
        &session,
        if told {
            "Marked not verified. An email asking the client to fix it is in the outbox."
        } else {
            "The insurance is marked verified."
        },
    );
    Ok(see_other(&back))
}

async fn add_card(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    client: OwnedClient,
    ProtectedForm(form): ProtectedForm<CardForm>,
) -> Result<HttpResponse, AppError> {
    let back = format!("/clients/{}/billing", client.id);
    let card = match process_card(&form, provider.today(&state.clock)) {
        Ok(card) => card,
        Err(errors) => {
            session::flash(
                &session,
                format!(
                    "The card was not saved: {}",
                    errors.values().cloned().collect::<Vec<_>>().join(" ")
                ),
            );
            return Ok(see_other(&back));
        }
    };
    let described = card.describe();
    let (ip, now) = (client_ip(&req), state.clock.now());
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::onboarding::add_card(
                conn,
                &client,
                &card,
                AddedBy::Provider,
                act,
            )?)
        })
        .await?;
    session::flash(&session, format!("Saved: {described}."));
    Ok(see_other(&back))
}
