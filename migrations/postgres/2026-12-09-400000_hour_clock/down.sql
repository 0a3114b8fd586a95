ALTER TABLE providers DROP COLUMN clock_hours;
