//! Good Faith Estimates on the Billing tab (issue one; the printable page) and in the
//! client's portal (read it, download its PDF, acknowledge receiving it).

use actix_session::Session;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::good_faith::{Frequency, Sheet};
use crate::domain::money::dollars;
use crate::error::AppError;
use crate::models::good_faith::{self, GoodFaithEstimate};
use crate::models::scope::OwnedClient;
use crate::services::good_faith::{IssueError, IssueRequest};
use crate::services::{self, Act};
use crate::web::session::{self, CurrentClient, ProtectedForm};
use crate::web::{client_ip, fmt, render, see_other, AppState, CurrentProvider, PageContext};

/// An estimate as the lists show it.
pub struct EstimateRow {
    pub id: String,
    pub document_id: String,
    pub issued: String,
    pub covers: String,
    pub total: String,
    pub acknowledged: Option<String>,
}

impl EstimateRow {
    pub fn of(g: &GoodFaithEstimate, local: fmt::Local) -> Self {
        EstimateRow {
            id: g.id.clone(),
            document_id: g.document_id.clone(),
            issued: local.date(&g.issued_at),
            covers: format!(
                "{} – {}",
                fmt::date(&g.covers_from),
                fmt::date(&g.covers_until)
            ),
            total: dollars(g.total_cents),
            acknowledged: g.acknowledged_at.as_ref().map(|t| local.datetime(t)),
        }
    }
}

/// The Billing tab's Good Faith Estimates section (self-pay clients).
pub struct GoodFaithSection {
    pub estimates: Vec<EstimateRow>,
    /// A session is booked that no estimate covers: when one is due.
    pub warning: Option<String>,
    /// The services the expected sessions may be of: (id, label).
    pub services: Vec<(String, String)>,
}

impl GoodFaithSection {
    pub fn of(
        standing: &services::good_faith::Standing,
        pricing: &services::pricing::Pricing,
        local: fmt::Local,
        now: chrono::NaiveDateTime,
    ) -> Self {
        let zone = local.0;
        let asked = standing.asked.map(|at| {
            let due = crate::domain::good_faith::business_days_after(zone.date_of(&at), 3);
            format!(
                "The client asked for a Good Faith Estimate on {}: it is due by {}.",
                local.date(&at),
                fmt::date(&due)
            )
        });
        let warning = standing.uncovered.map(|(start, booked)| {
            let session = local.datetime(&start);
            let today = zone.date_of(&now);
            match crate::domain::good_faith::due_by(zone.date_of(&booked), zone.date_of(&start)) {
                Some(due) if due < today => format!(
                    "No Good Faith Estimate covers the session on {session}. As a self-pay client, they should have received one by {}: issue it now.",
                    fmt::date(&due)
                ),
                Some(due) => format!(
                    "No Good Faith Estimate covers the session on {session}. As a self-pay client, they must receive one by {}.",
                    fmt::date(&due)
                ),
                None => format!(
                    "No Good Faith Estimate covers the session on {session}. As a self-pay client, they should receive one before it."
                ),
            }
        });
        let warning = match (asked, warning) {
            (Some(a), Some(w)) => Some(format!("{a} {w}")),
            (a, w) => a.or(w),
        };
        GoodFaithSection {
            estimates: standing
                .estimates
                .iter()
                .map(|g| EstimateRow::of(g, local))
                .collect(),
            warning,
            services: pricing
                .services
                .iter()
                .map(|s| (s.service.id.clone(), s.service.label()))
                .collect(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct IssueInput {
    frequency: String,
    months: String,
    service: String,
}

pub(super) async fn issue(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<IssueInput>,
) -> Result<HttpResponse, AppError> {
    let frequency = Frequency::parse(&input.frequency).ok_or_else(|| {
        AppError::BadRequest(
            "Choose how often you expect to meet (or only the sessions scheduled).".into(),
        )
    })?;
    let months = input
        .months
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| AppError::BadRequest("Choose a period of 1 to 12 months.".into()))?;
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (me, public_url, client) = (
        provider.0.clone(),
        state.config.public_url.clone(),
        c.clone(),
    );
    let outcome = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let request = IssueRequest {
                frequency,
                months,
                service_id: &input.service,
            };
            match services::good_faith::issue(conn, &me, &client, request, &public_url, act) {
                Ok(id) => Ok(Ok(id)),
                Err(IssueError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    match outcome {
        Ok(id) => {
            session::flash(
                &session,
                "The Good Faith Estimate is issued: it is in the client's documents and portal, and the client was emailed.",
            );
            Ok(see_other(&format!("/clients/{}/estimates/{id}", c.id)))
        }
        Err(e) => {
            session::flash(&session, format!("No estimate was issued. {e}"));
            Ok(see_other(&format!("/clients/{}/billing#good-faith", c.id)))
        }
    }
}

#[derive(Template)]
#[template(path = "clients/good_faith.html")]
struct EstimatePage {
    page: PageContext,
    client_id: String,
    row: EstimateRow,
    sheet: Sheet,
    lines: Vec<(String, String)>,
    total: String,
    disclaimers: &'static [&'static str],
}

fn sheet_lines(sheet: &Sheet) -> (Vec<(String, String)>, String) {
    let lines = sheet
        .lines
        .iter()
        .map(|l| (l.describe(), dollars(l.total_cents())))
        .collect();
    (lines, dollars(sheet.total_cents()))
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner().1;
    let (ip, now, client) = (client_ip(&req), state.clock.now(), c.clone());
    let g = state
        .db(move |conn| {
            services::clients::view(
                conn,
                &client,
                "good_faith_estimate",
                Act {
                    ip: ip.as_deref(),
                    now,
                },
            )?;
            good_faith::find(conn, &client, &id)?.ok_or(AppError::NotFound)
        })
        .await?;
    let sheet = g.sheet();
    let (lines, total) = sheet_lines(&sheet);
    render(&EstimatePage {
        page: page.signed_in(&provider),
        client_id: c.id.clone(),
        row: EstimateRow::of(&g, fmt::Local::of(&provider.0)),
        sheet,
        lines,
        total,
        disclaimers: &crate::domain::good_faith::DISCLAIMERS,
    })
}

#[derive(Template)]
#[template(path = "portal/good_faith.html")]
struct PortalEstimatePage {
    page: PageContext,
    row: EstimateRow,
    sheet: Sheet,
    lines: Vec<(String, String)>,
    total: String,
    disclaimers: &'static [&'static str],
}

async fn portal_estimate(
    state: &AppState,
    c: &OwnedClient,
    id: String,
) -> Result<crate::models::scope::Owned<GoodFaithEstimate>, AppError> {
    let client = c.clone();
    state
        .db(move |conn| good_faith::find(conn, &client, &id)?.ok_or(AppError::NotFound))
        .await
}

pub(super) async fn portal_show(
    state: web::Data<AppState>,
    page: PageContext,
    CurrentClient(c): CurrentClient,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let g = portal_estimate(&state, &c, path.into_inner()).await?;
    let sheet = g.sheet();
    let (lines, total) = sheet_lines(&sheet);
    let zone = c.zone(crate::domain::time_zone::Zone::UTC);
    render(&PortalEstimatePage {
        page,
        row: EstimateRow::of(&g, fmt::Local::for_client(zone)),
        sheet,
        lines,
        total,
        disclaimers: &crate::domain::good_faith::DISCLAIMERS,
    })
}

pub(super) async fn portal_pdf(
    state: web::Data<AppState>,
    CurrentClient(c): CurrentClient,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let g = portal_estimate(&state, &c, path.into_inner()).await?;
    let client = c.clone();
    let content = state
        .db(move |conn| {
            let doc = crate::models::document::find(
                conn,
                &client,
                &crate::db::ids::DocumentId(g.document_id.clone()),
            )?
            .ok_or(AppError::NotFound)?;
            Ok(crate::models::document::content(conn, &doc)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Inline,
            parameters: vec![DispositionParam::Filename("Good Faith Estimate.pdf".into())],
        })
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(content))
}

pub(super) async fn portal_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentClient(c): CurrentClient,
    ProtectedForm(_): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(&req), state.clock.now());
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::good_faith::request(conn, &c, act)?)
        })
        .await?;
    session::flash(
        &session,
        "Your request was sent: the practice gives you a Good Faith Estimate within 3 business days.",
    );
    Ok(see_other("/portal"))
}

pub(super) async fn portal_acknowledge(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentClient(c): CurrentClient,
    path: web::Path<String>,
    ProtectedForm(_): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let g = portal_estimate(&state, &c, id.clone()).await?;
    let (ip, now, client) = (client_ip(&req), state.clock.now(), c.clone());
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::good_faith::acknowledge(conn, &client, &g, act)?)
        })
        .await?;
    session::flash(
        &session,
        "Thank you: your practice can see that you received the estimate.",
    );
    Ok(see_other(&format!("/portal/estimates/{id}")))
}
