//! Pure rules of the practice: no actix, no Diesel. Parse, don't validate.

pub mod appointment;
pub mod billing;
pub mod billing_codes;
pub mod client;
pub mod client_edit;
pub mod document;
pub mod email;
pub mod estimate;
pub mod free_slots;
pub mod good_faith;
pub mod instrument;
pub mod measure_schedule;
pub mod money;
pub mod name;
pub mod onboarding;
pub mod payment;
pub mod phone;
pub mod plural;
pub mod recurrence;
pub mod search_key;
pub mod session_rules;
pub mod time_zone;
pub mod us_states;
pub mod user_agent;
pub mod week_grid;
