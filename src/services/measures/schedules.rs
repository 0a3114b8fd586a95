//! Starting a client's questionnaires (from the Measures tab, the Add-client form or a
//! booking sign-up) and pausing, resuming, stopping or changing them.

use chrono::NaiveDate;

use super::sending::{send, Due};
use crate::db::DbConnection;
use crate::domain::instrument::Instrument;
use crate::domain::measure_schedule::{Frequency, MAX_PER_CLIENT};
use crate::models::audit::AuditAction;
use crate::models::measure_schedule::{self, Change};
use crate::models::provider::Provider;
use crate::models::scope::OwnedClient;
use crate::services::{record, Act};

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("There is no questionnaire called {0}.")]
    Unknown(String),
    #[error(
        "{0} is already being sent to this client: change how often instead, or stop it first."
    )]
    AlreadyRunning(String),
    #[error("A client can have at most {MAX_PER_CLIENT} questionnaires at a time. Stop one to start another.")]
    TooMany,
    #[error("Choose the day of the next send: today or later.")]
    PastDay,
    #[error("This questionnaire was changed by someone else meanwhile. Look at it again and repeat your change if it is still needed.")]
    Stale,
    #[error("This questionnaire is stopped. Start it again from the list below.")]
    Stopped,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl crate::services::Refusal for ScheduleError {
    fn database(self) -> Result<diesel::result::Error, Self> {
        match self {
            Self::Database(e) => Ok(e),
            other => Err(other),
        }
    }
}

/// Starts each pick for the client, inside the caller's transaction: dated ones are sent
/// at once (in one email), "before each session" ones with the sessions. Audited.
pub fn start(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    picks: &[(String, Frequency)],
    public_url: &str,
    act: Act<'_>,
) -> Result<(), ScheduleError> {
    let existing = measure_schedule::for_client(conn, client)?;
    let mut running: Vec<String> = existing
        .iter()
        .filter(|s| s.stopped_at.is_none() && !s.is_finished())
        .map(|s| s.instrument.clone())
        .collect();
    let today = client.zone(provider.zone()).date_of(&act.now);
    let mut started = Vec::new();
    for (code, frequency) in picks {
        let instrument =
            Instrument::find(code).ok_or_else(|| ScheduleError::Unknown(code.clone()))?;
        if running.contains(&instrument.code) {
            return Err(ScheduleError::AlreadyRunning(instrument.code));
        }
        if running.len() >= MAX_PER_CLIENT {
            return Err(ScheduleError::TooMany);
        }
        running.push(instrument.code.clone());
        let s = measure_schedule::add(
            conn,
            client,
            &instrument.code,
            *frequency,
            frequency.first_send(today),
            act.now,
        )?;
        record(
            conn,
            client,
            AuditAction::MeasureScheduled,
            Some(&format!(
                "{}, {}",
                instrument.code,
                frequency.label().to_lowercase()
            )),
            act,
        )?;
        started.push(s);
    }
    let due: Vec<Due<'_>> = started
        .iter()
        .filter(|s| s.next_send_on.is_some())
        .map(|s| Due {
            schedule: s,
            appointment_id: None,
            next: s.frequency().next_after(today),
        })
        .collect();
    send(conn, provider, client, &due, public_url, act)?;
    Ok(())
}

/// A change the provider asks for.
pub enum Ask {
    Pause,
    Resume,
    Stop,
    /// A new frequency and, for dated ones, the next send day.
    Set(Frequency, Option<NaiveDate>),
}

/// Changes one of the client's schedules, if still at `version`; audited.
pub fn change(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    schedule_id: &str,
    version: i64,
    ask: Ask,
    act: Act<'_>,
) -> Result<(), ScheduleError> {
    let Some(s) = measure_schedule::find(conn, client, schedule_id)? else {
        return Err(diesel::result::Error::NotFound.into());
    };
    if s.stopped_at.is_some() {
        return Err(ScheduleError::Stopped);
    }
    let today = client.zone(provider.zone()).date_of(&act.now);
    let (change, said) = match ask {
        Ask::Pause => (Change::Pause(act.now), "paused".to_string()),
        Ask::Resume => {
            // A send day that passed while paused becomes today.
            let next = match s.frequency() {
                Frequency::BeforeEachSession => None,
                _ if s.is_finished() => None,
                _ => Some(s.next_send_on.map_or(today, |d| d.max(today))),
            };
            (Change::Resume(next), "resumed".to_string())
        }
        Ask::Stop => (Change::Stop(act.now), "stopped".to_string()),
        Ask::Set(frequency, next) => {
            let next = match frequency {
                Frequency::BeforeEachSession => None,
                _ => Some(next.unwrap_or(today)),
            };
            if next.is_some_and(|d| d < today) {
                return Err(ScheduleError::PastDay);
            }
            let said = match next {
                Some(d) => format!("{}, next on {d}", frequency.label().to_lowercase()),
                None => frequency.label().to_lowercase(),
            };
            (Change::Set(frequency, next), said)
        }
    };
    if !measure_schedule::change(conn, &s, version, change)? {
        return Err(ScheduleError::Stale);
    }
    record(
        conn,
        client,
        AuditAction::MeasureChanged,
        Some(&format!("{} {said}", s.instrument)),
        act,
    )?;
    Ok(())
}
