-- Good Faith Estimates (No Surprises Act): the identifiers they name, and each one issued
-- to a client (its PDF is a document in the client's record). What each said is kept as JSON.
ALTER TABLE providers ADD COLUMN npi TEXT;
ALTER TABLE providers ADD COLUMN tin TEXT;
ALTER TABLE providers ADD COLUMN billing_address TEXT;

CREATE TABLE good_faith_estimates (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    issued_at TIMESTAMP NOT NULL,
    covers_from DATE NOT NULL,
    covers_until DATE NOT NULL,
    frequency TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    sheet TEXT NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_ip TEXT,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX good_faith_estimates_client ON good_faith_estimates (provider_id, client_id, issued_at);

-- A client's request for an estimate (from their portal): one is due within 3 business
-- days of it.
CREATE TABLE good_faith_requests (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
