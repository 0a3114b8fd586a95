//! Clinical → Attachments: a client's documents, uploading one, and opening one.

use std::io::Read;

use actix_multipart::form::tempfile::{TempFile, TempFileConfig};
use actix_multipart::form::text::Text;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_session::{Session, SessionExt};
use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::clients::{load_and_audit_view, parse_client_id, ClientHeader};
use super::session::{self, verify_csrf};
use super::{client_ip, fmt, see_other, AppState, CurrentProvider, PageContext};
use crate::db::ids::{ClientId, DocumentId};
use crate::domain::document::{format_size, DocumentKind, FileType};
use crate::error::AppError;
use crate::models::audit::{self, AuditAction, AuditEntry};
use crate::models::client;
use crate::models::document::{self, AddDocumentError, NewDocument};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients/{id}/clinical", web::get().to(clinical))
        .route(
            "/clients/{id}/clinical/attachments",
            web::get().to(attachments),
        )
        .route("/clients/{id}/clinical/attachments", web::post().to(upload))
        .route("/clients/{id}/documents/{doc}", web::get().to(open));
}

/// Another provider's client id answers 404 here too, not a redirect that confirms it.
async fn clinical(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_client_id(&path)?;
    let pid = provider.id();
    let lookup = id.clone();
    let found = state
        .db(move |conn| Ok(client::find(conn, &pid, &lookup)?.is_some()))
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&format!("/clients/{id}/clinical/attachments")))
}

struct DocumentRow {
    id: String,
    kind: String,
    file_name: String,
    date: String,
    size: String,
}

#[derive(Template)]
#[template(path = "clients/attachments.html")]
struct AttachmentsPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    documents: Vec<DocumentRow>,
    /// Psychotherapy notes, kept apart from the rest of the record.
    psychotherapy_notes: Vec<DocumentRow>,
    kinds: [DocumentKind; 13],
    max_size: String,
    max_bytes: u64,
    error: Option<String>,
}

async fn attachments_page(
    req: &HttpRequest,
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    id: ClientId,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local(provider.0.zone());
    let provider_id = provider.id();
    let c = load_and_audit_view(
        state,
        &provider_id,
        id.clone(),
        "attachments",
        client_ip(req),
    )
    .await?;
    let docs = state
        .db(move |conn| Ok(document::list_for_client(conn, &provider_id, &id)?))
        .await?;
    let (notes, rest): (Vec<_>, Vec<_>) = docs
        .iter()
        .partition(|d| d.kind() == Some(DocumentKind::PsychotherapyNote));
    let row = |d: &&document::Document| DocumentRow {
        id: d.id.clone(),
        kind: d.kind_label(),
        file_name: d.file_name.clone(),
        date: d
            .document_date
            .as_ref()
            .map(fmt::date)
            .unwrap_or_else(|| local.date(&d.created_at)),
        size: format_size(d.size_bytes),
    };
    let documents = rest.iter().map(row).collect();
    let psychotherapy_notes = notes.iter().map(row).collect();
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let template = AttachmentsPage {
        page: page.signed_in(provider),
        header: ClientHeader::of(local, &c),
        tab: "attachments",
        documents,
        psychotherapy_notes,
        kinds: DocumentKind::ALL,
        max_size: format_size(state.config.max_document_bytes as i64),
        max_bytes: state.config.max_document_bytes,
        error,
    };
    super::render_status(status, &template)
}

async fn attachments(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_client_id(&path)?;
    attachments_page(&req, &state, &provider, page, id, None).await
}

#[derive(MultipartForm)]
pub struct UploadForm {
    file: TempFile,
    csrf_token: Text<String>,
    kind: Text<String>,
    document_date: Option<Text<String>>,
}

/// Limits for document uploads: the whole body a little over the file limit, text fields
/// small, files streamed to the data dir's temp folder. The temp file is read into the
/// database and deleted, never moved, so no cross-device rename can fail.
pub fn upload_config(
    max_document_bytes: u64,
    temp_dir: std::path::PathBuf,
) -> (MultipartFormConfig, TempFileConfig) {
    let form = super::multipart_limits(max_document_bytes, too_large, "file");
    (form, TempFileConfig::default().directory(temp_dir))
}

fn too_large(max_document_bytes: u64) -> AppError {
    AppError::PayloadTooLarge(format!(
        "Files can be at most {}. Nothing was uploaded. Make the file smaller (for example, scan at a lower resolution), or split it into parts.",
        format_size(max_document_bytes as i64)
    ))
}

async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    MultipartForm(form): MultipartForm<UploadForm>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local(provider.0.zone());
    verify_csrf(&req.get_session(), &form.csrf_token)?;
    // The body limit leaves room for the form's other fields; the file itself must fit too.
    if form.file.size as u64 > state.config.max_document_bytes {
        return Err(too_large(state.config.max_document_bytes));
    }
    let id = parse_client_id(&path)?;
    let Some(kind) = DocumentKind::parse(&form.kind) else {
        return attachments_page(
            &req,
            &state,
            &provider,
            page,
            id,
            Some("Choose what kind of document this is.".into()),
        )
        .await;
    };
    let document_date = match form
        .document_date
        .as_ref()
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(d) => match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                return attachments_page(&req, &state, &provider, page, id, Some("Enter the document's date as a date, for example 2026-03-14, or leave it empty.".into())).await;
            }
        },
    };
    // The browser's file name is shown to people, never used as a path.
    let file_name = display_file_name(form.file.file_name.as_deref());
    let provider_id = provider.id();
    let ip = client_ip(&req);
    let client_id = id.clone();
    let temp = form.file.file;
    let outcome = state
        .db(move |conn| {
            // Check the client first: a stranger's id must not even read the upload.
            client::find(conn, &provider_id, &client_id)?.ok_or(AppError::NotFound)?;
            let mut content = Vec::new();
            temp.as_file().read_to_end(&mut content).map_err(AppError::internal)?;
            let Some(file_type) = FileType::detect(&content[..content.len().min(512)]) else {
                return Ok(Err(if content.is_empty() {
                    "The file is empty. Choose the file again; if it is empty on your computer too, export it again from where it came from.".to_string()
                } else {
                    "Caseload keeps PDFs, images (PNG, JPEG, GIF, WebP) and plain-text files. This file is none of these; save or print it as a PDF and upload that.".to_string()
                }));
            };
            let sha256 = hex::encode(Sha256::digest(&content));
            let new = NewDocument { kind, file_name: &file_name, content_type: file_type.content_type(), sha256: &sha256, content: &content, document_date, kind_detail: None };
            crate::db::write_transaction(conn, |conn| {
                let doc = match document::add(conn, &provider_id, &client_id, &new) {
                    Ok(d) => d,
                    Err(AddDocumentError::AlreadyAttached(existing)) => {
                        return Ok(Err(format!(
                            "This file is already attached to this client as \"{}\" (added {}). Nothing new was saved.",
                            existing.file_name,
                            local.date(&existing.created_at)
                        )))
                    }
                    Err(AddDocumentError::Database(e)) => return Err(e.into()),
                };
                audit::record(
                    conn,
                    AuditEntry { provider_id: &provider_id, client_id: Some(&client_id), action: AuditAction::DocumentUploaded, subject: Some(&doc.id), ip: ip.as_deref() },
                )?;
                Ok(Ok(doc.file_name))
            })
        })
        .await?;
    match outcome {
        Ok(name) => {
            session::flash(
                &session,
                format!("\"{name}\" was added to the client's attachments."),
            );
            Ok(see_other(&format!("/clients/{id}/clinical/attachments")))
        }
        Err(message) => attachments_page(&req, &state, &provider, page, id, Some(message)).await,
    }
}

/// The last path segment of what the browser sent, without control characters; a stand-in
/// when nothing usable remains.
fn display_file_name(raw: Option<&str>) -> String {
    let name = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "Untitled document".to_string()
    } else {
        clean.to_string()
    }
}

#[derive(Deserialize)]
struct OpenParams {
    download: Option<String>,
}

async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    path: web::Path<(String, String)>,
    params: web::Query<OpenParams>,
) -> Result<HttpResponse, AppError> {
    let (client_raw, doc_raw) = path.into_inner();
    let client_id = parse_client_id(&client_raw)?;
    let doc_id = DocumentId::parse(&doc_raw).ok_or(AppError::NotFound)?;
    let provider_id = provider.id();
    let ip = client_ip(&req);
    let (doc, content) = state
        .db(move |conn| {
            let doc = document::find(conn, &provider_id, &client_id, &doc_id)?
                .ok_or(AppError::NotFound)?;
            let content = document::content(conn, &doc)?;
            audit::record(
                conn,
                AuditEntry {
                    provider_id: &provider_id,
                    client_id: Some(&client_id),
                    action: AuditAction::DocumentViewed,
                    subject: Some(&doc.id),
                    ip: ip.as_deref(),
                },
            )?;
            Ok((doc, content))
        })
        .await?;
    let disposition = ContentDisposition {
        disposition: if params.download.is_some() {
            DispositionType::Attachment
        } else {
            DispositionType::Inline
        },
        parameters: vec![
            DispositionParam::Filename(
                doc.file_name
                    .chars()
                    .map(|c| {
                        if c.is_ascii() && !c.is_ascii_control() && c != '"' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect(),
            ),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: doc.file_name.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(doc.content_type.as_str())
        .insert_header(disposition)
        // Uploaded content runs no script, even if a file claims to be something else.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ))
        .body(content))
}
