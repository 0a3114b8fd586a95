//! The services a provider offers (Settings → Services): a name, the CPT code it is billed
//! with, and its usual length. A provider starts with the common psychotherapy codes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{Owned, Scope};
use crate::db::ids::new_row_id;
use crate::db::schema::services;
use crate::db::{write_transaction, DbConnection};
use crate::domain::billing_codes::DEFAULT_SERVICES;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = services)]
pub struct Service {
    pub id: String,
    pub provider_id: String,
    pub name: String,
    pub cpt_code: String,
    pub minutes: i32,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The practice's private-pay rate (Settings → Rates), once set.
    pub rate_cents: Option<i32>,
    /// When the rate was last set.
    pub rate_updated_at: Option<NaiveDateTime>,
}

impl Service {
    /// "90834 · Psychotherapy, 45 minutes".
    pub fn label(&self) -> String {
        format!("{} · {}", self.cpt_code, self.name)
    }
}

/// The provider's services (not archived), by CPT code; the shipped ones are added the
/// first time a provider has none.
pub fn offered(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
) -> QueryResult<Vec<Owned<Service>>> {
    write_transaction(conn, |conn| {
        let any: i64 = scope.services().count().get_result(conn)?;
        if any == 0 {
            for (code, name, minutes) in DEFAULT_SERVICES {
                add(conn, scope, name, code, minutes as i32, now)?;
            }
        }
        active(conn, scope)
    })
}

/// The provider's services (not archived), by CPT code: a plain read, for work that runs
/// where sessions already exist (the reminder sweep), so the shipped ones were added.
pub fn active(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<Owned<Service>>> {
    let rows = scope
        .services()
        .filter(services::archived_at.is_null())
        .order((services::cpt_code, services::name))
        .select(Service::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|s| scope.owns(s)).collect())
}

/// The service the booking link offers: the one the provider chose while it is offered,
/// else the intake (90791), else the first.
pub fn for_booking(
    conn: &mut DbConnection,
    provider: &crate::models::provider::Provider,
    now: NaiveDateTime,
) -> QueryResult<Option<Owned<Service>>> {
    let mut offered = offered(conn, &Scope::of(provider), now)?;
    let chosen = provider
        .booking_service_id
        .as_deref()
        .and_then(|id| offered.iter().position(|s| s.id == id))
        .or_else(|| offered.iter().position(|s| s.cpt_code == "90791"));
    Ok(match chosen {
        Some(i) => Some(offered.swap_remove(i)),
        None => offered.into_iter().next(),
    })
}

/// Every service the provider has had (archived too: old sessions still name theirs),
/// by id, for showing sessions — a plain read, unlike [`offered`], which may add the
/// shipped ones.
pub fn by_id(
    conn: &mut DbConnection,
    scope: &Scope,
) -> QueryResult<std::collections::HashMap<String, Service>> {
    let rows = scope.services().select(Service::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|s| (s.id.clone(), s)).collect())
}

/// One of the provider's services, by id.
pub fn find(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
) -> QueryResult<Option<Owned<Service>>> {
    let row = scope
        .services()
        .filter(services::id.eq(id))
        .select(Service::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|s| scope.owns(s)))
}

pub fn add(
    conn: &mut DbConnection,
    scope: &Scope,
    name: &str,
    cpt_code: &str,
    minutes: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(services::table)
        .values((
            services::id.eq(new_row_id()),
            services::provider_id.eq(scope.provider_id().as_str()),
            services::name.eq(name),
            services::cpt_code.eq(cpt_code),
            services::minutes.eq(minutes),
            services::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{at, conn, provider};

    #[test]
    fn a_provider_starts_with_the_shipped_services_and_sees_only_their_own() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let (_, b) = provider(&mut c, "b@example.com");
        let now = at("2026-12-02 09:00");
        let mine = offered(&mut c, &a, now).unwrap();
        assert_eq!(mine.len(), DEFAULT_SERVICES.len());
        assert_eq!(mine[0].cpt_code, "90791");
        // Asking again adds nothing.
        assert_eq!(
            offered(&mut c, &a, now).unwrap().len(),
            DEFAULT_SERVICES.len()
        );
        add(&mut c, &a, "Couples intake", "90791", 75, now).unwrap();
        assert_eq!(
            offered(&mut c, &a, now).unwrap().len(),
            DEFAULT_SERVICES.len() + 1
        );
        assert!(find(&mut c, &b, &mine[0].id).unwrap().is_none());
        assert!(find(&mut c, &a, &mine[0].id).unwrap().is_some());
    }
}
