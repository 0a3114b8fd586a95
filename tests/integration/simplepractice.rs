//! Importing a SimplePractice export through the web and the command line: synthetic
//! exports with the real layout (../shared/FORMATS.md), reviewed and imported with their
//! documents; bad archives refused with a clear message.

use std::io::Write;

use caseload::db::schema::{audit_events, clients, documents, outbox_emails};
use diesel::prelude::*;
use reqwest::blocking::multipart::{Form, Part};

use crate::imports::analysed;
use crate::support::*;

fn card(n: &str, fn_: &str, extra: &str, crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    format!("BEGIN:VCARD{eol}VERSION:3.0{eol}N:{n}{eol}FN:{fn_}{eol}{extra}END:VCARD{eol}")
        .replace("\\n", eol)
        .into_bytes()
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n").into_bytes()
}

/// A synthetic export: a wrapping folder, Mac noise, an existing client (middle initial
/// only in the file name), a new one, two namesakes sharing a folder, a contact-only card,
/// a client whose email is on the list under another name.
pub fn export_files() -> Vec<(String, Vec<u8>)> {
    let root = "SimplePractice export 2026-11-30";
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "Contacts/Ada Q. Lovelace - 200000001.vcf".into(),
            card(
                "Lovelace;Ada;;;",
                "Ada Lovelace",
                "ADR;TYPE=home:;;1 Main St;Springfield;IL;62701;US\\nTEL;TYPE=mobile:(555) 555-0102\\nEMAIL;TYPE=home:ada@example.com\\nBDAY:19851210\\n",
                true,
            ),
        ),
        (
            "Contacts/Nia Okafor - 200000002.vcf".into(),
            card(
                "Okafor;Nia;;;",
                "Nia Okafor",
                "EMAIL;TYPE=work:nia@example.com\\nBDAY:19900304\\n",
                false,
            ),
        ),
        (
            "Contacts/Ann Lee - 200000003.vcf".into(),
            card("Lee;Ann;;;", "Ann Lee", "EMAIL;TYPE=home:ann.lee@example.com\\n", true),
        ),
        (
            "Contacts/Ann Lee - 200000004.vcf".into(),
            card("Lee;Ann;;;", "Ann Lee", "EMAIL;TYPE=home:ann.b.lee@example.com\\n", true),
        ),
        (
            "Contacts/Zoë Núñez - 200000005.vcf".into(),
            card("Núñez;Zoë;;;", "Zoë Núñez", "TEL;TYPE=mobile:5555550109\\n", false),
        ),
        (
            "Contacts/Gregory Hopper - 200000006.vcf".into(),
            card(
                "Hopper;Gregory;;;",
                "Gregory Hopper",
                "EMAIL;TYPE=home:family@example.com\\n",
                true,
            ),
        ),
        (
            "Medical Records/Ada Lovelace/Progress Note 2024-01-02 100000 11.pdf".into(),
            pdf("ada progress"),
        ),
        (
            "Medical Records/Ada Lovelace/Questionnaire - GAD - 1234.pdf".into(),
            pdf("ada gad"),
        ),
        (
            "Psychotherapy Notes/Ada Lovelace/Psychotherapy Note 2024-01-09 090000 12.pdf"
                .into(),
            pdf("ada psychotherapy"),
        ),
        (
            "Billing Documents/Ada Lovelace/Invoices/INV 1.pdf".into(),
            pdf("ada invoice"),
        ),
        (
            "Stored documents/Ada Lovelace/3-Intake form.pdf".into(),
            pdf("ada intake"),
        ),
        (
            "Secure messages/Elena-Rivera-Ada-Q.-Lovelace.txt".into(),
            b"----- January 2, 2024 -----\nAda Lovelace [9:15 am (ET)]\nSee you Tuesday.\n".to_vec(),
        ),
        (
            "Medical Records/Nia Okafor/Chart Note 2023-05-06 120000 13.pdf".into(),
            pdf("nia chart"),
        ),
        (
            "Medical Records/Ann Lee/Progress Note 2023-07-01 100000 14.pdf".into(),
            pdf("ann progress"),
        ),
        (
            "Administrative/Gregory Hopper/Administrative Note 2024-02-02 100000 15.pdf".into(),
            pdf("gregory admin"),
        ),
        (".DS_Store".into(), b"\0\0\0\x01Bud1".to_vec()),
    ];
    for (path, _) in &mut files {
        *path = format!("{root}/{path}");
    }
    files.push((
        format!("__MACOSX/{root}/Contacts/._Ada Q. Lovelace - 200000001.vcf"),
        b"\0\x05\x16\x07".to_vec(),
    ));
    files
}

pub fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub(crate) fn upload_export(s: &Session, name: &str, bytes: Vec<u8>) -> String {
    let token = s.csrf("/clients/import/simplepractice");
    let form = Form::new()
        .text("csrf_token", token)
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    let r = s
        .http
        .post(format!("{}/clients/import/simplepractice", s.base))
        .multipart(form)
        .send()
        .expect("upload");
    assert_eq!(r.status().as_u16(), 303, "upload {name}");
    location(&r)
}

/// (display name, status, checked) of each row of the review.
fn review_rows(html: &str) -> Vec<(String, String, bool)> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse("table.import-rows tbody tr").unwrap();
    let name = scraper::Selector::parse("td:nth-child(3)").unwrap();
    let check = scraper::Selector::parse("input[name=select]").unwrap();
    doc.select(&row)
        .map(|tr| {
            (
                tr.select(&name)
                    .next()
                    .map(|n| n.text().collect::<String>().trim().to_string())
                    .unwrap_or_default(),
                tr.value().attr("data-status").unwrap_or("").to_string(),
                tr.select(&check)
                    .next()
                    .is_some_and(|c| c.value().attr("checked").is_some()),
            )
        })
        .collect()
}

fn position_by_name(html: &str, display: &str, nth: usize) -> String {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse("table.import-rows tbody tr").unwrap();
    let name = scraper::Selector::parse("td:nth-child(3)").unwrap();
    let pos = scraper::Selector::parse("input[name=row]").unwrap();
    doc.select(&row)
        .filter(|tr| {
            tr.select(&name)
                .next()
                .is_some_and(|n| n.text().collect::<String>().trim() == display)
        })
        .nth(nth)
        .and_then(|tr| tr.select(&pos).next())
        .and_then(|p| p.value().attr("value"))
        .expect("the row")
        .to_string()
}

fn client_count(app: &TestApp) -> i64 {
    clients::table.count().get_result(&mut app.conn()).unwrap()
}

fn document_count(app: &TestApp) -> i64 {
    documents::table
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[test]
fn an_export_is_reviewed_and_imported_with_every_document() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    s.add_client("Grace", "Hopper", "family@example.com", &[]);
    let (_, imports) = s.get_text("/settings/imports");
    assert!(imports.contains("href=\"/clients/import/simplepractice\""));
    let (_, page) = s.get_text("/clients/import/simplepractice");
    assert!(page.contains("Settings &gt; Data Export") && page.contains("require a password"));

    let batch = upload_export(&s, "export.zip", zip_of(&export_files()));
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        review_rows(&html),
        [
            ("Ada Q. Lovelace".to_string(), "existing".to_string(), true),
            ("Nia Okafor".into(), "new".into(), false),
            ("Ann Lee".into(), "needs_review".into(), false),
            ("Ann Lee".into(), "needs_review".into(), false),
            ("Zoë Núñez".into(), "invalid".into(), false),
            ("Gregory Hopper".into(), "needs_review".into(), false),
        ]
    );
    assert!(
        html.contains("Progress note: 1")
            && html.contains("Questionnaire (GAD) (no date in the export): 1"),
        "{html}"
    );
    assert!(html.contains("also called Ann Lee"));
    assert!(html.contains("perhaps a guardian or an emergency contact"));
    assert!(html.contains("belongs to your client Grace Hopper"));
    assert!(
        select_attr(&html, "datalist#clients option", "value")
            .contains(&"Grace Hopper <family@example.com>".to_string()),
        "the list to match by hand"
    );

    // Select all new clients, give the first Ann Lee the folder and import her as new,
    // and match Gregory Hopper by hand to Grace (a shared family inbox, the same client).
    let token = csrf_in(&html);
    let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), token.clone())];
    for pos in 1..=6 {
        fields.push(("row".into(), pos.to_string()));
        fields.push(("docs".into(), pos.to_string()));
    }
    fields.retain(|(k, v)| !(k == "docs" && (*v == "4")));
    fields.push(("select".into(), "1".into()));
    fields.push(("select".into(), "3".into()));
    let gregory = position_by_name(&html, "Gregory Hopper", 0);
    fields.push((format!("choice-{gregory}"), "link".into()));
    fields.push((
        format!("match-{gregory}"),
        "Grace Hopper <family@example.com>".into(),
    ));
    fields.push(("action".into(), "select-new".into()));
    let post = |fields: &[(String, String)]| {
        s.http
            .post(format!("{}{batch}/review", s.base))
            .form(fields)
            .send()
            .unwrap()
    };
    assert_eq!(post(&fields).status().as_u16(), 303);
    let (_, html) = s.get_text(&batch);
    let rows = review_rows(&html);
    assert!(rows[1].2, "Select all new clients checked Nia: {rows:?}");
    assert_eq!(
        select_attr(&html, &format!("input[name=match-{gregory}]"), "value"),
        ["Grace Hopper <family@example.com>"]
    );

    let mut import = fields.clone();
    import.retain(|(k, _)| k != "action");
    import.push(("select".into(), position_by_name(&html, "Nia Okafor", 0)));
    import.push(("action".into(), "import".into()));
    let r = post(&import);
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["2"], "{done}");
    assert_eq!(
        select_text(&done, "[data-count=clients-with-documents]"),
        ["2"]
    );
    assert_eq!(select_text(&done, "[data-count=documents]"), ["9"]);
    assert!(done.contains("Go to client list"));

    // Ada's attachments: every kind, dated from the file name, psychotherapy notes apart.
    let (_, att) = s.get_text(&format!("/clients/{ada}/clinical/attachments"));
    for expected in [
        "Progress note",
        "Questionnaire (GAD)",
        "Invoice",
        "Stored document",
        "Intake form.pdf",
        "Secure messages",
        "Jan 2, 2024",
    ] {
        assert!(att.contains(expected), "{expected}: {att}");
    }
    let apart = select_text(&att, "section.apart td:first-child");
    assert_eq!(
        apart,
        ["Psychotherapy Note 2024-01-09 090000 12.pdf"],
        "psychotherapy notes are kept apart"
    );
    let doc_link = select_attr(&att, "section.apart a[href*='/documents/']", "href");
    let r = s.get(&doc_link[0]);
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().unwrap().starts_with(b"%PDF"));
    let viewed: i64 = audit_events::table
        .filter(audit_events::action.eq("document.viewed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(viewed, 1, "each view is audited");

    // New clients: billing info needed, and the welcome email for the import's clients.
    let (_, list) = s.get_text("/clients?q=okafor");
    assert!(list.contains("Billing info needed"));
    let r = s.submit(&batch, &format!("{batch}/welcome"), &[]);
    assert_eq!(r.status().as_u16(), 303);
    let welcomes: Vec<String> = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .select(outbox_emails::subject)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(welcomes.len(), 2);
    assert!(welcomes[0].contains("has moved"), "{welcomes:?}");

    // The same export again adds no document twice.
    let docs_before = document_count(&app);
    let again = upload_export(&s, "export.zip", zip_of(&export_files()));
    let html = analysed(&app, &s, &again);
    let rows = review_rows(&html);
    assert_eq!(rows[0].1, "existing");
    assert_eq!(rows[1].1, "existing", "Nia is a client now");
    let r = s.post_raw(
        &format!("{again}/review"),
        &csrf_in(&html),
        &[
            ("row", "1"),
            ("select", "1"),
            ("docs", "1"),
            ("row", "2"),
            ("select", "2"),
            ("docs", "2"),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    let (_, done) = s.get_text(&again);
    assert_eq!(select_text(&done, "[data-count=documents]"), ["0"]);
    assert_eq!(document_count(&app), docs_before);
    assert_eq!(client_count(&app), 4);
}

#[test]
fn a_reupload_keeps_the_choices_made_for_unchanged_clients() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload_export(&s, "export.zip", zip_of(&export_files()));
    let html = analysed(&app, &s, &batch);
    let nia = position_by_name(&html, "Nia Okafor", 0);
    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&html),
        &[
            ("row", &nia),
            ("select", &nia),
            ("docs", &nia),
            ("action", "save"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    // Zoë's email fixed in SimplePractice, exported again.
    let mut files = export_files();
    for (path, body) in &mut files {
        if path.ends_with("Zoë Núñez - 200000005.vcf") {
            *body = card(
                "Núñez;Zoë;;;",
                "Zoë Núñez",
                "EMAIL;TYPE=home:zoe@example.com\\n",
                false,
            );
        }
    }
    let again = upload_export(&s, "export.zip", zip_of(&files));
    let html = analysed(&app, &s, &again);
    let rows = review_rows(&html);
    assert_eq!(rows[1], ("Nia Okafor".into(), "new".into(), true), "kept");
    assert_eq!(rows[4].1, "new", "Zoë has an email now");
    assert_eq!(
        s.get(&batch).status().as_u16(),
        404,
        "the older review was replaced"
    );
}

#[test]
fn the_unzipped_folder_can_be_uploaded_instead() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let token = s.csrf("/clients/import/simplepractice");
    let mut form = Form::new().text("csrf_token", token);
    for (path, body) in export_files() {
        if path.starts_with("__MACOSX") {
            continue;
        }
        form = form.part("files", Part::bytes(body).file_name(path));
    }
    let r = s
        .http
        .post(format!("{}/clients/import/simplepractice/folder", s.base))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let html = analysed(&app, &s, &location(&r));
    assert_eq!(review_rows(&html).len(), 6, "{html}");
    assert!(html.contains("SimplePractice export 2026-11-30"));
}

/// Sets the "encrypted" flag of every entry, as a password-protected export has it.
fn mark_encrypted(mut zip: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    while i + 10 < zip.len() {
        if zip[i..i + 4] == [0x50, 0x4b, 0x03, 0x04] {
            zip[i + 6] |= 1;
        } else if zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            zip[i + 8] |= 1;
        }
        i += 1;
    }
    zip
}

#[test]
fn bad_archives_say_what_is_wrong_and_write_nothing() {
    let app = TestApp::spawn_with(|c| c.export_limits.max_entries = 40);
    let s = app.signed_in();
    let good = zip_of(&export_files());
    let many: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| {
            (
                format!("Contacts/P{i} - {i}.vcf"),
                b"BEGIN:VCARD\nEND:VCARD\n".to_vec(),
            )
        })
        .collect();
    let bomb = zip_of(&[
        (
            "Contacts/A - 1.vcf".into(),
            card("A;B;;;", "B A", "", false),
        ),
        (
            "Stored documents/B A/1-big.txt".into(),
            vec![b'a'; 20 * 1024 * 1024],
        ),
    ]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "notes.pdf",
            b"%PDF-1.4 not a zip".to_vec(),
            "This is a PDF document, not a SimplePractice export",
        ),
        (
            "cut.zip",
            good[..good.len() / 2].to_vec(),
            "damaged or incomplete",
        ),
        (
            "locked.zip",
            mark_encrypted(good.clone()),
            "password-protected",
        ),
        (
            "photos.zip",
            zip_of(&[("Photos/a.jpg".into(), b"\xff\xd8".to_vec())]),
            "does not look like a SimplePractice export",
        ),
        (
            "evil.zip",
            zip_of(&[("../../etc/cron.d/x".into(), b"x".to_vec())]),
            "points outside the archive",
        ),
        ("many.zip", zip_of(&many), "more than the 40"),
        ("bomb.zip", bomb, "compressed more than"),
    ];
    for (name, bytes, expected) in cases {
        let batch = upload_export(&s, name, bytes);
        let html = analysed(&app, &s, &batch);
        assert!(html.contains(expected), "{name}: {html}");
        assert!(html.contains("Nothing was added"), "{name}");
    }
    assert_eq!(client_count(&app), 0);
    assert_eq!(document_count(&app), 0);
    // On the client-list page, a full export points to this import.
    let batch = crate::imports::upload(&s, "export.zip", good);
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("Import a SimplePractice export"), "{html}");
}

#[test]
fn the_command_line_imports_an_export_the_same_way() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let file = app.data_dir.path().join("export.zip");
    std::fs::write(&file, zip_of(&export_files())).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_caseload"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CASELOAD_DATA_DIR", app.data_dir.path())
            .env("DATABASE_URL", app.config.database_url.connection_string())
            .env("RUST_LOG", "warn")
            .current_dir(app.data_dir.path())
            .arg("import")
            .arg(&file)
            .args(["--provider", "dr.rivera@example.com"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--dry-run", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["format"], "simplepractice_zip");
    let ada = &report["clients"][0];
    assert_eq!(ada["status"], "existing");
    assert_eq!(ada["selected"], true);
    assert_eq!(ada["documents"]["Progress note"], 1);
    assert_eq!(ada["date_of_birth"], "1985-12-10");
    assert_eq!(ada["source"], "Contacts/Ada Q. Lovelace - 200000001.vcf");
    assert_eq!(report["clients"][1]["status"], "new");
    assert_eq!(report["clients"][1]["selected"], false);

    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("Imported 0 new clients; 1 existing client got documents; 6 documents"));
    assert_eq!(client_count(&app), 1, "new clients need --include-new");
    let out = run(&["--include-new"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Imported 2 new clients"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        client_count(&app),
        3,
        "Nia, and Gregory (no Grace on this list)"
    );
}

#[test]
fn an_export_of_many_small_files_that_unpacks_far_past_its_size_is_refused() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // The shape, smaller: files of 1 MiB each (none over the per-file ratio
    // check's 1 MiB), each distinct, each compressing to almost nothing.
    let mut files = vec![(
        "Contacts/Ada Lovelace - 200000001.vcf".to_string(),
        card(
            "Lovelace;Ada;;;",
            "Ada Lovelace",
            "EMAIL:ada@example.com\\n",
            true,
        ),
    )];
    for i in 0..40 {
        let mut body = vec![b' '; 1024 * 1024];
        body[..8].copy_from_slice(format!("{i:08}").as_bytes());
        files.push((format!("Stored documents/Ada Lovelace/{i}.txt"), body));
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in &files {
        w.start_file(name.as_str(), deflated).unwrap();
        w.write_all(body).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    assert!(bytes.len() < 200 * 1024, "{} bytes", bytes.len());
    let batch = upload_export(&s, "small-files.zip", bytes);
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("times its own size; Caseload accepts at most 200 times"),
        "{html}"
    );
    assert!(html.contains("Nothing was added"), "{html}");
    assert_eq!(document_count(&app), 0);
}

#[test]
fn a_card_cut_off_before_end_vcard_is_named_in_the_export_review() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let mut files = export_files();
    files.push((
        "Contacts/Cut Short - 200000099.vcf".into(),
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Short;Cut;;;\r\nFN:Cut Short\r\nEMAIL:cut@example.com\r\n"
            .to_vec(),
    ));
    let batch = upload_export(&s, "export.zip", zip_of(&files));
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("1 card of the export could not be read"),
        "{html}"
    );
    assert!(html.contains("Contacts/Cut Short - 200000099.vcf"));
    assert!(
        !review_rows(&html)
            .iter()
            .any(|(name, _, _)| name == "Cut Short"),
        "half a card is not offered as a client"
    );
}

#[test]
fn a_card_with_no_email_is_offered_as_the_client_with_its_name_and_phone() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client(
        "Maria",
        "Lopez",
        "maria@example.com",
        &[("phone", "(415) 555-0103")],
    );
    let root = "SimplePractice export 2026-11-30";
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{root}/Contacts/Maria Lopez - 300000001.vcf"),
            card(
                "Lopez;Maria;;;",
                "Maria Lopez",
                "TEL;TYPE=mobile:415-555-0103\\n",
                false,
            ),
        ),
        (
            format!("{root}/Medical Records/Maria Lopez/Progress Note 2024-01-02 100000 11.pdf"),
            pdf("maria progress"),
        ),
    ];
    let batch = upload_export(&s, "export.zip", zip_of(&files));
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        review_rows(&html),
        [("Maria Lopez".to_string(), "needs_review".to_string(), false)]
    );
    assert!(
        html.contains(
            "No email on the card — your client Maria Lopez has the same name and phone."
        ),
        "{html}"
    );
    assert!(html.contains("For: same name, same phone."), "{html}");
}

/// The export with every client's files in a folder of their own, the record folders
/// inside it ("Clients/Ada Lovelace/Medical Records/…"), and files no card claims.
fn export_in_client_folders() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> =
        vec![
        (
            "Contacts/Ada Q. Lovelace - 200000001.vcf".into(),
            card(
                "Lovelace;Ada;;;",
                "Ada Lovelace",
                "EMAIL;TYPE=home:ada@example.com\\n",
                true,
            ),
        ),
        (
            "Contacts/Nia Okafor - 200000002.vcf".into(),
            card("Okafor;Nia;;;", "Nia Okafor", "EMAIL:nia@example.com\\n", false),
        ),
        (
            "Clients/Ada Lovelace/Medical Records/Progress Note 2024-01-02 100000 11.pdf".into(),
            pdf("ada progress"),
        ),
        (
            "Clients/Ada Lovelace/Psychotherapy Notes/Psychotherapy Note 2024-01-09 090000 12.pdf"
                .into(),
            pdf("ada psychotherapy"),
        ),
        (
            "Clients/Ada Lovelace/Billing Documents/Invoices/INV 1.pdf".into(),
            pdf("ada invoice"),
        ),
        (
            "Clients/Nia Okafor - 200000002/Stored documents/1-Consent.pdf".into(),
            pdf("nia consent"),
        ),
    ];
    for i in 0..12 {
        files.push((
            format!(
                "Clients/Former Client {i}/Medical Records/Chart Note 2022-01-0{} 1 {i}.pdf",
                1 + i % 9
            ),
            pdf(&format!("former {i}")),
        ));
    }
    files
}

#[test]
fn an_export_with_a_folder_per_client_imports_their_documents_and_lists_what_no_card_claims() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let batch = upload_export(&s, "export.zip", zip_of(&export_in_client_folders()));
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        review_rows(&html),
        [
            ("Ada Q. Lovelace".to_string(), "existing".to_string(), true),
            ("Nia Okafor".into(), "new".into(), false),
        ]
    );
    assert!(html.contains("Progress note: 1") && html.contains("Psychotherapy note: 1"));
    assert!(
        html.contains("Stored document (no date in the export): 1"),
        "{html}"
    );
    assert!(!html.contains("No records anywhere"), "{html}");
    // At the top, before the rows: the count and every path, in a <details> when long.
    let callout = select_text(&html, "[data-unclaimed] strong");
    assert_eq!(callout, ["12 files of the export belong to no client card"]);
    let paths = select_text(&html, "[data-unclaimed] details li");
    assert_eq!(paths.len(), 12);
    assert!(
        paths.contains(
            &"Clients/Former Client 3/Medical Records/Chart Note 2022-01-04 1 3.pdf".to_string()
        ),
        "{paths:?}"
    );
    assert!(html.find("data-unclaimed") < html.find("table class=\"import-rows"));

    let mut fields = vec![
        ("csrf_token".to_string(), csrf_in(&html)),
        ("row".into(), "1".into()),
        ("row".into(), "2".into()),
        ("docs".into(), "1".into()),
        ("docs".into(), "2".into()),
        ("select".into(), "1".into()),
        ("select".into(), "2".into()),
    ];
    fields.push(("action".into(), "import".into()));
    let r = s
        .http
        .post(format!("{}{batch}/review", s.base))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, done) = s.get_text(&batch);
    assert_eq!(
        select_text(&done, "[data-count=documents]"),
        ["4"],
        "{done}"
    );
    let (_, att) = s.get_text(&format!("/clients/{ada}/clinical/attachments"));
    assert_eq!(
        select_text(&att, "section.apart td:first-child"),
        ["Psychotherapy Note 2024-01-09 090000 12.pdf"]
    );
    assert!(att.contains("Jan 2, 2024"), "{att}");
    // The invoice's name carries no date: it says so, not the day of the import.
    let invoice_date: Vec<String> = {
        let doc = scraper::Html::parse_document(&att);
        let tr = scraper::Selector::parse("table.documents tbody tr").unwrap();
        let td = scraper::Selector::parse("td").unwrap();
        doc.select(&tr)
            .filter(|r| r.text().collect::<String>().contains("INV 1.pdf"))
            .filter_map(|r| r.select(&td).nth(2))
            .map(|d| d.text().collect::<String>().trim().to_string())
            .collect()
    };
    assert_eq!(invoice_date, ["no date in the export"]);
    let nia: i64 = documents::table
        .inner_join(clients::table.on(clients::id.eq(documents::client_id)))
        .filter(clients::first_name.eq("Nia"))
        .filter(documents::document_date.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(
        nia, 1,
        "Nia's consent form, from the folder named with her card's id"
    );
}

#[test]
fn an_existing_client_is_ticked_even_when_the_export_holds_no_documents_for_them() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            "Contacts/Ada Lovelace - 1.vcf".into(),
            card(
                "Lovelace;Ada;;;",
                "Ada Lovelace",
                "EMAIL:ada@example.com\\n",
                true,
            ),
        ),
        (
            "Contacts/Nia Okafor - 2.vcf".into(),
            card(
                "Okafor;Nia;;;",
                "Nia Okafor",
                "EMAIL:nia@example.com\\n",
                true,
            ),
        ),
        (
            "Medical Records/Nia Okafor/Chart Note 2023-05-06 120000 13.pdf".into(),
            pdf("nia chart"),
        ),
    ];
    let batch = upload_export(&s, "export.zip", zip_of(&files));
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        review_rows(&html),
        [
            ("Ada Lovelace".to_string(), "existing".to_string(), true),
            ("Nia Okafor".into(), "new".into(), false),
        ]
    );
    assert!(!html.contains("data-unclaimed"));
}

#[test]
fn a_client_list_on_the_export_page_is_sent_to_import_from_a_file() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "First Name").unwrap();
    sheet.write(0, 1, "Last Name").unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "clients.csv",
            b"First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n".to_vec(),
            "This is a CSV or text file: a client list, not a SimplePractice export",
        ),
        (
            "clients.xlsx",
            book.save_to_buffer().unwrap(),
            "This is an Excel workbook (.xlsx): a client list",
        ),
        (
            "ada.vcf",
            card("Lovelace;Ada;;;", "Ada Lovelace", "", true),
            "This is a file of contact cards (.vcf): a client list",
        ),
    ];
    for (name, bytes, expected) in cases {
        let batch = upload_export(&s, name, bytes);
        let html = analysed(&app, &s, &batch);
        assert!(html.contains(expected), "{name}: {html}");
        assert!(html.contains("Import from a file"), "{name}: {html}");
        assert_eq!(
            select_attr(&html, "main a[href='/clients/import']", "href").len(),
            1,
            "{name}: a link to Import from a file"
        );
    }
    assert_eq!(client_count(&app), 0);
}

#[test]
fn an_export_that_would_pass_the_storage_limit_is_refused_and_writes_nothing() {
    let files = export_in_client_folders();
    let size_of = |who: &str| -> usize {
        files
            .iter()
            .filter(|(p, _)| p.starts_with(&format!("Clients/{who}")))
            .map(|(_, b)| b.len())
            .sum()
    };
    let (ada_docs, nia_docs) = (size_of("Ada Lovelace/"), size_of("Nia Okafor"));
    let on_file = crate::documents::PDF.len();
    // Room for one of Ada's three documents, not for all.
    let limit = on_file + 30;
    let app = TestApp::spawn_with(|c| c.max_storage_bytes = Some(limit as u64));
    let s = app.signed_in();
    let ada = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = crate::documents::upload(&s, &ada, "intake.pdf", crate::documents::PDF, "other");
    assert_eq!(r.status().as_u16(), 303);
    let batch = upload_export(&s, "export.zip", zip_of(&files));
    let html = analysed(&app, &s, &batch);
    let import = |html: &str, rows: &[&str]| {
        let mut fields = vec![
            ("csrf_token".to_string(), csrf_in(html)),
            ("row".into(), "1".into()),
            ("row".into(), "2".into()),
            ("docs".into(), "1".into()),
            ("docs".into(), "2".into()),
            ("action".into(), "import".into()),
        ];
        fields.extend(rows.iter().map(|r| ("select".to_string(), r.to_string())));
        s.http
            .post(format!("{}{batch}/review", s.base))
            .form(&fields)
            .send()
            .unwrap()
    };
    let refusal = |adds: usize| {
        format!(
            "The documents of this import come to {adds} bytes, which would pass the storage this server allows your practice: its documents take {on_file} bytes of {limit} bytes ({}%). Nothing was imported. Ask whoever runs this Caseload server to raise its storage limit (CASELOAD_MAX_STORAGE).",
            on_file * 100 / limit
        )
    };
    // Ada's documents alone (she is a client already): stopped as they are written.
    let r = import(&html, &["1"]);
    assert_eq!(r.status().as_u16(), 409);
    let page = r.text().unwrap();
    assert_eq!(select_text(&page, "div.alert"), [refusal(ada_docs)]);
    // With Nia's too, the same.
    let r = import(&page, &["1", "2"]);
    assert_eq!(r.status().as_u16(), 409);
    let page = r.text().unwrap();
    assert_eq!(
        select_text(&page, "div.alert"),
        [refusal(ada_docs + nia_docs)]
    );
    assert_eq!(client_count(&app), 1, "Nia was not added");
    assert_eq!(document_count(&app), 1, "no document was added");
    let (_, review) = s.get_text(&batch);
    assert!(review.contains("Import"), "still under review: {review}");
}
