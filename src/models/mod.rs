//! One file per aggregate: the row structs and every query that touches them. Queries on a
//! provider's data start from their [`scope::Scope`] or take an [`scope::Owned`] handle;
//! the few paths without a signed-in provider go through [`unscoped`].

pub mod appointment;
pub mod assessment;
pub mod audit;
pub mod backup;
pub mod booking;
pub mod calendar_feed;
pub mod client;
pub mod contact;
pub mod document;
pub mod failed_login;
pub mod good_faith;
pub mod import_batch;
pub mod import_upload;
pub mod invitation;
pub mod job_lease;
pub mod measure_schedule;
pub mod outbox;
pub mod password_reset;
pub mod payment_method;
pub mod portal_account;
pub mod practice_form;
pub mod pricing;
pub mod provider;
#[cfg(test)]
pub(crate) mod query_plans;
pub mod risk_alert;
pub mod scope;
pub mod server_setting;
pub mod service;
pub mod sign_in_session;
pub mod simplepractice_import;
#[cfg(test)]
pub(crate) mod testing;
pub mod unscoped;
pub mod working_hours;

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond (PostgreSQL's precision) so both backends store the same.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}
