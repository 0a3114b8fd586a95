//! The `caseload` command: serve (the default), migrate, create-provider, seed-demo.

use std::io::BufRead;
use std::process::ExitCode;

use caseload::config::Config;
use caseload::domain::email::Email;
use caseload::domain::name::PersonName;
use caseload::models::{client, provider};
use caseload::{build_app, db, passwords, seed};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "caseload",
    version,
    about = "Practice software for therapists: serves the provider portal."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Create or upgrade the database, then exit.
    Migrate,
    /// Add a provider account; the password is read from standard input.
    CreateProvider {
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
    },
    /// Fill a provider's list with made-up clients, for trying Caseload out.
    SeedDemo {
        /// The provider's email.
        #[arg(long)]
        provider: String,
        #[arg(long, default_value_t = 50)]
        clients: usize,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caseload: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::load()?;
    match command {
        Command::Serve => serve(config),
        Command::Migrate => {
            config.prepare_data_dir()?;
            db::connect_and_migrate(&config.database_url, 1).map_err(anyhow::Error::msg)?;
            println!(
                "The database at {} is up to date.",
                config.database_url.redacted()
            );
            Ok(())
        }
        Command::CreateProvider {
            email,
            first_name,
            last_name,
        } => create_provider(config, &email, &first_name, &last_name),
        Command::SeedDemo { provider, clients } => seed_demo(config, &provider, clients),
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let url = config.public_url.clone();
    let database = config.database_url.redacted();
    actix_web::rt::System::new().block_on(async move {
        let app = build_app(config)?;
        tracing::info!("Caseload is running at {url} (database: {database})");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn open_db(config: &Config) -> anyhow::Result<db::PooledConnection> {
    config.prepare_data_dir()?;
    let pool = db::connect_and_migrate(&config.database_url, 1).map_err(anyhow::Error::msg)?;
    Ok(pool.get()?)
}

fn create_provider(
    config: Config,
    email: &str,
    first_name: &str,
    last_name: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let first_name = PersonName::parse(first_name, "first name").map_err(anyhow::Error::msg)?;
    let last_name = PersonName::parse(last_name, "last name").map_err(anyhow::Error::msg)?;
    eprintln!(
        "Password for {} (at least {} characters), then Enter:",
        email,
        passwords::MIN_PASSWORD_CHARS
    );
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']);
    passwords::check_strength(password).map_err(anyhow::Error::msg)?;
    let password_hash = passwords::hash(password).map_err(anyhow::Error::msg)?;
    let mut conn = open_db(&config)?;
    match provider::create(
        &mut conn,
        provider::NewProvider {
            first_name,
            last_name,
            email,
            password_hash,
        },
    ) {
        Ok(p) => {
            println!(
                "Created the provider {} <{}>. They can sign in at {}/login.",
                p.full_name(),
                p.email,
                config.public_url
            );
            Ok(())
        }
        Err(provider::CreateProviderError::EmailTaken) => {
            anyhow::bail!("a provider with this email already exists")
        }
        Err(e) => Err(e.into()),
    }
}

fn seed_demo(config: Config, provider_email: &str, count: usize) -> anyhow::Result<()> {
    let mut conn = open_db(&config)?;
    let p = provider::find_by_email(&mut conn, &caseload::domain::email::normalize(provider_email))?
        .ok_or_else(|| anyhow::anyhow!("no provider has the email {provider_email}; create one first with `caseload create-provider`"))?;
    let seed = chrono::Utc::now().timestamp_millis() as u64;
    let batch = seed::demo_clients(count, seed);
    let inserted = client::insert_many(&mut conn, &p.id(), &batch).map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => {
            anyhow::anyhow!("some demo emails are already on this list; run seed-demo again")
        }
        other => other.into(),
    })?;
    println!(
        "Added {inserted} made-up clients to {}'s list.",
        p.full_name()
    );
    Ok(())
}
