-- What a client goes by, kept from the file or typed by the provider.
ALTER TABLE clients ADD COLUMN preferred_name TEXT;
-- What an imported row said beyond name and contact: kept until the import is written.
ALTER TABLE import_rows ADD COLUMN preferred_name TEXT;
ALTER TABLE import_rows ADD COLUMN billing_type TEXT;
ALTER TABLE import_rows ADD COLUMN archived BOOLEAN NOT NULL DEFAULT 0;
