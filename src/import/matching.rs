//! Each candidate against the provider's list and the rest of the file: new, already a
//! client, needs review (with the reason), missing information, or repeated in the file.
//! A row is an existing client without asking only when the evidence is overwhelming
//! (`evidence`): families share inboxes and namesakes exist, so neither an email nor a
//! name alone ever matches.

use std::hash::Hasher;
use std::ops::Range;

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::evidence::{Comparison, Evidence, Field, FirstName, LastName, Listed, Person};
use super::extract::Candidate;
use super::nicknames;
use crate::domain::email::Email;
use crate::domain::search_key::search_key;

/// A client already on the list, as matching needs them.
#[derive(Debug, Clone)]
pub struct ExistingClient {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty when the client has none.
    pub email_normalized: String,
    pub date_of_birth: Option<NaiveDate>,
    /// The phone's digits as searched (`domain::phone::search_digits`).
    pub phone_digits: Option<String>,
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
    /// On the list already (the evidence is overwhelming, see `evidence`): left as it is.
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
    /// What speaks for and against the row being that client.
    pub evidence: Option<Evidence>,
}

/// How many clients of one index bucket are compared with a row: a practice never has
/// more namesakes than this, and a row still costs the same however large the list.
const NAME_BUCKET: usize = 16;
/// The same for the buckets searched for a one-letter difference.
const TYPO_BUCKET: usize = 4;

/// The key of a (first, last) pair, with the letter at `skip` (a byte range) of the last
/// name left out: hashed a byte at a time, so no string is built for each letter left out.
fn key(first: &str, last: &str, skip: Option<Range<usize>>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(first.as_bytes());
    h.write_u8(0xff);
    let (head, tail) = match skip {
        Some(r) => (&last[..r.start], &last[r.end..]),
        None => (last, ""),
    };
    for b in head.bytes().chain(tail.bytes()) {
        h.write_u8(b);
    }
    h.finish()
}

/// Where each letter of `word` is, to leave it out; of two same letters in a row only
/// the first (leaving out either gives the same word).
fn letters(word: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut previous = None;
    word.char_indices().filter_map(move |(i, c)| {
        let repeat = previous == Some(c);
        previous = Some(c);
        (!repeat).then(|| i..i + c.len_utf8())
    })
}

/// Clients by hashed key, as one sorted array (a million keys are one allocation), in
/// list order within a key.
#[derive(Default)]
struct Keyed(Vec<(u64, u32)>);

impl Keyed {
    fn seal(&mut self) {
        self.0.sort_unstable();
    }

    fn get(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let start = self.0.partition_point(|&(k, _)| k < key);
        self.0[start..]
            .iter()
            .take_while(move |&&(k, _)| k == key)
            .map(|&(_, i)| i)
    }
}

/// Last names longer than this are not searched for typos (only as written).
const TYPO_MAX_CHARS: usize = 40;

/// The first two letters of a first name (where spelling mistakes are looked for).
fn first_letters(first: &str) -> &str {
    first
        .char_indices()
        .nth(2)
        .map_or(first, |(i, _)| &first[..i])
}

/// The provider's list, indexed by the keys matching looks up (positions in `existing`).
/// Built once per analysis; an analysis builds it while the file is being read.
///
/// Names are indexed under each full form of the first name (Bob under robert), with
/// the last name as written and with each letter left out of it: a row's last name
/// within one typo of a client's shares one of those keys (symmetric deletion), so
/// finding the clients a row may be is a handful of lookups, never a scan of the list.
pub struct ListIndex<'a> {
    existing: &'a [ExistingClient],
    listed: Vec<Listed>,
    by_email: FxHashMap<&'a str, usize>,
    /// (full form of the first name, last name).
    by_name: Keyed,
    /// (full form of the first name, last name with one letter left out).
    by_name_less_one: Keyed,
    /// (first two letters of the first name, last name): first names spelt alike.
    by_spelling: Keyed,
}

impl<'a> ListIndex<'a> {
    pub fn new(existing: &'a [ExistingClient]) -> Self {
        let mut ix = ListIndex {
            existing,
            listed: Vec::with_capacity(existing.len()),
            by_email: FxHashMap::with_capacity_and_hasher(existing.len(), Default::default()),
            by_name: Keyed::default(),
            by_name_less_one: Keyed::default(),
            by_spelling: Keyed::default(),
        };
        for (i, c) in existing.iter().enumerate() {
            let l = Listed::of(c);
            let n = i as u32;
            if !c.email_normalized.is_empty() {
                ix.by_email.entry(&c.email_normalized).or_insert(i);
            }
            let typos = l.last.chars().count() <= TYPO_MAX_CHARS;
            for full in nicknames::full_forms(&l.first) {
                ix.by_name.0.push((key(full, &l.last, None), n));
                if typos {
                    for letter in letters(&l.last) {
                        ix.by_name_less_one
                            .0
                            .push((key(full, &l.last, Some(letter)), n));
                    }
                }
            }
            let start = first_letters(&l.first);
            ix.by_spelling.0.push((key(start, &l.last, None), n));
            ix.listed.push(l);
        }
        ix.by_name.seal();
        ix.by_name_less_one.seal();
        ix.by_spelling.seal();
        ix
    }

    /// The clients a person may be: the one with their email, and those whose names
    /// agree or nearly agree (a bounded number per key).
    fn clients_for(&self, p: &Person<'_>) -> Vec<u32> {
        let mut found: Vec<u32> = Vec::new();
        if let Some(&i) = self.by_email.get(p.email) {
            found.push(i as u32);
        }
        let typos = p.last.chars().count() <= TYPO_MAX_CHARS;
        for full in nicknames::full_forms(p.first) {
            let exact = key(full, p.last, None);
            found.extend(self.by_name.get(exact).take(NAME_BUCKET));
            if !typos {
                continue;
            }
            // A letter more in the client's name, less, changed, or two swapped.
            found.extend(self.by_name_less_one.get(exact).take(TYPO_BUCKET));
            for letter in letters(p.last) {
                let less_one = key(full, p.last, Some(letter));
                found.extend(self.by_name.get(less_one).take(TYPO_BUCKET));
                found.extend(self.by_name_less_one.get(less_one).take(TYPO_BUCKET));
            }
        }
        let start = first_letters(p.first);
        found.extend(
            self.by_spelling
                .get(key(start, p.last, None))
                .take(TYPO_BUCKET),
        );
        found.sort_unstable();
        found.dedup();
        found
    }

    /// What the list says of a person, the file aside: the best client they may be,
    /// whether that is certain, and the evidence.
    fn against_list(&self, p: &Person<'_>) -> ListMatch {
        if self.existing.is_empty() {
            // A first import: nobody to match.
            return ListMatch::NOBODY;
        }
        let mut best: Option<(bool, i32, usize, Comparison)> = None;
        let mut certain = 0;
        for i in self.clients_for(p) {
            let i = i as usize;
            let c = Comparison::of(p, &self.existing[i], &self.listed[i]);
            if !c.worth_a_look() {
                continue;
            }
            let overwhelming = c.overwhelming();
            certain += usize::from(overwhelming);
            let rank = (overwhelming, c.weight());
            if best.as_ref().is_none_or(|&(o, w, ..)| rank > (o, w)) {
                best = Some((overwhelming, rank.1, i, c));
            }
        }
        let Some((overwhelming, _, i, c)) = best else {
            return ListMatch::NOBODY;
        };
        let client = &self.existing[i];
        let name = format!("{} {}", client.first_name, client.last_name);
        let evidence = Some(c.evidence(p, client));
        let needs_review = |reason: String| ListMatch {
            status: Status::NeedsReview,
            reason: Some(reason),
            client_id: Some(client.id.clone()),
            evidence: evidence.clone(),
        };
        if p.email.is_empty() {
            if !c.offered_without_email() {
                return ListMatch::NOBODY;
            }
            return needs_review(no_email_reason(&name, &c));
        }
        if overwhelming && certain == 1 {
            return ListMatch {
                status: Status::Existing,
                reason: None,
                client_id: Some(client.id.clone()),
                evidence,
            };
        }
        needs_review(if overwhelming {
            format!("Possibly your client {name}, but another client on your list matches as well.")
        } else if c.email == Field::Same && !c.names_agree() {
            format!("This email belongs to your client {name}, whose name differs.")
        } else if c.email == Field::Same {
            format!("Possibly your client {name} (the same email).")
        } else if c.same_name() && c.date_of_birth == Field::Same {
            format!("Same name and date of birth as your client {name}, with another email.")
        } else if c.same_name() {
            format!("Same name as your client {name}, with another email.")
        } else if matches!(c.first, FirstName::Forms(_)) && c.last == LastName::Same {
            format!("Possibly your client {name} (a short form of the name).")
        } else {
            format!("Possibly your client {name} (a similar spelling).")
        })
    }
}

/// How a reason about a row with no email begins; an export says "card" instead.
pub const NO_EMAIL_ROW: &str = "No email in this row";

/// "No email in this row — your client Maria Lopez has the same name and phone."
fn no_email_reason(name: &str, c: &Comparison) -> String {
    let (dob, phone) = (c.date_of_birth == Field::Same, c.phone == Field::Same);
    let what = match (dob, phone) {
        (true, true) => "date of birth and phone",
        (true, false) => "date of birth",
        _ => "phone",
    };
    let has = match (c.same_name(), dob && phone) {
        (true, true) => "the same name, date of birth and phone".to_string(),
        (true, false) => format!("the same name and {what}"),
        (false, _) => format!("a similar name and the same {what}"),
    };
    format!("{NO_EMAIL_ROW} — your client {name} has {has}.")
}

/// A person against the list alone.
struct ListMatch {
    status: Status,
    reason: Option<String>,
    client_id: Option<String>,
    evidence: Option<Evidence>,
}

impl ListMatch {
    /// Not on the list.
    const NOBODY: ListMatch = ListMatch {
        status: Status::New,
        reason: None,
        client_id: None,
        evidence: None,
    };
}

/// A candidate with what can be known of it without the rest of the file.
struct Prepared {
    candidate: Candidate,
    /// Notes on the row itself (a date of birth that could not be read).
    notes: Vec<String>,
    found: Found,
}

/// A row against the list, before the rest of the file is looked at.
enum Found {
    /// A name and a valid email: the keys the file's repeats are found by, and the
    /// list's answer.
    Person(FileKeys, ListMatch),
    /// Cannot be imported as it is (why), and, for a named row with no email, the client
    /// on the list it may be.
    Invalid(Vec<String>, Option<ListMatch>),
}

struct FileKeys {
    /// [`name_key`] of the folded first and last name.
    name: String,
    email: String,
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

/// A phone's digits as clients' phones are searched, when there are enough to count.
fn phone_digits(phone: Option<&str>) -> Option<String> {
    let digits: String = phone?.chars().filter(char::is_ascii_digit).collect();
    let digits = crate::domain::phone::search_digits(&digits);
    (digits.len() >= super::evidence::PHONE_DIGITS).then_some(digits)
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
    let phone = phone_digits(c.phone.as_deref());
    let person = |first: &'_ str, last: &'_ str, email: &'_ str| -> ListMatch {
        ix.against_list(&Person {
            first,
            last,
            email,
            date_of_birth: c.date_of_birth,
            phone: phone.as_deref(),
            first_written: c.first_name.as_deref().unwrap_or(""),
            last_written: c.last_name.as_deref().unwrap_or(""),
        })
    };
    let found = match (first, last, email) {
        (Some(first), Some(last), Some(Ok(email))) => {
            let email = email.into_normalized();
            let list = person(&first, &last, &email);
            Found::Person(
                FileKeys {
                    name: name_key(&first, &last),
                    email,
                },
                list,
            )
        }
        (first, last, email) => {
            let mut invalid = Vec::new();
            if last.is_none() {
                invalid.push("No last name.".to_string());
            }
            if first.is_none() {
                invalid.push("No first name.".to_string());
            }
            let mut offered = None;
            match email {
                None => {
                    invalid.push("No email address.".to_string());
                    if let (Some(first), Some(last)) = (&first, &last) {
                        offered = Some(person(first, last, "")).filter(|m| m.client_id.is_some());
                    }
                }
                Some(Err(_)) => {
                    invalid.push("The email address is not valid; correct it.".to_string())
                }
                Some(Ok(_)) => {}
            }
            Found::Invalid(invalid, offered)
        }
    };
    Prepared {
        candidate: c,
        notes,
        found,
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
            let Found::Person(person, _) = &p.found else {
                return None;
            };
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
        found,
    } = p;
    let mut evidence = None;
    let (status, matched_client_id) = match (found, repeat) {
        // A row with no email that may be a listed client: offered as that client.
        (Found::Invalid(_, Some(list)), _) => {
            reasons.insert(0, list.reason.unwrap_or_default());
            evidence = list.evidence;
            (Status::NeedsReview, list.client_id)
        }
        (Found::Invalid(mut invalid, None), _) => {
            invalid.append(&mut reasons);
            reasons = invalid;
            (Status::Invalid, None)
        }
        (Found::Person(..), Some(repeat)) => {
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
        (Found::Person(_, list), None) => {
            if let Some(reason) = list.reason {
                reasons.insert(0, reason);
            }
            evidence = list.evidence;
            (list.status, list.client_id)
        }
    };
    Reviewed {
        candidate,
        status,
        selected: status == Status::New,
        reasons,
        matched_client_id,
        evidence,
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
            phone_digits: None,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A client with a date of birth and a phone.
    fn known(
        id: &str,
        first: &str,
        last: &str,
        email: &str,
        dob: &str,
        phone: &str,
    ) -> ExistingClient {
        ExistingClient {
            date_of_birth: Some(date(dob)),
            phone_digits: Some(phone.into()),
            ..existing(id, first, last, email)
        }
    }

    /// A row with a date of birth and a phone (either may be empty).
    fn full(row: usize, first: &str, last: &str, email: &str, dob: &str, phone: &str) -> Candidate {
        Candidate {
            date_of_birth: (!dob.is_empty()).then(|| date(dob)),
            phone: Some(phone.to_string()).filter(|p| !p.is_empty()),
            ..cand(row, first, last, email)
        }
    }

    fn one(row: Candidate, list: &[ExistingClient]) -> Reviewed {
        review(vec![row], list).pop().unwrap()
    }

    #[test]
    fn each_automatic_rule() {
        let list = vec![
            known(
                "c1",
                "Robert",
                "Moses",
                "robert@example.com",
                "1980-05-03",
                "4155550101",
            ),
            known(
                "c2",
                "Elizabeth",
                "Okafor",
                "liz@example.com",
                "1975-01-09",
                "4155550102",
            ),
            known(
                "c3",
                "Maria",
                "Lopez",
                "maria@example.com",
                "1990-07-21",
                "4155550103",
            ),
        ];
        // Same email and name, no date of birth in the file.
        let r = one(cand(2, "Robert", "MOSES", " Robert@Example.com"), &list);
        assert_eq!(
            (r.status, r.matched_client_id.as_deref()),
            (Status::Existing, Some("c1"))
        );
        // Same email and date of birth, a short form, a typo in the last name.
        let r = one(
            full(2, "Bob", "Mosse", "robert@example.com", "1980-05-03", ""),
            &list,
        );
        assert_eq!(
            (r.status, r.matched_client_id.as_deref()),
            (Status::Existing, Some("c1"))
        );
        let e = r.evidence.unwrap();
        assert_eq!(e.client, "Robert Moses");
        assert_eq!(
            e.supports,
            [
                "same email",
                "Bob is a short form of Robert",
                "Mosse is one letter away from Moses",
                "same date of birth"
            ]
        );
        assert!(e.contradicts.is_empty());
        // A new email, with the same name (or a short form), date of birth and phone.
        let r = one(
            full(
                2,
                "Maria",
                "Lopez",
                "m.lopez@example.com",
                "1990-07-21",
                "(415) 555-0103",
            ),
            &list,
        );
        assert_eq!(
            (r.status, r.matched_client_id.as_deref()),
            (Status::Existing, Some("c3"))
        );
        assert_eq!(r.evidence.unwrap().contradicts, ["another email"]);
        let r = one(
            full(
                2,
                "Liz",
                "Okafor",
                "lizzy@example.com",
                "1975-01-09",
                "+1 415 555 0102",
            ),
            &list,
        );
        assert_eq!(
            (r.status, r.matched_client_id.as_deref()),
            (Status::Existing, Some("c2"))
        );
    }

    #[test]
    fn a_shared_mailbox_or_a_name_alone_is_never_automatic() {
        let list = vec![
            known(
                "c1",
                "Robert",
                "Moses",
                "family@example.com",
                "1980-05-03",
                "4155550101",
            ),
            known(
                "c2",
                "Maria",
                "Lopez",
                "maria@example.com",
                "1990-07-21",
                "4155550103",
            ),
        ];
        let review_of = |row: Candidate| {
            let r = one(row, &list);
            assert_eq!(r.status, Status::NeedsReview, "{:?}", r.candidate);
            r
        };
        // A family member: the same mailbox, phone and last name, another first name.
        let r = review_of(full(
            2,
            "Grace",
            "Moses",
            "family@example.com",
            "1980-05-03",
            "4155550101",
        ));
        assert!(r.reasons[0].contains("belongs to your client Robert Moses"));
        assert_eq!(
            r.evidence.unwrap().contradicts,
            ["another first name (Robert on the list)"]
        );
        // A son with his father's name and mailbox.
        let r = review_of(full(
            2,
            "Robert",
            "Moses",
            "family@example.com",
            "2010-02-01",
            "4155550101",
        ));
        assert_eq!(
            r.evidence.unwrap().contradicts,
            ["another date of birth (May 3, 1980 on the list)"]
        );
        // A short form and the same mailbox, no date of birth to tell father from son.
        review_of(cand(2, "Bob", "Moses", "family@example.com"));
        // A namesake: the same name, another date of birth (and the same phone even).
        let r = review_of(full(
            2,
            "Maria",
            "Lopez",
            "ml@example.com",
            "1985-01-01",
            "4155550103",
        ));
        assert!(r.reasons[0].contains("Same name as your client Maria Lopez"));
        // The same name and date of birth, nothing else: probably, but not certainly.
        let r = review_of(full(
            2,
            "Maria",
            "Lopez",
            "ml@example.com",
            "1990-07-21",
            "",
        ));
        assert!(r.reasons[0].contains("Same name and date of birth"));
        // Two clients on the list the row could equally be.
        let twice = vec![
            known(
                "c1",
                "Maria",
                "Lopez",
                "a@example.com",
                "1990-07-21",
                "4155550103",
            ),
            known(
                "c2",
                "Maria",
                "Lopez",
                "b@example.com",
                "1990-07-21",
                "4155550103",
            ),
        ];
        let r = one(
            full(
                2,
                "Maria",
                "Lopez",
                "c@example.com",
                "1990-07-21",
                "4155550103",
            ),
            &twice,
        );
        assert_eq!(r.status, Status::NeedsReview);
        assert!(r.reasons[0].contains("another client on your list matches as well"));
    }

    #[test]
    fn a_row_with_no_email_is_offered_as_the_client_with_its_name_and_phone_or_birth_date() {
        let list = vec![known(
            "c1",
            "Maria",
            "Lopez",
            "maria@example.com",
            "1990-07-21",
            "4155550103",
        )];
        let r = one(full(2, "Maria", "Lopez", "", "", "415-555-0103"), &list);
        assert_eq!(
            (r.status, r.matched_client_id.as_deref()),
            (Status::NeedsReview, Some("c1"))
        );
        assert_eq!(
            r.reasons,
            ["No email in this row — your client Maria Lopez has the same name and phone."]
        );
        assert!(!r.selected);
        let r = one(full(2, "Mary", "Lopes", "", "1990-07-21", ""), &list);
        assert_eq!(r.status, Status::Invalid, "Mary is not a form of Maria");
        let r = one(
            full(2, "Maria", "Lopes", "", "1990-07-21", "4155550103"),
            &list,
        );
        assert_eq!(
            r.reasons,
            ["No email in this row — your client Maria Lopez has a similar name and the same date of birth and phone."]
        );
        // A name alone, or with another date of birth, is not enough.
        for row in [
            full(2, "Maria", "Lopez", "", "", ""),
            full(2, "Maria", "Lopez", "", "1991-01-01", "4155550103"),
        ] {
            let r = one(row, &list);
            assert_eq!(r.status, Status::Invalid);
            assert_eq!(r.reasons, ["No email address."]);
            assert_eq!(r.matched_client_id, None);
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
            ..Default::default()
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
