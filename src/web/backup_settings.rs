//! Settings → Backups: when the last backup was taken (by `caseload backup` or the daily
//! backup), the daily backup switched on or off with how many it keeps, and the recent
//! backups (with why one failed). Where the files go is the server's setting
//! (`CASELOAD_BACKUP_DIR`), shown here and never chosen from a web page: a path typed
//! into a form must not decide where the whole practice's records are written.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::session::{self, ProtectedForm};
use super::{fmt, form_status, render_status, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::document::format_size;
use crate::error::AppError;
use crate::models::backup::{self, Daily, DEFAULT_KEPT, MAX_KEPT};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/backups", web::get().to(show))
        .route("/settings/backups", web::post().to(save));
}

/// One backup as the list shows it.
struct Row {
    when: String,
    how: &'static str,
    /// The machine that wrote it (where the file is, when the folder is not shared).
    host: String,
    file: String,
    size: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/backups.html")]
struct BackupsPage {
    page: PageContext,
    last: Option<Row>,
    rows: Vec<Row>,
    daily_on: bool,
    keep: String,
    dir: String,
    postgres: bool,
    max_kept: u32,
    error: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct DailyInput {
    daily: String,
    keep: String,
}

fn row(b: backup::Backup, local: fmt::Local) -> Row {
    Row {
        when: local.datetime(&b.started_at),
        how: if b.trigger == backup::Trigger::Daily.as_str() {
            "Daily backup"
        } else {
            "caseload backup"
        },
        size: b.size_bytes.map(format_size).unwrap_or_default(),
        host: b.taken_by.split(':').next().unwrap_or_default().to_string(),
        error: b.error,
        file: b.file,
    }
}

async fn page_with(
    state: &AppState,
    page: PageContext,
    provider: &CurrentProvider,
    form: Option<(DailyInput, String)>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    let (daily, last, recent) = state
        .db(|conn| {
            Ok((
                backup::daily(conn)?,
                backup::last_taken(conn)?,
                backup::recent(conn, 10)?,
            ))
        })
        .await?;
    let (daily_on, keep, error) = match form {
        Some((input, error)) => (input.daily == "on", input.keep, Some(error)),
        None => (daily.on, daily.keep.to_string(), None),
    };
    let ok = error.is_none();
    render_status(
        form_status(ok),
        &BackupsPage {
            page: page.signed_in(provider),
            last: last.map(|b| row(b, local)),
            rows: recent.into_iter().map(|b| row(b, local)).collect(),
            daily_on,
            keep,
            dir: state.config.backups_dir().display().to_string(),
            postgres: state.config.database_url.is_postgres(),
            max_kept: MAX_KEPT,
            error,
        },
    )
}

async fn show(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    page_with(&state, page, &provider, None).await
}

async fn save(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<DailyInput>,
) -> Result<HttpResponse, AppError> {
    let keep = match input.keep.trim() {
        "" => Some(DEFAULT_KEPT),
        k => k.parse::<u32>().ok().filter(|n| (1..=MAX_KEPT).contains(n)),
    };
    let Some(keep) = keep else {
        let error =
            format!("Keep a number of daily backups from 1 to {MAX_KEPT} (7 keeps a week).");
        return page_with(&state, page, &provider, Some((input, error))).await;
    };
    let daily = Daily {
        on: input.daily == "on",
        keep,
    };
    let now = state.clock.now();
    state
        .db(move |conn| Ok(backup::set_daily(conn, daily, now)?))
        .await?;
    session::flash(
        &session,
        if daily.on {
            "The daily backup is on. The first one is taken within a few minutes."
        } else {
            "The daily backup is off. Backups already taken are kept."
        },
    );
    Ok(see_other("/settings/backups"))
}
