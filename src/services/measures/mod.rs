//! Measurement-based care: questionnaires started for a client and sent on their schedule
//! (one email, one link, for all that fall due together), answered by the client or given
//! in session by the provider, scored, and any risk answer raised at once as an alert the
//! provider resolves with a note. Every step is audited.

pub mod alerts;
pub mod answering;
pub mod results;
pub mod schedules;
pub mod sending;

/// The outbox's kinds for the emails here.
pub const REQUEST_EMAIL: &str = "assessments";
pub const REMINDER_EMAIL: &str = "assessments_reminder";
pub const RISK_ALERT_EMAIL: &str = "risk_alert";

/// Where a client answers a link's questionnaires.
pub fn answer_url(public_url: &str, token: &str) -> String {
    format!("{public_url}/portal/questionnaires/{token}")
}
