//! Settings of the whole server rather than of one provider, kept in the database so that
//! every instance reads the same: the session cookie's key, and the daily backup.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use crate::db::schema::server_settings;
use crate::db::{write_transaction, DbConnection};

/// The key that signs and encrypts session cookies (hex).
pub const SESSION_KEY: &str = "session_key";
/// Whether the daily backup runs ("on" or "off").
pub const DAILY_BACKUP: &str = "daily_backup";
/// How many daily backups are kept.
pub const BACKUPS_KEPT: &str = "backups_kept";

pub fn get(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    server_settings::table
        .filter(server_settings::name.eq(name))
        .select(server_settings::value)
        .first(conn)
        .optional()
}

/// Stores `value` under `name` unless a value is there already; returns the value that
/// stands (theirs, when another instance got there first).
pub fn get_or_insert(
    conn: &mut DbConnection,
    name: &str,
    value: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    if let Some(v) = get(conn, name)? {
        return Ok(v);
    }
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(server_settings::table)
            .values((
                server_settings::name.eq(name),
                server_settings::value.eq(value),
                server_settings::updated_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(value.to_string()),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            get(conn, name)?.ok_or(Error::NotFound)
        }
        Err(e) => Err(e),
    }
}

/// Sets `name` to `value`.
pub fn set(
    conn: &mut DbConnection,
    name: &str,
    value: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        let n = diesel::update(server_settings::table.filter(server_settings::name.eq(name)))
            .set((
                server_settings::value.eq(value),
                server_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(server_settings::table)
                .values((
                    server_settings::name.eq(name),
                    server_settings::value.eq(value),
                    server_settings::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing;

    #[test]
    fn the_first_value_stands_and_set_replaces_it() {
        let mut conn = testing::conn();
        let now = crate::models::now();
        assert_eq!(get(&mut conn, "x").unwrap(), None);
        assert_eq!(get_or_insert(&mut conn, "x", "one", now).unwrap(), "one");
        assert_eq!(get_or_insert(&mut conn, "x", "two", now).unwrap(), "one");
        set(&mut conn, "x", "three", now).unwrap();
        set(&mut conn, "y", "four", now).unwrap();
        assert_eq!(get(&mut conn, "x").unwrap().as_deref(), Some("three"));
        assert_eq!(get(&mut conn, "y").unwrap().as_deref(), Some("four"));
    }
}
