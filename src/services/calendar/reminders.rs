//! Reminders before sessions: a sweep (run by the jobs) queues each session's reminder in
//! the outbox when it falls due — the provider's lead time before the session, moved
//! earlier when that would reach the client between 21:00 and 08:00 in their zone.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use super::notices::{self, Notify};
use crate::db::ids::{ClientId, ProviderId};
use crate::db::{write_transaction, DbConnection};
use crate::domain::session_rules::reminder_at;
use crate::models::{appointment, provider, unscoped};

/// The longest lead a provider may choose, in hours (Settings → Calendar).
pub const MAX_LEAD_HOURS: i32 = 72;

/// Queues every reminder due by `now`; returns how many. A session starting within the
/// hour that never got one is left alone (a reminder then would only startle).
pub fn queue_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    public_url: &str,
) -> QueryResult<usize> {
    // Quiet hours move a reminder at most half a day earlier.
    let horizon = now + Duration::hours(i64::from(MAX_LEAD_HOURS) + 24);
    let waiting = unscoped::sessions_awaiting_reminder(conn, now + Duration::hours(1), horizon)?;
    let mut queued = 0;
    let mut providers: Vec<provider::Provider> = Vec::new();
    for session in waiting {
        let pid = ProviderId(session.provider_id.clone());
        let p = match providers.iter().find(|p| p.id == pid.0) {
            Some(p) => p.clone(),
            None => match provider::find(conn, &pid)? {
                Some(p) => {
                    providers.push(p.clone());
                    p
                }
                None => continue,
            },
        };
        let Some(lead) = p.reminder_lead() else {
            continue;
        };
        let Some(client_id) = session.client_id.clone().map(ClientId) else {
            continue;
        };
        let Some(client) = session.scope().client(conn, &client_id)? else {
            continue;
        };
        let zone = client.zone(p.zone());
        if reminder_at(session.starts_at, lead, zone) > now {
            continue;
        }
        let notify = Notify {
            provider: &p,
            public_url,
        };
        let sent = write_transaction(conn, |conn| {
            if !appointment::mark_reminded(conn, &session, now)? {
                return Ok::<_, diesel::result::Error>(false);
            }
            notices::reminder(conn, notify, &client, &session, now)?;
            Ok(true)
        })?;
        queued += usize::from(sent);
    }
    Ok(queued)
}
