-- Families and getting back in.
--
-- One portal account per person and practice (by email): a client signs in with their own,
-- a parent or guardian with theirs and acts for each client they are a contact of. The
-- passwords that clients kept on their own rows move into accounts of their own.
CREATE TABLE portal_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    -- Who the person is, for greetings ("Maria Okafor").
    name TEXT NOT NULL,
    password_hash TEXT,
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX portal_accounts_email ON portal_accounts (provider_id, email_normalized);
INSERT INTO portal_accounts (id, provider_id, email, email_normalized, name, password_hash, verified_at, created_at)
SELECT id, provider_id, email, email_normalized, first_name || ' ' || last_name, password_hash,
       account_verified_at, COALESCE(account_verified_at, created_at)
FROM clients WHERE password_hash IS NOT NULL;
ALTER TABLE clients DROP COLUMN password_hash;

-- A client's own email is optional once a contact acts for them: empty means none, and
-- only real addresses must be unique among the provider's clients.
DROP INDEX clients_provider_email;
CREATE UNIQUE INDEX clients_provider_email ON clients (provider_id, email_normalized) WHERE email_normalized <> '';
-- Lookups by email (the unique index serves only real addresses).
CREATE INDEX clients_email_lookup ON clients (provider_id, email_normalized);
-- Marked a minor by the provider (a date of birth under 18 makes one too).
ALTER TABLE clients ADD COLUMN minor BOOLEAN NOT NULL DEFAULT FALSE;
-- The policyholder's date of birth, when the policyholder is not the client.
ALTER TABLE clients ADD COLUMN insurance_holder_dob DATE;

-- The people around a client: parents and guardians, partners, emergency contacts. A
-- contact may receive the client's emails and may act for them in the portal; siblings
-- share a parent by sharing the parent's email (one account).
CREATE TABLE client_contacts (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    email TEXT,
    email_normalized TEXT ,
    phone TEXT,
    receives_emails BOOLEAN NOT NULL,
    acts_for BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX client_contacts_client ON client_contacts (provider_id, client_id);
CREATE INDEX client_contacts_email ON client_contacts (provider_id, email_normalized);

-- An invitation goes to one person: the client, or a contact who acts for them.
ALTER TABLE client_invitations ADD COLUMN recipient_email TEXT;
ALTER TABLE client_invitations ADD COLUMN recipient_name TEXT;
-- Forms acknowledged by someone acting for the client ("Maria Okafor, parent or guardian").
ALTER TABLE form_acknowledgments ADD COLUMN acknowledged_by TEXT;
-- A portal sign-in is an account's, acting for one client at a time.
ALTER TABLE sign_in_sessions ADD COLUMN account_id TEXT;
UPDATE sign_in_sessions SET account_id = client_id WHERE client_id IS NOT NULL;

-- Single-use links to set a new password: a provider's, or a portal account's.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    -- None for the provider's own password.
    account_id TEXT REFERENCES portal_accounts(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_holder ON password_resets (provider_id, account_id, created_at);
