ALTER TABLE outbox_emails DROP COLUMN calendar_ics;
DROP TABLE calendar_feeds;
