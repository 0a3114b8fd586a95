-- Measurement-based care: which questionnaires each client is sent and how often, each
-- questionnaire sent (or given in session) with its answers, the emailed links that carry
-- them, and the risk alerts the answers raise.
ALTER TABLE providers ADD COLUMN pcl5_probable_from INTEGER NOT NULL DEFAULT 33;
-- What a client who signs up through the booking link is sent, as
-- "PHQ-9:every_2_weeks,GAD-7:once" (empty: nothing).
ALTER TABLE providers ADD COLUMN signup_measures TEXT NOT NULL DEFAULT '';
-- Since when the client has an unresolved risk alert (the banners read it; kept in step
-- with risk_alerts in the same transactions).
ALTER TABLE clients ADD COLUMN risk_alert_since TIMESTAMP;

CREATE TABLE measure_schedules (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    instrument TEXT NOT NULL,
    frequency TEXT NOT NULL,
    -- The day (in the client's zone) of the next send; none once a "once" is sent, and
    -- for "before each session" (the sessions say when).
    next_send_on DATE,
    paused_at TIMESTAMP,
    stopped_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX measure_schedules_client ON measure_schedules (provider_id, client_id);
CREATE INDEX measure_schedules_running ON measure_schedules (stopped_at, paused_at);

-- One email's link: the questionnaires due together, answerable until it expires.
CREATE TABLE assessment_links (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    -- SHA-256 of the token; the token itself is only in the emailed link.
    token_hash TEXT NOT NULL UNIQUE,
    -- The reminder carries a second token (the first was removed from the sent email).
    reminder_token_hash TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX assessment_links_client ON assessment_links (provider_id, client_id);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    instrument TEXT NOT NULL,
    schedule_id TEXT REFERENCES measure_schedules(id),
    link_id TEXT REFERENCES assessment_links(id),
    -- The session a "before each session" send was for.
    appointment_id TEXT,
    -- One answer per item, comma-separated, empty while unanswered ("2,1,,0").
    answers TEXT NOT NULL,
    -- PHQ-9's unscored last question.
    difficulty INTEGER,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    expired_at TIMESTAMP,
    -- "client" (through their link) or "provider" (entered in session for the client).
    entered_by TEXT,
    total INTEGER,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX assessments_client ON assessments (provider_id, client_id, completed_at);
CREATE INDEX assessments_link ON assessments (link_id);
-- A session's "before each session" questionnaire is sent once.
CREATE UNIQUE INDEX assessments_per_session ON assessments (schedule_id, appointment_id);

CREATE TABLE risk_alerts (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    raised_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    -- The provider's name when they resolved it, and what they did.
    resolved_by TEXT,
    resolution TEXT,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX risk_alerts_open ON risk_alerts (provider_id, resolved_at);

-- The Add-client form's picks, which were stored and never sent: each becomes a schedule
-- sent once, at once (unless already sent).
INSERT INTO measure_schedules (id, provider_id, client_id, instrument, frequency, next_send_on, created_at)
SELECT r.id, c.provider_id, r.client_id, r.instrument, 'once', CAST(r.requested_at AS DATE), r.requested_at
FROM assessment_requests r JOIN clients c ON c.id = r.client_id
WHERE r.sent_at IS NULL;
DROP TABLE assessment_requests;
