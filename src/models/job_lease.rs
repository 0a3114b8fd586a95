//! Leases on the periodic sweeps (session reminders, questionnaires, import expiry, the
//! daily backup), so that with several instances on one database one runs a sweep at a
//! time. A lease names its holder and when it ends: an instance that dies holding one is
//! taken to be gone once it has ended, and another takes the sweep over. The sweeps are
//! idempotent row by row already; the lease stops two instances racing through the same
//! rows (two questionnaires to one client, say).
//!
//! Taking a lease is one conditional update, so on either backend exactly one of several
//! instances asking at once gets it (PostgreSQL re-checks the condition after waiting for
//! the other's update; SQLite's write lock takes them in turn).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use crate::db::schema::job_leases;
use crate::db::{write_transaction, DbConnection};

/// Who holds a sweep now, as Settings shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = job_leases)]
pub struct JobLease {
    pub name: String,
    pub holder: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_started_at: Option<NaiveDateTime>,
    pub last_finished_at: Option<NaiveDateTime>,
}

/// Takes the lease on `name` for `holder` until `now + lease`, unless another holder's
/// lease is still running. Returns whether it was taken.
pub fn try_take(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    lease: Duration,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let free = job_leases::holder
            .is_null()
            .or(job_leases::holder.eq(holder))
            .or(job_leases::lease_until.is_null())
            .or(job_leases::lease_until.le(now));
        let taken = diesel::update(
            job_leases::table
                .filter(job_leases::name.eq(name))
                .filter(free),
        )
        .set((
            job_leases::holder.eq(holder),
            job_leases::lease_until.eq(now + lease),
            job_leases::last_started_at.eq(now),
        ))
        .execute(conn)?;
        if taken == 1 {
            return Ok(true);
        }
        let known = job_leases::table
            .filter(job_leases::name.eq(name))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if known {
            return Ok(false);
        }
        // The job's first run anywhere: its row is made, held. Two instances making it
        // at once: one insert wins, the other's unique violation means "taken".
        let made = conn.transaction(|conn| {
            diesel::insert_into(job_leases::table)
                .values((
                    job_leases::name.eq(name),
                    job_leases::holder.eq(holder),
                    job_leases::lease_until.eq(now + lease),
                    job_leases::last_started_at.eq(now),
                ))
                .execute(conn)
        });
        match made {
            Ok(_) => Ok(true),
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(e) => Err(e),
        }
    })
}

/// Keeps holding a lease taken with [`try_take`] (a long sweep): returns false when it
/// has been taken over meanwhile.
pub fn renew(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(name))
            .filter(job_leases::holder.eq(holder)),
    )
    .set(job_leases::lease_until.eq(until))
    .execute(conn)
    .map(|n| n == 1)
}

/// Lets go of a lease once the sweep is done, so any instance may run it next.
pub fn release(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(name))
            .filter(job_leases::holder.eq(holder)),
    )
    .set((
        job_leases::holder.eq(None::<String>),
        job_leases::lease_until.eq(None::<NaiveDateTime>),
        job_leases::last_finished_at.eq(now),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Every sweep's lease, by name.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<JobLease>> {
    job_leases::table
        .order(job_leases::name.asc())
        .select(JobLease::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing;

    #[test]
    fn one_holder_at_a_time_and_a_dead_holders_lease_ends() {
        let mut conn = testing::conn();
        let now = crate::models::now();
        let lease = Duration::minutes(10);
        assert!(try_take(&mut conn, "sweep", "a", now, lease).unwrap());
        assert!(!try_take(&mut conn, "sweep", "b", now, lease).unwrap());
        assert!(
            try_take(&mut conn, "sweep", "a", now, lease).unwrap(),
            "its holder may take it again"
        );
        // a dies holding it: b waits for the lease to end, then takes it.
        let later = now + Duration::minutes(9);
        assert!(!try_take(&mut conn, "sweep", "b", later, lease).unwrap());
        let ended = now + Duration::minutes(10);
        assert!(try_take(&mut conn, "sweep", "b", ended, lease).unwrap());
        assert!(!renew(&mut conn, "sweep", "a", ended + lease).unwrap());
        release(&mut conn, "sweep", "b", ended).unwrap();
        assert!(try_take(&mut conn, "sweep", "a", ended, lease).unwrap());
        let rows = all(&mut conn).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].holder.as_deref(), Some("a"));
        assert_eq!(rows[0].last_finished_at, Some(ended));
    }
}
