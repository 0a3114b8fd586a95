//! The time the app runs on: the system clock in production, a manual clock in tests
//! (which only moves when the test advances it), so that tests move time instead of
//! sleeping. Held in the app state; code that needs "now" asks the state's clock.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{Duration, NaiveDateTime, SubsecRound, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock(Source);

#[derive(Debug, Clone, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<Mutex<NaiveDateTime>>),
}

impl Clock {
    /// The real time.
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock that stands at `start` until advanced; clones share the same time.
    pub fn manual(start: NaiveDateTime) -> Self {
        Self(Source::Manual(Arc::new(Mutex::new(start.trunc_subsecs(6)))))
    }

    /// Now, in UTC, to the microsecond (PostgreSQL's precision) so both backends store
    /// the same.
    pub fn now(&self) -> NaiveDateTime {
        match &self.0 {
            Source::System => Utc::now().naive_utc().trunc_subsecs(6),
            Source::Manual(t) => *t.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Sets a manual clock to `to` (a test that needs a given date); the system clock
    /// ignores it.
    pub fn set(&self, to: NaiveDateTime) {
        if let Source::Manual(t) = &self.0 {
            *t.lock().unwrap_or_else(PoisonError::into_inner) = to.trunc_subsecs(6);
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved and ignores it.
    pub fn advance(&self, by: Duration) {
        if let Source::Manual(t) = &self.0 {
            let mut t = t.lock().unwrap_or_else(PoisonError::into_inner);
            *t += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let start = Utc::now().naive_utc();
        let clock = Clock::manual(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start.trunc_subsecs(6));
        other.advance(Duration::minutes(31));
        assert_eq!(clock.now(), start.trunc_subsecs(6) + Duration::minutes(31));
    }

    #[test]
    fn the_system_clock_runs() {
        let clock = Clock::system();
        let before = Utc::now().naive_utc() - Duration::seconds(1);
        clock.advance(Duration::days(1));
        let now = clock.now();
        assert!(now >= before && now < before + Duration::hours(1));
    }
}
