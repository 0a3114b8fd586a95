//! Importing clients, from a client list or a SimplePractice export: each thing a provider
//! does to an import is one function here, with its own error type that the handler turns
//! into a page.
//!
//! - [`upload`]: an upload kept and handed to the analysis workers (or the batch says why
//!   not);
//! - [`reading`]: the file read again with another sheet or hand-picked columns;
//! - [`review`]: a page of the review, and its decisions saved ("Select all new
//!   clients", and an export's card matched by hand to a "Name <email>" of the list);
//! - [`commit`]: the selected rows imported (an export's documents read from its stored
//!   archive); a second submit finds the import done;
//! - [`cancel`] and [`welcome`]: an import dropped, and the welcome email to the clients an
//!   import created.

pub mod commit;
pub mod reading;
pub mod review;
pub mod upload;

pub use commit::{commit, CommitError, Committed};
pub use reading::{reanalyse, Reading, ReadingError};
pub use review::{review_page, save_review, ReviewError, ReviewForm};
pub use upload::{upload, Upload, UploadError};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::Act;
use crate::db::{write_transaction, DbConnection};
use crate::import::archive::ArchiveLimits;
use crate::import_jobs::UploadStore;
use crate::jobs::Jobs;
use crate::models::import_batch;
use crate::models::provider::Provider;
use crate::models::scope::OwnedBatch;

/// Where an import's upload waits, who analyses it, and how much an export may unpack to.
#[derive(Clone)]
pub struct ImportFiles {
    pub uploads: UploadStore,
    pub jobs: Jobs,
    pub export_limits: ArchiveLimits,
    /// The most a practice's documents may take (`CASELOAD_MAX_STORAGE`).
    pub storage_limit: Option<u64>,
}

/// Why an import could not be cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// Done already (from another tab, or a second click): nothing was changed.
    #[error("This import had already been done, so it could not be cancelled.")]
    AlreadyImported,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Drops an import that was not done, with its rows and its upload.
pub fn cancel(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    files: &ImportFiles,
    now: NaiveDateTime,
) -> Result<(), CancelError> {
    if !import_batch::cancel(conn, batch, now)? {
        return Err(CancelError::AlreadyImported);
    }
    files.uploads.remove(conn, &batch.id)?;
    Ok(())
}

/// Which of an import's clients the welcome email goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomeTo {
    /// Those who have not had one (the provider confirmed, after being told who had).
    NotYet,
    /// Everyone again, those who had one too (the provider confirmed resending).
    Everyone,
}

/// What asking to send the welcome email did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Welcome {
    /// Queued for this many clients.
    Sent(usize),
    /// Nothing sent: some clients had one already; the provider is asked first.
    AskFirst {
        /// Those who had one: (name, when the last was queued).
        already: Vec<(String, NaiveDateTime)>,
        /// How many of the import's clients have not had one.
        not_yet: usize,
    },
}

/// The welcome email (with a link to finish setting up) for the clients the import
/// created who have not set up their account yet. Asked with `to: None`, it is queued only
/// when none of them had one; otherwise nothing is sent and the answer names who had one
/// (and when), for the provider to confirm `to` whom. Its only failure is the database's.
pub fn welcome(
    conn: &mut DbConnection,
    provider: &Provider,
    batch: &OwnedBatch,
    public_url: &str,
    to: Option<WelcomeTo>,
    act: Act<'_>,
) -> QueryResult<Welcome> {
    write_transaction(conn, |conn| {
        let clients = import_batch::imported_clients(conn, batch)?;
        let welcomed =
            import_batch::welcomed_at(conn, batch, &clients, crate::onboarding::WELCOME)?;
        let welcomed: std::collections::HashMap<String, NaiveDateTime> =
            welcomed.into_iter().collect();
        let had_one = |c: &crate::models::scope::OwnedClient| welcomed.get(&c.id).copied();
        if to.is_none() && !welcomed.is_empty() {
            let mut already: Vec<(String, NaiveDateTime)> = clients
                .iter()
                .filter_map(|c| Some((c.full_name(), had_one(c)?)))
                .collect();
            already.sort();
            let not_yet = clients.iter().filter(|c| had_one(c).is_none()).count();
            return Ok(Welcome::AskFirst { already, not_yet });
        }
        let mut sent = 0;
        for c in &clients {
            if to != Some(WelcomeTo::Everyone) && had_one(c).is_some() {
                continue;
            }
            if crate::onboarding::send_invitation(
                conn, provider, c, public_url, true, act.now, act.ip,
            )? {
                sent += 1;
            }
        }
        Ok(Welcome::Sent(sent))
    })
}
