-- Generated reports (issue 13; src/reports, docs/REPORTS.md): the evidence report's JSON
-- document, the parameters it was built from and its integrity manifest's hash. A stored report
-- never changes: `frontline report verify` recomputes it from the database and compares.
CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    -- What was generated: `evidence` (others may follow).
    kind TEXT NOT NULL CONSTRAINT reports_kind_known CHECK (kind IN ('evidence')),
    -- The parameters as parsed (the document repeats them).
    parameters JSONB NOT NULL,
    -- The report's document, byte for byte as generated (TEXT, not JSONB: JSONB would reorder
    -- keys and reformat numbers, and the bytes are what the manifest and a judge check).
    document TEXT NOT NULL,
    -- The manifest's SHA-256 (lowercase hex), over the canonical inputs and the parameters.
    manifest_sha256 TEXT NOT NULL CONSTRAINT reports_manifest_sha256_hex
        CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    created_by BIGINT CONSTRAINT reports_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reports_created_at_idx ON reports (created_at, id);
