//! After an import: what it did, the welcome email to its clients, and Settings → Imports
//! (every import, with how it ended).

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{batch_url, render};
use crate::domain::plural::plural;
use crate::error::AppError;
use crate::import::review;
use crate::models::import_batch::{self, BatchStatus, ImportBatch, CLI};
use crate::models::scope::OwnedBatch;
use crate::services::{self, Act};
use crate::web::session::{self, EmptyForm, ProtectedForm};
use crate::web::{fmt, AppState, CurrentProvider, PageContext};

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

pub(super) fn done_page(
    page: PageContext,
    batch: ImportBatch,
    local: fmt::Local,
) -> Result<HttpResponse, AppError> {
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
    })
}

/// The welcome email for every client an import created who has not set up their
/// account yet.
pub(super) async fn welcome_all(
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
        crate::web::client_ip(&req),
        state.clock.now(),
    );
    let sent = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::imports::welcome(conn, &me, &owned, &url, act)?)
        })
        .await?;
    session::flash(
        &session,
        format!(
            "{sent} welcome email{} in the outbox (Settings → Outbox), each with a link to finish setting up.",
            if sent == 1 { " is" } else { "s are" }
        ),
    );
    Ok(crate::web::see_other(&batch_url(&batch)))
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
}

pub(super) async fn history(
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
    })
}
