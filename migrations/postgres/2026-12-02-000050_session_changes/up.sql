-- A late cancellation or a no-show may carry the practice's fee; the session keeps the
-- fee it was charged under the policy of the day. A reminder is queued once per time a
-- session is at: moving it clears the mark, so the new time gets its own reminder.
ALTER TABLE providers ADD COLUMN cancellation_fee_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN fee_cents INTEGER;
ALTER TABLE appointments ADD COLUMN reminder_queued_at TIMESTAMP;
-- The reminder job's scan: sessions still waiting for a reminder, by start.
CREATE INDEX appointments_awaiting_reminder ON appointments (starts_at) WHERE reminder_queued_at IS NULL;
-- Where sessions happen: the video link telehealth sessions use (read when each email is
-- written, so a new link reaches every later reminder) and the office's address.
ALTER TABLE providers ADD COLUMN video_link TEXT;
ALTER TABLE providers ADD COLUMN office_address TEXT;
