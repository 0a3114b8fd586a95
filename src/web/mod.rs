//! The HTTP layer: thin handlers, one file per area, each with `configure`.

mod assets;
mod auth;
mod backup_settings;
mod booking;
mod calendar;
pub(crate) mod clients;
mod contacts;
mod documents;
mod imports;
mod measures;
mod onboarding;
mod password_reset;
mod portal;
mod portal_sessions;
mod pricing;
mod questionnaire_settings;
mod questionnaires;
mod session;
mod settings;
mod simplepractice_import;

use std::net::TcpListener;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionExt as _;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Logger};
use actix_web::{web, App, FromRequest as _, HttpRequest, HttpResponse, HttpServer};
use askama::Template;

use crate::config::Config;
use crate::db::{DbConnection, Pool};
use crate::error::AppError;

pub use session::{CurrentProvider, PageContext};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Config,
    pub pool: Pool,
    /// Background work: import analysis, email delivery, expiry (`crate::jobs`).
    pub jobs: crate::jobs::Jobs,
    pub uploads: crate::import_jobs::UploadStore,
    /// What "now" is: the system clock, or a test's manual clock.
    pub clock: crate::clock::Clock,
    /// Whether the requests were seen not to match `CASELOAD_TRUST_PROXY` (said once).
    pub proxy_warnings: std::sync::Arc<ProxyWarnings>,
}

impl AppState {
    /// When sign-ins end: the idle timeout (a setting) and the 12 hours.
    pub fn lifetimes(&self) -> crate::models::sign_in_session::Lifetimes {
        crate::models::sign_in_session::Lifetimes::with_idle_minutes(
            self.config.session_idle_minutes,
        )
    }

    /// Runs blocking database work on the blocking thread pool, never on the executor.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Writes SQLite's log back into the database file on a thread of its own, after a
    /// bulk write, so that neither the provider who imported nor the next request waits
    /// for it (`db::bulk_write_transaction`).
    pub fn checkpoint_in_background(&self) {
        let pool = self.pool.clone();
        drop(actix_web::rt::task::spawn_blocking(move || {
            let done = pool
                .get()
                .map_err(|e| e.to_string())
                .and_then(|mut conn| crate::db::checkpoint(&mut conn).map_err(|e| e.to_string()));
            if let Err(error) = done {
                tracing::warn!(%error, "writing the database's log back after an import failed");
            }
        }));
    }
}

pub fn server(
    config: Config,
    pool: Pool,
    listener: TcpListener,
    clock: crate::clock::Clock,
    jobs: crate::jobs::Jobs,
) -> anyhow::Result<Server> {
    let key = {
        let mut conn = pool.get()?;
        session::load_or_create_key(&mut conn, &config.session_key_path(), clock.now())?
    };
    let state = web::Data::new(AppState {
        config: config.clone(),
        pool,
        uploads: jobs.uploads().clone(),
        jobs,
        clock,
        proxy_warnings: std::sync::Arc::default(),
    });
    let import_limits = imports::upload_limits(config.max_import_bytes);
    let export_limits = simplepractice_import::upload_limits(config.max_export_bytes);
    let (multipart_limits, temp_files) =
        documents::upload_config(config.max_document_bytes, config.upload_temp_dir());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(multipart_limits.clone())
            .app_data(temp_files.clone())
            .app_data(web::FormConfig::default().limit(64 * 1024))
            // Inside the session's middleware, which it reads.
            .wrap(ErrorHandlers::new().handler(StatusCode::NOT_FOUND, keep_navigation))
            .wrap(session_middleware(&key, config.secure_cookies))
            .wrap(security_headers())
            // Paths only: query strings can hold a client's name typed into search.
            .wrap(
                Logger::new("%{method}xi %{path}xi %s %Dms")
                    .custom_request_replace("method", |req| req.method().to_string())
                    .custom_request_replace("path", |req| loggable_path(req.path())),
            )
            .configure(assets::configure)
            .configure(auth::configure)
            .configure(password_reset::configure)
            // Before the clients' routes, whose /clients/{id} would take /clients/import.
            .service(
                web::scope("/clients/import")
                    .app_data(import_limits.clone())
                    // Before /{id}, which would take "simplepractice" for an id.
                    .configure(|cfg| simplepractice_import::configure(cfg, export_limits.clone()))
                    .configure(imports::configure_batches),
            )
            .configure(imports::configure_history)
            .configure(calendar::configure)
            .configure(pricing::configure)
            .configure(measures::configure)
            .configure(questionnaire_settings::configure)
            .configure(questionnaires::configure)
            .configure(contacts::configure)
            .configure(clients::configure)
            .configure(documents::configure)
            .configure(settings::configure)
            .configure(backup_settings::configure)
            .configure(onboarding::configure)
            .configure(portal::configure)
            .configure(portal_sessions::configure)
            .configure(booking::configure)
            .route("/", web::get().to(home))
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

fn session_middleware(key: &Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
        .cookie_name("caseload_session".into())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        // Signed and encrypted: it holds the provider's id, the form token and one-time
        // notices (which may name a client), readable only by this server.
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        // Pages hold health information: never keep them in shared or disk caches.
        .add((header::CACHE_CONTROL, "no-store"))
}

/// The request path as logged: secrets in paths (setup tokens, booking tokens) replaced.
fn loggable_path(path: &str) -> String {
    for prefix in [
        "/portal/invite/",
        "/portal/questionnaires/",
        "/portal/password/reset/",
        "/password/reset/",
        "/book/",
        "/calendar/feed/",
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            return format!("{prefix}[token]{tail}");
        }
    }
    path.to_string()
}

/// The start page of whoever is signed in: a provider's clients, a client's portal, or the
/// provider's sign-in (error pages link here, whoever reads them).
async fn home(req: HttpRequest) -> HttpResponse {
    see_other(if session::has_provider_token(&req) {
        "/clients"
    } else if session::has_client_token(&req) {
        "/portal"
    } else {
        "/login"
    })
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A page not found, shown to a signed-in provider, keeps the layout's navigation (their
/// name and the tabs) so that they can go on from there. Anyone else, or a sign-in that
/// no longer holds, gets the page as it was.
fn keep_navigation<B: 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if !session::has_provider_token(res.request()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let req = res.request().clone();
        let provider = CurrentProvider::extract(&req).await;
        let error = res
            .response()
            .error()
            .and_then(|e| e.as_error::<AppError>())
            .map(|e| matches!(e, AppError::NotFound))
            .unwrap_or(false);
        let (Ok(provider), true) = (provider, error) else {
            return Ok(res.map_into_left_body());
        };
        let page = PageContext {
            csrf: session::csrf_token(&req.get_session()),
            provider_name: None,
            flash: None,
        }
        .signed_in(&provider);
        let response = AppError::NotFound.page(page);
        Ok(res.into_response(response).map_into_right_body())
    })))
}

/// Multipart limits for an upload of at most `max_bytes`: the body a little over it, text
/// fields small, files streamed to the data dir's temp folder (set app-wide); an upload
/// over the limit answers `too_large`, an unreadable one says so and names `what`.
pub fn multipart_limits(
    max_bytes: u64,
    too_large: fn(u64) -> AppError,
    what: &'static str,
) -> actix_multipart::form::MultipartFormConfig {
    let total = usize::try_from(max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(total)
        .memory_limit(64 * 1024)
        .error_handler(move |err, _req| match err {
            actix_multipart::MultipartError::Payload(_)
            | actix_multipart::MultipartError::Field { .. } => too_large(max_bytes).into(),
            _ => AppError::BadRequest(format!(
                "The upload could not be read, and nothing was saved. Go back and choose the {what} again."
            ))
            .into(),
        })
}

/// Renders a template as an HTML response.
/// Typed text without control characters (a note keeps its line breaks), at most `max`
/// characters; `None` when nothing is left.
pub fn clean_text(s: &str, max: usize) -> Option<String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(max)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// 200 for a form shown fresh, 422 for one shown again with what to correct.
pub fn form_status(ok: bool) -> actix_web::http::StatusCode {
    if ok {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub fn render<T: Template>(template: &T) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn render_status<T: Template>(
    status: actix_web::http::StatusCode,
    template: &T,
) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// How long an answer that could tell whether an email is known (a booking-link sign-up,
/// a "Forgot your password?" ask) takes at least: the work differs with the address,
/// the time it takes to answer does not.
pub const SAME_ANSWER_TIME: std::time::Duration = std::time::Duration::from_millis(150);

/// Waits until [`SAME_ANSWER_TIME`] has passed since `started` (without holding a worker).
pub async fn answer_no_sooner(started: std::time::Instant) {
    actix_web::rt::time::sleep_until((started + SAME_ANSWER_TIME).into()).await;
}

/// The address the request came from, for the audit trail and rate limits: behind a
/// trusted proxy, the address that proxy appended to X-Forwarded-For; otherwise the
/// connection's.
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>();
    let trust_proxy = state.is_some_and(|s| s.config.trust_proxy);
    let forwarded = forwarded_for(req.headers());
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    if let Some(s) = state {
        s.proxy_warnings
            .check(trust_proxy, forwarded.is_some(), peer.as_deref());
    }
    match forwarded {
        Some(addr) if trust_proxy => Some(addr),
        _ => peer,
    }
}

/// Says once, in the log, when the requests do not match `CASELOAD_TRUST_PROXY`: behind
/// a reverse proxy without it, every visitor is the proxy's one address (one sign-in
/// budget for all); with it and no proxy, the addresses come from the proxy's address.
#[derive(Debug, Default)]
pub struct ProxyWarnings {
    forwarded_untrusted: std::sync::atomic::AtomicBool,
    trusted_unforwarded: std::sync::atomic::AtomicBool,
}

impl ProxyWarnings {
    fn check(&self, trust_proxy: bool, forwarded: bool, peer: Option<&str>) {
        use std::sync::atomic::Ordering::Relaxed;
        let peer = peer.unwrap_or("an unknown address");
        match (trust_proxy, forwarded) {
            (false, true) if !self.forwarded_untrusted.swap(true, Relaxed) => tracing::warn!(
                "requests from {peer} carry an X-Forwarded-For header, but CASELOAD_TRUST_PROXY is off: every visitor behind that proxy counts as the one address {peer} (for sign-in limits and the audit trail). If Caseload runs behind a reverse proxy, set CASELOAD_TRUST_PROXY=true; if not, the header is being sent by the visitors themselves and is ignored."
            ),
            (true, false) if !self.trusted_unforwarded.swap(true, Relaxed) => tracing::warn!(
                "CASELOAD_TRUST_PROXY is on, but a request from {peer} came without an X-Forwarded-For header: it is counted as {peer}. Make the reverse proxy set X-Forwarded-For, or turn CASELOAD_TRUST_PROXY off if Caseload is reached directly."
            ),
            _ => {}
        }
    }
}

/// The rightmost X-Forwarded-For value (of the last header line): the one the trusted
/// proxy appended. Everything to its left was sent by the client and proves nothing, and
/// so does a `Forwarded` header, which common proxies pass through untouched.
fn forwarded_for(headers: &header::HeaderMap) -> Option<String> {
    let last = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .last()?;
    if let Ok(ip) = last.parse::<std::net::IpAddr>() {
        return Some(ip.to_string());
    }
    // Some proxies add the port: 203.0.113.9:51234 or [2001:db8::1]:51234.
    last.parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> header::HeaderMap {
        let mut h = header::HeaderMap::new();
        for l in lines {
            h.append(
                header::HeaderName::from_static("x-forwarded-for"),
                header::HeaderValue::from_str(l).unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_forwarded_address_is_the_one_the_proxy_appended() {
        assert_eq!(forwarded_for(&headers(&[])), None);
        assert_eq!(
            forwarded_for(&headers(&["203.0.113.9"])).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            forwarded_for(&headers(&["198.51.100.66, 203.0.113.9"])).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            forwarded_for(&headers(&["198.51.100.66", "10.0.0.1, 203.0.113.10 "])).as_deref(),
            Some("203.0.113.10")
        );
        assert_eq!(
            forwarded_for(&headers(&["[2001:db8::1]:443"])).as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            forwarded_for(&headers(&["203.0.113.9:51234"])).as_deref(),
            Some("203.0.113.9")
        );
        // Not an address: the connection's address is used instead.
        assert_eq!(forwarded_for(&headers(&["198.51.100.66, unknown"])), None);
    }
}

/// Date and time formats the pages use (UTC, stated as such).
pub mod fmt {
    use chrono::{NaiveDate, NaiveDateTime};

    use crate::domain::time_zone::{HourClock, Zone};
    use crate::models::provider::Provider;

    /// A calendar date (a birthday, a document's date): no zone to apply.
    pub fn date(d: &NaiveDate) -> String {
        d.format("%b %-d, %Y").to_string()
    }

    /// Instants (stored in UTC) as one reader reads them: in their time zone, on their
    /// clock (12- or 24-hour).
    #[derive(Debug, Clone, Copy)]
    pub struct Local(pub Zone, pub HourClock);

    impl Local {
        /// As the provider reads them: their zone, their clock (Settings).
        pub fn of(provider: &Provider) -> Self {
            Local(provider.zone(), provider.hour_clock())
        }

        /// As a client reads them, in `zone`: 12-hour in the United States.
        pub fn for_client(zone: Zone) -> Self {
            Local(zone, HourClock::for_clients_in(zone))
        }

        /// "Dec 2, 2026 10:17 AM EST" (or "… 10:17 EST" on a 24-hour clock).
        pub fn datetime(&self, t: &NaiveDateTime) -> String {
            let local = self.0.local(t);
            format!(
                "{} {} {}",
                local.format("%b %-d, %Y"),
                self.1.time(&local),
                local.format("%Z")
            )
        }

        /// From a start to an end the same day: "Dec 8, 2026 10:00–10:45 AM EST".
        pub fn datetime_span(&self, start: &NaiveDateTime, end: &NaiveDateTime) -> String {
            let local = self.0.local(start);
            format!(
                "{} {} {}",
                local.format("%b %-d, %Y"),
                self.span(start, end),
                local.format("%Z")
            )
        }

        /// The time of day: "9:30 AM" or "09:30".
        pub fn time(&self, t: &NaiveDateTime) -> String {
            self.1.time(&self.0.local(t))
        }

        /// From one time to another the same day: "9:00–9:45 AM".
        pub fn span(&self, start: &NaiveDateTime, end: &NaiveDateTime) -> String {
            self.1.span(&self.0.local(start), &self.0.local(end))
        }

        /// In full, for a client: "Monday, December 7, 2026 at 9:00 AM Eastern Time".
        pub fn when(&self, t: &NaiveDateTime) -> String {
            self.0.in_full(t, self.1)
        }

        /// The zone as people name it ("Eastern Time").
        pub fn zone_name(&self) -> String {
            self.0.spoken_name()
        }

        /// The date, in the reader's zone, of an instant.
        pub fn date(&self, t: &NaiveDateTime) -> String {
            date(&self.0.date_of(t))
        }
    }
}

#[cfg(test)]
mod loggable_path_tests {
    use super::loggable_path;

    #[test]
    fn ics_the_calendar_feeds_token_never_reaches_the_log() {
        let token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCde";
        let logged = loggable_path(&format!("/calendar/feed/{token}.ics"));
        assert_eq!(logged, "/calendar/feed/[token]");
        assert!(!logged.contains("AbCd"));
        assert_eq!(loggable_path("/calendar"), "/calendar");
    }
}
