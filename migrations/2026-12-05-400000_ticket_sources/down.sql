DROP INDEX tickets_source_idx;
DROP INDEX tickets_source_external_id_key;
DELETE FROM tickets WHERE source IS NOT NULL;
ALTER TABLE tickets ADD CONSTRAINT tickets_external_id_key UNIQUE (external_id);
ALTER TABLE tickets DROP CONSTRAINT tickets_source_label;
ALTER TABLE tickets DROP COLUMN source;
