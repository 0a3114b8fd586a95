//! Each candidate against the provider's list and the rest of the file: new, already a
//! client, needs review (with the reason), missing information, or repeated in the file.
//! An email alone never matches: families share inboxes, so the name must agree too.

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

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

/// What the review found a row to be; stored with the row as its snake_case name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    /// Not on the provider's list: imported as a new client when selected.
    New,
    /// On the list already (same name and email): left as it is.
    Existing,
    /// Could be a client on the list, or not: the provider decides.
    NeedsReview,
    /// No name, or no valid email address.
    Invalid,
    /// The same person as an earlier row of the file.
    DuplicateInFile,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        self.into()
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

/// The key names are looked up by: first and last name folded, with a separator that
/// folding never produces.
fn name_key(first: &str, last: &str) -> String {
    let mut key = String::with_capacity(first.len() + last.len() + 1);
    key.push_str(first);
    key.push('\u{0}');
    key.push_str(last);
    key
}

/// Last name and the first two letters of the first name: where typos are looked for.
fn typo_key(first: &str, last: &str) -> String {
    let mut key = String::with_capacity(last.len() + 9);
    key.push_str(last);
    key.push('\u{0}');
    key.extend(first.chars().take(2));
    key
}

/// The provider's list, indexed by the keys matching looks up (positions in `existing`).
/// Built once per analysis; an analysis builds it while the file is being read.
pub struct ListIndex<'a> {
    existing: &'a [ExistingClient],
    by_email: FxHashMap<&'a str, usize>,
    /// The first client with that name.
    by_name: FxHashMap<String, usize>,
    /// The first client with that name once short forms are written out (Bob → robert).
    by_canonical: FxHashMap<String, usize>,
    by_typo_key: FxHashMap<String, Vec<usize>>,
    /// Each client's folded first and last name.
    keys: Vec<(String, String)>,
}

impl<'a> ListIndex<'a> {
    pub fn new(existing: &'a [ExistingClient]) -> Self {
        let mut ix = ListIndex {
            existing,
            by_email: FxHashMap::with_capacity_and_hasher(existing.len(), Default::default()),
            by_name: FxHashMap::with_capacity_and_hasher(existing.len(), Default::default()),
            by_canonical: FxHashMap::default(),
            by_typo_key: FxHashMap::default(),
            keys: Vec::with_capacity(existing.len()),
        };
        for (i, c) in existing.iter().enumerate() {
            let (f, l) = (search_key(&c.first_name), search_key(&c.last_name));
            ix.by_email.insert(&c.email_normalized, i);
            ix.by_name.entry(name_key(&f, &l)).or_insert(i);
            ix.by_canonical
                .entry(name_key(canonical_first(&f), &l))
                .or_insert(i);
            ix.by_typo_key.entry(typo_key(&f, &l)).or_default().push(i);
            ix.keys.push((f, l));
        }
        ix
    }

    /// What the list says of a person with these folded names and normalised email,
    /// the file aside.
    fn against_list(
        &self,
        first: &str,
        last: &str,
        key: &str,
        email: &str,
        dob: Option<NaiveDate>,
    ) -> ListMatch {
        let matched = |i: usize, reason: Option<String>| ListMatch {
            status: if reason.is_some() {
                Status::NeedsReview
            } else {
                Status::Existing
            },
            reason,
            client_id: Some(self.existing[i].id.clone()),
        };
        if self.existing.is_empty() {
            // A first import: nobody to match.
            return ListMatch::NOBODY;
        }
        let name_of = |i: usize| {
            let ex = &self.existing[i];
            format!("{} {}", ex.first_name, ex.last_name)
        };
        if let Some(&i) = self.by_email.get(email) {
            let (f, l) = &self.keys[i];
            if f == first && l == last {
                return matched(i, None);
            }
            return matched(
                i,
                Some(format!(
                    "This email belongs to your client {}, whose name differs.",
                    name_of(i)
                )),
            );
        }
        if let Some(&i) = self.by_name.get(key) {
            let same_dob = dob.is_some() && dob == self.existing[i].date_of_birth;
            let reason = if same_dob {
                format!(
                    "Same name and date of birth as your client {}, with another email.",
                    name_of(i)
                )
            } else {
                format!(
                    "Same name as your client {}, with another email.",
                    name_of(i)
                )
            };
            return matched(i, Some(reason));
        }
        let canonical = canonical_first(first);
        let by_canonical = if canonical == first {
            self.by_canonical.get(key)
        } else {
            self.by_canonical.get(&name_key(canonical, last))
        };
        if let Some(&i) = by_canonical {
            return matched(
                i,
                Some(format!(
                    "Possibly your client {} (a short form of the name).",
                    name_of(i)
                )),
            );
        }
        let typo = self.by_typo_key.get(&typo_key(first, last)).and_then(|v| {
            v.iter()
                .copied()
                .find(|&i| strsim::jaro_winkler(&self.keys[i].0, first) >= 0.9)
        });
        if let Some(i) = typo {
            return matched(
                i,
                Some(format!(
                    "Possibly your client {} (a similar spelling).",
                    name_of(i)
                )),
            );
        }
        ListMatch::NOBODY
    }
}

/// A person against the list alone.
struct ListMatch {
    status: Status,
    reason: Option<String>,
    client_id: Option<String>,
}

impl ListMatch {
    /// Not on the list.
    const NOBODY: ListMatch = ListMatch {
        status: Status::New,
        reason: None,
        client_id: None,
    };
}

/// A candidate with what can be known of it without the rest of the file.
struct Prepared {
    candidate: Candidate,
    /// Notes on the row itself (a date of birth that could not be read).
    notes: Vec<String>,
    /// The folded names and normalised email and the list's answer, or why the row
    /// cannot be imported.
    person: Result<(Person, ListMatch), Vec<String>>,
}

struct Person {
    /// [`name_key`] of the folded first and last name.
    name: String,
    email: String,
}

fn prepare(c: Candidate, ix: &ListIndex<'_>) -> Prepared {
    let notes: Vec<String> = c
        .date_problem
        .iter()
        .map(|p| p.describe().to_string())
        .collect();
    let key = |name: &Option<String>| name.as_deref().map(search_key).filter(|k| !k.is_empty());
    let (first, last) = (key(&c.first_name), key(&c.last_name));
    let email = c.email.as_deref().map(Email::parse);
    let person = match (first, last, email) {
        (Some(first), Some(last), Some(Ok(email))) => {
            let email = email.into_normalized();
            let name = name_key(&first, &last);
            let list = ix.against_list(&first, &last, &name, &email, c.date_of_birth);
            Ok((Person { name, email }, list))
        }
        (first, last, email) => {
            let mut invalid = Vec::new();
            if last.is_none() {
                invalid.push("No last name.".to_string());
            }
            if first.is_none() {
                invalid.push("No first name.".to_string());
            }
            match email {
                None => invalid.push("No email address.".to_string()),
                Some(Err(_)) => {
                    invalid.push("The email address is not valid; correct it.".to_string())
                }
                Some(Ok(_)) => {}
            }
            Err(invalid)
        }
    };
    Prepared {
        candidate: c,
        notes,
        person,
    }
}

/// Reviews every candidate; the order of the file is kept.
pub fn review(candidates: Vec<Candidate>, existing: &[ExistingClient]) -> Vec<Reviewed> {
    review_with_progress(candidates, &ListIndex::new(existing), &mut |_, _| {})
}

/// The fewest rows a thread takes at a time: fewer are not worth the hand-over.
pub(crate) const PARALLEL_CHUNK: usize = 2_000;

/// How often `review_with_progress` reports, in rows.
const PROGRESS_EVERY: usize = 5_000;

/// `review`, telling `progress(done, total)` how far it is now and then. Each row is
/// checked against the list on all cores; the rows repeated in the file are then found
/// in file order.
pub fn review_with_progress(
    candidates: Vec<Candidate>,
    ix: &ListIndex<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Reviewed> {
    let total = candidates.len();
    let prepared: Vec<Prepared> = candidates
        .into_par_iter()
        .with_min_len(PARALLEL_CHUNK)
        .map(|c| prepare(c, ix))
        .collect();
    let repeats = repeats_in_file(&prepared, &mut |done| {
        if done % PROGRESS_EVERY == 0 {
            progress(done, total);
        }
    });
    prepared
        .into_par_iter()
        .zip(repeats)
        .with_min_len(PARALLEL_CHUNK)
        .map(|(p, repeat)| finish(p, repeat))
        .collect()
}

/// What a row has in common with an earlier row (whose row number in the file it holds).
#[derive(Clone, Copy)]
enum Repeat {
    Person(usize),
    /// Another name on the same email: Caseload keeps one client per address.
    Email(usize),
    NameAndBirthDate(usize),
}

/// Which rows repeat an earlier row, in file order: the first row of a person or an
/// email stands, the later ones point at it.
fn repeats_in_file(prepared: &[Prepared], progress: &mut dyn FnMut(usize)) -> Vec<Option<Repeat>> {
    let mut by_email: FxHashMap<&str, (usize, &str)> =
        FxHashMap::with_capacity_and_hasher(prepared.len(), Default::default());
    let mut by_person: FxHashMap<(&str, NaiveDate), usize> = FxHashMap::default();
    prepared
        .iter()
        .enumerate()
        .map(|(i, p)| {
            progress(i);
            let (person, _) = p.person.as_ref().ok()?;
            let row = p.candidate.row;
            if let Some(&(first, name)) = by_email.get(person.email.as_str()) {
                return Some(if name == person.name {
                    Repeat::Person(first)
                } else {
                    Repeat::Email(first)
                });
            }
            if let Some(dob) = p.candidate.date_of_birth {
                if let Some(&first) = by_person.get(&(person.name.as_str(), dob)) {
                    return Some(Repeat::NameAndBirthDate(first));
                }
                by_person.insert((&person.name, dob), row);
            }
            by_email.insert(&person.email, (row, &person.name));
            None
        })
        .collect()
}

fn finish(p: Prepared, repeat: Option<Repeat>) -> Reviewed {
    let Prepared {
        candidate,
        notes: mut reasons,
        person,
    } = p;
    let (status, matched_client_id) = match (person, repeat) {
        (Err(mut invalid), _) => {
            invalid.append(&mut reasons);
            reasons = invalid;
            (Status::Invalid, None)
        }
        (Ok(_), Some(repeat)) => {
            let (status, reason) = match repeat {
                Repeat::Person(row) => {
                    (Status::DuplicateInFile, format!("The same person as row {row}."))
                }
                Repeat::Email(row) => (
                    Status::NeedsReview,
                    format!("Row {row} has the same email address; Caseload keeps one client per email address."),
                ),
                Repeat::NameAndBirthDate(row) => (
                    Status::DuplicateInFile,
                    format!("The same name and date of birth as row {row}."),
                ),
            };
            reasons.insert(0, reason);
            (status, None)
        }
        (Ok((_, list)), None) => {
            if let Some(reason) = list.reason {
                reasons.insert(0, reason);
            }
            (list.status, list.client_id)
        }
    };
    Reviewed {
        candidate,
        status,
        selected: status == Status::New,
        reasons,
        matched_client_id,
    }
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
            contact: None,
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
    fn rows_checked_on_several_threads_still_find_repeats_in_file_order() {
        let list = vec![existing("c1", "Ada", "Lovelace", "ada@example.com")];
        let mut rows: Vec<Candidate> = (0..10_000)
            .map(|i| {
                cand(
                    i + 2,
                    "Ava",
                    &format!("Smith{i}"),
                    &format!("ava{i}@example.com"),
                )
            })
            .collect();
        // The last rows repeat the first one and match the list, whichever thread reads them.
        let n = rows.len();
        rows.push(cand(n + 2, "Ava", "Smith0", "AVA0@example.com"));
        rows.push(cand(n + 3, "Ada", "Lovelace", "ada@example.com"));
        rows.push(cand(n + 4, "Ada", "Lovelace", "ada@example.com"));
        let out = review(rows, &list);
        assert_eq!(out.len(), n + 3);
        assert!(out[..n].iter().all(|r| r.status == Status::New));
        assert!(out
            .windows(2)
            .all(|w| w[0].candidate.row < w[1].candidate.row));
        assert_eq!(out[n].status, Status::DuplicateInFile);
        assert_eq!(out[n].reasons, ["The same person as row 2."]);
        assert_eq!(out[n + 1].status, Status::Existing);
        assert_eq!(out[n + 1].matched_client_id.as_deref(), Some("c1"));
        assert_eq!(out[n + 2].status, Status::DuplicateInFile);
        assert_eq!(out[n + 2].matched_client_id, None);
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
