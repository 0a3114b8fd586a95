//! Settings → Calendar → Calendar feed: the provider's private iCalendar address, turned
//! on, replaced (the old address stops working at once) or off, naming clients by initials
//! or full names; and the feed itself, served to calendar programs by that address alone.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::models::calendar_feed;
use crate::web::session::{self, ProtectedForm};
use crate::web::{render, see_other, AppState, CurrentProvider, PageContext};

#[derive(Template)]
#[template(path = "settings/calendar_feed.html")]
struct FeedSettingsPage {
    page: PageContext,
    /// The address to copy, when the feed is on.
    url: Option<String>,
    full_names: bool,
}

fn feed_url(public_url: &str, token: &str) -> String {
    format!(
        "{}/calendar/feed/{token}.ics",
        public_url.trim_end_matches('/')
    )
}

pub(super) async fn show_feed_settings(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
) -> Result<HttpResponse, AppError> {
    let scope = provider.scope();
    let feed = state
        .db(move |conn| Ok(calendar_feed::of(conn, &scope)?))
        .await?;
    render(&FeedSettingsPage {
        page: page.signed_in(&provider),
        url: feed
            .as_ref()
            .map(|f| feed_url(&state.config.public_url, &f.token)),
        full_names: feed.is_some_and(|f| f.full_names),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct FeedChange {
    /// `on`, `replace`, `off` or `names`.
    action: String,
    /// With `names`: `initials` or `full`.
    names: String,
}

pub(super) async fn change_feed(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    ProtectedForm(change): ProtectedForm<FeedChange>,
) -> Result<HttpResponse, AppError> {
    let scope = provider.scope();
    let now = state.clock.now();
    let message = state
        .db(move |conn| {
            Ok(match change.action.as_str() {
                "on" => {
                    calendar_feed::turn_on(conn, &scope, now)?;
                    "Your calendar feed is on. Copy its address into your calendar program."
                }
                "replace" => {
                    if calendar_feed::replace_token(conn, &scope)? {
                        "The feed has a new address; the old one no longer works. Subscribe to the new one."
                    } else {
                        "The calendar feed is off: turn it on first."
                    }
                }
                "off" => {
                    calendar_feed::turn_off(conn, &scope)?;
                    "Your calendar feed is off; its address no longer works."
                }
                "names" => match change.names.as_str() {
                    n @ ("initials" | "full") => {
                        if calendar_feed::set_full_names(conn, &scope, n == "full")? {
                            "Saved: the feed names clients as you chose."
                        } else {
                            "The calendar feed is off: turn it on first."
                        }
                    }
                    _ => "Choose initials or full names.",
                },
                _ => "That change is not one this page makes. Use one of its buttons.",
            })
        })
        .await?;
    session::flash(&session, message);
    Ok(see_other("/settings/calendar/feed"))
}

/// The feed, for a calendar program: the token is the whole of the sign-in; an unknown
/// one is 404.
pub(super) async fn serve_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let now = state.clock.now();
    let text = state
        .db(move |conn| {
            let feed =
                crate::models::unscoped::calendar_feed(conn, &token)?.ok_or(AppError::NotFound)?;
            let provider = crate::models::provider::find(conn, feed.provider_id())?
                .ok_or(AppError::NotFound)?;
            Ok(crate::calendar_files::build_provider_feed(
                conn,
                &provider,
                feed.full_names,
                now,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private"))
        .body(text))
}
