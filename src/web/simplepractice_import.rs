//! Importing a SimplePractice export: the upload page (a .zip, or the folder a browser
//! unzipped), streamed to disk and then kept in the database. Its review, import and confirmation are the import
//! pages of `imports`, which read the batch's format; the use cases are
//! `services::imports`'.

use std::io::Write;

use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_multipart::Multipart;
use actix_session::SessionExt;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

use super::imports::{files, ImportUpload};
use super::session::verify_csrf;
use super::{render, render_status, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::document::format_size;
use crate::error::AppError;
use crate::import::review::Kind;
use crate::models::scope::OwnedBatch;
use crate::services::imports::upload::{shown_name, too_large};
use crate::services::imports::{self, UploadError};
use crate::services::Act;

pub fn configure(cfg: &mut web::ServiceConfig, limits: MultipartFormConfig) {
    cfg.service(
        web::resource("/simplepractice")
            .app_data(limits)
            .route(web::get().to(upload_page))
            .route(web::post().to(upload)),
    )
    .service(web::resource("/simplepractice/folder").route(web::post().to(upload_folder)));
}

#[derive(Template)]
#[template(path = "imports/simplepractice.html")]
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
        max_size: format_size(state.config.max_export_bytes as i64),
        max_bytes: state.config.max_export_bytes,
        error,
    }
}

async fn upload_page(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    render(&upload_template(&state, page, &provider, None))
}

/// A new export batch for a folder still arriving.
async fn start(
    req: &HttpRequest,
    state: &AppState,
    provider: &CurrentProvider,
    file_name: String,
) -> Result<OwnedBatch, AppError> {
    let (scope, ip, now) = (provider.scope(), super::client_ip(req), state.clock.now());
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(imports::upload::start(
                conn,
                &scope,
                Kind::Export,
                &file_name,
                act,
            )?)
        })
        .await
}

async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    MultipartForm(form): MultipartForm<ImportUpload>,
) -> Result<HttpResponse, AppError> {
    verify_csrf(&req.get_session(), &form.csrf_token)?;
    let upload = form.into_upload(Kind::Export, state.config.max_export_bytes);
    let (scope, files, ip, now) = (
        provider.scope(),
        files(&state),
        super::client_ip(&req),
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
        Ok(batch) => Ok(see_other(&format!("/clients/import/{}", batch.id))),
        Err(e @ UploadError::TooLarge { .. }) => Err(AppError::PayloadTooLarge(e.to_string())),
        Err(e @ (UploadError::NoFile(_) | UploadError::Empty(_))) => {
            let template = upload_template(&state, page, &provider, Some(e.to_string()));
            render_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &template)
        }
        Err(UploadError::NotKept(e)) => Err(AppError::internal(e)),
        Err(UploadError::Database(e)) => Err(e.into()),
    }
}

pub fn upload_limits(max_export_bytes: u64) -> MultipartFormConfig {
    super::multipart_limits(
        max_export_bytes,
        |max| AppError::PayloadTooLarge(too_large(Kind::Export, max)),
        "export",
    )
}

/// The folder's upload did not arrive whole: the batch says so, and what arrived goes.
async fn not_kept(state: &AppState, batch: &OwnedBatch) -> Result<(), AppError> {
    let (owned, files, now) = (batch.clone(), files(state), state.clock.now());
    state
        .db(move |conn| Ok(imports::upload::not_kept(conn, &owned, &files, now)?))
        .await
}

/// Hands the whole folder's archive to the workers.
async fn queue(state: &AppState, batch: &OwnedBatch) -> Result<(), AppError> {
    let (owned, files, now) = (batch.clone(), files(state), state.clock.now());
    state
        .db(move |conn| Ok(imports::upload::queue(conn, &owned, &files, now).map(|_| ())?))
        .await
}

/// Hands a piece to the writer thread without blocking the executor: when the thread is
/// behind (the channel is full), wait a moment and try again.
async fn send_piece(tx: &std::sync::mpsc::SyncSender<Piece>, mut piece: Piece) -> Result<(), ()> {
    use std::sync::mpsc::TrySendError;
    loop {
        match tx.try_send(piece) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(p)) => {
                piece = p;
                actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            Err(TrySendError::Disconnected(_)) => return Err(()),
        }
    }
}

/// What the folder upload's writer thread is told, in order.
enum Piece {
    File(String),
    Bytes(web::Bytes),
}

/// The folder a browser unzipped, sent as many files whose names are their paths in the
/// folder: streamed into a new .zip (stored, not compressed) on a blocking thread, so
/// the rest of the import reads it like any export. The paths become names inside that
/// archive only — the archive's own checks refuse any that climb out.
async fn upload_folder(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let limit = state.config.max_export_bytes;
    let mut token_ok = false;
    let mut batch: Option<OwnedBatch> = None;
    let mut writer: Option<(
        std::sync::mpsc::SyncSender<Piece>,
        std::thread::JoinHandle<std::io::Result<std::fs::File>>,
    )> = None;
    let mut received: u64 = 0;
    let mut files = 0usize;
    let bad = || {
        AppError::BadRequest(
            "The folder could not be read, and nothing was imported. Choose the folder again, or upload the export's .zip file instead.".into(),
        )
    };
    let received_all: Result<(), AppError> = async {
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| bad())?;
        let name = field.name().unwrap_or("").to_string();
        if name == "csrf_token" {
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| bad())?;
                if value.len() + chunk.len() > 1024 {
                    return Err(bad());
                }
                value.extend_from_slice(&chunk);
            }
            verify_csrf(&req.get_session(), &String::from_utf8_lossy(&value))?;
            token_ok = true;
            continue;
        }
        if name != "files" || !token_ok {
            return Err(AppError::CsrfMismatch);
        }
        // The path in the folder: `filename`, or `filename*` when it is not ASCII.
        let path = field
            .content_disposition()
            .and_then(|d| {
                d.get_filename().map(str::to_string).or_else(|| {
                    d.get_filename_ext()
                        .map(|e| String::from_utf8_lossy(&e.value).into_owned())
                })
            })
            .map(|p| p.replace('\\', "/"))
            .unwrap_or_default();
        if batch.is_none() {
            let top = path.split('/').next().unwrap_or("").to_string();
            let b = start(&req, &state, &provider, shown_name(Some(&top))).await?;
            // This instance's temporary file (unnamed, gone once closed); stored in the
            // database once whole, where every instance reads it.
            let file = tempfile::tempfile_in(state.config.upload_temp_dir()).map_err(AppError::internal)?;
            let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(16);
            let handle = std::thread::spawn(move || -> std::io::Result<std::fs::File> {
                let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored)
                    .large_file(true);
                for piece in rx {
                    match piece {
                        Piece::File(name) => zip
                            .start_file(name, options)
                            .map_err(std::io::Error::other)?,
                        Piece::Bytes(b) => zip.write_all(&b)?,
                    }
                }
                let mut file = zip
                    .finish()
                    .map_err(std::io::Error::other)?
                    .into_inner()
                    .map_err(|e| e.into_error())?;
                file.flush()?;
                std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))?;
                Ok(file)
            });
            writer = Some((tx, handle));
            batch = Some(b);
        }
        let Some((tx, _)) = &writer else {
            return Err(bad());
        };
        files += 1;
        if files > state.config.export_limits.max_entries {
            return Err(AppError::PayloadTooLarge(format!(
                "The folder holds more than {} files, more than this server accepts. Nothing was imported. Export fewer clients at a time.",
                state.config.export_limits.max_entries
            )));
        }
        send_piece(tx, Piece::File(path)).await.map_err(|_| bad())?;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| bad())?;
            received += chunk.len() as u64;
            if received > limit {
                return Err(AppError::PayloadTooLarge(too_large(Kind::Export, limit)));
            }
            send_piece(tx, Piece::Bytes(chunk))
                .await
                .map_err(|_| bad())?;
        }
    }
    Ok(())
    }
    .await;
    if let Err(e) = received_all {
        drop(writer);
        if let Some(b) = &batch {
            not_kept(&state, b).await?;
        }
        return Err(e);
    }
    let (Some(batch), Some((tx, handle))) = (batch, writer) else {
        return Err(AppError::BadRequest(
            "No files arrived. Choose the export's folder (or its .zip file) and send it again."
                .into(),
        ));
    };
    drop(tx);
    let written = web::block(move || handle.join())
        .await
        .map_err(AppError::internal)?;
    let Ok(Ok(mut archive)) = written else {
        not_kept(&state, &batch).await?;
        return Err(AppError::internal("could not write the folder's archive"));
    };
    let (id, uploads) = (batch.id.clone(), state.uploads.clone());
    let stored = state
        .db(move |conn| Ok(uploads.store(conn, &id, &mut archive).map(|_| ())))
        .await?;
    if let Err(e) = stored {
        not_kept(&state, &batch).await?;
        return Err(AppError::internal(e));
    }
    queue(&state, &batch).await?;
    Ok(see_other(&format!("/clients/import/{}", batch.id)))
}
