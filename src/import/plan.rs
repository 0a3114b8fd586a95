//! What an import will write, and the report the CLI prints: pure, from reviewed rows.

use serde::Serialize;

use super::extract::Extracted;
use super::matching::{Reviewed, Status};
use crate::domain::billing::BillingType;
use crate::domain::client::ClientDetails;
use crate::domain::email::Email;
use crate::domain::name::PersonName;
use crate::domain::phone::Phone;

/// Validated details of a selected row, ready to insert; `None` for rows not to import.
/// Imported clients start with insurance billing and no insurance details: the portal
/// asks them for it.
pub fn details(row: &Reviewed) -> Option<ClientDetails> {
    if !row.selected {
        return None;
    }
    let c = &row.candidate;
    Some(ClientDetails {
        first_name: PersonName::parse(c.first_name.as_deref()?, "first name").ok()?,
        last_name: PersonName::parse(c.last_name.as_deref()?, "last name").ok()?,
        email: Email::parse(c.email.as_deref()?).ok()?,
        // A phone that cannot be read is left out rather than blocking the row.
        phone: c
            .phone
            .as_deref()
            .and_then(|p| Phone::parse(p).ok().flatten()),
        billing_type: BillingType::Insurance,
        insurance_company: None,
        insurance_member_id: None,
        date_of_birth: c.date_of_birth,
        telehealth_state: None,
    })
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub rows: usize,
    pub new: usize,
    pub existing: usize,
    pub needs_review: usize,
    pub invalid: usize,
    pub duplicate_in_file: usize,
}

impl Summary {
    pub fn of(rows: &[Reviewed]) -> Self {
        let mut s = Summary {
            rows: rows.len(),
            ..Default::default()
        };
        for r in rows {
            match r.status {
                Status::New => s.new += 1,
                Status::Existing => s.existing += 1,
                Status::NeedsReview => s.needs_review += 1,
                Status::Invalid => s.invalid += 1,
                Status::DuplicateInFile => s.duplicate_in_file += 1,
            }
        }
        s
    }
}

#[derive(Debug, Serialize)]
pub struct ReportRow<'a> {
    pub row: usize,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub date_of_birth: Option<String>,
    pub status: &'static str,
    pub selected: bool,
    pub reasons: &'a [String],
    pub matched_client_id: Option<&'a str>,
}

/// The one JSON document `caseload import --json` prints.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub format: &'static str,
    pub summary: Summary,
    pub clients: Vec<ReportRow<'a>>,
}

impl<'a> Report<'a> {
    pub fn new(extracted: &Extracted, rows: &'a [Reviewed]) -> Self {
        Report {
            format: extracted.format.as_str(),
            summary: Summary::of(rows),
            clients: rows
                .iter()
                .map(|r| ReportRow {
                    row: r.candidate.row,
                    first_name: r.candidate.first_name.as_deref(),
                    last_name: r.candidate.last_name.as_deref(),
                    email: r.candidate.email.as_deref(),
                    phone: r.candidate.phone.as_deref(),
                    date_of_birth: r
                        .candidate
                        .date_of_birth
                        .map(|d| d.format("%Y-%m-%d").to_string()),
                    status: r.status.as_str(),
                    selected: r.selected,
                    reasons: &r.reasons,
                    matched_client_id: r.matched_client_id.as_deref(),
                })
                .collect(),
        }
    }
}
