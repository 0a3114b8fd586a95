//! From a file's bytes to candidate clients: the format told from the content, the rows
//! or cards read, the columns mapped, names split, dates of birth read.

use chrono::NaiveDate;
use rayon::prelude::*;

use super::archive::{self, ArchiveError, ArchiveLimits};
use super::columns::{recognise_layout, ColumnMap, ManualColumns, MissingColumn};
use super::dates::{detect_order, parse_birth_date, DateOrder, DateProblem, OrderEvidence};
use super::households::FileContact;
use super::limits::{shorten, size_text, LimitError, ReadLimits, MAX_SHARED_STRINGS_BYTES};
use super::table::{self, Table, TableError};
use super::{vcard, xlsx};
use crate::domain::billing::BillingType;
use crate::domain::email::address_in;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    VCard,
    /// A .zip holding .vcf cards (SimplePractice's Contacts export, a phone's backup).
    VCardZip,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::VCard => "vcard",
            Self::VCardZip => "vcard_zip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Csv, Self::Xlsx, Self::VCard, Self::VCardZip]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV / text file",
            Self::Xlsx => "Excel workbook (.xlsx)",
            Self::VCard => "contact cards (.vcf)",
            Self::VCardZip => ".zip of contact cards",
        }
    }
}

/// How to read a file beyond what its content says: the sheet, and columns chosen by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractOptions {
    pub sheet: Option<String>,
    pub columns: Option<ManualColumns>,
}

/// Why a file cannot be imported, in words that say what was received and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("The file is empty. Export the client list again and upload the new file.")]
    Empty,
    #[error("This is an old Excel 97–2003 (.xls) file. Open it in Excel and save it as .xlsx or as CSV, then upload that.")]
    OldExcel,
    #[error("This .zip archive holds no contact cards (.vcf){}. Upload a .csv, .xlsx or .vcf file, or a .zip of .vcf cards.", if .found.is_empty() { String::new() } else { format!("; it holds {}", .found.join(", ")) })]
    ZipWithoutCards { found: Vec<String> },
    #[error("This is a complete SimplePractice data export (clients with their notes and documents), not a client list. Import it with its documents under Settings → Imports → Import a SimplePractice export (/clients/import/simplepractice).")]
    SimplePracticeExport,
    #[error("This is {0}, not a client list, and Caseload reads client lists from a .csv, .xlsx or .vcf file. Export or save the client list as CSV or as an Excel workbook (.xlsx), then upload that.")]
    OfficeDocument(&'static str),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("The workbook holds more than {} of text (its shared strings), which Caseload reads whole; it reads workbooks of at most {}. Save the sheet as CSV and upload that, or split the list into smaller workbooks.", size_text(*.limit as usize), size_text(*.limit as usize))]
    WorkbookTextTooLarge { limit: u64 },
    #[error("This file is not a client list Caseload can read (it looks like {0}). Upload a .csv, .xlsx or .vcf file.")]
    Unreadable(&'static str),
    #[error("{0}")]
    Table(String),
    #[error("The file has no {missing}. Columns found: {found}. Rename the columns or choose them by hand.", missing = .missing.iter().map(|m| m.describe()).collect::<Vec<_>>().join(" and no "), found = .found.join(", "))]
    MissingColumns {
        missing: Vec<MissingColumn>,
        found: Vec<String>,
        /// Every header in column order (blank ones too), and the first rows, for the
        /// screen where the provider picks the columns by hand.
        headers: Vec<String>,
        preview: Vec<Vec<String>>,
    },
}

/// One person read from the file, before matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    /// Where the person stands in the file: a spreadsheet row, or the card's position.
    pub row: usize,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub date_problem: Option<DateProblem>,
    /// The file inside an archive the person came from.
    pub source: Option<String>,
    /// A parent, guardian or emergency contact the row names (its own columns).
    pub contact: Option<FileContact>,
    /// What the person goes by, when the file says (a "Preferred Name" column, NICKNAME).
    pub preferred_name: Option<String>,
    /// How they pay, when the file says; otherwise left not set.
    pub billing_type: Option<BillingType>,
    /// Marked inactive or discharged in the file: imported archived.
    pub archived: bool,
}

#[derive(Debug, Clone)]
pub struct Extracted {
    pub format: Format,
    pub layout: Option<&'static str>,
    pub candidates: Vec<Candidate>,
    /// Insurance and payment columns present in the file and left out.
    pub not_imported: Vec<String>,
    pub date_order: (DateOrder, OrderEvidence),
    /// A workbook's sheets, and the one read.
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
    /// Cards with no `END:VCARD` (the file may have been cut off), described for the
    /// review: "card 3 (line 40), Ada Lovelace".
    pub cut_off: Vec<String>,
    /// A .zip's files that were not read: its other files, then the .vcf files that
    /// hold no card readable as one; their paths.
    pub unread_files: Vec<String>,
}

fn starts_with_vcard(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_uppercase();
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("BEGIN:VCARD")
}

/// Tells the format from the first bytes, never from the file name.
pub fn detect(bytes: &[u8]) -> Result<Format, ExtractError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ExtractError::OldExcel);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        if xlsx::is_workbook(bytes) {
            return Ok(Format::Xlsx);
        }
        if let Some(what) = office_document(bytes) {
            return Err(ExtractError::OfficeDocument(what));
        }
        return Ok(Format::VCardZip);
    }
    if bytes.starts_with(b"%PDF") {
        return Err(ExtractError::Unreadable("a PDF document"));
    }
    if starts_with_vcard(bytes)
        || starts_with_vcard(table::decode(&bytes[..bytes.len().min(8192)]).0.as_bytes())
    {
        return Ok(Format::VCard);
    }
    Ok(Format::Csv)
}

/// What an office file that is a .zip inside is (Word, PowerPoint, OpenDocument), told
/// from the parts it holds; None for any other archive.
pub fn office_document(bytes: &[u8]) -> Option<&'static str> {
    office_kind(&mut zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?)
}

/// [`office_document`] on an archive already open.
pub fn office_kind<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Option<&'static str> {
    let has = |zip: &zip::ZipArchive<R>, name: &str| zip.index_for_name(name).is_some();
    if has(zip, "word/document.xml") {
        return Some("a Word document");
    }
    if has(zip, "ppt/presentation.xml") {
        return Some("a PowerPoint presentation");
    }
    // OpenDocument files name their type in a small first entry called `mimetype`.
    let mut mimetype = String::new();
    {
        use std::io::Read;
        let entry = zip.by_name("mimetype").ok()?;
        entry.take(100).read_to_string(&mut mimetype).ok()?;
    }
    match mimetype.trim() {
        "application/vnd.oasis.opendocument.text" => Some("an OpenDocument text (.odt)"),
        "application/vnd.oasis.opendocument.spreadsheet" => {
            Some("an OpenDocument spreadsheet (.ods)")
        }
        "application/vnd.oasis.opendocument.presentation" => {
            Some("an OpenDocument presentation (.odp)")
        }
        m if m.starts_with("application/vnd.oasis.opendocument") => Some("an OpenDocument file"),
        m if m.starts_with("application/epub") => Some("an e-book (.epub)"),
        _ => None,
    }
}

fn table_error(e: TableError) -> ExtractError {
    match e {
        TableError::Empty => ExtractError::Empty,
        TableError::Binary => {
            ExtractError::Unreadable("a binary file, such as an image or a program")
        }
        other => ExtractError::Table(other.to_string()),
    }
}

/// Reads every candidate from a file.
pub fn extract(
    bytes: &[u8],
    options: &ExtractOptions,
    today: NaiveDate,
) -> Result<Extracted, ExtractError> {
    let format = detect(bytes)?;
    match format {
        Format::VCard => from_cards(Format::VCard, vec![(None, vcard::parse(bytes))], today),
        Format::VCardZip => {
            let (cards, others) = cards_in_zip(bytes)?;
            let mut x = from_cards(Format::VCardZip, cards, today)?;
            let mut unread = others;
            unread.append(&mut x.unread_files);
            x.unread_files = unread;
            Ok(x)
        }
        Format::Csv => {
            let t = table::read_table(bytes, &super::columns::looks_like_header)
                .map_err(table_error)?;
            from_table(format, &t, options.columns.as_ref(), today)
        }
        Format::Xlsx => {
            // A workbook is a zip too: its parts' sizes are checked before calamine
            // inflates them (its shared strings are read whole).
            let mut zip = archive::open(std::io::Cursor::new(bytes))?;
            let parts = archive::list(&mut zip, &WORKBOOK_LIMITS)?;
            if parts.iter().any(|p| {
                p.path.eq_ignore_ascii_case("xl/sharedStrings.xml")
                    && p.size > MAX_SHARED_STRINGS_BYTES
            }) {
                return Err(ExtractError::WorkbookTextTooLarge {
                    limit: MAX_SHARED_STRINGS_BYTES,
                });
            }
            let xlsx_error = |e: xlsx::XlsxError| ExtractError::Table(e.to_string());
            let (t, sheets) = xlsx::read_sheet_and_names(
                bytes,
                options.sheet.as_deref(),
                &super::columns::looks_like_header,
                &ReadLimits::STANDARD,
            )
            .map_err(xlsx_error)?;
            let mut x = from_table(format, &t, options.columns.as_ref(), today)?;
            x.sheets = sheets;
            x.sheet = options.sheet.clone().or_else(|| x.sheets.first().cloned());
            Ok(x)
        }
    }
}

/// The cards of one file, with its path when it came from an archive.
type CardFile = (Option<String>, Result<Vec<vcard::VCard>, vcard::VCardError>);

/// A .zip of cards: each .vcf entry's bytes with its path, in archive order, and the
/// paths of its other files (not read).
fn cards_in_zip(bytes: &[u8]) -> Result<(Vec<CardFile>, Vec<String>), ExtractError> {
    let limits = ArchiveLimits {
        max_entry_bytes: 20 * 1024 * 1024,
        max_total_bytes: 500 * 1024 * 1024,
        ..ArchiveLimits::default()
    };
    let mut zip = archive::open(std::io::Cursor::new(bytes))?;
    let entries = archive::list(&mut zip, &limits)?;
    if super::simplepractice::looks_like_export(&entries) {
        return Err(ExtractError::SimplePracticeExport);
    }
    let (cards, others): (Vec<_>, Vec<_>) = entries
        .iter()
        .partition(|e| e.path.to_ascii_lowercase().ends_with(".vcf"));
    if cards.is_empty() {
        let mut found: Vec<String> = entries.iter().take(5).map(|e| e.path.clone()).collect();
        if entries.len() > 5 {
            found.push(format!("and {} more files", entries.len() - 5));
        }
        return Err(ExtractError::ZipWithoutCards { found });
    }
    // Each card file is read and parsed in turn, so only one file's bytes are held, and
    // the cards of all files together are capped as they add up.
    let mut files = Vec::with_capacity(cards.len());
    let mut total = 0usize;
    for e in cards {
        let bytes = archive::read_entry(&mut zip, e)?;
        let parsed = vcard::parse(&bytes);
        total = total.saturating_add(parsed.as_ref().map_or(0, Vec::len));
        if total > ReadLimits::STANDARD.max_rows {
            return Err(ExtractError::Table(
                LimitError::TooManyCards {
                    limit: ReadLimits::STANDARD.max_rows,
                }
                .to_string(),
            ));
        }
        files.push((Some(e.path.clone()), parsed));
    }
    Ok((files, others.iter().map(|e| e.path.clone()).collect()))
}

/// What the parts of a workbook may unpack to.
const WORKBOOK_LIMITS: ArchiveLimits = ArchiveLimits {
    max_entries: 10_000,
    max_entry_bytes: 512 * 1024 * 1024,
    max_total_bytes: 1024 * 1024 * 1024,
    max_ratio: 200,
};

/// How many rows the column-picking screen shows.
const PREVIEW_ROWS: usize = 5;
/// How many characters of a header or a sample cell it shows.
pub const SAMPLE_CHARS: usize = 80;
/// How many column names a "columns found" message lists.
const FOUND_SHOWN: usize = 30;

fn from_table(
    format: Format,
    t: &Table,
    manual: Option<&ManualColumns>,
    today: NaiveDate,
) -> Result<Extracted, ExtractError> {
    let map = match manual {
        Some(m) => m.to_map(&t.headers),
        None => ColumnMap::from_headers(&t.headers),
    };
    let missing = map.missing();
    // Names are required; a list without emails still imports as "missing information".
    if missing.contains(&MissingColumn::Names) {
        // What is shown (and kept with the batch) is a sample: short, whatever the file.
        let named: Vec<&String> = t.headers.iter().filter(|h| !h.is_empty()).collect();
        let mut found: Vec<String> = named
            .iter()
            .take(FOUND_SHOWN)
            .map(|h| shorten(h, SAMPLE_CHARS))
            .collect();
        if named.len() > FOUND_SHOWN {
            found.push(format!("and {} more", named.len() - FOUND_SHOWN));
        }
        return Err(ExtractError::MissingColumns {
            missing,
            found,
            headers: t.headers.iter().map(|h| shorten(h, SAMPLE_CHARS)).collect(),
            preview: t
                .rows
                .iter()
                .take(PREVIEW_ROWS)
                .map(|r| r.cells.iter().map(|c| shorten(c, SAMPLE_CHARS)).collect())
                .collect(),
        });
    }
    let dob_values: Vec<&str> = map
        .date_of_birth
        .map(|i| {
            t.rows
                .iter()
                .filter_map(|r| r.cells.get(i).map(String::as_str))
                .collect()
        })
        .unwrap_or_default();
    let date_order = detect_order(dob_values);
    let candidates = t
        .rows
        .par_iter()
        .with_min_len(super::matching::PARALLEL_CHUNK)
        .map(|r| {
            let (first_name, last_name) = map.names(&r.cells);
            let (date_of_birth, date_problem) = match map.date_of_birth.and_then(|i| r.cells.get(i))
            {
                Some(raw) => match parse_birth_date(raw, date_order.0, today) {
                    Ok(d) => (d, None),
                    Err(p) => (None, Some(p)),
                },
                None => (None, None),
            };
            Candidate {
                row: r.line,
                first_name,
                last_name,
                email: map
                    .email(&r.cells)
                    .map(address_in)
                    .filter(|e| !e.is_empty())
                    .map(str::to_string),
                phone: map.phone(&r.cells).map(str::to_string),
                date_of_birth,
                date_problem,
                source: None,
                contact: map.contact(&r.cells),
                preferred_name: map.preferred_name(&r.cells),
                billing_type: map.billing_type(&r.cells),
                archived: map.inactive(&r.cells),
            }
        })
        .collect();
    Ok(Extracted {
        format,
        layout: if manual.is_some() {
            None
        } else {
            recognise_layout(&t.headers, t.header_line)
        },
        candidates,
        not_imported: map
            .not_imported
            .iter()
            .filter_map(|&i| t.headers.get(i).cloned())
            .collect(),
        date_order,
        sheets: Vec::new(),
        sheet: None,
        cut_off: Vec::new(),
        unread_files: Vec::new(),
    })
}

/// Cards from one or more files (a .zip holds one per client), numbered in order.
fn from_cards(
    format: Format,
    files: Vec<CardFile>,
    today: NaiveDate,
) -> Result<Extracted, ExtractError> {
    let several = files.len() > 1;
    let mut cards: Vec<(Option<String>, vcard::VCard)> = Vec::new();
    let mut first_error = None;
    let mut unread_files = Vec::new();
    for (source, parsed) in files {
        match parsed {
            // A limit is a limit wherever the card stands.
            Err(vcard::VCardError::Limit(e)) => return Err(ExtractError::Table(e.to_string())),
            Ok(found) => {
                if cards.len() + found.len() > ReadLimits::STANDARD.max_rows {
                    return Err(ExtractError::Table(
                        LimitError::TooManyCards {
                            limit: ReadLimits::STANDARD.max_rows,
                        }
                        .to_string(),
                    ));
                }
                cards.extend(found.into_iter().map(|c| (source.clone(), c)))
            }
            // In a .zip, a stray file that is no card is skipped (and named); a lone
            // file must be one.
            Err(e) => {
                first_error.get_or_insert(e);
                unread_files.extend(source);
            }
        }
    }
    if cards.is_empty() || (!several && first_error.is_some()) {
        if let Some(e) = first_error {
            return Err(ExtractError::Table(e.to_string()));
        }
    }
    let cut_off = cards
        .iter()
        .filter(|(_, c)| c.cut_off)
        .map(|(source, c)| {
            let who = c
                .full_name
                .clone()
                .or_else(|| {
                    let parts: Vec<&str> = [c.first_name.as_deref(), c.last_name.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect();
                    (!parts.is_empty()).then(|| parts.join(" "))
                })
                .or_else(|| c.preferred_email().map(str::to_string))
                .unwrap_or_else(|| "no name".to_string());
            let place = match source {
                Some(file) => format!("in {}", shorten(file, SAMPLE_CHARS)),
                None => format!("card {} (line {})", c.index, c.line),
            };
            format!("{place}: {}", shorten(&who, SAMPLE_CHARS))
        })
        .collect();
    let date_order = detect_order(cards.iter().filter_map(|(_, c)| c.birthday.as_deref()));
    let candidates = cards
        .iter()
        .enumerate()
        .map(|(position, (source, c))| {
            // N when present; otherwise FN, split like a name column.
            let (first_name, last_name) = if c.first_name.is_some() || c.last_name.is_some() {
                (c.first_name.clone(), c.last_name.clone())
            } else {
                c.full_name
                    .as_deref()
                    .map(super::columns::split_full_name)
                    .unwrap_or((None, None))
            };
            let (date_of_birth, date_problem) = match c.birthday.as_deref() {
                Some(raw) => match parse_birth_date(raw, date_order.0, today) {
                    Ok(d) => (d, None),
                    Err(p) => (None, Some(p)),
                },
                None => (None, None),
            };
            Candidate {
                row: position + 1,
                first_name,
                last_name,
                email: c
                    .preferred_email()
                    .map(address_in)
                    .filter(|e| !e.is_empty())
                    .map(str::to_string),
                phone: c.preferred_phone().map(str::to_string),
                date_of_birth,
                date_problem,
                source: source.clone(),
                contact: None,
                preferred_name: c.nickname.clone(),
                ..Default::default()
            }
        })
        .collect();
    Ok(Extracted {
        format,
        layout: None,
        candidates,
        not_imported: Vec::new(),
        date_order,
        sheets: Vec::new(),
        sheet: None,
        cut_off,
        unread_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn none() -> ExtractOptions {
        ExtractOptions::default()
    }

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_of_cards_is_one_list_and_a_full_export_is_named() {
        let ada = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nEMAIL;TYPE=home:ada@example.com\r\nBDAY:19851210\r\nEND:VCARD\r\n";
        let grace = b"BEGIN:VCARD\nVERSION:3.0\nN:Hopper;Grace;;;\nFN:Grace Hopper\nEND:VCARD\n";
        let contacts = zip_of(&[
            ("Contacts/Ada Q. Lovelace - 200000001.vcf", ada),
            ("Contacts/Grace Hopper - 200000002.vcf", grace),
            ("__MACOSX/Contacts/._Grace Hopper - 200000002.vcf", b"\0\0"),
        ]);
        let x = extract(&contacts, &none(), today()).unwrap();
        assert_eq!(x.format, Format::VCardZip);
        let got: Vec<_> = x
            .candidates
            .iter()
            .map(|c| (c.row, c.first_name.as_deref(), c.source.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    1,
                    Some("Ada"),
                    Some("Contacts/Ada Q. Lovelace - 200000001.vcf")
                ),
                (
                    2,
                    Some("Grace"),
                    Some("Contacts/Grace Hopper - 200000002.vcf")
                )
            ]
        );
        let full = zip_of(&[
            ("Contacts/Ada Lovelace - 1.vcf", ada),
            (
                "Medical Records/Ada Lovelace/Progress Note 2024-01-02 100000 5.pdf",
                b"%PDF",
            ),
        ]);
        assert_eq!(
            extract(&full, &none(), today()).unwrap_err(),
            ExtractError::SimplePracticeExport
        );
        let photos = zip_of(&[("holiday.jpg", b"\xff\xd8")]);
        let err = extract(&photos, &none(), today()).unwrap_err();
        assert!(err.to_string().contains("holds holiday.jpg"), "{err}");
    }

    #[test]
    fn the_files_of_a_zip_of_cards_that_are_not_read_are_named() {
        let ada =
            b"BEGIN:VCARD\nVERSION:3.0\nN:Lovelace;Ada;;;\nEMAIL:ada@example.com\nEND:VCARD\n";
        let zip = zip_of(&[
            ("Contacts/Ada Lovelace.vcf", ada),
            ("Documents/Ada/Intake 2024.pdf", b"%PDF-1.4"),
            ("Contacts/notes.vcf", b"Call Ada back on Monday"),
            ("readme.txt", b"hello"),
            ("__MACOSX/Contacts/._Ada Lovelace.vcf", b"\0\0"),
        ]);
        let x = extract(&zip, &none(), today()).unwrap();
        assert_eq!(x.candidates.len(), 1);
        assert_eq!(
            x.unread_files,
            [
                "Documents/Ada/Intake 2024.pdf",
                "readme.txt",
                "Contacts/notes.vcf"
            ],
            "every file but the card and the archiver's noise"
        );
        let lone = extract(ada, &none(), today()).unwrap();
        assert!(lone.unread_files.is_empty());
    }

    #[test]
    fn a_workbook_that_would_inflate_without_limit_is_refused_before_reading() {
        let zeros = vec![0u8; 50 * 1024 * 1024];
        let bomb = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/sharedStrings.xml", &zeros),
        ]);
        assert!(matches!(
            extract(&bomb, &none(), today()),
            Err(ExtractError::Archive(ArchiveError::TooLarge { .. }))
        ));
    }

    #[test]
    fn columns_chosen_by_hand() {
        let csv = "Kunde,Mail,Geburtstag\nLovelace, Ada,ada@example.com,1985-12-10\n";
        let csv = csv.replace("Lovelace, Ada", "\"Lovelace, Ada\"");
        let err = extract(csv.as_bytes(), &none(), today()).unwrap_err();
        let ExtractError::MissingColumns {
            headers, preview, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(headers, ["Kunde", "Mail", "Geburtstag"]);
        assert_eq!(preview[0][0], "Lovelace, Ada");
        let options = ExtractOptions {
            sheet: None,
            columns: Some(ManualColumns {
                full_name: Some(0),
                email: Some(1),
                date_of_birth: Some(2),
                ..Default::default()
            }),
        };
        let x = extract(csv.as_bytes(), &options, today()).unwrap();
        let ada = &x.candidates[0];
        assert_eq!(
            (
                ada.first_name.as_deref(),
                ada.last_name.as_deref(),
                ada.email.as_deref()
            ),
            (Some("Ada"), Some("Lovelace"), Some("ada@example.com"))
        );
        assert_eq!(ada.date_of_birth, NaiveDate::from_ymd_opt(1985, 12, 10));
    }

    #[test]
    fn a_csv_with_a_title_row_and_day_first_dates() {
        let csv = "Client list\r\n\r\nFirst Name;Last Name;E-mail;Mobile;DOB;Insurance Company\r\nAda;Lovelace;ada@example.com;415 555 0102;13.04.1985;Aetna\r\nZoë;Núñez;zoe@example.com;;03/04/1990;\r\nKim;Lee;kim@example.com;;13/04/1990;\r\n";
        let x = extract(csv.as_bytes(), &none(), today()).unwrap();
        assert_eq!(x.format, Format::Csv);
        assert_eq!(
            x.date_order,
            (DateOrder::DayFirst, OrderEvidence::ShownByRows)
        );
        assert_eq!(x.not_imported, ["Insurance Company"]);
        let ada = &x.candidates[0];
        assert_eq!(
            (ada.row, ada.first_name.as_deref(), ada.phone.as_deref()),
            (4, Some("Ada"), Some("415 555 0102"))
        );
        assert_eq!(
            x.candidates[1].date_of_birth,
            NaiveDate::from_ymd_opt(1990, 4, 3)
        );
        assert_eq!(x.candidates[1].first_name.as_deref(), Some("Zoë"));
    }

    #[test]
    fn cards_without_n_use_fn() {
        let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nEMAIL;TYPE=INTERNET:grace@example.com\r\nBDAY:19061209\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nTEL;CELL:555\r\nEND:VCARD\r\n";
        let x = extract(vcf.as_bytes(), &none(), today()).unwrap();
        assert_eq!(x.format, Format::VCard);
        assert_eq!(x.candidates[0].first_name.as_deref(), Some("Grace"));
        assert_eq!(
            x.candidates[0].date_of_birth,
            NaiveDate::from_ymd_opt(1906, 12, 9)
        );
        assert_eq!(
            (
                x.candidates[1].first_name.as_ref(),
                x.candidates[1].last_name.as_ref()
            ),
            (None, None),
            "reported, not guessed"
        );
    }

    #[test]
    fn files_that_are_not_lists_are_named() {
        assert_eq!(
            extract(b"", &none(), today()).unwrap_err(),
            ExtractError::Empty
        );
        assert_eq!(
            extract(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], &none(), today()).unwrap_err(),
            ExtractError::OldExcel
        );
        assert_eq!(
            extract(b"PK\x03\x04garbage", &none(), today()).unwrap_err(),
            ExtractError::Archive(ArchiveError::Corrupt)
        );
        let err = extract(b"Phone,Notes\n555,hello\n", &none(), today()).unwrap_err();
        assert!(
            err.to_string().contains("Columns found: Phone, Notes"),
            "{err}"
        );
        assert!(err.to_string().contains("first and last names"), "{err}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed: u32 = 1;
        for len in 0..400usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = extract(&bytes, &none(), today());
            let mut with_header = b"First Name,Last Name,Email,DOB\n".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = extract(&with_header, &none(), today());
        }
    }
}
