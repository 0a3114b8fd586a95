//! A SimplePractice export of 2,000 clients and 40,000 documents (about 1 GB): analysis
//! (the archive's directory and the cards, reviewed against the list) and the import of
//! every client with every document, next to `unzip -t` testing the same archive, with
//! the peak memory of the process doing them.
//!
//!   cargo bench --bench simplepractice                                # SQLite
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench simplepractice                              # PostgreSQL
//!
//! Needs the `unzip` program for the baseline (Debian: unzip).

mod support;

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use caseload::import::archive::ArchiveLimits;
use caseload::import_jobs;
use caseload::models::{import_batch, simplepractice_import};

/// (clients, documents per client, bytes per document) under `cargo bench`; a short smoke
/// pass of the same code under `cargo test --all-targets`.
fn size() -> (usize, usize, usize) {
    if std::env::args().any(|a| a == "--bench") {
        (2_000, 20, 26_000)
    } else {
        (20, 5, 2_000)
    }
}

/// Writes the export: a card per client, their documents across the export's folders.
/// Documents are stored (PDFs hardly compress), their bytes made up, so the archive is
/// as large as a real one.
fn write_export(path: &std::path::Path, clients: usize, per_client: usize, doc_bytes: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut body = vec![0u8; doc_bytes];
    for c in 0..clients {
        let (first, last) = (format!("Client{c}"), format!("Export{}", c % 97));
        zip.start_file(
            format!(
                "export/Contacts/{first} Q. {last} - {}.vcf",
                300_000_000 + c
            ),
            stored,
        )
        .unwrap();
        write!(
            zip,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first};;;\r\nFN:{first} {last}\r\nTEL;TYPE=mobile:(555) 555-{:04}\r\nEMAIL;TYPE=home:client{c}@export.example.com\r\nBDAY:19{:02}0{}1{}\r\nEND:VCARD\r\n",
            c % 10_000,
            40 + c % 60,
            1 + c % 9,
            c % 10
        )
        .unwrap();
        for d in 0..per_client {
            let name = match d % 5 {
                0 => format!("Medical Records/{first} {last}/Progress Note 2024-0{}-1{} 100000 {d}.pdf", 1 + d % 9, d % 10),
                1 => format!("Psychotherapy Notes/{first} {last}/Psychotherapy Note 2024-02-1{} 100000 {d}.pdf", d % 10),
                2 => format!("Billing Documents/{first} {last}/Invoices/INV {d}.pdf"),
                3 => format!("Administrative/{first} {last}/Administrative Note 2024-03-1{} 100000 {d}.pdf", d % 10),
                _ => format!("Stored documents/{first} {last}/{d}-scan {d}.pdf"),
            };
            zip.start_file(format!("export/{name}"), stored).unwrap();
            body[..8].copy_from_slice(b"%PDF-1.4");
            for b in body[8..].iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            zip.write_all(&body).unwrap();
        }
    }
    zip.finish().unwrap().flush().unwrap();
}

/// Child mode: analyse and import the export as the web flow does, in a fresh process,
/// and report the times and that process's peak memory.
fn measure(database_url: &str, batch_id: &str, data_dir: &str) {
    let (mut conn, batch, _) = support::open_batch(database_url, batch_id);
    let limits = ArchiveLimits::default();
    let url = caseload::db::DatabaseUrl::parse(database_url).unwrap();
    let uploads = import_jobs::UploadStore::new(&std::path::Path::new(data_dir).join("tmp"), &url);
    uploads.prepare().unwrap();
    import_batch::start_analysis(&mut conn, &batch, caseload::models::now()).unwrap();
    let t = Instant::now();
    let clock = caseload::clock::Clock::system();
    import_jobs::analyse_export_batch(&mut conn, &batch, &uploads, &limits, &clock).unwrap();
    println!(
        "  analysis (directory, cards, review, stored): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let review = import_batch::reload(&mut conn, &batch).unwrap();
    assert_eq!(review.status.as_str(), "ready");
    simplepractice_import::select_all_new(&mut conn, &batch).unwrap();
    let t = Instant::now();
    // As the web import does: the export opened where it is kept, in the database.
    let import_jobs::StoredExport::Opened(opened) =
        import_jobs::open_stored_export(&uploads, batch_id, &limits).unwrap()
    else {
        panic!("the stored export");
    };
    let upload_read = t.elapsed().as_secs_f64();
    let (mut zip, index) = *opened;
    let outcome = simplepractice_import::commit_export(
        &mut conn,
        &batch,
        &mut zip,
        &index,
        None,
        None,
        caseload::models::now(),
    )
    .unwrap();
    let import = t.elapsed().as_secs_f64();
    let t_log = Instant::now();
    caseload::db::checkpoint(&mut conn).unwrap();
    let written_back = t_log.elapsed().as_secs_f64();
    println!(
        "  import ({} clients, {} documents, one transaction): {import:.2} s",
        outcome.imported, outcome.documents
    );
    let t = outcome.timings;
    println!(
        "    opening the upload in the database (its directory and cards): {upload_read:.2} s"
    );
    println!(
        "    reading thread: decompression and CRC {:.2} s, SHA-256 {:.2} s",
        t.reading.decompressing.as_secs_f64(),
        t.reading.hashing.as_secs_f64()
    );
    println!(
        "    writing thread: database writes {:.2} s (the rest of the import, {:.2} s, is waiting for the reader, the clients and the commit)",
        t.writing.as_secs_f64(),
        import - upload_read - t.writing.as_secs_f64()
    );
    println!(
        "  then, on a thread of its own after the request: SQLite's log written back into the database file, {written_back:.2} s"
    );
    println!(
        "  peak memory of that process: {:.0} MB resident (VmHWM)",
        support::status_mb("VmHWM:")
    );
    println!("IMPORT_SECONDS {import}");
}

fn main() {
    caseload::allocator::configure();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("measure") {
        measure(&args[2], &args[3], &args[4]);
        return;
    }
    let (clients, per_client, doc_bytes) = size();
    let bench = support::BenchDb::create();
    let pool = bench.pool();
    let mut conn = pool.get().expect("connection");
    let p = support::create_provider(&mut conn);
    let batch = import_batch::create_export(
        &mut conn,
        &caseload::models::scope::Scope::of(&p),
        "export.zip",
        "web",
        caseload::models::now(),
    )
    .unwrap();
    let uploads = import_jobs::UploadStore::new(&bench.data_dir.path().join("tmp"), &bench.url);
    uploads.prepare().unwrap();
    let path = bench.data_dir.path().join("export.zip");
    let t = Instant::now();
    write_export(&path, clients, per_client, doc_bytes);
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "wrote an export of {clients} clients and {} documents: {:.0} MB in {:.1} s",
        clients * per_client,
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut file = std::fs::File::open(&path).unwrap();
    uploads.store(&mut conn, &batch.id, &mut file).unwrap();
    println!(
        "  kept in the database as an upload is: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    drop(conn);

    let t = Instant::now();
    let unzip = Command::new("unzip")
        .args(["-tqq"])
        .arg(&path)
        .status()
        .expect("unzip is installed");
    assert!(unzip.success());
    let unzip_t = t.elapsed().as_secs_f64();
    println!("  unzip -t of the same archive: {unzip_t:.2} s");

    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "measure",
            bench.url.connection_string(),
            &batch.id,
            &bench.data_dir.path().to_string_lossy(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut import_t = f64::NAN;
    for line in text.lines() {
        match line.strip_prefix("IMPORT_SECONDS ") {
            Some(v) => import_t = v.parse().unwrap_or(f64::NAN),
            None => println!("{line}"),
        }
    }
    println!("  import / unzip -t: {:.2}×", import_t / unzip_t);
}
