//! What an import will write, and the report the CLI prints: pure, from reviewed rows.

use serde::Serialize;

use super::analysis::Analysis;
use super::extract::Candidate;
use super::households::Household;
use super::matching::{Reviewed, Status};
use crate::domain::client::ClientDetails;
use crate::domain::email::Email;
use crate::domain::name::{optional_text, PersonName};
use crate::domain::phone::Phone;

/// Validated details of a selected row, ready to insert; `None` for rows not to import.
pub fn details(row: &Reviewed) -> Option<ClientDetails> {
    if !row.selected {
        return None;
    }
    details_from(&row.candidate)
}

/// A new client's details from a row's fields; `None` when a required one is not valid.
/// Imported clients start with no insurance details (the portal asks for them) and with
/// the billing the file gave, or none: a guess would be wrong for every self-pay client.
pub fn details_from(c: &Candidate) -> Option<ClientDetails> {
    let email = Email::parse(c.email.as_deref()?).ok()?;
    person_details(c, Some(email))
}

/// A household member's details: their own name, phone and date of birth, and no email
/// (the shared address is their contact's); `None` when a name is not valid.
pub fn member_details(c: &Candidate) -> Option<ClientDetails> {
    person_details(c, None)
}

/// A person's details from a row, with the email they are to have.
fn person_details(c: &Candidate, email: Option<Email>) -> Option<ClientDetails> {
    Some(ClientDetails {
        first_name: PersonName::parse(c.first_name.as_deref()?, "first name").ok()?,
        last_name: PersonName::parse(c.last_name.as_deref()?, "last name").ok()?,
        // A preferred name too long to keep is left out rather than blocking the row.
        preferred_name: c
            .preferred_name
            .as_deref()
            .and_then(|p| optional_text(p, "preferred name", 80).ok().flatten()),
        email,
        // A phone that cannot be read is left out rather than blocking the row.
        phone: c
            .phone
            .as_deref()
            .and_then(|p| Phone::parse(p).ok().flatten()),
        billing_type: c.billing_type,
        insurance_company: None,
        insurance_member_id: None,
        date_of_birth: c.date_of_birth,
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
    /// What speaks for and against the row being the matched client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<&'a super::evidence::Evidence>,
    /// The file inside an archive the row came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// A SimplePractice export's card: how many documents of each kind it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<std::collections::BTreeMap<&'a str, usize>>,
    /// What the person goes by.
    pub preferred_name: Option<&'a str>,
    /// How they pay (`BillingType::as_str`), when the file says.
    pub billing_type: Option<&'static str>,
    /// Inactive or discharged in the file: imported archived.
    pub archived: bool,
    /// The parent, guardian or emergency contact the row names (its own columns).
    pub contact: Option<ReportContact<'a>>,
    /// The household the row belongs to (people sharing its address), as the review
    /// offers it: its contact receives the members' emails when it is chosen.
    pub household: Option<&'a Household>,
}

/// A contact as the file gives it.
#[derive(Debug, Serialize)]
pub struct ReportContact<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

impl<'a> ReportRow<'a> {
    fn of(r: &'a Reviewed) -> Self {
        let c = &r.candidate;
        ReportRow {
            preferred_name: c.preferred_name.as_deref(),
            billing_type: c.billing_type.map(|b| b.as_str()),
            archived: c.archived,
            contact: c.contact.as_ref().map(|k| ReportContact {
                name: k.name.as_deref(),
                email: k.email.as_deref(),
                phone: k.phone.as_deref(),
            }),
            household: None,
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
            evidence: r.evidence.as_ref(),
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
        let households = super::households::by_row(&analysis.households, analysis.rows.len());
        Report {
            format: analysis.format.as_str(),
            summary: Summary::of(&analysis.rows),
            clients: analysis
                .rows
                .iter()
                .zip(households)
                .map(|(r, household)| ReportRow {
                    household,
                    ..ReportRow::of(r)
                })
                .collect(),
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
                    household: r.household.as_ref(),
                    ..ReportRow::of(&r.reviewed)
                })
                .collect(),
        }
    }
}
