//! Importing a client list through the web: upload, analysis in the worker pool, picking
//! columns, review with corrections and matches, import, confirmation, history.

use std::io::Write;

use caseload::db::schema::{audit_events, clients, import_batches, import_rows, outbox_emails};
use diesel::prelude::*;
use reqwest::blocking::multipart::{Form, Part};

use crate::support::*;

/// Uploads a file as the upload page would; returns the batch page's path.
pub fn upload(s: &Session, name: &str, bytes: Vec<u8>) -> String {
    let token = s.csrf("/clients/import");
    let form = Form::new()
        .text("csrf_token", token)
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    let r = s
        .http
        .post(format!("{}/clients/import", s.base))
        .multipart(form)
        .send()
        .expect("upload");
    assert_eq!(r.status().as_u16(), 303, "upload {name}");
    let to = location(&r);
    assert!(to.starts_with("/clients/import/"), "{to}");
    to
}

/// Runs the queued analyses (the app's background jobs, on demand) and returns the
/// batch page as it then reads.
pub fn analysed(app: &TestApp, s: &Session, batch: &str) -> String {
    app.run_jobs();
    let (code, body) = s.get_text(&format!("{batch}/status"));
    assert_eq!(code, 200, "{body}");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    let st = status["status"].as_str().unwrap_or("");
    assert!(
        st != "queued" && st != "analysing",
        "the analysis ran: {st}"
    );
    let (code, html) = s.get_text(batch);
    assert_eq!(code, 200, "{html}");
    html
}

fn row_statuses(html: &str) -> Vec<(String, String)> {
    let rows = select_attr(html, "table.import-rows tbody tr", "data-row");
    let statuses = select_attr(html, "table.import-rows tbody tr", "data-status");
    rows.into_iter().zip(statuses).collect()
}

fn position_of(html: &str, source_row: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!(
        "table.import-rows tr[data-row=\"{source_row}\"] input[name=row]"
    ))
    .unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("row on the page")
        .to_string()
}

/// Posts the review form with these fields (the form token among them).
fn post_review(s: &Session, batch: &str, fields: &[(String, String)]) -> u16 {
    s.http
        .post(format!("{}{batch}/review", s.base))
        .form(fields)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn client_count(app: &TestApp) -> i64 {
    clients::table.count().get_result(&mut app.conn()).unwrap()
}

const LIST: &str = "Client list exported 2026-11-30\n\nFirst Name,Last Name,Email,Mobile Phone,Date of Birth,Insurance Company\nNia,Okafor,nia@example.com,415 555 0101,03/04/1990,Aetna\nAda,Lovelace,ADA@example.com,,12/10/1985,\nAda,Lovelace,ada.other@example.com,,,\nLee,Kim,,,,\nNia,Okafor,nia@example.com,,03/04/1990,\nZoë,Núñez,zoe@example.com,,,\n";

#[test]
fn a_list_is_uploaded_checked_reviewed_corrected_and_imported_once() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let (_, list) = s.get_text("/clients");
    assert!(
        list.contains("href=\"/clients/import\""),
        "the menu offers it"
    );

    let batch = upload(&s, "clients.csv", LIST.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        row_statuses(&html),
        [
            ("4".to_string(), "new".to_string()),
            ("5".into(), "existing".into()),
            ("6".into(), "needs_review".into()),
            ("7".into(), "invalid".into()),
            ("8".into(), "duplicate_in_file".into()),
            ("9".into(), "new".into()),
        ]
    );
    assert!(html.contains("Insurance and payment columns are not imported"));
    assert!(html.contains("Insurance Company"));
    assert!(
        html.contains("read the US way"),
        "ambiguous dates are named"
    );
    assert!(html.contains("Same name as your client Ada Lovelace, with another email."));
    assert!(html.contains("The same person as row 4."));
    assert!(html.contains("Zoë"), "Unicode intact");

    // Filter by status.
    let (_, only_review) = s.get_text(&format!("{batch}?show=needs_review"));
    assert_eq!(row_statuses(&only_review).len(), 1);

    // Correct the missing email of row 7; leave the rest as the review chose.
    let token = csrf_in(&html);
    let mut fields: Vec<(String, String)> = vec![
        ("csrf_token".into(), token.clone()),
        ("show".into(), "".into()),
        ("page".into(), "1".into()),
    ];
    for pos in 1..=6 {
        fields.push(("row".into(), pos.to_string()));
    }
    let new_positions = [position_of(&html, "4"), position_of(&html, "9")];
    for p in &new_positions {
        fields.push(("select".into(), p.clone()));
    }
    // The provider adds Lee's email and ticks the row.
    let lee = position_of(&html, "7");
    fields.push((format!("email-{lee}"), "lee@example.com".into()));
    fields.push(("select".into(), lee.clone()));
    fields.push(("action".into(), "save".into()));
    assert_eq!(post_review(&s, &batch, &fields), 303);
    let (_, html) = s.get_text(&batch);
    assert!(
        row_statuses(&html).contains(&("7".to_string(), "new".to_string())),
        "a corrected email makes the row new"
    );
    assert!(
        html.contains("<strong data-selected-count>3</strong>"),
        "{html}"
    );

    // Import, with invitations.
    let mut import = fields.clone();
    import.retain(|(k, _)| k != "action" && !k.starts_with("email-") && k != "select");
    for p in new_positions.iter().chain([&position_of(&html, "7")]) {
        import.push(("select".into(), p.clone()));
    }
    import.push(("invite".into(), "yes".into()));
    import.push(("action".into(), "import".into()));
    assert_eq!(post_review(&s, &batch, &import), 303);
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["3"]);
    assert_eq!(select_text(&done, "[data-count=linked]"), ["1"]);
    assert_eq!(select_text(&done, "[data-count=skipped]"), ["2"]);
    assert!(done.contains("1 needed review and was left out"), "{done}");
    assert!(done.contains("1 was repeated in the file"), "{done}");
    assert!(done.contains("Go to client list"));
    assert_eq!(client_count(&app), 4);

    // Only the rows left out are kept (to list them), until the provider deletes the list.
    let left: i64 = import_rows::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 2, "the rows that became or were clients are not kept");
    assert_eq!(select_text(&done, "table.left-out tbody tr").len(), 2);
    let r = s.submit(&batch, &format!("{batch}/left-out/delete"), &[]);
    assert_eq!(r.status().as_u16(), 303);
    let left: i64 = import_rows::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0, "deleted with the list");

    // A second submit (double click, back button) adds nothing.
    assert_eq!(post_review(&s, &batch, &import), 303);
    assert_eq!(client_count(&app), 4);

    let mut conn = app.conn();
    let invited: i64 = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(invited, 3, "one invitation per imported client");
    let audited: i64 = audit_events::table
        .filter(audit_events::action.eq("client.imported"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 3);
    let nia: (Option<String>, Option<chrono::NaiveDate>) = clients::table
        .filter(clients::email_normalized.eq("nia@example.com"))
        .select((clients::phone_e164, clients::date_of_birth))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        nia,
        (
            Some("+14155550101".into()),
            chrono::NaiveDate::from_ymd_opt(1990, 3, 4)
        )
    );

    let (_, history) = s.get_text("/settings/imports");
    assert!(history.contains("clients.csv") && history.contains("Imported"));
    // Cancelling from a stale tab says it was imported already and changes nothing.
    let r = s.post_raw(&format!("{batch}/cancel"), &token, &[]);
    assert_eq!(location(&r), batch);
    let (_, again) = s.get_text(&batch);
    assert!(again.contains("had already been done") && again.contains("Import finished"));
    assert_eq!(client_count(&app), 4);
    let (_, activity) = s.get_text(&format!(
        "/clients/{}/activity",
        clients::table
            .filter(clients::email_normalized.eq("zoe@example.com"))
            .select(clients::id)
            .first::<String>(&mut conn)
            .unwrap()
    ));
    assert!(activity.contains("Added the client by importing a file"));
}

#[test]
fn a_needs_review_row_can_be_matched_to_the_client_or_imported_as_new() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let robert = s.add_client("Robert", "Moses", "robert@example.com", &[]);
    let csv =
        "First Name,Last Name,Email\nBob,Moses,bob@example.com\nJonh,Keats,keats@example.com\n";
    s.add_client("John", "Keats", "john.keats@example.com", &[]);
    let batch = upload(&s, "list.csv", csv.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("(a short form of the name)"), "{html}");
    assert!(html.contains("(a similar spelling)"), "{html}");
    let (bob, jonh) = (position_of(&html, "2"), position_of(&html, "3"));
    let fields: Vec<(String, String)> = vec![
        ("csrf_token".into(), csrf_in(&html)),
        ("row".into(), bob.clone()),
        ("row".into(), jonh.clone()),
        (format!("choice-{bob}"), "link".into()),
        (format!("match-{bob}"), robert.clone()),
        (format!("choice-{jonh}"), "new".into()),
        ("action".into(), "import".into()),
    ];
    assert_eq!(post_review(&s, &batch, &fields), 303);
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["1"]);
    assert_eq!(select_text(&done, "[data-count=linked]"), ["1"]);
    let names: Vec<String> = clients::table
        .order(clients::sort_name)
        .select(clients::first_name)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        names,
        ["John", "Jonh", "Robert"],
        "Robert kept, not overwritten"
    );
}

#[test]
fn importing_with_nothing_selected_says_so() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(
        &s,
        "a.csv",
        b"First Name,Last Name,Email\nNia,Okafor,nia@example.com\n".to_vec(),
    );
    let html = analysed(&app, &s, &batch);
    let pos = position_of(&html, "2");
    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&html),
        &[("row", &pos), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().unwrap().contains("nothing to import"));
    assert_eq!(client_count(&app), 0);
    let (_, html) = s.get_text(&batch);
    assert!(html.contains("Review a.csv"), "still under review");
    // Out-of-range pages are the last page, not an error.
    assert_eq!(
        s.get(&format!("{batch}?page=9223372036854775807"))
            .status()
            .as_u16(),
        200
    );
}

#[test]
fn missing_name_columns_are_picked_by_hand_with_a_preview() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let csv = "Kunde;Mail;Geburtstag\n\"Lovelace, Ada\";ada@example.com;10.12.1985\nGrace Hopper;grace@example.com;09.12.1906\n";
    let batch = upload(&s, "export.csv", csv.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("Which column is which?"), "{html}");
    assert!(html.contains("Columns found: Kunde, Mail, Geburtstag"));
    assert!(html.contains("Lovelace, Ada"), "the first rows are shown");
    let r = s.post_raw(
        &format!("{batch}/columns"),
        &csrf_in(&html),
        &[
            ("full_name", "0"),
            ("email", "1"),
            ("date_of_birth", "2"),
            ("first_name", ""),
            ("last_name", ""),
            ("phone", ""),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        row_statuses(&html),
        [
            ("2".to_string(), "new".to_string()),
            ("3".into(), "new".into())
        ]
    );
    assert!(
        html.contains("Ada Lovelace") && html.contains("Dec 10, 1985"),
        "{html}"
    );
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_zip_of_contact_cards_is_read_as_one_list() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let zip = zip_of(&[
        (
            "Contacts/Ada Q. Lovelace - 200000001.vcf",
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nTEL;TYPE=mobile:(555) 555-0102\r\nEMAIL;TYPE=home:ada@example.com\r\nBDAY:19851210\r\nEND:VCARD\r\n",
        ),
        (
            "Contacts/Jörg Müller - 200000002.vcf",
            "BEGIN:VCARD\nVERSION:3.0\nN:Müller;Jörg;;;\nFN:Jörg Müller\nEND:VCARD\n".as_bytes(),
        ),
        ("__MACOSX/Contacts/._x.vcf", b"\0\0"),
    ]);
    let batch = upload(&s, "Contacts.zip", zip);
    let html = analysed(&app, &s, &batch);
    assert!(html.contains(".zip of contact cards"), "{html}");
    assert_eq!(
        row_statuses(&html),
        [
            ("1".to_string(), "new".to_string()),
            ("2".into(), "invalid".into())
        ]
    );
    assert!(html.contains("Jörg Müller") && html.contains("No email address."));
    assert!(html.contains("Contacts/Ada Q. Lovelace - 200000001.vcf"));
}

#[test]
fn a_zip_of_cards_names_the_files_it_did_not_read() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let zip = zip_of(&[
        (
            "Contacts/Ada Lovelace.vcf",
            b"BEGIN:VCARD\nVERSION:3.0\nN:Lovelace;Ada;;;\nEMAIL:ada@example.com\nEND:VCARD\n",
        ),
        ("Documents/Ada Lovelace/Intake 2024.pdf", b"%PDF-1.4"),
        ("Documents/Ada Lovelace/Consent.docx", b"PK"),
    ]);
    let batch = upload(&s, "Contacts.zip", zip);
    let html = analysed(&app, &s, &batch);
    assert_eq!(row_statuses(&html), [("1".to_string(), "new".to_string())]);
    let said = select_text(&html, "[data-unread] p strong");
    assert_eq!(said, ["2 files of the .zip were not read"], "{html}");
    assert_eq!(
        select_text(&html, "[data-unread] li"),
        [
            "Documents/Ada Lovelace/Intake 2024.pdf",
            "Documents/Ada Lovelace/Consent.docx"
        ]
    );
    // A .zip of cards alone says nothing of the kind.
    let only = zip_of(&[(
        "Contacts/Ada Lovelace.vcf",
        b"BEGIN:VCARD\nVERSION:3.0\nN:Lovelace;Ada;;;\nEMAIL:ada@example.com\nEND:VCARD\n",
    )]);
    let batch = upload(&s, "Cards.zip", only);
    let html = analysed(&app, &s, &batch);
    assert!(select_text(&html, "[data-unread]").is_empty());
}

#[test]
fn files_that_are_not_client_lists_say_what_was_received() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "old.xls",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            "old Excel 97–2003 (.xls) file",
        ),
        ("blank.csv", b"  \n\n".to_vec(), "The file is empty"),
        (
            "scan.pdf",
            b"%PDF-1.7\n...".to_vec(),
            "looks like a PDF document",
        ),
        (
            "export.zip",
            zip_of(&[
                ("Contacts/Ada Lovelace - 1.vcf", b"BEGIN:VCARD\nEND:VCARD\n"),
                (
                    "Medical Records/Ada Lovelace/Progress Note 2024-01-02 100000 5.pdf",
                    b"%PDF",
                ),
            ]),
            "complete SimplePractice data export",
        ),
        (
            "broken.zip",
            b"PK\x03\x04 cut off".to_vec(),
            "damaged or incomplete",
        ),
    ];
    for (name, bytes, expected) in cases {
        let batch = upload(&s, name, bytes);
        let html = analysed(&app, &s, &batch);
        assert!(html.contains(expected), "{name}: {html}");
        assert!(html.contains("Nothing was added to your client list"));
    }
    // An empty upload is refused at once, on the upload page.
    let token = s.csrf("/clients/import");
    let form = Form::new()
        .text("csrf_token", token)
        .part("file", Part::bytes(Vec::new()).file_name("none.csv"));
    let r = s
        .http
        .post(format!("{}/clients/import", s.base))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("The file is empty"));
    assert_eq!(client_count(&app), 0);
}

#[test]
fn wrong_files_on_the_list_import_get_the_right_words() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // A Word document is a .zip inside: named as what it is, not as a damaged archive.
    let docx = zip_of(&[
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
        ("word/document.xml", b"<?xml version=\"1.0\"?><w:document/>"),
    ]);
    let batch = upload(&s, "clients.docx", docx);
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("This is a Word document, not a client list"),
        "{html}"
    );
    assert!(
        html.contains("as CSV or as an Excel workbook (.xlsx)"),
        "{html}"
    );
    assert!(!html.contains("damaged"), "{html}");

    // A SimplePractice export, in a folder per client: sent to its own import.
    let export = zip_of(&[
        ("Contacts/Ada Lovelace - 1.vcf", b"BEGIN:VCARD\nEND:VCARD\n"),
        (
            "Ada Lovelace/Medical Records/Progress Note 2024-01-02 100000 5.pdf",
            b"%PDF",
        ),
    ]);
    let batch = upload(&s, "export.zip", export);
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("complete SimplePractice data export"),
        "{html}"
    );
    assert!(html.contains("Import a SimplePractice export"), "{html}");
    assert_eq!(
        select_attr(
            &html,
            "main a[href='/clients/import/simplepractice']",
            "href"
        )
        .len(),
        1,
        "a link to the SimplePractice import: {html}"
    );

    // A workbook with title rows above the header is read, but named after no template.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "Client list of the practice").unwrap();
    sheet.write(1, 0, "Printed 2026-11-30").unwrap();
    for (c, h) in ["First Name", "Last Name", "Email", "Mobile Phone"]
        .iter()
        .enumerate()
    {
        sheet.write(3, c as u16, *h).unwrap();
    }
    for (c, v) in ["Ada", "Lovelace", "ada@example.com", "4155550102"]
        .iter()
        .enumerate()
    {
        sheet.write(4, c as u16, *v).unwrap();
    }
    let batch = upload(&s, "clients.xlsx", book.save_to_buffer().unwrap());
    let html = analysed(&app, &s, &batch);
    assert_eq!(row_statuses(&html), [("5".to_string(), "new".to_string())]);
    assert!(html.contains("Read as Excel workbook (.xlsx)"), "{html}");
    assert!(!html.contains("Headway"), "{html}");
    assert_eq!(client_count(&app), 0);
}

#[test]
fn uploads_over_the_limit_are_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn_with(|c| c.max_import_bytes = 1024);
    let s = app.signed_in();
    let token = s.csrf("/clients/import");
    let form = Form::new().text("csrf_token", token).part(
        "file",
        Part::bytes(vec![b'a'; 200_000]).file_name("big.csv"),
    );
    let r = s
        .http
        .post(format!("{}/clients/import", s.base))
        .multipart(form)
        .send();
    if let Ok(r) = r {
        assert_eq!(r.status().as_u16(), 413);
    }
    assert_eq!(s.get("/clients").status().as_u16(), 200);
}

#[test]
fn a_file_queued_before_a_restart_is_checked_after_it() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // Queued, not yet analysed, when the server stops: it waits in the database, not in
    // the server's memory, so the next server (or another instance) checks it.
    let batch = upload(&s, "clients.csv", LIST.as_bytes().to_vec());
    let (_, status) = s.get_text(&format!("{batch}/status"));
    assert!(status.contains("\"queued\""), "{status}");
    let base = app.restart();
    let again = Session::new(&base);
    again.sign_in("dr.rivera@example.com", PASSWORD);
    app.run_jobs();
    let (_, html) = again.get_text(&batch);
    assert!(html.contains("Nia"), "{html}");
    let (_, status) = again.get_text(&format!("{batch}/status"));
    assert!(status.contains("\"ready\""), "{status}");
    assert_eq!(client_count(&app), 0);
}

#[test]
fn two_imports_of_the_same_people_cannot_both_add_them() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let csv = "First Name,Last Name,Email\nNia,Okafor,nia@example.com\n";
    let first = upload(&s, "a.csv", csv.as_bytes().to_vec());
    let second = upload(&s, "b.csv", csv.as_bytes().to_vec());
    let html1 = analysed(&app, &s, &first);
    let html2 = analysed(&app, &s, &second);
    let import = |batch: &str, html: &str| {
        let pos = position_of(html, "2");
        s.post_raw(
            &format!("{batch}/review"),
            &csrf_in(html),
            &[("row", &pos), ("select", &pos), ("action", "import")],
        )
    };
    assert_eq!(import(&first, &html1).status().as_u16(), 303);
    let r = import(&second, &html2);
    assert_eq!(r.status().as_u16(), 409);
    assert!(r
        .text()
        .unwrap()
        .contains("Row 2 now has the email of a client on your list"));
    assert_eq!(client_count(&app), 1);
}

#[test]
fn another_providers_import_is_not_found() {
    let app = TestApp::spawn_with(|c| c.open_signup = true);
    let s = app.signed_in();
    let batch = upload(&s, "clients.csv", LIST.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    let other = app.provider("dr.chen@example.com", "Wei", "Chen");
    for path in [
        batch.clone(),
        format!("{batch}/status"),
        format!("{batch}/left-out.csv"),
    ] {
        assert_eq!(other.get(&path).status().as_u16(), 404, "{path}");
    }
    let token = other.csrf("/clients");
    for action in [
        "review",
        "cancel",
        "columns",
        "sheet",
        "welcome",
        "left-out/delete",
    ] {
        let r = other.post_raw(
            &format!("{batch}/{action}"),
            &token,
            &[("action", "import"), ("sheet", "x")],
        );
        assert_eq!(r.status().as_u16(), 404, "{action}");
    }
    assert_eq!(client_count(&app), 0);
    // And without the form token the owner's own post is refused.
    let r = s.post_raw(
        &format!("{batch}/review"),
        "forged",
        &[("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 403);
    assert!(html.contains("Review clients.csv"));
}

#[test]
fn a_workbook_sheet_can_be_chosen() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet().set_name("Notes").unwrap();
    notes.write(0, 0, "Exported from TheraNest").unwrap();
    notes.write(1, 0, "First Name").unwrap();
    notes.write(1, 1, "Last Name").unwrap();
    notes.write(2, 0, "Old").unwrap();
    notes.write(2, 1, "Sheet").unwrap();
    let clients_sheet = book.add_worksheet().set_name("Clients").unwrap();
    for (c, h) in ["First Name", "Last Name", "Email", "Mobile"]
        .iter()
        .enumerate()
    {
        clients_sheet.write(0, c as u16, *h).unwrap();
    }
    clients_sheet.write(1, 0, "Ada").unwrap();
    clients_sheet.write(1, 1, "Lovelace").unwrap();
    clients_sheet.write(1, 2, "ada@example.com").unwrap();
    clients_sheet.write(1, 3, 4155550102.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let batch = upload(&s, "clients.xlsx", bytes);
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("Read this sheet instead"), "{html}");
    assert_eq!(
        row_statuses(&html),
        [("3".to_string(), "invalid".to_string())]
    );
    let r = s.post_raw(
        &format!("{batch}/sheet"),
        &csrf_in(&html),
        &[("sheet", "Clients")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let html = analysed(&app, &s, &batch);
    assert_eq!(row_statuses(&html), [("2".to_string(), "new".to_string())]);
    assert!(
        html.contains("(415) 555-0102"),
        "phones stored as numbers, shown in the national format: {html}"
    );
}

#[test]
fn a_cancelled_import_stays_cancelled_when_its_check_ends_later() {
    use caseload::import::analysis;
    use caseload::models::import_batch;
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(&s, "a.csv", LIST.as_bytes().to_vec());
    analysed(&app, &s, &batch);
    let id = batch.trim_start_matches("/clients/import/").to_string();
    let mut conn = app.conn();
    // As if a worker were still checking the file when the provider cancelled it.
    diesel::update(import_batches::table.filter(import_batches::id.eq(&id)))
        .set(import_batches::status.eq("analysing"))
        .execute(&mut conn)
        .unwrap();
    let r = s.post_raw(&format!("{batch}/cancel"), &s.csrf("/clients"), &[]);
    assert_eq!(location(&r), "/clients");
    let a = analysis::analyse(
        LIST.as_bytes(),
        &Default::default(),
        &[],
        chrono::Utc::now().date_naive(),
        &mut |_| {},
    )
    .unwrap();
    let cancelled = caseload::models::unscoped::batch_for_worker(&mut conn, &id)
        .unwrap()
        .unwrap();
    assert!(
        !import_batch::save_analysis(&mut conn, &cancelled, &a, "{}", app.clock.now()).unwrap()
    );
    assert_eq!(s.get(&batch).status().as_u16(), 404, "still cancelled");
    let rows: i64 = import_rows::table.count().get_result(&mut conn).unwrap();
    assert_eq!(rows, 0);
}

/// The batch row as stored: its error and details, and how many rows it has.
fn stored_batch(app: &TestApp, batch: &str) -> (String, Option<String>, Option<String>, i64) {
    let id = batch.trim_start_matches("/clients/import/").to_string();
    let mut conn = app.conn();
    let (status, error, details) = import_batches::table
        .filter(import_batches::id.eq(&id))
        .select((
            import_batches::status,
            import_batches::error,
            import_batches::details,
        ))
        .first::<(String, Option<String>, Option<String>)>(&mut conn)
        .unwrap();
    let rows = import_rows::table
        .filter(import_rows::batch_id.eq(&id))
        .count()
        .get_result::<i64>(&mut conn)
        .unwrap();
    (status, error, details, rows)
}

#[test]
fn a_header_of_ten_thousand_columns_is_refused_naming_the_row_and_the_limit() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // The shape, with fewer rows: a 99 KB header of 10,000 columns, then rows of
    // one cell (each padded to the header's width before).
    let mut csv = (0..10_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for i in 0..500 {
        csv.push_str(&format!("{i}\n"));
    }
    let batch = upload(&s, "wide.csv", csv.into_bytes());
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("Row 1 has 10,000 columns; Caseload reads at most 200."),
        "{html}"
    );
    let (status, _, _, rows) = stored_batch(&app, &batch);
    assert_eq!((status.as_str(), rows), ("failed", 0));
}

#[test]
fn one_line_of_megabytes_is_refused_and_never_stored_with_the_batch() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let line = "x".repeat(3 * 1024 * 1024);
    let batch = upload(&s, "one-line.csv", line.into_bytes());
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("Row 1 is longer than 1 MB; Caseload reads rows of at most 1 MB."),
        "{}",
        &html[..html.len().min(2000)]
    );
    assert!(html.len() < 100_000, "the page is {} bytes", html.len());
    let (status, error, details, _) = stored_batch(&app, &batch);
    assert_eq!(status, "failed");
    let stored = error.map_or(0, |e| e.len()) + details.map_or(0, |d| d.len());
    assert!(stored < 10_000, "the batch row holds {stored} bytes");
}

#[test]
fn the_column_picking_page_shows_short_samples_of_long_cells() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // No column names a name, so the columns are picked by hand; each cell is 60 KB
    // (under the 64 KB a cell may hold).
    let long = "y".repeat(60 * 1024);
    let mut csv = format!("Kunde {long},Mail,Notiz\n");
    for i in 0..5 {
        csv.push_str(&format!("Ann {i} {long},ann{i}@example.com,{long}\n"));
    }
    let batch = upload(&s, "long-cells.csv", csv.into_bytes());
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("Which column is which?"), "{}", &html[..2000]);
    assert!(html.contains("Ann 0 yyy"), "samples are shown");
    assert!(html.len() < 100_000, "the page is {} bytes", html.len());
    let (status, error, details, _) = stored_batch(&app, &batch);
    assert_eq!(status, "needs_columns");
    let stored = error.map_or(0, |e| e.len()) + details.map_or(0, |d| d.len());
    assert!(stored < 50_000, "the batch row holds {stored} bytes");
}

#[test]
fn repeated_begin_vcard_lines_are_not_clients() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(
        &s,
        "empty.vcf",
        "BEGIN:VCARD\r\n".repeat(20_000).into_bytes(),
    );
    let html = analysed(&app, &s, &batch);
    assert!(
        html.contains("20,000 contact cards hold no names, email addresses or phone numbers"),
        "{}",
        &html[..html.len().min(3000)]
    );
    let (status, _, _, rows) = stored_batch(&app, &batch);
    assert_eq!((status.as_str(), rows), ("failed", 0));

    // Among real cards, an empty one is no row.
    let cards = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n\
                 BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n\
                 BEGIN:VCARD\r\nVERSION:3.0\r\nN:Hopper;Grace;;;\r\nEMAIL:grace@example.com\r\nEND:VCARD\r\n";
    let batch = upload(&s, "cards.vcf", cards.as_bytes().to_vec());
    analysed(&app, &s, &batch);
    let (status, _, _, rows) = stored_batch(&app, &batch);
    assert_eq!((status.as_str(), rows), ("ready", 2));
}

#[test]
fn a_card_cut_off_before_end_vcard_is_named_in_the_review() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let cards = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n\
                 BEGIN:VCARD\r\nVERSION:3.0\r\nN:Hopper;Grace;;;\r\nFN:Grace Hopper\r\nEMAIL:grace@exa";
    let batch = upload(&s, "cut.vcf", cards.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("1 card ends without END:VCARD"), "{html}");
    assert!(html.contains("card 2 (line 7): Grace Hopper"), "{html}");
    let (status, _, _, rows) = stored_batch(&app, &batch);
    assert_eq!((status.as_str(), rows), ("ready", 2));
}

#[test]
fn partial_uploads_left_in_tmp_are_removed_at_start_up() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    // A list waiting for review is kept in the database and must survive the restart.
    let batch = upload(
        &s,
        "a.csv",
        b"First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n".to_vec(),
    );
    analysed(&app, &s, &batch);
    let id = batch.trim_start_matches("/clients/import/");
    assert!(upload_kept(&app, id));
    let tmp = app.config.upload_temp_dir();
    let partial = tmp.join(".tmpAbC123");
    std::fs::write(&partial, b"half an upload").unwrap();
    std::fs::create_dir_all(tmp.join(".tmpdir")).unwrap();
    app.restart();
    assert!(!partial.exists(), "the partial upload is gone");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert!(upload_kept(&app, id), "the list waiting for review is kept");
}

#[test]
fn uploads_past_a_full_queue_are_turned_away_and_the_queued_ones_are_checked() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let list = |n: usize| format!("First Name,Last Name\nAda,Lovelace{n}\n").into_bytes();
    let queued: Vec<String> = (0..caseload::jobs::QUEUE_LENGTH)
        .map(|n| upload(&s, &format!("list-{n}.csv"), list(n)))
        .collect();
    // The queue is full: one more upload is refused, and its page says why.
    let refused = upload(&s, "one-too-many.csv", list(99));
    let (_, html) = s.get_text(&refused);
    assert!(
        html.contains("The server is busy checking other files. Nothing was imported."),
        "{html}"
    );
    let id = refused.trim_start_matches("/clients/import/");
    assert!(!upload_kept(&app, id), "its file is let go");
    // Every queued one is checked when the jobs run, and the queue takes uploads again.
    assert_eq!(app.run_jobs().analyses, queued.len());
    for batch in &queued {
        assert_eq!(stored_batch(&app, batch).0, "ready", "{batch}");
    }
    let again = upload(&s, "again.csv", list(100));
    analysed(&app, &s, &again);
    assert_eq!(stored_batch(&app, &again).0, "ready");
}

/// The status cell of a row: its badge, its reasons and the evidence for and against.
fn status_cell(html: &str, source_row: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!(
        "table.import-rows tr[data-row=\"{source_row}\"] td:last-child"
    ))
    .unwrap();
    doc.select(&sel)
        .next()
        .map(|td| td.text().collect::<String>())
        .expect("row on the page")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn rows_are_matched_on_all_their_evidence_and_the_review_shows_it() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let robert = s.add_client(
        "Robert",
        "Moses",
        "robert@example.com",
        &[("date_of_birth", "1980-05-03"), ("phone", "(415) 555-0101")],
    );
    let maria = s.add_client(
        "Maria",
        "Lopez",
        "maria@example.com",
        &[("phone", "415 555 0103")],
    );
    s.add_client(
        "Grace",
        "Hopper",
        "family@example.com",
        &[("date_of_birth", "1970-01-02")],
    );
    let csv = "First Name,Last Name,Email,Phone,Date of Birth\n\
               Bob,Moses, ROBERT@example.com,,05/03/1980\n\
               Maria,Lopez,,415-555-0103,\n\
               Gregory,Hopper,family@example.com,,12/24/2001\n\
               Maria,Lopez,m.lopez@example.com,,\n";
    let batch = upload(&s, "list.csv", csv.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        row_statuses(&html),
        [
            ("2".to_string(), "existing".to_string()),
            ("3".into(), "needs_review".into()),
            ("4".into(), "needs_review".into()),
            ("5".into(), "needs_review".into()),
        ]
    );
    // A short form, the same email and date of birth: the client, without asking.
    let bob = status_cell(&html, "2");
    assert!(
        bob.contains(
            "For: same email, Bob is a short form of Robert, same last name, same date of birth."
        ),
        "{bob}"
    );
    assert!(
        select_attr(&html, "tr[data-row=\"2\"] a", "href").contains(&format!("/clients/{robert}"))
    );
    // No email, the same name and phone: offered as the client.
    let no_email = status_cell(&html, "3");
    assert!(
        no_email.contains(
            "No email in this row — your client Maria Lopez has the same name and phone."
        ),
        "{no_email}"
    );
    assert!(
        no_email.contains("For: same name, same phone."),
        "{no_email}"
    );
    // A family member on the client's mailbox: the evidence against is shown.
    let family = status_cell(&html, "4");
    assert!(
        family.contains("This email belongs to your client Grace Hopper, whose name differs."),
        "{family}"
    );
    assert!(
        family.contains(
            "Against: another first name (Grace on the list), another date of birth (Jan 2, 1970 on the list)."
        ),
        "{family}"
    );
    // A name alone: to review, with what is for and against.
    let namesake = status_cell(&html, "5");
    assert!(
        namesake.contains("For: same name.") && namesake.contains("Against: another email."),
        "{namesake}"
    );

    // The row with no email is matched to Maria: nobody new is created.
    let row = position_of(&html, "3");
    let fields: Vec<(String, String)> = vec![
        ("csrf_token".into(), csrf_in(&html)),
        ("row".into(), row.clone()),
        (format!("choice-{row}"), "link".into()),
        (format!("match-{row}"), maria.clone()),
        ("action".into(), "import".into()),
    ];
    assert_eq!(post_review(&s, &batch, &fields), 303);
    let (_, done) = s.get_text(&batch);
    // Bob, already a client, and the row matched to Maria (left out, it would be skipped).
    assert_eq!(select_text(&done, "[data-count=linked]"), ["2"], "{done}");
    assert_eq!(select_text(&done, "[data-count=skipped]"), ["2"], "{done}");
    assert_eq!(select_text(&done, "[data-count=imported]"), ["0"], "{done}");
    assert_eq!(client_count(&app), 3);
}
