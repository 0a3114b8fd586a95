-- Where a document came from when it was imported ('simplepractice'), so that one without
-- a date says "no date in the export" rather than showing the day it was imported.
ALTER TABLE documents ADD COLUMN imported_from TEXT;
-- Documents imported before: the audit log recorded each import.
UPDATE documents SET imported_from = 'simplepractice'
WHERE id IN (SELECT subject FROM audit_events WHERE action = 'document.imported' AND subject IS NOT NULL);
