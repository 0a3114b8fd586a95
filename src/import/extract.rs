//! From a file's bytes to candidate clients: the format told from the content, the rows
//! or cards read, the columns mapped, names split, dates of birth read.

use chrono::NaiveDate;

use super::columns::{recognise_layout, ColumnMap, MissingColumn};
use super::dates::{detect_order, parse_birth_date, DateOrder, DateProblem, OrderEvidence};
use super::table::{self, Table, TableError};
use super::{vcard, xlsx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    VCard,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::VCard => "vcard",
        }
    }
}

/// Why a file cannot be imported, in words that say what was received and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("The file is empty. Export the client list again and upload the new file.")]
    Empty,
    #[error("This is an old Excel 97–2003 (.xls) file. Open it in Excel and save it as .xlsx or as CSV, then upload that.")]
    OldExcel,
    #[error("This is a .zip archive, not a client list. Upload a .csv, .xlsx or .vcf file.")]
    Zip,
    #[error("This file is not a client list Caseload can read (it looks like {0}). Upload a .csv, .xlsx or .vcf file.")]
    Unreadable(&'static str),
    #[error("{0}")]
    Table(String),
    #[error("The file has no {missing}. Columns found: {found}. Rename the columns or choose them by hand.", missing = .missing.iter().map(|m| m.describe()).collect::<Vec<_>>().join(" and no "), found = .found.join(", "))]
    MissingColumns {
        missing: Vec<MissingColumn>,
        found: Vec<String>,
    },
}

/// One person read from the file, before matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Where the person stands in the file: a spreadsheet row, or the card's position.
    pub row: usize,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub date_problem: Option<DateProblem>,
}

#[derive(Debug, Clone)]
pub struct Extracted {
    pub format: Format,
    pub layout: Option<&'static str>,
    pub candidates: Vec<Candidate>,
    /// Insurance and payment columns present in the file and left out.
    pub not_imported: Vec<String>,
    pub date_order: (DateOrder, OrderEvidence),
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
    if bytes.starts_with(b"PK\x03\x04") {
        return match xlsx::sheets(bytes) {
            Ok(_) => Ok(Format::Xlsx),
            Err(_) => Err(ExtractError::Zip),
        };
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

fn table_error(e: TableError) -> ExtractError {
    match e {
        TableError::Empty => ExtractError::Empty,
        TableError::Binary => {
            ExtractError::Unreadable("a binary file, such as an image or a program")
        }
        other => ExtractError::Table(other.to_string()),
    }
}

/// Reads every candidate from a file. `sheet` picks a spreadsheet's sheet by name.
pub fn extract(
    bytes: &[u8],
    sheet: Option<&str>,
    today: NaiveDate,
) -> Result<Extracted, ExtractError> {
    let format = detect(bytes)?;
    match format {
        Format::VCard => from_cards(bytes, today),
        Format::Csv => {
            let t = table::read_table(bytes, &super::columns::looks_like_header)
                .map_err(table_error)?;
            from_table(format, &t, today)
        }
        Format::Xlsx => {
            let t = xlsx::read_sheet(bytes, sheet, &super::columns::looks_like_header)
                .map_err(|e| ExtractError::Table(e.to_string()))?;
            from_table(format, &t, today)
        }
    }
}

fn from_table(format: Format, t: &Table, today: NaiveDate) -> Result<Extracted, ExtractError> {
    let map = ColumnMap::from_headers(&t.headers);
    let missing = map.missing();
    // Names are required; a list without emails still imports as "missing information".
    if missing.contains(&MissingColumn::Names) {
        return Err(ExtractError::MissingColumns {
            missing,
            found: t
                .headers
                .iter()
                .filter(|h| !h.is_empty())
                .cloned()
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
        .iter()
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
                email: map.email(&r.cells).map(str::to_string),
                phone: map.phone(&r.cells).map(str::to_string),
                date_of_birth,
                date_problem,
            }
        })
        .collect();
    Ok(Extracted {
        format,
        layout: recognise_layout(&t.headers),
        candidates,
        not_imported: map
            .not_imported
            .iter()
            .filter_map(|&i| t.headers.get(i).cloned())
            .collect(),
        date_order,
    })
}

fn from_cards(bytes: &[u8], today: NaiveDate) -> Result<Extracted, ExtractError> {
    let cards = vcard::parse(bytes).map_err(|e| ExtractError::Table(e.to_string()))?;
    let date_order = detect_order(cards.iter().filter_map(|c| c.birthday.as_deref()));
    let candidates = cards
        .iter()
        .map(|c| {
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
                row: c.index,
                first_name,
                last_name,
                email: c.preferred_email().map(str::to_string),
                phone: c.preferred_phone().map(str::to_string),
                date_of_birth,
                date_problem,
            }
        })
        .collect();
    Ok(Extracted {
        format: Format::VCard,
        layout: None,
        candidates,
        not_imported: Vec::new(),
        date_order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn a_csv_with_a_title_row_and_day_first_dates() {
        let csv = "Client list\r\n\r\nFirst Name;Last Name;E-mail;Mobile;DOB;Insurance Company\r\nAda;Lovelace;ada@example.com;415 555 0102;13.04.1985;Aetna\r\nZoë;Núñez;zoe@example.com;;03/04/1990;\r\nKim;Lee;kim@example.com;;13/04/1990;\r\n";
        let x = extract(csv.as_bytes(), None, today()).unwrap();
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
        let x = extract(vcf.as_bytes(), None, today()).unwrap();
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
            extract(b"", None, today()).unwrap_err(),
            ExtractError::Empty
        );
        assert_eq!(
            extract(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], None, today()).unwrap_err(),
            ExtractError::OldExcel
        );
        assert_eq!(
            extract(b"PK\x03\x04garbage", None, today()).unwrap_err(),
            ExtractError::Zip
        );
        let err = extract(b"Phone,Notes\n555,hello\n", None, today()).unwrap_err();
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
            let _ = extract(&bytes, None, today());
            let mut with_header = b"First Name,Last Name,Email,DOB\n".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = extract(&with_header, None, today());
        }
    }
}
