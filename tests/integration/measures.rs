//! Measurement-based care through the real app: questionnaires started from the Add-client
//! form and the Measures tab, sent by email on their schedule (9:00 on the client's clock,
//! across months and daylight-saving changes, or the day before each session), answered
//! through the emailed link, reminded once and expired, given in session, scored, charted,
//! downloaded, and the risk alert of PHQ-9's item 9.

use caseload::db::schema::{audit_events, outbox_emails};
use diesel::prelude::*;

use crate::onboarding::path_of;
use crate::support::*;

/// The questionnaire emails queued so far (`kind` "assessments" or
/// "assessments_reminder"), oldest first: (to, link path, text).
fn emails(app: &TestApp, kind: &str) -> Vec<(String, String, String)> {
    let rows: Vec<(String, Option<String>, String)> = outbox_emails::table
        .filter(outbox_emails::kind.eq(kind))
        .order(outbox_emails::created_at)
        .select((
            outbox_emails::to_address,
            outbox_emails::action_url,
            outbox_emails::body_text,
        ))
        .load(&mut app.conn())
        .unwrap();
    rows.into_iter()
        .map(|(to, url, text)| (to, path_of(&url.unwrap_or_default()), text))
        .collect()
}

/// The newest questionnaire link sent.
fn last_link(app: &TestApp) -> String {
    emails(app, "assessments")
        .pop()
        .expect("a questionnaire email")
        .1
}

/// Each questionnaire on a page: its code and the prefix of its fields.
fn questionnaires_on(html: &str) -> Vec<(String, String)> {
    let codes = select_attr(html, "section.questionnaire", "data-code");
    let ids = select_attr(html, "section.questionnaire", "aria-labelledby");
    codes
        .into_iter()
        .zip(ids)
        .map(|(c, id)| (c, id.trim_end_matches("-title").to_string()))
        .collect()
}

/// The fields answering each questionnaire on the page with `answers[code]` (item by item).
pub(crate) fn answer_fields(html: &str, answers: &[(&str, &[u32])]) -> Vec<(String, String)> {
    let mut fields = vec![("csrf_token".to_string(), csrf_in(html))];
    for (code, key) in questionnaires_on(html) {
        let Some((_, given)) = answers.iter().find(|(c, _)| *c == code) else {
            continue;
        };
        for (n, a) in given.iter().enumerate() {
            fields.push((format!("{key}_{}", n + 1), a.to_string()));
        }
    }
    fields
}

pub(crate) fn post(
    s: &Session,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::blocking::Response {
    s.http
        .post(format!("{}{path}", s.base))
        .form(fields)
        .send()
        .unwrap()
}

fn audit_actions(app: &TestApp) -> Vec<(String, Option<String>)> {
    audit_events::table
        .order(audit_events::created_at)
        .select((audit_events::action, audit_events::subject))
        .load(&mut app.conn())
        .unwrap()
}

const PHQ9_TWELVE: [u32; 9] = [2, 2, 2, 2, 1, 1, 1, 1, 0];
const GAD7_EIGHT: [u32; 7] = [2, 2, 1, 1, 1, 1, 0];

#[test]
fn picks_on_the_add_client_form_are_emailed_answered_scored_and_charted() {
    let app = TestApp::spawn();
    app.set_time("2026-10-05 14:00");
    let p = app.signed_in();
    let id = p.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[
            ("assessments", "PHQ-9"),
            ("assessments", "GAD-7"),
            ("assessment_frequency", "every_2_weeks"),
        ],
    );
    // One email, one link, for both.
    let sent = emails(&app, "assessments");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "ada@example.com");
    assert!(
        sent[0].2.contains("2 short questionnaires"),
        "{}",
        sent[0].2
    );
    let (_, tab) = p.get_text(&format!("/clients/{id}/measures"));
    let when = select_text(&tab, "table.schedules td");
    assert!(
        when.iter()
            .any(|w| w.contains("every 2 weeks, next on Oct 19, 2026")),
        "{when:?}"
    );
    assert_eq!(
        select_text(&tab, "h3 + ul.plain li").len(),
        2,
        "both wait for an answer"
    );

    // The client opens the link: every published item, with its answers.
    let link = last_link(&app);
    let client = app.session();
    let (status, page) = client.get_text(&link);
    assert_eq!(status, 200);
    assert_eq!(select_text(&page, "fieldset.q-item").len(), 9 + 1 + 7);
    assert!(page.contains("Over the last 2 weeks, how often have you been bothered"));
    assert!(page.contains("Nearly every day"));

    // A submit with a question left out is refused, naming it; the answers are kept.
    let mut partial = answer_fields(
        &page,
        &[("PHQ-9", &PHQ9_TWELVE[..8]), ("GAD-7", &GAD7_EIGHT)],
    );
    partial.push(("action".into(), "submit".into()));
    let r = post(&client, &link, &partial);
    assert_eq!(r.status(), 422);
    let again = r.text().unwrap();
    assert!(
        select_text(&again, ".alert li")
            .contains(&"PHQ-9: question 9 not answered yet".to_string()),
        "{:?}",
        select_text(&again, ".alert li")
    );
    assert_eq!(
        select_attr(&again, "input[type=radio][checked]", "value").len(),
        15
    );

    // Answers are saved as they go (the page's script posts each change).
    let (_, page) = client.get_text(&link);
    let mut one_more = answer_fields(&page, &[("PHQ-9", &PHQ9_TWELVE)]);
    one_more.push(("action".into(), "autosave".into()));
    assert_eq!(post(&client, &link, &one_more).status(), 204);
    let (_, page) = client.get_text(&link);
    assert_eq!(
        select_attr(&page, "input[type=radio][checked]", "value").len(),
        16
    );

    let mut all = answer_fields(&page, &[("PHQ-9", &PHQ9_TWELVE), ("GAD-7", &GAD7_EIGHT)]);
    all.push(("action".into(), "submit".into()));
    let r = post(&client, &link, &all);
    assert_eq!(r.status(), 303);
    let (_, done) = client.get_text(&link);
    assert!(done.contains("Thank you"), "{done}");
    assert!(
        !done.contains("988"),
        "no crisis resources without a risk answer"
    );

    // The provider sees each score with its band, as a chart and as a table.
    let (_, tab) = p.get_text(&format!("/clients/{id}/measures"));
    let scores = select_text(&tab, "table.scores tbody tr");
    assert!(
        scores
            .iter()
            .any(|r| r.contains("12") && r.contains("Moderate") && r.contains("The client")),
        "{scores:?}"
    );
    assert!(
        scores.iter().any(|r| r.contains('8') && r.contains("Mild")),
        "{scores:?}"
    );
    assert_eq!(select_attr(&tab, "svg.score-chart", "role").len(), 2);
    assert_eq!(
        select_text(&tab, "svg.score-chart text.band-label")[..5],
        ["Minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    );
    assert!(
        select_text(&tab, "h3 + ul.plain li").is_empty(),
        "nothing waits any more"
    );
    let answers_page = select_attr(&tab, "table.scores a", "href").remove(0);
    let (status, answers) = p.get_text(&answers_page);
    assert_eq!(status, 200);
    assert!(answers.contains("Little interest or pleasure in doing things"));
    assert!(
        select_text(&answers, "table.answers td").contains(&"More than half the days".to_string())
    );

    let actions = audit_actions(&app);
    assert!(actions.contains(&("portal.assessment_completed".into(), Some("PHQ-9".into()))));
    assert!(actions.contains(&("portal.viewed".into(), Some("questionnaires".into()))));
    let (_, activity) = p.get_text(&format!("/clients/{id}/activity"));
    assert!(select_text(&activity, "td").contains(&"Completed a questionnaire: GAD-7".to_string()));

    // The link is spent: it says so, and takes nothing more.
    let r = post(&client, &link, &all);
    assert!(r.text().unwrap().contains("Thank you"));
}

#[test]
fn a_schedule_sends_at_nine_on_the_clients_clock_across_daylight_saving_and_pauses() {
    let app = TestApp::spawn();
    // 09:30 in New York, Tuesday 27 October 2026 (still daylight time).
    app.set_time("2026-10-27 13:30");
    let p = app.signed_in();
    let id = p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let tab = format!("/clients/{id}/measures");
    let r = p.submit(
        &tab,
        &tab,
        &[("instrument", "PHQ-2"), ("frequency", "weekly")],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(emails(&app, "assessments").len(), 1, "sent at once");
    let (_, html) = p.get_text(&tab);
    assert!(select_text(&html, "table.schedules td")[0].contains("every week, next on Nov 3, 2026"));

    // Standard time since 1 November: 9:00 is 14:00 UTC.
    app.set_time("2026-11-03 13:59");
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 1);
    app.set_time("2026-11-03 14:00");
    app.run_jobs();
    assert_eq!(
        emails(&app, "assessments").len(),
        2,
        "9:00 on the client's clock"
    );
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 2, "once");

    // Paused across a send day: nothing; resumed: the missed day becomes today. (A
    // sign-in ends after 30 idle minutes: the provider signs in again after each jump.)
    p.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, html) = p.get_text(&tab);
    let action = select_attr(&html, "table.schedules form", "action").remove(0);
    let r = p.fill(&tab, &action, &[("action", "pause")]);
    assert_eq!(r.status(), 303);
    app.set_time("2026-11-10 15:00");
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 2, "paused");
    p.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, html) = p.get_text(&tab);
    assert!(select_text(&html, "table.schedules td")[0].contains("paused"));
    p.fill(&tab, &action, &[("action", "resume")]);
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 3);

    // A change made from a stale page is refused, and says why.
    let (_, stale) = p.get_text(&tab);
    p.fill(&tab, &action, &[("action", "pause")]);
    let r = p.fill_from(&stale, &action, &[("action", "stop")]);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("changed by someone else"));

    // Every 4 weeks across a month's end, from a day the provider picks.
    let r = p.fill(
        &tab,
        &action,
        &[
            ("action", "set"),
            ("frequency", "every_4_weeks"),
            ("next_on", "2027-01-31"),
        ],
    );
    assert_eq!(r.status(), 303);
    let (_, html) = p.get_text(&tab);
    assert!(
        select_text(&html, "table.schedules td")[0].contains("every 4 weeks"),
        "paused stays paused"
    );
    p.fill(&tab, &action, &[("action", "resume")]);
    app.set_time("2027-01-31 14:00");
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 4);
    p.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, html) = p.get_text(&tab);
    assert!(select_text(&html, "table.schedules td")[0].contains("next on Feb 28, 2027"));
    // Stopped: nothing more, ever.
    p.fill(&tab, &action, &[("action", "stop")]);
    app.set_time("2027-03-01 14:00");
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 4);
    p.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, html) = p.get_text(&tab);
    assert!(select_text(&html, "table.schedules td")[0].starts_with("stopped"));
}

#[test]
fn an_unanswered_link_is_reminded_once_after_two_days_and_expires_after_four() {
    let app = TestApp::spawn();
    app.set_time("2026-10-05 14:00");
    let p = app.signed_in();
    let id = p.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[("assessments", "GAD-7")],
    );
    let link = last_link(&app);
    app.set_time("2026-10-07 13:59");
    app.run_jobs();
    assert!(emails(&app, "assessments_reminder").is_empty());
    app.set_time("2026-10-07 14:00");
    app.run_jobs();
    app.run_jobs();
    let reminders = emails(&app, "assessments_reminder");
    assert_eq!(reminders.len(), 1, "one reminder");
    assert!(reminders[0].2.contains("not finished yet"));
    // The reminder's link opens the same questionnaire (and the first still works).
    let client = app.session();
    let (status, page) = client.get_text(&reminders[0].1);
    assert_eq!(status, 200);
    assert_eq!(questionnaires_on(&page)[0].0, "GAD-7");
    assert_eq!(client.get_text(&link).0, 200);

    app.set_time("2026-10-09 14:00");
    app.run_jobs();
    let (status, gone) = client.get_text(&link);
    assert_eq!(status, 200);
    assert!(gone.contains("This link has expired"), "{gone}");
    let mut fields = answer_fields(&page, &[("GAD-7", &GAD7_EIGHT)]);
    fields.push(("action".into(), "submit".into()));
    let r = post(&client, &reminders[0].1, &fields);
    assert!(r.text().unwrap().contains("This link has expired"));
    p.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, tab) = p.get_text(&format!("/clients/{id}/measures"));
    assert!(tab.contains("Not answered in time (1)"));
    assert!(
        select_text(&tab, "table.scores").is_empty(),
        "no score was recorded"
    );
    assert_eq!(client.get_text("/portal/questionnaires/not-a-token").0, 404);
}

#[test]
fn any_answer_above_zero_on_item_9_raises_an_alert_at_once_even_at_a_total_of_1() {
    let app = TestApp::spawn();
    app.set_time("2026-10-05 14:00");
    let p = app.signed_in();
    let id = p.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[("assessments", "PHQ-9")],
    );
    let quiet = p.add_client("Grace", "Hopper", "grace@example.com", &[]);
    let link = last_link(&app);
    let client = app.session();
    let (_, page) = client.get_text(&link);
    let mut fields = answer_fields(&page, &[("PHQ-9", &[0, 0, 0, 0, 0, 0, 0, 0, 1])]);
    fields.push(("action".into(), "submit".into()));
    assert_eq!(post(&client, &link, &fields).status(), 303);
    let (_, done) = client.get_text(&link);
    assert!(
        done.contains("Call or text 988"),
        "crisis resources: {done}"
    );

    // A banner on the profile and on the Clients tab, naming only this client.
    let (_, profile) = p.get_text(&format!("/clients/{id}"));
    assert_eq!(select_text(&profile, ".alert.risk strong"), ["Risk alert"]);
    let (_, list) = p.get_text("/clients");
    assert_eq!(select_text(&list, ".alert.risk li a"), ["Ada Lovelace"]);
    assert!(select_text(&p.get_text(&format!("/clients/{quiet}")).1, ".alert.risk").is_empty());
    // The provider is emailed, and the email names no one.
    let alert_mail = emails(&app, "risk_alert");
    assert_eq!(alert_mail.len(), 1);
    assert_eq!(alert_mail[0].0, "dr.rivera@example.com");
    assert!(!alert_mail[0].2.contains("Ada") && !alert_mail[0].2.contains("Lovelace"));
    let (_, tab) = p.get_text(&format!("/clients/{id}/measures"));
    let open = select_text(&tab, "#alerts .alert.risk p");
    assert!(
        open[0].contains("item 9 (thoughts of being better off dead or of hurting themselves) answered \"Several days\"; total 1 (Minimal)"),
        "{open:?}"
    );

    // Resolving needs a note; then the note, who and when are kept and the banners go.
    let action = select_attr(&tab, "#alerts form", "action").remove(0);
    let r = p.fill(
        &format!("/clients/{id}/measures"),
        &action,
        &[("note", "  ")],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("Say what was done"));
    let r = p.fill(
        &format!("/clients/{id}/measures"),
        &action,
        &[(
            "note",
            "Called Ada the same afternoon; safety plan reviewed.",
        )],
    );
    assert_eq!(r.status(), 303);
    let (_, tab) = p.get_text(&format!("/clients/{id}/measures"));
    let resolved = select_text(&tab, "#alerts table tbody tr");
    assert!(
        resolved[0].contains("by Elena Rivera") && resolved[0].contains("safety plan reviewed"),
        "{resolved:?}"
    );
    assert!(select_text(&p.get_text(&format!("/clients/{id}")).1, ".alert.risk").is_empty());
    assert!(select_text(&p.get_text("/clients").1, ".alert.risk").is_empty());
    // Resolving it again is refused.
    let r = p.submit(
        &format!("/clients/{id}/measures"),
        &action,
        &[("note", "again")],
    );
    assert!(r.text().unwrap().contains("already resolved"));
    let actions = audit_actions(&app);
    assert!(actions.iter().any(|(a, _)| a == "risk_alert.raised"));
    assert!(actions.iter().any(|(a, _)| a == "risk_alert.resolved"));
    assert!(actions.contains(&("email.queued".into(), Some("risk_alert".into()))));
}

#[test]
fn a_questionnaire_given_in_session_is_scored_and_audited_as_entered_for_the_client() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let id = p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let form = format!("/clients/{id}/measures/give/GAD-7");
    let (status, html) = p.get_text(&form);
    assert_eq!(status, 200);
    let mut fields = answer_fields(&html, &[("GAD-7", &GAD7_EIGHT[..5])]);
    let r = post(&p, &form, &fields);
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .unwrap()
        .contains("Answer every question before saving: questions 6, 7 have no answer."));
    fields = answer_fields(&html, &[("GAD-7", &GAD7_EIGHT)]);
    let r = post(&p, &form, &fields);
    assert_eq!(r.status(), 303);
    let (_, tab) = p.get_text(&location(&r));
    assert!(tab.contains("GAD-7 recorded as given in session: 8 of 21, Mild."));
    let rows = select_text(&tab, "table.scores tbody tr");
    assert!(rows[0].contains("You, in session"), "{rows:?}");
    assert!(emails(&app, "assessments").is_empty(), "nothing is emailed");
    let (_, activity) = p.get_text(&format!("/clients/{id}/activity"));
    assert!(select_text(&activity, "td").contains(
        &"Entered a questionnaire's answers in session, for the client: GAD-7".to_string()
    ));

    // PHQ-9 given in session with item 9 above 0 raises the alert too.
    let form = format!("/clients/{id}/measures/give/PHQ-9");
    let (_, html) = p.get_text(&form);
    let r = post(
        &p,
        &form,
        &answer_fields(&html, &[("PHQ-9", &[0, 1, 0, 0, 0, 0, 0, 0, 2])]),
    );
    assert_eq!(r.status(), 303);
    let (_, tab) = p.get_text(&location(&r));
    assert!(tab.contains("a risk alert was raised"));
    assert_eq!(
        select_text(&tab, ".alert.risk strong").len(),
        2,
        "the banner and the alert"
    );
}

#[test]
fn before_each_session_sends_the_day_before_and_the_session_shows_what_was_completed() {
    let app = TestApp::spawn();
    app.set_time("2026-12-01 15:00");
    let p = app.signed_in();
    let id = p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let tab = format!("/clients/{id}/measures");
    p.submit(
        &tab,
        &tab,
        &[("instrument", "PHQ-9"), ("frequency", "before_session")],
    );
    assert!(
        emails(&app, "assessments").is_empty(),
        "nothing until a session"
    );
    let r = p.submit(
        "/calendar/new",
        "/calendar/sessions",
        &[
            ("client", "Ada Lovelace <ada@example.com>"),
            ("service", &crate::calendar::service_id(&p, "90834")),
            ("date", "2026-12-04"),
            ("time", "10:00"),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let (_, week) = p.get_text(&location(&r));
    let session = select_attr(&week, "td.busy .entry a", "href")
        .into_iter()
        .find(|h| h.starts_with("/calendar/sessions/"))
        .expect("the session's page");
    // Thursday 3 December, 9:00 in New York is 14:00 UTC.
    app.set_time("2026-12-03 13:59");
    app.run_jobs();
    assert!(emails(&app, "assessments").is_empty());
    app.set_time("2026-12-03 14:00");
    app.run_jobs();
    app.run_jobs();
    assert_eq!(emails(&app, "assessments").len(), 1, "once, the day before");
    let link = last_link(&app);
    let client = app.session();
    let (_, page) = client.get_text(&link);
    let mut fields = answer_fields(&page, &[("PHQ-9", &PHQ9_TWELVE)]);
    fields.push(("action".into(), "submit".into()));
    assert_eq!(post(&client, &link, &fields).status(), 303);
    p.sign_in("dr.rivera@example.com", PASSWORD);
    let (_, html) = p.get_text(&session);
    let listed = select_text(&html, ".session-questionnaires li");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].starts_with("PHQ-9: 12 (Moderate)"), "{listed:?}");
    assert!(audit_actions(&app).contains(&(
        "client.viewed".into(),
        Some("session questionnaires".into())
    )));
}

#[test]
fn the_results_download_escapes_formulas_and_is_audited() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let id = p.add_client("=HYPERLINK(\"http://x\")", "-Lee", "lee@example.com", &[]);
    let form = format!("/clients/{id}/measures/give/PHQ-9");
    let (_, html) = p.get_text(&form);
    post(&p, &form, &answer_fields(&html, &[("PHQ-9", &PHQ9_TWELVE)]));
    let r = p.get(&format!("/clients/{id}/measures/results.csv"));
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv")));
    let text = r.text().unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[0], "'=HYPERLINK(\"http://x\") -Lee");
    assert_eq!(&row[1], "PHQ-9");
    assert_eq!(&row[3], "12");
    assert!(audit_actions(&app)
        .iter()
        .any(|(a, _)| a == "assessment.results_downloaded"));
}

#[test]
fn another_providers_client_measures_answer_404() {
    let app = TestApp::spawn();
    let p = app.signed_in();
    let id = p.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    let form = format!("/clients/{id}/measures/give/PHQ-9");
    let (_, html) = p.get_text(&form);
    post(
        &p,
        &form,
        &answer_fields(&html, &[("PHQ-9", &[0, 0, 0, 0, 0, 0, 0, 0, 1])]),
    );
    let (_, tab) = p.get_text(&format!("/clients/{id}/measures"));
    let answers = select_attr(&tab, "table.scores a", "href").remove(0);
    let resolve = select_attr(&tab, "#alerts form", "action").remove(0);
    let other = app.provider("dr.okafor@example.com", "Sam", "Okafor");
    for path in [
        format!("/clients/{id}/measures"),
        format!("/clients/{id}/measures/results.csv"),
        form.clone(),
        answers,
    ] {
        assert_eq!(other.get_text(&path).0, 404, "{path}");
    }
    let r = other.submit("/settings", &resolve, &[("note", "not mine")]);
    assert_eq!(r.status(), 404);
    assert!(select_text(&other.get_text("/clients").1, ".alert.risk").is_empty());
}

#[test]
fn booking_link_sign_ups_are_sent_the_questionnaires_chosen_in_settings() {
    let app = TestApp::spawn();
    app.set_time("2026-12-01 15:00");
    let p = app.signed_in();
    let r = p.fill(
        "/settings/questionnaires",
        "/settings/questionnaires",
        &[
            ("PHQ-9", "every_4_weeks"),
            ("GAD-2", "once"),
            ("pcl5_probable_from", "90"),
        ],
    );
    assert_eq!(r.status(), 422, "a cut-off above 80 is refused");
    let r = p.fill(
        "/settings/questionnaires",
        "/settings/questionnaires",
        &[
            ("PHQ-9", "every_4_weeks"),
            ("GAD-2", "once"),
            ("pcl5_probable_from", "35"),
        ],
    );
    assert_eq!(r.status(), 303);
    let booking = crate::booking_requests::open_for_booking(&p);
    let visitor = app.session();
    let (_, page) = visitor.get_text(&booking);
    let time = select_attr(&page, ".booking-times a", "href").remove(0);
    let r = crate::booking_requests::sign_up_for(&visitor, &time, "Noor", "noor@example.com");
    assert!(r.text().unwrap().contains("Check your email"));
    let sent = emails(&app, "assessments");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "noor@example.com");
    let client = app.session();
    let (_, page) = client.get_text(&sent[0].1);
    let codes: Vec<String> = questionnaires_on(&page)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(codes, ["PHQ-9", "GAD-2"]);
    let (_, settings) = p.get_text("/settings/questionnaires");
    assert_eq!(
        select_attr(&settings, "#pcl5_probable_from", "value"),
        ["35"]
    );
}
