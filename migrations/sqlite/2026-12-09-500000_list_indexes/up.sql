-- The Clients tab's risk banner reads only the clients with an open alert: this index holds
-- just those rows, so the banner costs nothing on a list without alerts (it read every
-- client of the provider: 190 ms at 100,000).
CREATE INDEX clients_open_risk_alert ON clients (provider_id, risk_alert_since)
    WHERE risk_alert_since IS NOT NULL AND archived_at IS NULL;

-- A search by any four or more digits of a phone ("555-0143") is a LIKE '%…%', which no
-- ordinary index serves. FTS5's trigram tokenizer answers LIKE from its index. The table
-- keeps its own copy of the digits (not external content: VACUUM INTO, which backups use,
-- may renumber the clients table's implicit rowids); triggers keep it in step.
CREATE VIRTUAL TABLE client_phone_search USING fts5(
    client_id UNINDEXED,
    phone_digits,
    tokenize = 'trigram'
);
INSERT INTO client_phone_search (client_id, phone_digits)
    SELECT id, phone_digits FROM clients WHERE phone_digits IS NOT NULL;
CREATE TRIGGER client_phone_search_insert AFTER INSERT ON clients
    WHEN new.phone_digits IS NOT NULL
BEGIN
    INSERT INTO client_phone_search (client_id, phone_digits) VALUES (new.id, new.phone_digits);
END;
-- The old row is found through the trigram index by its own digits (a LIKE of three or more
-- digits), then by its id: a delete by the unindexed id alone would read the whole table.
CREATE TRIGGER client_phone_search_update AFTER UPDATE OF phone_digits ON clients
    WHEN old.phone_digits IS NOT new.phone_digits
BEGIN
    DELETE FROM client_phone_search
        WHERE phone_digits LIKE '%' || old.phone_digits || '%' AND client_id = old.id;
    INSERT INTO client_phone_search (client_id, phone_digits)
        SELECT new.id, new.phone_digits WHERE new.phone_digits IS NOT NULL;
END;
CREATE TRIGGER client_phone_search_delete AFTER DELETE ON clients
    WHEN old.phone_digits IS NOT NULL
BEGIN
    DELETE FROM client_phone_search
        WHERE phone_digits LIKE '%' || old.phone_digits || '%' AND client_id = old.id;
END;

-- Waiting booking requests are read on every calendar page (the "requests" count) and
-- counted against every booking: by state, not by walking all of a provider's sessions.
CREATE INDEX appointments_provider_status ON appointments (provider_id, status, starts_at);
