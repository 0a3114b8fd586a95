-- What speaks for and against an import row being the client it was matched to (JSON:
-- the client's name, the evidence for, the evidence against), shown in the review.
ALTER TABLE import_rows ADD COLUMN evidence TEXT;
