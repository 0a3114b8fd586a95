//! What a list says beyond names and contact details is kept: preferred names (a
//! "Preferred Name" column, a vCard NICKNAME), inactive or discharged clients (a status
//! column) imported archived, the billing type when the file gives it and "not set"
//! otherwise; phones are shown in one national format and found by any four digits.

use caseload::db::schema::{audit_events, clients};
use diesel::prelude::*;

use crate::imports::{analysed, upload};
use crate::support::*;

/// Imports every row the review selected, as the review page's Import button does.
fn import_selected(s: &Session, batch: &str, html: &str) {
    let mut fields = form_fields(html, &format!("{batch}/review"));
    fields.retain(|(k, _)| k != "action");
    fields.push(("action".into(), "import".into()));
    let r = s
        .http
        .post(format!("{}{batch}/review", s.base))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

fn stored(app: &TestApp, email: &str) -> (Option<String>, String, bool) {
    clients::table
        .filter(clients::email_normalized.eq(email))
        .select((
            clients::preferred_name,
            clients::billing_type,
            clients::archived_at.is_not_null(),
        ))
        .first(&mut app.conn())
        .unwrap()
}

const LIST: &str = "First Name,Last Name,Preferred Name,Email,Mobile Phone,Status,Billing Type\n\
Robert,Kim,Bob,bob.kim@example.com,212.555.0143,Active,Self-pay\n\
Maria,Lopez,,maria@example.com,+1 (415) 555-0101,Discharged,Insurance\n\
Grace,Okafor,Grace,grace@example.com,4155550199,Inactive,\n\
Tomas,Reyes,Tommy,tomas@example.com,555-0102 ext 4,,\n";

#[test]
fn preferred_names_standing_and_billing_come_in_as_the_file_says() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let batch = upload(&s, "jane-clients.csv", LIST.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("goes by Bob"), "{html}");
    assert!(html.contains("goes by Tommy"));
    assert!(
        !html.contains("goes by Grace"),
        "a preferred name that is the first name again is not repeated"
    );
    assert!(html.contains("Billing: Private pay"));
    assert!(html.contains("Billing: Insurance"));
    assert_eq!(
        html.matches("Inactive in the file: comes in archived")
            .count(),
        2,
        "the discharged and the inactive client"
    );
    assert!(html.contains("(212) 555-0143"), "one national format");
    import_selected(&s, &batch, &html);

    assert_eq!(
        stored(&app, "bob.kim@example.com"),
        (Some("Bob".into()), "private_pay".into(), false)
    );
    assert_eq!(
        stored(&app, "maria@example.com"),
        (None, "insurance".into(), true)
    );
    assert_eq!(
        stored(&app, "grace@example.com"),
        (None, String::new(), true),
        "no billing in the file: not set, not insurance"
    );
    assert_eq!(
        stored(&app, "tomas@example.com"),
        (Some("Tommy".into()), String::new(), false)
    );
    let archived_by_import: i64 = audit_events::table
        .filter(audit_events::action.eq("client.archived"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(archived_by_import, 2, "each archiving is in the audit log");

    // The Clients tab: active clients only, each phone in one format, billing not set said.
    let (_, list) = s.get_text("/clients");
    assert_eq!(listed_names(&list), ["Robert Kim", "Tomas Reyes"]);
    assert!(list.contains("goes by Bob"));
    assert!(list.contains("(212) 555-0143"));
    assert!(
        list.contains("555-0102 ext 4"),
        "an extension is kept as typed"
    );
    assert!(list.contains("Not set"));
    let (_, archived) = s.get_text("/clients?status=archived");
    assert_eq!(listed_names(&archived), ["Maria Lopez", "Grace Okafor"]);
    assert!(archived.contains("(415) 555-0101") && archived.contains("(415) 555-0199"));

    // The profile says what the client goes by.
    let bob: String = clients::table
        .filter(clients::email_normalized.eq("bob.kim@example.com"))
        .select(clients::id)
        .first(&mut app.conn())
        .unwrap();
    let (_, profile) = s.get_text(&format!("/clients/{bob}"));
    assert!(profile.contains("goes by Bob"), "{profile}");
    assert!(profile.contains("Preferred name"));
}

#[test]
fn a_phone_is_found_by_any_four_or_more_digits_in_a_row() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client(
        "Robert",
        "Kim",
        "bob@example.com",
        &[("phone", "(212) 555-0143")],
    );
    s.add_client(
        "Maria",
        "Lopez",
        "maria@example.com",
        &[("phone", "415-555-0101")],
    );
    for (search, want) in [
        ("555-0143", vec!["Robert Kim"]),
        ("0143", vec!["Robert Kim"]),
        ("5550", vec!["Robert Kim", "Maria Lopez"]),
        ("212", vec!["Robert Kim"]),
        ("(415) 555", vec!["Maria Lopez"]),
        ("9999", vec![]),
    ] {
        let (_, html) = s.get_text(&format!("/clients?q={}", urlencoding(search)));
        assert_eq!(listed_names(&html), want, "search {search}");
    }
}

#[test]
fn a_nickname_on_a_contact_card_is_the_preferred_name() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Kim;Robert;;;\r\nFN:Robert Kim\r\nNICKNAME:Bob,Bobby\r\nEMAIL:bob@example.com\r\nEND:VCARD\r\n";
    let batch = upload(&s, "contacts.vcf", card.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    assert!(html.contains("goes by Bob"), "{html}");
    import_selected(&s, &batch, &html);
    assert_eq!(stored(&app, "bob@example.com").0.as_deref(), Some("Bob"));
}

#[test]
fn the_preferred_name_is_edited_with_the_other_details() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client(
        "Katherine",
        "Moss",
        "kate@example.com",
        &[("preferred_name", "Kate")],
    );
    let (_, profile) = s.get_text(&format!("/clients/{id}"));
    assert!(profile.contains("goes by Kate"));
    let edit = format!("/clients/{id}/edit");
    let r = s.fill(&edit, &edit, &[("preferred_name", "Kit")]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, profile) = s.get_text(&format!("/clients/{id}"));
    assert!(profile.contains("goes by Kit"));
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
