//! No lost edits: every edit carries the version it was made from, a stale save is refused
//! with what changed meanwhile, and the audit trail names the fields an edit changed.

use caseload::db::schema::{audit_events, clients};
use diesel::prelude::*;

use crate::onboarding::{outbox_links, path_of, verify};
use crate::support::*;

fn client_row(app: &TestApp, id: &str) -> (String, Option<String>, Option<String>, Option<String>) {
    clients::table
        .find(id)
        .select((
            clients::last_name,
            clients::phone,
            clients::insurance_company,
            clients::insurance_member_id,
        ))
        .first(&mut app.conn())
        .unwrap()
}

#[test]
fn two_edit_forms_saved_one_after_the_other_do_not_undo_each_other() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let edit = format!("/clients/{id}/edit");
    let (_, first_tab) = s.get_text(&edit);
    let (_, second_tab) = s.get_text(&edit);

    let r = s.fill_from(&second_tab, &edit, &[("phone", "(415) 555-0143")]);
    assert_eq!(location(&r), format!("/clients/{id}"));

    // The first tab, saved later, would have put the phone back to empty.
    let r = s.fill_from(&first_tab, &edit, &[("last_name", "King")]);
    assert_eq!(r.status(), 200, "a stale save is refused, not saved");
    let page = r.text().unwrap();
    assert!(page.contains("Nothing was saved"), "{page}");
    assert_eq!(
        select_text(&page, ".alert tbody th"),
        ["Phone"],
        "the page shows what changed meanwhile"
    );
    assert_eq!(
        select_text(&page, ".alert tbody td"),
        ["empty", "(415) 555-0143"]
    );
    assert!(page.contains("your changes (Last name)"), "{page}");
    assert_eq!(
        client_row(&app, &id),
        ("Lovelace".into(), Some("(415) 555-0143".into()), None, None)
    );
    // The form shown again holds both changes; saving it keeps both.
    assert_eq!(select_attr(&page, "#last_name", "value"), ["King"]);
    assert_eq!(select_attr(&page, "#phone", "value"), ["(415) 555-0143"]);
    let r = s.fill_from(&page, &edit, &[]);
    assert_eq!(location(&r), format!("/clients/{id}"));
    assert_eq!(
        client_row(&app, &id),
        ("King".into(), Some("(415) 555-0143".into()), None, None)
    );
}

#[test]
fn a_field_both_forms_changed_is_named_and_keeps_the_editors_value_to_decide() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let edit = format!("/clients/{id}/edit");
    let (_, first_tab) = s.get_text(&edit);
    s.fill(&edit, &edit, &[("email", "ada.king@example.com")]);
    let r = s.fill_from(&first_tab, &edit, &[("email", "ada.l@example.com")]);
    let page = r.text().unwrap();
    assert!(
        page.contains("Changed meanwhile to “ada.king@example.com”"),
        "{page}"
    );
    assert_eq!(select_attr(&page, "#email", "value"), ["ada.l@example.com"]);
}

#[test]
fn an_edit_form_opened_before_the_client_added_insurance_does_not_wipe_it() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let edit = format!("/clients/{id}/edit");
    let (_, opened_before) = provider.get_text(&edit);

    let client = verify(&app, &path_of(&outbox_links(&provider)[0]));
    let r = client.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[
            ("billing_type", "insurance"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W987654321"),
        ],
    );
    assert_eq!(location(&r), "/portal");

    let r = provider.fill_from(&opened_before, &edit, &[("phone", "(415) 555-0143")]);
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    let changed = select_text(&page, ".alert tbody th");
    assert_eq!(changed, ["Insurance company", "Member ID"], "{page}");
    assert_eq!(
        client_row(&app, &id),
        (
            "Lovelace".into(),
            None,
            Some("Aetna".into()),
            Some("W987654321".into())
        ),
        "nothing was written: the client's insurance stays"
    );
    assert_eq!(select_attr(&page, "#insurance_company", "value"), ["Aetna"]);
    provider.fill_from(&page, &edit, &[]);
    assert_eq!(
        client_row(&app, &id),
        (
            "Lovelace".into(),
            Some("(415) 555-0143".into()),
            Some("Aetna".into()),
            Some("W987654321".into())
        )
    );
}

#[test]
fn the_portals_insurance_form_is_refused_when_the_practice_changed_the_details_meanwhile() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let client = verify(&app, &path_of(&outbox_links(&provider)[0]));
    let (_, opened) = client.get_text("/portal/insurance");
    // The practice enters insurance on the Billing tab meanwhile.
    let billing = format!("/clients/{id}/billing");
    provider.fill(
        &billing,
        &format!("/clients/{id}/insurance"),
        &[
            ("insurance_company", "Cigna"),
            ("insurance_member_id", "C1"),
        ],
    );
    let fields = [
        ("billing_type", "private_pay"),
        ("insurance_company", ""),
        ("insurance_member_id", ""),
    ];
    let r = client.fill_from(&opened, "/portal/insurance", &fields);
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    assert!(page.contains("Nothing was saved"), "{page}");
    assert_eq!(
        client_row(&app, &id).2.as_deref(),
        Some("Cigna"),
        "the practice's entry stays"
    );
    // Saving the form shown again is the client's deliberate choice.
    let r = client.fill_from(&page, "/portal/insurance", &fields);
    assert_eq!(location(&r), "/portal");
    assert_eq!(client_row(&app, &id).2, None);

    // The Billing tab's insurance form, opened before the client's change, is refused too.
    let (_, tab) = provider.get_text(&billing);
    client.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[
            ("billing_type", "insurance"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "A1"),
        ],
    );
    let r = provider.fill_from(
        &tab,
        &format!("/clients/{id}/insurance"),
        &[
            ("insurance_company", "Cigna"),
            ("insurance_member_id", "C1"),
        ],
    );
    let (_, after) = provider.get_text(&location(&r));
    assert!(after.contains("The insurance was not saved"), "{after}");
    assert_eq!(client_row(&app, &id).2.as_deref(), Some("Aetna"));
}

#[test]
fn of_two_saves_made_from_one_version_at_the_same_moment_exactly_one_wins() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let edit = format!("/clients/{id}/edit");
    let (_, form) = s.get_text(&edit);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (s, form, edit) = (&s, &form, &edit);
                scope.spawn(move || {
                    let name = format!("Name{i}");
                    s.fill_from(form, edit, &[("last_name", &name)])
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 7);
}

#[test]
fn the_audit_trail_names_the_fields_an_edit_changed() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let edit = format!("/clients/{id}/edit");
    s.fill(
        &edit,
        &edit,
        &[("last_name", "King"), ("phone", "(415) 555-0143")],
    );
    let subjects: Vec<Option<String>> = audit_events::table
        .filter(audit_events::action.eq("client.updated"))
        .select(audit_events::subject)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(subjects, [Some("Last name, Phone".to_string())]);
    let (_, activity) = s.get_text(&format!("/clients/{id}/activity"));
    assert!(
        activity.contains("Changed the details: Last name, Phone"),
        "{activity}"
    );
}

#[test]
fn a_practice_form_edited_in_two_tabs_keeps_both_texts() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let (_, first_tab) = s.get_text("/settings/forms");
    let (_, second_tab) = s.get_text("/settings/forms");
    let action = "/settings/forms/billing_policy";
    let theirs = "Our billing policy, as the office manager wrote it today.";
    let r = s.fill_from(&second_tab, action, &[("body", theirs)]);
    assert_eq!(r.status(), 303);
    let mine = "Our billing policy, as the clinician rewrote it in another tab.";
    let r = s.fill_from(&first_tab, action, &[("body", mine)]);
    assert_eq!(r.status(), 200, "a stale save is refused");
    let page = r.text().unwrap();
    assert!(page.contains("Nothing was saved: version 2"), "{page}");
    assert!(page.contains(theirs), "the text saved meanwhile is shown");
    assert_eq!(
        select_text(&page, "#body-billing_policy"),
        [mine],
        "the refused text stays in the box"
    );
    let r = s.fill_from(&page, action, &[]);
    assert_eq!(r.status(), 303);
    let (_, forms) = s.get_text("/settings/forms");
    assert_eq!(select_text(&forms, "#body-billing_policy"), [mine]);
    assert!(forms.contains("version 3"));
}
