ALTER TABLE providers DROP COLUMN time_zone;
