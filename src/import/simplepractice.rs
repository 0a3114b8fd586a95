//! Reading a SimplePractice complete data export (.zip) without unpacking it: the client
//! cards in `Contacts/`, and every document of the export classified by its folder and
//! file name (kind, date, original name) and tied to the person folder it sits in.
//! Pure: the archive is read through `archive`, nothing is written anywhere.
//!
//! Layout facts (../shared/FORMATS.md): folders are keyed by "First Last" alone, so two
//! clients with the same name share one; the card's file name carries the display name
//! with a middle initial and the only stable id; `Contacts/` also holds non-client cards
//! (guardians, emergency contacts) that have no records anywhere.

use std::io::{Read, Seek};

use chrono::NaiveDate;
use zip::ZipArchive;

use super::archive::{self, ArchiveEntry, ArchiveError, ArchiveLimits};
use super::dates::{detect_order, parse_birth_date};
use super::extract::Candidate;
use super::matching::{self, ExistingClient, Reviewed, Status};
use super::vcard::{self, VCard};
use crate::domain::document::DocumentKind;

/// What a document of the export is, from the folder it sits in and its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportFileKind {
    ProgressNote,
    ChartNote,
    TreatmentPlan,
    /// A questionnaire, with its code ("GAD", "PHQ-9") when the file name has one.
    Questionnaire(Option<String>),
    AdministrativeNote,
    /// Kept apart from the rest of the record.
    PsychotherapyNote,
    Invoice,
    Statement,
    Superbill,
    SecureMessages,
    StoredDocument,
    /// In a client's folder but of no kind the export is known to write.
    Other,
}

impl ExportFileKind {
    /// The kind a document of the record gets, with its detail (a questionnaire's code).
    pub fn document_kind(&self) -> (DocumentKind, Option<&str>) {
        match self {
            Self::ProgressNote => (DocumentKind::ProgressNote, None),
            Self::ChartNote => (DocumentKind::ChartNote, None),
            Self::TreatmentPlan => (DocumentKind::TreatmentPlan, None),
            Self::Questionnaire(code) => (DocumentKind::Questionnaire, code.as_deref()),
            Self::AdministrativeNote => (DocumentKind::AdministrativeNote, None),
            Self::PsychotherapyNote => (DocumentKind::PsychotherapyNote, None),
            Self::Invoice => (DocumentKind::Invoice, None),
            Self::Statement => (DocumentKind::Statement, None),
            Self::Superbill => (DocumentKind::Superbill, None),
            Self::SecureMessages => (DocumentKind::SecureMessages, None),
            Self::StoredDocument => (DocumentKind::StoredDocument, None),
            Self::Other => (DocumentKind::Other, None),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Self::ProgressNote => "Progress note".into(),
            Self::ChartNote => "Chart note".into(),
            Self::TreatmentPlan => "Treatment plan".into(),
            Self::Questionnaire(Some(code)) => format!("Questionnaire ({code})"),
            Self::Questionnaire(None) => "Questionnaire".into(),
            Self::AdministrativeNote => "Administrative note".into(),
            Self::PsychotherapyNote => "Psychotherapy note".into(),
            Self::Invoice => "Invoice".into(),
            Self::Statement => "Statement".into(),
            Self::Superbill => "Superbill".into(),
            Self::SecureMessages => "Secure messages".into(),
            Self::StoredDocument => "Stored document".into(),
            Self::Other => "Other document".into(),
        }
    }
}

/// One client card of `Contacts/`.
#[derive(Debug, Clone)]
pub struct ExportCard {
    /// The card's path in the archive.
    pub path: String,
    /// From the file name, middle initial included ("Ada Q. Lovelace").
    pub display_name: String,
    /// The numeric id at the end of the file name: the export's only stable identifier.
    pub simplepractice_id: Option<String>,
    pub card: VCard,
    /// "First Last" as the record folders are named, from the card's N (or FN).
    pub folder_name: Option<String>,
}

/// One document of the export.
#[derive(Debug, Clone)]
pub struct ExportDocument {
    pub entry: ArchiveEntry,
    pub kind: ExportFileKind,
    /// The date in the file name, where it has one.
    pub date: Option<NaiveDate>,
    /// The name to show: the file's own name (a stored document without its upload
    /// number).
    pub file_name: String,
    /// Whose it is: the folder named after the person ("First Last", "First Last - id"),
    /// or for a secure-message log its file stem
    /// ("Provider-First-Provider-Last-Client-Display-Name").
    pub owner: DocumentOwner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentOwner {
    Folder(String),
    MessageLog(String),
    /// Nothing in its path names a client.
    Nobody,
}

/// The export as Caseload reads it.
#[derive(Debug, Clone)]
pub struct ExportIndex {
    pub cards: Vec<ExportCard>,
    pub documents: Vec<ExportDocument>,
    /// Cards in `Contacts/` that could not be read (named, so the review can say so).
    pub unreadable_cards: Vec<String>,
    /// For each document, the cards it may belong to: one, several when namesakes share
    /// a folder (or a message log's name), none when no card claims it.
    owners: Vec<Vec<usize>>,
    /// For each card, its documents (indexes into `documents`).
    by_card: Vec<Vec<usize>>,
    /// Folder names (lower case) that an unreadable card's name also claims.
    contested: std::collections::HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("This .zip does not look like a SimplePractice export: it has no Contacts folder with client cards{}. In SimplePractice, go to Settings > Data Export, export the client data with \"require a password\" unchecked, and upload that .zip.", if .found.is_empty() { String::new() } else { format!(" (it holds {})", .found.join(", ")) })]
    NotAnExport { found: Vec<String> },
    #[error("This is {0}: a client list, not a SimplePractice export. To add the clients it lists, use Clients → Add client(s) → Import from a file (/clients/import). A SimplePractice export is the .zip that SimplePractice's Settings > Data Export makes.")]
    ClientList(&'static str),
    #[error("This is {0}, not a SimplePractice export. In SimplePractice, go to Settings > Data Export, export the client data with \"require a password\" unchecked, and upload that .zip.")]
    OtherFile(&'static str),
}

/// What a file that is not a readable .zip is, when it is one people upload here by
/// mistake (a client list, a PDF); None for a damaged archive or anything else.
pub fn not_an_archive(head: &[u8]) -> Option<ExportError> {
    use super::extract::{detect, ExtractError, Format};
    match detect(head) {
        Err(ExtractError::OldExcel) => {
            Some(ExportError::ClientList("an old Excel workbook (.xls)"))
        }
        Err(ExtractError::Unreadable(what)) => Some(ExportError::OtherFile(what)),
        Ok(Format::VCard) => Some(ExportError::ClientList("a file of contact cards (.vcf)")),
        Ok(Format::Csv) if super::table::looks_like_text(head) => {
            Some(ExportError::ClientList("a CSV or text file"))
        }
        _ => None,
    }
}

fn top(path: &str) -> &str {
    path.split('/').next().unwrap_or("")
}

/// "Ada Q. Lovelace - 200000001.vcf" → ("Ada Q. Lovelace", Some("200000001")).
fn card_file_name(path: &str) -> (String, Option<String>) {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .strip_suffix(".vcf")
        .or_else(|| name.strip_suffix(".VCF"))
        .unwrap_or(name);
    match stem.rsplit_once(" - ") {
        Some((display, id)) if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) => {
            (display.trim().to_string(), Some(id.to_string()))
        }
        _ => (stem.trim().to_string(), None),
    }
}

/// The first `YYYY-MM-DD` in a file name.
fn date_in(name: &str) -> Option<NaiveDate> {
    name.split([' ', '_'])
        .find_map(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
}

/// What a file is from its own name, wherever it sits ("Progress Note 2024-01-02 …").
fn kind_by_name(file: &str) -> ExportFileKind {
    let lower = file.to_lowercase();
    if lower.starts_with("progress note") {
        ExportFileKind::ProgressNote
    } else if lower.starts_with("chart note") {
        ExportFileKind::ChartNote
    } else if lower.starts_with("psychotherapy note") {
        ExportFileKind::PsychotherapyNote
    } else if lower.starts_with("administrative note") {
        ExportFileKind::AdministrativeNote
    } else if lower.starts_with("diagnosis and treatment plan")
        || lower.starts_with("treatment plan")
    {
        ExportFileKind::TreatmentPlan
    } else if lower.starts_with("questionnaire") {
        // "Questionnaire - GAD - 1234.pdf": the code is the middle part.
        let parts: Vec<&str> = file.split(" - ").collect();
        let code = (parts.len() >= 3)
            .then(|| parts[1].trim().to_string())
            .filter(|c| !c.is_empty());
        ExportFileKind::Questionnaire(code)
    } else if lower.starts_with("inv ") {
        ExportFileKind::Invoice
    } else if lower.starts_with("sb ") {
        ExportFileKind::Superbill
    } else if lower.starts_with("stmt ") {
        ExportFileKind::Statement
    } else {
        ExportFileKind::Other
    }
}

/// What a folder's name says its files are, when it says so.
fn kind_by_folder(folder: &str) -> Option<ExportFileKind> {
    Some(match folder.trim().to_lowercase().as_str() {
        "psychotherapy notes" => ExportFileKind::PsychotherapyNote,
        "administrative" | "administrative notes" => ExportFileKind::AdministrativeNote,
        "stored documents" => ExportFileKind::StoredDocument,
        "secure messages" => ExportFileKind::SecureMessages,
        "invoices" => ExportFileKind::Invoice,
        "statements" => ExportFileKind::Statement,
        "statements for insurance reimbursements" | "superbills" => ExportFileKind::Superbill,
        _ => return None,
    })
}

/// A file's kind: the innermost folder that names one ("Billing Documents/…/Invoices"),
/// else the file's own name. A psychotherapy note is one by its name too, wherever it
/// sits, so that it is always kept apart.
fn classify(folders: &[&str], file: &str) -> ExportFileKind {
    let by_name = kind_by_name(file);
    if by_name == ExportFileKind::PsychotherapyNote {
        return by_name;
    }
    folders
        .iter()
        .rev()
        .find_map(|f| kind_by_folder(f))
        .unwrap_or(by_name)
}

/// The folders of the export that hold client records, each keyed by "First Last".
const RECORD_FOLDERS: &[&str] = &[
    "Medical Records",
    "Psychotherapy Notes",
    "Administrative",
    "Billing Documents",
    "Stored documents",
];

fn is_record_folder(name: &str) -> bool {
    RECORD_FOLDERS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name.trim()))
        || name.trim().eq_ignore_ascii_case("Secure messages")
}

/// Whether a path is one of the export's client cards: a .vcf in a Contacts folder.
fn is_card_path(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let file = parts.pop().unwrap_or("");
    file.to_lowercase().ends_with(".vcf")
        && parts.iter().any(|p| p.eq_ignore_ascii_case("Contacts"))
}

/// Whether an archive's files are those of a complete export: client cards beside record
/// folders, at the top or inside each client's folder (a .zip of the Contacts folder
/// alone is just a list of cards).
pub fn looks_like_export(entries: &[ArchiveEntry]) -> bool {
    entries.iter().any(|e| is_card_path(&e.path))
        && entries.iter().any(|e| {
            let mut parts: Vec<&str> = e.path.split('/').collect();
            parts.pop();
            parts.iter().any(|p| is_record_folder(p))
        })
}

/// "Ada  Lovelace", "ada_lovelace" → "ada lovelace".
fn name_key(name: &str) -> String {
    name.replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// "Ada Lovelace - 200000001" or "Ada Lovelace (200000001)" → ("Ada Lovelace", the id).
fn name_and_id(folder: &str) -> (&str, Option<&str>) {
    let folder = folder.trim();
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some((name, id)) = folder.rsplit_once(" - ") {
        if digits(id.trim()) {
            return (name, Some(id.trim()));
        }
    }
    if let Some(inner) = folder.strip_suffix(')') {
        if let Some((name, id)) = inner.rsplit_once('(') {
            if digits(id.trim()) {
                return (name.trim_end(), Some(id.trim()));
            }
        }
    }
    (folder, None)
}

/// Which cards a folder's name points at: by the card's id when the folder carries it,
/// else by "First Last" (namesakes share a folder, so a name may point at several).
struct CardNames {
    by_name: std::collections::HashMap<String, Vec<usize>>,
    by_id: std::collections::HashMap<String, usize>,
}

impl CardNames {
    fn of(cards: &[ExportCard]) -> Self {
        let mut by_name: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut by_id = std::collections::HashMap::new();
        for (i, c) in cards.iter().enumerate() {
            let mut keys = vec![without_initials(&c.display_name)];
            if let Some(f) = &c.folder_name {
                keys.push(name_key(f));
            }
            keys.sort();
            keys.dedup();
            for k in keys.into_iter().filter(|k| !k.is_empty()) {
                by_name.entry(k).or_default().push(i);
            }
            if let Some(id) = &c.simplepractice_id {
                by_id.insert(id.clone(), i);
            }
        }
        CardNames { by_name, by_id }
    }

    fn cards_for(&self, folder: &str) -> Option<Vec<usize>> {
        let (name, id) = name_and_id(folder);
        if let Some(&card) = id.and_then(|id| self.by_id.get(id)) {
            return Some(vec![card]);
        }
        self.by_name
            .get(&name_key(name))
            .or_else(|| self.by_name.get(&without_initials(name)))
            .cloned()
    }
}

/// A document of the export, and the cards it belongs to. The export's own layout keeps
/// a client's files in `<Record folder>/<First Last>/…`; another layout (one folder per
/// client, with the record folders inside it) is read by finding the folder that names
/// a card. A file whose path names no card belongs to no one.
fn document_of(entry: &ArchiveEntry, names: &CardNames) -> (ExportDocument, Vec<usize>) {
    let mut folders: Vec<&str> = entry.path.split('/').collect();
    let file = folders.pop().unwrap_or("").to_string();
    let (owner, owners) = if folders
        .first()
        .is_some_and(|f| f.eq_ignore_ascii_case("Secure messages"))
        && folders.len() == 1
    {
        let stem = file.rsplit_once('.').map_or(file.as_str(), |(s, _)| s);
        (DocumentOwner::MessageLog(stem.to_string()), Vec::new())
    } else if folders
        .first()
        .is_some_and(|f| RECORD_FOLDERS.iter().any(|r| r.eq_ignore_ascii_case(f)))
        && folders.len() >= 2
    {
        let person = folders[1].trim();
        (
            DocumentOwner::Folder(person.to_string()),
            names.cards_for(person).unwrap_or_default(),
        )
    } else {
        match folders
            .iter()
            .find_map(|f| names.cards_for(f).map(|cards| (*f, cards)))
        {
            Some((person, cards)) => (DocumentOwner::Folder(person.trim().to_string()), cards),
            None => (DocumentOwner::Nobody, Vec::new()),
        }
    };
    let kind = match owner {
        DocumentOwner::MessageLog(_) => ExportFileKind::SecureMessages,
        _ => classify(&folders, &file),
    };
    // Stored documents carry their upload order: "3-Intake form.pdf".
    let file_name = match (&kind, file.split_once('-')) {
        (ExportFileKind::StoredDocument, Some((n, original)))
            if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && !original.is_empty() =>
        {
            original.to_string()
        }
        _ => file.clone(),
    };
    let date = match kind {
        ExportFileKind::SecureMessages => None,
        _ => date_in(&file),
    };
    (
        ExportDocument {
            entry: entry.clone(),
            date,
            kind,
            file_name,
            owner,
        },
        owners,
    )
}

fn folder_name_of(card: &VCard) -> Option<String> {
    match (&card.first_name, &card.last_name) {
        (Some(f), Some(l)) => Some(format!("{} {}", f.trim(), l.trim())),
        _ => card
            .full_name
            .as_ref()
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// Reads the export's directory and its cards; documents are listed, not read.
pub fn read_export<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    limits: &ArchiveLimits,
) -> Result<ExportIndex, ExportError> {
    // Workbooks and office documents are archives too: named before they are listed.
    if zip.index_for_name("xl/workbook.xml").is_some() {
        return Err(ExportError::ClientList("an Excel workbook (.xlsx)"));
    }
    if let Some(what) = super::extract::office_kind(zip) {
        return Err(ExportError::OtherFile(what));
    }
    let entries = archive::list(zip, limits)?;
    let card_entries: Vec<&ArchiveEntry> =
        entries.iter().filter(|e| is_card_path(&e.path)).collect();
    if card_entries.is_empty() {
        let mut found: Vec<String> = entries
            .iter()
            .map(|e| top(&e.path).to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .take(6)
            .collect();
        found.retain(|f| !f.is_empty());
        return Err(ExportError::NotAnExport { found });
    }
    let mut cards = Vec::with_capacity(card_entries.len());
    let mut unreadable_cards = Vec::new();
    for e in card_entries {
        // Cards are small; a huge one is not a card.
        if e.size > 1024 * 1024 {
            unreadable_cards.push(e.path.clone());
            continue;
        }
        let bytes = archive::read_entry(zip, e)?;
        match vcard::parse(&bytes).ok().and_then(|mut c| {
            if c.is_empty() {
                None
            } else {
                Some(c.swap_remove(0))
            }
        }) {
            // A card file that ends before END:VCARD was damaged on the way: named with the
            // unreadable ones rather than imported from half a card.
            Some(card) if card.cut_off => unreadable_cards.push(e.path.clone()),
            Some(card) => {
                let (display_name, simplepractice_id) = card_file_name(&e.path);
                cards.push(ExportCard {
                    path: e.path.clone(),
                    display_name,
                    simplepractice_id,
                    folder_name: folder_name_of(&card),
                    card,
                });
            }
            None => unreadable_cards.push(e.path.clone()),
        }
    }
    let names = CardNames::of(&cards);
    let (documents, folder_owners): (Vec<ExportDocument>, Vec<Vec<usize>>) = entries
        .iter()
        .filter(|e| !is_card_path(&e.path))
        .map(|e| document_of(e, &names))
        .unzip();
    Ok(ExportIndex::new(
        cards,
        documents,
        folder_owners,
        unreadable_cards,
    ))
}

fn hyphenated(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join("-")
}

/// "Ada Q. Lovelace" → "ada lovelace": a display name as the folders are named.
fn without_initials(display: &str) -> String {
    display
        .split_whitespace()
        .filter(|w| !(w.chars().count() <= 2 && w.ends_with('.')))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl ExportIndex {
    /// `folder_owners`: for each document, the cards its folder's name points at.
    fn new(
        cards: Vec<ExportCard>,
        documents: Vec<ExportDocument>,
        folder_owners: Vec<Vec<usize>>,
        unreadable: Vec<String>,
    ) -> Self {
        use std::collections::HashMap;
        let mut by_display: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in cards.iter().enumerate() {
            by_display
                .entry(hyphenated(&c.display_name).to_lowercase())
                .or_default()
                .push(i);
        }
        let owners: Vec<Vec<usize>> = documents
            .iter()
            .zip(folder_owners)
            .map(|(d, from_folder)| match &d.owner {
                DocumentOwner::Folder(_) | DocumentOwner::Nobody => from_folder,
                // "Provider-First-Provider-Last-Client-Display-Name": the longest display
                // name the stem ends with, after a hyphen.
                DocumentOwner::MessageLog(stem) => {
                    let stem = stem.to_lowercase();
                    stem.char_indices()
                        .filter(|(_, ch)| *ch == '-')
                        .find_map(|(at, _)| by_display.get(&stem[at + 1..]))
                        .cloned()
                        .unwrap_or_default()
                }
            })
            .collect();
        let mut by_card = vec![Vec::new(); cards.len()];
        for (d, owned_by) in owners.iter().enumerate() {
            for &c in owned_by {
                by_card[c].push(d);
            }
        }
        let contested = unreadable
            .iter()
            .map(|path| without_initials(&card_file_name(path).0))
            .collect();
        ExportIndex {
            cards,
            documents,
            unreadable_cards: unreadable,
            owners,
            by_card,
            contested,
        }
    }

    /// The card read from `path`.
    pub fn card_at(&self, path: &str) -> Option<usize> {
        self.cards.iter().position(|c| c.path == path)
    }

    /// The documents of one card's person, each with whether another card may claim it
    /// too (a folder or log shared by namesakes).
    pub fn documents_of(&self, card: usize) -> impl Iterator<Item = (&ExportDocument, bool)> + '_ {
        self.by_card
            .get(card)
            .into_iter()
            .flatten()
            .map(move |&d| (&self.documents[d], self.owners[d].len() > 1))
    }

    /// How many files no card claims (their folders' names match no card).
    pub fn unclaimed(&self) -> usize {
        self.owners.iter().filter(|o| o.is_empty()).count()
    }

    /// The paths of the files no card claims, in archive order.
    pub fn unclaimed_paths(&self) -> Vec<String> {
        self.documents
            .iter()
            .zip(&self.owners)
            .filter(|(_, o)| o.is_empty())
            .map(|(d, _)| d.entry.path.clone())
            .collect()
    }

    /// How many documents of each kind a card's person has, in a stable order; those the
    /// export gives no date are counted apart and say so.
    pub fn counts_of(&self, card: usize) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for (d, _) in self.documents_of(card) {
            let label = match d.date {
                Some(_) => d.kind.label(),
                None => format!(
                    "{} ({})",
                    d.kind.label(),
                    crate::domain::document::NO_DATE_IN_EXPORT
                ),
            };
            match counts.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => counts.push((label, 1)),
            }
        }
        counts.sort();
        counts
    }

    /// Whether the card's documents cannot be told apart from a namesake's: another card
    /// (readable or not) has the same "First Last", or one of its documents is claimed
    /// by another card too.
    pub fn shares_a_folder(&self, card: usize) -> bool {
        let Some(c) = self.cards.get(card) else {
            return false;
        };
        let name = c.folder_name.as_deref().map(str::to_lowercase);
        let namesakes = self
            .cards
            .iter()
            .filter(|o| o.folder_name.as_deref().map(str::to_lowercase) == name)
            .count();
        namesakes > 1
            || name.as_ref().is_some_and(|n| self.contested.contains(n))
            || self.documents_of(card).any(|(_, shared)| shared)
    }
}

/// How the review begins its note on a card with no records anywhere.
pub const NO_RECORDS: &str = "No records anywhere in the export";

/// The words the review uses for a card whose folder a namesake shares.
pub const SHARED_FOLDER: &str = "the export keeps both clients' documents in one folder";

/// One card of the export, reviewed against the provider's list.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub reviewed: Reviewed,
    pub display_name: String,
    pub simplepractice_id: Option<String>,
    /// How many documents of each kind the export holds for the person.
    pub documents: Vec<(String, usize)>,
    /// Whether the row gets its folder's documents: not decided for a folder two clients
    /// of the same name share.
    pub takes_documents: bool,
    /// Its documents cannot be told apart from a namesake's.
    pub shares_folder: bool,
    /// The household the card belongs to (as a member, or as its contact's card).
    pub household: Option<super::households::Household>,
}

/// Reviews every card: an existing client (matched as a list row is) is selected, so their
/// documents (if any) are added to their profile; a new one waits for the clinician to check it;
/// a card without an email, one whose email or name points at another client, one that
/// shares its folder with a namesake, or one with no records at all is unchecked with
/// the reason.
pub fn review_export(
    index: &ExportIndex,
    existing: &[ExistingClient],
    today: NaiveDate,
) -> Vec<ExportRow> {
    let order = detect_order(
        index
            .cards
            .iter()
            .filter_map(|c| c.card.birthday.as_deref()),
    );
    let candidates: Vec<Candidate> = index
        .cards
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (first_name, last_name) =
                if c.card.first_name.is_some() || c.card.last_name.is_some() {
                    (c.card.first_name.clone(), c.card.last_name.clone())
                } else {
                    c.card
                        .full_name
                        .as_deref()
                        .map(super::columns::split_full_name)
                        .unwrap_or((None, None))
                };
            let (date_of_birth, date_problem) = match c.card.birthday.as_deref() {
                Some(raw) => match parse_birth_date(raw, order.0, today) {
                    Ok(d) => (d, None),
                    Err(p) => (None, Some(p)),
                },
                None => (None, None),
            };
            Candidate {
                row: i + 1,
                first_name,
                last_name,
                email: c
                    .card
                    .preferred_email()
                    .map(crate::domain::email::address_in)
                    .filter(|e| !e.is_empty())
                    .map(str::to_string),
                phone: c.card.preferred_phone().map(str::to_string),
                date_of_birth,
                date_problem,
                source: Some(c.path.clone()),
                contact: None,
                preferred_name: c.card.nickname.clone(),
                ..Default::default()
            }
        })
        .collect();
    let unclaimed = index.unclaimed();
    let reviewed = matching::review(candidates, existing);
    // A card with no records that shares its address is the contact of a household.
    let households = super::households::find(&reviewed, existing, &|i| {
        index.documents_of(i).next().is_none()
    });
    let household_of = super::households::by_row(&households, reviewed.len());
    reviewed
        .into_iter()
        .zip(&index.cards)
        .zip(household_of)
        .map(|((r, card), h)| (r, card, h.cloned()))
        .enumerate()
        .map(|(i, (mut r, card, household))| {
            let documents = index.counts_of(i);
            let shared = index.shares_a_folder(i);
            if r.status == Status::DuplicateInFile {
                r.status = Status::NeedsReview;
            }
            if r.status == Status::Invalid && r.reasons.iter().any(|x| x == "No email address.") {
                r.reasons = r
                    .reasons
                    .into_iter()
                    .map(|x| {
                        if x == "No email address." {
                            "No email on the card: add it here, or in SimplePractice and export again.".to_string()
                        } else {
                            x
                        }
                    })
                    .collect();
            }
            // A card with no email offered as a client of the list says "card".
            for reason in r.reasons.iter_mut() {
                if let Some(rest) = reason.strip_prefix(matching::NO_EMAIL_ROW) {
                    *reason = format!("No email on the card{rest}");
                }
            }
            if shared {
                if matches!(r.status, Status::New | Status::Existing) {
                    r.status = Status::NeedsReview;
                }
                r.reasons.insert(
                    0,
                    format!(
                        "Another client of this export is also called {}: {SHARED_FOLDER}. Choose which of them gets the folder's documents.",
                        card.folder_name.as_deref().unwrap_or("the same")
                    ),
                );
            }
            if documents.is_empty() {
                r.reasons.push(if unclaimed > 0 {
                    // The person's files may be among those no card claims.
                    format!(
                        "No documents found for this card, and {unclaimed} {} of the export {} to no card (listed at the top): check whether some are this client's.",
                        if unclaimed == 1 { "file" } else { "files" },
                        if unclaimed == 1 { "belongs" } else { "belong" }
                    )
                } else {
                    format!(
                        "{NO_RECORDS}: perhaps a guardian or an emergency contact rather than a client."
                    )
                });
            }
            // Existing clients (name and email agree) are ticked, documents or not; new
            // ones wait for a check.
            r.selected = r.status == Status::Existing;
            ExportRow {
                display_name: card.display_name.clone(),
                simplepractice_id: card.simplepractice_id.clone(),
                takes_documents: !shared,
                shares_folder: shared,
                documents,
                reviewed: r,
                household,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn card(n: &str, fn_: &str, extra: &str) -> Vec<u8> {
        format!("BEGIN:VCARD\r\nVERSION:3.0\r\nN:{n}\r\nFN:{fn_}\r\n{extra}END:VCARD\r\n")
            .into_bytes()
    }

    fn export() -> Vec<u8> {
        let ada = card(
            "Lovelace;Ada;;;",
            "Ada Lovelace",
            "EMAIL;TYPE=home:ada@example.com\r\nBDAY:19851210\r\n",
        );
        let ann1 = card(
            "Lee;Ann;;;",
            "Ann Lee",
            "EMAIL;TYPE=home:ann1@example.com\r\n",
        );
        let ann2 = card("Lee;Ann;;;", "Ann Lee", "");
        let guardian = card(
            "Núñez;Zoë;;;",
            "Zoë Núñez",
            "TEL;TYPE=mobile:5555550102\r\n",
        );
        zip_of(&[
            ("export/Contacts/Ada Q. Lovelace - 200000001.vcf", &ada),
            ("export/Contacts/Ann Lee - 200000002.vcf", &ann1),
            ("export/Contacts/Ann Lee - 200000003.vcf", &ann2),
            ("export/Contacts/Zoë Núñez - 200000004.vcf", &guardian),
            ("export/Medical Records/Ada Lovelace/Progress Note 2024-01-02 100000 11.pdf", b"%PDF-1.4"),
            ("export/Medical Records/Ada Lovelace/Questionnaire - GAD - 1234.pdf", b"%PDF-1.4"),
            ("export/Medical Records/Ada Lovelace/Diagnosis and treatment plan - 77.pdf", b"%PDF-1.4"),
            ("export/Psychotherapy Notes/Ada Lovelace/Psychotherapy Note 2024-01-09 090000 12.pdf", b"%PDF-1.4"),
            ("export/Billing Documents/Ada Lovelace/Invoices/INV 1.pdf", b"%PDF-1.4"),
            ("export/Billing Documents/Ada Lovelace/Statements for Insurance Reimbursements/SB 0001.pdf", b"%PDF-1.4"),
            ("export/Stored documents/Ada Lovelace/3-Intake form.pdf", b"%PDF-1.4"),
            ("export/Secure messages/Elena-Rivera-Ada-Q.-Lovelace.txt", b"----- January 2, 2024 -----\n"),
            ("export/Medical Records/Ann Lee/Chart Note 2023-05-06 120000 13.pdf", b"%PDF-1.4"),
            ("export/.DS_Store", b"x"),
            ("__MACOSX/export/._Contacts", b"x"),
        ])
    }

    #[test]
    fn cards_documents_and_their_owners() {
        let bytes = export();
        let mut zip = archive::open(Cursor::new(&bytes[..])).unwrap();
        let x = read_export(&mut zip, &ArchiveLimits::default()).unwrap();
        let names: Vec<(&str, Option<&str>)> = x
            .cards
            .iter()
            .map(|c| (c.display_name.as_str(), c.simplepractice_id.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("Ada Q. Lovelace", Some("200000001")),
                ("Ann Lee", Some("200000002")),
                ("Ann Lee", Some("200000003")),
                ("Zoë Núñez", Some("200000004"))
            ]
        );
        let ada = &x.cards[0];
        assert_eq!(ada.folder_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            x.counts_of(0),
            [
                ("Invoice (no date in the export)".to_string(), 1),
                ("Progress note".into(), 1),
                ("Psychotherapy note".into(), 1),
                ("Questionnaire (GAD) (no date in the export)".into(), 1),
                ("Secure messages (no date in the export)".into(), 1),
                ("Stored document (no date in the export)".into(), 1),
                ("Superbill (no date in the export)".into(), 1),
                ("Treatment plan (no date in the export)".into(), 1),
            ]
        );
        let note = x
            .documents_of(0)
            .map(|(d, _)| d)
            .find(|d| d.kind == ExportFileKind::ProgressNote)
            .unwrap();
        assert_eq!(note.date, NaiveDate::from_ymd_opt(2024, 1, 2));
        let stored = x
            .documents_of(0)
            .map(|(d, _)| d)
            .find(|d| d.kind == ExportFileKind::StoredDocument)
            .unwrap();
        assert_eq!(stored.file_name, "Intake form.pdf");
        assert!(x.shares_a_folder(1) && x.shares_a_folder(2));
        assert!(!x.shares_a_folder(0));
        assert_eq!(x.documents_of(3).count(), 0, "a contact-only card");
        assert_eq!(x.unclaimed(), 0);
    }

    #[test]
    fn the_review_of_an_export() {
        let bytes = export();
        let mut zip = archive::open(Cursor::new(&bytes[..])).unwrap();
        let x = read_export(&mut zip, &ArchiveLimits::default()).unwrap();
        let existing = vec![ExistingClient {
            id: "c1".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            email_normalized: "ada@example.com".into(),
            date_of_birth: None,
            phone_digits: None,
        }];
        let rows = review_export(&x, &existing, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let got: Vec<(&str, &str, bool, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.display_name.as_str(),
                    r.reviewed.status.as_str(),
                    r.reviewed.selected,
                    r.takes_documents,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Ada Q. Lovelace", "existing", true, true),
                ("Ann Lee", "needs_review", false, false),
                ("Ann Lee", "invalid", false, false),
                ("Zoë Núñez", "invalid", false, true),
            ]
        );
        assert_eq!(rows[0].reviewed.matched_client_id.as_deref(), Some("c1"));
        assert!(rows[1].reviewed.reasons[0].contains("also called Ann Lee"));
        assert!(rows[3]
            .reviewed
            .reasons
            .iter()
            .any(|r| r.contains("perhaps a guardian")));
        assert!(rows[3].reviewed.reasons[0].contains("No email on the card"));
        assert_eq!(rows[0].documents.len(), 8);
    }

    #[test]
    fn a_message_log_goes_to_the_longest_display_name_only() {
        let files: Vec<(&str, Vec<u8>)> = vec![
            (
                "Contacts/Ann Lee - 1.vcf",
                card("Lee;Ann;;;", "Ann Lee", ""),
            ),
            (
                "Contacts/Mary Ann Lee - 2.vcf",
                card("Lee;Mary Ann;;;", "Mary Ann Lee", ""),
            ),
            ("Contacts/Lee - 3.vcf", card("Lee;;;;", "Lee", "")),
            (
                "Secure messages/Elena-Rivera-Mary-Ann-Lee.txt",
                b"x".to_vec(),
            ),
            ("Secure messages/Elena-Rivera-Ann-Lee.txt", b"y".to_vec()),
            (
                "Medical Records/Nobody Here/Chart Note 2023-01-01 1 1.pdf",
                b"%PDF".to_vec(),
            ),
        ];
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let bytes = zip_of(&refs);
        let mut zip = archive::open(Cursor::new(&bytes[..])).unwrap();
        let x = read_export(&mut zip, &ArchiveLimits::default()).unwrap();
        let logs = |i: usize| -> Vec<String> {
            x.documents_of(i)
                .map(|(d, _)| d.file_name.clone())
                .collect()
        };
        assert_eq!(logs(0), ["Elena-Rivera-Ann-Lee.txt"]);
        assert_eq!(logs(1), ["Elena-Rivera-Mary-Ann-Lee.txt"]);
        assert!(logs(2).is_empty(), "a one-word name claims nobody's log");
        assert_eq!(x.unclaimed(), 1);
    }

    #[test]
    fn a_folder_per_client_with_subfolders_is_read_and_unclaimed_files_named() {
        let files: Vec<(&str, Vec<u8>)> = vec![
            (
                "Contacts/Ada Q. Lovelace - 11.vcf",
                card("Lovelace;Ada;;;", "Ada Lovelace", ""),
            ),
            (
                "Contacts/Ann Lee - 12.vcf",
                card("Lee;Ann;;;", "Ann Lee", ""),
            ),
            (
                "Contacts/Ann Lee - 13.vcf",
                card("Lee;Ann;;;", "Ann Lee", ""),
            ),
            (
                "Clients/Ada Lovelace/Medical Records/Progress Note 2024-01-02 100000 1.pdf",
                b"%PDF".to_vec(),
            ),
            (
                "Clients/Ada Lovelace/Billing Documents/Invoices/INV 7.pdf",
                b"%PDF".to_vec(),
            ),
            (
                "Clients/Ada Lovelace/Notes/Psychotherapy Note 2024-01-09 090000 2.pdf",
                b"%PDF".to_vec(),
            ),
            (
                "Clients/Ada Lovelace/Stored documents/3-Intake form.pdf",
                b"%PDF".to_vec(),
            ),
            // The id in the folder's name tells namesakes apart.
            (
                "Clients/Ann Lee - 13/Medical Records/Chart Note 2023-05-06 1 1.pdf",
                b"%PDF".to_vec(),
            ),
            (
                "Clients/Grace Hopper/Medical Records/Chart Note.pdf",
                b"%PDF".to_vec(),
            ),
            ("read me.txt", b"hello".to_vec()),
        ];
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let bytes = zip_of(&refs);
        let mut zip = archive::open(Cursor::new(&bytes[..])).unwrap();
        let entries = archive::list(&mut zip, &ArchiveLimits::default()).unwrap();
        assert!(looks_like_export(&entries));
        let x = read_export(&mut zip, &ArchiveLimits::default()).unwrap();
        assert_eq!(
            x.counts_of(0),
            [
                ("Invoice (no date in the export)".to_string(), 1),
                ("Progress note".into(), 1),
                ("Psychotherapy note".into(), 1),
                ("Stored document (no date in the export)".into(), 1),
            ]
        );
        let stored = x
            .documents_of(0)
            .map(|(d, _)| d)
            .find(|d| d.kind == ExportFileKind::StoredDocument)
            .unwrap();
        assert_eq!(
            (stored.file_name.as_str(), stored.date),
            ("Intake form.pdf", None)
        );
        assert_eq!(x.documents_of(1).count(), 0);
        assert_eq!(
            x.documents_of(2)
                .map(|(d, shared)| (d.kind.clone(), shared))
                .collect::<Vec<_>>(),
            [(ExportFileKind::ChartNote, false)]
        );
        assert_eq!(
            x.unclaimed_paths(),
            [
                "Clients/Grace Hopper/Medical Records/Chart Note.pdf",
                "read me.txt"
            ]
        );
        let rows = review_export(&x, &[], NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert!(rows[1]
            .reviewed
            .reasons
            .iter()
            .any(|r| r.contains("2 files of the export belong to no card")));
        assert!(!rows
            .iter()
            .flat_map(|r| &r.reviewed.reasons)
            .any(|r| r.contains(NO_RECORDS)));
    }

    #[test]
    fn an_existing_client_is_ticked_without_documents() {
        let bytes = zip_of(&[
            (
                "Contacts/Ada Lovelace - 1.vcf",
                &card(
                    "Lovelace;Ada;;;",
                    "Ada Lovelace",
                    "EMAIL:ada@example.com\r\n",
                ),
            ),
            ("Medical Records/Someone Else/Chart Note.pdf", b"%PDF"),
        ]);
        let mut zip = archive::open(Cursor::new(&bytes[..])).unwrap();
        let x = read_export(&mut zip, &ArchiveLimits::default()).unwrap();
        let existing = vec![ExistingClient {
            id: "c1".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            email_normalized: "ada@example.com".into(),
            date_of_birth: None,
            phone_digits: None,
        }];
        let rows = review_export(&x, &existing, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(rows[0].reviewed.status, Status::Existing);
        assert!(rows[0].reviewed.selected);
        assert!(rows[0].documents.is_empty());
    }

    #[test]
    fn a_zip_without_contacts_is_not_an_export() {
        let bytes = zip_of(&[("photos/a.jpg", b"\xff\xd8")]);
        let mut zip = archive::open(Cursor::new(&bytes[..])).unwrap();
        let err = read_export(&mut zip, &ArchiveLimits::default()).unwrap_err();
        assert_eq!(
            err,
            ExportError::NotAnExport {
                found: vec!["photos".into()]
            }
        );
        assert!(err.to_string().contains("require a password"));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = export();
        let mut seed: u32 = 3;
        for cut in (0..good.len()).step_by(7) {
            let mut bytes = good.clone();
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let at = (seed as usize) % bytes.len();
            bytes[at] ^= (seed >> 16) as u8;
            bytes.truncate(bytes.len() - cut % 64);
            if let Ok(mut zip) = archive::open(Cursor::new(&bytes[..])) {
                let _ = read_export(&mut zip, &ArchiveLimits::default());
            }
        }
    }
}
