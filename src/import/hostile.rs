//! Property tests: every reader is fed generated hostile shapes (wide, deep, long lines,
//! repeated headers, unclosed quotes, nested archives, bombs, random bytes) and must
//! neither panic nor build more than its limits allow. What a reader retains is the
//! memory bound that can be asserted inside a test process (the real peak resident size
//! is measured by `benches/hostile_input.rs`).
//!
//! `cargo test --lib hostile` runs a quick pass of a few hundred cases per reader;
//! `cargo test --lib -- --ignored exhaustive` runs tens of thousands. Each case is made
//! from its seed, which a failure names: `HOSTILE_SEED=n` runs that case alone.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::archive::{self, ArchiveLimits};
use super::limits::ReadLimits;
use super::table::{self, Table};
use super::{extract, simplepractice, vcard, xlsx};

/// Small limits, so that hostile shapes reach them with small inputs (and many cases
/// run in seconds); the standard limits are exercised too.
const SMALL: ReadLimits = ReadLimits {
    max_rows: 40,
    max_columns: 12,
    max_cells: 300,
    max_cell_bytes: 200,
    max_row_bytes: 1000,
    max_card_entries: 5,
    max_text_bytes: 64 * 1024,
};

/// A small, seeded generator (SplitMix64): the same seed, the same case.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A length that is usually small and sometimes just around `limit`.
    fn len_near(&mut self, limit: usize) -> usize {
        match self.below(4) {
            0 => self.below(8),
            1 => self.below(limit + 2),
            2 => limit.saturating_sub(1) + self.below(3),
            _ => limit * (1 + self.below(4)),
        }
    }
}

const PIECES: &[&str] = &[
    ",",
    ";",
    "\t",
    "|",
    "\"",
    "\"\"",
    "\n",
    "\r",
    "\r\n",
    " ",
    "a",
    "Name",
    "First Name",
    "Email",
    "ann@example.com",
    "é",
    "\u{feff}",
    "\0",
    "BEGIN:VCARD",
    "END:VCARD",
];

/// Delimited text of a hostile shape.
fn hostile_text(g: &mut Gen, limits: &ReadLimits) -> Vec<u8> {
    let mut out = String::new();
    match g.below(9) {
        // Wide: a header of many columns, then short rows.
        0 => {
            let cols = g.len_near(limits.max_columns);
            out.push_str(
                &(0..cols)
                    .map(|i| format!("c{i}"))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
            for i in 0..g.len_near(limits.max_rows) {
                out.push_str(&format!("{i}\n"));
            }
        }
        // Deep: many rows.
        1 => {
            out.push_str("First Name,Last Name,Email\n");
            for i in 0..g.len_near(limits.max_rows) {
                out.push_str(&format!("A{i},B,a{i}@example.com\n"));
            }
        }
        // A long line, or a long cell.
        2 => {
            out.push_str("Name,Notes\n");
            let n = g.len_near(limits.max_row_bytes.max(limits.max_cell_bytes));
            out.push_str("Ann,");
            out.push_str(&"x".repeat(n));
            out.push('\n');
        }
        // An unclosed quote swallowing the rest.
        3 => {
            out.push_str("Name,Notes\nAnn,\"");
            for _ in 0..g.len_near(limits.max_rows) {
                out.push_str("more text, and more\n");
            }
        }
        // The header repeated on every line, and title rows above it.
        4 => {
            for _ in 0..g.below(12) {
                out.push_str("Client list,,,\n");
            }
            for _ in 0..g.len_near(limits.max_rows) {
                out.push_str("First Name,Last Name,Email\n");
            }
        }
        // Rows wider than the header, rows of bare separators.
        5 => {
            out.push_str("Name,Email\n");
            for _ in 0..g.len_near(limits.max_rows) {
                let n = g.len_near(limits.max_columns);
                out.push_str(&"a,".repeat(n));
                out.push_str(&",".repeat(g.below(50)));
                out.push('\n');
            }
        }
        // Random pieces of CSV syntax.
        6 => {
            for _ in 0..g.len_near(limits.max_cells) {
                out.push_str(g.pick::<&str>(PIECES));
            }
        }
        // UTF-16 of one of the above.
        7 => {
            let inner = hostile_text(g, limits);
            let text = String::from_utf8_lossy(&inner);
            let mut bytes = vec![0xFF, 0xFE];
            for unit in text.encode_utf16() {
                bytes.extend_from_slice(&unit.to_le_bytes());
            }
            return bytes;
        }
        // Random bytes.
        _ => {
            let n = g.len_near(limits.max_row_bytes);
            return g.bytes(n);
        }
    }
    out.into_bytes()
}

/// A table built within `limits`: the bound on what the reader retains.
fn assert_table_within(t: &Table, limits: &ReadLimits, input_len: usize, case: &str) {
    let width = t.headers.len();
    assert!(width <= limits.max_columns, "{case}: {width} columns");
    assert!(
        t.rows.len() <= limits.max_rows,
        "{case}: {} rows",
        t.rows.len()
    );
    assert!(
        (t.rows.len() + 1) * width <= limits.max_cells,
        "{case}: {} cells",
        (t.rows.len() + 1) * width
    );
    let mut bytes = 0usize;
    for cell in t
        .headers
        .iter()
        .chain(t.rows.iter().flat_map(|r| r.cells.iter()))
    {
        assert!(
            cell.len() <= limits.max_cell_bytes,
            "{case}: a cell of {}",
            cell.len()
        );
        bytes += cell.len() + std::mem::size_of::<String>();
    }
    for r in &t.rows {
        assert_eq!(r.cells.len(), width, "{case}: a ragged row");
    }
    assert!(
        bytes <= limits.retained_bound(input_len),
        "{case}: {bytes} bytes retained from {input_len}"
    );
}

fn names_hint(cells: &[String]) -> bool {
    super::columns::looks_like_header(cells)
}

/// Runs `case(seed)` for `count` seeds (or the one `HOSTILE_SEED` names), each caught so
/// that a panic names its seed.
fn run(name: &str, count: u64, base: u64, case: impl Fn(u64)) {
    let seeds: Vec<u64> = match std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![seed],
        None => (0..count).map(|i| base.wrapping_add(i)).collect(),
    };
    for seed in seeds {
        if catch_unwind(AssertUnwindSafe(|| case(seed))).is_err() {
            panic!("{name}: case {seed} failed (HOSTILE_SEED={seed} runs it alone)");
        }
    }
}

fn table_case(seed: u64) {
    let mut g = Gen(seed);
    let limits = if g.below(8) == 0 {
        ReadLimits::STANDARD
    } else {
        SMALL
    };
    let bytes = hostile_text(&mut g, &SMALL);
    let case = format!("table seed {seed}");
    if let Ok(t) = table::read_table_with(&bytes, &names_hint, &limits) {
        assert_table_within(&t, &limits, bytes.len(), &case);
    }
}

fn vcard_text(g: &mut Gen, limits: &ReadLimits) -> Vec<u8> {
    let mut out = String::new();
    for _ in 0..g.len_near(limits.max_rows) {
        match g.below(8) {
            0 => out.push_str("BEGIN:VCARD\r\n"),
            1 => out.push_str("BEGIN:VCARD\r\nEND:VCARD\r\n"),
            2 => {
                out.push_str("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\n");
                for _ in 0..g.len_near(limits.max_card_entries) {
                    out.push_str("EMAIL:ann@example.com\r\nTEL:555\r\n");
                }
                if g.below(2) == 0 {
                    out.push_str("END:VCARD\r\n");
                }
            }
            3 => {
                out.push_str("BEGIN:VCARD\r\nFN:");
                out.push_str(&"n".repeat(g.len_near(limits.max_cell_bytes)));
                out.push_str("\r\nEND:VCARD\r\n");
            }
            4 => {
                // A folded line that never ends.
                out.push_str("BEGIN:VCARD\r\nNOTE:a");
                for _ in 0..g.below(200) {
                    out.push_str("\r\n folded");
                }
                out.push_str("\r\n");
            }
            5 => out.push_str("FN;ENCODING=QUOTED-PRINTABLE:=C3=A9=\r\n=\r\n="),
            6 => out.push_str(g.pick::<&str>(PIECES)),
            _ => {
                let n = g.below(64);
                out.push_str(&String::from_utf8_lossy(&g.bytes(n)));
            }
        }
    }
    out.into_bytes()
}

fn vcard_case(seed: u64) {
    let mut g = Gen(seed);
    let limits = SMALL;
    let bytes = vcard_text(&mut g, &limits);
    if let Ok(cards) = vcard::parse_with(&bytes, &limits) {
        assert!(
            cards.len() <= limits.max_rows,
            "vcard seed {seed}: {} cards",
            cards.len()
        );
        let mut retained = 0usize;
        for c in &cards {
            assert!(!c.is_empty(), "vcard seed {seed}: an empty card was kept");
            assert!(c.emails.len() <= limits.max_card_entries);
            assert!(c.phones.len() <= limits.max_card_entries);
            for v in [&c.first_name, &c.last_name, &c.full_name, &c.birthday]
                .into_iter()
                .flatten()
                .chain(c.emails.iter().map(|e| &e.value))
                .chain(c.phones.iter().map(|e| &e.value))
            {
                // Windows-1252 text grows at most threefold as UTF-8.
                assert!(v.len() <= 3 * limits.max_cell_bytes, "vcard seed {seed}");
                retained += v.len();
            }
        }
        assert!(retained <= limits.retained_bound(bytes.len()));
    }
}

fn zip_of(files: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        if w.start_file(name.as_str(), options).is_err() || w.write_all(body).is_err() {
            return Vec::new();
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// An archive of a hostile shape: cards and documents, nested archives, files that
/// compress far, names that climb out, or random bytes after a zip signature.
fn hostile_zip(g: &mut Gen, depth: usize) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..g.len_near(8) {
        let name = match g.below(6) {
            0 => format!("Contacts/P{i} - {i}.vcf"),
            1 => format!("Medical Records/P{i}/Progress Note 2024-01-02 100000 {i}.pdf"),
            2 => format!("Stored documents/P{i}/{i}.txt"),
            3 => format!("../x{i}.vcf"),
            4 => format!("nested{i}.zip"),
            _ => format!("cards/{i}.vcf"),
        };
        let body = match g.below(5) {
            0 if depth < 2 => hostile_zip(g, depth + 1),
            1 => vcard_text(g, &SMALL),
            // Compresses far: spaces.
            2 => vec![b' '; 64 * 1024 * (1 + g.below(24))],
            3 => hostile_text(g, &SMALL),
            _ => {
                let n = g.below(300);
                g.bytes(n)
            }
        };
        files.push((name, body));
    }
    let mut bytes = zip_of(&files, g.below(3) != 0);
    if g.below(6) == 0 && !bytes.is_empty() {
        // Damage: cut it short, or flip some bytes.
        if g.below(2) == 0 {
            let keep = g.below(bytes.len());
            bytes.truncate(keep);
        } else {
            for _ in 0..1 + g.below(8) {
                let at = g.below(bytes.len());
                bytes[at] = g.next() as u8;
            }
        }
    }
    if g.below(10) == 0 {
        let mut junk = b"PK\x03\x04".to_vec();
        let n = g.below(500);
        junk.extend(g.bytes(n));
        return junk;
    }
    bytes
}

fn archive_case(seed: u64) {
    let mut g = Gen(seed);
    let bytes = hostile_zip(&mut g, 0);
    let limits = ArchiveLimits {
        max_entries: 20,
        max_entry_bytes: 1024 * 1024,
        max_total_bytes: 4 * 1024 * 1024,
        max_ratio: 200,
    };
    // The export reader: its index holds only what the limits allow.
    if let Ok(mut zip) = archive::open(std::io::Cursor::new(&bytes[..])) {
        if let Ok(entries) = archive::list(&mut zip, &limits) {
            assert!(entries.len() <= limits.max_entries, "archive seed {seed}");
            let total: u64 = entries.iter().map(|e| e.size).sum();
            assert!(total <= limits.max_total_bytes, "archive seed {seed}");
            if total > 1024 * 1024 {
                assert!(
                    total / (bytes.len() as u64).max(1) <= limits.max_ratio,
                    "archive seed {seed}: unpacks to {total} from {}",
                    bytes.len()
                );
            }
        }
        if let Ok(index) = simplepractice::read_export(&mut zip, &limits) {
            assert!(index.cards.len() + index.documents.len() <= limits.max_entries);
        }
    }
    // The client-list reader of the same bytes (a .zip of cards, or a workbook).
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
    if let Ok(x) = extract::extract(&bytes, &extract::ExtractOptions::default(), today) {
        assert!(x.candidates.len() <= ReadLimits::STANDARD.max_rows);
    }
}

fn hostile_workbook(g: &mut Gen, limits: &ReadLimits) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let shape = g.below(5);
    let rows = g.len_near(limits.max_rows) as u32;
    let cols = match shape {
        0 => g.len_near(limits.max_columns) as u16,
        _ => 1 + g.below(6) as u16,
    };
    let _ = sheet.write_string(0, 0, "First Name");
    for c in 1..cols {
        let _ = sheet.write_string(0, c, format!("c{c}"));
    }
    for r in 1..=rows {
        let text = match shape {
            1 => "x".repeat(g.len_near(limits.max_cell_bytes)),
            2 => "First Name".to_string(),
            _ => format!("A{r}"),
        };
        let _ = sheet.write_string(r, 0, text);
        if shape == 3 {
            // A stray cell far away.
            let _ = sheet.write_string(r, 16_000, "far");
        }
    }
    if shape == 4 {
        let _ = sheet.write_string(1_048_575, 16_383, "corner");
    }
    book.save_to_buffer().unwrap_or_default()
}

fn xlsx_case(seed: u64) {
    let mut g = Gen(seed);
    let limits = SMALL;
    let mut bytes = hostile_workbook(&mut g, &limits);
    if g.below(5) == 0 && !bytes.is_empty() {
        let at = g.below(bytes.len());
        bytes.truncate(at.max(4));
    }
    let case = format!("xlsx seed {seed}");
    if let Ok((t, _)) = xlsx::read_sheet_and_names(&bytes, None, &names_hint, &limits) {
        assert_table_within(&t, &limits, bytes.len(), &case);
    }
}

fn all(count: u64) {
    run("table", count, 1, table_case);
    run("vcard", count, 1_000_000, vcard_case);
    run("archive", count / 4, 2_000_000, archive_case);
    run("xlsx", count / 20, 3_000_000, xlsx_case);
}

#[test]
fn hostile_inputs_quick() {
    all(400);
}

#[test]
#[ignore = "tens of thousands of cases: cargo test --lib -- --ignored exhaustive"]
fn hostile_inputs_exhaustive() {
    all(40_000);
}
