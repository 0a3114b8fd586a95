//! Sign-in, CSRF tokens and one-time notices. The signed, encrypted session cookie holds
//! the form token, a notice, and a sign-in token whose session row lives in the database
//! (`models::sign_in_session`): every page checks the row, so signing out, "sign out
//! everywhere", a password change and the idle timeout end a session for real.

use std::future::{ready, Ready};
use std::path::Path;

use actix_session::{Session, SessionExt};
use actix_web::cookie::Key;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::AppState;
use crate::db::ids::{ClientId, ImportBatchId, ProviderId};
use crate::error::AppError;
use crate::models::portal_account::{self, ActingFor, OwnedAccount};
use crate::models::provider::{self, Provider};
use crate::models::scope::{OwnedBatch, OwnedClient, Scope};
use crate::models::sign_in_session::{self, Kind, Origin, Who};

const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// The key that signs and encrypts session cookies, from the database, so that every
/// instance on it reads the same cookies and restarts keep everyone signed in. Made once,
/// at the first start; an older install's key in the data dir (`legacy`) is moved into
/// the database instead, so nobody is signed out by the upgrade. When instances race at
/// their first start, the first key stored stands and every instance uses it.
pub fn load_or_create_key(
    conn: &mut crate::db::DbConnection,
    legacy: &Path,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<Key> {
    use crate::models::server_setting::{self, SESSION_KEY};
    let stored = match server_setting::get(conn, SESSION_KEY)? {
        Some(hex) => hex,
        None => {
            let candidate = match read_legacy_key(legacy)? {
                Some(bytes) => hex::encode(bytes),
                None => {
                    let mut bytes = [0u8; 64];
                    rand::rngs::OsRng.fill_bytes(&mut bytes);
                    hex::encode(bytes)
                }
            };
            server_setting::get_or_insert(conn, SESSION_KEY, &candidate, now)?
        }
    };
    let key = hex::decode(stored.trim())
        .ok()
        .and_then(|bytes| Key::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the session key stored in the database is damaged; delete the row named session_key from the server_settings table and restart (everyone will need to sign in again)"
            )
        })?;
    // Moved (or superseded by the one another instance stored): the file goes, so that no
    // second copy of the key lies about.
    if legacy.exists() {
        match std::fs::remove_file(legacy) {
            Ok(()) => tracing::info!(
                "the session key now lives in the database; {} was removed",
                legacy.display()
            ),
            Err(e) => tracing::warn!(
                "the session key now lives in the database, but {} could not be removed ({e})",
                legacy.display()
            ),
        }
    }
    Ok(key)
}

/// The key an older version kept in the data dir, if there is one.
fn read_legacy_key(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let bytes = hex::decode(text.trim()).map_err(|_| {
        anyhow::anyhow!(
            "{} is damaged; delete it and restart (everyone will need to sign in again)",
            path.display()
        )
    })?;
    Key::try_from(bytes.as_slice()).map_err(|_| {
        anyhow::anyhow!(
            "{} is too short; delete it and restart (everyone will need to sign in again)",
            path.display()
        )
    })?;
    Ok(Some(bytes))
}

/// Where the sign-in tokens sit in the cookie: the provider's and the portal client's
/// apart, so that one never becomes the other (and a provider may try the portal in the
/// same browser without signing out).
const PROVIDER_TOKEN: &str = "provider_session";
const CLIENT_TOKEN: &str = "client_session";

/// Whether the browser holds a provider sign-in token (not whether it is still good).
pub fn has_provider_token(req: &HttpRequest) -> bool {
    token(&req.get_session(), Kind::Provider).is_some()
}

pub fn has_client_token(req: &HttpRequest) -> bool {
    token(&req.get_session(), Kind::Client).is_some()
}

fn token(session: &Session, kind: Kind) -> Option<String> {
    session.get::<String>(cookie_key(kind)).ok().flatten()
}

fn kind_of(who: &Who) -> Kind {
    match who {
        Who::Provider(_) => Kind::Provider,
        Who::Portal(..) => Kind::Client,
    }
}

fn cookie_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Provider => PROVIDER_TOKEN,
        Kind::Client => CLIENT_TOKEN,
    }
}

/// The row id of this browser's provider session, to mark it in Settings.
pub fn current_provider_session_id(session: &Session) -> Option<String> {
    token(session, Kind::Provider).map(|t| sign_in_session::token_id(&t))
}

/// Where a request comes from, as recorded with a new session.
pub fn origin(req: &HttpRequest) -> Origin {
    Origin {
        ip: super::client_ip(req),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// Puts a new session's token in the cookie: a renewed session with a fresh form token,
/// so that nothing planted before sign-in carries over.
pub fn set_token(session: &Session, who: &Who, token: &str) -> Result<(), AppError> {
    session.renew();
    session
        .insert(cookie_key(kind_of(who)), token)
        .map_err(AppError::internal)?;
    session
        .insert(CSRF, new_token())
        .map_err(AppError::internal)
}

/// Signs in: a new session row, and its token in the cookie.
pub async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    session: &Session,
    who: Who,
) -> Result<(), AppError> {
    let origin = origin(req);
    let (now, lifetimes) = (state.clock.now(), state.lifetimes());
    let for_row = who.clone();
    // Signing in again in the same browser replaces its earlier session of that kind.
    let earlier = token(session, kind_of(&who));
    let token = state
        .db(move |conn| {
            if let Some(earlier) = earlier {
                sign_in_session::end_token(conn, &earlier)?;
            }
            Ok(sign_in_session::start(
                conn, &for_row, &origin, now, lifetimes,
            )?)
        })
        .await?;
    set_token(session, &who, &token)
}

/// Signs the provider out: their session row ends (so a copy of the cookie is signed out
/// too) and the cookie is cleared.
pub async fn sign_out(
    state: &AppState,
    req: &HttpRequest,
    session: &Session,
) -> Result<(), AppError> {
    if let Some(token) = token(session, Kind::Provider) {
        let (ip, now) = (super::client_ip(req), state.clock.now());
        state
            .db(move |conn| {
                let act = crate::services::Act {
                    ip: ip.as_deref(),
                    now,
                };
                Ok(crate::services::account::sign_out(conn, &token, act)?)
            })
            .await?;
    }
    session.purge();
    Ok(())
}

/// Sets a notice shown once on the next page.
pub fn flash(session: &Session, message: impl Into<String>) {
    let _ = session.insert(FLASH, message.into());
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF) {
        return t;
    }
    let t = new_token();
    let _ = session.insert(CSRF, &t);
    t
}

/// Checks a submitted token against the session's, in constant time.
pub fn verify_csrf(session: &Session, submitted: &str) -> Result<(), AppError> {
    let expected = session
        .get::<String>(CSRF)
        .ok()
        .flatten()
        .ok_or(AppError::CsrfMismatch)?;
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    if a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0 {
        Ok(())
    } else {
        Err(AppError::CsrfMismatch)
    }
}

/// What every page's layout needs: the form token, who is signed in, a one-time notice.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    pub csrf: String,
    pub provider_name: Option<String>,
    pub flash: Option<String>,
}

impl FromRequest for PageContext {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let flash = session.remove_as::<String>(FLASH).and_then(Result::ok);
        ready(Ok(PageContext {
            csrf: csrf_token(&session),
            provider_name: None,
            flash,
        }))
    }
}

/// The signed-in provider, loaded fresh for each request (once: extractors that need it
/// share it); anyone else is sent to sign in.
#[derive(Clone)]
pub struct CurrentProvider(pub Provider);

impl CurrentProvider {
    pub fn id(&self) -> ProviderId {
        self.0.id()
    }

    /// Their own data: the one way a handler reaches it.
    pub fn scope(&self) -> Scope {
        Scope::of(&self.0)
    }

    /// Today's date where the practice is.
    pub fn today(&self, clock: &crate::clock::Clock) -> chrono::NaiveDate {
        self.0.zone().date_of(&clock.now())
    }
}

impl FromRequest for CurrentProvider {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(known) = req.extensions().get::<CurrentProvider>() {
                return Ok(known.clone());
            }
            let next = match req.query_string() {
                "" => req.path().to_string(),
                q => format!("{}?{q}", req.path()),
            };
            let not_signed_in = || AppError::NotSignedIn {
                next: if req.method() == "GET" {
                    next.clone()
                } else {
                    String::new()
                },
            };
            let session = req.get_session();
            let token = token(&session, Kind::Provider).ok_or_else(not_signed_in)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("app state missing"))?;
            let (now, lifetimes) = (state.clock.now(), state.lifetimes());
            let found = state
                .db(move |conn| {
                    let Some(row) =
                        sign_in_session::find_live(conn, &token, Kind::Provider, now, lifetimes)?
                    else {
                        return Ok(None);
                    };
                    Ok(provider::find(conn, &ProviderId(row.provider_id))?)
                })
                .await?;
            match found {
                Some(p) => {
                    let current = CurrentProvider(p);
                    req.extensions_mut().insert(current.clone());
                    Ok(current)
                }
                None => {
                    session.remove(PROVIDER_TOKEN);
                    Err(not_signed_in())
                }
            }
        })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

/// A form with nothing but its CSRF token (sign out, archive, send again …).
#[derive(Deserialize)]
pub struct EmptyForm {}

/// A url-encoded form whose CSRF token has been checked before the handler sees it.
pub struct ProtectedForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ProtectedForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|_| {
                AppError::BadRequest(
                    "The form was too large or was cut off. Go back and send it again.".into(),
                )
            })?;
            let token: CsrfField =
                serde_html_form::from_bytes(&body).map_err(|_| AppError::CsrfMismatch)?;
            verify_csrf(&req.get_session(), &token.csrf_token)?;
            let form = serde_html_form::from_bytes(&body).map_err(|_| {
                AppError::BadRequest(
                    "The form could not be read. Go back, reload the page and send it again."
                        .into(),
                )
            })?;
            Ok(ProtectedForm(form))
        })
    }
}

impl PageContext {
    /// The context of a page shown to a signed-in provider.
    pub fn signed_in(mut self, provider: &CurrentProvider) -> Self {
        self.provider_name = Some(provider.0.full_name());
        self
    }
}

// ---------- the client portal's own sign-in ----------

/// Signs the client out of the portal: their session row ends; a provider sign-in in the
/// same browser stays.
pub async fn client_sign_out(state: &AppState, session: &Session) -> Result<(), AppError> {
    if let Some(token) = token(session, Kind::Client) {
        state
            .db(move |conn| Ok(sign_in_session::end_token(conn, &token).map(|_| ())?))
            .await?;
    }
    session.remove(CLIENT_TOKEN);
    Ok(())
}

/// The client the portal's signed-in account acts for now (their own record, or a child's
/// for a parent); anyone else is sent to the portal's sign-in page. Checked on every
/// request: an account that no longer acts for the client is signed out.
pub struct CurrentClient(pub OwnedClient);

/// Who is acting in the portal: the account, how it acts for the current client, and how
/// many clients it acts for in all (a parent of two switches between them).
#[derive(Clone)]
pub struct PortalActor {
    pub account: OwnedAccount,
    pub acting: ActingFor,
    pub clients: usize,
}

impl FromRequest for PortalActor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(known) = req.extensions().get::<PortalActor>() {
                return Ok(known.clone());
            }
            let session = req.get_session();
            let not_signed_in = || AppError::PortalSignIn;
            let token = token(&session, Kind::Client).ok_or_else(not_signed_in)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("app state missing"))?;
            let (now, lifetimes) = (state.clock.now(), state.lifetimes());
            let found = state
                .db(move |conn| {
                    let Some(row) =
                        sign_in_session::find_live(conn, &token, Kind::Client, now, lifetimes)?
                    else {
                        return Ok(None);
                    };
                    let (Some(account_id), Some(client_id)) = (row.account_id, row.client_id)
                    else {
                        return Ok(None);
                    };
                    let Some(account) = portal_account::find(conn, &account_id)? else {
                        return Ok(None);
                    };
                    let all = portal_account::acting_for(conn, &account)?;
                    let clients = all.len();
                    Ok(all
                        .into_iter()
                        .find(|a| a.client.id == client_id)
                        .map(|acting| PortalActor {
                            account,
                            acting,
                            clients,
                        }))
                })
                .await?;
            match found {
                Some(actor) => {
                    req.extensions_mut().insert(actor.clone());
                    Ok(actor)
                }
                None => {
                    session.remove(CLIENT_TOKEN);
                    Err(not_signed_in())
                }
            }
        })
    }
}

impl FromRequest for CurrentClient {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let actor = PortalActor::from_request(req, payload);
        Box::pin(async move { Ok(CurrentClient(actor.await?.acting.client)) })
    }
}

/// This browser's portal sign-in token, to switch the client it acts for.
pub fn portal_token(session: &Session) -> Option<String> {
    token(session, Kind::Client)
}

// ---------- a provider's own rows, from the path ----------

/// `{id}` in the path as the signed-in provider's client; another provider's id (or
/// anything that is not an id) answers 404.
impl FromRequest for OwnedClient {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let provider = CurrentProvider::extract(&req).await?;
            let id = req
                .match_info()
                .get("id")
                .and_then(ClientId::parse)
                .ok_or(AppError::NotFound)?;
            let scope = provider.scope();
            state_of(&req)?
                .db(move |conn| scope.client(conn, &id)?.ok_or(AppError::NotFound))
                .await
        })
    }
}

/// `{id}` in the path as the signed-in provider's import batch (not cancelled), or 404.
impl FromRequest for OwnedBatch {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let provider = CurrentProvider::extract(&req).await?;
            let id = req
                .match_info()
                .get("id")
                .and_then(ImportBatchId::parse)
                .ok_or(AppError::NotFound)?;
            let scope = provider.scope();
            state_of(&req)?
                .db(move |conn| {
                    // A cancelled import is gone, as far as anyone can see.
                    let batch = scope.batch(conn, id.as_str())?;
                    batch
                        .filter(|b| b.status != crate::models::import_batch::BatchStatus::Cancelled)
                        .ok_or(AppError::NotFound)
                })
                .await
        })
    }
}

fn state_of(req: &HttpRequest) -> Result<&web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("app state missing"))
}
