//! The signed-in provider, CSRF tokens and one-time notices, all kept in the signed,
//! encrypted session cookie.

use std::future::{ready, Ready};
use std::path::Path;

use actix_session::{Session, SessionExt};
use actix_web::cookie::Key;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::AppState;
use crate::db::ids::ProviderId;
use crate::error::AppError;
use crate::models::provider::{self, Provider};

const PROVIDER_ID: &str = "provider_id";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// Reads the session key from the data dir, creating it on first start, so that restarts
/// keep everyone signed in.
pub fn load_or_create_key(path: &Path) -> anyhow::Result<Key> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let bytes = hex::decode(text.trim()).map_err(|_| {
            anyhow::anyhow!(
                "{} is damaged; delete it and restart (everyone will need to sign in again)",
                path.display()
            )
        })?;
        return Key::try_from(bytes.as_slice()).map_err(|_| {
            anyhow::anyhow!(
                "{} is too short; delete it and restart (everyone will need to sign in again)",
                path.display()
            )
        });
    }
    let mut bytes = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    write_private(path, hex::encode(bytes).as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write the session key {} ({e})", path.display()))?;
    Ok(Key::from(&bytes))
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

pub fn signed_in_provider_id(req: &HttpRequest) -> Option<ProviderId> {
    PROVIDER.id(&req.get_session()).map(ProviderId)
}

/// How long a sign-in lasts; a cookie copied elsewhere stops working after it too.
pub const SESSION_HOURS: i64 = 12;

/// A short fingerprint of the password hash: changing the password ends every other session.
fn password_stamp(password_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(password_hash.as_bytes())[..8])
}

/// Where one kind of sign-in (provider, or client portal) keeps its facts in the session.
/// The two use separate keys: one never becomes the other.
struct SignInKeys {
    id: &'static str,
    signed_in_at: &'static str,
    password_stamp: &'static str,
}

const PROVIDER: SignInKeys = SignInKeys {
    id: PROVIDER_ID,
    signed_in_at: "signed_in_at",
    password_stamp: "password_stamp",
};
const CLIENT: SignInKeys = SignInKeys {
    id: "client_id",
    signed_in_at: "client_signed_in_at",
    password_stamp: "client_password_stamp",
};

impl SignInKeys {
    fn id(&self, session: &Session) -> Option<String> {
        session.get::<String>(self.id).ok().flatten()
    }

    fn begin(&self, session: &Session, id: &str, password_hash: &str) -> Result<(), AppError> {
        // A new session on sign-in, with a fresh form token: nothing planted before
        // sign-in carries over.
        session.renew();
        session.insert(self.id, id).map_err(AppError::internal)?;
        session
            .insert(self.signed_in_at, chrono::Utc::now().timestamp())
            .map_err(AppError::internal)?;
        session
            .insert(self.password_stamp, password_stamp(password_hash))
            .map_err(AppError::internal)?;
        session
            .insert(CSRF, new_token())
            .map_err(AppError::internal)
    }

    /// Signed in recently enough, and with the password the account has now.
    fn still_valid(&self, session: &Session, password_hash: Option<&str>) -> bool {
        let at = session
            .get::<i64>(self.signed_in_at)
            .ok()
            .flatten()
            .unwrap_or(0);
        let stamp = session.get::<String>(self.password_stamp).ok().flatten();
        chrono::Utc::now().timestamp() - at < SESSION_HOURS * 3600
            && stamp.is_some()
            && password_hash.map(password_stamp) == stamp
    }

    fn end(&self, session: &Session) {
        session.remove(self.id);
        session.remove(self.signed_in_at);
        session.remove(self.password_stamp);
    }
}

pub fn sign_in(
    session: &Session,
    provider: &ProviderId,
    password_hash: &str,
) -> Result<(), AppError> {
    PROVIDER.begin(session, provider.as_str(), password_hash)
}

pub fn sign_out(session: &Session) {
    session.purge();
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

fn csrf_token(session: &Session) -> String {
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

/// The signed-in provider, loaded fresh for each request; anyone else is sent to sign in.
pub struct CurrentProvider(pub Provider);

impl CurrentProvider {
    pub fn id(&self) -> ProviderId {
        self.0.id()
    }
}

impl FromRequest for CurrentProvider {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
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
            let id = signed_in_provider_id(&req).ok_or_else(not_signed_in)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("app state missing"))?;
            match state.db(move |conn| Ok(provider::find(conn, &id)?)).await? {
                Some(p) if PROVIDER.still_valid(&req.get_session(), Some(&p.password_hash)) => {
                    Ok(CurrentProvider(p))
                }
                _ => {
                    sign_out(&req.get_session());
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

/// Signs a client in to the portal.
pub fn client_sign_in(
    session: &Session,
    client: &crate::db::ids::ClientId,
    password_hash: &str,
) -> Result<(), AppError> {
    CLIENT.begin(session, client.as_str(), password_hash)
}

pub fn client_sign_out(session: &Session) {
    CLIENT.end(session);
}

/// The client signed in to the portal, with their own record; anyone else is sent to the
/// portal's sign-in page.
pub struct CurrentClient(pub crate::models::client::Client);

impl FromRequest for CurrentClient {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            let not_signed_in = || AppError::PortalSignIn;
            let id = CLIENT
                .id(&session)
                .map(crate::db::ids::ClientId)
                .ok_or_else(not_signed_in)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("app state missing"))?;
            let found = state
                .db(move |conn| Ok(crate::models::client::find_own(conn, &id)?))
                .await?;
            let valid = |c: &crate::models::client::Client| {
                c.archived_at.is_none() && CLIENT.still_valid(&session, c.password_hash.as_deref())
            };
            match found {
                Some(c) if valid(&c) => Ok(CurrentClient(c)),
                _ => {
                    client_sign_out(&session);
                    Err(not_signed_in())
                }
            }
        })
    }
}
