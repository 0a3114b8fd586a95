//! Caseload: practice software for therapists. `build_app` is the one way the server is
//! put together, used by `main` and by the tests alike.

pub mod allocator;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod import;
pub mod import_jobs;
pub mod mail;
pub mod models;
pub mod onboarding;
pub mod passwords;
pub mod seed;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;

use crate::config::Config;

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (the tests stop theirs when done).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Prepares the data dir, opens and migrates the database, binds the listen address.
pub fn build_app(mut config: Config) -> anyhow::Result<Application> {
    config.prepare_data_dir()?;
    let leftovers = config.clear_upload_temp_dir();
    if leftovers > 0 {
        tracing::info!("removed {leftovers} partial uploads left by an earlier run");
    }
    let pool = db::connect_and_migrate(&config.database_url, config.db_pool_size)
        .map_err(anyhow::Error::msg)?;
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
    let server = web::server(config, pool, listener)?;
    Ok(Application { port, server })
}
