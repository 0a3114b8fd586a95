//! Hostile files at the size of the upload limits, each analysed in a fresh child process
//! as the import worker analyses an upload (the file read whole, then the pure pipeline),
//! with that process's peak resident memory (VmHWM). The goal (issue 10): no input within
//! the upload limits takes the analysing process over 512 MB.
//!
//!   cargo bench --bench hostile_input            # 100 MB lists; the largest export built
//!
//! `cargo test --all-targets` runs a smoke pass of the same cases at 1 MB.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use caseload::import::analysis;
use caseload::import::archive::ArchiveLimits;
use caseload::import::extract::ExtractOptions;
use caseload::import::limits;

/// The goal: peak resident memory of the analysing process.
const GOAL_MB: f64 = 512.0;

/// Bytes of a list file: the upload limit under `cargo bench`, 1 MB in the smoke pass.
fn list_bytes() -> usize {
    if full() {
        100 * 1000 * 1000 - 4096
    } else {
        1024 * 1024
    }
}

fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Child mode: analyse one file, print "peak-mb outcome".
fn measure(kind: &str, file: &str) {
    let t = Instant::now();
    let outcome = if kind == "export" {
        match caseload::import_jobs::open_export(Path::new(file), &ArchiveLimits::default()) {
            Ok((_, index)) => {
                let rows = caseload::import::simplepractice::review_export(
                    &index,
                    &[],
                    chrono::Utc::now().date_naive(),
                );
                format!(
                    "read: {} cards, {} documents",
                    rows.len(),
                    index.documents.len()
                )
            }
            Err(e) => format!("refused: {e}"),
        }
    } else {
        let bytes = std::fs::read(file).expect("the case's file");
        match analysis::analyse(
            &bytes,
            &ExtractOptions::default(),
            &[],
            chrono::Utc::now().date_naive(),
            &mut |_| {},
        ) {
            Ok(a) => format!("read: {} rows", a.rows.len()),
            Err(e) => format!("refused: {e}"),
        }
    };
    let mut shown: String = outcome.chars().take(110).collect();
    if shown.len() < outcome.len() {
        shown.push('…');
    }
    println!(
        "{:.0} {:.1} {shown}",
        support::status_mb("VmHWM:"),
        t.elapsed().as_secs_f64()
    );
}

fn write_with(path: &Path, mut fill: impl FnMut(&mut std::io::BufWriter<std::fs::File>)) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("case file"));
    fill(&mut w);
    w.flush().expect("write case");
}

/// Lines of `line` until `size` bytes.
fn repeat_to(w: &mut impl Write, line: &[u8], size: usize) {
    let mut written = 0;
    while written + line.len() <= size {
        w.write_all(line).unwrap();
        written += line.len();
    }
}

fn zip_file(path: &Path, files: impl Iterator<Item = (String, Vec<u8>)>, deflate: bool) {
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(false);
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, body) in files {
        w.start_file(name, options).unwrap();
        w.write_all(&body).unwrap();
    }
    w.finish().unwrap();
}

fn card(i: usize) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee{i};Ann;;;\r\nFN:Ann Lee{i}\r\nEMAIL:ann{i}@example.com\r\nTEL:555010{i}\r\nEND:VCARD\r\n"
    )
}

/// Builds every case's file in `dir`: (name, kind, path).
fn build_cases(dir: &Path) -> Vec<(&'static str, &'static str, std::path::PathBuf)> {
    let size = list_bytes();
    let mut cases = Vec::new();
    let mut add = |name: &'static str, kind: &'static str, file: &str| {
        let path = dir.join(file);
        cases.push((name, kind, path.clone()));
        path
    };

    // The issue's: a 99 KB header of 10,000 columns, then 20,000 rows of one cell.
    let p = add("csv: 10,000-column header, 20,000 rows", "list", "wide.csv");
    write_with(&p, |w| {
        let header: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
        writeln!(w, "{}", header.join(",")).unwrap();
        for i in 0..20_000 {
            writeln!(w, "{i}").unwrap();
        }
    });
    // The widest header accepted, cells to the cap, and the file to the upload limit.
    let p = add(
        "csv: 200 columns x 9,999 rows (widest accepted)",
        "list",
        "widest.csv",
    );
    write_with(&p, |w| {
        let rows = if full() {
            limits::MAX_CELLS / limits::MAX_COLUMNS - 1
        } else {
            200
        };
        let cell = "x".repeat(
            (size / (rows + 1) / limits::MAX_COLUMNS)
                .saturating_sub(1)
                .max(1),
        );
        let mut header = vec!["First Name".to_string(), "Last Name".into(), "Email".into()];
        header.extend((3..limits::MAX_COLUMNS).map(|i| format!("c{i}")));
        writeln!(w, "{}", header.join(",")).unwrap();
        let rest = vec![cell.as_str(); limits::MAX_COLUMNS - 3].join(",");
        for i in 0..rows {
            writeln!(w, "Ann{i},Lee,ann{i}@example.com,{rest}").unwrap();
        }
    });
    // The most rows accepted, each long, to the upload limit.
    let p = add("csv: 199,999 rows (most accepted)", "list", "deepest.csv");
    write_with(&p, |w| {
        let rows = if full() { limits::MAX_ROWS - 1 } else { 2_000 };
        let note = "n".repeat((size / rows).saturating_sub(60).max(1));
        writeln!(w, "First Name,Last Name,Email,Mobile Phone,Notes").unwrap();
        for i in 0..rows {
            writeln!(
                w,
                "Ann{i},Lee{},ann{i}@example.com,415555{:04},{note}",
                i % 977,
                i % 10_000
            )
            .unwrap();
        }
    });
    // Rows of two cells to the upload limit: far over the row limit.
    let p = add("csv: short rows to the upload limit", "list", "deep.csv");
    write_with(&p, |w| {
        writeln!(w, "First Name,Last Name").unwrap();
        repeat_to(w, b"Ann,Lee\n", size);
    });
    // One line the size of the file.
    let p = add("csv: one line of the whole file", "list", "one-line.csv");
    write_with(&p, |w| repeat_to(w, b"xxxxxxxxxxxxxxxx", size));
    // A quote that never closes: the rest of the file is one cell.
    let p = add("csv: an unclosed quote", "list", "quote.csv");
    write_with(&p, |w| {
        w.write_all(b"First Name,Notes\nAnn,\"").unwrap();
        repeat_to(w, b"more text, more text\n", size);
    });
    // Windows-1252 accents: the text grows when read as UTF-8.
    let p = add(
        "csv: Windows-1252, every letter accented",
        "list",
        "cp1252.csv",
    );
    write_with(&p, |w| {
        writeln!(w, "First Name,Last Name,Notes").unwrap();
        let mut line = b"Ren\xe9e,L\xe9e,".to_vec();
        line.extend(std::iter::repeat_n(0xE9u8, 30_000));
        line.push(b'\n');
        repeat_to(w, &line, size);
    });
    // UTF-16 with characters that take three bytes as UTF-8.
    let p = add("csv: UTF-16, CJK text", "list", "utf16.csv");
    write_with(&p, |w| {
        w.write_all(&[0xFF, 0xFE]).unwrap();
        let mut line = String::from("First Name,Last Name,Notes\r\n");
        line.push_str("Ann,Lee,");
        line.push_str(&"漢".repeat(20_000));
        line.push_str("\r\n");
        let units: Vec<u8> = line.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        repeat_to(w, &units, size);
    });
    // Random bytes.
    let p = add("random bytes", "list", "random.bin");
    write_with(&p, |w| {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut buf = vec![0u8; 1 << 16];
        let mut written = 0;
        while written < size {
            for b in buf.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            w.write_all(&buf).unwrap();
            written += buf.len();
        }
    });
    // vCards: the repeated BEGIN:VCARD lines, then the most cards accepted.
    let p = add("vcf: BEGIN:VCARD repeated", "list", "begins.vcf");
    write_with(&p, |w| repeat_to(w, b"BEGIN:VCARD\r\n", size));
    let p = add("vcf: cards to the upload limit", "list", "cards.vcf");
    write_with(&p, |w| {
        let mut i = 0;
        let mut written = 0;
        while written < size {
            let c = card(i);
            w.write_all(c.as_bytes()).unwrap();
            written += c.len();
            i += 1;
        }
    });
    let p = add("vcf: one card, 20 MB folded name", "list", "folded.vcf");
    write_with(&p, |w| {
        w.write_all(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann")
            .unwrap();
        repeat_to(
            w,
            b"\r\n Lee Lee Lee Lee Lee Lee Lee Lee",
            size.min(20 << 20),
        );
        w.write_all(b"\r\nEND:VCARD\r\n").unwrap();
    });
    // A .zip of cards: the most one may unpack to (500 MB) would take long to build;
    // 200 files of the per-file cap's 20 MB at most, within the archive's ratio.
    let p = add("zip of cards: large card files", "list", "cards.zip");
    let files = if full() { 40 } else { 2 };
    let per_file = if full() { 2_400_000 } else { 400_000 };
    zip_file(
        &p,
        (0..files).map(|f| {
            let mut body = String::new();
            let mut i = f * 100_000;
            while body.len() < per_file {
                body.push_str(&card(i));
                i += 1;
            }
            (format!("Contacts/{f}.vcf"), body.into_bytes())
        }),
        true,
    );
    // The export: many distinct files of 1 MiB, each compressing to almost nothing.
    let p = add(
        "export: 3,000 files of 1 MiB in a few MB",
        "export",
        "small-files.zip",
    );
    let n = if full() { 3_000 } else { 50 };
    zip_file(
        &p,
        std::iter::once(("Contacts/Ann Lee - 1.vcf".to_string(), card(1).into_bytes())).chain(
            (0..n).map(|i| {
                let mut body = vec![b' '; 1024 * 1024];
                body[..8].copy_from_slice(format!("{i:08}").as_bytes());
                (format!("Stored documents/Ann Lee/{i}.txt"), body)
            }),
        ),
        true,
    );
    // An export of the most files accepted (100,000), tiny ones, stored.
    let p = add(
        "export: 99,999 files (most accepted)",
        "export",
        "many-files.zip",
    );
    let n = if full() { 99_999 } else { 2_000 };
    let cards = n / 20;
    zip_file(
        &p,
        (0..cards)
            .map(|i| {
                (
                    format!("Contacts/Ann Lee{i} - {i}.vcf"),
                    card(i).into_bytes(),
                )
            })
            .chain((0..n - cards).map(|i| {
                let who = i % cards.max(1);
                (
                    format!("Medical Records/Ann Lee{who}/Progress Note 2024-01-02 100000 {i}.pdf"),
                    b"%PDF-1.4\n%note\n".to_vec(),
                )
            })),
        false,
    );
    // An .xlsx: a sheet of 200 columns x 9,999 rows (the cell cap), and one shared
    // string of 60 KB named by every cell (the text cap).
    let p = add(
        "xlsx: 200 columns x 9,999 rows (widest accepted)",
        "list",
        "wide.xlsx",
    );
    let rows = if full() { 9_999 } else { 200 };
    xlsx_file(&p, rows, None);
    let p = add(
        "xlsx: one 60 KB shared string in 20,000 cells",
        "list",
        "shared.xlsx",
    );
    xlsx_file(&p, 100, Some(&"s".repeat(60 * 1024)));
    cases
}

fn column_name(c: usize) -> String {
    let mut n = c + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

/// A workbook of `rows` data rows under a header of 200 columns, written part by part
/// (a writer that keeps every cell would not fit): inline strings, or every data cell
/// naming the one shared string.
fn xlsx_file(path: &Path, rows: usize, shared: Option<&str>) {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PKG: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const CONTENT_TYPES: &str = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
        "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
        "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
        "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
        "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
        "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>",
        "</Types>"
    );
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let parts = [
        ("[Content_Types].xml".to_string(), CONTENT_TYPES.to_string()),
        ("_rels/.rels".to_string(), format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{PKG}\"><Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
        )),
        ("xl/workbook.xml".to_string(), format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{MAIN}\" xmlns:r=\"{REL}\"><sheets><sheet name=\"Clients\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
        )),
        ("xl/_rels/workbook.xml.rels".to_string(), format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{PKG}\"><Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{REL}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>"
        )),
        ("xl/sharedStrings.xml".to_string(), format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"{MAIN}\" count=\"1\" uniqueCount=\"1\"><si><t>{}</t></si></sst>",
            shared.unwrap_or("x")
        )),
    ];
    for (name, body) in parts {
        w.start_file(name, options).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let cols = limits::MAX_COLUMNS;
    write!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{MAIN}\"><sheetData>"
    )
    .unwrap();
    let inline = |w: &mut zip::ZipWriter<std::fs::File>, r: usize, c: usize, text: &str| {
        write!(
            w,
            "<c r=\"{}{}\" t=\"inlineStr\"><is><t>{text}</t></is></c>",
            column_name(c),
            r + 1
        )
        .unwrap();
    };
    write!(w, "<row r=\"1\">").unwrap();
    for (c, name) in ["First Name", "Last Name", "Email"].iter().enumerate() {
        inline(&mut w, 0, c, name);
    }
    for c in 3..cols {
        inline(&mut w, 0, c, &format!("c{c}"));
    }
    write!(w, "</row>").unwrap();
    for r in 1..=rows {
        write!(w, "<row r=\"{}\">", r + 1).unwrap();
        for c in 0..cols {
            match shared {
                Some(_) => write!(
                    w,
                    "<c r=\"{}{}\" t=\"s\"><v>0</v></c>",
                    column_name(c),
                    r + 1
                )
                .unwrap(),
                None => inline(&mut w, r, c, &format!("v{}", (r * 7 + c) % 100_000)),
            }
        }
        write!(w, "</row>").unwrap();
    }
    write!(w, "</sheetData></worksheet>").unwrap();
    w.finish().unwrap();
}

fn main() {
    caseload::allocator::configure();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("measure") {
        measure(&args[2], &args[3]);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let cases = build_cases(dir.path());
    println!(
        "built {} cases in {:.0} s (lists of {:.0} MB)\n",
        cases.len(),
        t.elapsed().as_secs_f64(),
        list_bytes() as f64 / 1e6
    );
    println!(
        "{:>8} {:>7} {:>6}  case → outcome",
        "peak MB", "file MB", "s"
    );
    let mut worst = (0.0f64, "");
    for (name, kind, path) in &cases {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["measure", kind, &path.to_string_lossy()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let mut parts = line.splitn(3, ' ');
        let peak: f64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(f64::NAN);
        let secs = parts.next().unwrap_or("");
        let outcome = parts.next().unwrap_or("");
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!("{peak:>8.0} {size:>7.1} {secs:>6}  {name} → {outcome}");
        if peak > worst.0 {
            worst = (peak, name);
        }
    }
    println!(
        "\nworst: {:.0} MB peak resident ({}); goal < {GOAL_MB:.0} MB {}",
        worst.0,
        worst.1,
        if worst.0 < GOAL_MB { "✓" } else { "✗" }
    );
    assert!(worst.0 < GOAL_MB, "over the memory goal");
}
