//! Pricing through the real app: Settings → Rates, the client's plan on the Billing tab,
//! the estimate with its reasoning, and the count-down as sessions are confirmed.

use crate::calendar::{confirm, schedule, service_id};
use crate::onboarding::{complete_portal, outbox_links, path_of, verify};
use crate::support::*;

/// The Billing tab's estimate row for a CPT code: (amount, reasoning).
fn estimate_for(html: &str, cpt: &str) -> (String, String) {
    let rows = select_text(html, ".estimates tbody tr");
    let row = rows
        .iter()
        .find(|r| r.trim_start().starts_with(cpt))
        .unwrap_or_else(|| panic!("a row for {cpt} in {rows:?}"));
    let amounts = select_text(html, ".estimates tbody tr .amount");
    let index = rows.iter().position(|r| r == row).unwrap_or_default();
    (amounts[index].trim().to_string(), row.clone())
}

fn save_plan(s: &Session, client: &str, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
    s.fill(
        &format!("/clients/{client}/billing"),
        &format!("/clients/{client}/plan"),
        fields,
    )
}

#[test]
fn the_estimate_rests_on_the_plan_and_the_allowed_amount_and_counts_down() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = s.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W1"),
            ("notify", "on"),
        ],
    );
    // Without a plan, the estimate says what is missing, as a range once it can.
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    let (_, why) = estimate_for(&billing, "90834");
    assert!(
        why.contains("No allowed amount for 90834 with Aetna is entered"),
        "{why}"
    );

    // Settings → Rates lists the payer the client names.
    let (_, rates) = s.get_text("/settings/rates");
    assert!(select_text(&rates, ".rates-grid tbody th").contains(&"Aetna".to_string()));
    let service = service_id(&s, "90834");
    let bad = s.fill(
        "/settings/rates",
        "/settings/rates",
        &[("allowed|aetna|90834", "12O")],
    );
    assert_eq!(bad.status(), 422);
    assert!(bad
        .text()
        .unwrap()
        .contains("Aetna, 90834: Enter an amount in dollars"));
    let r = s.fill(
        "/settings/rates",
        "/settings/rates",
        &[
            ("allowed|aetna|90834", "120"),
            (&format!("rate_{service}"), "150"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    let (amount, why) = estimate_for(&billing, "90834");
    assert_eq!(amount, "$0.00–$120.00");
    assert!(why.contains("copay or coinsurance is not entered"));

    // The plan: $50 of the deductible left, then 20%.
    let bad = save_plan(&s, &ada, &[("coinsurance", "120"), ("deductible_met", "5")]);
    assert_eq!(bad.status(), 422);
    assert!(bad
        .text()
        .unwrap()
        .contains("Coinsurance: enter a whole percentage"));
    let r = save_plan(
        &s,
        &ada,
        &[
            ("coinsurance", "20"),
            ("deductible", "1000"),
            ("deductible_met", "950"),
            ("oop_max", "3000"),
            ("oop_met", "950"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    let (amount, why) = estimate_for(&billing, "90834");
    assert_eq!(amount, "$64.00");
    assert!(
        why.contains("$50.00 toward the deductible, then 20% of the remaining $70.00 = $64.00"),
        "{why}"
    );
    assert!(why.contains("allowed amount $120.00 from Aetna's fee schedule, entered Dec 2, 2026"));
    assert!(billing.contains("Deductible met: $950.00 of $1,000.00"));
    // The chart of the next sessions (none scheduled: weekly ones projected) and its table.
    assert_eq!(
        select_attr(&billing, ".cost-chart rect.bar", "height").len(),
        10
    );
    let costs = select_text(&billing, ".upcoming-costs tbody td.amount");
    assert_eq!(&costs[..3], ["$64.00", "$24.00", "$24.00"]);

    // A stale form changes nothing.
    let r = s.submit(
        &format!("/clients/{ada}/billing"),
        &format!("/clients/{ada}/plan"),
        &[
            ("coinsurance", "50"),
            ("plan_year_month", "1"),
            ("plan_year_day", "1"),
            ("version", "0"),
        ],
    );
    let (_, page) = s.get_text(&location(&r));
    assert!(page.contains("the plan was changed meanwhile"));
    assert_eq!(estimate_for(&page, "90834").0, "$64.00");

    // A confirmed session counts toward the deductible.
    let session = schedule(&s, &service, "2026-12-08", "10:00");
    let link = outbox_links(&s).remove(0);
    let client = verify(&app, &path_of(&link));
    complete_portal(&client);
    // The client reads the same estimate in their portal, for the service of their session.
    let (_, portal) = client.get_text("/portal");
    let rows = select_text(&portal, ".estimates tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("Psychotherapy, 45 minutes") && rows[0].contains("$64.00"));
    assert!(rows[0].contains("$50.00 toward the deductible, then 20% of the remaining $70.00"));
    s.submit(
        &format!("/clients/{ada}/billing"),
        &format!("/clients/{ada}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    app.set_time("2026-12-08 16:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = confirm(
        &s,
        &session,
        &[
            ("cpt_code", "90834"),
            ("diagnosis", "F41.1"),
            ("actual_start", "2026-12-08T10:00"),
            ("actual_end", "2026-12-08T10:45"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    assert!(
        billing.contains("Deductible met: $1,000.00 of $1,000.00"),
        "{billing}"
    );
    assert!(billing.contains("Out-of-pocket maximum met: $1,014.00 of $3,000.00"));
    assert!(billing.contains("plus 1 confirmed session since"));
    let (amount, why) = estimate_for(&billing, "90834");
    assert_eq!(amount, "$24.00");
    assert!(why.contains("20% of the allowed $120.00 = $24.00"));

    // A new plan year starts from nothing met.
    app.set_time("2027-01-04 15:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    assert!(
        billing.contains("Deductible met: $0.00 of $1,000.00"),
        "{billing}"
    );
    assert_eq!(estimate_for(&billing, "90834").0, "$120.00");

    // Another provider cannot read or save this client's plan.
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    assert_eq!(other.get(&format!("/clients/{ada}/billing")).status(), 404);
    let r = other.submit(
        "/clients",
        &format!("/clients/{ada}/plan"),
        &[
            ("coinsurance", "50"),
            ("plan_year_month", "1"),
            ("plan_year_day", "1"),
        ],
    );
    assert_eq!(r.status(), 404);
}

#[test]
fn a_private_pay_client_pays_the_rate_or_a_reduced_rate_with_its_reason() {
    let app = TestApp::spawn_with_mailer();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let r = s.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Bo"),
            ("last_name", "Chen"),
            ("email", "bo@example.com"),
            ("billing_type", "private_pay"),
        ],
    );
    let bo = location(&r).trim_start_matches("/clients/").to_string();
    let service = service_id(&s, "90837");
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    assert!(estimate_for(&billing, "90837")
        .1
        .contains("Set the practice's rate for 90837 in Settings → Rates."));
    s.fill(
        "/settings/rates",
        "/settings/rates",
        &[(&format!("rate_{service}"), "175")],
    );
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    let (amount, why) = estimate_for(&billing, "90837");
    assert_eq!(amount, "$175.00");
    assert!(
        why.contains("practice's rate of $175.00 for 90837, set Dec 2, 2026"),
        "{why}"
    );
    let r = save_plan(&s, &bo, &[("reduced_rate", "60")]);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("Reduced rate: say why"));
    let r = save_plan(
        &s,
        &bo,
        &[("reduced_rate", "60"), ("reduced_reason", "sliding scale")],
    );
    assert_eq!(r.status(), 303);
    let (_, billing) = s.get_text(&format!("/clients/{bo}/billing"));
    let (amount, why) = estimate_for(&billing, "90837");
    assert_eq!(amount, "$60.00");
    assert!(why.contains("$60.00: your reduced rate per session"));
    assert!(
        why.contains("reduced rate (sliding scale), entered Dec 2, 2026"),
        "{why}"
    );

    // The session's reminder names the estimated cost.
    let r = s.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Bo Chen <bo@example.com>"),
            ("service", &service),
            ("date", "2026-12-08"),
            ("time", "10:00"),
        ],
    );
    assert_eq!(r.status(), 303);
    app.emails();
    app.set_time("2026-12-07 15:30");
    let reminders: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert!(
        reminders[0].text.contains("Estimated cost to you: $60.00."),
        "{}",
        reminders[0].text
    );
}

#[test]
fn the_shipped_billing_texts_promise_only_what_caseload_does() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let (_, forms) = s.get_text("/settings/forms");
    for promise in [
        "is charged to that card",
        "in storage and in transit",
        "superbill",
    ] {
        assert!(!forms.contains(promise), "{promise}");
    }
    assert!(forms.contains("does not charge your card"), "{forms}");
}

#[test]
fn a_client_enters_their_plan_in_the_portal_and_the_estimate_uses_it() {
    let app = TestApp::spawn();
    app.set_time("2026-12-02 14:00");
    let s = app.signed_in();
    let ada = s.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W1"),
            ("notify", "on"),
        ],
    );
    s.fill(
        "/settings/rates",
        "/settings/rates",
        &[("allowed|aetna|90834", "120")],
    );
    let client = verify(&app, &path_of(&outbox_links(&s).remove(0)));
    let bad = client.fill("/portal/insurance", "/portal/plan", &[("copay", "thirty")]);
    assert_eq!(bad.status(), 422);
    assert!(bad
        .text()
        .unwrap()
        .contains("Copay: Enter an amount in dollars"));
    let r = client.fill("/portal/insurance", "/portal/plan", &[("copay", "30")]);
    assert_eq!(location(&r), "/portal");
    let (_, portal) = client.get_text("/portal");
    assert!(select_text(&portal, ".estimates tbody tr")
        .iter()
        .any(|r| r.contains("Psychotherapy, 45 minutes")
            && r.contains("$30.00: the copay per session")));
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    assert_eq!(estimate_for(&billing, "90834").0, "$30.00");
    let (_, activity) = s.get_text(&format!("/clients/{ada}/activity"));
    assert!(activity.contains("Entered their plan"), "{activity}");
}

#[test]
fn a_new_plan_year_starts_over_for_sessions_in_it() {
    let app = TestApp::spawn();
    // Tuesday December 1, 2026; the client's plan year starts on January 1.
    app.set_time("2026-12-01 14:00");
    let s = app.signed_in();
    let ada = s.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W1"),
            ("notify", "on"),
        ],
    );
    let service = service_id(&s, "90834");
    s.fill(
        "/settings/rates",
        "/settings/rates",
        &[("allowed|aetna|90834", "120")],
    );
    let r = save_plan(
        &s,
        &ada,
        &[
            ("coinsurance", "20"),
            ("deductible", "1000"),
            ("deductible_met", "1000"),
            ("oop_max", "3000"),
            ("oop_met", "1000"),
            ("plan_year_month", "1"),
            ("plan_year_day", "1"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let december = schedule(&s, &service, "2026-12-29", "10:00");
    schedule(&s, &service, "2027-01-05", "10:00");
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    let costs = select_text(&billing, ".upcoming-costs tbody tr");
    assert_eq!(costs.len(), 2, "{costs:?}");
    assert!(costs[0].contains("$24.00"), "this plan year: {costs:?}");
    assert!(
        costs[1].contains("$120.00 toward the deductible (all of the allowed amount)")
            && costs[1].contains("the plan year from January 1, 2027 starts with nothing met"),
        "the next plan year's deductible is whole again: {costs:?}"
    );

    let client = verify(&app, &path_of(&outbox_links(&s).remove(0)));
    complete_portal(&client);
    s.submit(
        &format!("/clients/{ada}/billing"),
        &format!("/clients/{ada}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );

    // The December session, confirmed in January, counts toward the year it was in, not this one.
    app.set_time("2027-01-04 15:00");
    s.sign_in("dr.rivera@example.com", PASSWORD);
    let r = confirm(
        &s,
        &december,
        &[
            ("cpt_code", "90834"),
            ("diagnosis", "F41.1"),
            ("actual_start", "2026-12-29T10:00"),
            ("actual_end", "2026-12-29T10:45"),
        ],
    );
    assert_eq!(
        r.status(),
        303,
        "{}",
        select_text(&r.text().unwrap_or_default(), ".alert, .error").join(" ")
    );
    let (_, billing) = s.get_text(&format!("/clients/{ada}/billing"));
    assert!(
        billing.contains("Deductible met: $0.00 of $1,000.00"),
        "{billing}"
    );
    assert_eq!(estimate_for(&billing, "90834").0, "$120.00");
}
