//! Importing a client list: upload, progress, picking columns, review, import,
//! confirmation, and Settings → Imports (the history).

use actix_multipart::form::tempfile::TempFile;
use actix_multipart::form::text::Text;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_session::{Session, SessionExt};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, verify_csrf, EmptyForm, ProtectedForm};
use super::{fmt, render, render_status, see_other, AppState, CurrentProvider, PageContext};
use crate::domain::document::format_size;
use crate::domain::plural::plural;
use crate::error::AppError;
use crate::import::analysis::FileNotes;
use crate::import::columns::ManualColumns;
use crate::import::extract::Format;
use crate::import::matching::Status;
use crate::import_jobs::ColumnsNeeded;
use crate::models::import_batch::{
    self, CommitError, ImportBatch, ImportRow, RowDecision, ROWS_PER_PAGE,
};
use crate::models::scope::OwnedBatch;
use crate::models::{client, export_import};

/// The routes under `/clients/import` (mounted as a scope with the upload limits).
pub fn configure_batches(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("")
            .route(web::get().to(upload_page))
            .route(web::post().to(upload)),
    )
    .route("/{id}", web::get().to(show))
    .route("/{id}/status", web::get().to(status))
    .route("/{id}/columns", web::post().to(choose_columns))
    .route("/{id}/sheet", web::post().to(choose_sheet))
    .route("/{id}/review", web::post().to(save_review))
    .route("/{id}/cancel", web::post().to(cancel))
    .route("/{id}/welcome", web::post().to(welcome_all));
}

pub fn configure_history(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/imports", web::get().to(history));
}

/// Upload limits for client lists.
pub fn upload_limits(max_import_bytes: u64) -> MultipartFormConfig {
    super::multipart_limits(max_import_bytes, too_large, "file")
}

fn too_large(max: u64) -> AppError {
    AppError::PayloadTooLarge(format!(
        "Client lists can be at most {}. Nothing was imported. Export fewer columns, or split the list into two files.",
        format_size(max as i64)
    ))
}

// ---------- upload ----------

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

async fn upload_page(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    render(&upload_template(&state, page, &provider, None))
}

/// An upload form: the file and the form token (client lists and exports alike).
#[derive(MultipartForm)]
pub struct ImportUpload {
    pub(super) file: TempFile,
    pub(super) csrf_token: Text<String>,
}

/// The name the file had, as display text: its last part, printable, not too long.
pub(super) fn display_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or("");
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "uploaded file".into()
    } else {
        clean.trim().to_string()
    }
}

async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    MultipartForm(form): MultipartForm<ImportUpload>,
) -> Result<HttpResponse, AppError> {
    verify_csrf(&req.get_session(), &form.csrf_token)?;
    if form.file.size as u64 > state.config.max_import_bytes {
        return Err(too_large(state.config.max_import_bytes));
    }
    if form.file.size == 0 {
        let error = if form.file.file_name.as_deref().unwrap_or("").is_empty() {
            "Choose a file first: the client list exported from your current system."
        } else {
            "The file is empty. Export the client list again and upload the new file."
        };
        let template = upload_template(&state, page, &provider, Some(error.into()));
        return render_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &template);
    }
    let file_name = display_name(form.file.file_name.as_deref());
    let (scope, now) = (provider.scope(), state.clock.now());
    let batch = state
        .db(move |conn| Ok(import_batch::create(conn, &scope, &file_name, "web", now)?))
        .await?;
    let target = state.uploads.path(&batch.id);
    // Same file system (both inside the data dir), so this is a rename.
    if let Err(e) = form.file.file.persist(&target) {
        let owned = batch.clone();
        state
            .db(move |conn| {
                Ok(import_batch::fail(
                    conn,
                    &owned,
                    "The uploaded file could not be kept on the server (its disk may be full). Nothing was imported. Tell whoever runs this server, then upload the file again.",
                    now,
                )?)
            })
            .await?;
        return Err(AppError::internal(e.error));
    }
    queue_analysis(&state, &batch).await?;
    Ok(see_other(&format!("/clients/import/{}", batch.id)))
}

/// Hands a batch to the workers; when all are busy and the queue is full, the batch says
/// so and its file is let go.
pub(super) async fn queue_analysis(state: &AppState, batch: &OwnedBatch) -> Result<(), AppError> {
    if state.jobs.submit_analysis(&batch.id).is_ok() {
        return Ok(());
    }
    state.uploads.remove(&batch.id);
    let (owned, now) = (batch.clone(), state.clock.now());
    state
        .db(move |conn| {
            Ok(import_batch::fail(
                conn,
                &owned,
                "The server is busy checking other files. Nothing was imported. Upload the file again in a minute.",
                now,
            )?)
        })
        .await
}

// ---------- one batch ----------

/// The batch as it is now (after a change this request made).
async fn reload(state: &AppState, batch: &OwnedBatch) -> Result<OwnedBatch, AppError> {
    let owned = batch.clone();
    state
        .db(move |conn| Ok(import_batch::reload(conn, &owned)?))
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReviewParams {
    show: String,
    page: String,
}

async fn show(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    batch: OwnedBatch,
    query: web::Query<ReviewParams>,
) -> Result<HttpResponse, AppError> {
    let page = page.signed_in(&provider);
    match batch.status.as_str() {
        import_batch::QUEUED | import_batch::ANALYSING => render(&ProgressPage::of(page, &batch)),
        import_batch::NEEDS_COLUMNS => render(&ColumnsPage::of(page, &batch)),
        import_batch::READY => review_page(&state, page, batch, &query).await,
        import_batch::IMPORTED => done_page(page, batch.into_row(), fmt::Local(provider.0.zone())),
        _ => render(&FailedPage {
            page,
            file_name: batch.file_name.clone(),
            message: batch
                .error
                .clone()
                .unwrap_or_else(|| "This file could not be imported.".into()),
        }),
    }
}

/// The analysis's state, for the progress page's script.
async fn status(batch: OwnedBatch) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": batch.status,
        "label": batch.progress_label,
        "done": batch.progress_done,
        "total": batch.progress_total,
    })))
}

#[derive(Template)]
#[template(path = "imports/progress.html")]
struct ProgressPage {
    page: PageContext,
    id: String,
    file_name: String,
    label: String,
    done: i64,
    total: i64,
}

impl ProgressPage {
    fn of(page: PageContext, b: &ImportBatch) -> Self {
        ProgressPage {
            page,
            id: b.id.clone(),
            file_name: b.file_name.clone(),
            label: b.progress_label.clone().unwrap_or_else(|| {
                if b.status == import_batch::QUEUED {
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
struct FailedPage {
    page: PageContext,
    file_name: String,
    message: String,
}

// ---------- picking columns by hand ----------

struct ColumnOption {
    index: usize,
    label: String,
}

struct ColumnField {
    name: &'static str,
    label: &'static str,
    chosen: Option<usize>,
}

impl ColumnField {
    fn is(&self, index: &usize) -> bool {
        self.chosen == Some(*index)
    }
}

#[derive(Template)]
#[template(path = "imports/columns.html")]
struct ColumnsPage {
    page: PageContext,
    id: String,
    file_name: String,
    message: String,
    options: Vec<ColumnOption>,
    fields: Vec<ColumnField>,
    headers: Vec<String>,
    preview: Vec<Vec<String>>,
}

impl ColumnsPage {
    fn of(page: PageContext, b: &ImportBatch) -> Self {
        let needed: ColumnsNeeded = b
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default();
        let guess = b
            .column_choice
            .as_deref()
            .and_then(|c| serde_json::from_str::<ManualColumns>(c).ok())
            .unwrap_or_else(|| ManualColumns::guess(&needed.headers));
        let options = needed
            .headers
            .iter()
            .enumerate()
            .map(|(index, h)| ColumnOption {
                index,
                label: if h.trim().is_empty() {
                    format!("Column {} (no heading)", index + 1)
                } else {
                    h.clone()
                },
            })
            .collect();
        let fields = vec![
            ColumnField {
                name: "first_name",
                label: "First name",
                chosen: guess.first_name,
            },
            ColumnField {
                name: "last_name",
                label: "Last name",
                chosen: guess.last_name,
            },
            ColumnField {
                name: "full_name",
                label: "Whole name, if one column holds it (\"Last, First\" or \"First Last\")",
                chosen: guess.full_name,
            },
            ColumnField {
                name: "email",
                label: "Email",
                chosen: guess.email,
            },
            ColumnField {
                name: "phone",
                label: "Mobile phone",
                chosen: guess.phone,
            },
            ColumnField {
                name: "date_of_birth",
                label: "Date of birth",
                chosen: guess.date_of_birth,
            },
        ];
        ColumnsPage {
            page,
            id: b.id.clone(),
            file_name: b.file_name.clone(),
            message: b.error.clone().unwrap_or_default(),
            options,
            fields,
            headers: needed.headers,
            preview: needed.preview,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ColumnsInput {
    first_name: String,
    last_name: String,
    full_name: String,
    email: String,
    phone: String,
    date_of_birth: String,
}

async fn choose_columns(
    state: web::Data<AppState>,
    session: Session,
    batch: OwnedBatch,
    ProtectedForm(input): ProtectedForm<ColumnsInput>,
) -> Result<HttpResponse, AppError> {
    let pick = |s: &str| s.trim().parse::<usize>().ok();
    let choice = ManualColumns {
        first_name: pick(&input.first_name),
        last_name: pick(&input.last_name),
        full_name: pick(&input.full_name),
        email: pick(&input.email),
        phone: pick(&input.phone),
        date_of_birth: pick(&input.date_of_birth),
    };
    let names_given =
        (choice.first_name.is_some() && choice.last_name.is_some()) || choice.full_name.is_some();
    if !names_given {
        session::flash(
            &session,
            "Choose the columns with first and last names (or the one column with the whole name).",
        );
        return Ok(see_other(&format!("/clients/import/{}", batch.id)));
    }
    let json = serde_json::to_string(&choice).map_err(AppError::internal)?;
    let sheet = batch.sheet.clone();
    requeue(&state, &batch, sheet, Some(json)).await
}

#[derive(Deserialize)]
struct SheetInput {
    sheet: String,
}

async fn choose_sheet(
    state: web::Data<AppState>,
    batch: OwnedBatch,
    ProtectedForm(input): ProtectedForm<SheetInput>,
) -> Result<HttpResponse, AppError> {
    requeue(&state, &batch, Some(input.sheet), None).await
}

/// Sends the stored file back to a worker with new reading options.
async fn requeue(
    state: &AppState,
    batch: &OwnedBatch,
    sheet: Option<String>,
    columns: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (owned, now) = (batch.clone(), state.clock.now());
    let queued = state
        .db(move |conn| {
            Ok(import_batch::reanalyse(
                conn,
                &owned,
                sheet.as_deref(),
                columns.as_deref(),
                now,
            )?)
        })
        .await?;
    if queued {
        queue_analysis(state, batch).await?;
    }
    Ok(see_other(&format!("/clients/import/{}", batch.id)))
}

// ---------- review ----------

/// The filters of the review page: (value, label, count).
/// An export's repeated cards are reviewed as uncertain, so it has no "repeated" tab.
fn filters(b: &ImportBatch) -> Vec<(&'static str, &'static str, i64)> {
    let mut tabs = vec![
        ("", "All rows", b.rows_total),
        (Status::New.as_str(), "New", b.rows_new),
        (
            Status::Existing.as_str(),
            "Already a client",
            b.rows_existing,
        ),
        (
            Status::NeedsReview.as_str(),
            "Needs review",
            b.rows_needs_review,
        ),
        (
            Status::Invalid.as_str(),
            "Missing information",
            b.rows_invalid,
        ),
        (
            Status::DuplicateInFile.as_str(),
            "Repeated in this file",
            b.rows_duplicate,
        ),
    ];
    if b.is_export() {
        tabs.pop();
    }
    tabs
}

fn status_label(status: &str) -> &'static str {
    match status {
        "new" => "New",
        "existing" => "Already a client",
        "needs_review" => "Needs review",
        "invalid" => "Missing information",
        "duplicate_in_file" => "Repeated in this file",
        _ => "Unknown",
    }
}

struct ReviewRow {
    position: i64,
    source_row: i64,
    source: Option<String>,
    name: String,
    email: String,
    phone: String,
    date_of_birth: String,
    status: String,
    status_label: &'static str,
    reasons: Vec<String>,
    selected: bool,
    linked: bool,
    /// The existing client this row is or may be: (id, name and email).
    matched: Option<(String, String)>,
    /// An export's card: the documents found for the person, and whether the row
    /// shares its folder with a namesake (and so must be given the folder or not).
    documents: Vec<(String, usize)>,
    shares_folder: bool,
    takes_documents: bool,
    /// The client an export's card was matched to by hand, as the list names them.
    linked_label: String,
}

impl ReviewRow {
    fn of(r: ImportRow, names: &[(String, String, String, String)]) -> Self {
        let matched = r.matched_client_id.as_ref().and_then(|id| {
            names
                .iter()
                .find(|(cid, ..)| cid == id)
                .map(|(cid, f, l, e)| (cid.clone(), format!("{f} {l} ({e})")))
        });
        let name = format!(
            "{} {}",
            r.first_name.as_deref().unwrap_or(""),
            r.last_name.as_deref().unwrap_or("")
        )
        .trim()
        .to_string();
        let documents = r.document_counts();
        let linked_label = r
            .linked_client_id
            .as_ref()
            .and_then(|id| names.iter().find(|(cid, ..)| cid == id))
            .map(|(_, f, l, e)| format!("{f} {l} <{e}>"))
            .unwrap_or_default();
        ReviewRow {
            linked_label,
            documents,
            shares_folder: r.shares_folder,
            takes_documents: r.takes_documents,
            position: r.position,
            source_row: r.source_row,
            source: r.source.clone(),
            name: match &r.display_name {
                Some(d) if !d.trim().is_empty() => d.clone(),
                _ if name.is_empty() => "(no name)".into(),
                _ => name,
            },
            email: r.email.clone().unwrap_or_default(),
            phone: r.phone.clone().unwrap_or_default(),
            date_of_birth: r.date_of_birth.as_ref().map(fmt::date).unwrap_or_default(),
            status_label: status_label(&r.status),
            reasons: r.reasons(),
            selected: r.selected,
            linked: r.linked_client_id.is_some(),
            status: r.status,
            matched,
        }
    }

    fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

#[derive(Template)]
#[template(path = "imports/review.html")]
struct ReviewPage {
    page: PageContext,
    id: String,
    file_name: String,
    format: &'static str,
    layout: Option<String>,
    notes: FileNotes,
    sheet: String,
    filters: Vec<(&'static str, &'static str, i64)>,
    show: String,
    rows: Vec<ReviewRow>,
    page_no: i64,
    pages: i64,
    selected: i64,
    linked: i64,
    existing: i64,
    error: Option<String>,
    /// A SimplePractice export, and the provider's clients to match its cards by hand.
    export: bool,
    clients: Vec<String>,
}

async fn review_page(
    state: &AppState,
    page: PageContext,
    batch: OwnedBatch,
    query: &ReviewParams,
) -> Result<HttpResponse, AppError> {
    review_page_with(state, page, batch, query, None).await
}

async fn review_page_with(
    state: &AppState,
    page: PageContext,
    batch: OwnedBatch,
    query: &ReviewParams,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let show = filters(&batch)
        .iter()
        .find(|(v, ..)| *v == query.show)
        .map(|(v, ..)| v.to_string())
        .unwrap_or_default();
    let total_for_filter = batch.rows_with(Some(show.as_str()).filter(|s| !s.is_empty()));
    let pages = ((total_for_filter + ROWS_PER_PAGE - 1) / ROWS_PER_PAGE).max(1);
    let page_no = query.page.parse::<i64>().unwrap_or(1).clamp(1, pages);
    let (owned, filter) = (batch.clone(), show.clone());
    let (selected, linked) = (batch.rows_selected, batch.rows_linked);
    let export = batch.is_export();
    let (rows, names, clients) = state
        .db(move |conn| {
            let scope = owned.scope();
            let rows = import_batch::rows_page(
                conn,
                &owned,
                Some(filter.as_str()).filter(|f| !f.is_empty()),
                page_no,
            )?;
            let ids: Vec<String> = rows
                .iter()
                .flat_map(|r| [r.matched_client_id.clone(), r.linked_client_id.clone()])
                .flatten()
                .collect();
            let names = import_batch::client_names(conn, scope, &ids)?;
            let clients = if export {
                crate::models::client::match_labels(conn, scope, MATCH_LIST_LIMIT)?
            } else {
                Vec::new()
            };
            Ok((rows, names, clients))
        })
        .await?;
    let notes: FileNotes = batch
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let status = if error.is_some() {
        actix_web::http::StatusCode::CONFLICT
    } else {
        actix_web::http::StatusCode::OK
    };
    render_status(
        status,
        &ReviewPage {
            page,
            id: batch.id.clone(),
            file_name: batch.file_name.clone(),
            format: batch
                .format
                .as_deref()
                .and_then(Format::parse)
                .map(Format::label)
                .unwrap_or(""),
            layout: batch.layout.clone(),
            notes,
            sheet: batch.sheet.clone().unwrap_or_default(),
            filters: filters(&batch),
            show,
            rows: rows.into_iter().map(|r| ReviewRow::of(r, &names)).collect(),
            page_no,
            pages,
            selected,
            linked,
            existing: batch.rows_existing,
            error,
            export,
            clients,
        },
    )
}

/// How many of the provider's clients the "match by hand" list offers.
const MATCH_LIST_LIMIT: i64 = 5_000;

/// Reads the review form's fields: the rows shown, and for each whether it is selected,
/// linked to the client it matched, or has a corrected email.
fn decisions(fields: &[(String, String)]) -> Vec<RowDecision> {
    let value = |name: String| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    fields
        .iter()
        .filter(|(k, _)| k == "row")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .map(|position| {
            let choice = value(format!("choice-{position}")).unwrap_or_default();
            RowDecision {
                position,
                selected: fields
                    .iter()
                    .any(|(k, v)| k == "select" && v.parse() == Ok(position))
                    || choice == "new",
                link_to: (choice == "link")
                    .then(|| value(format!("match-{position}")))
                    .flatten(),
                email: value(format!("email-{position}")),
                takes_documents: fields
                    .iter()
                    .any(|(k, v)| k == "docs" && v.parse() == Ok(position)),
            }
        })
        .collect()
}

async fn save_review(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    batch: OwnedBatch,
    ProtectedForm(fields): ProtectedForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (show, action) = (field("show"), field("action"));
    if batch.status == import_batch::IMPORTED {
        // A second submit (double click, back button, another tab): nothing twice.
        return Ok(see_other(&format!("/clients/import/{}", batch.id)));
    }
    let mut decided = decisions(&fields);
    let export = batch.is_export();
    let (owned, now) = (batch.clone(), state.clock.now());
    let select_new = action == "select-new";
    state
        .db(move |conn| {
            let scope = owned.scope();
            // An export's card is matched by hand with a "Name <email>" of the list.
            if export {
                for d in &mut decided {
                    d.link_to = match d.link_to.as_deref().and_then(client::email_in_label) {
                        Some(email) => client::find_id_by_email(
                            conn,
                            scope,
                            &crate::domain::email::normalize(email),
                        )?
                        .map(|c| c.0),
                        None => None,
                    };
                }
            }
            import_batch::decide(conn, &owned, &decided, now)?;
            if select_new {
                export_import::select_all_new(conn, &owned)?;
            }
            Ok(())
        })
        .await?;
    if let Some(filter) = action.strip_prefix("show:") {
        return Ok(see_other(&format!(
            "/clients/import/{}?show={}",
            batch.id,
            crate::error::urlencode(filter)
        )));
    }
    if let Some(next) = action.strip_prefix("page:") {
        let next = next.parse::<i64>().unwrap_or(1);
        return Ok(see_other(&format!(
            "/clients/import/{}?show={}&page={next}",
            batch.id,
            crate::error::urlencode(&show)
        )));
    }
    if action != "import" {
        session::flash(
            &session,
            if select_new {
                "Every new client is selected. Your other choices were saved."
            } else {
                "Your choices were saved."
            },
        );
        return Ok(see_other(&format!(
            "/clients/import/{}?show={}&page={}",
            batch.id,
            crate::error::urlencode(&show),
            field("page")
        )));
    }
    let fresh = reload(&state, &batch).await?;
    if fresh.rows_selected == 0 && fresh.rows_linked == 0 {
        let query = ReviewParams {
            show,
            page: field("page"),
        };
        return review_page_with(
            &state,
            page.signed_in(&provider),
            fresh,
            &query,
            Some("No rows are selected, so there is nothing to import. Tick the clients to import (or choose “Import as a new client”), or cancel this import.".into()),
        )
        .await;
    }
    let invite = field("invite") == "yes";
    let (p, owned, url, now) = (
        provider.0.clone(),
        batch.clone(),
        state.config.public_url.clone(),
        state.clock.now(),
    );
    let outcome = if export {
        let (path, limits) = (state.uploads.path(&batch.id), state.config.export_limits);
        state
            .db(move |conn| {
                let (mut zip, index) = match crate::import_jobs::open_export(&path, &limits) {
                    Ok(opened) => opened,
                    // A second submit finds the first one done (and its file gone).
                    Err(_)
                        if import_batch::reload(conn, &owned)?.status == import_batch::IMPORTED =>
                    {
                        return Ok(Ok(()));
                    }
                    Err(e) => return Ok(Err(CommitError::Conflict(e.to_string()))),
                };
                let inviting = crate::onboarding::inviting(&p, &url);
                let on_created: import_batch::OnCreated =
                    if invite { Some(&inviting) } else { None };
                Ok(
                    export_import::commit_export(conn, &owned, &mut zip, &index, on_created, now)
                        .map(|_| ()),
                )
            })
            .await?
    } else {
        state
            .db(move |conn| {
                let inviting = crate::onboarding::inviting(&p, &url);
                let on_created: import_batch::OnCreated =
                    if invite { Some(&inviting) } else { None };
                Ok(import_batch::commit(conn, &owned, on_created, now).map(|_| ()))
            })
            .await?
    };
    match outcome {
        Ok(_) => {
            state.uploads.remove(&batch.id);
            Ok(see_other(&format!("/clients/import/{}", batch.id)))
        }
        Err(CommitError::Conflict(message)) => {
            let query = ReviewParams {
                show,
                page: field("page"),
            };
            let fresh = reload(&state, &batch).await?;
            review_page_with(
                &state,
                page.signed_in(&provider),
                fresh,
                &query,
                Some(message),
            )
            .await
        }
        Err(CommitError::NotReady) => Ok(see_other(&format!("/clients/import/{}", batch.id))),
        Err(CommitError::Database(e)) => Err(e.into()),
    }
}

async fn cancel(
    state: web::Data<AppState>,
    session: Session,
    batch: OwnedBatch,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let (owned, now) = (batch.clone(), state.clock.now());
    let cancelled = state
        .db(move |conn| Ok(import_batch::cancel(conn, &owned, now)?))
        .await?;
    if cancelled {
        state.uploads.remove(&batch.id);
        session::flash(
            &session,
            format!(
                "The import of {} was cancelled. Nothing was imported.",
                batch.file_name
            ),
        );
        return Ok(see_other("/clients"));
    }
    session::flash(
        &session,
        "This import had already been done, so it could not be cancelled. Here is what it imported.",
    );
    Ok(see_other(&format!("/clients/import/{}", batch.id)))
}

// ---------- confirmation ----------

#[derive(Template)]
#[template(path = "imports/done.html")]
struct DonePage {
    page: PageContext,
    id: String,
    export: bool,
    documents: i64,
    clients_with_documents: i64,
    file_name: String,
    imported: i64,
    linked: i64,
    skipped: i64,
    skipped_reasons: Vec<(&'static str, i64)>,
    invited: bool,
    when: String,
}

fn done_page(
    page: PageContext,
    batch: ImportBatch,
    local: fmt::Local,
) -> Result<HttpResponse, AppError> {
    let skipped_reasons = batch
        .skipped_reasons()
        .into_iter()
        .map(|(status, n)| {
            let (one, many) = match status.as_str() {
                "new" => (
                    "new client you left unselected",
                    "new clients you left unselected",
                ),
                "existing" => (
                    "existing client you left unselected (no documents added)",
                    "existing clients you left unselected (no documents added)",
                ),
                "needs_review" => (
                    "needed review and was left out",
                    "needed review and were left out",
                ),
                "invalid" => (
                    "had missing information (no name or no valid email)",
                    "had missing information (no name or no valid email)",
                ),
                "duplicate_in_file" => ("was repeated in the file", "were repeated in the file"),
                _ => ("was left out", "were left out"),
            };
            (plural(n, one, many), n)
        })
        .collect();
    render(&DonePage {
        page,
        id: batch.id.clone(),
        export: batch.is_export(),
        documents: batch.documents_count,
        clients_with_documents: batch.clients_with_documents,
        file_name: batch.file_name.clone(),
        imported: batch.imported_count,
        linked: batch.linked_count,
        skipped: batch.skipped_count,
        skipped_reasons,
        invited: batch.invited,
        when: batch
            .imported_at
            .as_ref()
            .map(|t| local.datetime(t))
            .unwrap_or_default(),
    })
}

/// The welcome email for every client an import created who has not set up their
/// account yet.
async fn welcome_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    batch: OwnedBatch,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let (me, owned, url, ip, now) = (
        provider.0.clone(),
        batch.clone(),
        state.config.public_url.clone(),
        super::client_ip(&req),
        state.clock.now(),
    );
    let sent = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let mut sent = 0;
                for c in import_batch::imported_clients(conn, &owned)? {
                    if crate::onboarding::send_invitation(
                        conn,
                        &me,
                        &c,
                        &url,
                        true,
                        now,
                        ip.as_deref(),
                    )? {
                        sent += 1;
                    }
                }
                Ok::<_, AppError>(sent)
            })
        })
        .await?;
    session::flash(
        &session,
        format!(
            "{sent} welcome email{} in the outbox (Settings → Outbox), each with a link to finish setting up.",
            if sent == 1 { " is" } else { "s are" }
        ),
    );
    Ok(see_other(&format!("/clients/import/{}", batch.id)))
}

// ---------- history ----------

struct HistoryRow {
    id: String,
    file_name: String,
    when: String,
    origin: &'static str,
    status: &'static str,
    imported: i64,
    linked: i64,
    skipped: i64,
    rows: i64,
    finished: bool,
}

#[derive(Template)]
#[template(path = "settings/imports.html")]
struct HistoryPage {
    page: PageContext,
    rows: Vec<HistoryRow>,
}

async fn history(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local(provider.0.zone());
    let scope = provider.scope();
    let batches = state
        .db(move |conn| Ok(import_batch::history(conn, &scope)?))
        .await?;
    let rows = batches
        .into_iter()
        .map(|b| HistoryRow {
            when: local.datetime(b.imported_at.as_ref().unwrap_or(&b.created_at)),
            origin: if b.origin == "cli" {
                "command line"
            } else {
                "upload"
            },
            status: match b.status.as_str() {
                import_batch::IMPORTED => "Imported",
                import_batch::READY => "Waiting for your review",
                import_batch::NEEDS_COLUMNS => "Waiting for you to pick columns",
                import_batch::QUEUED | import_batch::ANALYSING => "Being checked",
                import_batch::INTERRUPTED => "Interrupted by a restart: nothing imported",
                _ => "Could not be imported",
            },
            finished: b.status == import_batch::IMPORTED,
            imported: b.imported_count,
            linked: b.linked_count,
            skipped: b.skipped_count,
            rows: b.rows_total,
            id: b.id,
            file_name: b.file_name,
        })
        .collect();
    render(&HistoryPage {
        page: page.signed_in(&provider),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_display_text_only() {
        assert_eq!(display_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            display_name(Some("C:\\Users\\me\\clients.csv")),
            "clients.csv"
        );
        assert_eq!(display_name(Some("a\u{0}b\nc.csv")), "abc.csv");
        assert_eq!(display_name(None), "uploaded file");
    }

    #[test]
    fn review_form_fields_become_decisions() {
        let f = |k: &str, v: &str| (k.to_string(), v.to_string());
        let fields = vec![
            f("row", "1"),
            f("row", "2"),
            f("row", "3"),
            f("select", "1"),
            f("choice-2", "link"),
            f("match-2", "abc"),
            f("email-3", "fixed@example.com"),
        ];
        let d = decisions(&fields);
        assert_eq!(d.len(), 3);
        assert!(d[0].selected && d[0].link_to.is_none());
        assert_eq!(
            (d[1].selected, d[1].link_to.as_deref()),
            (false, Some("abc"))
        );
        assert_eq!(d[2].email.as_deref(), Some("fixed@example.com"));
    }
}
