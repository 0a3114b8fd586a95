use caseload::db::schema::{audit_events, clients, documents};
use diesel::prelude::*;
use reqwest::blocking::multipart::{Form, Part};

use crate::documents::{document_ids, upload, PDF};
use crate::support::*;

/// Another provider's client and document ids answer 404 on every route, for reading and
/// for changing, and nothing about them changes.
#[test]
fn another_providers_clients_and_documents_are_not_found() {
    let app = TestApp::spawn();
    let a = app.signed_in();
    let client = a.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    upload(&a, &client, "plan.pdf", PDF, "treatment_plan");
    let doc = document_ids(&a, &client).remove(0);

    // A second client of A's, archived, so that B's archived list has something to leak.
    let archived = a.add_client("Augusta", "King", "augusta@example.com", &[]);
    a.submit(
        &format!("/clients/{archived}"),
        &format!("/clients/{archived}/archive"),
        &[],
    );

    let b = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    let b_client = b.add_client("Grace", "Hopper", "grace@example.com", &[]);
    let audit_before: i64 = audit_events::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();

    for path in [
        format!("/clients/{client}"),
        format!("/clients/{client}/edit"),
        format!("/clients/{client}/billing"),
        format!("/clients/{client}/clinical"),
        format!("/clients/{client}/clinical/attachments"),
        format!("/clients/{client}/activity"),
        format!("/clients/{client}/documents/{doc}"),
        format!("/clients/{client}/documents/{doc}?download=1"),
        // B's own client with A's document id.
        format!("/clients/{b_client}/documents/{doc}"),
        "/clients/not-a-uuid".to_string(),
    ] {
        let (status, html) = b.get_text(&path);
        assert_eq!(status, 404, "GET {path}");
        assert!(!html.contains("Lovelace"), "GET {path} leaked the name");
        assert!(html.contains("Page not found"));
    }

    let token = b.csrf("/clients");
    for (path, fields) in [
        (
            format!("/clients/{client}/edit"),
            vec![
                ("first_name", "Eve"),
                ("last_name", "X"),
                ("email", "eve@example.com"),
                ("billing_type", "insurance"),
            ],
        ),
        (format!("/clients/{client}/archive"), vec![]),
        (format!("/clients/{client}/restore"), vec![]),
        (format!("/clients/{client}/welcome"), vec![]),
        (format!("/clients/{client}/invitation"), vec![]),
    ] {
        let r = b.post_raw(&path, &token, &fields);
        assert_eq!(r.status(), 404, "POST {path}");
    }
    let form = Form::new()
        .text("csrf_token", token.clone())
        .text("kind", "other")
        .part(
            "file",
            Part::bytes(b"%PDF-1.4 other".to_vec()).file_name("x.pdf"),
        );
    let r = b
        .http
        .post(format!("{}/clients/{client}/clinical/attachments", b.base))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404, "upload to another provider's client");

    // B's list and search never show A's client.
    let (_, list) = b.get_text("/clients?q=ada");
    assert!(listed_names(&list).is_empty());
    let (_, list) = b.get_text("/clients?status=archived");
    assert!(listed_names(&list).is_empty());
    let (_, list) = b.get_text("/clients?q=king");
    assert!(listed_names(&list).is_empty());
    assert_eq!(
        listed_names(&a.get_text("/clients?status=archived").1),
        ["Augusta King"]
    );

    // Nothing changed, and no one audited a view that did not happen.
    let mut conn = app.conn();
    let (first, archived): (String, Option<chrono::NaiveDateTime>) = clients::table
        .filter(clients::id.eq(&client))
        .select((clients::first_name, clients::archived_at))
        .first(&mut conn)
        .unwrap();
    assert_eq!((first.as_str(), archived), ("Ada", None));
    assert_eq!(
        documents::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        1
    );
    assert_eq!(
        audit_events::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        audit_before
    );

    // A still sees everything.
    assert_eq!(
        a.get(&format!("/clients/{client}/documents/{doc}"))
            .status(),
        200
    );
}

#[test]
fn signed_out_visitors_are_sent_to_sign_in_from_every_client_route() {
    let app = TestApp::spawn();
    let a = app.signed_in();
    let client = a.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let anon = app.session();
    for path in [
        "/clients".to_string(),
        "/clients/new".into(),
        format!("/clients/{client}"),
        format!("/clients/{client}/billing"),
        "/settings".into(),
    ] {
        let r = anon.get(&path);
        assert_eq!(r.status(), 303, "{path}");
        assert!(location(&r).starts_with("/login"), "{path}");
    }
}

/// The database itself refuses a row about one provider's client filed under another
/// provider (the composite foreign keys to `clients (provider_id, id)`), whatever the code.
#[test]
fn the_database_refuses_a_row_naming_another_providers_client() {
    use caseload::db::schema::{outbox_emails, payment_methods, providers};
    let app = TestApp::spawn();
    let a = app.signed_in();
    let client = a.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    app.provider("dr.okafor@example.com", "Sam", "Okafor");
    let mut conn = app.conn();
    let b_id: String = providers::table
        .filter(providers::email.eq("dr.okafor@example.com"))
        .select(providers::id)
        .first(&mut conn)
        .unwrap();
    let a_id: String = clients::table
        .filter(clients::id.eq(&client))
        .select(clients::provider_id)
        .first(&mut conn)
        .unwrap();
    let now = chrono::Utc::now().naive_utc();
    let audit = |provider: &str, conn: &mut caseload::db::DbConnection| {
        diesel::insert_into(audit_events::table)
            .values((
                audit_events::id.eq(uuid::Uuid::now_v7().to_string()),
                audit_events::provider_id.eq(provider),
                audit_events::client_id.eq(Some(client.as_str())),
                audit_events::action.eq("client_viewed"),
                audit_events::created_at.eq(now),
            ))
            .execute(conn)
    };
    assert!(
        audit(&b_id, &mut conn).is_err(),
        "audit row under B for A's client"
    );
    assert_eq!(
        audit(&a_id, &mut conn).unwrap(),
        1,
        "the same row under A is fine"
    );
    let card = diesel::insert_into(payment_methods::table)
        .values((
            payment_methods::id.eq(uuid::Uuid::now_v7().to_string()),
            payment_methods::provider_id.eq(&b_id),
            payment_methods::client_id.eq(&client),
            payment_methods::kind.eq("credit"),
            payment_methods::brand.eq("Visa"),
            payment_methods::last4.eq("4242"),
            payment_methods::exp_month.eq(12),
            payment_methods::exp_year.eq(2030),
            payment_methods::added_by.eq("provider"),
            payment_methods::created_at.eq(now),
        ))
        .execute(&mut conn);
    assert!(card.is_err(), "card under B for A's client");
    let email = diesel::insert_into(outbox_emails::table)
        .values((
            outbox_emails::id.eq(uuid::Uuid::now_v7().to_string()),
            outbox_emails::provider_id.eq(&b_id),
            outbox_emails::client_id.eq(Some(client.as_str())),
            outbox_emails::kind.eq("invitation"),
            outbox_emails::to_address.eq("ada@example.com"),
            outbox_emails::subject.eq("s"),
            outbox_emails::body_text.eq("t"),
            outbox_emails::body_html.eq("h"),
            outbox_emails::status.eq("pending"),
            outbox_emails::attempts.eq(0),
            outbox_emails::send_after.eq(now),
            outbox_emails::next_attempt_at.eq(now),
            outbox_emails::created_at.eq(now),
        ))
        .execute(&mut conn);
    assert!(email.is_err(), "email under B about A's client");
}
