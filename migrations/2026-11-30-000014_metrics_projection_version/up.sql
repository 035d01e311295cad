-- The version of the per-ticket metric projection's definition that `ticket_metrics` was last
-- computed with (models/metrics.rs PROJECTION_VERSION). `frontline migrate`, `serve` and `seed`
-- rebuild every projection when it is older than the running code, so that an upgrade which
-- changes what the projection holds (as migrations 0009 and 0010 added the contact flags and
-- the hold reasons, left empty on existing rows) is followed by the recomputation it needs.
-- 0: written before this table existed — rebuilt once.
CREATE TABLE metrics_projection (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version    INTEGER NOT NULL,
    rebuilt_at TIMESTAMPTZ
);
INSERT INTO metrics_projection (version) VALUES (0);
