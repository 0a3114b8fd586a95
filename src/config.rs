//! Typed settings: defaults, then an optional `caseload.toml`, then `CASELOAD_*` and
//! `DATABASE_URL` environment variables. Validated once at start-up so that a bad setting
//! stops the server with one line that says what to fix.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::db::DatabaseUrl;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 25 * 1024 * 1024;
pub const DEFAULT_MAX_IMPORT_BYTES: u64 = 100 * 1024 * 1024;
pub const DEFAULT_MAX_EXPORT_BYTES: u64 = 2 * 1024 * 1024 * 1024;
pub const DEFAULT_SESSION_IDLE_MINUTES: i64 = 30;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub public_url: String,
    pub open_signup: bool,
    pub secure_cookies: bool,
    pub max_document_bytes: u64,
    /// Largest client-list file (.csv, .xlsx, .vcf, .zip of cards) accepted for import.
    pub max_import_bytes: u64,
    /// Threads that analyse uploaded client lists.
    pub import_workers: usize,
    /// Largest SimplePractice export (.zip) accepted for upload.
    pub max_export_bytes: u64,
    /// What an export archive may hold: files, unpacked size, one file's size, ratio.
    pub export_limits: crate::import::archive::ArchiveLimits,
    pub db_pool_size: u32,
    /// Where email goes; `None` keeps every email in Settings → Outbox.
    pub smtp_url: Option<String>,
    /// The sender address of every email (the practice's name is the sender name).
    pub smtp_from: String,
    /// Behind a reverse proxy: take the client's address from X-Forwarded-For / Forwarded
    /// (for the audit trail and the booking page's limit). Off: the connection's address.
    pub trust_proxy: bool,
    /// A sign-in with no activity for this long ends (the 12-hour limit stays regardless).
    pub session_idle_minutes: i64,
    /// Where the daily backup keeps its files (Settings → Backups switches it on); unset,
    /// `DATA_DIR/backups` (see [`Config::backups_dir`]).
    pub backup_dir: Option<PathBuf>,
    /// The most a practice's documents may take (`CASELOAD_MAX_STORAGE`); unset, no limit.
    pub max_storage_bytes: Option<u64>,
}

/// What a `caseload.toml` may hold; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub open_signup: Option<bool>,
    pub secure_cookies: Option<bool>,
    pub max_document_bytes: Option<u64>,
    pub max_import_bytes: Option<u64>,
    pub import_workers: Option<usize>,
    pub max_export_bytes: Option<u64>,
    pub export_max_files: Option<u64>,
    pub export_max_unpacked_bytes: Option<u64>,
    pub export_max_file_bytes: Option<u64>,
    pub export_max_ratio: Option<u64>,
    pub db_pool_size: Option<u32>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub trust_proxy: Option<bool>,
    pub session_idle_minutes: Option<i64>,
    pub backup_dir: Option<PathBuf>,
    pub max_storage: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads settings the way the server does: `CASELOAD_CONFIG` or `./caseload.toml`
    /// (when present), then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let explicit = std::env::var_os("CASELOAD_CONFIG").map(PathBuf::from);
        let path = explicit
            .clone()
            .unwrap_or_else(|| PathBuf::from("caseload.toml"));
        let file = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            toml::from_str::<FileSettings>(&text).map_err(|e| {
                ConfigError(format!("{} is not valid: {}", path.display(), e.message()))
            })?
        } else if explicit.is_some() {
            return Err(ConfigError(format!(
                "CASELOAD_CONFIG names {}, which does not exist",
                path.display()
            )));
        } else {
            FileSettings::default()
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self::from_layers(file, env)
    }

    /// Merges file settings with environment values (the environment wins) and validates.
    pub fn from_layers(
        file: FileSettings,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let listen_text = env("CASELOAD_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_text.trim().parse().map_err(|_| {
            ConfigError(format!(
                "CASELOAD_LISTEN must be an address and port such as 127.0.0.1:8080; got \"{listen_text}\""
            ))
        })?;
        let data_dir = env("CASELOAD_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| "data".into());
        let database_url = match env("DATABASE_URL").or(file.database_url) {
            Some(url) => DatabaseUrl::parse(&url).map_err(ConfigError)?,
            None => {
                DatabaseUrl::Sqlite(data_dir.join("caseload.db").to_string_lossy().into_owned())
            }
        };
        let public_url = env("CASELOAD_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim().trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError(format!(
                "CASELOAD_PUBLIC_URL must start with http:// or https://; got \"{public_url}\""
            )));
        }
        let open_signup = match env("CASELOAD_OPEN_SIGNUP") {
            Some(v) => parse_bool("CASELOAD_OPEN_SIGNUP", &v)?,
            None => file.open_signup.unwrap_or(false),
        };
        let secure_cookies = match env("CASELOAD_SECURE_COOKIES") {
            Some(v) => parse_bool("CASELOAD_SECURE_COOKIES", &v)?,
            None => file
                .secure_cookies
                .unwrap_or(public_url.starts_with("https://")),
        };
        let max_document_bytes = match env("CASELOAD_MAX_DOCUMENT_BYTES") {
            Some(v) => parse_size("CASELOAD_MAX_DOCUMENT_BYTES", &v)?,
            None => file
                .max_document_bytes
                .unwrap_or(DEFAULT_MAX_DOCUMENT_BYTES),
        };
        if max_document_bytes == 0 {
            return Err(ConfigError(
                "CASELOAD_MAX_DOCUMENT_BYTES must be more than 0".into(),
            ));
        }
        let max_import_bytes = match env("CASELOAD_MAX_IMPORT_BYTES") {
            Some(v) => parse_size("CASELOAD_MAX_IMPORT_BYTES", &v)?,
            None => file.max_import_bytes.unwrap_or(DEFAULT_MAX_IMPORT_BYTES),
        };
        if max_import_bytes == 0 {
            return Err(ConfigError(
                "CASELOAD_MAX_IMPORT_BYTES must be more than 0".into(),
            ));
        }
        let import_workers = match env("CASELOAD_IMPORT_WORKERS") {
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=16).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "CASELOAD_IMPORT_WORKERS must be a number from 1 to 16; got \"{v}\""
                    ))
                })?,
            None => file.import_workers.unwrap_or(2),
        };
        let size_setting = |name: &str, file_value: Option<u64>, default: u64| {
            let v = match env(name) {
                Some(v) => parse_size(name, &v)?,
                None => file_value.unwrap_or(default),
            };
            if v == 0 {
                return Err(ConfigError(format!("{name} must be more than 0")));
            }
            Ok(v)
        };
        let defaults = crate::import::archive::ArchiveLimits::default();
        let max_export_bytes = size_setting(
            "CASELOAD_MAX_EXPORT_BYTES",
            file.max_export_bytes,
            DEFAULT_MAX_EXPORT_BYTES,
        )?;
        let export_limits = crate::import::archive::ArchiveLimits {
            max_entries: size_setting(
                "CASELOAD_EXPORT_MAX_FILES",
                file.export_max_files,
                defaults.max_entries as u64,
            )? as usize,
            max_total_bytes: size_setting(
                "CASELOAD_EXPORT_MAX_UNPACKED_BYTES",
                file.export_max_unpacked_bytes,
                defaults.max_total_bytes,
            )?,
            max_entry_bytes: size_setting(
                "CASELOAD_EXPORT_MAX_FILE_BYTES",
                file.export_max_file_bytes,
                defaults.max_entry_bytes,
            )?,
            max_ratio: size_setting(
                "CASELOAD_EXPORT_MAX_RATIO",
                file.export_max_ratio,
                defaults.max_ratio,
            )?,
        };
        let db_pool_size = match env("CASELOAD_DB_POOL_SIZE") {
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "CASELOAD_DB_POOL_SIZE must be a number from 1 to 100; got \"{v}\""
                    ))
                })?,
            None => file.db_pool_size.unwrap_or(8),
        };
        let smtp_url = env("CASELOAD_SMTP_URL")
            .or(file.smtp_url)
            .map(|u| u.trim().to_string());
        if let Some(url) = &smtp_url {
            crate::mail::smtp::SmtpSender::from_url(url).map_err(ConfigError)?;
        }
        let smtp_from = env("CASELOAD_SMTP_FROM")
            .or(file.smtp_from)
            .unwrap_or_else(|| "caseload@localhost".into());
        let smtp_from = smtp_from.trim().to_string();
        if crate::domain::email::Email::parse(&smtp_from).is_err()
            && !smtp_from.ends_with("@localhost")
        {
            return Err(ConfigError(format!(
                "CASELOAD_SMTP_FROM must be an email address such as office@example.com; got \"{smtp_from}\""
            )));
        }
        let trust_proxy = match env("CASELOAD_TRUST_PROXY") {
            Some(v) => parse_bool("CASELOAD_TRUST_PROXY", &v)?,
            None => file.trust_proxy.unwrap_or(false),
        };
        let max_idle = crate::models::sign_in_session::LIFETIME_HOURS * 60;
        let (idle_text, idle) = match env("CASELOAD_SESSION_IDLE_MINUTES") {
            Some(v) => (v.clone(), v.trim().parse::<i64>().ok()),
            None => {
                let n = file
                    .session_idle_minutes
                    .unwrap_or(DEFAULT_SESSION_IDLE_MINUTES);
                (n.to_string(), Some(n))
            }
        };
        let session_idle_minutes = idle
            .filter(|n| (1..=max_idle).contains(n))
            .ok_or_else(|| {
                ConfigError(format!(
                    "CASELOAD_SESSION_IDLE_MINUTES must be a number of minutes from 1 to {max_idle} (a sign-in lasts 12 hours at most); got \"{idle_text}\""
                ))
            })?;
        let backup_dir = env("CASELOAD_BACKUP_DIR")
            .map(PathBuf::from)
            .or(file.backup_dir);
        let max_storage_bytes = match env("CASELOAD_MAX_STORAGE") {
            Some(v) => Some(parse_size("CASELOAD_MAX_STORAGE", &v)?),
            None => file.max_storage,
        };
        if max_storage_bytes == Some(0) {
            return Err(ConfigError(
                "CASELOAD_MAX_STORAGE must be more than 0 (leave it unset for no limit)".into(),
            ));
        }
        Ok(Self {
            backup_dir,
            max_storage_bytes,
            listen,
            data_dir,
            database_url,
            public_url,
            open_signup,
            secure_cookies,
            max_document_bytes,
            max_import_bytes,
            import_workers,
            max_export_bytes,
            export_limits,
            db_pool_size,
            smtp_url,
            smtp_from,
            trust_proxy,
            session_idle_minutes,
        })
    }

    /// Creates the data directory (private to this user, as is everything in it — an older
    /// install's files are made so, and the log says which) and proves it is writable, so
    /// that a read-only mount fails at start-up instead of at the first upload.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        let dir = &self.data_dir;
        // One walk of the whole directory, its new `tmp` folder included.
        let fixed = std::fs::create_dir_all(dir.join("tmp"))
            .and_then(|_| crate::private_files::secure_dir(dir))
            .map_err(|e| {
                ConfigError(format!(
                    "the data directory {} cannot be created or made private ({e}); set CASELOAD_DATA_DIR to a folder this user can write",
                    dir.display()
                ))
            })?;
        if !fixed.is_empty() {
            tracing::warn!(
                "{} in the data directory {} could be read by other users of this machine; now private to this user (folders 0700, files 0600)",
                crate::domain::plural::count(fixed.len(), "file or folder", "files and folders"),
                dir.display()
            );
        }
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"ok").and_then(|_| std::fs::remove_file(&probe)).map_err(|e| {
            ConfigError(format!(
                "the data directory {} is not writable ({e}); set CASELOAD_DATA_DIR to a folder this user can write",
                dir.display()
            ))
        })
    }

    pub fn upload_temp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    /// Empties the upload temp dir: at start-up nothing is being uploaded, so whatever is
    /// there is a partial upload that a crash or a stop cut short. (Uploads waiting for
    /// analysis or review live in `imports/`, not here.) Returns how many were removed.
    pub fn clear_upload_temp_dir(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.upload_temp_dir()) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let gone = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
            if gone.is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Where the daily backup keeps its files.
    pub fn backups_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Where versions before the key moved into the database kept the session key (it is
    /// moved into the database at the first start, see `web::session`).
    pub fn session_key_path(&self) -> PathBuf {
        self.data_dir.join("session.key")
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!(
            "{name} must be true or false; got \"{v}\""
        ))),
    }
}

/// A byte count, optionally with a KB/MB/GB suffix (powers of 1024).
fn parse_size(name: &str, v: &str) -> Result<u64, ConfigError> {
    let t = v.trim().to_ascii_uppercase();
    let (num, mult) = if let Some(n) = t.strip_suffix("GB") {
        (n, 1u64 << 30)
    } else if let Some(n) = t.strip_suffix("MB") {
        (n, 1 << 20)
    } else if let Some(n) = t.strip_suffix("KB") {
        (n, 1 << 10)
    } else {
        (t.as_str(), 1)
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            ConfigError(format!(
                "{name} must be a size such as 25MB or 26214400; got \"{v}\""
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults() {
        let c = Config::from_layers(FileSettings::default(), env_of(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite("data/caseload.db".into())
        );
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.open_signup && !c.secure_cookies);
        assert_eq!(c.max_document_bytes, 25 * 1024 * 1024);
        assert_eq!(c.session_idle_minutes, 30);
    }

    #[test]
    fn the_idle_timeout_is_a_number_of_minutes_within_the_twelve_hours() {
        let file = FileSettings {
            session_idle_minutes: Some(45),
            ..Default::default()
        };
        let c = Config::from_layers(file, env_of(&[])).unwrap();
        assert_eq!(c.session_idle_minutes, 45);
        let c = Config::from_layers(
            FileSettings::default(),
            env_of(&[("CASELOAD_SESSION_IDLE_MINUTES", "10")]),
        )
        .unwrap();
        assert_eq!(c.session_idle_minutes, 10);
        for bad in ["0", "721", "soon"] {
            let pairs: &'static [(&'static str, &'static str)] = match bad {
                "0" => &[("CASELOAD_SESSION_IDLE_MINUTES", "0")],
                "721" => &[("CASELOAD_SESSION_IDLE_MINUTES", "721")],
                _ => &[("CASELOAD_SESSION_IDLE_MINUTES", "soon")],
            };
            let e = Config::from_layers(FileSettings::default(), env_of(pairs)).unwrap_err();
            assert!(e.0.contains("CASELOAD_SESSION_IDLE_MINUTES"), "{e}");
        }
    }

    #[test]
    fn environment_overrides_file() {
        let file = FileSettings {
            listen: Some("0.0.0.0:9000".into()),
            open_signup: Some(true),
            ..Default::default()
        };
        let c = Config::from_layers(
            file,
            env_of(&[
                ("CASELOAD_LISTEN", "127.0.0.1:7000"),
                ("CASELOAD_MAX_DOCUMENT_BYTES", "10MB"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:7000");
        assert!(c.open_signup);
        assert_eq!(c.max_document_bytes, 10 << 20);
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let e = Config::from_layers(
            FileSettings::default(),
            env_of(&[("DATABASE_URL", "mysql://x@y/z")]),
        )
        .unwrap_err();
        assert!(e.0.contains("unsupported scheme"), "{e}");
        let e = Config::from_layers(
            FileSettings::default(),
            env_of(&[("CASELOAD_LISTEN", "localhost")]),
        )
        .unwrap_err();
        assert!(e.0.contains("CASELOAD_LISTEN"), "{e}");
        let e = Config::from_layers(
            FileSettings::default(),
            env_of(&[("CASELOAD_OPEN_SIGNUP", "maybe")]),
        )
        .unwrap_err();
        assert!(e.0.contains("true or false"), "{e}");
    }
}
