//! The record of backups: each one taken by `caseload backup` or the daily job (and each
//! that failed, with why), for Settings → Backups; and the daily backup's settings.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::server_setting;
use crate::db::ids::new_row_id;
use crate::db::schema::backups;
use crate::db::DbConnection;

/// What started a backup; stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `caseload backup FILE`.
    Command,
    /// The daily backup (Settings → Backups).
    Daily,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Command => "command",
            Trigger::Daily => "daily",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = backups)]
pub struct Backup {
    pub id: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub trigger: String,
    pub file: String,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub taken_by: String,
}

impl Backup {
    /// Finished and whole.
    pub fn succeeded(&self) -> bool {
        self.finished_at.is_some() && self.error.is_none()
    }
}

/// Notes a finished backup (or a failed one, with its `error`).
pub fn record(
    conn: &mut DbConnection,
    trigger: Trigger,
    file: &str,
    started_at: NaiveDateTime,
    outcome: Result<u64, &str>,
    taken_by: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (size, error) = match outcome {
        Ok(size) => (Some(size as i64), None),
        Err(e) => (None, Some(e)),
    };
    diesel::insert_into(backups::table)
        .values((
            backups::id.eq(new_row_id()),
            backups::started_at.eq(started_at),
            backups::finished_at.eq(now),
            backups::trigger.eq(trigger.as_str()),
            backups::file.eq(file),
            backups::size_bytes.eq(size),
            backups::error.eq(error),
            backups::taken_by.eq(taken_by),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The newest backups and failures, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Backup>> {
    backups::table
        .order((backups::started_at.desc(), backups::id.desc()))
        .limit(limit)
        .select(Backup::as_select())
        .load(conn)
}

/// The newest backup that succeeded.
pub fn last_taken(conn: &mut DbConnection) -> QueryResult<Option<Backup>> {
    backups::table
        .filter(backups::finished_at.is_not_null())
        .filter(backups::error.is_null())
        .order((backups::started_at.desc(), backups::id.desc()))
        .select(Backup::as_select())
        .first(conn)
        .optional()
}

/// When the daily backup last succeeded, and when it was last tried.
pub fn last_daily(
    conn: &mut DbConnection,
) -> QueryResult<(Option<NaiveDateTime>, Option<NaiveDateTime>)> {
    let daily = backups::table.filter(backups::trigger.eq(Trigger::Daily.as_str()));
    let succeeded = daily
        .filter(backups::error.is_null())
        .select(diesel::dsl::max(backups::started_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    let tried = daily
        .select(diesel::dsl::max(backups::started_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok((succeeded, tried))
}

/// The daily backup's settings: whether it runs, and how many it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Daily {
    pub on: bool,
    pub keep: u32,
}

/// The most daily backups one may keep, and how many are kept unless said otherwise.
pub const MAX_KEPT: u32 = 365;
pub const DEFAULT_KEPT: u32 = 7;

pub fn daily(conn: &mut DbConnection) -> QueryResult<Daily> {
    let on = server_setting::get(conn, server_setting::DAILY_BACKUP)?.as_deref() == Some("on");
    let keep = server_setting::get(conn, server_setting::BACKUPS_KEPT)?
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|n| (1..=MAX_KEPT).contains(n))
        .unwrap_or(DEFAULT_KEPT);
    Ok(Daily { on, keep })
}

pub fn set_daily(conn: &mut DbConnection, daily: Daily, now: NaiveDateTime) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        server_setting::set(
            conn,
            server_setting::DAILY_BACKUP,
            if daily.on { "on" } else { "off" },
            now,
        )?;
        server_setting::set(
            conn,
            server_setting::BACKUPS_KEPT,
            &daily.keep.to_string(),
            now,
        )
    })
}
