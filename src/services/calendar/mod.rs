//! Putting sessions on the provider's calendar: a session with a client, of one of the
//! provider's services, at a wall-clock time in the provider's zone. Written only when it
//! overlaps nothing that holds its time (checked inside the writing transaction), and
//! recorded in the client's audit trail.

mod changing;
mod closing;
mod confirming;
pub mod notices;
pub mod reminders;
mod requests;
mod scheduling;

pub use changing::*;
pub use closing::*;
pub use confirming::*;
pub use notices::Notify;
pub use requests::*;
pub use scheduling::*;

/// Which occurrences of a series a change applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    This,
    ThisAndFollowing,
    WholeSeries,
}
