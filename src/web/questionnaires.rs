//! The client's side of measurement-based care: the emailed link opens the questionnaires
//! due together, on one page (a phone shows one question at a time, see `app.js`); answers
//! are saved as they go, every question must be answered to submit, and the completion
//! page gives crisis resources whenever the self-harm question was answered above 0.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::measures::{given_from, QuestionnaireView};
use super::session::ProtectedForm;
use super::{client_ip, form_status, render_status, see_other, AppState, PageContext};
use crate::error::AppError;
use crate::services::measures::answering::{self, Opened, Submitted, Unanswered, Visit};
use crate::services::Act;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/portal/questionnaires/{token}", web::get().to(show))
        .route("/portal/questionnaires/{token}", web::post().to(answer));
}

#[derive(Template)]
#[template(path = "portal/questionnaires.html")]
struct QuestionnairesPage {
    page: PageContext,
    practice: String,
    first_name: String,
    token: String,
    open: Vec<QuestionnaireView>,
    /// Questionnaires of this link already completed.
    done: Vec<String>,
    until: String,
    missing: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/questionnaires_done.html")]
struct DonePage {
    page: PageContext,
    practice: String,
    /// "done" or "expired".
    state: &'static str,
    risk: bool,
}

fn form_page(
    page: PageContext,
    visit: &Visit,
    token: String,
    given: Option<&[(String, String)]>,
    missing: &[Unanswered],
) -> QuestionnairesPage {
    let zone = visit.client.zone(visit.provider.zone());
    let open = visit
        .assessments
        .iter()
        .filter(|a| a.is_open())
        .filter_map(|a| {
            let i = a.instrument()?;
            // What was just sent (a refused submit) over what was saved.
            let (answers, difficulty) = match given {
                Some(fields) => {
                    let g = given_from(fields, &a.id, i.items.len());
                    let saved = a.answers();
                    let merged: Vec<Option<u32>> = g
                        .answers
                        .iter()
                        .enumerate()
                        .map(|(n, x)| x.or(saved.get(n).copied().flatten()))
                        .collect();
                    (merged, g.difficulty)
                }
                None => (a.answers(), None),
            };
            let difficulty = difficulty.or(a.difficulty.and_then(|d| u32::try_from(d).ok()));
            let gaps = missing
                .iter()
                .find(|m| m.instrument == a.instrument)
                .map(|m| m.items.clone())
                .unwrap_or_default();
            Some(QuestionnaireView::of(
                &a.id, &i, &answers, difficulty, &gaps,
            ))
        })
        .collect();
    QuestionnairesPage {
        page,
        practice: visit.provider.practice_display_name(),
        first_name: visit.client.first_name.clone(),
        token,
        open,
        done: visit
            .assessments
            .iter()
            .filter(|a| a.completed_at.is_some())
            .map(|a| a.instrument.clone())
            .collect(),
        until: crate::services::calendar::notices::client_time(zone, &visit.link.expires_at),
        missing: missing
            .iter()
            .map(|m| {
                format!(
                    "{}: {} {} not answered yet",
                    m.instrument,
                    crate::domain::plural::plural(m.items.len(), "question", "questions"),
                    m.items
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect(),
    }
}

fn closed(page: PageContext, opened: Opened) -> Result<HttpResponse, AppError> {
    let (practice, state, risk) = match opened {
        Opened::Done { practice, risk } => (practice, "done", risk),
        Opened::Expired { practice } => (practice, "expired", false),
        Opened::Unknown | Opened::Open(_) => return Err(AppError::NotFound),
    };
    render_status(
        form_status(true),
        &DonePage {
            page,
            practice,
            state,
            risk,
        },
    )
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (ip, now, t) = (client_ip(&req), state.clock.now(), token.clone());
    let opened = state
        .db(move |conn| {
            let opened = answering::open(conn, &t, now)?;
            if let Opened::Open(visit) = &opened {
                answering::viewed(
                    conn,
                    visit,
                    Act {
                        ip: ip.as_deref(),
                        now,
                    },
                )?;
            }
            Ok(opened)
        })
        .await?;
    match opened {
        Opened::Open(visit) => render_status(
            form_status(true),
            &form_page(page, &visit, token, None, &[]),
        ),
        other => closed(page, other),
    }
}

/// What the form's buttons ask: save what is answered so far (the page's script does it
/// after each answer, and expects no page back), or submit.
#[derive(Clone, Copy)]
enum Intent {
    Autosave,
    Save,
    Submit,
}

async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    token: web::Path<String>,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let intent = match fields
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_str())
    {
        Some("autosave") => Intent::Autosave,
        Some("submit") => Intent::Submit,
        _ => Intent::Save,
    };
    let (ip, now, public_url, t) = (
        client_ip(&req),
        state.clock.now(),
        state.config.public_url.clone(),
        token.clone(),
    );
    let sent = fields.clone();
    let (opened, outcome) = state
        .db(move |conn| {
            let opened = answering::open(conn, &t, now)?;
            let Opened::Open(visit) = &opened else {
                return Ok((opened, None));
            };
            let given: Vec<(String, answering::Given)> = visit
                .assessments
                .iter()
                .filter_map(|a| {
                    let n = a.instrument()?.items.len();
                    Some((a.id.clone(), given_from(&sent, &a.id, n)))
                })
                .collect();
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let outcome = match intent {
                Intent::Autosave | Intent::Save => {
                    answering::save(conn, visit, &given)?;
                    None
                }
                Intent::Submit => Some(answering::submit(conn, visit, &given, &public_url, act)?),
            };
            Ok((opened, outcome))
        })
        .await?;
    let Opened::Open(visit) = opened else {
        return match intent {
            // The script learns the page is gone, and the next click shows why.
            Intent::Autosave => Ok(HttpResponse::Gone().finish()),
            _ => closed(page, opened),
        };
    };
    let here = format!("/portal/questionnaires/{token}");
    match (intent, outcome) {
        (Intent::Autosave, _) => Ok(HttpResponse::NoContent().finish()),
        (_, Some(Submitted::Done { .. })) => Ok(see_other(&here)),
        (_, Some(Submitted::Missing(missing))) => render_status(
            form_status(false),
            &form_page(page, &visit, token, Some(&fields), &missing),
        ),
        (_, None) => {
            let mut p = page;
            p.flash = Some(format!(
                "Your answers so far were saved. Come back to this link to finish before {}.",
                crate::services::calendar::notices::client_time(
                    visit.client.zone(visit.provider.zone()),
                    &visit.link.expires_at
                )
            ));
            render_status(
                form_status(true),
                &form_page(p, &visit, token, Some(&fields), &[]),
            )
        }
    }
}
