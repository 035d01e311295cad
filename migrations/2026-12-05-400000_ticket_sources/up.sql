-- Outside data sets (issue 14, "cohorts from anywhere"): `frontline import event-log … --source
-- LABEL` keeps the label on every ticket it imports (a rival's export, a vendor's log). NULL is
-- the company's own tickets (created here or imported without a label); figures, lists and
-- reports read only those unless a request names a source.
ALTER TABLE tickets ADD COLUMN source TEXT;
ALTER TABLE tickets ADD CONSTRAINT tickets_source_label
    CHECK (source IS NULL OR source ~ '^[a-z0-9][a-z0-9_.-]{0,62}$');
-- An external id is unique within its source: the same log imported under two labels is two
-- data sets.
ALTER TABLE tickets DROP CONSTRAINT tickets_external_id_key;
CREATE UNIQUE INDEX tickets_source_external_id_key
    ON tickets (coalesce(source, ''), external_id) WHERE external_id IS NOT NULL;
CREATE INDEX tickets_source_idx ON tickets (source) WHERE source IS NOT NULL;
