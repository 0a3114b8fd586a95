//! The client portal: a client's own sign-in, the invitation link, and the four steps
//! (account, insurance, form of billing, practice forms) before a first appointment.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, CurrentClient, EmptyForm, PortalActor, ProtectedForm};
use super::{client_ip, fmt, render, see_other, AppState, PageContext};
use crate::db::ids::{ClientId, ProviderId};
use crate::db::DbConnection;
use crate::domain::client::{parse_date_of_birth, FieldErrors};
use crate::domain::email;
use crate::domain::name::{optional_text, PersonName};
use crate::domain::onboarding::{can_confirm_appointment, Missing};
use crate::domain::payment::{BuiltInProcessor, CardInput, PaymentKind, PaymentProcessor};
use crate::error::AppError;
use crate::models::client::SaveClientError;
use crate::models::client::{Client, InsuranceDetails};
use crate::models::invitation::{self, TokenCheck};
use crate::models::practice_form::{self, FormKind, PracticeForm};
use crate::models::scope::OwnedClient;
use crate::models::sign_in_session::Who;
use crate::models::{failed_login, payment_method, portal_account, provider, unscoped};
use crate::passwords;
use crate::services::onboarding::AddedBy;
use crate::services::portal::{Renewal, RENEW_MINUTES};
use crate::services::{self, Act};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/portal", web::get().to(checklist))
        .route("/portal/choose", web::get().to(choose_page))
        .route("/portal/choose", web::post().to(choose))
        .route("/portal/invite/{token}", web::get().to(invite_page))
        .route("/portal/invite/{token}", web::post().to(accept_invite))
        .route("/portal/invite/{token}/renew", web::post().to(renew_invite))
        .route("/portal/login", web::get().to(login_form))
        .route("/portal/login", web::post().to(login))
        .route("/portal/logout", web::post().to(logout))
        .route("/portal/insurance", web::get().to(insurance_form))
        .route("/portal/insurance", web::post().to(save_insurance))
        .route("/portal/plan", web::post().to(save_plan))
        .route("/portal/billing", web::get().to(billing_form))
        .route("/portal/billing", web::post().to(save_billing))
        .route("/portal/forms", web::get().to(forms_page))
        .route("/portal/forms", web::post().to(acknowledge_forms));
}

/// Common US payers, offered as suggestions; any name may be typed.
pub const COMMON_PAYERS: &[&str] = &[
    "Aetna",
    "Anthem Blue Cross",
    "Blue Cross Blue Shield",
    "Cigna",
    "Humana",
    "Kaiser Permanente",
    "Magellan Health",
    "Medicaid",
    "Medicare",
    "Optum",
    "Oscar Health",
    "Tricare",
    "UnitedHealthcare",
    "Ambetter",
    "Beacon Health Options",
    "Carelon Behavioral Health",
    "Highmark",
    "Molina Healthcare",
    "Oxford Health Plans",
    "UMR",
];

fn practice_name(conn: &mut DbConnection, c: &Client) -> Result<String, AppError> {
    Ok(practice_and_zone(conn, c)?.0)
}

/// [`practice_name`], for a page's header.
async fn practice_of(state: &AppState, c: &OwnedClient) -> Result<String, AppError> {
    let c = c.clone();
    state.db(move |conn| practice_name(conn, &c)).await
}

/// The practice's name as the client sees it, and the zone the client reads times in:
/// their telehealth location's, or else the practice's.
fn practice_and_zone(
    conn: &mut DbConnection,
    c: &Client,
) -> Result<(String, fmt::Local), AppError> {
    let p = provider::find(conn, &ProviderId(c.provider_id.clone()))?;
    Ok(practice_and_zone_of(p.as_ref(), c))
}

/// [`practice_and_zone`] from the practice's row, already read.
fn practice_and_zone_of(p: Option<&provider::Provider>, c: &Client) -> (String, fmt::Local) {
    let practice_zone = p.map(|p| p.zone()).unwrap_or_default();
    (
        p.map(|p| p.practice_display_name()).unwrap_or_default(),
        fmt::Local::for_client(c.zone(practice_zone)),
    )
}

// ---------- the invitation link ----------

#[derive(Template)]
#[template(path = "portal/invite.html")]
struct InvitePage {
    page: PageContext,
    practice: String,
    state: &'static str,
    first_name: String,
    /// The client whose account a parent or guardian sets up through this link.
    for_client: Option<String>,
    token: String,
    error: Option<String>,
}

impl InvitePage {
    /// How long a setup link works, and how soon another may be asked for, as enforced.
    fn valid_days(&self) -> i64 {
        invitation::VALID_DAYS
    }

    fn renew_minutes(&self) -> i64 {
        RENEW_MINUTES
    }
}

/// Whom an invitation's page greets: the person it was sent to, and (when that is a parent
/// or guardian) the client whose account they set up.
#[derive(Default)]
struct Invited {
    first_name: String,
    for_client: Option<String>,
    practice: String,
}

async fn load_invite(state: &AppState, token: String) -> Result<(TokenCheck, Invited), AppError> {
    let now = state.clock.now();
    state
        .db(move |conn| {
            let check = invitation::check(conn, &token, now)?;
            let invited = match &check {
                TokenCheck::Valid(i) | TokenCheck::Used(i) | TokenCheck::Expired(i) => {
                    match unscoped::client(conn, &ClientId(i.client_id.clone()))? {
                        Some(c) => {
                            let practice = practice_name(conn, &c)?;
                            let to_contact = i
                                .recipient_email
                                .as_deref()
                                .is_some_and(|e| e != c.email_normalized);
                            Invited {
                                first_name: match (&i.recipient_name, to_contact) {
                                    (Some(name), true) => {
                                        name.split_whitespace().next().unwrap_or("").to_string()
                                    }
                                    _ => c.first_name.clone(),
                                },
                                for_client: to_contact.then(|| c.first_name.clone()),
                                practice,
                            }
                        }
                        None => Invited::default(),
                    }
                }
                TokenCheck::Unknown => Invited::default(),
            };
            Ok((check, invited))
        })
        .await
}

fn invite_state(check: &TokenCheck) -> &'static str {
    match check {
        TokenCheck::Valid(_) => "valid",
        TokenCheck::Used(_) => "used",
        TokenCheck::Expired(_) => "expired",
        TokenCheck::Unknown => "unknown",
    }
}

async fn invite_page(
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (check, invited) = load_invite(&state, token.clone()).await?;
    let status = if matches!(check, TokenCheck::Unknown) {
        actix_web::http::StatusCode::NOT_FOUND
    } else {
        actix_web::http::StatusCode::OK
    };
    super::render_status(
        status,
        &InvitePage {
            page,
            practice: invited.practice,
            state: invite_state(&check),
            first_name: invited.first_name,
            for_client: invited.for_client,
            token,
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
    #[serde(default)]
    password_again: String,
}

async fn accept_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    path: web::Path<String>,
    ProtectedForm(form): ProtectedForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let problem = passwords::check_strength(&form.password).err().or_else(|| {
        (form.password != form.password_again).then(|| {
            "The two passwords are not the same. Type the same password twice.".to_string()
        })
    });
    if let Some(error) = problem {
        let (check, invited) = load_invite(&state, token.clone()).await?;
        return render(&InvitePage {
            page,
            practice: invited.practice,
            state: invite_state(&check),
            first_name: invited.first_name,
            for_client: invited.for_client,
            token,
            error: Some(error),
        });
    }
    let (ip, now) = (client_ip(&req), state.clock.now());
    let outcome = state
        .db(move |conn| {
            let hash = passwords::hash(&form.password).map_err(AppError::internal)?;
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let acting = services::portal::accept_invitation(conn, &token, &hash, act)?;
            Ok(acting.map(|(account, a)| {
                Who::Portal(
                    a.client.provider_id().clone(),
                    account.id.clone(),
                    a.client.client_id(),
                )
            }))
        })
        .await?;
    match outcome {
        Some(who) => {
            session::sign_in(&state, &req, &session, who).await?;
            session::flash(
                &session,
                "Your account is verified and your password is set.",
            );
            Ok(see_other("/portal"))
        }
        // Used or expired in the meantime: show the page that says so.
        None => Ok(see_other(req.path())),
    }
}

/// An expired or used link asks for a new one; it goes to the address the practice has.
async fn renew_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    path: web::Path<String>,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let public_url = state.config.public_url.clone();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let practice = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            let renewed = services::portal::renew_invitation(conn, &token, &public_url, act)?;
            Ok(renewed.map(|(practice, r)| {
                let state = match r {
                    Renewal::Renewed => "renewed",
                    Renewal::RecentlySent => "recently_sent",
                    Renewal::NoLonger => "no_longer",
                };
                (practice, state)
            }))
        })
        .await?;
    match practice {
        Some((practice, state)) => render(&InvitePage {
            page,
            practice,
            state,
            first_name: String::new(),
            for_client: None,
            token: String::new(),
            error: None,
        }),
        None => Ok(see_other("/portal/login")),
    }
}

// ---------- sign in ----------

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    page: PageContext,
    email: String,
    error: Option<String>,
}

async fn login_form(page: PageContext) -> Result<HttpResponse, AppError> {
    render(&LoginPage {
        page,
        email: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    ProtectedForm(form): ProtectedForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    // Rate limited like providers' sign-ins, keyed apart from them.
    let key = format!("portal:{}", email::normalize(&form.email));
    let email_norm = email::normalize(&form.email);
    let password = form.password.clone();
    let ip = client_ip(&req);
    let now = state.clock.now();
    let outcome = state
        .db(move |conn| {
            let attempt = match failed_login::begin(conn, &key, ip.as_deref(), now)? {
                failed_login::Check::Locked(until) => {
                    return Ok(Err(failed_login::locked_message("failed sign-ins", until, crate::domain::time_zone::Zone::UTC)))
                }
                failed_login::Check::Allowed(attempt) => attempt,
            };
            let accounts: Vec<_> = portal_account::with_email(conn, &email_norm)?
                .into_iter()
                .filter(|a| a.password_hash.is_some())
                .collect();
            // An unknown email costs one hash check too, so timing reveals no account.
            if accounts.is_empty() {
                passwords::verify_dummy(&password);
            }
            let matched = accounts.into_iter().find(|a| a.password_hash.as_deref().is_some_and(|h| passwords::verify(&password, h)));
            let Some(account) = matched else {
                return Ok(Err("That email and password don't match an account. Check both, or use \"Forgot your password?\" below.".into()));
            };
            failed_login::succeeded(conn, attempt)?;
            let acting = portal_account::acting_for(conn, &account)?;
            let Some(first) = acting.first() else {
                return Ok(Err("Your password is right, but your account has no active client record any more. Ask your practice if you expected one.".into()));
            };
            let who = Who::Portal(
                account.provider_id().clone(),
                account.id.clone(),
                first.client.client_id(),
            );
            Ok(Ok((who, acting.len())))
        })
        .await?;
    match outcome {
        Ok((who, clients)) => {
            session::sign_in(&state, &req, &session, who).await?;
            // A parent of two (or a parent who is a client too) picks whom first.
            Ok(see_other(if clients > 1 {
                "/portal/choose"
            } else {
                "/portal"
            }))
        }
        Err(error) => render(&LoginPage {
            page,
            email: form.email,
            error: Some(error),
        }),
    }
}

async fn logout(
    state: web::Data<AppState>,
    session: Session,
    _form: ProtectedForm<EmptyForm>,
) -> Result<HttpResponse, AppError> {
    session::client_sign_out(&state, &session).await?;
    Ok(see_other("/portal/login"))
}

// ---------- whom the account acts for ----------

#[derive(Template)]
#[template(path = "portal/choose.html")]
struct ChoosePage {
    page: PageContext,
    /// The practice's name, in the header.
    practice: String,
    account_name: String,
    /// (client id, name, how: "you" or "parent or guardian", ready, current)
    clients: Vec<(String, String, String, bool, bool)>,
}

/// The clients an account acts for (a parent's children, and themselves if a client).
async fn choose_page(
    state: web::Data<AppState>,
    page: PageContext,
    actor: PortalActor,
) -> Result<HttpResponse, AppError> {
    let account = actor.account.clone();
    let all = state
        .db(move |conn| Ok(portal_account::acting_for(conn, &account)?))
        .await?;
    render(&ChoosePage {
        page,
        practice: practice_of(&state, &actor.acting.client).await?,
        account_name: actor.account.name.clone(),
        clients: all
            .iter()
            .map(|a| {
                (
                    a.client.id.clone(),
                    a.client.full_name(),
                    match &a.as_contact {
                        None => "your own account".to_string(),
                        Some(c) => format!("as their {}", c.relationship().label().to_lowercase()),
                    },
                    can_confirm_appointment(&a.client.onboarding_facts()).is_ok(),
                    a.client.id == actor.acting.client.id,
                )
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct ChooseForm {
    client: String,
}

/// The account acts for another of its clients from now on (if it may).
async fn choose(
    state: web::Data<AppState>,
    session: Session,
    actor: PortalActor,
    ProtectedForm(form): ProtectedForm<ChooseForm>,
) -> Result<HttpResponse, AppError> {
    let token = session::portal_token(&session).ok_or(AppError::PortalSignIn)?;
    let account = actor.account.clone();
    let client = ClientId::parse(&form.client).ok_or(AppError::NotFound)?;
    state
        .db(move |conn| {
            if portal_account::acts_for(conn, &account, &client)?.is_none() {
                return Err(AppError::NotFound);
            }
            Ok(crate::models::sign_in_session::switch_client(
                conn, &token, &client,
            )?)
        })
        .await?;
    Ok(see_other("/portal"))
}

// ---------- the checklist ----------

struct Step {
    title: &'static str,
    done: Option<String>,
    note: Option<String>,
    href: &'static str,
    action: &'static str,
}

#[derive(Template)]
#[template(path = "portal/checklist.html")]
struct ChecklistPage {
    page: PageContext,
    practice: String,
    greeting: String,
    /// The client's first name when someone acts for them.
    about: Option<String>,
    /// The account acts for several clients: offer to switch.
    switch: bool,
    steps: Vec<Step>,
    ready: bool,
    /// Every step is done and only the practice's check of the insurance is left.
    waiting_for_practice: bool,
    /// The client's upcoming sessions, in their own zone.
    upcoming: Vec<super::portal_sessions::UpcomingSession>,
    /// What a session costs them, by service, with the reasoning.
    costs: Vec<super::pricing::ServiceRow>,
    /// The Good Faith Estimates they were given.
    estimates: Vec<super::pricing::EstimateRow>,
    /// They pay privately: they may ask for a Good Faith Estimate.
    self_pay: bool,
}

async fn checklist(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    actor: PortalActor,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let c2 = c.clone();
    let ((practice, local), card, sessions, provider) = state
        .db(move |conn| {
            services::portal::viewed(
                conn,
                &c2,
                Act {
                    ip: ip.as_deref(),
                    now,
                },
            )?;
            let card = payment_method::current(conn, &c2)?;
            let sessions = crate::models::appointment::for_client(conn, &c2)?;
            let provider = provider::find(conn, &ProviderId(c2.provider_id.clone()))?;
            let pricing = match &provider {
                Some(p) => Some((
                    services::pricing::for_client(conn, p, &c2, now)?,
                    crate::models::good_faith::for_client(conn, &c2)?,
                )),
                None => None,
            };
            Ok((
                practice_and_zone_of(provider.as_ref(), &c2),
                card,
                (sessions, pricing),
                provider,
            ))
        })
        .await?;
    let (sessions, pricing) = sessions;
    let (costs, estimates) = match &pricing {
        Some((p, estimates)) => (
            super::pricing::client_rows(p, &sessions),
            estimates
                .iter()
                .map(|g| super::pricing::EstimateRow::of(g, local))
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let facts = c.onboarding_facts();
    let missing = can_confirm_appointment(&facts).err().unwrap_or_default();
    let private = c.billing() == Some(crate::domain::billing::BillingType::PrivatePay);
    let insurance_done = if private {
        Some("You chose to pay privately".to_string())
    } else {
        c.insurance_added_at
            .as_ref()
            .map(|at| match c.insurance_verified_at {
                Some(v) => format!(
                    "Added {}, verified by the practice {}",
                    local.date(at),
                    local.date(&v)
                ),
                None => format!("Added {}; the practice will verify it", local.date(at)),
            })
    };
    let steps = vec![
        Step {
            title: "Verify your account",
            done: c
                .account_verified_at
                .as_ref()
                .map(|t| format!("Done {}", local.date(t))),
            note: None,
            href: "",
            action: "",
        },
        Step {
            title: "Insurance",
            done: insurance_done,
            note: c.insurance_issue.as_ref().map(|r| {
                format!("The practice could not verify your insurance: {r} Please correct it.")
            }),
            href: "/portal/insurance",
            action: if missing.contains(&Missing::Insurance) || c.insurance_issue.is_some() {
                "Add insurance or choose private pay"
            } else {
                "Change"
            },
        },
        Step {
            title: "Form of billing",
            done: card.map(|k| k.describe()),
            note: None,
            href: "/portal/billing",
            action: if missing.contains(&Missing::BillingMethod) {
                "Add a card"
            } else {
                "Replace card"
            },
        },
        Step {
            title: "Billing policy and privacy notice",
            done: c
                .forms_acknowledged_at
                .as_ref()
                .map(|t| format!("Acknowledged {}", local.date(t))),
            note: None,
            href: "/portal/forms",
            action: if missing.contains(&Missing::Forms) {
                "Read and acknowledge"
            } else {
                "Read again"
            },
        },
    ];
    render(&ChecklistPage {
        page,
        practice,
        greeting: match &actor.acting.as_contact {
            Some(contact) => format!(
                "Hello {} — {}'s account",
                contact.first_name(),
                c.first_name
            ),
            None => format!("Hello {}", c.first_name),
        },
        about: about(&actor),
        switch: actor.clients > 1,
        waiting_for_practice: missing == [Missing::InsuranceVerification]
            && steps.iter().all(|s| s.done.is_some() && s.note.is_none()),
        steps,
        ready: missing.is_empty(),
        upcoming: super::portal_sessions::upcoming(&sessions, provider.as_ref(), local, now),
        costs,
        estimates,
        self_pay: private,
    })
}

// ---------- insurance ----------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InsuranceInput {
    billing_type: String,
    insurance_company: String,
    insurance_member_id: String,
    holder_name: String,
    date_of_birth: String,
    holder_date_of_birth: String,
    /// The version of the client's details the form was made from.
    version: i64,
}

impl InsuranceInput {
    /// The client's insurance as it stands.
    fn of(c: &OwnedClient) -> Self {
        InsuranceInput {
            billing_type: c.billing_type.clone(),
            insurance_company: c.insurance_company.clone().unwrap_or_default(),
            insurance_member_id: c.insurance_member_id.clone().unwrap_or_default(),
            holder_name: c
                .insurance_holder_name
                .clone()
                .unwrap_or_else(|| c.full_name()),
            date_of_birth: c
                .date_of_birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            holder_date_of_birth: c
                .insurance_holder_dob
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            version: c.version,
        }
    }
}

#[derive(Template)]
#[template(path = "portal/insurance.html")]
struct InsurancePage {
    page: PageContext,
    /// The practice's name, in the header.
    practice: String,
    input: InsuranceInput,
    errors: FieldErrors,
    payers: &'static [&'static str],
    issue: Option<String>,
    /// The version the form carries.
    version: i64,
    /// The save was refused: the practice changed the details meanwhile.
    stale: bool,
    /// The plan's figures, for the optional "about your plan" form.
    plan: super::pricing::PlanInput,
    plan_errors: Vec<String>,
    months: &'static [(u32, &'static str)],
    /// The client's first name when a parent or guardian fills the form for them.
    about: Option<String>,
}

impl InsurancePage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The client's plan as the portal's form shows it.
async fn plan_input(
    state: &AppState,
    c: &OwnedClient,
) -> Result<super::pricing::PlanInput, AppError> {
    let (client, now) = (c.clone(), state.clock.now());
    let pricing = state
        .db(move |conn| {
            let provider = provider::find(conn, &ProviderId(client.provider_id.clone()))?
                .ok_or(AppError::PortalSignIn)?;
            Ok(services::pricing::for_client(
                conn, &provider, &client, now,
            )?)
        })
        .await?;
    Ok(super::pricing::PlanInput::of(&pricing))
}

async fn insurance_form(
    state: web::Data<AppState>,
    page: PageContext,
    actor: PortalActor,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let about = about(&actor);
    let plan = plan_input(&state, &c).await?;
    let input = InsuranceInput::of(&c);
    render(&InsurancePage {
        page,
        practice: practice_of(&state, &c).await?,
        input,
        errors: FieldErrors::new(),
        payers: COMMON_PAYERS,
        issue: c.insurance_issue.clone(),
        version: c.version,
        stale: false,
        plan,
        plan_errors: Vec::new(),
        months: &super::pricing::MONTHS,
        about,
    })
}

/// The client enters what they know of their plan (every figure optional); the
/// practice's reduced rate, if any, is kept.
async fn save_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    actor: PortalActor,
    ProtectedForm(input): ProtectedForm<super::pricing::PlanInput>,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let about = about(&actor);
    let figures = match super::pricing::parse_plan(&super::pricing::PlanInput {
        reduced_rate: String::new(),
        ..input.clone()
    }) {
        Ok(f) => f,
        Err(plan_errors) => {
            return super::render_status(
                super::form_status(false),
                &InsurancePage {
                    page,
                    practice: practice_of(&state, &c).await?,
                    input: InsuranceInput::of(&c),
                    errors: FieldErrors::new(),
                    payers: COMMON_PAYERS,
                    issue: c.insurance_issue.clone(),
                    version: c.version,
                    stale: false,
                    plan: input,
                    plan_errors,
                    months: &super::pricing::MONTHS,
                    about,
                },
            )
        }
    };
    let (ip, now, client) = (client_ip(&req), state.clock.now(), c.clone());
    let saved = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::pricing::save_plan(
                conn,
                &client,
                &figures,
                input.version,
                services::pricing::EnteredBy::Client,
                act,
            )?)
        })
        .await?;
    session::flash(
        &session,
        if saved {
            "Thank you: your plan's details were saved, and your estimate uses them."
        } else {
            "Nothing was saved: your practice changed your plan's details meanwhile. Here they are as they stand now."
        },
    );
    Ok(see_other(if saved {
        "/portal"
    } else {
        "/portal/insurance"
    }))
}

/// Today's date where the client is (their telehealth location's zone, else the
/// practice's).
async fn client_today(state: &AppState, c: &OwnedClient) -> Result<chrono::NaiveDate, AppError> {
    let (c, now) = (c.clone(), state.clock.now());
    let (_, local) = state.db(move |conn| practice_and_zone(conn, &c)).await?;
    Ok(local.0.date_of(&now))
}

/// Parses the insurance form; shared with the provider's Billing tab.
pub fn parse_insurance(
    company: &str,
    member_id: &str,
    (holder, holder_dob): (&str, &str),
    dob: &str,
    today: chrono::NaiveDate,
) -> Result<InsuranceDetails, FieldErrors> {
    let mut errors = FieldErrors::new();
    let company = match optional_text(company, "insurance company", 200) {
        Ok(Some(c)) => Some(c),
        Ok(None) => {
            errors.insert(
                "insurance_company",
                "Enter the insurance company, as printed on the card.".into(),
            );
            None
        }
        Err(e) => {
            errors.insert("insurance_company", e);
            None
        }
    };
    let member_id = match optional_text(member_id, "member ID", 80) {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            errors.insert(
                "insurance_member_id",
                "Enter the member ID from the card.".into(),
            );
            None
        }
        Err(e) => {
            errors.insert("insurance_member_id", e);
            None
        }
    };
    let holder_name = optional_text(holder, "name on the card", 200)
        .map_err(|e| errors.insert("holder_name", e))
        .ok()
        .flatten();
    let date_of_birth = parse_date_of_birth(dob, today)
        .map_err(|e| errors.insert("date_of_birth", e.to_string()))
        .ok()
        .flatten();
    let holder_date_of_birth = parse_date_of_birth(holder_dob, today)
        .map_err(|e| errors.insert("holder_date_of_birth", e.to_string()))
        .ok()
        .flatten();
    match (company, member_id) {
        (Some(company), Some(member_id)) if errors.is_empty() => Ok(InsuranceDetails {
            company,
            member_id,
            holder_name,
            date_of_birth,
            holder_date_of_birth,
        }),
        _ => Err(errors),
    }
}

async fn save_insurance(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    actor: PortalActor,
    ProtectedForm(input): ProtectedForm<InsuranceInput>,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let by = actor.acting.on_behalf();
    let about = about(&actor);
    let private = input.billing_type == "private_pay";
    let details = if private {
        None
    } else {
        match parse_insurance(
            &input.insurance_company,
            &input.insurance_member_id,
            (&input.holder_name, &input.holder_date_of_birth),
            &input.date_of_birth,
            client_today(&state, &c).await?,
        ) {
            Ok(d) => Some(d),
            Err(errors) => {
                let version = input.version;
                let plan = plan_input(&state, &c).await?;
                return render(&InsurancePage {
                    page,
                    practice: practice_of(&state, &c).await?,
                    input,
                    errors,
                    payers: COMMON_PAYERS,
                    issue: c.insurance_issue.clone(),
                    version,
                    stale: false,
                    plan,
                    plan_errors: Vec::new(),
                    months: &super::pricing::MONTHS,
                    about,
                });
            }
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let version = input.version;
    let issue = c.insurance_issue.clone();
    let plan = plan_input(&state, &c).await?;
    let practice = practice_of(&state, &c).await?;
    let saved = state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            match services::portal::choose_billing(
                conn,
                &c,
                details.as_ref(),
                version,
                by.as_deref(),
                act,
            ) {
                Ok(()) => Ok(None),
                Err(SaveClientError::Stale { current }) => Ok(Some(current.version)),
                Err(SaveClientError::Database(e)) => Err(e.into()),
                Err(_) => Err(AppError::PortalSignIn),
            }
        })
        .await?;
    if let Some(current) = saved {
        // Shown again with what the client typed, now made from the current details.
        return render(&InsurancePage {
            page,
            practice,
            input: InsuranceInput {
                version: current,
                ..input
            },
            errors: FieldErrors::new(),
            payers: COMMON_PAYERS,
            issue,
            version: current,
            stale: true,
            plan,
            plan_errors: Vec::new(),
            months: &super::pricing::MONTHS,
            about,
        });
    }
    session::flash(
        &session,
        if private {
            "Saved: you will pay privately."
        } else {
            "Your insurance details were saved. The practice will verify them."
        },
    );
    Ok(see_other("/portal"))
}

// ---------- form of billing ----------

/// The card form as posted. Like `CardInput`, nothing here may print (no `Debug`).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CardForm {
    pub kind: String,
    pub number: String,
    pub expiry: String,
    pub cvc: String,
    pub zip: String,
}

#[derive(Template)]
#[template(path = "portal/billing.html")]
struct BillingPage {
    page: PageContext,
    /// The practice's name, in the header.
    practice: String,
    kind: String,
    expiry: String,
    zip: String,
    errors: FieldErrors,
    current: Option<String>,
}

impl BillingPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The client's card on file, described.
async fn card_on_file(
    state: &AppState,
    c: &OwnedClient,
) -> Result<Option<payment_method::PaymentMethod>, AppError> {
    let c = c.clone();
    state
        .db(move |conn| Ok(payment_method::current(conn, &c)?))
        .await
}

async fn billing_form(
    state: web::Data<AppState>,
    page: PageContext,
    CurrentClient(c): CurrentClient,
) -> Result<HttpResponse, AppError> {
    let current = card_on_file(&state, &c).await?;
    render(&BillingPage {
        page,
        practice: practice_of(&state, &c).await?,
        kind: "card".into(),
        expiry: String::new(),
        zip: String::new(),
        errors: FieldErrors::new(),
        current: current.map(|k| k.describe()),
    })
}

/// Checks a card through the payment processor; on failure, a message per field. The
/// number and CVC are never kept, echoed back or logged.
pub fn process_card(
    form: &CardForm,
    today: chrono::NaiveDate,
) -> Result<crate::domain::payment::StoredCard, FieldErrors> {
    let kind = PaymentKind::parse(&form.kind).unwrap_or(PaymentKind::Card);
    let input = CardInput {
        kind,
        number: &form.number,
        expiry: &form.expiry,
        cvc: &form.cvc,
        zip: &form.zip,
    };
    BuiltInProcessor.store(&input, today).map_err(|e| {
        let mut errors = FieldErrors::new();
        for p in crate::domain::payment::problems(&input, today) {
            errors.entry(p.field()).or_insert_with(|| p.to_string());
        }
        errors.entry(e.field()).or_insert_with(|| e.to_string());
        errors
    })
}

async fn save_billing(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    actor: PortalActor,
    ProtectedForm(form): ProtectedForm<CardForm>,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let by = actor.acting.on_behalf();
    let card = match process_card(&form, client_today(&state, &c).await?) {
        Ok(card) => card,
        Err(errors) => {
            let current = card_on_file(&state, &c).await?;
            return render(&BillingPage {
                page,
                practice: practice_of(&state, &c).await?,
                kind: form.kind,
                expiry: form.expiry,
                zip: form.zip,
                errors,
                current: current.map(|k| k.describe()),
            });
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let described = card.describe();
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::onboarding::add_card(
                conn,
                &c,
                &card,
                AddedBy::Portal(by),
                act,
            )?)
        })
        .await?;
    session::flash(&session, format!("Saved: {described}."));
    Ok(see_other("/portal"))
}

// ---------- practice forms ----------

#[derive(Template)]
#[template(path = "portal/forms.html")]
struct FormsPage {
    page: PageContext,
    practice: String,
    forms: Vec<(&'static str, PracticeForm)>,
    typed_name: String,
    expected_name: String,
    error: Option<String>,
    acknowledged: Option<String>,
    /// The client's first name when someone acts for them.
    about: Option<String>,
}

/// The practice's forms, with its name and the client's zone (see `practice_and_zone`).
async fn load_forms(
    state: &AppState,
    c: &OwnedClient,
) -> Result<(String, fmt::Local, Vec<(&'static str, PracticeForm)>), AppError> {
    let c = c.clone();
    state
        .db(move |conn| {
            let forms = practice_form::current(conn, c.scope())?;
            let titled = forms
                .into_iter()
                .map(|f| (f.kind().map(FormKind::title).unwrap_or("Form"), f))
                .collect();
            let (practice, local) = practice_and_zone(conn, &c)?;
            Ok((practice, local, titled))
        })
        .await
}

async fn forms_page(
    state: web::Data<AppState>,
    page: PageContext,
    actor: PortalActor,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let (practice, local, forms) = load_forms(&state, &c).await?;
    render(&FormsPage {
        page,
        practice,
        forms,
        typed_name: String::new(),
        expected_name: signer_name(&actor),
        error: None,
        acknowledged: c.forms_acknowledged_at.as_ref().map(|t| local.datetime(t)),
        about: about(&actor),
    })
}

#[derive(Deserialize)]
struct AcknowledgeForm {
    typed_name: String,
    /// The ids of the versions shown, so a text edited meanwhile is not acknowledged unseen.
    #[serde(default)]
    form_ids: Vec<String>,
}

/// Who signs the forms: the client, or the person acting for them (their own name).
fn signer_name(actor: &PortalActor) -> String {
    match &actor.acting.as_contact {
        Some(contact) => contact.name.clone(),
        None => actor.acting.client.full_name(),
    }
}

/// The client's first name when someone else acts for them (the forms say "Grace's").
fn about(actor: &PortalActor) -> Option<String> {
    actor
        .acting
        .as_contact
        .as_ref()
        .map(|_| actor.acting.client.first_name.clone())
}

/// Names agree when they match ignoring case, accents and extra spaces.
fn same_name(typed: &str, expected: &str) -> bool {
    use crate::domain::search_key::search_key;
    search_key(typed) == search_key(expected)
}

async fn acknowledge_forms(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    session: Session,
    actor: PortalActor,
    ProtectedForm(form): ProtectedForm<AcknowledgeForm>,
) -> Result<HttpResponse, AppError> {
    let c = actor.acting.client.clone();
    let by = actor.acting.on_behalf();
    let signer = signer_name(&actor);
    let (practice, local, forms) = load_forms(&state, &c).await?;
    let shown: Vec<&str> = forms.iter().map(|(_, f)| f.id.as_str()).collect();
    let typed = PersonName::parse(&form.typed_name, "full name").map(PersonName::into_string);
    let error = match &typed {
        Err(e) => Some(e.clone()),
        Ok(t) if !same_name(t, &signer) => Some(format!("Type your full name as the practice has it: {signer}.")),
        Ok(_) if shown.iter().any(|id| !form.form_ids.iter().any(|f| f == id)) => {
            Some("The practice updated a form while you were reading. Please read the current text below and acknowledge again.".into())
        }
        Ok(_) => None,
    };
    if let Some(error) = error {
        return render(&FormsPage {
            page,
            practice,
            forms,
            typed_name: form.typed_name,
            expected_name: signer,
            error: Some(error),
            acknowledged: c.forms_acknowledged_at.as_ref().map(|t| local.datetime(t)),
            about: about(&actor),
        });
    }
    let typed = typed.unwrap_or_default();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let forms: Vec<PracticeForm> = forms.into_iter().map(|(_, f)| f).collect();
    state
        .db(move |conn| {
            let act = Act {
                ip: ip.as_deref(),
                now,
            };
            Ok(services::portal::acknowledge_forms(
                conn,
                &c,
                &forms,
                &typed,
                by.as_deref(),
                act,
            )?)
        })
        .await?;
    session::flash(
        &session,
        "Thank you: the billing policy and privacy notice are acknowledged.",
    );
    Ok(see_other("/portal"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_posted_card_form_cannot_be_printed() {
        assert_eq!(printable!(super::CardForm), (false, false));
    }
}
