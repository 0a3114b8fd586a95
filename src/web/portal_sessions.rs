//! The client's sessions in their portal: the upcoming ones, each in the client's zone,
//! and cancelling one online while the practice's policy allows it.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::{self, CurrentClient, ProtectedForm};
use super::{client_ip, fmt, see_other, AppState};
use crate::db::ids::ProviderId;
use crate::domain::appointment::{where_to_meet, Status};
use crate::domain::money::dollars;
use crate::error::AppError;
use crate::models::appointment::{self, Appointment};
use crate::models::audit::AuditAction;
use crate::models::provider::{self, Provider};
use crate::services::calendar::{CancelError, Cancellation, Closing, Notify, Which};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/portal/sessions/{id}/cancel", web::post().to(cancel))
        .route(
            "/portal/sessions/{id}.ics",
            web::get().to(download_calendar_file),
        );
}

/// One upcoming session as the client's list shows it.
pub struct UpcomingSession {
    pub id: String,
    pub version: i64,
    pub when: String,
    pub place: Option<String>,
    /// The client may cancel it here (the policy's notice is still ahead).
    pub cancellable: bool,
    /// Why not, when it is too late to cancel online.
    pub too_late: Option<String>,
    /// Asked for through the booking link: the practice has not accepted it yet.
    pub requested: bool,
}

/// The client's sessions still ahead that hold their time, and the times they asked for
/// that wait for the practice's answer, soonest first.
pub fn upcoming(
    sessions: &[Appointment],
    provider: Option<&Provider>,
    local: fmt::Local,
    now: chrono::NaiveDateTime,
) -> Vec<UpcomingSession> {
    let policy = provider
        .map(Provider::cancellation_policy)
        .unwrap_or_default();
    let practice = provider
        .map(Provider::practice_display_name)
        .unwrap_or_default();
    let mut list: Vec<&Appointment> = sessions
        .iter()
        .filter(|a| a.ends_at > now && (a.state().holds_time() || a.state() == Status::Requested))
        .collect();
    list.sort_by_key(|a| a.starts_at);
    list.into_iter()
        .map(|a| {
            let late = !policy.client_may_cancel(now, a.starts_at);
            let fee = provider
                .map(|p| p.cancellation_fee_cents)
                .filter(|f| *f > 0)
                .map(|f| format!(" A late cancellation carries a fee of {}.", dollars(f)))
                .unwrap_or_default();
            UpcomingSession {
                id: a.id.clone(),
                version: a.version,
                when: local.datetime_span(&a.starts_at, &a.ends_at),
                place: where_to_meet(
                    a.location.as_deref(),
                    provider.and_then(|p| p.video_link.as_deref()),
                ),
                cancellable: !late && a.state() == Status::Scheduled,
                requested: a.state() == Status::Requested,
                too_late: (late && a.state() != Status::Requested).then(|| {
                    let notice = policy
                        .notice()
                        .map(|n| format!("less than {} hours ahead", n.num_hours()))
                        .unwrap_or_else(|| "already under way".to_string());
                    format!("It is {notice}: to cancel, contact {practice} directly.{fee}")
                }),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelInput {
    version: i64,
}

/// The client cancels one of their sessions, only while the policy's notice is ahead
/// (checked again inside the transaction); the practice's cancellation email confirms it.
async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentClient(c): CurrentClient,
    path: web::Path<String>,
    ProtectedForm(input): ProtectedForm<CancelInput>,
) -> Result<HttpResponse, AppError> {
    let (ip, now, public_url) = (
        client_ip(&req),
        state.clock.now(),
        state.config.public_url.clone(),
    );
    let id = path.into_inner();
    let outcome = state
        .db(move |conn| {
            let a = appointment::find(conn, c.scope(), &id)?
                .filter(|a| a.client_id.as_deref() == Some(c.id.as_str()))
                .ok_or(AppError::NotFound)?;
            let p = provider::find(conn, &ProviderId(c.provider_id.clone()))?
                .ok_or(AppError::NotFound)?;
            let request = Cancellation {
                how: Closing::ByClient,
                which: Which::This,
                reason: Some("Cancelled by the client in the portal"),
                expected_version: input.version,
                audit_as: AuditAction::PortalAppointmentCancelled,
                refuse_late: true,
            };
            let notify = Notify {
                provider: &p,
                public_url: &public_url,
            };
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            match services::calendar::cancel(conn, &a, request, notify, act) {
                Ok(_) => Ok(Ok(())),
                Err(CancelError::Database(e)) => Err(e.into()),
                Err(CancelError::TooLate) => Ok(Err(format!(
                    "It is too late to cancel this session online. Please contact {} directly.",
                    p.practice_display_name()
                ))),
                Err(other) => Ok(Err(other.to_string())),
            }
        })
        .await?;
    session::flash(
        &session,
        match outcome {
            Ok(()) => "Your session is cancelled. An email confirms it.".to_string(),
            Err(why) => why,
        },
    );
    Ok(see_other("/portal"))
}

/// One of the client's own sessions as a calendar file to add to their calendar; another
/// client's session is 404.
async fn download_calendar_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentClient(c): CurrentClient,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(&req), state.clock.now());
    let id = path.into_inner();
    let (text, date) = state
        .db(move |conn| {
            let a = appointment::find(conn, c.scope(), &id)?
                .filter(|a| a.client_id.as_deref() == Some(c.id.as_str()))
                .filter(|a| a.kind() == crate::domain::appointment::Kind::Session)
                .ok_or(AppError::NotFound)?;
            let p = provider::find(conn, &ProviderId(c.provider_id.clone()))?
                .ok_or(AppError::NotFound)?;
            let service = match &a.service_id {
                Some(s) => crate::models::service::find(conn, c.scope(), s)?,
                None => None,
            };
            let entry = crate::calendar_files::client_session_entry(
                &a,
                service.as_ref().map(|s| s.name.as_str()),
                &p,
            );
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            services::portal::calendar_file_downloaded(conn, &c, &a.id, act)?;
            let zone = p.zone();
            Ok((
                crate::calendar_files::session_file(&entry, &zone, now),
                zone.date_of(&a.starts_at),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_TYPE,
            "text/calendar; charset=utf-8",
        ))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"session-{}.ics\"",
                date.format("%Y-%m-%d")
            ),
        ))
        .body(text))
}
