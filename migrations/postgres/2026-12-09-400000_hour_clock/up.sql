-- The clock a provider reads times on: 12 (the default) or 24 hours.
ALTER TABLE providers ADD COLUMN clock_hours INTEGER NOT NULL DEFAULT 12;
