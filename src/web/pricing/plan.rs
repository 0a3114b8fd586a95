//! A client's plan (Billing tab) and the Pricing section drawn from it: each service's
//! estimate with its reasoning and what it rests on, and a chart of the next sessions'
//! costs as the deductible is met (server-rendered SVG, the numbers in a table beside it).

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::domain::billing::BillingType;
use crate::domain::estimate::Coverage;
use crate::domain::money::{dollars, parse_dollars};
use crate::error::AppError;
use crate::models::pricing::PlanFigures;
use crate::models::scope::OwnedClient;
use crate::services::pricing::Pricing;
use crate::services::{self, Act};
use crate::web::session::{self, ProtectedForm};
use crate::web::{client_ip, fmt, see_other, AppState, CurrentProvider};

/// One service's estimate as shown.
pub struct ServiceRow {
    pub label: String,
    pub amount: String,
    pub reasoning: String,
    pub missing: Option<String>,
    /// What it rests on ("allowed amount $120.00 from Aetna's fee schedule, entered …").
    pub rests_on: Option<String>,
}

/// One bar of the count-down chart, laid out in the SVG's units.
pub struct Bar {
    pub x: i32,
    pub y: i32,
    pub height: i32,
    pub label: String,
    pub amount: String,
    /// The amount written above the bar, in whole dollars ("$24", "$24–120").
    pub value: String,
    /// The top of a range, drawn lighter, when the figure is a range.
    pub range_y: Option<i32>,
}

pub const CHART_HEIGHT: i32 = 120;

/// Room above the tallest bar for its amount.
const CHART_TOP: i32 = 14;

/// Whole dollars, rounded, without the sign: "24" for 2,450 cents, "1,950" for 195,000.
fn whole_dollars(cents: i32) -> String {
    let rounded = (i64::from(cents) + 50).div_euclid(100) * 100;
    let written = crate::domain::money::dollars(rounded);
    written
        .trim_start_matches('$')
        .trim_end_matches(".00")
        .to_string()
}

/// A bar's amount, short enough to stand above it: "$24", or "$24–120" for a range.
fn bar_value(e: &crate::domain::estimate::Estimate) -> String {
    if e.is_unknown() {
        "?".to_string()
    } else if e.is_exact() {
        format!("${}", whole_dollars(e.low))
    } else {
        format!("${}–{}", whole_dollars(e.low), whole_dollars(e.high))
    }
}

pub const MONTHS: [(u32, &str); 12] = [
    (1, "January"),
    (2, "February"),
    (3, "March"),
    (4, "April"),
    (5, "May"),
    (6, "June"),
    (7, "July"),
    (8, "August"),
    (9, "September"),
    (10, "October"),
    (11, "November"),
    (12, "December"),
];
const BAR_STEP: i32 = 36;

/// The plan form's values as typed (or as saved).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PlanInput {
    pub copay: String,
    pub coinsurance: String,
    pub deductible: String,
    pub deductible_met: String,
    pub oop_max: String,
    pub oop_met: String,
    pub plan_year_month: String,
    pub plan_year_day: String,
    /// "in" or "out".
    pub network: String,
    pub reduced_rate: String,
    pub reduced_reason: String,
    pub version: i64,
}

/// The Pricing section and the plan form, as the Billing tab shows them.
pub struct PricingView {
    pub private_pay: bool,
    pub billing_set: bool,
    pub payer: Option<String>,
    pub rows: Vec<ServiceRow>,
    /// "Deductible met: $950.00 of $1,000.00 …", each line.
    pub standing: Vec<String>,
    pub entered: Option<String>,
    pub bars: Vec<Bar>,
    pub chart_width: i32,
    pub chart_height: i32,
    pub months: &'static [(u32, &'static str)],
    /// The table beside the chart: (session, amount, reasoning).
    pub upcoming: Vec<(String, String, String)>,
    pub projected: bool,
    pub input: PlanInput,
    pub errors: Vec<String>,
}

fn money_text(cents: Option<i32>) -> String {
    cents
        .map(|c| dollars(c).trim_start_matches('$').to_string())
        .unwrap_or_default()
}

fn of_amount(met: Option<i32>, total: Option<i32>) -> String {
    match (met, total) {
        (Some(m), Some(t)) => format!("{} of {}", dollars(m), dollars(t)),
        (None, Some(t)) => format!("unknown, of {}", dollars(t)),
        (Some(m), None) => format!("{} (the total is not entered)", dollars(m)),
        (None, None) => "not entered".into(),
    }
}

impl PricingView {
    pub fn of(
        p: &Pricing,
        local: fmt::Local,
        input: Option<PlanInput>,
        errors: Vec<String>,
    ) -> Self {
        let private_pay = p.billing == Some(BillingType::PrivatePay);
        let rows = p
            .services
            .iter()
            .map(|s| ServiceRow {
                label: s.service.label(),
                amount: s.estimate.amount(),
                reasoning: s.estimate.reasoning.clone(),
                missing: s.estimate.missing.clone(),
                rests_on: match (&s.allowed, private_pay) {
                    (Some(a), false) => Some(format!(
                        "allowed amount {} from {}'s fee schedule, entered {}",
                        dollars(a.cents),
                        p.payer.clone().unwrap_or_default(),
                        local.date(&a.updated_at)
                    )),
                    (_, true) => match (&p.plan, s.service.rate_cents, s.service.rate_updated_at) {
                        (Some(plan), _, _) if plan.reduced_rate_cents.is_some() => Some(format!(
                            "reduced rate ({}), entered {}",
                            plan.reduced_rate_reason.clone().unwrap_or_default(),
                            local.date(&plan.entered_at)
                        )),
                        (_, Some(rate), Some(at)) => Some(format!(
                            "practice's rate of {} for {}, set {}",
                            dollars(rate),
                            s.service.cpt_code,
                            local.date(&at)
                        )),
                        _ => None,
                    },
                    _ => None,
                },
            })
            .collect();
        let t = &p.today;
        let mut standing = Vec::new();
        if !private_pay {
            if let Some(c) = t.copay {
                standing.push(format!("Copay: {} per session", dollars(c)));
            }
            if let Some(pct) = t.coinsurance_pct {
                standing.push(format!("Coinsurance: {pct}%"));
            }
            standing.push(format!(
                "Deductible met: {}",
                of_amount(t.deductible_met, t.deductible)
            ));
            standing.push(format!(
                "Out-of-pocket maximum met: {}",
                of_amount(t.oop_met, t.oop_max)
            ));
            standing.push(format!(
                "Plan year from {} · {}",
                fmt::date(&p.year_start),
                if t.in_network {
                    "in network"
                } else {
                    "out of network"
                }
            ));
        }
        let entered = p.plan.as_ref().map(|plan| {
            let counted = match p.counted {
                0 => String::new(),
                n => format!(
                    ", plus {n} confirmed {} since",
                    crate::domain::plural::plural(n, "session", "sessions")
                ),
            };
            format!("Entered {}{counted}.", local.datetime(&plan.entered_at))
        });
        let max = p
            .upcoming
            .iter()
            .map(|u| u.estimate.high)
            .max()
            .unwrap_or(0)
            .max(1);
        let scale =
            |cents: i32| (i64::from(cents) * i64::from(CHART_HEIGHT) / i64::from(max)) as i32;
        let label_of = |i: usize, u: &crate::services::pricing::UpcomingEstimate| match u.starts_at
        {
            Some(at) => local.0.local(&at).format("%b %-d").to_string(),
            None => format!("#{}", i + 1),
        };
        let bars = p
            .upcoming
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let h = scale(u.estimate.low);
                Bar {
                    x: i as i32 * BAR_STEP + 4,
                    y: CHART_TOP + CHART_HEIGHT - h,
                    height: h,
                    label: label_of(i, u),
                    amount: u.estimate.amount(),
                    value: bar_value(&u.estimate),
                    range_y: (!u.estimate.is_exact())
                        .then(|| CHART_TOP + CHART_HEIGHT - scale(u.estimate.high)),
                }
            })
            .collect();
        let upcoming = p
            .upcoming
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let when = match u.starts_at {
                    Some(at) => format!("{} ({})", local.datetime(&at), u.cpt_code),
                    None => format!("Session {} ({})", i + 1, u.cpt_code),
                };
                (when, u.estimate.amount(), u.estimate.reasoning.clone())
            })
            .collect();
        let input = input.unwrap_or_else(|| PlanInput::of(p));
        PricingView {
            private_pay,
            billing_set: p.billing.is_some(),
            payer: p.payer.clone(),
            rows,
            standing,
            entered,
            chart_width: (p.upcoming.len() as i32) * BAR_STEP + 8,
            // The bars' base line, below the room for their amounts.
            chart_height: CHART_TOP + CHART_HEIGHT,
            months: &MONTHS,
            bars,
            upcoming,
            projected: p.projected,
            input,
            errors,
        }
    }
}

impl PlanInput {
    /// The plan's figures as the forms show them (as they stand today, for the amounts
    /// met), or the defaults when there is none.
    pub fn of(p: &Pricing) -> Self {
        match &p.plan {
            Some(plan) => PlanInput {
                copay: money_text(plan.copay_cents),
                coinsurance: plan
                    .coinsurance_pct
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                deductible: money_text(plan.deductible_cents),
                deductible_met: money_text(p.today.deductible_met),
                oop_max: money_text(plan.oop_max_cents),
                oop_met: money_text(p.today.oop_met),
                plan_year_month: plan.plan_year_month.to_string(),
                plan_year_day: plan.plan_year_day.to_string(),
                network: if plan.in_network { "in" } else { "out" }.into(),
                reduced_rate: money_text(plan.reduced_rate_cents),
                reduced_reason: plan.reduced_rate_reason.clone().unwrap_or_default(),
                version: plan.version,
            },
            None => PlanInput {
                plan_year_month: "1".into(),
                plan_year_day: "1".into(),
                network: "in".into(),
                ..Default::default()
            },
        }
    }
}

/// The client's own view of their estimate: the services of their sessions (or, before
/// any, the usual intake and psychotherapy codes), once their billing type is set.
pub fn client_rows(
    p: &Pricing,
    sessions: &[crate::models::appointment::Appointment],
) -> Vec<ServiceRow> {
    if p.billing.is_none() {
        return Vec::new();
    }
    let theirs: Vec<&str> = sessions
        .iter()
        .filter_map(|a| a.service_id.as_deref())
        .collect();
    let shown = |s: &crate::models::service::Service| {
        if theirs.is_empty() {
            ["90791", "90834", "90837"].contains(&s.cpt_code.as_str())
        } else {
            theirs.contains(&s.id.as_str())
        }
    };
    p.services
        .iter()
        .filter(|s| shown(&s.service))
        .map(|s| ServiceRow {
            label: s.service.name.clone(),
            amount: s.estimate.amount(),
            reasoning: s.estimate.reasoning.clone(),
            // What to enter is the practice's to do; the client reads that it is an estimate.
            missing: None,
            rests_on: None,
        })
        .collect()
}

/// The plan's figures from the form; each unreadable one is named.
pub fn parse_plan(input: &PlanInput) -> Result<PlanFigures, Vec<String>> {
    let mut errors = Vec::new();
    let mut amount = |raw: &str, what: &str| match raw.trim() {
        "" => None,
        typed => parse_dollars(typed, super::MAX_CENTS * 10)
            .map_err(|e| errors.push(format!("{what}: {e}")))
            .ok(),
    };
    let copay = amount(&input.copay, "Copay");
    let deductible = amount(&input.deductible, "Deductible");
    let deductible_met = amount(&input.deductible_met, "Deductible met so far");
    let oop_max = amount(&input.oop_max, "Out-of-pocket maximum");
    let oop_met = amount(&input.oop_met, "Out-of-pocket met so far");
    let reduced = amount(&input.reduced_rate, "Reduced rate");
    let coinsurance = match input.coinsurance.trim().trim_end_matches('%') {
        "" => None,
        typed => match typed.trim().parse::<i32>() {
            Ok(p) if (0..=100).contains(&p) => Some(p),
            _ => {
                errors.push(
                    "Coinsurance: enter a whole percentage from 0 to 100, for example 20.".into(),
                );
                None
            }
        },
    };
    let month = input
        .plan_year_month
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m));
    let day = input
        .plan_year_day
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=31).contains(d));
    let (Some(month), Some(day)) = (month, day) else {
        errors.push("Plan year starts: choose a month and enter a day from 1 to 31.".into());
        return Err(errors);
    };
    if chrono::NaiveDate::from_ymd_opt(2028, month, day).is_none() {
        errors.push(format!("Plan year starts: month {month} has no day {day}."));
    }
    if let (Some(met), Some(total)) = (deductible_met, deductible) {
        if met > total {
            errors.push("Deductible met so far: it cannot be more than the deductible.".into());
        }
    }
    if let (Some(met), Some(total)) = (oop_met, oop_max) {
        if met > total {
            errors.push("Out-of-pocket met so far: it cannot be more than the maximum.".into());
        }
    }
    let reason = input.reduced_reason.trim();
    if reduced.is_some() && reason.is_empty() {
        errors.push("Reduced rate: say why (for example \"sliding scale, income\"), so the record explains it.".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PlanFigures {
        coverage: Coverage {
            copay,
            coinsurance_pct: coinsurance,
            deductible,
            deductible_met,
            oop_max,
            oop_met,
            in_network: input.network != "out",
        },
        plan_year_month: month as i32,
        plan_year_day: day as i32,
        reduced_rate_cents: reduced,
        reduced_rate_reason: reduced.map(|_| reason.chars().take(300).collect()),
    })
}

pub(super) async fn save_plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: CurrentProvider,
    page: crate::web::PageContext,
    session: Session,
    c: OwnedClient,
    ProtectedForm(input): ProtectedForm<PlanInput>,
) -> Result<HttpResponse, AppError> {
    let figures = match parse_plan(&input) {
        Ok(f) => f,
        Err(errors) => {
            return crate::web::clients::billing_page(
                &req,
                &state,
                &provider,
                page,
                &c,
                Some((input, errors)),
            )
            .await
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let client = c.clone();
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
                services::pricing::EnteredBy::Provider,
                act,
            )?)
        })
        .await?;
    session::flash(
        &session,
        if saved {
            "The plan was saved. The estimate below uses it."
        } else {
            "Nothing was saved: the plan was changed meanwhile (in another tab). Here it is as it stands; enter your figures again."
        },
    );
    Ok(see_other(&format!("/clients/{}/billing#pricing", c.id)))
}
