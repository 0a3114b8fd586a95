//! `TestApp`: a real server on a free port, with its own data dir and database, its own
//! clock (standing still until the test moves it), background jobs that run only when the
//! test says (`run_jobs`), and — when asked for — an email server in memory (`emails`);
//! plus sessions (each with its own cookie jar) that act as a browser would.

use std::net::IpAddr;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use caseload::clock::Clock;
use caseload::config::{Config, FileSettings};
use caseload::db::{self, DatabaseUrl, DbConnection};
use caseload::domain::email::Email;
use caseload::domain::name::PersonName;
use caseload::jobs::{self, Jobs};
use caseload::mail::smtp::OutgoingEmail;
use caseload::mail::{Mailer, MemoryMailer};
use caseload::models::provider;
use caseload::passwords;
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::blocking::{Client, Response};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use tempfile::TempDir;

pub const PASSWORD: &str = "a long test password";

pub struct TestApp {
    pub base: String,
    pub config: Config,
    pub data_dir: TempDir,
    /// The app's clock: it stands still until the test moves it (`advance`).
    pub clock: Clock,
    /// The in-memory email server, when the app has one ([`TestApp::spawn_with_mailer`]).
    mailbox: Option<MemoryMailer>,
    postgres: Option<(String, String)>,
    /// Every server started on this app's database, stopped when the test ends so that
    /// no connection outlives its database (or the test binary's exit); with their jobs.
    servers: std::sync::Mutex<Vec<(ServerHandle, Jobs)>>,
    /// The data dirs of the other instances ([`TestApp::another_instance`]).
    other_dirs: std::sync::Mutex<Vec<TempDir>>,
}

/// A database of its own for a test's second installation (a restore's target): a fresh
/// PostgreSQL database when the tests run on PostgreSQL (dropped with this), else an
/// SQLite file (not yet there) in a data dir of its own.
pub struct FreshDatabase {
    pub url: DatabaseUrl,
    pub data_dir: TempDir,
    postgres: Option<(String, String)>,
}

impl FreshDatabase {
    pub fn new() -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (url, postgres) = new_database(&data_dir);
        FreshDatabase {
            url,
            data_dir,
            postgres,
        }
    }

    pub fn conn(&self) -> DbConnection {
        db::establish(&self.url).expect("a connection to the fresh database")
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            drop_database(admin, name);
        }
    }
}

fn drop_database(admin: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::establish(admin) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}

/// A new, empty database: PostgreSQL when TEST_DATABASE_URL is set (with the admin URL and
/// its name, to drop it), else SQLite in `data_dir`.
fn new_database(data_dir: &TempDir) -> (DatabaseUrl, Option<(String, String)>) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin) => {
            let name = format!("caseload_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let url = match admin.rfind('/') {
                Some(i) if admin[..i].contains("//") && i > admin.find("//").unwrap_or(0) + 1 => {
                    format!("{}/{name}", &admin[..i])
                }
                _ => format!("{admin}/{name}"),
            };
            (DatabaseUrl::Postgres(url), Some((admin, name)))
        }
        None => (
            DatabaseUrl::Sqlite(
                data_dir
                    .path()
                    .join("caseload.db")
                    .to_string_lossy()
                    .into_owned(),
            ),
            None,
        ),
    }
}

impl TestApp {
    /// The app as installed without an email server: emails wait in Settings → Outbox.
    pub fn spawn() -> Self {
        Self::spawn_with(|_| {})
    }

    /// [`TestApp::spawn`] with settings changed first. With `smtp_url` set, the app sends
    /// over real SMTP.
    pub fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::build(adjust, None)
    }

    /// The app with an email server in memory: `run_jobs` delivers what is due into it,
    /// and `emails` reads it.
    pub fn spawn_with_mailer() -> Self {
        Self::build(|_| {}, Some(MemoryMailer::new()))
    }

    fn build(adjust: impl FnOnce(&mut Config), mailbox: Option<MemoryMailer>) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (database_url, postgres) = new_database(&data_dir);
        let mut config =
            Config::from_layers(FileSettings::default(), |_| None).expect("default config");
        config.listen = "127.0.0.1:0".parse().expect("addr");
        config.public_url = "http://127.0.0.1:0".into();
        config.data_dir = data_dir.path().to_path_buf();
        config.database_url = database_url;
        config.db_pool_size = 4;
        adjust(&mut config);
        let clock = Clock::manual(chrono::Utc::now().naive_utc());
        let mut app = TestApp {
            base: String::new(),
            config,
            data_dir,
            clock,
            mailbox,
            postgres,
            servers: std::sync::Mutex::new(Vec::new()),
            other_dirs: std::sync::Mutex::new(Vec::new()),
        };
        app.base = app.start_server();
        app
    }

    /// A second server on the same data dir and database, as after a restart.
    pub fn restart(&self) -> String {
        self.start_server()
    }

    /// Another instance on the same database, with a data dir of its own (as on another
    /// machine): its address. Its jobs run with the others' in [`TestApp::run_jobs`].
    pub fn another_instance(&self) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = self.config.clone();
        config.data_dir = dir.path().to_path_buf();
        let base = self.start_server_with(config);
        if let Ok(mut dirs) = self.other_dirs.lock() {
            dirs.push(dir);
        }
        base
    }

    /// Each server's jobs, in the order the servers started.
    pub fn instance_jobs(&self) -> Vec<Jobs> {
        self.servers
            .lock()
            .map(|s| s.iter().map(|(_, j)| j.clone()).collect())
            .unwrap_or_default()
    }

    /// Runs every server's due jobs at the same time, each on a thread of its own, as
    /// instances on several machines do; returns what each did, in the servers' order.
    pub fn run_jobs_at_once(&self) -> Vec<jobs::Ran> {
        let all = self.instance_jobs();
        let threads: Vec<_> = all
            .into_iter()
            .map(|j| std::thread::spawn(move || j.run_due().expect("background jobs")))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a jobs thread"))
            .collect()
    }

    fn start_server(&self) -> String {
        self.start_server_with(self.config.clone())
    }

    fn start_server_with(&self, config: Config) -> String {
        let mailer = match (&self.config.smtp_url, &self.mailbox) {
            (Some(url), _) => Mailer::from_smtp_url(Some(url)).expect("an SMTP URL"),
            (None, Some(mailbox)) => Some(Mailer::Memory(mailbox.clone())),
            (None, None) => None,
        };
        let runtime = caseload::Runtime {
            clock: self.clock.clone(),
            mailer,
            jobs: jobs::Mode::OnDemand,
        };
        let (base, handle, jobs) = start_server(config, runtime);
        if let Ok(mut servers) = self.servers.lock() {
            servers.push((handle, jobs));
        }
        base
    }

    /// Runs every background job that is due by the app's clock, to the end: queued
    /// analyses, import expiry, email deliveries (reminders included). Nothing runs by
    /// itself in tests.
    pub fn run_jobs(&self) -> jobs::Ran {
        let all: Vec<Jobs> = self
            .servers
            .lock()
            .map(|s| s.iter().map(|(_, j)| j.clone()).collect())
            .unwrap_or_default();
        let mut ran = jobs::Ran::default();
        for j in all {
            ran += j.run_due().expect("background jobs");
        }
        ran
    }

    /// The in-memory email server (the app must have been spawned with one).
    pub fn mailbox(&self) -> &MemoryMailer {
        self.mailbox
            .as_ref()
            .expect("an app spawned with TestApp::spawn_with_mailer")
    }

    /// Runs the due jobs, then takes the emails delivered since the last look.
    pub fn emails(&self) -> Vec<OutgoingEmail> {
        self.run_jobs();
        self.mailbox().take()
    }

    /// Sets the app's clock to a UTC time written `YYYY-MM-DD HH:MM`.
    pub fn set_time(&self, utc: &str) {
        let t = chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M").expect("a time");
        self.clock.set(t);
    }

    /// Moves the app's clock forward, as if that much time had passed.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn conn(&self) -> DbConnection {
        db::establish(&self.config.database_url).expect("test database connection")
    }

    pub fn session(&self) -> Session {
        Session::new(&self.base)
    }

    /// A browser whose requests come from another address (127.x.y.z).
    pub fn session_from(&self, ip: &str) -> Session {
        Session::from_address(&self.base, ip)
    }

    /// Creates a provider in the database and returns a session signed in as them.
    pub fn provider(&self, email: &str, first: &str, last: &str) -> Session {
        let mut conn = self.conn();
        provider::create(
            &mut conn,
            provider::NewProvider {
                first_name: PersonName::parse(first, "first name").unwrap(),
                last_name: PersonName::parse(last, "last name").unwrap(),
                email: Email::parse(email).unwrap(),
                password_hash: passwords::hash(PASSWORD).unwrap(),
                time_zone: caseload::domain::time_zone::Zone::parse("America/New_York").unwrap(),
            },
        )
        .expect("create provider");
        let s = self.session();
        s.sign_in(email, PASSWORD);
        s
    }

    /// The usual first provider, signed in.
    pub fn signed_in(&self) -> Session {
        self.provider("dr.rivera@example.com", "Elena", "Rivera")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let servers = self
            .servers
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default();
        // On a thread of its own: a test may end inside another async runtime.
        let _ = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                for (s, _) in servers {
                    s.stop(false).await;
                }
            })
        })
        .join();
        if let Some((admin, name)) = &self.postgres {
            drop_database(admin, name);
        }
    }
}

fn start_server(config: Config, runtime: caseload::Runtime) -> (String, ServerHandle, Jobs) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match caseload::build_app_with(config, runtime) {
                Ok(app) => {
                    let _ = tx.send(Ok((app.port(), app.handle(), app.jobs())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        })
    });
    let (port, handle, jobs) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server start")
        .expect("build_app");
    (format!("http://127.0.0.1:{port}"), handle, jobs)
}

/// One browser: a cookie jar, no automatic redirects (tests look at them).
pub struct Session {
    pub base: String,
    pub http: Client,
    jar: Arc<Jar>,
    local_address: Option<IpAddr>,
}

impl Session {
    pub fn new(base: &str) -> Self {
        Self::build(base, None, Arc::new(Jar::default()))
    }

    /// A browser on another machine: its requests come from `ip` (any 127.x.y.z works
    /// on the loopback interface).
    pub fn from_address(base: &str, ip: &str) -> Self {
        Self::build(
            base,
            Some(ip.parse().expect("an IP address")),
            Arc::new(Jar::default()),
        )
    }

    fn build(base: &str, local_address: Option<IpAddr>, jar: Arc<Jar>) -> Self {
        let http = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(Duration::from_secs(60))
            .local_address(local_address)
            .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
            .build()
            .unwrap();
        Session {
            base: base.to_string(),
            http,
            jar,
            local_address,
        }
    }

    /// Another browser holding a copy of this one's cookies, as a stolen cookie would be.
    pub fn copy_cookies(&self) -> Session {
        let url: reqwest::Url = self.base.parse().expect("base URL");
        let jar = Arc::new(Jar::default());
        if let Some(header) = self.jar.cookies(&url) {
            for cookie in header.to_str().unwrap_or("").split("; ") {
                jar.add_cookie_str(&format!("{cookie}; Path=/"), &url);
            }
        }
        Self::build(&self.base, self.local_address, jar)
    }

    pub fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .expect("GET")
    }

    pub fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path);
        (r.status().as_u16(), r.text().unwrap())
    }

    /// The CSRF token of the form on `path`.
    pub fn csrf(&self, path: &str) -> String {
        let (status, html) = self.get_text(path);
        assert_eq!(status, 200, "GET {path} for its form");
        csrf_in(&html)
    }

    /// Posts a form as it stands on `form_page`, with that page's CSRF token.
    pub fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf(form_page);
        self.post_raw(action, &token, fields)
    }

    /// Submits the form posting to `action` on `form_page` as a browser would: every field
    /// it holds (hidden ones too, with their values, checked boxes and selected options),
    /// with `changes` typed over them.
    pub fn fill(&self, form_page: &str, action: &str, changes: &[(&str, &str)]) -> Response {
        let (status, html) = self.get_text(form_page);
        assert_eq!(status, 200, "GET {form_page} for its form");
        self.fill_from(&html, action, changes)
    }

    /// [`Session::fill`] on a page already fetched (a form shown again after a refusal).
    pub fn fill_from(&self, html: &str, action: &str, changes: &[(&str, &str)]) -> Response {
        let mut fields = form_fields(html, action);
        for (name, value) in changes {
            fields.retain(|(n, _)| n != name);
            fields.push((name.to_string(), value.to_string()));
        }
        self.http
            .post(format!("{}{action}", self.base))
            .form(&fields)
            .send()
            .expect("POST")
    }

    pub fn post_raw(&self, action: &str, token: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token)];
        all.extend_from_slice(fields);
        self.http
            .post(format!("{}{action}", self.base))
            .form(&all)
            .send()
            .expect("POST")
    }

    pub fn sign_in(&self, email: &str, password: &str) {
        let r = self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        );
        assert_eq!(
            r.status().as_u16(),
            303,
            "sign-in as {email} should redirect"
        );
    }

    /// Signs in to the client portal (the sign-in must work).
    pub fn sign_in_portal(&self, email: &str, password: &str) {
        let r = self.submit(
            "/portal/login",
            "/portal/login",
            &[("email", email), ("password", password)],
        );
        assert_eq!(r.status().as_u16(), 303, "portal sign-in as {email}");
    }

    /// Adds a client through the form and returns their id.
    pub fn add_client(
        &self,
        first: &str,
        last: &str,
        email: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut fields = vec![
            ("first_name", first),
            ("last_name", last),
            ("email", email),
            ("billing_type", "insurance"),
        ];
        fields.extend_from_slice(extra);
        let r = self.submit("/clients/new", "/clients/new", &fields);
        assert_eq!(
            r.status().as_u16(),
            303,
            "adding {first} {last}: {}",
            r.text().unwrap_or_default()
        );
        location(&r).trim_start_matches("/clients/").to_string()
    }
}

/// Whether the upload of the batch `id` is kept (in the database, where every instance
/// reads it).
pub fn upload_kept(app: &TestApp, id: &str) -> bool {
    use caseload::db::schema::import_uploads;
    use diesel::prelude::*;
    let mut conn = app.conn();
    import_uploads::table
        .filter(import_uploads::batch_id.eq(id))
        .count()
        .get_result::<i64>(&mut conn)
        .expect("count upload parts")
        > 0
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The fields a browser would send from the form posting to `action`.
pub fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(html);
    let form_sel = Selector::parse(&format!("form[action=\"{action}\"]")).expect("selector");
    let form = doc
        .select(&form_sel)
        .next()
        .unwrap_or_else(|| panic!("a form posting to {action}"));
    let mut out = Vec::new();
    let fields = Selector::parse("input[name], textarea[name], select[name]").expect("selector");
    for e in form.select(&fields) {
        let v = e.value();
        let name = v.attr("name").unwrap_or_default().to_string();
        match v.name() {
            "textarea" => out.push((name, e.text().collect())),
            "select" => {
                let opt = Selector::parse("option[selected]").expect("selector");
                let value = e
                    .select(&opt)
                    .next()
                    .and_then(|o| o.value().attr("value"))
                    .unwrap_or_default();
                out.push((name, value.to_string()));
            }
            _ => {
                let kind = v.attr("type").unwrap_or("text");
                if matches!(kind, "radio" | "checkbox") && v.attr("checked").is_none() {
                    continue;
                }
                if matches!(kind, "submit" | "button" | "file") {
                    continue;
                }
                out.push((name, v.attr("value").unwrap_or("on").to_string()));
            }
        }
    }
    out
}

pub fn csrf_in(html: &str) -> String {
    select_attr(html, "input[name=csrf_token]", "value")
        .into_iter()
        .next()
        .expect("a csrf token on the page")
}

pub fn select_text(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn select_attr(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}

/// The client names in the Clients table, in order.
pub fn listed_names(html: &str) -> Vec<String> {
    select_text(html, "table.clients tbody td:first-child a")
}

/// What the app has logged (warnings and worse), from every test in this binary since the
/// first call: [`capture_logs`] starts it.
static LOGGED: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogCapture;

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGGED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts keeping what the app logs at warning level or above (once per test binary).
pub fn capture_logs() {
    static START: std::sync::Once = std::sync::Once::new();
    START.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(|| LogCapture)
            .try_init();
    });
}

/// The lines logged since [`capture_logs`] that contain every one of `words`.
pub fn logged_lines_with(words: &[&str]) -> Vec<String> {
    let all = LOGGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    String::from_utf8_lossy(&all)
        .lines()
        .filter(|l| words.iter().all(|w| l.contains(w)))
        .map(str::to_string)
        .collect()
}
