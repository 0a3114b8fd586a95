//! Sending questionnaires: at once when a schedule starts, then by the jobs' sweep — each
//! schedule on its day at 9:00 on the client's clock, "before each session" the day before
//! — and the one reminder, and the expiry of links nobody answered.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::{Connection, QueryResult};

use super::{answer_url, REMINDER_EMAIL, REQUEST_EMAIL};
use crate::client_email::{queue_for, ClientEmail};
use crate::db::ids::{ClientId, ProviderId};
use crate::db::{write_transaction, DbConnection};
use crate::domain::instrument::Instrument;
use crate::domain::measure_schedule::{day_before, send_time, Frequency};
use crate::mail;
use crate::models::assessment::{self, NewAssessment};
use crate::models::measure_schedule::{self, Change, Schedule};
use crate::models::provider::{self, Provider};
use crate::models::scope::{Owned, OwnedClient};
use crate::models::{appointment, unscoped};
use crate::services::calendar::notices::client_time;
use crate::services::Act;

/// One questionnaire to send now: its schedule, the session it is for ("before each
/// session"), and the schedule's next send day after this one.
pub struct Due<'a> {
    pub schedule: &'a Owned<Schedule>,
    pub appointment_id: Option<String>,
    pub next: Option<NaiveDate>,
}

/// Sends `due` to the client in one email with one link, inside the caller's transaction;
/// each dated schedule moves to its next day. Returns how many were sent: 0 when a
/// schedule changed since it was read (nothing is then written).
pub fn send(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    due: &[Due<'_>],
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<usize> {
    let sendable: Vec<(&Due<'_>, Instrument)> = due
        .iter()
        .filter_map(|d| Instrument::find(&d.schedule.instrument).map(|i| (d, i)))
        .collect();
    if sendable.is_empty() {
        return Ok(0);
    }
    let sent = conn.transaction(|conn| {
        let (link, token) = assessment::create_link(conn, client, act.now)?;
        for (d, instrument) in &sendable {
            // A session's send leaves the schedule as it is (it has no next day); the
            // unique index on (schedule, session) keeps it to one.
            if d.appointment_id.is_none()
                && !measure_schedule::change(
                    conn,
                    d.schedule,
                    d.schedule.version,
                    Change::Sent(d.next),
                )?
            {
                return Err(diesel::result::Error::RollbackTransaction);
            }
            assessment::add(
                conn,
                client,
                &NewAssessment {
                    instrument,
                    schedule_id: Some(&d.schedule.id),
                    link_id: Some(&link.id),
                    appointment_id: d.appointment_id.as_deref(),
                },
                act.now,
            )?;
        }
        let zone = client.zone(provider.zone());
        let url = answer_url(public_url, &token);
        let (practice, until) = (
            provider.practice_display_name(),
            client_time(zone, &link.expires_at),
        );
        let message = |reader: &mail::Reader| {
            mail::measures::request(&practice, reader, sendable.len(), &until, &url)
        };
        queue_for(
            conn,
            provider,
            client,
            ClientEmail {
                kind: REQUEST_EMAIL,
                audit_as: REQUEST_EMAIL,
                message: &message,
                action_url: Some(&url),
                send_after: act.now,
                queued_at: act.now,
            },
            act.ip,
        )?;
        Ok(sendable.len())
    });
    match sent {
        Err(diesel::result::Error::RollbackTransaction) => Ok(0),
        other => other,
    }
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Questionnaires sent.
    pub sent: usize,
    pub reminders: usize,
    pub expired: usize,
}

/// The jobs' sweep, across providers: expires unanswered links, sends what fell due by
/// `now`, and reminds once of links sent two days ago and still unanswered.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime, public_url: &str) -> QueryResult<Swept> {
    let expired = assessment::expire_due(conn, now)?;
    let act = Act { ip: None, now };
    let mut providers = Providers::default();
    let mut sent = 0;
    let running = measure_schedule::maybe_due(conn, now)?;
    for group in running.chunk_by(|a, b| a.client_id == b.client_id) {
        let Some(first) = group.first() else { continue };
        let Some(p) = providers.get(conn, &first.provider_id)? else {
            continue;
        };
        let Some(client) = unscoped::client(conn, &ClientId(first.client_id.clone()))? else {
            continue;
        };
        let zone = client.zone(p.zone());
        let today = zone.date_of(&now);
        let mut due = Vec::new();
        let mut sessions = None;
        for s in group {
            match s.frequency() {
                Frequency::BeforeEachSession => {
                    // Sessions starting within two days, whose day-before 9:00 has come.
                    let upcoming = match &sessions {
                        Some(list) => list,
                        None => sessions.insert(appointment::client_sessions_starting(
                            conn,
                            &client,
                            now,
                            now + Duration::days(2),
                        )?),
                    };
                    for a in upcoming.iter() {
                        if send_time(day_before(&a.starts_at, zone), zone) <= now
                            && !assessment::sent_for_session(conn, s.scope(), &s.id, &a.id)?
                        {
                            due.push(Due {
                                schedule: s,
                                appointment_id: Some(a.id.clone()),
                                next: None,
                            });
                        }
                    }
                }
                f => {
                    if s.next_send_on.is_some_and(|d| send_time(d, zone) <= now) {
                        due.push(Due {
                            schedule: s,
                            appointment_id: None,
                            next: f.next_after(today),
                        });
                    }
                }
            }
        }
        if !due.is_empty() {
            sent += write_transaction(conn, |conn| send(conn, &p, &client, &due, public_url, act))?;
        }
    }
    let reminders = remind(conn, &mut providers, now, public_url)?;
    Ok(Swept {
        sent,
        reminders,
        expired,
    })
}

fn remind(
    conn: &mut DbConnection,
    providers: &mut Providers,
    now: NaiveDateTime,
    public_url: &str,
) -> QueryResult<usize> {
    let mut reminded = 0;
    for link in assessment::links_to_remind(conn, now)? {
        let Some(p) = providers.get(conn, &link.provider_id)? else {
            continue;
        };
        let Some(client) = unscoped::client(conn, &ClientId(link.client_id.clone()))? else {
            continue;
        };
        if client.archived_at.is_some() {
            continue;
        }
        let done = write_transaction(conn, |conn| {
            let Some(token) = assessment::mark_reminded(conn, &link, now)? else {
                return Ok::<_, diesel::result::Error>(false);
            };
            let open = assessment::of_link(conn, &link)?
                .iter()
                .filter(|a| a.is_open())
                .count();
            let url = answer_url(public_url, &token);
            let zone = client.zone(p.zone());
            let (practice, until) = (
                p.practice_display_name(),
                client_time(zone, &link.expires_at),
            );
            let message = |reader: &mail::Reader| {
                mail::measures::reminder(&practice, reader, open, &until, &url)
            };
            queue_for(
                conn,
                &p,
                &client,
                ClientEmail {
                    kind: REMINDER_EMAIL,
                    audit_as: REMINDER_EMAIL,
                    message: &message,
                    action_url: Some(&url),
                    send_after: now,
                    queued_at: now,
                },
                None,
            )?;
            Ok(true)
        })?;
        reminded += usize::from(done);
    }
    Ok(reminded)
}

/// The providers a sweep has read, each read once.
#[derive(Default)]
struct Providers(Vec<Provider>);

impl Providers {
    fn get(&mut self, conn: &mut DbConnection, id: &str) -> QueryResult<Option<Provider>> {
        if let Some(p) = self.0.iter().find(|p| p.id == id) {
            return Ok(Some(p.clone()));
        }
        let found = provider::find(conn, &ProviderId(id.to_string()))?;
        if let Some(p) = &found {
            self.0.push(p.clone());
        }
        Ok(found)
    }
}
