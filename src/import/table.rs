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

use std::borrow::Cow;
use std::fmt;

use super::limits::{LimitError, ReadLimits};

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
    /// Over one of the limits on what a file may hold.
    Limit(LimitError),
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
            TableError::Limit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TableError {}

/// How many non-blank rows may sit above the header row.
const HEADER_SEARCH_ROWS: usize = 10;
/// How many non-blank records the separator is guessed from.
const DELIMITER_SAMPLE_RECORDS: usize = 10;
/// How much text (bytes) the separator is guessed from.
const DELIMITER_SAMPLE_BYTES: usize = 64 * 1024;
/// How many bytes the UTF-16 guess looks at.
const NUL_SAMPLE_BYTES: usize = 4096;
/// How many raw bytes the early binary check decodes.
const RAW_SAMPLE_BYTES: usize = 256 * 1024;
/// How many characters the binary check looks at.
const CONTROL_SAMPLE_CHARS: usize = 64 * 1024;
/// Candidate separators, in order of preference when the evidence ties.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Decode bytes to text and say which encoding was used.
///
/// BOM first (UTF-8, UTF-16LE, UTF-16BE), then NUL-byte patterns (UTF-16 without
/// a BOM), then UTF-8 validity, then Windows-1252. The BOM is not part of the
/// returned text. Never fails: undecodable sequences become U+FFFD.
/// Whether the first bytes of a file read as text (in any encoding Caseload reads), not
/// as a binary file.
pub fn looks_like_text(head: &[u8]) -> bool {
    !head.is_empty() && !has_binary_signature(head) && !looks_binary(&decode_cow(head).0)
}

pub fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    let (text, encoding) = decode_cow(bytes);
    (text.into_owned(), encoding)
}

/// [`decode`] without a copy when the bytes are UTF-8 already.
fn decode_cow(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (text, _) = encoding_rs::UTF_8.decode_without_bom_handling(rest);
        return (text, TextEncoding::Utf8Bom);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        return (text, TextEncoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        return (text, TextEncoding::Utf16Be);
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
        return (text, enc);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), TextEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text, TextEncoding::Windows1252)
        }
    }
}

/// How many bytes the text of `bytes` takes at least once decoded to UTF-8.
fn decoded_len_at_least(bytes: &[u8]) -> usize {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || utf16_from_nuls(bytes).is_some();
    if utf16 {
        // Every code unit is at least one byte of UTF-8.
        bytes.len() / 2
    } else if std::str::from_utf8(bytes).is_ok() {
        bytes.len()
    } else {
        // Windows-1252: every byte from 0x80 up is two or three bytes of UTF-8.
        bytes.len() + bytes.iter().filter(|b| **b >= 0x80).count()
    }
}

fn prefix(bytes: &[u8], n: usize) -> &[u8] {
    bytes.get(..n).unwrap_or(bytes)
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
/// has a terminator, which keeps row numbering exact). Text that needs no change is not
/// copied, and owned text is changed in place.
fn normalise_line_ends(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('\r') {
        if text.ends_with('\n') {
            return text;
        }
        let mut owned = text.into_owned();
        owned.push('\n');
        return Cow::Owned(owned);
    }
    let mut bytes = text.into_owned().into_bytes();
    let mut write = 0usize;
    let mut read = 0usize;
    while let Some(&b) = bytes.get(read) {
        let out = if b == b'\r' {
            if bytes.get(read + 1) == Some(&b'\n') {
                read += 1;
            }
            b'\n'
        } else {
            b
        };
        if let Some(slot) = bytes.get_mut(write) {
            *slot = out;
        }
        write += 1;
        read += 1;
    }
    bytes.truncate(write);
    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    // Only ASCII bytes were changed, so the text is still UTF-8.
    Cow::Owned(
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

fn csv_reader<R: std::io::Read>(text: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quote(b'"')
        .double_quote(true)
        .quoting(true)
        .buffer_capacity(CSV_BUFFER_BYTES)
        .from_reader(text)
}

/// The csv reader's own buffer.
const CSV_BUFFER_BYTES: usize = 8 * 1024;

/// Text handed to the csv reader no further than `until` bytes: past it, reading fails,
/// so that one record (a cell whose closing quote is missing, say) can never grow past
/// the row limit before it is refused.
struct CappedText<'a> {
    rest: &'a [u8],
    offset: u64,
    until: std::rc::Rc<std::cell::Cell<u64>>,
    hit: std::rc::Rc<std::cell::Cell<bool>>,
}

impl std::io::Read for CappedText<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.rest.is_empty() {
            return Ok(0);
        }
        let room = self.until.get().saturating_sub(self.offset);
        if room == 0 {
            self.hit.set(true);
            return Err(std::io::Error::other("row too long"));
        }
        let n = buf
            .len()
            .min(self.rest.len())
            .min(usize::try_from(room).unwrap_or(usize::MAX));
        let (now, later) = self.rest.split_at(n);
        if let Some(dest) = buf.get_mut(..n) {
            dest.copy_from_slice(now);
        }
        self.rest = later;
        self.offset += n as u64;
        Ok(n)
    }
}

/// Walk the records of `text` (line ends already normalised), calling `visit`
/// with the 1-based spreadsheet row number and the raw cells of each record,
/// until `visit` returns false or an error, or the input ends. A record longer than
/// `max_row_bytes` is refused.
fn for_each_record(
    text: &str,
    delimiter: u8,
    max_row_bytes: usize,
    mut visit: impl FnMut(usize, &csv::ByteRecord) -> Result<bool, LimitError>,
) -> Result<(), LimitError> {
    let until = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let hit = std::rc::Rc::new(std::cell::Cell::new(false));
    let slack = (max_row_bytes as u64).saturating_add(CSV_BUFFER_BYTES as u64);
    until.set(slack);
    let capped = CappedText {
        rest: text.as_bytes(),
        offset: 0,
        until: until.clone(),
        hit: hit.clone(),
    };
    let mut reader = csv_reader(capped, delimiter);
    let mut record = csv::ByteRecord::new();
    // Rows (records and blank lines) before the next record.
    let mut rows_before = 0usize;
    let mut line_before = reader.position().line();
    loop {
        let read = reader.read_byte_record(&mut record);
        if hit.get() || record.as_slice().len() > max_row_bytes {
            return Err(LimitError::RowTooLong {
                row: rows_before.saturating_add(1),
                limit: max_row_bytes,
            });
        }
        match read {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
        until.set(reader.position().byte().saturating_add(slack));
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
        if !visit(row, &record)? {
            break;
        }
    }
    Ok(())
}

fn field_text(field: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(field)
}

fn is_blank_field(field: &[u8]) -> bool {
    trim_cell(&field_text(field)).is_empty()
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
        let _ = for_each_record(sample, delimiter, usize::MAX, |_, cells| {
            // Whitespace-only lines say nothing; rows of bare separators do.
            if cells.len() > 1 || cells.iter().any(|c| !is_blank_field(c)) {
                counts.push(cells.len().saturating_sub(1));
            }
            Ok(counts.len() < DELIMITER_SAMPLE_RECORDS)
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

/// The 1-based number of the first physical line of `bytes` longer than `max` bytes
/// (CR, LF and CRLF end lines), found without decoding or copying anything.
fn first_long_line(bytes: &[u8], max: usize) -> Option<usize> {
    let mut line = 1usize;
    let mut start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') | Some(b'\r') => {
                if i - start > max {
                    return Some(line);
                }
                if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                line += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    (bytes.len() - start.min(bytes.len()) > max).then_some(line)
}

/// Builds the table record by record, refusing what goes over the limits as soon as it
/// does: the first non-blank rows wait until the header row is known, every later row is
/// made as wide as the header at once.
struct Builder<'a> {
    limits: &'a ReadLimits,
    hint: &'a dyn Fn(&[String]) -> bool,
    /// The first non-blank rows, while the header row is looked for: row number, cells
    /// (no more than one over the column limit) and how many columns the row has.
    head: Vec<(usize, Vec<String>, usize)>,
    header: Option<(usize, Vec<String>)>,
    rows: Vec<TableRow>,
}

impl Builder<'_> {
    fn push(&mut self, row: usize, record: &csv::ByteRecord) -> Result<(), LimitError> {
        // Trailing empty cells do not count (and are never kept).
        let width = record
            .iter()
            .rposition(|f| !is_blank_field(f))
            .map_or(0, |i| i + 1);
        if width == 0 {
            return Ok(());
        }
        // Data rows keep the header's columns; the rows the header is looked for in keep
        // enough to tell whether they are too wide to be one.
        let keep = match &self.header {
            Some((_, headers)) => width.min(headers.len()),
            None => width.min(self.limits.max_columns + 1),
        };
        let mut cells = Vec::with_capacity(match &self.header {
            Some((_, headers)) => headers.len(),
            None => keep,
        });
        for (column, field) in record.iter().take(keep).enumerate() {
            let cell = trim_cell(&field_text(field)).to_owned();
            if cell.len() > self.limits.max_cell_bytes {
                return Err(LimitError::CellTooLong {
                    row,
                    column: column + 1,
                    limit: self.limits.max_cell_bytes,
                });
            }
            cells.push(cell);
        }
        if self.header.is_some() {
            return self.add_row(row, cells);
        }
        self.head.push((row, cells, width));
        if self.head.len() >= HEADER_SEARCH_ROWS {
            self.settle()?;
        }
        Ok(())
    }

    /// The header row is the first of the waiting rows the hint accepts, else the first.
    fn settle(&mut self) -> Result<(), LimitError> {
        let head = std::mem::take(&mut self.head);
        let at = head
            .iter()
            .position(|(_, cells, _)| (self.hint)(cells))
            .unwrap_or(0);
        let mut head = head.into_iter().skip(at);
        let Some((row, cells, width)) = head.next() else {
            return Ok(());
        };
        // Every later row is made as wide as the header.
        if width > self.limits.max_columns {
            return Err(LimitError::TooManyColumns {
                row,
                found: width,
                limit: self.limits.max_columns,
            });
        }
        self.header = Some((row, cells));
        for (row, cells, _) in head {
            self.add_row(row, cells)?;
        }
        Ok(())
    }

    fn add_row(&mut self, line: usize, mut cells: Vec<String>) -> Result<(), LimitError> {
        let width = self.header.as_ref().map_or(0, |(_, h)| h.len());
        if self.rows.len() >= self.limits.max_rows {
            return Err(LimitError::TooManyRows {
                limit: self.limits.max_rows,
            });
        }
        if (self.rows.len() + 2).saturating_mul(width) > self.limits.max_cells {
            return Err(LimitError::TooManyCells {
                row: line,
                limit: self.limits.max_cells,
            });
        }
        cells.truncate(width);
        cells.resize(width, String::new());
        self.rows.push(TableRow { line, cells });
        Ok(())
    }
}

/// Read delimited text into a table. `header_hint` gets the trimmed cells of each
/// of the first 10 non-blank rows and says whether that row is the header row;
/// when it accepts none, the first non-blank row is the header.
pub fn read_table(
    bytes: &[u8],
    header_hint: &dyn Fn(&[String]) -> bool,
) -> Result<Table, TableError> {
    read_table_with(bytes, header_hint, &ReadLimits::STANDARD)
}

/// [`read_table`] with other limits (the tests use small ones).
pub fn read_table_with(
    bytes: &[u8],
    header_hint: &dyn Fn(&[String]) -> bool,
    limits: &ReadLimits,
) -> Result<Table, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    if has_binary_signature(bytes) {
        return Err(TableError::Binary);
    }
    // A line far over the row limit is refused before the text is decoded (UTF-16 takes
    // two bytes a character, hence the factor).
    if let Some(row) = first_long_line(bytes, limits.max_row_bytes.saturating_mul(2)) {
        return Err(TableError::Limit(LimitError::RowTooLong {
            row,
            limit: limits.max_row_bytes,
        }));
    }
    // Binary files and text that decodes past the limit are told from the raw bytes and
    // a sample, before the whole text is decoded (which may double it).
    if looks_binary(&decode_cow(prefix(bytes, RAW_SAMPLE_BYTES)).0) {
        return Err(TableError::Binary);
    }
    if decoded_len_at_least(bytes) > limits.max_text_bytes {
        return Err(TableError::Limit(LimitError::TooMuchText {
            limit: limits.max_text_bytes,
        }));
    }
    let (text, encoding) = decode_cow(bytes);
    if text.len() > limits.max_text_bytes {
        return Err(TableError::Limit(LimitError::TooMuchText {
            limit: limits.max_text_bytes,
        }));
    }
    if is_blank_text(&text) {
        return Err(TableError::Empty);
    }
    if looks_binary(&text) {
        return Err(TableError::Binary);
    }
    let text = normalise_line_ends(text);
    let delimiter = detect_delimiter(&text);

    let mut builder = Builder {
        limits,
        hint: header_hint,
        head: Vec::new(),
        header: None,
        rows: Vec::new(),
    };
    for_each_record(&text, delimiter, limits.max_row_bytes, |row, record| {
        builder.push(row, record)?;
        Ok(true)
    })
    .map_err(TableError::Limit)?;
    drop(text);
    if builder.header.is_none() {
        builder.settle().map_err(TableError::Limit)?;
    }
    let Some((header_line, headers)) = builder.header else {
        return Err(TableError::NoHeader);
    };
    Ok(Table {
        encoding,
        delimiter,
        header_line,
        headers,
        rows: builder.rows,
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
        let done = for_each_record("a\nb\nc\nd\n", b',', 100, |_, _| {
            count += 1;
            Ok(count < 2)
        });
        assert_eq!(done, Ok(()));
        assert_eq!(count, 2);
    }

    fn limit_of(bytes: &[u8], limits: &ReadLimits) -> LimitError {
        match read_table_with(bytes, &names_hint, limits) {
            Err(TableError::Limit(e)) => e,
            other => panic!("expected a limit, got {other:?}"),
        }
    }

    #[test]
    fn a_header_of_ten_thousand_columns_is_refused_naming_the_row() {
        let mut csv = (0..10_000)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        csv.push('\n');
        for i in 0..20_000 {
            csv.push_str(&format!("{i}\n"));
        }
        let e = limit_of(csv.as_bytes(), &ReadLimits::STANDARD);
        assert_eq!(
            e,
            LimitError::TooManyColumns {
                row: 1,
                found: 10_000,
                limit: crate::import::limits::MAX_COLUMNS
            }
        );
        assert!(e
            .to_string()
            .starts_with("Row 1 has 10,000 columns; Caseload reads at most 200."));
    }

    #[test]
    fn trailing_separators_do_not_count_as_columns() {
        let mut csv = String::from("Name,Email");
        csv.push_str(&",".repeat(10_000));
        csv.push_str("\nAnn,a@x.org");
        csv.push_str(&",".repeat(10_000));
        csv.push('\n');
        let t = read(csv.as_bytes());
        assert_eq!(t.headers, strings(&["Name", "Email"]));
        assert_eq!(t.rows[0].cells, strings(&["Ann", "a@x.org"]));
    }

    #[test]
    fn one_long_line_is_refused_before_it_is_decoded() {
        let mut csv = b"Name,Email\n".to_vec();
        csv.extend(std::iter::repeat_n(b'a', 3 * 1024 * 1024));
        assert_eq!(
            limit_of(&csv, &ReadLimits::STANDARD),
            LimitError::RowTooLong {
                row: 2,
                limit: crate::import::limits::MAX_ROW_BYTES
            }
        );
    }

    #[test]
    fn a_quoted_cell_that_never_closes_is_refused_at_the_row_limit() {
        let limits = ReadLimits {
            max_row_bytes: 1000,
            ..ReadLimits::STANDARD
        };
        let mut csv = String::from("Name,Email\nAnn,\"a\n");
        for _ in 0..500 {
            csv.push_str("short line\n");
        }
        assert_eq!(
            limit_of(csv.as_bytes(), &limits),
            LimitError::RowTooLong {
                row: 2,
                limit: 1000
            }
        );
    }

    #[test]
    fn text_that_would_decode_past_the_limit_is_refused_before_decoding() {
        let small = ReadLimits {
            max_text_bytes: 1000,
            ..ReadLimits::STANDARD
        };
        let mut cp1252 = b"Name\n".to_vec();
        for _ in 0..80 {
            cp1252.extend_from_slice(b"Ren\xe9e \xe9\xe9\xe9\xe9\n");
        }
        assert!(cp1252.len() < 1000);
        assert_eq!(
            limit_of(&cp1252, &small),
            LimitError::TooMuchText { limit: 1000 }
        );
        assert!(read_table_with(&cp1252[..400], &names_hint, &small).is_ok());
    }

    #[test]
    fn rows_cells_and_cell_length_are_capped() {
        let small = ReadLimits {
            max_rows: 3,
            max_cells: 12,
            max_cell_bytes: 10,
            ..ReadLimits::STANDARD
        };
        assert_eq!(
            limit_of(b"Name\na\nb\nc\nd\ne\n", &small),
            LimitError::TooManyRows { limit: 3 }
        );
        assert_eq!(
            limit_of(b"Name,B,C,D,E\na,b,c,d,e\nf,g,h,i,j\n", &small),
            LimitError::TooManyCells { row: 3, limit: 12 }
        );
        assert_eq!(
            limit_of(b"Name,Notes\nAnn,0123456789ab\n", &small),
            LimitError::CellTooLong {
                row: 2,
                column: 2,
                limit: 10
            }
        );
        assert!(read_table_with(b"Name\na\nb\nc\n", &names_hint, &small).is_ok());
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
