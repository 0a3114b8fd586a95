-- A practice's storage use (Settings → Imports, and the CASELOAD_MAX_STORAGE quota) is the
-- sum of its documents' sizes: this index holds both, so the sum never reads a document.
CREATE INDEX documents_provider_size ON documents (provider_id, size_bytes);
