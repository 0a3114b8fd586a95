//! The `caseload` command: serve (the default), migrate, create-provider, reset-password,
//! seed-demo, import, backup, restore.

use std::io::BufRead;
use std::process::ExitCode;

use caseload::config::Config;
use caseload::domain::email::Email;
use caseload::domain::name::PersonName;
use caseload::domain::plural::{count, plural};
use caseload::models::scope::Scope;
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
        /// Their IANA time zone, e.g. America/New_York (UTC if left out; Settings changes it).
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// Set a provider's new password on the server (for a server without email); the
    /// password is read from standard input, and every sign-in of theirs ends.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Import a client list (.csv, .xlsx, .vcf): review it, and import the new clients.
    Import {
        /// The file to read.
        file: std::path::PathBuf,
        /// The provider whose list it joins.
        #[arg(long)]
        provider: String,
        /// Review only: write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the review as one JSON document.
        #[arg(long)]
        json: bool,
        /// Email the imported clients an invitation to finish setting up.
        #[arg(long)]
        invite: bool,
        /// The spreadsheet sheet to read (default: the first with data).
        #[arg(long)]
        sheet: Option<String>,
        /// A SimplePractice export: also import the clients who are new to Caseload (by
        /// default only existing clients get their documents).
        #[arg(long)]
        include_new: bool,
    },
    /// Write a consistent copy of the whole database into FILE, while the server runs
    /// (SQLite: a database file; PostgreSQL: a pg_dump archive).
    Backup {
        /// The new file (never written over).
        file: std::path::PathBuf,
    },
    /// Restore a backup into an empty data directory or database (one holding data is
    /// refused, untouched).
    Restore {
        /// A file written by `caseload backup` or the daily backup.
        file: std::path::PathBuf,
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
    caseload::allocator::configure();
    caseload::private_files::restrict_new_files();
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
            time_zone,
        } => create_provider(config, &email, &first_name, &last_name, &time_zone),
        Command::SeedDemo { provider, clients } => seed_demo(config, &provider, clients),
        Command::ResetPassword { email } => reset_password(config, &email),
        Command::Backup { file } => backup(config, &file),
        Command::Restore { file } => restore(config, &file),
        Command::Import {
            file,
            provider,
            dry_run,
            json,
            invite,
            sheet,
            include_new,
        } => import_file(
            config,
            &file,
            &provider,
            ImportOptions {
                dry_run,
                json,
                invite,
                sheet,
                include_new,
            },
        ),
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

/// `caseload backup FILE`: the copy first (said on stdout as soon as it is whole), then a
/// note of it in the database for Settings → Backups (which may wait for a writer).
fn backup(config: Config, file: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write;
    let started = caseload::models::now();
    let size = caseload::backup::write(&config.database_url, file)?;
    let shown = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    println!(
        "Backed up {} to {} ({}).",
        config.database_url.redacted(),
        shown.display(),
        caseload::domain::document::format_size(size as i64)
    );
    let _ = std::io::stdout().flush();
    let noted = db::establish(&config.database_url)
        .map_err(|e| e.to_string())
        .and_then(|mut conn| {
            caseload::models::backup::record(
                &mut conn,
                caseload::models::backup::Trigger::Command,
                &shown.to_string_lossy(),
                started,
                Ok(size),
                &format!("{}:caseload backup", caseload::jobs::host_name()),
                caseload::models::now(),
            )
            .map_err(|e| e.to_string())
        });
    if let Err(e) = noted {
        eprintln!("caseload: the backup is whole, but Settings → Backups could not note it ({e})");
    }
    Ok(())
}

/// `caseload restore FILE`: into an empty data directory or database only.
fn restore(config: Config, file: &std::path::Path) -> anyhow::Result<()> {
    if let db::DatabaseUrl::Sqlite(_) = &config.database_url {
        config.prepare_data_dir()?;
    }
    caseload::backup::restore(&config.database_url, file)?;
    println!(
        "Restored {} into {}. Start Caseload as usual.",
        file.display(),
        config.database_url.redacted()
    );
    Ok(())
}

fn open_db(config: &Config) -> anyhow::Result<db::PooledConnection> {
    config.prepare_data_dir()?;
    let pool = db::connect_and_migrate(&config.database_url, 1).map_err(anyhow::Error::msg)?;
    Ok(pool.get()?)
}

/// The provider with this email, or a line saying how to create one.
fn find_provider(
    conn: &mut db::PooledConnection,
    email: &str,
) -> anyhow::Result<provider::Provider> {
    provider::find_by_email(conn, &caseload::domain::email::normalize(email))?.ok_or_else(|| {
        anyhow::anyhow!(
            "no provider has the email {email}; create one first with `caseload create-provider`"
        )
    })
}

fn create_provider(
    config: Config,
    email: &str,
    first_name: &str,
    last_name: &str,
    time_zone: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let time_zone = caseload::domain::time_zone::Zone::parse(time_zone).map_err(|_| {
        anyhow::anyhow!(
            "--time-zone {time_zone:?} is not an IANA time zone (for example America/New_York)"
        )
    })?;
    let first_name = PersonName::parse(first_name, "first name").map_err(anyhow::Error::msg)?;
    let last_name = PersonName::parse(last_name, "last name").map_err(anyhow::Error::msg)?;
    let password = read_password(email.as_typed())?;
    let password_hash = passwords::hash(&password).map_err(anyhow::Error::msg)?;
    let mut conn = open_db(&config)?;
    match provider::create(
        &mut conn,
        provider::NewProvider {
            first_name,
            last_name,
            email,
            password_hash,
            time_zone,
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

/// Reads a new password from standard input and checks it.
fn read_password(for_whom: &str) -> anyhow::Result<String> {
    eprintln!(
        "Password for {for_whom} (at least {} characters), then Enter:",
        passwords::MIN_PASSWORD_CHARS
    );
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    passwords::check_strength(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

fn reset_password(config: Config, email: &str) -> anyhow::Result<()> {
    let mut conn = open_db(&config)?;
    // Said before the password is asked for, so nobody types one for nothing.
    find_provider(&mut conn, email)?;
    let password = read_password(email)?;
    let hash = passwords::hash(&password).map_err(anyhow::Error::msg)?;
    let now = caseload::models::now();
    match caseload::services::password_reset::reset_on_server(&mut conn, email, &hash, now)? {
        Some(p) => {
            println!(
                "The password of {} <{}> is changed, and every sign-in of theirs ended. They can sign in at {}/login.",
                p.full_name(),
                p.email,
                config.public_url
            );
            Ok(())
        }
        None => anyhow::bail!("no provider has the email {email}"),
    }
}

fn seed_demo(config: Config, provider_email: &str, count: usize) -> anyhow::Result<()> {
    let mut conn = open_db(&config)?;
    let p = find_provider(&mut conn, provider_email)?;
    let seed = chrono::Utc::now().timestamp_millis() as u64;
    let batch = seed::demo_clients(count, seed);
    let inserted = client::insert_many(&mut conn, &Scope::of(&p), &batch, caseload::models::now())
        .map(|ids| ids.len())
        .map_err(|e| match e {
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

struct ImportOptions {
    dry_run: bool,
    json: bool,
    invite: bool,
    sheet: Option<String>,
    include_new: bool,
}

/// Whether the file is a SimplePractice complete export, told from its archive's
/// directory alone (the file is not read into memory). A .zip too large for a client list
/// goes that way too, so that what is wrong with it is said without reading it whole.
fn is_simplepractice_export(path: &std::path::Path, config: &Config) -> bool {
    use caseload::import::{archive, simplepractice, xlsx};
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 4];
    let is_zip = std::io::Read::read_exact(&mut file, &mut head).is_ok() && head == *b"PK\x03\x04";
    let large = file.metadata().map(|m| m.len()).unwrap_or(0) > config.max_import_bytes;
    if !is_zip {
        return false;
    }
    if large {
        return true;
    }
    let everything = archive::ArchiveLimits {
        max_entries: usize::MAX,
        max_entry_bytes: u64::MAX,
        max_total_bytes: u64::MAX,
        max_ratio: u64::MAX,
    };
    let listed = std::fs::File::open(path)
        .ok()
        .and_then(|f| archive::open(f).ok())
        .and_then(|mut zip| archive::list(&mut zip, &everything).ok());
    match listed {
        Some(entries) => simplepractice::looks_like_export(&entries),
        // Not listable (damaged, password-protected): not a workbook either, so the
        // export path says what is wrong.
        None => std::fs::read(path)
            .map(|b| !xlsx::is_workbook(&b))
            .unwrap_or(false),
    }
}

/// A SimplePractice export: the same review and import as the web flow's.
fn import_export(
    config: Config,
    path: &std::path::Path,
    provider_email: &str,
    options: ImportOptions,
) -> anyhow::Result<()> {
    use caseload::import::{plan, simplepractice};
    use caseload::models::{import_batch, simplepractice_import};
    refuse_if_larger(
        path,
        config.max_export_bytes,
        "SimplePractice exports",
        "CASELOAD_MAX_EXPORT_BYTES",
    )?;
    let mut conn = open_db(&config)?;
    let p = find_provider(&mut conn, provider_email)?;
    expire_unfinished(&config, &mut conn);
    eprintln!("Reading the export's folders and client cards…");
    let (mut zip, index) = caseload::import_jobs::open_export(path, &config.export_limits)?;
    let existing = client::for_matching(&mut conn, &Scope::of(&p))?;
    let mut rows =
        simplepractice::review_export(&index, &existing, chrono::Utc::now().date_naive());
    if options.include_new {
        for r in &mut rows {
            // Not the cards with no records (guardians, emergency contacts).
            if r.reviewed.status == caseload::import::matching::Status::New
                && !r.documents.is_empty()
            {
                r.reviewed.selected = true;
            }
        }
    }
    let report = plan::Report::for_export(&rows);
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    let s = &report.summary;
    let counts = format!(
        "{}; {}",
        s.describe(("client card", "client cards")),
        count(index.documents.len(), "document", "documents"),
    );
    if options.dry_run {
        if !options.json {
            println!("{counts}. Dry run: nothing was written.");
        }
        return Ok(());
    }
    let file_name = shown_name(path, "export.zip");
    let batch = import_batch::create_export(
        &mut conn,
        &Scope::of(&p),
        &file_name,
        import_batch::CLI,
        caseload::models::now(),
    )?;
    import_batch::start_analysis(&mut conn, &batch, caseload::models::now())?;
    let details = caseload::import_jobs::export_notes(&index);
    simplepractice_import::save_export_analysis(
        &mut conn,
        &batch,
        &rows,
        &details,
        false,
        caseload::models::now(),
    )?;
    eprintln!("Writing the clients and their documents…");
    let inviting = caseload::onboarding::inviting(&p, &config.public_url);
    let on_created: import_batch::OnCreated = if options.invite {
        Some(&inviting)
    } else {
        None
    };
    let outcome = simplepractice_import::commit_export(
        &mut conn,
        &batch,
        &mut zip,
        &index,
        on_created,
        config.max_storage_bytes,
        caseload::models::now(),
    )
    .map_err(|e| {
        let _ = import_batch::fail(&mut conn, &batch, &e.to_string(), caseload::models::now());
        anyhow::anyhow!("{e}")
    })?;
    if !options.json {
        println!(
            "{counts}. Imported {} new {}; {} existing {} documents; {} in all.",
            outcome.imported,
            plural(outcome.imported, "client", "clients"),
            outcome.clients_with_documents,
            plural(outcome.clients_with_documents, "client got", "clients got"),
            count(outcome.documents, "document", "documents"),
        );
        print_left_out(&mut conn, &batch)?;
    }
    Ok(())
}

/// The same pipeline as the web import: a batch in the import history, the analysis the
/// workers run, then (unless a dry run) the rows the review selects, in one transaction.
fn import_file(
    config: Config,
    path: &std::path::Path,
    provider_email: &str,
    options: ImportOptions,
) -> anyhow::Result<()> {
    use caseload::import::analysis;
    use caseload::import::extract::{ExtractError, ExtractOptions};
    use caseload::import::plan;
    use caseload::models::import_batch;
    if is_simplepractice_export(path, &config) {
        return import_export(config, path, provider_email, options);
    }
    let bytes = read_bounded(
        path,
        config.max_import_bytes,
        "client lists",
        "CASELOAD_MAX_IMPORT_BYTES",
    )?;
    let mut conn = open_db(&config)?;
    let p = find_provider(&mut conn, provider_email)?;
    expire_unfinished(&config, &mut conn);
    let mut bar = ProgressBar::new();
    let extract_options = ExtractOptions {
        sheet: options.sheet.clone(),
        columns: None,
    };
    let existing = client::for_matching(&mut conn, &Scope::of(&p))?;
    let analysed = analysis::analyse(
        &bytes,
        &extract_options,
        &existing,
        chrono::Utc::now().date_naive(),
        &mut |step| bar.show(step),
    );
    bar.finish();
    let analysed = match analysed {
        Ok(a) => a,
        Err(e @ ExtractError::MissingColumns { .. }) => {
            anyhow::bail!("{e} (the web import lets you pick the columns by hand)")
        }
        Err(e) => anyhow::bail!("{e}"),
    };
    let report = plan::Report::new(&analysed);
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    let summary = &report.summary;
    let counts = format!(
        "{}, {} repeated in the file",
        summary.describe(("row", "rows")),
        summary.duplicate_in_file
    );
    if !analysed.notes.cut_off_cards.is_empty() {
        eprintln!(
            "Cards that end without END:VCARD (the file may have been cut off; check their details): {}",
            analysed.notes.cut_off_cards.join("; ")
        );
    }
    if !analysed.notes.not_imported.is_empty() {
        eprintln!(
            "Insurance and payment columns are not imported: {}",
            analysed.notes.not_imported.join(", ")
        );
    }
    if !analysed.notes.unread_files.is_empty() {
        eprintln!(
            "{} of the .zip not read (only contact cards are; add a client's documents on their Documents tab): {}",
            count(analysed.notes.unread_files.len(), "file", "files"),
            analysed.notes.unread_files.join("; ")
        );
    }
    if options.dry_run {
        if !options.json {
            println!("{counts}. Dry run: nothing was written.");
        }
        return Ok(());
    }
    let file_name = shown_name(path, "file");
    let batch = import_batch::create(
        &mut conn,
        &Scope::of(&p),
        &file_name,
        import_batch::CLI,
        caseload::models::now(),
    )?;
    import_batch::start_analysis(&mut conn, &batch, caseload::models::now())?;
    let notes = serde_json::to_string(&analysed.notes)?;
    import_batch::save_analysis(
        &mut conn,
        &batch,
        &analysed,
        &notes,
        caseload::models::now(),
    )?;
    eprintln!(
        "Writing {}…",
        count(summary.new, "new client", "new clients")
    );
    let inviting = caseload::onboarding::inviting(&p, &config.public_url);
    let on_created: import_batch::OnCreated = if options.invite {
        Some(&inviting)
    } else {
        None
    };
    let outcome = import_batch::commit(&mut conn, &batch, on_created, caseload::models::now())
        .map_err(|e| {
            let _ = import_batch::fail(&mut conn, &batch, &e.to_string(), caseload::models::now());
            anyhow::anyhow!("{e}")
        })?;
    if !options.json {
        let added = outcome.imported;
        let invites = if options.invite && added > 0 {
            " and queued their invitations"
        } else {
            ""
        };
        println!(
            "{counts}. Imported {}{invites}.",
            count(added, "new client", "new clients")
        );
        print_left_out(&mut conn, &batch)?;
    }
    Ok(())
}

/// How many left-out rows the command line lists; the web confirmation has them all.
const LEFT_OUT_PRINTED: i64 = 50;

/// Lists the rows an import left out, each with its reason (as the web confirmation does).
fn print_left_out(
    conn: &mut caseload::db::DbConnection,
    batch: &caseload::models::scope::OwnedBatch,
) -> anyhow::Result<()> {
    use caseload::models::import_batch;
    let rows = import_batch::left_out_rows(conn, batch, 0, LEFT_OUT_PRINTED + 1)?;
    if rows.is_empty() {
        return Ok(());
    }
    println!("Left out:");
    for r in rows.iter().take(LEFT_OUT_PRINTED as usize) {
        let name = format!(
            "{} {}",
            r.first_name.as_deref().unwrap_or(""),
            r.last_name.as_deref().unwrap_or("")
        );
        let name = match name.trim() {
            "" => "(no name)".to_string(),
            n => n.to_string(),
        };
        println!(
            "  row {}, {name}: {}",
            r.source_row,
            caseload::import::review::why_left_out(r.status, &r.reasons())
        );
    }
    if rows.len() as i64 > LEFT_OUT_PRINTED {
        println!(
            "  … and more: the import's page (Settings → Imports) lists them all, with a CSV download."
        );
    }
    Ok(())
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and the file
/// is large enough to wait for.
struct ProgressBar {
    tty: bool,
    drawn: bool,
}

impl ProgressBar {
    fn new() -> Self {
        use std::io::IsTerminal;
        ProgressBar {
            tty: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, step: caseload::import::analysis::Step) {
        use caseload::import::analysis::Step;
        match step {
            Step::Reading => eprintln!("Reading the file…"),
            Step::Checking { done, total } if self.tty && total >= 5_000 => {
                let width = 30;
                let filled = done * width / total.max(1);
                eprint!(
                    "\rChecking rows [{}{}] {done}/{total}",
                    "#".repeat(filled),
                    " ".repeat(width - filled)
                );
                self.drawn = true;
            }
            Step::Checking { .. } => {}
        }
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
        }
    }
}

/// Refuses a file larger than `limit` bytes with a line naming the limit and its setting.
fn refuse_if_larger(
    path: &std::path::Path,
    limit: u64,
    what: &str,
    setting: &str,
) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {} ({e})", path.display()))?
        .len();
    if size > limit {
        anyhow::bail!(
            "{} is {}; Caseload reads {what} of at most {} (the web upload's limit too, set by {setting}). Split the file, or raise the setting.",
            path.display(),
            caseload::domain::document::format_size(size as i64),
            caseload::domain::document::format_size(limit as i64)
        );
    }
    Ok(())
}

/// Reads a whole file within the same limit as an upload's: checked before the file is
/// read, and read no further than it, should the file grow meanwhile.
fn read_bounded(
    path: &std::path::Path,
    limit: u64,
    what: &str,
    setting: &str,
) -> anyhow::Result<Vec<u8>> {
    refuse_if_larger(path, limit, what, setting)?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(
                &mut std::io::Read::take(f, limit.saturating_add(1)),
                &mut bytes,
            )
        })
        .map_err(|e| anyhow::anyhow!("cannot read {} ({e})", path.display()))?;
    if bytes.len() as u64 > limit {
        // It grew after the check: the check now says by how much.
        refuse_if_larger(path, limit, what, setting)?;
        anyhow::bail!(
            "{} changed while it was read; import it again once it is complete",
            path.display()
        );
    }
    Ok(bytes)
}

/// Imports an earlier run of the command line left unfinished expire as the server's
/// own sweep would expire them (a killed run leaves its batch behind).
fn expire_unfinished(config: &Config, conn: &mut db::PooledConnection) {
    let uploads =
        caseload::import_jobs::UploadStore::new(&config.upload_temp_dir(), &config.database_url);
    if let Err(e) = caseload::import_jobs::expire(conn, &uploads, caseload::models::now()) {
        tracing::warn!(error = %e, "expiring unfinished imports failed");
    }
}

/// The file's name as the import history shows it (never used as a path).
fn shown_name(path: &std::path::Path, otherwise: &str) -> String {
    path.file_name().map_or_else(
        || otherwise.to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
