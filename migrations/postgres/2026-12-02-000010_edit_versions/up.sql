-- The version an edit form was made from: a save made from an older version is refused
-- instead of silently undoing the change made meanwhile.
ALTER TABLE clients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
