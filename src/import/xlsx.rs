//! Reading a client list from an Excel workbook (.xlsx) into the same rectangular
//! [`Table`] that [`super::table::read_table`] makes from CSV.
//!
//! Pure: no HTTP, no database; the workbook is read from memory with `calamine`.
//!
//! - [`sheets`] lists the worksheets and how many rows of each hold anything, so
//!   people can pick one when a workbook has several.
//! - [`read_sheet`] reads one sheet (by name, or the first with data) with the same
//!   header-row rule as CSV: a title row may sit above the header.
//!
//! Cells become text the way people expect from what Excel shows: phone numbers
//! stored as numbers lose the `.0` (`4155550102`), other numbers keep up to 15
//! significant digits, booleans are `TRUE`/`FALSE`, dates become `YYYY-MM-DD`
//! (the time of day is dropped), error cells (`#N/A`, ...) become empty.
//!
//! Cells are read one at a time (not as calamine's dense `Range`), so a stray cell
//! far away (say at `XFD1048576`) below the header costs nothing; the
//! [`ReadLimits`] refuse a sheet with more non-blank cells, longer cells, more rows
//! or a wider header than they allow, as soon as the reader meets them.
//!
//! An old binary `.xls` (OLE2 signature) is refused with [`XlsxError::OldXls`].
//! Note that a password-protected `.xlsx` is also stored in an OLE2 container, so it
//! gets the same answer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Cursor;

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx};

use super::limits::{LimitError, ReadLimits};
use super::table::{Table, TableRow, TextEncoding};

/// The worksheets of a workbook, in workbook order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workbook {
    pub sheets: Vec<SheetInfo>,
}

/// One worksheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    pub name: String,
    /// Rows holding at least one non-blank cell (header and title rows included).
    pub rows_with_data: usize,
}

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlsxError {
    /// The bytes are not a readable .xlsx workbook (damaged, truncated, another format).
    NotXlsx,
    /// An old Excel 97–2003 `.xls` file (OLE2 signature `D0 CF 11 E0`).
    OldXls,
    /// The workbook (or the sheet asked for) has no cell with any content.
    NoData,
    /// No worksheet has this name.
    SheetMissing(String),
    /// Over one of the limits on what a file may hold.
    Limit(LimitError),
}

impl fmt::Display for XlsxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XlsxError::NotXlsx => f.write_str(
                "This file could not be read as an Excel workbook (.xlsx): it may be damaged, \
                 incomplete or in another format. Open it in your spreadsheet program, save it \
                 as .xlsx or CSV, then upload that.",
            ),
            XlsxError::OldXls => f.write_str(
                "This is an old Excel 97–2003 (.xls) file. Open it in Excel and save it as \
                 .xlsx or CSV, then upload that.",
            ),
            XlsxError::NoData => f.write_str(
                "The workbook has no cells with any content on the sheet to import. Check that \
                 the export included your clients (and that you picked the right sheet), then \
                 upload the new file.",
            ),
            XlsxError::SheetMissing(name) => write!(
                f,
                "The workbook has no sheet named \u{201C}{name}\u{201D}. Pick one of the \
                 workbook's sheets and try again."
            ),
            XlsxError::Limit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for XlsxError {}

/// Excel's own limits: cells outside them are ignored.
const MAX_COLUMNS: u32 = 16_384;
const MAX_ROWS: u32 = 1_048_576;
/// How many non-blank rows may sit above the header row (as in `table.rs`).
const HEADER_SEARCH_ROWS: usize = 10;

const OLE2_SIGNATURE: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

fn open(bytes: &[u8]) -> Result<Xlsx<Cursor<&[u8]>>, XlsxError> {
    if bytes.starts_with(&OLE2_SIGNATURE) {
        return Err(XlsxError::OldXls);
    }
    Xlsx::new(Cursor::new(bytes)).map_err(|_| XlsxError::NotXlsx)
}

/// The workbook's worksheets (chart sheets and macro sheets left out), in order,
/// with the visible ones flagged by the returned `bool`.
fn worksheet_names(xlsx: &Xlsx<Cursor<&[u8]>>) -> Vec<(String, bool)> {
    xlsx.sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect()
}

/// Call `visit(row, column, text)` (0-based, absolute) for every non-blank cell of a
/// sheet, in file order; more than `limits.max_cells` of them, or a longer cell than
/// `limits.max_cell_bytes`, is refused.
fn for_each_cell(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    limits: &ReadLimits,
    mut visit: impl FnMut(u32, u32, String),
) -> Result<(), XlsxError> {
    let mut reader = xlsx
        .worksheet_cells_reader(name)
        .map_err(|_| XlsxError::NotXlsx)?;
    let mut read = 0usize;
    let mut text_bytes = 0usize;
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(_) => return Err(XlsxError::NotXlsx),
        };
        let (row, col) = cell.get_position();
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            continue;
        }
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        if text.len() > limits.max_cell_bytes {
            return Err(XlsxError::Limit(LimitError::CellTooLong {
                row: row as usize + 1,
                column: col as usize + 1,
                limit: limits.max_cell_bytes,
            }));
        }
        read += 1;
        // One shared string may be named by every cell: what the cells hold in all is
        // capped too.
        text_bytes = text_bytes.saturating_add(text.len());
        if text_bytes > limits.max_text_bytes {
            return Err(XlsxError::Limit(LimitError::TooMuchText {
                limit: limits.max_text_bytes,
            }));
        }
        if read > limits.max_cells {
            return Err(XlsxError::Limit(LimitError::TooManyCells {
                row: row as usize + 1,
                limit: limits.max_cells,
            }));
        }
        visit(row, col, text);
    }
    Ok(())
}

fn count_rows(xlsx: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<usize, XlsxError> {
    let mut rows = BTreeSet::new();
    for_each_cell(xlsx, name, &ReadLimits::STANDARD, |row, _, _| {
        rows.insert(row);
    })?;
    Ok(rows.len())
}

/// Whether a .zip is a workbook: it has the part every .xlsx has. Only the archive's
/// directory is read.
pub fn is_workbook(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes))
        .map(|zip| zip.index_for_name("xl/workbook.xml").is_some())
        .unwrap_or(false)
}

/// List the worksheets and how many rows of each hold data. A workbook whose
/// sheets are all empty is still listed (every count 0).
pub fn sheets(bytes: &[u8]) -> Result<Workbook, XlsxError> {
    let mut xlsx = open(bytes)?;
    let mut sheets = Vec::new();
    for (name, _) in worksheet_names(&xlsx) {
        let rows_with_data = count_rows(&mut xlsx, &name)?;
        sheets.push(SheetInfo {
            name,
            rows_with_data,
        });
    }
    Ok(Workbook { sheets })
}

/// One non-blank row of a sheet: its absolute 0-based number and its non-blank cells
/// by column, in order.
struct SheetRow {
    number: u32,
    cells: Vec<(u32, String)>,
}

/// The non-blank rows of one sheet, in order. Sheets are written row by row, cell by
/// cell; one that is not is put in order (a cell given twice keeps its last value).
fn read_cells(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    limits: &ReadLimits,
) -> Result<Vec<SheetRow>, XlsxError> {
    let mut rows: Vec<SheetRow> = Vec::new();
    let mut in_order = true;
    for_each_cell(xlsx, name, limits, |row, col, text| match rows.last_mut() {
        Some(last) if last.number == row => {
            in_order &= last.cells.last().is_none_or(|(c, _)| *c < col);
            last.cells.push((col, text));
        }
        last => {
            in_order &= last.as_ref().is_none_or(|l| l.number < row);
            // Rows are about as wide as the one before.
            let mut cells = Vec::with_capacity(last.map_or(8, |l| l.cells.len()));
            cells.push((col, text));
            rows.push(SheetRow { number: row, cells });
        }
    })?;
    if !in_order {
        rows = put_in_order(rows);
    }
    Ok(rows)
}

fn put_in_order(rows: Vec<SheetRow>) -> Vec<SheetRow> {
    let mut cells: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    for row in rows {
        cells.entry(row.number).or_default().extend(row.cells);
    }
    cells
        .into_iter()
        .map(|(number, cells)| SheetRow {
            number,
            cells: cells.into_iter().collect(),
        })
        .collect()
}

/// Reads one sheet (by name, or the first sheet that has data when `None`) into a
/// [`Table`], with the same header-row rule as `table.rs`: the first of the first 10
/// non-blank rows for which `header_hint(trimmed cells)` is true, else the first
/// non-blank row.
///
/// A name is matched exactly, then ignoring case and surrounding spaces. Without a
/// name, visible sheets are tried before hidden ones. [`TableRow::line`] and
/// [`Table::header_line`] are the spreadsheet's 1-based row numbers; columns start
/// at the sheet's leftmost non-blank column. `encoding` is always
/// [`TextEncoding::Utf8`] and `delimiter` `b','` (neither means anything here).
pub fn read_sheet(
    bytes: &[u8],
    sheet: Option<&str>,
    header_hint: &dyn Fn(&[String]) -> bool,
) -> Result<Table, XlsxError> {
    read_sheet_and_names(bytes, sheet, header_hint, &ReadLimits::STANDARD).map(|(table, _)| table)
}

/// [`read_sheet`], also returning the names of every worksheet (the workbook is opened
/// once: opening parses its whole shared-strings table).
pub fn read_sheet_and_names(
    bytes: &[u8],
    sheet: Option<&str>,
    header_hint: &dyn Fn(&[String]) -> bool,
    limits: &ReadLimits,
) -> Result<(Table, Vec<String>), XlsxError> {
    let mut xlsx = open(bytes)?;
    let names = worksheet_names(&xlsx);
    let sheet_names: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    let cells = match sheet {
        Some(wanted) => {
            let name = names
                .iter()
                .find(|(n, _)| n == wanted)
                .or_else(|| {
                    names
                        .iter()
                        .find(|(n, _)| n.trim().to_lowercase() == wanted.trim().to_lowercase())
                })
                .map(|(n, _)| n.clone())
                .ok_or_else(|| XlsxError::SheetMissing(wanted.to_owned()))?;
            read_cells(&mut xlsx, &name, limits)?
        }
        None => {
            let ordered = names
                .iter()
                .filter(|(_, visible)| *visible)
                .chain(names.iter().filter(|(_, visible)| !*visible));
            let mut found = Vec::new();
            for (name, _) in ordered {
                let cells = read_cells(&mut xlsx, name, limits)?;
                if !cells.is_empty() {
                    found = cells;
                    break;
                }
            }
            found
        }
    };
    table_from_cells(cells, header_hint, limits).map(|t| (t, sheet_names))
}

fn table_from_cells(
    rows: Vec<SheetRow>,
    header_hint: &dyn Fn(&[String]) -> bool,
    limits: &ReadLimits,
) -> Result<Table, XlsxError> {
    let Some(first_col) = rows
        .iter()
        .filter_map(|r| r.cells.first())
        .map(|c| c.0)
        .min()
    else {
        return Err(XlsxError::NoData);
    };

    // A row's cells from the first column to `width` (or to its last non-blank cell).
    let row_cells = |cells: Vec<(u32, String)>, width: Option<usize>| -> Vec<String> {
        let width = width.unwrap_or_else(|| {
            cells
                .last()
                .map_or(0, |(last, _)| (last - first_col) as usize + 1)
        });
        let mut out = vec![String::new(); width];
        for (col, text) in cells {
            if let Some(slot) = out.get_mut((col - first_col) as usize) {
                *slot = text;
            }
        }
        out
    };

    let Some(header_at) = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|r| header_hint(&row_cells(r.cells.clone(), None)))
        .or(if rows.is_empty() { None } else { Some(0) })
    else {
        return Err(XlsxError::NoData);
    };
    let mut rows = rows.into_iter().skip(header_at);
    let Some(header_row) = rows.next() else {
        return Err(XlsxError::NoData);
    };
    let mut headers = row_cells(header_row.cells, None);
    while headers.last().is_some_and(|h| h.is_empty()) {
        headers.pop();
    }
    // Every later row is made this wide.
    if headers.len() > limits.max_columns {
        return Err(XlsxError::Limit(LimitError::TooManyColumns {
            row: header_row.number as usize + 1,
            found: headers.len(),
            limit: limits.max_columns,
        }));
    }
    let width = headers.len();
    let mut table_rows = Vec::new();
    for row in rows {
        let line = row.number as usize + 1;
        if table_rows.len() >= limits.max_rows {
            return Err(XlsxError::Limit(LimitError::TooManyRows {
                limit: limits.max_rows,
            }));
        }
        if (table_rows.len() + 2).saturating_mul(width) > limits.max_cells {
            return Err(XlsxError::Limit(LimitError::TooManyCells {
                row: line,
                limit: limits.max_cells,
            }));
        }
        table_rows.push(TableRow {
            line,
            cells: row_cells(row.cells, Some(width)),
        });
    }
    let rows = table_rows;
    Ok(Table {
        encoding: TextEncoding::Utf8,
        delimiter: b',',
        header_line: header_row.number as usize + 1,
        headers,
        rows,
    })
}

fn trim_cell(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
}

/// What a cell says, as text (see the module documentation).
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::String(s) => trim_cell(s).to_owned(),
        DataRef::SharedString(s) => trim_cell(s).to_owned(),
        DataRef::Bool(true) => "TRUE".to_owned(),
        DataRef::Bool(false) => "FALSE".to_owned(),
        DataRef::DateTime(dt) => date_text(dt),
        DataRef::DateTimeIso(s) => iso_date_text(trim_cell(s)),
        DataRef::DurationIso(s) => trim_cell(s).to_owned(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// Whole numbers without `.0` (up to 15 digits); others rounded to 15 significant
/// digits, in exponent form (`1.5E+20`) when very large or very small.
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        // Exact: |f| < 1e15 fits i64 and is whole.
        return format!("{}", f as i64);
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    let abs = rounded.abs();
    if (1e-9..1e15).contains(&abs) {
        return format!("{rounded}");
    }
    let sci = format!("{rounded:e}");
    match sci.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(digits) => ('-', digits),
                None => ('+', exponent),
            };
            format!("{mantissa}E{sign}{digits:0>2}")
        }
        None => sci,
    }
}

/// A date (or date and time) as `YYYY-MM-DD`; a time of day alone (a serial number
/// below 1) as `HH:MM:SS`; a duration as its number of days.
fn date_text(dt: &ExcelDateTime) -> String {
    let value = dt.as_f64();
    if dt.is_duration() || !value.is_finite() || value < 0.0 {
        return number_text(value);
    }
    let (year, month, day, hour, minute, second, _) = dt.to_ymd_hms_milli();
    if value < 1.0 {
        format!("{hour:02}:{minute:02}:{second:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02}")
    }
}

/// `2024-03-01T10:00:00` becomes `2024-03-01`; anything else is kept.
fn iso_date_text(s: &str) -> String {
    let bytes = s.as_bytes();
    let is_date = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit);
    if is_date {
        s[..10].to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};
    use rust_xlsxwriter::{ExcelDateTime as WDate, Format, Workbook as WBook, Worksheet};

    fn no_hint(_: &[String]) -> bool {
        false
    }

    fn names_hint(cells: &[String]) -> bool {
        cells
            .iter()
            .any(|c| c.eq_ignore_ascii_case("first name") || c.eq_ignore_ascii_case("name"))
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    fn build(fill: impl FnOnce(&mut WBook) -> Result<(), rust_xlsxwriter::XlsxError>) -> Vec<u8> {
        let mut book = WBook::new();
        if let Err(e) = fill(&mut book) {
            panic!("building the fixture failed: {e}");
        }
        match book.save_to_buffer() {
            Ok(bytes) => bytes,
            Err(e) => panic!("saving the fixture failed: {e}"),
        }
    }

    fn read(bytes: &[u8], sheet: Option<&str>) -> Table {
        match read_sheet(bytes, sheet, &names_hint) {
            Ok(t) => t,
            Err(e) => panic!("read_sheet failed: {e:?}"),
        }
    }

    fn write_row(
        ws: &mut Worksheet,
        row: u32,
        cells: &[&str],
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        for (col, text) in cells.iter().enumerate() {
            ws.write_string(row, col as u16, *text)?;
        }
        Ok(())
    }

    /// Headway's template with a title row, a blank row, numbers, dates and junk.
    fn headway() -> Vec<u8> {
        build(|book| {
            let date = Format::new().set_num_format("mm/dd/yyyy");
            let ws = book.add_worksheet();
            ws.set_name("Clients")?;
            ws.write_string(0, 0, "Client export")?;
            // Row 2 (index 1) blank; header on row 3.
            write_row(
                ws,
                2,
                &[
                    "First Name",
                    "Last Name",
                    "Email",
                    "Mobile Phone",
                    "Date of Birth",
                ],
            )?;
            write_row(ws, 3, &["  Ann ", "Lee", "ann@example.org"])?;
            ws.write_number(3, 3, 4155550102.0)?;
            ws.write_datetime_with_format(3, 4, &WDate::from_ymd(1985, 3, 14)?, &date)?;
            write_row(
                ws,
                4,
                &[
                    "Bo",
                    "Ng",
                    "bo@example.org",
                    "+1 415 555 0103",
                    "07/04/1990",
                ],
            )?;
            // A blank row 6, then a row with a datetime, a boolean and a fraction.
            write_row(ws, 6, &["Cy", "Oh"])?;
            ws.write_boolean(6, 2, true)?;
            ws.write_number(6, 3, 0.1 + 0.2)?;
            let stamp = WDate::from_ymd(2001, 12, 31)?.and_hms(23, 59, 59)?;
            ws.write_datetime_with_format(
                6,
                4,
                &stamp,
                &Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            )?;
            // Formatted but empty cells far away: trailing empty rows and columns.
            let bold = Format::new().set_bold();
            ws.write_blank(40, 20, &bold)?;
            ws.write_string(3, 9, "   ")?;
            ws.write_string(30, 0, "")?;
            Ok(())
        })
    }

    #[test]
    fn reads_headway_like_sheet() {
        let t = read(&headway(), None);
        assert_eq!(t.encoding, TextEncoding::Utf8);
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.header_line, 3);
        assert_eq!(
            t.headers,
            strings(&[
                "First Name",
                "Last Name",
                "Email",
                "Mobile Phone",
                "Date of Birth"
            ])
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0].line, 4);
        assert_eq!(
            t.rows[0].cells,
            strings(&["Ann", "Lee", "ann@example.org", "4155550102", "1985-03-14"])
        );
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(
            t.rows[1].cells,
            strings(&[
                "Bo",
                "Ng",
                "bo@example.org",
                "+1 415 555 0103",
                "07/04/1990"
            ])
        );
        assert_eq!(t.rows[2].line, 7);
        assert_eq!(
            t.rows[2].cells,
            strings(&["Cy", "Oh", "TRUE", "0.3", "2001-12-31"])
        );
        assert!(t.rows.iter().all(|r| r.cells.len() == t.headers.len()));
    }

    #[test]
    fn without_hint_the_title_row_is_the_header() {
        let t = match read_sheet(&headway(), None, &no_hint) {
            Ok(t) => t,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(t.header_line, 1);
        assert_eq!(t.headers, strings(&["Client export"]));
        assert_eq!(t.rows[0].line, 3);
        assert_eq!(t.rows[0].cells, strings(&["First Name"]));
    }

    #[test]
    fn hint_receives_trimmed_cells_of_non_blank_rows() {
        let seen = std::cell::RefCell::new(Vec::new());
        let hint = |cells: &[String]| {
            seen.borrow_mut().push(cells.to_vec());
            false
        };
        let _ = read_sheet(&headway(), None, &hint);
        let seen = seen.borrow();
        assert_eq!(seen[0], strings(&["Client export"]));
        assert_eq!(seen[2][0], "Ann");
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn cells_written_out_of_order_are_put_in_order() {
        let row = |number, cells: &[(u32, &str)]| SheetRow {
            number,
            cells: cells.iter().map(|(c, t)| (*c, t.to_string())).collect(),
        };
        let rows = put_in_order(vec![
            row(3, &[(1, "Lee")]),
            row(0, &[(1, "Last"), (0, "First")]),
            row(3, &[(0, "Ann"), (1, "Kim")]),
        ]);
        let got: Vec<(u32, Vec<(u32, String)>)> =
            rows.into_iter().map(|r| (r.number, r.cells)).collect();
        assert_eq!(
            got,
            [
                (0, vec![(0, "First".into()), (1, "Last".into())]),
                (3, vec![(0, "Ann".into()), (1, "Kim".into())]),
            ]
        );
    }

    #[test]
    fn lists_sheets_and_picks_the_first_with_data() {
        let bytes = build(|book| {
            book.add_worksheet().set_name("Cover")?;
            let ws = book.add_worksheet();
            ws.set_name("Clients")?;
            write_row(ws, 1, &["Name", "Email"])?;
            write_row(ws, 2, &["Ann Lee", "a@x.org"])?;
            let ws = book.add_worksheet();
            ws.set_name("Notes")?;
            write_row(ws, 0, &["First Name", "Notes"])?;
            write_row(ws, 1, &["Bo", "x"])?;
            write_row(ws, 5, &["Cy", "y"])?;
            Ok(())
        });
        let wb = match sheets(&bytes) {
            Ok(wb) => wb,
            Err(e) => panic!("{e:?}"),
        };
        let listed: Vec<(&str, usize)> = wb
            .sheets
            .iter()
            .map(|s| (s.name.as_str(), s.rows_with_data))
            .collect();
        assert_eq!(listed, vec![("Cover", 0), ("Clients", 2), ("Notes", 3)]);

        let t = read(&bytes, None);
        assert_eq!(t.headers, strings(&["Name", "Email"]));
        assert_eq!(t.header_line, 2);
        assert_eq!(t.rows[0].line, 3);

        let t = read(&bytes, Some("Notes"));
        assert_eq!(t.headers, strings(&["First Name", "Notes"]));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 6);
        assert_eq!(t.rows[1].cells, strings(&["Cy", "y"]));

        // Case and surrounding spaces are forgiven.
        assert_eq!(read(&bytes, Some(" notes ")).headers[0], "First Name");

        assert_eq!(
            read_sheet(&bytes, Some("Cover"), &no_hint),
            Err(XlsxError::NoData)
        );
        assert_eq!(
            read_sheet(&bytes, Some("Billing"), &no_hint),
            Err(XlsxError::SheetMissing("Billing".to_owned()))
        );
    }

    #[test]
    fn empty_workbook_has_no_data() {
        let bytes = build(|book| {
            book.add_worksheet();
            Ok(())
        });
        assert_eq!(read_sheet(&bytes, None, &no_hint), Err(XlsxError::NoData));
        match sheets(&bytes) {
            Ok(wb) => {
                assert_eq!(wb.sheets.len(), 1);
                assert_eq!(wb.sheets[0].rows_with_data, 0);
            }
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn table_starts_at_leftmost_column_and_header_trailing_blanks_drop() {
        let bytes = build(|book| {
            let ws = book.add_worksheet();
            write_row(ws, 4, &["", "", "Name", "Email", " "])?;
            ws.write_string(5, 2, "Ann")?;
            ws.write_string(5, 3, "a@x.org")?;
            ws.write_string(5, 7, "stray")?;
            ws.write_string(6, 3, "b@x.org")?;
            ws.write_string(1_048_575, 16_383, "far away")?;
            Ok(())
        });
        let t = read(&bytes, None);
        assert_eq!(t.header_line, 5);
        assert_eq!(t.headers, strings(&["Name", "Email"]));
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a@x.org"]));
        assert_eq!(t.rows[1].cells, strings(&["", "b@x.org"]));
        assert_eq!(t.rows[2].line, 1_048_576);
        assert_eq!(t.rows[2].cells, strings(&["", ""]));
    }

    #[test]
    fn cell_text_conversions() {
        assert_eq!(cell_text(&DataRef::Int(-42)), "-42");
        assert_eq!(cell_text(&DataRef::Float(4155550102.0)), "4155550102");
        assert_eq!(cell_text(&DataRef::Float(-3.0)), "-3");
        assert_eq!(cell_text(&DataRef::Float(-0.0)), "0");
        assert_eq!(cell_text(&DataRef::Float(12.625)), "12.625");
        assert_eq!(cell_text(&DataRef::Float(1.0 / 3.0)), "0.333333333333333");
        assert_eq!(cell_text(&DataRef::Float(1.5e20)), "1.5E+20");
        assert_eq!(cell_text(&DataRef::Float(2.5e-12)), "2.5E-12");
        assert_eq!(cell_text(&DataRef::Float(f64::NAN)), "");
        assert_eq!(cell_text(&DataRef::Bool(false)), "FALSE");
        assert_eq!(cell_text(&DataRef::SharedString(" \u{FEFF}Zoë\t")), "Zoë");
        assert_eq!(cell_text(&DataRef::String("x ".into())), "x");
        assert_eq!(cell_text(&DataRef::Error(CellErrorType::NA)), "");
        assert_eq!(cell_text(&DataRef::Empty), "");
        assert_eq!(
            cell_text(&DataRef::DateTimeIso("2024-03-01T10:00:00".into())),
            "2024-03-01"
        );
        assert_eq!(
            cell_text(&DataRef::DateTimeIso("10:00:00".into())),
            "10:00:00"
        );
        assert_eq!(
            cell_text(&DataRef::DateTimeIso("2024-0é".into())),
            "2024-0é"
        );
        let date = |v: f64, kind, is_1904| DataRef::DateTime(ExcelDateTime::new(v, kind, is_1904));
        assert_eq!(
            cell_text(&date(31120.75, ExcelDateTimeType::DateTime, false)),
            "1985-03-14"
        );
        assert_eq!(
            cell_text(&date(29658.0, ExcelDateTimeType::DateTime, true)),
            "1985-03-14"
        );
        assert_eq!(
            cell_text(&date(0.5, ExcelDateTimeType::DateTime, false)),
            "12:00:00"
        );
        assert_eq!(
            cell_text(&date(1.5, ExcelDateTimeType::TimeDelta, false)),
            "1.5"
        );
        assert_eq!(
            cell_text(&date(-1.0, ExcelDateTimeType::DateTime, false)),
            "-1"
        );
        assert_eq!(
            cell_text(&date(1e300, ExcelDateTimeType::DateTime, false)),
            "9999-12-31"
        );
    }

    #[test]
    fn old_xls_signature() {
        let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        xls.extend(std::iter::repeat_n(0u8, 600));
        assert_eq!(sheets(&xls), Err(XlsxError::OldXls));
        assert_eq!(read_sheet(&xls, None, &no_hint), Err(XlsxError::OldXls));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A zip holding one stored (uncompressed) file.
    fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
        let crc = crc32(data);
        let size = data.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00");
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        let central = out.len() as u32;
        out.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00");
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0u8; 12]);
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        let central_size = out.len() as u32 - central;
        out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        out.extend_from_slice(&central_size.to_le_bytes());
        out.extend_from_slice(&central.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn not_xlsx() {
        for bytes in [
            &b""[..],
            b"First Name,Email\nAnn,a@x.org\n",
            b"PK\x03\x04\x14\x00\x06\x00",
            b"%PDF-1.7\n",
        ] {
            assert_eq!(sheets(bytes), Err(XlsxError::NotXlsx));
            assert_eq!(read_sheet(bytes, None, &no_hint), Err(XlsxError::NotXlsx));
        }
        let zip = stored_zip("notes.txt", b"hello");
        assert_eq!(sheets(&zip), Err(XlsxError::NotXlsx));
        assert_eq!(read_sheet(&zip, None, &no_hint), Err(XlsxError::NotXlsx));
    }

    #[test]
    fn errors_explain_what_to_do() {
        assert_eq!(
            XlsxError::OldXls.to_string(),
            "This is an old Excel 97–2003 (.xls) file. Open it in Excel and save it as .xlsx \
             or CSV, then upload that."
        );
        assert!(XlsxError::NotXlsx.to_string().contains("upload"));
        assert!(XlsxError::NoData.to_string().contains("upload"));
        assert!(XlsxError::SheetMissing("Billing".into())
            .to_string()
            .contains("\u{201C}Billing\u{201D}"));
    }

    fn exercise(bytes: &[u8]) {
        let _ = sheets(bytes);
        for sheet in [None, Some("Clients")] {
            if let Ok(t) = read_sheet(bytes, sheet, &names_hint) {
                for row in &t.rows {
                    assert_eq!(row.cells.len(), t.headers.len());
                    assert!(row.line > t.header_line);
                }
            }
        }
    }

    #[test]
    fn never_panics_on_truncated_or_damaged_workbooks() {
        let bytes = headway();
        assert_eq!(read(&bytes, None).rows.len(), 3);
        for end in (0..bytes.len()).step_by(97) {
            exercise(&bytes[..end]);
            exercise(&bytes[end..]);
        }
        // Flip bytes in place (headers and compressed streams).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..300 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut damaged = bytes.clone();
            let at = (state >> 33) as usize % damaged.len();
            damaged[at] ^= (state >> 17) as u8 | 1;
            exercise(&damaged);
        }
    }

    #[test]
    fn never_panics_on_random_bytes() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        };
        for round in 0..200 {
            let len = (next() as usize) * (round % 8 + 1);
            let mut random: Vec<u8> = (0..len).map(|_| next()).collect();
            exercise(&random);
            if random.len() >= 4 {
                random[..4].copy_from_slice(b"PK\x03\x04");
                exercise(&random);
            }
        }
    }
}
