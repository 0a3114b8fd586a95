//! Which questionnaires each client is sent and how often. A schedule is changed only from
//! the version it was read at, so two people changing it at once never both win.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::scope::{Owned, OwnedClient, Scope};
use crate::db::ids::{new_row_id, ProviderId};
use crate::db::schema::{clients, measure_schedules};
use crate::db::DbConnection;
use crate::domain::measure_schedule::Frequency;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = measure_schedules)]
pub struct Schedule {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub instrument: String,
    /// Read through [`Schedule::frequency`].
    pub frequency: String,
    pub next_send_on: Option<NaiveDate>,
    pub paused_at: Option<NaiveDateTime>,
    pub stopped_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub version: i64,
}

impl Schedule {
    pub fn frequency(&self) -> Frequency {
        Frequency::parse(&self.frequency).unwrap_or(Frequency::Once)
    }

    /// Neither paused nor stopped.
    pub fn is_running(&self) -> bool {
        self.paused_at.is_none() && self.stopped_at.is_none()
    }

    /// Sent once and done: nothing more will go out.
    pub fn is_finished(&self) -> bool {
        self.frequency() == Frequency::Once && self.next_send_on.is_none()
    }
}

/// A change to a schedule.
pub enum Change {
    Pause(NaiveDateTime),
    /// Running again, next sent on this day (if it goes by date).
    Resume(Option<NaiveDate>),
    Stop(NaiveDateTime),
    /// A new frequency and next send day.
    Set(Frequency, Option<NaiveDate>),
    /// Sent; the next send day follows.
    Sent(Option<NaiveDate>),
}

/// The client's schedules, stopped ones last.
pub fn for_client(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<Vec<Schedule>> {
    let mut rows: Vec<Schedule> = client
        .scope()
        .measure_schedules()
        .filter(measure_schedules::client_id.eq(client.id.as_str()))
        .order(measure_schedules::created_at)
        .select(Schedule::as_select())
        .load(conn)?;
    rows.sort_by_key(|s| s.stopped_at.is_some());
    Ok(rows)
}

pub fn find(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &str,
) -> QueryResult<Option<Owned<Schedule>>> {
    let row = client
        .scope()
        .measure_schedules()
        .filter(measure_schedules::client_id.eq(client.id.as_str()))
        .filter(measure_schedules::id.eq(id))
        .select(Schedule::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|s| client.sibling(s)))
}

pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    instrument: &str,
    frequency: Frequency,
    next_send_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> QueryResult<Owned<Schedule>> {
    let row = Schedule {
        id: new_row_id(),
        provider_id: client.provider_id().as_str().to_string(),
        client_id: client.id.clone(),
        instrument: instrument.to_string(),
        frequency: frequency.as_str().to_string(),
        next_send_on,
        paused_at: None,
        stopped_at: None,
        created_at: now,
        version: 1,
    };
    diesel::insert_into(measure_schedules::table)
        .values((
            measure_schedules::id.eq(&row.id),
            measure_schedules::provider_id.eq(&row.provider_id),
            measure_schedules::client_id.eq(&row.client_id),
            measure_schedules::instrument.eq(&row.instrument),
            measure_schedules::frequency.eq(&row.frequency),
            measure_schedules::next_send_on.eq(row.next_send_on),
            measure_schedules::created_at.eq(now),
            measure_schedules::version.eq(1),
        ))
        .execute(conn)?;
    Ok(client.sibling(row))
}

/// Applies `change` if the schedule is still at `version`; `false` when it changed since.
pub fn change(
    conn: &mut DbConnection,
    schedule: &Owned<Schedule>,
    version: i64,
    change: Change,
) -> QueryResult<bool> {
    let target = schedule
        .scope()
        .measure_schedules()
        .filter(measure_schedules::id.eq(schedule.id.as_str()))
        .filter(measure_schedules::version.eq(version));
    let bump = measure_schedules::version.eq(version + 1);
    let n = match change {
        Change::Pause(at) => diesel::update(target)
            .set((measure_schedules::paused_at.eq(at), bump))
            .execute(conn)?,
        Change::Resume(next) => diesel::update(target)
            .set((
                measure_schedules::paused_at.eq(None::<NaiveDateTime>),
                measure_schedules::next_send_on.eq(next),
                bump,
            ))
            .execute(conn)?,
        Change::Stop(at) => diesel::update(target)
            .set((
                measure_schedules::stopped_at.eq(at),
                measure_schedules::next_send_on.eq(None::<NaiveDate>),
                bump,
            ))
            .execute(conn)?,
        Change::Set(frequency, next) => diesel::update(target)
            .set((
                measure_schedules::frequency.eq(frequency.as_str()),
                measure_schedules::next_send_on.eq(next),
                bump,
            ))
            .execute(conn)?,
        Change::Sent(next) => diesel::update(target)
            .set((measure_schedules::next_send_on.eq(next), bump))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// The sending sweep, across providers: every running schedule of a client not archived
/// that may be due by `now` — a dated one whose day has come anywhere on Earth, a "before
/// each session" one whose client has a session in the next two days — each as its
/// provider's, grouped by client.
pub fn maybe_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<Owned<Schedule>>> {
    use crate::db::schema::appointments;
    use crate::domain::appointment::{Kind, Status};
    let active = clients::table
        .filter(clients::archived_at.is_null())
        .select(clients::id);
    // The day is the client's: up to 14 hours ahead of UTC.
    let latest_day = (now + chrono::Duration::hours(14)).date();
    let with_sessions: Vec<Option<String>> = appointments::table
        .filter(appointments::kind.eq(Kind::Session.as_str()))
        .filter(appointments::status.eq(Status::Scheduled.as_str()))
        .filter(appointments::starts_at.gt(now))
        .filter(appointments::starts_at.le(now + chrono::Duration::days(2)))
        .select(appointments::client_id)
        .distinct()
        .load(conn)?;
    let with_sessions: Vec<String> = with_sessions.into_iter().flatten().collect();
    let rows: Vec<Schedule> = measure_schedules::table
        .filter(measure_schedules::stopped_at.is_null())
        .filter(measure_schedules::paused_at.is_null())
        .filter(measure_schedules::client_id.eq_any(active))
        .filter(
            measure_schedules::next_send_on
                .le(latest_day)
                .or(measure_schedules::frequency
                    .eq(Frequency::BeforeEachSession.as_str())
                    .and(measure_schedules::client_id.eq_any(with_sessions))),
        )
        .order((
            measure_schedules::provider_id,
            measure_schedules::client_id,
            measure_schedules::created_at,
        ))
        .select(Schedule::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|s| Scope::from_id(ProviderId(s.provider_id.clone())).owns(s))
        .collect())
}
