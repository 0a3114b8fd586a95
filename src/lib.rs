//! Caseload: practice software for therapists. `build_app` is the one way the server is
//! put together, used by `main` and by the tests alike.

/// In tests: whether a type can be printed with `{:?}` and `{}` — `(debug, display)` —
/// so that a test can prove card data cannot be. Autoref specialisation: the impl on the
/// probe itself applies only where the bound holds; the one on a reference to it is the
/// fallback method lookup reaches next.
#[cfg(test)]
macro_rules! printable {
    ($t:ty) => {{
        struct Probe<T>(std::marker::PhantomData<T>);
        #[allow(dead_code)]
        trait IsDebug {
            fn debug(&self) -> bool {
                true
            }
        }
        impl<T: std::fmt::Debug> IsDebug for Probe<T> {}
        #[allow(dead_code)]
        trait NotDebug {
            fn debug(&self) -> bool {
                false
            }
        }
        impl<T> NotDebug for &Probe<T> {}
        #[allow(dead_code)]
        trait IsDisplay {
            fn display(&self) -> bool {
                true
            }
        }
        impl<T: std::fmt::Display> IsDisplay for Probe<T> {}
        #[allow(dead_code)]
        trait NotDisplay {
            fn display(&self) -> bool {
                false
            }
        }
        impl<T> NotDisplay for &Probe<T> {}
        let probe = Probe::<$t>(std::marker::PhantomData);
        ((&probe).debug(), (&probe).display())
    }};
}

pub mod allocator;
pub mod backup;
pub mod calendar_files;
pub mod client_email;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod import;
pub mod import_jobs;
pub mod jobs;
pub mod mail;
pub mod models;
pub mod onboarding;
pub mod passwords;
pub mod pdf;
pub mod private_files;
pub mod seed;
pub mod services;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;

use crate::clock::Clock;
use crate::config::Config;
use crate::jobs::Jobs;
use crate::mail::Mailer;

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    jobs: Jobs,
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (the tests stop theirs when done).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The app's background jobs: the tests run the due ones with `run_due`.
    pub fn jobs(&self) -> Jobs {
        self.jobs.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// What a running server and a test run differently: the time, where email goes, and
/// whether background jobs run by themselves.
pub struct Runtime {
    pub clock: Clock,
    /// None: emails wait in Settings → Outbox (no email server is set up).
    pub mailer: Option<Mailer>,
    pub jobs: jobs::Mode,
}

impl Runtime {
    /// The real clock, SMTP when `CASELOAD_SMTP_URL` is set, jobs on their own threads.
    pub fn production(config: &Config) -> anyhow::Result<Runtime> {
        Ok(Runtime {
            clock: Clock::system(),
            mailer: Mailer::from_smtp_url(config.smtp_url.as_deref())
                .map_err(anyhow::Error::msg)?,
            jobs: jobs::Mode::Background,
        })
    }
}

/// Prepares the data dir, opens and migrates the database, binds the listen address.
pub fn build_app(config: Config) -> anyhow::Result<Application> {
    let runtime = Runtime::production(&config)?;
    build_app_with(config, runtime)
}

/// `build_app` with a given runtime: the tests pass a manual clock they move, an in-memory
/// mailer they read, and jobs they run on demand.
pub fn build_app_with(mut config: Config, runtime: Runtime) -> anyhow::Result<Application> {
    private_files::restrict_new_files();
    config.prepare_data_dir()?;
    let leftovers = config.clear_upload_temp_dir();
    if leftovers > 0 {
        tracing::info!("removed {leftovers} partial uploads left by an earlier run");
    }
    let pool = db::connect_and_migrate(&config.database_url, config.db_pool_size)
        .map_err(anyhow::Error::msg)?;
    if let db::DatabaseUrl::Sqlite(path) = &config.database_url {
        // A database kept outside the data directory is made private too.
        let fixed = private_files::secure_sqlite_files(std::path::Path::new(path))?;
        if !fixed.is_empty() {
            tracing::warn!(
                "the database {path} could be read by other users of this machine; it is now private to this user (0600)"
            );
        }
    }
    let listener = TcpListener::bind(config.listen).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {} ({e}); set CASELOAD_LISTEN to a free address and port",
            config.listen
        )
    })?;
    let bound = listener.local_addr()?;
    // A public URL derived from the listen address names the port actually bound (which
    // differs when the setting asked for port 0).
    if config.public_url == format!("http://{}", config.listen) {
        config.public_url = format!("http://{bound}");
    }
    let port = bound.port();
    let jobs = Jobs::start(
        pool.clone(),
        runtime.clock.clone(),
        runtime.mailer,
        import_jobs::UploadStore::new(&config.upload_temp_dir(), &config.database_url),
        jobs::Settings {
            import_workers: config.import_workers,
            export_limits: config.export_limits,
            from_address: config.smtp_from.clone(),
            public_url: config.public_url.clone(),
            backups: backup::Place {
                database_url: config.database_url.clone(),
                dir: config.backups_dir(),
            },
            legacy_uploads: config.data_dir.join("imports"),
        },
        runtime.jobs,
    )?;
    let server = web::server(config, pool, listener, runtime.clock, jobs.clone())?;
    Ok(Application { port, server, jobs })
}
