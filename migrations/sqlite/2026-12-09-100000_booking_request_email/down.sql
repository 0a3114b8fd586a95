ALTER TABLE providers DROP COLUMN email_booking_requests;
