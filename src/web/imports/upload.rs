//! Uploading a client list, then its progress while the workers check it, or why it could
//! not be imported.

use actix_multipart::form::MultipartForm;
use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{batch_url, files, ImportUpload};
use crate::domain::document::format_size;
use crate::error::AppError;
use crate::import::review::Kind;
use crate::models::import_batch::{BatchStatus, ImportBatch};
use crate::services::imports::{self, UploadError};
use crate::services::Act;
use crate::web::session::verify_csrf;
use crate::web::{render, render_status, see_other, AppState, CurrentProvider, PageContext};

#[derive(Template)]
#[template(path = "imports/upload.html")]
struct UploadPage {
    page: PageContext,
    max_size: String,
    max_bytes: u64,
    error: Option<String>,
}

fn upload_template(
    state: &AppState,
    page: PageContext,
    provider: &CurrentProvider,
    error: Option<String>,
) -> UploadPage {
    UploadPage {
        page: page.signed_in(provider),
        max_size: format_size(state.config.max_import_bytes as i64),
        max_bytes: state.config.max_import_bytes,
        error,
    }
}

pub(super) async fn upload_page(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    render(&upload_template(&state, page, &provider, None))
}

pub(super) async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    MultipartForm(form): MultipartForm<ImportUpload>,
) -> Result<HttpResponse, AppError> {
    verify_csrf(&req.get_session(), &form.csrf_token)?;
    let upload = form.into_upload(Kind::List, state.config.max_import_bytes);
    let (scope, files, ip, now) = (
        provider.scope(),
        files(&state),
        crate::web::client_ip(&req),
        state.clock.now(),
    );
    let uploaded = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(imports::upload(conn, &scope, upload, &files, act))
        })
        .await?;
    match uploaded {
        Ok(batch) => Ok(see_other(&batch_url(&batch))),
        Err(e @ UploadError::TooLarge { .. }) => Err(AppError::PayloadTooLarge(e.to_string())),
        Err(e @ (UploadError::NoFile(_) | UploadError::Empty(_))) => {
            let template = upload_template(&state, page, &provider, Some(e.to_string()));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &template)
        }
        Err(UploadError::NotKept(e)) => Err(AppError::internal(e)),
        Err(UploadError::Database(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "imports/progress.html")]
pub(super) struct ProgressPage {
    page: PageContext,
    id: String,
    file_name: String,
    label: String,
    done: i64,
    total: i64,
}

impl ProgressPage {
    pub(super) fn of(page: PageContext, b: &ImportBatch) -> Self {
        ProgressPage {
            page,
            id: b.id.clone(),
            file_name: b.file_name.clone(),
            // Until the worker says what it is doing.
            label: b.progress_label.clone().unwrap_or_else(|| {
                if b.status == BatchStatus::Queued {
                    "Waiting for its turn".into()
                } else {
                    "Reading the file".into()
                }
            }),
            done: b.progress_done,
            total: b.progress_total,
        }
    }
}

#[derive(Template)]
#[template(path = "imports/failed.html")]
pub(super) struct FailedPage {
    page: PageContext,
    file_name: String,
    message: String,
    /// It was uploaded on the SimplePractice page (the links lead back there).
    export: bool,
}

impl FailedPage {
    pub(super) fn of(page: PageContext, b: &ImportBatch) -> Self {
        FailedPage {
            page,
            file_name: b.file_name.clone(),
            export: b.is_export(),
            message: b
                .error
                .clone()
                .unwrap_or_else(|| "This file could not be imported.".into()),
        }
    }
}
