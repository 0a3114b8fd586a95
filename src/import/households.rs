//! Households in a file: people who share one email address (siblings whose parent's
//! address a practice kept for both, a child on a parent's address). Matching keeps one
//! client per address and never merges two people; this pass, run after it, finds the rows
//! and cards that share an address with other people and offers them as a household: each
//! person imported as their own client, with the shared address as their contact's (a
//! parent or guardian who receives their emails and acts for them).
//!
//! The contact's name comes from the file when it has one (a "Guardian", "Parent" or
//! "Emergency contact" column; in a SimplePractice export, the card with no records that
//! has the same address), or from the client on the list whose address it is.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::evidence::one_typo_apart;
use super::matching::{ExistingClient, Reviewed, Status};
use super::nicknames::{self, Forms};
use crate::domain::email::Email;
use crate::domain::search_key::search_key;

/// A contact a row of the file names (its Guardian/Parent/Emergency contact columns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// People of one file who share an address, as offered to the provider; stored (as JSON)
/// with each of its rows, so the review and the import read the same offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    /// Position (1-based, in the file's rows) of its first member: its id on the page.
    pub id: i64,
    /// The shared address, as the file has it.
    pub email: String,
    /// Positions of the people imported as the household's clients.
    pub members: Vec<i64>,
    /// Their first and last names, in the same order.
    pub names: Vec<(String, String)>,
    /// Positions of the cards that are the contact's own (a SimplePractice card with no
    /// records): not clients, their details become the contact's.
    #[serde(default)]
    pub contact_rows: Vec<i64>,
    /// The contact's name: from the file or the list at first, then as the provider typed it.
    pub contact_name: String,
    pub contact_phone: Option<String>,
    /// `Relationship::as_str`; a parent or guardian unless the provider says otherwise.
    pub relationship: String,
    /// The client on the provider's list whose address it is: (id, name).
    pub listed_owner: Option<(String, String)>,
    /// The provider chose to import them as a household.
    pub chosen: bool,
}

/// The relationship a household's contact has unless the provider picks another.
pub const PARENT_GUARDIAN: &str = "parent_guardian";

/// "Grace and Ethan Okafor", "Grace Okafor and Ethan Lee", "Ana, Ben and Cy Ruiz".
pub fn names_together(names: &[(String, String)]) -> String {
    let same_last = names
        .windows(2)
        .all(|w| search_key(&w[0].1) == search_key(&w[1].1));
    let parts: Vec<String> = if same_last {
        names.iter().map(|(f, _)| f.clone()).collect()
    } else {
        names.iter().map(|(f, l)| format!("{f} {l}")).collect()
    };
    let mut text = match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    if same_last {
        if let Some((_, last)) = names.first() {
            text.push(' ');
            text.push_str(last);
        }
    }
    text
}

impl Household {
    /// What the review offers, in one sentence.
    pub fn offer(&self) -> String {
        let who = names_together(&self.names);
        let all = match self.members.len() {
            1 => "them".to_string(),
            2 => "both".to_string(),
            n => format!("all {n}"),
        };
        match &self.listed_owner {
            Some((_, owner)) if self.members.len() == 1 => format!(
                "{who} has the address of your client {owner}, {} — import {who} with this address as their parent's (or guardian's), {owner}'s, with no email of their own",
                self.email
            ),
            Some((_, owner)) => format!(
                "{who} share the address of your client {owner}, {} — import {all} with this address as their parent's (or guardian's), {owner}'s, each with no email of their own",
                self.email
            ),
            None if self.members.len() == 1 => format!(
                "{who} shares {} with their contact — import {who} with this address as their parent's, with no email of their own",
                self.email
            ),
            None => format!(
                "{who} share {} — import {all} with this address as their parent's",
                self.email
            ),
        }
    }

    /// Why a contact card of a chosen household is not imported as a client.
    pub fn contact_row_note(&self) -> String {
        format!(
            "The contact of {}: imported as their contact, not as a client.",
            names_together(&self.names)
        )
    }
}

/// The person a row is, when it can be a household's member: a name and a valid address.
/// A person as households tell them apart: first and last name, folded.
fn person_key(first: &str, last: &str) -> String {
    format!("{}\u{0}{}", search_key(first), search_key(last))
}

fn person_of(r: &Reviewed) -> Option<(String, String)> {
    if matches!(r.status, Status::Invalid | Status::DuplicateInFile) {
        return None;
    }
    let c = &r.candidate;
    let (first, last) = (c.first_name.as_deref()?, c.last_name.as_deref()?);
    let email = Email::parse(c.email.as_deref()?).ok()?.into_normalized();
    (!search_key(first).is_empty() && !search_key(last).is_empty())
        .then(|| (person_key(first, last), email))
}

/// Whether a row may be the listed client `owner` themself: first names the same or forms
/// of one name, last names the same or one typo apart (as matching finds a client).
fn may_be(r: &Reviewed, owner: &ExistingClient) -> bool {
    let c = &r.candidate;
    let (first, last) = (
        search_key(c.first_name.as_deref().unwrap_or("")),
        search_key(c.last_name.as_deref().unwrap_or("")),
    );
    nicknames::forms(&first, &search_key(&owner.first_name)) != Forms::Unrelated
        && one_typo_apart(&last, &search_key(&owner.last_name))
}

/// The households of a reviewed file: rows with one address and different people (by
/// first and last name), or a row with the address of a client on the list who is someone
/// else. `is_contact_card(i)` says that row `i` is a contact's own card rather than a
/// client (a SimplePractice card with no records): it gives the household its contact.
/// Nothing is chosen: the provider decides on the review page.
pub fn find(
    rows: &[Reviewed],
    existing: &[ExistingClient],
    is_contact_card: &dyn Fn(usize) -> bool,
) -> Vec<Household> {
    // Rows by address, in file order; each person once.
    let mut by_email: FxHashMap<String, Vec<(usize, String)>> = FxHashMap::default();
    let mut order = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Some((person, email)) = person_of(r) else {
            continue;
        };
        let group = by_email.entry(email.clone()).or_insert_with(|| {
            order.push(email);
            Vec::new()
        });
        if !group.iter().any(|(_, p)| *p == person) {
            group.push((i, person));
        }
    }
    let owners: FxHashMap<&str, &ExistingClient> = existing
        .iter()
        .filter(|c| by_email.contains_key(c.email_normalized.as_str()))
        .map(|c| (c.email_normalized.as_str(), c))
        .collect();
    let mut out = Vec::new();
    for email in order {
        let group = &by_email[&email];
        let owner = owners.get(email.as_str()).copied();
        // The contact's own row: a card with no records, or the row of the person a
        // Guardian column names (a parent who is on the list too).
        let named: Vec<String> = group
            .iter()
            .filter_map(|(i, _)| rows[*i].candidate.contact.as_ref()?.name.as_deref())
            .map(|n| {
                let (first, last) = super::columns::split_full_name(n);
                person_key(
                    first.as_deref().unwrap_or(""),
                    last.as_deref().unwrap_or(""),
                )
            })
            .collect();
        let (cards, people): (Vec<_>, Vec<_>) = group
            .iter()
            .partition(|(i, p)| is_contact_card(*i) || named.contains(p));
        // A row that is a client already (found on the list, or the listed owner under
        // a name spelt a little differently) is never a member: importing it as one would
        // make the client a second time, their own contact.
        let (listed, members): (Vec<usize>, Vec<usize>) =
            people.iter().map(|(i, _)| *i).partition(|&i| {
                rows[i].status == Status::Existing || owner.is_some_and(|o| may_be(&rows[i], o))
            });
        let others = usize::from(owner.is_some() || !listed.is_empty()) + cards.len();
        if members.is_empty() || members.len() + others < 2 {
            continue;
        }
        let names: Vec<(String, String)> = members
            .iter()
            .map(|&i| {
                let c = &rows[i].candidate;
                (
                    c.first_name.clone().unwrap_or_default(),
                    c.last_name.clone().unwrap_or_default(),
                )
            })
            .collect();
        let card = cards.first().map(|(i, _)| &rows[*i].candidate);
        let named = members
            .iter()
            .filter_map(|&i| rows[i].candidate.contact.as_ref())
            .find(|c| c.name.is_some());
        let contact_name = match (owner, card, named) {
            (Some(o), ..) => format!("{} {}", o.first_name, o.last_name),
            (None, Some(c), _) => format!(
                "{} {}",
                c.first_name.as_deref().unwrap_or(""),
                c.last_name.as_deref().unwrap_or("")
            )
            .trim()
            .to_string(),
            (None, None, Some(c)) => c.name.clone().unwrap_or_default(),
            (None, None, None) => String::new(),
        };
        let contact_phone = card.and_then(|c| c.phone.clone()).or_else(|| {
            members
                .iter()
                .filter_map(|&i| rows[i].candidate.contact.as_ref())
                .find_map(|c| c.phone.clone())
        });
        let position = |i: usize| i as i64 + 1;
        out.push(Household {
            id: position(members[0]),
            email: rows[members[0]]
                .candidate
                .email
                .clone()
                .unwrap_or_else(|| email.clone()),
            members: members.iter().map(|&i| position(i)).collect(),
            names,
            contact_rows: cards.iter().map(|(i, _)| position(*i)).collect(),
            contact_name,
            contact_phone,
            relationship: PARENT_GUARDIAN.to_string(),
            listed_owner: owner
                .map(|o| (o.id.clone(), format!("{} {}", o.first_name, o.last_name))),
            chosen: false,
        });
    }
    out
}

/// Each row's household (by row index), for storing with the rows.
pub fn by_row(households: &[Household], rows: usize) -> Vec<Option<&Household>> {
    let mut out = vec![None; rows];
    for h in households {
        for &p in h.members.iter().chain(&h.contact_rows) {
            if let Some(slot) = usize::try_from(p - 1).ok().and_then(|i| out.get_mut(i)) {
                *slot = Some(h);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::extract::Candidate;
    use crate::import::matching;

    fn cand(row: usize, first: &str, last: &str, email: &str, guardian: Option<&str>) -> Candidate {
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
            contact: guardian.map(|g| FileContact {
                name: some(g),
                email: None,
                phone: Some("555-0100".into()),
            }),
            ..Default::default()
        }
    }

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

    #[test]
    fn siblings_on_one_address_are_one_offer_with_the_guardian_named_in_the_file() {
        let rows = matching::review(
            vec![
                cand(2, "Grace", "Okafor", "okafor.family@example.com", None),
                cand(3, "Nia", "Lee", "nia@example.com", None),
                cand(
                    4,
                    "Ethan",
                    "Okafor",
                    "Okafor.Family@example.com",
                    Some("Maria Okafor"),
                ),
                // The same person again, and a row with no address: never members.
                cand(5, "Grace", "Okafor", "okafor.family@example.com", None),
                cand(6, "Mia", "Okafor", "", None),
            ],
            &[],
        );
        let found = find(&rows, &[], &|_| false);
        assert_eq!(found.len(), 1);
        let h = &found[0];
        assert_eq!((h.id, h.members.clone()), (1, vec![1, 3]));
        assert_eq!(h.contact_name, "Maria Okafor");
        assert_eq!(h.contact_phone.as_deref(), Some("555-0100"));
        assert_eq!(h.relationship, PARENT_GUARDIAN);
        assert!(!h.chosen, "the provider chooses");
        assert_eq!(
            h.offer(),
            "Grace and Ethan Okafor share okafor.family@example.com — import both with this address as their parent's"
        );
        let marks = by_row(&found, rows.len());
        assert!(marks[0].is_some() && marks[2].is_some());
        assert!(marks[1].is_none() && marks[3].is_none() && marks[4].is_none());
    }

    #[test]
    fn one_person_alone_on_an_address_is_no_household() {
        let rows = matching::review(
            vec![
                cand(2, "Ada", "Lovelace", "ada@example.com", Some("Anne Byron")),
                cand(3, "Ada", "Lovelace", "ada@example.com", None),
            ],
            &[],
        );
        assert!(find(&rows, &[], &|_| false).is_empty());
    }

    #[test]
    fn a_childs_row_with_a_listed_clients_address_names_that_client_as_the_parent() {
        let list = [existing(
            "c1",
            "Maria",
            "Okafor",
            "okafor.family@example.com",
        )];
        let rows = matching::review(
            vec![
                cand(2, "Maria", "Okafor", "okafor.family@example.com", None),
                cand(3, "Grace", "Okafor", "okafor.family@example.com", None),
            ],
            &list,
        );
        let found = find(&rows, &list, &|_| false);
        assert_eq!(found.len(), 1);
        let h = &found[0];
        assert_eq!(h.members, [2], "the listed parent is not imported again");
        assert_eq!(h.contact_name, "Maria Okafor");
        assert_eq!(
            h.listed_owner,
            Some(("c1".to_string(), "Maria Okafor".to_string()))
        );
        assert!(h
            .offer()
            .contains("has the address of your client Maria Okafor"));
    }

    #[test]
    fn a_row_that_is_the_listed_client_is_never_a_member_of_their_own_household() {
        let dob = chrono::NaiveDate::from_ymd_opt(1980, 3, 4);
        let list = [ExistingClient {
            date_of_birth: dob,
            phone_digits: Some("2125550144".into()),
            ..existing("c1", "Maria", "Okafor", "maria@example.com")
        }];
        let typo = |row, first: &str| Candidate {
            date_of_birth: dob,
            phone: Some("212-555-0144".into()),
            ..cand(row, first, "Okafr", "maria@example.com", None)
        };
        // The same email, date of birth and phone with a typo'd last name: the client.
        let rows = matching::review(vec![typo(2, "Maria")], &list);
        assert_eq!(rows[0].status, Status::Existing);
        assert!(find(&rows, &list, &|_| false).is_empty(), "no household");
        // With no date of birth or phone: maybe her, never her own household's member.
        let unsure = Candidate {
            date_of_birth: None,
            phone: None,
            ..typo(2, "Maria")
        };
        let rows = matching::review(vec![unsure], &list);
        assert_eq!(rows[0].status, Status::NeedsReview);
        assert!(find(&rows, &list, &|_| false).is_empty(), "no household");
        // Her child on her address beside her row is still offered, alone.
        let rows = matching::review(
            vec![
                typo(2, "Maria"),
                cand(3, "Grace", "Okafor", "maria@example.com", None),
            ],
            &list,
        );
        let found = find(&rows, &list, &|_| false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].members, [2]);
        assert_eq!(found[0].contact_name, "Maria Okafor");
    }

    #[test]
    fn a_contact_card_gives_the_household_its_contact() {
        let rows = matching::review(
            vec![
                cand(1, "Grace", "Okafor", "okafor.family@example.com", None),
                cand(2, "Maria", "Okafor", "okafor.family@example.com", None),
            ],
            &[],
        );
        let found = find(&rows, &[], &|i| i == 1);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].members, [1]);
        assert_eq!(found[0].contact_rows, [2]);
        assert_eq!(found[0].contact_name, "Maria Okafor");
    }

    #[test]
    fn the_row_of_the_guardian_a_column_names_is_the_contacts_own() {
        let rows = matching::review(
            vec![
                cand(2, "Maria", "Okafor", "okafor.family@example.com", None),
                cand(
                    3,
                    "Grace",
                    "Okafor",
                    "okafor.family@example.com",
                    Some("Maria Okafor"),
                ),
                cand(
                    4,
                    "Ethan",
                    "Okafor",
                    "okafor.family@example.com",
                    Some("Okafor, Maria"),
                ),
            ],
            &[],
        );
        let found = find(&rows, &[], &|_| false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].members, [2, 3]);
        assert_eq!(found[0].contact_rows, [1]);
        assert_eq!(found[0].contact_name, "Maria Okafor");
    }

    #[test]
    fn names_are_joined_as_people_say_them() {
        let n = |v: &[(&str, &str)]| {
            names_together(
                &v.iter()
                    .map(|(f, l)| (f.to_string(), l.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(n(&[("Grace", "Okafor")]), "Grace Okafor");
        assert_eq!(
            n(&[("Ana", "Ruiz"), ("Ben", "Ruiz"), ("Cy", "ruiz")]),
            "Ana, Ben and Cy Ruiz"
        );
        assert_eq!(
            n(&[("Grace", "Okafor"), ("Ethan", "Lee")]),
            "Grace Okafor and Ethan Lee"
        );
    }
}
