//! A client's contacts (parents and guardians, partners, emergency contacts): added,
//! changed and removed from their own page, listed on the Overview tab; and the sign-in
//! link a provider sends whoever sets up the client's account.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::clients::{audit_view, ClientHeader};
use super::session::{self, EmptyForm, ProtectedForm};
use super::{
    client_ip, fmt, form_status, render_status, see_other, AppState, CurrentProvider, PageContext,
};
use crate::domain::client::FieldErrors;
use crate::domain::contact::{ContactDetails, ContactInput, Relationship, CONTACT_FIELDS};
use crate::error::AppError;
use crate::models::contact;
use crate::models::scope::OwnedClient;
use crate::services::contacts;
use crate::services::Act;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients/{id}/contacts/new", web::get().to(new_form))
        .route("/clients/{id}/contacts", web::post().to(add))
        .route("/clients/{id}/contacts/{contact}", web::get().to(edit_form))
        .route("/clients/{id}/contacts/{contact}", web::post().to(change))
        .route(
            "/clients/{id}/contacts/{contact}/remove",
            web::post().to(remove),
        )
        .route(
            "/clients/{id}/sign-in-link",
            web::post().to(send_sign_in_link),
        );
}

#[derive(Template)]
#[template(path = "clients/contact_form.html")]
struct ContactPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    /// The contact's id when editing.
    editing: Option<String>,
    input: ContactInput,
    errors: FieldErrors,
    refusal: Option<String>,
    relationships: Vec<Relationship>,
}

impl ContactPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn page_for(
    page: PageContext,
    provider: &CurrentProvider,
    c: &OwnedClient,
    editing: Option<String>,
    input: ContactInput,
    errors: FieldErrors,
    refusal: Option<String>,
) -> Result<HttpResponse, AppError> {
    render_status(
        form_status(errors.is_empty() && refusal.is_none()),
        &ContactPage {
            page: page.signed_in(provider),
            header: ClientHeader::of(fmt::Local::of(&provider.0), c),
            tab: "overview",
            editing,
            input,
            errors,
            refusal,
            relationships: Relationship::all().collect(),
        },
    )
}

async fn new_form(
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    let input = ContactInput {
        relationship: Relationship::ParentGuardian.as_str().into(),
        receives_emails: Some("on".into()),
        acts_for: Some("on".into()),
        ..Default::default()
    };
    page_for(page, &provider, &c, None, input, FieldErrors::new(), None)
}

fn act<'a>(ip: &'a Option<String>, now: chrono::NaiveDateTime) -> Act<'a> {
    Act {
        ip: ip.as_deref(),
        now,
    }
}

async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<ContactInput>,
) -> Result<HttpResponse, AppError> {
    let d = match ContactDetails::parse(&input, &CONTACT_FIELDS) {
        Ok(d) => d,
        Err(errors) => return page_for(page, &provider, &c, None, input, errors, None),
    };
    let (ip, now, client) = (client_ip(&req), state.clock.now(), c.clone());
    let name = d.name.clone();
    state
        .db(move |conn| Ok(contacts::add(conn, &client, &d, act(&ip, now))?))
        .await?;
    session::flash(
        &session,
        format!("{name} was added to {}'s contacts.", c.first_name),
    );
    Ok(see_other(&format!("/clients/{}#contacts", c.id)))
}

async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    let id = req.match_info().query("contact").to_string();
    audit_view(&state, &req, &c, "contacts").await?;
    let client = c.clone();
    let found = state
        .db(move |conn| Ok(contact::find(conn, &client, &id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let input = ContactInput {
        name: found.name.clone(),
        relationship: found.relationship.clone(),
        email: found.email.clone().unwrap_or_default(),
        phone: found.phone.clone().unwrap_or_default(),
        receives_emails: found.receives_emails.then(|| "on".into()),
        acts_for: found.acts_for.then(|| "on".into()),
        version: found.version,
    };
    page_for(
        page,
        &provider,
        &c,
        Some(found.id.clone()),
        input,
        FieldErrors::new(),
        None,
    )
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<ContactInput>,
) -> Result<HttpResponse, AppError> {
    let id = req.match_info().query("contact").to_string();
    let d = match ContactDetails::parse(&input, &CONTACT_FIELDS) {
        Ok(d) => d,
        Err(errors) => return page_for(page, &provider, &c, Some(id), input, errors, None),
    };
    let (ip, now, client, cid) = (client_ip(&req), state.clock.now(), c.clone(), id.clone());
    let version = input.version;
    let outcome = state
        .db(move |conn| {
            let r = contacts::change(conn, &client, &cid, version, &d, act(&ip, now));
            Ok(crate::services::refused(r)?)
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::flash(&session, "The contact was saved.");
            Ok(see_other(&format!("/clients/{}#contacts", c.id)))
        }
        Err(refusal) => page_for(
            page,
            &provider,
            &c,
            Some(id),
            input,
            FieldErrors::new(),
            Some(refusal),
        ),
    }
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    c: OwnedClient,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let id = req.match_info().query("contact").to_string();
    let (ip, now, client) = (client_ip(&req), state.clock.now(), c.clone());
    let outcome = state
        .db(move |conn| {
            let r = contacts::remove(conn, &client, &id, act(&ip, now));
            Ok(crate::services::refused(r)?)
        })
        .await?;
    match outcome {
        Ok(()) => session::flash(&session, "The contact was removed."),
        Err(refusal) => session::flash(&session, format!("Nothing was removed. {refusal}")),
    }
    Ok(see_other(&format!("/clients/{}#contacts", c.id)))
}

async fn send_sign_in_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    session: Session,
    c: OwnedClient,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    if c.archived_at.is_some() {
        return Err(AppError::BadRequest(
            "This client is archived: restore them before sending a sign-in link.".into(),
        ));
    }
    let (ip, now, client, me) = (
        client_ip(&req),
        state.clock.now(),
        c.clone(),
        provider.0.clone(),
    );
    let public_url = state.config.public_url.clone();
    let sent_to = state
        .db(move |conn| {
            Ok(crate::services::onboarding::send_sign_in_link(
                conn,
                &me,
                &client,
                &public_url,
                act(&ip, now),
            )?)
        })
        .await?;
    let smtp = state.jobs.sends_email();
    session::flash(
        &session,
        if sent_to.is_empty() {
            format!("No sign-in link was sent: {} has no email, and no contact acts for them with one. Add one under Contacts.", c.first_name)
        } else {
            format!(
                "A sign-in link went to {}.{}",
                sent_to.join(" and "),
                if smtp {
                    ""
                } else {
                    " It waits in Settings → Outbox, where you can copy it."
                }
            )
        },
    );
    Ok(see_other(&format!("/clients/{}", c.id)))
}
