//! Cancelling a session (or part of its series), or marking a no-show. Who cancelled and
//! when decide, under the practice's policy, whether it is late and carries the fee; the
//! client is emailed about each cancelled session still ahead.

use super::super::{record, Act};
use super::notices::{self, Notify};
use super::Which;
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::Status;
use crate::domain::money::dollars;
use crate::models::appointment::{self, Appointment};
use crate::models::audit::AuditAction;
use crate::models::scope::Owned;

/// How a scheduled session ended without taking place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The client cancelled: late or not, by the practice's policy.
    ByClient,
    ByProvider,
    NoShow,
}

/// What the provider (or the client, from the portal) asked.
pub struct Cancellation<'a> {
    pub how: Closing,
    pub which: Which,
    pub reason: Option<&'a str>,
    pub expected_version: i64,
    /// The audit trail's name for it (the portal's cancel is the client's own act).
    pub audit_as: AuditAction,
    /// Refuse a client's cancellation the client may not make themselves: late, or once
    /// the session started (the portal cancels only in time; the rest goes through the
    /// practice).
    pub refuse_late: bool,
}

/// What cancelling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// The status the clicked session got.
    pub status: Status,
    /// How many sessions it closed (more than one for part of a series).
    pub count: usize,
    /// The fee the clicked session carries under the policy, in cents.
    pub fee_cents: Option<i32>,
}

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("Nothing changed: this session was changed meanwhile (in another tab). Here is where it stands.")]
    Changed,
    #[error("It is too late to cancel this session online: the practice's policy asks for more notice. Please contact the practice directly.")]
    TooLate,
    #[error("A no-show is marked for one session only. Choose “Only this session”.")]
    NoShowForSeries,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Cancels the session — or it and the following ones of its series, or the whole series
/// (each occurrence still scheduled, each closed and audited on its own) — or marks it a
/// no-show. Nothing changes unless the clicked session is still scheduled at the version
/// it was read at.
pub fn cancel(
    conn: &mut DbConnection,
    session: &Owned<Appointment>,
    request: Cancellation<'_>,
    notify: Notify<'_>,
    act: Act<'_>,
) -> Result<Closed, CancelError> {
    let Cancellation {
        how,
        which,
        reason,
        expected_version,
        audit_as,
        refuse_late,
    } = request;
    if how == Closing::NoShow && which != Which::This {
        return Err(CancelError::NoShowForSeries);
    }
    let provider = notify.provider;
    let scope = session.scope();
    write_transaction(conn, |conn| {
        let current = appointment::find(conn, scope, &session.id)?
            .filter(|c| c.version == expected_version && c.state() == Status::Scheduled)
            .ok_or(CancelError::Changed)?;
        let targets = match which {
            Which::This => vec![current.clone()],
            _ => {
                let mut open =
                    appointment::open_in_series(conn, &current, which == Which::ThisAndFollowing)?;
                // A series change is about the sessions still ahead (and the one asked
                // about): one that took place waits to be confirmed at its own time.
                open.retain(|a| {
                    a.state() == Status::Scheduled && (a.id == current.id || a.starts_at > act.now)
                });
                open
            }
        };
        let client = appointment::client_of(conn, &current)?;
        let policy = provider.cancellation_policy();
        if refuse_late && !policy.client_may_cancel(act.now, current.starts_at) {
            return Err(CancelError::TooLate);
        }
        let mut clicked = None;
        let mut closed = Vec::new();
        for t in &targets {
            let (status, by) = match how {
                Closing::ByClient if policy.is_late(act.now, t.starts_at) => {
                    (Status::LateCancelled, "client")
                }
                Closing::ByClient => (Status::Cancelled, "client"),
                Closing::ByProvider => (Status::Cancelled, "provider"),
                Closing::NoShow => (Status::NoShow, "client"),
            };
            let fee = matches!(status, Status::LateCancelled | Status::NoShow)
                .then_some(provider.cancellation_fee_cents)
                .filter(|cents| *cents > 0);
            let change = appointment::Closure {
                status,
                reason,
                by,
                fee_cents: fee,
            };
            if !appointment::close(conn, t, &change, t.version, act.now)? {
                return Err(CancelError::Changed);
            }
            if let Some(c) = &client {
                record(conn, c, audit_as, Some(&t.id), act)?;
            }
            if t.id == current.id {
                clicked = Some((status, fee));
            }
            closed.push((Appointment::clone(t), status, fee));
        }
        let Some((status, fee_cents)) = clicked else {
            return Err(CancelError::Changed);
        };
        if let (Some(c), true) = (&client, how != Closing::NoShow) {
            let cancelled: Vec<&Appointment> = closed.iter().map(|(a, _, _)| a).collect();
            let fee = closed
                .iter()
                .find_map(|(_, s, f)| (*s == Status::LateCancelled).then_some(*f).flatten())
                .map(dollars);
            notices::cancelled(conn, notify, c, &cancelled, fee, act.now, act.ip)?;
        }
        Ok(Closed {
            status,
            count: closed.len(),
            fee_cents,
        })
    })
}
