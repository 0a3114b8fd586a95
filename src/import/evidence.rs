//! One incoming person against one client of the list: what agrees and what does not
//! (email, first name with its short forms, last name within one typo, date of birth,
//! phone), whether that is overwhelming enough to say "the same person" without asking,
//! and the evidence for and against in plain words for the review.
//!
//! The rules (see docs/decisions/2026-12-07-import-matching-evidence.md): a row is an
//! existing client automatically only when
//! - the email and the full name are the same, and the dates of birth do not differ; or
//! - the email and the date of birth are the same, and the first names are the same or
//!   forms of one name, and the last names are the same or one typo apart; or
//! - the date of birth and the phone are the same, and the names agree as above.
//!
//! A shared mailbox alone (another first name) or a name alone (a namesake) never is.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::matching::ExistingClient;
use super::nicknames::{self, Forms};

/// An incoming person as matching compares them: folded names, normalised email and
/// phone digits, and the names as written (for the evidence's words).
#[derive(Debug, Clone)]
pub struct Person<'a> {
    pub first: &'a str,
    pub last: &'a str,
    /// Empty when the row has none.
    pub email: &'a str,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<&'a str>,
    pub first_written: &'a str,
    pub last_written: &'a str,
}

/// A client as matching compares them: folded names and phone digits.
#[derive(Debug, Clone)]
pub struct Listed {
    pub first: String,
    pub last: String,
    pub phone: Option<String>,
}

impl Listed {
    pub fn of(c: &ExistingClient) -> Self {
        Listed {
            first: crate::domain::search_key::search_key(&c.first_name),
            last: crate::domain::search_key::search_key(&c.last_name),
            phone: c.phone_digits.clone().filter(|p| p.len() >= PHONE_DIGITS),
        }
    }
}

/// The fewest digits a phone needs to count as evidence (a local number).
pub const PHONE_DIGITS: usize = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Same,
    Differs,
    /// One side has none.
    Unknown,
}

impl Field {
    fn of<T: PartialEq>(a: Option<T>, b: Option<T>) -> Self {
        match (a, b) {
            (Some(a), Some(b)) if a == b => Field::Same,
            (Some(_), Some(_)) => Field::Differs,
            _ => Field::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstName {
    Same,
    /// Forms of one name (Bob and Robert).
    Forms(Forms),
    /// Spelt alike (Jonh and John): worth a look, never enough.
    Similar,
    Differs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastName {
    Same,
    /// One letter added, left out, changed, or two neighbours swapped.
    OneTypo,
    Differs,
}

/// What a person and a client have in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison {
    pub email: Field,
    pub first: FirstName,
    pub last: LastName,
    pub date_of_birth: Field,
    pub phone: Field,
}

/// Whether two folded last names are at most one typo apart: a letter added, left out
/// or changed, or two neighbours swapped (optimal string alignment distance ≤ 1).
pub fn one_typo_apart(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        within_one(a.as_bytes(), b.as_bytes())
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        within_one(&a, &b)
    }
}

fn within_one<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if p == a.len() {
        return true;
    }
    if a.len() < b.len() {
        return a[p..] == b[p + 1..];
    }
    a[p + 1..] == b[p + 1..]
        || (p + 1 < a.len() && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..])
}

impl Comparison {
    pub fn of(p: &Person<'_>, c: &ExistingClient, l: &Listed) -> Self {
        let email = if p.email.is_empty() || c.email_normalized.is_empty() {
            Field::Unknown
        } else {
            Field::of(Some(p.email), Some(c.email_normalized.as_str()))
        };
        let first = match nicknames::forms(p.first, &l.first) {
            Forms::Same => FirstName::Same,
            Forms::Unrelated
                if p.first.chars().take(2).eq(l.first.chars().take(2))
                    && strsim::jaro_winkler(p.first, &l.first) >= 0.9 =>
            {
                FirstName::Similar
            }
            Forms::Unrelated => FirstName::Differs,
            f => FirstName::Forms(f),
        };
        let last = if p.last == l.last {
            LastName::Same
        } else if one_typo_apart(p.last, &l.last) {
            LastName::OneTypo
        } else {
            LastName::Differs
        };
        Comparison {
            email,
            first,
            last,
            date_of_birth: Field::of(p.date_of_birth, c.date_of_birth),
            phone: Field::of(p.phone, l.phone.as_deref()),
        }
    }

    /// First names the same or forms of one name, last names within one typo.
    pub fn names_agree(&self) -> bool {
        matches!(self.first, FirstName::Same | FirstName::Forms(_))
            && matches!(self.last, LastName::Same | LastName::OneTypo)
    }

    pub fn same_name(&self) -> bool {
        self.first == FirstName::Same && self.last == LastName::Same
    }

    /// Enough to say "the same person" without asking.
    pub fn overwhelming(&self) -> bool {
        use Field::{Same, Unknown};
        if self.date_of_birth == Field::Differs {
            return false;
        }
        (self.email == Same && self.same_name() && self.date_of_birth == Unknown)
            || (self.email == Same && self.date_of_birth == Same && self.names_agree())
            || (self.date_of_birth == Same && self.phone == Same && self.names_agree())
    }

    /// Worth showing the provider: the same email, or names that (nearly) agree.
    pub fn worth_a_look(&self) -> bool {
        self.email == Field::Same
            || (matches!(
                self.first,
                FirstName::Same | FirstName::Forms(_) | FirstName::Similar
            ) && matches!(self.last, LastName::Same | LastName::OneTypo))
    }

    /// For a person with no email: the names agree and the phone or the date of birth
    /// is the same, with no other date of birth.
    pub fn offered_without_email(&self) -> bool {
        self.names_agree()
            && self.date_of_birth != Field::Differs
            && (self.date_of_birth == Field::Same || self.phone == Field::Same)
    }

    /// How strongly the two look like one person, to pick the best of several clients.
    pub fn weight(&self) -> i32 {
        let field = |f: Field, same: i32, differs: i32| match f {
            Field::Same => same,
            Field::Differs => differs,
            Field::Unknown => 0,
        };
        field(self.email, 4, -1)
            + field(self.date_of_birth, 4, -4)
            + field(self.phone, 2, -1)
            + match self.first {
                FirstName::Same => 3,
                FirstName::Forms(_) => 2,
                FirstName::Similar => 1,
                FirstName::Differs => -2,
            }
            + match self.last {
                LastName::Same => 3,
                LastName::OneTypo => 2,
                LastName::Differs => -2,
            }
    }

    /// The evidence in plain words, the person's names as written against the client's.
    pub fn evidence(&self, p: &Person<'_>, c: &ExistingClient) -> Evidence {
        let mut supports = Vec::new();
        let mut contradicts = Vec::new();
        match self.email {
            Field::Same => supports.push("same email".to_string()),
            Field::Differs => contradicts.push("another email".to_string()),
            Field::Unknown => {}
        }
        let (first, listed_first) = (p.first_written.trim(), c.first_name.as_str());
        match (self.first, self.last) {
            (FirstName::Same, LastName::Same) => supports.push("same name".into()),
            (FirstName::Same, _) => supports.push("same first name".into()),
            (FirstName::Forms(f), _) => supports.push(match f {
                Forms::ShortOf => format!("{first} is a short form of {listed_first}"),
                Forms::FullOf => format!("{listed_first} is a short form of {first}"),
                _ => format!("{first} and {listed_first} are forms of one name"),
            }),
            (FirstName::Similar, _) => {
                supports.push(format!("{first} is spelt like {listed_first}"))
            }
            (FirstName::Differs, _) => {
                contradicts.push(format!("another first name ({listed_first} on the list)"))
            }
        }
        match self.last {
            LastName::Same if self.first != FirstName::Same => {
                supports.push("same last name".into())
            }
            LastName::Same => {}
            LastName::OneTypo => supports.push(format!(
                "{} is one letter away from {}",
                p.last_written.trim(),
                c.last_name
            )),
            LastName::Differs => {
                contradicts.push(format!("another last name ({} on the list)", c.last_name))
            }
        }
        match (self.date_of_birth, c.date_of_birth) {
            (Field::Same, _) => supports.push("same date of birth".into()),
            (Field::Differs, Some(d)) => contradicts.push(format!(
                "another date of birth ({} on the list)",
                d.format("%b %-d, %Y")
            )),
            _ => {}
        }
        match self.phone {
            Field::Same => supports.push("same phone".into()),
            Field::Differs => contradicts.push("another phone".into()),
            Field::Unknown => {}
        }
        Evidence {
            client: format!("{} {}", c.first_name, c.last_name),
            supports,
            contradicts,
        }
    }
}

/// The best client on the list for a row and what speaks for and against them, stored
/// with the row and shown in its status cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The client's name as the list has it.
    pub client: String,
    #[serde(rename = "for")]
    pub supports: Vec<String>,
    #[serde(rename = "against")]
    pub contradicts: Vec<String>,
}

impl Evidence {
    /// The stored form (JSON); `None` stores as nothing.
    pub fn to_stored(e: Option<&Evidence>) -> Option<String> {
        e.and_then(|e| serde_json::to_string(e).ok())
    }

    /// A stored form this version cannot read is shown as no evidence.
    pub fn from_stored(s: Option<&str>) -> Option<Evidence> {
        s.and_then(|s| serde_json::from_str(s).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_typo_is_one_letter_added_left_out_changed_or_two_swapped() {
        for (a, b) in [
            ("smith", "smith"),
            ("smith", "smyth"),
            ("smith", "smiths"),
            ("smith", "mith"),
            ("smith", "smtih"),
            ("smith", "msith"),
            ("smith", "simth"),
            ("nunez", "nuñez"),
            ("", "a"),
        ] {
            assert!(one_typo_apart(a, b), "{a} {b}");
            assert!(one_typo_apart(b, a), "{b} {a}");
            assert_eq!(
                one_typo_apart(a, b),
                strsim::osa_distance(a, b) <= 1,
                "{a} {b}"
            );
        }
        for (a, b) in [
            ("smith", "smiht2"),
            ("smith", "jones"),
            ("smith", "smithers"),
            ("smith", "stimh"),
            ("smith", "mtih"),
            ("ab", "ba c"),
        ] {
            assert!(!one_typo_apart(a, b), "{a} {b}");
            assert!(!one_typo_apart(b, a), "{b} {a}");
            assert!(strsim::osa_distance(a, b) > 1, "{a} {b}");
        }
    }
}
