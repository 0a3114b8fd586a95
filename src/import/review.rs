//! The rules of the review, in one place: what a reviewed row offers the provider (by its
//! status, and whether the file is a client list or a SimplePractice export), what a choice
//! made on the page becomes, and what the row's badge says. The review page renders these
//! offers and saving the review applies these rules; neither decides on its own.
//!
//! A row's status is the review's finding ([`Status`]); an email the provider corrects is
//! checked again, and the row's new status then decides what its choices become
//! ([`ReviewRow::corrected`]).

use strum::IntoEnumIterator;

use super::matching::Status;

/// What is being imported: the two reviews differ. In a client list the review picks
/// new clients; in an export every card may bring documents, so existing clients are
/// chosen too (to receive them) and an uncertain card may be matched to any client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    List,
    Export,
}

/// What the "Import" cell of a row offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Nothing to choose: the row is left out, or left as the client it is ("—").
    Nothing,
    /// A tick box: import the row as a new client (a list's row with missing information
    /// is imported once its email is corrected), or give an export's existing client the
    /// card's documents.
    Tick,
    /// A choice of three: leave out, import as a new client, or (when the review found
    /// one) the same person as the client it matched.
    LeaveNewOrMatched,
    /// The same person as a client picked by hand from the list; with `or_new`, a tick
    /// box to import the card as a new client instead.
    ByHand { or_new: bool },
}

/// Whether a card's folder of documents goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Documents {
    /// A client list has no documents.
    None,
    /// The card's documents are its own: they always go with it.
    Always,
    /// A namesake's card shares the folder: the provider says who gets it.
    Choose,
}

/// Everything a row offers and shows, decided here for the page to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offers {
    pub import: Offer,
    /// The email can be corrected; the row is then checked again.
    pub email: bool,
    /// The status cell names (and links to) the client the row is.
    pub names_match: bool,
    pub documents: Documents,
}

/// The client a row was said to be, as the page sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    None,
    /// The client the review matched the row to.
    Matched,
    /// Another client of the provider's list (picked by hand).
    Other,
}

/// What the provider chose for a row on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Ticked, or "Import as a new client" chosen.
    pub import: bool,
    pub link: Link,
    /// The folder's documents go to this client (an export's card).
    pub takes_documents: bool,
}

/// What a choice makes of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// To be imported: a new client, or (an export's existing client) their documents.
    pub selected: bool,
    /// The chosen link is kept: nothing new is created for the row, it is that client.
    pub linked: bool,
    /// Whether the folder's documents go with the row (`None`: a list, nothing changes).
    pub takes_documents: Option<bool>,
}

/// Which of a row's choices the page shows as chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Left,
    New,
    Linked,
}

/// A reviewed row, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewRow {
    pub kind: Kind,
    pub status: Status,
    /// The review found a client the row is, or may be.
    pub has_match: bool,
    /// An export's card whose folder a namesake's card may claim too.
    pub shares_folder: bool,
}

impl ReviewRow {
    pub fn offers(&self) -> Offers {
        use Kind::{Export, List};
        use Status::*;
        let import = match (self.kind, self.status) {
            (List, New | Invalid) | (Export, New | Existing) => Offer::Tick,
            (List, NeedsReview) => Offer::LeaveNewOrMatched,
            (Export, NeedsReview) => Offer::ByHand { or_new: true },
            (Export, Invalid | DuplicateInFile) => Offer::ByHand { or_new: false },
            (List, Existing | DuplicateInFile) => Offer::Nothing,
        };
        Offers {
            import,
            email: matches!(self.status, Invalid | NeedsReview),
            names_match: self.status == Existing,
            documents: match self.kind {
                List => Documents::None,
                Export if self.shares_folder => Documents::Choose,
                Export => Documents::Always,
            },
        }
    }

    /// The row after a corrected email was checked again: its new status (and match)
    /// decide from then on. A row that offers no correction keeps what it was.
    pub fn corrected(self, status: Status, has_match: bool) -> Self {
        if !self.offers().email {
            return self;
        }
        ReviewRow {
            status,
            has_match,
            ..self
        }
    }

    /// What `choice` makes of the row: only what the row offers is taken. Importing as a
    /// new client instead of an uncertain match needs an email no client has (the list
    /// keeps one client per address): `email_on_list` is asked only then.
    pub fn apply<E>(
        &self,
        choice: &Choice,
        email_on_list: impl FnOnce() -> Result<bool, E>,
    ) -> Result<Outcome, E> {
        let (selected, linked) = match self.offers().import {
            Offer::Nothing => (false, false),
            Offer::Tick => (choice.import, false),
            Offer::LeaveNewOrMatched => {
                let linked = choice.link == Link::Matched && self.has_match;
                (!linked && choice.import && !email_on_list()?, linked)
            }
            Offer::ByHand { or_new } => {
                let linked = choice.link != Link::None;
                (
                    or_new && !linked && choice.import && !email_on_list()?,
                    linked,
                )
            }
        };
        Ok(Outcome {
            selected,
            linked,
            takes_documents: match self.kind {
                Kind::List => None,
                Kind::Export => Some(choice.takes_documents),
            },
        })
    }

    /// Which choice the page shows as made, from what was stored.
    pub fn chosen(&self, selected: bool, linked: bool) -> Chosen {
        if linked {
            Chosen::Linked
        } else if selected {
            Chosen::New
        } else {
            Chosen::Left
        }
    }

    /// The row's badge: its CSS class and what it says.
    pub fn badge(&self) -> (String, &'static str) {
        (
            format!("import-{}", self.status.as_str()),
            label(self.status),
        )
    }
}

/// What the review calls rows of a status (their badge and their tab).
pub fn label(status: Status) -> &'static str {
    match status {
        Status::New => "New",
        Status::Existing => "Already a client",
        Status::NeedsReview => "Needs review",
        Status::Invalid => "Missing information",
        Status::DuplicateInFile => "Repeated in this file",
    }
}

/// The statuses a review of this kind can have, in the order of its tabs. An export's
/// repeated cards are reviewed as uncertain, so it has no "repeated" tab.
pub fn statuses(kind: Kind) -> Vec<Status> {
    Status::iter()
        .filter(|s| !(kind == Kind::Export && *s == Status::DuplicateInFile))
        .collect()
}

/// Why rows of a status that were not imported were left out, as the import's summary
/// says it: (for one, for several).
pub fn left_out(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::New => (
            "new client you left unselected",
            "new clients you left unselected",
        ),
        Status::Existing => (
            "existing client you left unselected (no documents added)",
            "existing clients you left unselected (no documents added)",
        ),
        Status::NeedsReview => (
            "needed review and was left out",
            "needed review and were left out",
        ),
        Status::Invalid => (
            "had missing information (no name or no valid email)",
            "had missing information (no name or no valid email)",
        ),
        Status::DuplicateInFile => ("was repeated in the file", "were repeated in the file"),
    }
}

/// Why a row was left out of an import, as the confirmation lists it: what the review
/// found, then the row's own reasons.
pub fn why_left_out(status: Status, reasons: &[String]) -> String {
    let head = match status {
        Status::New => "New client, not selected",
        Status::Existing => "Already a client, not selected (no documents added)",
        Status::NeedsReview => "Needed review and was left out",
        Status::Invalid => "Missing information",
        Status::DuplicateInFile => "Repeated in the file",
    };
    if reasons.is_empty() {
        format!("{head}.")
    } else {
        format!("{head}: {}", reasons.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use Kind::{Export, List};
    use Status::*;

    fn row(kind: Kind, status: Status, has_match: bool) -> ReviewRow {
        ReviewRow {
            kind,
            status,
            has_match,
            shares_folder: false,
        }
    }

    fn apply(r: &ReviewRow, choice: &Choice, email_on_list: bool) -> Outcome {
        r.apply(choice, || Ok::<_, Infallible>(email_on_list))
            .unwrap()
    }

    /// Every combination the page can send for one row.
    fn choices() -> Vec<Choice> {
        let mut all = Vec::new();
        for import in [false, true] {
            for link in [Link::None, Link::Matched, Link::Other] {
                for takes_documents in [false, true] {
                    all.push(Choice {
                        import,
                        link,
                        takes_documents,
                    });
                }
            }
        }
        all
    }

    #[test]
    fn what_each_status_offers_in_a_list_and_in_an_export() {
        // (kind, status, import cell, email can be corrected, names the client)
        let table = [
            (List, New, Offer::Tick, false, false),
            (List, Existing, Offer::Nothing, false, true),
            (List, NeedsReview, Offer::LeaveNewOrMatched, true, false),
            (List, Invalid, Offer::Tick, true, false),
            (List, DuplicateInFile, Offer::Nothing, false, false),
            (Export, New, Offer::Tick, false, false),
            (Export, Existing, Offer::Tick, false, true),
            (
                Export,
                NeedsReview,
                Offer::ByHand { or_new: true },
                true,
                false,
            ),
            (
                Export,
                Invalid,
                Offer::ByHand { or_new: false },
                true,
                false,
            ),
            (
                Export,
                DuplicateInFile,
                Offer::ByHand { or_new: false },
                false,
                false,
            ),
        ];
        assert_eq!(table.len(), 2 * Status::iter().count(), "every status");
        for (kind, status, import, email, names_match) in table {
            for has_match in [false, true] {
                let offers = row(kind, status, has_match).offers();
                assert_eq!(offers.import, import, "{kind:?} {status:?}");
                assert_eq!(offers.email, email, "{kind:?} {status:?}");
                assert_eq!(offers.names_match, names_match, "{kind:?} {status:?}");
            }
        }
    }

    #[test]
    fn what_every_choice_makes_of_every_row() {
        // (kind, status, has a match, ticked/new, link sent, email on the list)
        //   -> (selected, linked)
        let expected = |kind: Kind,
                        status: Status,
                        has_match: bool,
                        c: &Choice,
                        email_on_list: bool|
         -> (bool, bool) {
            match (kind, status) {
                // A tick is a tick: new clients, a list's rows with missing information
                // (imported once corrected; the import refuses them until then), and an
                // export's existing clients (who get their documents).
                (List, New | Invalid) | (Export, New | Existing) => (c.import, false),
                // Left as they are, whatever the form says.
                (List, Existing | DuplicateInFile) => (false, false),
                // Only the client the review found; new only with an email no one has.
                (List, NeedsReview) => {
                    let linked = has_match && c.link == Link::Matched;
                    (!linked && c.import && !email_on_list, linked)
                }
                // Any client of the list picked by hand; new only with an email no one has.
                (Export, NeedsReview) => {
                    let linked = c.link != Link::None;
                    (!linked && c.import && !email_on_list, linked)
                }
                // Matched by hand, never imported as new.
                (Export, Invalid | DuplicateInFile) => (false, c.link != Link::None),
            }
        };
        let mut cases = 0;
        for kind in [List, Export] {
            for status in Status::iter() {
                for has_match in [false, true] {
                    for c in choices() {
                        for email_on_list in [false, true] {
                            let r = row(kind, status, has_match);
                            let out = apply(&r, &c, email_on_list);
                            assert_eq!(
                                (out.selected, out.linked),
                                expected(kind, status, has_match, &c, email_on_list),
                                "{kind:?} {status:?} match={has_match} {c:?} taken={email_on_list}"
                            );
                            assert!(!(out.selected && out.linked), "never both");
                            // What the page offers is all a choice can do.
                            let offered = r.offers().import;
                            if out.selected {
                                assert!(matches!(
                                    offered,
                                    Offer::Tick
                                        | Offer::LeaveNewOrMatched
                                        | Offer::ByHand { or_new: true }
                                ));
                            }
                            if out.linked {
                                assert!(matches!(
                                    offered,
                                    Offer::LeaveNewOrMatched | Offer::ByHand { .. }
                                ));
                            }
                            assert_eq!(
                                out.takes_documents,
                                (kind == Export).then_some(c.takes_documents)
                            );
                            // What the page then shows is what was saved.
                            let shown = r.chosen(out.selected, out.linked);
                            assert_eq!(
                                shown,
                                match (out.selected, out.linked) {
                                    (_, true) => Chosen::Linked,
                                    (true, false) => Chosen::New,
                                    (false, false) => Chosen::Left,
                                }
                            );
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 2 * 5 * 2 * 12 * 2);
    }

    #[test]
    fn the_email_on_the_list_is_asked_only_when_importing_as_new_instead_of_a_match() {
        for kind in [List, Export] {
            for status in Status::iter() {
                for c in choices() {
                    let r = row(kind, status, true);
                    let mut asked = false;
                    let _ = r.apply(&c, || {
                        asked = true;
                        Ok::<_, Infallible>(false)
                    });
                    let uncertain = matches!(
                        r.offers().import,
                        Offer::LeaveNewOrMatched | Offer::ByHand { or_new: true }
                    );
                    let linked = match r.offers().import {
                        Offer::LeaveNewOrMatched => c.link == Link::Matched,
                        _ => c.link != Link::None,
                    };
                    assert_eq!(
                        asked,
                        uncertain && c.import && !linked,
                        "{kind:?} {status:?} {c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_corrected_email_decides_by_the_new_status_only_where_the_email_is_offered() {
        for kind in [List, Export] {
            for before in Status::iter() {
                for after in Status::iter() {
                    let r = row(kind, before, false).corrected(after, true);
                    if matches!(before, Invalid | NeedsReview) {
                        assert_eq!((r.status, r.has_match), (after, true));
                    } else {
                        assert_eq!((r.status, r.has_match), (before, false), "{before:?}");
                    }
                }
            }
        }
        // Lee's missing email added in a list: the row is new, and the tick imports it.
        let lee = row(List, Invalid, false).corrected(New, false);
        let tick = Choice {
            import: true,
            link: Link::None,
            takes_documents: false,
        };
        assert!(apply(&lee, &tick, false).selected);
        // An export's card corrected to a client's email is that client: ticked, it gets
        // the documents.
        let card = row(Export, Invalid, false).corrected(Existing, true);
        assert_eq!(card.offers().import, Offer::Tick);
        assert!(apply(&card, &tick, false).selected);
    }

    #[test]
    fn an_exports_folder_goes_with_its_card_unless_a_namesake_shares_it() {
        for status in Status::iter() {
            let mut r = row(Export, status, false);
            assert_eq!(r.offers().documents, Documents::Always);
            r.shares_folder = true;
            assert_eq!(r.offers().documents, Documents::Choose);
            assert_eq!(row(List, status, false).offers().documents, Documents::None);
        }
    }

    #[test]
    fn badges_tabs_and_summaries_name_every_status() {
        for status in Status::iter() {
            let (class, text) = row(List, status, false).badge();
            assert_eq!(class, format!("import-{}", status.as_str()));
            assert_eq!(text, label(status));
            assert!(!left_out(status).0.is_empty());
        }
        assert_eq!(label(Existing), "Already a client");
        assert_eq!(statuses(List).len(), 5);
        assert_eq!(
            statuses(Export),
            [New, Existing, NeedsReview, Invalid],
            "no repeated tab for an export"
        );
    }
}
