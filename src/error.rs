//! One error type for the whole app. Every variant renders a plain HTML page that says
//! what happened and what to do; details that could hold client data never reach logs.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    NotSignedIn { next: String },
    #[error("not signed in to the client portal")]
    PortalSignIn,
    #[error("form expired")]
    CsrfMismatch,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too large: {0}")]
    PayloadTooLarge(String),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    #[error("database unavailable: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A row that is not there (or is another provider's) is a page not found; anything else
/// the database says is the server's failure.
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Database(other),
        }
    }
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    fn title_and_message(&self) -> (&'static str, String) {
        match self {
            Self::NotFound => (
                "Page not found",
                "There is nothing here. The link may be mistyped, or the record may belong to another account. Start again from your start page and look for it there.".into(),
            ),
            Self::NotSignedIn { .. } | Self::PortalSignIn => ("Please sign in", "Sign in to continue.".into()),
            Self::CsrfMismatch => (
                "This form has expired",
                "For your security each form can only be sent from the page that showed it. Nothing was changed. Go back, reload the page, and send the form again.".into(),
            ),
            Self::BadRequest(msg) => ("That didn't work", msg.clone()),
            Self::PayloadTooLarge(msg) => ("That file is too large", msg.clone()),
            Self::Database(_) | Self::Internal(_) => (
                "Something went wrong on our side",
                "The server could not finish this request, and nothing was changed. Try again in a moment; if it keeps happening, tell whoever runs this server (the details are in its log).".into(),
            ),
            Self::Pool(_) => (
                "The database is not answering",
                "Caseload cannot reach its database right now, and nothing was changed. Try again in a moment; if it keeps happening, tell whoever runs this server.".into(),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    /// Empty: the layout shows no one's name and no notice on an error.
    page: crate::web::PageContext,
    title: &'static str,
    message: String,
    status: u16,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::NotSignedIn { .. } | Self::PortalSignIn => StatusCode::SEE_OTHER,
            Self::CsrfMismatch => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::NotSignedIn { next } = self {
            let location = if next.is_empty() || next == "/" {
                "/login".to_string()
            } else {
                format!("/login?next={}", urlencode(next))
            };
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        if let Self::PortalSignIn = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/portal/login"))
                .finish();
        }
        let status = self.status_code();
        if status.is_server_error() {
            // The error text names tables and constraints, never field values.
            tracing::error!(error = %self, "request failed");
        }
        self.page(crate::web::PageContext::default())
    }
}

impl AppError {
    /// The error's page in the layout: `page` empty (no one's name, no notice), or a
    /// signed-in provider's, whose navigation then stays (`web::keep_navigation`).
    pub fn page(&self, page: crate::web::PageContext) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = self.title_and_message();
        let body = ErrorPage {
            page,
            title,
            message,
            status: status.as_u16(),
        }
        .render()
        .unwrap_or_else(|_| format!("{title}\n\n{}", self.title_and_message().1));
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
