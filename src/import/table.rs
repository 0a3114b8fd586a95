//! Reading a client list exported as delimited text (CSV and friends) into a
//! rectangular table of strings.
//!
//! Pure: no HTTP, no database. The steps, in order:
//!
//! 1. [`decode`] the bytes: BOM, then NUL-byte patterns (UTF-16 without BOM),
//!    then UTF-8 validity, then Windows-1252 (what Excel's plain "CSV" writes).
//! 2. Refuse files that are empty or look binary (zip/xlsx, old .xls, PDF, images,
//!    or text full of control characters).
//! 3. Normalise line ends (CRLF and Excel-for-Mac's lone CR become LF).
//! 4. Detect the separator (`,` `;` TAB `|`) from the first non-empty records.
//! 5. Parse with the `csv` crate (quoted fields with separators, doubled quotes
//!    and line breaks work), skip blank rows, find the header row (a title row may
//!    sit above it) and make every data row exactly as wide as the header.
//!
//! Row numbers ([`TableRow::line`], [`Table::header_line`]) count records the way a
//! spreadsheet counts rows: blank lines count as rows, and a cell containing a line
//! break does not start a new row. Without multi-line cells this is also the line
//! number a text editor shows.

use std::fmt;

/// The character encoding a file was read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    /// A name to show to people.
    pub fn label(&self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16 (little-endian)",
            TextEncoding::Utf16Be => "UTF-16 (big-endian)",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// A client list read from delimited text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub encoding: TextEncoding,
    /// `b','`, `b';'`, `b'\t'` or `b'|'`.
    pub delimiter: u8,
    /// 1-based record (spreadsheet row) number of the header row in the file.
    pub header_line: usize,
    /// Trimmed; trailing empty header columns dropped.
    pub headers: Vec<String>,
    /// Data rows after the header; blank rows skipped.
    pub rows: Vec<TableRow>,
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// 1-based record (spreadsheet row) number in the file, for messages.
    pub line: usize,
    /// Exactly `headers.len()` trimmed cells: ragged rows are padded with `""`
    /// or truncated.
    pub cells: Vec<String>,
}

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    /// No bytes, or only whitespace / a byte-order mark.
    Empty,
    /// The bytes are not text (a workbook, PDF, archive, image, ...).
    Binary,
    /// Text, but no row holds anything but separators and spaces.
    NoHeader,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::Empty => f.write_str(
                "The file is empty. Export the client list again and upload the new file.",
            ),
            TableError::Binary => f.write_str(
                "This file is not a text (CSV) file: it looks like a workbook, PDF, archive \
                 or other binary file. Open it in your spreadsheet program, save it as CSV \
                 (or as an Excel .xlsx workbook) and upload that file instead.",
            ),
            TableError::NoHeader => f.write_str(
                "The file has no rows with any content, only separators or empty cells. \
                 Check that the export included your clients, then upload the new file.",
            ),
        }
    }
}

impl std::error::Error for TableError {}

/// Stop reading after this many records; what was read so far is returned.
const MAX_RECORDS: usize = 2_000_000;
/// How many non-blank rows may sit above the header row.
const HEADER_SEARCH_ROWS: usize = 10;
/// How many non-blank records the separator is guessed from.
const DELIMITER_SAMPLE_RECORDS: usize = 10;
/// How much text (bytes) the separator is guessed from.
const DELIMITER_SAMPLE_BYTES: usize = 64 * 1024;
/// How many bytes the UTF-16 guess looks at.
const NUL_SAMPLE_BYTES: usize = 4096;
/// How many characters the binary check looks at.
const CONTROL_SAMPLE_CHARS: usize = 64 * 1024;
/// Candidate separators, in order of preference when the evidence ties.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Decode bytes to text and say which encoding was used.
///
/// BOM first (UTF-8, UTF-16LE, UTF-16BE), then NUL-byte patterns (UTF-16 without
/// a BOM), then UTF-8 validity, then Windows-1252. The BOM is not part of the
/// returned text. Never fails: undecodable sequences become U+FFFD.
pub fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (text, _) = encoding_rs::UTF_8.decode_without_bom_handling(rest);
        return (text.into_owned(), TextEncoding::Utf8Bom);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        return (text.into_owned(), TextEncoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        return (text.into_owned(), TextEncoding::Utf16Be);
    }
    if let Some(encoding) = utf16_from_nuls(bytes) {
        let (text, enc) = match encoding {
            TextEncoding::Utf16Be => (
                encoding_rs::UTF_16BE.decode_without_bom_handling(bytes).0,
                TextEncoding::Utf16Be,
            ),
            _ => (
                encoding_rs::UTF_16LE.decode_without_bom_handling(bytes).0,
                TextEncoding::Utf16Le,
            ),
        };
        return (text.into_owned(), enc);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), TextEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), TextEncoding::Windows1252)
        }
    }
}

/// UTF-16 without a BOM: mostly-ASCII text has a NUL in (nearly) every other byte.
/// Little-endian puts the NUL at odd positions, big-endian at even ones.
fn utf16_from_nuls(bytes: &[u8]) -> Option<TextEncoding> {
    let sample = &bytes[..bytes.len().min(NUL_SAMPLE_BYTES)];
    let pairs = sample.len() / 2;
    if pairs == 0 {
        return None;
    }
    let mut even = 0usize;
    let mut odd = 0usize;
    for (i, b) in sample.iter().take(pairs * 2).enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    // One side NUL in at least 40% of the code units, the other in at most 10%.
    let dominant = |n: usize| n * 5 >= pairs * 2;
    let rare = |n: usize| n * 10 <= pairs;
    if dominant(odd) && rare(even) {
        Some(TextEncoding::Utf16Le)
    } else if dominant(even) && rare(odd) {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// Signatures of files people upload by mistake instead of CSV.
fn has_binary_signature(bytes: &[u8]) -> bool {
    const SIGNATURES: [&[u8]; 10] = [
        b"PK\x03\x04",                                     // zip, .xlsx, .docx, .numbers
        b"PK\x05\x06",                                     // empty zip
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], // OLE2: old .xls, .doc
        b"%PDF",                                           // PDF
        &[0x1F, 0x8B],                                     // gzip
        &[0x89, b'P', b'N', b'G'],                         // PNG
        &[0xFF, 0xD8, 0xFF],                               // JPEG
        b"GIF8",                                           // GIF
        b"7z\xBC\xAF",                                     // 7-Zip
        b"Rar!",                                           // RAR
    ];
    SIGNATURES.iter().any(|sig| bytes.starts_with(sig))
}

/// Text that is more than 5% control characters (other than TAB, LF, CR and
/// form feed) or NULs is not a client list.
fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(CONTROL_SAMPLE_CHARS) {
        total += 1;
        let is_bad = match c {
            '\t' | '\n' | '\r' | '\u{0C}' => false,
            c => c.is_control(),
        };
        if is_bad {
            control += 1;
        }
    }
    control > 0 && control * 20 > total
}

fn is_blank_text(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || c == '\u{FEFF}')
}

fn trim_cell(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
}

/// CRLF and lone CR become LF; the text always ends with LF (so every record
/// has a terminator, which keeps row numbering exact).
fn normalise_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn csv_reader(text: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quote(b'"')
        .double_quote(true)
        .quoting(true)
        .from_reader(text)
}

/// Walk the records of `text` (line ends already normalised), calling `visit`
/// with the 1-based spreadsheet row number and the raw cells of each record,
/// until `visit` returns false, `max_records` were read, or the input ends.
fn for_each_record(
    text: &str,
    delimiter: u8,
    max_records: usize,
    mut visit: impl FnMut(usize, Vec<String>) -> bool,
) {
    let mut reader = csv_reader(text.as_bytes(), delimiter);
    let mut record = csv::ByteRecord::new();
    // Rows (records and blank lines) before the next record.
    let mut rows_before = 0usize;
    let mut line_before = reader.position().line();
    let mut read = 0usize;
    while read < max_records {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
        read += 1;
        // Every LF consumed for this record is a skipped blank line, a line break
        // inside a quoted cell, or the record's own terminator.
        let line_after = reader.position().line();
        let consumed = line_after.saturating_sub(line_before);
        line_before = line_after;
        let inside: u64 = record
            .iter()
            .map(|field| field.iter().filter(|b| **b == b'\n').count() as u64)
            .sum();
        let blank_lines = consumed.saturating_sub(inside).saturating_sub(1);
        let blank_lines = usize::try_from(blank_lines).unwrap_or(usize::MAX);
        let row = rows_before.saturating_add(blank_lines).saturating_add(1);
        rows_before = row;
        let cells = record
            .iter()
            .map(|field| String::from_utf8_lossy(field).into_owned())
            .collect();
        if !visit(row, cells) {
            break;
        }
    }
}

/// Guess the separator from the first non-blank records: for each candidate,
/// find the most common non-zero number of separators per record; the candidate
/// with that count on the most records wins, then the one with more columns,
/// then the earlier in `, ; TAB |`. Comma when nothing separates anything.
fn detect_delimiter(text: &str) -> u8 {
    let mut end = text.len().min(DELIMITER_SAMPLE_BYTES);
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let mut best = b',';
    let mut best_score = (0usize, 0usize);
    for delimiter in DELIMITERS {
        let mut counts: Vec<usize> = Vec::new();
        for_each_record(sample, delimiter, usize::MAX, |_, cells| {
            // Whitespace-only lines say nothing; rows of bare separators do.
            if cells.len() > 1 || cells.iter().any(|c| !trim_cell(c).is_empty()) {
                counts.push(cells.len().saturating_sub(1));
            }
            counts.len() < DELIMITER_SAMPLE_RECORDS
        });
        let mut score = (0usize, 0usize);
        for &count in counts.iter().filter(|&&n| n > 0) {
            let agree = counts.iter().filter(|&&n| n == count).count();
            if (agree, count) > score {
                score = (agree, count);
            }
        }
        if score > best_score {
            best_score = score;
            best = delimiter;
        }
    }
    best
}

/// Read delimited text into a table. `header_hint` gets the trimmed cells of each
/// of the first 10 non-blank rows and says whether that row is the header row;
/// when it accepts none, the first non-blank row is the header.
pub fn read_table(
    bytes: &[u8],
    header_hint: &dyn Fn(&[String]) -> bool,
) -> Result<Table, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    if has_binary_signature(bytes) {
        return Err(TableError::Binary);
    }
    let (text, encoding) = decode(bytes);
    if is_blank_text(&text) {
        return Err(TableError::Empty);
    }
    if looks_binary(&text) {
        return Err(TableError::Binary);
    }
    let text = normalise_line_ends(&text);
    let delimiter = detect_delimiter(&text);

    // Non-blank rows, trimmed, with their row numbers.
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    for_each_record(&text, delimiter, MAX_RECORDS, |row, cells| {
        let cells: Vec<String> = cells.iter().map(|c| trim_cell(c).to_owned()).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            records.push((row, cells));
        }
        true
    });
    if records.is_empty() {
        return Err(TableError::NoHeader);
    }

    let header_index = records
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| header_hint(cells))
        .unwrap_or(0);
    let mut records = records.into_iter().skip(header_index);
    let (header_line, mut headers) = match records.next() {
        Some(header) => header,
        None => return Err(TableError::NoHeader),
    };
    while headers.last().is_some_and(|h| h.is_empty()) {
        headers.pop();
    }
    let width = headers.len();
    let rows = records
        .map(|(line, mut cells)| {
            cells.resize(width, String::new());
            TableRow { line, cells }
        })
        .collect();
    Ok(Table {
        encoding,
        delimiter,
        header_line,
        headers,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_hint(_: &[String]) -> bool {
        false
    }

    fn names_hint(cells: &[String]) -> bool {
        cells
            .iter()
            .any(|c| c.eq_ignore_ascii_case("first name") || c.eq_ignore_ascii_case("name"))
    }

    fn read(bytes: &[u8]) -> Table {
        match read_table(bytes, &names_hint) {
            Ok(table) => table,
            Err(e) => panic!("read_table failed: {e:?}"),
        }
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    fn utf16be(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFE, 0xFF] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_be_bytes());
        }
        out
    }

    #[test]
    fn labels() {
        assert_eq!(TextEncoding::Utf8.label(), "UTF-8");
        assert_eq!(TextEncoding::Utf8Bom.label(), "UTF-8 with BOM");
        assert_eq!(TextEncoding::Utf16Le.label(), "UTF-16 (little-endian)");
        assert_eq!(TextEncoding::Utf16Be.label(), "UTF-16 (big-endian)");
        assert_eq!(TextEncoding::Windows1252.label(), "Windows-1252");
    }

    #[test]
    fn decode_plain_utf8() {
        let (text, enc) = decode("Zoë,Ng\n".as_bytes());
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(text, "Zoë,Ng\n");
    }

    #[test]
    fn decode_utf8_bom_is_removed() {
        let (text, enc) = decode(b"\xEF\xBB\xBFFirst Name,Email\n");
        assert_eq!(enc, TextEncoding::Utf8Bom);
        assert_eq!(text, "First Name,Email\n");
    }

    #[test]
    fn decode_utf16_with_boms() {
        let (text, enc) = decode(&utf16le("Name\tEmail\r\nZoë\tz@x.org\r\n", true));
        assert_eq!(enc, TextEncoding::Utf16Le);
        assert_eq!(text, "Name\tEmail\r\nZoë\tz@x.org\r\n");
        let (text, enc) = decode(&utf16be("Name,Email\n", true));
        assert_eq!(enc, TextEncoding::Utf16Be);
        assert_eq!(text, "Name,Email\n");
    }

    #[test]
    fn decode_utf16_without_bom_from_nul_pattern() {
        let (text, enc) = decode(&utf16le("Name,Email\nAnn,a@x.org\n", false));
        assert_eq!(enc, TextEncoding::Utf16Le);
        assert_eq!(text, "Name,Email\nAnn,a@x.org\n");
        let (text, enc) = decode(&utf16be("Name,Email\nAnn,a@x.org\n", false));
        assert_eq!(enc, TextEncoding::Utf16Be);
        assert_eq!(text, "Name,Email\nAnn,a@x.org\n");
    }

    #[test]
    fn decode_windows_1252_fallback() {
        let (text, enc) = decode(b"Name\nRen\xE9e O\x92Brien\n");
        assert_eq!(enc, TextEncoding::Windows1252);
        assert_eq!(text, "Name\nRenée O\u{2019}Brien\n");
    }

    #[test]
    fn reads_simple_csv() {
        let t = read(b"First Name,Last Name,Email\nAnn,Lee,ann@x.org\nBo,Ng,bo@x.org\n");
        assert_eq!(t.encoding, TextEncoding::Utf8);
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.header_line, 1);
        assert_eq!(t.headers, strings(&["First Name", "Last Name", "Email"]));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[0].cells, strings(&["Ann", "Lee", "ann@x.org"]));
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(t.rows[1].cells, strings(&["Bo", "Ng", "bo@x.org"]));
    }

    #[test]
    fn windows_1252_file_reads_with_curly_apostrophe() {
        let t = read(b"First Name;Last Name\r\nRen\xE9e;O\x92Brien\r\n");
        assert_eq!(t.encoding, TextEncoding::Windows1252);
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.rows[0].cells, strings(&["Renée", "O\u{2019}Brien"]));
    }

    #[test]
    fn excel_unicode_text_is_utf16le_with_tabs() {
        let bytes = utf16le(
            "First Name\tLast Name\tEmail\r\nZoë\tNg, Jr.\tz@x.org\r\nAl\tBo\ta@x.org\r\n",
            true,
        );
        let t = read(&bytes);
        assert_eq!(t.encoding, TextEncoding::Utf16Le);
        assert_eq!(t.delimiter, b'\t');
        assert_eq!(t.headers, strings(&["First Name", "Last Name", "Email"]));
        assert_eq!(t.rows[0].cells, strings(&["Zoë", "Ng, Jr.", "z@x.org"]));
        assert_eq!(t.rows.len(), 2);
    }

    #[test]
    fn utf16be_file_reads() {
        let t = read(&utf16be("Name,Email\nAnn,a@x.org\n", true));
        assert_eq!(t.encoding, TextEncoding::Utf16Be);
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a@x.org"]));
    }

    #[test]
    fn utf8_bom_file_header_has_no_bom() {
        let t = read(b"\xEF\xBB\xBFFirst Name,Email\nAnn,a@x.org\n");
        assert_eq!(t.encoding, TextEncoding::Utf8Bom);
        assert_eq!(t.headers[0], "First Name");
    }

    #[test]
    fn semicolon_wins_over_commas_inside_names() {
        let t = read(b"Name;Email;Phone\nDoe, Jane;j@x.org;1\nRoe, Kim;k@x.org;2\n");
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.rows[0].cells, strings(&["Doe, Jane", "j@x.org", "1"]));
    }

    #[test]
    fn pipe_delimiter() {
        let t = read(b"Name|Email\nAnn|a@x.org\n");
        assert_eq!(t.delimiter, b'|');
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a@x.org"]));
    }

    #[test]
    fn single_column_defaults_to_comma() {
        let t = read(b"Name\nAnn Lee\nBo Ng\n");
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.headers, strings(&["Name"]));
        assert_eq!(t.rows.len(), 2);
    }

    #[test]
    fn delimiters_inside_quotes_do_not_count() {
        let t = read(b"\"Name\",\"Note\"\n\"Ann\",\"a;b;c;d;e\"\n\"Bo\",\"x;y;z;w\"\n");
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a;b;c;d;e"]));
    }

    #[test]
    fn quoted_fields_with_delimiters_quotes_and_line_breaks() {
        let t = read(
            b"\"First Name\",\"Notes\",\"Email\"\r\n\"Ann\",\"Said \"\"hi\"\", then, left\r\nSecond line\",\"a@x.org\"\r\nBo,,b@x.org\r\n",
        );
        assert_eq!(t.headers, strings(&["First Name", "Notes", "Email"]));
        assert_eq!(
            t.rows[0].cells,
            strings(&["Ann", "Said \"hi\", then, left\nSecond line", "a@x.org"])
        );
        assert_eq!(t.rows[0].line, 2);
        // The multi-line cell does not shift the spreadsheet row number.
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(t.rows[1].cells, strings(&["Bo", "", "b@x.org"]));
    }

    #[test]
    fn cr_only_line_ends_from_excel_for_mac() {
        let t = read(b"First Name,Email\rAnn,a@x.org\rBo,b@x.org\r");
        assert_eq!(t.headers, strings(&["First Name", "Email"]));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].cells, strings(&["Bo", "b@x.org"]));
        assert_eq!(t.rows[1].line, 3);
    }

    #[test]
    fn mixed_line_ends_and_no_final_newline() {
        let t = read(b"Name,Email\r\nAnn,a@x.org\nBo,b@x.org\rCy,c@x.org");
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[2].cells, strings(&["Cy", "c@x.org"]));
        assert_eq!(t.rows[2].line, 4);
    }

    #[test]
    fn title_row_above_header_is_skipped_by_hint() {
        let t = read(b"Client list,,\nExported 2024-03-01,,\n,,\nFirst Name,Last Name,Email\nAnn,Lee,a@x.org\n");
        assert_eq!(t.header_line, 4);
        assert_eq!(t.headers, strings(&["First Name", "Last Name", "Email"]));
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].line, 5);
    }

    #[test]
    fn without_hint_the_first_non_blank_row_is_the_header() {
        let t = match read_table(b"\n,,\nA,B\n1,2\n", &no_hint) {
            Ok(t) => t,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(t.header_line, 3);
        assert_eq!(t.headers, strings(&["A", "B"]));
        assert_eq!(t.rows[0].line, 4);
    }

    #[test]
    fn hint_only_looks_at_first_ten_rows() {
        let mut csv = String::new();
        for i in 0..10 {
            csv.push_str(&format!("title {i},x\n"));
        }
        csv.push_str("Name,Email\nAnn,a@x.org\n");
        let t = read(csv.as_bytes());
        assert_eq!(t.header_line, 1);
        assert_eq!(t.headers, strings(&["title 0", "x"]));
    }

    #[test]
    fn hint_receives_trimmed_cells() {
        let seen = std::cell::RefCell::new(Vec::new());
        let hint = |cells: &[String]| {
            seen.borrow_mut().push(cells.to_vec());
            false
        };
        let _ = read_table(b"  Name  , Email \nAnn,a\n", &hint);
        assert_eq!(seen.borrow()[0], strings(&["Name", "Email"]));
    }

    #[test]
    fn blank_rows_are_skipped_and_line_numbers_kept() {
        let t = read(b"Name,Email\n\nAnn,a@x.org\n , \n,,,\n\r\nBo,b@x.org\n\n\n");
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 3);
        assert_eq!(t.rows[1].line, 7);
    }

    #[test]
    fn trailing_empty_columns_dropped_and_rows_made_rectangular() {
        let t = read(b"Name,Email,,,\nAnn,a@x.org,,,\nBo\nCy,c@x.org,extra,more\n");
        assert_eq!(t.headers, strings(&["Name", "Email"]));
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a@x.org"]));
        assert_eq!(t.rows[1].cells, strings(&["Bo", ""]));
        assert_eq!(t.rows[2].cells, strings(&["Cy", "c@x.org"]));
        assert!(t.rows.iter().all(|r| r.cells.len() == t.headers.len()));
    }

    #[test]
    fn empty_header_cell_in_the_middle_is_kept() {
        let t = read(b"Name,,Email\nAnn,x,a@x.org\n");
        assert_eq!(t.headers, strings(&["Name", "", "Email"]));
        assert_eq!(t.rows[0].cells, strings(&["Ann", "x", "a@x.org"]));
    }

    #[test]
    fn cells_are_trimmed() {
        let t = read(b"Name, Email\n Ann ,\ta@x.org \n");
        assert_eq!(t.headers, strings(&["Name", "Email"]));
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a@x.org"]));
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(read_table(b"", &no_hint), Err(TableError::Empty));
        assert_eq!(read_table(b"  \r\n\t\n", &no_hint), Err(TableError::Empty));
        assert_eq!(
            read_table(b"\xEF\xBB\xBF", &no_hint),
            Err(TableError::Empty)
        );
        assert_eq!(
            read_table(b"\xEF\xBB\xBF\r\n", &no_hint),
            Err(TableError::Empty)
        );
        assert_eq!(read_table(&[0xFF, 0xFE], &no_hint), Err(TableError::Empty));
        assert_eq!(
            read_table(&utf16le(" \r\n", true), &no_hint),
            Err(TableError::Empty)
        );
    }

    #[test]
    fn no_header_when_only_separators() {
        assert_eq!(
            read_table(b",,,\n,,\n", &no_hint),
            Err(TableError::NoHeader)
        );
        assert_eq!(
            read_table(b"\"\",\" \"\n", &no_hint),
            Err(TableError::NoHeader)
        );
        assert_eq!(
            read_table(b";;;\r\n ; ;\r\n", &no_hint),
            Err(TableError::NoHeader)
        );
    }

    #[test]
    fn binary_signatures() {
        let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        xls.extend_from_slice(b"Name,Email\n");
        assert_eq!(read_table(&xls, &no_hint), Err(TableError::Binary));
        assert_eq!(
            read_table(b"PK\x03\x04\x14\x00\x06\x00", &no_hint),
            Err(TableError::Binary)
        );
        assert_eq!(
            read_table(b"%PDF-1.7\n%\xE2\xE3\n", &no_hint),
            Err(TableError::Binary)
        );
    }

    #[test]
    fn binary_from_control_bytes() {
        let bytes: Vec<u8> = (0u8..=255).cycle().take(2048).collect();
        assert_eq!(read_table(&bytes, &no_hint), Err(TableError::Binary));
        assert_eq!(read_table(&[0, 0, 0, 0], &no_hint), Err(TableError::Binary));
        assert_eq!(
            read_table(b"\x01\x02\x03\x04Name\x05\x06", &no_hint),
            Err(TableError::Binary)
        );
    }

    #[test]
    fn a_stray_control_byte_is_not_binary() {
        let mut csv = b"Name,Email\n".to_vec();
        for _ in 0..20 {
            csv.extend_from_slice(b"Ann Lee,ann@example.org\n");
        }
        csv.extend_from_slice(b"Bo\x0B,b@x.org\n");
        assert!(read_table(&csv, &no_hint).is_ok());
    }

    #[test]
    fn errors_explain_what_to_do() {
        assert_eq!(
            TableError::Empty.to_string(),
            "The file is empty. Export the client list again and upload the new file."
        );
        assert!(TableError::Binary.to_string().contains("CSV"));
        assert!(TableError::NoHeader.to_string().contains("upload"));
    }

    #[test]
    fn record_cap_stops_reading() {
        let mut count = 0;
        for_each_record("a\nb\nc\nd\n", b',', 2, |_, _| {
            count += 1;
            true
        });
        assert_eq!(count, 2);
    }

    const FIXTURE: &[u8] = b"Client list\r\n\"First Name\",\"Last Name\",\"Notes\"\r\n\"Ann\",\"O\xE2\x80\x99Lee\",\"a, \"\"b\"\"\r\nc\"\r\n\r\nBo;x|y\tz,Ng,\r\n";

    fn exercise(bytes: &[u8]) {
        if let Ok(t) = read_table(bytes, &names_hint) {
            assert!(!t.headers.is_empty());
            for row in &t.rows {
                assert_eq!(row.cells.len(), t.headers.len());
                assert!(row.line > t.header_line);
            }
        }
        let _ = decode(bytes);
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let t = read(FIXTURE);
        assert_eq!(t.header_line, 2);
        assert_eq!(t.rows.len(), 2);
        let utf16 = utf16le(&String::from_utf8_lossy(FIXTURE), true);
        for fixture in [FIXTURE, utf16.as_slice()] {
            for end in 0..=fixture.len() {
                exercise(&fixture[..end]);
                exercise(&fixture[end..]);
            }
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
        let alphabet = b",;\t|\"\r\n aZ\xE9\x00";
        for round in 0..400 {
            let len = (next() as usize) * (round % 4 + 1);
            let random: Vec<u8> = (0..len).map(|_| next()).collect();
            exercise(&random);
            let texty: Vec<u8> = (0..len)
                .map(|_| alphabet[next() as usize % alphabet.len()])
                .collect();
            exercise(&texty);
        }
    }

    #[test]
    fn never_panics_on_quotes_delimiters_and_crs() {
        for unit in [
            "\"", "\"\"", ",", ";", "\t", "|", "\r", "\n", "\r\n", "\",", "\r\"",
        ] {
            for n in [1, 2, 3, 7, 100, 1001] {
                exercise(unit.repeat(n).as_bytes());
                exercise(format!("a{}b", unit.repeat(n)).as_bytes());
            }
        }
    }
}
