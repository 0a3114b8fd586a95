//! Families through the real app: children added with a parent's email (no email of their
//! own), one parent account acting for two siblings through the whole portal loop, a parent
//! who is also a client, a guardian who acts for one child but not another, and the emails
//! that go to whoever receives a client's emails, worded for them.

use caseload::db::schema::{audit_events, form_acknowledgments, outbox_emails};
use diesel::prelude::*;

use crate::onboarding::path_of;
use crate::support::*;

const FAMILY: &str = "okafor.family@example.com";
const CARD: &str = "4242 4242 4242 4242";

/// The emails queued to an address, oldest first: (kind, link path, subject, text).
pub(crate) fn emails_to(app: &TestApp, to: &str) -> Vec<(String, String, String, String)> {
    let rows: Vec<(String, Option<String>, String, String)> = outbox_emails::table
        .filter(outbox_emails::to_address.eq(to))
        .order((outbox_emails::created_at, outbox_emails::send_after))
        .select((
            outbox_emails::kind,
            outbox_emails::action_url,
            outbox_emails::subject,
            outbox_emails::body_text,
        ))
        .load(&mut app.conn())
        .unwrap();
    rows.into_iter()
        .map(|(k, url, subject, text)| (k, path_of(&url.unwrap_or_default()), subject, text))
        .collect()
}

/// Adds a child with no email of their own, their parent acting for them.
fn add_child(p: &Session, first: &str, born: &str, guardian: &str) -> String {
    p.add_client(
        first,
        "Okafor",
        "",
        &[
            ("date_of_birth", born),
            ("guardian_name", guardian),
            ("guardian_relationship", "parent_guardian"),
            ("guardian_email", FAMILY),
            ("notify", "on"),
        ],
    )
}

/// Accepts a setup link with a password; returns the browser, signed in.
fn accept(app: &TestApp, link: &str) -> Session {
    let c = app.session();
    let r = c.submit(
        link,
        link,
        &[
            ("password", "family password 123"),
            ("password_again", "family password 123"),
        ],
    );
    assert_eq!(location(&r), "/portal", "{}", r.text().unwrap_or_default());
    c
}

/// The portal steps for whoever is acting: insurance (a parent's policy), card, forms
/// signed by `signer`.
fn finish_steps(c: &Session, signer: &str) {
    let r = c.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[
            ("billing_type", "insurance"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W123456789"),
            ("holder_name", "Maria Okafor"),
            ("holder_date_of_birth", "1984-06-02"),
        ],
    );
    assert_eq!(location(&r), "/portal", "{}", r.text().unwrap_or_default());
    let r = c.submit(
        "/portal/billing",
        "/portal/billing",
        &[
            ("kind", "card"),
            ("number", CARD),
            ("expiry", "12/39"),
            ("cvc", "123"),
            ("zip", "94110"),
        ],
    );
    assert_eq!(location(&r), "/portal");
    let (_, forms) = c.get_text("/portal/forms");
    let ids = select_attr(&forms, "input[name=form_ids]", "value");
    let mut fields = vec![("typed_name", signer)];
    fields.extend(ids.iter().map(|id| ("form_ids", id.as_str())));
    let r = c.submit("/portal/forms", "/portal/forms", &fields);
    assert_eq!(location(&r), "/portal", "{}", r.text().unwrap_or_default());
}

fn verify_insurance(p: &Session, id: &str) {
    let r = p.submit(
        &format!("/clients/{id}/billing"),
        &format!("/clients/{id}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);
}

#[test]
fn sibling_minors_with_one_parent_both_reach_ready_to_schedule() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let grace = add_child(&p, "Grace", "2016-04-03", "Maria Okafor");
    let ethan = add_child(&p, "Ethan", "2013-09-21", "Maria Okafor");
    // The children share their parent's email; neither has one of their own.
    let (_, overview) = p.get_text(&format!("/clients/{grace}"));
    assert!(select_text(&overview, ".details dd")[2].starts_with("None of their own"));
    assert_eq!(
        select_text(&overview, "table.contacts th[scope=row]"),
        ["Maria Okafor"]
    );

    // Each child's invitation goes to the parent, worded for her.
    let mail = emails_to(&app, FAMILY);
    let invitations: Vec<_> = mail.iter().filter(|m| m.0 == "invitation").collect();
    assert_eq!(invitations.len(), 2);
    assert!(
        invitations[0]
            .2
            .contains("invites you to set up Grace's account"),
        "{}",
        invitations[0].2
    );
    assert!(
        invitations[0].3.starts_with("Hello Maria,"),
        "{}",
        invitations[0].3
    );
    assert!(invitations[1].2.contains("Ethan's account"));

    // Maria sets a password through Grace's link, and finishes Grace's steps.
    let (_, page) = app.session().get_text(&invitations[0].1);
    assert_eq!(select_text(&page, "h1"), ["Welcome, Maria"]);
    assert!(select_text(&page, ".lead")[0].contains("You set up Grace's account"));
    let maria = accept(&app, &invitations[0].1);
    let (_, home) = maria.get_text("/portal");
    assert_eq!(select_text(&home, "h1"), ["Hello Maria — Grace's account"]);
    finish_steps(&maria, "Maria Okafor");
    // Then Ethan's link: the same account (one password for both).
    let maria = accept(&app, &invitations[1].1);
    assert_eq!(
        select_text(&maria.get_text("/portal").1, "h1"),
        ["Hello Maria — Ethan's account"]
    );
    finish_steps(&maria, "maria okafor");
    verify_insurance(&p, &grace);
    verify_insurance(&p, &ethan);
    assert_eq!(
        select_text(&p.get_text("/clients").1, "table.clients .badge"),
        ["Ready to schedule", "Ready to schedule"]
    );

    // Signing in again asks whose account to open; she switches between them.
    let again = app.session();
    let r = again.submit(
        "/portal/login",
        "/portal/login",
        &[("email", FAMILY), ("password", "family password 123")],
    );
    assert_eq!(location(&r), "/portal/choose");
    let (_, choose) = again.get_text("/portal/choose");
    assert_eq!(
        select_text(&choose, "li strong"),
        ["Ethan Okafor", "Grace Okafor"]
    );
    let r = again.submit(
        "/portal/choose",
        "/portal/choose",
        &[("client", grace.as_str())],
    );
    assert_eq!(location(&r), "/portal");
    assert_eq!(
        select_text(&again.get_text("/portal").1, "h1"),
        ["Hello Maria — Grace's account"]
    );
    // Another family's child cannot be chosen.
    let stranger = p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = again.submit(
        "/portal/choose",
        "/portal/choose",
        &[("client", stranger.as_str())],
    );
    assert_eq!(r.status(), 404);

    // The provider's checklist says who did what; the forms were signed on her behalf.
    let (_, overview) = p.get_text(&format!("/clients/{grace}"));
    let steps = select_text(&overview, ".details dd");
    assert!(
        steps.iter().any(
            |s| s.contains("Acknowledged") && s.contains("by Maria Okafor, parent or guardian")
        ),
        "{steps:?}"
    );
    let by: Vec<Option<String>> = form_acknowledgments::table
        .select(form_acknowledgments::acknowledged_by)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(by.len(), 4);
    assert!(by
        .iter()
        .all(|b| b.as_deref() == Some("Maria Okafor, parent or guardian")));
    let (_, billing) = p.get_text(&format!("/clients/{grace}/billing"));
    assert!(
        billing.contains("1984-06-02"),
        "the policyholder's date of birth is kept"
    );
}

#[test]
fn a_parent_who_is_also_a_client_sees_herself_and_her_child() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let maria = p.add_client("Maria", "Okafor", FAMILY, &[("notify", "on")]);
    // Her email is a client's already: as the child's own it is refused, with the way out.
    let r = p.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Grace"),
            ("last_name", "Okafor"),
            ("email", FAMILY),
            ("billing_type", "insurance"),
        ],
    );
    assert_eq!(r.status(), 200);
    let refused = r.text().unwrap();
    assert!(refused.contains("leave this client"), "{refused}");
    let grace = add_child(&p, "Grace", "2016-04-03", "Maria Okafor");
    let mail = emails_to(&app, FAMILY);
    let own = mail
        .iter()
        .find(|m| m.0 == "invitation" && !m.2.contains("Grace"))
        .unwrap();
    let session = accept(&app, &own.1);
    assert!(session.get_text("/portal").1.contains("Hello Maria"));
    let (_, choose) = session.get_text("/portal/choose");
    assert_eq!(
        select_text(&choose, "li strong"),
        ["Grace Okafor", "Maria Okafor"]
    );
    let r = session.submit(
        "/portal/choose",
        "/portal/choose",
        &[("client", grace.as_str())],
    );
    assert_eq!(location(&r), "/portal");
    assert_eq!(
        select_text(&session.get_text("/portal").1, "h1"),
        ["Hello Maria — Grace's account"]
    );
    let r = session.submit(
        "/portal/choose",
        "/portal/choose",
        &[("client", maria.as_str())],
    );
    assert_eq!(location(&r), "/portal");
    // Questionnaires about Grace go to her parent, worded for her.
    p.submit(
        &format!("/clients/{grace}/measures"),
        &format!("/clients/{grace}/measures"),
        &[("instrument", "GAD-2"), ("frequency", "once")],
    );
    let q = emails_to(&app, FAMILY)
        .into_iter()
        .find(|m| m.0 == "assessments")
        .unwrap();
    assert!(q.3.contains("This email is about Grace"), "{}", q.3);
}

#[test]
fn a_guardian_who_acts_for_one_child_but_not_another() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let grace = add_child(&p, "Grace", "2016-04-03", "Maria Okafor");
    // Ethan has his own email, and Maria only as an emergency contact who does not act.
    let ethan = p.add_client("Ethan", "Okafor", "ethan@example.com", &[]);
    let r = p.submit(
        &format!("/clients/{ethan}/contacts/new"),
        &format!("/clients/{ethan}/contacts"),
        &[
            ("name", "Maria Okafor"),
            ("relationship", "emergency"),
            ("email", FAMILY),
            ("phone", "(415) 555-0143"),
        ],
    );
    assert_eq!(r.status(), 303);
    let link = emails_to(&app, FAMILY)
        .into_iter()
        .find(|m| m.0 == "invitation")
        .unwrap()
        .1;
    let maria = accept(&app, &link);
    // Only Grace: no chooser, and Ethan's record is not hers to open.
    let again = app.session();
    let r = again.submit(
        "/portal/login",
        "/portal/login",
        &[("email", FAMILY), ("password", "family password 123")],
    );
    assert_eq!(location(&r), "/portal");
    let r = maria.submit("/portal", "/portal/choose", &[("client", ethan.as_str())]);
    assert_eq!(r.status(), 404);
    // Ethan's emails go to Ethan alone.
    let r = p.submit(
        &format!("/clients/{ethan}"),
        &format!("/clients/{ethan}/sign-in-link"),
        &[],
    );
    assert_eq!(r.status(), 303);
    assert!(emails_to(&app, FAMILY)
        .iter()
        .all(|m| !m.3.contains("Ethan")));
    assert_eq!(emails_to(&app, "ethan@example.com").len(), 1);

    // Maria stops acting for Grace: her portal sign-in for Grace ends at once.
    let (_, overview) = p.get_text(&format!("/clients/{grace}"));
    let contact = select_attr(&overview, "table.contacts a", "href").remove(0);
    // Grace has no email: Maria is the only way to reach her, so that is refused.
    let r = p.fill(&contact, &contact, &[("acts_for", "")]);
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("only contact who receives their emails"));
    let r = p.fill(
        &format!("/clients/{grace}/edit"),
        &format!("/clients/{grace}/edit"),
        &[("email", "grace@example.com")],
    );
    assert_eq!(r.status(), 303);
    let fields: Vec<(String, String)> = form_fields(&p.get_text(&contact).1, &contact)
        .into_iter()
        .filter(|(k, _)| k != "acts_for")
        .collect();
    let r = p
        .http
        .post(format!("{}{contact}", p.base))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&maria.get("/portal")), "/portal/login");
    let changed: i64 = audit_events::table
        .filter(audit_events::action.eq("contact.changed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(changed, 1);
}

#[test]
fn a_minor_is_invited_only_through_a_parent_or_guardian() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let r = p.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Lee"),
            ("last_name", "Park"),
            ("email", "lee@example.com"),
            ("date_of_birth", "2012-01-05"),
            ("billing_type", "private_pay"),
            ("notify", "on"),
        ],
    );
    assert_eq!(r.status(), 200);
    let errors = select_text(&r.text().unwrap(), "p.error");
    assert!(
        errors[0].starts_with("A minor's invitation goes to a parent or guardian"),
        "{errors:?}"
    );
    // Without an email and without a guardian, nobody could be reached.
    let r = p.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Lee"),
            ("last_name", "Park"),
            ("billing_type", "private_pay"),
        ],
    );
    let errors = select_text(&r.text().unwrap(), "p.error");
    assert!(
        errors[0].contains("A child (or anyone) without one can be added with a parent"),
        "{errors:?}"
    );
    let lee = p.add_client(
        "Lee",
        "Park",
        "lee@example.com",
        &[
            ("date_of_birth", "2012-01-05"),
            ("guardian_name", "Jin Park"),
            ("guardian_email", "jin.park@example.com"),
            ("notify", "on"),
        ],
    );
    assert!(
        emails_to(&app, "lee@example.com").is_empty(),
        "a minor's go to the parent"
    );
    assert_eq!(emails_to(&app, "jin.park@example.com")[0].0, "invitation");
    let (_, overview) = p.get_text(&format!("/clients/{lee}"));
    assert!(select_text(&overview, ".details dd")
        .iter()
        .any(|d| d.contains("the practice's emails go to their parents or guardians")));
}
