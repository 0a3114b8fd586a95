//! What pages say and how they read: the layout kept on a page not found, names of
//! people and zones as people write them, the portal's words, the Good Faith Estimate's
//! address lines.

use crate::support::*;

#[test]
fn a_signed_in_providers_page_not_found_keeps_the_navigation() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let (status, html) = p.get_text("/no/such/page");
    assert_eq!(status, 404);
    assert_eq!(
        select_text(&html, "nav.mainnav a"),
        ["Calendar", "Clients", "Settings"]
    );
    assert_eq!(select_text(&html, ".who"), ["Elena Rivera"]);
    assert_eq!(select_text(&html, "h1"), ["Page not found"]);

    // Another provider's client is not found the same way, with the same navigation.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    let theirs = other.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let (status, html) = p.get_text(&format!("/clients/{theirs}"));
    assert_eq!(status, 404);
    assert_eq!(
        select_text(&html, "nav.mainnav a"),
        ["Calendar", "Clients", "Settings"]
    );
    assert!(!html.contains("Lovelace"));

    // Someone not signed in reads it without anyone's navigation.
    let (status, html) = app.session().get_text("/no/such/page");
    assert_eq!(status, 404);
    assert!(select_text(&html, "nav.mainnav a").is_empty());
}

#[test]
fn the_client_picker_names_a_client_without_email_and_books_them() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let p = app.signed_in();
    p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let lily = p.add_client(
        "Lily",
        "Okafor",
        "",
        &[
            ("date_of_birth", "2015-05-01"),
            ("guardian_name", "Maria Okafor"),
            ("guardian_relationship", "parent_guardian"),
            ("guardian_email", "maria.okafor@example.com"),
        ],
    );
    let (_, form) = p.get_text("/calendar/new");
    let choices = select_attr(&form, "#client-choices option", "value");
    assert_eq!(
        choices,
        ["Ada Lovelace <ada@example.com>", "Lily Okafor (no email)"]
    );
    let (_, form) = p.get_text(&format!("/calendar/new?client={lily}"));
    assert_eq!(
        select_attr(&form, "input#client", "value"),
        ["Lily Okafor (no email)"]
    );
    let service = crate::calendar::service_id(&p, "90834");
    let r = p.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Lily Okafor (no email)"),
            ("service", &service),
            ("date", "2026-12-08"),
            ("time", "10:00"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let (_, sessions) = p.get_text(&format!("/clients/{lily}/sessions"));
    assert!(sessions.contains("Dec 8, 2026"), "{sessions}");
}

#[test]
fn the_portal_says_when_every_step_is_done_and_names_the_practice_on_each_page() {
    use crate::onboarding::{complete_portal, outbox_links, path_of, verify};
    let app = TestApp::spawn();
    let p = app.signed_in();
    p.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(&p)
        .into_iter()
        .find(|l| l.contains("/portal/invite/"))
        .expect("the invitation");
    let c = verify(&app, &path_of(&link));
    let (_, checklist) = c.get_text("/portal");
    assert!(checklist.contains("please finish these steps"));
    complete_portal(&c);
    let (_, checklist) = c.get_text("/portal");
    let lead = select_text(&checklist, "p.lead").join(" ");
    assert!(!lead.contains("please finish"), "{lead}");
    assert!(
        lead.contains("You have finished every step.")
            && lead.contains("is checking your insurance; once it is verified"),
        "{lead}"
    );
    let practice = select_text(&checklist, ".brand");
    assert_eq!(practice, ["Elena Rivera"]);
    for page in ["/portal/insurance", "/portal/billing", "/portal/forms"] {
        let (_, html) = c.get_text(page);
        assert_eq!(select_text(&html, ".brand"), practice, "{page}");
    }
}

#[test]
fn times_read_on_a_12_hour_clock_in_zones_named_as_people_name_them() {
    use crate::booking_requests::{open_for_booking, sign_up_for};
    use crate::onboarding::{invite_link, path_of, verify};
    let app = TestApp::spawn_with_mailer();
    // Wednesday December 2, 09:00 in New York.
    app.set_time("2026-12-02 14:00");
    let p = app.signed_in();
    let link = open_for_booking(&p);

    // The booking page, as a stranger reads it.
    let visitor = app.session();
    let (_, page) = visitor.get_text(&format!("{link}?week=1"));
    assert!(page.contains("Times are in Eastern Time"), "{page}");
    assert!(!page.contains("America/New_York"));
    let offered = select_attr(&page, ".booking-times a", "aria-label");
    assert!(
        offered.contains(&"Tuesday, December 8 at 1:30 PM".to_string()),
        "{offered:?}"
    );
    let pick = select_attr(&page, ".booking-times a", "href")
        .into_iter()
        .zip(&offered)
        .find(|(_, l)| *l == "Tuesday, December 8 at 1:30 PM")
        .map(|(h, _)| h)
        .expect("1:30 PM offered");
    let r = sign_up_for(&visitor, &pick, "Nia", "nia@example.com");
    let done = r.text().unwrap();
    assert!(
        done.contains("You asked for Tuesday, December 8, 2026 at 1:30 PM Eastern Time"),
        "{done}"
    );

    // The provider's pages: the 12-hour clock until they choose the 24-hour one.
    let (_, requests) = p.get_text("/calendar/requests");
    assert!(
        requests.contains("Dec 8, 2026 1:30–2:30 PM EST"),
        "{requests}"
    );
    assert!(requests.contains("in Eastern Time"));
    let (_, week) = p.get_text("/calendar?date=2026-12-08");
    assert!(select_text(&week, "th.time").contains(&"1:30 PM".to_string()));
    assert!(select_text(&week, "td.busy .entry .when").contains(&"1:30–2:30 PM".to_string()));
    let (_, settings) = p.get_text("/settings");
    assert_eq!(
        select_attr(&settings, "#clock_hours option[selected]", "value"),
        ["12"]
    );
    let r = p.fill("/settings", "/settings/profile", &[("clock_hours", "24")]);
    assert_eq!(r.status(), 303);
    let (_, week) = p.get_text("/calendar?date=2026-12-08");
    assert!(select_text(&week, "th.time").contains(&"13:30".to_string()));
    assert!(select_text(&week, "td.busy .entry .when").contains(&"13:30–14:30".to_string()));

    // The client's email and portal keep the 12-hour clock of the United States.
    let invitation = app.emails().remove(0);
    let (_, page) = p.get_text("/calendar/requests");
    let id = select_attr(&page, "form[action$='/accept']", "action")
        .remove(0)
        .trim_start_matches("/calendar/requests/")
        .trim_end_matches("/accept")
        .to_string();
    let session = format!("/calendar/sessions/{id}");
    let (_, page) = p.get_text(&session);
    let version = select_attr(&page, "input[name=version]", "value").remove(0);
    let r = p.submit(
        &session,
        &format!("/calendar/requests/{id}/accept"),
        &[("version", &version)],
    );
    assert_eq!(r.status(), 303);
    let mail = app.emails();
    assert!(
        mail[0]
            .subject
            .contains("is booked for Tuesday, December 8, 2026 at 1:30 PM Eastern Time"),
        "{}",
        mail[0].subject
    );
    assert!(!mail[0].text.contains("America/New_York"));
    let nia = verify(&app, &path_of(&invite_link(&invitation.text)));
    let (_, portal) = nia.get_text("/portal");
    let upcoming = select_text(&portal, ".upcoming-sessions li").join(" ");
    assert!(
        upcoming.contains("Dec 8, 2026 1:30–2:30 PM EST"),
        "{upcoming}"
    );
}

#[test]
fn a_questionnaire_states_its_time_frame_before_each_item_and_the_cost_chart_its_amounts() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let p = app.signed_in();
    let id = p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    // The stem leads each item's legend, so that a phone showing one item shows it first.
    let (_, form) = p.get_text(&format!("/clients/{id}/measures/give/PHQ-9"));
    let legends = select_text(&form, "fieldset.q-item legend");
    assert!(
        legends[0].starts_with("Over the last 2 weeks"),
        "{:?}",
        legends[0]
    );
    assert!(legends[0].contains("1. Little interest or pleasure in doing things"));

    // A self-pay client at $150: each bar of the chart carries its amount.
    let service = crate::calendar::service_id(&p, "90834");
    p.fill(
        "/settings/rates",
        "/settings/rates",
        &[(&format!("rate_{service}"), "150")],
    );
    let r = p.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Bo"),
            ("last_name", "Chen"),
            ("email", "bo@example.com"),
            ("billing_type", "private_pay"),
        ],
    );
    let bo = location(&r);
    let (_, billing) = p.get_text(&format!("{bo}/billing"));
    let amounts = select_text(&billing, "svg.cost-chart text.bar-value");
    assert!(!amounts.is_empty(), "{billing}");
    assert!(amounts.iter().all(|a| a == "$150"), "{amounts:?}");
}

#[test]
fn a_good_faith_estimate_keeps_the_address_lines_apart() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let p = app.signed_in();
    let r = p.fill(
        "/settings/practice",
        "/settings/practice",
        &[
            ("npi", "1234567893"),
            ("tin", "12-3456789"),
            (
                "billing_address",
                "350 Fifth Avenue\nSuite 1200\nNew York, NY 10118",
            ),
        ],
    );
    assert_eq!(r.status(), 303);
    let service = crate::calendar::service_id(&p, "90834");
    p.fill(
        "/settings/rates",
        "/settings/rates",
        &[(&format!("rate_{service}"), "150")],
    );
    let r = p.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Bo"),
            ("last_name", "Chen"),
            ("email", "bo@example.com"),
            ("billing_type", "private_pay"),
            ("date_of_birth", "1985-03-14"),
        ],
    );
    let bo = location(&r);
    let r = p.submit(
        &format!("{bo}/billing"),
        &format!("{bo}/estimates"),
        &[
            ("frequency", "weekly"),
            ("months", "1"),
            ("service", &service),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = p.get_text(&location(&r));
    // On the page, the lines are kept (and shown apart, white-space: pre-line).
    assert!(
        page.contains(
            "<dd class=\"address\">350 Fifth Avenue\nSuite 1200\nNew York, NY 10118</dd>"
        ),
        "{page}"
    );
    // The PDF prints each line of the address on a line of its own.
    let (_, attachments) = p.get_text(&format!("{bo}/clinical/attachments"));
    let pdf_link = select_attr(&attachments, "a", "href")
        .into_iter()
        .find(|h| h.contains("/documents/"))
        .expect("the estimate among the documents");
    let bytes = p.get(&pdf_link).bytes().unwrap();
    let doc = lopdf::Document::load_mem(&bytes).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"Address: 350 Fifth Avenue")
            && lines.contains(&"Suite 1200")
            && lines.contains(&"New York, NY 10118"),
        "{lines:?}"
    );
}
