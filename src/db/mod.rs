//! Database access: one connection enum over SQLite and PostgreSQL, an r2d2 pool that
//! picks the backend from the URL scheme, SQLite pragmas, and embedded migrations.

pub mod ids;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Which backend a `DATABASE_URL` names. Chosen by scheme, never by trial: a typo must not
/// silently become an SQLite file, and a Postgres error must reach the user as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Self::Sqlite(path.to_string()));
        }
        if let Some(path) = url.strip_prefix("sqlite:") {
            return Ok(Self::Sqlite(path.to_string()));
        }
        if url.is_empty() {
            return Err("DATABASE_URL is empty: leave it unset to use SQLite in the data directory, or set postgres://USER@HOST/DB".into());
        }
        // A bare path means SQLite; anything that looks like another scheme is a mistake.
        if url.contains("://") || url.starts_with("postgres") || url.starts_with("mysql") {
            return Err(format!(
                "DATABASE_URL has an unsupported scheme: use postgres://USER@HOST/DB for PostgreSQL, or sqlite://PATH (or a plain file path) for SQLite; got \"{}\"",
                redact_url(url)
            ));
        }
        Ok(Self::Sqlite(url.to_string()))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// What the driver connects with: the SQLite path, or the PostgreSQL URL.
    pub fn connection_string(&self) -> &str {
        match self {
            Self::Sqlite(p) | Self::Postgres(p) => p,
        }
    }

    /// The URL for display, with any password hidden.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite://{p}"),
            Self::Postgres(u) => redact_url(u),
        }
    }
}

fn redact_url(url: &str) -> String {
    // A password can also sit in the query string: postgres://host/db?password=...
    if let Some(q) = url.find('?') {
        let params: Vec<String> = url[q + 1..]
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        return format!("{}?{}", redact_url(&url[..q]), params.join("&"));
    }
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, diesel::ConnectionError> {
    match url {
        DatabaseUrl::Postgres(u) => PgConnection::establish(u).map(DbConnection::Postgres),
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            // WAL for concurrent readers; FULL so a committed import survives power loss;
            // foreign keys on; wait for a busy writer instead of failing at once.
            // Reads through a memory map instead of a syscall per page; optimize=0x10002
            // refreshes the planner's statistics when tables have grown, so that search
            // picks its indexes on a long list.
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 268435456; PRAGMA optimize = 0x10002;",
            )
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Connects once (so a bad URL or an unreachable server fails fast with the real error),
/// runs pending migrations, then builds the pool.
pub fn connect_and_migrate(url: &DatabaseUrl, max_size: u32) -> Result<Pool, String> {
    let mut conn =
        establish(url).map_err(|e| format!("cannot open the database {}: {e}", url.redacted()))?;
    run_migrations(&mut conn)?;
    drop(conn);
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .build(ConnectionManager::new(url.clone()))
        .map_err(|e| format!("cannot open the database {}: {e}", url.redacted()))
}

/// A transaction that will write. On SQLite it takes the write lock first (a no-op write),
/// so that a read followed by a write waits for another writer instead of failing with
/// "database is locked" — the effect of `BEGIN IMMEDIATE`, through the one connection type.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute("DELETE FROM failed_logins WHERE 0")?;
        }
        f(conn)
    })
}

/// How much SQLite page cache a bulk write gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCache {
    /// 256 MB, for many rows whose index pages are written again and again: with SQLite's
    /// default 2 MB a 100,000-row import took about twice as long (measured 2026-12-07).
    /// The cache grows only as pages are used.
    Large,
    /// SQLite's 2 MB, for documents' bytes, which pass through once: a large cache would
    /// only hold them in memory.
    Default,
}

/// A `write_transaction` for a bulk write (an import). On SQLite, for it and its commit,
/// the connection gets the page cache asked for, and the commit does not write the log
/// back into the database file (SQLite's automatic checkpoint, which the commit would
/// otherwise run): the commit is durable in the log, and writing the gigabyte of an
/// export's documents a second time while the provider waited made up a third of its
/// import (measured 2026-12-07). The caller runs [`checkpoint`] off the request; failing
/// that, the next commit on any connection does it. Both settings are set back after,
/// whatever the outcome. PostgreSQL's buffers and log are the server's: nothing changes
/// there.
pub fn bulk_write_transaction<T, E>(
    conn: &mut DbConnection,
    cache: PageCache,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    // No checkpoint at commit; SQLite's defaults after: 2 MB, and a checkpoint once the
    // log passes 1,000 pages.
    const BULK: &str = "PRAGMA wal_autocheckpoint = 0;";
    const LARGE_CACHE: &str = "PRAGMA cache_size = -262144;";
    const DEFAULTS: &str = "PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000;";
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute(BULK)?;
        if cache == PageCache::Large {
            c.batch_execute(LARGE_CACHE)?;
        }
    }
    let outcome = write_transaction(conn, f);
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute(DEFAULTS)?;
    }
    outcome
}

/// Inserts `$rows` (a slice of values that own their data) into `$table` in multi-row
/// statements of `$chunk` rows, inside the caller's transaction; evaluates to how many
/// were inserted, and returns the first error from the enclosing function. Full chunks go
/// through one statement that Diesel prepares once per connection and keeps (it prepares
/// a slice's anew each time, its SQL depending on the length); a shorter last one through
/// one more. Needs `diesel::RunQueryDsl` in scope.
macro_rules! insert_in_chunks {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        let mut inserted = 0usize;
        for chunk in $rows.chunks($chunk) {
            let full = <&[_; $chunk]>::try_from(chunk).ok();
            let insert = diesel::insert_into($table);
            inserted += match (&mut *$conn, full) {
                ($crate::db::DbConnection::Sqlite(c), Some(full)) => {
                    insert.values(full).execute(c)?
                }
                ($crate::db::DbConnection::Sqlite(c), None) => insert.values(chunk).execute(c)?,
                ($crate::db::DbConnection::Postgres(c), Some(full)) => {
                    insert.values(full).execute(c)?
                }
                ($crate::db::DbConnection::Postgres(c), None) => insert.values(chunk).execute(c)?,
            };
        }
        inserted
    }};
}
pub(crate) use insert_in_chunks;

/// Writes SQLite's log back into the database file as far as no reader needs it (a
/// passive checkpoint: it waits for no one). After a [`bulk_write_transaction`], on a
/// thread of its own. Nothing to do on PostgreSQL.
pub fn checkpoint(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)"),
        DbConnection::Postgres(_) => Ok(()),
    }
}

/// A table whose writers must take turns for a check-then-write to hold.
#[derive(Debug, Clone, Copy)]
pub enum Turns {
    /// Failed sign-ins: the throttle's check and its count.
    FailedLogins,
    /// Providers: "only the first may sign up".
    Providers,
}

/// Inside a `write_transaction`, makes other writers of `table` wait until this one
/// commits. SQLite needs nothing more (`write_transaction` already holds its one write
/// lock); PostgreSQL takes a lock that conflicts with itself and with inserts but not with
/// plain reads.
pub fn take_turns(conn: &mut DbConnection, table: Turns) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => c.batch_execute(match table {
            Turns::FailedLogins => "LOCK TABLE failed_logins IN SHARE ROW EXCLUSIVE MODE",
            Turns::Providers => "LOCK TABLE providers IN SHARE ROW EXCLUSIVE MODE",
        }),
    }
}

/// Refreshes planner statistics after a bulk change.
pub fn refresh_statistics(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute("PRAGMA optimize"),
        DbConnection::Postgres(c) => c.batch_execute("ANALYZE clients"),
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<(), String> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| format!("database migration failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        v: i64,
    }

    /// (wal_autocheckpoint, cache_size) of the connection.
    fn settings(conn: &mut DbConnection) -> (i64, i64) {
        use diesel::RunQueryDsl;
        let DbConnection::Sqlite(c) = conn else {
            unreachable!()
        };
        #[derive(diesel::QueryableByName)]
        struct Wal {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            wal_autocheckpoint: i64,
        }
        #[derive(diesel::QueryableByName)]
        struct Cache {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            cache_size: i64,
        }
        let wal = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result::<Wal>(c)
            .unwrap();
        let cache = diesel::sql_query("PRAGMA cache_size")
            .get_result::<Cache>(c)
            .unwrap();
        (wal.wal_autocheckpoint, cache.cache_size)
    }

    #[test]
    fn a_bulk_write_commits_into_the_log_and_the_connection_is_set_back_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulk.db");
        let mut conn =
            establish(&DatabaseUrl::Sqlite(path.to_string_lossy().into_owned())).unwrap();
        // (`write_transaction` takes the write lock with a no-op delete from failed_logins.)
        conn.batch_execute("CREATE TABLE t (x BLOB NOT NULL); CREATE TABLE failed_logins (x);")
            .unwrap();
        checkpoint(&mut conn).unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        assert_eq!(settings(&mut conn), (1000, -2000));

        // 8 MB in one transaction: past the 1,000 pages at which a commit writes back.
        bulk_write_transaction(&mut conn, PageCache::Large, |c| {
            c.batch_execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO t SELECT randomblob(4000) FROM n",
            )
        })
        .unwrap();
        assert_eq!(settings(&mut conn), (1000, -2000), "set back");
        // In the log only, until the checkpoint writes it back; committed: another
        // connection sees it (opening one writes, and so writes the log back too).
        assert_eq!(std::fs::metadata(&path).unwrap().len(), before);
        checkpoint(&mut conn).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > before + 8_000_000);
        let mut other =
            establish(&DatabaseUrl::Sqlite(path.to_string_lossy().into_owned())).unwrap();
        let DbConnection::Sqlite(o) = &mut other else {
            unreachable!()
        };
        let rows: Setting =
            diesel::RunQueryDsl::get_result(diesel::sql_query("SELECT count(*) AS v FROM t"), o)
                .unwrap();
        assert_eq!(rows.v, 2000);

        // A bulk write that fails sets the connection back too, and leaves nothing.
        let failed: Result<(), diesel::result::Error> =
            bulk_write_transaction(&mut conn, PageCache::Large, |c| {
                c.batch_execute("INSERT INTO t VALUES (randomblob(10))")?;
                c.batch_execute("INSERT INTO t VALUES (NULL)")
            });
        assert!(failed.is_err());
        assert_eq!(settings(&mut conn), (1000, -2000));
        let rows: Setting =
            diesel::RunQueryDsl::get_result(diesel::sql_query("SELECT count(*) AS v FROM t"), o)
                .unwrap();
        assert_eq!(rows.v, 2000);
    }

    #[test]
    fn url_schemes() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
        assert!(DatabaseUrl::parse("postgres:typo").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn password_is_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=pw"),
            "postgres://h/db?user=u&password=***"
        );
    }
}
