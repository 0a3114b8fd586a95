//! Confirming that a session took place, with its codes, once the client is ready; and
//! correcting a confirmation for 48 hours, after which it is locked.

use chrono::{Duration, NaiveDateTime};

use super::super::{record, Act};
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::{Span, Status};
use crate::domain::billing_codes::{check_minutes, parse_cpt, parse_icd10};
use crate::domain::client::FieldErrors;
use crate::domain::time_zone::Zone;
use crate::models::appointment::{self, Appointment, Confirmation};
use crate::models::audit::AuditAction;
use crate::models::scope::Owned;

/// How long after confirming a session its confirmation may still be corrected.
pub const AMEND_WINDOW: Duration = Duration::hours(48);

/// When a confirmed session locks (its confirmation can no longer be corrected).
pub fn locks_at(session: &Appointment) -> Option<NaiveDateTime> {
    session.confirmed_at.map(|at| at + AMEND_WINDOW)
}

/// A confirmation as the provider filled it in.
pub struct ConfirmRequest<'a> {
    pub cpt_code: &'a str,
    /// ICD-10 codes separated by commas or spaces.
    pub diagnosis: &'a str,
    /// The real start and end, wall-clock in the provider's zone.
    pub actual_start: NaiveDateTime,
    pub actual_end: NaiveDateTime,
    pub note: Option<&'a str>,
    pub expected_version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// Fields to correct (by field name).
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    /// What the client has still to do, in words.
    #[error("the client is not ready")]
    NotReady(Vec<&'static str>),
    #[error("A session is confirmed after it took place; this one has not started yet.")]
    TooEarly,
    #[error("This session was changed meanwhile (confirmed or cancelled in another tab). Reload it to see where it stands.")]
    NotOpen,
    #[error("This session's confirmation is locked: it can be corrected for 48 hours after it was confirmed, and that time has passed.")]
    Locked,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The request checked: a CPT code whose time range fits the real length, and at least
/// one well-formed ICD-10 code.
struct Checked {
    cpt: String,
    diagnosis: Vec<String>,
    actual: Span,
}

fn check(zone: Zone, request: &ConfirmRequest<'_>) -> Result<Checked, ConfirmError> {
    let mut errors = FieldErrors::new();
    let cpt = parse_cpt(request.cpt_code)
        .map_err(|e| errors.insert("cpt_code", e))
        .ok();
    let codes: Vec<&str> = request
        .diagnosis
        .split([',', ' ', ';'])
        .filter(|c| !c.trim().is_empty())
        .collect();
    let mut diagnosis = Vec::new();
    if codes.is_empty() {
        errors.insert(
            "diagnosis",
            "Enter at least one diagnosis code (ICD-10), for example F41.1.".into(),
        );
    }
    for c in codes {
        match parse_icd10(c) {
            Ok(code) if !diagnosis.contains(&code) => diagnosis.push(code),
            Ok(_) => {}
            Err(e) => {
                errors.insert("diagnosis", e);
            }
        }
    }
    let actual = Span {
        start: zone.to_utc(request.actual_start).0,
        end: zone.to_utc(request.actual_end).0,
    };
    let minutes = (actual.end - actual.start).num_minutes();
    if minutes <= 0 {
        errors.insert("actual_end", "The session must end after it starts.".into());
    } else if let Some(cpt) = &cpt {
        if let Err(e) = check_minutes(cpt, u32::try_from(minutes).unwrap_or(u32::MAX)) {
            errors.insert("cpt_code", e);
        }
    }
    match cpt {
        Some(cpt) if errors.is_empty() => Ok(Checked {
            cpt,
            diagnosis,
            actual,
        }),
        _ => Err(ConfirmError::Invalid(errors)),
    }
}

/// Confirms that a session took place: only after its start, only when the client is
/// ready (the readiness rule's every missing step is listed), with checked codes.
pub fn confirm_session(
    conn: &mut DbConnection,
    zone: Zone,
    session: &Owned<Appointment>,
    request: ConfirmRequest<'_>,
    act: Act<'_>,
) -> Result<(), ConfirmError> {
    if act.now < session.starts_at {
        return Err(ConfirmError::TooEarly);
    }
    let checked = check(zone, &request)?;
    write_transaction(conn, |conn| {
        let client = appointment::client_of(conn, session)?;
        let Some(client) = client else {
            return Err(ConfirmError::NotOpen);
        };
        if let Err(missing) =
            crate::domain::onboarding::can_confirm_appointment(&client.onboarding_facts())
        {
            return Err(ConfirmError::NotReady(
                missing.into_iter().map(|m| m.describe()).collect(),
            ));
        }
        let confirmation = Confirmation {
            cpt_code: &checked.cpt,
            diagnosis_codes: &checked.diagnosis,
            actual: checked.actual,
            // An empty note keeps the one written when scheduling.
            note: request.note.or(session.note.as_deref()),
        };
        if session.confirmed_at.is_some()
            || !appointment::save_confirmation(
                conn,
                session,
                &confirmation,
                request.expected_version,
                act.now,
            )?
        {
            return Err(ConfirmError::NotOpen);
        }
        record(
            conn,
            &client,
            AuditAction::AppointmentConfirmed,
            Some(&session.id),
            act,
        )?;
        Ok(())
    })
}

/// Corrects a confirmed session's codes, real times or note — for 48 hours after it was
/// confirmed (checked inside the transaction, against the app's clock); then it is locked.
pub fn amend_confirmation(
    conn: &mut DbConnection,
    zone: Zone,
    session: &Owned<Appointment>,
    request: ConfirmRequest<'_>,
    act: Act<'_>,
) -> Result<(), ConfirmError> {
    let checked = check(zone, &request)?;
    write_transaction(conn, |conn| {
        let current = appointment::find(conn, session.scope(), &session.id)?
            .filter(|c| c.version == request.expected_version && c.state() == Status::Confirmed)
            .ok_or(ConfirmError::NotOpen)?;
        if locks_at(&current).is_none_or(|at| act.now >= at) {
            return Err(ConfirmError::Locked);
        }
        let confirmation = Confirmation {
            cpt_code: &checked.cpt,
            diagnosis_codes: &checked.diagnosis,
            actual: checked.actual,
            note: request.note,
        };
        if !appointment::save_confirmation(conn, &current, &confirmation, current.version, act.now)?
        {
            return Err(ConfirmError::NotOpen);
        }
        if let Some(client) = appointment::client_of(conn, &current)? {
            record(
                conn,
                &client,
                AuditAction::AppointmentAmended,
                Some(&current.id),
                act,
            )?;
        }
        Ok(())
    })
}
