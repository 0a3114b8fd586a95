use caseload::models::provider;
use diesel::prelude::*;

use crate::support::*;

fn sign_up(s: &Session, email: &str, password: &str) -> reqwest::blocking::Response {
    s.submit(
        "/signup",
        "/signup",
        &[
            ("first_name", "Elena"),
            ("last_name", "Rivera"),
            ("email", email),
            ("password", password),
            ("time_zone", "America/New_York"),
        ],
    )
}

#[test]
fn the_first_provider_signs_up_then_signup_closes() {
    let app = TestApp::spawn();
    let s = app.session();
    let r = sign_up(&s, "Dr.Rivera@Example.com", PASSWORD);
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/clients");
    let (status, html) = s.get_text("/clients");
    assert_eq!(status, 200);
    assert!(
        html.contains("Elena Rivera"),
        "the signed-in provider is named in the header"
    );
    assert!(html.contains("No clients yet"));

    // A stranger now finds sign-up closed, and posting anyway creates nobody.
    let stranger = app.session();
    let (_, html) = stranger.get_text("/signup");
    assert!(html.contains("Sign-up is closed"), "{html}");
    let token = stranger.csrf("/login");
    let r = stranger.post_raw(
        "/signup",
        &token,
        &[
            ("first_name", "Eve"),
            ("last_name", "X"),
            ("email", "eve@example.com"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status(), 200);
    let mut conn = app.conn();
    assert_eq!(provider::count(&mut conn).unwrap(), 1);
}

#[test]
fn open_signup_setting_lets_more_providers_in() {
    let app = TestApp::spawn_with(|c| c.open_signup = true);
    assert_eq!(
        sign_up(&app.session(), "one@example.com", PASSWORD).status(),
        303
    );
    assert_eq!(
        sign_up(&app.session(), "two@example.com", PASSWORD).status(),
        303
    );
    // The same email twice is refused with a pointer to sign in.
    let r = sign_up(&app.session(), "ONE@example.com", PASSWORD);
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .unwrap()
        .contains("already an account with this email"));
}

#[test]
fn signup_form_keeps_values_and_names_each_problem() {
    let app = TestApp::spawn();
    let s = app.session();
    let r = s.submit(
        "/signup",
        "/signup",
        &[
            ("first_name", "Elena"),
            ("last_name", ""),
            ("email", "not-an-email"),
            ("password", "short"),
        ],
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert_eq!(select_attr(&html, "#first_name", "value"), ["Elena"]);
    assert_eq!(select_attr(&html, "#email", "value"), ["not-an-email"]);
    let errors = select_text(&html, ".error");
    assert!(
        errors.iter().any(|e| e.contains("Enter the last name")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("doesn't look like an email")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("at least 12 characters")),
        "{errors:?}"
    );
    assert_eq!(provider::count(&mut app.conn()).unwrap(), 0);
}

#[test]
fn passwords_are_stored_as_argon2id_hashes() {
    let app = TestApp::spawn();
    sign_up(&app.session(), "dr.rivera@example.com", PASSWORD);
    let p = provider::find_by_email(&mut app.conn(), "dr.rivera@example.com")
        .unwrap()
        .unwrap();
    assert!(
        p.password_hash.starts_with("$argon2id$"),
        "{}",
        p.password_hash
    );
    assert!(!p.password_hash.contains(PASSWORD));
}

#[test]
fn sign_in_goes_back_to_the_page_asked_for_and_wrong_passwords_are_told_plainly() {
    let app = TestApp::spawn();
    app.signed_in();
    let s = app.session();
    let r = s.get("/clients?q=ada");
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Fclients%3Fq%3Dada");
    let (_, html) = s.get_text(&location(&r));
    assert_eq!(
        select_attr(&html, "input[name=next]", "value"),
        ["/clients?q=ada"]
    );

    let r = s.submit(
        "/login",
        "/login",
        &[
            ("email", "dr.rivera@example.com"),
            ("password", "wrong password!"),
            ("next", "/clients?q=ada"),
        ],
    );
    assert_eq!(r.status(), 200);
    assert!(select_text(&r.text().unwrap(), ".alert")[0].contains("don't match an account"));

    let r = s.submit(
        "/login",
        "/login",
        &[
            ("email", "dr.rivera@example.com"),
            ("password", PASSWORD),
            ("next", "/clients?q=ada"),
        ],
    );
    assert_eq!(location(&r), "/clients?q=ada");
    // Never to another site.
    let r = s.submit(
        "/login",
        "/login",
        &[
            ("email", "dr.rivera@example.com"),
            ("password", PASSWORD),
            ("next", "//evil.example.com/"),
        ],
    );
    assert_eq!(location(&r), "/clients");
    for bad in [
        "/\t/evil.example.com",
        "/\\evil.example.com",
        "https://evil.example.com",
        "/\n/evil.example.com",
    ] {
        let r = s.submit(
            "/login",
            "/login",
            &[
                ("email", "dr.rivera@example.com"),
                ("password", PASSWORD),
                ("next", bad),
            ],
        );
        assert_eq!(location(&r), "/clients", "next={bad:?}");
    }
}

#[test]
fn ten_failed_sign_ins_pause_that_email() {
    let app = TestApp::spawn();
    app.signed_in();
    let s = app.session();
    for _ in 0..10 {
        let r = s.submit(
            "/login",
            "/login",
            &[
                ("email", "dr.rivera@example.com"),
                ("password", "guess guess guess"),
            ],
        );
        assert_eq!(r.status(), 200);
    }
    // Now even the right password is refused, with a message that says why and until when.
    let r = s.submit(
        "/login",
        "/login",
        &[("email", "dr.rivera@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    assert!(html.contains("UTC"));
    // Another account is not affected.
    app.provider("other@example.com", "Sam", "Okafor");
}

#[test]
fn posts_without_the_right_csrf_token_are_refused() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let before = s.get_text("/clients").1;
    let r = s.post_raw(
        "/clients/new",
        "forged",
        &[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "ada@example.com"),
            ("billing_type", "insurance"),
        ],
    );
    assert_eq!(r.status(), 403);
    assert!(r.text().unwrap().contains("This form has expired"));
    let r = s
        .http
        .post(format!("{}/clients/new", s.base))
        .form(&[("first_name", "Ada")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        listed_names(&s.get_text("/clients").1),
        listed_names(&before)
    );
    // Signing out is a POST with a token too.
    assert_eq!(s.post_raw("/logout", "forged", &[]).status(), 403);
    assert_eq!(s.get("/clients").status(), 200);
}

#[test]
fn signing_out_ends_the_session() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let r = s.submit("/clients", "/logout", &[]);
    assert_eq!(location(&r), "/login");
    assert_eq!(s.get("/clients").status(), 303);
}

#[test]
fn sessions_survive_a_restart() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let mut again = s.copy_cookies();
    again.base = app.restart();
    let (status, html) = again.get_text("/clients");
    assert_eq!(status, 200, "the session key is kept in the data dir");
    assert!(html.contains("Elena Rivera"));
}

#[test]
fn session_cookie_is_http_only_and_same_site() {
    let app = TestApp::spawn();
    let s = app.session();
    let r = s.get("/login");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(cookie.starts_with("caseload_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "plain-http localhost by default"
    );

    let secure = TestApp::spawn_with(|c| c.secure_cookies = true);
    let r = secure.session().get("/login");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[test]
fn settings_change_name_and_password() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let r = s.fill(
        "/settings",
        "/settings/profile",
        &[
            ("first_name", "Elena"),
            ("last_name", "Rivera-Stone"),
            ("practice_name", "Harbor Counseling"),
        ],
    );
    assert_eq!(location(&r), "/settings");
    let (_, html) = s.get_text("/settings");
    assert!(html.contains("Your details were saved"));
    assert_eq!(
        select_attr(&html, "#practice_name", "value"),
        ["Harbor Counseling"]
    );

    let r = s.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", "not it at all"),
            ("new_password", "another long password"),
        ],
    );
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("not your current password"));
    let r = s.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long password"),
        ],
    );
    assert_eq!(r.status(), 303);
    app.session()
        .sign_in("dr.rivera@example.com", "another long password");
    let mut conn = app.conn();
    let p = caseload::db::schema::providers::table
        .select(caseload::db::schema::providers::last_name)
        .first::<String>(&mut conn)
        .unwrap();
    assert_eq!(p, "Rivera-Stone");
}

#[test]
fn changing_the_password_signs_out_other_browsers() {
    let app = TestApp::spawn();
    let here = app.signed_in();
    let elsewhere = app.session();
    elsewhere.sign_in("dr.rivera@example.com", PASSWORD);
    assert_eq!(elsewhere.get("/clients").status(), 200);
    let r = here.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long password"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(
        here.get("/clients").status(),
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        elsewhere.get("/clients").status(),
        303,
        "the other is sent to sign in"
    );
}

#[test]
fn the_audit_trail_takes_a_forwarded_address_only_behind_a_trusted_proxy() {
    use caseload::db::schema::audit_events;
    for (trust, expected) in [(false, "127.0.0.1"), (true, "203.0.113.9")] {
        let app = TestApp::spawn_with(|c| c.trust_proxy = trust);
        let s = app.signed_in();
        let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
        s.http
            .get(format!("{}/clients/{id}", s.base))
            .header("X-Forwarded-For", "203.0.113.9")
            .send()
            .unwrap();
        let ips: Vec<Option<String>> = audit_events::table
            .filter(audit_events::action.eq("client.viewed"))
            .select(audit_events::ip)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(ips, [Some(expected.to_string())], "trust_proxy = {trust}");
    }
}

#[test]
fn requests_that_do_not_match_the_proxy_setting_are_warned_about_once() {
    capture_logs();
    // Forwarded requests while the setting is off.
    let app = TestApp::spawn();
    app.signed_in();
    let proxy = app.session_from("127.0.2.61");
    proxy.sign_in("dr.rivera@example.com", PASSWORD);
    let id = proxy.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    for _ in 0..3 {
        proxy
            .http
            .get(format!("{}/clients/{id}", proxy.base))
            .header("X-Forwarded-For", "203.0.113.9")
            .send()
            .unwrap();
    }
    let warned = logged_lines_with(&[
        "127.0.2.61",
        "X-Forwarded-For",
        "CASELOAD_TRUST_PROXY is off",
    ]);
    assert_eq!(warned.len(), 1, "{warned:?} {:?}", logged_lines_with(&[]));
    assert!(warned[0].contains("WARN") && warned[0].contains("set CASELOAD_TRUST_PROXY=true"));

    // The setting on while requests come without the header.
    let app = TestApp::spawn_with(|c| c.trust_proxy = true);
    let direct = app.session_from("127.0.2.62");
    wrong_sign_in(&direct, "someone@example.com");
    app.signed_in();
    wrong_sign_in(&direct, "someone@example.com");
    let warned = logged_lines_with(&["127.0.2.62", "CASELOAD_TRUST_PROXY is on"]);
    assert_eq!(warned.len(), 1, "{warned:?}");
}

fn wrong_sign_in(s: &Session, email: &str) -> String {
    let r = s.submit(
        "/login",
        "/login",
        &[("email", email), ("password", "guess guess guess")],
    );
    assert_eq!(r.status(), 200);
    select_text(&r.text().unwrap(), ".alert").join(" ")
}

#[test]
fn an_attacker_elsewhere_cannot_lock_the_owner_out() {
    let app = TestApp::spawn();
    app.signed_in();
    let attacker = app.session_from("127.0.0.2");
    for _ in 0..10 {
        assert!(wrong_sign_in(&attacker, "dr.rivera@example.com").contains("don't match"));
    }
    let html = wrong_sign_in(&attacker, "dr.rivera@example.com");
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    assert!(html.contains("Try again after"), "{html}");
    // The owner, at their own address, signs in as usual.
    let owner = app.session();
    owner.sign_in("dr.rivera@example.com", PASSWORD);
    assert_eq!(owner.get("/clients").status(), 200);
    // The attacker's pause is over after 15 minutes (and starts again after 10 more).
    app.advance(chrono::Duration::minutes(16));
    assert!(wrong_sign_in(&attacker, "dr.rivera@example.com").contains("don't match"));
}

fn wrong_portal_sign_in(s: &Session, email: &str) -> String {
    let r = s.submit(
        "/portal/login",
        "/portal/login",
        &[("email", email), ("password", "guess guess guess")],
    );
    select_text(&r.text().unwrap(), ".alert, .error").join(" ")
}

/// A client with a portal account (password "client password 123"), and the provider.
fn portal_client(app: &TestApp) -> Session {
    let p = app.signed_in();
    p.add_client("Ada", "Lovelace", "ada@example.com", &[("notify", "on")]);
    let invite = crate::onboarding::outbox_links(&p).pop().unwrap();
    crate::onboarding::verify(app, &crate::onboarding::path_of(&invite));
    p
}

#[test]
fn a_noisy_address_still_signs_in_to_an_account_nobody_is_guessing_at() {
    use caseload::models::failed_login::{MAX_ACCOUNT_FAILURES, MAX_FAILURES_PER_ADDRESS};
    let app = TestApp::spawn();
    portal_client(&app);
    // Behind a proxy without CASELOAD_TRUST_PROXY, every visitor is this one address.
    let proxy = "127.0.0.2";
    let someone = app.session_from(proxy);
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        assert!(wrong_sign_in(&someone, &format!("guess{i}@example.com")).contains("don't match"));
    }
    // The owner's right password from the same address goes through, on both sign-ins.
    app.session_from(proxy)
        .sign_in("dr.rivera@example.com", PASSWORD);
    app.session_from(proxy)
        .sign_in_portal("ada@example.com", "client password 123");
    // An account under attack (wrong tries from anywhere) is paused from the noisy
    // address, even for the right password; a quiet address still signs in.
    let elsewhere = app.session_from("127.0.0.3");
    for _ in 0..MAX_ACCOUNT_FAILURES {
        assert!(wrong_sign_in(&elsewhere, "dr.rivera@example.com").contains("don't match"));
        assert!(!wrong_portal_sign_in(&elsewhere, "ada@example.com").contains("Too many"));
    }
    for (page, email, password) in [
        ("/login", "dr.rivera@example.com", PASSWORD),
        ("/portal/login", "ada@example.com", "client password 123"),
    ] {
        let html = app
            .session_from(proxy)
            .submit(page, page, &[("email", email), ("password", password)])
            .text()
            .unwrap();
        assert!(html.contains("Too many failed sign-ins"), "{page}: {html}");
    }
    app.session_from("127.0.0.4")
        .sign_in("dr.rivera@example.com", PASSWORD);
    app.session_from("127.0.0.4")
        .sign_in_portal("ada@example.com", "client password 123");
}

#[test]
fn asking_for_reset_links_never_pauses_a_correct_sign_in() {
    use caseload::models::failed_login::MAX_FAILURES_PER_ADDRESS;
    let app = TestApp::spawn_with_mailer();
    portal_client(&app);
    let address = "127.0.0.5";
    // Asks of both sign-in pages share their own budget per address.
    let asker = app.session_from(address);
    for i in 0..=MAX_FAILURES_PER_ADDRESS {
        let page = if i % 2 == 0 {
            "/password/forgot"
        } else {
            "/portal/password/forgot"
        };
        let r = asker.submit(page, page, &[("email", &format!("who{i}@example.com"))]);
        let paused = r.text().unwrap().contains("Too many requests");
        assert_eq!(paused, i == MAX_FAILURES_PER_ADDRESS, "{page}, ask {i}");
    }
    app.session_from(address)
        .sign_in("dr.rivera@example.com", PASSWORD);
    app.session_from(address)
        .sign_in_portal("ada@example.com", "client password 123");
}

#[test]
fn sixty_concurrent_wrong_passwords_get_at_most_ten_checks() {
    let app = TestApp::spawn();
    app.signed_in();
    let tries: Vec<(Session, String)> = (0..60)
        .map(|_| {
            let s = app.session();
            let token = s.csrf("/login");
            (s, token)
        })
        .collect();
    let barrier = std::sync::Barrier::new(tries.len());
    let pages: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = tries
            .iter()
            .map(|(s, token)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let r = s.post_raw(
                        "/login",
                        token,
                        &[
                            ("email", "dr.rivera@example.com"),
                            ("password", "guess guess guess"),
                        ],
                    );
                    let status = r.status().as_u16();
                    let alert = select_text(&r.text().unwrap_or_default(), ".alert").join(" ");
                    (status, alert)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(pages.iter().all(|(status, _)| *status == 200), "no errors");
    let checked = pages
        .iter()
        .filter(|(_, h)| h.contains("don't match"))
        .count();
    let paused = pages
        .iter()
        .filter(|(_, h)| h.contains("Too many failed sign-ins"))
        .count();
    assert_eq!(checked, 10, "only ten passwords are checked");
    assert_eq!(paused, 50);
}

#[test]
fn wrong_current_passwords_on_the_password_form_are_limited_too() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    for _ in 0..10 {
        let r = s.submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "another long password"),
            ],
        );
        assert!(r.text().unwrap().contains("not your current password"));
    }
    let r = s.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long password"),
        ],
    );
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("Too many wrong passwords"), "{html}");
    assert!(html.contains("Try again after"), "{html}");
    // In the provider's own zone (New York), not UTC.
    let when = html.split("Try again after").nth(1).unwrap_or("");
    assert!(
        when.trim_start()
            .get(..9)
            .is_some_and(|t| t.ends_with("EST") || t.ends_with("EDT")),
        "{when}"
    );
    // The password was not changed.
    app.session().sign_in("dr.rivera@example.com", PASSWORD);
    app.advance(chrono::Duration::minutes(16));
    let r = s.submit(
        "/settings",
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long password"),
        ],
    );
    assert_eq!(r.status(), 303);
}

#[test]
fn ten_concurrent_first_sign_ups_make_one_provider() {
    let app = TestApp::spawn();
    let tries: Vec<(Session, String)> = (0..10)
        .map(|_| {
            let s = app.session();
            let token = s.csrf("/signup");
            (s, token)
        })
        .collect();
    let barrier = std::sync::Barrier::new(tries.len());
    let pages: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = tries
            .iter()
            .enumerate()
            .map(|(i, (s, token))| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let email = format!("first{i}@example.com");
                    barrier.wait();
                    let r = s.post_raw(
                        "/signup",
                        token,
                        &[
                            ("first_name", "Elena"),
                            ("last_name", "Rivera"),
                            ("email", &email),
                            ("password", PASSWORD),
                            ("time_zone", "America/New_York"),
                        ],
                    );
                    (r.status().as_u16(), r.text().unwrap_or_default())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = pages.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        pages
            .iter()
            .filter(|(s, h)| *s == 200 && h.contains("Sign-up is closed"))
            .count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(provider::count(&mut app.conn()).unwrap(), 1);
}

#[test]
fn a_spoofed_forwarded_address_does_not_reach_the_audit_trail() {
    use caseload::db::schema::audit_events;
    let app = TestApp::spawn_with(|c| c.trust_proxy = true);
    let s = app.signed_in();
    let id = s.add_client("Ada", "Lovelace", "ada@example.com", &[]);
    // The client wrote the first value; the trusted proxy appended the last.
    s.http
        .get(format!("{}/clients/{id}", s.base))
        .header("X-Forwarded-For", "198.51.100.66, 203.0.113.9")
        .header("Forwarded", "for=198.51.100.77")
        .send()
        .unwrap();
    // Two header lines: the proxy's is the last value of the last line.
    s.http
        .get(format!("{}/clients/{id}", s.base))
        .header("X-Forwarded-For", "198.51.100.66")
        .header("X-Forwarded-For", "203.0.113.10")
        .send()
        .unwrap();
    let mut ips: Vec<Option<String>> = audit_events::table
        .filter(audit_events::action.eq("client.viewed"))
        .select(audit_events::ip)
        .load(&mut app.conn())
        .unwrap();
    ips.sort();
    assert_eq!(
        ips,
        [
            Some("203.0.113.10".to_string()),
            Some("203.0.113.9".to_string())
        ]
    );
}
