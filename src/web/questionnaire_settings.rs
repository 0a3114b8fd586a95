//! Settings → Questionnaires: what every client who signs up through the booking link is
//! sent (each questionnaire, and how often), and the PCL-5 score from which "probable
//! PTSD" is shown.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::session::{self, ProtectedForm};
use super::{form_status, render_status, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::instrument::Instrument;
use crate::domain::measure_schedule::{format_defaults, parse_defaults, Frequency, MAX_PER_CLIENT};
use crate::error::AppError;
use crate::models::provider;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/questionnaires", web::get().to(show))
        .route("/settings/questionnaires", web::post().to(save));
}

/// One instrument's row: its code, name, and the frequency picked ("" for not sent).
struct Row {
    code: String,
    purpose: String,
    picked: String,
}

#[derive(Template)]
#[template(path = "settings/questionnaires.html")]
struct SettingsPage {
    page: PageContext,
    rows: Vec<Row>,
    frequencies: Vec<Frequency>,
    pcl5: String,
    error: Option<String>,
}

fn rows(picked: &[(String, Frequency)]) -> Vec<Row> {
    Instrument::all()
        .into_iter()
        .map(|i| Row {
            picked: picked
                .iter()
                .find(|(c, _)| *c == i.code)
                .map(|(_, f)| f.as_str().to_string())
                .unwrap_or_default(),
            code: i.code,
            purpose: i.purpose,
        })
        .collect()
}

async fn show(provider: CurrentProvider, page: PageContext) -> Result<HttpResponse, AppError> {
    let p = &provider.0;
    render_status(
        form_status(true),
        &SettingsPage {
            page: page.signed_in(&provider),
            rows: rows(&parse_defaults(&p.signup_measures)),
            frequencies: Frequency::all().collect(),
            pcl5: p.pcl5_probable_from.to_string(),
            error: None,
        },
    )
}

async fn save(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    // A field per instrument, named by its code: empty means "not sent".
    let picks: Vec<(String, Frequency)> = Instrument::all()
        .into_iter()
        .filter_map(|i| Frequency::parse(&value(&i.code)).map(|f| (i.code, f)))
        .collect();
    let pcl5 = value("pcl5_probable_from");
    let error = match pcl5.parse::<i32>() {
        _ if picks.len() > MAX_PER_CLIENT => Some(format!(
            "A client can have at most {MAX_PER_CLIENT} questionnaires at a time: pick fewer."
        )),
        Ok(n) if (1..=80).contains(&n) => None,
        _ => Some("The PCL-5 cut-off is a score from 1 to 80 (33 is the usual one).".to_string()),
    };
    if let Some(error) = error {
        return render_status(
            form_status(false),
            &SettingsPage {
                page: page.signed_in(&provider),
                rows: rows(&picks),
                frequencies: Frequency::all().collect(),
                pcl5,
                error: Some(error),
            },
        );
    }
    let cut = pcl5.parse::<i32>().unwrap_or(33);
    let scope = provider.scope();
    let stored = format_defaults(&picks);
    state
        .db(move |conn| {
            Ok(provider::set_questionnaire_settings(
                conn, &scope, &stored, cut,
            )?)
        })
        .await?;
    session::flash(&session, "Your questionnaire settings were saved.");
    Ok(see_other("/settings/questionnaires"))
}
