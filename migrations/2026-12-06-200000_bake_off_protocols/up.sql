-- Bake-off protocols (docs/REPORTS.md, "Bake-off"): the cohorts, period, metrics, strata, alpha
-- and minimum sample of a comparison, registered and hashed before any figure is computed. A
-- registered protocol never changes: a change is a new protocol (a new hash). `canonical` holds
-- the exact bytes `sha256` is taken over; the same bytes register once.
CREATE TABLE bake_off_protocols (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    canonical  TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION bake_off_protocols_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'bake-off protocol % is registered and cannot be changed; register a new one',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
END $$;
-- Who registered it may be deleted (set to NULL); nothing else of a row changes, nor is a row
-- deleted.
CREATE TRIGGER bake_off_protocols_refuse_change
    BEFORE UPDATE OF name, sha256, canonical, created_at OR DELETE ON bake_off_protocols
    FOR EACH ROW EXECUTE FUNCTION bake_off_protocols_refuse_change();

-- Stored bake-off reports beside the evidence reports.
ALTER TABLE reports DROP CONSTRAINT reports_kind_known,
    ADD CONSTRAINT reports_kind_known CHECK (kind IN ('evidence', 'bake_off'));
