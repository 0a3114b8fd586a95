//! What a reader may build from one file, in one place: the web flow, the CLI and the
//! tests read with the same [`ReadLimits`], and every message that refuses a file names
//! the number that refused it (taken from the same constant).
//!
//! The numbers keep the analysing process of a file at the upload limit (100 MB) well
//! under 512 MB (see `benches/hostile_input.rs`), and are far above what a practice's
//! client list holds (a few thousand rows of some forty columns).

use std::fmt;

/// Most rows (or contact cards) one file may hold.
pub const MAX_ROWS: usize = 200_000;
/// Most columns one row may have (trailing empty cells do not count).
pub const MAX_COLUMNS: usize = 200;
/// Most cells a table may hold, rows × columns.
pub const MAX_CELLS: usize = 2_000_000;
/// Most text a file may hold once read (decoded to UTF-8), or a sheet's cells in all.
pub const MAX_TEXT_BYTES: usize = 128 * 1024 * 1024;
/// Longest cell (or card value: a name, an email address, a phone number), in bytes.
pub const MAX_CELL_BYTES: usize = 64 * 1024;
/// Longest row (one record of delimited text, quoted line breaks included), in bytes.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;
/// Most email addresses or phone numbers one contact card may hold.
pub const MAX_CARD_ENTRIES: usize = 100;
/// Most an archive may unpack to, as a multiple of its own size (all its files together;
/// each file over 1 MB also has its own ratio limit). Set by `CASELOAD_EXPORT_MAX_RATIO`
/// for exports; this is the default and what client lists use.
pub const MAX_ARCHIVE_RATIO: u64 = 200;
/// Largest `xl/sharedStrings.xml` of a workbook: it is read whole before any row.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 32 * 1024 * 1024;

/// The caps a reader applies while it builds rows or cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    pub max_rows: usize,
    pub max_columns: usize,
    pub max_cells: usize,
    pub max_cell_bytes: usize,
    pub max_row_bytes: usize,
    pub max_card_entries: usize,
    pub max_text_bytes: usize,
}

impl ReadLimits {
    /// What the web flow and the CLI read with.
    pub const STANDARD: ReadLimits = ReadLimits {
        max_rows: MAX_ROWS,
        max_columns: MAX_COLUMNS,
        max_cells: MAX_CELLS,
        max_cell_bytes: MAX_CELL_BYTES,
        max_row_bytes: MAX_ROW_BYTES,
        max_card_entries: MAX_CARD_ENTRIES,
        max_text_bytes: MAX_TEXT_BYTES,
    };

    /// An upper bound on the bytes a reader's result holds for an input of `input_len`
    /// bytes: the cells' text (at most three bytes of UTF-8 per input byte, which is what
    /// Windows-1252 can grow to, and never over the text limit) plus a fixed cost per
    /// cell and per row.
    pub fn retained_bound(&self, input_len: usize) -> usize {
        let text = input_len.saturating_mul(3).min(self.max_text_bytes);
        let cells = self.max_cells.saturating_mul(std::mem::size_of::<String>());
        let rows = self.max_rows.saturating_mul(64);
        text.saturating_add(cells).saturating_add(rows)
    }
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits::STANDARD
    }
}

/// What a file went over. Rows are counted as a spreadsheet counts them (1 = the first
/// line); cards by their position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    TooManyColumns {
        row: usize,
        found: usize,
        limit: usize,
    },
    TooManyRows {
        limit: usize,
    },
    TooManyCells {
        row: usize,
        limit: usize,
    },
    CellTooLong {
        row: usize,
        column: usize,
        limit: usize,
    },
    RowTooLong {
        row: usize,
        limit: usize,
    },
    TooManyCards {
        limit: usize,
    },
    TooMuchText {
        limit: usize,
    },
    CardValueTooLong {
        card: usize,
        line: usize,
        limit: usize,
    },
    TooManyCardEntries {
        card: usize,
        line: usize,
        limit: usize,
    },
}

/// 1234567 → "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in the units people use: "64 KB", "1 MB", "2 GB".
pub fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GB", thousands(bytes >> 30))
    } else if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MB", thousands(bytes / (1024 * 1024)))
    } else if bytes >= 1024 {
        format!("{} KB", thousands(bytes / 1024))
    } else {
        format!("{bytes} bytes")
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SPLIT: &str = "Split the list into smaller files and import each in turn.";
        match *self {
            LimitError::TooManyColumns { row, found, limit } => write!(
                f,
                "Row {} has {} columns; Caseload reads at most {}. Delete the empty or extra \
                 columns in your spreadsheet program (or export only the clients' details), \
                 then upload the new file.",
                thousands(row),
                thousands(found),
                thousands(limit)
            ),
            LimitError::TooManyRows { limit } => write!(
                f,
                "The file has more than {} rows; Caseload reads at most {} at a time. {SPLIT}",
                thousands(limit),
                thousands(limit)
            ),
            LimitError::TooManyCells { row, limit } => write!(
                f,
                "By row {} the file holds more than {} cells (rows × columns); Caseload reads \
                 at most {}. Delete the columns you do not need, or {}",
                thousands(row),
                thousands(limit),
                thousands(limit),
                SPLIT.to_lowercase()
            ),
            LimitError::CellTooLong { row, column, limit } => write!(
                f,
                "Row {}, column {} holds more than {} of text; Caseload reads cells of at most \
                 {}. Check that this is the client list, shorten or delete that cell, then \
                 upload the new file.",
                thousands(row),
                thousands(column),
                size_text(limit),
                size_text(limit)
            ),
            LimitError::RowTooLong { row, limit } => write!(
                f,
                "Row {} is longer than {}; Caseload reads rows of at most {}. The file may not \
                 be a client list, or a quote mark may be missing so that the rest of the file \
                 reads as one cell. Check the file in your spreadsheet program, save it again \
                 and upload the new file.",
                thousands(row),
                size_text(limit),
                size_text(limit)
            ),
            LimitError::TooManyCards { limit } => write!(
                f,
                "The file has more than {} contact cards; Caseload reads at most {} at a time. \
                 Export the contacts in smaller groups and import each in turn.",
                thousands(limit),
                thousands(limit)
            ),
            LimitError::TooMuchText { limit } => write!(
                f,
                "The file holds more than {} of text once read; Caseload reads at most {}. \
                 Delete the columns you do not need (notes, say), or {}",
                size_text(limit),
                size_text(limit),
                SPLIT.to_lowercase()
            ),
            LimitError::CardValueTooLong { card, line, limit } => write!(
                f,
                "Card {} (line {}) has a name, email address, phone number or birthday longer \
                 than {}; Caseload reads values of at most {}. Check that card in your address \
                 book, then export the contacts again.",
                thousands(card),
                thousands(line),
                size_text(limit),
                size_text(limit)
            ),
            LimitError::TooManyCardEntries { card, line, limit } => write!(
                f,
                "Card {} (line {}) has more than {} email addresses or phone numbers; Caseload \
                 reads at most {} of each. Check that card in your address book, then export \
                 the contacts again.",
                thousands(card),
                thousands(line),
                thousands(limit),
                thousands(limit)
            ),
        }
    }
}

impl std::error::Error for LimitError {}

/// At most `max` characters of `text`, with "…" when cut: for samples shown on a page or
/// kept with a batch, never for data that is imported.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => {
            let mut s = text.get(..at).unwrap_or("").to_string();
            s.push('…');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_and_the_row() {
        let e = LimitError::TooManyColumns {
            row: 2,
            found: 10_000,
            limit: MAX_COLUMNS,
        };
        assert!(
            e.to_string()
                .starts_with("Row 2 has 10,000 columns; Caseload reads at most 200."),
            "{e}"
        );
        let e = LimitError::RowTooLong {
            row: 1,
            limit: MAX_ROW_BYTES,
        };
        assert!(e.to_string().contains("at most 1 MB"), "{e}");
        let e = LimitError::CellTooLong {
            row: 3,
            column: 2,
            limit: MAX_CELL_BYTES,
        };
        assert!(e.to_string().contains("at most 64 KB"), "{e}");
        assert!(LimitError::TooManyRows { limit: MAX_ROWS }
            .to_string()
            .contains("at most 200,000"));
    }

    #[test]
    fn numbers_and_sizes_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(4_000_000), "4,000,000");
        assert_eq!(size_text(64 * 1024), "64 KB");
        assert_eq!(size_text(1024 * 1024), "1 MB");
        assert_eq!(size_text(2048 * 1024 * 1024), "2 GB");
        assert_eq!(size_text(1536 * 1024 * 1024), "1,536 MB");
        assert_eq!(size_text(12), "12 bytes");
    }

    #[test]
    fn shorten_cuts_on_a_character() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("éééé", 2), "éé…");
    }
}
