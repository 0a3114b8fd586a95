//! The Pricing section of a client's Billing tab (and the client's own view of it): what
//! each service will cost this client and why, what that rests on, and the next sessions'
//! costs as the deductible is met — counting the sessions confirmed since the plan's
//! figures were entered, within the current plan year.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::appointments;
use crate::db::DbConnection;
use crate::domain::appointment::Status;
use crate::domain::billing::BillingType;
use crate::domain::estimate::{self, Basis, Coverage, Estimate, Priced};
use crate::models::pricing::{self, Allowed, Plan};
use crate::models::provider::Provider;
use crate::models::scope::{Owned, OwnedClient};
use crate::models::service::{self, Service};

/// One service's estimate for this client.
pub struct ServiceEstimate {
    pub service: Service,
    pub estimate: Estimate,
    /// The allowed amount it used, when insured and entered.
    pub allowed: Option<Allowed>,
}

/// One upcoming session's estimate, in order.
pub struct UpcomingEstimate {
    pub starts_at: Option<NaiveDateTime>,
    pub cpt_code: String,
    pub estimate: Estimate,
}

pub struct Pricing {
    pub billing: Option<BillingType>,
    pub payer: Option<String>,
    /// The plan as entered, if it was.
    pub plan: Option<Plan>,
    /// The plan as it stands today (what was met, counted down).
    pub today: Coverage,
    pub year_start: NaiveDate,
    /// Confirmed sessions counted since the figures were entered.
    pub counted: usize,
    pub services: Vec<ServiceEstimate>,
    /// The next sessions (scheduled, else a projection of weekly sessions of the usual
    /// service), each counting toward the ones after.
    pub upcoming: Vec<UpcomingEstimate>,
    /// Whether `upcoming` is a projection (no sessions are scheduled).
    pub projected: bool,
}

/// What a session of a code is priced from, for this client.
struct Prices<'a> {
    amounts: &'a HashMap<(String, String), Allowed>,
    offered: &'a [Owned<Service>],
    payer_key: Option<String>,
    payer_name: &'a str,
}

impl<'a> Prices<'a> {
    fn allowed(&self, code: &str) -> Option<Allowed> {
        let key = self.payer_key.clone()?;
        self.amounts.get(&(key, code.to_string())).cloned()
    }

    fn priced<'b>(&'b self, code: &'b str) -> Priced<'b> {
        Priced {
            cpt_code: code,
            allowed: self.allowed(code).map(|a| a.cents),
            fee: self
                .offered
                .iter()
                .find(|s| s.cpt_code == code)
                .and_then(|s| s.rate_cents),
            payer: self.payer_name,
        }
    }
}

/// How many sessions the count-down shows.
const UPCOMING: usize = 10;

/// What every estimate for this client rests on today: the rates, their plan as it
/// stands (counted down), and the basis the estimate reads.
struct Standing {
    amounts: HashMap<(String, String), Allowed>,
    offered: Vec<Owned<Service>>,
    payer: Option<String>,
    payer_name: String,
    plan: Option<Plan>,
    coverage_today: Coverage,
    year_start: NaiveDate,
    /// The month and day each plan year starts on.
    plan_year: (u32, u32),
    counted: usize,
    basis: Basis,
}

impl Standing {
    fn prices(&self) -> Prices<'_> {
        Prices {
            amounts: &self.amounts,
            offered: &self.offered,
            payer_key: self.payer.as_deref().map(pricing::payer_key),
            payer_name: &self.payer_name,
        }
    }
}

/// `offered` are the provider's services the estimates are of.
fn standing(
    conn: &mut DbConnection,
    (provider, offered): (&Provider, Vec<Owned<Service>>),
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<Standing> {
    let scope = client.scope();
    let today = provider.zone().date_of(&now);
    let plan = pricing::plan_of(conn, client)?;
    let payer = client
        .insurance_company
        .clone()
        .filter(|p| !p.trim().is_empty());
    let mut st = Standing {
        amounts: pricing::allowed_amounts(conn, scope)?,
        offered,
        payer_name: payer
            .clone()
            .unwrap_or_else(|| "the client's insurance".into()),
        payer,
        plan: None,
        coverage_today: Coverage {
            in_network: true,
            ..Default::default()
        },
        year_start: today,
        plan_year: (1, 1),
        counted: 0,
        basis: Basis::PrivatePay { reduced: None },
    };
    let (month, day) = plan
        .as_ref()
        .map(|p| (p.plan_year_month, p.plan_year_day))
        .unwrap_or((1, 1));
    st.plan_year = (
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    );
    st.year_start = estimate::plan_year_start(today, st.plan_year.0, st.plan_year.1);
    if let Some(p) = &plan {
        // Sessions confirmed since the figures were entered, of this plan year (a session
        // of the year before, confirmed after the new one began, counts toward neither).
        let entered_on = provider.zone().date_of(&p.entered_at);
        let year_began = provider
            .zone()
            .to_utc(st.year_start.and_time(chrono::NaiveTime::MIN))
            .0;
        let codes: Vec<Option<String>> = scope
            .appointments()
            .filter(appointments::client_id.eq(client.id.as_str()))
            .filter(appointments::status.eq(Status::Confirmed.as_str()))
            .filter(appointments::confirmed_at.gt(p.entered_at))
            .filter(appointments::starts_at.ge(year_began))
            .order(appointments::starts_at)
            .select(appointments::cpt_code)
            .load(conn)?;
        let codes: Vec<String> = codes.into_iter().flatten().collect();
        st.counted = codes.len();
        let prices = st.prices();
        let sessions: Vec<Priced<'_>> = codes.iter().map(|c| prices.priced(c)).collect();
        st.coverage_today =
            estimate::as_of_today(&p.coverage(), entered_on, st.year_start, &sessions);
    }
    st.basis = match client.billing() {
        Some(BillingType::PrivatePay) => Basis::PrivatePay {
            reduced: plan.as_ref().and_then(|p| p.reduced_rate_cents),
        },
        _ => Basis::Insurance(st.coverage_today.clone()),
    };
    st.plan = plan;
    Ok(st)
}

/// The estimate of one session of `service_id` today for this client, when their billing
/// type is set and the estimate says something (a rate or a plan to go on).
pub fn for_session(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    service_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Option<Estimate>> {
    for_session_at(conn, provider, client, (service_id, now), now)
}

/// [`for_session`] for a session starting at `starts_at`: one in a later plan year than
/// today's starts from nothing met.
pub fn for_session_at(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    (service_id, starts_at): (Option<&str>, NaiveDateTime),
    now: NaiveDateTime,
) -> QueryResult<Option<Estimate>> {
    if client.billing().is_none() {
        return Ok(None);
    }
    // A plain read: the reminder sweep asks this for each reminder it queues.
    let active = service::active(conn, client.scope())?;
    let st = standing(conn, (provider, active), client, now)?;
    let Some(code) = service_id
        .and_then(|id| st.offered.iter().find(|s| s.id == id))
        .map(|s| s.cpt_code.clone())
    else {
        return Ok(None);
    };
    let on = provider.zone().date_of(&starts_at);
    let prices = st.prices();
    let e = estimate::count_down_dated(
        &st.basis,
        st.plan_year,
        st.year_start,
        &[(on, prices.priced(&code))],
    )
    .pop();
    Ok(e.filter(|e| !e.is_unknown()))
}

pub fn for_client(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<Pricing> {
    let scope = client.scope();
    let offered = service::offered(conn, scope, now)?;
    let st = standing(conn, (provider, offered), client, now)?;
    let prices = st.prices();
    let basis = st.basis.clone();
    let offered = &st.offered;

    let insured = matches!(basis, Basis::Insurance(_));
    let services: Vec<ServiceEstimate> = offered
        .iter()
        .map(|s| ServiceEstimate {
            estimate: estimate::estimate(&basis, prices.priced(&s.cpt_code)),
            allowed: if insured {
                prices.allowed(&s.cpt_code)
            } else {
                None
            },
            service: (**s).clone(),
        })
        .collect();
    // The next sessions: those scheduled, else weekly sessions of the usual service.
    let ahead: Vec<(NaiveDateTime, Option<String>)> = scope
        .appointments()
        .filter(appointments::client_id.eq(client.id.as_str()))
        .filter(appointments::status.eq(Status::Scheduled.as_str()))
        .filter(appointments::starts_at.gt(now))
        .order(appointments::starts_at)
        .limit(UPCOMING as i64)
        .select((appointments::starts_at, appointments::service_id))
        .load(conn)?;
    let code_of_service = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| offered.iter().find(|s| &s.id == id))
            .map(|s| s.cpt_code.clone())
            .unwrap_or_else(|| "90834".into())
    };
    let projected = ahead.is_empty();
    let planned: Vec<(Option<NaiveDateTime>, String)> = if projected {
        vec![(None, "90834".to_string()); UPCOMING]
    } else {
        ahead
            .iter()
            .map(|(at, service)| (Some(*at), code_of_service(service)))
            .collect()
    };
    // A projection's sessions are a week apart from next week.
    let today = provider.zone().date_of(&now);
    let sessions: Vec<(NaiveDate, Priced<'_>)> = planned
        .iter()
        .zip(1..)
        .map(|((at, c), week)| {
            let on = at.map_or(today + chrono::Duration::weeks(week), |at| {
                provider.zone().date_of(&at)
            });
            (on, prices.priced(c))
        })
        .collect();
    let upcoming = estimate::count_down_dated(&basis, st.plan_year, st.year_start, &sessions)
        .into_iter()
        .zip(&planned)
        .map(|(e, (at, code))| UpcomingEstimate {
            starts_at: *at,
            cpt_code: code.clone(),
            estimate: e,
        })
        .collect();
    Ok(Pricing {
        billing: client.billing(),
        payer: st.payer.clone(),
        plan: st.plan.clone(),
        today: st.coverage_today.clone(),
        year_start: st.year_start,
        counted: st.counted,
        services,
        upcoming,
        projected,
    })
}

/// Who entered a plan's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnteredBy {
    Provider,
    /// From their portal: the practice's reduced rate, theirs to set, is kept.
    Client,
}

/// Saves the client's plan figures, made from the plan at `expected_version` (0: none
/// yet), and records the change in the client's audit trail as whoever entered it;
/// `false`, with nothing saved, when it changed meanwhile.
pub fn save_plan(
    conn: &mut DbConnection,
    client: &OwnedClient,
    figures: &crate::models::pricing::PlanFigures,
    expected_version: i64,
    by: EnteredBy,
    act: super::Act<'_>,
) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let mut figures = figures.clone();
        if by == EnteredBy::Client {
            let current = pricing::plan_of(conn, client)?;
            figures.reduced_rate_cents = current.as_ref().and_then(|p| p.reduced_rate_cents);
            figures.reduced_rate_reason = current.and_then(|p| p.reduced_rate_reason);
        }
        if !pricing::save_plan(conn, client, &figures, expected_version, act.now)? {
            return Ok(false);
        }
        let action = match by {
            EnteredBy::Client => crate::models::audit::AuditAction::PortalPlanEntered,
            EnteredBy::Provider => crate::models::audit::AuditAction::ClientUpdated,
        };
        super::record(conn, client, action, Some("plan"), act)?;
        Ok(true)
    })
}
