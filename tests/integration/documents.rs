use caseload::db::schema::{blobs, documents};
use diesel::prelude::*;
use reqwest::blocking::multipart::{Form, Part};
use sha2::{Digest, Sha256};

use crate::support::*;

pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

pub fn upload(
    s: &Session,
    client: &str,
    file_name: &str,
    bytes: &[u8],
    kind: &str,
) -> reqwest::blocking::Response {
    let page = format!("/clients/{client}/clinical/attachments");
    let token = s.csrf(&page);
    let form = Form::new()
        .text("csrf_token", token)
        .text("kind", kind.to_string())
        .text("document_date", "2026-03-14")
        .part(
            "file",
            Part::bytes(bytes.to_vec())
                .file_name(file_name.to_string())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    s.http
        .post(format!("{}{page}", s.base))
        .multipart(form)
        .send()
        .unwrap()
}

/// The ids of the documents listed on the client's Attachments tab.
pub fn document_ids(s: &Session, client: &str) -> Vec<String> {
    let (_, html) = s.get_text(&format!("/clients/{client}/clinical/attachments"));
    select_attr(&html, "table.documents td:first-child a", "href")
        .iter()
        .map(|h| h.rsplit('/').next().unwrap().to_string())
        .collect()
}

#[test]
fn a_pdf_is_uploaded_listed_and_downloaded_unchanged() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = upload(&s, &client, "Intake – Zoë.pdf", PDF, "consent_form");
    assert_eq!(r.status(), 303);
    let (_, html) = s.get_text(&format!("/clients/{client}/clinical/attachments"));
    assert_eq!(
        select_text(&html, ".notice"),
        ["\"Intake – Zoë.pdf\" was added to the client's attachments."]
    );
    let row = select_text(&html, "table.documents tbody td");
    assert_eq!(
        row[..4],
        [
            "Intake – Zoë.pdf",
            "Consent or intake form",
            "Mar 14, 2026",
            "77 bytes"
        ]
    );

    let ids = document_ids(&s, &client);
    let r = s.get(&format!("/clients/{client}/documents/{}", ids[0]));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("inline"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''Intake%20%E2%80%93%20Zo%C3%AB.pdf"),
        "{disposition}"
    );
    assert_eq!(r.bytes().unwrap().as_ref(), PDF);
    let r = s.get(&format!(
        "/clients/{client}/documents/{}?download=1",
        ids[0]
    ));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    // Stored once, in the database, under its SHA-256.
    let sha = hex::encode(Sha256::digest(PDF));
    let mut conn = app.conn();
    let (stored_sha, size): (String, i64) = blobs::table
        .select((blobs::sha256, blobs::size_bytes))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (stored_sha.as_str(), size),
        (sha.as_str(), PDF.len() as i64)
    );
    assert!(
        std::fs::read_dir(app.data_dir.path().join("tmp"))
            .unwrap()
            .next()
            .is_none(),
        "no upload is left behind on disk"
    );
}

#[test]
fn the_same_file_twice_is_kept_once_and_said_so() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    assert_eq!(
        upload(&s, &client, "plan.pdf", PDF, "treatment_plan").status(),
        303
    );
    let r = upload(&s, &client, "plan (copy).pdf", PDF, "treatment_plan");
    assert_eq!(r.status(), 422);
    assert!(select_text(&r.text().unwrap(), ".alert")[0]
        .contains("already attached to this client as \"plan.pdf\""));
    assert_eq!(
        documents::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        1
    );
    // Another client may hold the same file; the content is still stored once.
    let other = s.add_client("Grace", "Hopper", "grace@example.com", &[]);
    assert_eq!(
        upload(&s, &other, "plan.pdf", PDF, "treatment_plan").status(),
        303
    );
    assert_eq!(
        blobs::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        1
    );
}

#[test]
fn files_are_judged_by_content_not_name() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = upload(
        &s,
        &client,
        "notes.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
        "other",
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("save or print it as a PDF"));
    let r = upload(&s, &client, "empty.pdf", b"", "other");
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("The file is empty"));
    // A text file named .exe is still a text file, and its name is only a label.
    assert_eq!(
        upload(
            &s,
            &client,
            "../../etc/passwd",
            "Session summary — Zoë".as_bytes(),
            "other"
        )
        .status(),
        303
    );
    let (_, html) = s.get_text(&format!("/clients/{client}/clinical/attachments"));
    assert_eq!(
        select_text(&html, "table.documents tbody td:first-child"),
        ["passwd"]
    );
    let ids = document_ids(&s, &client);
    let r = s.get(&format!("/clients/{client}/documents/{}", ids[0]));
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        documents::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        1
    );
}

#[test]
fn a_file_over_the_limit_is_refused_with_the_limit_named() {
    let app = TestApp::spawn_with(|c| c.max_document_bytes = 1024);
    let s = app.signed_in();
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let mut big = PDF.to_vec();
    big.extend(std::iter::repeat_n(b' ', 200_000));
    let r = upload(&s, &client, "scan.pdf", &big, "other");
    assert_eq!(r.status(), 413);
    assert!(r.text().unwrap().contains("at most 1 KB"));
    assert_eq!(
        documents::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        0
    );
    // The server keeps serving.
    assert_eq!(s.get("/clients").status(), 200);
}

#[test]
fn a_document_that_would_pass_the_storage_limit_is_refused_and_settings_show_the_use() {
    let app = TestApp::spawn_with(|c| c.max_storage_bytes = Some(1024));
    let s = app.signed_in();
    let (_, settings) = s.get_text("/settings/imports");
    assert_eq!(
        select_text(&settings, "[data-storage] strong"),
        ["0 bytes of 1 KB (0%)"]
    );
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = upload(&s, &client, "intake.pdf", PDF, "other");
    assert_eq!(r.status(), 303);
    let (_, settings) = s.get_text("/settings/imports");
    let used = PDF.len();
    assert_eq!(
        select_text(&settings, "[data-storage] strong"),
        [format!("{used} bytes of 1 KB ({}%)", used * 100 / 1024)]
    );
    assert!(settings.contains("(the limit this server sets)"));

    // Under the 25 MB a file may be, but past what the practice may still keep.
    let mut scan = PDF.to_vec();
    scan.extend(std::iter::repeat_n(b' ', 1000));
    let r = upload(&s, &client, "scan.pdf", &scan, "other");
    let page = r.text().unwrap();
    assert!(
        page.contains(&format!(
            "This file is 1.1 KB, which would pass the storage this server allows your practice: its documents take {used} bytes of 1 KB ({}%). Nothing was uploaded. Ask whoever runs this Caseload server to raise its storage limit (CASELOAD_MAX_STORAGE).",
            used * 100 / 1024
        )),
        "{page}"
    );
    let kept: i64 = documents::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(kept, 1, "nothing of the refused file is kept");
    let blob: i64 = blobs::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(blob, 1);
}

#[test]
fn with_no_storage_limit_settings_say_so() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    assert_eq!(
        upload(&s, &client, "intake.pdf", PDF, "other").status(),
        303
    );
    let (_, settings) = s.get_text("/settings/imports");
    assert_eq!(
        select_text(&settings, "[data-storage] strong"),
        [format!("{} bytes", PDF.len())]
    );
    assert!(settings.contains("this server sets no limit"));
}
