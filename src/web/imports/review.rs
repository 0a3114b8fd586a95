//! The review of an analysed file: its rows a page at a time, by status, with what each
//! row offers (decided by `import::review`, rendered here); saving the choices, importing
//! the selected rows, and cancelling.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{batch_url, files};
use crate::domain::billing::BillingType;
use crate::domain::contact::Relationship;
use crate::domain::phone;
use crate::error::AppError;
use crate::import::analysis::FileNotes;
use crate::import::extract::Format;
use crate::import::households::{self, Household};
use crate::import::matching::Status;
use crate::import::review::{self as rules, Chosen, Documents, Offer};
use crate::models::import_batch::{
    HouseholdDecision, ImportBatch, ImportRow, RowDecision, ROWS_PER_PAGE,
};
use crate::models::scope::OwnedBatch;
use crate::services::imports::{
    self, CancelError, CommitError, Committed, ReviewError, ReviewForm,
};
use crate::services::Act;
use crate::web::session::{self, EmptyForm, ProtectedForm};
use crate::web::{fmt, render_status, see_other, AppState, CurrentProvider, PageContext};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ReviewParams {
    show: String,
    page: String,
}

/// The filters of the review page: (value, label, count).
fn filters(b: &ImportBatch) -> Vec<(&'static str, &'static str, i64)> {
    let mut tabs = vec![("", "All rows", b.rows_total)];
    tabs.extend(
        rules::statuses(b.kind())
            .into_iter()
            .map(|s| (s.as_str(), rules::label(s), b.rows_with(Some(s)))),
    );
    tabs
}

/// One row as the page shows it: what the rules decided it offers, and its details.
struct RowView {
    position: i64,
    source_row: i64,
    source: Option<String>,
    name: String,
    preferred_name: Option<String>,
    /// What the file said beyond names and contact details, as it will be imported.
    details: Vec<String>,
    email: String,
    phone: String,
    date_of_birth: String,
    status: &'static str,
    badge: (String, &'static str),
    reasons: Vec<String>,
    /// What speaks for and against the row being its matched client, in words:
    /// ("same email, same date of birth", "another phone"), either may be empty.
    evidence: Option<(String, String)>,
    /// What the "Import" cell offers.
    import: Offer,
    /// Which of its choices is the one made.
    chosen: Chosen,
    /// The email can be corrected.
    email_editable: bool,
    /// The status cell names the client the row is.
    names_match: bool,
    /// Whether the folder's documents go with the card, or the provider says.
    folder: Documents,
    takes_documents: bool,
    /// The existing client this row is or may be: (id, name and email).
    matched: Option<(String, String)>,
    /// An export's card: the documents found for the person.
    documents: Vec<(String, usize)>,
    /// The client an export's card was matched to by hand, as the list names them.
    linked_label: String,
    /// What its household (people sharing its address) means for the row.
    household_note: Option<String>,
}

impl RowView {
    fn of(r: ImportRow, batch: &ImportBatch, names: &[(String, String, String, String)]) -> Self {
        let rules = r.rules(batch.kind());
        let offers = rules.offers();
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
        let linked_label = r
            .linked_client_id
            .as_ref()
            .and_then(|id| names.iter().find(|(cid, ..)| cid == id))
            .map(|(_, f, l, e)| format!("{f} {l} <{e}>"))
            .unwrap_or_default();
        let household = r.household();
        let in_chosen = r.chosen_household().is_some();
        let household_note = household.as_ref().map(|h| {
            let member = h.members.contains(&r.position);
            match (member, h.chosen) {
                (true, true) => format!(
                    "Imported with the household: {} becomes the address of their contact, {}.",
                    h.email,
                    if h.contact_name.is_empty() {
                        "whose name is still to fill in"
                    } else {
                        h.contact_name.as_str()
                    }
                ),
                (true, false) => format!(
                    "Shares {} with other people: see “People who share an address” above.",
                    h.email
                ),
                (false, true) => h.contact_row_note(),
                (false, false) => format!(
                    "Perhaps the contact of {}: see “People who share an address” above.",
                    households::names_together(&h.names)
                ),
            }
        });
        RowView {
            household_note,
            import: if in_chosen {
                Offer::Tick
            } else {
                offers.import
            },
            chosen: rules.chosen(r.selected, r.linked_client_id.is_some()),
            email_editable: offers.email && !in_chosen,
            names_match: offers.names_match,
            folder: offers.documents,
            takes_documents: r.takes_documents,
            badge: rules.badge(),
            status: r.status.as_str(),
            linked_label,
            documents: r.document_counts(),
            position: r.position,
            source_row: r.source_row,
            source: r.source.clone(),
            name: match &r.display_name {
                Some(d) if !d.trim().is_empty() => d.clone(),
                _ if name.is_empty() => "(no name)".into(),
                _ => name,
            },
            preferred_name: r.preferred_name.clone(),
            details: imported_details(&r),
            email: r.email.clone().unwrap_or_default(),
            phone: r.phone.as_deref().map(phone::shown).unwrap_or_default(),
            date_of_birth: r.date_of_birth.as_ref().map(fmt::date).unwrap_or_default(),
            reasons: r.reasons(),
            evidence: r
                .evidence()
                .map(|e| (e.supports.join(", "), e.contradicts.join(", "))),
            matched,
        }
    }

    /// The tick box (of a tick, or "Import as a new client") is ticked.
    fn ticked(&self) -> bool {
        self.chosen == Chosen::New
    }
}

/// The billing and standing a row brings in, in words.
fn imported_details(r: &ImportRow) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(billing) = r.billing_type.as_deref().and_then(BillingType::parse) {
        out.push(format!("Billing: {}", billing.label()));
    }
    if r.archived {
        out.push("Inactive in the file: comes in archived".to_string());
    }
    out
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
    rows: Vec<RowView>,
    page_no: i64,
    pages: i64,
    selected: i64,
    linked: i64,
    existing: i64,
    error: Option<String>,
    /// A SimplePractice export, and the provider's clients to match its cards by hand.
    export: bool,
    clients: Vec<String>,
    /// People of the file who share an address, offered as households.
    households: Vec<HouseholdView>,
    /// The relationships a household's contact may have: (value, label).
    relationships: Vec<(&'static str, &'static str)>,
}

/// A household as the review offers it.
struct HouseholdView {
    id: i64,
    offer: String,
    email: String,
    chosen: bool,
    contact_name: String,
    relationship: String,
    /// Whose the address is, or which card is the contact's, when the file or the list says.
    note: Option<String>,
}

impl HouseholdView {
    fn of(h: Household, export: bool) -> Self {
        let note = match (&h.listed_owner, h.contact_rows.is_empty()) {
            (Some((_, owner)), _) => Some(format!(
                "The address belongs to your client {owner}, who stays as they are; {} {} it as their contact's.",
                households::names_together(&h.names),
                if h.members.len() == 1 { "gets" } else { "get" }
            )),
            (None, false) if export => Some(format!(
                "The export's card for {} has the same address and no records: it is taken as the contact's card, not imported as a client.",
                if h.contact_name.is_empty() { "the contact" } else { h.contact_name.as_str() }
            )),
            (None, false) => Some(format!(
                "{}'s own row has the same address: they become the contact, and their row is left out unless you tick it (if they are your client too).",
                if h.contact_name.is_empty() { "The contact" } else { h.contact_name.as_str() }
            )),
            (None, true) => None,
        };
        HouseholdView {
            id: h.id,
            offer: h.offer(),
            email: h.email,
            chosen: h.chosen,
            contact_name: h.contact_name,
            relationship: h.relationship,
            note,
        }
    }
}

/// The review page of a batch, with `error` when an import was refused.
pub(super) async fn review_page(
    state: &AppState,
    page: PageContext,
    batch: OwnedBatch,
    query: &ReviewParams,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    // A tab the review has (an export has no "repeated" tab), or all rows.
    let show: Option<Status> = query
        .show
        .parse()
        .ok()
        .filter(|s| rules::statuses(batch.kind()).contains(s));
    let pages = ((batch.rows_with(show) + ROWS_PER_PAGE - 1) / ROWS_PER_PAGE).max(1);
    let page_no = query.page.parse::<i64>().unwrap_or(1).clamp(1, pages);
    let owned = batch.clone();
    let found = state
        .db(move |conn| Ok(imports::review_page(conn, &owned, show, page_no)?))
        .await?;
    let notes: FileNotes = batch
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
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
            show: show.map(Status::as_str).unwrap_or("").to_string(),
            rows: found
                .rows
                .into_iter()
                .map(|r| RowView::of(r, &batch, &found.names))
                .collect(),
            page_no,
            pages,
            selected: batch.rows_selected,
            linked: batch.rows_linked,
            existing: batch.rows_existing,
            error,
            export: batch.is_export(),
            clients: found.clients,
            households: found
                .households
                .into_iter()
                .map(|h| HouseholdView::of(h, batch.is_export()))
                .collect(),
            relationships: Relationship::all()
                .map(|r| (r.as_str(), r.label()))
                .collect(),
        },
    )
}

/// Reads the review form's fields: the rows shown, and for each whether it is selected,
/// linked to a client, has a corrected email, or gets its folder's documents.
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

/// Reads the review form's household fields: for each household shown, whether it is
/// imported together, and its contact's name and relationship.
fn household_decisions(fields: &[(String, String)]) -> Vec<HouseholdDecision> {
    let value = |name: String| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    fields
        .iter()
        .filter(|(k, _)| k == "household")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .map(|id| HouseholdDecision {
            id,
            chosen: value(format!("household-choice-{id}")) == "together",
            contact_name: value(format!("household-name-{id}")),
            relationship: value(format!("household-relationship-{id}")),
        })
        .collect()
}

pub(super) async fn save_review(
    req: HttpRequest,
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
    let (show, action, page_no) = (field("show"), field("action"), field("page"));
    let form = ReviewForm {
        decisions: decisions(&fields),
        select_all_new: action == "select-new",
        households: household_decisions(&fields),
    };
    let (owned, now) = (batch.clone(), state.clock.now());
    let today = provider.today(&state.clock);
    let saved = state
        .db(
            move |conn| match imports::save_review(conn, &owned, form, today, now) {
                Err(ReviewError::Database(e)) => Err(e.into()),
                other => Ok(other),
            },
        )
        .await?;
    if let Err(ReviewError::AlreadyImported) = saved {
        return Ok(see_other(&batch_url(&batch)));
    }
    let url = batch_url(&batch);
    if let Some(filter) = action.strip_prefix("show:") {
        return Ok(see_other(&format!(
            "{url}?show={}",
            crate::error::urlencode(filter)
        )));
    }
    if let Some(next) = action.strip_prefix("page:") {
        let next = next.parse::<i64>().unwrap_or(1);
        return Ok(see_other(&format!(
            "{url}?show={}&page={next}",
            crate::error::urlencode(&show)
        )));
    }
    if action != "import" {
        session::flash(
            &session,
            if action == "select-new" {
                "Every new client is selected. Your other choices were saved."
            } else {
                "Your choices were saved."
            },
        );
        return Ok(see_other(&format!(
            "{url}?show={}&page={page_no}",
            crate::error::urlencode(&show),
        )));
    }
    let invite = field("invite") == "yes";
    let (me, owned, public_url, files) = (
        provider.0.clone(),
        batch.clone(),
        state.config.public_url.clone(),
        files(&state),
    );
    let (ip, now) = (crate::web::client_ip(&req), state.clock.now());
    let committed = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            match imports::commit(conn, &me, &owned, invite, &public_url, &files, act) {
                Err(CommitError::Database(e)) => Err(e.into()),
                other => Ok(other),
            }
        })
        .await?;
    match committed {
        Ok(Committed::Now) => {
            state.checkpoint_in_background();
            Ok(see_other(&url))
        }
        Ok(Committed::AlreadyDone) | Err(CommitError::NotReady) => Ok(see_other(&url)),
        Err(
            e @ (CommitError::NothingSelected
            | CommitError::Conflict(_)
            | CommitError::Unreadable(_)),
        ) => {
            let fresh = super::reload(&state, &batch).await?;
            let query = ReviewParams {
                show,
                page: page_no,
            };
            review_page(
                &state,
                page.signed_in(&provider),
                fresh,
                &query,
                Some(e.to_string()),
            )
            .await
        }
        Err(CommitError::Database(e)) => Err(e.into()),
    }
}

pub(super) async fn cancel(
    state: web::Data<AppState>,
    session: Session,
    batch: OwnedBatch,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let (owned, files, now) = (batch.clone(), files(&state), state.clock.now());
    let cancelled = state
        .db(
            move |conn| match imports::cancel(conn, &owned, &files, now) {
                Err(CancelError::Database(e)) => Err(e.into()),
                other => Ok(other),
            },
        )
        .await?;
    match cancelled {
        Ok(()) => {
            session::flash(
                &session,
                format!(
                    "The import of {} was cancelled. Nothing was imported.",
                    batch.file_name
                ),
            );
            Ok(see_other("/clients"))
        }
        Err(e @ CancelError::AlreadyImported) => {
            session::flash(&session, format!("{e} Here is what it imported."));
            Ok(see_other(&batch_url(&batch)))
        }
        Err(CancelError::Database(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_form_fields_become_decisions() {
        let f = |k: &str, v: &str| (k.to_string(), v.to_string());
        let fields = vec![
            f("row", "1"),
            f("row", "2"),
            f("row", "3"),
            f("row", "4"),
            f("select", "1"),
            f("choice-2", "link"),
            f("match-2", "abc"),
            f("email-3", "fixed@example.com"),
            f("choice-4", "new"),
            f("docs", "4"),
        ];
        let d = decisions(&fields);
        assert_eq!(d.len(), 4);
        assert!(d[0].selected && d[0].link_to.is_none());
        assert_eq!(
            (d[1].selected, d[1].link_to.as_deref()),
            (false, Some("abc"))
        );
        assert_eq!(d[2].email.as_deref(), Some("fixed@example.com"));
        assert!(d[3].selected && d[3].takes_documents && !d[0].takes_documents);
    }
}
