-- The Clients tab's risk banner reads only the clients with an open alert: this index holds
-- just those rows, so the banner costs nothing on a list without alerts (it read every
-- client of the provider).
CREATE INDEX clients_open_risk_alert ON clients (provider_id, risk_alert_since)
    WHERE risk_alert_since IS NOT NULL AND archived_at IS NULL;

-- A search by any four or more digits of a phone ("555-0143") is a LIKE '%…%', which no
-- ordinary index serves; pg_trgm's GIN index does. pg_trgm ships with PostgreSQL (contrib)
-- and is a trusted extension, but a managed server may not offer it: then the search still
-- works, reading the provider's clients as before, and the server log says why.
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'Caseload: the pg_trgm extension could not be created (%); searching clients by part of a phone number will read every client. Install PostgreSQL''s contrib package and run CREATE EXTENSION pg_trgm to make it fast.', SQLERRM;
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX clients_phone_trigrams ON clients USING gin (phone_digits gin_trgm_ops);
    END IF;
END
$$;

-- Waiting booking requests are read on every calendar page (the "requests" count) and
-- counted against every booking: by state, not by walking all of a provider's sessions.
CREATE INDEX appointments_provider_status ON appointments (provider_id, status, starts_at);
