ALTER TABLE providers DROP COLUMN office_address;
ALTER TABLE providers DROP COLUMN video_link;
DROP INDEX appointments_awaiting_reminder;
ALTER TABLE appointments DROP COLUMN reminder_queued_at;
ALTER TABLE appointments DROP COLUMN fee_cents;
ALTER TABLE providers DROP COLUMN cancellation_fee_cents;
