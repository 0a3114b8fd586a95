//! The work that runs outside requests, in one place: delivering due emails (reminders
//! are emails queued for later), analysing uploaded imports, and expiring abandoned
//! imports. Every job reads "now" from the app's clock and sends through the app's mailer.
//!
//! A running server starts them on threads ([`Mode::Background`]): the delivery pass
//! every [`mail::POLL_INTERVAL`], the expiry every hour, and a bounded pool of analysis
//! workers fed by a queue. In tests ([`Mode::OnDemand`]) nothing runs by itself: uploads
//! wait in the same bounded queue until the test calls [`Jobs::run_due`], which runs every
//! due job to completion on the caller's thread.
//!
//! Other expiries need no job: a sign-in ends when it is next used or at anyone's next
//! sign-in (`models::sign_in_session`), and a setup link is checked when it is opened
//! (`models::invitation`).

use std::collections::VecDeque;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::clock::Clock;
use crate::db::Pool;
use crate::import::archive::ArchiveLimits;
use crate::import_jobs::{self, UploadStore};
use crate::mail::{self, Mailer};

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
    queue: Queue,
}

enum Queue {
    /// Analysis threads take batch ids from here.
    Threads(SyncSender<String>),
    /// Batch ids wait here for [`Jobs::run_due`].
    OnDemand(Mutex<VecDeque<String>>),
}

/// The analysis queue is full: the server is busy with other files.
#[derive(Debug)]
pub struct Busy;

/// How many files may wait for analysis before uploads are turned away.
pub const QUEUE_LENGTH: usize = 32;
/// How often a running server looks for imports to expire (besides at start-up).
const EXPIRY_EVERY: Duration = Duration::from_secs(60 * 60);
/// How often a running server looks for reminders that fell due.
const REMINDERS_EVERY: Duration = Duration::from_secs(60);
/// Delivery passes one [`Jobs::run_due`] makes at most (each sends up to 20 emails);
/// a failed email waits at least a minute, so the passes end long before.
const MAX_DELIVERY_PASSES: usize = 1000;

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
}

impl Jobs {
    /// Readies the upload store and, as every start does, marks analyses an earlier run
    /// left unfinished as interrupted and expires abandoned imports; then, in background
    /// mode, starts the threads.
    pub fn start(
        pool: Pool,
        clock: Clock,
        mailer: Option<Mailer>,
        uploads: UploadStore,
        settings: Settings,
        mode: Mode,
    ) -> anyhow::Result<Jobs> {
        uploads.prepare()?;
        {
            let mut conn = pool.get()?;
            import_jobs::interrupt_unfinished(&mut conn, &uploads, clock.now())?;
            import_jobs::expire(&mut conn, &uploads, clock.now())?;
        }
        let (queue, analyses) = match mode {
            Mode::Background => {
                let (tx, rx) = mpsc::sync_channel::<String>(QUEUE_LENGTH);
                (Queue::Threads(tx), Some(rx))
            }
            Mode::OnDemand => (Queue::OnDemand(Mutex::new(VecDeque::new())), None),
        };
        let jobs = Jobs(Arc::new(Inner {
            pool,
            clock,
            mailer,
            uploads,
            settings,
            queue,
        }));
        if let Some(rx) = analyses {
            jobs.spawn_threads(rx)?;
        }
        Ok(jobs)
    }

    fn spawn_threads(&self, analyses: mpsc::Receiver<String>) -> std::io::Result<()> {
        let analyses = Arc::new(Mutex::new(analyses));
        for n in 0..self.0.settings.import_workers.max(1) {
            let (jobs, analyses) = (self.clone(), analyses.clone());
            std::thread::Builder::new()
                .name(format!("import-worker-{n}"))
                .spawn(move || loop {
                    let next = match analyses.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(id) = next else { return };
                    jobs.analyse(&id);
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
        if self.0.mailer.is_some() {
            let jobs = self.clone();
            std::thread::Builder::new()
                .name("email-delivery".into())
                .spawn(move || loop {
                    if let Err(e) = jobs.deliver_emails() {
                        tracing::warn!(error = %e, "email delivery pass failed; will retry");
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

    /// Queues the analysis of an uploaded batch; a full queue answers [`Busy`].
    pub fn submit_analysis(&self, batch_id: &str) -> Result<(), Busy> {
        match &self.0.queue {
            Queue::Threads(tx) => match tx.try_send(batch_id.to_string()) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
            },
            Queue::OnDemand(waiting) => {
                let mut waiting = waiting.lock().unwrap_or_else(PoisonError::into_inner);
                if waiting.len() >= QUEUE_LENGTH {
                    return Err(Busy);
                }
                waiting.push_back(batch_id.to_string());
                Ok(())
            }
        }
    }

    /// Runs every job that is due, to completion, on this thread: the queued analyses
    /// (on demand; in background mode the threads have them), the expiry of abandoned
    /// imports, then the delivery of every email due by the clock.
    pub fn run_due(&self) -> Result<Ran, String> {
        let mut ran = Ran::default();
        if let Queue::OnDemand(waiting) = &self.0.queue {
            loop {
                let next = waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                let Some(id) = next else { break };
                self.analyse(&id);
                ran.analyses += 1;
            }
        }
        self.expire_imports().map_err(|e| e.to_string())?;
        ran.reminders = self.queue_reminders()?;
        ran.questionnaires = self.send_questionnaires()?;
        for _ in 0..MAX_DELIVERY_PASSES {
            let tried = self.deliver_emails()?;
            ran.deliveries += tried;
            if tried == 0 {
                break;
            }
        }
        Ok(ran)
    }

    fn analyse(&self, batch_id: &str) {
        let inner = &self.0;
        import_jobs::run_job(
            &inner.pool,
            &inner.uploads,
            batch_id,
            &inner.settings.export_limits,
            &inner.clock,
        );
    }

    /// Queues the session reminders that are due; the delivery pass sends them.
    fn queue_reminders(&self) -> Result<usize, String> {
        let inner = &self.0;
        let mut conn = inner.pool.get().map_err(|e| e.to_string())?;
        crate::services::calendar::reminders::queue_due(
            &mut conn,
            inner.clock.now(),
            &inner.settings.public_url,
        )
        .map_err(|e| e.to_string())
    }

    /// Queues the questionnaires and reminders that fell due, and expires unanswered links.
    fn send_questionnaires(&self) -> Result<usize, String> {
        let inner = &self.0;
        let mut conn = inner.pool.get().map_err(|e| e.to_string())?;
        crate::services::measures::sending::sweep(
            &mut conn,
            inner.clock.now(),
            &inner.settings.public_url,
        )
        .map(|s| s.sent + s.reminders)
        .map_err(|e| e.to_string())
    }

    fn expire_imports(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = self.0.pool.get()?;
        import_jobs::expire(&mut conn, &self.0.uploads, self.0.clock.now())?;
        Ok(())
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
            ),
            None => Ok(0),
        }
    }
}
