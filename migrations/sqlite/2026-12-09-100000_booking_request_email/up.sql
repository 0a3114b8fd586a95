-- Whether the provider is emailed when a booking request arrives (Settings → Calendar).
ALTER TABLE providers ADD COLUMN email_booking_requests BOOLEAN NOT NULL DEFAULT 1;
