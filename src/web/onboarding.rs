//! The provider's side of onboarding: send or resend the invitation, review insurance,
//! and enter insurance or a card on the client's behalf.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::portal::{parse_insurance, process_card, CardForm};
use super::session::{self, EmptyForm, ProtectedForm};
use super::{client_ip, see_other, AppState, CurrentProvider};
use crate::db::{write_transaction, DbConnection};
use crate::error::AppError;
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::client;
use crate::models::payment_method;
use crate::models::scope::OwnedClient;
use crate::onboarding;

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

fn record(
    conn: &mut DbConnection,
    client: &OwnedClient,
    action: AuditAction,
    ip: Option<&str>,
) -> Result<(), AppError> {
    audit::record(
        conn,
        AuditEntry {
            provider_id: client.provider_id(),
            client_id: Some(&client.client_id()),
            action,
            subject: None,
            ip,
        },
    )?;
    Ok(())
}

/// Runs `f` on the client (as they are now) inside one write transaction.
async fn with_client<T: Send + 'static>(
    state: &AppState,
    client: OwnedClient,
    f: impl FnOnce(&mut DbConnection, &OwnedClient) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let c = client::reload(conn, &client)?;
                f(conn, &c)
            })
        })
        .await
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
    let me = provider.0.clone();
    let public_url = state.config.public_url.clone();
    let ip = client_ip(req);
    with_client(state, client, move |conn, c| {
        let sent = onboarding::send_invitation(conn, &me, c, &public_url, welcome, ip.as_deref())?;
        Ok(sent.then(|| c.full_name()))
    })
    .await
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
    /// The version of the client's details the form was made from.
    #[serde(default)]
    version: i64,
}

async fn enter_insurance(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    client: OwnedClient,
    ProtectedForm(form): ProtectedForm<InsuranceForm>,
) -> Result<HttpResponse, AppError> {
    let back = format!("/clients/{}/billing", client.id);
    let details = match parse_insurance(
        &form.insurance_company,
        &form.insurance_member_id,
        &form.holder_name,
        &form.date_of_birth,
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
    let saved = with_client(&state, client, move |conn, c| {
        match client::set_insurance(conn, c, &details, version, now) {
            Ok(()) => {}
            Err(client::SaveClientError::Stale { .. }) => return Ok(false),
            Err(client::SaveClientError::Database(e)) => return Err(e.into()),
            Err(_) => return Err(AppError::NotFound),
        }
        record(conn, c, AuditAction::ClientUpdated, ip.as_deref())?;
        Ok(true)
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
    let me = provider.0.clone();
    let public_url = state.config.public_url.clone();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let told = problem.is_some();
    with_client(&state, client, move |conn, c| {
        if c.insurance_added_at.is_none() {
            return Err(AppError::BadRequest(
                "There is no insurance on file to review yet.".into(),
            ));
        }
        if !client::review_insurance(conn, c, problem.as_deref(), now)? {
            return Err(AppError::BadRequest("There is no insurance on file to review any more; the client may have just changed it. Reload the page.".into()));
        }
        match &problem {
            Some(reason) => {
                onboarding::report_insurance_problem(
                    conn,
                    &me,
                    c,
                    reason,
                    &public_url,
                    now,
                    ip.as_deref(),
                )?;
                record(conn, c, AuditAction::InsuranceProblemReported, ip.as_deref())
            }
            None => record(conn, c, AuditAction::InsuranceVerified, ip.as_deref()),
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
    session: Session,
    client: OwnedClient,
    ProtectedForm(form): ProtectedForm<CardForm>,
) -> Result<HttpResponse, AppError> {
    let back = format!("/clients/{}/billing", client.id);
    let card = match process_card(&form) {
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
    with_client(&state, client, move |conn, c| {
        payment_method::add(conn, c, &card, "provider", now)?;
        record(conn, c, AuditAction::PaymentMethodAdded, ip.as_deref())
    })
    .await?;
    session::flash(&session, format!("Saved: {described}."));
    Ok(see_other(&back))
}
