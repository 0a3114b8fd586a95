ALTER TABLE documents DROP COLUMN imported_from;
