CREATE TABLE providers (
    id TEXT PRIMARY KEY NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    practice_name TEXT,
    booking_token TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT COLLATE "C" NOT NULL,
    phone TEXT,
    phone_e164 TEXT,
    phone_digits TEXT COLLATE "C",
    date_of_birth DATE,
    billing_type TEXT NOT NULL,
    insurance_company TEXT,
    insurance_member_id TEXT,
    telehealth_state TEXT,
    notify_requested BOOLEAN NOT NULL,
    invited_at TIMESTAMP,
    account_verified_at TIMESTAMP,
    insurance_added_at TIMESTAMP,
    insurance_verified_at TIMESTAMP,
    payment_method_added_at TIMESTAMP,
    forms_acknowledged_at TIMESTAMP,
    archived_at TIMESTAMP,
    password_hash TEXT,
    insurance_holder_name TEXT,
    insurance_issue TEXT,
    insurance_issue_at TIMESTAMP,
    search_name TEXT COLLATE "C" NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- Where the client stands, derived by the database from the facts above (the same
    -- rule as domain::onboarding); never written by the app. Indexed for the list filter.
    list_state TEXT COLLATE "C" GENERATED ALWAYS AS (CASE
        WHEN archived_at IS NOT NULL THEN 'archived'
        WHEN account_verified_at IS NULL AND invited_at IS NULL THEN 'not-invited'
        WHEN account_verified_at IS NULL THEN 'invited'
        WHEN billing_type <> 'private_pay' AND insurance_added_at IS NULL THEN 'needs-insurance'
        WHEN billing_type <> 'private_pay' AND insurance_verified_at IS NULL THEN 'insurance-unverified'
        WHEN payment_method_added_at IS NULL THEN 'needs-billing-method'
        WHEN forms_acknowledged_at IS NULL THEN 'needs-forms'
        ELSE 'ready'
    END) STORED
);
-- INCLUDE (id): search counts read ids from the indexes alone (models::client::count_search).
CREATE UNIQUE INDEX clients_provider_email ON clients (provider_id, email_normalized) INCLUDE (id);
CREATE INDEX clients_provider_sort_name ON clients (provider_id, sort_name, id);
CREATE INDEX clients_provider_search_name ON clients (provider_id, search_name, id);
CREATE INDEX clients_provider_phone ON clients (provider_id, phone_digits, id);
CREATE INDEX clients_provider_created ON clients (provider_id, created_at, id);
CREATE INDEX clients_provider_state ON clients (provider_id, list_state, sort_name, id);

-- How many clients each provider has in each list state, kept by the database itself so
-- that the Clients tab can say "of 100,000" without counting 100,000 rows.
CREATE TABLE client_list_counts (
    provider_id TEXT NOT NULL REFERENCES providers(id),
    list_state TEXT NOT NULL,
    clients BIGINT NOT NULL,
    PRIMARY KEY (provider_id, list_state)
);
-- Statement-level triggers with transition tables: a bulk insert updates each counter once,
-- not once per row (per-row updates of one counter row cost minutes for 100,000 rows).
CREATE FUNCTION clients_count_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO client_list_counts (provider_id, list_state, clients)
        SELECT provider_id, list_state, count(*) FROM new_rows GROUP BY provider_id, list_state
        ON CONFLICT (provider_id, list_state) DO UPDATE SET clients = client_list_counts.clients + EXCLUDED.clients;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION clients_count_remove() RETURNS trigger AS $$
BEGIN
    UPDATE client_list_counts c SET clients = c.clients - o.n
        FROM (SELECT provider_id, list_state, count(*) AS n FROM old_rows GROUP BY provider_id, list_state) o
        WHERE c.provider_id = o.provider_id AND c.list_state = o.list_state;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION clients_count_move() RETURNS trigger AS $$
BEGIN
    UPDATE client_list_counts c SET clients = c.clients - o.n
        FROM (SELECT provider_id, list_state, count(*) AS n FROM old_rows GROUP BY provider_id, list_state) o
        WHERE c.provider_id = o.provider_id AND c.list_state = o.list_state;
    INSERT INTO client_list_counts (provider_id, list_state, clients)
        SELECT provider_id, list_state, count(*) FROM new_rows GROUP BY provider_id, list_state
        ON CONFLICT (provider_id, list_state) DO UPDATE SET clients = client_list_counts.clients + EXCLUDED.clients;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER clients_count_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clients_count_add();
CREATE TRIGGER clients_count_delete AFTER DELETE ON clients
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION clients_count_remove();
CREATE TRIGGER clients_count_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clients_count_move();

CREATE TABLE assessment_requests (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients(id),
    instrument TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX assessment_requests_client ON assessment_requests (client_id, instrument);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BYTEA NOT NULL
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    document_date DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX documents_client_sha256 ON documents (client_id, sha256);
CREATE INDEX documents_provider_client ON documents (provider_id, client_id, created_at);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT REFERENCES clients(id),
    action TEXT NOT NULL,
    subject TEXT,
    ip TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_client ON audit_events (provider_id, client_id, created_at);

CREATE TABLE failed_logins (
    id TEXT PRIMARY KEY NOT NULL,
    email_normalized TEXT COLLATE "C" NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX failed_logins_email ON failed_logins (email_normalized, attempted_at);

-- Client onboarding: invitations, the outbox, practice forms, payment methods, bookings.
CREATE TABLE client_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX client_invitations_client ON client_invitations (client_id, created_at);

CREATE TABLE outbox_emails (
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
    created_at TIMESTAMP NOT NULL
);
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
CREATE INDEX email_attempts_email ON email_attempts (email_id, attempted_at);

CREATE TABLE practice_forms (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX practice_forms_version ON practice_forms (provider_id, kind, version);

CREATE TABLE form_acknowledgments (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    form_id TEXT NOT NULL REFERENCES practice_forms(id),
    typed_name TEXT NOT NULL,
    ip TEXT,
    acknowledged_at TIMESTAMP NOT NULL
);
CREATE INDEX form_acknowledgments_client ON form_acknowledgments (client_id, acknowledged_at);

CREATE TABLE payment_methods (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    added_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_methods_client ON payment_methods (client_id, created_at);

CREATE TABLE booking_requests (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX booking_requests_ip ON booking_requests (ip, created_at);
