-- The calendar: what a provider offers (services), when they work, and what is booked.
-- Every time is UTC; a series keeps the wall-clock time it was asked for and its zone, so
-- that its occurrences stay at that time across daylight-saving changes.

CREATE TABLE services (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    name TEXT NOT NULL,
    cpt_code TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider_id, id)
);
CREATE INDEX services_provider ON services (provider_id, name);

-- One row per weekday the provider works (0 = Monday), in their own zone.
CREATE TABLE working_hours (
    provider_id TEXT NOT NULL REFERENCES providers(id),
    weekday INTEGER NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    PRIMARY KEY (provider_id, weekday)
);

-- What a repeating session was asked to be; its occurrences are rows of appointments.
CREATE TABLE appointment_series (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    frequency TEXT NOT NULL,
    ends_after INTEGER,
    ends_on DATE,
    local_time TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider_id, id)
);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    -- session, consultation or unavailable.
    kind TEXT NOT NULL,
    client_id TEXT REFERENCES clients(id),
    service_id TEXT REFERENCES services(id),
    series_id TEXT REFERENCES appointment_series(id),
    series_index INTEGER,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    -- requested, scheduled, confirmed, cancelled, late_cancelled, no_show, declined.
    status TEXT NOT NULL,
    location TEXT,
    note TEXT,
    -- A phone consultation's prospective client (no client record).
    contact_name TEXT,
    contact_phone TEXT,
    cancel_reason TEXT,
    cancelled_by TEXT,
    -- Filled when the session is confirmed.
    cpt_code TEXT,
    diagnosis_codes TEXT,
    actual_start TIMESTAMP,
    actual_end TIMESTAMP,
    confirmed_at TIMESTAMP,
    -- Raised by every change: edits made from an older version are refused, and the
    -- calendar feed's SEQUENCE follows it.
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id),
    FOREIGN KEY (provider_id, service_id) REFERENCES services (provider_id, id),
    FOREIGN KEY (provider_id, series_id) REFERENCES appointment_series (provider_id, id),
    CHECK (ends_at > starts_at)
);
-- The calendar's range reads and the overlap check: one provider, by time.
CREATE INDEX appointments_provider_time ON appointments (provider_id, starts_at);
CREATE INDEX appointments_client ON appointments (client_id, starts_at);
CREATE INDEX appointments_series ON appointments (series_id, series_index);

ALTER TABLE providers ADD COLUMN cancellation_policy TEXT NOT NULL DEFAULT 'none';
ALTER TABLE providers ADD COLUMN reminder_hours INTEGER NOT NULL DEFAULT 24;
