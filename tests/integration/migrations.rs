use std::collections::BTreeSet;
use std::path::Path;

fn folder_names(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .expect("migrations folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = folder_names("migrations/sqlite");
    let postgres = folder_names("migrations/postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same folder names"
    );
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let p = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(backend)
                    .join(name)
                    .join(file);
                assert!(p.exists(), "{} is missing", p.display());
            }
        }
    }
}

/// The migration that rebuilds SQLite's tables for the provider's composite keys keeps
/// every row of a database in use, emails' delivery attempts included (their table points
/// at one that is rebuilt).
#[test]
fn rebuilding_tables_for_the_providers_keys_keeps_every_row() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    use diesel_migrations::MigrationHarness;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
    loop {
        let pending = conn
            .pending_migrations(caseload::db::SQLITE_MIGRATIONS)
            .unwrap();
        let next = pending.first().expect("the rebuild migration exists");
        if next.name().to_string().contains("owned_by_provider") {
            break;
        }
        conn.run_next_migration(caseload::db::SQLITE_MIGRATIONS)
            .unwrap();
    }
    conn.batch_execute(
        "INSERT INTO providers (id, first_name, last_name, email, email_normalized, password_hash, created_at) VALUES ('p1','A','B','e','e','h','2026-01-01');
         INSERT INTO clients (id, provider_id, first_name, last_name, email, email_normalized, billing_type, notify_requested, search_name, sort_name, created_at, updated_at) VALUES ('c1','p1','Ada','L','a@x','a@x','private_pay',0,'ada l','l ada','2026-01-01','2026-01-01');
         INSERT INTO audit_events (id, provider_id, client_id, action, created_at) VALUES ('e1','p1','c1','client_viewed','2026-01-01');
         INSERT INTO outbox_emails (id, provider_id, client_id, kind, to_address, subject, body_text, body_html, status, attempts, send_after, next_attempt_at, created_at) VALUES ('o1','p1','c1','invitation','a@x','s','t','h','sent',1,'2026-01-01','2026-01-01','2026-01-01');
         INSERT INTO email_attempts (id, email_id, attempted_at, succeeded) VALUES ('t1','o1','2026-01-01',1);
         INSERT INTO sign_in_sessions (id, provider_id, client_id, created_at, last_seen_at) VALUES ('s1','p1','c1','2026-01-01','2026-01-01');",
    )
    .unwrap();
    conn.run_pending_migrations(caseload::db::SQLITE_MIGRATIONS)
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for table in [
        "audit_events",
        "outbox_emails",
        "email_attempts",
        "sign_in_sessions",
    ] {
        let c: Count = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(c.n, 1, "{table} lost its row");
    }
    let broken: Vec<Count> = diesel::sql_query("SELECT 1 AS n FROM pragma_foreign_key_check")
        .load(&mut conn)
        .unwrap();
    assert!(broken.is_empty());
}
