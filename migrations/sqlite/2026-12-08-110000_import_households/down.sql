ALTER TABLE import_rows DROP COLUMN household;
