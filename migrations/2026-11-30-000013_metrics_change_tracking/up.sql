-- Change tracking for the in-memory metrics store (src/models/metrics_store.rs).
--
-- Every row that a metric reads carries the id of the transaction that last wrote it
-- (`changed_xid`): set by the column default on INSERT (COPY included) and by a trigger on
-- UPDATE. A process that holds the figures as of snapshot S finds every row written since then,
-- whatever the commit order, with
--     changed_xid >= pg_snapshot_xmin(S) AND NOT pg_visible_in_snapshot(changed_xid, S)
-- (an index range, then a filter: in steady state a handful of rows). `xid8` never wraps.
-- Deleted SLA clocks leave no row behind: the code that deletes a ticket's clocks without
-- writing new ones stamps the ticket's `ticket_metrics` row instead (models/sla.rs).
CREATE FUNCTION frontline_stamp_changed_xid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;

ALTER TABLE tickets ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE ticket_metrics ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE ticket_sla_clocks ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE INDEX tickets_changed_xid_idx ON tickets (changed_xid);
CREATE INDEX ticket_metrics_changed_xid_idx ON ticket_metrics (changed_xid);
CREATE INDEX ticket_sla_clocks_changed_xid_idx ON ticket_sla_clocks (changed_xid);

CREATE TRIGGER tickets_stamp_changed_xid BEFORE UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION frontline_stamp_changed_xid();
CREATE TRIGGER ticket_metrics_stamp_changed_xid BEFORE UPDATE ON ticket_metrics
    FOR EACH ROW EXECUTE FUNCTION frontline_stamp_changed_xid();
CREATE TRIGGER ticket_sla_clocks_stamp_changed_xid BEFORE UPDATE ON ticket_sla_clocks
    FOR EACH ROW EXECUTE FUNCTION frontline_stamp_changed_xid();
