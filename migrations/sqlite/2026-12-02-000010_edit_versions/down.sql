ALTER TABLE clients DROP COLUMN version;
