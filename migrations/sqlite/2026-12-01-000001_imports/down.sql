ALTER TABLE documents DROP COLUMN kind_detail;
DROP TABLE import_rows;
DROP TABLE import_batches;
