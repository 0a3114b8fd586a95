//! The review's decisions saved: each row's choice (by the rules of `import::review`),
//! "Select all new clients", and an export's card matched by hand to a client the
//! provider typed as "Name <email>" from the list.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::DbConnection;
use crate::domain::email::normalize;
use crate::import::households::Household;
use crate::import::matching::Status;
use crate::models::client;
use crate::models::import_batch::{self, BatchStatus, HouseholdDecision, ImportRow, RowDecision};
use crate::models::scope::OwnedBatch;
use crate::models::simplepractice_import;

/// What the review form sent.
#[derive(Debug, Clone, Default)]
pub struct ReviewForm {
    /// The choices for the rows the page showed. An export's `link_to` is the label the
    /// provider picked ("Name <email>"); a list's is the id of the client it matched.
    pub decisions: Vec<RowDecision>,
    /// "Select all new clients" was pressed.
    pub select_all_new: bool,
    /// The choices for the file's households (people sharing an address).
    pub households: Vec<HouseholdDecision>,
}

/// Why the review was not saved.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// A second submit (double click, back button, another tab): nothing is done twice.
    #[error("This import has been done already.")]
    AlreadyImported,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Saves the provider's choices for the rows of a batch under review; `today` (the
/// provider's) says who is a minor.
pub fn save_review(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    form: ReviewForm,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<(), ReviewError> {
    if batch.status == BatchStatus::Imported {
        return Err(ReviewError::AlreadyImported);
    }
    let mut decisions = form.decisions;
    if batch.is_export() {
        for d in &mut decisions {
            d.link_to = match d.link_to.as_deref() {
                Some(label) => client_named(conn, batch, label)?,
                None => None,
            };
        }
    }
    // A household chosen now selects its members before their rows are read.
    let chosen_now = import_batch::decide_households(conn, batch, &form.households, now)?;
    decisions.retain(|d| !chosen_now.contains(&d.position));
    import_batch::decide(conn, batch, &decisions, today, now)?;
    if form.select_all_new {
        simplepractice_import::select_all_new(conn, batch)?;
    }
    Ok(())
}

/// The provider's client a "Name <email>" label of the list names (by its email).
fn client_named(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    label: &str,
) -> diesel::QueryResult<Option<String>> {
    let Some(email) = client::email_in_label(label) else {
        return Ok(None);
    };
    Ok(client::find_id_by_email(conn, batch.scope(), &normalize(email))?.map(|c| c.0))
}

/// How many of the provider's clients the "match by hand" list offers.
const MATCH_LIST_LIMIT: i64 = 5_000;

/// One page of the review, with what the page names.
pub struct ReviewPage {
    pub rows: Vec<ImportRow>,
    /// The clients the rows matched or were linked to: (id, first name, last name, email).
    pub names: Vec<(String, String, String, String)>,
    /// An export's review: the provider's clients to match a card by hand, as
    /// "Name <email>".
    pub clients: Vec<String>,
    /// The file's households, each once, in file order.
    pub households: Vec<Household>,
}

/// Page `page` of the batch's rows (of one status, or all).
pub fn review_page(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    status: Option<Status>,
    page: i64,
) -> diesel::QueryResult<ReviewPage> {
    let scope = batch.scope();
    let rows = import_batch::rows_page(conn, batch, status, page)?;
    let ids: Vec<String> = rows
        .iter()
        .flat_map(|r| [r.matched_client_id.clone(), r.linked_client_id.clone()])
        .flatten()
        .collect();
    let names = import_batch::client_names(conn, scope, &ids)?;
    let clients = if batch.is_export() {
        client::match_labels(conn, scope, MATCH_LIST_LIMIT)?
    } else {
        Vec::new()
    };
    let households = import_batch::households(conn, batch)?;
    Ok(ReviewPage {
        rows,
        names,
        clients,
        households,
    })
}
