-- The provider's private calendar feed: the token in its address is the only secret, so
-- replacing it revokes the old address at once. Clients are shown by initials unless the
-- provider chose full names.
CREATE TABLE calendar_feeds (
    provider_id TEXT PRIMARY KEY NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    full_names BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL
);
-- One calendar attachment an email may carry (a reminder's session.ics).
ALTER TABLE outbox_emails ADD COLUMN calendar_ics TEXT;
