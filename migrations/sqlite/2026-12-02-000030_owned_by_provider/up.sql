-- The provider's scope in the database itself: a row about a client must name the
-- client's own provider (composite foreign keys to clients (provider_id, id)), so that a
-- mismatch is refused even if the code were wrong. SQLite cannot add a constraint to a
-- table, so each table is rebuilt; deferred checks let the rows move before they are checked.
PRAGMA defer_foreign_keys = ON;
CREATE UNIQUE INDEX clients_provider_id_id ON clients (provider_id, id);
CREATE UNIQUE INDEX practice_forms_provider_id_id ON practice_forms (provider_id, id);
CREATE TABLE documents_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    document_date DATE,
    created_at TIMESTAMP NOT NULL,
    kind_detail TEXT,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
INSERT INTO documents_rebuilt (id, provider_id, client_id, kind, file_name, content_type, size_bytes, sha256, document_date, created_at, kind_detail) SELECT id, provider_id, client_id, kind, file_name, content_type, size_bytes, sha256, document_date, created_at, kind_detail FROM documents;
DROP TABLE documents;
ALTER TABLE documents_rebuilt RENAME TO documents;
CREATE UNIQUE INDEX documents_client_sha256 ON documents (client_id, sha256);
CREATE INDEX documents_provider_client ON documents (provider_id, client_id, created_at);

CREATE TABLE audit_events_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT REFERENCES clients(id),
    action TEXT NOT NULL,
    subject TEXT,
    ip TEXT,
    created_at TIMESTAMP NOT NULL,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
INSERT INTO audit_events_rebuilt (id, provider_id, client_id, action, subject, ip, created_at) SELECT id, provider_id, client_id, action, subject, ip, created_at FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_client ON audit_events (provider_id, client_id, created_at);

CREATE TABLE client_invitations_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
INSERT INTO client_invitations_rebuilt (id, provider_id, client_id, token_hash, created_at, expires_at, used_at, revoked_at) SELECT id, provider_id, client_id, token_hash, created_at, expires_at, used_at, revoked_at FROM client_invitations;
DROP TABLE client_invitations;
ALTER TABLE client_invitations_rebuilt RENAME TO client_invitations;
CREATE INDEX client_invitations_client ON client_invitations (client_id, created_at);

CREATE TEMPORARY TABLE email_attempts_kept AS SELECT * FROM email_attempts;
DROP TABLE email_attempts;
CREATE TABLE outbox_emails_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT REFERENCES clients(id),
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    action_url TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    send_after TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
INSERT INTO outbox_emails_rebuilt (id, provider_id, client_id, kind, to_address, subject, body_text, body_html, action_url, status, attempts, send_after, next_attempt_at, sent_at, last_error, created_at) SELECT id, provider_id, client_id, kind, to_address, subject, body_text, body_html, action_url, status, attempts, send_after, next_attempt_at, sent_at, last_error, created_at FROM outbox_emails;
DROP TABLE outbox_emails;
ALTER TABLE outbox_emails_rebuilt RENAME TO outbox_emails;
CREATE INDEX outbox_emails_due ON outbox_emails (status, next_attempt_at);
CREATE INDEX outbox_emails_provider ON outbox_emails (provider_id, created_at);
CREATE INDEX outbox_emails_client ON outbox_emails (client_id, kind, status);
CREATE TABLE email_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    email_id TEXT NOT NULL REFERENCES outbox_emails(id),
    attempted_at TIMESTAMP NOT NULL,
    succeeded BOOLEAN NOT NULL,
    error TEXT
);
INSERT INTO email_attempts (id, email_id, attempted_at, succeeded, error) SELECT id, email_id, attempted_at, succeeded, error FROM email_attempts_kept;
DROP TABLE email_attempts_kept;
CREATE INDEX email_attempts_email ON email_attempts (email_id, attempted_at);

CREATE TABLE form_acknowledgments_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    form_id TEXT NOT NULL REFERENCES practice_forms(id),
    typed_name TEXT NOT NULL,
    ip TEXT,
    acknowledged_at TIMESTAMP NOT NULL,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id),
    FOREIGN KEY (provider_id, form_id) REFERENCES practice_forms (provider_id, id)
);
INSERT INTO form_acknowledgments_rebuilt (id, provider_id, client_id, form_id, typed_name, ip, acknowledged_at) SELECT id, provider_id, client_id, form_id, typed_name, ip, acknowledged_at FROM form_acknowledgments;
DROP TABLE form_acknowledgments;
ALTER TABLE form_acknowledgments_rebuilt RENAME TO form_acknowledgments;
CREATE INDEX form_acknowledgments_client ON form_acknowledgments (client_id, acknowledged_at);

CREATE TABLE payment_methods_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    added_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
INSERT INTO payment_methods_rebuilt (id, provider_id, client_id, kind, brand, last4, exp_month, exp_year, added_by, created_at) SELECT id, provider_id, client_id, kind, brand, last4, exp_month, exp_year, added_by, created_at FROM payment_methods;
DROP TABLE payment_methods;
ALTER TABLE payment_methods_rebuilt RENAME TO payment_methods;
CREATE INDEX payment_methods_client ON payment_methods (client_id, created_at);

CREATE TABLE sign_in_sessions_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT REFERENCES clients(id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ip TEXT,
    user_agent TEXT,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
INSERT INTO sign_in_sessions_rebuilt (id, provider_id, client_id, created_at, last_seen_at, ip, user_agent) SELECT id, provider_id, client_id, created_at, last_seen_at, ip, user_agent FROM sign_in_sessions;
DROP TABLE sign_in_sessions;
ALTER TABLE sign_in_sessions_rebuilt RENAME TO sign_in_sessions;
CREATE INDEX sign_in_sessions_provider ON sign_in_sessions (provider_id, client_id);
CREATE INDEX sign_in_sessions_client ON sign_in_sessions (client_id);
CREATE INDEX sign_in_sessions_last_seen ON sign_in_sessions (last_seen_at);
