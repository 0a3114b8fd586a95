//! What sessions cost: the practice's private-pay rate per service, the allowed amount per
//! insurance company and CPT code (Settings → Rates), and each client's plan (Billing tab).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{OwnedClient, Scope};
use crate::db::schema::{client_plans, clients, payer_rates, services};
use crate::db::{write_transaction, DbConnection};
use crate::domain::estimate::Coverage;

/// How payer names are matched: "Blue Shield  of CA" and "blue shield of ca" are one.
pub fn payer_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One allowed amount as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub cents: i32,
    pub updated_at: NaiveDateTime,
}

/// The provider's allowed amounts, by (payer key, CPT code).
pub fn allowed_amounts(
    conn: &mut DbConnection,
    scope: &Scope,
) -> QueryResult<HashMap<(String, String), Allowed>> {
    let rows: Vec<(String, String, i32, NaiveDateTime)> = scope
        .payer_rates()
        .select((
            payer_rates::payer_key,
            payer_rates::cpt_code,
            payer_rates::allowed_cents,
            payer_rates::updated_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(payer, code, cents, updated_at)| ((payer, code), Allowed { cents, updated_at }))
        .collect())
}

/// The insurance companies the provider works with: those their clients name, and those
/// they already entered amounts for, each once (as first written), by name.
pub fn payers(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<String>> {
    let mut named: Vec<String> = scope
        .clients()
        .filter(clients::insurance_company.is_not_null())
        .select(clients::insurance_company.assume_not_null())
        .distinct()
        .load(conn)?;
    named.extend(
        scope
            .payer_rates()
            .select(payer_rates::payer_name)
            .distinct()
            .load::<String>(conn)?,
    );
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = named
        .into_iter()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty() && seen.insert(payer_key(n)))
        .collect();
    out.sort_by_key(|n| payer_key(n));
    Ok(out)
}

/// Settings → Rates as saved: each service's rate, and each (payer, code) amount (`None`
/// removes it).
pub struct RateSheet {
    pub service_rates: Vec<(String, Option<i32>)>,
    pub allowed: Vec<(String, String, Option<i32>)>,
}

/// Saves the whole sheet in one transaction. An amount left as it was keeps its date.
pub fn save_rates(
    conn: &mut DbConnection,
    scope: &Scope,
    sheet: &RateSheet,
    now: NaiveDateTime,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        let rates: HashMap<String, Option<i32>> = scope
            .services()
            .select((services::id, services::rate_cents))
            .load::<(String, Option<i32>)>(conn)?
            .into_iter()
            .collect();
        for (id, rate) in &sheet.service_rates {
            // A rate left as it was keeps its date.
            if rates.get(id) == Some(rate) {
                continue;
            }
            diesel::update(scope.services().filter(services::id.eq(id)))
                .set((
                    services::rate_cents.eq(rate),
                    services::rate_updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        let current = allowed_amounts(conn, scope)?;
        for (payer, code, cents) in &sheet.allowed {
            let key = payer_key(payer);
            let existing = current.get(&(key.clone(), code.clone())).map(|a| a.cents);
            if existing == *cents {
                continue;
            }
            diesel::delete(
                scope
                    .payer_rates()
                    .filter(payer_rates::payer_key.eq(&key))
                    .filter(payer_rates::cpt_code.eq(code)),
            )
            .execute(conn)?;
            if let Some(cents) = cents {
                diesel::insert_into(payer_rates::table)
                    .values((
                        payer_rates::provider_id.eq(scope.provider_id().as_str()),
                        payer_rates::payer_key.eq(&key),
                        payer_rates::payer_name.eq(payer.trim()),
                        payer_rates::cpt_code.eq(code),
                        payer_rates::allowed_cents.eq(cents),
                        payer_rates::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// A client's plan as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = client_plans)]
pub struct Plan {
    pub client_id: String,
    pub provider_id: String,
    pub copay_cents: Option<i32>,
    pub coinsurance_pct: Option<i32>,
    pub deductible_cents: Option<i32>,
    pub deductible_met_cents: Option<i32>,
    pub oop_max_cents: Option<i32>,
    pub oop_met_cents: Option<i32>,
    pub plan_year_month: i32,
    pub plan_year_day: i32,
    pub in_network: bool,
    pub reduced_rate_cents: Option<i32>,
    pub reduced_rate_reason: Option<String>,
    /// When the figures were entered (the amounts met are as of then).
    pub entered_at: NaiveDateTime,
    pub version: i64,
}

impl Plan {
    pub fn coverage(&self) -> Coverage {
        Coverage {
            copay: self.copay_cents,
            coinsurance_pct: self.coinsurance_pct,
            deductible: self.deductible_cents,
            deductible_met: self.deductible_met_cents,
            oop_max: self.oop_max_cents,
            oop_met: self.oop_met_cents,
            in_network: self.in_network,
        }
    }
}

/// What the plan form saves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFigures {
    pub coverage: Coverage,
    pub plan_year_month: i32,
    pub plan_year_day: i32,
    pub reduced_rate_cents: Option<i32>,
    pub reduced_rate_reason: Option<String>,
}

pub fn plan_of(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<Option<Plan>> {
    client
        .scope()
        .client_plans()
        .filter(client_plans::client_id.eq(client.id.as_str()))
        .select(Plan::as_select())
        .first(conn)
        .optional()
}

/// Saves the client's plan, stamped `now` (the amounts met are as of now); `false` when
/// it changed since `expected_version` was read (0: there was none).
pub fn save_plan(
    conn: &mut DbConnection,
    client: &OwnedClient,
    figures: &PlanFigures,
    expected_version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let c = &figures.coverage;
    write_transaction(conn, |conn| {
        // Two saves at once take turns (SQLite's one writer; on PostgreSQL the client's
        // row), so the second sees the first's version.
        if let DbConnection::Postgres(pg) = conn {
            clients::table
                .find(client.id.as_str())
                .select(clients::id)
                .for_update()
                .first::<String>(pg)?;
        }
        let current = plan_of(conn, client)?;
        match current {
            Some(p) if p.version != expected_version => return Ok(false),
            None if expected_version != 0 => return Ok(false),
            Some(_) => {
                diesel::delete(
                    client
                        .scope()
                        .client_plans()
                        .filter(client_plans::client_id.eq(client.id.as_str())),
                )
                .execute(conn)?;
            }
            None => {}
        }
        diesel::insert_into(client_plans::table)
            .values((
                client_plans::client_id.eq(client.id.as_str()),
                client_plans::provider_id.eq(client.provider_id().as_str()),
                client_plans::copay_cents.eq(c.copay),
                client_plans::coinsurance_pct.eq(c.coinsurance_pct),
                client_plans::deductible_cents.eq(c.deductible),
                client_plans::deductible_met_cents.eq(c.deductible_met),
                client_plans::oop_max_cents.eq(c.oop_max),
                client_plans::oop_met_cents.eq(c.oop_met),
                client_plans::plan_year_month.eq(figures.plan_year_month),
                client_plans::plan_year_day.eq(figures.plan_year_day),
                client_plans::in_network.eq(c.in_network),
                client_plans::reduced_rate_cents.eq(figures.reduced_rate_cents),
                client_plans::reduced_rate_reason.eq(figures.reduced_rate_reason.as_deref()),
                client_plans::entered_at.eq(now),
                client_plans::version.eq(expected_version + 1),
            ))
            .execute(conn)?;
        Ok(true)
    })
}
