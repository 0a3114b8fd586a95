//! Picking by hand the columns of a file whose headers said too little, or another sheet
//! of a workbook: the file goes back to the workers to be read that way.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{batch_url, files};
use crate::error::AppError;
use crate::import::columns::ManualColumns;
use crate::import_jobs::ColumnsNeeded;
use crate::models::import_batch::ImportBatch;
use crate::models::scope::OwnedBatch;
use crate::services::imports::{self, Reading, ReadingError};
use crate::web::session::{self, ProtectedForm};
use crate::web::{see_other, AppState, PageContext};

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
pub(super) struct ColumnsPage {
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
    pub(super) fn of(page: PageContext, b: &ImportBatch) -> Self {
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
pub(super) struct ColumnsInput {
    first_name: String,
    last_name: String,
    full_name: String,
    email: String,
    phone: String,
    date_of_birth: String,
}

pub(super) async fn choose_columns(
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
    read_again(&state, &session, batch, Reading::Columns(choice)).await
}

#[derive(Deserialize)]
pub(super) struct SheetInput {
    sheet: String,
}

pub(super) async fn choose_sheet(
    state: web::Data<AppState>,
    session: Session,
    batch: OwnedBatch,
    ProtectedForm(input): ProtectedForm<SheetInput>,
) -> Result<HttpResponse, AppError> {
    read_again(&state, &session, batch, Reading::Sheet(input.sheet)).await
}

async fn read_again(
    state: &AppState,
    session: &Session,
    batch: OwnedBatch,
    reading: Reading,
) -> Result<HttpResponse, AppError> {
    let (owned, files, now) = (batch.clone(), files(state), state.clock.now());
    let read = state
        .db(move |conn| Ok(imports::reanalyse(conn, &owned, reading, &files, now)))
        .await?;
    match read {
        Ok(()) => {}
        Err(e @ ReadingError::NoNames) => session::flash(session, e.to_string()),
        Err(ReadingError::Database(e)) => return Err(e.into()),
    }
    Ok(see_other(&batch_url(&batch)))
}
