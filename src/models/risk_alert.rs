//! Risk alerts: raised by an answer (PHQ-9 item 9 above 0), shown until the provider
//! resolves them with a note, and kept with who resolved them, when and what was done.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{Owned, OwnedClient, Scope};
use crate::db::ids::new_row_id;
use crate::db::schema::{clients, risk_alerts};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = risk_alerts)]
pub struct RiskAlert {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub assessment_id: String,
    pub raised_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

pub fn raise(
    conn: &mut DbConnection,
    client: &OwnedClient,
    assessment_id: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_row_id();
    diesel::insert_into(risk_alerts::table)
        .values((
            risk_alerts::id.eq(&id),
            risk_alerts::provider_id.eq(client.provider_id().as_str()),
            risk_alerts::client_id.eq(client.id.as_str()),
            risk_alerts::assessment_id.eq(assessment_id),
            risk_alerts::raised_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        client
            .scope()
            .clients()
            .filter(clients::id.eq(client.id.as_str()))
            .filter(clients::risk_alert_since.is_null()),
    )
    .set(clients::risk_alert_since.eq(now))
    .execute(conn)?;
    Ok(id)
}

/// The client's alerts, open ones first, newest first.
pub fn for_client(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<Vec<RiskAlert>> {
    let mut rows: Vec<RiskAlert> = client
        .scope()
        .risk_alerts()
        .filter(risk_alerts::client_id.eq(client.id.as_str()))
        .order(risk_alerts::raised_at.desc())
        .select(RiskAlert::as_select())
        .load(conn)?;
    rows.sort_by_key(|a| a.resolved_at.is_some());
    Ok(rows)
}

pub fn find_open(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &str,
) -> QueryResult<Option<Owned<RiskAlert>>> {
    let row = client
        .scope()
        .risk_alerts()
        .filter(risk_alerts::client_id.eq(client.id.as_str()))
        .filter(risk_alerts::id.eq(id))
        .filter(risk_alerts::resolved_at.is_null())
        .select(RiskAlert::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|a| client.sibling(a)))
}

/// Resolves an open alert; `false` if someone resolved it first.
pub fn resolve(
    conn: &mut DbConnection,
    alert: &Owned<RiskAlert>,
    by: &str,
    note: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        alert
            .scope()
            .risk_alerts()
            .filter(risk_alerts::id.eq(alert.id.as_str()))
            .filter(risk_alerts::resolved_at.is_null()),
    )
    .set((
        risk_alerts::resolved_at.eq(now),
        risk_alerts::resolved_by.eq(by),
        risk_alerts::resolution.eq(note),
    ))
    .execute(conn)?;
    // The banners stand while any alert is open, from the oldest open one.
    let oldest_open: Option<NaiveDateTime> = alert
        .scope()
        .risk_alerts()
        .filter(risk_alerts::client_id.eq(alert.client_id.as_str()))
        .filter(risk_alerts::resolved_at.is_null())
        .select(diesel::dsl::min(risk_alerts::raised_at))
        .first(conn)?;
    diesel::update(
        alert
            .scope()
            .clients()
            .filter(clients::id.eq(alert.client_id.as_str())),
    )
    .set(clients::risk_alert_since.eq(oldest_open))
    .execute(conn)?;
    Ok(n == 1)
}

/// The provider's clients (not archived) with an open alert: (client id, full name, since
/// when), oldest first — the Clients tab's banner.
pub fn open_for_provider(
    conn: &mut DbConnection,
    scope: &Scope,
) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    let rows: Vec<(String, String, String, Option<NaiveDateTime>)> = scope
        .clients()
        .filter(clients::risk_alert_since.is_not_null())
        .filter(clients::archived_at.is_null())
        .order(clients::risk_alert_since)
        .select((
            clients::id,
            clients::first_name,
            clients::last_name,
            clients::risk_alert_since,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, first, last, since)| since.map(|s| (id, format!("{first} {last}"), s)))
        .collect())
}
