//! When the provider works, per weekday, in their own zone (Settings → Calendar): the
//! week view shades the rest, and the booking link will offer only these hours.

use chrono::NaiveTime;
use diesel::prelude::*;

use super::scope::Scope;
use crate::db::schema::{providers, working_hours};
use crate::db::{write_transaction, DbConnection};
use crate::domain::session_rules::CancellationPolicy;

/// One weekday's hours (the booking link's rule reads the same type).
pub use crate::domain::free_slots::DayHours as Hours;

/// The provider's hours, by weekday (days off are absent).
pub fn of(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<Hours>> {
    let rows: Vec<(i32, String, String)> = scope
        .working_hours()
        .order(working_hours::weekday)
        .select((
            working_hours::weekday,
            working_hours::starts,
            working_hours::ends,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, s, e)| {
            Some(Hours {
                weekday: u32::try_from(d).ok()?,
                starts: NaiveTime::parse_from_str(&s, "%H:%M").ok()?,
                ends: NaiveTime::parse_from_str(&e, "%H:%M").ok()?,
            })
        })
        .collect())
}

/// The rest of Settings → Calendar, saved with the hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRules {
    pub policy: CancellationPolicy,
    /// Charged for a late cancellation or a no-show; 0 for none.
    pub fee_cents: i32,
    /// How long before a session its reminder goes out; 0 for none.
    pub reminder_hours: i32,
    pub video_link: Option<String>,
    pub office_address: Option<String>,
    /// The booking link offers times at least this many hours ahead.
    pub booking_notice_hours: i32,
    /// The service the booking link offers (none: the intake).
    pub booking_service_id: Option<String>,
    /// Email the provider when a booking request arrives.
    pub email_booking_requests: bool,
}

/// Replaces the provider's hours and calendar rules, in one transaction.
pub fn save(
    conn: &mut DbConnection,
    scope: &Scope,
    hours: &[Hours],
    rules: &CalendarRules,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::delete(scope.working_hours()).execute(conn)?;
        for h in hours {
            diesel::insert_into(working_hours::table)
                .values((
                    working_hours::provider_id.eq(scope.provider_id().as_str()),
                    working_hours::weekday.eq(h.weekday as i32),
                    working_hours::starts.eq(h.starts.format("%H:%M").to_string()),
                    working_hours::ends.eq(h.ends.format("%H:%M").to_string()),
                ))
                .execute(conn)?;
        }
        diesel::update(providers::table.find(scope.provider_id().as_str()))
            .set((
                providers::cancellation_policy.eq(rules.policy.as_str()),
                providers::cancellation_fee_cents.eq(rules.fee_cents),
                providers::reminder_hours.eq(rules.reminder_hours),
                providers::video_link.eq(rules.video_link.as_deref()),
                providers::office_address.eq(rules.office_address.as_deref()),
                providers::booking_notice_hours.eq(rules.booking_notice_hours),
                providers::booking_service_id.eq(rules.booking_service_id.as_deref()),
                providers::email_booking_requests.eq(rules.email_booking_requests),
            ))
            .execute(conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{conn, provider};

    #[test]
    fn hours_are_replaced_whole_and_kept_per_provider() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let (_, b) = provider(&mut c, "b@example.com");
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let week = [0, 1, 2].map(|d| Hours {
            weekday: d,
            starts: t(9),
            ends: t(17),
        });
        let rules = CalendarRules {
            policy: CancellationPolicy::Hours24,
            fee_cents: 7500,
            reminder_hours: 24,
            video_link: None,
            office_address: None,
            booking_notice_hours: 2,
            booking_service_id: None,
            email_booking_requests: true,
        };
        save(&mut c, &a, &week, &rules).unwrap();
        assert_eq!(of(&mut c, &a).unwrap(), week);
        save(&mut c, &a, &week[..1], &rules).unwrap();
        assert_eq!(of(&mut c, &a).unwrap().len(), 1);
        assert!(of(&mut c, &b).unwrap().is_empty());
    }
}
