//! Caseload: practice software for therapists. `build_app` is the one way the server is
//! put together, used by `main` and by the tests alike.

pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod models;
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Prepares the data dir, opens and migrates the database, binds the listen address.
pub fn build_app(config: Config) -> anyhow::Result<Application> {
    config.prepare_data_dir()?;
    let pool = db::connect_and_migrate(&config.database_url, config.db_pool_size)
        .map_err(anyhow::Error::msg)?;
    let listener = TcpListener::bind(config.listen).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {} ({e}); set CASELOAD_LISTEN to a free address and port",
            config.listen
        )
    })?;
    let port = listener.local_addr()?.port();
    let server = web::server(config, pool, listener)?;
    Ok(Application { port, server })
}
