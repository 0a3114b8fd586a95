//! The work that runs outside requests, in one place: delivering due emails (reminders
//! are emails queued for later), analysing uploaded imports, the sweeps (session
//! reminders, questionnaires, import expiry) and the daily backup. Every job reads "now"
//! from the app's clock and sends through the app's mailer.
//!
//! Several instances may share one database, so every job is claimed there before it
//! runs, with a lease naming this instance (its `holder`) and when the claim ends: an
//! email (`outbox::claim_due`), an upload to analyse (`import_batch::claim_analysis`), a
//! sweep (`job_lease`). Exactly one instance runs each; one that dies holding a claim is
//! taken to be gone when its lease ends, and another takes the work over.
//!
//! A running server starts them on threads ([`Mode::Background`]): the delivery pass
//! every [`mail::POLL_INTERVAL`], the sweeps every minute (the expiry every hour), the
//! daily backup when due, and a pool of analysis workers that take uploads waiting in the
//! database (woken at once by this instance's uploads, and every few seconds for the other
//! instances'). In tests ([`Mode::OnDemand`]) nothing runs by itself: [`Jobs::run_due`]
//! runs every due job to completion on the caller's thread.
//!
//! Other expiries need no job: a sign-in ends when it is next used or at anyone's next
//! sign-in (`models::sign_in_session`), and a setup link is checked when it is opened
//! (`models::invitation`).

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::backup;
use crate::clock::Clock;
use crate::db::{DbConnection, Pool};
use crate::import::archive::ArchiveLimits;
use crate::import_jobs::{self, UploadStore};
use crate::mail::{self, Mailer};
use crate::models::import_batch::{self, Claim};
use crate::models::job_lease;

/// How the jobs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// On threads of their own, as a running server does.
    Background,
    /// Only when [`Jobs::run_due`] is called: the tests' way.
    OnDemand,
}

/// What the jobs need besides the pool, clock and mailer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Analysis threads (background mode).
    pub import_workers: usize,
    pub export_limits: ArchiveLimits,
    /// The sender address of every email.
    pub from_address: String,
    /// Where the app is reached: the links in reminders.
    pub public_url: String,
    /// What the daily backup copies, and where it keeps its files.
    pub backups: backup::Place,
    /// Where an older version kept uploads as files (`DATA_DIR/imports`): adopted at start.
    pub legacy_uploads: PathBuf,
}

/// The handle on the jobs; clones share them.
#[derive(Clone)]
pub struct Jobs(Arc<Inner>);

struct Inner {
    pool: Pool,
    clock: Clock,
    mailer: Option<Mailer>,
    uploads: UploadStore,
    settings: Settings,
    /// This instance's name in the leases: host, process and a random part.
    holder: String,
    /// Wakes this instance's analysis workers when it has queued an upload.
    wake: (Mutex<u64>, Condvar),
}

/// How many files may wait for analysis (on all instances) before uploads are turned away.
pub const QUEUE_LENGTH: usize = 32;
/// How long a claim on an email lasts: a pass claims [`mail::CLAIM_BATCH`] at a time, each
/// sent within the SMTP timeout.
pub const EMAIL_LEASE_MINUTES: i64 = 10;
/// How long a claim on an analysis lasts without news (each progress step renews it).
pub const ANALYSIS_LEASE_MINUTES: i64 = 10;
/// How long a sweep's lease lasts (sweeps take seconds).
pub const SWEEP_LEASE_MINUTES: i64 = 10;
/// How long the daily backup's lease lasts (a large database's dump takes a while).
pub const BACKUP_LEASE_MINUTES: i64 = 120;

/// The sweeps' names in `job_leases`.
pub const SESSION_REMINDERS: &str = "session_reminders";
pub const QUESTIONNAIRES: &str = "questionnaires";
pub const IMPORT_EXPIRY: &str = "import_expiry";
pub const DAILY_BACKUP: &str = "daily_backup";

/// How often a running server looks for imports to expire (besides at start-up).
const EXPIRY_EVERY: Duration = Duration::from_secs(60 * 60);
/// How often a running server looks for reminders that fell due.
const REMINDERS_EVERY: Duration = Duration::from_secs(60);
/// How often an idle analysis worker looks for uploads another instance queued.
const ANALYSIS_POLL: Duration = Duration::from_secs(2);
/// How often a running server asks whether the daily backup is due.
const BACKUP_CHECK_EVERY: Duration = Duration::from_secs(5 * 60);
/// Delivery passes one [`Jobs::run_due`] makes at most (each sends up to 10 emails);
/// a failed email waits at least a minute, so the passes end long before.
const MAX_DELIVERY_PASSES: usize = 2000;

/// What one [`Jobs::run_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ran {
    /// Batches analysed.
    pub analyses: usize,
    /// Delivery attempts made (successful or not).
    pub deliveries: usize,
    /// Session reminders queued.
    pub reminders: usize,
    /// Questionnaires sent (each reminder counts too).
    pub questionnaires: usize,
    /// Daily backups taken (or tried).
    pub backups: usize,
}

impl std::ops::AddAssign for Ran {
    fn add_assign(&mut self, r: Ran) {
        self.analyses += r.analyses;
        self.deliveries += r.deliveries;
        self.reminders += r.reminders;
        self.questionnaires += r.questionnaires;
        self.backups += r.backups;
    }
}

type JobError = Box<dyn std::error::Error + Send + Sync>;

impl Jobs {
    /// Readies the upload store and, as every start does, adopts the uploads an older
    /// version kept as files and expires abandoned imports; then, in background mode,
    /// starts the threads.
    pub fn start(
        pool: Pool,
        clock: Clock,
        mailer: Option<Mailer>,
        uploads: UploadStore,
        settings: Settings,
        mode: Mode,
    ) -> anyhow::Result<Jobs> {
        uploads.prepare()?;
        let jobs = Jobs(Arc::new(Inner {
            pool,
            clock,
            mailer,
            uploads,
            settings,
            holder: instance_name(),
            wake: (Mutex::new(0), Condvar::new()),
        }));
        {
            let inner = &jobs.0;
            let mut conn = inner.pool.get()?;
            let moved = inner
                .uploads
                .adopt_files(&mut conn, &inner.settings.legacy_uploads)?;
            if moved > 0 {
                tracing::info!("moved {moved} uploads waiting for review into the database");
            }
        }
        jobs.expire_imports()
            .map_err(|e| anyhow::anyhow!("expiring abandoned imports failed: {e}"))?;
        if mode == Mode::Background {
            jobs.spawn_threads()?;
        }
        Ok(jobs)
    }

    fn spawn_threads(&self) -> std::io::Result<()> {
        for n in 0..self.0.settings.import_workers.max(1) {
            let jobs = self.clone();
            std::thread::Builder::new()
                .name(format!("import-worker-{n}"))
                .spawn(move || loop {
                    match jobs.analyse_next() {
                        Ok(Some(_)) => continue,
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "taking an upload to check failed; will retry"),
                    }
                    jobs.wait_for_uploads(ANALYSIS_POLL);
                })?;
        }
        let jobs = self.clone();
        std::thread::Builder::new()
            .name("import-expiry".into())
            .spawn(move || loop {
                std::thread::sleep(EXPIRY_EVERY);
                if let Err(e) = jobs.expire_imports() {
                    tracing::error!(error = %e, "expiring abandoned imports failed");
                }
            })?;
        let jobs = self.clone();
        std::thread::Builder::new()
            .name("session-reminders".into())
            .spawn(move || loop {
                if let Err(e) = jobs.queue_reminders() {
                    tracing::warn!(error = %e, "queueing session reminders failed; will retry");
                }
                if let Err(e) = jobs.send_questionnaires() {
                    tracing::warn!(error = %e, "sending questionnaires failed; will retry");
                }
                std::thread::sleep(REMINDERS_EVERY);
            })?;
        let jobs = self.clone();
        std::thread::Builder::new()
            .name("daily-backup".into())
            .spawn(move || loop {
                if let Err(e) = jobs.daily_backup() {
                    tracing::warn!(error = %e, "the daily backup could not be started; will retry");
                }
                std::thread::sleep(BACKUP_CHECK_EVERY);
            })?;
        if self.0.mailer.is_some() {
            let jobs = self.clone();
            std::thread::Builder::new()
                .name("email-delivery".into())
                .spawn(move || loop {
                    match jobs.deliver_emails() {
                        // More may be due: go on at once.
                        Ok(n) if n as i64 >= mail::CLAIM_BATCH => continue,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "email delivery pass failed; will retry")
                        }
                    }
                    std::thread::sleep(mail::POLL_INTERVAL);
                })?;
        }
        Ok(())
    }

    /// Where uploads wait between analysis and import.
    pub fn uploads(&self) -> &UploadStore {
        &self.0.uploads
    }

    /// Whether emails are delivered at all (with no mailer they wait in the outbox).
    pub fn sends_email(&self) -> bool {
        self.0.mailer.is_some()
    }

    /// This instance's name in the database's leases.
    pub fn holder(&self) -> &str {
        &self.0.holder
    }

    /// Tells this instance's idle workers that an upload waits (`import_batch::
    /// queue_for_analysis` put it in the database, where any instance's worker finds it).
    pub fn analysis_queued(&self) {
        let (count, cv) = &self.0.wake;
        *count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        cv.notify_one();
    }

    fn wait_for_uploads(&self, at_most: Duration) {
        let (count, cv) = &self.0.wake;
        let mut queued = count.lock().unwrap_or_else(PoisonError::into_inner);
        if *queued == 0 {
            queued = cv
                .wait_timeout(queued, at_most)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        *queued = queued.saturating_sub(1);
    }

    /// Runs every job that is due, to completion, on this thread: the uploads waiting for
    /// analysis, the expiry of abandoned imports, the sweeps, the daily backup, then the
    /// delivery of every email due by the clock. Another instance's claims are left to it.
    pub fn run_due(&self) -> Result<Ran, String> {
        let mut ran = Ran::default();
        while let Some(analysed) = self.analyse_next().map_err(|e| e.to_string())? {
            ran.analyses += usize::from(analysed);
        }
        self.expire_imports().map_err(|e| e.to_string())?;
        ran.reminders = self.queue_reminders()?;
        ran.questionnaires = self.send_questionnaires()?;
        ran.backups = self.daily_backup()?;
        for _ in 0..MAX_DELIVERY_PASSES {
            let tried = self.deliver_emails()?;
            ran.deliveries += tried;
            if tried == 0 {
                break;
            }
        }
        Ok(ran)
    }

    /// Claims the next upload waiting for analysis and checks it: `Some(true)` when one
    /// was checked, `Some(false)` when one was given up on, `None` when none waits.
    fn analyse_next(&self) -> Result<Option<bool>, JobError> {
        let inner = &self.0;
        let lease = chrono::Duration::minutes(ANALYSIS_LEASE_MINUTES);
        let claim = {
            let mut conn = inner.pool.get()?;
            let now = inner.clock.now();
            import_batch::claim_analysis(&mut conn, &inner.holder, now, now + lease)?
        };
        match claim {
            None => Ok(None),
            Some(Claim::GivenUp(id)) => {
                let mut conn = inner.pool.get()?;
                inner.uploads.remove(&mut conn, &id)?;
                Ok(Some(false))
            }
            Some(Claim::Analyse(id)) => {
                import_jobs::run_job(
                    &inner.pool,
                    &inner.uploads,
                    &id,
                    &inner.settings.export_limits,
                    &inner.clock,
                    import_jobs::Worker {
                        holder: &inner.holder,
                        lease,
                    },
                );
                Ok(Some(true))
            }
        }
    }

    /// Runs `sweep` while holding the lease on `name`; another instance holding it means
    /// the sweep is running there, and nothing is done here (the default is returned).
    fn under_lease<T: Default>(
        &self,
        name: &str,
        minutes: i64,
        sweep: impl FnOnce(&mut DbConnection) -> Result<T, String>,
    ) -> Result<T, String> {
        let inner = &self.0;
        let mut conn = inner.pool.get().map_err(|e| e.to_string())?;
        let now = inner.clock.now();
        let lease = chrono::Duration::minutes(minutes);
        if !job_lease::try_take(&mut conn, name, &inner.holder, now, lease)
            .map_err(|e| e.to_string())?
        {
            return Ok(T::default());
        }
        let result = sweep(&mut conn);
        if let Err(e) = job_lease::release(&mut conn, name, &inner.holder, inner.clock.now()) {
            tracing::warn!(error = %e, job = name, "could not let go of a job's lease; it ends by itself");
        }
        result
    }

    /// Queues the session reminders that are due; the delivery pass sends them.
    fn queue_reminders(&self) -> Result<usize, String> {
        let inner = &self.0;
        self.under_lease(SESSION_REMINDERS, SWEEP_LEASE_MINUTES, |conn| {
            crate::services::calendar::reminders::queue_due(
                conn,
                inner.clock.now(),
                &inner.settings.public_url,
            )
            .map_err(|e| e.to_string())
        })
    }

    /// Queues the questionnaires and reminders that fell due, and expires unanswered links.
    fn send_questionnaires(&self) -> Result<usize, String> {
        let inner = &self.0;
        self.under_lease(QUESTIONNAIRES, SWEEP_LEASE_MINUTES, |conn| {
            crate::services::measures::sending::sweep(
                conn,
                inner.clock.now(),
                &inner.settings.public_url,
            )
            .map(|s| s.sent + s.reminders)
            .map_err(|e| e.to_string())
        })
    }

    fn expire_imports(&self) -> Result<(), String> {
        let inner = &self.0;
        self.under_lease(IMPORT_EXPIRY, SWEEP_LEASE_MINUTES, |conn| {
            import_jobs::expire(conn, &inner.uploads, inner.clock.now()).map_err(|e| e.to_string())
        })
    }

    /// Takes the daily backup when it is switched on and due (see `backup::daily_due`),
    /// keeping the newest as many as asked; returns how many were taken or tried.
    fn daily_backup(&self) -> Result<usize, String> {
        let inner = &self.0;
        {
            let mut conn = inner.pool.get().map_err(|e| e.to_string())?;
            if !backup::daily_due(&mut conn, inner.clock.now()).map_err(|e| e.to_string())? {
                return Ok(0);
            }
        }
        self.under_lease(DAILY_BACKUP, BACKUP_LEASE_MINUTES, |conn| {
            // Another instance may have taken it while this one waited for the lease.
            if !backup::daily_due(conn, inner.clock.now()).map_err(|e| e.to_string())? {
                return Ok(0);
            }
            let taken =
                backup::take_daily(conn, &inner.settings.backups, &inner.clock, &inner.holder)
                    .map_err(|e| e.to_string())?;
            if let Err(e) = &taken {
                tracing::error!(error = %e, "the daily backup failed; Settings → Backups says why");
            }
            Ok(1)
        })
    }

    /// One delivery pass; with no mailer, nothing is sent (emails wait in the outbox).
    fn deliver_emails(&self) -> Result<usize, String> {
        let inner = &self.0;
        match &inner.mailer {
            Some(mailer) => mail::deliver_due(
                &inner.pool,
                mailer,
                &inner.settings.from_address,
                &inner.clock,
                &inner.holder,
                chrono::Duration::minutes(EMAIL_LEASE_MINUTES),
            ),
            None => Ok(0),
        }
    }
}

/// This process's name in the leases: the host, the process id and a random part (two
/// instances in one process, as in the tests, differ by it).
fn instance_name() -> String {
    // The end of a UUIDv7 is random.
    let random = uuid::Uuid::now_v7().simple().to_string();
    format!(
        "{}:{}:{}",
        host_name(),
        std::process::id(),
        &random[random.len() - 8..]
    )
}

/// The machine's name, as the leases and the list of backups show it.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer it is given.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown-host".into()
    }
}
