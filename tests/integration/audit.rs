use caseload::db::schema::audit_events;
use diesel::prelude::*;

use crate::documents::{document_ids, upload, PDF};
use crate::support::*;

#[test]
fn every_view_and_change_is_in_the_audit_trail() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let client = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    s.get(&format!("/clients/{client}"));
    s.get(&format!("/clients/{client}/billing"));
    let edit = format!("/clients/{client}/edit");
    s.fill(
        &edit,
        &edit,
        &[
            ("first_name", "Ada"),
            ("last_name", "King"),
            ("email", "ada@example.com"),
            ("billing_type", "insurance"),
        ],
    );
    upload(&s, &client, "plan.pdf", PDF, "treatment_plan");
    let doc = document_ids(&s, &client).remove(0);
    s.get(&format!("/clients/{client}/documents/{doc}"));
    s.submit(
        &format!("/clients/{client}"),
        &format!("/clients/{client}/archive"),
        &[],
    );

    let mut conn = app.conn();
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = audit_events::table
        .order(audit_events::id)
        .select((
            audit_events::action,
            audit_events::subject,
            audit_events::client_id,
            audit_events::ip,
        ))
        .load(&mut conn)
        .unwrap();
    let actions: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|(a, s, _, _)| (a.as_str(), s.as_deref()))
        .collect();
    let doc_subject = Some(doc.as_str());
    for expected in [
        ("client.created", None),
        ("client.viewed", Some("overview")),
        ("client.viewed", Some("billing")),
        ("client.viewed", Some("edit")),
        ("client.updated", Some("Last name")),
        ("client.viewed", Some("attachments")),
        ("document.uploaded", doc_subject),
        ("document.viewed", doc_subject),
        ("client.archived", None),
    ] {
        assert!(
            actions.contains(&expected),
            "missing {expected:?} in {actions:?}"
        );
    }
    assert!(rows
        .iter()
        .all(|(_, _, c, ip)| c.as_deref() == Some(client.as_str())
            && ip.as_deref() == Some("127.0.0.1")));

    // The provider sees it on the profile, newest first, with who and from where.
    let (_, html) = s.get_text(&format!("/clients/{client}/activity"));
    let whats = select_text(&html, "table.activity tbody td:nth-child(3)");
    assert_eq!(whats[0], "Viewed the record (activity)");
    assert!(whats.contains(&"Archived the client".to_string()));
    assert!(whats.contains(&"Opened a document".to_string()));
    assert!(whats.contains(&"Added the client".to_string()));
    assert!(select_text(&html, "table.activity tbody td:nth-child(2)")
        .iter()
        .all(|w| w == "Elena Rivera"));
}

#[test]
fn the_audit_trail_holds_no_client_details() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let client = s.add_client(
        "Zebulon",
        "Quartermaine",
        "zq@example.com",
        &[("phone", "415-555-2671")],
    );
    s.get(&format!("/clients/{client}"));
    let mut conn = app.conn();
    type Row = (
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        chrono::NaiveDateTime,
    );
    let rows: Vec<Row> = audit_events::table.load(&mut conn).unwrap();
    assert!(rows.len() >= 2);
    let all = format!("{rows:?}");
    for secret in [
        "Zebulon",
        "Quartermaine",
        "zq@example.com",
        "415-555-2671",
        "4155552671",
    ] {
        assert!(!all.contains(secret), "{secret} found in audit rows");
    }
}
