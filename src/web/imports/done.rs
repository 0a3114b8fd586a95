//! After an import: what it did, the welcome email to its clients, and Settings → Imports
//! (every import, with how it ended).

use actix_session::Session;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{batch_url, render};
use crate::domain::plural::plural;
use crate::domain::spreadsheet::text_cell;
use crate::error::AppError;
use crate::import::review;
use crate::models::import_batch::{self, BatchStatus, ImportRow, CLI};
use crate::models::scope::OwnedBatch;
use crate::services::imports::{Welcome, WelcomeTo};
use crate::services::{self, Act};
use crate::web::session::{self, EmptyForm, ProtectedForm};
use crate::web::{fmt, AppState, CurrentProvider, PageContext};

/// How many left-out rows the confirmation lists; the CSV holds them all.
const LEFT_OUT_SHOWN: i64 = 200;

/// A row the import left out, as the confirmation lists it.
struct LeftOutRow {
    row: i64,
    source: Option<String>,
    /// Their name, or "(no name)".
    name: String,
    email: String,
    why: String,
}

impl LeftOutRow {
    fn of(r: &ImportRow) -> Self {
        let name = match &r.display_name {
            Some(d) if !d.trim().is_empty() => d.trim().to_string(),
            _ => format!(
                "{} {}",
                r.first_name.as_deref().unwrap_or(""),
                r.last_name.as_deref().unwrap_or("")
            )
            .trim()
            .to_string(),
        };
        let mut reasons = r.reasons();
        // The card of a household's contact: their details went to the contact.
        if let Some(h) = r
            .household()
            .filter(|h| h.chosen && h.contact_rows.contains(&r.position))
        {
            reasons.insert(0, h.contact_row_note());
        }
        LeftOutRow {
            row: r.source_row,
            source: r.source.clone(),
            name,
            email: r.email.clone().unwrap_or_default(),
            why: review::why_left_out(r.status, &reasons),
        }
    }
}

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
    /// The first rows left out, each with its reason (none once the provider deleted the
    /// list).
    left_out: Vec<LeftOutRow>,
    /// The list may go on past what is shown.
    left_out_more: bool,
}

pub(super) async fn done_page(
    state: &AppState,
    page: PageContext,
    batch: OwnedBatch,
    local: fmt::Local,
) -> Result<HttpResponse, AppError> {
    let owned = batch.clone();
    // One more than are shown, to know whether there are more.
    let mut rows = state
        .db(move |conn| {
            Ok(import_batch::left_out_rows(
                conn,
                &owned,
                0,
                LEFT_OUT_SHOWN + 1,
            )?)
        })
        .await?;
    let left_out_more = rows.len() as i64 > LEFT_OUT_SHOWN;
    rows.truncate(LEFT_OUT_SHOWN as usize);
    let batch = batch.into_row();
    let skipped_reasons = batch
        .skipped_reasons()
        .into_iter()
        .map(|(status, n)| {
            let (one, many) = review::left_out(status);
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
        left_out_more,
        left_out: rows.iter().map(LeftOutRow::of).collect(),
    })
}

/// Every row the import left out, as CSV (cells a spreadsheet would run are escaped).
pub(super) async fn left_out_csv(
    state: web::Data<AppState>,
    batch: OwnedBatch,
) -> Result<HttpResponse, AppError> {
    if batch.status != BatchStatus::Imported {
        return Err(AppError::NotFound);
    }
    let owned = batch.clone();
    let rows = state
        .db(move |conn| Ok(import_batch::left_out_rows(conn, &owned, 0, i64::MAX)?))
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, cells: [&str; 5]| {
        out.write_record(cells.map(text_cell))
            .map_err(AppError::internal)
    };
    write(
        &mut out,
        ["Row", "File", "Name", "Email", "Why it was left out"],
    )?;
    for r in rows.iter().map(LeftOutRow::of) {
        write(
            &mut out,
            [
                &r.row.to_string(),
                r.source.as_deref().unwrap_or(""),
                &r.name,
                &r.email,
                &r.why,
            ],
        )?;
    }
    let body = out.into_inner().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"left-out-rows.csv\"",
        ))
        .body(body))
}

/// Deletes the list of rows an import left out (its counts stay).
pub(super) async fn forget_left_out(
    state: web::Data<AppState>,
    session: Session,
    batch: OwnedBatch,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let owned = batch.clone();
    let forgot = state
        .db(move |conn| Ok(import_batch::forget_left_out(conn, &owned)?))
        .await?;
    if forgot {
        session::flash(
            &session,
            "The list of rows left out was deleted. The import's counts stay.",
        );
    }
    Ok(crate::web::see_other(&batch_url(&batch)))
}

/// The confirmation asked before a second welcome email: who had one, and when.
#[derive(Template)]
#[template(path = "imports/welcome_again.html")]
struct WelcomeAgainPage {
    page: PageContext,
    id: String,
    file_name: String,
    already: Vec<(String, String)>,
    not_yet: usize,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct WelcomeForm {
    /// Empty on the first ask; "not_yet" or "everyone" once the provider confirmed.
    to: String,
}

/// The welcome email for every client an import created who has not set up their
/// account yet; when some had one already, the provider is asked first.
pub(super) async fn welcome_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    batch: OwnedBatch,
    ProtectedForm(form): ProtectedForm<WelcomeForm>,
) -> Result<HttpResponse, AppError> {
    let to = match form.to.as_str() {
        "not_yet" => Some(WelcomeTo::NotYet),
        "everyone" => Some(WelcomeTo::Everyone),
        _ => None,
    };
    let (me, owned, url, ip, now) = (
        provider.0.clone(),
        batch.clone(),
        state.config.public_url.clone(),
        crate::web::client_ip(&req),
        state.clock.now(),
    );
    let done = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::imports::welcome(
                conn, &me, &owned, &url, to, act,
            )?)
        })
        .await?;
    match done {
        Welcome::Sent(sent) => {
            session::flash(
                &session,
                format!(
                    "{sent} welcome email{} in the outbox (Settings → Outbox), each with a link to finish setting up.",
                    if sent == 1 { " is" } else { "s are" }
                ),
            );
            Ok(crate::web::see_other(&batch_url(&batch)))
        }
        Welcome::AskFirst { already, not_yet } => {
            let local = fmt::Local::of(&provider.0);
            render(&WelcomeAgainPage {
                page: page.signed_in(&provider),
                id: batch.id.clone(),
                file_name: batch.file_name.clone(),
                already: already
                    .into_iter()
                    .map(|(name, at)| (name, local.datetime(&at)))
                    .collect(),
                not_yet,
            })
        }
    }
}

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
    /// What the practice's documents take ("1.2 GB of 5 GB (24%)"), and whether the
    /// server sets a limit.
    storage: String,
    storage_limited: bool,
}

pub(super) async fn history(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    let scope = provider.scope();
    let limit = state.config.max_storage_bytes;
    let (batches, storage) = state
        .db(move |conn| {
            Ok((
                import_batch::history(conn, &scope)?,
                crate::models::document::storage(conn, &scope, limit)?,
            ))
        })
        .await?;
    let rows = batches
        .into_iter()
        .map(|b| HistoryRow {
            when: local.datetime(b.imported_at.as_ref().unwrap_or(&b.created_at)),
            origin: if b.origin == CLI {
                "command line"
            } else {
                "upload"
            },
            status: b.status.label(),
            finished: b.status == BatchStatus::Imported,
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
        storage: storage.describe(),
        storage_limited: storage.limit.is_some(),
    })
}
