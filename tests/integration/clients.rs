use caseload::db::schema::clients;
use caseload::domain::onboarding::OnboardingStatus;
use caseload::models::scope::Scope;
use caseload::models::{client, provider};
use caseload::seed;
use diesel::prelude::*;

use crate::support::*;

/// The trigger-kept counts agree with counting the rows themselves.
fn assert_counts_match_rows(app: &TestApp) {
    use caseload::db::schema::client_list_counts;
    let mut conn = app.conn();
    let mut kept: Vec<(String, String, i64)> = client_list_counts::table
        .filter(client_list_counts::clients.ne(0))
        .select((
            client_list_counts::provider_id,
            client_list_counts::list_state,
            client_list_counts::clients,
        ))
        .load(&mut conn)
        .unwrap();
    let mut counted: Vec<(String, String, i64)> = clients::table
        .group_by((clients::provider_id, clients::list_state))
        .select((
            clients::provider_id,
            clients::list_state,
            diesel::dsl::count_star(),
        ))
        .load(&mut conn)
        .unwrap();
    kept.sort();
    counted.sort();
    assert_eq!(kept, counted);
}

fn scope_of(app: &TestApp, email: &str) -> Scope {
    Scope::of(
        &provider::find_by_email(&mut app.conn(), email)
            .unwrap()
            .unwrap(),
    )
}

#[test]
fn adding_a_client_shows_them_on_the_profile_and_in_the_list() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client(
        "Ada",
        "Lovelace",
        "Ada.Lovelace@Example.com",
        &[
            ("phone", "(415) 555-2671"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W123456789"),
            ("date_of_birth", "1985-03-14"),
            ("telehealth_state", "CA"),
            ("notify", "on"),
            ("assessments", "PHQ-9"),
            ("assessments", "GAD-7"),
        ],
    );
    let (status, html) = s.get_text(&format!("/clients/{id}"));
    assert_eq!(status, 200);
    assert!(
        html.contains("Ada Lovelace was added"),
        "a notice confirms it"
    );
    let details = select_text(&html, ".details dd");
    assert!(
        details.contains(&"Ada.Lovelace@Example.com".to_string()),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d == "(415) 555-2671"), "{details:?}");
    assert!(details.contains(&"Mar 14, 1985".to_string()));
    assert!(details.contains(&"California".to_string()));
    assert!(
        details
            .iter()
            .any(|d| d.contains("Invitation waiting in Settings → Outbox")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("PHQ-9 — sent once") && d.contains("GAD-7 — sent once")),
        "{details:?}"
    );
    assert_eq!(select_text(&html, ".page-head .badge"), ["Invited"]);

    let (_, billing) = s.get_text(&format!("/clients/{id}/billing"));
    let details = select_text(&billing, ".details dd");
    assert!(details.contains(&"Insurance".to_string()));
    assert!(details.contains(&"Aetna".to_string()));
    assert!(details.contains(&"W123456789".to_string()));
    assert!(details.iter().any(|d| d.contains("not verified yet")));

    let (_, list) = s.get_text("/clients");
    assert_eq!(listed_names(&list), ["Ada Lovelace"]);
    let cells = select_text(&list, "table.clients tbody td");
    assert_eq!(
        cells,
        [
            "Ada Lovelace",
            "Ada.Lovelace@Example.com",
            "(415) 555-2671",
            "Insurance",
            "Invited"
        ]
    );

    // Stored as typed, plus the normalised and E.164 forms.
    let (email, norm, e164): (String, String, Option<String>) = clients::table
        .select((
            clients::email,
            clients::email_normalized,
            clients::phone_e164,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        (email.as_str(), norm.as_str(), e164.as_deref()),
        (
            "Ada.Lovelace@Example.com",
            "ada.lovelace@example.com",
            Some("+14155552671")
        )
    );
}

#[test]
fn bad_input_re_renders_the_form_with_values_and_a_message_per_field() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let r = s.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "  "),
            ("last_name", "Lovelace"),
            ("email", "ada at example"),
            ("phone", "call me"),
            ("billing_type", "insurance"),
            ("date_of_birth", "2090-01-01"),
            ("notify", "on"),
        ],
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert_eq!(select_attr(&html, "#last_name", "value"), ["Lovelace"]);
    assert_eq!(select_attr(&html, "#email", "value"), ["ada at example"]);
    assert_eq!(select_attr(&html, "#phone", "value"), ["call me"]);
    let invalid: Vec<String> = select_attr(&html, ".field.invalid input", "id");
    assert_eq!(invalid, ["first_name", "email", "phone", "date_of_birth"]);
    assert!(html.contains("Nothing was saved yet"));
    assert!(html.contains("in the future"));
    assert_eq!(
        clients::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        0
    );
}

#[test]
fn an_email_already_on_the_list_is_refused_with_a_link_to_that_client() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let r = s.submit(
        "/clients/new",
        "/clients/new",
        &[
            ("first_name", "Augusta"),
            ("last_name", "King"),
            ("email", " ADA@example.com "),
            ("billing_type", "private_pay"),
        ],
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("already has this email"));
    assert_eq!(
        select_attr(&html, ".error a", "href"),
        [format!("/clients/{id}")]
    );
    assert_eq!(select_attr(&html, "#first_name", "value"), ["Augusta"]);
    // A family member with a +tag address is a different client.
    s.add_client("Byron", "Lovelace", "ada+1@example.com", &[]);
    assert_eq!(
        clients::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        2
    );
}

#[test]
fn editing_archiving_and_restoring_a_client() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let id = s.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W1"),
        ],
    );
    let other = s.add_client("Grace", "Hopper", "grace@example.com", &[]);
    let edit = format!("/clients/{id}/edit");
    let (_, form) = s.get_text(&edit);
    assert_eq!(select_attr(&form, "#insurance_company", "value"), ["Aetna"]);

    // Taking another client's email is refused.
    let r = s.fill(
        &edit,
        &edit,
        &[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "grace@example.com"),
            ("billing_type", "insurance"),
        ],
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        select_attr(&r.text().unwrap(), ".error a", "href"),
        [format!("/clients/{other}")]
    );

    let r = s.fill(
        &edit,
        &edit,
        &[
            ("first_name", "Ada"),
            ("last_name", "King"),
            ("email", "ada@example.com"),
            ("billing_type", "private_pay"),
            ("insurance_company", "Aetna"),
        ],
    );
    assert_eq!(location(&r), format!("/clients/{id}"));
    let (_, billing) = s.get_text(&format!("/clients/{id}/billing"));
    assert!(select_text(&billing, ".details dd").contains(&"Private pay".to_string()));
    assert!(
        !select_text(&billing, ".details dd")
            .iter()
            .any(|d| d.contains("Aetna")),
        "private pay keeps no insurance"
    );

    let r = s.submit(
        &format!("/clients/{id}"),
        &format!("/clients/{id}/archive"),
        &[],
    );
    assert_eq!(r.status(), 303);
    let (_, profile) = s.get_text(&format!("/clients/{id}"));
    assert!(select_text(&profile, ".notice")[0].starts_with("Ada King was archived."));
    assert!(profile.contains("Restore client"));
    let (_, list) = s.get_text("/clients");
    assert_eq!(listed_names(&list), ["Grace Hopper"]);
    let (_, archived) = s.get_text("/clients?status=archived");
    assert_eq!(listed_names(&archived), ["Ada King"]);

    s.submit(
        &format!("/clients/{id}"),
        &format!("/clients/{id}/restore"),
        &[],
    );
    let (_, list) = s.get_text("/clients");
    assert_eq!(
        listed_names(&list),
        ["Grace Hopper", "Ada King"],
        "sorted by last name"
    );
}

#[test]
fn search_finds_by_name_email_and_phone() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    s.add_client(
        "José",
        "Núñez",
        "jose.nunez@example.com",
        &[("phone", "(415) 555-2671")],
    );
    s.add_client(
        "Ada",
        "Lovelace",
        "countess@example.com",
        &[("phone", "212-555-0199")],
    );
    s.add_client("Grace", "Hopper", "grace@example.com", &[]);
    let search = |q: &str| {
        listed_names(
            &s.get_text(&format!("/clients?q={}", caseload::error::urlencode(q)))
                .1,
        )
    };
    assert_eq!(search("ada"), ["Ada Lovelace"]);
    assert_eq!(search("LOVE"), ["Ada Lovelace"]);
    assert_eq!(search("Ada Lov"), ["Ada Lovelace"]);
    assert_eq!(search("lovelace, ada"), ["Ada Lovelace"]);
    assert_eq!(search("jose"), ["José Núñez"], "accents are ignored");
    assert_eq!(search("Núñez"), ["José Núñez"]);
    assert_eq!(search("countess@"), ["Ada Lovelace"]);
    assert_eq!(search("415 555"), ["José Núñez"]);
    assert_eq!(search("+1 (212) 555-01"), ["Ada Lovelace"]);
    assert!(search("zzz").is_empty());
    // Counts exclude archived matches (matched by name and by email); the Archived
    // filter finds them.
    let gracie = s.add_client("Gracie", "Hopkins", "grace.h@example.com", &[]);
    s.submit(
        &format!("/clients/{gracie}"),
        &format!("/clients/{gracie}/archive"),
        &[],
    );
    let (_, html) = s.get_text("/clients?q=grac");
    assert_eq!(listed_names(&html), ["Grace Hopper"]);
    assert_eq!(select_text(&html, "#count"), ["Showing 1–1 of 1 client"]);
    assert_eq!(
        listed_names(&s.get_text("/clients?q=grac&status=archived").1),
        ["Gracie Hopkins"]
    );
    let (_, html) = s.get_text("/clients?q=h");
    assert_eq!(
        select_text(&html, "#count"),
        ["Showing 1–1 of 1 client"],
        "Hopper; not the archived Hopkins"
    );
    let (_, html) = s.get_text("/clients?q=zzz");
    assert!(html.contains("No clients match"));
}

#[test]
fn the_list_pages_by_fifty_and_sorts_by_name_or_date_added() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let pid = scope_of(&app, "dr.rivera@example.com");
    let batch = seed::demo_clients(120, 7);
    client::insert_many(&mut app.conn(), &pid, &batch, app.clock.now()).unwrap();
    let (_, page1) = s.get_text("/clients");
    let names1 = listed_names(&page1);
    assert_eq!(names1.len(), 50);
    assert!(page1.contains("Showing 1–50 of 120 clients"));
    assert!(page1.contains("Page 1 of 3"));
    let next = select_attr(&page1, "a[rel=next]", "href");
    assert_eq!(next, ["/clients?page=2"]);
    let (_, page3) = s.get_text("/clients?page=3");
    assert_eq!(listed_names(&page3).len(), 20);
    assert!(page3.contains("Showing 101–120 of 120"));
    // A page past the end shows the last one.
    let (_, past) = s.get_text("/clients?page=9");
    assert_eq!(listed_names(&past), listed_names(&page3));

    // Sorted by last name, then first name.
    let mut expected: Vec<(String, String)> = batch
        .iter()
        .map(|(d, _)| {
            (
                caseload::domain::search_key::search_key(&format!(
                    "{} {}",
                    d.last_name.as_str(),
                    d.first_name.as_str()
                )),
                format!("{} {}", d.first_name.as_str(), d.last_name.as_str()),
            )
        })
        .collect();
    expected.sort();
    let expected_names: Vec<String> = expected.iter().take(50).map(|(_, n)| n.clone()).collect();
    assert_eq!(names1, expected_names);

    // Newest first puts a client added now at the top.
    s.add_client("Zed", "Aardvark", "zed@example.com", &[]);
    let (_, newest) = s.get_text("/clients?sort=added");
    assert_eq!(listed_names(&newest)[0], "Zed Aardvark");
    assert_eq!(
        select_attr(&newest, "a[rel=next]", "href"),
        ["/clients?sort=added&page=2"]
    );
}

#[test]
fn status_filter_matches_the_badge_for_every_status() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let pid = scope_of(&app, "dr.rivera@example.com");
    client::insert_many(
        &mut app.conn(),
        &pid,
        &seed::demo_clients(150, 11),
        app.clock.now(),
    )
    .unwrap();
    let mut seen = 0;
    for status in OnboardingStatus::ALL {
        let mut page = 1;
        loop {
            let (_, html) = s.get_text(&format!("/clients?status={}&page={page}", status.slug()));
            let badges = select_text(&html, "table.clients .badge");
            assert!(
                badges.iter().all(|b| b == status.label()),
                "filter {} showed {badges:?}",
                status.label()
            );
            seen += badges.len();
            if select_attr(&html, "a[rel=next]", "href").is_empty() {
                break;
            }
            page += 1;
        }
    }
    assert_eq!(seen, 150, "every client is in exactly one status");
    assert_counts_match_rows(&app);
}

/// The database derives each client's list state from the onboarding facts; it must agree
/// with `OnboardingStatus::derive` for every combination of facts and billing type.
#[test]
fn the_database_derives_the_same_status_as_the_domain_for_every_combination() {
    use caseload::domain::billing::BillingType;
    use caseload::domain::client::{ClientDetails, ClientInput};
    use caseload::domain::onboarding::OnboardingFacts;

    let app = TestApp::spawn();
    app.signed_in();
    let pid = scope_of(&app, "dr.rivera@example.com");
    let today = chrono::Utc::now().date_naive();
    let t = Some(chrono::Utc::now().naive_utc());
    let mut batch = Vec::new();
    for bits in 0..128u32 {
        let on = |b: u32| if bits & (1 << b) != 0 { t } else { None };
        let billing = if bits & 64 != 0 {
            "private_pay"
        } else {
            "insurance"
        };
        let input = ClientInput {
            first_name: format!("C{bits}"),
            last_name: "Combo".into(),
            email: format!("c{bits}@example.com"),
            billing_type: billing.into(),
            ..Default::default()
        };
        let details = ClientDetails::parse(&input, today).unwrap();
        let facts = OnboardingFacts {
            billing_type: BillingType::parse(billing),
            invited_at: on(0),
            account_verified_at: on(1),
            insurance_added_at: on(2),
            insurance_verified_at: on(3),
            payment_method_added_at: on(4),
            forms_acknowledged_at: on(5),
        };
        batch.push((details, facts));
    }
    let mut conn = app.conn();
    client::insert_many(&mut conn, &pid, &batch, app.clock.now()).unwrap();
    let rows: Vec<(String, String)> = clients::table
        .select((clients::first_name, clients::list_state))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 128);
    for (name, state) in rows {
        let bits: usize = name[1..].parse().unwrap();
        let expected = OnboardingStatus::derive(&batch[bits].1);
        assert_eq!(state, expected.slug(), "facts {:?}", batch[bits].1);
    }
    assert_counts_match_rows(&app);
    // Changing a fact moves the client between counts.
    diesel::update(clients::table)
        .set(clients::archived_at.eq(t))
        .execute(&mut conn)
        .unwrap();
    assert_counts_match_rows(&app);
}
