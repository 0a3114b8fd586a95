//! Client onboarding end to end: the invitation email, the client portal, readiness on
//! the provider's side, the booking link, and the outbox.

use caseload::db::schema::{client_invitations, clients, email_attempts, outbox_emails};
use diesel::prelude::*;

use crate::support::*;

const CARD: &str = "4242 4242 4242 4242";
const CARD_DIGITS: &str = "4242424242424242";

/// The first setup link in a text.
pub(crate) fn invite_link(text: &str) -> String {
    let start = text.find("/portal/invite/").expect("an invitation link");
    let base_start = text[..start].rfind("http").expect("an absolute link");
    let token: String = text[start + "/portal/invite/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("{}/portal/invite/{token}", &text[base_start..start])
}

pub(crate) fn path_of(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    url[after_scheme..]
        .find('/')
        .map(|i| url[after_scheme + i..].to_string())
        .unwrap_or_default()
}

/// The links in the provider's outbox, newest message first (an invitation before its
/// reminders).
pub(crate) fn outbox_links(provider: &Session) -> Vec<String> {
    select_attr(
        &provider.get_text("/settings/outbox").1,
        "table.outbox input",
        "value",
    )
}

/// A client who followed the link and set a password.
pub(crate) fn verify(app: &TestApp, link_path: &str) -> Session {
    let c = app.session();
    let (status, html) = c.get_text(link_path);
    assert_eq!(status, 200, "{html}");
    let r = c.submit(
        link_path,
        link_path,
        &[
            ("password", "client password 123"),
            ("password_again", "client password 123"),
        ],
    );
    assert_eq!(location(&r), "/portal");
    c
}

pub(crate) fn complete_portal(c: &Session) {
    let r = c.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[
            ("billing_type", "insurance"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W987654321"),
            ("holder_name", "Ada Lovelace"),
            ("date_of_birth", "1985-03-14"),
        ],
    );
    assert_eq!(location(&r), "/portal");
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
    assert_eq!(location(&r), "/portal", "{}", r.text().unwrap_or_default());
    let (_, forms) = c.get_text("/portal/forms");
    let ids = select_attr(&forms, "input[name=form_ids]", "value");
    assert_eq!(ids.len(), 2);
    let mut fields = vec![("typed_name", "ada lovelace")];
    fields.extend(ids.iter().map(|id| ("form_ids", id.as_str())));
    let r = c.submit("/portal/forms", "/portal/forms", &fields);
    assert_eq!(location(&r), "/portal");
}

#[test]
fn the_whole_loop_from_invitation_email_to_ready_to_schedule() {
    let app = TestApp::spawn_with_mailer();
    let provider = app.signed_in();
    provider.fill(
        "/settings",
        "/settings/profile",
        &[
            ("first_name", "Elena"),
            ("last_name", "Rivera"),
            ("practice_name", "Harbor Counseling"),
        ],
    );
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    assert_eq!(
        select_text(&provider.get_text("/clients").1, "table.clients .badge"),
        ["Invited"]
    );

    // The invitation is delivered (its reminders are not due yet).
    let mut delivered = app.emails();
    assert_eq!(delivered.len(), 1, "the invitation alone");
    let mail = delivered.remove(0);
    assert_eq!(mail.to, "ada@example.com");
    assert_eq!(mail.from_name, "Harbor Counseling");
    let body = &mail.text;
    assert!(body.contains("Harbor Counseling"), "{body}");
    assert!(
        body.contains("add your insurance information"),
        "the email says what will be asked"
    );
    assert!(mail.html.contains("add your insurance information"));
    let link = invite_link(body);
    assert!(
        link.starts_with(&app.base),
        "links use the public URL: {link}"
    );

    let client = verify(&app, &path_of(&link));
    let (_, checklist) = client.get_text("/portal");
    assert!(checklist.contains("Your account is verified"));
    assert_eq!(
        select_text(&checklist, ".checklist .done strong"),
        ["Verify your account"]
    );
    complete_portal(&client);
    let (_, checklist) = client.get_text("/portal");
    assert_eq!(select_text(&checklist, ".checklist .done").len(), 4);
    assert!(checklist.contains("the practice will verify it"));

    // The provider sees each fact, verifies the insurance, and the client is ready.
    assert_eq!(
        select_text(&provider.get_text("/clients").1, "table.clients .badge"),
        ["Insurance unverified"]
    );
    let billing = format!("/clients/{id}/billing");
    let (_, tab) = provider.get_text(&billing);
    assert!(
        tab.contains("Visa ending in 4242, expires 12/2039"),
        "{tab}"
    );
    assert_eq!(select_text(&tab, "table.acks tbody tr").len(), 2);
    let r = provider.submit(
        &billing,
        &format!("/clients/{id}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(
        select_text(&provider.get_text("/clients").1, "table.clients .badge"),
        ["Ready to schedule"]
    );
    assert_eq!(
        listed_names(&provider.get_text("/clients?status=ready").1),
        ["Ada Lovelace"]
    );
    let (_, overview) = provider.get_text(&format!("/clients/{id}"));
    assert!(overview.contains("Ready to schedule: appointments with this client can be confirmed"));
    assert!(overview.contains("Invitation emailed"), "{overview}");

    // The reminders were cancelled when she verified; the sent email lost its link.
    let mut conn = app.conn();
    let statuses: Vec<(String, String, Option<String>)> = outbox_emails::table
        .order(outbox_emails::send_after)
        .select((
            outbox_emails::kind,
            outbox_emails::status,
            outbox_emails::action_url,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        statuses[0],
        ("invitation".to_string(), "sent".to_string(), None)
    );
    assert_eq!(statuses.len(), 3, "the invitation and two reminders");
    assert!(
        statuses[1..]
            .iter()
            .all(|(k, s, _)| k == "invitation_reminder" && s == "cancelled"),
        "{statuses:?}"
    );
    assert_no_card_number_stored(&app);
}

/// The card number is nowhere in the database: not in any table, not in the outbox.
fn assert_no_card_number_stored(app: &TestApp) {
    match &app.config.database_url {
        caseload::db::DatabaseUrl::Sqlite(path) => {
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(
                        !text.contains(CARD_DIGITS) && !text.contains(CARD),
                        "card number found in {file}"
                    );
                }
            }
        }
        caseload::db::DatabaseUrl::Postgres(url) => {
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", url])
                .output()
                .expect("pg_dump");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let dump = String::from_utf8_lossy(&out.stdout);
            assert!(dump.contains("4242"), "the dump holds the last four digits");
            assert!(
                !dump.contains(CARD_DIGITS) && !dump.contains(CARD),
                "card number found in the database dump"
            );
        }
    }
}

#[test]
fn without_smtp_the_invitation_waits_in_the_outbox_with_its_link() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let (_, overview) = provider.get_text(&format!("/clients/{id}"));
    assert!(overview.contains("no email server is set up"), "{overview}");
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert!(outbox.contains("No email server is set up"));
    let rows = select_text(&outbox, "table.outbox tbody tr td:first-child");
    assert_eq!(
        rows,
        ["ada@example.com", "ada@example.com", "ada@example.com"],
        "the invitation and two reminders"
    );
    let links = select_attr(&outbox, "table.outbox input", "value");
    assert_eq!(links.len(), 3);
    let link = links[0].clone();
    assert!(links.iter().all(|l| *l == link));
    assert!(
        select_text(&outbox, "table.outbox td:nth-child(3)")
            .iter()
            .filter(|s| s.starts_with("Scheduled"))
            .count()
            == 2
    );
    // Running the jobs sends nothing, even once the reminders are due: they all wait.
    app.advance(chrono::Duration::days(6));
    app.run_jobs();
    provider.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert_eq!(
        select_text(&outbox, "table.outbox td:nth-child(3)"),
        ["Not sent: no email server"; 3]
    );
    assert_eq!(
        email_attempts::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        0
    );
    // The link works as the email's would.
    let client = verify(&app, &path_of(&link));
    assert_eq!(client.get("/portal").status(), 200);
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert_eq!(
        select_text(&outbox, "table.outbox td:nth-child(3)")
            .iter()
            .filter(|s| s.as_str() == "Not needed any more")
            .count(),
        3,
        "once she verified, the waiting invitation and its reminders are not needed"
    );
}

#[test]
fn expired_reused_and_forged_links() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(&provider).remove(0);
    let path = path_of(&link);

    // Forged: a made-up token, or one a character off.
    let anon = app.session();
    let (status, html) = anon.get_text("/portal/invite/not-a-real-token");
    assert_eq!(status, 404);
    assert!(html.contains("This link is not valid"));
    let mut off = path.clone();
    let last = off.pop().unwrap();
    off.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(anon.get(&off).status(), 404);
    let token = anon.csrf("/portal/login");
    let r = anon.post_raw(
        &off,
        &token,
        &[
            ("password", "client password 123"),
            ("password_again", "client password 123"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(
        caseload::db::schema::portal_accounts::table
            .filter(caseload::db::schema::portal_accounts::password_hash.is_not_null())
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        0
    );

    // Expired: the page says so and offers a new link, which goes to the outbox.
    let now = chrono::Utc::now().naive_utc();
    diesel::update(client_invitations::table)
        .set((
            client_invitations::created_at.eq(now - chrono::Duration::days(8)),
            client_invitations::expires_at.eq(now - chrono::Duration::days(1)),
        ))
        .execute(&mut app.conn())
        .unwrap();
    let (status, html) = anon.get_text(&path);
    assert_eq!(status, 200);
    assert!(html.contains("This link has expired"));
    let r = anon.submit(&path, &format!("{path}/renew"), &[]);
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("A new setup link is on its way"));
    let links = outbox_links(&provider);
    let fresh = links
        .iter()
        .find(|l| **l != link)
        .expect("a new link")
        .clone();
    assert_eq!(
        anon.get(&path).status(),
        200,
        "the old link now reads as used"
    );
    assert!(anon.get_text(&path).1.contains("already used"));

    // Used: the fresh link works once; the second time it says so.
    verify(&app, &path_of(&fresh));
    let (_, html) = app.session().get_text(&path_of(&fresh));
    assert!(html.contains("This link was already used"));
    let r = app.session().submit(
        &path_of(&fresh),
        &path_of(&fresh),
        &[
            ("password", "attacker password 1"),
            ("password_again", "attacker password 1"),
        ],
    );
    assert_eq!(location(&r), path_of(&fresh));
    // The client's own password still works; the attacker's does not.
    let c = app.session();
    let r = c.submit(
        "/portal/login",
        "/portal/login",
        &[
            ("email", "ada@example.com"),
            ("password", "client password 123"),
        ],
    );
    assert_eq!(location(&r), "/portal");
    let r = app.session().submit(
        "/portal/login",
        "/portal/login",
        &[
            ("email", "ada@example.com"),
            ("password", "attacker password 1"),
        ],
    );
    assert_eq!(r.status(), 200);
    let _ = id;
}

#[test]
fn clients_and_providers_stay_on_their_own_side() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let ada = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    app.advance(chrono::Duration::minutes(1));
    let grace = provider.add_client("Grace", "Hopper", "grace@example.com", &[("notify", "on")]);
    let links = outbox_links(&provider);
    let client = verify(&app, &path_of(links.last().unwrap()));
    // A client is no provider: provider pages send them to the provider sign-in.
    for path in [
        format!("/clients/{ada}"),
        format!("/clients/{grace}/billing"),
        "/clients".into(),
        "/settings/outbox".into(),
    ] {
        let r = client.get(&path);
        assert_eq!(r.status(), 303, "{path}");
        assert!(location(&r).starts_with("/login"), "{path}");
    }
    // The portal shows only the signed-in client's own record.
    let (_, portal) = client.get_text("/portal");
    assert!(
        portal.contains("Hello Ada"),
        "the last link was Ada's (added first, listed last)"
    );
    assert!(!portal.contains("Grace"));
    // A provider is no client: portal pages send them to the portal sign-in.
    for path in [
        "/portal",
        "/portal/insurance",
        "/portal/billing",
        "/portal/forms",
    ] {
        let r = provider.get(path);
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/portal/login");
    }
    let token = provider.csrf("/clients");
    let r = provider.post_raw(
        "/portal/billing",
        &token,
        &[
            ("number", CARD),
            ("expiry", "12/39"),
            ("cvc", "123"),
            ("zip", "94110"),
        ],
    );
    assert_eq!(location(&r), "/portal/login");
}

#[test]
fn the_booking_link_signs_up_new_clients_and_reveals_nobody() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    provider.submit("/settings", "/settings/booking-link", &[]);
    let (_, settings) = provider.get_text("/settings");
    let link = select_attr(&settings, "#booking_link", "value").remove(0);
    let path = path_of(&link);
    let visitor = app.session();
    let (status, html) = visitor.get_text(&path);
    assert_eq!(status, 200);
    assert!(html.contains("Become a client of Elena Rivera"));

    let sign_up = |s: &Session, first: &str, email: &str, extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("first_name", first),
            ("last_name", "Example"),
            ("email", email),
            ("billing_type", "private_pay"),
            ("telehealth_state", "CA"),
            ("date_of_birth", "1990-01-02"),
            ("phone", "(415) 555-0100"),
        ];
        fields.extend_from_slice(extra);
        s.submit(&path, &path, &fields)
    };
    let new = sign_up(&visitor, "Nia", "nia@example.com", &[])
        .text()
        .unwrap();
    let existing = sign_up(&app.session(), "Ada", "ADA@example.com", &[])
        .text()
        .unwrap();
    let heading = |html: &str| select_text(html, "h1");
    assert_eq!(heading(&new), ["Check your email"]);
    assert_eq!(
        heading(&existing),
        heading(&new),
        "the page reads the same for a client and a stranger"
    );
    assert_eq!(
        select_text(&new, "main p"),
        select_text(&existing, "main p")
    );

    let mut conn = app.conn();
    let names: Vec<String> = clients::table
        .order(clients::first_name)
        .select(clients::first_name)
        .load(&mut conn)
        .unwrap();
    assert_eq!(names, ["Ada", "Nia"], "no duplicate of Ada");
    let mails: Vec<(String, String)> = outbox_emails::table
        .filter(outbox_emails::kind.eq_any(["invitation", "already_a_client"]))
        .order(outbox_emails::to_address)
        .select((outbox_emails::to_address, outbox_emails::kind))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        mails,
        [
            ("ada@example.com".into(), "already_a_client".into()),
            ("nia@example.com".into(), "invitation".into())
        ],
        "Ada's address is told it has an account: an anonymous form invites nobody on the list"
    );

    // A bot that fills the hidden field gets the same page and makes nothing.
    let bot = sign_up(
        &app.session(),
        "Bot",
        "bot@example.com",
        &[("website", "http://spam.example.com")],
    )
    .text()
    .unwrap();
    assert_eq!(heading(&bot), ["Check your email"]);
    assert_eq!(
        clients::table.count().get_result::<i64>(&mut conn).unwrap(),
        2
    );

    // Five sign-ups an hour from one address; the sixth is refused and says why.
    for i in 0..3 {
        assert_eq!(
            sign_up(&app.session(), "Sam", &format!("sam{i}@example.com"), &[]).status(),
            200
        );
    }
    let r = sign_up(&app.session(), "Sam", "sam9@example.com", &[]);
    assert_eq!(r.status(), 429);
    assert!(r
        .text()
        .unwrap()
        .contains("Too many sign-ups came from your network"));
    assert_eq!(
        clients::table.count().get_result::<i64>(&mut conn).unwrap(),
        5
    );

    // Replacing the link revokes the old one.
    provider.submit("/settings", "/settings/booking-link", &[]);
    assert_eq!(visitor.get(&path).status(), 404);
}

#[test]
fn insurance_that_cannot_be_verified_goes_back_to_the_client_with_the_reason() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(&provider).remove(0);
    let client = verify(&app, &path_of(&link));
    complete_portal(&client);
    let billing = format!("/clients/{id}/billing");
    // A reason is required.
    provider.submit(
        &billing,
        &format!("/clients/{id}/insurance/review"),
        &[("decision", "unverified"), ("reason", " ")],
    );
    assert!(provider.get_text(&billing).1.contains("Say what is wrong"));
    // Verified first, then found wrong: the badge follows each review.
    provider.submit(
        &billing,
        &format!("/clients/{id}/insurance/review"),
        &[("decision", "verified"), ("reason", "")],
    );
    assert_eq!(
        select_text(&provider.get_text("/clients").1, "table.clients .badge"),
        ["Ready to schedule"]
    );
    provider.submit(
        &billing,
        &format!("/clients/{id}/insurance/review"),
        &[("decision", "unverified"), ("reason", "Typo in member ID.")],
    );
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert!(select_text(&outbox, "table.outbox summary")
        .iter()
        .any(|s| s.contains("could not verify your insurance")));
    assert!(outbox.contains("Typo in member ID."));
    assert_eq!(
        select_text(&provider.get_text("/clients").1, "table.clients .badge"),
        ["Insurance unverified"]
    );
    let (_, portal) = client.get_text("/portal");
    assert!(
        portal.contains("could not verify your insurance: Typo in member ID."),
        "{portal}"
    );
    // The client corrects it; it is unverified (and the problem cleared) until reviewed again.
    client.fill(
        "/portal/insurance",
        "/portal/insurance",
        &[
            ("billing_type", "insurance"),
            ("insurance_company", "Aetna"),
            ("insurance_member_id", "W987654322"),
        ],
    );
    assert!(!client.get_text("/portal").1.contains("could not verify"));
    assert!(provider
        .get_text(&format!("/clients/{id}/activity"))
        .1
        .contains("Added insurance details"));
}

#[test]
fn cards_are_checked_and_only_brand_last_four_and_expiry_are_kept() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(&provider).remove(0);
    let client = verify(&app, &path_of(&link));
    let r = client.submit(
        "/portal/billing",
        "/portal/billing",
        &[
            ("kind", "card"),
            ("number", "4242 4242 4242 4241"),
            ("expiry", "01/20"),
            ("cvc", "1"),
            ("zip", "9411"),
        ],
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    let errors = select_text(&html, ".error");
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(!html.contains("4241"), "the number is not echoed back");
    assert!(select_attr(&html, "#number", "value").is_empty());
    // The provider can add one from the Billing tab too.
    let billing = format!("/clients/{id}/billing");
    let r = provider.submit(
        &billing,
        &format!("/clients/{id}/payment-method"),
        &[
            ("kind", "hsa_fsa"),
            ("number", "5555555555554444"),
            ("expiry", "04/38"),
            ("cvc", "321"),
            ("zip", "10001"),
        ],
    );
    assert_eq!(location(&r), billing);
    assert!(provider
        .get_text(&billing)
        .1
        .contains("Mastercard (HSA/FSA) ending in 4444, expires 04/2038"));
    let r = client.submit(
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
    assert_no_card_number_stored(&app);
    let mut conn = app.conn();
    let outbox: Vec<String> = outbox_emails::table
        .select(outbox_emails::body_text)
        .load(&mut conn)
        .unwrap();
    assert!(outbox
        .iter()
        .all(|b| !b.contains(CARD_DIGITS) && !b.contains("5555555555554444")));
}

#[test]
fn a_forms_edit_is_a_new_version_and_acknowledgments_name_it() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let (_, forms) = provider.get_text("/settings/forms");
    assert!(forms.contains("version 1"));
    assert!(forms.contains("Billing policy"));
    let new_text =
        "Our billing policy, rewritten: sessions are $150, cancellations need 48 hours' notice.";
    let r = provider.fill(
        "/settings/forms",
        "/settings/forms/billing_policy",
        &[("body", new_text)],
    );
    assert_eq!(r.status(), 303);
    let (_, forms) = provider.get_text("/settings/forms");
    assert!(forms.contains("Billing policy saved as version 2"));
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let link = outbox_links(&provider).remove(0);
    let client = verify(&app, &path_of(&link));
    let (_, page) = client.get_text("/portal/forms");
    assert!(page.contains("sessions are $150"));
    // A wrong name is refused.
    let ids = select_attr(&page, "input[name=form_ids]", "value");
    let mut fields = vec![("typed_name", "Someone Else")];
    fields.extend(ids.iter().map(|i| ("form_ids", i.as_str())));
    let r = client.submit("/portal/forms", "/portal/forms", &fields);
    assert!(select_text(&r.text().unwrap(), ".alert")[0]
        .contains("Type your full name as the practice has it: Ada Lovelace"));
    fields[0] = ("typed_name", "Ada Lovelace");
    assert_eq!(
        location(&client.submit("/portal/forms", "/portal/forms", &fields)),
        "/portal"
    );
    let (_, billing) = provider.get_text(&format!("/clients/{id}/billing"));
    let cells = select_text(&billing, "table.acks tbody td");
    let rows: Vec<String> = cells.chunks(5).map(|r| r[..3].join(" | ")).collect();
    assert!(
        rows.contains(&"Billing policy | 2 | Ada Lovelace".to_string()),
        "{rows:?}"
    );
    assert!(
        rows.contains(&"Notice of privacy practices | 1 | Ada Lovelace".to_string()),
        "{rows:?}"
    );
}

/// The invitation's row: status, attempts, last error, next attempt, sent at.
fn invitation_row(
    app: &TestApp,
) -> (
    String,
    i32,
    Option<String>,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
) {
    outbox_emails::table
        .filter(outbox_emails::kind.eq("invitation"))
        .select((
            outbox_emails::status,
            outbox_emails::attempts,
            outbox_emails::last_error,
            outbox_emails::next_attempt_at,
            outbox_emails::sent_at,
        ))
        .first(&mut app.conn())
        .unwrap()
}

#[test]
fn a_failing_email_server_is_retried_and_every_attempt_recorded() {
    let app = TestApp::spawn_with_mailer();
    app.mailbox()
        .refuse("421 mail.example.com is busy, try again later");
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let first_try = app.clock.now();
    assert_eq!(
        app.run_jobs().deliveries,
        1,
        "the invitation is tried at once"
    );
    let (status, attempts, error, next, sent) = invitation_row(&app);
    assert_eq!((status.as_str(), attempts, sent), ("pending", 1, None));
    assert_eq!(
        error.as_deref(),
        Some("421 mail.example.com is busy, try again later")
    );
    assert_eq!(
        next,
        first_try + chrono::Duration::minutes(1),
        "backs off a minute"
    );
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert!(outbox.contains("Trying again"));
    assert!(outbox.contains("1 attempt"));
    assert!(outbox.contains("421 mail.example.com is busy"));

    // Not before the minute is up; then again, backing off five minutes.
    app.advance(chrono::Duration::seconds(59));
    assert_eq!(app.run_jobs().deliveries, 0);
    app.advance(chrono::Duration::seconds(1));
    assert_eq!(app.run_jobs().deliveries, 1);
    let (_, attempts, _, next, _) = invitation_row(&app);
    assert_eq!(attempts, 2);
    assert_eq!(next, app.clock.now() + chrono::Duration::minutes(5));

    // The server is back: the next try delivers, and the row says when.
    app.mailbox().accept();
    app.advance(chrono::Duration::minutes(5));
    let delivered = app.emails();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].to, "ada@example.com");
    let (status, attempts, error, _, sent) = invitation_row(&app);
    assert_eq!((status.as_str(), attempts), ("sent", 3));
    assert_eq!((error, sent), (None, Some(app.clock.now())));
    let tries: Vec<(chrono::NaiveDateTime, bool)> = email_attempts::table
        .order(email_attempts::attempted_at)
        .select((email_attempts::attempted_at, email_attempts::succeeded))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        tries,
        [
            (first_try, false),
            (first_try + chrono::Duration::minutes(1), false),
            (first_try + chrono::Duration::minutes(6), true),
        ],
        "every attempt, at the app's time"
    );
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert!(outbox.contains("3 attempts"), "{outbox}");
}

#[test]
fn an_email_that_keeps_failing_is_given_up_and_the_outbox_says_so() {
    let app = TestApp::spawn_with_mailer();
    app.mailbox().refuse("550 no such mailbox");
    let provider = app.signed_in();
    provider.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    // Tries after 0, 1, 5, 30 minutes, 2, 6 and 12 hours: seven in all, then it stops.
    for attempt in 1..=7 {
        app.run_jobs();
        assert_eq!(invitation_row(&app).1, attempt);
        app.advance(chrono::Duration::hours(12));
    }
    app.run_jobs();
    let (status, attempts, error, _, sent) = invitation_row(&app);
    assert_eq!((status.as_str(), attempts, sent), ("failed", 7, None));
    assert_eq!(error.as_deref(), Some("550 no such mailbox"));
    // Days have passed: the provider signs in again to look.
    provider.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert!(outbox.contains("Could not be sent"), "{outbox}");
    assert!(app.mailbox().delivered().is_empty());
}

#[test]
fn the_provider_enters_insurance_on_the_billing_tab_and_it_starts_unverified() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let billing = format!("/clients/{id}/billing");
    // Missing member ID: nothing saved, and the notice says what is missing.
    provider.fill(
        &billing,
        &format!("/clients/{id}/insurance"),
        &[("insurance_company", "Cigna"), ("insurance_member_id", "")],
    );
    let (_, tab) = provider.get_text(&billing);
    assert!(select_text(&tab, ".notice")[0].contains("Enter the member ID from the card."));
    let r = provider.fill(
        &billing,
        &format!("/clients/{id}/insurance"),
        &[
            ("insurance_company", "Cigna"),
            ("insurance_member_id", "U1234"),
            ("holder_name", "Ada A. Lovelace"),
            ("date_of_birth", "1985-03-14"),
        ],
    );
    assert_eq!(location(&r), billing);
    let (_, tab) = provider.get_text(&billing);
    let details = select_text(&tab, ".details dd");
    assert!(
        details.contains(&"Cigna".to_string())
            && details.contains(&"U1234".to_string())
            && details.contains(&"Ada A. Lovelace".to_string()),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d.contains("not verified yet")));
    let (_, overview) = provider.get_text(&format!("/clients/{id}"));
    assert!(
        overview.contains("The client&#39;s insurance has not been verified.")
            || overview.contains("The client's insurance has not been verified."),
        "the readiness list names what is missing"
    );
}

#[test]
fn correcting_a_clients_email_stops_links_sent_to_the_old_address() {
    let app = TestApp::spawn();
    let provider = app.signed_in();
    let id = provider.add_client("Ada", "Lovelace", "ada@exmaple.com", &[("notify", "on")]);
    let link = outbox_links(&provider).remove(0);
    let edit = format!("/clients/{id}/edit");
    let r = provider.fill(
        &edit,
        &edit,
        &[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "ada@example.com"),
            ("billing_type", "insurance"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, html) = app.session().get_text(&path_of(&link));
    assert!(
        html.contains("This link was already used"),
        "the old link no longer sets a password"
    );
    let (_, outbox) = provider.get_text("/settings/outbox");
    assert_eq!(
        select_text(&outbox, "table.outbox td:nth-child(3)")
            .iter()
            .filter(|s| s.as_str() == "Not needed any more")
            .count(),
        3
    );
}
