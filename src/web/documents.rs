//! Clinical → Attachments: a client's documents, uploading one, and opening one.

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

use super::clients::{audit_view, ClientHeader};
use super::session::{self, verify_csrf};
use super::{client_ip, fmt, see_other, AppState, CurrentProvider, PageContext};
use crate::db::ids::DocumentId;
use crate::domain::document::NO_DATE_IN_EXPORT;
use crate::domain::document::{format_size, DocumentKind};
use crate::error::AppError;
use crate::models::document;
use crate::models::scope::OwnedClient;
use crate::services::documents::{Upload, UploadError};
use crate::services::{self, Act};

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
async fn clinical(client: OwnedClient) -> Result<HttpResponse, AppError> {
    Ok(see_other(&format!(
        "/clients/{}/clinical/attachments",
        client.id
    )))
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
    kinds: [DocumentKind; 14],
    max_size: String,
    max_bytes: u64,
    error: Option<String>,
}

async fn attachments_page(
    req: &HttpRequest,
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    c: OwnedClient,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    audit_view(state, req, &c, "attachments").await?;
    let client = c.clone();
    let docs = state
        .db(move |conn| Ok(document::list_for_client(conn, &client)?))
        .await?;
    let (notes, rest): (Vec<_>, Vec<_>) = docs
        .iter()
        .partition(|d| d.kind() == Some(DocumentKind::PsychotherapyNote));
    let row = |d: &&document::Document| DocumentRow {
        id: d.id.clone(),
        kind: d.kind_label(),
        file_name: d.file_name.clone(),
        date: match (&d.document_date, &d.imported_from) {
            (Some(date), _) => fmt::date(date),
            // The export gave none: the day of the import would read as the note's.
            (None, Some(_)) => NO_DATE_IN_EXPORT.to_string(),
            (None, None) => local.date(&d.created_at),
        },
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
    client: OwnedClient,
) -> Result<HttpResponse, AppError> {
    attachments_page(&req, &state, &provider, page, client, None).await
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
    client: OwnedClient,
    MultipartForm(form): MultipartForm<UploadForm>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    verify_csrf(&req.get_session(), &form.csrf_token)?;
    // The body limit leaves room for the form's other fields; the file itself must fit too.
    if form.file.size as u64 > state.config.max_document_bytes {
        return Err(too_large(state.config.max_document_bytes));
    }
    let Some(kind) = DocumentKind::parse(&form.kind) else {
        return attachments_page(
            &req,
            &state,
            &provider,
            page,
            client,
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
                return attachments_page(&req, &state, &provider, page, client, Some("Enter the document's date as a date, for example 2026-03-14, or leave it empty.".into())).await;
            }
        },
    };
    // The browser's file name is shown to people, never used as a path.
    let file_name = display_file_name(form.file.file_name.as_deref());
    let (ip, now) = (client_ip(&req), state.clock.now());
    let temp = form.file.file;
    let owner = client.clone();
    let storage_limit = state.config.max_storage_bytes;
    let outcome = state
        .db(move |conn| {
            let act = Act { ip: ip.as_deref(), now };
            let upload = Upload {
                kind,
                file_name: &file_name,
                document_date,
                content: &mut temp.as_file(),
            };
            match services::documents::upload(conn, &owner, upload, storage_limit, act) {
                Ok(doc) => Ok(Ok(doc.file_name)),
                Err(UploadError::AlreadyAttached(existing)) => Ok(Err(format!(
                    "This file is already attached to this client as \"{}\" (added {}). Nothing new was saved.",
                    existing.file_name,
                    local.date(&existing.created_at)
                ))),
                Err(UploadError::Unreadable(e)) => Err(AppError::internal(e)),
                Err(UploadError::Database(e)) => Err(e.into()),
                Err(refused) => Ok(Err(refused.to_string())),
            }
        })
        .await?;
    match outcome {
        Ok(name) => {
            session::flash(
                &session,
                format!("\"{name}\" was added to the client's attachments."),
            );
            Ok(see_other(&format!(
                "/clients/{}/clinical/attachments",
                client.id
            )))
        }
        Err(message) => {
            attachments_page(&req, &state, &provider, page, client, Some(message)).await
        }
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
    client: OwnedClient,
    path: web::Path<(String, String)>,
    params: web::Query<OpenParams>,
) -> Result<HttpResponse, AppError> {
    let doc_id = DocumentId::parse(&path.1).ok_or(AppError::NotFound)?;
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (doc, content) = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            services::documents::open(conn, &client, &doc_id, act)?.ok_or(AppError::NotFound)
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
