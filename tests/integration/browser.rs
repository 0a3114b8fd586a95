//! The main flow in a real headless Chromium over WebDriver. Needs Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them and runs this with `--include-ignored`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use thirtyfour::prelude::*;

use crate::support::*;

struct Chromedriver(Child, u16);

impl Chromedriver {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
        // It says when it listens (and ends its output if it cannot).
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let started = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("started successfully"));
        assert!(started, "chromedriver did not start");
        // Keep reading what it prints, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Chromedriver(child, port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Clicks something that loads another page, and waits until the old page is gone, so
/// that the next look-up cannot find an element of the page being left.
async fn navigate(driver: &WebDriver, by: By) -> WebDriverResult<()> {
    let element = driver.find(by).await?;
    element.click().await?;
    element.wait_until().stale().await
}

/// Saves a picture of the page when SCREENSHOT_DIR is set, to look at what people see.
async fn shot(driver: &WebDriver, name: &str) -> WebDriverResult<()> {
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        let _ = std::fs::create_dir_all(&dir);
        driver
            .screenshot(&std::path::Path::new(&dir).join(format!("{name}.png")))
            .await?;
    }
    Ok(())
}

async fn fill(driver: &WebDriver, id: &str, text: &str) -> WebDriverResult<()> {
    let input = driver.find(By::Id(id)).await?;
    input.clear().await?;
    input.send_keys(text).await
}

async fn main_flow(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/signup")).await?;
    fill(driver, "first_name", "Elena").await?;
    fill(driver, "last_name", "Rivera").await?;
    fill(driver, "email", "dr.rivera@example.com").await?;
    fill(driver, "password", PASSWORD).await?;
    navigate(driver, By::Css("button[type=submit].button")).await?;
    let heading = driver.find(By::Tag("h1")).await?;
    assert_eq!(heading.text().await?, "Clients");

    // Add client(s) → Add a client.
    driver
        .find(By::Css("details.menu summary"))
        .await?
        .click()
        .await?;
    navigate(driver, By::LinkText("Add a client")).await?;
    fill(driver, "first_name", "Ada").await?;
    fill(driver, "last_name", "Lovelace").await?;
    fill(driver, "email", "ada@example.com").await?;
    fill(driver, "phone", "(415) 555-2671").await?;
    // Private pay hides the insurance fields.
    driver
        .find(By::Css("input[name=billing_type][value=private_pay]"))
        .await?
        .click()
        .await?;
    assert!(
        !driver
            .find(By::Id("insurance_company"))
            .await?
            .is_displayed()
            .await?
    );
    driver
        .find(By::Css("input[name=billing_type][value=insurance]"))
        .await?
        .click()
        .await?;
    fill(driver, "insurance_company", "Aetna").await?;
    driver
        .find(By::Css("select#telehealth_state option[value=CA]"))
        .await?
        .click()
        .await?;
    shot(driver, "add-client").await?;
    navigate(
        driver,
        By::XPath("//button[normalize-space()='Add client']"),
    )
    .await?;
    shot(driver, "profile").await?;
    let notice = driver.find(By::Css(".notice")).await?;
    assert!(notice.text().await?.contains("Ada Lovelace was added"));

    // Find her by search from the Clients tab.
    navigate(driver, By::LinkText("Clients")).await?;
    fill(driver, "q", "lovel").await?;
    navigate(driver, By::XPath("//button[normalize-space()='Show']")).await?;
    let rows = driver.find_all(By::Css("table.clients tbody tr")).await?;
    assert_eq!(rows.len(), 1);
    navigate(driver, By::LinkText("Ada Lovelace")).await?;
    assert_eq!(
        driver.find(By::Tag("h1")).await?.text().await?,
        "Ada Lovelace"
    );
    let details = driver.find(By::Css(".details")).await?.text().await?;
    assert!(details.contains("(415) 555-2671"), "{details}");
    assert!(details.contains("California"));
    navigate(driver, By::LinkText("Billing")).await?;
    assert!(driver
        .find(By::Css(".details"))
        .await?
        .text()
        .await?
        .contains("Aetna"));
    Ok(())
}

/// Starts the app, chromedriver and a headless Chromium, runs `flow`, and saves a
/// screenshot under target/ when it fails.
async fn in_browser(
    name: &str,
    flow: impl AsyncFnOnce(&WebDriver, &TestApp) -> WebDriverResult<()>,
) {
    let app = tokio::task::spawn_blocking(TestApp::spawn).await.unwrap();
    let chromedriver = Chromedriver::start();
    let mut caps = DesiredCapabilities::chrome();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
    ] {
        caps.add_arg(arg).unwrap();
    }
    if let Ok(bin) = std::env::var("CHROMIUM") {
        caps.set_binary(&bin).unwrap();
    } else if std::path::Path::new("/usr/bin/chromium").exists() {
        caps.set_binary("/usr/bin/chromium").unwrap();
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{}", chromedriver.1), caps)
        .await
        .expect("start a browser session");
    driver
        .set_implicit_wait_timeout(Duration::from_secs(5))
        .await
        .unwrap();
    let result = flow(&driver, &app).await;
    if result.is_err() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let _ = std::fs::create_dir_all(&dir);
        let shot = dir.join(format!("browser-failure-{name}.png"));
        let _ = driver.screenshot(&shot).await;
        eprintln!("screenshot saved to {}", shot.display());
    }
    let _ = driver.quit().await;
    drop(chromedriver);
    result.expect("the flow in the browser");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn sign_up_add_a_client_find_and_open_them() {
    in_browser("main-flow", async |driver, app| {
        main_flow(driver, &app.base).await
    })
    .await;
}

async fn click_button(driver: &WebDriver, text: &str) -> WebDriverResult<()> {
    navigate(
        driver,
        By::XPath(format!("//button[normalize-space()='{text}']")),
    )
    .await
}

async fn onboarding_flow(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    main_flow(driver, base).await?;
    // No email server here: the provider copies the invitation link from the outbox.
    driver.goto(format!("{base}/settings/outbox")).await?;
    let link = driver
        .find(By::Css("table.outbox input"))
        .await?
        .value()
        .await?
        .unwrap_or_default();
    assert!(link.contains("/portal/invite/"), "{link}");

    // The client follows it (in this browser, which also keeps the provider signed in).
    shot(driver, "outbox").await?;
    driver.goto(&link).await?;
    fill(driver, "password", "client password 123").await?;
    fill(driver, "password_again", "client password 123").await?;
    click_button(driver, "Verify my account").await?;
    assert!(driver
        .find(By::Css(".notice"))
        .await?
        .text()
        .await?
        .contains("Your account is verified"));

    navigate(driver, By::Css("a[href='/portal/insurance']")).await?;
    fill(driver, "insurance_member_id", "W987654321").await?;
    fill(driver, "date_of_birth", "03141985").await?;
    click_button(driver, "Save").await?;
    navigate(driver, By::Css("a[href='/portal/billing']")).await?;
    fill(driver, "number", "4242 4242 4242 4242").await?;
    fill(driver, "expiry", "12/39").await?;
    fill(driver, "cvc", "123").await?;
    fill(driver, "zip", "94110").await?;
    click_button(driver, "Save card").await?;
    assert!(driver
        .find(By::Css(".notice"))
        .await?
        .text()
        .await?
        .contains("Visa ending in 4242"));
    navigate(driver, By::Css("a[href='/portal/forms']")).await?;
    fill(driver, "typed_name", "Ada Lovelace").await?;
    click_button(driver, "I have read and acknowledge both").await?;
    shot(driver, "portal-checklist").await?;
    let done = driver.find_all(By::Css(".checklist li.done")).await?;
    assert_eq!(done.len(), 4);

    // The provider verifies the insurance; the client is ready to schedule.
    driver.goto(format!("{base}/clients?q=lovelace")).await?;
    navigate(driver, By::LinkText("Ada Lovelace")).await?;
    navigate(driver, By::LinkText("Billing")).await?;
    click_button(driver, "Save review").await?;
    navigate(driver, By::LinkText("Clients")).await?;
    let badge = driver
        .find(By::Css("table.clients .badge"))
        .await?
        .text()
        .await?;
    assert_eq!(badge, "Ready to schedule");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn a_client_is_invited_finishes_setting_up_and_becomes_ready_to_schedule() {
    in_browser("onboarding", async |driver, app| {
        onboarding_flow(driver, &app.base).await
    })
    .await;
}

async fn import_flow(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    main_flow(driver, &app.base).await?;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("clients.csv");
    std::fs::write(
        &file,
        "First Name,Last Name,Email,Mobile Phone\nNia,Okafor,nia@example.com,415 555 0101\nAda,Lovelace,ada@example.com,\nLee,Kim,,\n",
    )
    .expect("write the list");

    // Clients → Add client(s) → Import from a file.
    navigate(driver, By::LinkText("Clients")).await?;
    driver
        .find(By::Css("details.menu summary"))
        .await?
        .click()
        .await?;
    navigate(driver, By::LinkText("Import from a file")).await?;
    driver
        .find(By::Id("file"))
        .await?
        .send_keys(file.to_string_lossy())
        .await?;
    click_button(driver, "Upload and check").await?;
    // The app's jobs run when the test says: the analysis now, while the page waits.
    tokio::task::block_in_place(|| app.run_jobs());
    // The progress page follows the analysis and shows the review when it is done.
    let heading = driver
        .query(By::XPath("//h1[starts-with(normalize-space(), 'Review')]"))
        .wait(Duration::from_secs(30), Duration::from_millis(200))
        .first()
        .await?;
    assert_eq!(heading.text().await?, "Review clients.csv");
    shot(driver, "import-review").await?;
    let statuses = driver
        .find_all(By::Css("table.import-rows tbody tr"))
        .await?;
    assert_eq!(statuses.len(), 3);
    assert_eq!(
        statuses[1].attr("data-status").await?.as_deref(),
        Some("existing")
    );

    // Lee has no email: typing one lets the row be selected.
    let lee = driver
        .find(By::Css("tr[data-row='4'] input[type=email]"))
        .await?;
    lee.send_keys("lee@example.com").await?;
    let lee_box = driver
        .find(By::Css("tr[data-row='4'] input[type=checkbox]"))
        .await?;
    assert!(lee_box.is_enabled().await? && lee_box.is_selected().await?);
    driver
        .find(By::Css("input[name=invite]"))
        .await?
        .click()
        .await?;
    click_button(driver, "Import the selected clients").await?;
    shot(driver, "import-done").await?;
    assert_eq!(
        driver
            .find(By::Css("[data-count=imported]"))
            .await?
            .text()
            .await?,
        "2"
    );
    assert_eq!(
        driver
            .find(By::Css("[data-count=linked]"))
            .await?
            .text()
            .await?,
        "1"
    );
    navigate(driver, By::LinkText("Go to client list")).await?;
    let names = driver
        .find_all(By::Css("table.clients tbody td:first-child a"))
        .await?;
    let mut listed = Vec::new();
    for n in names {
        listed.push(n.text().await?);
    }
    assert_eq!(listed, ["Lee Kim", "Ada Lovelace", "Nia Okafor"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn a_client_list_is_uploaded_reviewed_and_imported() {
    in_browser("import", async |driver, app| import_flow(driver, app).await).await;
}

async fn simplepractice_flow(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    main_flow(driver, &app.base).await?;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("export.zip");
    std::fs::write(
        &file,
        crate::simplepractice::zip_of(&crate::simplepractice::export_files()),
    )
    .expect("write the export");

    // Settings → Imports → Import a SimplePractice export.
    navigate(driver, By::LinkText("Settings")).await?;
    navigate(driver, By::LinkText("Imports")).await?;
    navigate(driver, By::LinkText("Import a SimplePractice export")).await?;
    driver
        .find(By::Id("file"))
        .await?
        .send_keys(file.to_string_lossy())
        .await?;
    click_button(driver, "Upload and check").await?;
    // The app's jobs run when the test says: the analysis now, while the page waits.
    tokio::task::block_in_place(|| app.run_jobs());
    driver
        .query(By::XPath("//h1[starts-with(normalize-space(), 'Review')]"))
        .wait(Duration::from_secs(30), Duration::from_millis(200))
        .first()
        .await?;
    shot(driver, "simplepractice-review").await?;
    // A laptop's 1366-pixel window holds the whole table; a phone stacks its rows.
    let fits = async |driver: &WebDriver| -> WebDriverResult<(i64, i64)> {
        let r = driver
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                Vec::new(),
            )
            .await?;
        let v: Vec<i64> = r.convert()?;
        Ok((v[0], v[1]))
    };
    driver.set_window_rect(0, 0, 1366, 768).await?;
    let (scroll, inner) = fits(driver).await?;
    assert!(
        inner > 1200 && scroll <= inner,
        "at 1366×768: {scroll} > {inner}"
    );
    // Headers and emails keep their words whole: a line breaks between words.
    let broken =
        words_broken_across_lines(driver, "table.import-rows th, table.import-rows td").await?;
    assert!(
        broken.is_empty(),
        "broken across lines at 1366 px: {broken:?}"
    );
    driver.set_window_rect(0, 0, 390, 844).await?;
    let (scroll, inner) = fits(driver).await?;
    shot(driver, "simplepractice-review-phone").await?;
    assert!(scroll <= inner, "at 390 px: {scroll} > {inner}");
    let display: String = driver
        .execute(
            "return getComputedStyle(document.querySelector('table.import-rows tbody tr')).display;",
            Vec::new(),
        )
        .await?
        .convert()?;
    assert_eq!(display, "block", "rows stacked on a phone");
    driver.set_window_rect(0, 0, 1280, 900).await?;
    let rows = driver
        .find_all(By::Css("table.import-rows tbody tr"))
        .await?;
    assert_eq!(rows.len(), 6);
    assert_eq!(
        rows[0].attr("data-status").await?.as_deref(),
        Some("existing"),
        "Ada, added by hand with the same name and email"
    );
    click_button(driver, "Select all new clients").await?;
    click_button(driver, "Import the selected clients").await?;
    shot(driver, "simplepractice-done").await?;
    assert_eq!(
        driver
            .find(By::Css("[data-count=imported]"))
            .await?
            .text()
            .await?,
        "2",
        "Nia and Gregory, the new clients"
    );
    navigate(driver, By::LinkText("Go to client list")).await?;
    navigate(driver, By::LinkText("Ada Lovelace")).await?;
    navigate(driver, By::LinkText("Clinical · Attachments")).await?;
    shot(driver, "simplepractice-attachments").await?;
    let apart = driver.find(By::Css("section.apart")).await?.text().await?;
    assert!(apart.contains("Psychotherapy Note 2024-01-09"), "{apart}");
    let all = driver.find(By::Css(".tab-body")).await?.text().await?;
    assert!(all.contains("Questionnaire (GAD)") && all.contains("Intake form.pdf"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn a_simplepractice_export_is_imported_with_its_documents() {
    in_browser("simplepractice", async |driver, app| {
        simplepractice_flow(driver, app).await
    })
    .await;
}

/// The calendar's own flow, after the onboarding one made Ada ready: click an empty slot
/// in the week, add a weekly session there, confirm the one already past, and be refused
/// for a client who has not finished setting up.
async fn calendar_flow(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    let base = &app.base;
    onboarding_flow(driver, base).await?;
    // A second client, who has done nothing yet.
    driver.goto(format!("{base}/clients/new")).await?;
    fill(driver, "first_name", "Bob").await?;
    fill(driver, "last_name", "Notready").await?;
    fill(driver, "email", "bob@example.com").await?;
    navigate(
        driver,
        By::XPath("//button[normalize-space()='Add client']"),
    )
    .await?;

    // The week of Monday, December 7: click the empty Monday 09:00 slot.
    driver
        .goto(format!("{base}/calendar?date=2026-12-07"))
        .await?;
    shot(driver, "calendar-week-empty").await?;
    navigate(
        driver,
        By::Css("td.free a[href='/calendar/new?start=2026-12-07T09:00']"),
    )
    .await?;
    assert_eq!(
        driver.find(By::Id("time")).await?.value().await?.as_deref(),
        Some("09:00")
    );
    fill(driver, "client", "Ada Lovelace <ada@example.com>").await?;
    driver
        .find(By::XPath(
            "//select[@id='service']/option[starts-with(normalize-space(), '90834')]",
        ))
        .await?
        .click()
        .await?;
    driver
        .find(By::Css("select#repeat option[value=weekly]"))
        .await?
        .click()
        .await?;
    fill(driver, "count", "4").await?;
    shot(driver, "calendar-add-weekly").await?;
    click_button(driver, "Schedule").await?;
    let notice = driver.find(By::Css(".notice")).await?.text().await?;
    assert!(notice.contains("Scheduled 4 sessions"), "{notice}");
    let entries = driver.find_all(By::Css("td.busy .entry")).await?;
    assert_eq!(entries.len(), 1);
    assert!(entries[0].text().await?.contains("9:00–9:45 AM"));
    shot(driver, "calendar-week").await?;

    // A session of Bob's the same morning; the week marks it as not ready to confirm.
    navigate(
        driver,
        By::Css("td.free a[href='/calendar/new?start=2026-12-07T11:00']"),
    )
    .await?;
    fill(driver, "client", "Bob Notready <bob@example.com>").await?;
    driver
        .find(By::XPath(
            "//select[@id='service']/option[starts-with(normalize-space(), '90834')]",
        ))
        .await?
        .click()
        .await?;
    click_button(driver, "Schedule").await?;
    let marked = driver
        .find(By::Css("td.busy .not-ready-mark"))
        .await?
        .text()
        .await?;
    assert!(marked.contains("Not ready to confirm"), "{marked}");

    // After the morning: Ada's first session is confirmed from its page.
    app.set_time("2026-12-07 18:00");
    driver.goto(format!("{base}/login")).await?;
    fill(driver, "email", "dr.rivera@example.com").await?;
    fill(driver, "password", PASSWORD).await?;
    navigate(driver, By::Css("main button[type=submit]")).await?;
    driver
        .goto(format!("{base}/calendar?date=2026-12-07"))
        .await?;
    navigate(driver, By::PartialLinkText("Ada Lovelace")).await?;
    fill(driver, "diagnosis", "F41.1").await?;
    shot(driver, "calendar-confirm").await?;
    click_button(driver, "Confirm the session").await?;
    assert!(driver
        .find(By::Css(".notice"))
        .await?
        .text()
        .await?
        .contains("The session is confirmed."));
    assert_eq!(
        driver
            .find(By::Css(".session-status"))
            .await?
            .text()
            .await?,
        "Confirmed"
    );

    // Bob's is refused, with what he has still to do.
    driver
        .goto(format!("{base}/calendar?date=2026-12-07"))
        .await?;
    navigate(driver, By::PartialLinkText("Bob Notready")).await?;
    fill(driver, "diagnosis", "F41.1").await?;
    click_button(driver, "Confirm the session").await?;
    let refusal = driver.find(By::Css(".alert")).await?.text().await?;
    assert!(
        refusal.contains("This session cannot be confirmed yet.")
            && refusal.contains("has not verified their account"),
        "{refusal}"
    );
    shot(driver, "calendar-refused").await?;
    assert_eq!(
        driver
            .find(By::Css(".session-status"))
            .await?
            .text()
            .await?,
        "Scheduled"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn a_weekly_session_is_added_from_an_empty_slot_and_confirmed_only_for_a_ready_client() {
    in_browser("calendar", async |driver, app| {
        app.set_time("2026-12-02 14:00");
        calendar_flow(driver, app).await
    })
    .await;
}

/// The text of the phone stepper's progress ("Question 3 of 10"), once it reads `want`.
async fn wait_for_question(driver: &WebDriver, want: &str) -> WebDriverResult<()> {
    driver
        .query(By::XPath(format!(
            "//span[@class='q-progress' and normalize-space()='{want}']"
        )))
        .wait(Duration::from_secs(10), Duration::from_millis(100))
        .first()
        .await
        .map(|_| ())
}

/// Picks answer `n` (0-based) of the question on screen.
async fn pick(driver: &WebDriver, n: usize) -> WebDriverResult<()> {
    let answers = driver
        .find_all(By::Css("fieldset.q-item.current label.q-answer"))
        .await?;
    answers[n].click().await
}

async fn phone_questionnaire_flow(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    use caseload::db::schema::outbox_emails;
    use diesel::prelude::*;
    // The provider starts a PHQ-9; its email carries the link.
    let (link, client_id, provider) = tokio::task::block_in_place(|| {
        let p = app.signed_in();
        let id = p.add_client(
            "Ada",
            "Lovelace",
            "ada@example.com",
            &[("assessments", "PHQ-9")],
        );
        let url: Option<String> = outbox_emails::table
            .filter(outbox_emails::kind.eq("assessments"))
            .select(outbox_emails::action_url)
            .first(&mut app.conn())
            .expect("the questionnaire email");
        (url.expect("a link"), id, p)
    });
    driver.set_window_rect(0, 0, 390, 844).await?;
    driver.goto(&link).await?;
    wait_for_question(driver, "Question 1 of 10").await?;
    let shown = driver.find_all(By::Css("fieldset.q-item")).await?;
    let mut visible = 0;
    for f in &shown {
        if f.is_displayed().await? {
            visible += 1;
        }
    }
    assert_eq!(visible, 1, "one question fills the screen");
    // Large targets: each answer is a whole-width button of at least 48 pixels.
    let first = driver
        .find(By::Css("fieldset.q-item.current label.q-answer"))
        .await?
        .rect()
        .await?;
    shot(driver, "phq9-phone").await?;
    assert!(first.height >= 48.0 && first.width >= 300.0, "{first:?}");
    // The time frame ("Over the last 2 weeks…") stands above the item, not after it.
    let stem = driver
        .find(By::Css("fieldset.q-item.current .q-stem"))
        .await?
        .rect()
        .await?;
    let number = driver
        .find(By::Css("fieldset.q-item.current .q-number"))
        .await?
        .rect()
        .await?;
    assert!(
        stem.height > 0.0 && stem.y < number.y,
        "{stem:?} above {number:?}"
    );

    // Three answers, then the page is left and opened again: they were saved as they went.
    for (n, answer) in [2, 2, 1].into_iter().enumerate() {
        pick(driver, answer).await?;
        wait_for_question(driver, &format!("Question {} of 10", n + 2)).await?;
    }
    driver.goto(&link).await?;
    wait_for_question(driver, "Question 4 of 10").await?;
    // Back shows the answer given; forward again.
    driver
        .find(By::XPath("//button[normalize-space()='Back']"))
        .await?
        .click()
        .await?;
    wait_for_question(driver, "Question 3 of 10").await?;
    let checked = driver
        .find(By::Css("fieldset.q-item.current input:checked"))
        .await?;
    assert_eq!(checked.value().await?.as_deref(), Some("1"));
    driver
        .find(By::XPath("//button[normalize-space()='Next']"))
        .await?
        .click()
        .await?;
    wait_for_question(driver, "Question 4 of 10").await?;
    // The rest: item 9 "Several days".
    for (n, answer) in [1, 0, 1, 0, 0, 1].into_iter().enumerate() {
        pick(driver, answer).await?;
        wait_for_question(driver, &format!("Question {} of 10", n + 5)).await?;
    }
    // The last, unscored question; then the answers are sent.
    pick(driver, 1).await?;
    shot(driver, "phq9-phone-last").await?;
    click_button(driver, "Send my answers").await?;
    let heading = driver.find(By::Tag("h1")).await?.text().await?;
    assert_eq!(heading, "Thank you");
    let crisis = driver.find(By::Css(".crisis")).await?.text().await?;
    assert!(crisis.contains("Call or text 988"), "{crisis}");
    shot(driver, "phq9-phone-done").await?;

    // The provider sees the score and the alert.
    let (tab, list) = tokio::task::block_in_place(|| {
        (
            provider
                .get_text(&format!("/clients/{client_id}/measures"))
                .1,
            provider.get_text("/clients").1,
        )
    });
    assert_eq!(select_text(&tab, "table.scores tbody td.amount"), ["8"]);
    assert!(select_text(&tab, "table.scores tbody tr")[0].contains("Mild"));
    assert_eq!(select_text(&list, ".alert.risk li a"), ["Ada Lovelace"]);

    // And in the provider's own browser, on a laptop: the chart and the alert to resolve.
    driver.set_window_rect(0, 0, 1280, 900).await?;
    driver.goto(format!("{}/login", app.base)).await?;
    fill(driver, "email", "dr.rivera@example.com").await?;
    fill(driver, "password", PASSWORD).await?;
    navigate(driver, By::Css("button[type=submit].button")).await?;
    driver
        .goto(format!("{}/clients/{client_id}/measures", app.base))
        .await?;
    assert!(
        driver
            .find(By::Css("svg.score-chart"))
            .await?
            .is_displayed()
            .await?
    );
    assert!(
        driver
            .find(By::Css("#alerts textarea"))
            .await?
            .is_displayed()
            .await?
    );
    shot(driver, "measures-tab").await?;
    driver
        .find(By::Css("svg.score-chart"))
        .await?
        .scroll_into_view()
        .await?;
    shot(driver, "measures-chart").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn a_client_answers_a_phq9_on_a_phone_one_question_at_a_time() {
    in_browser("phq9-phone", async |driver, app| {
        phone_questionnaire_flow(driver, app).await
    })
    .await;
}

/// The words (runs without spaces or hyphens: "Import", "ada@example.com") shown inside
/// the elements `selector` finds that the browser broke across two lines (text for
/// screen readers only, hidden in a 1-pixel box, is left out).
async fn words_broken_across_lines(
    driver: &WebDriver,
    selector: &str,
) -> WebDriverResult<Vec<String>> {
    let broken = driver
        .execute(
            r#"
            const broken = [];
            for (const el of document.querySelectorAll(arguments[0])) {
              const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
              let node;
              while ((node = walker.nextNode())) {
                if (node.parentElement.closest('.visually-hidden')) continue;
                for (const m of node.data.matchAll(/[^\s-]+/g)) {
                  const range = document.createRange();
                  range.setStart(node, m.index);
                  range.setEnd(node, m.index + m[0].length);
                  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                  if (tops.size > 1) broken.push(m[0]);
                }
              }
            }
            return broken;
            "#,
            vec![serde_json::Value::String(selector.to_string())],
        )
        .await?;
    broken.convert()
}

/// Whether the page is wider than the window (something would need sideways scrolling).
async fn page_overflows(driver: &WebDriver) -> WebDriverResult<(i64, i64)> {
    let widths = driver
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            Vec::new(),
        )
        .await?;
    let widths: Vec<i64> = widths.convert()?;
    Ok((widths[0], widths[1]))
}

async fn phone_client_list_flow(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    driver.goto(format!("{}/signup", app.base)).await?;
    fill(driver, "first_name", "Elena").await?;
    fill(driver, "last_name", "Rivera").await?;
    fill(driver, "email", "dr.rivera@example.com").await?;
    fill(driver, "password", PASSWORD).await?;
    navigate(driver, By::Css("button[type=submit].button")).await?;
    tokio::task::block_in_place(|| {
        let s = app.session();
        s.sign_in("dr.rivera@example.com", PASSWORD);
        s.add_client(
            "Bartholomew-Alexander",
            "Featherstonehaugh-Montgomery",
            "bartholomew.alexander.featherstonehaugh@a-rather-long-domain.example.com",
            &[("phone", "(212) 555-0143"), ("preferred_name", "Bart")],
        );
        s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    });
    driver.set_window_rect(0, 0, 390, 844).await?;
    driver.goto(format!("{}/clients", app.base)).await?;
    shot(driver, "client-list-390").await?;
    let (page, window) = page_overflows(driver).await?;
    assert!(
        page <= window,
        "the client list fits a 390-pixel phone: {page} px in a {window} px window"
    );
    // Stacked: each client a block, the row's cells one under another.
    let name = driver
        .find(By::LinkText("Ada Lovelace"))
        .await?
        .rect()
        .await?;
    let email = driver
        .find(By::XPath("//td[normalize-space()='ada@example.com']"))
        .await?
        .rect()
        .await?;
    assert!(email.y > name.y, "the email stands under the name");
    driver.set_window_rect(0, 0, 1280, 900).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn the_client_list_fits_a_phone() {
    in_browser("client-list-phone", async |driver, app| {
        phone_client_list_flow(driver, app).await
    })
    .await;
}

/// GET routes that answer with something other than a page to read: each with why.
const NOT_PAGES: &[(&str, &str)] = &[
    ("/", "sends each reader on to their start page"),
    ("/static/app.css", "the style sheet"),
    ("/static/app.js", "the script"),
    ("/calendar/feed/{token}.ics", "a calendar file"),
    ("/portal/sessions/{id}.ics", "a calendar file"),
    ("/clients/{id}/measures/results.csv", "a spreadsheet"),
    ("/clients/import/{id}/left-out.csv", "a spreadsheet"),
    ("/clients/import/{id}/status", "the progress page's JSON"),
    ("/portal/estimates/{id}.pdf", "a PDF"),
    ("/clients/{id}/documents/{doc}", "a stored file"),
    ("/clients/{id}/clinical", "sends on to the attachments"),
];

/// Route files mounted inside a scope, and the scope's path (src/web/mod.rs): their
/// routes outside it begin with "/settings".
const SCOPED: &[(&str, &str)] = &[
    ("imports/mod.rs", "/clients/import"),
    ("simplepractice_import.rs", "/clients/import"),
];

/// Every GET route the app registers, read from src/web (`.route("…", web::get()…` and
/// `web::resource("…")…route(web::get()…`), so that a page added there and not to the
/// walk below is noticed.
fn registered_get_routes() -> std::collections::BTreeSet<String> {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/web").flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut all = Vec::new();
    files(&web, &mut all);
    let mut routes = std::collections::BTreeSet::new();
    for file in all {
        let text: String = std::fs::read_to_string(&file)
            .expect("a source file")
            .split_whitespace()
            .collect();
        let relative = file
            .strip_prefix(&web)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let scope = SCOPED.iter().find(|(f, _)| *f == relative).map(|(_, s)| *s);
        let mut found = Vec::new();
        for (at, _) in text.match_indices(".route(\"") {
            let rest = &text[at + ".route(\"".len()..];
            if let Some(end) = rest.find('"') {
                if rest[end..].starts_with("\",web::get()") {
                    found.push(rest[..end].to_string());
                }
            }
        }
        let resources: Vec<usize> = text
            .match_indices("web::resource(\"")
            .map(|(at, _)| at)
            .collect();
        for (n, at) in resources.iter().enumerate() {
            let rest = &text[at + "web::resource(\"".len()..];
            let Some(end) = rest.find('"') else { continue };
            let until = resources.get(n + 1).map_or(text.len(), |next| *next) - at;
            if text[*at..*at + until].contains(".route(web::get()") {
                found.push(rest[..end].to_string());
            }
        }
        for path in found {
            routes.insert(match scope {
                Some(prefix) if !path.starts_with("/settings") => format!("{prefix}{path}"),
                _ => path,
            });
        }
    }
    routes
}

/// A practice with a little of everything: clients (one with a long name, a minor with a
/// parent), sessions, a booking request, a document, scores, an estimate, an import
/// waiting for review and one done, the outbox, the calendar feed; and a client who
/// finished the portal. Returns each page's route and the address that shows it, in
/// three parts: before signing in, the provider's, the client's.
struct Walk {
    public: Vec<(&'static str, String)>,
    provider: Vec<(&'static str, String)>,
    portal: Vec<(&'static str, String)>,
}

fn a_practice_with_data(app: &TestApp) -> Walk {
    use crate::booking_requests::{open_for_booking, sign_up_for};
    use crate::calendar::{schedule, service_id};
    use crate::onboarding::{outbox_links, path_of, verify};
    use caseload::db::schema::outbox_emails;
    use diesel::prelude::*;

    let p = app.signed_in();
    let booking = open_for_booking(&p);
    p.fill(
        "/settings/practice",
        "/settings/practice",
        &[
            ("npi", "1234567893"),
            ("tin", "12-3456789"),
            (
                "billing_address",
                "350 Fifth Avenue, Suite 1200, New York, NY 10118",
            ),
        ],
    );
    let service = service_id(&p, "90834");
    p.fill(
        "/settings/rates",
        "/settings/rates",
        &[(&format!("rate_{service}"), "150")],
    );
    let ada = p.add_client(
        "Ada",
        "Lovelace",
        "ada@example.com",
        &[
            ("phone", "(212) 555-0143"),
            ("insurance_company", "Aetna"),
            ("notify", "on"),
        ],
    );
    p.add_client(
        "Bartholomew-Alexander",
        "Featherstonehaugh-Montgomery",
        "bartholomew.alexander.featherstonehaugh@a-rather-long-domain.example.com",
        &[("preferred_name", "Bart"), ("notify", "on")],
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
            ("notify", "on"),
            ("assessments", "PHQ-9"),
        ],
    );
    assert_eq!(r.status(), 303);
    let bo = location(&r).trim_start_matches("/clients/").to_string();
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
    let (_, lily_page) = p.get_text(&format!("/clients/{lily}"));
    let contact = select_attr(&lily_page, "a", "href")
        .into_iter()
        .find(|h| h.contains("/contacts/") && !h.ends_with("/new"))
        .expect("the parent's contact page");

    // Documents, scores, sessions, an estimate.
    let r = crate::documents::upload(
        &p,
        &ada,
        "Intake notes from the first appointment with a long name.pdf",
        crate::documents::PDF,
        "other",
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let give = format!("/clients/{ada}/measures/give/PHQ-9");
    let (_, form) = p.get_text(&give);
    let r = crate::measures::post(
        &p,
        &give,
        &crate::measures::answer_fields(&form, &[("PHQ-9", &[1, 1, 1, 1, 1, 0, 0, 0, 0])]),
    );
    assert_eq!(r.status(), 303);
    let (_, measures) = p.get_text(&format!("/clients/{ada}/measures"));
    let answers = select_attr(&measures, "a", "href")
        .into_iter()
        .find(|h| h.contains("/measures/answers/"))
        .expect("a link to the answers");
    let session = schedule(&p, &service, "2026-12-08", "10:00");
    let r = p.submit(
        &format!("/clients/{bo}/billing"),
        &format!("/clients/{bo}/estimates"),
        &[
            ("frequency", "weekly"),
            ("months", "3"),
            ("service", &service),
        ],
    );
    let estimate = location(&r);
    assert!(estimate.contains("/estimates/"), "{estimate}");
    p.submit(
        "/settings/calendar/feed",
        "/settings/calendar/feed",
        &[("action", "on")],
    );

    // A booking request from a stranger.
    let visitor = app.session();
    let (_, times) = visitor.get_text(&booking);
    let time = select_attr(&times, ".booking-times a", "href").remove(0);
    sign_up_for(&visitor, &time, "Noor", "noor@example.com");
    // And one in Ada's name, which waits for her address to confirm it.
    let another = select_attr(&times, ".booking-times a", "href")
        .pop()
        .expect("a later time");
    sign_up_for(&app.session(), &another, "Ada", "ada@example.com");
    let confirm: String = outbox_emails::table
        .filter(outbox_emails::kind.eq(caseload::onboarding::CONFIRM_BOOKING))
        .select(outbox_emails::action_url)
        .first::<Option<String>>(&mut app.conn())
        .expect("the email to confirm a request")
        .expect("its link");

    // An import waiting for review, and one done.
    let list = "First Name,Last Name,Email,Mobile Phone\nNia,Okafor,nia.okafor.with.a.long.address@example.com,415 555 0101\nAda,Lovelace,ada@example.com,\n";
    let done = crate::imports::upload(&p, "clients.csv", list.as_bytes().to_vec());
    let html = crate::imports::analysed(app, &p, &done);
    let r = p.fill_from(&html, &format!("{done}/review"), &[]);
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let waiting =
        crate::imports::upload(&p, "a second list of clients.csv", list.as_bytes().to_vec());
    crate::imports::analysed(app, &p, &waiting);

    // Bo follows the invitation and signs in to the portal; Ada's waits.
    let links = outbox_links(&p);
    let invitation = |email: &str| {
        let url: String = outbox_emails::table
            .filter(outbox_emails::kind.eq("invitation"))
            .filter(outbox_emails::to_address.eq(email))
            .select(outbox_emails::action_url)
            .first::<Option<String>>(&mut app.conn())
            .expect("an invitation")
            .expect("its link");
        path_of(&url)
    };
    assert!(!links.is_empty());
    let ada_invitation = invitation("ada@example.com");
    let bo_portal = verify(app, &invitation("bo@example.com"));
    let questionnaire: String = outbox_emails::table
        .filter(outbox_emails::kind.eq("assessments"))
        .select(outbox_emails::action_url)
        .first::<Option<String>>(&mut app.conn())
        .expect("the questionnaire email")
        .expect("a link");
    let portal_estimate = select_attr(&bo_portal.get_text("/portal").1, "a", "href")
        .into_iter()
        .find(|h| h.starts_with("/portal/estimates/") && !h.ends_with(".pdf"))
        .expect("the estimate in the portal");

    let s = |x: &str| x.to_string();
    Walk {
        public: vec![
            ("/signup", s("/signup")),
            ("/login", s("/login")),
            ("/password/forgot", s("/password/forgot")),
            ("/password/reset/{token}", s("/password/reset/an-old-link")),
            ("/portal/login", s("/portal/login")),
            ("/portal/password/forgot", s("/portal/password/forgot")),
            (
                "/portal/password/reset/{token}",
                s("/portal/password/reset/an-old-link"),
            ),
            ("/portal/invite/{token}", ada_invitation),
            ("/portal/questionnaires/{token}", path_of(&questionnaire)),
            ("/book/{token}", booking.clone()),
            ("/book/{token}", time),
            ("/book/confirm/{token}", path_of(&confirm)),
        ],
        provider: vec![
            ("/clients", s("/clients")),
            ("/clients/new", s("/clients/new")),
            ("/clients/{id}", format!("/clients/{ada}")),
            ("/clients/{id}", format!("/clients/{lily}")),
            ("/clients/{id}/edit", format!("/clients/{ada}/edit")),
            ("/clients/{id}/billing", format!("/clients/{ada}/billing")),
            ("/clients/{id}/billing", format!("/clients/{bo}/billing")),
            ("/clients/{id}/activity", format!("/clients/{ada}/activity")),
            (
                "/clients/{id}/contacts/new",
                format!("/clients/{lily}/contacts/new"),
            ),
            ("/clients/{id}/contacts/{contact}", contact),
            (
                "/clients/{id}/clinical/attachments",
                format!("/clients/{ada}/clinical/attachments"),
            ),
            ("/clients/{id}/measures", format!("/clients/{ada}/measures")),
            ("/clients/{id}/measures/give/{code}", give),
            ("/clients/{id}/measures/answers/{assessment}", answers),
            ("/clients/{id}/sessions", format!("/clients/{ada}/sessions")),
            ("/clients/{id}/estimates/{estimate}", estimate),
            ("/clients/import", s("/clients/import")),
            ("/clients/import/{id}", waiting),
            ("/clients/import/{id}", done),
            (
                "/clients/import/simplepractice",
                s("/clients/import/simplepractice"),
            ),
            ("/calendar", s("/calendar?date=2026-12-07")),
            ("/calendar", s("/calendar?date=2026-12-08&view=day")),
            ("/calendar", s("/calendar?date=2026-12-08&view=month")),
            ("/calendar/new", s("/calendar/new?start=2026-12-08T11:00")),
            ("/calendar/other/new", s("/calendar/other/new")),
            ("/calendar/requests", s("/calendar/requests")),
            ("/calendar/sessions/{id}", session.clone()),
            ("/calendar/sessions/{id}/edit", format!("{session}/edit")),
            ("/settings", s("/settings")),
            ("/settings/outbox", s("/settings/outbox")),
            ("/settings/forms", s("/settings/forms")),
            ("/settings/imports", s("/settings/imports")),
            ("/settings/rates", s("/settings/rates")),
            ("/settings/practice", s("/settings/practice")),
            ("/settings/questionnaires", s("/settings/questionnaires")),
            ("/settings/backups", s("/settings/backups")),
            ("/settings/calendar", s("/settings/calendar")),
            ("/settings/calendar/feed", s("/settings/calendar/feed")),
            ("/settings/services", s("/settings/services")),
        ],
        portal: vec![
            ("/portal", s("/portal")),
            ("/portal/choose", s("/portal/choose")),
            ("/portal/insurance", s("/portal/insurance")),
            ("/portal/billing", s("/portal/billing")),
            ("/portal/forms", s("/portal/forms")),
            ("/portal/estimates/{id}", portal_estimate),
        ],
    }
}

async fn every_page_flow(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    let walk = tokio::task::block_in_place(|| a_practice_with_data(app));
    let mut visited: std::collections::BTreeSet<String> = NOT_PAGES
        .iter()
        .map(|(route, _)| route.to_string())
        .collect();
    let mut wide = Vec::new();
    driver.set_window_rect(0, 0, 390, 844).await?;
    let mut look = async |driver: &WebDriver, route: &str, url: &str| -> WebDriverResult<()> {
        driver.goto(format!("{}{url}", app.base)).await?;
        let title = driver.title().await?;
        assert!(
            !title.starts_with("Page not found") && !title.starts_with("Something went wrong"),
            "{url} shows a page of its own: {title}"
        );
        let (page, window) = page_overflows(driver).await?;
        if page > window {
            shot(
                driver,
                &format!("wide{}", url.replace(['/', '?', '&', '='], "_")),
            )
            .await?;
            // What sticks out: the innermost elements whose right edge passes the window.
            let culprits: Vec<String> = driver
                .execute(
                    r#"
                    const out = [...document.body.querySelectorAll('*')].filter(e =>
                      e.getBoundingClientRect().right > window.innerWidth + 1 &&
                      ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1));
                    return out.slice(0, 5).map(e => e.tagName.toLowerCase() +
                      (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') +
                      ' ' + Math.round(e.getBoundingClientRect().right) + ' px');
                    "#,
                    Vec::new(),
                )
                .await?
                .convert()?;
            wide.push(format!("{url}: {page} px ({})", culprits.join(", ")));
        }
        visited.insert(route.to_string());
        Ok(())
    };
    for (route, url) in &walk.public {
        look(driver, route, url).await?;
    }
    driver.goto(format!("{}/login", app.base)).await?;
    fill(driver, "email", "dr.rivera@example.com").await?;
    fill(driver, "password", PASSWORD).await?;
    navigate(driver, By::Css("main button[type=submit]")).await?;
    for (route, url) in &walk.provider {
        look(driver, route, url).await?;
    }
    driver.goto(format!("{}/portal/login", app.base)).await?;
    fill(driver, "email", "bo@example.com").await?;
    fill(driver, "password", "client password 123").await?;
    navigate(driver, By::Css("main button[type=submit]")).await?;
    for (route, url) in &walk.portal {
        look(driver, route, url).await?;
        // The portal's header names the practice on every page.
        let brand = driver.find(By::Css(".brand")).await?.text().await?;
        assert_eq!(brand, "Elena Rivera", "{url}");
    }
    // A service in a table's row header is written as typed, not in capitals.
    driver.goto(format!("{}/settings/rates", app.base)).await?;
    let transform: String = driver
        .execute(
            "return getComputedStyle(document.querySelector('table.rates tbody th')).textTransform;",
            Vec::new(),
        )
        .await?
        .convert()?;
    assert_eq!(transform, "none", "service names as typed");
    let missing: Vec<String> = registered_get_routes()
        .difference(&visited)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "pages no test opens at 390 px (add them to a_practice_with_data): {missing:?}"
    );
    assert!(
        wide.is_empty(),
        "pages wider than a 390-pixel phone: {wide:#?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromium-driver; run with --include-ignored (.ci/run does)"]
async fn every_page_fits_a_390_pixel_phone() {
    in_browser("every-page-phone", async |driver, app| {
        app.set_time("2026-12-02 14:00");
        every_page_flow(driver, app).await
    })
    .await;
}
