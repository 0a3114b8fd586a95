-- One row per sign-in (a provider's, or a client's in the portal). The cookie carries a
-- random token; the row's id is the token's SHA-256, so the table alone signs nobody in.
-- Ending a session deletes its row.
CREATE TABLE sign_in_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    -- Set for a client's portal sign-in; NULL for the provider's own.
    client_id TEXT REFERENCES clients(id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sign_in_sessions_provider ON sign_in_sessions (provider_id, client_id);
CREATE INDEX sign_in_sessions_client ON sign_in_sessions (client_id);
CREATE INDEX sign_in_sessions_last_seen ON sign_in_sessions (last_seen_at);

-- Failed sign-ins count per (email, address) and per address.
ALTER TABLE failed_logins ADD COLUMN ip TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX failed_logins_email_ip ON failed_logins (email_normalized, ip, attempted_at);
CREATE INDEX failed_logins_ip ON failed_logins (ip, attempted_at);
CREATE INDEX failed_logins_attempted ON failed_logins (attempted_at);
