ALTER TABLE providers DROP COLUMN booking_service_id;
ALTER TABLE providers DROP COLUMN booking_notice_hours;
