-- A booking-link request made with an email already on the provider's list waits here,
-- unconfirmed, until the address's owner confirms it through the emailed link: only
-- then does it go on the calendar as that client's request. Only a SHA-256 of the
-- link's token is kept.
CREATE TABLE booking_confirmations (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    client_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    typed_name TEXT NOT NULL,
    service_id TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    location TEXT,
    ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    FOREIGN KEY (provider_id, client_id) REFERENCES clients (provider_id, id)
);
CREATE INDEX booking_confirmations_client ON booking_confirmations (client_id, created_at);
