//! Households in imports: people of one file who share an email address, offered as a
//! household (each their own client, the address their contact's); the confirmation's
//! list of rows left out; the welcome email of an import sent once unless confirmed.

use caseload::db::schema::{audit_events, client_contacts, clients, outbox_emails};
use diesel::prelude::*;

use crate::imports::{analysed, upload};
use crate::simplepractice::{upload_export, zip_of};
use crate::support::*;

/// (first name, own email, the email of a contact who acts for them and receives their
/// emails) of every client, by first name.
fn clients_and_contacts(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    let mut conn = app.conn();
    let mut rows: Vec<(String, String, Option<String>)> = clients::table
        .left_join(
            client_contacts::table.on(client_contacts::client_id
                .eq(clients::id)
                .and(client_contacts::acts_for.eq(true))
                .and(client_contacts::receives_emails.eq(true))),
        )
        .select((
            clients::first_name,
            clients::email,
            client_contacts::email.nullable(),
        ))
        .load(&mut conn)
        .unwrap();
    rows.sort();
    rows
}

fn contacts_named(app: &TestApp, name: &str) -> Vec<(String, Option<String>, Option<String>)> {
    client_contacts::table
        .filter(client_contacts::name.eq(name))
        .select((
            client_contacts::relationship,
            client_contacts::email,
            client_contacts::phone,
        ))
        .order(client_contacts::created_at)
        .load(&mut app.conn())
        .unwrap()
}

/// The addresses invitations (not reminders) went to, sorted.
fn invitations_to(app: &TestApp) -> Vec<String> {
    let mut to: Vec<String> = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .filter(outbox_emails::status.ne("cancelled"))
        .select(outbox_emails::to_address)
        .load(&mut app.conn())
        .unwrap();
    to.sort();
    to
}

const FAMILY_LIST: &str = "First Name,Last Name,Email,Date of Birth,Guardian,Guardian Phone\n\
Grace,Okafor,okafor.family@example.com,05/06/2014,Maria Okafor,555-555-0144\n\
Ethan,Okafor,Okafor.Family@example.com,07/08/2016,,\n\
Nia,Lee,nia@example.com,,,\n\
Sam,,sam@example.com,,,\n\
=HYPERLINK(\"x\"),Evil,,,,\n";

#[test]
fn household_rows_of_a_list_are_imported_as_a_household_and_the_left_out_rows_are_listed() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(&s, "family.csv", FAMILY_LIST.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        select_text(&html, "fieldset.household legend"),
        ["Grace and Ethan Okafor share okafor.family@example.com — import both with this address as their parent's"]
    );
    assert_eq!(
        select_attr(&html, "input[name=household-name-1]", "value"),
        ["Maria Okafor"],
        "the Guardian column names the contact"
    );
    assert_eq!(
        select_attr(
            &html,
            "select[name=household-relationship-1] option[selected]",
            "value"
        ),
        ["parent_guardian"]
    );
    // Until chosen, nothing changes: Ethan's row still needs review.
    assert_eq!(
        select_attr(&html, "tr[data-row='3']", "data-status"),
        ["needs_review"]
    );

    // Chosen together (the name kept as the file has it), with invitations.
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[
            ("household-choice-1", "together"),
            ("invite", "yes"),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(
        clients_and_contacts(&app),
        [
            (
                "Ethan".to_string(),
                String::new(),
                Some("okafor.family@example.com".to_string())
            ),
            (
                "Grace".into(),
                String::new(),
                Some("okafor.family@example.com".into())
            ),
            ("Nia".into(), "nia@example.com".into(), None),
        ],
        "two clients with no email of their own, each with the contact"
    );
    let contacts = contacts_named(&app, "Maria Okafor");
    assert_eq!(contacts.len(), 2, "one contact per child");
    assert!(contacts
        .iter()
        .all(|(rel, email, _)| rel == "parent_guardian"
            && email.as_deref() == Some("okafor.family@example.com")));
    assert!(contacts
        .iter()
        .all(|(_, _, phone)| phone.as_deref() == Some("555-555-0144")));
    assert_eq!(
        invitations_to(&app),
        [
            "nia@example.com",
            "okafor.family@example.com",
            "okafor.family@example.com"
        ],
        "the children's invitations go to their parent"
    );
    let added: i64 = audit_events::table
        .filter(audit_events::action.eq("contact.added"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(added, 2, "each contact added is in the audit trail");

    // The confirmation lists every row left out, by name (or row), with why.
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["3"]);
    assert_eq!(select_text(&done, "[data-count=skipped]"), ["2"]);
    let left: Vec<String> = select_text(&done, "table.left-out tbody tr");
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left[0].contains("Sam") && left[0].contains("Missing information: No last name."));
    assert!(left[1].contains("=HYPERLINK") && left[1].contains("No email address."));
    let r = s.get(&format!("{batch}/left-out.csv"));
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().unwrap();
    assert!(
        csv.starts_with("Row,File,Name,Email,Why it was left out"),
        "{csv}"
    );
    assert!(csv.contains("5,,Sam,sam@example.com,Missing information: No last name."));
    assert!(
        csv.contains("'=HYPERLINK"),
        "a formula is escaped in the CSV: {csv}"
    );

    assert!(done.contains("kept with the import for 30 days"));

    // Deleting the list keeps the counts.
    let r = s.submit(&batch, &format!("{batch}/left-out/delete"), &[]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, done) = s.get_text(&batch);
    assert!(select_text(&done, "table.left-out tbody tr").is_empty());
    assert_eq!(select_text(&done, "[data-count=skipped]"), ["2"]);
    assert!(done.contains("The list of rows left out was deleted"));
    let r = s.get(&format!("{batch}/left-out.csv"));
    assert_eq!(
        r.text().unwrap().lines().count(),
        1,
        "only the header is left"
    );
}

#[test]
fn a_row_with_a_listed_clients_address_is_imported_with_that_client_as_the_parent() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Maria", "Okafor", "maria@example.com", &[]);
    let list = "First Name,Last Name,Email\nMaria,Okafor,maria@example.com\nGrace,Okafor,maria@example.com\n";
    let batch = upload(&s, "kids.csv", list.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    let offer = select_text(&html, "fieldset.household legend");
    assert_eq!(offer.len(), 1);
    assert!(
        offer[0].starts_with("Grace Okafor has the address of your client Maria Okafor"),
        "{offer:?}"
    );
    assert!(html.contains("who stays as they are"));
    assert_eq!(
        select_attr(&html, "input[name=household-name-2]", "value"),
        ["Maria Okafor"]
    );
    // The provider can also leave it: then Grace is not imported (her address is taken).
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("household-choice-2", "together"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    let people = clients_and_contacts(&app);
    assert_eq!(
        people,
        [
            (
                "Grace".to_string(),
                String::new(),
                Some("maria@example.com".to_string())
            ),
            ("Maria".into(), "maria@example.com".into(), None),
        ],
        "never merged, never the same address twice"
    );
}

#[test]
fn a_household_without_a_contacts_name_is_refused_until_named() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let list = "First Name,Last Name,Email\nAna,Ruiz,ruiz@example.com\nBen,Ruiz,ruiz@example.com\n";
    let batch = upload(&s, "ruiz.csv", list.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        select_attr(&html, "input[name=household-name-1]", "value"),
        [""]
    );
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("household-choice-1", "together"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 409);
    let page = r.text().unwrap();
    assert_eq!(
        select_text(&page, "div.alert"),
        ["The household of Ana and Ben Ruiz has no contact's name. Enter the name of their parent or guardian (or choose “Decide row by row”), then import again."]
    );
    let n: i64 = clients::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0, "nothing imported");
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[
            ("household-name-1", "Rosa Ruiz"),
            ("household-relationship-1", "other"),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    let contacts = contacts_named(&app, "Rosa Ruiz");
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().all(|(rel, ..)| rel == "other"));
}

fn card(last: &str, first: &str, extra: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first};;;\r\nFN:{first} {last}\r\n{extra}END:VCARD\r\n"
    )
    .into_bytes()
}

/// An export whose two clients' cards share their parent's address, with the parent's
/// own card (no records), and a client of their own.
fn family_export() -> Vec<(String, Vec<u8>)> {
    let pdf = |t: &str| format!("%PDF-1.4\n% {t}\n").into_bytes();
    vec![
        (
            "Contacts/Grace Okafor - 300000001.vcf".into(),
            card(
                "Okafor",
                "Grace",
                "EMAIL;TYPE=home:okafor.family@example.com\r\nBDAY:20140506\r\n",
            ),
        ),
        (
            "Contacts/Ethan Okafor - 300000002.vcf".into(),
            card(
                "Okafor",
                "Ethan",
                "EMAIL;TYPE=home:okafor.family@example.com\r\n",
            ),
        ),
        (
            "Contacts/Maria Okafor - 300000003.vcf".into(),
            card(
                "Okafor",
                "Maria",
                "EMAIL;TYPE=home:okafor.family@example.com\r\nTEL;TYPE=mobile:(555) 555-0177\r\n",
            ),
        ),
        (
            "Contacts/Nia Lee - 300000004.vcf".into(),
            card(
                "Lee",
                "Nia",
                "EMAIL;TYPE=home:nia@example.com\r\nTEL;TYPE=mobile:5555550101\r\nBDAY:19900304\r\n",
            ),
        ),
        (
            "Medical Records/Grace Okafor/Progress Note 2024-01-02 100000 1.pdf".into(),
            pdf("grace"),
        ),
        (
            "Medical Records/Ethan Okafor/Progress Note 2024-01-03 100000 2.pdf".into(),
            pdf("ethan"),
        ),
        (
            "Medical Records/Nia Lee/Progress Note 2024-01-04 100000 3.pdf".into(),
            pdf("nia"),
        ),
    ]
}

#[test]
fn cards_of_an_export_sharing_an_address_are_a_household_with_the_parents_card_as_contact() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload_export(&s, "export.zip", zip_of(&family_export()));
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        select_text(&html, "fieldset.household legend"),
        ["Grace and Ethan Okafor share okafor.family@example.com — import both with this address as their parent's"]
    );
    assert_eq!(
        select_attr(&html, "input[name=household-name-1]", "value"),
        ["Maria Okafor"],
        "the card with no records is the contact's"
    );
    assert_eq!(
        select_text(&html, "fieldset.household p.small"),
        ["The export's card for Maria Okafor has the same address and no records: it is taken as the contact's card, not imported as a client."]
    );

    // Chosen: both children are selected.
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("household-choice-1", "together"), ("action", "save")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let html = s.get_text(&batch).1;
    let ticked = select_attr(&html, "input[name=select][checked]", "value");
    assert_eq!(
        ticked,
        ["1", "2"],
        "both children selected, not the parent's card"
    );
    // Nia ticked too, the children's ticks kept.
    let mut fields = form_fields(&html, &format!("{batch}/review"));
    fields.push(("select".into(), "4".into()));
    fields.push(("action".into(), "import".into()));
    let r = s
        .http
        .post(format!("{}{batch}/review", s.base))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(
        clients_and_contacts(&app),
        [
            (
                "Ethan".to_string(),
                String::new(),
                Some("okafor.family@example.com".to_string())
            ),
            (
                "Grace".into(),
                String::new(),
                Some("okafor.family@example.com".into())
            ),
            ("Nia".into(), "nia@example.com".into(), None),
        ],
        "the parent's card is not a client"
    );
    let contacts = contacts_named(&app, "Maria Okafor");
    assert_eq!(contacts.len(), 2);
    assert!(contacts
        .iter()
        .all(|(_, _, phone)| phone.as_deref() == Some("(555) 555-0177")));
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=documents]"), ["3"]);
    let left = select_text(&done, "table.left-out tbody tr");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].contains("Maria Okafor")
            && left[0].contains("The contact of Grace and Ethan Okafor"),
        "{left:?}"
    );
}

/// Welcomes queued so far (the audit trail records each).
fn welcomes(app: &TestApp) -> i64 {
    audit_events::table
        .filter(audit_events::action.eq("email.queued"))
        .filter(audit_events::subject.eq("welcome"))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[test]
fn a_second_welcome_asks_first_names_who_had_one_and_sends_only_when_confirmed() {
    let app = TestApp::spawn();
    app.set_time("2026-12-07 09:00");
    let s = app.signed_in();
    let batch = upload_export(&s, "export.zip", zip_of(&family_export()));
    analysed(&app, &s, &batch);
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("select", "4"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let nia: String = clients::table
        .filter(clients::first_name.eq("Nia"))
        .select(clients::id)
        .first(&mut app.conn())
        .unwrap();

    // Nia's email comes first, on its own; the import's welcome then asks.
    let r = s.submit(
        &format!("/clients/{nia}"),
        &format!("/clients/{nia}/welcome"),
        &[],
    );
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(welcomes(&app), 1);
    let body: String = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .select(outbox_emails::body_text)
        .first(&mut app.conn())
        .unwrap();
    assert!(
        body.contains("Your name, phone number and date of birth came over with you"),
        "the welcome says what it has: {body}"
    );
    assert!(!body.to_lowercase().contains("enter your phone"));

    app.advance(chrono::Duration::minutes(10));
    let r = s.submit(&batch, &format!("{batch}/welcome"), &[]);
    assert_eq!(r.status().as_u16(), 200, "asks first");
    let page = r.text().unwrap();
    let had = select_text(&page, "tr[data-welcomed]");
    assert_eq!(had.len(), 1, "{had:?}");
    assert!(had[0].contains("Nia Lee"), "{had:?}");
    assert!(
        page.contains("Send it only to the 0 who have not had one")
            || page.contains("Every client of this import has had one")
    );
    assert_eq!(welcomes(&app), 1, "nothing queued by asking");

    // Everyone again, when confirmed.
    let r = s.fill_from(&page, &format!("{batch}/welcome"), &[("to", "everyone")]);
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(welcomes(&app), 2);
    let pending: i64 = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .filter(outbox_emails::status.eq("pending"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(
        pending, 1,
        "the earlier link's email is replaced, not doubled"
    );
}

#[test]
fn a_welcome_sent_to_some_goes_only_to_the_others_unless_resending_is_confirmed() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload_export(&s, "export.zip", zip_of(&family_export()));
    analysed(&app, &s, &batch);
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[
            ("household-choice-1", "together"),
            ("select", "4"),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    let r = s.submit(&batch, &format!("{batch}/welcome"), &[]);
    assert_eq!(r.status().as_u16(), 303, "nobody had one: sent at once");
    assert_eq!(welcomes(&app), 3);
    let to_parent: Vec<String> = outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .filter(outbox_emails::to_address.eq("okafor.family@example.com"))
        .select(outbox_emails::body_text)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(to_parent.len(), 2, "the parent gets Grace's and Ethan's");
    assert!(to_parent
        .iter()
        .any(|b| b.contains("Grace's name and date of birth came over")));
    assert!(to_parent
        .iter()
        .any(|b| b.contains("Ethan's name came over")));

    // A second send asks, naming all three; "only those without" sends nothing now.
    let r = s.submit(&batch, &format!("{batch}/welcome"), &[]);
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().unwrap();
    assert_eq!(select_text(&page, "tr[data-welcomed]").len(), 3);
    let r = s.post_raw(
        &format!("{batch}/welcome"),
        &csrf_in(&page),
        &[("to", "not_yet")],
    );
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(welcomes(&app), 3, "no duplicate queued");
}

#[test]
fn the_parents_own_row_in_a_list_becomes_the_contact_not_a_client() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let list = "First Name,Last Name,Email,Phone,Parent Name\n\
Maria,Okafor,okafor.family@example.com,555-555-0166,\n\
Grace,Okafor,okafor.family@example.com,,Maria Okafor\n\
Ethan,Okafor,okafor.family@example.com,,Maria Okafor\n";
    let batch = upload(&s, "okafor.csv", list.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        select_text(&html, "fieldset.household legend"),
        ["Grace and Ethan Okafor share okafor.family@example.com — import both with this address as their parent's"]
    );
    assert_eq!(
        select_attr(&html, "input[name=household-name-2]", "value"),
        ["Maria Okafor"]
    );
    assert!(select_text(&html, "fieldset.household p.small")[0]
        .starts_with("Maria Okafor's own row has the same address: they become the contact"));
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("household-choice-2", "together"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(
        clients_and_contacts(&app),
        [
            (
                "Ethan".to_string(),
                String::new(),
                Some("okafor.family@example.com".to_string())
            ),
            (
                "Grace".into(),
                String::new(),
                Some("okafor.family@example.com".into())
            ),
        ]
    );
    let contacts = contacts_named(&app, "Maria Okafor");
    assert!(contacts
        .iter()
        .all(|(_, _, phone)| phone.as_deref() == Some("555-555-0166")));
    let (_, done) = s.get_text(&batch);
    let left = select_text(&done, "table.left-out tbody tr");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].contains("Maria Okafor")
            && left[0].contains("The contact of Grace and Ethan Okafor")
    );
}

#[test]
fn the_rows_an_import_left_out_are_deleted_thirty_days_after_it() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let list = "First Name,Last Name,Email\nNia,Lee,nia@example.com\nSam,,sam@example.com\n";
    let batch = upload(&s, "list.csv", list.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    let r = s.fill_from(&html, &format!("{batch}/review"), &[("action", "import")]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "table.left-out tbody tr").len(), 1);
    // Signed in again each time: a session ends after days away.
    app.advance(chrono::Duration::days(29));
    app.run_jobs();
    let s = app.session();
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, done) = s.get_text(&batch);
    assert_eq!(
        select_text(&done, "table.left-out tbody tr").len(),
        1,
        "kept for 30 days"
    );
    app.advance(chrono::Duration::days(2));
    app.run_jobs();
    let s = app.session();
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, done) = s.get_text(&batch);
    assert!(
        select_text(&done, "table.left-out tbody tr").is_empty(),
        "then deleted: {done}"
    );
    assert_eq!(select_text(&done, "[data-count=imported]"), ["1"]);
    assert_eq!(
        select_text(&done, "[data-count=skipped]"),
        ["1"],
        "the counts stay"
    );
    let kept: i64 = caseload::db::schema::import_rows::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(kept, 0, "no row of a person left out is kept");
}

#[test]
fn the_confirmation_says_more_rows_were_left_out_only_when_there_are_more_than_it_shows() {
    for (left_out, more) in [(200, false), (201, true)] {
        let app = TestApp::spawn();
        let s = app.signed_in();
        let mut csv = String::from("First Name,Last Name,Email\nNia,Okafor,nia@example.com\n");
        for i in 0..left_out {
            csv.push_str(&format!("Sam{i},,sam{i}@example.com\n"));
        }
        let batch = upload(&s, "list.csv", csv.into_bytes());
        let html = analysed(&app, &s, &batch);
        let r = s.post_raw(
            &format!("{batch}/review"),
            &csrf_in(&html),
            &[("action", "import")],
        );
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
        let (_, done) = s.get_text(&batch);
        assert_eq!(select_text(&done, "[data-count=imported]"), ["1"]);
        assert_eq!(select_text(&done, "table.left-out tbody tr").len(), 200);
        assert_eq!(
            done.contains("The first 200 are shown here"),
            more,
            "{left_out} rows left out"
        );
    }
}

#[test]
fn a_row_that_is_already_a_client_is_never_offered_as_their_own_household() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client(
        "Maria",
        "Okafor",
        "maria@example.com",
        &[("date_of_birth", "1980-03-04"), ("phone", "212-555-0144")],
    );
    // Her last name typo'd, with her email, date of birth and phone; and her son.
    let list = "First Name,Last Name,Email,Date of Birth,Phone\n\
Maria,Okafr,maria@example.com,03/04/1980,212-555-0144\n\
Leo,Okafor,maria@example.com,,\n";
    let batch = upload(&s, "okafor.csv", list.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        select_attr(&html, "tr[data-row='2']", "data-status"),
        ["existing"]
    );
    let offer = select_text(&html, "fieldset.household legend");
    assert_eq!(offer.len(), 1, "{offer:?}");
    assert!(
        offer[0].starts_with("Leo Okafor has the address of your client Maria Okafor"),
        "only her son is offered with her address: {offer:?}"
    );
    assert!(
        select_attr(&html, "input[name=household-name-1]", "value").is_empty(),
        "her own row is no household's member"
    );
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("household-choice-2", "together"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(
        clients_and_contacts(&app),
        [
            (
                "Leo".to_string(),
                String::new(),
                Some("maria@example.com".to_string())
            ),
            ("Maria".into(), "maria@example.com".into(), None),
        ],
        "Maria is not made again"
    );
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["1"]);
    assert_eq!(select_text(&done, "[data-count=skipped]"), ["0"]);
    let (_, history) = s.get_text("/settings/imports");
    let cells = select_text(&history, "table.imports tbody tr td");
    assert_eq!(cells[3..], ["2", "1", "1", "0"], "{cells:?}");

    // Alone in a file, her row offers nothing to choose but "already a client".
    let batch = upload(
        &s,
        "again.csv",
        list.lines()
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    );
    let html = analysed(&app, &s, &batch);
    assert!(select_text(&html, "fieldset.household legend").is_empty());
    let r = s.fill(
        &batch,
        &format!("{batch}/review"),
        &[("household-choice-1", "together"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().unwrap().contains("there is nothing to import"));
    let n: i64 = clients::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 2, "Maria is not made again");
}

#[test]
fn a_minor_given_a_parents_email_on_the_review_page_gets_it_as_their_contacts() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client("Maria", "Okafor", "maria@example.com", &[]);
    // Two children and an adult, none with an email in the file.
    let list = "First Name,Last Name,Email,Date of Birth\n\
Leo,Okafor,,05/06/2014\n\
Ava,Lee,,07/08/2015\n\
Sam,Kim,,01/02/1990\n";
    let batch = upload(&s, "kids.csv", list.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert_eq!(
        select_attr(&html, "table.import-rows tbody tr", "data-status"),
        ["invalid", "invalid", "invalid"]
    );
    // Leo gets his mother's address (a client), Ava her parents', Sam his own.
    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&html),
        &[
            ("row", "1"),
            ("row", "2"),
            ("row", "3"),
            ("select", "1"),
            ("select", "2"),
            ("select", "3"),
            ("email-1", "maria@example.com"),
            ("email-2", "lee.parents@example.com"),
            ("email-3", "sam@example.com"),
            ("action", "import"),
        ],
    );
    assert_eq!(
        r.status().as_u16(),
        409,
        "Ava's parent is to be named first"
    );
    let page = r.text().unwrap();
    assert_eq!(
        select_text(&page, "div.alert"),
        ["The household of Ava Lee has no contact's name. Enter the name of their parent or guardian (or choose “Decide row by row”), then import again."]
    );
    assert_eq!(
        select_attr(&page, "input[name=household-name-1]", "value"),
        ["Maria Okafor"],
        "the address is a client's: she is the contact"
    );
    let r = s.fill_from(
        &page,
        &format!("{batch}/review"),
        &[("household-name-2", "June Lee"), ("action", "import")],
    );
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(
        clients_and_contacts(&app),
        [
            (
                "Ava".to_string(),
                String::new(),
                Some("lee.parents@example.com".to_string())
            ),
            (
                "Leo".into(),
                String::new(),
                Some("maria@example.com".into())
            ),
            ("Maria".into(), "maria@example.com".into(), None),
            ("Sam".into(), "sam@example.com".into(), None),
        ],
        "the children's emails are their parents', who receive them"
    );
    assert_eq!(contacts_named(&app, "Maria Okafor").len(), 1);
    let june = contacts_named(&app, "June Lee");
    assert_eq!(
        june,
        [(
            "parent_guardian".to_string(),
            Some("lee.parents@example.com".to_string()),
            None
        )]
    );
}
