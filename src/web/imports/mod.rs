//! Importing clients, from a client list or (through `simplepractice_import`'s upload) a
//! SimplePractice export: the handlers parse the request, call the use case in
//! `services::imports` and render what it decided.
//!
//! - [`upload`]: the upload page, the progress page and the failed page;
//! - [`columns`]: picking the columns (or the sheet) by hand;
//! - [`review`]: the review of the rows, saving it, importing, cancelling;
//! - [`done`]: the confirmation, the welcome emails, Settings → Imports (the history).

mod columns;
mod done;
mod review;
mod upload;

use actix_multipart::form::tempfile::TempFile;
use actix_multipart::form::text::Text;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_web::{web, HttpResponse};

use super::{fmt, render, AppState, CurrentProvider, PageContext};
use crate::error::AppError;
use crate::import::review::Kind;
use crate::models::import_batch::BatchStatus;
use crate::models::scope::OwnedBatch;
use crate::services::imports::upload::too_large;
use crate::services::imports::{ImportFiles, Upload};

/// The routes under `/clients/import` (mounted as a scope with the upload limits).
pub fn configure_batches(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("")
            .route(web::get().to(upload::upload_page))
            .route(web::post().to(upload::upload)),
    )
    .route("/{id}", web::get().to(show))
    .route("/{id}/status", web::get().to(status))
    .route("/{id}/columns", web::post().to(columns::choose_columns))
    .route("/{id}/sheet", web::post().to(columns::choose_sheet))
    .route("/{id}/review", web::post().to(review::save_review))
    .route("/{id}/cancel", web::post().to(review::cancel))
    .route("/{id}/welcome", web::post().to(done::welcome_all))
    .route("/{id}/left-out.csv", web::get().to(done::left_out_csv))
    .route(
        "/{id}/left-out/delete",
        web::post().to(done::forget_left_out),
    );
}

pub fn configure_history(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/imports", web::get().to(done::history));
}

/// Upload limits for client lists.
pub fn upload_limits(max_import_bytes: u64) -> MultipartFormConfig {
    super::multipart_limits(
        max_import_bytes,
        |max| AppError::PayloadTooLarge(too_large(Kind::List, max)),
        "file",
    )
}

/// An upload form: the file and the form token (client lists and exports alike).
#[derive(MultipartForm)]
pub struct ImportUpload {
    pub(super) file: TempFile,
    pub(super) csrf_token: Text<String>,
}

impl ImportUpload {
    /// The file, for the upload use case (which stores it in the database; the temporary
    /// file goes when the upload is dropped).
    pub(super) fn into_upload(self, kind: Kind, max_bytes: u64) -> Upload {
        let file = self.file;
        Upload {
            kind,
            file_name: file.file_name.clone(),
            size: file.size as u64,
            max_bytes,
            file: Box::new(std::io::BufReader::new(file.file)),
        }
    }
}

/// Where uploads wait, who analyses them, and the export limits, from the app's state.
pub(super) fn files(state: &AppState) -> ImportFiles {
    ImportFiles {
        uploads: state.uploads.clone(),
        jobs: state.jobs.clone(),
        export_limits: state.config.export_limits,
        storage_limit: state.config.max_storage_bytes,
    }
}

/// The batch as it is now (after a change this request made).
async fn reload(state: &AppState, batch: &OwnedBatch) -> Result<OwnedBatch, AppError> {
    let owned = batch.clone();
    state
        .db(move |conn| Ok(crate::models::import_batch::reload(conn, &owned)?))
        .await
}

/// The page of a batch.
pub(super) fn batch_url(batch: &OwnedBatch) -> String {
    format!("/clients/import/{}", batch.id)
}

/// The batch's page: whatever it is at now.
async fn show(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    batch: OwnedBatch,
    query: web::Query<review::ReviewParams>,
) -> Result<HttpResponse, AppError> {
    let page = page.signed_in(&provider);
    match batch.status {
        BatchStatus::Queued | BatchStatus::Analysing => {
            render(&upload::ProgressPage::of(page, &batch))
        }
        BatchStatus::NeedsColumns => render(&columns::ColumnsPage::of(page, &batch)),
        BatchStatus::Ready => review::review_page(&state, page, batch, &query, None).await,
        BatchStatus::Imported => {
            done::done_page(&state, page, batch, fmt::Local::of(&provider.0)).await
        }
        BatchStatus::Failed | BatchStatus::Interrupted | BatchStatus::Cancelled => {
            render(&upload::FailedPage::of(page, &batch))
        }
    }
}

/// The analysis's state, for the progress page's script.
async fn status(batch: OwnedBatch) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": batch.status.as_str(),
        "label": batch.progress_label,
        "done": batch.progress_done,
        "total": batch.progress_total,
    })))
}
