CREATE TABLE providers (
    id TEXT PRIMARY KEY NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    practice_name TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    phone TEXT,
    phone_e164 TEXT,
    phone_digits TEXT,
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
    search_name TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- Where the client stands, derived by the database from the facts above (the same
    -- rule as domain::onboarding); never written by the app. Indexed for the list filter.
    list_state TEXT GENERATED ALWAYS AS (CASE
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
CREATE UNIQUE INDEX clients_provider_email ON clients (provider_id, email_normalized);
CREATE INDEX clients_provider_sort_name ON clients (provider_id, sort_name, id);
CREATE INDEX clients_provider_search_name ON clients (provider_id, search_name);
CREATE INDEX clients_provider_phone ON clients (provider_id, phone_digits);
CREATE INDEX clients_provider_created ON clients (provider_id, created_at, id);
CREATE INDEX clients_provider_state ON clients (provider_id, list_state, sort_name, id);

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
    content BLOB NOT NULL
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
    email_normalized TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX failed_logins_email ON failed_logins (email_normalized, attempted_at);
