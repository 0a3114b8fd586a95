ALTER TABLE providers DROP COLUMN reminder_hours;
ALTER TABLE providers DROP COLUMN cancellation_policy;
DROP TABLE appointments;
DROP TABLE appointment_series;
DROP TABLE working_hours;
DROP TABLE services;
