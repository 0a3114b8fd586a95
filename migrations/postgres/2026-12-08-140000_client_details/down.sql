ALTER TABLE import_rows DROP COLUMN archived;
ALTER TABLE import_rows DROP COLUMN billing_type;
ALTER TABLE import_rows DROP COLUMN preferred_name;
ALTER TABLE clients DROP COLUMN preferred_name;
