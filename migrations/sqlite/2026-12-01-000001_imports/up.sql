-- Client-list imports: one batch per uploaded file, its analysis state (so a page can
-- show progress and a restart can tell an interrupted analysis), and the reviewed rows.
CREATE TABLE import_batches (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    -- The name the file had on the provider's computer: display text, never a path.
    file_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    status TEXT NOT NULL,
    format TEXT,
    layout TEXT,
    sheet TEXT,
    column_choice TEXT,
    progress_label TEXT,
    progress_done BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    error TEXT,
    -- JSON: what the review page says about the file (columns left out, date order,
    -- sheets), or the headers and first rows for picking columns by hand.
    details TEXT,
    rows_total BIGINT NOT NULL,
    rows_new BIGINT NOT NULL,
    rows_existing BIGINT NOT NULL,
    rows_needs_review BIGINT NOT NULL,
    rows_invalid BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    -- The provider's choices so far: rows to import as new, rows linked to a client.
    rows_selected BIGINT NOT NULL,
    rows_linked BIGINT NOT NULL,
    imported_count BIGINT NOT NULL,
    linked_count BIGINT NOT NULL,
    -- A SimplePractice export: documents attached, and existing clients that got some.
    documents_count BIGINT NOT NULL,
    clients_with_documents BIGINT NOT NULL,
    skipped_count BIGINT NOT NULL,
    invited BOOLEAN NOT NULL,
    -- After the import: JSON of why the rows left out were (status -> count). The rows
    -- themselves are deleted then: nothing of the people left out is kept.
    outcome TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    imported_at TIMESTAMP
);
CREATE INDEX import_batches_provider ON import_batches (provider_id, created_at);
CREATE INDEX import_batches_status ON import_batches (status);

CREATE TABLE import_rows (
    batch_id TEXT NOT NULL REFERENCES import_batches(id),
    position BIGINT NOT NULL,
    source_row BIGINT NOT NULL,
    source TEXT,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    date_of_birth DATE,
    status TEXT NOT NULL,
    reasons TEXT NOT NULL,
    matched_client_id TEXT,
    -- The provider's decisions: import as a new client, or "this is that client".
    selected BOOLEAN NOT NULL,
    linked_client_id TEXT,
    -- A SimplePractice export's card: the display name from its file name, its id, the
    -- documents found for the person (JSON: kind -> count), and whether this row gets
    -- the documents of a folder that two clients of the same name share.
    display_name TEXT,
    external_id TEXT,
    documents TEXT,
    takes_documents BOOLEAN NOT NULL,
    shares_folder BOOLEAN NOT NULL,
    PRIMARY KEY (batch_id, position)
);
CREATE INDEX import_rows_status ON import_rows (batch_id, status, position);

-- A questionnaire's code ("GAD", "PHQ-9") beside its kind.
ALTER TABLE documents ADD COLUMN kind_detail TEXT;
