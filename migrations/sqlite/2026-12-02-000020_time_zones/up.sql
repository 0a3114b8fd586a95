-- Each provider's IANA time zone: times are stored in UTC and shown in it. Providers made
-- before this keep UTC (what they saw until now) until they choose theirs in Settings.
ALTER TABLE providers ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
