//! Each candidate against the provider's list and the rest of the file: new, already a
//! client, needs review (with the reason), missing information, or repeated in the file.
//! An email alone never matches: families share inboxes, so the name must agree too.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::extract::Candidate;
use crate::domain::email::Email;
use crate::domain::search_key::search_key;

/// A client already on the list, as matching needs them.
#[derive(Debug, Clone)]
pub struct ExistingClient {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email_normalized: String,
    pub date_of_birth: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    New,
    Existing,
    NeedsReview,
    Invalid,
    DuplicateInFile,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Existing => "existing",
            Self::NeedsReview => "needs_review",
            Self::Invalid => "invalid",
            Self::DuplicateInFile => "duplicate_in_file",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Reviewed {
    pub candidate: Candidate,
    pub status: Status,
    /// Selected for import by default: only new, valid people.
    pub selected: bool,
    pub reasons: Vec<String>,
    /// The existing client this row is (or may be).
    pub matched_client_id: Option<String>,
}

/// Common short forms of first names, to their full form.
const NICKNAMES: &[(&str, &str)] = &[
    ("bob", "robert"),
    ("rob", "robert"),
    ("bobby", "robert"),
    ("bill", "william"),
    ("will", "william"),
    ("liam", "william"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jon", "john"),
    ("johnny", "john"),
    ("jack", "john"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("kathy", "katherine"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("mike", "michael"),
    ("tom", "thomas"),
    ("dave", "david"),
    ("chris", "christopher"),
    ("alex", "alexander"),
    ("sam", "samuel"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("joe", "joseph"),
    ("ben", "benjamin"),
    ("matt", "matthew"),
    ("nick", "nicholas"),
    ("steve", "steven"),
    ("tony", "anthony"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("jess", "jessica"),
    ("sue", "susan"),
    ("peggy", "margaret"),
    ("maggie", "margaret"),
    ("meg", "margaret"),
    ("patty", "patricia"),
    ("pat", "patricia"),
    ("rick", "richard"),
    ("dick", "richard"),
    ("rich", "richard"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("ted", "edward"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("greg", "gregory"),
    ("larry", "lawrence"),
    ("abby", "abigail"),
    ("becky", "rebecca"),
    ("vicky", "victoria"),
    ("tori", "victoria"),
];

fn canonical_first(key: &str) -> &str {
    NICKNAMES
        .iter()
        .find(|(short, _)| *short == key)
        .map(|(_, full)| *full)
        .unwrap_or(key)
}

fn prefix2(key: &str) -> String {
    key.chars().take(2).collect()
}

/// Lists of indexes into `existing`, by the keys matching looks up.
struct Index {
    by_email: HashMap<String, usize>,
    by_name: HashMap<(String, String), Vec<usize>>,
    by_canonical: HashMap<(String, String), Vec<usize>>,
    /// Last name and the first two letters of the first name: where typos are looked for.
    by_last_and_initials: HashMap<(String, String), Vec<usize>>,
    keys: Vec<(String, String)>,
}

impl Index {
    fn new(existing: &[ExistingClient]) -> Self {
        let mut ix = Index {
            by_email: HashMap::with_capacity(existing.len()),
            by_name: HashMap::new(),
            by_canonical: HashMap::new(),
            by_last_and_initials: HashMap::new(),
            keys: Vec::with_capacity(existing.len()),
        };
        for (i, c) in existing.iter().enumerate() {
            let (f, l) = (search_key(&c.first_name), search_key(&c.last_name));
            ix.by_email.insert(c.email_normalized.clone(), i);
            ix.by_name
                .entry((f.clone(), l.clone()))
                .or_default()
                .push(i);
            ix.by_canonical
                .entry((canonical_first(&f).to_string(), l.clone()))
                .or_default()
                .push(i);
            ix.by_last_and_initials
                .entry((l.clone(), prefix2(&f)))
                .or_default()
                .push(i);
            ix.keys.push((f, l));
        }
        ix
    }
}

/// Reviews every candidate; the order of the file is kept.
pub fn review(candidates: Vec<Candidate>, existing: &[ExistingClient]) -> Vec<Reviewed> {
    review_with_progress(candidates, existing, &mut |_, _| {})
}

/// How often `review_with_progress` reports, in rows.
const PROGRESS_EVERY: usize = 5_000;

/// `review`, telling `progress(done, total)` how far it is now and then.
pub fn review_with_progress(
    candidates: Vec<Candidate>,
    existing: &[ExistingClient],
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Reviewed> {
    let total = candidates.len();
    let ix = Index::new(existing);
    let mut first_row_by_email: HashMap<String, (usize, String, String)> = HashMap::new();
    let mut first_row_by_person: HashMap<(String, String, Option<NaiveDate>), usize> =
        HashMap::new();
    candidates
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            if i % PROGRESS_EVERY == 0 {
                progress(i, total);
            }
            review_one(
                c,
                existing,
                &ix,
                &mut first_row_by_email,
                &mut first_row_by_person,
            )
        })
        .collect()
}

fn review_one(
    c: Candidate,
    existing: &[ExistingClient],
    ix: &Index,
    first_row_by_email: &mut HashMap<String, (usize, String, String)>,
    first_row_by_person: &mut HashMap<(String, String, Option<NaiveDate>), usize>,
) -> Reviewed {
    let mut reasons = Vec::new();
    if let Some(p) = c.date_problem {
        reasons.push(p.describe().to_string());
    }
    let first = c
        .first_name
        .as_deref()
        .map(search_key)
        .filter(|k| !k.is_empty());
    let last = c
        .last_name
        .as_deref()
        .map(search_key)
        .filter(|k| !k.is_empty());
    let email = c.email.as_deref().map(Email::parse);
    let mut invalid = Vec::new();
    if last.is_none() {
        invalid.push("No last name.".to_string());
    }
    if first.is_none() {
        invalid.push("No first name.".to_string());
    }
    match &email {
        None => invalid.push("No email address.".to_string()),
        Some(Err(_)) => invalid.push("The email address is not valid; correct it.".to_string()),
        Some(Ok(_)) => {}
    }
    let done = |status, reasons, matched: Option<String>, c| Reviewed {
        candidate: c,
        status,
        selected: status == Status::New,
        reasons,
        matched_client_id: matched,
    };
    let (Some(first), Some(last), Some(Ok(email))) = (first, last, email) else {
        invalid.extend(reasons);
        return done(Status::Invalid, invalid, None, c);
    };
    let norm = email.normalized().to_string();

    // Repeated in this file: the same person again, or another person on the same email
    // (Caseload keeps one client per address).
    if let Some((row, f, l)) = first_row_by_email.get(&norm) {
        let same = *f == first && *l == last;
        reasons.insert(
            0,
            if same {
                format!("The same person as row {row}.")
            } else {
                format!("Row {row} has the same email address; Caseload keeps one client per email address.")
            },
        );
        return done(
            if same {
                Status::DuplicateInFile
            } else {
                Status::NeedsReview
            },
            reasons,
            None,
            c,
        );
    }
    let person = (first.clone(), last.clone(), c.date_of_birth);
    if let Some(row) = first_row_by_person
        .get(&person)
        .filter(|_| c.date_of_birth.is_some())
    {
        reasons.insert(0, format!("The same name and date of birth as row {row}."));
        return done(Status::DuplicateInFile, reasons, None, c);
    }
    first_row_by_email.insert(norm.clone(), (c.row, first.clone(), last.clone()));
    first_row_by_person.insert(person, c.row);

    // Against the list.
    if let Some(&i) = ix.by_email.get(&norm) {
        let ex = &existing[i];
        if ix.keys[i] == (first.clone(), last.clone()) {
            return done(Status::Existing, reasons, Some(ex.id.clone()), c);
        }
        reasons.insert(
            0,
            format!(
                "This email belongs to your client {} {}, whose name differs.",
                ex.first_name, ex.last_name
            ),
        );
        return done(Status::NeedsReview, reasons, Some(ex.id.clone()), c);
    }
    if let Some(&i) = ix
        .by_name
        .get(&(first.clone(), last.clone()))
        .and_then(|v| v.first())
    {
        let ex = &existing[i];
        let same_dob = c.date_of_birth.is_some() && c.date_of_birth == ex.date_of_birth;
        reasons.insert(
            0,
            if same_dob {
                format!(
                    "Same name and date of birth as your client {} {}, with another email.",
                    ex.first_name, ex.last_name
                )
            } else {
                format!(
                    "Same name as your client {} {}, with another email.",
                    ex.first_name, ex.last_name
                )
            },
        );
        return done(Status::NeedsReview, reasons, Some(ex.id.clone()), c);
    }
    if let Some(&i) = ix
        .by_canonical
        .get(&(canonical_first(&first).to_string(), last.clone()))
        .and_then(|v| v.first())
    {
        let ex = &existing[i];
        reasons.insert(
            0,
            format!(
                "Possibly your client {} {} (a short form of the name).",
                ex.first_name, ex.last_name
            ),
        );
        return done(Status::NeedsReview, reasons, Some(ex.id.clone()), c);
    }
    let typo = ix
        .by_last_and_initials
        .get(&(last.clone(), prefix2(&first)))
        .and_then(|v| {
            v.iter()
                .copied()
                .find(|&i| strsim::jaro_winkler(&ix.keys[i].0, &first) >= 0.9)
        });
    if let Some(i) = typo {
        let ex = &existing[i];
        reasons.insert(
            0,
            format!(
                "Possibly your client {} {} (a similar spelling).",
                ex.first_name, ex.last_name
            ),
        );
        return done(Status::NeedsReview, reasons, Some(ex.id.clone()), c);
    }
    done(Status::New, reasons, None, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing(id: &str, first: &str, last: &str, email: &str) -> ExistingClient {
        ExistingClient {
            id: id.into(),
            first_name: first.into(),
            last_name: last.into(),
            email_normalized: email.into(),
            date_of_birth: None,
        }
    }

    fn cand(row: usize, first: &str, last: &str, email: &str) -> Candidate {
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        Candidate {
            row,
            first_name: some(first),
            last_name: some(last),
            email: some(email),
            phone: None,
            date_of_birth: None,
            date_problem: None,
            source: None,
        }
    }

    #[test]
    fn every_status_and_its_reason() {
        let list = vec![
            existing("c1", "Ada", "Lovelace", "ada@example.com"),
            existing("c2", "Robert", "Moses", "robert@example.com"),
            existing("c3", "John", "Keats", "keats@example.com"),
            existing("c4", "Grace", "Hopper", "family@example.com"),
        ];
        let rows = vec![
            cand(2, "Nia", "Okafor", "nia@example.com"),
            cand(3, "ADA", "lovelace", " Ada@Example.com "),
            cand(4, "Gregory", "Hopper", "family@example.com"),
            cand(5, "Ada", "Lovelace", "ada.l@example.com"),
            cand(6, "Bob", "Moses", "bob@example.com"),
            cand(7, "Jonh", "Keats", "jonh@example.com"),
            cand(8, "Sam", "", "sam@example.com"),
            cand(9, "Lee", "Kim", ""),
            cand(10, "Lee", "Kim", "lee at example"),
            cand(11, "Nia", "Okafor", "NIA@example.com"),
            cand(12, "Tomas", "Okafor", "nia@example.com"),
        ];
        let out = review(rows, &list);
        let got: Vec<(usize, &str, bool, Option<&str>)> = out
            .iter()
            .map(|r| {
                (
                    r.candidate.row,
                    r.status.as_str(),
                    r.selected,
                    r.matched_client_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, "new", true, None),
                (3, "existing", false, Some("c1")),
                (4, "needs_review", false, Some("c4")),
                (5, "needs_review", false, Some("c1")),
                (6, "needs_review", false, Some("c2")),
                (7, "needs_review", false, Some("c3")),
                (8, "invalid", false, None),
                (9, "invalid", false, None),
                (10, "invalid", false, None),
                (11, "duplicate_in_file", false, None),
                (12, "needs_review", false, None),
            ]
        );
        assert!(
            out[2].reasons[0].contains("belongs to your client Grace Hopper"),
            "a shared family inbox is never matched on email alone"
        );
        assert!(out[4].reasons[0].contains("short form"));
        assert!(out[5].reasons[0].contains("similar spelling"));
        assert_eq!(out[6].reasons, ["No last name."]);
        assert!(out[9].reasons[0].contains("row 2"));
        assert!(out[10].reasons[0].contains("one client per email address"));
    }

    #[test]
    fn a_hundred_thousand_rows_against_a_hundred_thousand_clients_stays_linear() {
        let list: Vec<ExistingClient> = (0..100_000)
            .map(|i| {
                existing(
                    &format!("c{i}"),
                    "Ava",
                    &format!("Smith{}", i % 500),
                    &format!("ava{i}@example.com"),
                )
            })
            .collect();
        let rows: Vec<Candidate> = (0..100_000)
            .map(|i| {
                cand(
                    i + 2,
                    "Ava",
                    &format!("Smith{}", i % 500),
                    &format!("new{i}@example.com"),
                )
            })
            .collect();
        let out = review(rows, &list);
        assert_eq!(out.len(), 100_000);
        assert!(out.iter().all(|r| r.status == Status::NeedsReview));
    }
}
