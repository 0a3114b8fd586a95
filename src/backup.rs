//! Backups a clinician can trust: a consistent copy of the whole database taken while the
//! server runs, and a restore that never writes over data.
//!
//! - SQLite: `VACUUM INTO` writes a snapshot of one read transaction — everything
//!   committed when it began, nothing of a transaction still open (an import being
//!   written) — into a new file, compacted; the copy is an SQLite database.
//! - PostgreSQL: `pg_dump --format=custom`, which also reads one snapshot; the copy is
//!   restored with `pg_restore`. Both come with Debian's `postgresql-client`; when one is
//!   missing the error names it and the package.
//!
//! Every file is written under a temporary name beside its destination, synced, then
//! renamed, so a backup that stops half-way never looks whole; files are private to the
//! server's user. The daily backup (switched on in Settings → Backups) writes
//! `caseload-daily-<UTC time>` files into the backup directory and keeps the newest N.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, SqliteConnection};

use crate::clock::Clock;
use crate::db::{self, DatabaseUrl, DbConnection};
use crate::models::backup::{self as record, Trigger};

/// What the daily backup copies and where its files go (`CASELOAD_BACKUP_DIR`).
#[derive(Debug, Clone)]
pub struct Place {
    pub database_url: DatabaseUrl,
    pub dir: PathBuf,
}

/// The Debian package that holds `pg_dump` and `pg_restore`.
pub const CLIENT_PACKAGE: &str = "postgresql-client";

/// Why no backup was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; a backup never writes over a file. Choose a new file name.")]
    Exists(PathBuf),
    #[error("{0} does not exist, so there is nothing to back up; check DATABASE_URL and CASELOAD_DATA_DIR.")]
    NoDatabase(PathBuf),
    #[error("the folder {0} does not exist. Create it first, or name a file in a folder that exists. Nothing was written.")]
    NoFolder(PathBuf),
    #[error("{0} is a file, not a folder. Name a file in a folder. Nothing was written.")]
    NotAFolder(PathBuf),
    #[error("backing up PostgreSQL needs pg_dump, which is not installed here (or not on PATH): install Debian's {CLIENT_PACKAGE} package (apt-get install {CLIENT_PACKAGE}), then run the backup again. Nothing was written.")]
    NoPgDump,
    #[error("pg_dump could not back up the database ({0}). Nothing was written.")]
    PgDump(String),
    #[error("the backup could not be written to {path} ({error}). Nothing was written.")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the database could not be copied ({0}). Nothing was written.")]
    Database(String),
}

/// Why nothing was restored.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{0} does not exist.")]
    NoFile(PathBuf),
    #[error("{0} is not a Caseload backup (neither an SQLite database nor a pg_dump archive). Nothing was changed.")]
    NotABackup(PathBuf),
    #[error("{file} is a backup of {found}, but DATABASE_URL names {target}: {hint}. Nothing was changed.")]
    WrongKind {
        file: PathBuf,
        found: &'static str,
        target: &'static str,
        hint: &'static str,
    },
    #[error("the database {target} already holds data (in {tables}). Caseload restores only into an empty data directory or database, and never writes over one: point CASELOAD_DATA_DIR or DATABASE_URL at an empty one. Nothing was changed.")]
    NotEmpty { target: String, tables: String },
    #[error("restoring a PostgreSQL backup needs pg_restore, which is not installed here (or not on PATH): install Debian's {CLIENT_PACKAGE} package (apt-get install {CLIENT_PACKAGE}), then run the restore again. Nothing was changed.")]
    NoPgRestore,
    #[error("pg_restore could not restore the backup ({0}). Nothing was restored.")]
    PgRestore(String),
    #[error("the backup could not be copied into place ({0}). Nothing was restored.")]
    Io(std::io::Error),
    #[error("the database could not be read or written ({0}). Nothing was restored.")]
    Database(String),
}

/// Writes a consistent copy of the database at `url` into the new file `to` (refusing an
/// existing one); returns its size.
pub fn write(url: &DatabaseUrl, to: &Path) -> Result<u64, BackupError> {
    if to.exists() {
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    // Said plainly here: otherwise the first thing to fail is the temporary file beside it.
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        match std::fs::metadata(dir) {
            Ok(m) if !m.is_dir() => return Err(BackupError::NotAFolder(dir.to_path_buf())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::NoFolder(dir.to_path_buf()))
            }
            Err(error) => {
                return Err(BackupError::Io {
                    path: to.to_path_buf(),
                    error,
                })
            }
        }
    }
    let pg_dump = match url {
        DatabaseUrl::Postgres(_) => Some(find_tool("pg_dump").ok_or(BackupError::NoPgDump)?),
        DatabaseUrl::Sqlite(_) => None,
    };
    let io = |error| BackupError::Io {
        path: to.to_path_buf(),
        error,
    };
    let partial = partial_name(to);
    let _ = std::fs::remove_file(&partial);
    let written = match (url, pg_dump) {
        (DatabaseUrl::Sqlite(path), _) => vacuum_into(Path::new(path), &partial),
        (DatabaseUrl::Postgres(u), Some(tool)) => run_pg_dump(&tool, u, &partial),
        (DatabaseUrl::Postgres(_), None) => Err(BackupError::NoPgDump),
    };
    let finished = written.and_then(|()| {
        crate::private_files::restrict_file(&partial).map_err(io)?;
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        if to.exists() {
            return Err(BackupError::Exists(to.to_path_buf()));
        }
        std::fs::rename(&partial, to).map_err(io)?;
        sync_dir(to);
        std::fs::metadata(to).map(|m| m.len()).map_err(io)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    finished
}

/// `.NAME.partial` beside `to`: where a backup is written before it is whole.
fn partial_name(to: &Path) -> PathBuf {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    to.with_file_name(format!(".{name}.partial"))
}

/// Makes a rename in `file`'s directory durable.
fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// SQLite: the snapshot of one read transaction, written into `to`. The connection is
/// opened plainly (no pragma that could write), so it never waits for a writer.
fn vacuum_into(db_path: &Path, to: &Path) -> Result<(), BackupError> {
    if !db_path.exists() {
        return Err(BackupError::NoDatabase(db_path.to_path_buf()));
    }
    let path = db_path.to_string_lossy();
    let mut conn =
        SqliteConnection::establish(&path).map_err(|e| BackupError::Database(e.to_string()))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000")
        .map_err(|e| BackupError::Database(e.to_string()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(to.to_string_lossy().into_owned())
        .execute(&mut conn)
        .map(|_| ())
        .map_err(|e| BackupError::Database(e.to_string()))
}

fn run_pg_dump(tool: &Path, url: &str, to: &Path) -> Result<(), BackupError> {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--file={}", to.display()))
        .arg(format!("--dbname={url}"))
        .env("PGCONNECT_TIMEOUT", "10");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd
        .output()
        .map_err(|e| BackupError::PgDump(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::PgDump(first_lines(&out.stderr)))
    }
}

/// The first lines a tool wrote to stderr, for an error message.
fn first_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect();
    if lines.is_empty() {
        "it stopped without saying why".into()
    } else {
        lines.join(" ")
    }
}

/// A program on PATH.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The URL without its password, and the password (percent-decoded), so that the
/// password reaches pg_dump through its environment rather than its command line, which
/// other users of the machine can read.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_string(), None);
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = authority[..at].split_once(':') else {
        return (url.to_string(), None);
    };
    let without = format!(
        "{}{user}{}{}",
        &url[..scheme_end + 3],
        &authority[at..],
        &rest[authority_end..]
    );
    (without, Some(percent_decode(password)))
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a backup file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(file: &Path) -> Result<Option<Kind>, std::io::Error> {
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(file)?;
    let mut read = 0;
    while read < head.len() {
        match f.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(if head[..read].starts_with(b"SQLite format 3\0") {
        Some(Kind::Sqlite)
    } else if head[..read].starts_with(b"PGDMP") {
        Some(Kind::PgDump)
    } else {
        None
    })
}

/// Tables that say nothing of a practice: the migrations' own list, the server's
/// settings, the sweeps' leases, the list of backups.
const HOUSEKEEPING: [&str; 4] = [
    "__diesel_schema_migrations",
    "server_settings",
    "job_leases",
    "backups",
];

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The tables of the database that hold rows (of a practice: housekeeping left out).
pub fn tables_with_data(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let listed = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            // Ordinary tables only: a full-text index (its virtual table and the shadow
            // tables that hold it, some never empty) copies data kept elsewhere.
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .load::<TableName>(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
        .load::<TableName>(c)?,
    };
    let mut with_rows = Vec::new();
    for t in listed {
        if HOUSEKEEPING.contains(&t.name.as_str()) {
            continue;
        }
        let quoted = t.name.replace('"', "\"\"");
        let rows = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM \"{quoted}\" LIMIT 1) AS t"
        ))
        .get_result::<Count>(conn)?;
        if rows.n > 0 {
            with_rows.push(t.name);
        }
    }
    Ok(with_rows)
}

fn not_empty(target: String, tables: Vec<String>) -> RestoreError {
    let shown = if tables.len() > 4 {
        format!(
            "{} and {} more tables",
            tables[..4].join(", "),
            tables.len() - 4
        )
    } else {
        tables.join(", ")
    };
    RestoreError::NotEmpty {
        target,
        tables: shown,
    }
}

/// Restores the backup `file` into the empty database at `url` (an SQLite file that is
/// missing or holds nothing, or a PostgreSQL database with no data), then brings it up to
/// this version's schema. A database that holds data is refused, untouched.
pub fn restore(url: &DatabaseUrl, file: &Path) -> Result<(), RestoreError> {
    if !file.exists() {
        return Err(RestoreError::NoFile(file.to_path_buf()));
    }
    let kind = kind_of(file).map_err(RestoreError::Io)?;
    match (url, kind) {
        (_, None) => Err(RestoreError::NotABackup(file.to_path_buf())),
        (DatabaseUrl::Sqlite(path), Some(Kind::Sqlite)) => restore_sqlite(url, Path::new(path), file),
        (DatabaseUrl::Postgres(u), Some(Kind::PgDump)) => restore_postgres(url, u, file),
        (DatabaseUrl::Sqlite(_), Some(Kind::PgDump)) => Err(RestoreError::WrongKind {
            file: file.to_path_buf(),
            found: "a PostgreSQL database (made by pg_dump)",
            target: "SQLite",
            hint: "set DATABASE_URL to the empty PostgreSQL database to restore it into",
        }),
        (DatabaseUrl::Postgres(_), Some(Kind::Sqlite)) => Err(RestoreError::WrongKind {
            file: file.to_path_buf(),
            found: "an SQLite database",
            target: "PostgreSQL",
            hint: "leave DATABASE_URL unset (or set it to sqlite://PATH) to restore it into an empty data directory",
        }),
    }
}

fn restore_sqlite(url: &DatabaseUrl, target: &Path, file: &Path) -> Result<(), RestoreError> {
    let db_error = |e: &dyn std::fmt::Display| RestoreError::Database(e.to_string());
    if target.exists() {
        let mut conn = db::establish(url).map_err(|e| db_error(&e))?;
        let tables = tables_with_data(&mut conn).map_err(|e| db_error(&e))?;
        if !tables.is_empty() {
            return Err(not_empty(url.redacted(), tables));
        }
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(RestoreError::Io)?;
    }
    let copy = partial_name(target);
    let _ = std::fs::remove_file(&copy);
    let placed = (|| {
        std::fs::copy(file, &copy).map_err(RestoreError::Io)?;
        crate::private_files::restrict_file(&copy).map_err(RestoreError::Io)?;
        {
            // The copy is a Caseload database: it has the providers' table.
            let mut check =
                SqliteConnection::establish(&copy.to_string_lossy()).map_err(|e| db_error(&e))?;
            let found = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'providers'",
            )
            .get_result::<Count>(&mut check)
            .map_err(|_| RestoreError::NotABackup(file.to_path_buf()))?;
            if found.n == 0 {
                return Err(RestoreError::NotABackup(file.to_path_buf()));
            }
        }
        std::fs::File::open(&copy)
            .and_then(|f| f.sync_all())
            .map_err(RestoreError::Io)?;
        // The empty database goes (with its journal files), and the copy takes its place.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = target.as_os_str().to_owned();
            name.push(suffix);
            match std::fs::remove_file(PathBuf::from(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(RestoreError::Io(e)),
            }
        }
        std::fs::rename(&copy, target).map_err(RestoreError::Io)?;
        sync_dir(target);
        Ok(())
    })();
    if placed.is_err() {
        let _ = std::fs::remove_file(&copy);
    }
    placed?;
    db::connect_and_migrate(url, 1).map_err(RestoreError::Database)?;
    crate::private_files::secure_sqlite_files(target).map_err(RestoreError::Io)?;
    Ok(())
}

fn restore_postgres(url: &DatabaseUrl, raw: &str, file: &Path) -> Result<(), RestoreError> {
    let tool = find_tool("pg_restore").ok_or(RestoreError::NoPgRestore)?;
    let db_error = |e: &dyn std::fmt::Display| RestoreError::Database(e.to_string());
    let mut conn = PgConnection::establish(raw).map_err(|e| db_error(&e))?;
    {
        let mut multi = DbConnection::Postgres(conn);
        let tables = tables_with_data(&mut multi).map_err(|e| db_error(&e))?;
        if !tables.is_empty() {
            return Err(not_empty(url.redacted(), tables));
        }
        let DbConnection::Postgres(c) = multi else {
            return Err(RestoreError::Database("unexpected connection".into()));
        };
        conn = c;
    }
    // A schema made by starting Caseload on it (its tables, their triggers' functions),
    // with no data: it goes, so that the backup's (and its list of migrations) take its
    // place. Only the public schema, where Caseload keeps everything, and only now that
    // it is known to hold no data.
    let has_tables =
        !diesel::sql_query("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
            .load::<TableName>(&mut conn)
            .map_err(|e| db_error(&e))?
            .is_empty();
    if has_tables {
        conn.transaction(|c| c.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
            .map_err(|e| db_error(&e))?;
    }
    drop(conn);
    let (plain, password) = split_password(raw);
    let mut cmd = Command::new(tool);
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg("--single-transaction")
        .arg(format!("--dbname={plain}"))
        .arg(file)
        .env("PGCONNECT_TIMEOUT", "10");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd
        .output()
        .map_err(|e| RestoreError::PgRestore(e.to_string()))?;
    if !out.status.success() {
        return Err(RestoreError::PgRestore(first_lines(&out.stderr)));
    }
    db::connect_and_migrate(url, 1).map_err(RestoreError::Database)?;
    Ok(())
}

/// Whether the daily backup should run now: switched on, none succeeded in the last day,
/// and none tried in the last hour (a failing one is tried again hourly, not constantly).
pub fn daily_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<bool> {
    if !record::daily(conn)?.on {
        return Ok(false);
    }
    let (succeeded, tried) = record::last_daily(conn)?;
    let day_ago = now - chrono::Duration::hours(24);
    let hour_ago = now - chrono::Duration::hours(1);
    Ok(succeeded.is_none_or(|t| t <= day_ago) && tried.is_none_or(|t| t <= hour_ago))
}

/// The name the daily backup taken at `at` gets.
pub fn daily_file_name(url: &DatabaseUrl, at: NaiveDateTime) -> String {
    let ext = match url {
        DatabaseUrl::Sqlite(_) => "sqlite3",
        DatabaseUrl::Postgres(_) => "pgdump",
    };
    format!("caseload-daily-{}.{ext}", at.format("%Y%m%d-%H%M%S"))
}

/// Takes the daily backup into the backup directory, notes it (or why it failed), and
/// keeps the newest as many as Settings asks. The outer result is the database's; the
/// inner one the backup's (its error as Settings shows it).
pub fn take_daily(
    conn: &mut DbConnection,
    place: &Place,
    clock: &Clock,
    holder: &str,
) -> QueryResult<Result<PathBuf, String>> {
    let started = clock.now();
    let file = place
        .dir
        .join(daily_file_name(&place.database_url, started));
    let written = std::fs::create_dir_all(&place.dir)
        .and_then(|_| crate::private_files::secure_dir(&place.dir).map(|_| ()))
        .map_err(|error| BackupError::Io {
            path: place.dir.clone(),
            error,
        })
        .and_then(|()| write(&place.database_url, &file));
    let shown = file.to_string_lossy().into_owned();
    match written {
        Ok(size) => {
            record::record(
                conn,
                Trigger::Daily,
                &shown,
                started,
                Ok(size),
                holder,
                clock.now(),
            )?;
            let keep = record::daily(conn)?.keep as usize;
            prune(&place.dir, keep);
            Ok(Ok(file))
        }
        Err(e) => {
            let message = e.to_string();
            record::record(
                conn,
                Trigger::Daily,
                &shown,
                started,
                Err(&message),
                holder,
                clock.now(),
            )?;
            Ok(Err(message))
        }
    }
}

/// Deletes all but the newest `keep` daily backups in `dir` (their names sort by time).
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut daily: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("caseload-daily-"))
        })
        .collect();
    daily.sort();
    let excess = daily.len().saturating_sub(keep);
    for old in &daily[..excess] {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(error = %e, file = %old.display(), "an old daily backup could not be deleted");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://me:s%40cret@db.example.com:5432/caseload?sslmode=require"),
            (
                "postgres://me@db.example.com:5432/caseload?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/x"),
            ("postgres://postgres@127.0.0.1:5432/x".to_string(), None)
        );
        assert_eq!(
            split_password("postgresql://host/db"),
            ("postgresql://host/db".to_string(), None)
        );
    }

    #[test]
    fn daily_backups_are_named_by_their_time_and_pruned_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite("x.db".into());
        let t = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        assert_eq!(
            daily_file_name(&url, t(3)),
            "caseload-daily-20261207-030000.sqlite3"
        );
        for h in [1, 2, 3, 4] {
            std::fs::write(dir.path().join(daily_file_name(&url, t(h))), b"x").unwrap();
        }
        std::fs::write(dir.path().join("mine.sqlite3"), b"x").unwrap();
        prune(dir.path(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "caseload-daily-20261207-030000.sqlite3",
                "caseload-daily-20261207-040000.sqlite3",
                "mine.sqlite3"
            ]
        );
    }
}
