-- Rules changes are applied in the background (issue 16 item 1; src/tickets/reproject.rs).
--
-- An SLA policy, calendar or team-calendar change commits at once: it writes its row, bumps
-- `rules_version.version` (its trigger) and records in `reproject_version` that the tickets'
-- stored projections must follow that version. A worker then re-projects, in short batches, the
-- open tickets whose projection is older; a ticket written meanwhile is projected with the new
-- rules by that write. Neither waits for the other beyond one batch: no lock is taken across
-- tickets any more, so `ticket_write_lock` and its advisory lock go.

-- The rules version a ticket's stored projection (`ticket_metrics` and `ticket_sla_clocks`) was
-- computed with, written by every projection write; 0: before this migration or by a bulk
-- load. Rows written before this migration followed every change already (each change
-- re-projected every ticket in its own transaction), hence `reproject_version` starts at 0.
ALTER TABLE ticket_metrics ADD COLUMN rules_version BIGINT NOT NULL DEFAULT 0;
-- The open tickets still to re-project, oldest projections first (closed tickets keep theirs).
CREATE INDEX ticket_metrics_open_rules_version_idx ON ticket_metrics (rules_version, ticket_id)
    WHERE closed_at IS NULL;

-- The rules version every open ticket's projection must reach (0: none required).
ALTER TABLE rules_version ADD COLUMN reproject_version BIGINT NOT NULL DEFAULT 0;

DROP FUNCTION ticket_write_lock(BIGINT);
