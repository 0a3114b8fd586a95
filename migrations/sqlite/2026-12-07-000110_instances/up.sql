-- Several instances on one database, and backups.
--
-- An email is claimed by one instance before it is sent: who holds it, and until when
-- (after that, another instance may take it over: the holder is taken to have died).
ALTER TABLE outbox_emails ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox_emails ADD COLUMN lease_until TIMESTAMP;

-- An uploaded file waits for a worker of any instance from analysis_due_at on; the worker
-- that took it holds it until lease_until, and a file whose checking stopped this many
-- times (the instance died) is given up on.
ALTER TABLE import_batches ADD COLUMN analysis_due_at TIMESTAMP;
ALTER TABLE import_batches ADD COLUMN claimed_by TEXT;
ALTER TABLE import_batches ADD COLUMN lease_until TIMESTAMP;
ALTER TABLE import_batches ADD COLUMN analysis_attempts INTEGER NOT NULL DEFAULT 0;
-- Files queued or being checked when the server was upgraded are checked again.
UPDATE import_batches SET status = 'queued', analysis_due_at = updated_at
    WHERE status IN ('queued', 'analysing') AND origin <> 'cli';

-- The uploaded file itself, in parts, so that every instance reaches it.
CREATE TABLE import_uploads (
    batch_id TEXT NOT NULL REFERENCES import_batches(id),
    part INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (batch_id, part)
);

-- The sweeps (reminders, questionnaires, expiries, the daily backup): one instance at a
-- time, while it holds the job's lease.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT,
    lease_until TIMESTAMP,
    last_started_at TIMESTAMP,
    last_finished_at TIMESTAMP
);

-- Settings of the whole server, not of one provider: the session key, the daily backup.
CREATE TABLE server_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Every backup taken (by `caseload backup` or the daily job), and any that failed.
CREATE TABLE backups (
    id TEXT PRIMARY KEY NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    trigger TEXT NOT NULL,
    file TEXT NOT NULL,
    size_bytes BIGINT,
    error TEXT,
    taken_by TEXT NOT NULL
);
CREATE INDEX backups_started ON backups (started_at);
