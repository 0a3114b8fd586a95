//! Good Faith Estimates through the real app: the practice's identifiers (NPI with its
//! check digit), the warning for a booked self-pay client, issuing one (its page and its
//! PDF, read back by an independent PDF reader), and the client's acknowledgment.

use caseload::db::schema::{audit_events, outbox_emails};
use diesel::prelude::*;

use crate::calendar::service_id;
use crate::onboarding::{outbox_links, path_of, verify};
use crate::support::*;

fn self_pay_client(s: &Session) -> String {
    let r = s.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Bo"),
            ("last_name", "Chen"),
            ("email", "bo@example.com"),
            ("billing_type", "private_pay"),
            ("date_of_birth", "1985-03-14"),
            ("notify", "on"),
        ],
    );
    assert_eq!(r.status(), 303);
    location(&r).trim_start_matches("/clients/").to_string()
}

#[test]
fn a_self_pay_client_is_given_a_good_faith_estimate_and_acknowledges_it() {
    let app = TestApp::spawn();
    // Wednesday December 2, 2026.
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let bo = self_pay_client(&s);
    let service = service_id(&s, "90834");
    s.fill(
        "/settings/rates",
        "/settings/rates",
        &[(&format!("rate_{service}"), "150")],
    );
    // A session 13 business days ahead: an estimate is due within 3 business days.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Bo Chen <bo@example.com>"),
            ("service", &service),
            ("date", "2026-12-21"),
            ("time", "10:00"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    let warning = select_text(&billing, "#good-faith .callout.warning").join(" ");
    assert!(
        warning.contains("No Good Faith Estimate covers the session on Dec 21, 2026 10:00 AM EST")
            && warning.contains("must receive one by Dec 7, 2026"),
        "{warning}"
    );

    // Without the practice's identifiers, nothing is issued, and the page says what to do.
    let issue = |s: &Session| {
        s.submit(
            &format!("/clients/{bo}/billing"),
            &format!("/clients/{bo}/estimates"),
            &[
                ("frequency", "weekly"),
                ("months", "3"),
                ("service", &service),
            ],
        )
    };
    let r = issue(&s);
    let (_, page) = s.get_text(&location(&r));
    assert!(page.contains(
        "No estimate was issued. Enter your NPI, TIN and address in Settings → Practice."
    ));

    // Settings → Practice checks the NPI's check digit and the TIN.
    let bad = s.fill(
        "/settings/practice",
        "/settings/practice",
        &[("npi", "1234567890"), ("tin", "12-345678")],
    );
    assert_eq!(bad.status(), 422);
    let text = bad.text().unwrap();
    assert!(text.contains("last digit does not match the others (its check digit)"));
    assert!(text.contains("TIN: A TIN is 9 digits"));
    let r = s.fill(
        "/settings/practice",
        "/settings/practice",
        &[
            ("npi", "1234567893"),
            ("tin", "12-3456789"),
            (
                "billing_address",
                "12 Elm St, Suite 3, Springfield, IL 62701",
            ),
        ],
    );
    assert_eq!(r.status(), 303);

    let r = issue(&s);
    assert_eq!(r.status(), 303);
    let estimate = location(&r);
    assert!(
        estimate.starts_with(&format!("/clients/{bo}/estimates/")),
        "{estimate}"
    );
    let (status, page) = s.get_text(&estimate);
    assert_eq!(status, 200);
    for element in [
        "Bo Chen",
        "03/14/1985",
        "Elena Rivera",
        "1234567893",
        "12-3456789",
        "12 Elm St, Suite 3, Springfield, IL 62701",
        "90834 Psychotherapy, 45 minutes (diagnosis not yet known): 13 × $150.00",
        "$1,950.00",
        "Total expected charges",
        "at least $400 more than this Good Faith Estimate",
        "December 2, 2026 to March 1, 2027",
    ] {
        assert!(page.contains(element), "{element}: {page}");
    }

    // The PDF is in the client's documents and says the same.
    let (_, attachments) = s.get_text(&format!("/clients/{bo}/clinical/attachments"));
    let pdf_link = select_attr(&attachments, "a", "href")
        .into_iter()
        .find(|h| h.contains("/documents/"))
        .unwrap_or_else(|| panic!("the estimate among the documents: {attachments}"));
    let pdf = s.get(&pdf_link);
    assert_eq!(pdf.status(), 200);
    let bytes = pdf.bytes().unwrap();
    let doc = lopdf::Document::load_mem(&bytes).expect("a PDF an independent reader opens");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for element in [
        "Good Faith Estimate",
        "Name: Bo Chen",
        "Date of birth: 03/14/1985",
        "NPI: 1234567893",
        "TIN: 12-3456789",
        "Address: 12 Elm St, Suite 3, Springfield, IL 62701",
        "13 × $150.00",
        "$1,950.00",
        "Total expected charges",
        "$400 more",
        "www.cms.gov/nosurprises",
    ] {
        assert!(flat.contains(element), "{element}: {flat}");
    }

    // The warning is gone; the estimate is listed, not yet acknowledged.
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    assert!(select_text(&billing, "#good-faith .callout.warning").is_empty());
    let listed = select_text(&billing, "#good-faith tbody tr").join(" ");
    assert!(
        listed.contains("$1,950.00") && listed.contains("Not yet"),
        "{listed}"
    );
    let mut conn = app.conn();
    let emailed: i64 = outbox_emails::table
        .filter(outbox_emails::kind.eq("good_faith_estimate"))
        .filter(outbox_emails::to_address.eq("bo@example.com"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(emailed, 1);

    // The client reads it in the portal and acknowledges receiving it.
    let invitation = outbox_links(&s)
        .into_iter()
        .find(|l| l.contains("/portal/invite/"))
        .expect("the invitation");
    let client = verify(&app, &path_of(&invitation));
    // The client may also ask for one: the practice sees when it is due.
    app.advance(chrono::Duration::minutes(10));
    let r = client.submit("/portal", "/portal/estimates/request", &[]);
    assert_eq!(location(&r), "/portal");
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    assert!(select_text(&billing, "#good-faith .callout.warning")
        .join(" ")
        .contains(
            "The client asked for a Good Faith Estimate on Dec 2, 2026: it is due by Dec 7, 2026."
        ));
    app.advance(chrono::Duration::minutes(10));
    let r = s.submit(
        &format!("/clients/{bo}/billing"),
        &format!("/clients/{bo}/estimates"),
        &[
            ("frequency", "none"),
            ("months", "1"),
            ("service", &service),
        ],
    );
    assert!(
        location(&r).contains("/estimates/"),
        "{}",
        s.get_text(&location(&r)).1
    );
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    let warning = select_text(&billing, "#good-faith .callout.warning");
    assert!(warning.is_empty(), "answered: {warning:?}");
    let (_, portal) = client.get_text("/portal");
    // The newest first: the one just issued for the scheduled session, then the first.
    let links = select_attr(&portal, ".estimates-list a", "href");
    assert_eq!(links.len(), 2);
    let link = links[1].clone();
    let (status, mine) = client.get_text(&link);
    assert_eq!(status, 200);
    assert!(mine.contains("$1,950.00") && mine.contains("1234567893"));
    let their_pdf = client.get(&format!("{link}.pdf"));
    assert_eq!(their_pdf.status(), 200);
    assert!(their_pdf.bytes().unwrap().starts_with(b"%PDF-"));
    let r = client.submit(&link, &format!("{link}/acknowledge"), &[]);
    assert_eq!(r.status(), 303);
    let (_, mine) = client.get_text(&link);
    assert!(mine.contains("You confirmed receiving this estimate"));
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    assert!(select_text(&billing, "#good-faith tbody tr")
        .join(" ")
        .contains("Acknowledged"));
    let actions: Vec<String> = audit_events::table
        .filter(audit_events::action.like("%good_faith%"))
        .order(audit_events::created_at)
        .select(audit_events::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        actions,
        [
            "good_faith_estimate.issued",
            "portal.good_faith_estimate_requested",
            "good_faith_estimate.issued",
            "portal.good_faith_estimate_acknowledged"
        ]
    );

    // Another provider cannot see it.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    assert_eq!(other.get(&estimate).status(), 404);
}

#[test]
fn an_estimate_that_spans_a_new_plan_year_says_so() {
    let app = TestApp::spawn();
    app.set_time("2027-06-01 14:00");
    let s = app.signed_in();
    let bo = self_pay_client(&s);
    let service = service_id(&s, "90834");
    s.fill(
        "/settings/rates",
        "/settings/rates",
        &[(&format!("rate_{service}"), "150")],
    );
    s.fill(
        "/settings/practice",
        "/settings/practice",
        &[
            ("npi", "1234567893"),
            ("tin", "12-3456789"),
            ("billing_address", "12 Elm St, Springfield, IL 62701"),
        ],
    );
    // Bo has a plan (with its deductible) whose year starts on July 1.
    let r = s.fill(
        &format!("/clients/{bo}/billing"),
        &format!("/clients/{bo}/plan"),
        &[
            ("deductible", "1000"),
            ("deductible_met", "200"),
            ("plan_year_month", "7"),
            ("plan_year_day", "1"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let issue = |months: &str| {
        let r = s.submit(
            &format!("/clients/{bo}/billing"),
            &format!("/clients/{bo}/estimates"),
            &[
                ("frequency", "weekly"),
                ("months", months),
                ("service", &service),
            ],
        );
        assert_eq!(r.status(), 303);
        s.get_text(&location(&r)).1
    };
    let within = select_text(&issue("1"), "main").join(" ");
    assert!(!within.contains("new plan year"), "June only: {within}");
    let spanning = select_text(&issue("3"), "main").join(" ");
    assert!(
        spanning
            .contains("This period spans the start of the client's new plan year on July 1, 2027"),
        "{spanning}"
    );
}
