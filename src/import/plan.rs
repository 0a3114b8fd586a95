//! What an import will write, and the report the CLI prints: pure, from reviewed rows.

use serde::Serialize;

use chrono::NaiveDate;

use super::analysis::Analysis;
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
    details_from(
        c.first_name.as_deref(),
        c.last_name.as_deref(),
        c.email.as_deref(),
        c.phone.as_deref(),
        c.date_of_birth,
    )
}

/// A new client's details from a row's fields; `None` when a required one is not valid.
pub fn details_from(
    first_name: Option<&str>,
    last_name: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    date_of_birth: Option<NaiveDate>,
) -> Option<ClientDetails> {
    Some(ClientDetails {
        first_name: PersonName::parse(first_name?, "first name").ok()?,
        last_name: PersonName::parse(last_name?, "last name").ok()?,
        email: Some(Email::parse(email?).ok()?),
        // A phone that cannot be read is left out rather than blocking the row.
        phone: phone.and_then(|p| Phone::parse(p).ok().flatten()),
        billing_type: BillingType::Insurance,
        insurance_company: None,
        insurance_member_id: None,
        date_of_birth,
        telehealth_state: None,
        minor: false,
    })
}

/// A household member's details: their own name, phone and date of birth, and no email
/// (the shared address is their contact's); `None` when a name is not valid.
pub fn member_details(
    first_name: Option<&str>,
    last_name: Option<&str>,
    phone: Option<&str>,
    date_of_birth: Option<NaiveDate>,
) -> Option<ClientDetails> {
    Some(ClientDetails {
        first_name: PersonName::parse(first_name?, "first name").ok()?,
        last_name: PersonName::parse(last_name?, "last name").ok()?,
        email: None,
        phone: phone.and_then(|p| Phone::parse(p).ok().flatten()),
        billing_type: BillingType::Insurance,
        insurance_company: None,
        insurance_member_id: None,
        date_of_birth,
        telehealth_state: None,
        minor: false,
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
    /// "4 rows: 1 new, 1 already a client, 0 need review, 1 missing information" — what
    /// the command line says of a reviewed file; `unit` names what was counted.
    pub fn describe(&self, unit: (&str, &str)) -> String {
        use crate::domain::plural::{count, plural};
        format!(
            "{}: {} new, {} already {}, {} {} review, {} missing information",
            count(self.rows, unit.0, unit.1),
            self.new,
            self.existing,
            plural(self.existing, "a client", "clients"),
            self.needs_review,
            plural(self.needs_review, "needs", "need"),
            self.invalid,
        )
    }

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
    /// The file inside an archive the row came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// A SimplePractice export's card: how many documents of each kind it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<std::collections::BTreeMap<&'a str, usize>>,
}

impl<'a> ReportRow<'a> {
    fn of(r: &'a Reviewed) -> Self {
        ReportRow {
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
            source: r.candidate.source.as_deref(),
            documents: None,
        }
    }
}

/// The one JSON document `caseload import --json` prints.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub format: &'static str,
    pub summary: Summary,
    pub clients: Vec<ReportRow<'a>>,
}

impl<'a> Report<'a> {
    pub fn new(analysis: &'a Analysis) -> Self {
        Report {
            format: analysis.format.as_str(),
            summary: Summary::of(&analysis.rows),
            clients: analysis.rows.iter().map(ReportRow::of).collect(),
        }
    }

    /// The report of a SimplePractice export's review.
    pub fn for_export(rows: &'a [super::simplepractice::ExportRow]) -> Self {
        let reviewed: Vec<Reviewed> = rows.iter().map(|r| r.reviewed.clone()).collect();
        Report {
            format: "simplepractice_zip",
            summary: Summary::of(&reviewed),
            clients: rows
                .iter()
                .map(|r| ReportRow {
                    documents: Some(
                        r.documents
                            .iter()
                            .map(|(kind, n)| (kind.as_str(), *n))
                            .collect(),
                    ),
                    ..ReportRow::of(&r.reviewed)
                })
                .collect(),
        }
    }
}
