//! The Clients tab, adding and editing a client, and the client's profile.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, EmptyForm, ProtectedForm};
use super::{
    client_ip, fmt, render, render_status, see_other, AppState, CurrentProvider, PageContext,
};
use crate::db::ids::ClientId;
use crate::db::DbConnection;
use crate::domain::client::{parse_assessments, ClientDetails, ClientInput, FieldErrors};
use crate::domain::client_edit::{reconcile, DetailValues, EditConflict};
use crate::domain::contact::{ContactDetails, ContactInput, GUARDIAN_FIELDS};
use crate::domain::onboarding::OnboardingStatus;
use crate::domain::phone;
use crate::domain::us_states::{state_name, US_STATES};
use crate::error::AppError;
use crate::models::audit::{self, AuditAction};
use crate::models::client::{
    self, Client, ClientFilter, ClientQuery, ClientSort, SaveClientError, PAGE_SIZE,
};
use crate::models::scope::OwnedClient;
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients", web::get().to(list))
        .route("/clients/new", web::get().to(new_form))
        .route("/clients/new", web::post().to(create))
        .route("/clients/{id}", web::get().to(overview))
        .route("/clients/{id}/edit", web::get().to(edit_form))
        .route("/clients/{id}/edit", web::post().to(update))
        .route("/clients/{id}/archive", web::post().to(archive))
        .route("/clients/{id}/restore", web::post().to(restore))
        .route("/clients/{id}/billing", web::get().to(billing))
        .route("/clients/{id}/activity", web::get().to(activity));
}

// ---------- the list ----------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListParams {
    q: String,
    status: String,
    sort: String,
    page: String,
}

struct ClientRow {
    id: String,
    name: String,
    preferred_name: Option<String>,
    email: String,
    phone: String,
    billing: &'static str,
    status: OnboardingStatus,
    archived: bool,
    billing_info_needed: bool,
    risk_alert: bool,
}

/// A client with an unresolved risk alert, for the Clients tab's banner.
struct AlertLine {
    id: String,
    name: String,
    since: String,
}

#[derive(Template)]
#[template(path = "clients/list.html")]
struct ListPage {
    page: PageContext,
    alerts: Vec<AlertLine>,
    rows: Vec<ClientRow>,
    total: i64,
    q: String,
    status: String,
    sort: String,
    page_no: i64,
    pages: i64,
    first_shown: i64,
    last_shown: i64,
    statuses: Vec<(&'static str, &'static str)>,
    prev_url: Option<String>,
    next_url: Option<String>,
    filtered: bool,
}

impl ListParams {
    fn query(&self) -> ClientQuery {
        let filter = match self.status.as_str() {
            "archived" => ClientFilter::Archived,
            s => OnboardingStatus::from_slug(s)
                .map(ClientFilter::Status)
                .unwrap_or_default(),
        };
        let sort = if self.sort == "added" {
            ClientSort::NewestFirst
        } else {
            ClientSort::Name
        };
        let typed: String = self.q.chars().filter(|c| !c.is_control()).collect();
        let search = Some(typed.trim().to_string()).filter(|s| !s.is_empty());
        let page = self
            .page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 1_000_000);
        ClientQuery {
            search,
            filter,
            sort,
            page,
        }
    }

    fn url_for_page(&self, page: i64) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("sort", self.sort.as_str()),
        ];
        let mut url = String::from("/clients?");
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            url.push_str(&format!("{k}={}&", crate::error::urlencode(v)));
        }
        url.push_str(&format!("page={page}"));
        url
    }
}

async fn list(
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let query = params.query();
    let scope = provider.scope();
    let q = query.clone();
    let (result, alerts) = state
        .db(move |conn| {
            let alerts = crate::models::risk_alert::open_for_provider(conn, &scope)?;
            Ok((client::list(conn, &scope, &q)?, alerts))
        })
        .await?;
    let local = fmt::Local::of(&provider.0);
    let alerts = alerts
        .into_iter()
        .map(|(id, name, since)| AlertLine {
            id,
            name,
            since: local.datetime(&since),
        })
        .collect();
    let (pages, page_no) = (result.pages, result.page);
    let first_shown = if result.rows.is_empty() {
        0
    } else {
        (page_no - 1) * PAGE_SIZE + 1
    };
    let last_shown =
        first_shown + result.rows.len() as i64 - if result.rows.is_empty() { 0 } else { 1 };
    let rows = result
        .rows
        .iter()
        .map(|r| ClientRow {
            id: r.id.clone(),
            name: format!("{} {}", r.first_name, r.last_name),
            preferred_name: r.preferred_name.clone(),
            email: r.email.clone(),
            phone: r.phone.as_deref().map(phone::shown).unwrap_or_default(),
            billing: r.billing().map(|b| b.label()).unwrap_or("Not set"),
            status: r.status(),
            archived: r.archived_at.is_some(),
            billing_info_needed: r.needs_billing_info() && r.archived_at.is_none(),
            risk_alert: r.risk_alert_since.is_some() && r.archived_at.is_none(),
        })
        .collect();
    let mut statuses: Vec<(&str, &str)> = OnboardingStatus::ALL
        .iter()
        .map(|s| (s.slug(), s.label()))
        .collect();
    statuses.push(("archived", "Archived"));
    render(&ListPage {
        page: page.signed_in(&provider),
        alerts,
        rows,
        total: result.total,
        q: params.q.clone(),
        status: params.status.clone(),
        sort: if query.sort == ClientSort::NewestFirst {
            "added".into()
        } else {
            "name".into()
        },
        page_no,
        pages,
        first_shown,
        last_shown,
        statuses,
        prev_url: (page_no > 1).then(|| params.url_for_page(page_no - 1)),
        next_url: (page_no < pages).then(|| params.url_for_page(page_no + 1)),
        filtered: query.search.is_some() || query.filter != ClientFilter::Active,
    })
}

// ---------- adding and editing ----------

#[derive(Template)]
#[template(path = "clients/form.html")]
struct FormPage {
    page: PageContext,
    /// `None` when adding a client.
    editing: Option<ClientHeader>,
    input: ClientInput,
    errors: FieldErrors,
    existing_client: Option<String>,
    states: &'static [(&'static str, &'static str)],
    instruments: Vec<crate::domain::instrument::Instrument>,
    frequencies: Vec<crate::domain::measure_schedule::Frequency>,
    relationships: Vec<crate::domain::contact::Relationship>,
    /// Set when a save was refused because the details changed since the form was made.
    conflict: Option<EditConflict>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn assessment_checked(&self, code: &str) -> bool {
        self.input.assessments.iter().any(|a| a == code)
    }

    /// The value the other person saved in `field` while this one had the form open, when
    /// this person changed it too: they must choose.
    fn clash(&self, field: &str) -> Option<&str> {
        self.conflict
            .as_ref()?
            .changed_meanwhile
            .iter()
            .find(|c| c.field == field && c.clash.is_some())
            .map(|c| c.now.as_str())
    }
}

fn form_page(
    page: PageContext,
    editing: Option<ClientHeader>,
    input: ClientInput,
    errors: FieldErrors,
    existing_client: Option<String>,
) -> FormPage {
    FormPage {
        page,
        editing,
        input,
        errors,
        existing_client,
        states: US_STATES,
        instruments: crate::domain::instrument::Instrument::all(),
        frequencies: crate::domain::measure_schedule::Frequency::all().collect(),
        relationships: crate::domain::contact::Relationship::all().collect(),
        conflict: None,
    }
}

async fn new_form(provider: CurrentProvider, page: PageContext) -> Result<HttpResponse, AppError> {
    let input = ClientInput {
        billing_type: "insurance".into(),
        notify: Some("on".into()),
        ..Default::default()
    };
    render(&form_page(
        page.signed_in(&provider),
        None,
        input,
        FieldErrors::new(),
        None,
    ))
}

/// Today's date where the provider is (a date of birth cannot be later).
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    ProtectedForm(input): ProtectedForm<ClientInput>,
) -> Result<HttpResponse, AppError> {
    let page = page.signed_in(&provider);
    let today = provider.today(&state.clock);
    let (details, contact) = match new_client_details(&input, today) {
        Ok(parsed) => parsed,
        Err(errors) => return render(&form_page(page, None, input, errors, None)),
    };
    let options = client::CreateOptions {
        notify: input.notify.is_some(),
        contact,
        measures: parse_assessments(&input.assessments, &input.assessment_frequency),
    };
    let ip = client_ip(&req);
    let (me, now) = (provider.0.clone(), state.clock.now());
    let public_url = state.config.public_url.clone();
    let saved = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            match services::clients::create(conn, &me, &details, &options, &public_url, act) {
                Err(SaveClientError::Database(e)) => Err(e.into()),
                other => Ok(other),
            }
        })
        .await?;
    match saved {
        Ok(c) => {
            let invited = if c.notify_requested {
                " An invitation to set up their account is in the outbox."
            } else {
                ""
            };
            session::flash(
                &session,
                format!("{} was added to your clients.{invited}", c.full_name()),
            );
            Ok(see_other(&format!("/clients/{}", c.id)))
        }
        Err(SaveClientError::EmailTaken { existing }) => email_taken(page, None, input, existing),
        Err(SaveClientError::EmailNeeded) => {
            render(&form_page(page, None, input, email_needed(false), None))
        }
        Err(SaveClientError::NotFound | SaveClientError::Stale { .. }) => Err(AppError::NotFound),
        Err(SaveClientError::Database(e)) => Err(e.into()),
    }
}

/// A new client's details and the parent or guardian added with them (the form's section
/// left empty: none). A minor who is to be invited needs one, with an email.
fn new_client_details(
    input: &ClientInput,
    today: chrono::NaiveDate,
) -> Result<(ClientDetails, Option<ContactDetails>), FieldErrors> {
    let guardian_input = ContactInput {
        name: input.guardian_name.clone(),
        relationship: input.guardian_relationship.clone(),
        email: input.guardian_email.clone(),
        phone: input.guardian_phone.clone(),
        // A parent or guardian added with the client receives their emails and acts for
        // them; the contact's page changes either.
        receives_emails: Some("on".into()),
        acts_for: Some("on".into()),
        version: 0,
    };
    let details = ClientDetails::parse(input, today);
    let guardian = if guardian_input.is_empty() {
        Ok(None)
    } else {
        ContactDetails::parse(&guardian_input, &GUARDIAN_FIELDS).map(Some)
    };
    let (details, guardian) = match (details, guardian) {
        (Ok(d), Ok(g)) => (d, g),
        (d, g) => {
            let mut errors = d.err().unwrap_or_default();
            errors.extend(g.err().unwrap_or_default());
            return Err(errors);
        }
    };
    if details.email.is_none() && guardian.is_none() {
        return Err(email_needed(false));
    }
    let minor = details.minor
        || details
            .date_of_birth
            .is_some_and(|dob| crate::domain::client::age_on(dob, today) < 18);
    if minor && input.notify.is_some() && guardian.is_none() {
        let mut errors = FieldErrors::new();
        errors.insert(
            "guardian_name",
            "A minor's invitation goes to a parent or guardian: add one here (with their email), or untick \"Notify the client\" below.".into(),
        );
        return Err(errors);
    }
    Ok((details, guardian))
}

/// The email is missing and nobody else could be reached: what to do about it.
fn email_needed(editing: bool) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.insert(
        "email",
        if editing {
            "Enter the client's email. A client can go without one only when a contact acts for them with an email of their own (add one under Contacts on the Overview tab first)."
        } else {
            "Enter the client's email. A child (or anyone) without one can be added with a parent or guardian who acts for them: fill in that section below."
        }
        .into(),
    );
    errors
}

fn email_taken(
    page: PageContext,
    editing: Option<ClientHeader>,
    input: ClientInput,
    existing: ClientId,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    errors.insert(
        "email",
        "One of your clients already has this email address. If it is a parent's or a family member's shared address, leave this client's email empty and enter the address as their parent or guardian's instead (on a new client's form, in the section below; otherwise under Contacts)."
            .into(),
    );
    render(&form_page(page, editing, input, errors, Some(existing.0)))
}

/// Records the view of `tab` (every view of a record is in its activity log).
pub(super) async fn audit_view(
    state: &AppState,
    req: &HttpRequest,
    client: &OwnedClient,
    tab: &'static str,
) -> Result<(), AppError> {
    let (ip, now, c) = (client_ip(req), state.clock.now(), client.clone());
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::clients::view(conn, &c, tab, act)?)
        })
        .await
}

async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    audit_view(&state, &req, &c, "edit").await?;
    render(&form_page(
        page.signed_in(&provider),
        Some(ClientHeader::of(local, &c)),
        c.edit_input(),
        FieldErrors::new(),
        None,
    ))
}

enum UpdateOutcome {
    Saved,
    Invalid(Box<Client>, FieldErrors),
    EmailTaken(Box<Client>, ClientId),
    /// Made from details that changed since: the client as they are now.
    Stale(Box<Client>),
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    session: Session,
    client: OwnedClient,
    ProtectedForm(input): ProtectedForm<ClientInput>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    let client_id = client.client_id();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let parsed = ClientDetails::parse(&input, provider.today(&state.clock));
    let submitted = DetailValues::of(&input);
    // A form without its version (made before versions existed) counts as stale.
    let expected = input.version.unwrap_or(0);
    let submitted_for_save = submitted.clone();
    let outcome = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            // Showing the form again shows the client: that is a view of the record.
            let shown_again = |conn: &mut DbConnection| {
                services::clients::current(conn, &client, "edit", act).map(Box::new)
            };
            let details = match parsed {
                Ok(d) => d,
                Err(errors) => return Ok(UpdateOutcome::Invalid(shown_again(conn)?, errors)),
            };
            match services::clients::update(
                conn,
                &client,
                &details,
                &submitted_for_save,
                expected,
                act,
            ) {
                Ok(()) => Ok(UpdateOutcome::Saved),
                Err(SaveClientError::EmailTaken { existing }) => {
                    Ok(UpdateOutcome::EmailTaken(shown_again(conn)?, existing))
                }
                Err(SaveClientError::Stale { .. }) => Ok(UpdateOutcome::Stale(shown_again(conn)?)),
                Err(SaveClientError::EmailNeeded) => Ok(UpdateOutcome::Invalid(
                    shown_again(conn)?,
                    email_needed(true),
                )),
                Err(SaveClientError::NotFound) => Err(AppError::NotFound),
                Err(SaveClientError::Database(e)) => Err(e.into()),
            }
        })
        .await?;
    let page = page.signed_in(&provider);
    match outcome {
        UpdateOutcome::Saved => {
            session::flash(&session, "The changes were saved.");
            Ok(see_other(&format!("/clients/{client_id}")))
        }
        UpdateOutcome::Invalid(before, errors) => render(&form_page(
            page,
            Some(ClientHeader::of(local, &before)),
            input,
            errors,
            None,
        )),
        UpdateOutcome::EmailTaken(before, existing) => email_taken(
            page,
            Some(ClientHeader::of(local, &before)),
            input,
            existing,
        ),
        UpdateOutcome::Stale(current) => {
            // What the form showed; a form that lost it compares with nothing changed.
            let shown = DetailValues::from_form(&input.shown).unwrap_or_else(|| submitted.clone());
            let conflict = reconcile(&shown, &submitted, &current.detail_values());
            let mut fresh = current.edit_input();
            conflict.merged.apply_to(&mut fresh);
            let mut form = form_page(
                page,
                Some(ClientHeader::of(local, &current)),
                fresh,
                FieldErrors::new(),
                None,
            );
            form.conflict = Some(conflict);
            render(&form)
        }
    }
}

async fn set_archived(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    client: OwnedClient,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(&req), state.clock.now());
    let (client_id, name) = (client.client_id(), client.full_name());
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::clients::set_archived(
                conn, &client, archived, act,
            )?)
        })
        .await?;
    let message = if archived {
        format!("{name} was archived. Their record is kept; find them under the Archived filter, and restore them any time.")
    } else {
        format!("{name} was restored to your active clients.")
    };
    session::flash(&session, message);
    Ok(see_other(&format!("/clients/{client_id}")))
}

async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    client: OwnedClient,
    _csrf: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    set_archived(req, state, session, client, true).await
}

async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    client: OwnedClient,
    _csrf: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    set_archived(req, state, session, client, false).await
}

// ---------- the profile ----------

/// What the profile header and tabs show about a client.
pub struct ClientHeader {
    pub id: String,
    pub name: String,
    /// What the client goes by, beside their name.
    pub preferred_name: Option<String>,
    pub status: OnboardingStatus,
    pub archived_on: Option<String>,
    pub billing_info_needed: bool,
    /// Since when an unresolved risk alert stands.
    pub risk_alert_since: Option<String>,
}

impl ClientHeader {
    pub fn of(local: fmt::Local, c: &Client) -> Self {
        Self {
            id: c.id.clone(),
            name: c.full_name(),
            preferred_name: c.preferred_name.clone(),
            status: c.status(),
            archived_on: c.archived_at.as_ref().map(|t| local.datetime(t)),
            billing_info_needed: c.archived_at.is_none()
                && c.onboarding_facts().needs_billing_info(),
            risk_alert_since: c.risk_alert_since.as_ref().map(|t| local.datetime(t)),
        }
    }
}

#[derive(Template)]
#[template(path = "clients/overview.html")]
struct OverviewPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    first_name: String,
    last_name: String,
    email: String,
    preferred_name: Option<String>,
    phone: Option<String>,
    date_of_birth: Option<String>,
    telehealth_state: Option<String>,
    added: String,
    /// Each questionnaire's schedule, in words.
    measures: Vec<String>,
    contacts: Vec<ContactView>,
    minor: bool,
    steps: Vec<StepView>,
    invitation: Option<String>,
    can_invite: bool,
    confirmable: Result<(), Vec<&'static str>>,
}

/// One onboarding step on the profile: what it is, and when it was done (or what is left).
pub struct StepView {
    pub title: &'static str,
    pub done: Option<String>,
    pub todo: &'static str,
}

/// Where the newest invitation email stands, in words.
fn invitation_state(
    email: &crate::models::outbox::OutboxEmail,
    smtp: bool,
    local: fmt::Local,
) -> String {
    use crate::models::outbox::EmailStatus::{Cancelled, Failed, Sent};
    match email.state() {
        Sent => format!("Invitation emailed {}", email.sent_at.as_ref().map(|t| local.datetime(t)).unwrap_or_default()),
        Failed => format!("The invitation could not be sent ({}). Copy its link from Settings → Outbox and send it yourself, or send a new one.", email.last_error.clone().unwrap_or_default()),
        Cancelled => "The invitation was replaced by a newer one.".to_string(),
        _ if smtp => format!("Invitation queued {} and being sent.", local.datetime(&email.created_at)),
        _ => "Invitation waiting in Settings → Outbox: no email server is set up, so copy its link from there and send it to the client yourself.".to_string(),
    }
}

async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    audit_view(&state, &req, &c, "overview").await?;
    let client = c.clone();
    let (requests, emails, card, (contacts, who_did)) = state
        .db(move |conn| {
            let requests = crate::models::measure_schedule::for_client(conn, &client)?;
            let emails = crate::models::outbox::for_client(conn, &client)?;
            let card = crate::models::payment_method::current(conn, &client)?;
            let contacts = crate::models::contact::for_client(conn, &client)?;
            let who_did = audit::last_of(
                conn,
                &client,
                &[
                    AuditAction::PortalAccountVerified,
                    AuditAction::PortalInsuranceAdded,
                    AuditAction::PortalPrivatePayChosen,
                    AuditAction::PortalPaymentMethodAdded,
                    AuditAction::PortalFormsAcknowledged,
                ],
            )?;
            Ok((requests, emails, card, (contacts, who_did)))
        })
        .await?;
    // "— by Maria Okafor, parent or guardian" after a step someone did for the client.
    let by = |actions: &[AuditAction]| {
        who_did
            .iter()
            .find(|(a, _)| actions.contains(a))
            .and_then(|(_, subject)| subject.clone())
            .map(|s| format!(" — {s}"))
            .unwrap_or_default()
    };
    let smtp = state.jobs.sends_email();
    let invitation = emails
        .iter()
        .find(|e| e.kind == crate::onboarding::INVITATION)
        .map(|e| invitation_state(e, smtp, local));
    let private = c.billing() == Some(crate::domain::billing::BillingType::PrivatePay);
    let at = |t: &Option<chrono::NaiveDateTime>| t.as_ref().map(|t| local.datetime(t));
    let mut steps = vec![StepView {
        title: "Account verified",
        done: at(&c.account_verified_at)
            .map(|t| format!("{t}{}", by(&[AuditAction::PortalAccountVerified]))),
        todo: "Not yet: the client sets a password from the invitation link.",
    }];
    if !private {
        steps.push(StepView {
            title: "Insurance added",
            done: at(&c.insurance_added_at)
                .map(|t| format!("{t}{}", by(&[AuditAction::PortalInsuranceAdded]))),
            todo: "Not yet.",
        });
        steps.push(StepView {
            title: "Insurance verified",
            done: at(&c.insurance_verified_at),
            todo: if c.insurance_issue.is_some() {
                "No: the client was asked to fix it (see Billing)."
            } else {
                "Not yet: verify it on the Billing tab."
            },
        });
    }
    steps.push(StepView {
        title: "Form of billing",
        done: card.map(|k| {
            format!(
                "{} (added {}){}",
                k.describe(),
                local.date(&k.created_at),
                by(&[AuditAction::PortalPaymentMethodAdded])
            )
        }),
        todo: "Not yet.",
    });
    steps.push(StepView {
        title: "Billing policy and privacy notice",
        done: at(&c.forms_acknowledged_at).map(|t| {
            format!(
                "Acknowledged {t}{}",
                by(&[AuditAction::PortalFormsAcknowledged])
            )
        }),
        todo: "Not yet.",
    });
    let confirmable = crate::domain::onboarding::can_confirm_appointment(&c.onboarding_facts())
        .map_err(|missing| {
            missing
                .into_iter()
                .map(crate::domain::onboarding::Missing::describe)
                .collect()
        });
    render(&OverviewPage {
        page: page.signed_in(&provider),
        header: ClientHeader::of(local, &c),
        tab: "overview",
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        email: c.email.clone(),
        preferred_name: c.preferred_name.clone(),
        phone: c.phone.as_deref().map(phone::shown),
        date_of_birth: c.date_of_birth.as_ref().map(fmt::date),
        telehealth_state: c
            .telehealth_state
            .as_deref()
            .map(|s| state_name(s).unwrap_or(s).to_string()),
        added: local.datetime(&c.created_at),
        steps,
        invitation,
        can_invite: c.account_verified_at.is_none() && c.archived_at.is_none(),
        contacts: contacts
            .iter()
            .map(|k| ContactView {
                id: k.id.clone(),
                name: k.name.clone(),
                relationship: k.relationship().label(),
                email: k.email.clone(),
                phone: k.phone.as_deref().map(phone::shown),
                roles: [
                    (k.receives_emails, "receives their emails"),
                    (k.acts_for, "acts for them"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, r)| *r)
                .collect::<Vec<_>>()
                .join(", "),
            })
            .collect(),
        minor: c.is_minor(provider.today(&state.clock)),
        confirmable,
        measures: requests
            .iter()
            .map(super::measures::schedule_summary)
            .collect(),
    })
}

struct ContactView {
    id: String,
    name: String,
    relationship: &'static str,
    email: Option<String>,
    phone: Option<String>,
    roles: String,
}

struct AcknowledgmentView {
    title: &'static str,
    version: i32,
    typed_name: String,
    when: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "clients/billing.html")]
struct BillingPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    billing: &'static str,
    is_insurance: bool,
    insurance_company: Option<String>,
    insurance_member_id: Option<String>,
    holder_name: Option<String>,
    date_of_birth: Option<String>,
    date_of_birth_input: String,
    holder_dob_input: String,
    insurance_added: Option<String>,
    insurance_verified: Option<String>,
    insurance_issue: Option<String>,
    card: Option<String>,
    acknowledgments: Vec<AcknowledgmentView>,
    payers: &'static [&'static str],
    /// The details' version, carried by the insurance form.
    version: i64,
    pricing: super::pricing::PricingView,
    /// For self-pay clients.
    good_faith: Option<super::pricing::GoodFaithSection>,
}

async fn billing(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    billing_page(&req, &state, &provider, page, &c, None).await
}

/// The Billing tab; `plan_form` is a plan form shown again with what to correct.
pub(crate) async fn billing_page(
    req: &HttpRequest,
    state: &AppState,
    provider: &CurrentProvider,
    page: PageContext,
    c: &OwnedClient,
    plan_form: Option<(super::pricing::PlanInput, Vec<String>)>,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    audit_view(state, req, c, "billing").await?;
    let (client, me, now) = (c.clone(), provider.0.clone(), state.clock.now());
    let (card, acks, pricing) = state
        .db(move |conn| {
            let card = crate::models::payment_method::current(conn, &client)?;
            let acks = crate::models::practice_form::acknowledgments(conn, &client)?;
            let pricing = services::pricing::for_client(conn, &me, &client, now)?;
            let good_faith = match client.billing() {
                Some(crate::domain::billing::BillingType::PrivatePay) => Some(
                    services::good_faith::standing(conn, &client, me.zone(), now)?,
                ),
                _ => None,
            };
            Ok((card, acks, (pricing, good_faith)))
        })
        .await?;
    let (pricing, good_faith) = pricing;
    let good_faith = good_faith
        .map(|standing| super::pricing::GoodFaithSection::of(&standing, &pricing, local, now));
    let (plan_input, plan_errors) = match plan_form {
        Some((input, errors)) => (Some(input), errors),
        None => (None, Vec::new()),
    };
    let status = super::form_status(plan_errors.is_empty());
    let billing = c.billing();
    render_status(
        status,
        &BillingPage {
            pricing: super::pricing::PricingView::of(&pricing, local, plan_input, plan_errors),
            good_faith,
            page: page.signed_in(provider),
            header: ClientHeader::of(local, c),
            tab: "billing",
            billing: billing.map(|b| b.label()).unwrap_or("Not set"),
            is_insurance: billing == Some(crate::domain::billing::BillingType::Insurance),
            insurance_company: c.insurance_company.clone(),
            insurance_member_id: c.insurance_member_id.clone(),
            holder_name: c.insurance_holder_name.clone(),
            date_of_birth: c.date_of_birth.as_ref().map(fmt::date),
            date_of_birth_input: c
                .date_of_birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            holder_dob_input: c
                .insurance_holder_dob
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            insurance_added: c.insurance_added_at.as_ref().map(|t| local.datetime(t)),
            insurance_verified: c.insurance_verified_at.as_ref().map(|t| local.datetime(t)),
            insurance_issue: c.insurance_issue.clone(),
            card: card.map(|k| {
                format!(
                    "{} (added by the {} on {})",
                    k.describe(),
                    k.added_by,
                    local.date(&k.created_at)
                )
            }),
            acknowledgments: acks
                .into_iter()
                .map(|a| AcknowledgmentView {
                    title: crate::models::practice_form::FormKind::parse(&a.kind)
                        .map(|k| k.title())
                        .unwrap_or("Form"),
                    version: a.version,
                    typed_name: a.typed_name,
                    when: local.datetime(&a.acknowledged_at),
                    ip: a.ip.unwrap_or_default(),
                })
                .collect(),
            payers: super::portal::COMMON_PAYERS,
            version: c.version,
        },
    )
}

struct ActivityRow {
    when: String,
    who: String,
    what: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "clients/activity.html")]
struct ActivityPage {
    page: PageContext,
    header: ClientHeader,
    tab: &'static str,
    rows: Vec<ActivityRow>,
    limit: i64,
    zone: String,
}

const ACTIVITY_LIMIT: i64 = 200;

async fn activity(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: PageContext,
    c: OwnedClient,
) -> Result<HttpResponse, AppError> {
    let local = fmt::Local::of(&provider.0);
    audit_view(&state, &req, &c, "activity").await?;
    let client = c.clone();
    let events = state
        .db(move |conn| Ok(audit::for_client(conn, &client, ACTIVITY_LIMIT)?))
        .await?;
    let rows = events
        .into_iter()
        .map(|e| {
            let action = AuditAction::parse(&e.action);
            let label = action.map(AuditAction::label).unwrap_or("Other");
            let what = match e.subject.as_deref() {
                Some(
                    tab @ ("overview"
                    | "sessions"
                    | "billing"
                    | "measures"
                    | "attachments"
                    | "activity"
                    | "edit"
                    | "questionnaire"
                    | "questionnaires"
                    | "session questionnaires"),
                ) => {
                    format!("{label} ({tab})")
                }
                Some(kind) if action == Some(AuditAction::EmailQueued) => {
                    format!("{label}: {}", crate::onboarding::email_kind_label(kind))
                }
                // An edit names the fields it changed.
                Some(fields)
                    if action == Some(AuditAction::ClientUpdated) && !fields.is_empty() =>
                {
                    format!("{label}: {fields}")
                }
                // Which questionnaire, and how often.
                Some(what)
                    if action.is_some_and(|a| {
                        matches!(
                            a,
                            AuditAction::MeasureScheduled
                                | AuditAction::MeasureChanged
                                | AuditAction::PortalAssessmentCompleted
                                | AuditAction::AssessmentAdministered
                        )
                    }) =>
                {
                    format!("{label}: {what}")
                }
                _ => label.to_string(),
            };
            ActivityRow {
                when: local.datetime(&e.created_at),
                who: if action.is_some_and(AuditAction::by_client) {
                    "The client".to_string()
                } else {
                    format!("{} {}", e.provider_first_name, e.provider_last_name)
                },
                what,
                ip: e.ip.unwrap_or_default(),
            }
        })
        .collect();
    render(&ActivityPage {
        page: page.signed_in(&provider),
        header: ClientHeader::of(local, &c),
        tab: "activity",
        rows,
        limit: ACTIVITY_LIMIT,
        zone: local.0.spoken_name(),
    })
}
