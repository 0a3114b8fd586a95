-- What the booking link offers: times at least this many hours ahead, for this service
-- (its length is the slot's; none chosen means the intake, 90791, or else the first).
ALTER TABLE providers ADD COLUMN booking_notice_hours INTEGER NOT NULL DEFAULT 2;
ALTER TABLE providers ADD COLUMN booking_service_id TEXT;
